# A read-only mount (an environment root) refuses every change with EROFS
# and still logs reads with digests.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/b/dir"
printf 'data\n' >"$T/b/dir/file"
mount_ws "$T/b" "$T/m" --ro
assert_eq data "$(cat "$T/m/dir/file")" "read"
for cmd in "touch $T/m/new" "mkdir $T/m/newdir" "rm $T/m/dir/file" \
	"mv $T/m/dir/file $T/m/dir/moved" "chmod 600 $T/m/dir/file" \
	"ln -s x $T/m/link" "truncate -s 0 $T/m/dir/file"; do
	if $cmd 2>"$T/err"; then
		fail "'$cmd' succeeded on a read-only mount"
	fi
	grep -qi "read-only" "$T/err" || fail "'$cmd': $(cat "$T/err")"
done
sh -c "echo x >>$T/m/dir/file" 2>/dev/null && fail "append succeeded"
umount_ws "$T/m"
assert_eq data "$(cat "$T/b/dir/file")" "backing untouched"
assert_eq "$(sha "$T/b/dir/file")" "$(input_digest /dir/file)" "input digest"
assert_eq 1 "$(sql 'select readonly from mount')" "mount marked read-only"
assert_eq root "$(sql 'select label from mount')" "default label"
exit 0

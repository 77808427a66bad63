# Other users get normal permission checks (allow_other +
# default_permissions) and own the files they create.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || exit 77
[ "$(id -u)" = 0 ] || exit 77
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
mkdir -p "$T/b/shared" "$T/b/sticky"
chmod 1777 "$T/b/sticky"
chmod 0777 "$T/b/shared"
printf 'secret\n' >"$T/b/secret"
chmod 600 "$T/b/secret"
printf 'rootfile\n' >"$T/b/sticky/rootfile"
chmod 666 "$T/b/sticky/rootfile"
chmod 755 "$T"
mount_ws "$T/b" "$T/m"
as_nobody cat "$T/m/secret" 2>/dev/null && fail "nobody read a 0600 root file"
as_nobody sh -c "echo hi >$T/m/shared/mine" || fail "nobody could not create in a 0777 dir"
assert_eq "65534:65534" "$(stat -c %u:%g "$T/b/shared/mine")" "owner of a new file"
as_nobody mkdir "$T/m/shared/mydir" || fail "mkdir as nobody"
assert_eq 65534 "$(stat -c %u "$T/b/shared/mydir")" "owner of a new dir"
as_nobody rm "$T/m/sticky/rootfile" 2>/dev/null && fail "sticky dir let nobody delete root's file"
as_nobody sh -c "echo more >>$T/m/sticky/rootfile" || fail "0666 file not writable"
as_nobody touch "$T/m/rootonly" 2>/dev/null && fail "nobody created a file in a 0755 root dir"
umount_ws "$T/m"
exit 0

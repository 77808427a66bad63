# Mounting a missing directory fails with a clear one-line error and exit 2,
# and leaves nothing mounted.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/m"
"$PROVFS" mount --store "$T/store" --log "$T/log.db" "$T/nope" "$T/m" 2>"$T/err"
rc=$?
assert_eq 2 "$rc" "exit status"
grep -q "cannot mount '$T/nope': No such file or directory" "$T/err" || fail "message: $(cat "$T/err")"
assert_eq 1 "$(wc -l <"$T/err")" "one-line error"
grep -q " $T/m " /proc/mounts && fail "something got mounted"
# a missing mount point, and a file as backing
mkdir -p "$T/b"
"$PROVFS" mount --store "$T/store" "$T/b" "$T/missing-mp" 2>"$T/err2"
assert_eq 2 "$?" "missing mount point exit"
grep -q "cannot mount on" "$T/err2" || fail "message: $(cat "$T/err2")"
touch "$T/file"
"$PROVFS" mount --store "$T/store" --log "$T/log.db" "$T/file" "$T/m" 2>"$T/err3"
assert_eq 2 "$?" "file as backing exit"
grep -q "not a directory" "$T/err3" || fail "message: $(cat "$T/err3")"
exit 0

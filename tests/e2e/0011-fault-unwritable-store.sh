# A store that cannot be written is refused up front: clear error, exit 2,
# nothing mounted, nothing written.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/b" "$T/m" "$T/ro"
mount -t tmpfs -o size=1m,ro tmpfs "$T/ro" || exit 77
MOUNTS="$T/ro"
"$PROVFS" mount --store "$T/ro/store" --log "$T/log.db" "$T/b" "$T/m" 2>"$T/err"
rc=$?
umount "$T/ro"
MOUNTS=""
assert_eq 2 "$rc" "exit status"
grep -q "cannot use store '$T/ro/store'" "$T/err" || fail "message: $(cat "$T/err")"
grep -q " $T/m " /proc/mounts && fail "mounted despite the bad store"
# a store path that is a regular file
touch "$T/notadir"
"$PROVFS" mount --store "$T/notadir" --log "$T/log.db" "$T/b" "$T/m" 2>"$T/err2"
assert_eq 2 "$?" "file as store exit"
grep -q "cannot use store" "$T/err2" || fail "message: $(cat "$T/err2")"
# an unwritable log location
"$PROVFS" mount --store "$T/store" --log /proc/nope/log.db "$T/b" "$T/m" 2>"$T/err3"
[ $? -eq 2 ] || fail "bad log path accepted"
grep -q " $T/m " /proc/mounts && fail "mounted despite the bad log"
exit 0

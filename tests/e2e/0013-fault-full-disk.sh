# A full store during capture: the build itself is unaffected, umount
# reports the files that could not be captured (exit 1), the log records
# each failure, and the store holds no partial or corrupt object.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/small" "$T/b" "$T/m"
mount -t tmpfs -o size=2m tmpfs "$T/small" || exit 77
MOUNTS="$T/small"
"$PROVFS" mount --store "$T/small/store" --log "$T/log.db" "$T/b" "$T/m" >/dev/null ||
	fail "mount"
MOUNTS="$T/m $MOUNTS"
printf 'small\n' >"$T/m/small.txt"
head -c 4000000 /dev/urandom >"$T/m/big.bin" || fail "write through the mount failed"
cmp "$T/m/big.bin" "$T/b/big.bin" || fail "backing differs"
"$PROVFS" umount "$T/m" 2>"$T/err"
rc=$?
MOUNTS="$T/small"
assert_eq 1 "$rc" "umount exit with capture errors"
grep -q "could not be captured" "$T/err" || fail "umount message: $(cat "$T/err")"
n=$(sql "select count(*) from access where op='capture' and result=28 and path='/big.bin'")
assert_eq 1 "$n" "ENOSPC capture record"
assert_eq 1 "$(sql "select capture_errors from mount")" "capture_errors"
assert_eq "$(sha "$T/b/big.bin")" "$(output_digest /big.bin)" "digest still logged"
# provfs log names the file and the reason, in text and JSON.
"$PROVFS" log "$T/log.db" | grep -q "^  [a-z]*:/big.bin: No space left on device" ||
	fail "provfs log does not list the failed capture"
assert_eq "/big.bin 28" "$("$PROVFS" log --json "$T/log.db" | python3 -c '
import json, sys
print(" ".join("%s %d" % (f["path"], f["errno"]) for f in json.load(sys.stdin)["failed_captures"]))')" \
	"failed captures in provfs log --json"
"$PROVFS" store --store "$T/small/store" fsck >"$T/fsck" || fail "fsck: $(cat "$T/fsck")"
[ -z "$(ls -A "$T/small/store/tmp")" ] || fail "leftovers in tmp/: $(ls "$T/small/store/tmp")"
"$PROVFS" store --store "$T/small/store" path "$(sha "$T/b/small.txt")" >/dev/null ||
	fail "small file not captured"
umount "$T/small"
MOUNTS=""
exit 0

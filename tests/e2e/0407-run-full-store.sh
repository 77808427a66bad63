# A store that fills up during a build (a 6 MiB tmpfs): an output that
# cannot be copied into it makes provfs run exit 2 although the build
# succeeded, with a warning, a manifest still written, and provfs log naming
# the file and the reason.  A big file that failed to be captured but was
# deleted before the end is no output: that build exits 0.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/small" "$T/ws1" "$T/ws2"
mount -t tmpfs -o size=6m tmpfs "$T/small" || exit 77
MOUNTS="$T/small"
S=$T/small/store
cd "$T/ws1"
"$PROVFS" run --store "$S" --quiet --json --out "$T/small/m1.json" -- \
	sh -c 'head -c 8000000 /dev/urandom >big.bin && echo small >small.txt' \
	>"$T/run1.json" 2>"$T/err1"
assert_eq 2 "$?" "exit status with an output missing from the store"
grep -q "some outputs could not be captured into the store" "$T/err1" ||
	fail "message: $(cat "$T/err1")"
[ -s "$T/small/m1.json" ] || fail "no manifest written"
log=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["capture_errors"]; print(d["log"])' "$T/run1.json") ||
	fail "summary: $(cat "$T/run1.json")"
"$PROVFS" log "$log" | grep -q "workspace:/big.bin: No space left on device" ||
	fail "provfs log does not name the failed capture"
"$PROVFS" store --store "$S" fsck >/dev/null || fail "store fsck after a full store"
[ -z "$(ls -A "$S/tmp")" ] || fail "leftovers in the store's tmp/: $(ls "$S/tmp")"
cd "$T/ws2"
"$PROVFS" run --store "$S" --quiet --json --out "$T/small/m2.json" -- \
	sh -c 'head -c 8000000 /dev/urandom >scratch && sleep 2 && rm scratch && echo ok >out.txt' \
	>"$T/run2.json" 2>"$T/err2"
assert_eq 0 "$?" "exit status when only a deleted scratch file failed to be captured: $(cat "$T/err2")"
log=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["log"])' "$T/run2.json")
"$PROVFS" log "$log" | grep -q "workspace:/scratch: No space left on device" ||
	fail "the scratch file's capture did not fail: the case is not exercised"
"$PROVFS" verify --key "$S/keys/provfs.pub" --store "$S" "$T/small/m2.json" out.txt >/dev/null ||
	fail "the second build's manifest does not verify with its store"
cd "$T"
umount "$T/small"
MOUNTS=""
exit 0

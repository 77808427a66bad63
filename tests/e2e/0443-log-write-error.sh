# A log that cannot take a batch (its disk full) loses those records: the
# daemon goes on, and marks its mount log-write-error at the end.  umount
# says so and exits 1 (it exited 0, "every written file was captured"),
# and the JSON says log_write_error.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/small" "$T/src" "$T/m"
mount -t tmpfs -o size=512k provfs-e2e "$T/small" 2>/dev/null || exit 77
trap 'cleanup; umount "$T/small" 2>/dev/null' EXIT
echo in >"$T/src/in.txt"
# full_mount LOG MP: MP mounted with its log on the small filesystem,
# which is then filled, and 300 files written through it.
full_mount() {
	"$PROVFS" mount --store "$T/store" --log "$1" "$T/src" "$2" >/dev/null 2>&1 ||
		fail "mount on $2"
	MOUNTS="$2"
	head -c 600k /dev/zero >"$T/small/fill" 2>/dev/null
	i=0
	while [ $i -lt 300 ]; do
		echo $i >"$2/g$i"
		i=$((i + 1))
	done
}
full_mount "$T/small/f.db" "$T/m"
sleep 1
rm -f "$T/small/fill"
cat "$T/m/in.txt" >"$T/m/after.txt"
"$PROVFS" umount --json "$T/m" >"$T/out" 2>"$T/err"
rc=$?
MOUNTS=
assert_eq 1 "$rc" "umount after records were lost: $(cat "$T/err")"
grep -q "could not write some records" "$T/err" || fail "no warning: $(cat "$T/err")"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["log_write_error"] is True' \
	"$T/out" || fail "JSON: $(cat "$T/out")"
# The disk still full at the end: the daemon cannot record its end either.
# It served until the unmount and ended by itself: a log write error, not
# a death (it was said to have died).
rm -f "$T/small"/*
mkdir -p "$T/m2"
full_mount "$T/small/g.db" "$T/m2"
"$PROVFS" umount --json "$T/m2" >"$T/out2" 2>"$T/err2"
rc=$?
MOUNTS=
assert_eq 1 "$rc" "umount with the log's disk full: $(cat "$T/err2")"
grep -q "could not write some records" "$T/err2" || fail "no warning: $(cat "$T/err2")"
grep -q "had died" "$T/err2" && fail "a daemon that served to the end said to have died: $(cat "$T/err2")"
python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
assert j["log_write_error"] is True and j["daemon_died"] is False, j' "$T/out2" ||
	fail "JSON: $(cat "$T/out2")"
exit 0

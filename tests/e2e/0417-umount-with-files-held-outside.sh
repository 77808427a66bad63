# A process outside the build keeps a file of the slave's root open (a
# profiler, a shell left in /run/provfs/...): the kernel then keeps the
# filesystem alive after the unmount, and the daemon would wait for it
# forever.  provfs run still ends: its teardown detaches the mounts, and
# after a few seconds aborts the connection, says so, and writes the
# manifest.  provfs umount alone refuses a busy mount (exit 2, with a hint);
# with --force it detaches it, aborts, and finishes the log.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws"
cd "$T/ws"
holder=""
cleanup_holder() { [ -n "$holder" ] && kill "$holder" 2>/dev/null; }
trap 'cleanup_holder; cleanup' EXIT

timeout 120 "$PROVFS" run --quiet --store "$T/store" --out "$T/m.json" -- \
	sh -c 'while [ ! -e held ]; do sleep 0.1; done; echo built >out' 2>"$T/err" &
run=$!
n=0
while [ -z "$(ls "$T/store/builds" 2>/dev/null)" ] ||
	! grep -q " /run/provfs/run-$(ls "$T/store/builds")/root " /proc/mounts; do
	n=$((n + 1))
	[ $n -lt 300 ] || fail "the build's mounts did not appear"
	sleep 0.1
done
id=$(ls "$T/store/builds")
sleep 1000 </run/provfs/run-$id/root/etc/os-release &
holder=$!
# The file is held before the build may end.
n=0
until readlink "/proc/$holder/fd/0" 2>/dev/null | grep -q "/os-release\$"; do
	n=$((n + 1))
	[ $n -lt 300 ] || fail "the holder did not open the file: $(ls -l /proc/$holder/fd/ 2>&1)"
	sleep 0.1
done
touch /run/provfs/run-$id/workspace/held # through the mount: the build would not see it otherwise
wait $run
assert_eq 0 "$?" "provfs run's exit status (124: it hung)"
grep -q "connection was aborted" "$T/err" || fail "no word of the abort: $(cat "$T/err")"
assert_eq built "$(cat out)" "the build's output"
"$PROVFS" verify --key "$T/store/keys/provfs.pub" "$T/m.json" out >/dev/null ||
	fail "the manifest does not verify"
grep -q "run-$id/" /proc/mounts && fail "mounts left behind"
pgrep -f "provfs mount .*run-$id/" >/dev/null && fail "daemons left behind"
cleanup_holder
holder=""

# provfs umount on its own.
mkdir -p "$T/b" "$T/m"
echo data >"$T/b/f"
"$PROVFS" mount --store "$T/store" --log "$T/log.db" "$T/b" "$T/m" >/dev/null || fail "mount"
MOUNTS="$T/m"
sleep 1000 <"$T/m/f" &
holder=$!
"$PROVFS" umount "$T/m" 2>"$T/err"
assert_eq 2 "$?" "umount of a busy mount"
grep -q -- "--force" "$T/err" || fail "no hint: $(cat "$T/err")"
grep -q " $T/m " /proc/mounts || fail "a refused umount unmounted"
timeout 60 "$PROVFS" umount --force --json "$T/m" >"$T/out" 2>"$T/err"
assert_eq 0 "$?" "umount --force (124: it hung)"
MOUNTS=""
python3 -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["aborted"] is True else 1)' \
	"$T/out" || fail "json: $(cat "$T/out")"
grep -q "connection was aborted" "$T/err" || fail "no word of the abort: $(cat "$T/err")"
assert_eq "clean" "$(sqlite3 "$T/log.db" "select status from mount")" "the mount's status"
exit 0

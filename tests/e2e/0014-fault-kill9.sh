# kill -9 of the daemon during writes: the log opens and is consistent up to
# its last batch, the store has no corrupt object, and umount cleans up the
# dead mount, saying what happened.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/b" "$T/m"
pid=$("$PROVFS" mount --json --store "$T/store" --log "$T/log.db" "$T/b" "$T/m" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])') || fail "mount"
MOUNTS="$T/m"
(
	i=0
	while [ $i -lt 100000 ]; do
		head -c 20000 /dev/urandom >"$T/m/f$i" 2>/dev/null || break
		i=$((i + 1))
	done
) &
writer=$!
sleep 2
kill -9 "$pid"
wait $writer 2>/dev/null
"$PROVFS" umount "$T/m" 2>"$T/err"
rc=$?
MOUNTS=""
assert_eq 1 "$rc" "umount of a dead daemon's mount"
grep -q "had died" "$T/err" || fail "message: $(cat "$T/err")"
grep -q " $T/m " /proc/mounts && fail "dead mount left behind"
assert_eq ok "$(sql 'pragma integrity_check')" "log integrity"
"$PROVFS" log "$T/log.db" >/dev/null || fail "provfs log on the killed daemon's log"
n=$(sql "select count(*) from access where op='create'")
[ "$n" -gt 0 ] || fail "no committed records survived"
"$PROVFS" store --store "$T/store" fsck >"$T/fsck" || fail "store corrupt: $(cat "$T/fsck")"
exit 0

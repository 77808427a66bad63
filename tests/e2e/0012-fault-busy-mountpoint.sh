# A mount point that is already in use is refused (also with -f, saying why); the first mount keeps
# working; unmounting a busy mount says so.
. "$(dirname "$0")/lib.sh"
mount_ws "$T/b" "$T/m"
mkdir -p "$T/b2"
"$PROVFS" mount --store "$T/store" --log "$T/log2.db" "$T/b2" "$T/m" 2>"$T/err"
assert_eq 2 "$?" "second mount exit"
grep -q "busy" "$T/err" || fail "message: $(cat "$T/err")"
# In the foreground (-f) too: it exited 2 saying nothing.
"$PROVFS" mount -f --store "$T/store" --log "$T/log3.db" "$T/b2" "$T/m" 2>"$T/err-f"
assert_eq 2 "$?" "second mount -f exit"
grep -q "busy" "$T/err-f" || fail "mount -f message: $(cat "$T/err-f")"
echo x >"$T/m/still-works" || fail "first mount broken"
# busy on umount: a process holds a file open
sleep 30 <"$T/m/still-works" &
holder=$!
# the child opens the file after the fork: wait until it holds it
i=0
until [ "$(readlink "/proc/$holder/fd/0" 2>/dev/null)" = "$T/m/still-works" ]; do
	i=$((i + 1))
	[ "$i" -lt 200 ] || fail "the holder did not open the file"
	sleep 0.05
done
"$PROVFS" umount "$T/m" 2>"$T/err2"
rc=$?
kill $holder 2>/dev/null
wait $holder 2>/dev/null
assert_eq 2 "$rc" "busy umount exit"
grep -q "busy" "$T/err2" || fail "umount message: $(cat "$T/err2")"
umount_ws "$T/m"
# Three mounts on one free mount point at once: one mounts, the others
# find it busy (all three stacked, and umount then waited for a daemon
# serving a lower one).
mkdir -p "$T/m3" "$T/b3"
pids=
for i in 1 2 3; do
	"$PROVFS" mount --store "$T/store" --log "$T/race$i.db" "$T/b3" "$T/m3" >/dev/null 2>"$T/race$i.err" &
	pids="$pids $!"
done
# (these three only: a bare wait would wait for the test's watchdog too)
for p in $pids; do
	wait "$p"
done
assert_eq 1 "$(grep -c " $T/m3 " /proc/mounts)" "mounts on one mount point after three at once"
assert_eq 2 "$(cat "$T"/race?.err | grep -c busy)" "mounts refused as busy"
MOUNTS="$T/m3 $MOUNTS"
umount_ws "$T/m3"
# not mounted at all
"$PROVFS" umount "$T/m" 2>"$T/err3"
assert_eq 2 "$?" "umount of a plain dir"
grep -q "not a mount point" "$T/err3" || fail "message: $(cat "$T/err3")"
exit 0

# A daemon that is stopped (SIGSTOP; Ctrl-Z of a foreground mount) is
# continued by provfs umount, with a warning, and the unmount completes as
# usual: the log is complete (status clean) and what was written is in
# the store.  provfs umount used to wait for ever, in a statfs of the
# mount point that the stopped daemon never answered.  A mount point named
# by a path with a space in it (mountinfo escapes it) is found too.
. "$(dirname "$0")/lib.sh"
M="$T/mount point"
# (cleanup's list of mounts splits on spaces: this one is unmounted here)
trap '[ -n "${DAEMON_PID:-}" ] && kill -CONT "$DAEMON_PID" 2>/dev/null
	grep -q "^provfs $T/mount\\\\040point " /proc/mounts && "$PROVFS" umount "$M" >/dev/null 2>&1
	cleanup' EXIT
mount_daemon "$T/b" "$M"
MOUNTS=""
echo written >"$M/out.txt"
stop_daemon "$DAEMON_PID"
timeout -s KILL 60 "$PROVFS" umount "$M" 2>"$T/err"
assert_eq 0 "$?" "umount of a stopped daemon's mount ($(cat "$T/err"))"
grep -q "was stopped: continued it" "$T/err" || fail "no word of the stopped daemon: $(cat "$T/err")"
grep -q "^provfs $T/mount\\\\040point " /proc/mounts && fail "still mounted"
i=0
while kill -0 "$DAEMON_PID" 2>/dev/null && [ $i -lt 50 ]; do
	[ "$(sed 's/^.*) \(.\).*/\1/' "/proc/$DAEMON_PID/stat" 2>/dev/null)" = Z ] && break
	sleep 0.1
	i=$((i + 1))
done
[ $i -lt 50 ] || fail "the daemon did not end"
assert_eq clean "$(sql "SELECT status FROM mount")" "the mount's status in the log"
d=$(output_digest /out.txt)
assert_eq "$(echo written | sha256sum | cut -d' ' -f1)" "$d" "the output's digest"
[ -f "$(store_object "$T/store" "$d")" ] || fail "the output is not in the store"

exit 0

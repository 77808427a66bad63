# Where the kernel drops process events (the exec watch's socket buffer
# is full: the daemon stopped, or starved of CPU, while thousands of
# programs ran on the host), the daemon cannot know which of its
# processes ran another program meanwhile: every record then starts
# afresh at its pid's next request, as when posts are lost from the exec
# ring.  Here bash reads in.1 on the mount, then waits while the daemon
# is stopped and 6,000 programs run; then it runs cat from the host's
# /usr, whose event is dropped too, and cat reads in.2: that read is
# logged as cat's.  Before, as bash's.
. "$(dirname "$0")/lib.sh"
command -v bash >/dev/null && command -v python3 >/dev/null || exit 77
trap '[ -n "${DAEMON_PID:-}" ] && kill -CONT "$DAEMON_PID" 2>/dev/null; cleanup' EXIT
mount_daemon "$T/b" "$T/m"
m=$T/m
printf 'a\n' >"$m/in.1"
printf 'b\n' >"$m/in.2"
mkfifo "$T/go"
bash -c "read x <$m/in.1; touch $T/ready; read y <$T/go; exec /bin/cat $m/in.2 >/dev/null" &
reader=$!
i=0
while [ ! -e "$T/ready" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -e "$T/ready" ] || fail "bash did not read in.1"
# and the daemon has read bash's /proc (its record in the log), else that
# read, made after the stop, would find cat
i=0
while [ "$(sql "SELECT count(*) FROM process WHERE exe = '/usr/bin/bash'" 2>/dev/null)" != 1 ] &&
	[ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
stop_daemon "$DAEMON_PID"
python3 - <<'PY' || fail "the programs run while the daemon is stopped"
import os
for _ in range(6000):
    pid = os.posix_spawn("/bin/true", ["/bin/true"], os.environ)
    os.waitpid(pid, 0)
PY
echo go >"$T/go"
# cat has run by now (its open of in.2 waits on the daemon)
i=0
while [ "$(readlink "/proc/$reader/exe")" != /usr/bin/cat ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -CONT "$DAEMON_PID"
wait "$reader" || fail "bash and cat"
umount_ws "$T/m"
owner() { # PATH: the program of the record the read is logged under
	sql "SELECT p.exe FROM access a JOIN process p ON p.id = a.process
		WHERE a.op = 'open' AND a.path = '$1' LIMIT 1"
}
assert_eq /usr/bin/bash "$(owner /in.1)" "who read in.1"
assert_eq /usr/bin/cat "$(owner /in.2)" "who read in.2"
exit 0

# Every thread of the daemon, the request threads (io_uring rings or
# /dev/fuse readers), the hashing workers and the log writer, runs as
# SCHED_BATCH, so that a request queued by the kernel does not preempt the
# build process on that CPU: the scheduling policy (field 41 of
# /proc/PID/task/TID/stat) of each is 3, with io_uring and without.  The
# /proc reader (provfs-proc) is the exception: SCHED_FIFO (1), so that it
# reads a short-lived process before it exits.  The exec watch's thread
# (provfs-exec) is there, as root.
# The build process itself keeps its own policy.
# The daemon's fd table was grown before its threads started (growing a
# table that threads share waits for an RCU grace period, in a request):
# FDSize in /proc/PID/status is over 1024 before any file was opened.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/b" "$T/m"
printf 'x\n' >"$T/b/f"
for opt in "" --no-io-uring; do
	pid=$("$PROVFS" mount --json $opt --store "$T/store" --log "$T/log.db" "$T/b" "$T/m" |
		sed -n 's/^ *"pid": \([0-9]*\),*$/\1/p')
	MOUNTS="$T/m"
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || fail "no daemon pid from mount --json"
	fdsize=$(sed -n 's/^FDSize:[[:space:]]*//p' "/proc/$pid/status")
	[ "${fdsize:-0}" -gt 1024 ] || fail "daemon fd table holds $fdsize fds ($opt)"
	# Requests make the request threads exist.
	for i in 1 2 3 4 5; do cat "$T/m/f" >/dev/null; done
	n=0 procs=0 execs=0
	for st in /proc/$pid/task/*/stat; do
		# comm may hold spaces: count fields after the last ')'.
		policy=$(sed 's/.*) //' "$st" | awk '{print $39}')
		want=3
		case $(cat "${st%/stat}/comm") in
		provfs-proc) want=1 procs=$((procs + 1)) ;;
		provfs-exec) execs=$((execs + 1)) ;;
		esac
		assert_eq "$want" "$policy" "scheduling policy of daemon thread $st ($opt)"
		n=$((n + 1))
	done
	[ "$n" -ge 4 ] || fail "only $n daemon threads ($opt)"
	assert_eq 1 "$procs" "/proc reader threads ($opt)"
	assert_eq 1 "$execs" "exec watch threads ($opt)"
	assert_eq 0 "$(sed 's/.*) //' /proc/self/stat | awk '{print $39}')" \
		"policy of the shell using the mount"
	umount_ws "$T/m"
done
exit 0

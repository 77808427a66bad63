# With passthrough (the default where the kernel offers it) reads and writes
# of open files never reach the daemon: the kernel's fuse tracepoint sees no
# FUSE_READ or FUSE_WRITE for them, while opens are still sent (and logged);
# with --no-passthrough the same workload sends both.  Digests are right in
# both modes.
. "$(dirname "$0")/lib.sh"
# FUSE passthrough came with Linux 6.9.
kv=$(uname -r | cut -d. -f1-2)
[ "${kv%%.*}" -gt 6 ] || { [ "${kv%%.*}" = 6 ] && [ "${kv#*.}" -ge 9 ]; } ||
	{ echo "skip: kernel $kv has no FUSE passthrough"; exit 77; }
TR=/sys/kernel/tracing
[ -d "$TR/events" ] || mount -t tracefs tracefs "$TR" 2>/dev/null
[ -w "$TR/events/fuse/fuse_request_send/enable" ] ||
	{ echo "skip: no fuse tracepoint in tracefs"; exit 77; }
# Recording may have been switched off by someone else; this test needs it.
echo 1 >"$TR/tracing_on"

# count_ops MOUNTPOINT: runs the workload on it, prints "READS WRITES OPENS"
# the tracepoint saw for that mount.
count_ops() {
	echo >"$TR/trace"
	echo 1 >"$TR/events/fuse/fuse_request_send/enable"
	head -c 3000000 /dev/urandom >"$1/data"
	cat "$1/data" >/dev/null
	echo 3 >/proc/sys/vm/drop_caches
	cat "$1/data" >/dev/null
	echo 0 >"$TR/events/fuse/fuse_request_send/enable"
	fuse_trace "$1" >"$T/trace"
	echo "$(grep -c '(FUSE_READ)' "$T/trace") $(grep -c '(FUSE_WRITE)' "$T/trace")" \
		"$(grep -c -E '\(FUSE_(OPEN|CREATE)\)' "$T/trace")"
}

mount_ws "$T/b" "$T/m"
set -- $(count_ops "$T/m")
umount_ws "$T/m"
[ "$3" -ge 1 ] || fail "no open or create reached the daemon"
[ "$1" = 0 ] && [ "$2" = 0 ] ||
	fail "passthrough mount: $1 reads and $2 writes reached the daemon"
assert_eq "$(sha "$T/b/data")" "$(output_digest /data)" "digest with passthrough"

rm -f "$T/log.db"
mount_ws "$T/b2" "$T/m2" --no-passthrough
set -- $(count_ops "$T/m2")
umount_ws "$T/m2"
[ "$1" -ge 1 ] && [ "$2" -ge 1 ] || fail "--no-passthrough: reads $1, writes $2"
assert_eq "$(sha "$T/b2/data")" "$(output_digest /data)" "digest without passthrough"
exit 0

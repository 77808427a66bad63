# By default (as root, on a kernel with FUSE over io_uring) requests reach
# the daemon over io_uring: the kernel's io_uring tracepoint sees the
# daemon submit a URING_CMD (commit and fetch) for each request served,
# even when the module parameter was off before the mount (provfs turns it
# on).  Content, digests, fsync and copy_file_range (served on a thread of
# their own) are right; with --no-io-uring no URING_CMD is submitted.
# Reads the daemon serves itself (--no-passthrough) are read straight into
# the ring's reply buffer: 1 MiB, page-sized and odd-sized reads, a short
# read at the end of the file and one past it return the right bytes.
. "$(dirname "$0")/lib.sh"
P=/sys/module/fuse/parameters/enable_uring
[ -e "$P" ] || { echo "skip: this kernel has no FUSE over io_uring"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
TOP=/sys/kernel/tracing
[ -d "$TOP/events" ] || mount -t tracefs tracefs "$TOP" 2>/dev/null
[ -w "$TOP/events/io_uring/io_uring_submit_req/enable" ] ||
	{ echo "skip: no io_uring tracepoint in tracefs"; exit 77; }
# A trace instance of this test's own: its buffer holds only the event
# enabled here, whatever else the system traces meanwhile (the shared
# buffer drops its oldest events when full), and whether or not someone
# switched the shared recording off.
TR=$TOP/instances/provfs-e2e-0027
rmdir "$TR" 2>/dev/null
mkdir "$TR" || { echo "skip: no trace instances"; exit 77; }
EV=$TR/events/io_uring/io_uring_submit_req/enable
echo 1 >"$TR/tracing_on"

# workload MOUNTPOINT: 300 open/read/close, a write, an fsync, a cp, with
# the tracepoint on (uring_cmds turns it off).
workload() {
	echo >"$TR/trace"
	echo 1 >"$EV"
	printf 'hello\n' >"$1/small"
	for i in $(seq 300); do cat "$1/small"; done >"$T/cat.out"
	head -c 2000000 /dev/urandom >"$1/data"
	python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDWR); os.write(fd, b"x"); os.fsync(fd); os.close(fd)' "$1/data"
	cp "$1/data" "$1/copy"
}

# uring_cmds: how many URING_CMDs provfs submitted since the workload began
# (its threads are named provfs-ring0, provfs-slow, ...: the trace shows
# NAME-TID).  Taken after the unmount: the RELEASE of each close is sent
# in the background, a dozen at a time, and a clean-clone CI once counted
# 511 of some 925 with the tracepoint turned off right after the cp.
uring_cmds() {
	echo 0 >"$EV"
	grep -E '^ *provfs(-[a-z]+[0-9]*)?-[0-9]+ ' "$TR/trace" | grep -c 'opcode URING_CMD'
}

echo N >"$P"
mount_ws "$T/b" "$T/m"
assert_eq Y "$(cat "$P")" "enable_uring after a mount as root"
workload "$T/m"
assert_eq "$(for i in $(seq 300); do echo hello; done | sha256sum)" "$(sha256sum <"$T/cat.out")" \
	"content read over io_uring"
cmp -s "$T/b/data" "$T/b/copy" || fail "copy differs from data"
umount_ws "$T/m"
n=$(uring_cmds)
[ "$n" -ge 600 ] || fail "only $n URING_CMD submissions for 300 opens and releases"
for f in small data copy; do
	assert_eq "$(sha "$T/b/$f")" "$(output_digest "/$f")" "digest of $f"
done

rm -f "$T/log.db"
mkdir -p "$T/b3"
head -c 3145745 /dev/urandom >"$T/b3/big" # 3 MiB + 17 bytes
mount_ws "$T/b3" "$T/m3" --no-passthrough
echo >"$TR/trace"
echo 1 >"$EV"
# O_DIRECT: every read() is a READ request, none is served from the cache.
dd if="$T/m3/big" iflag=direct bs=1M status=none | sha256sum >"$T/r1"
dd if="$T/m3/big" iflag=direct bs=4096 status=none | sha256sum >"$T/r2"
dd if="$T/m3/big" iflag=direct bs=1000 skip=3145 status=none | od -An -tx1 >"$T/r3"
python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY|os.O_DIRECT); print(len(os.pread(fd, 65536, 3145745 + 10)))' \
	"$T/m3/big" >"$T/r4"
echo 0 >"$EV"
n=$(grep -E '^ *provfs(-[a-z]+[0-9]*)?-[0-9]+ ' "$TR/trace" | grep -c 'opcode URING_CMD')
umount_ws "$T/m3"
[ "$n" -ge 10 ] || fail "reads were not served over io_uring ($n URING_CMDs)"
assert_eq "$(sha256sum <"$T/b3/big")" "$(cat "$T/r1")" "1 MiB reads over io_uring"
assert_eq "$(sha256sum <"$T/b3/big")" "$(cat "$T/r2")" "4 KiB reads over io_uring"
assert_eq "$(tail -c 745 "$T/b3/big" | od -An -tx1)" "$(cat "$T/r3")" "short read at the end"
assert_eq 0 "$(cat "$T/r4")" "bytes read past the end"

rm -f "$T/log.db"
mount_ws "$T/b2" "$T/m2" --no-io-uring
workload "$T/m2"
umount_ws "$T/m2"
n=$(uring_cmds)
assert_eq 0 "$n" "URING_CMD submissions with --no-io-uring"
assert_eq "$(sha "$T/b2/copy")" "$(output_digest /copy)" "digest of copy without io_uring"
rmdir "$TR"
exit 0

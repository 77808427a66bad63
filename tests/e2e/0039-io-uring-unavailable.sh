# The kernel offers FUSE over io_uring but the daemon cannot have it (here:
# io_uring switched off for everyone, kernel.io_uring_disabled=2).  Once an
# INIT reply asks for io_uring, the kernel holds every request until the
# rings register, so asking without rings hung the mount for good: the
# first stat never returned.  The daemon now sets up its rings before it
# answers INIT and asks only if that worked: the mount serves requests
# through /dev/fuse, with the same content and log.
. "$(dirname "$0")/lib.sh"
[ -e /sys/module/fuse/parameters/enable_uring ] ||
	{ echo "skip: this kernel has no FUSE over io_uring"; exit 77; }
S=/proc/sys/kernel/io_uring_disabled
[ -w "$S" ] || { echo "skip: no kernel.io_uring_disabled to set"; exit 77; }
was=$(cat "$S")
trap 'echo "$was" >"$S"; cleanup' EXIT
echo 2 >"$S"
mount_ws "$T/b" "$T/m"
timeout 20 sh -c "echo hello >'$T/m/f' && mkdir '$T/m/d' && cat '$T/m/f' >'$T/m/d/g'" ||
	fail "requests on a mount without io_uring rings did not complete (exit $?)"
assert_eq hello "$(timeout 20 cat "$T/m/d/g")" "content read back through the mount"
echo "$was" >"$S"
umount_ws "$T/m"
assert_eq hello "$(cat "$T/b/d/g")" "content in the backing directory"
assert_eq clean "$(sql "select status from mount")" "mount status"
assert_eq 1 "$(sql "select count(*) from access where op='create' and path='/d/g'")" "the create is logged"

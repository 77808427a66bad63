# On a backing filesystem whose directory offsets stay valid across opens
# (tmpfs here; ext4, XFS, btrfs too) a directory is listed without OPENDIR
# requests: each READDIR opens the directory at the offset the kernel
# names, and the kernel caches what it read.  A listing longer than one
# request comes out whole, once per name, at every offset; a second
# listing of an unchanged directory reaches no daemon; a change made
# through the mount shows in the next listing; the first listing is
# logged as "readdir".  On overlayfs, whose offsets are not stable, the
# daemon keeps an open stream per directory (OPENDIR is still sent), and
# listings are just as complete.
. "$(dirname "$0")/lib.sh"
TR=/sys/kernel/tracing
[ -d "$TR/events" ] || mount -t tracefs tracefs "$TR" 2>/dev/null
[ -w "$TR/events/fuse/fuse_request_send/enable" ] ||
	{ echo "skip: no fuse tracepoint in tracefs"; exit 77; }
echo 1 >"$TR/tracing_on"
mkdir -p "$T/tb" "$T/lower" "$T/upper" "$T/work" "$T/ob"
mount -t tmpfs provfs-e2e "$T/tb" || exit 77
mount -t overlay provfs-e2e -o "lowerdir=$T/lower,upperdir=$T/upper,workdir=$T/work" "$T/ob" 2>/dev/null ||
	{ umount "$T/tb"; exit 77; }
trap 'cleanup; umount "$T/tb" "$T/ob" 2>/dev/null' EXIT

trace_on() {
	echo >"$TR/trace"
	echo 1 >"$TR/events/fuse/fuse_request_send/enable"
}
trace_off() {
	echo 0 >"$TR/events/fuse/fuse_request_send/enable"
}
# trace_count OP...: how many requests of these opcodes were sent to the
# mount at $TM between trace_on and trace_off
trace_count() {
	pat=$(printf '|FUSE_%s' "$@")
	fuse_trace "$TM" | grep -c -E "\\((${pat#|})\\)"
}

# listing DIR: the names in DIR, sorted, one per line (python's listdir
# reads to the end with getdents; ls would too)
listing() {
	python3 -c 'import os, sys; print("\n".join(sorted(os.listdir(sys.argv[1]))))' "$1"
}

# many names, long ones, so one listing needs many READDIR requests
python3 - "$T/tb/d" "$T/ob/d" <<'PY' || fail "making the directories"
import os, sys
for top in sys.argv[1:]:
    os.makedirs(top)
    for i in range(700):
        open(f"{top}/entry-{i:04d}-" + "x" * 60, "w").close()
PY
want=$(listing "$T/tb/d")
assert_eq 700 "$(echo "$want" | wc -l)" "names made"

mount_ws "$T/tb" "$T/tm"
TM=$T/tm
# the first OPENDIR reaches the daemon, which answers ENOSYS: none follow
ls "$T/tm" >/dev/null || fail "listing the mount's top"
trace_on
assert_eq "$want" "$(listing "$T/tm/d")" "first listing through the mount"
trace_off
opendirs=$(trace_count OPENDIR)
reads=$(trace_count READDIR READDIRPLUS)
[ "$opendirs" = 0 ] || fail "tmpfs backing: $opendirs OPENDIR requests were sent"
[ "$reads" -ge 4 ] || fail "the listing took only $reads READDIR requests: not long enough to test offsets"

trace_on
assert_eq "$want" "$(listing "$T/tm/d")" "second listing"
trace_off
assert_eq 0 "$(trace_count READDIR READDIRPLUS OPENDIR)" "requests for a second listing of an unchanged directory"

# a getdents buffer smaller than one request: the kernel asks again from
# each offset it was given
python3 - "$T/tm/d" "$want" <<'PY' || fail "listing with a small getdents buffer"
import os, sys, ctypes
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
buf = ctypes.create_string_buffer(512)
names = []
while True:
    n = libc.syscall(217, fd, buf, 512)  # getdents64
    if n < 0:
        sys.exit("getdents64 failed: errno %d" % ctypes.get_errno())
    if n == 0:
        break
    pos = 0
    while pos < n:
        reclen = int.from_bytes(buf.raw[pos + 16:pos + 18], "little")
        name = buf.raw[pos + 19:pos + reclen].split(b"\0", 1)[0].decode()
        if name not in (".", ".."):
            names.append(name)
        pos += reclen
os.close(fd)
want = sys.argv[2].split("\n")
if sorted(names) != want or len(names) != len(set(names)):
    sys.exit("small-buffer listing: %d names, %d distinct, %d wanted" %
             (len(names), len(set(names)), len(want)))
PY

# a change through the mount drops the cached listing
touch "$T/tm/d/added" || fail "creating a file through the mount"
rm "$T/tm/d/entry-0000-$(printf 'x%.0s' $(seq 60))" || fail "removing through the mount"
want2=$(listing "$T/tb/d")
assert_eq "$want2" "$(listing "$T/tm/d")" "listing after a create and a remove"
umount_ws "$T/tm"
[ "$(sql "select count(*) from access where op='readdir' and path='/d' and result=0")" -ge 1 ] ||
	fail "no readdir record for /d"

rm -f "$T/log.db"
mount_ws "$T/ob" "$T/om"
TM=$T/om
trace_on
assert_eq "$want" "$(listing "$T/om/d")" "listing through a mount of overlayfs"
trace_off
opendirs=$(trace_count OPENDIR)
umount_ws "$T/om"
[ "$opendirs" -ge 1 ] || fail "overlayfs backing: no OPENDIR request was sent"
exit 0

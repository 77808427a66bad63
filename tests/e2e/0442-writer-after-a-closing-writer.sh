# A writer that opens while the last one's close is still being handled
# (here: its name went, and the daemon looks through a directory of 60,000
# entries for the file's other link) must not get the closing writer's
# inline digest: the close-write named the first writer's bytes ("A"s)
# while the file held the second's ("B"s), and the store kept the B bytes
# under the A digest (fsck: corrupt).  And a read beside a passthrough
# writer is logged with what it read, not with the digest of an earlier
# read at the same size (the writer's writes do not pass the daemon).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || exit 77
mkdir -p "$T/b"
: >"$T/b/f"
ln "$T/b/f" "$T/b/h"
python3 -c 'import sys
for i in range(60000): open("%s/z%05d" % (sys.argv[1], i), "w").close()' "$T/b" ||
	fail "making the directory"
mount_ws "$T/b" "$T/m"
cd "$T/m" || fail "cd"
python3 - <<'EOF2' || fail "the writers"
import mmap, os, time
buf = mmap.mmap(-1, 4096)
buf.write(b"A" * 4096)
fd = os.open("f", os.O_WRONLY | os.O_TRUNC | os.O_DIRECT)  # served by the daemon: inline hash
os.pwrite(fd, buf, 0)
os.unlink("f")
os.close(fd)  # its release looks for the file's other name, h
time.sleep(0.005)
fd = os.open("h", os.O_WRONLY)  # a passthrough writer
os.pwrite(fd, b"B" * 4096, 0)
os.close(fd)
EOF2
printf CCCC >g
python3 - <<'EOF2' || fail "the reads beside a writer"
import os, subprocess, time
fd = os.open("g", os.O_RDWR)
os.pwrite(fd, b"DDDD", 0)
time.sleep(0.2)
subprocess.run(["cat", "g"], stdout=subprocess.DEVNULL)
time.sleep(0.3)
os.pwrite(fd, b"EEEE", 0)
time.sleep(0.2)
subprocess.run(["cat", "g"], stdout=subprocess.DEVNULL)
# The writer stays open until the read is hashed: its close moves the
# file's generation, and a read hashed after it gets no digest (what it
# read can no longer be told from what the writer wrote after it).
time.sleep(0.5)
os.close(fd)
EOF2
cd "$T"
umount_ws "$T/m"
assert_eq "$(sha "$T/b/h")" "$(output_digest /h)" "output h"
"$PROVFS" store --store "$T/store" fsck >"$T/fsck" 2>&1 || fail "store fsck: $(cat "$T/fsck")"
want=$(printf EEEE | sha256sum | cut -c1-64)
got=$(sql "SELECT digest_after FROM access WHERE op = 'open' AND path = '/g' AND digest_after IS NOT NULL ORDER BY id DESC LIMIT 1")
assert_eq "$want" "$got" "digest of the last read of g (EEEE)"

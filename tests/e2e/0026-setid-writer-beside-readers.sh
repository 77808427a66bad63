# The kernel fails (EIO) an open whose I/O mode differs from the inode's
# other open files, so provfs never mixes them: a non-owner writer of a
# setuid file (served by the daemon, which clears the bits on its first
# write) and readers of the same file (passthrough) open fine in either
# order, the content is right, and setuid/setgid end up cleared.  Both
# with passthrough and without.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || exit 77
[ "$(id -u)" = 0 ] || exit 77
chmod 755 "$T"
for mode in "" --no-passthrough; do
	rm -rf "$T/b"
	mkdir -p "$T/b"
	for f in writer-first reader-first; do
		printf 'start\n' >"$T/b/$f"
		chmod 06777 "$T/b/$f"
	done
	mount_ws "$T/b" "$T/m" $mode
	python3 - "$T/m" <<'PY' || fail "opens beside a setid writer ($mode)"
import os, signal, sys
m = sys.argv[1]
signal.alarm(20) # a failed open must not leave the test waiting

def as_nobody_append(path, r, w):
    """Child: opens path for append as nobody, says so, waits, writes."""
    pid = os.fork()
    if pid == 0:
        signal.alarm(20)
        os.setgroups([]); os.setgid(65534); os.setuid(65534)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        os.write(w, b"o")
        os.read(r, 1)
        os.write(fd, b"more\n")
        os.close(fd)
        os._exit(0)
    return pid

# writer first, then a reader
r1, w1 = os.pipe(); r2, w2 = os.pipe()
pid = as_nobody_append(m + "/writer-first", r2, w1)
os.read(r1, 1)
with open(m + "/writer-first") as f:
    assert f.read() == "start\n"
os.write(w2, b"g")
assert os.waitpid(pid, 0)[1] == 0
# a reader first, then the writer, while the reader stays open
reader = open(m + "/reader-first")
r1, w1 = os.pipe(); r2, w2 = os.pipe()
pid = as_nobody_append(m + "/reader-first", r2, w1)
os.read(r1, 1)
os.write(w2, b"g")
assert os.waitpid(pid, 0)[1] == 0
assert reader.read() == "start\nmore\n", "reader saw the append"
reader.close()
for name in ("writer-first", "reader-first"):
    with open(m + "/" + name) as f:
        assert f.read() == "start\nmore\n", name
    mode = os.stat(m + "/" + name).st_mode & 0o7777
    assert mode == 0o777, (name, oct(mode))
PY
	umount_ws "$T/m"
	for f in writer-first reader-first; do
		assert_eq "$(sha "$T/b/$f")" "$(output_digest "/$f")" "digest of $f ($mode)"
	done
	rm -f "$T/log.db"
done
exit 0

# An open for writing with O_NONBLOCK (touch(1) opens so) failed with
# EAGAIN while anyone held a read lease on the file: the daemon opened
# its backing file with the caller's O_NONBLOCK, and holds such a lease
# for a moment at each last writer's release (the check for a mapping
# that outlives its descriptor), so about 1 such open in 60,000 failed
# beside another writer.  Natively a lease is broken and the open waits;
# it does through the mount now.  Here a lease of the test's own, given up
# when the kernel asks (SIGIO), stands in for the daemon's.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || exit 77
mkdir -p "$T/b"
echo old >"$T/b/f"
mount_ws "$T/b" "$T/m"
python3 - "$T/b/f" "$T/m/f" <<'PY' || fail "an O_NONBLOCK open for writing beside a lease"
import fcntl, os, signal, sys, time
F_SETLEASE = 1024
def give_up(sig, frame):
    fcntl.fcntl(fd, F_SETLEASE, fcntl.F_UNLCK)
signal.signal(signal.SIGIO, give_up)
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.fcntl(fd, F_SETLEASE, fcntl.F_RDLCK)
pid = os.fork()
if pid == 0:
    try:
        w = os.open(sys.argv[2], os.O_WRONLY | os.O_NONBLOCK)
        os.write(w, b"new\n")
        os.close(w)
        os._exit(0)
    except OSError as e:
        print("open through the mount:", e, file=sys.stderr)
        os._exit(1)
for _ in range(300):
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.1)
else:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    sys.exit("the open never ended")
sys.exit(os.waitstatus_to_exitcode(status))
PY
umount_ws "$T/m"
assert_eq new "$(cat "$T/b/f")" "the file written"

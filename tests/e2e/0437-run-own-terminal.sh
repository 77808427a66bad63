# The build never has the caller's terminal as its controlling terminal:
# it cannot push input into it (TIOCSTI) for the caller's shell to run
# once provfs has ended, nor open it as /dev/tty.  Run in the foreground
# of a terminal, the build gets a terminal of its own (a pty of the
# slave's devpts, as `podman run -t` gives): `tty` names it, the build is
# its foreground, the caller's size is passed on, and so is a change of
# it, and the caller's terminal is as it was afterwards; in the
# background of a terminal, the build reads /dev/null.  Before, a build's
# TIOCSTI landed in the caller's input, and `tty` said "not a tty".  The
# terminal here is script(1)'s.  A pending end of file reaches the build.
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null || exit 77
command -v python3 >/dev/null || exit 77
mkdir -p "$T/ws"
cd "$T/ws"
cat >inj.py <<'PY'
import errno, fcntl, os, termios
def attempt(f):
    try:
        f()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
try:
    print("tty=%s" % os.ttyname(0))
except OSError as e:
    print("tty=%s" % errno.errorcode.get(e.errno, str(e.errno)))
try:
    print("fg=%s" % (os.tcgetpgrp(0) == os.getpgrp()))
except OSError as e:
    print("fg=%s" % errno.errorcode.get(e.errno, str(e.errno)))
print("sti=%s" % attempt(lambda: [fcntl.ioctl(0, termios.TIOCSTI, c.encode())
                                  for c in "echo INJECTED\n"]))
print("devtty=%s" % attempt(lambda: os.close(os.open("/dev/tty", os.O_RDWR))))
PY
cat >drive.sh <<EOF
stty rows 31 cols 101
stty -g >"$T/before"
"$PROVFS" run --store "$T/store" --quiet -- sh -c 'python3 inj.py; stty size; exit 7'
echo "status=\$?"
stty -g >"$T/after"
read -r -t 2 line; echo "caller-read=[\$line]"
(sleep 2; stty -F /dev/tty rows 41 cols 123) &
"$PROVFS" run --store "$T/store" --quiet -- sh -c 'sleep 4; echo "resized=\$(stty size)"'
"$PROVFS" run --store "$T/store" --quiet -- python3 inj.py | sed 's/^/piped-/'
set -m
timeout 20 "$PROVFS" run --store "$T/store" --quiet -- sh -c 'read -r x; echo "bg-read=\$?"' &
wait \$!
EOF
mkfifo in
sleep 60 >in &
feeder=$!
timeout 90 script -qec "bash drive.sh" "$T/typescript" <in >/dev/null 2>&1
kill $feeder 2>/dev/null
tr -d '\r' <"$T/typescript" >out
cat out
grep -q '^tty=/dev/pts/[0-9]' out || fail "the build's stdin is no terminal of its own"
grep -q '^fg=True' out || fail "the build is not its terminal's foreground"
grep -q '^sti=ok' out || fail "the build could not use its own terminal"
grep -q '^31 101$' out || fail "the caller's terminal size was not passed on"
grep -q '^status=7$' out || fail "exit status through the terminal"
grep -q '^resized=41 123$' out || fail "the caller's new terminal size was not passed on"
grep -q '^caller-read=\[\]$' out || fail "the build's TIOCSTI reached the caller's terminal"
cmp -s "$T/before" "$T/after" || fail "the caller's terminal settings changed"
# Output piped: no terminal of its own, and none to reach.
grep -q '^piped-sti=' out || fail "the piped run did not try TIOCSTI"
grep -q '^piped-devtty=' out || fail "the piped run did not try /dev/tty"
grep -q '^piped-sti=ok' out && fail "the build pushed input into the caller's terminal"
grep -q '^piped-devtty=ok' out && fail "the build opened the caller's terminal as /dev/tty"
# A background job (of a shell with job control) reads /dev/null, not the
# terminal, whose input is the shell's.
grep -q '^bg-read=1$' out || fail "a background build's read of stdin did not end at once"
# An end of file the terminal held before provfs took it raw reaches the
# build as one (script -c ... </dev/null writes ^D into its pty at once):
# it was a NUL byte, and a build reading stdin waited for ever.
timeout 30 script -qec "$PROVFS run --store $T/store --quiet -- sh -c 'cat; echo eof-seen'" \
	/dev/null </dev/null >"$T/eof.out" 2>&1
assert_eq 0 "$?" "a build reading stdin after a pending end of file: $(cat -v "$T/eof.out")"
grep -q "eof-seen" "$T/eof.out" || fail "the build saw no end of file: $(cat -v "$T/eof.out")"
exit 0

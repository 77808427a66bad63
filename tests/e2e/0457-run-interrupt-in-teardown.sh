# A Ctrl-C (SIGINT) to provfs run once the build has ended, while its
# files go into the store and its manifest is written, is said and let
# be: the record is written whole and the build's status is run's.  It
# killed run at once, with no word, and the manifest of a build that had
# succeeded was lost.  (Before and during the build, SIGINT is as before.)
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/python3 ] || exit 77
mkdir -p "$T/ws"
cd "$T/ws"
cat >"$T/ctrlc.py" <<'PY'
import os, pty, select, sys
pat = sys.argv[1].encode()
pid, fd = pty.fork()  # run in the foreground of a terminal, as a user's
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
out, sent = b"", 0
while True:
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try:
            d = os.read(fd, 65536)
        except OSError:
            break
        if not d:
            break
        out += d
    if sent < 3 and pat in out:
        os.write(fd, b"\x03")  # Ctrl-C, three times
        sent += 1
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
print("exit:", os.waitstatus_to_exitcode(st))
PY
/usr/bin/python3 "$T/ctrlc.py" unmounting "$PROVFS" run --store "$T/store" --out "$T/m.json" -- \
	sh -c 'i=0; while [ $i -lt 100 ]; do head -c 2000000 /dev/zero >f$i; i=$((i + 1)); done' \
	>"$T/out" 2>&1
grep -q "^exit: 0" "$T/out" || fail "run's status after Ctrl-C in the teardown: $(tail -5 "$T/out")"
[ -s "$T/m.json" ] || fail "no manifest after Ctrl-C in the teardown: $(tail -5 "$T/out")"
"$PROVFS" verify --key "$T/store/keys/provfs.pub" "$T/m.json" f99 >/dev/null 2>"$T/err" ||
	fail "the manifest: $(cat "$T/err")"
exit 0

# What the build leaves running when COMMAND ends (a background job, a
# daemon it started) is stopped as on a shutdown: SIGTERM first, so it can
# clean up (a file it writes then is still logged and an output), SIGKILL
# after the grace period for one that ignores SIGTERM.  provfs run says so
# on stderr, in --json (left_running) and in the manifest's slave facts
# (left-running=N); a build that leaves nothing says left-running=0.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws"
cd "$T/ws"
nap="sleep 9$$" # a duration no other process on the machine sleeps for
start=$(date +%s)
"$PROVFS" run --store "$T/store" --json --out "$T/m.json" -- sh -c "
	(trap 'echo cleaned >cleaned.txt; exit 0' TERM; while :; do sleep 0.1; done) &
	(trap '' TERM; exec $nap) &
	sleep 0.3; echo main >main.txt" >"$T/run.json" 2>"$T/err"
assert_eq 0 "$?" "exit status (COMMAND's)"
took=$(($(date +%s) - start))
[ "$took" -lt 60 ] || fail "provfs run waited for the left processes ($took s)"
pgrep -x -f "$nap" >/dev/null && fail "a process that ignored SIGTERM outlived the slave"
assert_eq cleaned "$(cat cleaned.txt 2>/dev/null)" "what the SIGTERM handler wrote"
grep -q "warning: the build left [0-9]* processes running" "$T/err" || fail "no warning: $(cat "$T/err")"
python3 - "$T/run.json" "$T/m.json" <<'PY' || fail "left running in --json and the manifest"
import base64, json, sys
left = json.load(open(sys.argv[1]))["left_running"]
assert "sleep" in left and "sh" in left, left
st = json.loads(base64.b64decode(json.load(open(sys.argv[2]))["payload"]))
slave = st["predicate"]["buildDefinition"]["internalParameters"]["slave"]
assert slave["left-running"] == str(len(left)), (slave, left)
names = [s["name"] for s in st["subject"]]
assert "cleaned.txt" in names and "main.txt" in names, names
PY
"$PROVFS" run --store "$T/store" --json --out "$T/m2.json" -- true >"$T/run2.json" 2>"$T/err2"
assert_eq 0 "$?" "a build that leaves nothing"
! grep -q "warning" "$T/err2" || fail "a warning for a build that left nothing: $(cat "$T/err2")"
# Progress, on stderr: the unmount, which waits for the store, says so.
grep -q "^provfs: unmounting: the build's files go into the store" "$T/err2" ||
	fail "no progress line for the unmount: $(cat "$T/err2")"
python3 - "$T/run2.json" "$T/m2.json" <<'PY' || fail "nothing left running"
import base64, json, sys
assert json.load(open(sys.argv[1]))["left_running"] == []
st = json.loads(base64.b64decode(json.load(open(sys.argv[2]))["payload"]))
assert st["predicate"]["buildDefinition"]["internalParameters"]["slave"]["left-running"] == "0"
PY
# A helper that ends by itself as COMMAND ends (here on the end of a pipe
# whose writer was COMMAND, as Python's multiprocessing resource tracker
# does) is no leftover: no warning, left-running=0, what it wrote is an
# output.
mkfifo pipe
"$PROVFS" run --store "$T/store" --json --out "$T/m3.json" -- sh -c '
	{ cat >/dev/null; sleep 0.05; echo late >late.txt; } <pipe &
	exec 4>pipe; echo main >main3.txt' >"$T/run3.json" 2>"$T/err3"
assert_eq 0 "$?" "a build whose helper ends with it"
! grep -q "warning" "$T/err3" || fail "a warning for a helper that ended by itself: $(cat "$T/err3")"
assert_eq late "$(cat late.txt 2>/dev/null)" "what the helper wrote"
python3 - "$T/run3.json" "$T/m3.json" <<'PY' || fail "a helper that ended by itself"
import base64, json, sys
assert json.load(open(sys.argv[1]))["left_running"] == []
st = json.loads(base64.b64decode(json.load(open(sys.argv[2]))["payload"]))
assert st["predicate"]["buildDefinition"]["internalParameters"]["slave"]["left-running"] == "0"
assert "late.txt" in [s["name"] for s in st["subject"]]
PY
exit 0

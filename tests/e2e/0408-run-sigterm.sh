# SIGTERM to provfs run during the build (a CI job cancelled): the slave and
# every process in it get SIGTERM, then SIGKILL 2 s later, the mounts are taken down, a manifest is
# written with exit status 143 and the outputs made so far, and provfs run
# exits 143.  Before, the three mount daemons and their mounts stayed.
# Ctrl-C is the build's to handle: its status becomes provfs's.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws"
cd "$T/ws"
before=$(grep -c ' fuse' /proc/mounts)
nap="sleep 9$$" # a duration no other process on the machine sleeps for
"$PROVFS" run --store "$T/store" --quiet --out "$T/m.json" -- \
	sh -c "echo started >started.txt; $nap; echo late >late.txt" 2>"$T/err" &
runner=$!
i=0
while [ ! -s "$T/ws/started.txt" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
[ -s "$T/ws/started.txt" ] || fail "the build did not start"
kill -TERM $runner
wait $runner
assert_eq 143 "$?" "exit status after SIGTERM"
grep -q "terminated by signal 15" "$T/err" || fail "message: $(cat "$T/err")"
[ ! -e "$T/ws/late.txt" ] || fail "the build went on after SIGTERM"
pgrep -x -f "$nap" >/dev/null && fail "a process of the slave outlived it"
assert_eq "$before" "$(grep -c ' fuse' /proc/mounts)" "mounts left behind"
[ -z "$(pgrep -f -- "--log $T/store/builds/")" ] || fail "a mount daemon is still running"
python3 - "$T/m.json" <<'PY' || fail "manifest of the terminated build"
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
byp = {b["name"]: b for b in st["predicate"]["runDetails"]["byproducts"]}
assert byp["exit-status"]["annotations"]["exitStatus"] == 143, byp["exit-status"]
assert any(s["name"].endswith("started.txt") for s in st["subject"]), st["subject"]
PY

# The build gets that SIGTERM first, as on a shutdown, and 2 s to end
# before the slave is killed: make deletes the target it was writing.
# Before, the slave was killed at once, and the half-written target stayed,
# newer than its sources: the next make took it as up to date.  A process
# that ignores SIGTERM runs on for those 2 s, then is killed.
mkdir -p "$T/ws6" && cd "$T/ws6"
printf 'out: in\n\t(echo part; sleep 87; echo rest) >out\n' >Makefile
echo x >in
"$PROVFS" run --store "$T/store" --quiet -- make >/dev/null 2>"$T/err6" &
runner=$!
i=0
while [ ! -s out ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
[ -s out ] || fail "make did not start writing its target"
kill -TERM $runner
wait $runner
assert_eq 143 "$?" "exit status of make after SIGTERM"
grep -q "Deleting file 'out'" "$T/err6" || fail "make did not delete its target: $(cat "$T/err6")"
[ ! -e out ] || fail "the half-written target stayed"
"$PROVFS" run --store "$T/store" --quiet -- sh -c '
	trap "" TERM; i=0; echo 0 >n
	while :; do i=$((i + 1)); echo $i >n.new && mv n.new n; sleep 0.1; done' 2>"$T/err7" &
runner=$!
count() { n=$(cat n 2>/dev/null); echo "${n:-0}"; }
i=0
while [ "$(count)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
at=$(count)
[ "$at" -ge 3 ] || fail "the build ignoring SIGTERM did not start: $(cat "$T/err7")"
kill -TERM $runner
wait $runner
assert_eq 143 "$?" "exit status of a build ignoring SIGTERM"
[ "$(count)" -ge $((at + 5)) ] || fail "the build did not run on after SIGTERM: $at then $(count)"
assert_eq "$before" "$(grep -c ' fuse' /proc/mounts)" "mounts after a build ignoring SIGTERM"
# SIGHUP (a terminal closed) reaches the build as SIGHUP (it came as
# SIGTERM: a trap on HUP never ran), and the first signal is the one the
# exit status tells of (a later one during the grace took its place).
cat >sig.sh <<'SH'
trap 'echo HUP >got; exit 1' HUP
trap 'sleep 1; echo TERM >got; exit 1' TERM
echo started >started
sleep 85 & wait
SH
for sig in HUP:129 TERM:143; do
	want=${sig#*:}
	sig=${sig%:*}
	rm -f got started
	"$PROVFS" run --store "$T/store" --quiet -- bash sig.sh 2>/dev/null &
	runner=$!
	i=0
	while [ ! -e started ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
	kill -$sig $runner
	[ $sig = TERM ] && { sleep 0.2; kill -HUP $runner 2>/dev/null; }
	wait $runner
	assert_eq "$want" "$?" "exit status after SIG$sig"
	assert_eq $sig "$(cat got 2>/dev/null)" "the signal the build got for SIG$sig"
done
cd "$T/ws"

# Ctrl-C (SIGINT to the whole foreground group): the build decides.  This
# one cleans up and exits 5; provfs exits 5 with it.  Before, the sandbox's
# outer process died of the SIGINT and took the build with it (130).
mkdir -p "$T/ws2" && cd "$T/ws2"
cat >c.sh <<'EOF'
trap 'sleep 1; echo cleaned >cleaned.txt; exit 5' INT
echo started >started.txt
sleep 97 &
wait
EOF
cat >"$T/ctrlc.py" <<'EOF'
import os, signal, subprocess, sys, time
p = subprocess.Popen(sys.argv[1:], start_new_session=True,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
for _ in range(100):
    if os.path.exists("started.txt"):
        break
    time.sleep(0.1)
os.killpg(p.pid, signal.SIGINT)
sys.exit(p.wait())
EOF
python3 "$T/ctrlc.py" "$PROVFS" run --store "$T/store" --quiet -- sh c.sh 2>"$T/err2"
assert_eq 5 "$?" "exit status after Ctrl-C: $(cat "$T/err2")"
[ -s cleaned.txt ] || fail "the build's SIGINT handler did not finish"
assert_eq "$before" "$(grep -c ' fuse' /proc/mounts)" "mounts after Ctrl-C"

# Ctrl-Z (SIGTSTP to the whole foreground group) stops the build with
# provfs, and fg (SIGCONT) continues both.  The build runs in a session of
# its own, where the kernel ignores SIGTSTP, so the slave's PID 1 passes it
# on as SIGSTOP; without that the build ran on while provfs was stopped.
mkdir -p "$T/ws3" && cd "$T/ws3"
cat >tick.sh <<'EOF'
i=0
while [ $i -lt 30 ]; do i=$((i + 1)); echo $i >tick; sleep 0.1; done
echo done >done.txt
EOF
cat >"$T/ctrlz.py" <<'EOF'
import os, signal, subprocess, sys, time
p = subprocess.Popen(sys.argv[1:], start_new_session=True)
def tick():
    try:
        return open("tick").read()
    except OSError:
        return ""
for _ in range(100):
    if tick():
        break
    time.sleep(0.1)
os.killpg(p.pid, signal.SIGTSTP)
time.sleep(0.5)
a = tick()
time.sleep(1)
b = tick()
print("frozen" if a == b else "ran on from %s to %s" % (a.strip(), b.strip()))
os.killpg(p.pid, signal.SIGCONT)
sys.exit(p.wait())
EOF
python3 "$T/ctrlz.py" "$PROVFS" run --store "$T/store" --quiet -- sh tick.sh >"$T/out3" 2>"$T/err3"
assert_eq 0 "$?" "exit status after Ctrl-Z and fg: $(cat "$T/err3")"
assert_eq frozen "$(cat "$T/out3")" "the build while provfs was stopped"
[ -s done.txt ] || fail "the build did not go on after fg"
assert_eq "$before" "$(grep -c ' fuse' /proc/mounts)" "mounts after Ctrl-Z"

# SIGTERM to provfs run's whole process group (timeout(1), a CI job
# cancelled) while it unmounts: the build is over, so the teardown goes on
# to the end.  Its umount and attest helpers, in that group, used to die
# of it: a manifest without the build's output, "daemon died", exit 2.
cat >"$T/groupterm.py" <<'EOF2'
import os, signal, subprocess, sys, time
p = subprocess.Popen(sys.argv[1:], stderr=subprocess.PIPE, start_new_session=True, text=True)
seen = ""
for line in p.stderr:
    seen += line
    if "unmounting" in line:
        os.killpg(p.pid, signal.SIGTERM)
        break
seen += p.stderr.read()
sys.stderr.write(seen)
sys.exit(p.wait())
EOF2
python3 "$T/groupterm.py" "$PROVFS" run --store "$T/store" --out "$T/m4.json" -- \
	sh -c 'head -c 150000000 /dev/urandom >big' 2>"$T/err4"
assert_eq 0 "$?" "exit status after SIGTERM to the group during the teardown: $(cat "$T/err4")"
grep -q "unmounting" "$T/err4" || fail "no teardown seen: $(cat "$T/err4")"
grep -q "died" "$T/err4" && fail "a daemon said to have died: $(cat "$T/err4")"
python3 - "$T/m4.json" "$(sha big)" <<'EOF2' || fail "the manifest lacks the build's output"
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
assert {s["name"]: s["digest"]["sha256"] for s in st["subject"]}.get("big") == sys.argv[2]
EOF2
rm -f big
assert_eq "$before" "$(grep -c ' fuse' /proc/mounts)" "mounts after SIGTERM during the teardown"

# A daemon stopped (SIGSTOP, a debugger) holds the build's processes in
# their requests, where not even SIGKILL ends them: run continues its
# daemons when told to stop, and ends (it waited for ever).
"$PROVFS" run --store "$T/store" --out "$T/m5.json" -- \
	sh -c 'while :; do echo x >f; cat f >/dev/null; done' >/dev/null 2>"$T/err5" &
rpid=$!
i=0
until d=$(pgrep -f "[p]rovfs mount .*--store $T/store .*--label workspace") && [ -f f ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || { kill -9 $rpid; fail "the build did not start"; }
	sleep 0.1
done
kill -STOP $d
sleep 0.5
kill -TERM $rpid
i=0
while kill -0 $rpid 2>/dev/null; do
	i=$((i + 1))
	if [ $i -ge 150 ]; then
		kill -CONT $d
		wait $rpid
		fail "provfs run did not end within 15 s of SIGTERM with a stopped daemon"
	fi
	sleep 0.1
done
wait $rpid
assert_eq 143 "$?" "exit status after SIGTERM with a stopped daemon: $(cat "$T/err5")"
rm -f f
assert_eq "$before" "$(grep -c ' fuse' /proc/mounts)" "mounts after SIGTERM with a stopped daemon"
exit 0

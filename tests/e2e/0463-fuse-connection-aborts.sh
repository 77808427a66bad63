# FUSE connections and their aborts:
# a: provfs umount of a mount whose daemon is still busy 4 s after the
#    unmount (here: its log held locked) does not abort the next mount,
#    which got the freed connection number (it aborted /sys/fs/fuse/
#    connections/N by number, and so that mount: ENOTCONN);
# b: a mount whose connection is aborted while it is mounted is recorded
#    as aborted, and provfs umount says so and fails (clean, exit 0);
# c: so is a slave's workspace aborted during provfs run: the run warns
#    and exits 2 (0, no word), though the build itself succeeded.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || exit 77
[ -x /usr/bin/python3 ] || exit 77
conn() { # MOUNTPOINT: its fusectl connection number
	mountpoint -d "$1" | awk -F: '{ print $1 * 1048576 + $2 }'
}
FC=/sys/fs/fuse/connections
[ -d "$FC" ] && { [ -n "$(ls "$FC")" ] || mount -t fusectl fusectl "$FC" 2>/dev/null; }
mkdir -p "$T/a" "$T/b" "$T/c" "$T/ws" "$T/mb"
# a
mount_ws "$T/a" "$T/ma"
echo x >"$T/ma/f"
/usr/bin/python3 - "$T/log.db" "$T/locked" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(7)
db.execute("COMMIT")
PY
locker=$!
i=0
while [ ! -e "$T/locked" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e "$T/locked" ] || fail "a: the log was not locked"
ca=$(conn "$T/ma")
"$PROVFS" umount "$T/ma" >"$T/um.out" 2>"$T/um.err" &
um=$!
i=0
while grep -q " $T/ma " /proc/mounts && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
"$PROVFS" mount --store "$T/store" --log "$T/log-b.db" "$T/b" "$T/mb" >/dev/null || fail "a: mount b"
MOUNTS="$T/mb $MOUNTS"
cb=$(conn "$T/mb")
[ "$ca" = "$cb" ] || note "a: the second mount got connection $cb, not $ca: the abort by number is not shown"
sleep 5 # past the abort, 4 s after the unmount
echo y >"$T/mb/g" || fail "a: the second mount was cut off (connection $cb; the first's was $ca)"
wait $um
wait $locker
grep -q "aborted" "$T/um.err" && fail "a: umount says it aborted a connection: $(cat "$T/um.err")"
umount_ws "$T/mb"
# b
mount_ws "$T/c" "$T/mc"
echo z >"$T/mc/h"
echo 1 >"$FC/$(conn "$T/mc")/abort" || fail "b: the abort"
"$PROVFS" umount --json "$T/mc" >"$T/um.json" 2>"$T/um.err"
assert_eq 1 "$?" "b: provfs umount of an aborted mount"
MOUNTS=${MOUNTS#"$T/mc "}
grep -q "was aborted while it was mounted" "$T/um.err" || fail "b: no warning: $(cat "$T/um.err")"
python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["connection_aborted"] is True' \
	"$T/um.json" || fail "b: --json: $(cat "$T/um.json")"
assert_eq aborted "$(sql "SELECT status FROM mount WHERE mountpoint = '$T/mc'")" "b: status"
# c
grep -o ' /run/provfs/run-[^ ]*/workspace ' /proc/mounts | sort >"$T/before"
(cd "$T/ws" && "$PROVFS" run -q --store "$T/store" --out "$T/m.json" -- \
	sh -c 'echo first >out; sleep 3; echo second >>out; echo done >new; exit 0') 2>"$T/run.err" &
run=$!
i=0
ws=
while [ -z "$ws" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
	ws=$(grep -o ' /run/provfs/run-[^ ]*/workspace ' /proc/mounts | sort | comm -13 "$T/before" - | head -1)
done
[ -n "$ws" ] || fail "c: the run's workspace mount was not found"
sleep 1
echo 1 >"$FC/$(conn $ws)/abort" || fail "c: the abort"
wait $run
assert_eq 2 "$?" "c: provfs run's exit status (the build succeeded, its record is cut short)"
grep -q "was cut off during the build" "$T/run.err" || fail "c: no warning: $(cat "$T/run.err")"
exit 0

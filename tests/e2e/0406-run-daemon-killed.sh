# A mount daemon killed during the build (kill -9 of the workspace's
# daemon): the build sees ENOTCONN, provfs run still unmounts everything
# and writes a manifest, but exits 2 although COMMAND succeeded, says which
# daemon died, gives that mount the status "unfinished" in the manifest,
# and provfs show warns about it.  The store stays consistent.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws"
cd "$T/ws"
before=$(grep -c ' fuse' /proc/mounts)
"$PROVFS" run --store "$T/store" --quiet --json --out "$T/m.json" -- sh -c '
	echo first >a
	i=0; while [ $i -lt 300 ] && echo more >>a 2>/dev/null; do sleep 0.1; i=$((i+1)); done
	echo second >b 2>/dev/null
	exit 0' >"$T/run.json" 2>"$T/err" &
runner=$!
i=0
while [ ! -s "$T/ws/a" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
[ -s "$T/ws/a" ] || fail "the build did not start"
pkill -9 -f -- "--label workspace $T/ws " || fail "no workspace daemon to kill"
wait $runner
assert_eq 2 "$?" "exit status of a build whose daemon died"
grep -q "the daemon serving the slave's workspace died during the build" "$T/err" ||
	fail "message: $(cat "$T/err")"
# Said once, by run (not again by the umount it runs).
grep -q "had died" "$T/err" && fail "the death reported twice: $(cat "$T/err")"
[ ! -e "$T/ws/b" ] || fail "a write after the daemon died reached the workspace"
python3 - "$T/m.json" "$T/run.json" <<'PY' || fail "manifest or summary of the build"
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
log = [b for b in st["predicate"]["runDetails"]["byproducts"] if b["name"] == "access-log"][0]
status = {m["label"]: m["status"] for m in log["annotations"]["mounts"]}
assert status == {"root": "clean", "workspace": "unfinished", "tmp": "clean"}, status
run = json.load(open(sys.argv[2]))
assert run["daemon_died"] is True and run["exit_status"] == 0, run
PY
"$PROVFS" show "$T/m.json" | grep -q "warning: mount 'workspace' ended 'unfinished'" ||
	fail "provfs show does not warn about the dead daemon"
assert_eq "$before" "$(grep -c ' fuse' /proc/mounts)" "mounts left behind"
"$PROVFS" store --store "$T/store" fsck >/dev/null || fail "store fsck after the killed daemon"
exit 0

#!/bin/sh
# A command line longer than the 64 KiB provfs keeps of one (a link of
# thousands of objects) is recorded by its whole arguments within them and
# marked cut short: "argvTruncated": 1 in the manifest's process item,
# argv_truncated in provfs log --json, " ..." in provfs show; never passed
# off as the whole command, nor cut inside an argument.  Short ones are
# not marked.  provfs attest without --command, which takes the first
# process's argv as the command, marks it "commandTruncated": 1 then.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws"
cd "$T/ws"
# 1000 arguments of 99 bytes and a space: 100,000 bytes of command line.
"$PROVFS" run --store "$T/store" --json --out "$T/m.json" -- sh -c '
	set --; i=0
	while [ $i -lt 1000 ]; do set -- "$@" "$(printf "%099d" $i)"; i=$((i + 1)); done
	/bin/echo "$@" >long.txt; /bin/echo short >short.txt' >"$T/run.json" 2>"$T/err"
assert_eq 0 "$?" "the build: $(cat "$T/err")"
python3 - "$T/m.json" <<'PY' || fail "the long command line's record"
import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
procs = [b for b in s["predicate"]["runDetails"]["byproducts"]
         if b["name"] == "process-tree"][0]["annotations"]["processes"]
echo = [p for p in procs if p["exe"] == "/usr/bin/echo"]
long = [p for p in echo if len(p["argv"]) > 2]
short = [p for p in echo if p["argv"] == ["/bin/echo", "short"]]
assert len(long) == 1 and len(short) == 1, echo
a = long[0]["argv"]
assert long[0].get("argvTruncated") == 1, long[0].keys()
# whole arguments only, in order, and as many as fit in 64 KiB
assert a[0] == "/bin/echo" and all(w == "%099d" % i for i, w in enumerate(a[1:])), a[-1]
assert 600 < len(a) < 660, len(a)
assert "argvTruncated" not in short[0], short[0]
assert not any("argvTruncated" in p for p in procs if p not in long), procs
PY
log=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["log"])' "$T/run.json")
"$PROVFS" log --json "$log" >"$T/log.json" || fail "provfs log"
python3 - "$T/log.json" <<'PY' || fail "argv_truncated in provfs log --json"
import json, sys
procs = json.load(open(sys.argv[1]))["processes"]
cut = [p for p in procs if p["argv_truncated"]]
assert cut and all(p["argv"][0] == "/bin/echo" and 600 < len(p["argv"]) < 660 for p in cut), cut
assert any(p["argv"] == ["/bin/echo", "short"] for p in procs if not p["argv_truncated"])
PY
"$PROVFS" show "$T/m.json" >"$T/show" || fail "show"
grep -q "/bin/echo 0*0 .* 0*6[0-9][0-9] \.\.\.\$" "$T/show" || fail "show does not end the cut command line with ...: $(grep echo "$T/show" | cut -c1-200)"
grep -q "/bin/echo short\$" "$T/show" || fail "show: the short command"

# provfs attest without --command takes the first process's argv (here
# provfs run's own) as the command; cut short, it says so there too.
# shellcheck disable=SC2046
"$PROVFS" run --store "$T/store" --json -- sh -c 'exit 0' sh $(seq 100000 111999) \
	>"$T/run2.json" 2>"$T/err2" || fail "the second build: $(cat "$T/err2")"
log=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["log"])' "$T/run2.json")
"$PROVFS" attest --log "$log" --store "$T/store" --key "$T/store/keys/provfs.key" --no-env \
	--out "$T/m2.json" 2>"$T/err3" || fail "attest: $(cat "$T/err3")"
python3 - "$T/m2.json" <<'PY' || fail "the command taken from a cut command line"
import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
ext = s["predicate"]["buildDefinition"]["externalParameters"]
c = ext["command"]
i = c.index("100000")  # the first process is provfs run's own
assert c[i - 4:i] == ["sh", "-c", "exit 0", "sh"] and 5000 < len(c) < 12000, c[:i + 1]
assert c[i:] == [str(100000 + k) for k in range(len(c) - i)], c[-1]
assert ext.get("commandTruncated") == 1, ext.keys()
PY
"$PROVFS" show "$T/m2.json" | grep -q "^command  .* sh -c 'exit 0' sh 100000 .* \.\.\.\$" ||
	fail "show: the cut command: $("$PROVFS" show "$T/m2.json" | grep ^command | cut -c1-100)"
"$PROVFS" show "$T/m.json" | grep "^command" | grep -q "\.\.\.\$" &&
	fail "show: provfs run's own command marked cut"
exit 0

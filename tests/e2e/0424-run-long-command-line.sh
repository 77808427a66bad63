#!/bin/sh
# A command line longer than the 64 KiB provfs keeps of one (a link of
# thousands of objects) is recorded by its whole arguments within them and
# marked cut short: "argvTruncated": 1 in the manifest's process item,
# argv_truncated in provfs log --json, " ..." in provfs show; never passed
# off as the whole command, nor cut inside an argument.  Short ones are
# not marked.
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
exit 0

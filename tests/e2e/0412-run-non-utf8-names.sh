# A build whose workspace, files, arguments and environment are not UTF-8
# (a Latin-1 checkout, a byte in a -D flag) still gets a manifest that
# verifies.  JSON strings are UTF-8, so such text is percent-encoded ('%'
# and bytes of 0x80 and above as %XX) and marked: file names with
# annotations.nameEncoding, other fields listed in "percentEncoded" (JSON
# pointers) beside them.  provfs log --json lists such files too, marked
# the same way, instead of dropping them.  provfs log (text) prints names
# with control bytes escaped (\xNN): a name with an escape sequence or a
# newline neither acts on the terminal nor forges a line.
. "$(dirname "$0")/lib.sh"
E9=$(printf '\351')
FE=$(printf '\376')
FF=$(printf '\377')
WS=$T/caf$E9
mkdir -p "$WS"
cd "$WS"
printf 'input\n' >"in$FF.txt"

X=$FE "$PROVFS" run --store "$T/store" --quiet --json --out "$T/m.json" -- \
	sh -c 'cat in*.txt >"out$1.bin"; [ "$X" = "$2" ]' sh "$E9" "$FE" >"$T/run.json" 2>"$T/err"
assert_eq 0 "$?" "build with Latin-1 names: $(cat "$T/err")"
[ -f "$WS/out$E9.bin" ] || fail "the output is missing"
"$PROVFS" verify --store "$T/store" --key "$T/store/keys/provfs.pub" "$T/m.json" >"$T/verify" 2>&1 ||
	fail "verify: $(cat "$T/verify")"

python3 - "$T/m.json" <<'EOF' || fail "manifest fields (above)"
import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
d = s["predicate"]["buildDefinition"]
bad = []
def check(what, got, want):
    if got != want:
        bad.append("%s: got %r, want %r" % (what, got, want))
subj = [x for x in s["subject"] if x["name"].startswith("out")]
check("subject", [(x["name"], x.get("annotations", {}).get("nameEncoding")) for x in subj],
      [("out%E9.bin", "percent")])
inp = [x for x in d["resolvedDependencies"] if x["name"].endswith(".txt")]
check("input", [(x["name"], x.get("annotations", {}).get("nameEncoding")) for x in inp],
      [("in%FF.txt", "percent")])
ext = d["externalParameters"]
check("command", ext["command"][-2:], ["%E9", "%FE"])
check("workingDirectory", ext["workingDirectory"].endswith("/caf%E9"), True)
check("external percentEncoded", ext.get("percentEncoded"),
      ["/command/%d" % (len(ext["command"]) - 2), "/command/%d" % (len(ext["command"]) - 1),
       "/workingDirectory"])
env = d["internalParameters"]["environment"]
check("environment X", env.get("X"), "%FE")
check("internal percentEncoded has X",
      "/environment/X" in d["internalParameters"].get("percentEncoded", []), True)
mounts = [m for b in s["predicate"]["runDetails"]["byproducts"] if b["name"] == "access-log"
          for m in b["annotations"]["mounts"] if m["label"] == "workspace"]
check("workspace mount backing", [(m["backing"].endswith("/caf%E9"), m.get("percentEncoded"))
                                  for m in mounts], [(True, ["/backing"])])
procs = [p for b in s["predicate"]["runDetails"]["byproducts"] if b["name"] == "process-tree"
         for p in b["annotations"]["processes"] if p["argv"][:2] == ["sh", "-c"]]
check("sh's argv, its arguments' bytes kept",
      [(p["argv"][3:], p.get("percentEncoded")) for p in procs],
      [(["sh", "%E9", "%FE"], ["/argv/4", "/argv/5", "/cwd"])])
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

log=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["log"])' "$T/run.json")
"$PROVFS" log --json "$log" >"$T/log.json" || fail "provfs log --json failed"
python3 - "$T/log.json" <<'EOF' || fail "provfs log --json (above)"
import json, sys
j = json.load(open(sys.argv[1]))
outs = [(o["path"], o.get("percentEncoded")) for o in j["outputs"] if o["mount"] == "workspace"]
ins = [(o["path"], o.get("percentEncoded")) for o in j["inputs"] if o["mount"] == "workspace"]
procs = [(p["argv"][3:], p.get("percentEncoded")) for p in j["processes"]
         if p["argv"][:2] == ["sh", "-c"]]
ok = outs == [("/out%E9.bin", ["/path"])] and ins == [("/in%FF.txt", ["/path"])] and \
     len(procs) > 0 and all(p == (["sh", "%E9", "%FE"], ["/argv/4", "/argv/5", "/cwd"]) for p in procs)
if not ok:
    print("outputs %r inputs %r processes %r" % (outs, ins, procs), file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
"$PROVFS" show "$T/m.json" >"$T/show" 2>&1 || fail "provfs show: $(cat "$T/show")"
grep -q 'out%E9.bin' "$T/show" || fail "provfs show lacks the output: $(cat "$T/show")"

mkdir -p "$T/ctl" && cd "$T/ctl"
"$PROVFS" run --store "$T/store" --quiet --json -- sh -c \
	'printf x >"$(printf "\033[31mRED")"; printf y >"$(printf "a\nb")"' >"$T/ctl.json" ||
	fail "build writing names with control bytes"
log=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["log"])' "$T/ctl.json")
"$PROVFS" log "$log" >"$T/log.txt" || fail "provfs log"
! grep -q "$(printf '\033')" "$T/log.txt" || fail "provfs log printed an ESC byte raw"
grep -q 'workspace:/\\x1b\[31mRED' "$T/log.txt" || fail "ESC not shown as \\x1b: $(cat -v "$T/log.txt")"
grep -q 'workspace:/a\\x0ab' "$T/log.txt" || fail "newline not shown as \\x0a: $(cat -v "$T/log.txt")"
exit 0

#!/bin/sh
# show prints environment, inputs, outputs, process tree, exit status and
# signature status; with --key it checks the signature.
. "$(dirname "$0")/manifest-lib.sh"
make_manifest 3
expect 0 "$PROVFS" show m.json
for want in "UNVERIFIED" "exit status    0" "src/input-00002.c" "out/app.bin" \
	    "process tree (2)" "100 make -j2" "include/missing.h" "packages"; do
	grep -q -- "$want" "$WORK/out" || fail "show lacks '$want'"
done
expect 0 "$PROVFS" show --key k.pub m.json
grep -q "verified by" "$WORK/out" || fail "show --key did not verify"
"$PROVFS" keygen --out other >/dev/null
expect 1 "$PROVFS" show --key other.pub m.json
grep -q "NOT VERIFIED" "$WORK/out" || fail "show --key with a wrong key did not say so"
# forge OUT PROCESSES [SUBJECT]: m.json unsigned, with PROCESSES (a JSON
# list, or @FILE holding one) as its process tree and SUBJECT as its first subject's name.
forge() {
	"$PY" - "$@" <<'PY' || fail "could not rewrite"
import base64, json, sys
e = json.load(open("m.json"))
s = json.loads(base64.b64decode(e["payload"]))
for b in s["predicate"]["runDetails"]["byproducts"]:
    if b["name"] == "process-tree":
        a = sys.argv[2]
        b["annotations"]["processes"] = json.load(open(a[1:])) if a[0] == "@" else json.loads(a)
if len(sys.argv) > 3:
    s["subject"][0]["name"] = sys.argv[3]
e["payload"] = base64.b64encode(json.dumps(s).encode()).decode()
json.dump(e, open(sys.argv[1], "w"))
PY
}
# A forged (unsigned) manifest: a process tree whose parents form a cycle
# is still listed, and names cannot reorder or act on the terminal.
PY=$(python_bin) || exit 77
forge cyc.json '[{"pid": 7, "ppid": 8, "argv": ["cyc-seven"]},
	{"pid": 8, "ppid": 7, "argv": ["cyc-eight"]},
	{"pid": 9, "ppid": 9, "argv": ["self-parent"]}]' "$(printf 'evil\342\200\256xcod.exe\302\2332J')"
expect 0 "$PROVFS" show cyc.json
for want in "process tree (3)" "cyc-seven" "cyc-eight" "self-parent" 'evil\\u202excod.exe\\u009b2J'; do
	grep -q -- "$want" "$WORK/out" || fail "show of a forged manifest lacks '$want': $(cat "$WORK/out")"
done
[ "$(grep -c 'cyc-seven' "$WORK/out")" = 1 ] || fail "a process in a cycle was shown twice"
! grep -q "$(printf '\342\200\256')" "$WORK/out" || fail "U+202E printed raw"
# One process as three mounts saw it: alive (program and arguments), in
# its exec (program, no arguments yet) and exiting (neither).  It is one
# line; a later exec of the pid is another; a process whose arguments no
# mount read is shown by its program.  A child seen before its exec (still
# its parent's program) and after is shown by its own program; one that
# never exec'd (a subshell) by its parent's; one nothing is known of by "?".
forge mounts.json '[{"pid": 20, "ppid": 1, "exe": "/usr/bin/cc", "argv": [], "mount": "root"},
	{"pid": 20, "ppid": 1, "exe": "/usr/bin/cc", "argv": ["cc", "-c", "a.c"], "mount": "workspace"},
	{"pid": 20, "ppid": 1, "exe": "", "argv": [], "mount": "tmp"},
	{"pid": 20, "ppid": 1, "exe": "/usr/bin/ld", "argv": ["ld", "a.o"], "mount": "workspace"},
	{"pid": 21, "ppid": 20, "exe": "/usr/bin/as", "argv": [], "mount": "root"},
	{"pid": 30, "ppid": 20, "exe": "/usr/bin/cc", "argv": ["cc", "-c", "a.c"], "mount": "root"},
	{"pid": 30, "ppid": 20, "exe": "/usr/bin/as", "argv": ["as", "a.s"], "mount": "root"},
	{"pid": 31, "ppid": 20, "exe": "/usr/bin/cc", "argv": ["cc", "-c", "a.c"], "mount": "root"},
	{"pid": 32, "ppid": 20, "exe": "", "argv": [], "mount": "root"}]'
expect 0 "$PROVFS" show mounts.json
tree=$(sed -n '/^process tree/,/^[a-z]/p' "$WORK/out" | sed '$d')
want="process tree (6)
  20 cc -c a.c
    21 [/usr/bin/as]
    30 as a.s
    31 cc -c a.c
    32 ?
  20 ld a.o"
[ "$tree" = "$want" ] || fail "one line per process and program: got
$tree"
# A long tree: the first 50 processes in the tree's order, and how many
# more; all of them with --all.
forge long.json "[$(seq 100 159 | sed 's/.*/{"pid": &, "ppid": 1, "argv": ["step-&"]}/' | paste -sd,)]"
expect 0 "$PROVFS" show long.json
grep -q "process tree (60)" "$WORK/out" || fail "long tree count: $(cat "$WORK/out")"
assert_eq 50 "$(grep -c "^  1[0-9][0-9] step-" "$WORK/out")" "processes shown without --all"
grep -q "step-149" "$WORK/out" && ! grep -q "step-150" "$WORK/out" || fail "not the first 50 shown"
grep -q "^  \.\.\. 10 more (use --all)" "$WORK/out" || fail "no count of the rest: $(cat "$WORK/out")"
expect 0 "$PROVFS" show --all long.json
assert_eq 60 "$(grep -c "^  1[0-9][0-9] step-" "$WORK/out")" "processes shown with --all"
! grep -q "more (use --all)" "$WORK/out" || fail "--all still cut something"
# Two records of one pid that each say all the other says: one is shown,
# not neither.
forge mutual.json '[{"pid": 1, "ppid": 0, "argv": ["sh"]},
	{"pid": 5, "ppid": 1, "exe": "", "argv": ["curl", "evil"]},
	{"pid": 5, "ppid": 1, "argv": ["curl", "evil"]}]'
expect 0 "$PROVFS" show mutual.json
assert_eq 1 "$(grep -c "^    5 curl evil" "$WORK/out")" "records covering each other: $(cat "$WORK/out")"
# Thousands of records of one pid (a hand-made manifest): shown in a time
# proportional to them, not to their cube (4,000 took minutes).
echo "[$(seq 1 4000 | sed 's/.*/{"pid": 7, "ppid": 7, "exe": "\/bin\/x", "argv": ["x&"]}/' | paste -sd,)]" >many.list
forge many.json @many.list
expect 0 timeout 30 "$PROVFS" show many.json
grep -q "process tree (4000)" "$WORK/out" || fail "many records of a pid: $(head -c 600 "$WORK/out")"
# What shows as a space or as nothing is written as an escape: the words
# and names can be told apart.
forge uni.json '[{"pid": 3, "ppid": 1, "argv": ["rm", "-rf", "/\u2002tmp/x", "a\u00a0b"]}]' \
	"$(printf 'app\342\200\213.bin')"
expect 0 "$PROVFS" show uni.json
grep -qF "3 rm -rf '/\u2002tmp/x' 'a\u00a0b'" "$WORK/out" || fail "unicode spaces: $(cat "$WORK/out")"
grep -qF 'app\u200b.bin' "$WORK/out" || fail "zero-width space: $(cat "$WORK/out")"
# The environment is the dependency named so, as for verify --env, not
# whatever comes first.
"$PY" - <<'PY' || fail "could not rewrite"
import base64, json
e = json.load(open("m.json"))
s = json.loads(base64.b64decode(e["payload"]))
deps = s["predicate"]["buildDefinition"]["resolvedDependencies"]
deps[0]["name"] = "not-the-env"
deps.append({"name": "environment", "uri": "file:///the-env"})
e["payload"] = base64.b64encode(json.dumps(s).encode()).decode()
json.dump(e, open("env.json", "w"))
PY
expect 0 "$PROVFS" show env.json
grep -q "^  root         file:///the-env$" "$WORK/out" || fail "environment by name: $(cat "$WORK/out")"
grep -q "^inputs (4)" "$WORK/out" && grep -q "  not-the-env$" "$WORK/out" ||
	fail "the first dependency, not named environment, among the inputs: $(cat "$WORK/out")"
exit 0

# A command given --json always prints JSON on standard output: when it
# fails before its own object (a bad option, a file it cannot read, a
# missing environment), {"error": MESSAGE, "exit_status": N} on one line,
# MESSAGE being the first error it said on standard error.  A command
# that printed its object prints nothing more; one without --json prints
# nothing on standard output when it fails.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || exit 77
mkdir -p "$T/ws" "$T/empty"
cd "$T/ws"
S=$T/store

# json_error WANT_STATUS WANT_MESSAGE_PART -- provfs ARGS...
json_error() {
	want=$1 part=$2
	shift 3
	"$PROVFS" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	assert_eq "$want" "$rc" "exit status of provfs $*"
	python3 - "$T/out" "$T/err" "$rc" "$part" <<'PY' || fail "provfs $*: stdout $(cat "$T/out"), stderr $(cat "$T/err")"
import json, sys
out, err, rc, part = open(sys.argv[1]).read(), open(sys.argv[2]).read(), int(sys.argv[3]), sys.argv[4]
lines = out.splitlines()
assert len(lines) == 1, lines
o = json.loads(lines[0])
assert sorted(o) == ["error", "exit_status"], o
assert o["exit_status"] == rc, o
assert part in o["error"], (part, o)
# The message is the one said on stderr (which may name the command);
# for a bad option, getopt's message names the same option.
if o["error"].startswith("bad option"):
    word = o["error"].split("'")[1]
    assert "'%s'" % word in err or "-- '%s'" % word[1:] in err, (word, err)
else:
    assert o["error"] in err, (o["error"], err)
PY
}

json_error 2 "no environment 'deadbeef'" -- run --store "$S" --json --env deadbeef -- true
json_error 2 "bad option or missing argument: '--bogus' (see 'provfs run --help')" -- run --bogus --json -- true
json_error 2 "bad option or missing argument: '--out' (see 'provfs run --help')" -- run --json --out
json_error 2 "give at least one trusted public key" -- verify --json "$T/ws/m.json"
json_error 2 "cannot use public key '$T/nokey.pub'" -- verify --json --key "$T/nokey.pub" "$T/ws/m.json"
json_error 2 "bad option or missing argument: '-z' (see 'provfs show --help')" -- show -az --json x
json_error 2 "cannot read access log '$T/no.db'" -- log --json "$T/no.db"
json_error 2 "no environment 'deadbeef'" -- env --store "$S" show --json deadbeef
json_error 2 "bad option or missing argument: '--bogus' (see 'provfs store --help')" -- store --store "$S" fsck --bogus --json
json_error 2 "$T/empty" -- umount --json "$T/empty"

# No --json: nothing on standard output.
"$PROVFS" run --store "$S" --env deadbeef -- true >"$T/out" 2>/dev/null
assert_eq 2 "$?" "exit status without --json"
[ -s "$T/out" ] && fail "without --json, a failure printed on stdout: $(cat "$T/out")"

# A command that printed its own object adds nothing: verify of a tampered
# manifest (exit 1) prints its report alone, and a failing build its summary.
"$PROVFS" run --store "$S" --quiet --out "$T/m.json" -- sh -c 'echo hi >out.txt' ||
	fail "the build"
sed 's/"payload": *"./&A/' "$T/m.json" >"$T/bad.json"
cmp -s "$T/m.json" "$T/bad.json" && fail "the manifest was not changed"
"$PROVFS" verify --json --key "$S/keys/provfs.pub" "$T/bad.json" >"$T/out" 2>/dev/null
assert_eq 1 "$?" "verify of a tampered manifest"
python3 -c 'import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1 and json.loads(lines[0])["verified"] is False, lines' "$T/out" ||
	fail "verify --json of a tampered manifest printed: $(cat "$T/out")"
"$PROVFS" run --store "$S" --quiet --json -- sh -c 'exit 5' >"$T/out" 2>/dev/null
assert_eq 5 "$?" "a failing build's status"
python3 -c 'import json, sys
o = json.load(open(sys.argv[1]))
assert o["exit_status"] == 5 and "error" not in o, o' "$T/out" ||
	fail "run --json of a failing build printed: $(cat "$T/out")"
exit 0

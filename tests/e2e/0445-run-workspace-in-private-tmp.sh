#!/bin/sh
# A workspace in /tmp or /var/tmp lies in the slave's own /tmp or /var/tmp
# (the tmp mount), empty but for the way to it.  What the build writes
# beside the workspace (../artifact.txt, cmake -B ../build) goes there:
# not on the host, not an output.  provfs says so, with --workspace, even
# when the build succeeds (it said nothing, and dpkg-buildpackage's .deb
# files were lost); --json lists the paths.  A failed build that looked
# for a host file beside the workspace gets a hint that the slave lacks
# it.  The private directory itself (/var/tmp) is the build's temporary
# space: what it writes there is no warning, nor is a TMPDIR beside the
# workspace, which provfs makes.  (--quiet keeps the warnings.)
. "$(dirname "$0")/lib.sh"
P=$(mktemp -d /var/tmp/provfs-e2e-0445.XXXXXX) || exit 77
trap 'rm -rf "$P"; cleanup' EXIT
mkdir -p "$P/ci/proj"
echo src >"$P/ci/sibling.txt"
cd "$P/ci/proj"

"$PROVFS" run --store "$T/store" --quiet --out "$T/m1.json" -- sh -c '
	echo a >../artifact.txt && mkdir ../build && echo o >../build/o.o &&
	echo t >/var/tmp/scratch-0445 && echo ok >in-ws.txt' 2>"$T/err1"
assert_eq 0 "$?" "the build: $(cat "$T/err1")"
[ ! -e "$P/ci/artifact.txt" ] || fail "a write beside the workspace reached the host"
grep -q "^provfs: warning: the build wrote 2 files beside the workspace, in the slave's own /tmp, /var/tmp or HOME, which end with it: $P/ci/artifact.txt, $P/ci/build; they are neither on the host nor among the build's outputs .*provfs run --workspace DIR" "$T/err1" ||
	fail "no warning of the files beside the workspace: $(cat "$T/err1")"
grep -q "scratch-0445" "$T/err1" && fail "a temporary file in /var/tmp warned of: $(cat "$T/err1")"
[ -f in-ws.txt ] || fail "the workspace's own output"

# --json lists them; a build that writes nothing beside has an empty list.
"$PROVFS" run --store "$T/store" --json --out "$T/m2.json" -- sh -c 'echo b >../b.txt' \
	>"$T/run2.json" 2>/dev/null || fail "the build with --json"
python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
assert j["beside_workspace"] == [sys.argv[2] + "/ci/b.txt"], j' "$T/run2.json" "$P" ||
	fail "--json: $(cat "$T/run2.json")"
"$PROVFS" run --store "$T/store" --json --out "$T/m3.json" -- sh -c 'echo c >c.txt' \
	>"$T/run3.json" 2>"$T/err3" || fail "the build writing in the workspace"
python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
assert j["beside_workspace"] == [], j' "$T/run3.json" || fail "--json: $(cat "$T/run3.json")"
# A TMPDIR beside the workspace (a CI job's own temporary directory) is
# made in the slave by provfs: it, and what the build writes in it, is no
# write beside the workspace (it was warned of as one).
mkdir -p "$P/ci/jobtmp"
TMPDIR=$P/ci/jobtmp "$PROVFS" run --store "$T/store" --json --out "$T/m5.json" -- \
	sh -c 'echo t >"$TMPDIR/t" && echo d >d.txt' >"$T/run5.json" 2>"$T/err5" ||
	fail "the build with TMPDIR beside: $(cat "$T/err5")"
python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
assert j["beside_workspace"] == [], j' "$T/run5.json" || fail "--json with TMPDIR: $(cat "$T/run5.json")"
grep -q "beside the workspace" "$T/err5" && fail "TMPDIR warned of: $(cat "$T/err5")"

# A host file beside the workspace is not in the slave: a failed build
# that looked for it gets a hint.
"$PROVFS" run --store "$T/store" --out "$T/m4.json" -- sh -c 'cat ../sibling.txt' 2>"$T/err4"
[ $? -ne 0 ] || fail "the slave read a host file beside the workspace"
grep -q "^provfs: hint: the workspace lies in the slave's own /tmp or /var/tmp, which hold nothing of the host's: the build looked for $P/ci/sibling.txt, beside the workspace" "$T/err4" ||
	fail "no hint of the file beside the workspace: $(cat "$T/err4")"
# A failed build that looked for nothing beside it gets no such hint (the
# slave's init looks up the way to the workspace's mount point there).
"$PROVFS" run --store "$T/store" --out "$T/m6.json" -- false 2>"$T/err6"
[ $? -ne 0 ] || fail "false succeeded"
grep -q "hint: the workspace lies" "$T/err6" && fail "a hint for a build that looked for nothing: $(cat "$T/err6")"
# The warning's listing of the private /var/tmp follows no symlink the
# build made there: one of a directory on the way to the workspace (to a
# host directory) had root list the host directory's names as the build's.
mkdir -p "$P/hostdir"
touch "$P/hostdir/HOST_ONLY_NAME"
"$PROVFS" run --store "$T/store" --out "$T/m7.json" -- \
	sh -c "cd /; mv $P/ci $P/moved; ln -s $P/hostdir $P/ci" 2>"$T/err7" || fail "the moving build: $(cat "$T/err7")"
grep -q "HOST_ONLY_NAME" "$T/err7" && fail "a host directory's names listed: $(cat "$T/err7")"
grep -q "beside the workspace.*$P/moved" "$T/err7" || fail "the moved directory not named: $(cat "$T/err7")"
# With the parent as workspace, both work.
cd "$P/ci"
"$PROVFS" run --store "$T/store" --out "$T/m5.json" -- sh -c 'cd proj && cat ../sibling.txt && echo a >../artifact.txt' \
	>/dev/null 2>"$T/err5" || fail "with --workspace above: $(cat "$T/err5")"
assert_eq a "$(cat "$P/ci/artifact.txt")" "the artifact with the workspace above"
grep -q "warning: the build wrote" "$T/err5" && fail "a warning with the workspace above: $(cat "$T/err5")"
exit 0

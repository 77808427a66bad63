# A file from before the build that a writer left as it was stays an input
# when read: `touch main.c` (its close-write finds the same digest as the
# file held at the open), a descriptor opened for appending that wrote
# nothing.  A file read through an O_RDWR descriptor (sqlite, a fixture
# updated in place) is an input with what it held at the open.  Before,
# any open for writing made the file the build's own, so such reads were
# no inputs.  A file the build changed (appended to) and then read is
# still no input, and one too big to hash at the open (over 4 MiB) read
# through O_RDWR is an input of unknown digest (since 2026-12-07; before,
# it was none: tar -rf big.tar read the archive it appended to).
# A file read after its writer's open, before a change, read what it held
# before the build (sort -o f f): an input, kept in the store.
# A file from before the build that the build renames and then reads is an
# input under its new name; one the build wrote and renamed is not.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || exit 77
mkdir -p "$T/ws"
cd "$T/ws"
echo "int main(void) { return 0; } /* $$ */" >main.c
echo "secret input $$" >in.txt
echo "fixture $$" >fixture.db
echo "appended to $$" >changed.txt
echo "moved $$" >pre.c
head -c 5000000 /dev/urandom >big.db
want_main=$(sha main.c)
want_in=$(sha in.txt)
want_fix=$(sha fixture.db)
want_moved=$(sha pre.c)
printf 'c\nb\na\n' >sorted.txt
want_sorted=$(sha sorted.txt)
"$PROVFS" run --store "$T/s" --quiet --json --out "$T/m.json" -- sh -c '
	sort -o sorted.txt sorted.txt
	touch main.c && cat main.c >main.o
	exec 3>>in.txt; cat in.txt >in.out; exec 3>&-
	echo more >>changed.txt; cat changed.txt >changed.out
	mv pre.c moved.c; cat moved.c >moved.out
	echo own >tmp.c; mv tmp.c own.c; cat own.c >own.out
	python3 -c "
import os
for name in (\"fixture.db\", \"big.db\"):
    fd = os.open(name, os.O_RDWR)
    data = os.read(fd, 100)
    os.lseek(fd, 0, 2)
    os.write(fd, b\"appended\")
    os.close(fd)
    open(name + \".out\", \"wb\").write(data)
"' >"$T/run.json" 2>"$T/err" || fail "run: $(cat "$T/err")"
log=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["log"])' "$T/run.json")
"$PROVFS" log --json "$log" >"$T/log.json" || fail "provfs log"
# entry inputs|outputs PATH: the digests the log's summary gives PATH there
entry() {
	python3 -c '
import json, sys
print(" ".join(i.get("sha256", "none") for i in json.load(open(sys.argv[1]))[sys.argv[2]]
               if i["mount"] == "workspace" and i["path"] == sys.argv[3]))' "$T/log.json" "$1" "$2"
}
input() { entry inputs "$1"; }
output() { entry outputs "$1"; }
assert_eq "$want_main" "$(input /main.c)" "input main.c after touch"
assert_eq "$want_in" "$(input /in.txt)" "input in.txt after an append of nothing"
assert_eq "$want_fix" "$(input /fixture.db)" "input fixture.db read through O_RDWR"
assert_eq "$want_moved" "$(input /moved.c)" "input moved.c, renamed from pre.c"
assert_eq "" "$(input /own.c)" "own.c, written as tmp.c and renamed"
assert_eq "" "$(input /changed.txt)" "changed.txt, appended to before it was read"
assert_eq none "$(input /big.db)" "big.db (content at the open not known)"
# sort -o f f opens f for writing, reads it, then writes it: an input with
# what it held (and in the store: it was read beside its writer, and was
# taken for an output only, which verify --store found missing)
assert_eq "$want_sorted" "$(input /sorted.txt)" "input sorted.txt (sort -o f f)"
# what was written is still an output, with its content at the end
assert_eq "$(sha fixture.db)" "$(output /fixture.db)" "output fixture.db"
assert_eq "$(sha changed.txt)" "$(output /changed.txt)" "output changed.txt"
# the content read through O_RDWR is in the store, as a read's would be
"$PROVFS" verify --key "$T/s/keys/provfs.pub" --store "$T/s" "$T/m.json" >/dev/null 2>"$T/err" ||
	fail "verify --store: $(cat "$T/err")"
# and the manifest says the same as the log
python3 - "$T/m.json" "$want_main" "$want_fix" <<'PY' || fail "manifest inputs"
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
deps = {d.get("name"): d.get("digest", {}).get("sha256")
        for d in st["predicate"]["buildDefinition"]["resolvedDependencies"]}
assert deps.get("main.c") == sys.argv[2], deps
assert deps.get("fixture.db") == sys.argv[3], deps
assert "big.db" in deps and deps["big.db"] is None, deps
PY

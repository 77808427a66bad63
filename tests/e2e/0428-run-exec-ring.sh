# Where the kernel's process events connector cannot be had (provfs run in
# a container; here PROVFS_NO_EXEC_WATCH stands in for that), the slave's
# mounts still learn of each other's execs, through the exec ring that
# provfs run shares among their daemons: bash's forked child opens the
# redirection's file in the workspace (a record of bash), then runs sed
# from the root, whose read of its input in the workspace is sed's; the
# same with cat and a redirected stdin.  Before, both reads were logged as
# bash's.  A post names the program, the name of a record whose process
# was gone before its read.  The ring's file goes with the run; a mount given a ring that
# is no ring refuses to start, saying why.
. "$(dirname "$0")/lib.sh"
command -v bash >/dev/null || exit 77
mkdir -p "$T/ws"
cd "$T/ws"
printf 'hello\n' >in
printf 'x\n' >in.2
PROVFS_NO_EXEC_WATCH=1 "$PROVFS" run --store "$T/store" --quiet --out "$T/m.json" -- bash -c '
	bash -c "sed s/hello/bye/ in >out; true"
	bash -c "exec <in.2 /bin/cat in >/dev/null; true"'
assert_eq 0 "$?" "the build"
assert_eq bye "$(cat out)" "sed's output"
log=$(ls -d "$T"/store/builds/*/log.db)
owner() { # OP PATH: the programs of the records the access is logged under
	sqlite3 "$log" "SELECT DISTINCT p.exe FROM access a JOIN process p ON p.id = a.process
		JOIN mount m ON m.id = a.mount WHERE m.label = 'workspace' AND a.op = '$1'
		AND a.path = '$2' ORDER BY a.id"
}
assert_eq /usr/bin/bash "$(owner create /out)" "who created out"
assert_eq "/usr/bin/sed
/usr/bin/cat" "$(owner open /in)" "who read in ($(sqlite3 "$log" "SELECT a.op, a.path, p.pid,
	p.exe, p.argv FROM access a JOIN process p ON p.id = a.process WHERE a.path LIKE '/in%'"))"
assert_eq /usr/bin/bash "$(owner open /in.2)" "who opened in.2"
# The ring names the program, so a record of it whose process was gone
# before its read still names it, and joins its item in the manifest.
# (items_of_sed_and_cat MANIFEST)
items_of_sed_and_cat() {
python3 - "$1" <<'PY'
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
procs = [r for d in st["predicate"]["runDetails"]["byproducts"] if d.get("name") == "process-tree"
         for r in d["annotations"]["processes"]]
for prog in ("sed", "/bin/cat"):
    items = [r for r in procs if r["argv"][:1] == [prog]]
    assert len(items) == 1 and "workspace" in items[0]["mounts"], (prog, items)
assert not [r for r in procs if not r["argv"] and "workspace" in r["mounts"]], procs
PY
}
items_of_sed_and_cat "$T/m.json" || fail "the manifest's items of sed and cat"
# The same on a host that holds up the daemons' /proc reader: the
# redirection's child, which runs bash until its exec of sed, makes its
# request before any exec of it is posted, and waits for its read; before,
# sed and its parent could both be gone by then (seen in CI), and the
# child's record had a program and no arguments: an item of its own.
rm -f out
PROVFS_PROC_READ_LAG=30000 PROVFS_NO_EXEC_WATCH=1 "$PROVFS" run --store "$T/store" --quiet \
	--out "$T/m-lag.json" -- bash -c '
	bash -c "sed s/hello/bye/ in >out; true"
	bash -c "exec <in.2 /bin/cat in >/dev/null; true"'
assert_eq 0 "$?" "the build with a slow reader"
items_of_sed_and_cat "$T/m-lag.json" || fail "the manifest's items of sed and cat, with a slow reader"
# A script in the workspace: the root's daemon serves its interpreter's
# exec open (/bin/sh), names that record by the script, and posts it, so
# the workspace's daemon learns the exec went on past the script's open
# (it was no failed exec): the script's write is the script's, not its
# parent shell's.  A program from the workspace: its root record, gone
# before the root's daemon read it or not, is never ld.so's.
printf '#!/bin/sh\necho hi >out2\n' >s.sh
chmod +x s.sh
cp /usr/bin/true ./mytrue
PROVFS_NO_EXEC_WATCH=1 "$PROVFS" run --store "$T/store" --quiet --out "$T/m2.json" -- sh -c '
	./s.sh; i=0; while [ $i -lt 20 ]; do ./mytrue; i=$((i + 1)); done'
assert_eq 0 "$?" "the script's build"
log2=$(ls -td "$T"/store/builds/*/ | head -1)log.db
assert_eq '["/bin/sh","./s.sh"]' "$(sqlite3 "$log2" "SELECT p.argv FROM access a JOIN process p
	ON p.id = a.process WHERE a.op = 'create' AND a.path = '/out2'")" "who created out2"
assert_eq 0 "$(sqlite3 "$log2" "SELECT count(*) FROM process WHERE exe LIKE '%ld-linux%'")" \
	"records named ld.so ($(sqlite3 "$log2" "SELECT pid, exe, argv FROM process WHERE exe LIKE '%ld-linux%'"))"

# The run's directory, with the ring's file, went with it.
id=$(basename "$(dirname "$log")")
[ ! -e "/run/provfs/run-$id" ] || fail "left: $(ls -la "/run/provfs/run-$id")"

mkdir -p "$T/b" "$T/m"
printf 'not a ring\n' >"$T/ring"
"$PROVFS" mount --store "$T/store" --log "$T/log2.db" --exec-ring "$T/ring" "$T/b" "$T/m" 2>"$T/err"
assert_eq 2 "$?" "a mount with a bad ring"
grep -q "cannot open the exec ring '$T/ring'" "$T/err" || fail "message: $(cat "$T/err")"
! grep -q " $T/m " /proc/mounts || fail "mounted with a bad ring"
exit 0

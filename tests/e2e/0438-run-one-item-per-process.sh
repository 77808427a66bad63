# One process is one item of the manifest's process tree, though its
# mounts' daemons read its /proc at different moments: `make -C sub` read
# by the root at its exec (in the workspace's top) and by the workspace
# after its chdir (in sub); `mkdir -p d/.deps`, which cuts its own
# "d/.deps" into "d" and ".deps" while it works, and moves into d.  Each
# record names the image of the process it read (where its arguments
# lie, random at each exec), and records of one image are one item, named by
# the record read first.  Before, make was two items (the cwd differed),
# and most mkdirs two (the arguments, or the cwd, differed), some with no
# arguments (read while exiting).
. "$(dirname "$0")/lib.sh"
command -v make >/dev/null || exit 77
mkdir -p "$T/ws/sub"
cd "$T/ws"
printf 'all:\n\t@i=0; while [ $$i -lt 100 ]; do /usr/bin/mkdir -p d/.deps; i=$$((i + 1)); done\n\t@echo hi >out\n' \
	>sub/Makefile
"$PROVFS" run --store "$T/store" --quiet --out "$T/m.json" -- make -s -C sub
assert_eq 0 "$?" "the build"
assert_eq hi "$(cat sub/out)" "the build's output"
python3 - "$T/m.json" "$T/ws" <<'PY' || fail "one item per process"
import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
ws = sys.argv[2]
procs = [b for b in s["predicate"]["runDetails"]["byproducts"]
         if b["name"] == "process-tree"][0]["annotations"]["processes"]
make = [p for p in procs if p["exe"].endswith("/make")]
assert len(make) == 1, make
assert make[0]["argv"] == ["make", "-s", "-C", "sub"], make
assert make[0]["cwd"] == ws, make
assert sorted(make[0]["mounts"]) == ["root", "workspace"], make
mkdirs = [p for p in procs if p["exe"].endswith("/mkdir")]
assert len({p["pid"] for p in mkdirs}) == 100, len(mkdirs)
bad = [p for p in mkdirs if p["argv"] != ["/usr/bin/mkdir", "-p", "d/.deps"]
       or p["cwd"] != ws + "/sub"]
assert len(mkdirs) == 100 and not bad, (len(mkdirs), bad[:3])
PY

# A program that renames itself (perl's $0, as a daemon or a worker pool
# does) before it writes to the workspace: one item, with the arguments it
# was run with.  Before, the workspace's record, ["renamed-worker"], was an
# item of its own.
"$PROVFS" run --store "$T/store" --quiet --out "$T/m2.json" -- \
	perl -e '$0 = "renamed-worker"; open(F, ">x") or die; print F 1; close F'
assert_eq 0 "$?" "the perl build"
python3 - "$T/m2.json" <<'PY' || fail "one item of perl"
import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
procs = [b for b in s["predicate"]["runDetails"]["byproducts"]
         if b["name"] == "process-tree"][0]["annotations"]["processes"]
perl = [p for p in procs if p["exe"].endswith("/perl")]
assert len(perl) == 1 and perl[0]["argv"][:2] == ["perl", "-e"], perl
assert sorted(perl[0]["mounts"]) == ["root", "workspace"], perl
PY
# That build was the slave's first exec: the root's caches were cold, so
# the exec walked to perl's ELF interpreter through the daemon.  That
# walk is the exec's, and so is the interpreter's open: both belong to
# perl's record.  Before, the walk read the record while the old program
# (provfs) still ran, and the interpreter's open began a third record,
# posted to the other mounts by the interpreter's name (on the ASan
# build, 2 of 18 runs then had a workspace item named ld-linux).
log=$(ls -td "$T"/store/builds/*/ | head -1)log.db
who=$(sqlite3 "$log" "select p.exe from access a join process p on a.process = p.id
	where a.op = 'exec' and a.path like '%/ld-linux%'")
assert_eq "/usr/bin/perl" "$who" "the record the interpreter's open is logged under"

# Subshells that ask nothing of any mount themselves ($(...) and ( ... ))
# are recorded when a child of theirs is, so the tree stays connected:
# that read goes before the reads queued in turn, and so do the reads
# requests wait for.  With the reads in turn 3 ms late, no item is left
# without arguments; before, 4 to 11 of 605 were (subshells read after
# they had ended).
cat >loop.sh <<'SH'
i=0
while [ $i -lt 100 ]; do
	v=$(/bin/echo $i | /bin/cat)
	(/bin/echo $v >f.$((i % 5)); /bin/true)
	i=$((i + 1))
done
SH
PROVFS_PROC_READ_LAG=3000 "$PROVFS" run --store "$T/store" --quiet --out "$T/m3.json" -- sh loop.sh
assert_eq 0 "$?" "the subshells' build"
python3 - "$T/m3.json" <<'PY' || fail "items of subshells without arguments"
import base64, json, sys
s = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
procs = [b for b in s["predicate"]["runDetails"]["byproducts"]
         if b["name"] == "process-tree"][0]["annotations"]["processes"]
bare = [p for p in procs if not p["argv"]]
assert len(procs) > 500 and not bare, (len(procs), len(bare), bare[:3])
PY
exit 0

# store gc removes the builds a policy names and every object nothing left
# refers to, and nothing else: objects of kept builds (their manifests
# verify against the store), of an external manifest's build, of
# environments, of `store put` and `store snapshot`, and of a mount's log
# kept outside the store stay.  It refuses to run beside a build or mount
# (with --wait it waits, and builds started meanwhile wait for it), and a
# root it cannot read stops it before anything is deleted.  Damage in
# objects/ is not followed or waited on: a fan-out directory replaced by
# a symlink is reported by fsck and gc removes nothing it points to, a
# FIFO in an object's place is reported (not opened for good), and a
# build output that merely begins like a tree does not stop gc.  store put
# of a file whose object is damaged replaces the object (its repair), and
# so does a build whose output has the damaged object's digest.
. "$(dirname "$0")/lib.sh"
S=$T/store
G="$PROVFS store --store $S"
has() { # has TEXT: the object of TEXT plus a newline is in the store
	d=$(printf '%s\n' "$1" | sha256sum | cut -d' ' -f1)
	$G path "$d" >/dev/null 2>&1
}
plant() { # plant TEXT: an object nothing refers to, put straight in place
	p=$(store_object "$S" "$(printf '%s\n' "$1" | sha256sum | cut -d' ' -f1)")
	mkdir -p "${p%/*}"
	printf '%s\n' "$1" >"$p"
}
json_field() { # json_field FILE KEY
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

tiny_root "$T/rootfs" /bin/sh /bin/cat
"$PROVFS" env --store "$S" --quiet import --name tiny "$T/rootfs" >/dev/null || fail "import"
mkdir -p "$T/ws"
cd "$T/ws"
for b in A B; do
	"$PROVFS" run --store "$S" --env tiny --quiet -- \
		sh -c "echo $b-only >$b.out; echo common >common.out" || fail "build $b"
	sleep 0.1 # distinct ages
done
# a build whose manifest is written outside the store
"$PROVFS" run --store "$S" --env tiny --quiet --out "$T/mC.json" -- sh -c 'echo C-only >C.out' ||
	fail "build C"
# a plain mount whose log is kept outside the store
mount_ws "$T/eb" "$T/em" --store "$S" --log "$T/ext/log.db"
echo E-only >"$T/em/e.txt"
umount_ws "$T/em"
mkdir -p "$T/snap"
echo snap-only >"$T/snap/f"
$G --quiet snapshot "$T/snap" >/dev/null || fail "snapshot"
echo put-only >"$T/putf"
P=$($G put "$T/putf") || fail "put"
for t in A-only B-only C-only common E-only snap-only put-only; do
	has "$t" || fail "'$t' not stored before gc"
done
mA=$(grep -l A-only "$S"/builds/*/log.db | sed 's#/log.db$#/manifest.intoto.json#')
mB=$(grep -l B-only "$S"/builds/*/log.db | sed 's#/log.db$#/manifest.intoto.json#')
[ -f "$mA" ] && [ -f "$mB" ] || fail "manifests of A and B not found"

# garbage: an unreferenced object, a crashed writer's leftover, a stray file
plant garbage-1
echo partial >"$S/tmp/obj.99999.1"
mkdir -p "$S/objects/sha256/zz" && echo stray >"$S/objects/sha256/zz/not-an-object"

# --dry-run reports and removes nothing
$G --json gc --dry-run >"$T/dry.json" || fail "gc --dry-run"
[ "$(json_field "$T/dry.json" objectsRemoved)" -ge 1 ] || fail "dry run saw no garbage: $(cat "$T/dry.json")"
has garbage-1 || fail "dry run removed an object"
[ -f "$S/tmp/obj.99999.1" ] || fail "dry run cleared tmp/"

# no policy: only the unreferenced object and tmp/ go
$G gc >"$T/gc1.out" || fail "gc: $(cat "$T/gc1.out")"
has garbage-1 && fail "unreferenced object kept"
[ -e "$S/tmp/obj.99999.1" ] && fail "tmp/ leftover kept"
[ -f "$S/objects/sha256/zz/not-an-object" ] || fail "gc removed a file that is not an object"
rm -r "$S/objects/sha256/zz"
for t in A-only B-only C-only common E-only snap-only put-only; do
	has "$t" || fail "gc removed '$t', which is referred to"
done
for m in "$mA" "$mB" "$T/mC.json"; do
	"$PROVFS" verify --store "$S" --key "$S/keys/provfs.pub" "$m" >"$T/v.out" 2>&1 ||
		fail "manifest $m does not verify against the store after gc: $(cat "$T/v.out")"
done
# build C's access log object is named only by its external manifest
logC=$(python3 - "$T/mC.json" <<'PY'
import base64, json, sys
st = json.loads(base64.b64decode(json.load(open(sys.argv[1]))["payload"]))
for d in st["predicate"]["runDetails"]["byproducts"]:
    if d.get("name") == "access-log":
        print(d["digest"]["sha256"])
PY
)
[ ${#logC} -eq 64 ] || fail "no access-log digest in build C's manifest"
$G path "$logC" >/dev/null || fail "gc removed build C's access log object"
# the environment still materialises and runs
rm -rf "$S/envs/"*/root 2>/dev/null
"$PROVFS" run --store "$S" --env tiny --quiet -- cat /bin/sh >/dev/null || fail "env after gc"
$G fsck >/dev/null || fail "fsck after gc"

# a running build or mount holds the store: gc refuses, removes nothing
plant garbage-2
"$PROVFS" run --store "$S" --quiet -- sleep 4 &
run_pid=$!
sleep 1.5
$G gc 2>"$T/busy.err"
assert_eq 1 "$?" "gc beside a running build"
grep -q "in use" "$T/busy.err" || fail "message: $(cat "$T/busy.err")"
has garbage-2 || fail "gc beside a build removed an object"
wait "$run_pid" || fail "the build beside gc failed"

# --keep-builds: the oldest builds go, with what only they referred to
# (five builds now: A, B, C, the one after gc and the one beside it)
n=$(ls "$S/builds" | wc -l)
assert_eq 5 "$n" "builds before --keep-builds"
$G --json gc --keep-builds 4 >"$T/keep.json" || fail "gc --keep-builds"
assert_eq 1 "$(json_field "$T/keep.json" buildsRemoved)" "builds removed"
[ -e "$mA" ] && fail "build A kept"
[ -e "$mB" ] || fail "build B removed"
has A-only && fail "A's own output kept"
has garbage-2 && fail "unreferenced object kept"
for t in B-only C-only common E-only snap-only put-only; do
	has "$t" || fail "'$t' removed with the old builds"
done
"$PROVFS" verify --store "$S" --key "$S/keys/provfs.pub" "$mB" >/dev/null ||
	fail "kept build B does not verify"

# --older-than: only what is older goes
for f in "$S"/builds/*; do
	grep -q C-only "$f/log.db" && touch -d '10 days ago' "$f/log.db" "$f"/*.json 2>/dev/null
done
$G --json gc --older-than 7d >"$T/old.json" || fail "gc --older-than"
assert_eq 1 "$(json_field "$T/old.json" buildsRemoved)" "builds older than 7 days"
has C-only && fail "C's output kept after its build was removed"
has common || fail "B's output removed with C"

# forget: put's object goes at the next gc, the snapshot's stays
$G forget "$P" 2>/dev/null || fail "forget"
$G forget "$P" 2>/dev/null && fail "forget of a digest not kept succeeded"
# a log outside the store that is gone: its ref and objects go
rm -f "$T/ext/log.db"*
$G --json gc >"$T/fg.json" || fail "gc after forget"
assert_eq 1 "$(json_field "$T/fg.json" externalLogsForgotten)" "external log forgotten"
has put-only && fail "forgotten put object kept"
has E-only && fail "object of a deleted external log kept"
has snap-only || fail "snapshot object removed"
ls "$S/refs" | grep -q '^log-' && fail "ref of the deleted log kept"

# a root gc cannot read stops it before anything is deleted
plant garbage-3
mkdir -p "$S/builds/20000101T000000Z-bad"
head -c 4096 /dev/urandom >"$S/builds/20000101T000000Z-bad/log.db"
$G gc 2>"$T/bad.err"
assert_eq 1 "$?" "gc with an unreadable log"
grep -q "20000101T000000Z-bad" "$T/bad.err" || fail "message: $(cat "$T/bad.err")"
has garbage-3 || fail "gc deleted an object although a root could not be read"
# an empty log beside a manifest (emptied by a crash, a full disk, ': >'):
# the build had a log, which cannot be read now; one without a manifest
# is a build killed before its log began, and no root
: >"$S/builds/20000101T000000Z-bad/log.db"
echo '{}' >"$S/builds/20000101T000000Z-bad/manifest.intoto.json"
$G gc 2>"$T/bad2.err"
assert_eq 1 "$?" "gc with an emptied log beside a manifest"
grep -q "20000101T000000Z-bad/log.db" "$T/bad2.err" || fail "message: $(cat "$T/bad2.err")"
has garbage-3 || fail "gc deleted an object although a build's log was emptied"
rm "$S/builds/20000101T000000Z-bad/manifest.intoto.json"
$G --quiet gc 2>"$T/bad3.err" || fail "gc with an empty log and no manifest: $(cat "$T/bad3.err")"
rm -rf "$S/builds/20000101T000000Z-bad"

# gc --wait takes its turn: a build started while it waits for a running
# build queues behind it (and says so), instead of keeping it waiting
"$PROVFS" run --store "$S" --quiet -- sleep 4 &
first=$!
sleep 1.5
($G --quiet gc --wait && date +%s%N >"$T/gc.done") &
gc_pid=$!
sleep 1
"$PROVFS" run --store "$S" -- date +%s%N >"$T/second.start" 2>"$T/second.err" ||
	fail "the build queued behind gc failed: $(cat "$T/second.err")"
wait "$first" || fail "the build gc waited for failed"
wait "$gc_pid" || fail "gc --wait failed"
[ -s "$T/gc.done" ] || fail "gc --wait did not finish"
[ "$(cat "$T/second.start")" -gt "$(cat "$T/gc.done")" ] ||
	fail "a build started while gc waited ran before gc: $(cat "$T/second.start") <= $(cat "$T/gc.done")"
grep -q "waiting for 'provfs store gc'" "$T/second.err" ||
	fail "the queued build did not say why it waited: $(cat "$T/second.err")"

# A build writes a file that begins like a tree but is none: gc runs.
mkdir -p "$T/wst" && cd "$T/wst"
"$PROVFS" run --quiet --store "$S" -- sh -c 'printf "provfs-tree 1\nno tree\n" >notes' ||
	fail "build writing a tree-like file"
cd "$T"
$G gc >"$T/gct.out" 2>&1 || fail "gc stopped at a tree-like output: $(cat "$T/gct.out")"
"$PROVFS" verify --key "$S/keys/provfs.pub" --store "$S" "$(ls -t "$S"/builds/*/manifest.intoto.json | head -1)" \
	>/dev/null || fail "the tree-like output's build no longer verifies against the store"

# A fan-out directory replaced by a symlink to a directory outside.
mkdir -p "$T/victim"
victim=$(printf 'c%.0s' $(seq 62))
echo precious >"$T/victim/$victim"
rm -rf "$S/objects/sha256/ab"
ln -s "$T/victim" "$S/objects/sha256/ab"
$G gc >/dev/null 2>&1
[ -f "$T/victim/$victim" ] || fail "gc removed a file outside the store through a symlink"
$G fsck >"$T/fsck.out" 2>&1
assert_eq 1 "$?" "fsck with a symlinked fan-out directory"
grep -q "misplaced: ab" "$T/fsck.out" || fail "fsck did not report the symlink: $(cat "$T/fsck.out")"
rm "$S/objects/sha256/ab"

# A FIFO in an object's place.
fifo=$(ls -d "$S"/objects/sha256/*/* | head -1)
rm "$fifo" && mkfifo "$fifo"
timeout 60 $G fsck >"$T/fsck.out" 2>&1
assert_eq 1 "$?" "fsck with a FIFO object (124: it hung)"
grep -q "corrupt: " "$T/fsck.out" || fail "fsck did not report the FIFO: $(cat "$T/fsck.out")"
timeout 60 $G gc --dry-run >/dev/null 2>&1
[ "$?" != 124 ] || fail "gc hung on a FIFO object"

# put repairs a damaged object.
printf 'repair me\n' >"$T/rep"
h=$($G put "$T/rep") || fail "put"
o=$($G path "$h")
chmod u+w "$o" && printf 'repair mE\n' >"$o"
$G put "$T/rep" >/dev/null 2>"$T/rep.err" || fail "put over a corrupt object"
grep -q "was corrupt in the store; replaced" "$T/rep.err" || fail "put did not say it replaced: $(cat "$T/rep.err")"
assert_eq "repair me" "$($G cat "$h")" "the object after put"

# A build's output whose object was truncated (a full disk, another tool)
# is stored again by the next build that writes the same bytes.
mkdir -p "$T/wsr" && cd "$T/wsr"
"$PROVFS" run --quiet --store "$S" -- sh -c 'seq 1 5000 >big.out' || fail "first build"
h=$(sha256sum big.out | cut -d' ' -f1)
o=$($G path "$h") || fail "the output was not stored"
chmod u+w "$o" && truncate -s 100 "$o"
"$PROVFS" run --quiet --store "$S" -- sh -c 'rm big.out; seq 1 5000 >big.out' || fail "second build"
cmp -s "$o" big.out || fail "the truncated object was kept: $(wc -c <"$o") bytes"
cd "$T"

# usage errors
$G gc --keep-builds many 2>/dev/null
assert_eq 2 "$?" "--keep-builds many"
$G gc --older-than 5q 2>/dev/null
assert_eq 2 "$?" "--older-than 5q"
$G --dry-run put "$T/putf" 2>/dev/null
assert_eq 2 "$?" "--dry-run with put"
$G gc extra 2>/dev/null
assert_eq 2 "$?" "gc with an argument"
# A gc that keeps nothing at all (under UBSan: a bsearch of no marks), of
# a build that left a tree 1,500 levels deep in its /tmp (each level held
# an fd: at the usual soft limit of 1024, gc failed and freed nothing).
S2=$T/store-deep
mkdir -p "$T/ws-deep"
(cd "$T/ws-deep" && "$PROVFS" run -q --store "$S2" -- sh -c \
	'cd /tmp; i=0; while [ $i -lt 1500 ]; do mkdir d; cd d; i=$((i + 1)); done; echo x >f') ||
	fail "the deep build"
(ulimit -n 1024 && "$PROVFS" store --store "$S2" gc --keep-builds 0 >/dev/null 2>"$T/deep.err") ||
	fail "gc of a deep build: $(cat "$T/deep.err")"
assert_eq 0 "$(find "$S2/objects" -type f | wc -l)" "objects left after a gc that keeps nothing"
assert_eq 0 "$(ls "$S2/builds" | wc -l)" "builds left after a gc that keeps nothing"
exit 0

# store gc stops, deleting nothing, when an environment's tree object is
# damaged or missing: the files it names cannot be told from garbage.  (It
# took such an object for "no tree" and deleted the environment's files.)
# And gc of a store with no builds, logs or environments works.
. "$(dirname "$0")/lib.sh"
S=$T/store
mkdir -p "$T/d"
echo x >"$T/d/f"
"$PROVFS" store --store "$S" snapshot "$T/d" >/dev/null || fail "snapshot"
"$PROVFS" store --store "$S" gc >"$T/out" 2>&1 || fail "gc of a store with nothing kept: $(cat "$T/out")"

tiny_root "$T/root" /bin/true
D=$("$PROVFS" env --store "$S" --quiet import "$T/root") || fail "import"
TRUE=$(sha /bin/true)
TREE=$("$PROVFS" store --store "$S" path "$D") || fail "store path of the tree"
[ -f "$("$PROVFS" store --store "$S" path "$TRUE")" ] || fail "true is not in the store"
cp "$TREE" "$T/tree.bak"

gc_stops() { # what
	"$PROVFS" store --store "$S" gc >"$T/out" 2>&1
	assert_eq 1 "$?" "gc with the environment's tree $1"
	grep -q "envs/$D.json, whose tree object $D is $1" "$T/out" ||
		fail "gc with the tree $1 said: $(cat "$T/out")"
	[ -f "$("$PROVFS" store --store "$S" path "$TRUE")" ] ||
		fail "gc with the tree $1 removed the environment's files"
}

chmod u+w "$TREE"
printf X | dd of="$TREE" bs=1 count=1 conv=notrunc 2>/dev/null
gc_stops damaged
rm -f "$TREE"
gc_stops missing

# Restored, gc keeps the environment, which runs.
cp "$T/tree.bak" "$TREE"
"$PROVFS" store --store "$S" gc >"$T/out" 2>&1 || fail "gc with the tree restored: $(cat "$T/out")"
mkdir -p "$T/ws"
cd "$T/ws"
"$PROVFS" run --store "$S" --quiet --env "$D" -- /bin/true || fail "run in the environment after gc"
exit 0

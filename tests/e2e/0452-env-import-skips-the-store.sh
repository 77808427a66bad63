# env import of a tree that holds the store (env import / with the default
# store) leaves the store out: listed as an empty directory, so neither
# its signing key nor its objects are in the environment, and the tmp
# files the import itself writes there do not change the digest.
. "$(dirname "$0")/lib.sh"
tiny_root "$T/root" /bin/cat
S=$T/root/var/lib/provfs
mkdir -p "$T/ws"
cd "$T/ws"
"$PROVFS" run --store "$S" --quiet -- true || fail "the first build (makes the key)"
[ -s "$S/keys/provfs.key" ] || fail "no key in the store"
D1=$("$PROVFS" env --store "$S" --quiet import "$T/root") || fail "import"
D2=$("$PROVFS" env --store "$S" --quiet import "$T/root") || fail "import again"
assert_eq "$D1" "$D2" "digest of the same tree imported twice"
"$PROVFS" store --store "$S" cat "$D1" >"$T/tree" || fail "store cat of the tree"
grep -q "var/lib/provfs/" "$T/tree" && fail "the tree lists the store's files: $(grep var/lib/provfs/ "$T/tree" | head -3)"
grep -q " var/lib/provfs$" "$T/tree" || fail "the store's directory is not listed: $(grep var/lib "$T/tree")"
"$PROVFS" run --store "$S" --quiet --env "$D1" -- /bin/cat /var/lib/provfs/keys/provfs.key \
	>"$T/out" 2>&1 && fail "the build read the key: $(cat "$T/out")"
grep -q "PRIVATE" "$T/out" && fail "the build printed the key"
exit 0

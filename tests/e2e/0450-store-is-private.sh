# A store that provfs makes is its owner's alone (mode 0700): its objects
# hold what builds read, a root-only file among them, and other users
# could read them there (objects are 0444).  Whichever command makes it.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || exit 77
mkdir -p "$T/ws" "$T/d"
echo "token=s3cret-$$" >"$T/ws/secret"
chmod 600 "$T/ws/secret"
chmod 755 "$T"
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
as_nobody cat "$T/ws/secret" >/dev/null 2>&1 && fail "nobody can read the secret itself"

cd "$T/ws"
"$PROVFS" run --store "$T/s-run/a/" --quiet -- cat secret >/dev/null || fail "the build"
assert_eq 700 "$(stat -c %a "$T/s-run/a")" "mode of a store made by run"
assert_eq 755 "$(stat -c %a "$T/s-run")" "mode of the store's parent"
obj=$("$PROVFS" store --store "$T/s-run/a" path "$(sha "$T/ws/secret")") || fail "the secret was not stored"
[ -f "$obj" ] || fail "no object $obj"
as_nobody cat "$obj" >/dev/null 2>&1 && fail "another user reads the secret from the store"

echo x >"$T/d/f"
"$PROVFS" store --store "$T/s-put" put "$T/d/f" >/dev/null || fail "put"
"$PROVFS" env --store "$T/s-env" --quiet import "$T/d" >/dev/null || fail "import"
"$PROVFS" keygen --store "$T/s-key" >/dev/null || fail "keygen"
for s in s-put s-env s-key; do
	assert_eq 700 "$(stat -c %a "$T/$s")" "mode of a store made by $s"
done
# An existing store keeps its mode.
mkdir -m 755 "$T/s-old"
"$PROVFS" store --store "$T/s-old" put "$T/d/f" >/dev/null || fail "put into an existing store"
assert_eq 755 "$(stat -c %a "$T/s-old")" "mode of an existing store"
exit 0

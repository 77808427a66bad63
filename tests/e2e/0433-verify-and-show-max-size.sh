# provfs verify and provfs show read a manifest up to 256 MiB by default,
# or up to --max-size SIZE (1M to 64G, K/M/G suffixes): a bigger one is
# refused unread (exit 1) with a word on --max-size; a bad SIZE is a usage
# error (exit 2).  Here a build of 400 processes with long command lines
# makes a manifest of more than 1 MiB.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ws"
cd "$T/ws"
"$PROVFS" run --store "$T/store" --quiet --out "$T/m.json" -- sh -c '
	arg=$(printf "x%.0s" $(seq 3000))
	i=0; while [ $i -lt 400 ]; do /bin/true "$arg"; i=$((i + 1)); done
	echo done >out.txt' || fail "the build"
size=$(stat -c %s "$T/m.json")
[ "$size" -gt $((1 << 20)) ] && [ "$size" -lt $((4 << 20)) ] || fail "manifest of $size bytes"
K=$T/store/keys/provfs.pub

"$PROVFS" verify --key "$K" "$T/m.json" out.txt >/dev/null 2>"$T/err"
assert_eq 0 "$?" "verify by default: $(cat "$T/err")"
"$PROVFS" verify --key "$K" --max-size 4M "$T/m.json" out.txt >/dev/null 2>"$T/err"
assert_eq 0 "$?" "verify --max-size 4M: $(cat "$T/err")"
"$PROVFS" verify --key "$K" --max-size 1M "$T/m.json" out.txt >/dev/null 2>"$T/err"
assert_eq 1 "$?" "verify --max-size 1M"
grep -q "not verified: larger than 1 MiB (read it with --max-size SIZE" "$T/err" ||
	fail "verify --max-size 1M: $(cat "$T/err")"
# --json says so too, as for any manifest that is not verified.
"$PROVFS" verify --json --key "$K" --max-size 1M "$T/m.json" >"$T/out" 2>/dev/null
assert_eq 1 "$?" "verify --json --max-size 1M"
grep -q '"problems":\["larger than 1 MiB.*"verified":false' "$T/out" ||
	fail "verify --json --max-size 1M printed: $(cat "$T/out")"
"$PROVFS" verify --key "$K" --max-size 1048576 "$T/m.json" >/dev/null 2>&1
assert_eq 1 "$?" "verify --max-size in bytes"

"$PROVFS" show --key "$K" --max-size 4096K "$T/m.json" >/dev/null 2>"$T/err"
assert_eq 0 "$?" "show --max-size 4096K: $(cat "$T/err")"
"$PROVFS" show --max-size 1m "$T/m.json" >/dev/null 2>"$T/err"
assert_eq 1 "$?" "show --max-size 1m"
grep -q "is larger than 1 MiB (read it with --max-size" "$T/err" || fail "show --max-size 1m: $(cat "$T/err")"

# Through a pipe (no size to go by): read to its end, up to the limit;
# the key too.
cat "$T/m.json" | "$PROVFS" verify --key /dev/fd/3 --max-size 4M /dev/stdin out.txt 3<"$K" \
	>/dev/null 2>"$T/err"
assert_eq 0 "$?" "verify of a manifest through a pipe: $(cat "$T/err")"
cat "$K" | "$PROVFS" verify --key /dev/stdin "$T/m.json" out.txt >/dev/null 2>"$T/err"
assert_eq 0 "$?" "verify with the key through a pipe: $(cat "$T/err")"
cat "$T/m.json" | "$PROVFS" verify --key "$K" --max-size 1M /dev/stdin >/dev/null 2>"$T/err"
assert_eq 1 "$?" "verify --max-size 1M of a pipe"
grep -q "not verified: larger than 1 MiB" "$T/err" || fail "verify --max-size 1M of a pipe: $(cat "$T/err")"
cat "$T/m.json" | "$PROVFS" show /dev/stdin >/dev/null 2>"$T/err"
assert_eq 0 "$?" "show of a manifest through a pipe: $(cat "$T/err")"

for bad in 0 1K 1023K 65G 1T abc -5 "" 4MB; do
	"$PROVFS" verify --key "$K" --max-size "$bad" "$T/m.json" >/dev/null 2>"$T/err"
	assert_eq 2 "$?" "verify --max-size '$bad'"
	grep -q -- "--max-size wants a size" "$T/err" || fail "--max-size '$bad': $(cat "$T/err")"
	"$PROVFS" show --max-size "$bad" "$T/m.json" >/dev/null 2>&1
	assert_eq 2 "$?" "show --max-size '$bad'"
done
exit 0

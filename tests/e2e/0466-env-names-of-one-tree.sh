# One tree imported under two names keeps both: each names it (the second
# import overwrote the record, and the first name was gone: "no
# environment 'one'"); env ls shows both.  A name given later to another
# tree names that one (the newest), the other name still the first tree;
# an import without a name keeps the names.
. "$(dirname "$0")/lib.sh"
S=$T/store
tiny_root "$T/r1" /bin/true
tiny_root "$T/r2" /bin/true /bin/echo
d1=$("$PROVFS" env -q --store "$S" import "$T/r1" --name one) || fail "import one"
d1b=$("$PROVFS" env -q --store "$S" import "$T/r1" --name two) || fail "import two"
assert_eq "$d1" "$d1b" "the same tree's digest"
"$PROVFS" env -q --store "$S" import "$T/r1" >/dev/null || fail "import without a name"
for n in one two; do
	got=$("$PROVFS" env --store "$S" --json show "$n" | python3 -c 'import json, sys; print(json.load(sys.stdin)["digest"])') ||
		fail "env show $n"
	assert_eq "$d1" "$got" "env show $n"
done
"$PROVFS" env --store "$S" ls | grep -q "two,one" || fail "env ls: $("$PROVFS" env --store "$S" ls)"
sleep 1 # (records are timed to the second)
d2=$("$PROVFS" env -q --store "$S" import "$T/r2" --name one) || fail "import r2 as one"
[ "$d2" != "$d1" ] || fail "two trees, one digest"
got=$("$PROVFS" env --store "$S" --json show one | python3 -c 'import json, sys; print(json.load(sys.stdin)["digest"])')
assert_eq "$d2" "$got" "one names the newest tree given it"
got=$("$PROVFS" env --store "$S" --json show two | python3 -c 'import json, sys; print(json.load(sys.stdin)["digest"])')
assert_eq "$d1" "$got" "two still names the first"
exit 0

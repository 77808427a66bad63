#!/bin/sh
# Usage errors exit 2 with a hint; --help exits 0 for every manifest command.
. "$(dirname "$0")/manifest-lib.sh"
for c in keygen attest verify show; do
	expect 0 "$PROVFS" $c --help
	grep -q "usage: provfs $c" "$WORK/out" || fail "$c --help lacks usage"
	expect 2 "$PROVFS" $c --no-such-option
done
expect 2 "$PROVFS" attest
err_has "--log FILE is required"
expect 2 "$PROVFS" verify m.json
err_has "at least one trusted public key"
expect 2 "$PROVFS" verify --key nope.pub m.json
err_has "cannot use public key 'nope.pub': No such file"
"$PROVFS" keygen --out k >/dev/null
"$PROVFS" keygen --out k2 >/dev/null
# A private key, or a file of two keys (of which only the first was
# trusted), is refused with what to give instead.
cat k2.pub k.pub >two.pub
for c in verify show; do
	expect 2 "$PROVFS" $c --key k.key m.json
	err_has "cannot use public key 'k.key': it holds a private key; give the public half"
	expect 2 "$PROVFS" $c --key two.pub m.json
	err_has "cannot use public key 'two.pub': it holds more than one key"
done
expect 2 "$PROVFS" verify --key k.pub --threshold 0 m.json
expect 2 "$PROVFS" verify --key k.pub missing.json
err_has "cannot read manifest 'missing.json'"
# A builder id is a URI; an invocation id and a driver are UTF-8 text
# (one not was written percent-encoded, unmarked, or failed as "out of
# memory").
"$MAKE_TEST_LOG" log.db ws 3 || fail "make_test_log failed"
for bad in "not a uri" "x" "https:" ":x" "$(printf 'a\377b:c')" "$(printf 'x:a\tb')"; do
	expect 2 "$PROVFS" attest --log log.db --key k.key --store st --no-env --out a.json --builder-id "$bad"
	err_has "--builder-id wants a URI"
done
for o in --invocation-id --driver; do
	for bad in "$(printf 'c\377d')" "$(printf 'a\nb')" ""; do
		[ "$o" = --driver ] && [ -z "$bad" ] && continue
		expect 2 "$PROVFS" attest --log log.db --key k.key --store st --no-env --out a.json "$o" "$bad"
		err_has "$o wants UTF-8 text"
	done
done
[ ! -e a.json ] || fail "a manifest was written"
expect 0 "$PROVFS" attest --log log.db --key k.key --store st --no-env --out a.json --builder-id urn:x:y \
	--invocation-id "ci run 7 ✓" --driver "pod man"
exit 0

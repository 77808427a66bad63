#!/bin/sh
# --threshold N needs N distinct trusted keys with valid signatures.
. "$(dirname "$0")/manifest-lib.sh"
"$MAKE_TEST_LOG" log.db ws 2 || fail make_test_log
for k in a b c; do "$PROVFS" keygen --out $k >/dev/null || fail keygen; done
expect 0 "$PROVFS" attest --log log.db --key a.key --key b.key --store st --out m.json --no-env
expect 0 "$PROVFS" verify --key a.pub --key b.pub --key c.pub --threshold 2 m.json
expect 1 "$PROVFS" verify --key a.pub --key b.pub --key c.pub --threshold 3 m.json
err_has "only 2 of the required 3"
# The same key twice is one key: asking for 2 is a usage error.
expect 2 "$PROVFS" verify --key a.pub --key a.pub --threshold 2 m.json
# attest given one key twice (a copy under another name) signs once.
cp a.key a2.key
expect 0 "$PROVFS" attest --log log.db --key a.key --key a2.key --key b.key --store st \
	--out m2.json --no-env
PY=$(python_bin) || exit 77
assert_eq 2 "$("$PY" -c 'import json; print(len(json.load(open("m2.json"))["signatures"]))')" \
	"signatures of keys a, a again and b"
exit 0

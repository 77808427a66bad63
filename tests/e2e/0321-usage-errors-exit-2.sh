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
err_has "cannot read public key 'nope.pub'"
"$PROVFS" keygen --out k >/dev/null
expect 2 "$PROVFS" verify --key k.pub --threshold 0 m.json
expect 2 "$PROVFS" verify --key k.pub missing.json
err_has "cannot read manifest 'missing.json'"
exit 0

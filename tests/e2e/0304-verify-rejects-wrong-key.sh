#!/bin/sh
# A manifest signed by another key does not verify against ours.
. "$(dirname "$0")/manifest-lib.sh"
make_manifest
"$PROVFS" keygen --out other >/dev/null || fail "keygen"
expect 1 "$PROVFS" verify --key other.pub m.json
err_has "no valid signature by a trusted key"
exit 0

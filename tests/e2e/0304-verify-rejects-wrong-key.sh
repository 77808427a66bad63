#!/bin/sh
# A manifest signed by another key does not verify against ours.
. "$(dirname "$0")/manifest-lib.sh"
make_manifest
"$PROVFS" keygen --out other >/dev/null || fail "keygen"
expect 1 "$PROVFS" verify --key other.pub m.json
err_has "no valid signature by a trusted key (the keyid of the 1 signature names none of the 1 key given)"
# With the keyid emptied (a hint only), the signature is checked against
# the key, and fails.
PY=$(python_bin) || exit 77
"$PY" -c '
import json
e = json.load(open("m.json"))
e["signatures"][0]["keyid"] = ""
json.dump(e, open("nokid.json", "w"))'
expect 1 "$PROVFS" verify --key other.pub nokid.json
err_has "no valid signature by a trusted key (1 signature checked against 1 key)"
expect 0 "$PROVFS" verify --key k.pub nokid.json
exit 0

#!/bin/sh
# Changing one byte of the signature makes verification fail (exit 1).
. "$(dirname "$0")/manifest-lib.sh"
make_manifest
PY=$(python_bin) || exit 77
"$PY" - <<'PY' || fail "could not tamper"
import base64, json
e = json.load(open("m.json"))
sig = bytearray(base64.b64decode(e["signatures"][0]["sig"]))
sig[10] ^= 0x80
e["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
json.dump(e, open("t.json", "w"))
PY
expect 1 "$PROVFS" verify --key k.pub t.json
err_has "no valid signature"
exit 0

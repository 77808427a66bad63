#!/bin/sh
# Changing one byte of the signed payload makes verification fail (exit 1).
. "$(dirname "$0")/manifest-lib.sh"
make_manifest
PY=$(python_bin) || exit 77
"$PY" - <<'PY' || fail "could not tamper"
import base64, json
e = json.load(open("m.json"))
body = bytearray(base64.b64decode(e["payload"]))
i = body.index(b"out/hello.txt")
body[i] ^= 0x01
e["payload"] = base64.b64encode(bytes(body)).decode()
json.dump(e, open("t.json", "w"))
PY
expect 1 "$PROVFS" verify --key k.pub t.json
err_has "no valid signature by a trusted key"
exit 0

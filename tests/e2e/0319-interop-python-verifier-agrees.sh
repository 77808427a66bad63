#!/bin/sh
# An independent verifier (tests/interop/verify_dsse.py, built from the DSSE
# and in-toto specs on python3-cryptography) accepts our manifest and
# rejects a tampered one.
. "$(dirname "$0")/manifest-lib.sh"
PY=$(python_bin) || exit 77
"$PY" -c 'import cryptography' 2>/dev/null || { echo "python3-cryptography missing" >&2; exit 77; }
VERIFIER="$HERE/../interop/verify_dsse.py"
make_manifest 5
expect 0 "$PY" "$VERIFIER" --key k.pub m.json ws/out/hello.txt ws/out/app.bin
"$PY" - <<'PY' || fail "could not tamper"
import base64, json
e = json.load(open("m.json"))
body = bytearray(base64.b64decode(e["payload"]))
body[-2] ^= 0x01
e["payload"] = base64.b64encode(bytes(body)).decode()
json.dump(e, open("t.json", "w"))
PY
cmp -s m.json t.json && fail "tampering did not change the file"
expect 1 "$PY" "$VERIFIER" --key k.pub t.json
"$PROVFS" keygen --out other >/dev/null
expect 1 "$PY" "$VERIFIER" --key other.pub m.json
exit 0

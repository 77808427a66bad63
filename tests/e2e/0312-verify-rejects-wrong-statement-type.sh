#!/bin/sh
# A correctly signed payload whose _type is not Statement v1 is refused
# (re-signed with our key through python3-cryptography, so only _type is wrong).
. "$(dirname "$0")/manifest-lib.sh"
make_manifest
PY=$(python_bin) || exit 77
"$PY" -c 'import cryptography' 2>/dev/null || exit 77
"$PY" - <<'PY' || fail "could not re-sign"
import base64, json
from cryptography.hazmat.primitives import serialization
e = json.load(open("m.json"))
stmt = json.loads(base64.b64decode(e["payload"]))
stmt["_type"] = "https://in-toto.io/Statement/v0.1"
body = json.dumps(stmt, sort_keys=True, separators=(",", ":")).encode()
key = serialization.load_pem_private_key(open("k.key", "rb").read(), None)
t = e["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)
e["payload"] = base64.b64encode(body).decode()
e["signatures"][0]["sig"] = base64.b64encode(key.sign(pae)).decode()
json.dump(e, open("t.json", "w"))
PY
expect 1 "$PROVFS" verify --key k.pub t.json
err_has "_type"
exit 0

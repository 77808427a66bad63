#!/bin/sh
# keygen writes PREFIX.key mode 0600 and PREFIX.pub (PEM), and never overwrites;
# --json names them.
. "$(dirname "$0")/manifest-lib.sh"
expect 0 "$PROVFS" keygen --out k
[ "$(stat -c %a k.key)" = 600 ] || fail "private key mode is $(stat -c %a k.key)"
grep -q "BEGIN PUBLIC KEY" k.pub || fail "k.pub is not a PEM public key"
grep -q "BEGIN PRIVATE KEY" k.key || fail "k.key is not a PEM private key"
before=$(sha256sum k.key k.pub)
expect 2 "$PROVFS" keygen --out k
err_has "already exists"
[ "$before" = "$(sha256sum k.key k.pub)" ] || fail "keygen overwrote a key"
# --json names the files written, encoding a name that is not UTF-8.
PY=$(python_bin) || exit 77
expect 0 "$PROVFS" keygen --json --out j
"$PY" -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["private"] == "j.key" and o["public"] == "j.pub", o
assert len(o["keyid"]) == 64 and "percentEncoded" not in o, o
' "$WORK/out" || fail "keygen --json: $(cat "$WORK/out")"
expect 0 "$PROVFS" keygen --json --out "$(printf 'l\377')"
"$PY" -c '
import json, sys
o = json.load(open(sys.argv[1]))
assert o["private"] == "l%FF.key" and o["public"] == "l%FF.pub", o
assert o["percentEncoded"] == ["/private", "/public"], o
' "$WORK/out" || fail "keygen --json of a Latin-1 name: $(cat "$WORK/out")"
expect 0 "$PROVFS" keygen --help
exit 0

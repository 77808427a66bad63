#!/bin/sh
# keygen writes PREFIX.key mode 0600 and PREFIX.pub (PEM), and never overwrites.
. "$(dirname "$0")/manifest-lib.sh"
expect 0 "$PROVFS" keygen --out k
[ "$(stat -c %a k.key)" = 600 ] || fail "private key mode is $(stat -c %a k.key)"
grep -q "BEGIN PUBLIC KEY" k.pub || fail "k.pub is not a PEM public key"
grep -q "BEGIN PRIVATE KEY" k.key || fail "k.key is not a PEM private key"
before=$(sha256sum k.key k.pub)
expect 2 "$PROVFS" keygen --out k
err_has "already exists"
[ "$before" = "$(sha256sum k.key k.pub)" ] || fail "keygen overwrote a key"
expect 0 "$PROVFS" keygen --help
exit 0

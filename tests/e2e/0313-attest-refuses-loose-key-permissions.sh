#!/bin/sh
# attest refuses a private key readable by group or others, saying how to fix it.
. "$(dirname "$0")/manifest-lib.sh"
"$MAKE_TEST_LOG" log.db ws 2 || fail make_test_log
"$PROVFS" keygen --out k >/dev/null || fail keygen
chmod 644 k.key
expect 2 "$PROVFS" attest --log log.db --key k.key --store st --out m.json
err_has "chmod 600"
[ ! -e m.json ] || fail "a manifest was written"
# The public key given by mistake: said so, not "chmod 600".
expect 2 "$PROVFS" attest --log log.db --key k.pub --store st --out m.json
err_has "not an Ed25519 private key"
[ ! -e m.json ] || fail "a manifest was written"
exit 0

#!/bin/sh
# attest refuses a private key readable by group or others, saying how to fix it.
# So does provfs run, before the build rather than after it.
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
mkdir -p ws2
(cd ws2 && "$PROVFS" run --store "$PWD/../st" --quiet --key ../k.key -- sh -c 'echo ran >ran.txt') \
	>out 2>err
assert_eq 2 "$?" "run with a loose key"
err_has "cannot use signing key '$PWD/k.key': it is accessible by group or others; run 'chmod 600'"
[ ! -e ws2/ran.txt ] || fail "run with a loose key ran the build"
(cd ws2 && "$PROVFS" run --store "$PWD/../st" --quiet --key ../k.pub -- true) >out 2>err
assert_eq 2 "$?" "run with the public key"
err_has "not an Ed25519 private key"
exit 0

#!/bin/sh
# Attesting the same log with the same options twice gives identical bytes.
. "$(dirname "$0")/manifest-lib.sh"
make_manifest 20
expect 0 "$PROVFS" attest --log log.db --key k.key --store st --out m2.json --exit-status 0 --no-env
cmp -s m.json m2.json || fail "manifests differ"
exit 0

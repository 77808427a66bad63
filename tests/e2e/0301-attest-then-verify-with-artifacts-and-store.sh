#!/bin/sh
# A manifest from attest verifies: signature, artifacts among subjects,
# every referenced object present and intact in the store.
. "$(dirname "$0")/manifest-lib.sh"
make_manifest 4
expect 0 "$PROVFS" verify --key k.pub m.json
expect 0 "$PROVFS" verify --key k.pub --store st m.json ws/out/hello.txt ws/out/app.bin
grep -q "2 artifacts matched" "$WORK/out" || fail "verify did not report the artifacts"
expect 0 "$PROVFS" verify --json --key k.pub m.json
grep -q '"verified":true' "$WORK/out" || fail "--json lacks verified:true"
exit 0

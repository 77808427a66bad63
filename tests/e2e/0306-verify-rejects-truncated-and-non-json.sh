#!/bin/sh
# A truncated manifest, a non-JSON file and an empty file are refused, no crash.
. "$(dirname "$0")/manifest-lib.sh"
make_manifest
head -c 200 m.json > trunc.json
expect 1 "$PROVFS" verify --key k.pub trunc.json
err_has "not a valid DSSE envelope"
echo "hello, I am not JSON" > text.json
expect 1 "$PROVFS" verify --key k.pub text.json
err_has "not a valid DSSE envelope"
: > empty.json
expect 1 "$PROVFS" verify --key k.pub empty.json
expect 1 "$PROVFS" show empty.json
exit 0

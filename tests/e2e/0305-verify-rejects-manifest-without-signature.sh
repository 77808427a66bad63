#!/bin/sh
# An envelope whose signature list is empty is refused.
. "$(dirname "$0")/manifest-lib.sh"
make_manifest
sed 's/"signatures":\[.*\]/"signatures":[]/' m.json > t.json
expect 1 "$PROVFS" verify --key k.pub t.json
err_has "no signatures"
exit 0

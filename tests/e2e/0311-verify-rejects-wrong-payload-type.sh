#!/bin/sh
# An envelope whose payloadType is not in-toto is refused.
. "$(dirname "$0")/manifest-lib.sh"
make_manifest
sed 's#application/vnd.in-toto+json#application/json#' m.json > t.json
expect 1 "$PROVFS" verify --key k.pub t.json
err_has "payloadType is 'application/json'"
exit 0

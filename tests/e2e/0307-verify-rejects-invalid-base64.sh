#!/bin/sh
# A payload or signature that is not base64 is refused with that reason.
. "$(dirname "$0")/manifest-lib.sh"
make_manifest
sed 's/"payload":"/"payload":"!!/' m.json > p.json
expect 1 "$PROVFS" verify --key k.pub p.json
err_has "payload is not valid base64"
sed 's/"sig":"/"sig":"*/' m.json > s.json
expect 1 "$PROVFS" verify --key k.pub s.json
err_has "signature is not valid base64"
exit 0

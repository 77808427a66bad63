#!/bin/sh
# An envelope repeating a key (two payloads: which one is signed?) is refused.
. "$(dirname "$0")/manifest-lib.sh"
make_manifest
sed 's/^{"payload":"\([^"]*\)"/{"payload":"\1","payload":"e30="/' m.json > d.json
grep -c '"payload":' d.json >/dev/null
expect 1 "$PROVFS" verify --key k.pub d.json
err_has "duplicate"
exit 0

#!/bin/sh
# With --store, a missing or corrupt referenced object fails verification.
. "$(dirname "$0")/manifest-lib.sh"
make_manifest
expect 0 "$PROVFS" verify --key k.pub --store st m.json
obj=$(find st/objects -type f | head -n 1)
chmod u+w "$obj"; echo garbage >> "$obj"
expect 1 "$PROVFS" verify --key k.pub --store st m.json
err_has "is corrupt"
rm -f "$obj"
expect 1 "$PROVFS" verify --key k.pub --store st m.json
err_has "missing from the store"
exit 0

#!/bin/sh
# A manifest over the 64 MiB limit is refused without being parsed.
. "$(dirname "$0")/manifest-lib.sh"
"$PROVFS" keygen --out k >/dev/null || fail keygen
truncate -s 65M huge.json
expect 1 "$PROVFS" verify --key k.pub huge.json
err_has "larger than 64 MiB"
exit 0

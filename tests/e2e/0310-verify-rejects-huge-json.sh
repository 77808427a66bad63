#!/bin/sh
# A manifest over the 256 MiB limit is refused without being parsed.
. "$(dirname "$0")/manifest-lib.sh"
"$PROVFS" keygen --out k >/dev/null || fail keygen
truncate -s 257M huge.json
expect 1 "$PROVFS" verify --key k.pub huge.json
err_has "larger than 256 MiB"
exit 0

#!/bin/sh
# An artifact whose content differs from the subject of the same name fails,
# naming both digests; a missing artifact file is a usage error.
. "$(dirname "$0")/manifest-lib.sh"
make_manifest
echo "changed" > hello.txt
expect 1 "$PROVFS" verify --key k.pub m.json hello.txt
err_has "subject 'out/hello.txt' has"
expect 2 "$PROVFS" verify --key k.pub m.json no-such-file
exit 0

#!/bin/sh
# An artifact whose content differs from the subject of the same name fails,
# naming both digests; a missing artifact file is a usage error, and so is
# one that is no regular file (a directory, /dev/zero, a FIFO: refused at
# once, never read or waited on).  A symlink to the artifact is followed.
. "$(dirname "$0")/manifest-lib.sh"
make_manifest
cp ws/out/hello.txt hello.orig
ln -s hello.orig link.txt
expect 0 "$PROVFS" verify --key k.pub m.json link.txt
echo "changed" > hello.txt
expect 1 "$PROVFS" verify --key k.pub m.json hello.txt
err_has "subject 'out/hello.txt' has"
expect 2 "$PROVFS" verify --key k.pub m.json no-such-file
mkdir adir
mkfifo afifo
for bad in adir /dev/zero afifo; do
	expect 2 timeout 60 "$PROVFS" verify --key k.pub m.json "$bad"
	err_has "is not a regular file"
done
exit 0

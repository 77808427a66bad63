#!/bin/sh
# 0100 on overlayfs (the root of most containers), which gives no file
# handles, with a daemon that may keep only 16 fds of inodes
# (PROVFS_FD_CACHE): inodes past those are found again by their path in
# the mount, through the suite's renames, links and unlinks, and files
# removed while in use stay usable.  The native run is on the same overlay.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/ov-lower" "$T/ov-upper" "$T/ov-work" "$T/ov"
# fsconform's permission checks run as uid 65534, which must reach both trees.
chmod 755 "$T" "$T/ov-lower" "$T/ov-upper"
mount -t overlay provfs-e2e -o "lowerdir=$T/ov-lower,upperdir=$T/ov-upper,workdir=$T/ov-work" \
	"$T/ov" 2>/dev/null || exit 77
trap 'cleanup; umount "$T/ov" 2>/dev/null' EXIT
PROVFS_FD_CACHE=16 TMPDIR=$T/ov sh "$(dirname "$0")/0100-posix-conformance.sh"

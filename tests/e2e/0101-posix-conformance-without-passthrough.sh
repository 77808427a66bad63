# 0100 again with --no-passthrough: the daemon's own read/write/mmap path
# must pass the conformance suite as the disk does, too.
MOUNT_OPTS=--no-passthrough
. "$(dirname "$0")/0100-posix-conformance.sh"

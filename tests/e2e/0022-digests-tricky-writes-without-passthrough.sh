# 0002 again with --no-passthrough: every write then reaches the daemon, and
# a strictly sequential writer is hashed inline rather than at capture.
MOUNT_OPTS=--no-passthrough
. "$(dirname "$0")/0002-digests-after-tricky-writes.sh"

#!/bin/sh
# 0100 with a daemon that may keep no fd of any inode (PROVFS_FD_CACHE=0),
# as in a long build that has filled the cache: every inode is found
# again by its file handle.  A handle finds an unlinked file but not a
# removed directory, which must stay usable as a process's working
# directory (ls in it, as coreutils' ls/removed-directory test does): the
# daemon keeps an fd of a directory it removes.
. "$(dirname "$0")/lib.sh"
PROVFS_FD_CACHE=0 sh "$(dirname "$0")/0100-posix-conformance.sh"

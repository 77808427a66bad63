/*
 * mountstate: the small state file a running mount daemon leaves for
 * 'provfs umount' (its pid and log path), under /run/provfs (or
 * $XDG_RUNTIME_DIR/provfs when not root), named by a digest of the mount
 * point's absolute path.
 */
#ifndef PROVFS_MOUNTSTATE_H
#define PROVFS_MOUNTSTATE_H

#include <sys/types.h>

/* Absolute, normalised path of a mount point, even when the mount is
 * dead (then the parent is resolved and the last component appended).
 * malloc'd; NULL with errno set. */
char *mountstate_abspath(const char *mountpoint);

int mountstate_write(const char *abs_mountpoint, pid_t pid, const char *log_path);
/* Reads the state; *log_path is malloc'd.  -ENOENT if there is none. */
int mountstate_read(const char *abs_mountpoint, pid_t *pid, char **log_path);
void mountstate_remove(const char *abs_mountpoint);

#endif

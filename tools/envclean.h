/* Cleaning a built environment so that the same definition with the same
 * package versions gives the same tree digest. */
#ifndef PROVFS_ENVCLEAN_H
#define PROVFS_ENVCLEAN_H

/* Days since the epoch, UTC (the unit of /etc/shadow's dates). */
long envclean_today(void);

/* Removes from the root filesystem at ROOT what changes from one build
 * to the next without meaning anything (package caches and lists, logs,
 * backups, random seeds, compiled Python caches), empties
 * /etc/machine-id, and /etc/resolv.conf and /etc/hostname where they are
 * copies of the host's, makes an /etc/hosts where there is none, and sets
 * the password-change dates in /etc/shadow that the build itself wrote
 * (days first_day .. last_day) to the date of the package lists the
 * build used.  Works chrooted into ROOT, so a
 * symlink in it (tmp -> /tmp) cannot lead to the host's files.  Returns 0
 * or -errno, having said what failed. */
int envclean_run(const char *root, long first_day, long last_day);

#endif

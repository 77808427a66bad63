/*
 * runuser: the user a build runs as (provfs run --user USER[:GROUP]),
 * looked up in the environment's own /etc/passwd and /etc/group, never
 * the host's: with --env the slave's root is another system, whose users
 * the host's name service knows nothing of.  The files are parsed here,
 * not through NSS, which would load the host's modules for a foreign root.
 *
 * USER is a name or a number; a number need not be listed (then its group
 * is the same number, its home '/', and it has no name), a name must be.
 * GROUP, when given, replaces the user's primary group and drops its
 * supplementary groups, as `setpriv --regid` does; without it the user gets
 * its primary group and every group of /etc/group listing it as a member.
 */
#ifndef PROVFS_RUNUSER_H
#define PROVFS_RUNUSER_H

#include <limits.h>
#include <sys/types.h>

#define RUNUSER_MAX_GROUPS 64

struct runuser {
	uid_t uid;
	gid_t gid;
	gid_t groups[RUNUSER_MAX_GROUPS]; /* supplementary, the primary first */
	int ngroups;
	char name[64];                    /* "" when the uid is not listed */
	char home[PATH_MAX];              /* from /etc/passwd, or "/" */
};

/* Resolves spec ("builder", "1000", "builder:wheel", "1000:1000") against
 * ROOT/etc/passwd and ROOT/etc/group.  0; -ENOENT if a name is not listed
 * (*what says "user" or "group"); -EINVAL for a malformed spec; -errno if
 * a file cannot be read. */
int runuser_resolve(const char *root, const char *spec, struct runuser *out, const char **what);

#endif

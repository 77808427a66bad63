/*
 * envfacts: what can be said about the environment a build ran in, read
 * from an environment root directory ("/" for the host): its OS release,
 * the packages its dpkg status says are installed, which package owns a
 * file (from dpkg's info/NAME.list), and the running kernel.
 *
 * Everything is read with plain file I/O, never by running dpkg, so an
 * environment tree that is not the host (a debootstrap root) is described
 * the same way.  A root without dpkg simply has no packages; a root without
 * os-release has empty OS fields.  Results are sorted, so the same root
 * always gives the same facts in the same order.
 */
#ifndef PROVFS_ENVFACTS_H
#define PROVFS_ENVFACTS_H

#include <stddef.h>

struct envfacts_package {
	char *name;
	char *version;
	char *arch;
};

struct envfacts {
	char *os_id;          /* os-release ID, "" if unknown */
	char *os_version_id;  /* os-release VERSION_ID (may be "") */
	char *os_pretty_name; /* os-release PRETTY_NAME (may be "") */
	char *kernel;         /* "sysname release version machine" from uname */
	struct envfacts_package *packages; /* installed, sorted by name, arch */
	size_t n_packages;
};

/* Collects facts for root.  Returns 0 or -errno (-ENOMEM, or an I/O error
 * other than a missing file, which is not an error). */
int envfacts_collect(const char *root, struct envfacts *out);
void envfacts_free(struct envfacts *facts);

/* Parses os-release text into the os_* fields of facts (replacing them). */
int envfacts_parse_os_release(const char *text, struct envfacts *facts);

/* Parses dpkg status text, keeping installed packages, sorted. */
int envfacts_parse_dpkg_status(const char *text, struct envfacts *facts);

/* For each of n absolute paths, owners[i] gets a malloc'd "name" (or
 * "name:arch" as dpkg lists it) of the package whose info/NAME.list names it,
 * or NULL.  owners must hold n pointers.  0 or -ENOMEM; a root without
 * dpkg info leaves every owner NULL. */
int envfacts_file_owners(const char *root, const char *const *paths, size_t n, char **owners);

/* The same answers, remembered in cache_file across calls: finding an
 * owner means reading every .list file (832 on a desktop host, ~25 ms),
 * while the next build of a project asks about the same few hundred
 * paths.  The cache holds answers for paths asked before, valid while a
 * fingerprint of root's dpkg info directory (every .list file's name,
 * size, mtime and inode) is unchanged; paths it does not know are looked
 * up as above and added.  A missing, stale or damaged cache is rebuilt;
 * one that cannot be written is skipped.  Same results and errors as
 * envfacts_file_owners. */
int envfacts_file_owners_cached(const char *root, const char *cache_file,
				const char *const *paths, size_t n, char **owners);

/* Reads root/rel, a regular file, resolving its symlinks within root (an
 * absolute one is root's, not the host's): 0 with *text (malloc'd, NUL
 * ended, at most max bytes), 1 if absent or no regular file, or -errno. */
int envfacts_read_in_root(const char *root, const char *rel, size_t max, char **text);

#endif

/*
 * tree: a directory snapshot as one canonical text object in the store.
 *
 * Format (docs/store.md):
 *   provfs-tree 1\n
 *   then one line per entry, sorted by the raw bytes of PATH:
 *   TYPE SP MODE SP UID SP GID SP SIZE SP DIGEST SP PATH [SP TARGET] \n
 * TYPE is f d l c b p s; MODE four octal digits (permission and
 * setuid/setgid/sticky bits); SIZE the byte count of a file, "MAJ:MIN" of a
 * device, 0 otherwise; DIGEST the SHA-256 of a file's content, "-"
 * otherwise; TARGET only for symlinks.  PATH is relative to the snapshot
 * root ("." for the root itself).  In PATH and TARGET every byte below
 * 0x21, 0x7f and '%' is written %XX.  Timestamps are left out so that the
 * same content always gives the same digest.
 */
#ifndef PROVFS_TREE_H
#define PROVFS_TREE_H

#include <stdint.h>
#include <sys/types.h>

#include "cas.h"

struct tree_stats {
	uint64_t files, dirs, symlinks, others;
	uint64_t bytes;       /* total size of regular files */
	uint64_t skipped;     /* directories not entered (one_fs, skip_ino) */
};

/* Called now and then during a long snapshot with the counts so far. */
typedef void (*tree_progress)(void *arg, const struct tree_stats *stats);

struct tree_options {
	int store_files;  /* also put every regular file into the store */
	int one_fs;       /* do not descend into other filesystems */
	/* A directory not to descend into, if skip_ino is not 0 (the
	 * store, when it lies in the tree): it is listed empty. */
	dev_t skip_dev;
	ino_t skip_ino;
	tree_progress progress;
	void *progress_arg;
};

/* Snapshots dir into a tree object stored in cas; hex_out gets its digest.
 * Returns 0 or -errno; on error nothing but complete objects remain. */
int tree_snapshot(struct cas *cas, const char *dir, const struct tree_options *opt,
		  char hex_out[DIGEST_HEX_LEN + 1], struct tree_stats *stats);

/* Escapes a path for the tree format into a malloc'd string. */
char *tree_escape(const char *path);

/* One parsed line of a tree object. */
struct tree_entry {
	char type;           /* f d l c b p s */
	mode_t mode;         /* permission bits only (07777) */
	uid_t uid;
	gid_t gid;
	uint64_t size;       /* files */
	unsigned int major, minor; /* devices */
	char digest[DIGEST_HEX_LEN + 1]; /* files; "" otherwise */
	const char *path;    /* unescaped, relative, "." for the root */
	const char *target;  /* unescaped symlink target, or NULL */
};

/* Called for each entry in order; a non-zero return stops the parse and
 * is returned. */
typedef int (*tree_visit)(void *arg, const struct tree_entry *entry);

/* Parses a tree object.  Every path is checked: absolute paths, "..",
 * empty or "." components (other than the root ".") are refused, since
 * tree objects may come from elsewhere.  Returns 0, the visitor's
 * non-zero value, or -EBADMSG for a malformed or hostile tree. */
int tree_parse(const char *text, size_t len, tree_visit visit, void *arg);

#endif

/*
 * envstore: build environments kept in the store.  An environment is a
 * tree object (see fs/tree.h) whose files are all in the store; its digest
 * names it exactly.  Besides the objects, the store keeps:
 *   envs/<digest>.json     what we know about it (name, source, counts)
 *   envs/<digest>/root     the tree materialised for use as a slave root,
 *                          made once and reused (read-only by convention)
 * Materialising checks every file against its digest, so a corrupt object
 * is reported, never served; a hostile tree cannot write outside the root
 * (every path is resolved component by component without following
 * symlinks).
 */
#ifndef PROVFS_ENVSTORE_H
#define PROVFS_ENVSTORE_H

#include <stddef.h>

#include "tree.h"

/* Imports a directory (or, if tarball is set, a tar archive) as an
 * environment; hex gets its digest.  0, -errno, or ENVSTORE_UNPACK_FAILED
 * if tar refused the archive (it said why on standard error: a member
 * named with "..", one under a symlink, a damaged archive); nothing is
 * stored then. */
#define ENVSTORE_UNPACK_FAILED 1
int envstore_import(const char *store, const char *source, int tarball, const char *name,
		    int quiet, char hex[DIGEST_HEX_LEN + 1], struct tree_stats *stats);

/* Resolves NAME_OR_DIGEST (a full digest, a unique prefix of at least 8
 * hex digits, or a name given at import: of several environments given
 * one name, the newest) to a digest.  0, -ENOENT, or -EEXIST when a
 * prefix is ambiguous. */
int envstore_resolve(const char *store, const char *what, char hex[DIGEST_HEX_LEN + 1]);

/* Materialises environment `what` (see envstore_resolve) and returns the
 * root directory in rootdir and its digest in hex.  0, -ENOENT (unknown),
 * -EBADMSG (corrupt tree or object), or -errno. */
int envstore_materialize(const char *store, const char *what, char *rootdir, size_t rootlen,
			 char hex[DIGEST_HEX_LEN + 1], int quiet, char *why, size_t whylen);

/* Staging directories, STORE/tmp/KIND.XXXXXX, where env build and import
 * make a root before it is stored.  Each is held (an flock on it) while
 * in use, so one whose maker was killed (Ctrl-C during debootstrap) is
 * told from one in use: envstore_staging_make removes those first.
 * Makes one in path, held through *held; 0 or -errno. */
int envstore_staging_make(const char *store, const char *kind, char *path, size_t len,
			  int *held);
/* Removes it and lets it go; 0 or -errno of the removal. */
int envstore_staging_drop(const char *path, int held);

/* Writes the metadata file for an imported environment. */
int envstore_write_meta(const char *store, const char *hex, const char *name, const char *source,
			const struct tree_stats *stats);

#endif

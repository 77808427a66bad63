/*
 * dcfile: the store's persistent digest cache (STORE/cache/digests).
 *
 * A read-only mount of an environment hashes the same compilers, headers
 * and libraries for every build.  Their digests are remembered across
 * mounts in one append-only file of fixed-size records, keyed like the
 * in-memory cache (and like git's index): (dev, ino, size, mtime_ns,
 * ctime_ns).  Every record carries a checksum; a torn or corrupt record
 * ends the load (it is a cache: anything not loaded is simply hashed
 * again), and a file of the wrong shape is started afresh.  See
 * docs/store.md.
 */
#ifndef PROVFS_DCFILE_H
#define PROVFS_DCFILE_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

struct dcfile_rec {
	uint64_t dev, ino;
	int64_t size, mtime_ns, ctime_ns;
	uint8_t digest[DIGEST_LEN];
};

struct dcfile;

/* Above this size the file is emptied when opened (stale entries of
 * replaced files are never removed one by one). */
#define DCFILE_MAX_BYTES (64u << 20)

/* A digest is remembered only for a file whose ctime is this much older
 * than the moment we began reading it: a change within one timestamp
 * tick would not show in the key (git's "racy" entries). */
#define DCFILE_SETTLED_NS 2000000000LL

/* Opens (creating it and its directory, mode 0600) the cache file at
 * path; 0 or -errno. */
int dcfile_open(const char *path, struct dcfile **out);

/* Calls fn for every valid record, oldest first; returns how many. */
long dcfile_load(struct dcfile *dc, void (*fn)(void *arg, const struct dcfile_rec *r),
		 void *arg);

/* Appends one record (a single write, so concurrent daemons sharing the
 * file never interleave inside a record); 0 or -errno. */
int dcfile_append(struct dcfile *dc, const struct dcfile_rec *r);

void dcfile_close(struct dcfile *dc);

#endif

/*
 * cas: the content-addressed store.
 *
 * Layout under the store root:
 *   objects/sha256/ab/cdef...   one file per object, named by the SHA-256
 *                               of its bytes (two-hex fan-out), mode 0444
 *   tmp/                        objects being written; renamed into place
 *   logs/  builds/  keys/       used by the layers above
 *
 * Invariants: an object appears under objects/ only after its bytes were
 * written to tmp/, fsync'd and renamed, so a crash leaves at worst a stray
 * file in tmp/, never a partial object.  Objects are never modified.  An
 * object whose bytes do not hash to its name is corrupt; cas_fsck finds it.
 * All functions are thread-safe; they return 0 or -errno.
 */
#ifndef PROVFS_CAS_H
#define PROVFS_CAS_H

#include <stdint.h>
#include <sys/types.h>

#include "util.h"

struct cas;

/* Makes the store's directory root, mode 0700 (its parents 0755), if it
 * is not there: a store holds what builds read (/etc/shadow, a token
 * file), whatever those files' modes.  0 or -errno (errno set too). */
int cas_make_root(const char *root);

/* Opens the store at root, creating its directories when create is set.
 * Fails with -EACCES/-EROFS if the store is not writable and create is set.
 * With create, the handle holds the store's lock shared until cas_close
 * (waiting while `provfs store gc` holds it). */
int cas_open(const char *root, int create, struct cas **out);
void cas_close(struct cas *cas);

/* The store's lock, STORE/lock (flock).  Whoever adds objects, or relies on
 * an object it found already stored, holds it shared for as long as it
 * does (cas_open with create; provfs run for a whole build); garbage
 * collection holds it exclusively, so it never runs beside them.  Returns
 * the fd that holds the lock (close it to release), -EWOULDBLOCK if it is
 * held the other way and wait is 0, or -errno. */
int cas_lock(const char *root, int exclusive, int wait);

/* cas_lock, taken in turn through STORE/gate, for those that start work on
 * the store (a build, an env import, gc) rather than a step inside one (a
 * mount daemon, attest).  flock favours no waiter, so an exclusive locker
 * could wait for ever while shared holders come and go; here it holds the
 * gate exclusively while it waits, and new shared lockers queue at the gate
 * behind it.  The gate is held only while the lock is taken.  Steps inside
 * a build take cas_lock directly: at the gate, they would wait for a gc
 * that waits for their own build. */
int cas_lock_turn(const char *root, int exclusive, int wait);

/* Refs keep objects from garbage collection: STORE/refs/NAME holds text
 * naming them (any 64-hex digest in it; or "log PATH\n", an access log kept
 * outside the store, whose digests are kept while it exists).  Written
 * whole (a temporary file renamed), replacing a ref of the same name.
 * NAME is one path component.  0 or -errno (-ENOENT: no such ref). */
int cas_ref_write(const struct cas *cas, const char *name, const char *text);
int cas_ref_remove(const struct cas *cas, const char *name);

/* The store's root directory as given to cas_open. */
const char *cas_root(const struct cas *cas);

/* malloc'd path of object hex (need not exist); NULL on ENOMEM. */
char *cas_object_path(const struct cas *cas, const char *hex);

/* 1 if the object exists, 0 if not. */
int cas_has(const struct cas *cas, const char *hex);

/* 1 if the object exists as a regular file of size bytes (any size if
 * size < 0), 0 if not.  The put functions below take an object that fails
 * this for damaged (truncated by a full disk or a crash of another tool,
 * replaced by something else) and replace it, rather than keep it because
 * its name is there. */
int cas_has_size(const struct cas *cas, const char *hex, int64_t size);

/* Stores a buffer; hex_out (65 bytes) gets its digest name. */
int cas_put_buffer(struct cas *cas, const void *buf, size_t len, char hex_out[DIGEST_HEX_LEN + 1]);

/* Stores the whole content of fd (read from offset 0 with pread).  When
 * known is non-NULL it is the caller's digest of the content: the bytes are
 * then copied in the kernel (copy_file_range) without hashing, and the copy
 * is refused with -ESTALE if fd's size or mtime changed while copying.
 * hex_out gets the digest name of what was stored. */
int cas_put_fd(struct cas *cas, int fd, const uint8_t *known, char hex_out[DIGEST_HEX_LEN + 1]);

/* Deferred durability for many small objects: cas_batch_put writes the
 * object into tmp/ without fsync; cas_batch_commit makes the whole batch
 * durable with one syncfs() (a small batch: fdatasync of each file) and
 * only then renames each into objects/.  An object is therefore never
 * visible before its bytes are on disk.  items grows through array_push. */
struct cas_batch {
	size_t n;
	struct cas_batch_item {
		char tmpname[64];
		char hex[DIGEST_HEX_LEN + 1];
	} *items;
};

/* Like cas_put_fd, into batch.  hex_out is valid at once; the object
 * exists only after cas_batch_commit returned 0. */
int cas_batch_put_fd(struct cas *cas, struct cas_batch *batch, int fd, const uint8_t *known,
		     char hex_out[DIGEST_HEX_LEN + 1]);

/* Commits every object in batch and empties it.  On error the batch's
 * temporary files are removed and the first -errno is returned; results[i]
 * (if non-NULL, batch->n entries) gets each item's 0 or -errno. */
int cas_batch_commit(struct cas *cas, struct cas_batch *batch, int *results);
void cas_batch_free(struct cas_batch *batch);

/* Removes the most recently added object from batch (and its tmp file). */
void cas_batch_discard_last(struct cas *cas, struct cas_batch *batch);

/* Opens object hex read-only; returns an fd or -errno (-ENOENT if absent). */
int cas_open_object(const struct cas *cas, const char *hex);

/* Reads a whole object (at most max bytes, else -EFBIG) into a malloc'd,
 * NUL-terminated buffer, checking that it hashes to its name (-EBADMSG if
 * not). */
int cas_read_object(const struct cas *cas, const char *hex, size_t max, char **out, size_t *len);

/* Re-hashes object hex: 0 intact, -EBADMSG corrupt, -ENOENT missing. */
int cas_verify_object(const struct cas *cas, const char *hex);

/* Called by cas_fsck for each problem found; what is "corrupt",
 * "misplaced" (a file under objects/ that is not a digest name) or
 * "unreadable" (a fan-out directory that cannot be opened). */
typedef void (*cas_fsck_report)(void *arg, const char *what, const char *path);

/* Called by cas_walk with each object's digest name; a non-zero return
 * (-errno) stops the walk. */
typedef int (*cas_walk_visit)(void *arg, const char *hex);

/* Visits every object under objects/ (report gets what is not an object).
 * Returns the number of problems reported (>= 0), the visitor's non-zero
 * return, or -errno. */
int cas_walk(const struct cas *cas, cas_walk_visit visit, cas_fsck_report report, void *arg);

/* The disk space object hex takes (its allocated blocks); 0 or -errno. */
int cas_object_disk_usage(const struct cas *cas, const char *hex, uint64_t *bytes);

/* Deletes object hex; *bytes (if non-NULL) gets the disk space it held.
 * Only for garbage collection, under the store's lock held exclusively. */
int cas_remove_object(struct cas *cas, const char *hex, uint64_t *bytes);

/* Deletes everything in tmp/ (a crashed writer's objects, an import's
 * unpacked tree) but what someone holds an flock on (the staging
 * directory of an env build still running, which takes no store lock
 * until it stores); *removed gets how many entries.  Only under the
 * store's lock held exclusively. */
int cas_clear_tmp(struct cas *cas, size_t *removed);

/* Called by cas_fsck after each object it hashed: how many so far, and
 * their bytes. */
typedef void (*cas_fsck_progress)(void *arg, uint64_t checked, uint64_t bytes);

/* Checks every object, calling progress (if not NULL) after each.
 * *checked gets the number of objects hashed.  Returns the number of
 * problems found (>= 0) or -errno. */
int cas_fsck(const struct cas *cas, cas_fsck_report report, cas_fsck_progress progress,
	     void *arg, uint64_t *checked);

#endif

/*
 * digest: SHA-256 through OpenSSL EVP (SHA-NI makes it ~2 GB/s here).
 * A digest is 32 raw bytes; its name everywhere else is 64 lowercase hex.
 */
#ifndef PROVFS_DIGEST_H
#define PROVFS_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

struct digest_ctx;

/* A fresh incremental context; NULL on ENOMEM. */
struct digest_ctx *digest_new(void);
/* Feed bytes; 0 or -EIO. */
int digest_update(struct digest_ctx *ctx, const void *buf, size_t len);
/* Finish into out and free the context (ctx may not be used afterwards). */
int digest_final(struct digest_ctx *ctx, uint8_t out[DIGEST_LEN]);
/* Drop a context without finishing it. */
void digest_free(struct digest_ctx *ctx);

/* One-shot digest of a buffer. */
int digest_buffer(const void *buf, size_t len, uint8_t out[DIGEST_LEN]);

/* Digest of everything readable from fd starting at offset 0 (pread, so
 * the file position is untouched).  *size gets the byte count if non-NULL.
 * Returns 0 or -errno; -ENOENT if, past the first GiB, the regular file
 * turns out to have been deleted, or is deleted already and larger (a
 * scratch file is not hashed to its end; digest_copy_fd alike). */
int digest_fd(int fd, uint8_t out[DIGEST_LEN], uint64_t *size);

/* Copies everything readable from src (from offset 0, with pread) to dst
 * (at its position) and hashes it on the way.  0 or -errno. */
int digest_copy_fd(int src, int dst, uint8_t out[DIGEST_LEN]);

/* Digest of the file at path (opened O_RDONLY|O_NOFOLLOW relative to dirfd). */
int digest_file_at(int dirfd, const char *path, uint8_t out[DIGEST_LEN], uint64_t *size);

#endif

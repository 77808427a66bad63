#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads go in 1 MiB chunks: large enough to amortise syscalls, small
 * enough to stay in L2 while SHA-NI chews on it. */
#define DIGEST_CHUNK (1u << 20)

struct digest_ctx {
	EVP_MD_CTX *md; /* the running SHA-256 state */
};

struct digest_ctx *digest_new(void)
{
	struct digest_ctx *ctx = malloc(sizeof(*ctx));

	if (!ctx)
		return NULL;
	ctx->md = EVP_MD_CTX_new();
	if (!ctx->md || EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx->md);
		free(ctx);
		return NULL;
	}
	return ctx;
}

int digest_update(struct digest_ctx *ctx, const void *buf, size_t len)
{
	return EVP_DigestUpdate(ctx->md, buf, len) == 1 ? 0 : -EIO;
}

int digest_final(struct digest_ctx *ctx, uint8_t out[DIGEST_LEN])
{
	unsigned int n = 0;
	int ok = EVP_DigestFinal_ex(ctx->md, out, &n) == 1 && n == DIGEST_LEN;

	digest_free(ctx);
	return ok ? 0 : -EIO;
}

void digest_free(struct digest_ctx *ctx)
{
	if (!ctx)
		return;
	EVP_MD_CTX_free(ctx->md);
	free(ctx);
}

int digest_buffer(const void *buf, size_t len, uint8_t out[DIGEST_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) != 1)
		return -EIO;
	return 0;
}

/* Every this many bytes hashed, a long hash checks that its file still has
 * a name: one deleted meanwhile (a test suite's 1 TiB sparse scratch
 * file) is nobody's output, and hashing the rest took minutes per TiB. */
#define DIGEST_GONE_CHECK (1ULL << 30)

/* -ENOENT if st is of a regular file that has been deleted, else 0. */
static int stat_deleted(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_nlink == 0 ? -ENOENT : 0;
}

/* The same for fd's file. */
static int deleted(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? stat_deleted(&st) : 0;
}

/* The next hole of a sparse src at or after *off: feeds the zeros it holds
 * to ctx without reading them, and skips over them in dst (which then
 * keeps the hole).  *data_end becomes the end of the data that follows.
 * Returns 0, 1 if src turned out not to support SEEK_DATA (nothing was
 * hashed then), or -errno. */
static int skip_hole(int src, int dst, struct digest_ctx *ctx, char *buf, uint64_t *off,
		     uint64_t *data_end)
{
	off_t d, h = -1;
	int r = fd_next_data(src, (off_t)*off, &d, &h);
	struct stat st;

	if (r == 1) {
		/* A hole up to the end, as the file is now: it may have
		 * grown since hashing began (a truncate that extends it),
		 * and the new end must not be read as data. */
		if (fstat(src, &st) < 0)
			return -errno;
		d = st.st_size > (off_t)*off ? st.st_size : (off_t)*off;
	} else if (r < 0) {
		return 1;
	}
	if ((uint64_t)d > *off) {
		uint64_t left = (uint64_t)d - *off;

		uint64_t since = 0;

		memset(buf, 0, DIGEST_CHUNK);
		while (left > 0) {
			size_t n = left < DIGEST_CHUNK ? (size_t)left : DIGEST_CHUNK;

			digest_update(ctx, buf, n);
			left -= n;
			since += n;
			if (since >= DIGEST_GONE_CHECK) {
				since = 0;
				if (deleted(src))
					return -ENOENT;
			}
		}
		if (dst >= 0 && lseek(dst, d - (off_t)*off, SEEK_CUR) < 0)
			return -errno;
		*off = (uint64_t)d;
	}
	*data_end = h < 0 ? UINT64_MAX : (uint64_t)h;
	return 0;
}

/* Hashes everything readable from src (pread from offset 0), writing it
 * to dst on the way unless dst < 0; *size gets the byte count.  A sparse
 * src (fewer blocks than its size needs) is read extent by extent: its
 * holes are hashed as the zeros they read as, without reading them, and
 * stay holes in dst, so a 20 GB sparse file costs no 20 GB of disk. */
static int hash_copy(int src, int dst, uint8_t out[DIGEST_LEN], uint64_t *size)
{
	struct digest_ctx *ctx = digest_new();
	char *buf = malloc(DIGEST_CHUNK);
	uint64_t off = 0, data_end = 0;
	struct stat st;
	int ret = 0, sparse = 0, skipped = 0;

	if (!ctx || !buf) {
		digest_free(ctx);
		free(buf);
		return -ENOMEM;
	}
	if (fstat(src, &st) == 0) {
		/* Deleted already, and past the size a hash goes before it
		 * looks: not begun at all. */
		if ((uint64_t)st.st_size > DIGEST_GONE_CHECK && stat_deleted(&st)) {
			digest_free(ctx);
			free(buf);
			return -ENOENT;
		}
		sparse = stat_is_sparse(&st);
	}
	for (;;) {
		size_t want = DIGEST_CHUNK;
		ssize_t n;

		if (sparse && off >= data_end) {
			uint64_t before = off;

			ret = skip_hole(src, dst, ctx, buf, &off, &data_end);
			if (ret < 0)
				break;
			if (ret == 1)
				sparse = 0; /* no SEEK_DATA here: read it all */
			ret = 0;
			skipped |= off != before;
		}
		if (sparse && data_end - off < want)
			want = (size_t)(data_end - off);
		n = pread(src, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		digest_update(ctx, buf, (size_t)n);
		if (dst >= 0) {
			ret = write_full(dst, buf, (size_t)n);
			if (ret < 0)
				break;
		}
		if ((off + (uint64_t)n) / DIGEST_GONE_CHECK != off / DIGEST_GONE_CHECK &&
		    (ret = deleted(src)) < 0)
			break;
		off += (uint64_t)n;
	}
	/* A hole at the end of src: dst gets its length. */
	if (ret == 0 && dst >= 0 && skipped && ftruncate(dst, (off_t)off) < 0)
		ret = -errno;
	free(buf);
	if (ret < 0) {
		digest_free(ctx);
		return ret;
	}
	if (size)
		*size = off;
	return digest_final(ctx, out);
}

int digest_fd(int fd, uint8_t out[DIGEST_LEN], uint64_t *size)
{
	return hash_copy(fd, -1, out, size);
}

int digest_file_at(int dirfd, const char *path, uint8_t out[DIGEST_LEN], uint64_t *size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = digest_fd(fd, out, size);
	close(fd);
	return ret;
}

int digest_copy_fd(int src, int dst, uint8_t raw[DIGEST_LEN])
{
	return hash_copy(src, dst, raw, NULL);
}

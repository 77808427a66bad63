#include "digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
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

/* Hashes everything readable from src (pread from offset 0), writing it
 * to dst on the way unless dst < 0; *size gets the byte count. */
static int hash_copy(int src, int dst, uint8_t out[DIGEST_LEN], uint64_t *size)
{
	struct digest_ctx *ctx = digest_new();
	char *buf = malloc(DIGEST_CHUNK);
	uint64_t off = 0;
	int ret = 0;

	if (!ctx || !buf) {
		digest_free(ctx);
		free(buf);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n = pread(src, buf, DIGEST_CHUNK, (off_t)off);

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
		off += (uint64_t)n;
	}
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

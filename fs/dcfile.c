/*
 * dcfile: the store's persistent digest cache (see dcfile.h).
 *
 * Layout: a 16-byte header "provfs-dcache 1\n", then records of 80 bytes:
 * dev, ino, size, mtime_ns, ctime_ns (8 bytes each, host order), the
 * SHA-256 (32 bytes) and an FNV-1a-64 check of the 72 bytes before it.
 * Appends hold a shared flock and repairs an exclusive one, so a daemon
 * trimming a torn tail never cuts another daemon's record in half.
 */
#include "dcfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define DC_MAGIC "provfs-dcache 1\n"
#define DC_HDR 16
#define DC_BODY 72
#define DC_REC 80

struct dcfile {
	int fd;
};

static uint64_t check_of(const uint8_t *p)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < DC_BODY; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ 0x70726f7666736463ULL; /* an all-zero record never checks */
}

static void encode(const struct dcfile_rec *r, uint8_t out[DC_REC])
{
	uint64_t f[5] = {r->dev, r->ino, (uint64_t)r->size, (uint64_t)r->mtime_ns,
			 (uint64_t)r->ctime_ns};
	uint64_t c;

	memcpy(out, f, sizeof(f));
	memcpy(out + sizeof(f), r->digest, DIGEST_LEN);
	c = check_of(out);
	memcpy(out + DC_BODY, &c, sizeof(c));
}

static int decode(const uint8_t in[DC_REC], struct dcfile_rec *r)
{
	uint64_t f[5], c;

	memcpy(&c, in + DC_BODY, sizeof(c));
	if (c != check_of(in))
		return -1;
	memcpy(f, in, sizeof(f));
	r->dev = f[0];
	r->ino = f[1];
	r->size = (int64_t)f[2];
	r->mtime_ns = (int64_t)f[3];
	r->ctime_ns = (int64_t)f[4];
	memcpy(r->digest, in + sizeof(f), DIGEST_LEN);
	return 0;
}

/* Under the exclusive lock: a file that is not ours, or too big, starts
 * afresh; a torn last record is cut off. */
static int repair(int fd)
{
	char hdr[DC_HDR];
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size >= DC_HDR && (uint64_t)st.st_size <= DCFILE_MAX_BYTES &&
	    pread(fd, hdr, DC_HDR, 0) == DC_HDR && memcmp(hdr, DC_MAGIC, DC_HDR) == 0) {
		off_t torn = (st.st_size - DC_HDR) % DC_REC;

		if (torn && ftruncate(fd, st.st_size - torn) < 0)
			return -errno;
		return 0;
	}
	if (ftruncate(fd, 0) < 0)
		return -errno;
	return write_full(fd, DC_MAGIC, DC_HDR);
}

int dcfile_open(const char *path, struct dcfile **out)
{
	struct dcfile *dc;
	int fd, ret;

	*out = NULL;
	ret = mkdir_parent(path, 0700);
	if (ret < 0)
		return ret;
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = repair(fd);
	flock(fd, LOCK_UN);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	dc = calloc(1, sizeof(*dc));
	if (!dc) {
		close(fd);
		return -ENOMEM;
	}
	dc->fd = fd;
	*out = dc;
	return 0;
}

long dcfile_load(struct dcfile *dc, void (*fn)(void *arg, const struct dcfile_rec *r), void *arg)
{
	uint8_t buf[DC_REC * 1024];
	off_t off = DC_HDR;
	long n = 0;
	ssize_t got;

	while ((got = pread(dc->fd, buf, sizeof(buf), off)) >= DC_REC) {
		size_t whole = (size_t)got / DC_REC * DC_REC;

		for (size_t i = 0; i < whole; i += DC_REC) {
			struct dcfile_rec r;

			if (decode(buf + i, &r) == 0) {
				fn(arg, &r);
				n++;
			}
		}
		off += (off_t)whole;
	}
	return n;
}

int dcfile_append(struct dcfile *dc, const struct dcfile_rec *r)
{
	uint8_t rec[DC_REC];
	int ret;

	encode(r, rec);
	if (flock(dc->fd, LOCK_SH) < 0)
		return -errno;
	ret = write_full(dc->fd, rec, sizeof(rec));
	flock(dc->fd, LOCK_UN);
	return ret;
}

void dcfile_close(struct dcfile *dc)
{
	if (!dc)
		return;
	close(dc->fd);
	free(dc);
}

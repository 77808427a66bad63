#include "cas.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"

struct cas {
	char *root;    /* store root as given */
	int objects_fd; /* objects/sha256, O_PATH|O_DIRECTORY */
	int tmp_fd;     /* tmp/, O_PATH|O_DIRECTORY */
	int lock_fd;    /* STORE/lock held shared (create only), else -1 */
};

static int open_dir(const char *root, const char *sub, int create, int *out)
{
	char *path = path_join(root, sub);
	int fd, ret = 0;

	if (!path)
		return -ENOMEM;
	if (create)
		ret = mkdir_p(path, 0755);
	if (ret == 0) {
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			ret = -errno;
		else
			*out = fd;
	}
	free(path);
	return ret;
}

int cas_make_root(const char *root)
{
	char *dir = strdup(root);
	size_t n = dir ? strlen(dir) : 0;
	int ret;

	if (!dir)
		return -ENOMEM;
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	ret = mkdir_parent(dir, 0755);
	if (ret == 0 && mkdir(dir, 0700) < 0) {
		struct stat st;

		ret = errno != EEXIST ? -errno : stat(dir, &st) < 0 ? -errno
						: !S_ISDIR(st.st_mode) ? -ENOTDIR : 0;
	}
	free(dir);
	if (ret < 0)
		errno = -ret;
	return ret;
}

int cas_open(const char *root, int create, struct cas **out)
{
	struct cas *cas = calloc(1, sizeof(*cas));
	int ret;

	if (!cas)
		return -ENOMEM;
	cas->objects_fd = cas->tmp_fd = cas->lock_fd = -1;
	cas->root = strdup(root);
	if (!cas->root) {
		free(cas);
		return -ENOMEM;
	}
	/* A new store is its owner's alone: objects hold what builds read,
	 * /etc/shadow or a token file included, whatever its mode was. */
	ret = create ? cas_make_root(root) : 0;
	if (ret == 0)
		ret = open_dir(root, "objects/sha256", create, &cas->objects_fd);
	if (ret == 0)
		ret = open_dir(root, "tmp", create, &cas->tmp_fd);
	if (ret == 0 && create) {
		static const char *const subs[] = {"logs", "builds", "keys"};

		for (size_t i = 0; i < 3 && ret == 0; i++) {
			char *p = path_join(root, subs[i]);

			ret = p ? mkdir_p(p, 0755) : -ENOMEM;
			free(p);
		}
		/* Probe writability now, so a read-only store fails at open
		 * rather than at the first capture. */
		if (ret == 0 && faccessat(cas->tmp_fd, ".", W_OK, AT_EACCESS) < 0)
			ret = -errno;
		if (ret == 0) {
			cas->lock_fd = cas_lock(root, 0, 1);
			ret = cas->lock_fd < 0 ? cas->lock_fd : 0;
		}
	}
	if (ret < 0) {
		cas_close(cas);
		return ret;
	}
	*out = cas;
	return 0;
}

void cas_close(struct cas *cas)
{
	if (!cas)
		return;
	if (cas->objects_fd >= 0)
		close(cas->objects_fd);
	if (cas->tmp_fd >= 0)
		close(cas->tmp_fd);
	if (cas->lock_fd >= 0)
		close(cas->lock_fd);
	free(cas->root);
	free(cas);
}

/* Opens STORE/NAME (made if missing) and flocks it with op; the fd, or
 * -errno. */
static int lock_file(const char *root, const char *name, int op)
{
	char *path = path_join(root, name);
	int fd;

	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	free(path);
	if (fd < 0)
		return -errno;
	while (flock(fd, op) < 0) {
		int err = errno;

		if (err == EINTR)
			continue;
		close(fd);
		return -err;
	}
	return fd;
}

static int lock_op(int exclusive, int wait)
{
	return (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
}

int cas_lock(const char *root, int exclusive, int wait)
{
	return lock_file(root, "lock", lock_op(exclusive, wait));
}

int cas_lock_turn(const char *root, int exclusive, int wait)
{
	int gate = lock_file(root, "gate", lock_op(exclusive, wait));
	int fd;

	if (gate < 0)
		return gate;
	fd = lock_file(root, "lock", lock_op(exclusive, wait));
	close(gate);
	return fd;
}

/* STORE/refs/NAME, malloc'd (a ref is written through a temporary file
 * beside it whose name starts with ".", which gc skips); NULL with
 * errno EINVAL for a name that is not one component, or ENOMEM. */
static char *ref_path(const struct cas *cas, const char *name)
{
	char *path;

	if (!name[0] || name[0] == '.' || strchr(name, '/')) {
		errno = EINVAL;
		return NULL;
	}
	if (asprintf(&path, "%s/refs/%s", cas->root, name) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return path;
}

int cas_ref_write(const struct cas *cas, const char *name, const char *text)
{
	char *path = ref_path(cas, name);
	int ret = path ? mkdir_parent(path, 0755) : -errno;

	if (ret == 0)
		ret = file_write_replace(path, text, strlen(text), 0644);
	free(path);
	return ret;
}

int cas_ref_remove(const struct cas *cas, const char *name)
{
	char *path = ref_path(cas, name);
	int ret = !path ? -errno : unlink(path) < 0 ? -errno : 0;

	free(path);
	return ret;
}

const char *cas_root(const struct cas *cas)
{
	return cas->root;
}

/* "ab/cdef..." relative to objects/sha256; rel must hold 67 bytes. */
static int object_rel(const char *hex, char rel[DIGEST_HEX_LEN + 2])
{
	if (!hex_is_digest(hex))
		return -EINVAL;
	snprintf(rel, DIGEST_HEX_LEN + 2, "%.2s/%s", hex, hex + 2);
	return 0;
}

char *cas_object_path(const struct cas *cas, const char *hex)
{
	char *out;

	if (!hex_is_digest(hex)) {
		errno = EINVAL;
		return NULL;
	}
	if (asprintf(&out, "%s/objects/sha256/%.2s/%s", cas->root, hex, hex + 2) < 0)
		return NULL;
	return out;
}

int cas_has(const struct cas *cas, const char *hex)
{
	char rel[DIGEST_HEX_LEN + 2];

	if (object_rel(hex, rel) < 0)
		return 0;
	return faccessat(cas->objects_fd, rel, F_OK, 0) == 0;
}

/* fd's size, or -1 (any size) if it cannot be read. */
static int64_t fd_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (int64_t)st.st_size : -1;
}

int cas_has_size(const struct cas *cas, const char *hex, int64_t size)
{
	char rel[DIGEST_HEX_LEN + 2];
	struct stat st;

	if (object_rel(hex, rel) < 0 ||
	    fstatat(cas->objects_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	return S_ISREG(st.st_mode) && (size < 0 || st.st_size == size);
}

/* A unique temporary file in tmp/; returns fd and fills name. */
static int tmp_create(struct cas *cas, char name[64])
{
	static unsigned long counter;
	unsigned long n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	int fd;

	snprintf(name, 64, "obj.%ld.%lu", (long)getpid(), n);
	fd = openat(cas->tmp_fd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	return fd < 0 ? -errno : fd;
}

/* fsyncs the tmp file, then renames it to its digest name.  Consumes fd. */
static int tmp_publish(struct cas *cas, const char *name, const char *hex);

/* fsyncs the tmp file, then renames it to its digest name.  Consumes fd. */
static int tmp_commit(struct cas *cas, int fd, const char *name, const char *hex)
{
	int ret = 0;

	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	if (ret < 0) {
		unlinkat(cas->tmp_fd, name, 0);
		return ret;
	}
	return tmp_publish(cas, name, hex);
}

/* Hashes buf into hex_out; if its object is already stored, sets *stored
 * and returns -1, making nothing; else writes buf to a new tmp file and
 * returns its fd, still open, with name filled.  -errno on error, with
 * nothing left behind. */
static int tmp_from_buffer(struct cas *cas, const void *buf, size_t len,
			   char hex_out[DIGEST_HEX_LEN + 1], char name[64], int *stored)
{
	uint8_t raw[DIGEST_LEN];
	int fd, ret;

	*stored = 0;
	ret = digest_buffer(buf, len, raw);
	if (ret < 0)
		return ret;
	hex_encode(raw, DIGEST_LEN, hex_out);
	*stored = cas_has_size(cas, hex_out, (int64_t)len);
	if (*stored)
		return -1;
	fd = tmp_create(cas, name);
	if (fd < 0)
		return fd;
	ret = write_full(fd, buf, len);
	if (ret < 0) {
		close(fd);
		unlinkat(cas->tmp_fd, name, 0);
		return ret;
	}
	return fd;
}

int cas_put_buffer(struct cas *cas, const void *buf, size_t len, char hex_out[DIGEST_HEX_LEN + 1])
{
	char name[64];
	int stored, fd = tmp_from_buffer(cas, buf, len, hex_out, name, &stored);

	if (stored)
		return 0;
	if (fd < 0)
		return fd;
	return tmp_commit(cas, fd, name, hex_out);
}

/* Copies src into (empty) dst in the kernel; -ESTALE if src changed
 * meanwhile.  The holes of a sparse src stay holes in dst. */
static int copy_known(int src, int dst)
{
	struct stat before, after;
	loff_t in_off = 0;
	int sparse;

	if (fstat(src, &before) < 0)
		return -errno;
	sparse = stat_is_sparse(&before);
	while (in_off < before.st_size) {
		loff_t out_off, end = before.st_size;
		ssize_t n;

		if (sparse) {
			off_t d, h;
			int r = fd_next_data(src, in_off, &d, &h);

			if (r == 1) {
				in_off = before.st_size; /* a hole up to the end */
				break;
			}
			if (r < 0) {
				sparse = 0;
			} else {
				in_off = d;
				if (h > d && h < end)
					end = h;
			}
		}
		if (in_off >= end)
			break;
		out_off = in_off;
		n = copy_file_range(src, &in_off, dst, &out_off, (size_t)(end - in_off), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP ||
			      errno == EINVAL)) {
			/* Fall back to plain read/write for this stretch. */
			char buf[65536];
			size_t len = (size_t)(end - in_off) < sizeof(buf) ? (size_t)(end - in_off)
									 : sizeof(buf);
			ssize_t r = pread(src, buf, len, in_off);

			if (r < 0)
				return -errno;
			if (r == 0)
				break;
			if (lseek(dst, in_off, SEEK_SET) < 0)
				return -errno;
			int w = write_full(dst, buf, (size_t)r);
			if (w < 0)
				return w;
			in_off += r;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
	}
	if (sparse && ftruncate(dst, before.st_size) < 0)
		return -errno;
	if (fstat(src, &after) < 0)
		return -errno;
	if (after.st_size != before.st_size || in_off != before.st_size ||
	    after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
	    after.st_mtim.tv_nsec != before.st_mtim.tv_nsec)
		return -ESTALE;
	/* A file may hold more than its st_size says (procfs says 0). */
	{
		char extra;
		ssize_t r = pread(src, &extra, 1, in_off);

		if (r != 0)
			return r < 0 ? -errno : -ESTALE;
	}
	return 0;
}

/* For a file that is not st_size bytes long (procfs, sysfs) or changed:
 * copies what reads give into dst, from the start, and keeps it only if
 * it is the known content; else -ESTALE. */
static int copy_hashed_known(int src, int dst, const uint8_t *known)
{
	uint8_t raw[DIGEST_LEN];
	int ret;

	if (ftruncate(dst, 0) < 0 || lseek(dst, 0, SEEK_SET) < 0 || lseek(src, 0, SEEK_SET) < 0)
		return -ESTALE;
	ret = digest_copy_fd(src, dst, raw);
	if (ret == 0 && memcmp(raw, known, DIGEST_LEN))
		ret = -ESTALE;
	return ret;
}

/* A file of unknown digest up to this size is read whole and hashed
 * before anything is written (see read_small). */
#define SMALL_FILE (128 * 1024)

/* Reads all of fd (from offset 0) into *buf if it is a regular file of
 * at most SMALL_FILE bytes: returns 1 with *buf (malloc'd) and *len, 0 if
 * it is larger or not regular, or holds more than its size says (procfs),
 * which the streaming copy handles, or -errno. */
static int read_small(int fd, char **buf, size_t *len)
{
	struct stat st;
	size_t cap, n = 0;
	char *b;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size > SMALL_FILE)
		return 0;
	cap = (size_t)st.st_size + 1;
	b = malloc(cap);
	if (!b)
		return -ENOMEM;
	while (n < cap) {
		ssize_t r = pread(fd, b + n, cap - n, (off_t)n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;

			free(b);
			return err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n == cap) { /* more than st_size: not what it seemed */
		free(b);
		return 0;
	}
	*buf = b;
	*len = n;
	return 1;
}

/* Copies fd into a new tmp file (hashing unless known); returns the tmp
 * fd, still open, with name filled; on error nothing is left behind.  If
 * a file of unknown digest turns out to be stored already (an empty file,
 * an output rebuilt with the same bytes, an input the store has), *stored
 * is set, hex_out filled and -1 returned, with no tmp file left (a small
 * one is hashed first and none is made). */
static int tmp_fill(struct cas *cas, int fd, const uint8_t *known,
		    char hex_out[DIGEST_HEX_LEN + 1], char name[64], int *stored)
{
	uint8_t raw[DIGEST_LEN];
	char *small = NULL;
	size_t len = 0;
	int tmp, ret;

	*stored = 0;
	if (!known) {
		ret = read_small(fd, &small, &len);
		if (ret < 0)
			return ret;
		if (ret == 1) {
			/* Written from what was hashed: the copy is those bytes. */
			tmp = tmp_from_buffer(cas, small, len, hex_out, name, stored);
			free(small);
			return tmp;
		}
	}
	tmp = tmp_create(cas, name);
	if (tmp < 0)
		return tmp;
	if (known) {
		ret = copy_known(fd, tmp);
		if (ret == -ESTALE)
			ret = copy_hashed_known(fd, tmp, known);
	} else {
		struct stat st;

		ret = digest_copy_fd(fd, tmp, raw);
		if (ret == 0) {
			hex_encode(raw, DIGEST_LEN, hex_out);
			/* Stored already, as the digest now tells: the copy
			 * is not made durable only to be dropped. */
			*stored = fstat(tmp, &st) == 0 &&
				  cas_has_size(cas, hex_out, (int64_t)st.st_size);
		}
	}
	if (ret < 0 || *stored) {
		close(tmp);
		unlinkat(cas->tmp_fd, name, 0);
		return ret < 0 ? ret : -1;
	}
	return tmp;
}

/* The first half of a put: 0 where the store holds fd's content already
 * (hex_out names it), 1 with *tmp open on a tmp file of it (named name),
 * or -errno. */
static int put_begin(struct cas *cas, int fd, const uint8_t *known,
		     char hex_out[DIGEST_HEX_LEN + 1], char name[64], int *tmp)
{
	int stored;

	if (known) {
		hex_encode(known, DIGEST_LEN, hex_out);
		if (cas_has_size(cas, hex_out, fd_size(fd)))
			return 0;
	}
	*tmp = tmp_fill(cas, fd, known, hex_out, name, &stored);
	if (stored)
		return 0;
	return *tmp < 0 ? *tmp : 1;
}

int cas_put_fd(struct cas *cas, int fd, const uint8_t *known, char hex_out[DIGEST_HEX_LEN + 1])
{
	char name[64];
	int tmp = -1, ret = put_begin(cas, fd, known, hex_out, name, &tmp);

	return ret <= 0 ? ret : tmp_commit(cas, tmp, name, hex_out);
}

/* Renames a durable tmp file to its digest name (no fsync). */
static int tmp_publish(struct cas *cas, const char *name, const char *hex)
{
	char rel[DIGEST_HEX_LEN + 2], dir[3];
	int ret = object_rel(hex, rel);

	if (ret == 0) {
		memcpy(dir, hex, 2);
		dir[2] = '\0';
		if (mkdirat(cas->objects_fd, dir, 0755) < 0 && errno != EEXIST)
			ret = -errno;
	}
	/* An intact copy is there already (as far as its size tells; a
	 * concurrent put of the same content): ours goes.  One of another
	 * size, or no regular file, is damage: ours replaces it. */
	if (ret == 0) {
		struct stat st;

		if (fstatat(cas->tmp_fd, name, &st, 0) == 0 &&
		    cas_has_size(cas, hex, (int64_t)st.st_size)) {
			unlinkat(cas->tmp_fd, name, 0);
			return 0;
		}
	}
	if (ret == 0 && renameat(cas->tmp_fd, name, cas->objects_fd, rel) < 0)
		ret = -errno;
	if (ret < 0)
		unlinkat(cas->tmp_fd, name, 0);
	return ret;
}

int cas_batch_put_fd(struct cas *cas, struct cas_batch *batch, int fd, const uint8_t *known,
		     char hex_out[DIGEST_HEX_LEN + 1])
{
	struct cas_batch_item *item;
	char name[64];
	int tmp = -1, ret = put_begin(cas, fd, known, hex_out, name, &tmp);

	if (ret <= 0)
		return ret;
	close(tmp);
	item = array_push(&batch->items, &batch->n, sizeof(*item));
	if (!item) {
		unlinkat(cas->tmp_fd, name, 0);
		return -ENOMEM;
	}
	memcpy(item->tmpname, name, sizeof(item->tmpname));
	memcpy(item->hex, hex_out, DIGEST_HEX_LEN + 1);
	return 0;
}

/* A batch of at most this many objects is made durable file by file. */
#define BATCH_FSYNC_MAX 16

/* Makes the batch's tmp files durable: 0 or -errno.  One syncfs covers a
 * large batch, but it also writes back everything else dirty on the
 * filesystem (the build's own files): the last small batch of a daemon's
 * stop took 20 ms of zlib's unmount for 4 objects, so a small batch has
 * each file fdatasync'd instead. */
static int batch_sync(struct cas *cas, const struct cas_batch *batch)
{
	if (batch->n > BATCH_FSYNC_MAX)
		return syncfs(cas->tmp_fd) < 0 ? -errno : 0;
	for (size_t i = 0; i < batch->n; i++) {
		int fd = openat(cas->tmp_fd, batch->items[i].tmpname,
				O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		int ret;

		if (fd < 0)
			return -errno;
		ret = fdatasync(fd) < 0 ? -errno : 0;
		close(fd);
		if (ret)
			return ret;
	}
	return 0;
}

int cas_batch_commit(struct cas *cas, struct cas_batch *batch, int *results)
{
	int ret = 0, synced;

	if (batch->n == 0)
		return 0;
	synced = batch_sync(cas, batch);
	for (size_t i = 0; i < batch->n; i++) {
		/* A failed sync fails every item; a failed rename only its own. */
		int r = synced;

		if (r == 0)
			r = tmp_publish(cas, batch->items[i].tmpname, batch->items[i].hex);
		else
			unlinkat(cas->tmp_fd, batch->items[i].tmpname, 0);
		if (results)
			results[i] = r;
		if (r < 0 && ret == 0)
			ret = r;
	}
	batch->n = 0;
	return ret;
}

void cas_batch_discard_last(struct cas *cas, struct cas_batch *batch)
{
	if (batch->n == 0)
		return;
	batch->n--;
	unlinkat(cas->tmp_fd, batch->items[batch->n].tmpname, 0);
}

void cas_batch_free(struct cas_batch *batch)
{
	free(batch->items);
	batch->items = NULL;
	batch->n = 0;
}

int cas_open_object(const struct cas *cas, const char *hex)
{
	char rel[DIGEST_HEX_LEN + 2];
	int fd;

	struct stat st;

	if (object_rel(hex, rel) < 0)
		return -EINVAL;
	/* O_NONBLOCK: a FIFO or device put in an object's place must not
	 * hang the reader; anything but a regular file is damage. */
	fd = openat(cas->objects_fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EBADMSG;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int cas_read_object(const struct cas *cas, const char *hex, size_t max, char **out, size_t *len)
{
	uint8_t raw[DIGEST_LEN];
	char got[DIGEST_HEX_LEN + 1];
	char *buf;
	size_t n;
	int fd = cas_open_object(cas, hex);
	int ret;

	if (fd < 0)
		return fd;
	ret = fd_read_all(fd, max, &buf, &n);
	close(fd);
	if (ret < 0)
		return ret;
	digest_buffer(buf, n, raw);
	hex_encode(raw, DIGEST_LEN, got);
	if (strcmp(got, hex) != 0) {
		free(buf);
		return -EBADMSG;
	}
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

/* cas_verify_object, also giving the object's size (the bytes hashed). */
static int verify_object(const struct cas *cas, const char *hex, uint64_t *size)
{
	uint8_t raw[DIGEST_LEN];
	char got[DIGEST_HEX_LEN + 1];
	int fd = cas_open_object(cas, hex);
	int ret;

	if (fd < 0)
		return fd;
	ret = digest_fd(fd, raw, size);
	close(fd);
	if (ret < 0)
		return ret;
	hex_encode(raw, DIGEST_LEN, got);
	return strcmp(got, hex) == 0 ? 0 : -EBADMSG;
}

int cas_verify_object(const struct cas *cas, const char *hex)
{
	return verify_object(cas, hex, NULL);
}

static int is_hex2(const char *s)
{
	return strlen(s) == 2 && strspn(s, "0123456789abcdef") == 2;
}

int cas_walk(const struct cas *cas, cas_walk_visit visit, cas_fsck_report report, void *arg)
{
	DIR *top;
	struct dirent *de;
	int problems = 0, ret = opendir_at(cas->objects_fd, ".", 0, &top);

	if (ret < 0)
		return ret;
	while (ret == 0 && (de = readdir(top)) != NULL) {
		DIR *sub;
		struct dirent *se;
		int suberr;

		if (de->d_name[0] == '.')
			continue;
		if (!is_hex2(de->d_name)) {
			report(arg, "misplaced", de->d_name);
			problems++;
			continue;
		}
		/* A fan-out directory replaced by a symlink is not followed:
		 * gc would remove files wherever it points. */
		suberr = opendir_at(cas->objects_fd, de->d_name, O_NOFOLLOW, &sub);
		if (suberr == -ELOOP || suberr == -ENOTDIR) {
			report(arg, "misplaced", de->d_name);
			problems++;
			continue;
		}
		if (suberr < 0) {
			report(arg, "unreadable", de->d_name);
			problems++;
			continue;
		}
		while (ret == 0 && (se = readdir(sub)) != NULL) {
			char hex[2 * 256 + 8];
			char shown[2 * 256 + 8];

			if (se->d_name[0] == '.')
				continue;
			snprintf(hex, sizeof(hex), "%s%s", de->d_name, se->d_name);
			snprintf(shown, sizeof(shown), "%s/%s", de->d_name, se->d_name);
			if (!hex_is_digest(hex)) {
				report(arg, "misplaced", shown);
				problems++;
				continue;
			}
			ret = visit(arg, hex);
		}
		closedir(sub);
	}
	closedir(top);
	return ret < 0 ? ret : problems;
}

struct fsck_walk {
	const struct cas *cas;
	cas_fsck_report report;
	cas_fsck_progress progress;
	void *arg;
	uint64_t checked, bytes;
	int corrupt;
};

static void fsck_problem(void *arg, const char *what, const char *path)
{
	struct fsck_walk *w = arg;

	w->report(w->arg, what, path);
}

static int fsck_object(void *arg, const char *hex)
{
	struct fsck_walk *w = arg;
	uint64_t size = 0;

	w->checked++;
	if (verify_object(w->cas, hex, &size) != 0) {
		w->report(w->arg, "corrupt", hex);
		w->corrupt++;
	}
	w->bytes += size;
	if (w->progress)
		w->progress(w->arg, w->checked, w->bytes);
	return 0;
}

int cas_fsck(const struct cas *cas, cas_fsck_report report, cas_fsck_progress progress,
	     void *arg, uint64_t *checked)
{
	struct fsck_walk w = { .cas = cas, .report = report, .progress = progress, .arg = arg };
	int ret = cas_walk(cas, fsck_object, fsck_problem, &w);

	if (checked)
		*checked = w.checked;
	return ret < 0 ? ret : ret + w.corrupt;
}

int cas_object_disk_usage(const struct cas *cas, const char *hex, uint64_t *bytes)
{
	char rel[DIGEST_HEX_LEN + 2];
	struct stat st;

	if (object_rel(hex, rel) < 0)
		return -EINVAL;
	if (fstatat(cas->objects_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	*bytes = (uint64_t)st.st_blocks * 512;
	return 0;
}

int cas_remove_object(struct cas *cas, const char *hex, uint64_t *bytes)
{
	char rel[DIGEST_HEX_LEN + 2];
	uint64_t used;
	int ret = cas_object_disk_usage(cas, hex, &used);
	int dirfd;

	if (ret)
		return ret;
	object_rel(hex, rel);
	/* Only inside the store: the fan-out directory is not followed
	 * if something replaced it by a symlink. */
	rel[2] = '\0';
	dirfd = openat(cas->objects_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dirfd < 0)
		return -errno;
	ret = unlinkat(dirfd, rel + 3, 0) < 0 ? -errno : 0;
	close(dirfd);
	if (ret)
		return ret;
	if (bytes)
		*bytes = used;
	return 0;
}

int cas_clear_tmp(struct cas *cas, size_t *removed)
{
	return remove_unheld_at(cas->tmp_fd, "", removed);
}

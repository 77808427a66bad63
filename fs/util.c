#include "util.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

char *percent_encode(const char *s, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";
	char *out = malloc(3 * len + 1), *p = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%' || c >= 0x80) {
			*p++ = '%';
			*p++ = digits[c >> 4];
			*p++ = digits[c & 0xf];
		} else {
			*p++ = (char)c;
		}
	}
	*p = '\0';
	return out;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *percent_decode(const char *s)
{
	char *out = malloc(strlen(s) + 1), *p = out;

	if (!out)
		return NULL;
	while (*s) {
		int hi = s[0] == '%' ? hex_value(s[1]) : -1;
		int lo = hi < 0 ? -1 : hex_value(s[2]);

		if (lo < 0) {
			*p++ = *s++;
		} else {
			*p++ = (char)(hi << 4 | lo);
			s += 3;
		}
	}
	*p = '\0';
	return out;
}

int file_write_replace_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode)
{
	static unsigned counter;
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	char *tmp = NULL;
	int fd = -1, ret;

	for (int i = 0; fd < 0 && i < 100; i++) {
		free(tmp);
		if (asprintf(&tmp, "%.*s.%s.%d.%u", dirlen, path, path + dirlen, (int)getpid(),
			     __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED)) < 0)
			return -ENOMEM;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	ret = write_full(fd, data, len);
	if (ret == 0 && (fchmod(fd, mode) < 0 || fdatasync(fd) < 0))
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && renameat(dirfd, tmp, dirfd, path) < 0)
		ret = -errno;
	if (ret)
		unlinkat(dirfd, tmp, 0);
	free(tmp);
	return ret;
}

int file_write_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	return file_write_replace_at(AT_FDCWD, path, data, len, mode);
}

int hex_decode(const char *in, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hex_value(in[2 * i]);
		int lo = hi < 0 ? -1 : hex_value(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int hex_is_digest(const char *s)
{
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < DIGEST_HEX_LEN; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return s[i] == '\0';
}

int64_t time_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void time_format_rfc3339(int64_t ns, char *out, size_t outlen)
{
	time_t secs = (time_t)(ns / 1000000000LL);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int stat_is_sparse(const struct stat *st)
{
	return S_ISREG(st->st_mode) && (uint64_t)st->st_blocks * 512 < (uint64_t)st->st_size;
}

int fd_next_data(int fd, off_t off, off_t *data, off_t *end)
{
	*data = lseek(fd, off, SEEK_DATA);
	if (*data < 0)
		return errno == ENXIO ? 1 : -1;
	*end = lseek(fd, *data, SEEK_HOLE);
	return 0;
}

ssize_t read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int mkdir_p(const char *path, mode_t mode)
{
	char *copy = strdup(path);
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (char *p = copy + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char saved = *p;

			*p = '\0';
			if (mkdir(copy, mode) < 0 && errno != EEXIST) {
				ret = -errno;
				break;
			}
			*p = saved;
			if (saved == '\0')
				break;
		}
	}
	free(copy);
	if (ret == 0) {
		struct stat st;

		if (stat(path, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
	}
	return ret;
}

int mkdir_parent(const char *file, mode_t mode)
{
	char *dir = strdup(file), *slash;
	int ret = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		ret = mkdir_p(dir, mode);
	}
	free(dir);
	return ret;
}

void *array_push(void *arr_ptr, size_t *n, size_t elem)
{
	void **arr = arr_ptr;
	char *p = *arr;

	if (*n == 0 || (*n >= 16 && !(*n & (*n - 1)))) {
		size_t want = *n ? *n * 2 : 16;

		if (want > SIZE_MAX / elem)
			return NULL;
		p = realloc(*arr, want * elem);
		if (!p)
			return NULL;
		*arr = p;
	}
	memset(p + *n * elem, 0, elem);
	return p + (*n)++ * elem;
}

char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	char *out;

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (asprintf(&out, "%.*s%s%s", (int)la, a,
		     (la > 0 && a[la - 1] == '/') ? "" : "/", b) < 0)
		return NULL;
	return out;
}

int path_is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

int fd_reopen(int fd, int flags)
{
	char proc[64];

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return open(proc, flags | O_CLOEXEC);
}

int cap_effective(int cap)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long eff;
	int has = -1;

	if (!f)
		return -1;
	while (has < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			has = (int)((eff >> cap) & 1);
	fclose(f);
	return has;
}

int openat2_retry(int dirfd, const char *path, const struct open_how *how)
{
	int fd = -1;

	for (int i = 0; i < 100; i++) {
		fd = (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd;
}

/* Undoes mountinfo's escapes (\040 for a space, \011, \012, \134) in place. */
static void mountinfo_unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

int mountinfo_find(const char *mountpoint, unsigned int *major, unsigned int *minor, char *fstype,
		   size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	int found = 0;

	if (!f)
		return -errno;
	/* id parent major:minor root mountpoint options [optional...] - type source super */
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *field[5], *sep, *type;
		unsigned int ma, mi;
		int n = 0;

		for (char *t = strtok_r(line, " ", &save); t;
		     t = n < 5 ? strtok_r(NULL, " ", &save) : NULL)
			field[n++] = t;
		if (n < 5 || sscanf(field[2], "%u:%u", &ma, &mi) != 2)
			continue;
		mountinfo_unescape(field[4]);
		if (strcmp(field[4], mountpoint))
			continue;
		sep = save ? strstr(save, " - ") : NULL; /* after the optional fields */
		type = sep ? sep + 3 : NULL;
		found = 1;
		*major = ma;
		*minor = mi;
		if (fstype && len) {
			size_t tl = type ? strcspn(type, " \n") : 0;

			if (tl >= len)
				tl = len - 1;
			memcpy(fstype, type ? type : "", tl);
			fstype[tl] = '\0';
		}
	}
	free(line);
	fclose(f);
	return found;
}

int path_is_safe_relative(const char *path)
{
	const char *p = path;

	if (!path || !*path || *path == '/')
		return 0;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += n;
		if (*p == '/')
			p++;
		else
			break;
		if (*p == '\0')
			return 0;
	}
	return 1;
}

int fd_read_all(int fd, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		/* A pipe (verify --key <(...), env build /dev/stdin), a FIFO,
		 * a /proc file: no size to go by, so up to the end, or max. */
		size_t cap = 4096, got = 0;

		buf = malloc(cap + 1);
		if (!buf)
			return -ENOMEM;
		for (;;) {
			if (got == cap) {
				char *grown = realloc(buf, 2 * cap + 1);

				if (!grown) {
					free(buf);
					return -ENOMEM;
				}
				buf = grown;
				cap *= 2;
			}
			n = read(fd, buf + got, cap - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
			if (got > max) {
				free(buf);
				return -EFBIG;
			}
		}
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		buf[got] = '\0';
		*out = buf;
		if (len)
			*len = got;
		return 0;
	}
	if ((size_t)st.st_size > max)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	n = read_full(fd, buf, (size_t)st.st_size);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = (size_t)n;
	return 0;
}

int file_read_all(const char *path, size_t max, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = fd_read_all(fd, max, out, len);
	close(fd);
	return ret;
}

/* Levels of a tree removed each holding an fd; below them a level gives
 * its fd up while a subdirectory is removed, and takes it again through
 * that subdirectory's "..": a build's tree 1,500 levels deep made every
 * store gc fail (EMFILE at a soft limit of 1024) and free nothing. */
#define REMOVE_HELD_LEVELS 64

static int name_in(char **names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

/* Removes everything in the directory fd (which it closes) without
 * leaving filesystem dev; *removed (if non-NULL) counts the entries of
 * fd itself that went.  With up, *up gets an fd of its parent (opened
 * through "..", checked to be the directory upst names), or -1. */
static int remove_below(int fd, dev_t dev, size_t *removed, int depth, int *up,
			const struct stat *upst)
{
	char **failed = NULL; /* (names not removed: not tried again) */
	size_t n_failed = 0;
	struct dirent *de;
	DIR *dir;
	int ret = 0, stop = 0;

again:
	dir = fdopendir(fd);
	if (!dir) {
		ret = -errno;
		close(fd);
		goto out;
	}
	while (!stop && (de = readdir(dir)) != NULL) {
		struct stat st;
		int err = 0;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    name_in(failed, n_failed, de->d_name))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			err = -errno;
		} else if (S_ISDIR(st.st_mode)) {
			int sub;

			if (st.st_dev != dev) {
				err = -EBUSY;
			} else if ((sub = openat(fd, de->d_name,
						 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
				err = -errno;
			} else if (depth < REMOVE_HELD_LEVELS) {
				err = remove_below(sub, dev, NULL, depth + 1, NULL, NULL);
				if (err == 0 && unlinkat(fd, de->d_name, AT_REMOVEDIR) < 0)
					err = -errno;
			} else {
				/* Our fd goes while the subdirectory is removed;
				 * the readdir starts over after (what went is
				 * gone, what failed is skipped). */
				char *name = strdup(de->d_name);
				struct stat self;
				int back = -1;

				if (!name || fstat(fd, &self) < 0) {
					free(name);
					close(sub);
					err = -ENOMEM;
				} else {
					closedir(dir);
					err = remove_below(sub, dev, NULL, depth + 1, &back, &self);
					if (back < 0) {
						free(name);
						ret = ret ? ret : (err ? err : -ESTALE);
						goto out;
					}
					fd = back;
					if (err == 0 && unlinkat(fd, name, AT_REMOVEDIR) < 0)
						err = -errno;
					if (err) {
						char **more = realloc(failed,
								      (n_failed + 1) * sizeof(*failed));

						if (more) {
							failed = more;
							failed[n_failed++] = name;
							name = NULL;
						} else {
							stop = 1; /* (not noted: not again) */
						}
					}
					free(name);
					if (err && !ret)
						ret = err;
					else if (!err && removed)
						(*removed)++;
					goto again;
				}
			}
		} else if (unlinkat(fd, de->d_name, 0) < 0) {
			err = -errno;
		}
		if (err && !ret)
			ret = err;
		else if (!err && removed)
			(*removed)++;
	}
	if (up) {
		struct stat st;

		*up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*up >= 0 && (fstat(*up, &st) < 0 || st.st_dev != upst->st_dev ||
				 st.st_ino != upst->st_ino)) {
			close(*up); /* moved meanwhile: nothing removed there */
			*up = -1;
		}
	}
	closedir(dir);
out:
	for (size_t i = 0; i < n_failed; i++)
		free(failed[i]);
	free(failed);
	return ret;
}

int remove_contents_at(int dirfd, const char *name, size_t *removed)
{
	struct stat st;
	int fd;

	if (removed)
		*removed = 0;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return remove_below(fd, st.st_dev, removed, 0, NULL, NULL);
}

int opendir_at(int dirfd, const char *name, int extra_flags, DIR **out)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | extra_flags);

	*out = NULL;
	if (fd < 0)
		return -errno;
	*out = fdopendir(fd);
	if (!*out) {
		int err = -errno;

		close(fd);
		return err;
	}
	return 0;
}

int remove_unheld_at(int parent, const char *prefix, size_t *removed)
{
	size_t plen = strlen(prefix);
	struct dirent *de;
	DIR *d;
	int ret = opendir_at(parent, ".", 0, &d);

	if (ret < 0)
		return ret;
	if (removed)
		*removed = 0;
	while ((de = readdir(d)) != NULL) {
		int held, err;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    strncmp(de->d_name, prefix, plen))
			continue;
		held = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (held >= 0 && flock(held, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
			close(held);
			continue;
		}
		err = remove_tree_at(dirfd(d), de->d_name);
		if (held >= 0)
			close(held);
		if (err == 0 && removed)
			(*removed)++;
		else if (err < 0 && err != -ENOENT && !ret)
			ret = err;
	}
	closedir(d);
	return ret;
}

int remove_tree_at(int dirfd, const char *name)
{
	struct stat st;
	int ret;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 ? -errno : 0;
	ret = remove_contents_at(dirfd, name, NULL);
	if (ret == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		ret = -errno;
	return ret;
}

void sort_items(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

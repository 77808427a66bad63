/* The names of a file with several hard links, for its close-write
 * records: a write through one name changes what every name holds, so
 * each is an output with the new content (and none keeps a stale digest,
 * nor counts as an input when read after the write).  Links the build
 * makes are logged (link records tie the names together in the reader);
 * links made before the build, or names the daemon never looked up, are
 * only found on the backing filesystem.  So the first time a written file
 * has more than one link, the mount's backing tree is walked once and the
 * names of every multiply linked regular file are kept; each use checks
 * them again (the build may have removed or renamed one since), and the
 * walk is made again where fewer names check out than the file has
 * links, a few times at most: a link outside the mount's tree is never
 * found.  Names the daemon itself sees from then on (a look-up or a
 * link of a file with several links, a rename of one) are added as they
 * come (fsd_links_note), so that the build's own links need no walk: a
 * build that linked and wrote ten files used up the walks, and a name
 * that went was logged for the file after that. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsd.h"
#include "util.h"

/* Walks made again, per mount: so many at once, then one where the last
 * ended at least LINKS_REST times its length ago (at most a tenth of the
 * time goes to walks, and a name the daemon missed is found again later,
 * not never). */
#define LINKS_REWALKS 8
#define LINKS_REST 10
/* Entries a walk looks at, at most; directories deeper are not entered. */
#define LINKS_MAX_ENTRIES 4000000
#define LINKS_MAX_DEPTH 256

struct link_name {
	dev_t dev;
	ino_t ino;
	char *path; /* "/dir/name" from the mount's top */
};

struct fsd_links {
	struct link_name *v;
	size_t n, cap;
	int walks;
	int64_t walk_start, walk_end; /* the last walk's, CLOCK_MONOTONIC ns */
	dev_t want_dev; /* the file a walk is made for: kept whatever its */
	ino_t want_ino; /* links (its other names may be gone since) */
};

static int by_file(const void *a, const void *b)
{
	const struct link_name *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void links_clear(struct fsd_links *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	l->n = 0;
}

static int links_add(struct fsd_links *l, const struct stat *st, const char *path)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct link_name *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].path = strdup(path);
	if (!l->v[l->n].path)
		return -ENOMEM;
	l->v[l->n].dev = st->st_dev;
	l->v[l->n].ino = st->st_ino;
	l->n++;
	return 0;
}

/* dirfd's directory name for readdir; O_NOATIME, as the build did not
 * list it, where we may (the file's owner or CAP_FOWNER). */
static int open_dir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC);

	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/* Adds the multiply linked regular files under directory fd (prefix its
 * path, "" for the top; fd consumed) to l. */
static int walk(struct fsd_links *l, int fd, const char *prefix, int depth, long *budget)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int ret = 0;

	if (!d) {
		close(fd);
		return 0;
	}
	while (ret == 0 && (e = readdir(d)) != NULL && --*budget > 0) {
		struct stat st;
		char *path;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_type != DT_DIR && e->d_type != DT_REG && e->d_type != DT_UNKNOWN)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (asprintf(&path, "%s/%s", prefix, e->d_name) < 0)
			return closedir(d), -ENOMEM;
		if (S_ISREG(st.st_mode) &&
		    (st.st_nlink > 1 || (st.st_dev == l->want_dev && st.st_ino == l->want_ino))) {
			ret = links_add(l, &st, path);
		} else if (S_ISDIR(st.st_mode) && depth < LINKS_MAX_DEPTH) {
			int sub = open_dir(dirfd(d), e->d_name);

			if (sub >= 0)
				ret = walk(l, sub, path, depth + 1, budget);
		}
		free(path);
	}
	closedir(d);
	return ret;
}

static int links_walk(struct fsd *fs, struct fsd_links *l)
{
	long budget = LINKS_MAX_ENTRIES;
	int fd = open_dir(fs->root.fd, "."), ret;

	if (fd < 0)
		return -errno;
	links_clear(l);
	l->walks++;
	l->walk_start = mono_ns();
	ret = walk(l, fd, "", 0, &budget);
	l->walk_end = mono_ns();
	if (ret == 0)
		sort_items(l->v, l->n, sizeof(*l->v), by_file);
	return ret;
}

/* Whether path (from the mount's top) is in, now: no symlink followed. */
static int names_file(struct fsd *fs, const char *path, dev_t dev, ino_t ino)
{
	int fd = fsd_open_beneath(fs->root.fd, path + 1, 0);
	struct stat st;
	int ret;

	if (fd < 0)
		return 0;
	ret = fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
	close(fd);
	return ret;
}

/* The checked names of (dev, ino) in l, appended to *out (n of them). */
static int collect(struct fsd *fs, const struct fsd_links *l, dev_t dev, ino_t ino, char ***out,
		   size_t *n)
{
	struct link_name key = {.dev = dev, .ino = ino};
	struct link_name *hit = bsearch(&key, l->v, l->n, sizeof(*l->v), by_file);
	size_t i;

	if (!hit)
		return 0;
	i = (size_t)(hit - l->v);
	while (i > 0 && !by_file(&l->v[i - 1], &key))
		i--;
	for (; i < l->n && !by_file(&l->v[i], &key); i++) {
		char **grown;

		if (!names_file(fs, l->v[i].path, dev, ino))
			continue;
		grown = realloc(*out, (*n + 2) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		*out = grown;
		grown[*n] = strdup(l->v[i].path);
		if (!grown[*n])
			return -ENOMEM;
		grown[++*n] = NULL;
	}
	return 0;
}

void fsd_links_note(struct fsd *fs, dev_t dev, ino_t ino, const char *path)
{
	struct link_name key = {.dev = dev, .ino = ino};
	struct fsd_links *l;
	size_t i;

	if (!path || !__atomic_load_n(&fs->links, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&fs->links_lock);
	l = fs->links;
	if (!l->walks)
		goto out;
	/* Sorted by file: its place, after any names it has already. */
	for (i = l->n; i > 0 && by_file(&l->v[i - 1], &key) > 0; i--)
		;
	for (size_t j = i; j > 0 && !by_file(&l->v[j - 1], &key); j--)
		if (!strcmp(l->v[j - 1].path, path))
			goto out;
	{
		struct stat st = {.st_dev = dev, .st_ino = ino};
		struct link_name tmp;

		if (links_add(l, &st, path) < 0)
			goto out;
		tmp = l->v[l->n - 1];
		memmove(&l->v[i + 1], &l->v[i], (l->n - 1 - i) * sizeof(*l->v));
		l->v[i] = tmp;
	}
out:
	pthread_mutex_unlock(&fs->links_lock);
}

void fsd_links_renamed(struct fsd *fs, const char *from, const char *to, int exchange)
{
	size_t fl = strlen(from), tl = strlen(to);
	struct fsd_links *l;

	if (!__atomic_load_n(&fs->links, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&fs->links_lock);
	l = fs->links;
	for (size_t i = 0; i < l->n; i++) {
		const char *p = l->v[i].path, *base = NULL, *rest = NULL;
		char *moved;

		if (!strncmp(p, from, fl) && p[fl] == '/') {
			base = to;
			rest = p + fl;
		} else if (exchange && !strncmp(p, to, tl) && p[tl] == '/') {
			base = from;
			rest = p + tl;
		}
		if (base && asprintf(&moved, "%s%s", base, rest) >= 0) {
			free(l->v[i].path);
			l->v[i].path = moved;
		}
	}
	pthread_mutex_unlock(&fs->links_lock);
}

void fsd_links_free_names(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

int fsd_links_names(struct fsd *fs, struct fsd_inode *in, nlink_t nlink, char ***out)
{
	struct fsd_links *l;
	size_t n = 0;
	int ret = 0;

	*out = NULL;
	pthread_mutex_lock(&fs->links_lock);
	if (!fs->links)
		__atomic_store_n(&fs->links, calloc(1, sizeof(*fs->links)), __ATOMIC_RELEASE);
	l = fs->links;
	if (!l) {
		pthread_mutex_unlock(&fs->links_lock);
		return -ENOMEM;
	}
	l->want_dev = in->dev;
	l->want_ino = in->ino;
	if (!l->walks)
		ret = links_walk(fs, l);
	if (ret == 0)
		ret = collect(fs, l, in->dev, in->ino, out, &n);
	if (ret == 0 && n < nlink &&
	    (l->walks <= LINKS_REWALKS ||
	     mono_ns() - l->walk_end >= LINKS_REST * (l->walk_end - l->walk_start))) {
		fsd_links_free_names(*out);
		*out = NULL;
		n = 0;
		ret = links_walk(fs, l);
		if (ret == 0)
			ret = collect(fs, l, in->dev, in->ino, out, &n);
	}
	pthread_mutex_unlock(&fs->links_lock);
	if (ret < 0) {
		fsd_links_free_names(*out);
		*out = NULL;
		return ret;
	}
	return (int)n;
}

void fsd_links_free(struct fsd *fs)
{
	if (fs->links) {
		links_clear(fs->links);
		free(fs->links->v);
		free(fs->links);
		fs->links = NULL;
	}
}

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
 * found.  Names the daemon itself sees (both names of a link, and from
 * then on a look-up of a file with several links, a rename of one) are
 * added as they come (fsd_links_note), also before any walk, so that the
 * build's own links need no walk: a build that linked and wrote ten files
 * used up the walks, and a name that went was logged for the file after
 * that; a cache's copy written through after the name it was made under
 * was removed (its one name left, made by the build's link) was logged as
 * having no name.  The names are kept per file in a hash table; each use
 * drops those that no longer check out. */
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

/* The names kept of one file (dev, ino), in a hash chain. */
struct link_file {
	dev_t dev;
	ino_t ino;
	char **paths; /* "/dir/name" from the mount's top */
	size_t n, cap;
	struct link_file *next;
};

struct fsd_links {
	struct link_file **buckets;
	size_t nbuckets, nfiles;
	int walks;
	int64_t walk_start, walk_end; /* the last walk's, CLOCK_MONOTONIC ns */
	dev_t want_dev; /* the file a walk is made for: kept whatever its */
	ino_t want_ino; /* links (its other names may be gone since) */
};

/* The entry of (dev, ino), made if create; NULL if none (or ENOMEM). */
static struct link_file *file_of(struct fsd_links *l, dev_t dev, ino_t ino, int create)
{
	struct link_file *f;
	size_t h;

	if (l->nbuckets) {
		for (f = l->buckets[fsd_hash_file(dev, ino, l->nbuckets)]; f; f = f->next)
			if (f->dev == dev && f->ino == ino)
				return f;
	}
	if (!create)
		return NULL;
	if (l->nfiles >= l->nbuckets) { /* grow: a load of 1 at most */
		size_t nb = l->nbuckets ? 2 * l->nbuckets : 256;
		struct link_file **b = calloc(nb, sizeof(*b));

		if (!b)
			return NULL;
		for (size_t i = 0; i < l->nbuckets; i++)
			while (l->buckets[i]) {
				struct link_file *g = l->buckets[i];

				l->buckets[i] = g->next;
				h = fsd_hash_file(g->dev, g->ino, nb);
				g->next = b[h];
				b[h] = g;
			}
		free(l->buckets);
		l->buckets = b;
		l->nbuckets = nb;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->dev = dev;
	f->ino = ino;
	h = fsd_hash_file(dev, ino, l->nbuckets);
	f->next = l->buckets[h];
	l->buckets[h] = f;
	l->nfiles++;
	return f;
}

/* Adds path as a name of (dev, ino), unless it is one already. */
static int links_add(struct fsd_links *l, dev_t dev, ino_t ino, const char *path)
{
	struct link_file *f = file_of(l, dev, ino, 1);

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->paths[i], path))
			return 0;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 2;
		char **v = realloc(f->paths, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		f->paths = v;
		f->cap = cap;
	}
	f->paths[f->n] = strdup(path);
	if (!f->paths[f->n])
		return -ENOMEM;
	f->n++;
	return 0;
}

static void links_clear(struct fsd_links *l)
{
	for (size_t i = 0; i < l->nbuckets; i++)
		while (l->buckets[i]) {
			struct link_file *f = l->buckets[i];

			l->buckets[i] = f->next;
			for (size_t k = 0; k < f->n; k++)
				free(f->paths[k]);
			free(f->paths);
			free(f);
		}
	free(l->buckets);
	l->buckets = NULL;
	l->nbuckets = l->nfiles = 0;
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
			ret = links_add(l, st.st_dev, st.st_ino, path);
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

/* Adds the names the backing tree has now (names kept from before stay:
 * each use checks them, and drops those that went). */
static int links_walk(struct fsd *fs, struct fsd_links *l)
{
	long budget = LINKS_MAX_ENTRIES;
	int fd = open_dir(fs->root.fd, "."), ret;

	if (fd < 0)
		return -errno;
	l->walks++;
	l->walk_start = mono_ns();
	ret = walk(l, fd, "", 0, &budget);
	l->walk_end = mono_ns();
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

/* The checked names of (dev, ino) in l, appended to *out (n of them);
 * those that went are dropped. */
static int collect(struct fsd *fs, struct fsd_links *l, dev_t dev, ino_t ino, char ***out,
		   size_t *n)
{
	struct link_file *f = file_of(l, dev, ino, 0);
	size_t kept = 0;
	int ret = 0;

	if (!f)
		return 0;
	for (size_t i = 0; i < f->n; i++) {
		char **grown;

		if (ret < 0 || !names_file(fs, f->paths[i], dev, ino)) {
			if (ret < 0)
				f->paths[kept++] = f->paths[i];
			else
				free(f->paths[i]);
			continue;
		}
		f->paths[kept++] = f->paths[i];
		grown = realloc(*out, (*n + 2) * sizeof(*grown));
		if (!grown) {
			ret = -ENOMEM;
			continue;
		}
		*out = grown;
		grown[*n] = strdup(f->paths[i]);
		if (!grown[*n]) {
			ret = -ENOMEM;
			continue;
		}
		grown[++*n] = NULL;
	}
	f->n = kept;
	return ret;
}

/* fs->links, made if need be; links_lock held.  NULL on ENOMEM. */
static struct fsd_links *links_of(struct fsd *fs)
{
	if (!fs->links)
		__atomic_store_n(&fs->links, calloc(1, sizeof(*fs->links)), __ATOMIC_RELEASE);
	return fs->links;
}

void fsd_links_note(struct fsd *fs, dev_t dev, ino_t ino, const char *path)
{
	struct fsd_links *l;

	if (!path)
		return;
	pthread_mutex_lock(&fs->links_lock);
	l = links_of(fs);
	if (l)
		links_add(l, dev, ino, path);
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
	for (size_t b = 0; b < l->nbuckets; b++)
		for (struct link_file *f = l->buckets[b]; f; f = f->next)
			for (size_t i = 0; i < f->n; i++) {
				const char *p = f->paths[i], *base = NULL, *rest = NULL;
				char *moved;

				if (!strncmp(p, from, fl) && p[fl] == '/') {
					base = to;
					rest = p + fl;
				} else if (exchange && !strncmp(p, to, tl) && p[tl] == '/') {
					base = from;
					rest = p + tl;
				}
				if (base && asprintf(&moved, "%s%s", base, rest) >= 0) {
					free(f->paths[i]);
					f->paths[i] = moved;
				}
			}
	pthread_mutex_unlock(&fs->links_lock);
}

int fsd_links_is_name(struct fsd *fs, const char *path, dev_t dev, ino_t ino)
{
	return path && path[0] == '/' && names_file(fs, path, dev, ino);
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
	l = links_of(fs);
	if (!l) {
		pthread_mutex_unlock(&fs->links_lock);
		return -ENOMEM;
	}
	l->want_dev = in->dev;
	l->want_ino = in->ino;
	/* The names kept (noted as the daemon saw them) may be all. */
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
		free(fs->links);
		fs->links = NULL;
	}
}

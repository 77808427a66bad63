/* fsd inode table: backing (dev, ino) -> struct fsd_inode, see fsd.h. */
#include "fsd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

size_t fsd_hash_file(dev_t dev, ino_t ino, size_t size)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4fULL;

	return (size_t)(h ^ (h >> 29)) & (size - 1);
}

static int mount_fd_for(struct fsd *fs, int mnt, int fd, mode_t type);
static struct file_handle *make_handle(int fd, int *mnt);
static struct fsd_inode *find_locked(struct fsd *fs, dev_t dev, ino_t ino);

/* Raises the soft fd limit to the hard one and returns how many fds the
 * inode cache may keep: a quarter of the limit, at most FSD_FD_CACHE_MAX,
 * leaving the rest for open files, sqlite and the store. */
static int fd_budget(void)
{
	struct rlimit rl;
	rlim_t budget;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 256;
	/* Every file the build holds open is one of our fds, whichever of
	 * its processes holds it: with CAP_SYS_RESOURCE the hard limit goes
	 * up to fs.nr_open, so the build's processes together may hold as
	 * many as one of them natively.  (Refused where the capability is
	 * withheld: the hard limit stays.) */
	{
		FILE *f = fopen("/proc/sys/fs/nr_open", "re");
		unsigned long nr = 0;

		if (f && fscanf(f, "%lu", &nr) == 1 && nr > rl.rlim_max) {
			struct rlimit up = {.rlim_cur = nr, .rlim_max = nr};

			if (setrlimit(RLIMIT_NOFILE, &up) == 0)
				rl = up;
		}
		if (f)
			fclose(f);
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	budget = rl.rlim_cur / 4;
	if (budget > FSD_FD_CACHE_MAX)
		budget = FSD_FD_CACHE_MAX;
	/* A lower cap, for tests of the paths past the cache. */
	{
		const char *env = getenv("PROVFS_FD_CACHE");
		char *end;
		long v = env ? strtol(env, &end, 10) : -1;

		if (env && *env && !*end && v >= 0 && (rlim_t)v < budget)
			budget = (rlim_t)v;
	}
	return (int)budget;
}

/* Grows this process's fd table now, while it has one thread, to what
 * the inode cache and open files will use: the kernel grows a table that
 * threads share only after an RCU grace period, and a request that
 * needed the next fd waited that long (up to 12 ms measured) at each
 * doubling from 64 to 8192 during a build. */
void fsd_fd_table_reserve(void)
{
	struct rlimit rl;
	int want = fd_budget() + 1024, fd;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (rlim_t)want > rl.rlim_cur)
		want = (int)rl.rlim_cur;
	fd = open("/", O_PATH | O_CLOEXEC);
	if (fd >= 0 && want > 64 && dup2(fd, want - 1) == want - 1)
		close(want - 1);
	if (fd >= 0)
		close(fd);
}

int fsd_inode_init(struct fsd *fs)
{
	struct stat st;
	int fd = open(fs->cfg.backing, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	memset(&fs->root, 0, sizeof(fs->root));
	fs->fd_cache_max = fd_budget();
	fs->root.fd = fd;
	fs->root.dev = st.st_dev;
	fs->root.ino = st.st_ino;
	fs->root.type = S_IFDIR;
	fs->root.nlookup = 2;
	fs->root.name = strdup("");
	fs->root.mount_fd = -1;
	{
		int mnt;
		struct file_handle *fh = make_handle(fd, &mnt);

		if (fh)
			fs->root.mount_fd = mount_fd_for(fs, mnt, fd, S_IFDIR);
		free(fh);
	}
	pthread_mutex_init(&fs->root.wlock, NULL);
	pthread_mutex_init(&fs->table_lock, NULL);
	pthread_mutex_init(&fs->links_lock, NULL);
	fs->table_size = 1 << 14;
	fs->table = calloc(fs->table_size, sizeof(*fs->table));
	if (!fs->table || !fs->root.name)
		return -ENOMEM;
	return 0;
}

/* Frees in (its cached fd no longer counted in n_cached_fds). */
static void release_inode(struct fsd_inode *in)
{
	if (in->fd >= 0)
		close(in->fd);
	free(in->fh);
	free(in->name);
	digest_free(in->seq);
	pthread_mutex_destroy(&in->wlock);
	free(in);
}

void fsd_inode_destroy(struct fsd *fs)
{
	for (size_t i = 0; i < fs->table_size; i++) {
		struct fsd_inode *in = fs->table[i];

		while (in) {
			struct fsd_inode *next = in->hnext;

			release_inode(in);
			in = next;
		}
	}
	free(fs->table);
	for (int i = 0; i < fs->n_mounts; i++)
		if (fs->mount_fds[i] >= 0)
			close(fs->mount_fds[i]);
	close(fs->root.fd);
	free(fs->root.name);
	pthread_mutex_destroy(&fs->table_lock);
	fsd_links_free(fs);
	pthread_mutex_destroy(&fs->links_lock);
}

struct fsd_inode *fsd_inode_get(struct fsd *fs, fuse_ino_t ino)
{
	if (ino == FUSE_ROOT_ID)
		return &fs->root;
	return (struct fsd_inode *)(uintptr_t)ino;
}

fuse_ino_t fsd_inode_id(struct fsd *fs, struct fsd_inode *in)
{
	return in == &fs->root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)in;
}

static void unhash(struct fsd *fs, struct fsd_inode *in)
{
	struct fsd_inode **pp = &fs->table[fsd_hash_file(in->dev, in->ino, fs->table_size)];

	while (*pp) {
		if (*pp == in) {
			*pp = in->hnext;
			fs->n_inodes--;
			return;
		}
		pp = &(*pp)->hnext;
	}
}

static void grow_table(struct fsd *fs)
{
	size_t nsize = fs->table_size * 2;
	struct fsd_inode **nt = calloc(nsize, sizeof(*nt));

	if (!nt)
		return;
	for (size_t i = 0; i < fs->table_size; i++) {
		struct fsd_inode *in = fs->table[i];

		while (in) {
			struct fsd_inode *next = in->hnext;
			size_t h = fsd_hash_file(in->dev, in->ino, nsize);

			in->hnext = nt[h];
			nt[h] = in;
			in = next;
		}
	}
	free(fs->table);
	fs->table = nt;
	fs->table_size = nsize;
}

/* Unhashes in, and the parents whose last reference it held, onto
 * fs->dead, which table_unlock frees once the lock is dropped.  Closing
 * the last fd (or backing id) of an unlinked file frees its blocks on
 * the backing filesystem, which can wait for the disk (ext4 with discard
 * and no journal discards synchronously); under table_lock that wait held
 * up every request: rm -rf of 100,000 files spent 1.8 s of 10 s with
 * the serving threads waiting for the lock.  Called with table_lock held. */
static void maybe_free_locked(struct fsd *fs, struct fsd_inode *in)
{
	while (in && in != &fs->root && in->nlookup == 0 && in->refs == 0) {
		struct fsd_inode *parent = in->parent;

		unhash(fs, in);
		if (in->fd >= 0)
			fs->n_cached_fds--;
		in->hnext = fs->dead;
		fs->dead = in;
		if (parent && parent != &fs->root)
			parent->refs--;
		in = parent;
	}
}

static void table_unlock(struct fsd *fs)
{
	struct fsd_inode *dead = fs->dead;

	fs->dead = NULL;
	pthread_mutex_unlock(&fs->table_lock);
	while (dead) {
		struct fsd_inode *next = dead->hnext;

		fsd_pt_forget(fs, dead);
		release_inode(dead);
		dead = next;
	}
}

void fsd_inode_forget(struct fsd *fs, struct fsd_inode *in, uint64_t n)
{
	if (in == &fs->root)
		return;
	pthread_mutex_lock(&fs->table_lock);
	in->nlookup = in->nlookup > n ? in->nlookup - n : 0;
	maybe_free_locked(fs, in);
	table_unlock(fs);
}

void fsd_inode_ref(struct fsd *fs, struct fsd_inode *in)
{
	if (in == &fs->root)
		return;
	pthread_mutex_lock(&fs->table_lock);
	in->refs++;
	table_unlock(fs);
}

void fsd_inode_unref(struct fsd *fs, struct fsd_inode *in)
{
	if (in == &fs->root)
		return;
	pthread_mutex_lock(&fs->table_lock);
	in->refs--;
	maybe_free_locked(fs, in);
	table_unlock(fs);
}

/* Sets in's parent and name; table_lock held. */
static void set_name_locked(struct fsd *fs, struct fsd_inode *in, struct fsd_inode *parent,
			    const char *name)
{
	struct fsd_inode *old = in->parent;
	char *copy;

	if (in == &fs->root)
		return;
	if (old == parent && in->name && !strcmp(in->name, name))
		return;
	copy = strdup(name);
	if (!copy)
		return;
	free(in->name);
	in->name = copy;
	if (parent != old) {
		if (parent != &fs->root)
			parent->refs++;
		in->parent = parent;
		if (old && old != &fs->root) {
			old->refs--;
			maybe_free_locked(fs, old);
		}
	}
}

void fsd_inode_set_name(struct fsd *fs, struct fsd_inode *in, struct fsd_inode *parent,
			const char *name)
{
	pthread_mutex_lock(&fs->table_lock);
	if (in)
		set_name_locked(fs, in, parent, name);
	table_unlock(fs);
}

int fsd_inode_writers(struct fsd_inode *in)
{
	int n;

	pthread_mutex_lock(&in->wlock);
	n = in->writers;
	pthread_mutex_unlock(&in->wlock);
	return n;
}

/* in's parent (with a ref) and a copy of its name, or NULL (the root, no
 * name, ENOMEM). */
static char *name_of(struct fsd *fs, struct fsd_inode *in, struct fsd_inode **parent)
{
	char *name = NULL;

	pthread_mutex_lock(&fs->table_lock);
	*parent = in != &fs->root ? in->parent : NULL;
	if (*parent && in->name && (name = strdup(in->name)) != NULL && *parent != &fs->root)
		(*parent)->refs++;
	table_unlock(fs);
	return name;
}

/* Whether in is at parent/name: 1, 0 (not there), -1 (cannot tell). */
static int is_at(struct fsd *fs, struct fsd_inode *in, struct fsd_inode *parent, const char *name)
{
	struct stat st;
	int pfd, owned, ret;

	pfd = fsd_fd_get(fs, parent, &owned);
	if (pfd < 0)
		return -1;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		ret = st.st_dev == in->dev && st.st_ino == in->ino;
	else
		ret = errno == ENOENT ? 0 : -1;
	fsd_fd_put(pfd, owned);
	return ret;
}

/* Another name of in in directory parent, taken as its name: 1 if found. */
static int find_link(struct fsd *fs, struct fsd_inode *in, struct fsd_inode *parent)
{
	int pfd, owned, dfd, found = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	pfd = fsd_fd_get(fs, parent, &owned);
	if (pfd < 0)
		return 0;
	/* O_NOATIME: the build did not read the directory. */
	dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_NOATIME | O_CLOEXEC);
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d && dfd >= 0)
		close(dfd);
	while (d && !found && (de = readdir(d)) != NULL)
		if (fstatat(pfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_dev == in->dev && st.st_ino == in->ino) {
			fsd_inode_set_name(fs, in, parent, de->d_name);
			found = 1;
		}
	if (d)
		closedir(d);
	fsd_fd_put(pfd, owned);
	return found;
}

/* How long a check waits for renames in flight to update the table. */
#define RECHECK_WAIT_US 200000

int fsd_inode_recheck_name(struct fsd *fs, struct fsd_inode *in)
{
	struct fsd_inode *parent;
	char *name = name_of(fs, in, &parent);
	int at, waited = 0;

	if (!name)
		return 1;
	at = is_at(fs, in, parent, name);
	/* Not there: a rename of it may be between its renameat and the
	 * table's update (a writer's release runs beside the next command
	 * of the build, mv x.tmp x): when none is, its name in the table
	 * is the one to look at. */
	while (at == 0 && __atomic_load_n(&fs->renames_inflight, __ATOMIC_SEQ_CST) > 0 &&
	       waited < RECHECK_WAIT_US) {
		usleep(100);
		waited += 100;
	}
	/* (again also without waiting: one may have ended since the copy) */
	if (at == 0) {
		free(name);
		fsd_inode_unref(fs, parent);
		name = name_of(fs, in, &parent);
		if (!name)
			return 1;
		at = is_at(fs, in, parent, name) != 0 ? 2 : 0;
	}
	/* Its name went (unlinked, renamed over) while it lives on by
	 * another link: one in the same directory (ln a b), if any. */
	if (at == 0)
		at = find_link(fs, in, parent) ? 2 : 0;
	free(name);
	fsd_inode_unref(fs, parent);
	return at < 0 ? 1 : at;
}

char *fsd_inode_named_path(struct fsd *fs, struct fsd_inode *in, int64_t *when, int *gone)
{
	struct stat st;
	char **names = NULL;
	char *path = NULL;

	if (gone)
		*gone = 0;
	/* (no lock on the way of every open: linked only ever goes to 1) */
	if (!fs->cfg.readonly && __atomic_load_n(&in->linked, __ATOMIC_RELAXED) &&
	    fsd_inode_recheck_name(fs, in) == 0) {
		if (fsd_inode_stat(fs, in, &st) == 0 && st.st_nlink > 0 &&
		    fsd_links_names(fs, in, st.st_nlink, &names) > 0) {
			if (when)
				*when = time_now_ns();
			path = strdup(names[0]);
			fsd_links_free_names(names);
			return path;
		}
		if (gone)
			*gone = 1;
	}
	return fsd_inode_path_at(fs, in, NULL, when);
}

int fsd_open_beneath(int dirfd, const char *path, int extra)
{
	struct open_how how = {.flags = (uint64_t)(O_PATH | O_NOFOLLOW | O_CLOEXEC | extra),
			       .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH};
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS)
		fd = openat(dirfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC | extra);
	return fd;
}

/* An O_PATH fd for in, which has no file handle (overlayfs gives none),
 * opened by its path in the mount from its nearest ancestor with an fd
 * (the root has one): every rename and unlink goes through the mount, so
 * the path is current.  A path longer than PATH_MAX is opened a part at a
 * time.  -ESTALE if the path now names another file (or none). */
static int reopen_by_path(struct fsd *fs, struct fsd_inode *in)
{
	struct fsd_inode *a;
	size_t len = 0;
	char *path, *p, *end;
	int base, fd, err = 0;
	struct stat st;

	pthread_mutex_lock(&fs->table_lock);
	for (a = in; a->fd < 0; a = a->parent) {
		if (!a->parent || !a->name) {
			table_unlock(fs);
			return -ESTALE;
		}
		len += strlen(a->name) + 1;
	}
	path = malloc(len + 1);
	base = path ? fcntl(a->fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (base >= 0) {
		/* The names from in up, written from the end of the buffer. */
		p = path + len;
		*p = '\0';
		for (struct fsd_inode *b = in; b != a; b = b->parent) {
			size_t l = strlen(b->name);

			p -= l + 1;
			memcpy(p + 1, b->name, l);
			*p = '/';
		}
	} else {
		err = path ? -errno : -ENOMEM;
	}
	table_unlock(fs);
	if (err) {
		free(path);
		return err;
	}
	/* path is "/n1/n2/...": each part short of PATH_MAX in one open. */
	for (p = path + 1; len && *p; p = end) {
		char keep;

		end = p + strlen(p);
		if (end - p >= PATH_MAX) {
			end = p + PATH_MAX - 1;
			while (end > p && *end != '/')
				end--;
			if (end == p) {
				err = -ENAMETOOLONG;
				break;
			}
		}
		keep = *end;
		*end = '\0';
		fd = fsd_open_beneath(base, p, keep ? O_DIRECTORY : 0);
		*end = keep;
		if (keep)
			end++;
		close(base);
		base = fd;
		if (fd < 0) {
			err = errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? -ESTALE : -errno;
			break;
		}
	}
	free(path);
	if (err)
		return err;
	if (fstat(base, &st) < 0 || st.st_dev != in->dev || st.st_ino != in->ino) {
		close(base);
		return -ESTALE;
	}
	return base;
}

/* The known inode at name under the directory pfd, with a reference
 * taken (none on the root), or NULL. */
static struct fsd_inode *find_at_fd(struct fsd *fs, int pfd, const char *name)
{
	struct fsd_inode *in;
	struct stat st;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return NULL;
	pthread_mutex_lock(&fs->table_lock);
	in = find_locked(fs, st.st_dev, st.st_ino);
	if (in && in != &fs->root)
		in->refs++;
	table_unlock(fs);
	return in;
}

void fsd_inode_pin(struct fsd *fs, struct fsd_inode *parent, int pfd, const char *name, int dir)
{
	struct fsd_inode *in;
	struct stat now;
	int fd;

	/* The root keeps no handle: whether its filesystem has them is
	 * whether it has a mount fd.  A handle finds an unlinked file again,
	 * but not a removed directory: open_by_handle_at connects a
	 * directory to the tree, and fails (ESTALE) for one that left it, so
	 * the stat of a removed working directory failed once its inode had
	 * no cached fd (coreutils' ls/removed-directory test, in a build
	 * that had filled the cache). */
	if (!dir && (parent->fh || (parent == &fs->root && fs->root.mount_fd >= 0)))
		return;
	in = find_at_fd(fs, pfd, name);
	if (!in || in == &fs->root)
		return;
	fd = (in->fh && in->type != S_IFDIR) || in->fd >= 0
		     ? -1
		     : openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &now) == 0 && now.st_dev == in->dev && now.st_ino == in->ino) {
		pthread_mutex_lock(&fs->table_lock);
		if (in->fd < 0) {
			in->fd = fd;
			fs->n_cached_fds++;
			fd = -1;
		}
		table_unlock(fs);
	}
	if (fd >= 0)
		close(fd);
	fsd_inode_unref(fs, in);
}

int fsd_fd_get(struct fsd *fs, struct fsd_inode *in, int *owned)
{
	int fd;

	*owned = 0;
	if (in->fd >= 0)
		return in->fd;
	if (in->fh) {
		fd = open_by_handle_at(in->mount_fd, in->fh, O_PATH | O_CLOEXEC);
		if (fd < 0)
			return -errno;
	} else {
		/* A rename through the mount moves the backing file before
		 * our table's names: a path that misses may be right again a
		 * moment later. */
		for (int tries = 0; (fd = reopen_by_path(fs, in)) == -ESTALE && tries < 3; tries++)
			nanosleep(&(struct timespec){.tv_nsec = 1000000L}, NULL);
		if (fd < 0)
			return fd;
	}
	pthread_mutex_lock(&fs->table_lock);
	if (in->fd < 0 && fs->n_cached_fds < fs->fd_cache_max) {
		in->fd = fd;
		fs->n_cached_fds++;
	} else {
		*owned = 1;
	}
	table_unlock(fs);
	return fd;
}

void fsd_fd_put(int fd, int owned)
{
	if (owned && fd >= 0)
		close(fd);
}

ino_t fsd_shown_ino(const struct fsd *fs, dev_t dev, ino_t ino)
{
	uint64_t h;

	if (dev == fs->root.dev)
		return ino;
	/* splitmix64's finaliser over both: two devices' files meet with
	 * odds of 2^-63 a pair, the backing root's device's never. */
	h = (uint64_t)ino ^ ((uint64_t)dev * 0x9e3779b97f4a7c15ULL);
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return (ino_t)(h | (1ULL << 63));
}

void fsd_shown_stat(const struct fsd *fs, struct stat *st)
{
	st->st_ino = fsd_shown_ino(fs, st->st_dev, st->st_ino);
}

int fsd_inode_stat(struct fsd *fs, struct fsd_inode *in, struct stat *st)
{
	int owned, fd = fsd_fd_get(fs, in, &owned);
	int ret = 0;

	if (fd < 0)
		return fd;
	if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		ret = -errno;
	else
		fsd_shown_stat(fs, st);
	fsd_fd_put(fd, owned);
	return ret;
}

int fsd_inode_open(struct fsd *fs, struct fsd_inode *in, int flags)
{
	int fd, owned, pfd;

	flags &= ~O_NOFOLLOW;
	if (in->fh && in != &fs->root) {
		fd = open_by_handle_at(in->mount_fd, in->fh, flags | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	pfd = fsd_fd_get(fs, in, &owned);
	if (pfd < 0)
		return pfd;
	fd = fd_reopen(pfd, flags);
	if (fd < 0)
		fd = -errno;
	fsd_fd_put(pfd, owned);
	return fd;
}

/* Whether a handle of directory fd opens again: 0, or -errno. */
static int handles_open(int fd)
{
	int mnt, probe, ret;
	struct file_handle *fh = make_handle(fd, &mnt);

	if (!fh)
		return -EOPNOTSUPP;
	probe = open_by_handle_at(fd, fh, O_PATH | O_CLOEXEC);
	ret = probe < 0 ? -errno : 0;
	if (probe >= 0)
		close(probe);
	free(fh);
	return ret;
}

/* The mount fd for mount id mnt, registering fd's filesystem if new; -1
 * if its handles are not to be used.  open_by_handle_at() refuses O_PATH
 * fds as its mount fd, so a real directory fd is opened; only
 * directories register a new mount (opening a device or fifo could have
 * side effects). */
static int mount_fd_for(struct fsd *fs, int mnt, int fd, mode_t type)
{
	int i, mfd, err;

	for (i = 0; i < fs->n_mounts; i++)
		if (fs->mount_ids[i] == mnt)
			return fs->mount_fds[i];
	if (fs->n_mounts == 64 || type != S_IFDIR)
		return -1;
	mfd = fd_reopen(fd, O_RDONLY | O_DIRECTORY);
	if (mfd < 0)
		return -1;
	/* name_to_handle_at needs no privilege, open_by_handle_at needs
	 * CAP_DAC_READ_SEARCH, which containers withhold by default: each
	 * filesystem is tried as it is met (a container's root, an overlay,
	 * may have no handles at all, and a bind mount under it handles that
	 * open as EPERM).  Where they do not open, its files are reached by
	 * path; without the capability, no handle is made again. */
	err = handles_open(mfd);
	if (err) {
		close(mfd);
		mfd = -1;
		if (err == -EPERM)
			fs->no_handles = 1;
	}
	fs->mount_ids[i] = mnt;
	fs->mount_fds[i] = mfd;
	fs->n_mounts++;
	return mfd;
}

static struct file_handle *make_handle(int fd, int *mnt)
{
	struct file_handle *fh = malloc(sizeof(*fh) + MAX_HANDLE_SZ);

	if (!fh)
		return NULL;
	fh->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(fd, "", fh, mnt, AT_EMPTY_PATH) < 0) {
		free(fh);
		return NULL;
	}
	return fh;
}

static int same_handle(const struct file_handle *a, const struct file_handle *b)
{
	return a && b && a->handle_type == b->handle_type && a->handle_bytes == b->handle_bytes &&
	       !memcmp(a->f_handle, b->f_handle, a->handle_bytes);
}

static struct fsd_inode *find_locked(struct fsd *fs, dev_t dev, ino_t ino)
{
	struct fsd_inode *in;

	if (dev == fs->root.dev && ino == fs->root.ino)
		return &fs->root;
	for (in = fs->table[fsd_hash_file(dev, ino, fs->table_size)]; in; in = in->hnext)
		if (in->dev == dev && in->ino == ino)
			return in;
	return NULL;
}

int fsd_inode_lookup(struct fsd *fs, struct fsd_inode *parent, const char *name,
		     struct fuse_entry_param *e)
{
	struct fsd_inode *in;
	struct file_handle *fh;
	struct stat st;
	int owned, pfd, fd, mnt = 0;

	pfd = fsd_fd_get(fs, parent, &owned);
	if (pfd < 0)
		return pfd;
	fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	fsd_fd_put(pfd, owned);
	if (fd < 0)
		return -errno;
	if (fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	fh = fs->no_handles ? NULL : make_handle(fd, &mnt);

	pthread_mutex_lock(&fs->table_lock);
	in = find_locked(fs, st.st_dev, st.st_ino);
	if (in && in != &fs->root && in->fd < 0 && fh && !same_handle(in->fh, fh)) {
		/* The backing inode number was reused by a new file; the old
		 * entry stays alive for the kernel but leaves the table. */
		unhash(fs, in);
		in->dev = (dev_t)-1;
		in = NULL;
	}
	if (S_ISREG(st.st_mode) && st.st_nlink > 1 && in)
		__atomic_store_n(&in->linked, 1, __ATOMIC_RELAXED);
	if (in) {
		in->nlookup++;
		if (in->fd < 0 && fs->n_cached_fds < fs->fd_cache_max) {
			in->fd = fd;
			fs->n_cached_fds++;
			fd = -1;
		}
		set_name_locked(fs, in, parent, name);
		free(fh);
	} else {
		in = calloc(1, sizeof(*in));
		if (!in) {
			table_unlock(fs);
			free(fh);
			close(fd);
			return -ENOMEM;
		}
		in->dev = st.st_dev;
		in->ino = st.st_ino;
		in->type = st.st_mode & S_IFMT;
		in->nlookup = 1;
		in->fd = -1;
		in->fh = fh;
		in->linked = S_ISREG(st.st_mode) && st.st_nlink > 1;
		pthread_mutex_init(&in->wlock, NULL);
		if (fh) {
			in->mount_fd = mount_fd_for(fs, mnt, fd, in->type);
			if (in->mount_fd < 0) {
				free(in->fh);
				in->fh = NULL;
			}
		}
		if (fs->n_cached_fds < fs->fd_cache_max) {
			in->fd = fd;
			fs->n_cached_fds++;
			fd = -1;
		}
		set_name_locked(fs, in, parent, name);
		if (fs->n_inodes * 2 > fs->table_size)
			grow_table(fs);
		size_t h = fsd_hash_file(in->dev, in->ino, fs->table_size);
		in->hnext = fs->table[h];
		fs->table[h] = in;
		fs->n_inodes++;
	}
	table_unlock(fs);
	if (fd >= 0)
		close(fd);
	if (S_ISREG(st.st_mode) && st.st_nlink > 1 && !fs->cfg.readonly &&
	    __atomic_load_n(&fs->links, __ATOMIC_ACQUIRE)) {
		char *path = fsd_inode_path(fs, parent, name);

		fsd_links_note(fs, st.st_dev, st.st_ino, path);
		free(path);
	}

	memset(e, 0, sizeof(*e));
	e->ino = fsd_inode_id(fs, in);
	e->attr = st;
	fsd_shown_stat(fs, &e->attr);
	e->attr_timeout = fs->cfg.timeout;
	e->entry_timeout = fs->cfg.timeout;
	return 0;
}

struct fsd_inode *fsd_inode_find_at(struct fsd *fs, struct fsd_inode *parent, const char *name)
{
	struct fsd_inode *in;
	int owned, pfd = fsd_fd_get(fs, parent, &owned);

	if (pfd < 0)
		return NULL;
	in = find_at_fd(fs, pfd, name);
	fsd_fd_put(pfd, owned);
	return in;
}

char *fsd_inode_path(struct fsd *fs, struct fsd_inode *in, const char *name)
{
	return fsd_inode_path_at(fs, in, name, NULL);
}

/* in's path (name under it, if not NULL); table_lock held. */
static char *path_locked(struct fsd *fs, struct fsd_inode *in, const char *name)
{
	const char *parts[512];
	size_t n = 0, len = 1;
	char *out, *p;

	if (name) {
		parts[n++] = name;
		len += strlen(name) + 1;
	}
	for (; in && in != &fs->root && n < 512; in = in->parent) {
		parts[n++] = in->name ? in->name : "?";
		len += strlen(parts[n - 1]) + 1;
	}
	out = malloc(len + 1);
	if (out) {
		p = out;
		if (n == 0)
			*p++ = '/';
		while (n > 0) {
			size_t l = strlen(parts[--n]);

			*p++ = '/';
			memcpy(p, parts[n], l);
			p += l;
		}
		*p = '\0';
	}
	return out;
}

char *fsd_inode_path_at(struct fsd *fs, struct fsd_inode *in, const char *name, int64_t *when)
{
	char *out;

	pthread_mutex_lock(&fs->table_lock);
	if (when)
		*when = time_now_ns();
	out = path_locked(fs, in, name);
	table_unlock(fs);
	return out;
}

void fsd_inode_paths_at(struct fsd *fs, struct fsd_inode *a, const char *aname,
			struct fsd_inode *b, const char *bname, int64_t *when, char **pa, char **pb)
{
	pthread_mutex_lock(&fs->table_lock);
	*when = time_now_ns();
	*pa = path_locked(fs, a, aname);
	*pb = path_locked(fs, b, bname);
	table_unlock(fs);
}

void fsd_inode_renamed(struct fsd *fs, struct fsd_inode *in, struct fsd_inode *other,
		       struct fsd_inode *oldparent, const char *oldname,
		       struct fsd_inode *newparent, const char *newname, int64_t *when, char **from,
		       char **to)
{
	pthread_mutex_lock(&fs->table_lock);
	*when = time_now_ns();
	if (in)
		set_name_locked(fs, in, newparent, newname);
	if (other)
		set_name_locked(fs, other, oldparent, oldname);
	*from = path_locked(fs, oldparent, oldname);
	*to = path_locked(fs, newparent, newname);
	table_unlock(fs);
}

#include "envstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cas.h"
#include "cli.h"
#include "digest.h"
#include "json.h"
#include "util.h"

static int run_argv(char *const argv[])
{
	int st = cli_spawn(argv, NULL, CLI_SPAWN_UMASK022 | CLI_SPAWN_GROUP);

	return st <= 0 ? st : -EIO;
}

/* Removes path and all below it; absent is fine. */
static int clear_path(const char *path)
{
	int ret = remove_tree_at(AT_FDCWD, path);

	return ret == -ENOENT ? 0 : ret;
}

/* The name in an environment's metadata, as given (decoded if it had to
 * be percent-encoded); malloc'd, NULL if it has none. */
static char *meta_name(const json_t *meta)
{
	const char *name = json_get_string(meta, "name");
	json_t *enc = json_object_get(meta, "percentEncoded");
	size_t i;
	json_t *v;

	if (!name)
		return NULL;
	json_array_foreach(enc, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), "/name"))
			return percent_decode(name);
	return strdup(name);
}

/* An earlier name of an environment (the "earlier" array of its record),
 * decoded; malloc'd, NULL if none. */
static char *earlier_name(const json_t *e)
{
	const char *name = json_get_string(e, "name");

	if (!name || !*name)
		return NULL;
	return json_is_true(json_object_get(e, "encoded")) ? percent_decode(name) : strdup(name);
}

/* The names the record old gave its tree besides new_name, for the new
 * record's "earlier" array: its name then (with its time) and its own
 * earlier ones, but new_name (given again now). */
static json_t *earlier_names(const json_t *old, const char *new_name)
{
	json_t *out = json_array(), *e;
	char *name = meta_name(old);
	size_t i;

	if (!out) {
		free(name);
		return NULL;
	}
	json_array_foreach(json_object_get(old, "earlier"), i, e) {
		char *n = earlier_name(e);

		if (n && strcmp(n, new_name))
			json_array_append(out, e);
		free(n);
	}
	if (name && *name && strcmp(name, new_name)) {
		int encoded = 0;
		json_t *t = json_text(name, &encoded);
		const char *created = json_get_string(old, "created");

		if (t)
			json_array_append_new(out, json_pack("{s:o, s:b, s:s}", "name", t, "encoded",
							     encoded, "created", created ? created : ""));
	}
	free(name);
	return out;
}

int envstore_write_meta(const char *store, const char *hex, const char *name, const char *source,
			const struct tree_stats *stats)
{
	char path[PATH_MAX], created[32], *old_name = NULL, *text = NULL;
	json_t *meta, *old, *earlier;
	int ret;

	snprintf(path, sizeof(path), "%s/envs", store);
	ret = mkdir_p(path, 0755);
	if (ret < 0)
		return ret;
	time_format_rfc3339(time_now_ns(), created, sizeof(created));
	snprintf(path, sizeof(path), "%s/envs/%s.json", store, hex);
	old = json_load_file(path, 0, NULL);
	/* Importing the same tree again without a name keeps the old one. */
	if (!name || !*name)
		name = old_name = meta_name(old);
	/* One imported under another name keeps the old too: each names it
	 * (as of when it was given, for a name given to several trees). */
	earlier = earlier_names(old, name ? name : "");
	json_decref(old);
	meta = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "digest", hex, "created", created,
			 "files", (json_int_t)stats->files, "dirs", (json_int_t)stats->dirs,
			 "symlinks", (json_int_t)stats->symlinks, "bytes", (json_int_t)stats->bytes);
	if (meta && earlier && json_array_size(earlier))
		json_object_set(meta, "earlier", earlier);
	json_decref(earlier);
	meta = json_with_texts(meta, "name", name ? name : "", "source", source ? source : "", NULL);
	text = meta ? json_dumps(meta, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;
	/* Whole or not at all: two imports of one tree at once each write
	 * a file of their own and rename it into place. */
	ret = text ? file_write_replace(path, text, strlen(text), 0644) : -ENOMEM;
	free(text);
	json_decref(meta);
	free(old_name);
	return ret;
}

/* Removes the staging directories nobody holds. */
static void sweep_staging(const char *store)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/tmp", store);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	remove_unheld_at(fd, "envbuild.", NULL);
	remove_unheld_at(fd, "import.", NULL);
	close(fd);
}

/* Tries to make a staging directory again where a sweep (ours, another
 * build's, store gc's) took the new one before its flock. */
#define STAGING_TRIES 100

int envstore_staging_make(const char *store, const char *kind, char *path, size_t len,
			  int *held)
{
	snprintf(path, len, "%s/tmp", store);
	if (mkdir_p(path, 0755) < 0)
		return -errno;
	sweep_staging(store);
	for (int i = 0; i < STAGING_TRIES; i++) {
		struct stat held_st, now_st;
		int fd;

		snprintf(path, len, "%s/tmp/%s.XXXXXX", store, kind);
		if (!mkdtemp(path))
			return -errno;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue; /* swept before it could be opened */
		if (flock(fd, LOCK_EX) < 0) {
			int err = -errno;

			close(fd);
			rmdir(path);
			return err;
		}
		/* A sweep that found it unheld holds it until it is removed:
		 * held now, it is ours if it is still there. */
		if (fstat(fd, &held_st) == 0 && stat(path, &now_st) == 0 &&
		    held_st.st_dev == now_st.st_dev && held_st.st_ino == now_st.st_ino) {
			*held = fd;
			return 0;
		}
		close(fd);
	}
	return -EAGAIN;
}

int envstore_staging_drop(const char *path, int held)
{
	int ret = remove_tree_at(AT_FDCWD, path);

	close(held);
	return ret == -ENOENT ? 0 : ret;
}

int envstore_import(const char *store, const char *source, int tarball, const char *name,
		    int quiet, char hex[DIGEST_HEX_LEN + 1], struct tree_stats *stats)
{
	struct tree_options opt = {.store_files = 1, .one_fs = 1};
	struct stat store_st;
	char tmpl[PATH_MAX];
	const char *dir = source;
	struct cas *cas;
	int ret, held = -1;

	(void)quiet;
	ret = cas_open(store, 1, &cas);
	if (ret < 0)
		return ret;
	/* A store inside the tree (env import / with the default store)
	 * is not part of it: its keys would be the build's to read, and
	 * its tmp files, written by this import, would change the digest. */
	if (!tarball && stat(store, &store_st) == 0) {
		opt.skip_dev = store_st.st_dev;
		opt.skip_ino = store_st.st_ino;
	}
	if (tarball) {
		ret = envstore_staging_make(store, "import", tmpl, sizeof(tmpl), &held);
		if (ret < 0) {
			cas_close(cas);
			return ret;
		}
		/* The root of a tarball without a "./" member (docker export,
		 * tar -cf x.tar bin etc ...) is this directory: 0755, as env
		 * build's, not mkdtemp's 0700. */
		chmod(tmpl, 0755);
		{
			/* --force-local: a name with a colon is a file, not
			 * HOST:FILE to reach over rsh. */
			char *argv[] = {"tar", "--force-local", "-xpf", (char *)source, "-C", tmpl,
					"--numeric-owner", NULL};

			ret = run_argv(argv);
			if (ret == -EIO)
				ret = ENVSTORE_UNPACK_FAILED;
		}
		dir = tmpl;
	}
	if (ret == 0)
		ret = tree_snapshot(cas, dir, &opt, hex, stats);
	if (tarball)
		envstore_staging_drop(tmpl, held);
	cas_close(cas);
	if (ret == 0)
		ret = envstore_write_meta(store, hex, name, source, stats);
	return ret;
}

int envstore_resolve(const char *store, const char *what, char hex[DIGEST_HEX_LEN + 1])
{
	char path[PATH_MAX], named[DIGEST_HEX_LEN + 1] = "", newest[40] = "";
	int64_t newest_ns = 0;
	DIR *d;
	struct dirent *de;
	int prefixed = 0;
	size_t wlen = strlen(what);
	int is_prefix = wlen >= 8 && wlen <= DIGEST_HEX_LEN &&
			strspn(what, "0123456789abcdef") == wlen;

	if (hex_is_digest(what)) {
		memcpy(hex, what, DIGEST_HEX_LEN + 1);
		return 0;
	}
	/* An empty name (an unset $ENV in a script) names nothing, though
	 * an environment imported without --name has the empty name. */
	if (!*what)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/envs", store);
	d = opendir(path);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char candidate[DIGEST_HEX_LEN + 1];

		if (n != DIGEST_HEX_LEN + 5 || strcmp(de->d_name + DIGEST_HEX_LEN, ".json"))
			continue;
		memcpy(candidate, de->d_name, DIGEST_HEX_LEN);
		candidate[DIGEST_HEX_LEN] = '\0';
		if (is_prefix && !strncmp(candidate, what, wlen)) {
			if (prefixed && strcmp(hex, candidate)) {
				closedir(d);
				return -EEXIST;
			}
			memcpy(hex, candidate, DIGEST_HEX_LEN + 1);
			prefixed = 1;
		} else {
			char mpath[PATH_MAX + 300];
			json_t *meta;
			char *name;
			const char *created;

			snprintf(mpath, sizeof(mpath), "%s/%s", path, de->d_name);
			meta = json_load_file(mpath, 0, NULL);
			name = meta_name(meta);
			created = json_get_string(meta, "created");
			{
				/* An earlier name, as of when it was given. */
				size_t k;
				json_t *e;

				json_array_foreach(json_object_get(meta, "earlier"), k, e) {
					char *n = earlier_name(e);
					const char *when = json_get_string(e, "created");

					if (n && !strcmp(n, what) && (!name || strcmp(name, what)) &&
					    (!named[0] || strcmp(when ? when : "", newest) > 0)) {
						memcpy(named, candidate, sizeof(named));
						snprintf(newest, sizeof(newest), "%s", when ? when : "");
						newest_ns = 0;
					}
					free(n);
				}
			}
			/* A name given again (a definition built again after
			 * a change) names the newest: RFC 3339 times in UTC
			 * compare as text; within one second, the record
			 * written last. */
			if (name && !strcmp(name, what)) {
				struct stat mst;
				int64_t written = stat(mpath, &mst) < 0 ? 0
					: (int64_t)mst.st_mtim.tv_sec * 1000000000LL + mst.st_mtim.tv_nsec;
				int cmp = strcmp(created ? created : "", newest);

				if (!named[0] || cmp > 0 || (cmp == 0 && written > newest_ns)) {
					memcpy(named, candidate, sizeof(named));
					snprintf(newest, sizeof(newest), "%s", created ? created : "");
					newest_ns = written;
				}
			}
			free(name);
			json_decref(meta);
		}
	}
	closedir(d);
	/* A prefix of one environment's digest that is another's name (a
	 * name of hex digits, a date) is refused, not taken as either. */
	if (prefixed && named[0] && strcmp(named, hex))
		return -EEXIST;
	if (prefixed)
		return 0;
	if (!named[0])
		return -ENOENT;
	memcpy(hex, named, sizeof(named));
	return 0;
}

struct materialize {
	struct cas *cas;
	int rootfd;
	struct tree_entry *dirs; /* modes to apply at the end */
	char **dir_paths;
	size_t n_dirs, cap_dirs;
	uint64_t files;
	int quiet;
	char *why;     /* what is wrong, for -EBADMSG */
	size_t whylen;
};

/* Opens the directory holding path's last component, walking from rootfd
 * without following symlinks; *leaf points into path. */
static int open_parent(int rootfd, const char *path, const char **leaf)
{
	char comp[NAME_MAX + 1];
	const char *p = path, *slash;
	int fd = dup(rootfd);

	if (fd < 0)
		return -errno;
	while ((slash = strchr(p, '/')) != NULL) {
		size_t n = (size_t)(slash - p);
		int next;

		if (n > NAME_MAX) {
			close(fd);
			return -ENAMETOOLONG;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0)
			return -errno;
		fd = next;
		p = slash + 1;
	}
	*leaf = p;
	return fd;
}

static int copy_verified(struct materialize *m, int dirfd, const char *leaf,
			 const struct tree_entry *e)
{
	uint8_t raw[DIGEST_LEN];
	char got[DIGEST_HEX_LEN + 1];
	int src, dst, ret;

	src = cas_open_object(m->cas, e->digest);
	if (src == -ENOENT || src == -EBADMSG)
		snprintf(m->why, m->whylen, "the object of its file /%s (%s) is %s", e->path,
			 e->digest, src == -ENOENT ? "missing from the store" : "no regular file");
	if (src < 0)
		return src == -ENOENT ? -EBADMSG : src;
	dst = openat(dirfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dst < 0) {
		ret = -errno;
		close(src);
		return ret;
	}
	ret = digest_copy_fd(src, dst, raw);
	if (ret == 0) {
		hex_encode(raw, DIGEST_LEN, got);
		if (strcmp(got, e->digest) != 0) {
			snprintf(m->why, m->whylen, "the object of its file /%s (%s) is damaged: "
				 "its content does not match its digest", e->path, e->digest);
			ret = -EBADMSG;
		}
	}
	if (ret == 0 && (fchown(dst, e->uid, e->gid) < 0 || fchmod(dst, e->mode) < 0))
		ret = -errno;
	close(dst);
	close(src);
	return ret;
}

static int remember_dir(struct materialize *m, const struct tree_entry *e)
{
	if (m->n_dirs == m->cap_dirs) {
		size_t ncap = m->cap_dirs ? m->cap_dirs * 2 : 256;
		struct tree_entry *d = realloc(m->dirs, ncap * sizeof(*d));
		char **p = d ? realloc(m->dir_paths, ncap * sizeof(*p)) : NULL;

		if (!d || !p) {
			if (d)
				m->dirs = d;
			return -ENOMEM;
		}
		m->dirs = d;
		m->dir_paths = p;
		m->cap_dirs = ncap;
	}
	m->dirs[m->n_dirs] = *e;
	m->dir_paths[m->n_dirs] = strdup(e->path);
	if (!m->dir_paths[m->n_dirs])
		return -ENOMEM;
	m->dirs[m->n_dirs].path = m->dir_paths[m->n_dirs];
	m->dirs[m->n_dirs].target = NULL;
	m->n_dirs++;
	return 0;
}

static int materialize_entry(void *arg, const struct tree_entry *e)
{
	struct materialize *m = arg;
	const char *leaf;
	int dirfd, ret = 0;

	if (!strcmp(e->path, "."))
		return remember_dir(m, e);
	dirfd = open_parent(m->rootfd, e->path, &leaf);
	if (dirfd < 0)
		return dirfd == -ENOENT || dirfd == -ENOTDIR || dirfd == -ELOOP ? -EBADMSG : dirfd;
	switch (e->type) {
	case 'd':
		if (mkdirat(dirfd, leaf, 0700) < 0)
			ret = -errno;
		else
			ret = remember_dir(m, e);
		break;
	case 'f':
		ret = copy_verified(m, dirfd, leaf, e);
		m->files++;
		if (!m->quiet && isatty(2) && m->files % 2000 == 0)
			fprintf(stderr, "\rprovfs: materialising environment: %llu files",
				(unsigned long long)m->files);
		break;
	case 'l':
		if (symlinkat(e->target, dirfd, leaf) < 0 ||
		    fchownat(dirfd, leaf, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
			ret = -errno;
		break;
	case 'c':
	case 'b':
		if (mknodat(dirfd, leaf, (e->type == 'c' ? S_IFCHR : S_IFBLK) | e->mode,
			    makedev(e->major, e->minor)) < 0 ||
		    fchownat(dirfd, leaf, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(dirfd, leaf, e->mode, 0) < 0)
			ret = -errno;
		break;
	case 'p':
		if (mkfifoat(dirfd, leaf, e->mode) < 0 ||
		    fchownat(dirfd, leaf, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(dirfd, leaf, e->mode, 0) < 0)
			ret = -errno;
		break;
	default:
		break; /* sockets are not recreated */
	}
	close(dirfd);
	return ret;
}

/* Applies directory owners and modes, deepest first (so a read-only
 * directory does not block its children). */
static int finish_dirs(struct materialize *m)
{
	for (size_t i = m->n_dirs; i-- > 0;) {
		const struct tree_entry *e = &m->dirs[i];
		const char *leaf = ".";
		int dirfd = strcmp(e->path, ".") ? open_parent(m->rootfd, e->path, &leaf)
						  : dup(m->rootfd);

		if (dirfd < 0)
			return dirfd;
		if (fchownat(dirfd, leaf, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(dirfd, leaf, e->mode, 0) < 0) {
			int err = -errno;

			close(dirfd);
			return err;
		}
		close(dirfd);
	}
	return 0;
}

/* Makes STORE/envs/HEX, root's alone (a materialised root holds the
 * environment's setuid programs and device nodes, which the host's other
 * users must not reach there), and holds its lock file; the fd, or
 * -errno.  A materialiser that fails removes the lock file and the
 * directory: one that waited on that lock file tries again. */
static int hold_env_lock(const char *base)
{
	char path[PATH_MAX + 16];
	struct stat held, now;
	int ret, fd;

	snprintf(path, sizeof(path), "%s/lock", base);
	for (int i = 0; i < STAGING_TRIES; i++) {
		ret = mkdir_p(base, 0700);
		if (ret < 0)
			return ret;
		fd = chmod(base, 0700) < 0 ? -1 /* made 0755 by an older provfs */
		     : open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		if (flock(fd, LOCK_EX) < 0) {
			ret = -errno;
			close(fd);
			return ret;
		}
		if (fstat(fd, &held) == 0 && stat(path, &now) == 0 && held.st_dev == now.st_dev &&
		    held.st_ino == now.st_ino)
			return fd;
		close(fd);
	}
	return -EAGAIN;
}

int envstore_materialize(const char *store, const char *what, char *rootdir, size_t rootlen,
			 char hex[DIGEST_HEX_LEN + 1], int quiet, char *why, size_t whylen)
{
	struct materialize m = {.why = why, .whylen = whylen};
	char base[PATH_MAX], partial[PATH_MAX + 16], done[PATH_MAX + 16];
	char *text = NULL;
	size_t len = 0;
	int ret, lock;

	ret = envstore_resolve(store, what, hex);
	if (ret < 0)
		return ret;
	snprintf(base, sizeof(base), "%s/envs/%s", store, hex);
	snprintf(rootdir, rootlen, "%s/root", base);
	snprintf(done, sizeof(done), "%s/complete", base);
	/* Made before, unless someone removed the copy since. */
	if (access(done, F_OK) == 0 && access(rootdir, F_OK) == 0)
		return 0;
	ret = cas_open(store, 0, &m.cas);
	if (ret < 0)
		return ret;
	ret = cas_read_object(m.cas, hex, (size_t)1 << 30, &text, &len);
	/* Listed in envs/, so it was stored: gone or damaged since.  (A
	 * digest given in full that envs/ does not list is no environment.) */
	if (ret == -ENOENT) {
		char meta[PATH_MAX + 16];

		snprintf(meta, sizeof(meta), "%s/envs/%s.json", store, hex);
		if (access(meta, F_OK) < 0) {
			cas_close(m.cas);
			return -ENOENT;
		}
	}
	if (ret == -ENOENT || ret == -EBADMSG || ret == -EFBIG) {
		snprintf(why, whylen, "its tree object %s is %s", hex,
			 ret == -ENOENT ? "missing from the store" : "damaged");
		ret = -EBADMSG;
	}
	/* One materialiser at a time: two builds starting on a new
	 * environment at once would otherwise clear each other's partial
	 * root, and one would mark what it found there complete. */
	lock = ret < 0 ? ret : hold_env_lock(base);
	if (lock < 0) {
		free(text);
		cas_close(m.cas);
		return lock;
	}
	if (access(done, F_OK) == 0 && access(rootdir, F_OK) == 0) {
		free(text);
		cas_close(m.cas);
		close(lock);
		return 0; /* made while we waited */
	}
	unlink(done);
	snprintf(partial, sizeof(partial), "%s/root.partial", base);
	ret = clear_path(partial);
	if (ret == 0)
		ret = clear_path(rootdir);
	if (ret == 0 && mkdir(partial, 0700) < 0)
		ret = -errno;
	if (ret < 0) {
		free(text);
		cas_close(m.cas);
		close(lock);
		return ret;
	}
	m.quiet = quiet;
	m.rootfd = open(partial, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ret = m.rootfd < 0 ? -errno : tree_parse(text, len, materialize_entry, &m);
	/* An entry that exists already: the tree lists a path twice, which
	 * no tree provfs writes does (not "several environments"). */
	if (ret == -EEXIST)
		ret = -EBADMSG;
	if (ret == -EBADMSG && !why[0])
		snprintf(why, whylen, "its tree object %s is no valid tree", hex);
	if (ret == 0)
		ret = finish_dirs(&m);
	/* On disk before it is marked complete: a root is not checked again
	 * once it is, so a crash must not leave the mark on empty files.
	 * (The lock file is on the same filesystem; rootfd is O_PATH.) */
	if (ret == 0 && syncfs(lock) < 0)
		ret = -errno;
	if (!quiet && isatty(2) && m.files >= 2000)
		fputc('\n', stderr);
	if (m.rootfd >= 0)
		close(m.rootfd);
	for (size_t i = 0; i < m.n_dirs; i++)
		free(m.dir_paths[i]);
	free(m.dirs);
	free(m.dir_paths);
	free(text);
	cas_close(m.cas);
	if (ret == 0 && rename(partial, rootdir) < 0)
		ret = -errno;
	if (ret == 0) {
		int fd = open(done, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0)
			ret = -errno;
		else
			close(fd);
	}
	if (ret < 0) {
		char lockpath[PATH_MAX + 16];

		remove_tree_at(AT_FDCWD, partial);
		snprintf(lockpath, sizeof(lockpath), "%s/lock", base);
		unlink(lockpath);
		rmdir(base); /* if nothing else is there */
	}
	close(lock);
	return ret;
}

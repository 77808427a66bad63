#include "envfacts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "digest.h"
#include "util.h"

/* dpkg's status on a full desktop is a few MB; refuse anything absurd. */
#define ENVFACTS_MAX_STATUS ((size_t)256 << 20)
#define ENVFACTS_MAX_SMALL ((size_t)1 << 20)

static char *dup_n(const char *s, size_t n)
{
	char *out = malloc(n + 1);

	if (out) {
		memcpy(out, s, n);
		out[n] = '\0';
	}
	return out;
}

/* Opens rel (relative) inside root as if root were "/": its symlinks,
 * absolute ones too, resolve within it (an environment's files, not the
 * host's), and nothing blocks (a FIFO there is opened, then refused).
 * flags: O_DIRECTORY or 0.  An fd, or -errno. */
static int open_in_root(const char *root, const char *rel, int flags)
{
	struct open_how how = {.flags = (uint64_t)(O_RDONLY | O_NONBLOCK | O_CLOEXEC | flags),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	if (rootfd < 0)
		return -errno;
	fd = openat2_retry(rootfd, rel, &how);
	if (fd < 0 && errno == ENOSYS) /* before Linux 5.6: no symlink followed */
		fd = openat(rootfd, rel, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW | flags);
	if (fd < 0)
		fd = -errno;
	close(rootfd);
	return fd;
}

int envfacts_read_in_root(const char *root, const char *rel, size_t max, char **text)
{
	int fd = open_in_root(root, rel, 0), ret;
	struct stat st;

	if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
		return 1;
	if (fd < 0)
		return fd;
	ret = fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? 1 : fd_read_all(fd, max, text, NULL);
	close(fd);
	return ret;
}

/* The directory root/rel for readdir (see open_in_root), or NULL. */
static DIR *opendir_in_root(const char *root, const char *rel)
{
	int fd = open_in_root(root, rel, O_DIRECTORY);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d && fd >= 0)
		close(fd);
	return d;
}

/* Unquotes an os-release value ("..." or '...' with backslash escapes). */
static char *os_release_value(const char *v, size_t n)
{
	char *out = malloc(n + 1), *p = out;
	char quote = 0;

	if (!out)
		return NULL;
	if (n && (v[0] == '"' || v[0] == '\'')) {
		quote = v[0];
		v++;
		n--;
		if (n && v[n - 1] == quote)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		if (quote == '"' && v[i] == '\\' && i + 1 < n)
			i++;
		*p++ = v[i];
	}
	*p = '\0';
	return out;
}

static int set_field(char **field, char *value)
{
	if (!value)
		return -ENOMEM;
	free(*field);
	*field = value;
	return 0;
}

int envfacts_parse_os_release(const char *text, struct envfacts *facts)
{
	const char *line = text;
	int ret = 0;

	while (*line && !ret) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *eq = memchr(line, '=', len);

		if (eq && line[0] != '#') {
			size_t klen = (size_t)(eq - line);
			const char *v = eq + 1;
			size_t vlen = len - klen - 1;

			if (klen == 2 && !memcmp(line, "ID", 2))
				ret = set_field(&facts->os_id, os_release_value(v, vlen));
			else if (klen == 10 && !memcmp(line, "VERSION_ID", 10))
				ret = set_field(&facts->os_version_id, os_release_value(v, vlen));
			else if (klen == 11 && !memcmp(line, "PRETTY_NAME", 11))
				ret = set_field(&facts->os_pretty_name, os_release_value(v, vlen));
		}
		line += len;
		if (*line == '\n')
			line++;
	}
	return ret;
}

static int package_cmp(const void *a, const void *b)
{
	const struct envfacts_package *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->arch, y->arch);
}

/* Copies the value of "Field: value" if line starts with field. */
static int take_field(const char *line, size_t len, const char *field, char **out)
{
	size_t flen = strlen(field);
	const char *v;

	if (len <= flen || memcmp(line, field, flen) || line[flen] != ':')
		return 0;
	v = line + flen + 1;
	while (v < line + len && (*v == ' ' || *v == '\t'))
		v++;
	free(*out);
	*out = dup_n(v, (size_t)(line + len - v));
	return *out ? 1 : -ENOMEM;
}

static int add_package(struct envfacts *facts, char **name, char **version, char **arch, char **status)
{
	struct envfacts_package *grown;
	size_t slen = *status ? strlen(*status) : 0;
	int installed = slen >= 10 && !strcmp(*status + slen - 10, " installed");
	int ret = 0;

	if (*name && installed) {
		grown = realloc(facts->packages, (facts->n_packages + 1) * sizeof(*grown));
		if (!grown) {
			ret = -ENOMEM;
		} else {
			facts->packages = grown;
			grown[facts->n_packages].name = *name;
			grown[facts->n_packages].version = *version ? *version : strdup("");
			grown[facts->n_packages].arch = *arch ? *arch : strdup("");
			facts->n_packages++;
			*name = *version = *arch = NULL;
		}
	}
	free(*name);
	free(*version);
	free(*arch);
	free(*status);
	*name = *version = *arch = *status = NULL;
	return ret;
}

int envfacts_parse_dpkg_status(const char *text, struct envfacts *facts)
{
	char *name = NULL, *version = NULL, *arch = NULL, *status = NULL;
	const char *line = text;
	int ret = 0;

	while (!ret) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len == 0) {
			ret = add_package(facts, &name, &version, &arch, &status);
		} else if (line[0] != ' ' && line[0] != '\t') {
			int r = take_field(line, len, "Package", &name);

			if (!r)
				r = take_field(line, len, "Version", &version);
			if (!r)
				r = take_field(line, len, "Architecture", &arch);
			if (!r)
				r = take_field(line, len, "Status", &status);
			if (r < 0)
				ret = r;
		}
		if (!end)
			break;
		line = end + 1;
	}
	if (!ret)
		ret = add_package(facts, &name, &version, &arch, &status);
	else
		add_package(facts, &name, &version, &arch, &status);
	if (facts->n_packages > 1)
		sort_items(facts->packages, facts->n_packages, sizeof(*facts->packages), package_cmp);
	return ret;
}

int envfacts_collect(const char *root, struct envfacts *out)
{
	struct utsname u;
	char *text;
	int ret;

	memset(out, 0, sizeof(*out));
	out->os_id = strdup("");
	out->os_version_id = strdup("");
	out->os_pretty_name = strdup("");
	if (uname(&u) < 0 || !out->os_id || !out->os_version_id || !out->os_pretty_name ||
	    asprintf(&out->kernel, "%s %s %s %s", u.sysname, u.release, u.version, u.machine) < 0) {
		out->kernel = NULL;
		ret = -ENOMEM;
		goto fail;
	}
	ret = envfacts_read_in_root(root, "etc/os-release", ENVFACTS_MAX_SMALL, &text);
	if (ret == 1)
		ret = envfacts_read_in_root(root, "usr/lib/os-release", ENVFACTS_MAX_SMALL, &text);
	if (ret < 0)
		goto fail;
	if (ret == 0) {
		ret = envfacts_parse_os_release(text, out);
		free(text);
		if (ret)
			goto fail;
	}
	ret = envfacts_read_in_root(root, "var/lib/dpkg/status", ENVFACTS_MAX_STATUS, &text);
	if (ret < 0)
		goto fail;
	if (ret == 0) {
		ret = envfacts_parse_dpkg_status(text, out);
		free(text);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	envfacts_free(out);
	return ret;
}

void envfacts_free(struct envfacts *facts)
{
	for (size_t i = 0; i < facts->n_packages; i++) {
		free(facts->packages[i].name);
		free(facts->packages[i].version);
		free(facts->packages[i].arch);
	}
	free(facts->packages);
	free(facts->os_id);
	free(facts->os_version_id);
	free(facts->os_pretty_name);
	free(facts->kernel);
	memset(facts, 0, sizeof(*facts));
}

/* ---- file owners: an open-addressing set of the wanted paths ---- */

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

struct path_set {
	size_t *slots; /* index+1 into paths, 0 = empty */
	size_t mask;
	const char *const *paths;
	const char *exclude; /* a package whose lists do not count, or NULL */
};

static int path_set_init(struct path_set *set, const char *const *paths, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap <<= 1;
	set->slots = calloc(cap, sizeof(*set->slots));
	if (!set->slots)
		return -ENOMEM;
	set->mask = cap - 1;
	set->paths = paths;
	set->exclude = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t h = (size_t)fnv1a(paths[i], strlen(paths[i])) & set->mask;

		while (set->slots[h])
			h = (h + 1) & set->mask;
		set->slots[h] = i + 1;
	}
	return 0;
}

/* Calls back for every index whose path equals s[0..n) (paths may repeat). */
static void path_set_mark(const struct path_set *set, const char *s, size_t n,
			  char **owners, const char *pkg, int *err)
{
	size_t h = (size_t)fnv1a(s, n) & set->mask;

	if (set->exclude && !strcmp(pkg, set->exclude))
		return;

	for (; set->slots[h]; h = (h + 1) & set->mask) {
		size_t i = set->slots[h] - 1;
		const char *p = set->paths[i];

		if (strncmp(p, s, n) || p[n] != '\0')
			continue;
		/* A path in two lists (a diversion) goes to the smaller name,
		 * so directory order never changes the result. */
		if (owners[i] && strcmp(pkg, owners[i]) >= 0)
			continue;
		free(owners[i]);
		owners[i] = strdup(pkg);
		if (!owners[i])
			*err = -ENOMEM;
	}
}

#define DPKG_INFO "var/lib/dpkg/info"

/* The package each of paths[0..n) is listed by (the smaller name of two),
 * not counting exclude's lists (NULL: all count). */
static int file_owners_exact(const char *root, const char *const *paths, size_t n, char **owners,
			     const char *exclude)
{
	struct path_set set;
	struct dirent *de;
	DIR *dir;
	int err = 0;

	for (size_t i = 0; i < n; i++)
		owners[i] = NULL;
	dir = opendir_in_root(root, DPKG_INFO);
	if (!dir)
		return 0;
	if (path_set_init(&set, paths, n)) {
		closedir(dir);
		return -ENOMEM;
	}
	set.exclude = exclude;
	while (!err && (de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		char *list_path = NULL, *text, *pkg, *line;

		if (len <= 5 || strcmp(de->d_name + len - 5, ".list"))
			continue;
		pkg = dup_n(de->d_name, len - 5);
		if (asprintf(&list_path, DPKG_INFO "/%s", de->d_name) < 0)
			list_path = NULL;
		if (!list_path || !pkg) {
			free(list_path);
			free(pkg);
			err = -ENOMEM;
			break;
		}
		if (envfacts_read_in_root(root, list_path, ENVFACTS_MAX_STATUS, &text) == 0) {
			for (line = text; *line && !err;) {
				char *end = strchr(line, '\n');
				size_t ll = end ? (size_t)(end - line) : strlen(line);

				path_set_mark(&set, line, ll, owners, pkg, &err);
				line += ll;
				if (*line)
					line++;
			}
			free(text);
		}
		free(list_path);
		free(pkg);
	}
	closedir(dir);
	free(set.slots);
	if (err) {
		for (size_t i = 0; i < n; i++) {
			free(owners[i]);
			owners[i] = NULL;
		}
	}
	return err;
}

/* With merged /usr, /usr/bin/dash is the file dpkg lists as /bin/dash (and
 * the other way round); the alias of path, or NULL. */
static char *usr_merge_alias(const char *path)
{
	static const char *const dirs[] = {"bin/", "sbin/", "lib/", "lib32/", "lib64/", "libx32/"};
	char *out;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		size_t dl = strlen(dirs[i]);

		if (!strncmp(path, "/usr/", 5) && !strncmp(path + 5, dirs[i], dl))
			return strdup(path + 4);
		if (path[0] == '/' && !strncmp(path + 1, dirs[i], dl))
			return asprintf(&out, "/usr%s", path) < 0 ? NULL : out;
	}
	return NULL;
}

/* Whether root's /bin is a symlink (to usr/bin): merged /usr, where the
 * aliases above name the same files.  Elsewhere /bin/x and /usr/bin/x are
 * two files, and neither is the other's package's. */
static int usr_merged(const char *root)
{
	char *bin = path_join(root, "bin");
	struct stat st;
	int merged = bin && lstat(bin, &st) == 0 && S_ISLNK(st.st_mode);

	free(bin);
	return merged;
}

static int owners_by_lists(const char *root, const char *const *paths, size_t n, char **owners)
{
	const char **all = calloc(2 * n + 1, sizeof(*all));
	char **aliases = calloc(n + 1, sizeof(*aliases));
	char **found = calloc(2 * n + 1, sizeof(*found));
	int merged = usr_merged(root);
	size_t m = n;
	int err = -ENOMEM;

	if (all && aliases && found) {
		for (size_t i = 0; i < n; i++) {
			all[i] = paths[i];
			aliases[i] = merged ? usr_merge_alias(paths[i]) : NULL;
			if (aliases[i])
				all[m++] = aliases[i];
		}
		err = file_owners_exact(root, all, m, found, NULL);
	}
	for (size_t i = 0, k = n; i < n; i++) {
		owners[i] = NULL;
		if (err)
			continue;
		owners[i] = found[i];
		if (aliases[i]) {
			if (!owners[i])
				owners[i] = found[k];
			else
				free(found[k]);
			k++;
		}
	}
	for (size_t i = 0; aliases && i < n; i++)
		free(aliases[i]);
	free(aliases);
	free(all);
	free(found);
	return err;
}

/* dpkg's diversions (var/lib/dpkg/diversions: lines of three, the path,
 * where the diverted file went, the diverting package or ":" for the
 * administrator): the file at the path is the diverting package's, though
 * the diverted package lists it too; the file where it went is the other
 * lister's, though no list names it (/usr/bin/pg_config: postgresql-common
 * diverts libpq-dev's to /usr/bin/pg_config.libpq-dev).  Applied to the
 * owners found by the lists; 0 or -ENOMEM. */
static int apply_diversions(const char *root, const char *const *paths, size_t n, char **owners)
{
	char *text = NULL, *line[3], *p;
	int merged = usr_merged(root), err = 0;

	if (envfacts_read_in_root(root, "var/lib/dpkg/diversions", ENVFACTS_MAX_STATUS, &text) != 0)
		return 0;
	for (p = text; !err && *p;) {
		for (int k = 0; k < 3; k++) {
			char *nl = strchr(p, '\n');

			line[k] = p;
			if (nl)
				*nl = '\0';
			p = nl ? nl + 1 : p + strlen(p);
		}
		if (!*line[0] || !*line[1] || !*line[2])
			break; /* cut short: no diversion */
		for (size_t i = 0; !err && i < n; i++) {
			char *alias = merged ? usr_merge_alias(paths[i]) : NULL;
			int is_from = !strcmp(paths[i], line[0]) || (alias && !strcmp(alias, line[0]));
			int is_to = !strcmp(paths[i], line[1]) || (alias && !strcmp(alias, line[1]));

			free(alias);
			if (is_from) {
				/* ":" a local diversion: the administrator's file,
				 * no package's (the diverted one's went away) */
				free(owners[i]);
				owners[i] = strcmp(line[2], ":") ? strdup(line[2]) : NULL;
				err = owners[i] || !strcmp(line[2], ":") ? 0 : -ENOMEM;
			} else if (is_to) {
				const char *from = line[0];
				char *other = NULL;

				err = file_owners_exact(root, &from, 1, &other,
							strcmp(line[2], ":") ? line[2] : NULL);
				if (!err && other) {
					free(owners[i]);
					owners[i] = other;
				}
			}
		}
	}
	free(text);
	return err;
}

int envfacts_file_owners(const char *root, const char *const *paths, size_t n, char **owners)
{
	int err = owners_by_lists(root, paths, n, owners);

	if (!err)
		err = apply_diversions(root, paths, n, owners);
	if (err)
		for (size_t i = 0; i < n; i++) {
			free(owners[i]);
			owners[i] = NULL;
		}
	return err;
}

/* ---- the owner cache (envfacts_file_owners_cached) ---- */

#define OWNER_CACHE_MAGIC "provfs-dpkg-owners 2" /* 2: local diversions */
/* Entries kept at most; beyond that the cache starts afresh. */
#define OWNER_CACHE_MAX 200000

struct owner_entry {
	const char *path;
	const char *owner; /* "" for none */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct owner_entry *)a)->path, ((const struct owner_entry *)b)->path);
}

/* Hex SHA-256 over the sorted "name size mtime ctime inode" lines of
 * root's info/NAME.list files; "" if root has no dpkg info.  0 or -errno.
 * (ctime: a root unpacked again from an image with fixed mtimes reuses
 * inode numbers and times, but not ctimes.) */
static int dpkg_fingerprint(const char *root, char out[DIGEST_HEX_LEN + 1])
{
	char **lines = NULL;
	size_t n = 0, cap = 0;
	struct digest_ctx *ctx = NULL;
	uint8_t bin[DIGEST_LEN];
	struct dirent *de;
	DIR *dir;
	int err = 0;

	out[0] = '\0';
	dir = opendir_in_root(root, DPKG_INFO);
	if (!dir)
		return 0;
	while (!err && (de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		struct stat st;
		char *line;

		if (len <= 5 || strcmp(de->d_name + len - 5, ".list") ||
		    fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (n == cap) {
			char **grown = realloc(lines, (cap = cap ? 2 * cap : 1024) * sizeof(*lines));

			if (!grown) {
				err = -ENOMEM;
				break;
			}
			lines = grown;
		}
		if (asprintf(&line, "%s %lld %lld.%09ld %lld.%09ld %llu\n", de->d_name,
			     (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			     (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec,
			     (unsigned long long)st.st_ino) < 0) {
			err = -ENOMEM;
			break;
		}
		lines[n++] = line;
	}
	closedir(dir);
	/* The diversions move owners too (apply_diversions). */
	if (!err) {
		char *div = path_join(root, "var/lib/dpkg/diversions");
		struct stat st;

		if (div && lstat(div, &st) == 0 && n < cap + 1) {
			char **grown = n == cap ? realloc(lines, (cap + 1) * sizeof(*lines)) : lines;
			char *line;

			if (grown && asprintf(&line, " diversions %lld %lld.%09ld %lld.%09ld %llu\n",
					      (long long)st.st_size, (long long)st.st_mtim.tv_sec,
					      st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
					      st.st_ctim.tv_nsec, (unsigned long long)st.st_ino) >= 0) {
				lines = grown;
				lines[n++] = line;
			} else {
				if (grown)
					lines = grown;
				err = -ENOMEM;
			}
		}
		free(div);
	}
	if (!err) {
		sort_items(lines, n, sizeof(*lines), cmp_str);
		ctx = digest_new();
		if (!ctx)
			err = -ENOMEM;
		for (size_t i = 0; !err && i < n; i++)
			if (digest_update(ctx, lines[i], strlen(lines[i])) < 0)
				err = -EIO;
		if (err) {
			digest_free(ctx);
		} else if (digest_final(ctx, bin) < 0) { /* frees ctx */
			err = -EIO;
		} else {
			hex_encode(bin, DIGEST_LEN, out);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return err;
}

/* Reads cache_file if it was written for root with fingerprint fp and is
 * intact: *text holds the strings *entries point into (sorted by path).
 * Returns the number of entries, 0 if there is no usable cache. */
static size_t owner_cache_load(const char *cache_file, const char *root, const char *fp,
			       char **text, struct owner_entry **entries)
{
	char *buf, *body, *p, *line[4], hex[DIGEST_HEX_LEN + 1];
	uint8_t bin[DIGEST_LEN];
	struct owner_entry *e = NULL;
	size_t len, n = 0, cap = 0;

	*text = NULL;
	*entries = NULL;
	if (file_read_all(cache_file, 64u << 20, &buf, &len) != 0)
		return 0;
	/* Header: magic, fingerprint, digest of the body, root. */
	p = buf;
	for (int i = 0; i < 4; i++) {
		char *nl = memchr(p, '\n', len - (size_t)(p - buf));

		if (!nl)
			goto bad;
		*nl = '\0';
		line[i] = p;
		p = nl + 1;
	}
	body = p;
	if (strcmp(line[0], OWNER_CACHE_MAGIC) || strcmp(line[1], fp) || strcmp(line[3], root) ||
	    digest_buffer(body, len - (size_t)(body - buf), bin) < 0)
		goto bad;
	hex_encode(bin, DIGEST_LEN, hex);
	if (strcmp(line[2], hex))
		goto bad;
	while (p < buf + len) {
		char *nl = memchr(p, '\n', len - (size_t)(p - buf)), *tab;

		if (!nl)
			goto bad;
		*nl = '\0';
		tab = strchr(p, '\t');
		if (!tab)
			goto bad;
		*tab = '\0';
		if (n == cap) {
			struct owner_entry *grown =
				realloc(e, (cap = cap ? 2 * cap : 256) * sizeof(*e));

			if (!grown)
				goto bad;
			e = grown;
		}
		e[n].path = p;
		e[n].owner = tab + 1;
		/* Written sorted and unique; anything else is not ours. */
		if (n > 0 && strcmp(e[n - 1].path, p) >= 0)
			goto bad;
		n++;
		p = nl + 1;
	}
	*text = buf;
	*entries = e;
	return n;
bad:
	free(e);
	free(buf);
	return 0;
}

/* Writes entries (sorted by path, unique) as root's cache; errors are
 * ignored, as the cache is only an accelerator. */
static void owner_cache_store(const char *cache_file, const char *root, const char *fp,
			      const struct owner_entry *e, size_t n)
{
	char *body = NULL, *tmp = NULL, hex[DIGEST_HEX_LEN + 1];
	uint8_t bin[DIGEST_LEN];
	size_t body_len = 0;
	FILE *mem = open_memstream(&body, &body_len);
	int fd = -1;

	if (!mem)
		return;
	for (size_t i = 0; i < n; i++)
		fprintf(mem, "%s\t%s\n", e[i].path, e[i].owner);
	if (fclose(mem) != 0 || digest_buffer(body, body_len, bin) < 0)
		goto out;
	hex_encode(bin, DIGEST_LEN, hex);
	if (mkdir_parent(cache_file, 0755) < 0 ||
	    asprintf(&tmp, "%s.tmp.%d", cache_file, (int)getpid()) < 0) {
		tmp = NULL;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto out;
	if (dprintf(fd, "%s\n%s\n%s\n%s\n", OWNER_CACHE_MAGIC, fp, hex, root) < 0 ||
	    write_full(fd, body, body_len) < 0 || close(fd) < 0) {
		fd = -1;
		unlink(tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, cache_file) < 0)
		unlink(tmp);
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	free(body);
}

/* A path that fits a cache line. */
static int cacheable(const char *path)
{
	return path[0] == '/' && !strpbrk(path, "\t\n");
}

int envfacts_file_owners_cached(const char *root, const char *cache_file,
				const char *const *paths, size_t n, char **owners)
{
	char fp[DIGEST_HEX_LEN + 1], *text = NULL, **found = NULL;
	const char **missing = NULL;
	struct owner_entry *old = NULL, *all = NULL;
	size_t n_old, n_missing = 0, n_all = 0;
	int err;

	if (!cache_file || dpkg_fingerprint(root, fp) < 0 || !fp[0])
		return envfacts_file_owners(root, paths, n, owners);
	n_old = owner_cache_load(cache_file, root, fp, &text, &old);
	missing = calloc(n + 1, sizeof(*missing));
	found = calloc(n + 1, sizeof(*found));
	err = missing && found ? 0 : -ENOMEM;
	for (size_t i = 0; i < n; i++)
		owners[i] = NULL;
	for (size_t i = 0; !err && i < n; i++) {
		struct owner_entry key = {.path = paths[i]}, *hit;

		if (!paths[i][0])
			continue; /* "" names no file (see envfacts_file_owners) */
		hit = n_old ? bsearch(&key, old, n_old, sizeof(*old), cmp_entry) : NULL;
		if (!hit) {
			missing[n_missing++] = paths[i];
		} else if (hit->owner[0] && !(owners[i] = strdup(hit->owner))) {
			err = -ENOMEM;
		}
	}
	if (!err && n_missing)
		err = envfacts_file_owners(root, missing, n_missing, found);
	if (!err && n_missing) {
		/* Hand out the new answers, then remember them with the old. */
		for (size_t i = 0, k = 0; i < n && k < n_missing; i++)
			if (paths[i][0] && paths[i] == missing[k]) {
				if (found[k] && !(owners[i] = strdup(found[k])))
					err = -ENOMEM;
				k++;
			}
		all = calloc(n_old + n_missing + 1, sizeof(*all));
		if (!err && all) {
			size_t u = 0;

			if (n_old + n_missing <= OWNER_CACHE_MAX)
				for (size_t i = 0; i < n_old; i++)
					all[n_all++] = old[i];
			for (size_t k = 0; k < n_missing; k++)
				if (cacheable(missing[k]))
					all[n_all++] = (struct owner_entry){
						missing[k], found[k] ? found[k] : ""};
			sort_items(all, n_all, sizeof(*all), cmp_entry);
			/* A path asked twice in one call: keep one line. */
			for (size_t i = 0; i < n_all; i++)
				if (!u || strcmp(all[u - 1].path, all[i].path))
					all[u++] = all[i];
			owner_cache_store(cache_file, root, fp, all, u);
		}
	}
	if (err)
		for (size_t i = 0; i < n; i++) {
			free(owners[i]);
			owners[i] = NULL;
		}
	for (size_t k = 0; found && k < n_missing; k++)
		free(found[k]);
	free(found);
	free(missing);
	free(all);
	free(old);
	free(text);
	return err;
}

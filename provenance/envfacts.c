#include "envfacts.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

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
		qsort(facts->packages, facts->n_packages, sizeof(*facts->packages), package_cmp);
	return ret;
}

/* Reads root/rel if it exists: 0 with *text, 1 if absent, or -errno. */
static int read_optional(const char *root, const char *rel, size_t max, char **text)
{
	char *path = path_join(root, rel);
	int ret;

	if (!path)
		return -ENOMEM;
	ret = file_read_all(path, max, text, NULL);
	free(path);
	if (ret == -ENOENT || ret == -ENOTDIR)
		return 1;
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
	ret = read_optional(root, "etc/os-release", ENVFACTS_MAX_SMALL, &text);
	if (ret == 1)
		ret = read_optional(root, "usr/lib/os-release", ENVFACTS_MAX_SMALL, &text);
	if (ret < 0)
		goto fail;
	if (ret == 0) {
		ret = envfacts_parse_os_release(text, out);
		free(text);
		if (ret)
			goto fail;
	}
	ret = read_optional(root, "var/lib/dpkg/status", ENVFACTS_MAX_STATUS, &text);
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

static int file_owners_exact(const char *root, const char *const *paths, size_t n, char **owners)
{
	char *dir_path = path_join(root, "var/lib/dpkg/info");
	struct path_set set;
	struct dirent *de;
	DIR *dir;
	int err = 0;

	for (size_t i = 0; i < n; i++)
		owners[i] = NULL;
	if (!dir_path)
		return -ENOMEM;
	dir = opendir(dir_path);
	if (!dir) {
		free(dir_path);
		return 0;
	}
	if (path_set_init(&set, paths, n)) {
		closedir(dir);
		free(dir_path);
		return -ENOMEM;
	}
	while (!err && (de = readdir(dir)) != NULL) {
		size_t len = strlen(de->d_name);
		char *list_path, *text, *pkg, *line;

		if (len <= 5 || strcmp(de->d_name + len - 5, ".list"))
			continue;
		list_path = path_join(dir_path, de->d_name);
		pkg = dup_n(de->d_name, len - 5);
		if (!list_path || !pkg) {
			free(list_path);
			free(pkg);
			err = -ENOMEM;
			break;
		}
		if (file_read_all(list_path, ENVFACTS_MAX_STATUS, &text, NULL) == 0) {
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
	free(dir_path);
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

int envfacts_file_owners(const char *root, const char *const *paths, size_t n, char **owners)
{
	const char **all = calloc(2 * n + 1, sizeof(*all));
	char **aliases = calloc(n + 1, sizeof(*aliases));
	char **found = calloc(2 * n + 1, sizeof(*found));
	size_t m = n;
	int err = -ENOMEM;

	if (all && aliases && found) {
		for (size_t i = 0; i < n; i++) {
			all[i] = paths[i];
			aliases[i] = usr_merge_alias(paths[i]);
			if (aliases[i])
				all[m++] = aliases[i];
		}
		err = file_owners_exact(root, all, m, found);
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

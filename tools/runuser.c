#include "runuser.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ROOT/etc/NAME, resolved as if ROOT were '/': a symlink in an
 * environment's tree (etc/passwd -> /etc/shadow) stays inside it. */
static FILE *open_in_root(const char *root, const char *rel)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
	int dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd;
	FILE *f;

	if (dirfd < 0)
		return NULL;
	fd = openat2_retry(dirfd, rel, &how);
	close(dirfd);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

/* A decimal id: 0 .. 2^32 - 2 (-1 means "unchanged" to the kernel). */
static int parse_id(const char *s, unsigned *out)
{
	unsigned long long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
		if (v >= 0xffffffffULL)
			return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* Splits a colon-separated line in place into at most n fields; returns
 * how many it had. */
static int split_fields(char *line, char **field, int n)
{
	int k = 0;

	line[strcspn(line, "\n")] = '\0';
	while (k < n) {
		field[k++] = line;
		line = strchr(line, ':');
		if (!line)
			break;
		*line++ = '\0';
	}
	return k;
}

/* Finds the passwd entry whose name (by_name) or uid matches. */
static int find_user(FILE *f, const char *name, unsigned uid, int by_name, struct runuser *out)
{
	char line[4096], *fl[7];

	while (fgets(line, sizeof(line), f)) {
		unsigned u, g;

		if (split_fields(line, fl, 7) < 7 || parse_id(fl[2], &u) < 0 ||
		    parse_id(fl[3], &g) < 0)
			continue;
		if (by_name ? strcmp(fl[0], name) != 0 : u != uid)
			continue;
		if (strlen(fl[0]) >= sizeof(out->name) || strlen(fl[5]) >= sizeof(out->home))
			continue;
		out->uid = u;
		out->gid = g;
		snprintf(out->name, sizeof(out->name), "%s", fl[0]);
		snprintf(out->home, sizeof(out->home), "%s", fl[5][0] == '/' ? fl[5] : "/");
		return 0;
	}
	return -ENOENT;
}

static int has_member(const char *members, const char *name)
{
	size_t n = strlen(name);

	for (const char *m = members; *m;) {
		size_t len = strcspn(m, ",");

		if (len == n && !strncmp(m, name, n))
			return 1;
		m += len;
		if (*m == ',')
			m++;
	}
	return 0;
}

static void add_group(struct runuser *u, gid_t g)
{
	for (int i = 0; i < u->ngroups; i++)
		if (u->groups[i] == g)
			return;
	if (u->ngroups < RUNUSER_MAX_GROUPS)
		u->groups[u->ngroups++] = g;
}

/* Scans /etc/group: the gid of group `group` (if set) into *gid, and, if
 * members, every group listing u->name into u->groups. */
static int scan_groups(FILE *f, const char *group, gid_t *gid, struct runuser *u, int members)
{
	char line[65536], *fl[4];
	int found = 0;

	while (fgets(line, sizeof(line), f)) {
		unsigned g;

		if (split_fields(line, fl, 4) < 4 || parse_id(fl[2], &g) < 0)
			continue;
		if (group && !found && !strcmp(fl[0], group)) {
			*gid = g;
			found = 1;
		}
		if (members && u->name[0] && has_member(fl[3], u->name))
			add_group(u, g);
	}
	return group && !found ? -ENOENT : 0;
}

int runuser_resolve(const char *root, const char *spec, struct runuser *out, const char **what)
{
	char user[256], *group = NULL;
	unsigned id = 0;
	FILE *f;
	int ret, numeric;

	memset(out, 0, sizeof(*out));
	*what = "user";
	if (strlen(spec) >= sizeof(user))
		return -EINVAL;
	snprintf(user, sizeof(user), "%s", spec);
	group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	if (!user[0] || (group && !group[0]))
		return -EINVAL;
	numeric = parse_id(user, &id) == 0;
	f = open_in_root(root, "etc/passwd");
	if (!f && errno != ENOENT)
		return -errno;
	ret = f ? find_user(f, user, id, !numeric, out) : -ENOENT;
	if (f)
		fclose(f);
	if (ret < 0 && !numeric)
		return ret;
	if (ret < 0) {
		/* A number nobody is listed under, as container runtimes allow. */
		out->uid = id;
		out->gid = id;
		snprintf(out->home, sizeof(out->home), "/");
	}
	f = open_in_root(root, "etc/group");
	if (group) {
		unsigned gid;

		if (parse_id(group, &gid) == 0) {
			out->gid = gid;
		} else {
			*what = "group";
			ret = f ? scan_groups(f, group, &out->gid, out, 0) : -ENOENT;
			if (ret < 0) {
				if (f)
					fclose(f);
				return ret;
			}
		}
		out->ngroups = 0;
		add_group(out, out->gid);
	} else {
		add_group(out, out->gid);
		if (f)
			scan_groups(f, NULL, NULL, out, 1);
	}
	if (f)
		fclose(f);
	return 0;
}

#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "digest.h"
#include "util.h"

#define TREE_BATCH 256

struct entry {
	char *path; /* relative, "." for the root */
	char *line; /* formatted without the path: "TYPE MODE UID GID SIZE DIGEST " */
	char *target;
};

struct walk {
	struct cas *cas;
	const struct tree_options *opt;
	struct tree_stats *stats;
	dev_t root_dev;
	struct entry *entries;
	size_t n, cap;
	struct cas_batch batch;
};

char *tree_escape(const char *path)
{
	size_t n = 0;
	char *out, *o;

	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		n += (*p < 0x21 || *p == 0x7f || *p == '%') ? 3 : 1;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	o = out;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p < 0x21 || *p == 0x7f || *p == '%')
			o += sprintf(o, "%%%02X", *p);
		else
			*o++ = (char)*p;
	}
	*o = '\0';
	return out;
}

static char type_char(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return 'f';
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	case S_IFIFO: return 'p';
	default: return 's';
	}
}

/* The fields of an entry before its path, as the canonical text has
 * them: "TYPE MODE UID GID SIZE DIGEST " (SIZE "MAJ:MIN" for a device, 0
 * for what is no regular file; DIGEST "-" if NULL).  Returns the length. */
static size_t entry_head(char out[256], char type, unsigned mode, unsigned uid, unsigned gid,
			 unsigned long long size, unsigned major, unsigned minor, const char *digest)
{
	char sz[64];

	if (type == 'c' || type == 'b')
		snprintf(sz, sizeof(sz), "%u:%u", major, minor);
	else
		snprintf(sz, sizeof(sz), "%llu", type == 'f' ? size : 0ULL);
	return (size_t)snprintf(out, 256, "%c %04o %u %u %s %s ", type, mode, uid, gid, sz,
				digest ? digest : "-");
}

/* The rest of an entry's line: its escaped path, and for a symlink a
 * space and its escaped target.  malloc'd; NULL on ENOMEM. */
static char *entry_tail(const char *path, const char *target)
{
	char *ep = tree_escape(path), *et = target ? tree_escape(target) : NULL, *out = NULL;

	if (ep && (!target || et) && asprintf(&out, "%s%s%s", ep, et ? " " : "", et ? et : "") < 0)
		out = NULL;
	free(ep);
	free(et);
	return out;
}

static int add_entry(struct walk *w, const char *path, const struct stat *st, const char *digest,
		     const char *target)
{
	char line[256];
	struct entry *e;

	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 1024;
		struct entry *grown = realloc(w->entries, ncap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		w->entries = grown;
		w->cap = ncap;
	}
	entry_head(line, type_char(st->st_mode), (unsigned)(st->st_mode & 07777),
		   (unsigned)st->st_uid, (unsigned)st->st_gid, (unsigned long long)st->st_size,
		   major(st->st_rdev), minor(st->st_rdev), digest);
	e = &w->entries[w->n];
	e->path = strdup(path);
	e->line = strdup(line);
	e->target = target ? strdup(target) : NULL;
	if (!e->path || !e->line || (target && !e->target)) {
		free(e->path);
		free(e->line);
		free(e->target);
		return -ENOMEM;
	}
	w->n++;
	return 0;
}

static int file_digest(struct walk *w, int dirfd, const char *name, char hex[DIGEST_HEX_LEN + 1])
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
	int ret;

	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (w->opt->store_files) {
		ret = cas_batch_put_fd(w->cas, &w->batch, fd, NULL, hex);
		if (ret == 0 && w->batch.n >= TREE_BATCH)
			ret = cas_batch_commit(w->cas, &w->batch, NULL);
	} else {
		uint8_t raw[DIGEST_LEN];

		ret = digest_fd(fd, raw, NULL);
		if (ret == 0)
			hex_encode(raw, DIGEST_LEN, hex);
	}
	close(fd);
	return ret;
}

static int walk_dir(struct walk *w, int dirfd, const char *rel)
{
	DIR *dp;
	struct dirent *de;
	int ret = opendir_at(dirfd, ".", 0, &dp);

	if (ret < 0)
		return ret;
	while (ret == 0 && (errno = 0, de = readdir(dp)) != NULL) {
		char path[PATH_MAX], hex[DIGEST_HEX_LEN + 1], target[PATH_MAX];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "", de->d_name) >=
		    (int)sizeof(path)) {
			ret = -ENAMETOOLONG;
			break;
		}
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			ret = -errno;
			break;
		}
		if (S_ISREG(st.st_mode)) {
			ret = file_digest(w, dirfd, de->d_name, hex);
			if (ret == 0)
				ret = add_entry(w, path, &st, hex, NULL);
			w->stats->files++;
			w->stats->bytes += (uint64_t)st.st_size;
		} else if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlinkat(dirfd, de->d_name, target, sizeof(target) - 1);

			if (n < 0) {
				ret = -errno;
				break;
			}
			target[n] = '\0';
			ret = add_entry(w, path, &st, NULL, target);
			w->stats->symlinks++;
		} else if (S_ISDIR(st.st_mode)) {
			ret = add_entry(w, path, &st, NULL, NULL);
			w->stats->dirs++;
			if (ret == 0 && (!w->opt->one_fs || st.st_dev == w->root_dev) &&
			    !(w->opt->skip_ino && st.st_ino == w->opt->skip_ino &&
			      st.st_dev == w->opt->skip_dev)) {
				int sub = openat(dirfd, de->d_name,
						 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

				if (sub < 0) {
					ret = -errno;
					break;
				}
				ret = walk_dir(w, sub, path);
				close(sub);
			} else if (ret == 0) {
				w->stats->skipped++;
			}
		} else {
			ret = add_entry(w, path, &st, NULL, NULL);
			w->stats->others++;
		}
		if (w->opt->progress && ((w->stats->files + w->stats->dirs) % 4096) == 0)
			w->opt->progress(w->opt->progress_arg, w->stats);
	}
	if (ret == 0 && errno != 0)
		ret = -errno;
	closedir(dp);
	return ret;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path, ((const struct entry *)b)->path);
}

/* Renders the sorted entries as the canonical text. */
static char *render(struct walk *w, size_t *len)
{
	size_t cap = 64, used;
	char *buf, *p;

	for (size_t i = 0; i < w->n; i++)
		cap += strlen(w->entries[i].line) + 3 * strlen(w->entries[i].path) +
		       (w->entries[i].target ? 3 * strlen(w->entries[i].target) + 1 : 0) + 2;
	buf = malloc(cap);
	if (!buf)
		return NULL;
	p = buf + sprintf(buf, "provfs-tree 1\n");
	for (size_t i = 0; i < w->n; i++) {
		char *tail = entry_tail(w->entries[i].path, w->entries[i].target);

		if (!tail) {
			free(buf);
			return NULL;
		}
		p += sprintf(p, "%s%s\n", w->entries[i].line, tail);
		free(tail);
	}
	used = (size_t)(p - buf);
	*len = used;
	return buf;
}

int tree_snapshot(struct cas *cas, const char *dir, const struct tree_options *opt,
		  char hex_out[DIGEST_HEX_LEN + 1], struct tree_stats *stats)
{
	struct tree_options defaults = {0};
	struct tree_stats local = {0};
	struct walk w = {0};
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int fd, ret;

	w.cas = cas;
	w.opt = opt ? opt : &defaults;
	w.stats = stats ? stats : &local;
	memset(w.stats, 0, sizeof(*w.stats));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	w.root_dev = st.st_dev;
	ret = add_entry(&w, ".", &st, NULL, NULL);
	if (ret == 0)
		ret = walk_dir(&w, fd, "");
	close(fd);
	if (ret == 0)
		ret = cas_batch_commit(cas, &w.batch, NULL);
	else
		cas_batch_commit(cas, &w.batch, NULL);
	if (ret == 0) {
		sort_items(w.entries, w.n, sizeof(*w.entries), cmp_entry);
		text = render(&w, &len);
		ret = text ? cas_put_buffer(cas, text, len, hex_out) : -ENOMEM;
	}
	free(text);
	for (size_t i = 0; i < w.n; i++) {
		free(w.entries[i].path);
		free(w.entries[i].line);
		free(w.entries[i].target);
	}
	free(w.entries);
	cas_batch_free(&w.batch);
	return ret;
}

/* Undoes tree_escape in place; -EBADMSG on a bad escape. */
static int unescape(char *s)
{
	char *o = s;

	while (*s) {
		if (*s == '%') {
			uint8_t byte;

			if (!s[1] || !s[2] || hex_decode(s + 1, &byte, 1) < 0 || byte == 0)
				return -EBADMSG;
			*o++ = (char)byte;
			s += 3;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return 0;
}

static int parse_line(char *line, struct tree_entry *e)
{
	char *fields[8];
	int n = 0;
	char *save = NULL, *tok;
	unsigned int mode, uid, gid;

	for (tok = strtok_r(line, " ", &save); tok && n < 8; tok = strtok_r(NULL, " ", &save))
		fields[n++] = tok;
	if (n < 7 || strlen(fields[0]) != 1 || !strchr("fdlcbps", fields[0][0]))
		return -EBADMSG;
	memset(e, 0, sizeof(*e));
	e->type = fields[0][0];
	if (sscanf(fields[1], "%o", &mode) != 1 || mode > 07777 ||
	    sscanf(fields[2], "%u", &uid) != 1 || sscanf(fields[3], "%u", &gid) != 1)
		return -EBADMSG;
	e->mode = mode;
	e->uid = uid;
	e->gid = gid;
	if (e->type == 'c' || e->type == 'b') {
		if (sscanf(fields[4], "%u:%u", &e->major, &e->minor) != 2)
			return -EBADMSG;
	} else {
		unsigned long long size;

		if (sscanf(fields[4], "%llu", &size) != 1)
			return -EBADMSG;
		e->size = size;
	}
	if (e->type == 'f') {
		if (!hex_is_digest(fields[5]))
			return -EBADMSG;
		memcpy(e->digest, fields[5], DIGEST_HEX_LEN + 1);
	} else if (strcmp(fields[5], "-") != 0) {
		return -EBADMSG;
	}
	if (unescape(fields[6]) < 0)
		return -EBADMSG;
	e->path = fields[6];
	if (strcmp(e->path, ".") != 0 && !path_is_safe_relative(e->path))
		return -EBADMSG;
	if (e->type == 'l') {
		if (n != 8 || unescape(fields[7]) < 0)
			return -EBADMSG;
		e->target = fields[7];
	} else if (n != 7) {
		return -EBADMSG;
	}
	return 0;
}

/* Is line (as read, before parsing) exactly what tree_snapshot writes for
 * e?  A tree is named by its digest, so one tree must have one text: a
 * line with other spellings of the same fields ("755", "+0", a size on a
 * directory) would give the same environment another name. */
static int line_is_canonical(const char *line, size_t len, const struct tree_entry *e)
{
	char head[256];
	size_t hn = entry_head(head, e->type, (unsigned)e->mode, (unsigned)e->uid,
			       (unsigned)e->gid, (unsigned long long)e->size, e->major, e->minor,
			       e->type == 'f' ? e->digest : NULL);
	char *tail = entry_tail(e->path, e->target);
	int ok = tail && hn < sizeof(head) && hn + strlen(tail) == len &&
		 memcmp(line, head, hn) == 0 && memcmp(line + hn, tail, len - hn) == 0;

	free(tail);
	return ok;
}

int tree_parse(const char *text, size_t len, tree_visit visit, void *arg)
{
	static const char header[] = "provfs-tree 1\n";
	char *copy, *line, *next, *prev = NULL;
	int ret = 0, roots = 0;

	if (len < sizeof(header) - 1 || memcmp(text, header, sizeof(header) - 1) != 0)
		return -EBADMSG;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (strlen(copy) != len) {
		free(copy);
		return -EBADMSG;
	}
	for (line = copy + sizeof(header) - 1; *line && ret == 0; line = next) {
		struct tree_entry e;
		const char *raw;
		size_t raw_len;

		next = strchr(line, '\n');
		if (!next) {
			ret = -EBADMSG;
			break;
		}
		*next++ = '\0';
		/* The line as read stays in text: parse_line cuts up copy. */
		raw = text + (line - copy);
		raw_len = strlen(line);
		ret = parse_line(line, &e);
		/* One text per tree: canonical lines, sorted by path with no
		 * path twice, and one root, a directory. */
		if (ret == 0 &&
		    (!line_is_canonical(raw, raw_len, &e) || (prev && strcmp(prev, e.path) >= 0)))
			ret = -EBADMSG;
		if (ret == 0 && strcmp(e.path, ".") == 0 && (e.type != 'd' || roots++))
			ret = -EBADMSG;
		if (ret == 0)
			ret = visit(arg, &e);
		if (ret == 0)
			prev = (char *)e.path;
	}
	if (ret == 0 && !roots)
		ret = -EBADMSG;
	free(copy);
	return ret;
}

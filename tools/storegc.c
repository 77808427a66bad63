#include "storegc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "cas.h"
#include "digest.h"
#include "dsse.h"
#include "tree.h"
#include "util.h"

/* Largest tree object read to mark its files (a whole distribution's root
 * is a few tens of MiB). */
#define GC_MAX_TREE_BYTES ((size_t)1 << 30)

/* One marked digest; checked once it was looked at as a possible tree. */
struct gc_mark {
	uint8_t digest[DIGEST_LEN];
	uint8_t checked;
};

/* A build directory or a standalone log: what a policy removes. */
struct gc_record {
	char *path;	  /* absolute */
	const char *kind; /* "build" or "log" */
	int64_t mtime_ns;
	int remove;
};

struct gc {
	const struct storegc_options *opt;
	struct storegc_report *rep;
	struct cas *cas;
	struct gc_mark *marks;
	size_t n_marks;
	size_t sorted; /* marks[0..sorted) are sorted and unique */
	struct gc_record *records;
	size_t n_records;
};

static void phase(struct gc *gc, const char *what)
{
	if (gc->opt->phase)
		gc->opt->phase(gc->opt->arg, what);
}

static int mark_hex(void *arg, const char *hex)
{
	struct gc *gc = arg;
	struct gc_mark *m = array_push(&gc->marks, &gc->n_marks, sizeof(*m));

	if (!m)
		return -ENOMEM;
	hex_decode(hex, m->digest, DIGEST_LEN);
	return 0;
}

static int mark_cmp(const void *a, const void *b)
{
	return memcmp(a, b, DIGEST_LEN);
}

/* Sorts the marks and merges duplicates (keeping "checked" if any was). */
static void marks_sort(struct gc *gc)
{
	size_t out = 0;

	sort_items(gc->marks, gc->n_marks, sizeof(*gc->marks), mark_cmp);
	for (size_t i = 0; i < gc->n_marks; i++) {
		if (out && !memcmp(gc->marks[out - 1].digest, gc->marks[i].digest, DIGEST_LEN)) {
			gc->marks[out - 1].checked |= gc->marks[i].checked;
			continue;
		}
		gc->marks[out++] = gc->marks[i];
	}
	gc->n_marks = gc->sorted = out;
}

static int is_marked(const struct gc *gc, const char *hex)
{
	uint8_t d[DIGEST_LEN];

	/* (bsearch of no marks at all: a NULL array is undefined) */
	if (!gc->sorted)
		return 0;
	hex_decode(hex, d, DIGEST_LEN);
	return bsearch(d, gc->marks, gc->sorted, sizeof(*gc->marks), mark_cmp) != NULL;
}

static int is_hex_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Marks every run of exactly 64 lowercase hex digits in text. */
static int mark_tokens(struct gc *gc, const char *text, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i;
		int ret;

		while (j < len && is_hex_char(text[j]))
			j++;
		if (j - i == DIGEST_HEX_LEN && (i == 0 || !isalnum((unsigned char)text[i - 1])) &&
		    (j == len || !isalnum((unsigned char)text[j]))) {
			char hex[DIGEST_HEX_LEN + 1];

			memcpy(hex, text + i, DIGEST_HEX_LEN);
			hex[DIGEST_HEX_LEN] = '\0';
			ret = mark_hex(gc, hex);
			if (ret)
				return ret;
		}
		i = j > i ? j : i + 1;
	}
	return 0;
}

static int fail_on(struct gc *gc, const char *path, int ret)
{
	if (ret == -EBADMSG || ret == -EACCES || ret == -EIO)
		snprintf(gc->rep->bad_root, sizeof(gc->rep->bad_root), "%s", path);
	return ret == -EACCES || ret == -EIO ? -EBADMSG : ret;
}

/* The largest JSON file gc reads whole: a manifest past what verify reads
 * by default (a build of hundreds of thousands of processes) still keeps
 * what it names; one larger than this stops gc. */
#define GC_MAX_JSON ((size_t)16 << 30)

/* A JSON file (a manifest, an environment's record): the digests in it,
 * in a DSSE envelope's decoded payload as well. */
static int mark_json_file(struct gc *gc, const char *path)
{
	struct dsse_envelope env;
	char err[128], *text;
	size_t len, max = dsse_max_envelope();
	int ret = file_read_all(path, GC_MAX_JSON, &text, &len);

	if (ret)
		return fail_on(gc, path, ret == -EFBIG ? -EBADMSG : ret);
	ret = mark_tokens(gc, text, len);
	memset(&env, 0, sizeof(env));
	dsse_set_max_envelope(GC_MAX_JSON);
	if (ret == 0 && dsse_parse(text, len, &env, err, sizeof(err)) == 0) {
		ret = mark_tokens(gc, (const char *)env.payload, env.payload_len);
		dsse_envelope_free(&env);
	}
	dsse_set_max_envelope(max);
	free(text);
	return ret;
}

/* An access log: every digest it names, and its own.  An empty file is
 * none (a build killed before its log began) where may_be_empty, else
 * a log that cannot be read. */
static int mark_log_as(struct gc *gc, const char *path, int may_be_empty)
{
	uint8_t d[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];
	uint64_t size;
	int ret;

	ret = digest_file_at(AT_FDCWD, path, d, &size);
	if (ret)
		return fail_on(gc, path, ret == -ENOENT ? ret : -EBADMSG);
	if (size == 0)
		return may_be_empty ? 0 : fail_on(gc, path, -EBADMSG);
	hex_encode(d, DIGEST_LEN, hex);
	ret = mark_hex(gc, hex);
	if (ret == 0)
		ret = alog_for_each_digest(path, mark_hex, gc);
	return ret ? fail_on(gc, path, ret) : 0;
}

static int mark_log(struct gc *gc, const char *path)
{
	return mark_log_as(gc, path, 0);
}

/* A visitor of for_each_entry: an entry name (of type, a DT_ value) in
 * dir; non-zero stops the walk. */
typedef int (*gc_visit)(struct gc *gc, const char *dir, const char *name, unsigned char type);

/* Calls visit for each entry of dir (none if it does not exist),
 * skipping dot files, until one returns non-zero. */
static int for_each_entry(struct gc *gc, const char *dir, gc_visit visit)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d)
		return errno == ENOENT ? 0 : fail_on(gc, dir, -EACCES);
	while (ret == 0 && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			ret = visit(gc, dir, de->d_name, de->d_type);
	closedir(d);
	return ret;
}

/* The same for STORE/sub. */
static int for_each_in(struct gc *gc, const char *sub, gc_visit visit)
{
	char *dir = path_join(gc->opt->store, sub);
	int ret = dir ? for_each_entry(gc, dir, visit) : -ENOMEM;

	free(dir);
	return ret;
}

/* A build's manifest (any .json file in its directory). */
static int mark_manifest(struct gc *gc, const char *dir, const char *name, unsigned char type)
{
	size_t n = strlen(name);
	char *path;
	int ret;

	if (n < 6 || strcmp(name + n - 5, ".json") || type == DT_DIR)
		return 0;
	path = path_join(dir, name);
	ret = path ? mark_json_file(gc, path) : -ENOMEM;
	free(path);
	return ret;
}

static int mark_build(struct gc *gc, const char *dir)
{
	char *log = path_join(dir, "log.db");
	char *manifest = path_join(dir, "manifest.intoto.json");
	int ret;

	if (!log || !manifest) {
		free(log);
		free(manifest);
		return -ENOMEM;
	}
	/* Empty, it is a build killed before its log began: one that has
	 * a manifest had a log, which the manifest's digests may not all
	 * name (a file's first version, overwritten). */
	ret = mark_log_as(gc, log, access(manifest, F_OK) < 0);
	free(manifest);
	free(log);
	if (ret == -ENOENT)
		ret = 0;
	return ret ? ret : for_each_entry(gc, dir, mark_manifest);
}

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static int add_record(struct gc *gc, const char *path, const char *kind, int64_t mtime_ns)
{
	char *copy = strdup(path);
	struct gc_record *r = copy ? array_push(&gc->records, &gc->n_records, sizeof(*r)) : NULL;

	if (!r) {
		free(copy);
		return -ENOMEM;
	}
	r->path = copy;
	r->kind = kind;
	r->mtime_ns = mtime_ns;
	return 0;
}

/* A build's age is that of its last file written (else its directory's):
 * reading its log (sqlite's -shm file) changes the directory's own mtime. */
static int64_t build_time(const char *dir, const struct stat *st)
{
	static const char *const files[] = {"log.db", "manifest.intoto.json"};
	int64_t best = -1;

	for (size_t i = 0; i < 2; i++) {
		char *path = path_join(dir, files[i]);
		struct stat fst;

		if (path && lstat(path, &fst) == 0 && ns_of(&fst.st_mtim) > best)
			best = ns_of(&fst.st_mtim);
		free(path);
	}
	return best >= 0 ? best : ns_of(&st->st_mtim);
}

static int add_build(struct gc *gc, const char *dir, const char *name, unsigned char type)
{
	char *path = path_join(dir, name);
	struct stat st;
	int ret = 0;

	(void)type;
	if (!path)
		return -ENOMEM;
	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
		ret = add_record(gc, path, "build", build_time(path, &st));
	free(path);
	return ret;
}

static int add_log(struct gc *gc, const char *dir, const char *name, unsigned char type)
{
	size_t n = strlen(name);
	char *path;
	struct stat st;
	int ret = 0;

	(void)type;
	if (n < 4 || strcmp(name + n - 3, ".db"))
		return 0;
	path = path_join(dir, name);
	if (!path)
		return -ENOMEM;
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
		ret = add_record(gc, path, "log", ns_of(&st.st_mtim));
	free(path);
	return ret;
}

static int record_newer_first(const void *a, const void *b)
{
	const struct gc_record *x = a, *y = b;

	if (x->mtime_ns != y->mtime_ns)
		return x->mtime_ns > y->mtime_ns ? -1 : 1;
	return strcmp(y->path, x->path); /* names start with a timestamp */
}

/* Applies the policy: a record goes if it is beyond the newest N and (if
 * both are given) older than the age. */
static void choose_records(struct gc *gc)
{
	const struct storegc_options *o = gc->opt;
	int64_t now = time_now_ns();

	sort_items(gc->records, gc->n_records, sizeof(*gc->records), record_newer_first);
	for (size_t i = 0; i < gc->n_records; i++) {
		struct gc_record *r = &gc->records[i];
		int beyond = o->keep_records >= 0 && i >= (size_t)o->keep_records;
		int old =
		    o->older_than_s >= 0 && (now - r->mtime_ns) / 1000000000 > o->older_than_s;

		if (o->keep_records >= 0 && o->older_than_s >= 0)
			r->remove = beyond && old;
		else
			r->remove = beyond || old;
	}
}

static int mark_records(struct gc *gc)
{
	int ret = 0;

	for (size_t i = 0; i < gc->n_records && ret == 0; i++) {
		const struct gc_record *r = &gc->records[i];

		if (r->remove)
			continue;
		gc->rep->records_kept++;
		ret = strcmp(r->kind, "build") ? mark_log(gc, r->path) : mark_build(gc, r->path);
		if (ret == -ENOENT)
			ret = 0;
	}
	return ret;
}

static int tree_entry_ok(void *arg, const struct tree_entry *e)
{
	(void)arg;
	(void)e;
	return 0;
}

/* An environment's root is a tree: one that is gone, damaged or no tree
 * names files gc cannot know, so it stops (as for a corrupt tree object:
 * expand_if_tree takes any other object that is no tree for a file). */
static int check_env_tree(struct gc *gc, const char *dir, const char *name, const char *hex)
{
	char *text = NULL;
	size_t len;
	int ret = cas_read_object(gc->cas, hex, GC_MAX_TREE_BYTES, &text, &len);

	if (ret == 0)
		ret = tree_parse(text, len, tree_entry_ok, NULL);
	free(text);
	if (ret == -ENOENT || ret == -EBADMSG || ret == -EFBIG) {
		snprintf(gc->rep->bad_root, sizeof(gc->rep->bad_root),
			 "%s/%s, whose tree object %s is %s", dir, name, hex,
			 ret == -ENOENT ? "missing" : "damaged");
		ret = -EBADMSG;
	}
	return ret;
}

/* envs/HEX.json: the environment's tree, and any digest in the record. */
static int mark_env(struct gc *gc, const char *dir, const char *name, unsigned char type)
{
	char hex[DIGEST_HEX_LEN + 1], *path;
	int ret;

	(void)type;
	if (strlen(name) != DIGEST_HEX_LEN + 5 || strcmp(name + DIGEST_HEX_LEN, ".json"))
		return 0;
	memcpy(hex, name, DIGEST_HEX_LEN);
	hex[DIGEST_HEX_LEN] = '\0';
	if (!hex_is_digest(hex))
		return 0;
	ret = check_env_tree(gc, dir, name, hex);
	if (ret == 0)
		ret = mark_hex(gc, hex);
	path = ret ? NULL : path_join(dir, name);
	if (ret == 0)
		ret = path ? mark_json_file(gc, path) : -ENOMEM;
	free(path);
	return ret;
}

/* A ref naming an access log outside the store ("log PATH\n"; PATH may
 * hold newlines itself: it ends at the last). */
static int mark_external_log(struct gc *gc, const char *ref, const char *text, size_t len)
{
	char *path = strndup(text + 4, len - 4 - (text[len - 1] == '\n'));
	int ret;

	if (!path)
		return -ENOMEM;
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		gc->rep->external_logs_forgotten++;
		ret = gc->opt->dry_run || unlink(ref) == 0 ? 0 : fail_on(gc, ref, -EACCES);
	} else {
		ret = mark_log(gc, path);
	}
	free(path);
	return ret;
}

static int mark_ref(struct gc *gc, const char *dir, const char *name, unsigned char type)
{
	char *path = path_join(dir, name), *text = NULL;
	size_t len;
	int ret;

	(void)type;
	if (!path)
		return -ENOMEM;
	ret = file_read_all(path, (size_t)1 << 20, &text, &len);
	if (ret)
		ret = fail_on(gc, path, ret == -EFBIG ? -EBADMSG : ret);
	else if (!strncmp(text, "log ", 4))
		ret = mark_external_log(gc, path, text, len);
	else
		ret = mark_tokens(gc, text, len);
	free(text);
	free(path);
	return ret;
}

static int mark_tree_entry(void *arg, const struct tree_entry *e)
{
	return e->digest[0] ? mark_hex(arg, e->digest) : 0;
}

/* If object hex is a tree, marks the files it lists. */
static int expand_if_tree(struct gc *gc, const char *hex)
{
	static const char header[] = "provfs-tree 1\n";
	char head[sizeof(header) - 1], *text;
	size_t len;
	int fd = cas_open_object(gc->cas, hex), ret;
	ssize_t n;

	/* Gone, or no regular file (fsck reports that): no tree. */
	if (fd == -ENOENT || fd == -EBADMSG)
		return 0;
	if (fd < 0)
		return fd;
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n != (ssize_t)sizeof(head) || memcmp(head, header, sizeof(head)))
		return 0;
	ret = cas_read_object(gc->cas, hex, GC_MAX_TREE_BYTES, &text, &len);
	if (ret == 0) {
		/* An intact object that does not parse is no tree provfs
		 * wrote, only a file that begins as one (a build can write
		 * it): it refers to nothing.  Entries marked before the
		 * error only keep more. */
		ret = tree_parse(text, len, mark_tree_entry, gc);
		if (ret == -EBADMSG)
			ret = 0;
		free(text);
	}
	if (ret == -EBADMSG || ret == -EFBIG) {
		snprintf(gc->rep->bad_root, sizeof(gc->rep->bad_root), "tree object %s", hex);
		ret = -EBADMSG;
	}
	return ret;
}

/* Marks the files of every marked tree, until no new tree turns up. */
static int expand_trees(struct gc *gc)
{
	do {
		marks_sort(gc);
		for (size_t i = 0, n = gc->n_marks; i < n; i++) {
			char hex[DIGEST_HEX_LEN + 1];
			int ret;

			if (gc->marks[i].checked)
				continue;
			gc->marks[i].checked = 1;
			hex_encode(gc->marks[i].digest, DIGEST_LEN, hex);
			ret = expand_if_tree(gc, hex);
			if (ret)
				return ret;
		}
	} while (gc->n_marks != gc->sorted);
	return 0;
}

static int remove_records(struct gc *gc)
{
	int ret = 0;

	for (size_t i = 0; i < gc->n_records; i++) {
		const struct gc_record *r = &gc->records[i];
		int err = 0;

		if (!r->remove)
			continue;
		if (!gc->opt->dry_run) {
			err = remove_tree_at(AT_FDCWD, r->path);
			if (!strcmp(r->kind, "log")) {
				static const char *const side[] = {"-wal", "-shm", "-journal"};

				for (size_t k = 0; k < 3; k++) {
					char side_path[PATH_MAX + 16];

					snprintf(side_path, sizeof(side_path), "%s%s", r->path,
						 side[k]);
					unlink(side_path);
				}
			}
		}
		if (err) {
			snprintf(gc->rep->bad_root, sizeof(gc->rep->bad_root), "%s", r->path);
			if (!ret)
				ret = err;
			continue;
		}
		if (!strcmp(r->kind, "build"))
			gc->rep->builds_removed++;
		else
			gc->rep->logs_removed++;
		if (gc->opt->removed_record)
			gc->opt->removed_record(gc->opt->arg, r->kind, r->path);
	}
	return ret;
}

static void sweep_problem(void *arg, const char *what, const char *path)
{
	(void)arg;
	(void)what;
	(void)path; /* not ours to delete; store fsck reports it */
}

static int sweep_object(void *arg, const char *hex)
{
	struct gc *gc = arg;
	uint64_t bytes = 0;
	int ret;

	if (is_marked(gc, hex)) {
		gc->rep->objects_kept++;
		return 0;
	}
	ret = gc->opt->dry_run ? cas_object_disk_usage(gc->cas, hex, &bytes)
			       : cas_remove_object(gc->cas, hex, &bytes);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	gc->rep->objects_removed++;
	gc->rep->bytes_removed += bytes;
	return 0;
}

int storegc_run(const struct storegc_options *opt, struct storegc_report *rep)
{
	struct gc gc = {.opt = opt, .rep = rep};
	int lock = -1, ret;

	memset(rep, 0, sizeof(*rep));
	ret = cas_open(opt->store, 0, &gc.cas);
	if (ret)
		return ret;
	lock = cas_lock_turn(opt->store, 1, opt->wait);
	if (lock < 0) {
		cas_close(gc.cas);
		return lock;
	}
	phase(&gc, "reading builds and logs");
	ret = for_each_in(&gc, "builds", add_build);
	if (ret == 0)
		ret = for_each_in(&gc, "logs", add_log);
	if (ret == 0) {
		choose_records(&gc);
		ret = mark_records(&gc);
	}
	if (ret == 0)
		ret = for_each_in(&gc, "envs", mark_env);
	if (ret == 0)
		ret = for_each_in(&gc, "refs", mark_ref);
	if (ret == 0) {
		phase(&gc, "reading trees");
		ret = expand_trees(&gc);
	}
	/* Everything kept is known: only now may anything go. */
	if (ret == 0) {
		phase(&gc, "removing builds and logs");
		ret = remove_records(&gc);
	}
	if (ret == 0) {
		phase(&gc, "removing unreferenced objects");
		ret = cas_walk(gc.cas, sweep_object, sweep_problem, &gc);
		ret = ret > 0 ? 0 : ret;
	}
	if (ret == 0 && !opt->dry_run)
		ret = cas_clear_tmp(gc.cas, &rep->tmp_removed);
	for (size_t i = 0; i < gc.n_records; i++)
		free(gc.records[i].path);
	free(gc.records);
	free(gc.marks);
	close(lock);
	cas_close(gc.cas);
	return ret;
}

int storegc_parse_age(const char *text, int64_t *seconds)
{
	static const struct {
		char unit;
		int64_t seconds;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
	char *end;
	long long n;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno || end[0] == '\0' || end[1] != '\0')
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (units[i].unit == *end) {
			if (n > INT64_MAX / units[i].seconds)
				return -EINVAL;
			*seconds = n * units[i].seconds;
			return 0;
		}
	}
	return -EINVAL;
}

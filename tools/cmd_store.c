/* provfs store: the content-addressed store. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cas.h"
#include "digest.h"
#include "cli.h"
#include "storegc.h"
#include "tree.h"
#include "util.h"

static const char store_usage[] =
	"usage: provfs store [--store DIR] [--json] <subcommand> [args]\n"
	"\n"
	"subcommands:\n"
	"  snapshot DIR   store DIR's files and a tree object describing it; print\n"
	"                 the tree's digest (--no-files: describe only)\n"
	"  fsck           re-hash every object; report any whose bytes do not match\n"
	"                 its name (exit 1 if any)\n"
	"  put FILE       store FILE; print its digest\n"
	"  cat DIGEST     write an object's bytes to standard output (verified)\n"
	"  path DIGEST    print where an object lives\n"
	"  gc             remove the builds and logs a policy names, then every\n"
	"                 object nothing left in the store refers to\n"
	"  forget DIGEST  let gc remove what 'put' or 'snapshot' stored as DIGEST\n"
	"\n"
	"options:\n"
	"  --store DIR    the store (default $PROVFS_STORE or " CLI_DEFAULT_STORE ")\n"
	"  --json         machine-readable output\n"
	"  --one-fs       (snapshot) stay on DIR's filesystem\n"
	"  --keep-builds N  (gc) keep the newest N builds and logs, remove older ones\n"
	"  --older-than AGE (gc) remove builds and logs older than AGE (30d, 12h,\n"
	"                 90m, 2w); with --keep-builds, only those beyond the newest N\n"
	"                 (without either, gc removes no build, only unreferenced\n"
	"                 objects)\n"
	"  --dry-run      (gc) report what would be removed; remove nothing\n"
	"  --wait         (gc) wait for running builds and mounts to finish; builds\n"
	"                 started meanwhile wait for gc (default: fail at once,\n"
	"                 exit 1, if the store is in use)\n"
	"  -q, --quiet    no progress messages\n"
	"  -h, --help     show this help\n";

struct store_opts {
	int json, no_files, one_fs, quiet, dry_run, wait;
	long keep_builds;
	int64_t older_than_s;
};

static void snapshot_progress(void *arg, const struct tree_stats *st)
{
	(void)arg;
	fprintf(stderr, "\rprovfs: snapshot: %llu files, %llu dirs, %.1f MiB",
		(unsigned long long)st->files, (unsigned long long)st->dirs,
		(double)st->bytes / (1024.0 * 1024.0));
}

/* The ref that keeps what `store KIND` (put or snapshot) stored: KIND-HEX. */
#define REF_NAME_MAX (DIGEST_HEX_LEN + 16)
static void ref_name(char name[REF_NAME_MAX], const char *kind, const char *hex)
{
	snprintf(name, REF_NAME_MAX, "%s-%s", kind, hex);
}

/* Records what put or snapshot stored, so that store gc keeps it. */
static int keep_ref(struct cas *cas, const char *kind, const char *hex, const char *source)
{
	char name[REF_NAME_MAX], *text;
	int ret;

	ref_name(name, kind, hex);
	if (asprintf(&text, "%s %s %s\n", hex, kind, source) < 0)
		return cli_fail(CLI_USAGE, "out of memory");
	ret = cas_ref_write(cas, name, text);
	free(text);
	if (ret)
		return cli_fail(CLI_USAGE, "cannot record %s in store '%s': %s", hex, cas_root(cas),
				strerror(-ret));
	return CLI_OK;
}

static int do_snapshot(struct cas *cas, const char *dir, const struct store_opts *o)
{
	struct tree_options topt = {
		.store_files = !o->no_files,
		.one_fs = o->one_fs,
		.progress = (o->quiet || !isatty(2)) ? NULL : snapshot_progress,
	};
	struct tree_stats st;
	char hex[DIGEST_HEX_LEN + 1];
	int ret = tree_snapshot(cas, dir, &topt, hex, &st);

	if (topt.progress)
		fputc('\n', stderr);
	if (ret < 0)
		return cli_fail(CLI_USAGE, "cannot snapshot '%s': %s", dir, strerror(-ret));
	ret = keep_ref(cas, "snapshot", hex, dir);
	if (ret)
		return ret;
	if (o->json)
		printf("{\"bytes\":%llu,\"dirs\":%llu,\"files\":%llu,\"symlinks\":%llu,"
		       "\"tree\":\"%s\"}\n", (unsigned long long)st.bytes,
		       (unsigned long long)st.dirs, (unsigned long long)st.files,
		       (unsigned long long)st.symlinks, hex);
	else
		printf("%s\n", hex);
	return CLI_OK;
}

struct fsck_state {
	json_t *problems;
	int json;
	int shown;                 /* a progress line is on the terminal */
	int64_t last_shown_ns;     /* when it was written */
};

static void fsck_progress(void *arg, uint64_t checked, uint64_t bytes)
{
	struct fsck_state *s = arg;
	int64_t now = time_now_ns();

	if (s->shown && now - s->last_shown_ns < 250000000LL)
		return;
	s->last_shown_ns = now;
	s->shown = 1;
	fprintf(stderr, "\rprovfs: fsck: %llu objects checked, %.1f MiB", (unsigned long long)checked,
		(double)bytes / (1024.0 * 1024.0));
}

static void fsck_report(void *arg, const char *what, const char *path)
{
	struct fsck_state *s = arg;

	if (s->shown) { /* the problem on a line of its own */
		fputc('\n', stderr);
		s->shown = 0;
	}
	if (s->json)
		json_array_append_new(s->problems, json_pack("{s:s, s:s}", "problem", what,
							     "object", path));
	else
		printf("%s: %s\n", what, path);
}

static int do_fsck(struct cas *cas, const struct store_opts *o)
{
	struct fsck_state s = {json_array(), o->json, 0, 0};
	uint64_t checked = 0;
	int n = cas_fsck(cas, fsck_report, (o->quiet || o->json || !isatty(2)) ? NULL : fsck_progress,
			 &s, &checked);

	if (s.shown)
		fputc('\n', stderr);
	if (n < 0) {
		json_decref(s.problems);
		return cli_fail(CLI_USAGE, "cannot check store '%s': %s", cas_root(cas),
				strerror(-n));
	}
	if (o->json) {
		cli_print_json(json_pack("{s:I, s:o, s:b}", "checked", (json_int_t)checked,
					 "problems", s.problems, "ok", n == 0));
	} else {
		json_decref(s.problems);
		printf("%llu objects checked, %d problem%s\n", (unsigned long long)checked, n,
		       n == 1 ? "" : "s");
	}
	return n == 0 ? CLI_OK : CLI_FAILED;
}

/* Writes object hex to standard output: checked whole first, then copied
 * (hashed again as it goes), so memory stays small for any size and a
 * corrupt object writes nothing. */
static int do_cat(struct cas *cas, const char *hex)
{
	static char buf[1 << 20];
	struct digest_ctx *ctx = NULL;
	uint8_t raw[DIGEST_LEN];
	char got[DIGEST_HEX_LEN + 1];
	int fd, ret;
	off_t off = 0;

	if (!hex_is_digest(hex))
		return cli_fail(CLI_USAGE, "'%s' is not a sha256 digest (64 lowercase hex)", hex);
	ret = cas_verify_object(cas, hex);
	if (ret == -ENOENT)
		return cli_fail(CLI_FAILED, "object %s is not in store '%s'", hex, cas_root(cas));
	if (ret == -EBADMSG)
		return cli_fail(CLI_FAILED, "object %s is corrupt (its bytes do not match its name)",
				hex);
	fd = ret < 0 ? ret : cas_open_object(cas, hex);
	if (fd < 0)
		return cli_fail(CLI_USAGE, "cannot read object %s: %s", hex, strerror(-fd));
	ctx = digest_new();
	ret = ctx ? 0 : -ENOMEM;
	while (ret == 0) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : 0;
			break;
		}
		off += n;
		ret = digest_update(ctx, buf, (size_t)n);
		if (ret == 0)
			ret = write_full(1, buf, (size_t)n);
	}
	close(fd);
	if (ret < 0) {
		digest_free(ctx);
		return cli_fail(CLI_USAGE, "cannot copy object %s out: %s", hex, strerror(-ret));
	}
	digest_final(ctx, raw);
	hex_encode(raw, DIGEST_LEN, got);
	if (strcmp(got, hex))
		return cli_fail(CLI_FAILED, "object %s changed while it was written out", hex);
	return CLI_OK;
}

static int do_forget(struct cas *cas, const char *hex, const struct store_opts *o)
{
	static const char *const kinds[] = {"put", "snapshot"};
	int forgotten = 0;

	if (!hex_is_digest(hex) || hex[DIGEST_HEX_LEN])
		return cli_fail(CLI_USAGE, "'%s' is not a sha256 digest (64 lowercase hex)", hex);
	for (size_t i = 0; i < 2; i++) {
		char name[REF_NAME_MAX];
		int ret;

		ref_name(name, kinds[i], hex);
		ret = cas_ref_remove(cas, name);
		if (ret == 0)
			forgotten++;
		else if (ret != -ENOENT)
			return cli_fail(CLI_USAGE, "cannot forget %s: %s", hex, strerror(-ret));
	}
	if (o->json) {
		int ret = cli_print_json(json_pack("{s:s, s:b}", "digest", hex, "forgotten",
						   forgotten > 0));

		return ret != CLI_OK || forgotten ? ret : CLI_FAILED;
	}
	if (!forgotten)
		return cli_fail(CLI_FAILED, "%s was not stored by 'store put' or 'store snapshot' "
				"(builds and environments keep their own objects)", hex);
	if (!o->quiet)
		fprintf(stderr, "provfs: %s is no longer kept; the next 'provfs store gc' removes "
			"it unless something else refers to it\n", hex);
	return CLI_OK;
}

struct gc_cli {
	const struct store_opts *o;
	int progress;
	json_t *records;
};

static void gc_phase(void *arg, const char *what)
{
	struct gc_cli *g = arg;

	if (g->progress)
		fprintf(stderr, "provfs: gc: %s\n", what);
}

static void gc_removed_record(void *arg, const char *kind, const char *path)
{
	struct gc_cli *g = arg;

	if (g->o->json)
		json_array_append_new(g->records, json_pack("{s:s, s:s}", "kind", kind, "path", path));
	else if (!g->o->quiet)
		printf("%s %s %s\n", g->o->dry_run ? "would remove" : "removed", kind, path);
}

static int do_gc(const char *store, const struct store_opts *o)
{
	struct gc_cli g = {.o = o, .progress = !o->quiet && !o->json && isatty(2),
			   .records = json_array()};
	struct storegc_options opt = {
		.store = store,
		.keep_records = o->keep_builds,
		.older_than_s = o->older_than_s,
		.dry_run = o->dry_run,
		.wait = o->wait,
		.removed_record = gc_removed_record,
		.phase = gc_phase,
		.arg = &g,
	};
	struct storegc_report r;
	int ret = storegc_run(&opt, &r);

	if (ret) {
		json_decref(g.records);
		if (ret == -EWOULDBLOCK)
			return cli_fail(CLI_FAILED, "store '%s' is in use (a build, mount or import "
					"is running); try later, or use --wait", store);
		if (ret == -ENOENT)
			return cli_fail(CLI_USAGE, "cannot open store '%s': no such store", store);
		if (ret == -EBADMSG)
			return cli_fail(CLI_FAILED, "cannot read '%s', which may refer to objects; "
					"nothing was removed (remove or repair it, then run gc again)",
					r.bad_root);
		return cli_fail(CLI_USAGE, "cannot collect garbage in store '%s'%s%s: %s", store,
				r.bad_root[0] ? " at " : "", r.bad_root, strerror(-ret));
	}
	if (o->json)
		return cli_print_json(json_pack(
			"{s:b, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "dryRun", o->dry_run,
			"records", g.records, "buildsRemoved", (json_int_t)r.builds_removed,
			"logsRemoved", (json_int_t)r.logs_removed, "recordsKept",
			(json_int_t)r.records_kept, "externalLogsForgotten",
			(json_int_t)r.external_logs_forgotten, "objectsKept",
			(json_int_t)r.objects_kept, "objectsRemoved", (json_int_t)r.objects_removed,
			"bytesRemoved", (json_int_t)r.bytes_removed, "tmpRemoved",
			(json_int_t)r.tmp_removed));
	json_decref(g.records);
	if (!o->quiet)
		printf("%s%zu builds, %zu logs; %zu objects (%.1f MiB); kept %zu builds and logs, "
		       "%zu objects\n", o->dry_run ? "would remove " : "removed ",
		       r.builds_removed, r.logs_removed, r.objects_removed,
		       (double)r.bytes_removed / (1024.0 * 1024.0), r.records_kept, r.objects_kept);
	return CLI_OK;
}

int cmd_store(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"no-files", no_argument, NULL, 'n'},
		{"one-fs", no_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{"keep-builds", required_argument, NULL, 'k'},
		{"older-than", required_argument, NULL, 'a'},
		{"dry-run", no_argument, NULL, 'd'},
		{"wait", no_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct store_opts o = {.keep_builds = -1, .older_than_s = -1};
	char *end;
	const char *store_opt = NULL, *sub;
	struct cas *cas;
	int c, ret, create;

	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 's': store_opt = optarg; break;
		case 'j': o.json = 1; cli_json_mode(); break;
		case 'n': o.no_files = 1; break;
		case 'o': o.one_fs = 1; break;
		case 'q': o.quiet = 1; break;
		case 'd': o.dry_run = 1; break;
		case 'w': o.wait = 1; break;
		case 'k':
			errno = 0;
			o.keep_builds = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || o.keep_builds < 0)
				return cli_usage_error("store", "--keep-builds wants a number >= 0, not '%s'",
						       optarg);
			break;
		case 'a':
			if (storegc_parse_age(optarg, &o.older_than_s) < 0)
				return cli_usage_error("store", "--older-than wants an age such as 30d, "
						       "12h, 90m, 45s or 2w, not '%s'", optarg);
			break;
		case 'h': fputs(store_usage, stdout); return CLI_OK;
		default: return cli_bad_option("store");
		}
	}
	if (optind >= argc)
		return cli_usage_error("store", "expected a subcommand");
	sub = argv[optind++];
	if (strcmp(sub, "snapshot") && strcmp(sub, "fsck") && strcmp(sub, "put") &&
	    strcmp(sub, "cat") && strcmp(sub, "path") && strcmp(sub, "gc") && strcmp(sub, "forget"))
		return cli_usage_error("store", "unknown subcommand '%s'", sub);
	if (!strcmp(sub, "gc")) {
		if (argc != optind)
			return cli_usage_error("store", "'gc' takes no argument");
		return do_gc(cli_store_dir(store_opt), &o);
	}
	if ((o.keep_builds >= 0 || o.older_than_s >= 0 || o.dry_run || o.wait))
		return cli_usage_error("store", "--keep-builds, --older-than, --dry-run and --wait "
				       "are for 'gc'");
	if (strcmp(sub, "fsck") && argc - optind != 1)
		return cli_usage_error("store", "'%s' takes one argument", sub);
	create = !strcmp(sub, "snapshot") || !strcmp(sub, "put") || !strcmp(sub, "forget");
	ret = cas_open(cli_store_dir(store_opt), create, &cas);
	if (ret < 0)
		return cli_fail(CLI_USAGE, "cannot open store '%s': %s", cli_store_dir(store_opt),
				ret == -ENOENT ? "no such store" : strerror(-ret));
	if (!strcmp(sub, "snapshot")) {
		ret = do_snapshot(cas, argv[optind], &o);
	} else if (!strcmp(sub, "fsck")) {
		ret = do_fsck(cas, &o);
	} else if (!strcmp(sub, "cat")) {
		ret = do_cat(cas, argv[optind]);
	} else if (!strcmp(sub, "forget")) {
		ret = do_forget(cas, argv[optind], &o);
	} else if (!strcmp(sub, "path")) {
		char *p = cas_object_path(cas, argv[optind]);

		if (!p) {
			ret = cli_fail(CLI_USAGE, "'%s' is not a sha256 digest", argv[optind]);
		} else if (!cas_has(cas, argv[optind])) {
			ret = cli_fail(CLI_FAILED, "object %s is not in the store", argv[optind]);
		} else {
			puts(p);
			ret = CLI_OK;
		}
		free(p);
	} else {
		char hex[DIGEST_HEX_LEN + 1];
		/* Not blocking on a FIFO (with the store held: gc would wait). */
		int fd = open(argv[optind], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		struct stat st;

		if (fd < 0) {
			ret = cli_fail(CLI_USAGE, "cannot open '%s': %s", argv[optind], strerror(errno));
		} else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			ret = cli_fail(CLI_USAGE, "cannot store '%s': not a regular file", argv[optind]);
			close(fd);
		} else {
			ret = cas_put_fd(cas, fd, NULL, hex);
			/* put keeps an object already there; one that is damaged
			 * (fsck: corrupt) is replaced, so put is its repair. */
			if (ret == 0 && cas_verify_object(cas, hex) == -EBADMSG) {
				ret = cas_remove_object(cas, hex, NULL);
				if (ret == 0 && lseek(fd, 0, SEEK_SET) < 0)
					ret = -errno;
				if (ret == 0)
					ret = cas_put_fd(cas, fd, NULL, hex);
				if (ret == 0)
					ret = cas_verify_object(cas, hex);
				if (ret == 0 && !o.quiet)
					cli_warn("object %s was corrupt in the store; replaced", hex);
			}
			close(fd);
			if (ret < 0)
				ret = cli_fail(CLI_USAGE, "cannot store '%s': %s", argv[optind],
					       strerror(-ret));
			else
				ret = keep_ref(cas, "put", hex, argv[optind]);
			if (ret == CLI_OK)
				puts(hex);
		}
	}
	cas_close(cas);
	return ret;
}

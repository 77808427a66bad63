/* provfs store: the content-addressed store. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cas.h"
#include "cli.h"
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
	"\n"
	"options:\n"
	"  --store DIR    the store (default $PROVFS_STORE or " CLI_DEFAULT_STORE ")\n"
	"  --json         machine-readable output\n"
	"  --one-fs       (snapshot) stay on DIR's filesystem\n"
	"  -q, --quiet    no progress messages\n"
	"  -h, --help     show this help\n";

struct store_opts {
	int json, no_files, one_fs, quiet;
};

static void snapshot_progress(void *arg, const struct tree_stats *st)
{
	(void)arg;
	fprintf(stderr, "\rprovfs: snapshot: %llu files, %llu dirs, %.1f MiB",
		(unsigned long long)st->files, (unsigned long long)st->dirs,
		(double)st->bytes / (1024.0 * 1024.0));
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
};

static void fsck_report(void *arg, const char *what, const char *path)
{
	struct fsck_state *s = arg;

	if (s->json)
		json_array_append_new(s->problems, json_pack("{s:s, s:s}", "problem", what,
							     "object", path));
	else
		printf("%s: %s\n", what, path);
}

static int do_fsck(struct cas *cas, const struct store_opts *o)
{
	struct fsck_state s = {json_array(), o->json};
	uint64_t checked = 0;
	int n = cas_fsck(cas, fsck_report, &s, &checked);

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

static int do_cat(struct cas *cas, const char *hex)
{
	char *buf;
	size_t len;
	int ret;

	if (!hex_is_digest(hex))
		return cli_fail(CLI_USAGE, "'%s' is not a sha256 digest (64 lowercase hex)", hex);
	ret = cas_read_object(cas, hex, (size_t)1 << 34, &buf, &len);
	if (ret == -ENOENT)
		return cli_fail(CLI_FAILED, "object %s is not in store '%s'", hex, cas_root(cas));
	if (ret == -EBADMSG)
		return cli_fail(CLI_FAILED, "object %s is corrupt (its bytes do not match its name)",
				hex);
	if (ret < 0)
		return cli_fail(CLI_USAGE, "cannot read object %s: %s", hex, strerror(-ret));
	ret = write_full(1, buf, len);
	free(buf);
	return ret < 0 ? CLI_USAGE : CLI_OK;
}

int cmd_store(int argc, char **argv)
{
	static const struct option opts[] = {
		{"store", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"no-files", no_argument, NULL, 'n'},
		{"one-fs", no_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct store_opts o = {0};
	const char *store_opt = NULL, *sub;
	struct cas *cas;
	int c, ret, create;

	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 's': store_opt = optarg; break;
		case 'j': o.json = 1; break;
		case 'n': o.no_files = 1; break;
		case 'o': o.one_fs = 1; break;
		case 'q': o.quiet = 1; break;
		case 'h': fputs(store_usage, stdout); return CLI_OK;
		default: return cli_usage_error("store", "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("store", "expected a subcommand");
	sub = argv[optind++];
	if (strcmp(sub, "snapshot") && strcmp(sub, "fsck") && strcmp(sub, "put") &&
	    strcmp(sub, "cat") && strcmp(sub, "path"))
		return cli_usage_error("store", "unknown subcommand '%s'", sub);
	if (strcmp(sub, "fsck") && argc - optind != 1)
		return cli_usage_error("store", "'%s' takes one argument", sub);
	create = !strcmp(sub, "snapshot") || !strcmp(sub, "put");
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
		FILE *f = fopen(argv[optind], "re");

		if (!f) {
			ret = cli_fail(CLI_USAGE, "cannot open '%s': %s", argv[optind], strerror(errno));
		} else {
			ret = cas_put_fd(cas, fileno(f), NULL, hex);
			fclose(f);
			if (ret < 0)
				ret = cli_fail(CLI_USAGE, "cannot store '%s': %s", argv[optind],
					       strerror(-ret));
			else
				ret = (puts(hex), CLI_OK);
		}
	}
	cas_close(cas);
	return ret;
}

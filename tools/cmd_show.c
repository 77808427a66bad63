/* provfs show: a readable summary of a manifest for a person. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dsse.h"
#include "json.h"
#include "manifest.h"
#include "procinfo.h"
#include "sign.h"
#include "statement.h"
#include "util.h"
#include "verify.h"

/* Lists longer than this are cut short unless --all is given. */
#define SHOW_LIST_LIMIT 50
#define SHOW_TREE_DEPTH 64
#define SHOW_GROUP_SCAN 64 /* records of one pid compared with each other */

static void show_usage(FILE *out)
{
	fprintf(out,
		"usage: provfs show [--key PUB]... [--all] [--max-size SIZE] [--json] MANIFEST\n"
		"\n"
		"Summarises a manifest: environment, packages, inputs, outputs, process\n"
		"tree, exit status and signature status.  Without --key the signatures\n"
		"are listed but not checked, and the content is marked unverified.\n"
		"\n"
		"  -k, --key PUB  check signatures against this public key (repeat)\n"
		"  -a, --all      list every input, output, process and missing path\n"
		"      --max-size SIZE\n"
		"                 read a manifest up to SIZE (K, M, G suffixes; default 256M)\n"
		"      --json     print {\"manifest\", \"signatures\", \"verified\", \"statement\"}\n"
		"  -h, --help     show this help\n"
		"\n"
		"Exit status: 0 shown, 1 not a valid manifest (or signatures did not\n"
		"verify against the given keys), 2 usage or environment error.\n");
}

/* Prints s with terminal control bytes escaped. */
static void put_safe(const char *s)
{
	char *safe = manifest_printable(s ? s : "");

	fputs(safe ? safe : "?", stdout);
	free(safe);
}

/* Prints one word of a command line as a shell reads it: quoted ('...')
 * when empty or holding anything a shell would split or expand, so that
 * the words can be told apart: sh -c 'make && make check'. */
static void put_word(const char *s)
{
	char *safe = manifest_printable(s ? s : "");
	const char *w = safe ? safe : "?";
	int plain = *w != '\0';

	for (const char *c = w; *c && plain; c++)
		plain = isalnum((unsigned char)*c) || (unsigned char)*c >= 0x80 ||
			strchr("_@%+=:,./-", *c);
	if (plain) {
		fputs(w, stdout);
	} else {
		putchar('\'');
		for (const char *c = w; *c; c++) {
			if (*c == '\'')
				fputs("'\\''", stdout); /* end, quoted quote, start again */
			else
				putchar(*c);
		}
		putchar('\'');
	}
	free(safe);
}

static void field(const char *label, const char *value)
{
	printf("%-14s ", label);
	put_safe(value);
	putchar('\n');
}

static void print_command(const json_t *ext)
{
	json_t *cmd = json_get_array(ext, "command");
	size_t i;
	json_t *w;

	printf("%-14s ", "command");
	json_array_foreach(cmd, i, w) {
		if (i)
			putchar(' ');
		put_word(json_is_string(w) ? json_string_value(w) : "?");
	}
	if (json_integer_value(json_object_get(ext, "commandTruncated")) == 1)
		fputs(" ...", stdout);
	putchar('\n');
	field("directory", json_get_string(ext, "workingDirectory"));
}

/* "slave  namespaces: network=loopback home=host", when recorded. */
static void print_slave(const json_t *ip)
{
	const char *driver = json_get_string(ip, "driver");
	json_t *slave = json_get_object(ip, "slave");
	const char *key;
	json_t *v;

	if (!driver && !slave)
		return;
	printf("%-14s ", "slave");
	put_safe(driver ? driver : "unknown driver");
	if (json_object_size(slave))
		putchar(':');
	json_object_foreach(slave, key, v) {
		putchar(' ');
		put_safe(key);
		putchar('=');
		put_safe(json_is_string(v) ? json_string_value(v) : "?");
	}
	putchar('\n');
}

/* 1 for the resolvedDependencies entries that are not input files: the
 * environment env (the first named "environment") and the packages (pkg:
 * URIs). */
static int is_not_file(const json_t *d, const json_t *env, int inputs)
{
	const char *uri = json_get_string(d, "uri");

	return inputs && (d == env || (uri && !strncmp(uri, "pkg:", 4)));
}

static void print_files(const char *title, const json_t *list, int inputs, int all)
{
	const json_t *env = statement_find_descriptor(list, "environment");
	size_t i, n = 0, shown = 0;
	json_t *d;

	json_array_foreach(list, i, d)
		n += !is_not_file(d, env, inputs);
	printf("%s (%zu)\n", title, n);
	json_array_foreach(list, i, d) {
		const char *sha = statement_descriptor_sha256(d);
		json_t *ann = json_get_object(d, "annotations");

		if (is_not_file(d, env, inputs))
			continue;
		if (!all && shown == SHOW_LIST_LIMIT) {
			printf("  ... %zu more (use --all)\n", n - shown);
			break;
		}
		shown++;
		printf("  %.12s  ", sha ? sha : "unknown     ");
		put_safe(json_get_string(d, "name"));
		if (json_get_string(ann, "package")) {
			fputs("  [", stdout);
			put_safe(json_get_string(ann, "package"));
			putchar(']');
		}
		putchar('\n');
	}
}

/* Packages that own at least one input, with how many inputs each. */
static void print_packages(const json_t *deps)
{
	json_t *counts = json_object();
	size_t i, total = 0;
	const char *name;
	json_t *d, *v;

	json_array_foreach(deps, i, d) {
		const char *pkg = json_get_string(json_get_object(d, "annotations"), "package");
		const char *uri = json_get_string(d, "uri");

		if (uri && !strncmp(uri, "pkg:", 4))
			total++;
		if (pkg)
			json_object_set_new(counts, pkg,
				json_integer(json_integer_value(json_object_get(counts, pkg)) + 1));
	}
	printf("packages       %zu installed, %zu used by inputs\n", total, json_object_size(counts));
	json_object_foreach(counts, name, v) {
		printf("  ");
		put_safe(name);
		printf(" (%lld file%s)\n", (long long)json_integer_value(v),
		       json_integer_value(v) == 1 ? "" : "s");
	}
	json_decref(counts);
}

static void print_environment(const json_t *deps)
{
	/* The first named so, as verify --env takes it. */
	const json_t *env = statement_find_descriptor(deps, "environment");
	json_t *ann = json_get_object(env, "annotations");
	json_t *os = json_get_object(ann, "osRelease");
	const char *sha = statement_descriptor_sha256(env);

	printf("environment\n");
	field("  root", json_get_string(env, "uri"));
	field("  tree digest", sha ? sha : "unknown");
	field("  os", json_get_string(os, "prettyName"));
	field("  kernel", json_get_string(ann, "kernel"));
}

/* One process of the tree.  Each mount's daemon records the processes it
 * saw, so a process may stand in the list once per mount: those records
 * (same pid, program and arguments) are shown once. */
struct tree_node {
	json_int_t pid, ppid;
	const json_t *rec;
	char *key;  /* exe and argv, to tell an exec's records apart */
	size_t pos; /* in the manifest's list: the order shown */
	int root;   /* its parent is not in the list */
	int shown;
	int drop;   /* another record of the pid says all it says */
	int fork_copy; /* its parent's program, before its own exec */
	int asp;       /* as_parent */
};

/* For bsearch of a pid among nodes sorted by pid. */
static int pid_vs_node(const void *key, const void *node)
{
	json_int_t pid = *(const json_int_t *)key, other = ((const struct tree_node *)node)->pid;

	return pid < other ? -1 : pid > other;
}

static int by_pid_key_pos(const void *a, const void *b)
{
	const struct tree_node *x = a, *y = b;
	int c;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	c = strcmp(x->key, y->key);
	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int by_ppid_pos(const void *a, const void *b)
{
	const struct tree_node *x = a, *y = b;

	if (x->ppid != y->ppid)
		return x->ppid < y->ppid ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Orders indices into the nodes array arg by the nodes' positions. */
static int by_node_pos(const void *a, const void *b, void *arg)
{
	const struct tree_node *nodes = arg;
	size_t x = nodes[*(const size_t *)a].pos, y = nodes[*(const size_t *)b].pos;

	return x < y ? -1 : x > y;
}

/* Index of the first node of a (n, sorted by pid, or by ppid if
 * by_ppid) whose pid (ppid) is at least v, or n. */
static size_t lower_bound(const struct tree_node *a, size_t n, json_int_t v, int by_ppid)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((by_ppid ? a[mid].ppid : a[mid].pid) < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether record x says nothing that record y does not: x has no arguments
 * or y's, and no program or y's program.  A mount that first saw a process
 * as it exited (its files closed after its memory is gone) could read
 * neither; one that saw only its exec names the program by the path it
 * opened, relative to the workspace for a program there ("st" for
 * /build/st); a daemon without CAP_SYS_PTRACE (in a container) cannot
 * read the program of another user's process, only its arguments. */
static int covered_by(const json_t *x, const json_t *y)
{
	const char *xe = json_get_string(x, "exe");
	const json_t *xa = json_get_array(x, "argv");

	if (json_array_size(xa) && !json_equal((json_t *)xa, (json_t *)json_get_array(y, "argv")))
		return 0;
	return !xe || !*xe || procinfo_exe_is(json_get_string(y, "exe"), xe);
}

/* Whether node x of nodes (m, sorted by pid) runs what a record of its
 * parent runs: a child forked and not yet exec'd (a shell's child looks up
 * its program along PATH before its exec).  Its record may lack the
 * program where the parent's names it (no CAP_SYS_PTRACE; the parent's
 * named by the exec ring).  Only the parent's first SHOW_GROUP_SCAN
 * records are compared: a process has a few (one per exec and what the
 * exec ring added), and a hand-made manifest with thousands for one pid
 * must not take time to the cube of their number. */
static int as_parent(const struct tree_node *nodes, size_t m, const struct tree_node *x)
{
	size_t lo = lower_bound(nodes, m, x->ppid, 0), end = lo;
	int has_argv = json_array_size(json_get_array(x->rec, "argv")) > 0;

	while (end < m && end - lo < SHOW_GROUP_SCAN && nodes[end].pid == x->ppid)
		end++;
	for (; lo < end; lo++)
		if (!strcmp(nodes[lo].key, x->key) || (has_argv && covered_by(x->rec, nodes[lo].rec)))
			return 1;
	return 0;
}

/* Drops each node (of m, sorted by pid) that another node of its pid
 * covers (of two that cover each other, the later one), and a child's
 * record from before its exec where the child has one of its own
 * program; returns how many are left.  Records of a pid beyond its
 * first SHOW_GROUP_SCAN are kept as they are. */
static size_t drop_covered(struct tree_node *nodes, size_t m)
{
	size_t i, j, first, end, k = 0;

	for (first = 0; first < m; first = end) {
		for (end = first; end < m && nodes[end].pid == nodes[first].pid; end++)
			nodes[end].asp = as_parent(nodes, m, &nodes[end]);
		if (end - first > SHOW_GROUP_SCAN)
			continue;
		for (i = first; i < end; i++)
			for (j = first; j < end && !nodes[i].drop; j++)
				nodes[i].drop = j != i && covered_by(nodes[i].rec, nodes[j].rec) &&
						(j < i || !covered_by(nodes[j].rec, nodes[i].rec));
		for (i = first; i < end; i++) {
			if (nodes[i].drop || !nodes[i].asp)
				continue;
			for (j = first; j < end && !nodes[i].fork_copy; j++)
				nodes[i].fork_copy = j != i && !nodes[j].drop && !nodes[j].asp;
		}
	}
	for (i = 0; i < m; i++) {
		if (nodes[i].drop || nodes[i].fork_copy)
			free(nodes[i].key);
		else
			nodes[k++] = nodes[i];
	}
	return k;
}

/* Prints p and its descendants, in the tree's order, while *budget
 * (lines) lasts. */
static void print_node(struct tree_node *kids, size_t n, struct tree_node *p, int depth,
		       size_t *budget)
{
	json_t *argv = json_get_array(p->rec, "argv");
	size_t j;
	json_t *w;

	if (!*budget)
		return;
	--*budget;
	p->shown = 1;
	printf("  %*s%lld ", 2 * depth, "", (long long)p->pid);
	json_array_foreach(argv, j, w) {
		if (j)
			putchar(' ');
		put_word(json_is_string(w) ? json_string_value(w) : "?");
	}
	if (json_integer_value(json_object_get(p->rec, "argvTruncated")) == 1)
		fputs(" ...", stdout); /* the rest of the command line is not recorded */
	if (!json_array_size(argv)) {
		/* No arguments read: the program, if known. */
		const char *exe = json_get_string(p->rec, "exe");

		if (exe && *exe) {
			putchar('[');
			put_safe(exe);
			putchar(']');
		} else {
			putchar('?');
		}
	}
	putchar('\n');
	if (depth >= SHOW_TREE_DEPTH)
		return;
	for (size_t k = lower_bound(kids, n, p->pid, 1); k < n && kids[k].ppid == p->pid; k++) {
		if (!kids[k].shown)
			print_node(kids, n, &kids[k], depth + 1, budget);
	}
}

static void print_process_tree(const json_t *byp, int all)
{
	json_t *procs = json_get_array(json_get_object(statement_find_descriptor(byp, "process-tree"),
						       "annotations"), "processes");
	size_t n = json_array_size(procs), m = 0, i, budget;
	struct tree_node *nodes = calloc(n + 1, sizeof(*nodes));
	json_t *p;

	if (!nodes) {
		printf("process tree (%zu records)\n", n);
		return;
	}
	json_array_foreach(procs, i, p) {
		json_t *key = json_pack("[O?O?]", json_object_get(p, "exe"),
					json_object_get(p, "argv"));

		nodes[i].pid = json_integer_value(json_object_get(p, "pid"));
		nodes[i].ppid = json_integer_value(json_object_get(p, "ppid"));
		nodes[i].rec = p;
		nodes[i].pos = i;
		nodes[i].key = key ? json_dumps(key, JSON_COMPACT) : NULL;
		json_decref(key);
		if (!nodes[i].key)
			nodes[i].key = strdup("");
		if (!nodes[i].key) {
			n = i;
			break;
		}
	}
	/* One node per (pid, program, arguments): the first record. */
	sort_items(nodes, n, sizeof(*nodes), by_pid_key_pos);
	for (i = 0; i < n; i++) {
		if (m && nodes[m - 1].pid == nodes[i].pid && !strcmp(nodes[m - 1].key, nodes[i].key)) {
			free(nodes[i].key);
			continue;
		}
		nodes[m++] = nodes[i];
	}
	m = drop_covered(nodes, m);
	for (i = 0; i < m; i++)
		nodes[i].root = !bsearch(&nodes[i].ppid, nodes, m, sizeof(*nodes), pid_vs_node);
	printf("process tree (%zu)\n", m);
	budget = all ? m : SHOW_LIST_LIMIT;
	/* Roots (parent not in the list) in the manifest's order, each with
	 * its descendants found by binary search on the parent pid. */
	sort_items(nodes, m, sizeof(*nodes), by_ppid_pos);
	{
		size_t *order = calloc(m + 1, sizeof(*order));

		for (i = 0; order && i < m; i++)
			order[i] = i;
		if (order)
			qsort_r(order, m, sizeof(*order), by_node_pos, nodes);
		for (i = 0; order && i < m; i++) {
			struct tree_node *t = &nodes[order[i]];

			if (!t->shown && t->root)
				print_node(nodes, m, t, 0, &budget);
		}
		/* What no root reaches: parents that form a cycle (pids
		 * reused, or a forged list).  Each is shown once, at the top. */
		for (i = 0; order && i < m; i++) {
			struct tree_node *t = &nodes[order[i]];

			if (!t->shown)
				print_node(nodes, m, t, 0, &budget);
		}
		free(order);
		if (order && !all && m > SHOW_LIST_LIMIT)
			printf("  ... %zu more (use --all)\n", m - SHOW_LIST_LIMIT);
	}
	for (i = 0; i < m; i++)
		free(nodes[i].key);
	free(nodes);
}

static void print_statement(const json_t *stmt, int all)
{
	json_t *pred = json_get_object(stmt, "predicate");
	json_t *bd = json_get_object(pred, "buildDefinition");
	json_t *rd = json_get_object(pred, "runDetails");
	json_t *md = json_get_object(rd, "metadata");
	json_t *deps = json_get_array(bd, "resolvedDependencies");
	json_t *byp = json_get_array(rd, "byproducts");
	const json_t *exit_bp = statement_find_descriptor(byp, "exit-status");
	const json_t *log_bp = statement_find_descriptor(byp, "access-log");
	json_t *missing = json_get_array(json_get_object(statement_find_descriptor(byp, "missing-paths"),
							 "annotations"), "paths");
	json_t *exit_v = json_object_get(json_get_object(exit_bp, "annotations"), "exitStatus");
	char exit_text[32] = "unknown";

	field("builder", json_get_string(json_get_object(rd, "builder"), "id"));
	field("build type", json_get_string(bd, "buildType"));
	field("invocation", json_get_string(md, "invocationId"));
	field("started", json_get_string(md, "startedOn") ? json_get_string(md, "startedOn") : "unknown");
	field("finished", json_get_string(md, "finishedOn") ? json_get_string(md, "finishedOn") : "unknown");
	print_command(json_get_object(bd, "externalParameters"));
	if (json_is_integer(exit_v))
		snprintf(exit_text, sizeof(exit_text), "%lld", (long long)json_integer_value(exit_v));
	field("exit status", exit_text);
	print_slave(json_get_object(bd, "internalParameters"));
	field("access log", log_bp ? statement_descriptor_sha256(log_bp) : "none");
	{
		/* A mount that did not end clean makes the record incomplete:
		 * say so before the lists. */
		json_t *mounts = json_get_array(json_get_object(log_bp, "annotations"), "mounts");
		size_t i;
		json_t *m;

		json_array_foreach(mounts, i, m) {
			const char *st = json_get_string(m, "status");

			if (st && strcmp(st, "clean")) {
				printf("warning: mount '");
				put_safe(json_get_string(m, "label") ? json_get_string(m, "label") : "?");
				printf("' ended '");
				put_safe(st);
				printf("'%s\n", !strcmp(st, "unfinished")
					? ": its log was never closed (the daemon died, or the log's disk was "
					  "full), and may lack its last accesses" : "");
			}
		}
	}
	print_environment(deps);
	print_packages(deps);
	print_files("inputs", deps, 1, all);
	print_files("outputs", json_get_array(stmt, "subject"), 0, all);
	print_process_tree(byp, all);
	if (json_array_size(missing)) {
		size_t i;
		json_t *m;

		printf("missing paths looked up (%zu)\n", json_array_size(missing));
		json_array_foreach(missing, i, m) {
			if (!all && i == SHOW_LIST_LIMIT) {
				printf("  ... %zu more (use --all)\n", json_array_size(missing) - i);
				break;
			}
			printf("  ");
			put_safe(json_is_string(m) ? json_string_value(m) : "?");
			putchar('\n');
		}
	}
}

struct show_cli {
	struct sign_key **keys;
	size_t n_keys;
	char *text;
	struct dsse_envelope env;
	json_t *stmt;
	struct verify_report report;
	int have_report;
};

static int show_json(const char *manifest, struct show_cli *s)
{
	json_t *o = json_object(), *sigs = json_array();

	for (size_t i = 0; i < s->env.n_sigs; i++)
		json_array_append_new(sigs, json_pack("{ss}", "keyid", s->env.sigs[i].keyid));
	json_set_text(o, "manifest", manifest);
	json_object_set_new(o, "signatures", sigs);
	json_object_set_new(o, "verified", s->have_report ? json_boolean(s->report.verified) : json_null());
	json_object_set(o, "statement", s->stmt);
	cli_print_json_line(o);
	json_decref(o);
	return s->have_report && !s->report.verified ? CLI_FAILED : CLI_OK;
}

static int show_run(int argc, char **argv, struct show_cli *s)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "all", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "max-size", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int json = 0, all = 0, c, ret;
	const char *manifest;
	char err[256];
	size_t len;

	while ((c = getopt_long(argc, argv, "k:ah", opts, NULL)) != -1) {
		struct sign_key **grown;

		switch (c) {
		case 'k':
			grown = realloc(s->keys, (s->n_keys + 1) * sizeof(*grown));
			if (!grown)
				return cli_fail(CLI_USAGE, "out of memory");
			s->keys = grown;
			ret = sign_key_load_public(optarg, &s->keys[s->n_keys]);
			if (ret)
				return cli_fail(CLI_USAGE, "cannot use public key '%s': %s", optarg,
						sign_public_key_error(ret));
			s->n_keys++;
			break;
		case 'a':
			all = 1;
			break;
		case 'j':
			json = 1;
			cli_json_mode();
			break;
		case 'M':
			if (cli_max_size("show", optarg))
				return CLI_USAGE;
			break;
		case 'h':
			show_usage(stdout);
			return CLI_OK;
		default:
			return cli_bad_option("show");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("show", "give exactly one MANIFEST");
	manifest = argv[optind];
	ret = file_read_all(manifest, dsse_max_envelope(), &s->text, &len);
	if (ret == -EFBIG)
		return cli_fail(CLI_FAILED, "manifest '%s' is " CLI_MAX_SIZE_HINT, manifest,
				dsse_max_envelope() >> 20);
	if (ret)
		return cli_fail(CLI_USAGE, "cannot read manifest '%s': %s", manifest, strerror(-ret));
	ret = dsse_parse(s->text, len, &s->env, err, sizeof(err));
	if (ret)
		return cli_fail(CLI_FAILED, "'%s' is not a valid manifest: %s", manifest, err);
	if (strcmp(s->env.payload_type, DSSE_PAYLOAD_TYPE_INTOTO))
		return cli_fail(CLI_FAILED, "'%s' is not a provfs manifest: payloadType is not '%s'",
				manifest, DSSE_PAYLOAD_TYPE_INTOTO);
	ret = json_parse_bounded((const char *)s->env.payload, s->env.payload_len,
				 dsse_max_envelope(), DSSE_MAX_DEPTH, &s->stmt, err, sizeof(err));
	if (!ret)
		ret = statement_check_shape(s->stmt, err, sizeof(err));
	if (ret)
		return cli_fail(CLI_FAILED, "'%s' is not a valid manifest: %s", manifest, err);
	if (s->n_keys) {
		struct verify_options opt = { .keys = s->keys, .n_keys = s->n_keys, .threshold = 1 };

		ret = verify_manifest(s->text, len, &opt, &s->report);
		if (ret)
			return cli_fail(CLI_USAGE, "cannot check signatures: %s", strerror(-ret));
		s->have_report = 1;
	}
	if (json)
		return show_json(manifest, s);
	field("manifest", manifest);
	for (size_t i = 0; i < s->env.n_sigs; i++)
		field(i ? "" : "signatures", s->env.sigs[i].keyid[0] ? s->env.sigs[i].keyid : "(no keyid)");
	if (!s->have_report)
		printf("%-14s UNVERIFIED (give --key PUB to check the signatures)\n", "signature");
	else if (s->report.verified)
		printf("%-14s verified by %s\n", "signature", s->report.signer_keyids[0]);
	else
		for (size_t i = 0; i < s->report.n_problems; i++) {
			printf("%-14s NOT VERIFIED: ", "signature");
			put_safe(s->report.problems[i]);
			putchar('\n');
		}
	print_statement(s->stmt, all);
	return s->have_report && !s->report.verified ? CLI_FAILED : CLI_OK;
}

int cmd_show(int argc, char **argv)
{
	struct show_cli s = { 0 };
	int ret = show_run(argc, argv, &s);

	for (size_t i = 0; i < s.n_keys; i++)
		sign_key_free(s.keys[i]);
	free(s.keys);
	free(s.text);
	dsse_envelope_free(&s.env);
	json_decref(s.stmt);
	if (s.have_report)
		verify_report_free(&s.report);
	return ret;
}

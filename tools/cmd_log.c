/* provfs log: what an access log shows. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "cli.h"
#include "json.h"
#include "manifest.h"
#include "procinfo.h"
#include "util.h"

static const char log_usage[] =
	"usage: provfs log [--json] [--all] LOGFILE\n"
	"\n"
	"Summarise a provfs access log: the mounts it covers, the inputs (files\n"
	"read before the build wrote them, with the digest read), the outputs\n"
	"(files written and still present, with their final digest), probes of\n"
	"paths that did not exist, copies into the store that failed (with the\n"
	"reason), and the processes seen.\n"
	"\n"
	"options:\n"
	"  --json     machine-readable output\n"
	"  --all      list every probe and process (the text form shortens long lists)\n"
	"  -h, --help show this help\n";

/* Appends o to arr, consuming it; -1 if o is NULL or on ENOMEM. */
static int add(json_t *arr, json_t *o)
{
	return o ? json_array_append_new(arr, o) : -1;
}

/* Names from the log (paths, programs, directories) are set with
 * json_set_text: one that is not UTF-8 is percent-encoded and listed in
 * the object's "percentEncoded", rather than dropped. */
static json_t *files_json(const struct alog_file *f, size_t n, int with_digest)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		json_t *o = json_with_texts(json_pack("{s:I}", "process", (json_int_t)f[i].process),
					    "mount", f[i].mount, "path", f[i].path, NULL);

		if (o && with_digest) {
			if (f[i].digest[0])
				json_object_set_new(o, "sha256", json_string(f[i].digest));
			if (f[i].size >= 0)
				json_object_set_new(o, "size", json_integer(f[i].size));
			if (f[i].exec)
				json_object_set_new(o, "exec", json_true());
		}
		if (add(arr, o)) {
			json_decref(arr);
			arr = NULL;
		}
	}
	return arr;
}

static json_t *mounts_json(const struct alog_summary *s)
{
	json_t *mounts = json_array();

	for (size_t i = 0; mounts && i < s->n_mounts; i++) {
		const struct alog_mount_row *m = &s->mounts[i];
		json_t *o = json_pack("{s:I, s:b, s:I, s:I, s:I, s:s}", "id", (json_int_t)m->id,
			"readonly", m->readonly, "started_ns", (json_int_t)m->started_ns,
			"finished_ns", (json_int_t)m->finished_ns,
			"capture_errors", (json_int_t)m->capture_errors,
			"status", m->status ? m->status : "");

		o = json_with_texts(o, "label", m->label, "backing", m->backing, "mountpoint",
				    m->mountpoint, NULL);
		if (add(mounts, o)) {
			json_decref(mounts);
			mounts = NULL;
		}
	}
	return mounts;
}

static json_t *procs_json(const struct alog_summary *s)
{
	json_t *procs = json_array();

	for (size_t i = 0; procs && i < s->n_procs; i++) {
		const struct alog_proc_row *p = &s->procs[i];
		json_t *argv = p->argv_json ? json_loads(p->argv_json, 0, NULL) : NULL, *enc = NULL;
		int cut = procinfo_argv_cut(argv);
		json_t *o;

		if (json_argv_texts(argv, &enc, "/argv")) { /* unread, or not as logged */
			json_decref(argv);
			json_decref(enc);
			argv = enc = NULL;
			cut = 0;
		}
		o = json_pack("{s:I, s:i, s:i, s:o, s:b, s:I, s:I, s:I}", "id", (json_int_t)p->id,
			"pid", (int)p->pid, "ppid", (int)p->ppid, "argv", argv ? argv : json_array(),
			"argv_truncated", cut, "start_ns", (json_int_t)p->start_ns, "image",
			(json_int_t)p->image, "accesses", (json_int_t)p->accesses);
		if (json_put_encoded(!o, o, enc)) {
			json_decref(o);
			o = NULL;
		}

		o = json_with_texts(o, "exe", p->exe, "cwd", p->cwd, "mount", p->mount, NULL);
		if (add(procs, o)) {
			json_decref(procs);
			procs = NULL;
		}
	}
	return procs;
}

static json_t *failed_json(const struct alog_summary *s)
{
	json_t *failed = files_json(s->failed_captures, s->n_failed_captures, 0), *o;
	size_t i;

	json_array_foreach(failed, i, o) {
		int err = s->failed_captures[i].error;

		if (json_object_set_new(o, "errno", json_integer(err)) ||
		    json_object_set_new(o, "error", json_string(strerror(err)))) {
			json_decref(failed);
			return NULL;
		}
	}
	return failed;
}

static int print_json(const char *path, const struct alog_summary *s)
{
	json_t *root = json_pack("{s:o*, s:o*, s:o*, s:o*, s:o*, s:o*, s:I}",
		"mounts", mounts_json(s), "inputs", files_json(s->inputs, s->n_inputs, 1),
		"outputs", files_json(s->outputs, s->n_outputs, 1),
		"probes", files_json(s->probes, s->n_probes, 0), "failed_captures", failed_json(s),
		"processes", procs_json(s), "accesses", (json_int_t)s->n_accesses);

	/* A part that failed (ENOMEM) is left out by o*: check they all came. */
	if (root && json_object_size(root) != 7) {
		json_decref(root);
		root = NULL;
	}
	return cli_print_json(json_with_texts(root, "log", path, NULL));
}

/* s with terminal control bytes escaped (\xNN): the build chose its file
 * names, and a name with an escape sequence or a newline must not act on
 * the auditor's terminal or forge a line.  Valid until 8 more calls. */
static const char *safe(const char *s)
{
	static char *ring[8];
	static unsigned next;
	char *p = manifest_printable(s ? s : "");

	free(ring[next % 8]);
	ring[next++ % 8] = p;
	return p ? p : "?";
}

static void print_files(const char *title, const struct alog_file *f, size_t n, int digest,
			size_t limit)
{
	printf("\n%s (%zu):\n", title, n);
	for (size_t i = 0; i < n && i < limit; i++) {
		if (digest)
			printf("  %-64s %10lld  %s:%s%s\n", f[i].digest[0] ? f[i].digest : "(unknown)",
			       (long long)f[i].size, safe(f[i].mount), safe(f[i].path),
			       f[i].exec ? "  [exec]" : "");
		else
			printf("  %s:%s\n", safe(f[i].mount), safe(f[i].path));
	}
	if (n > limit)
		printf("  ... and %zu more (use --all)\n", n - limit);
}

static void print_text(const char *path, const struct alog_summary *s, int all)
{
	size_t limit = all ? (size_t)-1 : 50;

	printf("access log %s: %lld accesses\n", path, (long long)s->n_accesses);
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct alog_mount_row *m = &s->mounts[i];
		char started[32] = "?";

		if (m->started_ns)
			time_format_rfc3339(m->started_ns, started, sizeof(started));
		printf("mount %s: %s on %s%s, started %s, %s%s", safe(m->label), safe(m->backing),
		       safe(m->mountpoint), m->readonly ? " (read-only)" : "", started,
		       m->finished_ns ? "status " : "not closed (still mounted, its daemon killed, or its log's disk full)",
		       m->finished_ns ? safe(m->status) : "");
		if (m->capture_errors)
			printf(", %lld capture errors", (long long)m->capture_errors);
		putchar('\n');
	}
	print_files("inputs", s->inputs, s->n_inputs, 1, (size_t)-1);
	print_files("outputs", s->outputs, s->n_outputs, 1, (size_t)-1);
	print_files("probes of missing paths", s->probes, s->n_probes, 0, limit);
	if (s->n_failed_captures) {
		printf("\ncopies into the store that failed (%zu):\n", s->n_failed_captures);
		for (size_t i = 0; i < s->n_failed_captures; i++)
			printf("  %s:%s: %s\n", safe(s->failed_captures[i].mount),
			       safe(s->failed_captures[i].path), strerror(s->failed_captures[i].error));
	}
	printf("\nprocesses (%zu):\n", s->n_procs);
	for (size_t i = 0; i < s->n_procs && i < limit; i++) {
		const struct alog_proc_row *p = &s->procs[i];

		printf("  %7d %7d %6lld  %s  %s\n", (int)p->pid, (int)p->ppid,
		       (long long)p->accesses, p->exe[0] ? safe(p->exe) : "(exited)",
		       safe(p->argv_json));
	}
	if (s->n_procs > limit)
		printf("  ... and %zu more (use --all)\n", s->n_procs - limit);
}

int cmd_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"all", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct alog_summary sum;
	int c, json = 0, all = 0, ret;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; cli_json_mode(); break;
		case 'a': all = 1; break;
		case 'h': fputs(log_usage, stdout); return CLI_OK;
		default: return cli_bad_option("log");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("log", "expected one LOGFILE");
	ret = alog_summary_load(argv[optind], &sum);
	if (ret == -EBADMSG || ret == -EIO)
		return cli_fail(CLI_USAGE, "'%s' %s", argv[optind], alog_load_error(ret));
	if (ret < 0)
		return cli_fail(CLI_USAGE, "cannot read access log '%s': %s", argv[optind],
				strerror(-ret));
	if (json)
		ret = print_json(argv[optind], &sum);
	else
		print_text(argv[optind], &sum, all);
	alog_summary_free(&sum);
	return json ? ret : CLI_OK;
}

/* Unit tests for provenance/statement: built from a real access log. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "accesslog.h"
#include "json.h"
#include "statement.h"

#define D1 "1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "3333333333333333333333333333333333333333333333333333333333333333"

static char logpath[] = "/tmp/test_statement.XXXXXX";
static struct alog_summary sum;

static void acc(struct alog *log, int64_t proc, const char *op, const char *path, int flags,
		const char *digest, int64_t t)
{
	struct alog_access a = { .time_ns = t, .process = proc, .op = op, .path = path,
				 .flags = flags, .size = -1, .digest_after = digest };

	alog_access(log, &a);
}

/* Makes path (a mkstemp template) a name no file has yet; 0 or -1. */
static int fresh_log_path(char *path)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	close(fd);
	return unlink(path);
}

/* A new process record of log, filled from pr; its id. */
static int64_t logged_process(struct alog *log, const struct alog_process *pr)
{
	int64_t h = alog_process_id(log);

	alog_process(log, h, pr);
	return h;
}

static int setup(void **state)
{
	struct alog_mount_info mi = { "workspace", "/backing", "/mnt", 0 };
	struct alog_process p = { .pid = 10, .ppid = 1, .exe = "/usr/bin/make",
				  .argv_json = "[\"make\",\"all\"]", .cwd = "/mnt", .start_ns = 5 };
	struct alog *log;
	int64_t h;

	(void)state;
	if (fresh_log_path(logpath) < 0 || alog_open(logpath, &mi, &log))
		return -1;
	h = logged_process(log, &p);
	acc(log, h, ALOG_OP_OPEN, "/src/b.c", O_RDONLY, D1, 100);
	acc(log, h, ALOG_OP_OPEN, "/src/a.c", O_RDONLY, D2, 101);
	acc(log, h, ALOG_OP_PROBE, "/config.h", 0, NULL, 102);
	acc(log, h, ALOG_OP_CREATE, "/out/prog", O_WRONLY | O_CREAT, NULL, 103);
	acc(log, h, ALOG_OP_CLOSE_WRITE, "/out/prog", 0, D3, 104);
	if (alog_close(log, "clean"))
		return -1;
	return alog_summary_load(logpath, &sum);
}

static int teardown(void **state)
{
	(void)state;
	alog_summary_free(&sum);
	unlink(logpath);
	return 0;
}

static void fill_params(struct statement_params *p, const struct envfacts *facts)
{
	static const char *const env[] = { "HOME=/root", "API_TOKEN=hunter2", "my_key=k",
					   "PATH=/bin" };

	memset(p, 0, sizeof(*p));
	p->summary = &sum;
	p->environment = env;
	p->n_environment = 4;
	p->env_root = "/";
	p->facts = facts;
	p->log_digest = D1;
	p->has_exit_status = 1;
	p->exit_status = 3;
}

/* The statement of the log at path, whose summary (into *sm, which the
 * caller frees) has n_procs process records; checked for shape. */
static json_t *statement_of_log(const char *path, struct alog_summary *sm, size_t n_procs)
{
	struct statement_params p;
	json_t *st = NULL;

	assert_int_equal(alog_summary_load(path, sm), 0);
	assert_int_equal(sm->n_procs, n_procs);
	fill_params(&p, NULL);
	p.summary = sm;
	assert_int_equal(statement_build(&p, &st, NULL), 0);
	assert_int_equal(statement_check_shape(st, NULL, 0), 0);
	return st;
}

/* item's "mounts" are a, then b. */
static void assert_two_mounts(json_t *item, const char *a, const char *b)
{
	json_t *mounts = json_get_array(item, "mounts");

	assert_int_equal(json_array_size(mounts), 2);
	assert_string_equal(json_string_value(json_array_get(mounts, 0)), a);
	assert_string_equal(json_string_value(json_array_get(mounts, 1)), b);
}

static void builds_expected_statement(void **state)
{
	struct envfacts facts = { 0 };
	struct statement_params p;
	json_t *st, *pred, *deps, *env, *cmd;
	size_t skipped = 9;

	(void)state;
	envfacts_parse_os_release("ID=debian\nVERSION_ID=12\n", &facts);
	envfacts_parse_dpkg_status("Package: libc6\nStatus: install ok installed\n"
				   "Version: 2.36-9+deb12u1\nArchitecture: amd64\n", &facts);
	facts.kernel = strdup("Linux 6.1");
	fill_params(&p, &facts);
	assert_int_equal(statement_build(&p, &st, &skipped), 0);
	assert_int_equal(skipped, 0);
	assert_int_equal(statement_check_shape(st, NULL, 0), 0);
	assert_string_equal(json_get_string(st, "_type"), STATEMENT_TYPE);
	assert_int_equal(json_array_size(json_object_get(st, "subject")), 1);
	assert_string_equal(json_get_string(json_array_get(json_object_get(st, "subject"), 0), "name"),
			    "out/prog");
	assert_string_equal(statement_descriptor_sha256(json_array_get(json_object_get(st, "subject"), 0)), D3);
	pred = json_object_get(st, "predicate");
	cmd = json_object_get(json_object_get(json_object_get(pred, "buildDefinition"),
					      "externalParameters"), "command");
	assert_string_equal(json_string_value(json_array_get(cmd, 1)), "all");
	env = json_object_get(json_object_get(json_object_get(pred, "buildDefinition"),
					      "internalParameters"), "environment");
	assert_string_equal(json_get_string(env, "API_TOKEN"), STATEMENT_MASK);
	assert_string_equal(json_get_string(env, "my_key"), STATEMENT_MASK);
	assert_string_equal(json_get_string(env, "HOME"), "/root");
	deps = json_object_get(json_object_get(pred, "buildDefinition"), "resolvedDependencies");
	/* environment, one package, two inputs sorted by path */
	assert_int_equal(json_array_size(deps), 4);
	assert_string_equal(json_get_string(json_array_get(deps, 1), "uri"),
			    "pkg:deb/debian/libc6@2.36-9%2Bdeb12u1?arch=amd64");
	assert_string_equal(json_get_string(json_array_get(deps, 2), "name"), "src/a.c");
	assert_string_equal(statement_descriptor_sha256(json_array_get(deps, 2)), D2);
	assert_string_equal(json_get_string(json_array_get(deps, 3), "name"), "src/b.c");
	json_decref(st);
	envfacts_free(&facts);
}

static void same_facts_give_same_bytes(void **state)
{
	struct statement_params p;
	json_t *a, *b;
	char *ta, *tb;

	(void)state;
	fill_params(&p, NULL);
	assert_int_equal(statement_build(&p, &a, NULL), 0);
	assert_int_equal(statement_build(&p, &b, NULL), 0);
	assert_int_equal(json_dump_deterministic(a, &ta, NULL), 0);
	assert_int_equal(json_dump_deterministic(b, &tb, NULL), 0);
	assert_string_equal(ta, tb);
	assert_null(strchr(ta, '\n'));
	free(ta);
	free(tb);
	json_decref(a);
	json_decref(b);
}

static void refuses_bad_log_digest(void **state)
{
	struct statement_params p;
	json_t *st;

	(void)state;
	fill_params(&p, NULL);
	p.log_digest = "xyz";
	assert_int_equal(statement_build(&p, &st, NULL), -EINVAL);
}

static void secret_names(void **state)
{
	(void)state;
	assert_true(statement_name_is_secret("GITHUB_TOKEN"));
	assert_true(statement_name_is_secret("db_password"));
	assert_true(statement_name_is_secret("AWS_SECRET_ACCESS_KEY"));
	assert_true(statement_name_is_secret("GOOGLE_APPLICATION_CREDENTIALS"));
	assert_true(statement_name_is_secret("NPM_CONFIG__AUTH"));
	assert_true(statement_name_is_secret("MYSQL_PASSWD"));
	assert_false(statement_name_is_secret("GIT_AUTHOR_DATE"));
	assert_true(statement_name_is_secret("GIT_AUTHOR_TOKEN"));
	assert_false(statement_name_is_secret("PATH"));
	assert_false(statement_name_is_secret("HOME"));
}

static void url_secrets_masked(void **state)
{
	static const char *const cases[][2] = {
		{"http://user:s3cr3t@proxy:3128", "http://user:***@proxy:3128"},
		{"postgres://u:pw@db/x?y=1", "postgres://u:***@db/x?y=1"},
		{"https://ghp_abc@github.com/o/r.git", "https://***@github.com/o/r.git"},
		{"a http://x:y@h b https://h/p@q", "a http://x:***@h b https://h/p@q"},
		{"http://proxy:3128", "http://proxy:3128"},
		{"user@host:path", "user@host:path"},
		{"://@", "://@"},
		{"", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *m = statement_mask_url_secrets(cases[i][0]);

		assert_non_null(m);
		assert_string_equal(m, cases[i][1]);
		free(m);
	}
}

static void shape_rejects_wrong_types(void **state)
{
	struct statement_params p;
	char err[128];
	json_t *st;

	(void)state;
	fill_params(&p, NULL);
	assert_int_equal(statement_build(&p, &st, NULL), 0);
	json_object_set_new(st, "_type", json_string("https://in-toto.io/Statement/v0.1"));
	assert_int_equal(statement_check_shape(st, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "_type"));
	json_object_set_new(st, "_type", json_string(STATEMENT_TYPE));
	json_object_set_new(st, "predicateType", json_string("https://slsa.dev/provenance/v0.2"));
	assert_int_equal(statement_check_shape(st, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "predicateType"));
	json_object_set_new(st, "predicateType", json_string(STATEMENT_PREDICATE_SLSA));
	json_object_set_new(json_array_get(json_object_get(st, "subject"), 0), "digest",
			    json_pack("{ss}", "sha256", "ABC"));
	assert_int_equal(statement_check_shape(st, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "subject 0"));
	/* every value of a DigestSet is a digest, a string */
	json_object_set_new(json_array_get(json_object_get(st, "subject"), 0), "digest",
			    json_pack("{sssi}", "sha256", D3, "sha512", 5));
	assert_int_equal(statement_check_shape(st, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "subject 0 has a digest that is not a string"));
	json_object_set_new(json_array_get(json_object_get(st, "subject"), 0), "digest",
			    json_pack("{sssn}", "sha256", D3, "gitBlob"));
	assert_int_equal(statement_check_shape(st, err, sizeof(err)), -EBADMSG);
	json_object_set_new(json_array_get(json_object_get(st, "subject"), 0), "digest",
			    json_pack("{ssss}", "sha256", D3, "sha512", ""));
	assert_int_equal(statement_check_shape(st, err, sizeof(err)), -EBADMSG);
	json_object_set_new(json_array_get(json_object_get(st, "subject"), 0), "digest",
			    json_pack("{ssss}", "sha256", D3, "sha512", "ab"));
	assert_int_equal(statement_check_shape(st, err, sizeof(err)), 0);
	json_decref(st);
}

/* Pointer strings of the "percentEncoded" array of obj, joined by ' '. */
static void encoded_list(json_t *obj, char *out, size_t len)
{
	json_t *enc = json_object_get(obj, "percentEncoded"), *v;
	size_t i;

	out[0] = '\0';
	json_array_foreach(enc, i, v) {
		if (i)
			strncat(out, " ", len - strlen(out) - 1);
		strncat(out, json_string_value(v), len - strlen(out) - 1);
	}
}

/* A build in a directory, or with an argument or variable, that is not
 * UTF-8 (a Latin-1 checkout, a byte in a -D flag) still gets a manifest:
 * such text is percent-encoded and its place listed, as names are. */
static void non_utf8_text_is_percent_encoded_and_noted(void **state)
{
	static const char *const cmd[] = { "cc", "-DX=\xff%" };
	static const char *const env[] = { "LANG=C", "X=\xfe", "Y\xff=1", "A~/B=\xe9",
					   "PASSWORD\xff=s" };
	static const char *const slave[] = { "home=/h\xe9" };
	struct alog_mount_info mi = { "w\xe9", "/b\xe9", "/mnt", 1 };
	struct alog_process pr = { .pid = 10, .ppid = 1, .exe = "/opt/caf\xe9/cc",
				   .argv_json = "[\"cc\"]", .cwd = "/src/\xff", .start_ns = 5 };
	char path[] = "/tmp/test_statement_u8.XXXXXX", list[256], *text;
	struct alog_summary s8;
	struct statement_params p;
	struct alog *log;
	json_t *st, *def, *ext, *in, *bp, *proc, *mnt, *probes;
	int64_t h;

	(void)state;
	assert_int_equal(fresh_log_path(path), 0);
	assert_int_equal(alog_open(path, &mi, &log), 0);
	h = logged_process(log, &pr);
	acc(log, h, ALOG_OP_PROBE, "/usr/include/caf\xe9.h", 0, NULL, 100);
	assert_int_equal(alog_close(log, "clean"), 0);
	assert_int_equal(alog_summary_load(path, &s8), 0);

	fill_params(&p, NULL);
	p.summary = &s8;
	p.command = cmd;
	p.n_command = 2;
	p.cwd = "/src/caf\xe9";
	p.environment = env;
	p.n_environment = 5;
	p.slave = slave;
	p.n_slave = 1;
	p.builder_id = "https://b/\xff";
	assert_int_equal(statement_build(&p, &st, NULL), 0);
	assert_int_equal(statement_check_shape(st, NULL, 0), 0);
	assert_int_equal(json_dump_deterministic(st, &text, NULL), 0);
	free(text);

	def = json_object_get(json_object_get(st, "predicate"), "buildDefinition");
	ext = json_object_get(def, "externalParameters");
	assert_string_equal(json_string_value(json_array_get(json_object_get(ext, "command"), 0)),
			    "cc");
	assert_string_equal(json_string_value(json_array_get(json_object_get(ext, "command"), 1)),
			    "-DX=%FF%25");
	assert_string_equal(json_get_string(ext, "workingDirectory"), "/src/caf%E9");
	encoded_list(ext, list, sizeof(list));
	assert_string_equal(list, "/command/1 /workingDirectory");

	in = json_object_get(def, "internalParameters");
	assert_string_equal(json_get_string(json_object_get(in, "environment"), "LANG"), "C");
	assert_string_equal(json_get_string(json_object_get(in, "environment"), "X"), "%FE");
	assert_string_equal(json_get_string(json_object_get(in, "environment"), "Y%FF"), "1");
	assert_string_equal(json_get_string(json_object_get(in, "environment"), "A~/B"), "%E9");
	/* A secret's value stays masked whatever its name's bytes. */
	assert_string_equal(json_get_string(json_object_get(in, "environment"), "PASSWORD%FF"),
			    STATEMENT_MASK);
	assert_string_equal(json_get_string(json_object_get(in, "slave"), "home"), "/h%E9");
	encoded_list(in, list, sizeof(list));
	assert_string_equal(list, "/environment/X /environment/Y%FF /environment/A~0~1B "
				  "/environment/PASSWORD%FF /slave/home");
	bp = json_object_get(json_object_get(st, "predicate"), "runDetails");
	assert_string_equal(json_get_string(json_object_get(bp, "builder"), "id"), "https://b/%FF");

	bp = json_object_get(bp, "byproducts");
	mnt = json_array_get(json_object_get(json_object_get(json_array_get(bp, 0), "annotations"),
					     "mounts"), 0);
	assert_string_equal(json_get_string(mnt, "label"), "w%E9");
	assert_string_equal(json_get_string(mnt, "backing"), "/b%E9");
	encoded_list(mnt, list, sizeof(list));
	assert_string_equal(list, "/label /backing");
	proc = json_array_get(json_object_get(json_object_get(json_array_get(bp, 1), "annotations"),
					      "processes"), 0);
	assert_string_equal(json_get_string(proc, "exe"), "/opt/caf%E9/cc");
	assert_string_equal(json_get_string(proc, "cwd"), "/src/%FF");
	encoded_list(proc, list, sizeof(list));
	assert_string_equal(list, "/exe /cwd /mounts/0");
	probes = json_object_get(json_array_get(bp, 2), "annotations");
	assert_string_equal(json_string_value(json_array_get(json_object_get(probes, "paths"), 0)),
			    "/usr/include/caf%E9.h");
	encoded_list(probes, list, sizeof(list));
	assert_string_equal(list, "/paths/0");
	json_decref(st);
	alog_summary_free(&s8);
	unlink(path);
}

/* Without --command, the command is the argv of the process that started
 * first, whichever mount logged it and whatever its id (the daemons open
 * the log in any order, and a mount the build never used may have logged
 * only a later process, as provfs umount's look at it); a record /proc
 * could not fill does not count. */
static void command_is_the_first_started_process(void **state)
{
	struct alog_mount_info a = { "tmp", "/t", "/mnt/t", 0 }, b = { "root", "/", "/mnt/r", 1 };
	struct alog_process later = { .pid = 30, .ppid = 1, .exe = "/usr/bin/provfs",
				      .argv_json = "[\"provfs\",\"umount\"]", .cwd = "/",
				      .start_ns = 200 };
	struct alog_process gone = { .pid = 31, .ppid = 1, .exe = "/usr/bin/true", .start_ns = 0 };
	struct alog_process run = { .pid = 20, .ppid = 1, .exe = "/usr/bin/provfs",
				    .argv_json = "[\"provfs\",\"run\",\"--\",\"make\"]",
				    .cwd = "/w", .start_ns = 100 };
	char path[] = "/tmp/test_statement_first.XXXXXX";
	struct alog_summary s2;
	struct alog *log;
	json_t *st, *ext, *cmd;
	int64_t h;

	(void)state;
	assert_int_equal(fresh_log_path(path), 0);
	assert_int_equal(alog_open(path, &a, &log), 0);
	h = logged_process(log, &later);
	acc(log, h, ALOG_OP_STAT, "/", 0, NULL, 300);
	h = logged_process(log, &gone);
	acc(log, h, ALOG_OP_STAT, "/x", 0, NULL, 310);
	assert_int_equal(alog_close(log, "clean"), 0);
	assert_int_equal(alog_open(path, &b, &log), 0);
	h = logged_process(log, &run);
	acc(log, h, ALOG_OP_OPEN, "/usr/bin/make", O_RDONLY, NULL, 150);
	assert_int_equal(alog_close(log, "clean"), 0);
	st = statement_of_log(path, &s2, 3);
	ext = json_object_get(json_object_get(json_object_get(st, "predicate"), "buildDefinition"),
			      "externalParameters");
	cmd = json_object_get(ext, "command");
	assert_int_equal(json_array_size(cmd), 4);
	assert_string_equal(json_string_value(json_array_get(cmd, 1)), "run");
	assert_string_equal(json_string_value(json_object_get(ext, "workingDirectory")), "/w");
	json_decref(st);
	alog_summary_free(&s2);
	unlink(path);
}

/* The daemons of the root, workspace and tmp mounts each record the
 * processes they see: one process (same pid, start time, program,
 * arguments and directory) is one item of the tree, naming every mount
 * that saw it and the sum of their accesses.  Another exec of the pid,
 * another process that reused it, and records without a start time stay
 * apart. */
static void processes_seen_by_several_mounts_are_one_item(void **state)
{
	struct alog_mount_info root = { "root", "/", "/r", 1 }, ws = { "workspace", "/w", "/m", 0 };
	struct alog_process make = { .pid = 20, .ppid = 1, .exe = "/usr/bin/make",
				     .argv_json = "[\"make\"]", .cwd = "/w", .start_ns = 7 };
	struct alog_process cc = { .pid = 20, .ppid = 1, .exe = "/usr/bin/cc",
				   .argv_json = "[\"cc\"]", .cwd = "/w", .start_ns = 7 };
	struct alog_process reused = { .pid = 20, .ppid = 1, .exe = "/usr/bin/make",
				       .argv_json = "[\"make\"]", .cwd = "/w", .start_ns = 9 };
	struct alog_process gone = { .pid = 21, .ppid = 20, .exe = "/usr/bin/as" };
	char path[] = "/tmp/test_statement_mt.XXXXXX";
	struct alog_summary sm;
	struct alog *log;
	json_t *st, *procs, *item;
	int64_t h;
	int t = 100;

	(void)state;
	assert_int_equal(fresh_log_path(path), 0);
	for (int m = 0; m < 2; m++) {
		assert_int_equal(alog_open(path, m ? &ws : &root, &log), 0);
		h = logged_process(log, &make);
		acc(log, h, ALOG_OP_OPEN, m ? "/Makefile" : "/usr/bin/make", O_RDONLY, D1, t++);
		if (!m) {
			acc(log, h, ALOG_OP_OPEN, "/etc/ld.so.cache", O_RDONLY, D2, t++);
			/* The same process logged twice by one mount. */
			h = logged_process(log, &make);
			acc(log, h, ALOG_OP_OPEN, "/etc/passwd", O_RDONLY, D2, t++);
		}
		h = logged_process(log, m ? &reused : &cc);
		acc(log, h, ALOG_OP_OPEN, m ? "/a.c" : "/usr/bin/cc", O_RDONLY, D3, t++);
		h = logged_process(log, &gone);
		acc(log, h, ALOG_OP_PROBE, "/x", 0, NULL, t++);
		assert_int_equal(alog_close(log, "clean"), 0);
	}
	st = statement_of_log(path, &sm, 7);
	procs = json_object_get(json_object_get(json_array_get(json_object_get(json_object_get(
		json_object_get(st, "predicate"), "runDetails"), "byproducts"), 1), "annotations"),
		"processes");
	/* make (both mounts), cc (root), as twice, the reused pid's make. */
	assert_int_equal(json_array_size(procs), 5);
	item = json_array_get(procs, 0);
	assert_string_equal(json_get_string(item, "exe"), "/usr/bin/make");
	assert_int_equal(json_integer_value(json_object_get(item, "accesses")), 4);
	assert_two_mounts(item, "root", "workspace");
	item = json_array_get(procs, 1);
	assert_string_equal(json_get_string(item, "exe"), "/usr/bin/cc");
	assert_int_equal(json_array_size(json_get_array(item, "mounts")), 1);
	item = json_array_get(procs, 3);
	assert_string_equal(json_get_string(item, "exe"), "/usr/bin/make");
	assert_int_equal(json_array_size(json_get_array(item, "mounts")), 1);
	assert_string_equal(json_string_value(json_array_get(json_get_array(item, "mounts"), 0)),
			    "workspace");
	assert_string_equal(json_get_string(json_array_get(procs, 2), "exe"), "/usr/bin/as");
	assert_string_equal(json_get_string(json_array_get(procs, 4), "exe"), "/usr/bin/as");
	json_decref(st);
	alog_summary_free(&sm);
	unlink(path);
}

/* The process-tree item of the i-th process of statement st. */
static json_t *tree_item(json_t *st, size_t i)
{
	json_t *bp = json_object_get(json_object_get(json_object_get(st, "predicate"), "runDetails"),
				     "byproducts");

	return json_array_get(json_object_get(json_object_get(json_array_get(bp, 1), "annotations"),
					      "processes"), i);
}

/* A record whose daemon read /proc after its short-lived process had
 * gone (no arguments; the start time was read while the process waited on
 * the daemon) joins the full record another mount made of the same pid
 * and start time, even when it comes first in the log: the item is the
 * full record's, naming both mounts.  It stays apart where that is not
 * sure: two images of the pid at that start time (before and after an
 * exec), another program, no start time, another start time.  Nor is
 * such a record ever the command. */
static void gone_records_join_their_process(void **state)
{
	struct alog_mount_info ws = { "workspace", "/w", "/m", 0 }, root = { "root", "/", "/r", 1 };
	struct alog_process gone[] = {
		{ .pid = 29, .ppid = 1, .argv_json = "[]", .start_ns = 10 }, /* earliest */
		{ .pid = 30, .ppid = 2, .cwd = "/w", .start_ns = 50 },      /* rm's */
		{ .pid = 31, .ppid = 2, .exe = "", .argv_json = "[]", .start_ns = 60 },
		{ .pid = 32, .ppid = 2 },                                     /* no start time */
		{ .pid = 33, .ppid = 2, .exe = "/usr/bin/cat", .start_ns = 70 },
		{ .pid = 34, .ppid = 2, .start_ns = 80 },
		/* env run from the workspace, read after it ran /bin/true */
		{ .pid = 35, .ppid = 2, .exe = "env", .start_ns = 90 },
	};
	struct alog_process full[] = {
		{ .pid = 30, .ppid = 2, .exe = "/usr/bin/rm", .argv_json = "[\"rm\",\"-rf\",\"d\"]",
		  .cwd = "/w", .start_ns = 50 },
		{ .pid = 31, .ppid = 2, .exe = "/usr/bin/dash", .argv_json = "[\"sh\",\"t.sh\"]",
		  .cwd = "/w", .start_ns = 60 },
		{ .pid = 31, .ppid = 2, .exe = "/usr/bin/tail", .argv_json = "[\"tail\",\"f\"]",
		  .cwd = "/w", .start_ns = 60 },
		{ .pid = 32, .ppid = 2, .exe = "/usr/bin/echo", .argv_json = "[\"echo\"]",
		  .cwd = "/w", .start_ns = 65 },
		{ .pid = 33, .ppid = 2, .exe = "/usr/bin/tac", .argv_json = "[\"tac\"]",
		  .cwd = "/w", .start_ns = 70 },
		{ .pid = 34, .ppid = 2, .exe = "/usr/bin/tee", .argv_json = "[\"tee\"]",
		  .cwd = "/w", .start_ns = 81 },
		{ .pid = 35, .ppid = 2, .exe = "/w/env", .argv_json = "[\"./env\",\"X=1\",\"/bin/true\"]",
		  .cwd = "/w", .start_ns = 90 },
		{ .pid = 35, .ppid = 2, .exe = "/usr/bin/true", .argv_json = "[\"/bin/true\"]",
		  .cwd = "/w", .start_ns = 90 },
	};
	char path[] = "/tmp/test_statement_gone.XXXXXX";
	struct alog_summary sm;
	struct alog *log;
	json_t *st, *item, *cmd;
	int64_t h, rm_id = 0;
	int t = 100;

	(void)state;
	assert_int_equal(fresh_log_path(path), 0);
	assert_int_equal(alog_open(path, &ws, &log), 0);
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		acc(log, logged_process(log, &gone[i]), ALOG_OP_OPEN, "/f", O_RDONLY, D1, t++);
	assert_int_equal(alog_close(log, "clean"), 0);
	assert_int_equal(alog_open(path, &root, &log), 0);
	for (size_t i = 0; i < sizeof(full) / sizeof(full[0]); i++) {
		h = logged_process(log, &full[i]);
		if (i == 0)
			rm_id = h;
		acc(log, h, ALOG_OP_OPEN, "/usr/lib/x", O_RDONLY, D2, t++);
		acc(log, h, ALOG_OP_OPEN, "/usr/lib/y", O_RDONLY, D2, t++);
	}
	assert_int_equal(alog_close(log, "clean"), 0);
	st = statement_of_log(path, &sm, 15);

	/* 29 alone; rm's gone record first, in rm's item; 31, 32, 33, 34
	 * gone records apart; 35's in env's item (its program tells env's
	 * from true's); then 31 (two), 32, 33, 34 full, and true. */
	assert_null(tree_item(st, 13));
	assert_non_null(tree_item(st, 12));
	item = tree_item(st, 1);
	assert_int_equal(json_integer_value(json_object_get(item, "pid")), 30);
	assert_true(json_integer_value(json_object_get(item, "id")) == rm_id);
	assert_string_equal(json_get_string(item, "exe"), "/usr/bin/rm");
	assert_int_equal(json_array_size(json_get_array(item, "argv")), 3);
	assert_int_equal(json_integer_value(json_object_get(item, "accesses")), 3);
	assert_two_mounts(item, "workspace", "root");
	for (size_t i = 2; i < 6; i++) {
		item = tree_item(st, i);
		assert_int_equal(json_integer_value(json_object_get(item, "pid")), 29 + (int)i);
		assert_int_equal(json_array_size(json_get_array(item, "argv")), 0);
		assert_int_equal(json_array_size(json_get_array(item, "mounts")), 1);
	}
	item = tree_item(st, 6);
	assert_int_equal(json_integer_value(json_object_get(item, "pid")), 35);
	assert_string_equal(json_get_string(item, "exe"), "/w/env");
	assert_int_equal(json_array_size(json_get_array(item, "argv")), 3);
	assert_int_equal(json_integer_value(json_object_get(item, "accesses")), 3);
	assert_two_mounts(item, "workspace", "root");
	item = tree_item(st, 12);
	assert_int_equal(json_integer_value(json_object_get(item, "pid")), 35);
	assert_string_equal(json_get_string(item, "exe"), "/usr/bin/true");
	assert_int_equal(json_array_size(json_get_array(item, "mounts")), 1);
	/* The command: rm, the first started of the processes with arguments. */
	cmd = json_object_get(json_object_get(json_object_get(json_object_get(st, "predicate"),
							      "buildDefinition"),
					      "externalParameters"),
			      "command");
	assert_int_equal(json_array_size(cmd), 3);
	assert_string_equal(json_string_value(json_array_get(cmd, 0)), "rm");
	json_decref(st);
	alog_summary_free(&sm);
	unlink(path);
}

/* bash running bash as its last command: one pid and start time, two
 * images of one program.  A gone record that names bash joins the image
 * that began last before its first access (the times of the requests
 * tell the images apart); one older than both stays apart. */
static void gone_record_joins_the_image_of_its_time(void **state)
{
	struct alog_mount_info ws = { "workspace", "/w", "/m", 0 }, root = { "root", "/", "/r", 1 };
	char path[] = "/tmp/test_statement_images.XXXXXX";
	struct alog_summary sm;
	struct alog *log;
	json_t *st, *item;

	(void)state;
	assert_int_equal(fresh_log_path(path), 0);
	assert_int_equal(alog_open(path, &root, &log), 0);
	for (int pid = 40; pid < 43; pid++) {
		struct alog_process outer = { .pid = pid, .ppid = 2, .exe = "/usr/bin/bash",
					      .argv_json = "[\"bash\",\"-c\",\"a; bash -c b\"]",
					      .cwd = "/m", .start_ns = pid * 10 };
		struct alog_process inner = outer;
		int64_t h;

		inner.argv_json = "[\"bash\",\"-c\",\"b\"]";
		h = logged_process(log, &outer);
		acc(log, h, ALOG_OP_OPEN, "/usr/lib/x", O_RDONLY, D2, 1000);
		acc(log, h, ALOG_OP_OPEN, "/usr/lib/y", O_RDONLY, D2, 1001);
		h = logged_process(log, &inner);
		acc(log, h, ALOG_OP_OPEN, "/usr/lib/x", O_RDONLY, D2, 2000);
		acc(log, h, ALOG_OP_OPEN, "/usr/lib/y", O_RDONLY, D2, 2001);
	}
	assert_int_equal(alog_close(log, "clean"), 0);
	assert_int_equal(alog_open(path, &ws, &log), 0);
	for (int pid = 40; pid < 43; pid++) {
		struct alog_process gone = { .pid = pid, .ppid = 2, .exe = "/usr/bin/bash",
					     .start_ns = pid * 10 };
		static const int64_t when[] = { 2500, 1500, 500 };

		acc(log, logged_process(log, &gone), ALOG_OP_OPEN, "/in", O_RDONLY, D1,
		    when[pid - 40]);
	}
	assert_int_equal(alog_close(log, "clean"), 0);
	st = statement_of_log(path, &sm, 9);

	/* 40: the inner image's; 41: the outer's; 42: apart, last */
	for (size_t i = 0; i < 6; i++) {
		int joined = i == 1 || i == 2;

		item = tree_item(st, i);
		assert_int_equal(json_integer_value(json_object_get(item, "pid")), 40 + (int)i / 2);
		assert_int_equal(json_array_size(json_get_array(item, "argv")), 3);
		assert_int_equal(json_integer_value(json_object_get(item, "accesses")), 2 + joined);
		if (joined)
			assert_two_mounts(item, "root", "workspace");
		else
			assert_int_equal(json_array_size(json_get_array(item, "mounts")), 1);
	}
	item = tree_item(st, 6);
	assert_int_equal(json_integer_value(json_object_get(item, "pid")), 42);
	assert_int_equal(json_array_size(json_get_array(item, "argv")), 0);
	assert_null(tree_item(st, 7));
	json_decref(st);
	alog_summary_free(&sm);
	unlink(path);
}

/* Records of one pid, start time and image (procinfo.image) are one
 * item, though one mount read the process after its chdir (`make -C
 * sub`) or after it wrote over its arguments (`mkdir -p a/b` cuts its
 * "a/b"): named by the record with the earliest first access, read at
 * the exec.  Two images of one program with the same arguments (make
 * running itself again after remaking its makefile) are two items; a
 * record with no image (a log of an older provfs) joins a record of the
 * same program, arguments and directory only. */
static void records_of_one_image_are_one_item(void **state)
{
	struct alog_mount_info ws = { "workspace", "/w", "/m", 0 }, root = { "root", "/", "/r", 1 };
	struct alog_process make = { .pid = 50, .ppid = 2, .exe = "/usr/bin/make",
				     .argv_json = "[\"make\",\"-C\",\"sub\"]", .cwd = "/m",
				     .start_ns = 500, .image = 0x7ffd1000 };
	struct alog_process again = make, mkdir_root = { .pid = 51, .ppid = 50,
							 .exe = "/usr/bin/mkdir",
							 .argv_json = "[\"mkdir\",\"-p\",\"a/b\"]",
							 .cwd = "/m", .start_ns = 510,
							 .image = 0x7ffd2000 };
	struct alog_process make_ws = make, mkdir_ws = mkdir_root, old = mkdir_root, env = make;
	char path[] = "/tmp/test_statement_image.XXXXXX";
	struct alog_summary sm;
	struct alog *log;
	json_t *st, *item;

	(void)state;
	again.image = 0x7ffd3000;
	make_ws.cwd = "/m/sub";
	mkdir_ws.argv_json = "[\"mkdir\",\"-p\",\"a\",\"b\"]";
	mkdir_ws.cwd = "/m/a";
	old.image = 0;
	/* without ASLR two programs' arguments may lie at one address */
	env.exe = "/usr/bin/env";
	env.argv_json = "[\"env\"]";
	assert_int_equal(fresh_log_path(path), 0);
	assert_int_equal(alog_open(path, &ws, &log), 0);
	/* logged first, but read later: the workspace's records */
	acc(log, logged_process(log, &make_ws), ALOG_OP_OPEN, "/sub/Makefile", O_RDONLY, D1, 300);
	acc(log, logged_process(log, &mkdir_ws), ALOG_OP_MKDIR, "/a/b", 0, NULL, 400);
	acc(log, logged_process(log, &again), ALOG_OP_OPEN, "/sub/Makefile", O_RDONLY, D1, 600);
	assert_int_equal(alog_close(log, "clean"), 0);
	assert_int_equal(alog_open(path, &root, &log), 0);
	acc(log, logged_process(log, &make), ALOG_OP_EXEC, "/usr/bin/make", 0, D2, 100);
	acc(log, logged_process(log, &mkdir_root), ALOG_OP_EXEC, "/usr/bin/mkdir", 0, D3, 350);
	acc(log, logged_process(log, &old), ALOG_OP_OPEN, "/etc/ld.so.cache", O_RDONLY, D2, 360);
	acc(log, logged_process(log, &env), ALOG_OP_EXEC, "/usr/bin/env", 0, D2, 700);
	assert_int_equal(alog_close(log, "clean"), 0);
	st = statement_of_log(path, &sm, 7);

	item = tree_item(st, 0); /* make, named by the root's record */
	assert_string_equal(json_get_string(item, "cwd"), "/m");
	assert_int_equal(json_integer_value(json_object_get(item, "accesses")), 2);
	assert_two_mounts(item, "workspace", "root");
	item = tree_item(st, 1); /* mkdir, its arguments whole */
	assert_int_equal(json_integer_value(json_object_get(item, "pid")), 51);
	assert_int_equal(json_array_size(json_get_array(item, "argv")), 3);
	assert_string_equal(json_get_string(item, "cwd"), "/m");
	assert_int_equal(json_integer_value(json_object_get(item, "accesses")), 3);
	assert_two_mounts(item, "workspace", "root");
	item = tree_item(st, 2); /* make's second image */
	assert_int_equal(json_integer_value(json_object_get(item, "pid")), 50);
	assert_int_equal(json_integer_value(json_object_get(item, "accesses")), 1);
	assert_int_equal(json_array_size(json_get_array(item, "mounts")), 1);
	item = tree_item(st, 3); /* another program, at the same address */
	assert_string_equal(json_get_string(item, "exe"), "/usr/bin/env");
	assert_int_equal(json_integer_value(json_object_get(item, "accesses")), 1);
	assert_null(tree_item(st, 4));
	json_decref(st);
	alog_summary_free(&sm);
	unlink(path);
}

/* URIs are RFC 3986's: a root, a distribution id and an input of unknown
 * digest with '#', '?', '%' or a space in them are percent-encoded, so
 * that no parser takes part of them for a query or a fragment; an input
 * of the workspace is a relative file URI, not one of the host's root. */
static void uris_are_percent_encoded(void **state)
{
	struct envfacts facts = { 0 };
	struct statement_params p;
	struct alog_mount_info mi = { "workspace", "/ws", "/mnt", 0 };
	struct alog_process pr = { .pid = 10, .ppid = 1, .exe = "/bin/cc", .argv_json = "[\"cc\"]",
				   .cwd = "/mnt", .start_ns = 5 };
	struct alog_summary sm = { 0 };
	char path[] = "/tmp/test_statement_uri.XXXXXX";
	struct alog *log;
	json_t *st, *deps;
	int64_t h;

	(void)state;
	assert_int_equal(fresh_log_path(path), 0);
	assert_int_equal(alog_open(path, &mi, &log), 0);
	h = logged_process(log, &pr);
	/* (a digest that is not one, from a damaged log, is unknown) */
	acc(log, h, ALOG_OP_OPEN, "/d #1/a?b%.c", O_RDONLY, "damaged", 100);
	assert_int_equal(alog_close(log, "clean"), 0);
	assert_int_equal(alog_summary_load(path, &sm), 0);
	envfacts_parse_os_release("ID=\"evil/ns?arch=i386#\"\n", &facts);
	envfacts_parse_dpkg_status("Package: foo\nStatus: install ok installed\n"
				   "Version: 1:1.0\nArchitecture: amd64\n", &facts);
	fill_params(&p, &facts);
	p.summary = &sm;
	p.env_root = "/var/r dir#x?y";
	assert_int_equal(statement_build(&p, &st, NULL), 0);
	assert_int_equal(statement_check_shape(st, NULL, 0), 0);
	deps = json_object_get(json_object_get(json_object_get(st, "predicate"), "buildDefinition"),
			       "resolvedDependencies");
	assert_int_equal(json_array_size(deps), 3);
	assert_string_equal(json_get_string(json_array_get(deps, 0), "uri"),
			    "file:///var/r%20dir%23x%3Fy");
	assert_string_equal(json_get_string(json_array_get(deps, 1), "uri"),
			    "pkg:deb/evil%2Fns%3Farch%3Di386%23/foo@1%3A1.0?arch=amd64");
	assert_string_equal(json_get_string(json_array_get(deps, 2), "name"), "d #1/a?b%.c");
	assert_string_equal(json_get_string(json_array_get(deps, 2), "uri"), "file:d%20%231/a%3Fb%25.c");
	json_decref(st);
	envfacts_free(&facts);
	alog_summary_free(&sm);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builds_expected_statement),
		cmocka_unit_test(uris_are_percent_encoded),
		cmocka_unit_test(same_facts_give_same_bytes),
		cmocka_unit_test(refuses_bad_log_digest),
		cmocka_unit_test(secret_names),
		cmocka_unit_test(url_secrets_masked),
		cmocka_unit_test(shape_rejects_wrong_types),
		cmocka_unit_test(non_utf8_text_is_percent_encoded_and_noted),
		cmocka_unit_test(command_is_the_first_started_process),
		cmocka_unit_test(processes_seen_by_several_mounts_are_one_item),
		cmocka_unit_test(gone_records_join_their_process),
		cmocka_unit_test(gone_record_joins_the_image_of_its_time),
		cmocka_unit_test(records_of_one_image_are_one_item),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

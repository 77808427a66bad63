/*
 * Unit tests for fs/accesslog: the writer (queue + batched sqlite writer
 * thread) and the reader (alog_summary_load: inputs, outputs, probes,
 * processes, mounts).  Real sqlite files in a mkdtemp directory; logs are
 * written through the public API exactly as the daemon writes them, then
 * read back.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "accesslog.h"
#include "util.h"

/* Three distinct, well-formed digests. */
#define D1 "1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "3333333333333333333333333333333333333333333333333333333333333333"

struct fixture {
	char dir[64];
	char *db;          /* dir/log.db, not yet created */
	struct alog *log;  /* opened by open_log() */
	int64_t proc;      /* a process id in log */
	int64_t clock;     /* fake time: strictly increasing per record */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/provfs-test-alog.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->db = path_join(f->dir, "log.db");
	f->clock = 1700000000LL * 1000000000LL;
	*state = f;
	return f->db ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	if (f->log)
		alog_close(f->log, "clean");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f->db);
	free(f);
	return 0;
}

static const struct alog_mount_info workspace = {
	.label = "workspace", .backing = "/srv/backing", .mountpoint = "/mnt/ws", .readonly = 0,
};

static void open_log(struct fixture *f)
{
	assert_int_equal(alog_open(f->db, &workspace, &f->log), 0);
	f->proc = alog_process_id(f->log);
	alog_process(f->log, f->proc, &(struct alog_process){
		.pid = 4242, .ppid = 1, .uid = 1000, .gid = 1000, .exe = "/usr/bin/cc",
		.argv_json = "[\"cc\",\"-c\",\"a.c\"]", .cwd = "/mnt/ws", .start_ns = 123});
}

static void close_log(struct fixture *f)
{
	assert_int_equal(alog_close(f->log, "clean"), 0);
	f->log = NULL;
}

/* Queues one access by f's process at the next tick of the fake clock. */
static void rec(struct fixture *f, const char *op, const char *path, const char *path2,
	       int64_t flags, int result, const char *digest_after)
{
	f->clock += 1000;
	alog_access(f->log, &(struct alog_access){
		.time_ns = f->clock, .process = f->proc, .op = op, .path = path, .path2 = path2,
		.flags = flags, .result = result, .size = digest_after ? 10 : -1,
		.digest_after = digest_after});
}

/* The same, with what the file held before (digest_before). */
static void rec_before(struct fixture *f, const char *op, const char *path, int64_t flags,
		       int result, const char *before, const char *after)
{
	f->clock += 1000;
	alog_access(f->log, &(struct alog_access){
		.time_ns = f->clock, .process = f->proc, .op = op, .path = path, .flags = flags,
		.result = result, .size = before || after ? 10 : -1, .digest_before = before,
		.digest_after = after});
}

/* A file written through the mount: create, then the last writer closes. */
static void written(struct fixture *f, const char *path, const char *digest)
{
	rec(f, ALOG_OP_CREATE, path, NULL, O_WRONLY | O_CREAT, 0, NULL);
	rec(f, ALOG_OP_CLOSE_WRITE, path, NULL, 0, 0, digest);
}

static void read_file(struct fixture *f, const char *path, const char *digest)
{
	rec(f, ALOG_OP_OPEN, path, NULL, O_RDONLY, 0, digest);
}

static void load(struct fixture *f, struct alog_summary *sum)
{
	assert_int_equal(alog_summary_load(f->db, sum), 0);
}

/* The entry for path in files, or NULL. */
static const struct alog_file *find(const struct alog_file *files, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(files[i].path, path))
			return &files[i];
	return NULL;
}

#define INPUT(s, p) find((s)->inputs, (s)->n_inputs, (p))
#define OUTPUT(s, p) find((s)->outputs, (s)->n_outputs, (p))
#define PROBE(s, p) find((s)->probes, (s)->n_probes, (p))

/* ---- opening, mounts, processes ---- */

static void open_creates_log_and_close_records_status(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	int64_t before = time_now_ns();

	open_log(f);
	alog_capture_error(f->log, 2);
	alog_capture_error(f->log, 1);
	close_log(f);
	assert_int_equal(access(f->db, F_OK), 0);
	load(f, &sum);
	assert_int_equal(sum.n_mounts, 1);
	assert_string_equal(sum.mounts[0].label, "workspace");
	assert_string_equal(sum.mounts[0].backing, "/srv/backing");
	assert_string_equal(sum.mounts[0].mountpoint, "/mnt/ws");
	assert_int_equal(sum.mounts[0].readonly, 0);
	assert_true(sum.mounts[0].started_ns >= before);
	assert_true(sum.mounts[0].finished_ns >= sum.mounts[0].started_ns);
	assert_string_equal(sum.mounts[0].status, "clean");
	assert_int_equal(sum.mounts[0].capture_errors, 3);
	assert_int_equal(sum.n_accesses, 0);
	alog_summary_free(&sum);
	assert_int_equal(sum.n_mounts, 0); /* free leaves it empty */
}

static void processes_are_recorded_with_their_facts(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	int64_t second, second_at, first_at;

	open_log(f);
	second = alog_process_id(f->log);
	assert_true(f->proc > 0);
	assert_true(second > 0);
	assert_true(second != f->proc);
	/* An access may name a process whose row comes later. */
	f->clock += 1000;
	alog_access(f->log, &(struct alog_access){
		.time_ns = f->clock, .process = second, .op = ALOG_OP_STAT, .path = "/x",
		.size = -1});
	second_at = f->clock;
	read_file(f, "/a.c", D1);
	first_at = f->clock;
	rec(f, ALOG_OP_STAT, "/a.c", NULL, 0, 0, NULL);
	alog_process(f->log, second, &(struct alog_process){
		.pid = 4243, .ppid = 4242, .exe = "/bin/sh", .argv_json = "[\"sh\"]", .cwd = "/",
		.image = 0x7ffc12345670ULL});
	close_log(f);
	load(f, &sum);
	assert_int_equal(sum.n_procs, 2);
	assert_int_equal(sum.procs[0].id, f->proc); /* sorted by id */
	assert_int_equal(sum.procs[0].pid, 4242);
	assert_int_equal(sum.procs[0].ppid, 1);
	assert_string_equal(sum.procs[0].exe, "/usr/bin/cc");
	assert_string_equal(sum.procs[0].argv_json, "[\"cc\",\"-c\",\"a.c\"]");
	assert_string_equal(sum.procs[0].cwd, "/mnt/ws");
	assert_int_equal(sum.procs[0].start_ns, 123);
	assert_string_equal(sum.procs[0].mount, "workspace");
	assert_int_equal(sum.procs[0].accesses, 2);
	assert_int_equal(sum.procs[0].first_ns, first_at); /* the earlier of its two */
	assert_int_equal(sum.procs[1].id, second);
	assert_int_equal(sum.procs[1].pid, 4243);
	assert_int_equal(sum.procs[1].accesses, 1);
	assert_int_equal(sum.procs[1].first_ns, second_at);
	assert_true(sum.procs[0].image == 0); /* unknown */
	assert_true(sum.procs[1].image == 0x7ffc12345670ULL);
	assert_int_equal(sum.n_accesses, 3);
	alog_summary_free(&sum);
}

/* Two daemons (environment root and workspace) share one log file: two
 * mount rows, and process ids that never collide. */
static void two_mounts_share_one_log(void **state)
{
	static const struct alog_mount_info root = {
		.label = "root", .backing = "/srv/env", .mountpoint = "/mnt/root", .readonly = 1,
	};
	struct fixture *f = *state;
	struct alog *other;
	struct alog_summary sum;
	int64_t ids[2][3];
	int64_t t = f->clock;

	assert_int_equal(alog_open(f->db, &workspace, &f->log), 0);
	assert_int_equal(alog_open(f->db, &root, &other), 0);
	for (int i = 0; i < 3; i++) {
		ids[0][i] = alog_process_id(f->log);
		ids[1][i] = alog_process_id(other);
	}
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			assert_true(ids[0][i] != ids[1][j]);
	for (int i = 0; i < 3; i++) {
		alog_process(f->log, ids[0][i], &(struct alog_process){.pid = 100 + i});
		alog_process(other, ids[1][i], &(struct alog_process){.pid = 200 + i});
	}
	alog_access(f->log, &(struct alog_access){.time_ns = ++t, .process = ids[0][0],
		.op = ALOG_OP_OPEN, .path = "/main.c", .size = 5, .digest_after = D1});
	alog_access(other, &(struct alog_access){.time_ns = ++t, .process = ids[1][0],
		.op = ALOG_OP_EXEC, .path = "/usr/bin/cc", .size = 5, .digest_after = D2});
	alog_access(other, &(struct alog_access){.time_ns = ++t, .process = ids[1][0],
		.op = ALOG_OP_PROBE, .path = "/main.c", .result = ENOENT, .size = -1});
	assert_int_equal(alog_close(other, "clean"), 0);
	close_log(f);

	load(f, &sum);
	assert_int_equal(sum.n_mounts, 2);
	assert_string_equal(sum.mounts[0].label, "workspace");
	assert_string_equal(sum.mounts[1].label, "root");
	assert_int_equal(sum.mounts[1].readonly, 1);
	assert_int_equal(sum.n_procs, 6);
	for (size_t i = 0; i < sum.n_procs; i++) {
		const struct alog_proc_row *p = &sum.procs[i];

		assert_string_equal(p->mount, p->pid >= 200 ? "root" : "workspace");
	}
	/* Same path, different mounts: the workspace read is an input, the
	 * root probe is still a probe. */
	assert_int_equal(sum.n_inputs, 2);
	assert_string_equal(sum.inputs[0].mount, "root"); /* sorted by (mount, path) */
	assert_string_equal(sum.inputs[0].path, "/usr/bin/cc");
	assert_int_equal(sum.inputs[0].exec, 1);
	assert_string_equal(sum.inputs[1].mount, "workspace");
	assert_string_equal(sum.inputs[1].path, "/main.c");
	assert_int_equal(sum.n_probes, 1);
	assert_string_equal(sum.probes[0].mount, "root");
	alog_summary_free(&sum);
}

/* ---- inputs ---- */

/* provfs run starts its three mounts at once on one new log: each of
 * several processes opening it at the same moment gets it (switching a new
 * database to WAL, or creating the schema, can meet SQLITE_BUSY without
 * the busy handler being asked). */
static void mounts_opening_one_new_log_at_once_all_get_it(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	pid_t pid[6];

	for (int round = 0; round < 40; round++) {
		unlink(f->db);
		for (int i = 0; i < 6; i++) {
			pid[i] = fork();
			assert_true(pid[i] >= 0);
			if (pid[i] == 0) {
				struct alog *log;

				_exit(alog_open(f->db, &workspace, &log) == 0 &&
				      alog_close(log, "clean") == 0 ? 0 : 1);
			}
		}
		for (int i = 0; i < 6; i++) {
			int st;

			assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
			assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
		load(f, &sum);
		assert_int_equal(sum.n_mounts, 6);
		alog_summary_free(&sum);
		{
			char side[128];

			snprintf(side, sizeof(side), "%s-wal", f->db);
			unlink(side);
			snprintf(side, sizeof(side), "%s-shm", f->db);
			unlink(side);
		}
	}
}

static void inputs_are_files_read_before_written(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	const struct alog_file *in;

	open_log(f);
	read_file(f, "/src/main.c", D1);
	rec(f, ALOG_OP_EXEC, "/usr/bin/cc", NULL, O_RDONLY, 0, D2);
	/* Read, then overwritten: still an input, with what was read. */
	read_file(f, "/config.h", D1);
	rec(f, ALOG_OP_OPEN, "/config.h", NULL, O_WRONLY | O_TRUNC, 0, NULL);
	rec(f, ALOG_OP_CLOSE_WRITE, "/config.h", NULL, 0, 0, D3);
	/* Read twice: the first digest counts. */
	read_file(f, "/twice.h", D1);
	read_file(f, "/twice.h", D2);
	close_log(f);

	load(f, &sum);
	assert_int_equal(sum.n_inputs, 4);
	in = INPUT(&sum, "/src/main.c");
	assert_non_null(in);
	assert_string_equal(in->digest, D1);
	assert_int_equal(in->size, 10);
	assert_int_equal(in->process, f->proc);
	assert_string_equal(in->mount, "workspace");
	assert_int_equal(in->exec, 0);
	in = INPUT(&sum, "/usr/bin/cc");
	assert_non_null(in);
	assert_int_equal(in->exec, 1);
	assert_string_equal(in->digest, D2);
	in = INPUT(&sum, "/config.h");
	assert_non_null(in);
	assert_string_equal(in->digest, D1);
	in = INPUT(&sum, "/twice.h");
	assert_non_null(in);
	assert_string_equal(in->digest, D1);
	/* Sorted by path within the mount. */
	for (size_t i = 1; i < sum.n_inputs; i++)
		assert_true(strcmp(sum.inputs[i - 1].path, sum.inputs[i].path) < 0);
	alog_summary_free(&sum);
}

static void files_written_then_read_are_not_inputs(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	const struct alog_file *in;

	open_log(f);
	written(f, "/gen.h", D1);
	read_file(f, "/gen.h", D1);
	rec(f, ALOG_OP_CLOSE_WRITE, "/tmp.o", NULL, 0, 0, D2);
	rec(f, ALOG_OP_RENAME, "/tmp.o", "/final.o", 0, 0, NULL);
	read_file(f, "/final.o", D2);
	rec(f, ALOG_OP_OPEN, "/rw.db", NULL, O_RDWR, 0, NULL);
	read_file(f, "/rw.db", D3);
	rec(f, ALOG_OP_CLOSE_WRITE, "/rw.db", NULL, 0, 0, D3);
	rec(f, ALOG_OP_SYMLINK, "/lnk", "target", 0, 0, NULL);
	read_file(f, "/lnk", D3);
	/* the build's own big file, renamed (or in a directory renamed)
	 * into place, then opened O_RDWR: no input */
	rec(f, ALOG_OP_CLOSE_WRITE, "/x.tmp", NULL, 0, 0, D1);
	rec(f, ALOG_OP_RENAME, "/x.tmp", "/x", 0, 0, NULL);
	rec(f, ALOG_OP_OPEN, "/x", NULL, O_RDWR, 0, NULL);
	rec(f, ALOG_OP_MKDIR, "/dtmp", NULL, 0755, 0, NULL);
	rec(f, ALOG_OP_CLOSE_WRITE, "/dtmp/y", NULL, 0, 0, D2);
	rec(f, ALOG_OP_RENAME, "/dtmp", "/d", ALOG_RENAME_DIR, 0, NULL);
	rec(f, ALOG_OP_OPEN, "/d/y", NULL, O_RDWR, 0, NULL);
	close_log(f);

	load(f, &sum);
	assert_null(INPUT(&sum, "/gen.h"));
	assert_null(INPUT(&sum, "/final.o"));
	assert_null(INPUT(&sum, "/lnk"));
	/* An O_RDWR open of a file from before the build whose content
	 * then is unknown (over 4 MiB: tar -rf) read it: an input of
	 * unknown digest, not what it read after its own writes. */
	in = INPUT(&sum, "/rw.db");
	assert_non_null(in);
	assert_string_equal(in->digest, "");
	assert_int_equal(sum.n_inputs, 1);
	alog_summary_free(&sum);
}

/* A writer that left the content as it was does not make a file the
 * build's own: touch (its close-write has digest_after equal to
 * digest_before), an open for appending that wrote nothing (no
 * close-write).  An O_RDWR open of a file from before the build reads
 * what it held then.  A writer that changed it, or whose close-write has
 * no digest, still makes reads from its open on the build's own. */
static void writers_that_changed_nothing_leave_inputs(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	const struct alog_file *in;

	open_log(f);
	rec_before(f, ALOG_OP_OPEN, "/touched.c", O_WRONLY | O_CREAT, 0, D1, NULL);
	rec_before(f, ALOG_OP_CLOSE_WRITE, "/touched.c", 0, 0, D1, D1);
	read_file(f, "/touched.c", D1);
	rec(f, ALOG_OP_OPEN, "/appended.log", NULL, O_WRONLY | O_APPEND, 0, NULL);
	read_file(f, "/appended.log", D2);
	rec_before(f, ALOG_OP_OPEN, "/fixture.db", O_RDWR, 0, D3, NULL);
	rec_before(f, ALOG_OP_CLOSE_WRITE, "/fixture.db", 0, 0, D3, D1);
	read_file(f, "/fixture.db", D1);
	rec_before(f, ALOG_OP_OPEN, "/truncated", O_RDWR | O_TRUNC, 0, D3, NULL);
	rec_before(f, ALOG_OP_CLOSE_WRITE, "/truncated", 0, 0, D3, D1);
	read_file(f, "/truncated", D1);
	rec(f, ALOG_OP_OPEN, "/uncaptured", NULL, O_WRONLY, 0, NULL);
	rec(f, ALOG_OP_CLOSE_WRITE, "/uncaptured", NULL, 0, EIO, NULL);
	read_file(f, "/uncaptured", D2);
	rec_before(f, ALOG_OP_OPEN, "/changed.h", O_WRONLY, 0, D1, NULL);
	read_file(f, "/changed.h", D2); /* beside the writer */
	rec_before(f, ALOG_OP_CLOSE_WRITE, "/changed.h", 0, 0, D1, D2);
	/* sort -o f f: opened for writing, read as it was, then written */
	rec_before(f, ALOG_OP_OPEN, "/sorted", O_WRONLY, 0, D1, NULL);
	read_file(f, "/sorted", D1);
	rec_before(f, ALOG_OP_CLOSE_WRITE, "/sorted", 0, 0, D1, D2);
	read_file(f, "/sorted", D2);
	/* the same of a file too big to hash at the open: an input of
	 * unknown digest (the writer may have written before the read) */
	rec(f, ALOG_OP_OPEN, "/bigsorted", NULL, O_WRONLY, 0, NULL);
	read_file(f, "/bigsorted", D1);
	rec(f, ALOG_OP_CLOSE_WRITE, "/bigsorted", NULL, 0, 0, D2);
	/* but not after a change was recorded */
	rec(f, ALOG_OP_OPEN, "/bigchanged", NULL, O_WRONLY | O_TRUNC, 0, NULL);
	read_file(f, "/bigchanged", D1);
	close_log(f);

	load(f, &sum);
	in = INPUT(&sum, "/touched.c");
	assert_non_null(in);
	assert_string_equal(in->digest, D1);
	in = INPUT(&sum, "/appended.log");
	assert_non_null(in);
	assert_string_equal(in->digest, D2);
	in = INPUT(&sum, "/fixture.db");
	assert_non_null(in);
	assert_string_equal(in->digest, D3);
	assert_null(INPUT(&sum, "/truncated"));
	assert_null(INPUT(&sum, "/uncaptured"));
	assert_null(INPUT(&sum, "/changed.h"));
	in = INPUT(&sum, "/sorted");
	assert_non_null(in);
	assert_string_equal(in->digest, D1);
	in = INPUT(&sum, "/bigsorted");
	assert_non_null(in);
	assert_string_equal(in->digest, "");
	assert_null(INPUT(&sum, "/bigchanged"));
	assert_int_equal(sum.n_inputs, 5);
	/* touch still made an output, with the same content */
	assert_non_null(OUTPUT(&sum, "/touched.c"));
	alog_summary_free(&sum);
}

/* A file moved by the build is an input if what was moved came from
 * before the build (mv a.c b.c; cc b.c), and the build's own if the name
 * it was moved from was written first, followed back through moves of
 * files and directories and exchanges (also one whose directory the
 * daemon did not flag). */
static void files_moved_from_before_the_build_stay_inputs(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	const struct alog_file *in;

	open_log(f);
	rec(f, ALOG_OP_RENAME, "/a.c", "/b.c", 0, 0, NULL);
	read_file(f, "/b.c", D1);
	written(f, "/tmp", D2);
	rec(f, ALOG_OP_RENAME, "/tmp", "/d/f", 0, 0, NULL);
	rec(f, ALOG_OP_RENAME, "/d", "/e", ALOG_RENAME_DIR, 0, NULL);
	read_file(f, "/e/f", D2);
	rec(f, ALOG_OP_MKDIR, "/x", NULL, 0755, 0, NULL);
	written(f, "/x/y", D3);
	rec(f, ALOG_OP_RENAME, "/plain", "/x", RENAME_EXCHANGE, 0, NULL);
	read_file(f, "/plain/y", D3);
	close_log(f);

	load(f, &sum);
	in = INPUT(&sum, "/b.c");
	assert_non_null(in);
	assert_string_equal(in->digest, D1);
	assert_null(INPUT(&sum, "/e/f"));
	assert_null(INPUT(&sum, "/plain/y"));
	assert_int_equal(sum.n_inputs, 1);
	alog_summary_free(&sum);
}

/* Failed opens, write-only ones and read-only ones without a digest are
 * no inputs; an O_RDWR open without the content it found is one of
 * unknown digest (see files_written_then_read_are_not_inputs). */
static void failed_writable_and_undigested_opens_are_not_inputs(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;

	open_log(f);
	rec(f, ALOG_OP_OPEN, "/failed", NULL, O_RDONLY, EACCES, D1);
	rec(f, ALOG_OP_OPEN, "/rdwr", NULL, O_RDWR, 0, D1);
	rec(f, ALOG_OP_OPEN, "/rdwr-failed", NULL, O_RDWR, EACCES, NULL);
	rec(f, ALOG_OP_OPEN, "/wronly", NULL, O_WRONLY, 0, D1);
	rec(f, ALOG_OP_OPEN, "/nodigest", NULL, O_RDONLY, 0, NULL);
	rec(f, ALOG_OP_STAT, "/stat-only", NULL, 0, 0, NULL);
	read_file(f, "/real", D1);
	close_log(f);

	load(f, &sum);
	assert_int_equal(sum.n_inputs, 2);
	assert_string_equal(sum.inputs[0].path, "/rdwr");
	assert_string_equal(sum.inputs[0].digest, "");
	assert_string_equal(sum.inputs[1].path, "/real");
	alog_summary_free(&sum);
}

/* ---- outputs ---- */

static void outputs_have_their_last_written_digest(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	const struct alog_file *out;

	open_log(f);
	written(f, "/a.o", D1);
	written(f, "/b.o", D1);
	rec(f, ALOG_OP_OPEN, "/b.o", NULL, O_WRONLY | O_APPEND, 0, NULL);
	rec(f, ALOG_OP_CLOSE_WRITE, "/b.o", NULL, 0, 0, D2);
	close_log(f);

	load(f, &sum);
	assert_int_equal(sum.n_outputs, 2);
	out = OUTPUT(&sum, "/a.o");
	assert_non_null(out);
	assert_string_equal(out->digest, D1);
	assert_int_equal(out->size, 10);
	assert_int_equal(out->process, f->proc);
	assert_string_equal(out->mount, "workspace");
	out = OUTPUT(&sum, "/b.o");
	assert_non_null(out);
	assert_string_equal(out->digest, D2);
	alog_summary_free(&sum);
}

static void rename_moves_an_output_and_unlink_removes_it(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	const struct alog_file *out;

	open_log(f);
	written(f, "/out.tmp", D1);
	rec(f, ALOG_OP_RENAME, "/out.tmp", "/out", 0, 0, NULL);
	written(f, "/scratch", D2);
	rec(f, ALOG_OP_UNLINK, "/scratch", NULL, 0, 0, NULL);
	/* A failed unlink changes nothing. */
	written(f, "/kept", D3);
	rec(f, ALOG_OP_UNLINK, "/kept", NULL, 0, EACCES, NULL);
	close_log(f);

	load(f, &sum);
	assert_null(OUTPUT(&sum, "/out.tmp"));
	out = OUTPUT(&sum, "/out");
	assert_non_null(out);
	assert_string_equal(out->digest, D1);
	assert_null(OUTPUT(&sum, "/scratch"));
	assert_non_null(OUTPUT(&sum, "/kept"));
	assert_int_equal(sum.n_outputs, 2);
	alog_summary_free(&sum);
}

static void rename_over_an_output_replaces_it(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;

	open_log(f);
	written(f, "/x", D1);
	written(f, "/y", D2);
	rec(f, ALOG_OP_RENAME, "/y", "/x", 0, 0, NULL);
	close_log(f);

	load(f, &sum);
	assert_int_equal(sum.n_outputs, 1);
	assert_string_equal(sum.outputs[0].path, "/x");
	assert_string_equal(sum.outputs[0].digest, D2);
	alog_summary_free(&sum);
}

/* Files read under a directory the build made and moved, once or several
 * times, are its own; files of a directory that was there before are
 * inputs however often it moved.  A move after the read changes nothing,
 * a directory that only shares a prefix with a moved one is not under it,
 * and of several moves into one directory the last counts. */
static void reads_under_directories_moved_are_traced_back(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;

	open_log(f);
	rec(f, ALOG_OP_MKDIR, "/d", NULL, 0755, 0, NULL);
	rec(f, ALOG_OP_MKDIR, "/d/sub", NULL, 0755, 0, NULL);
	written(f, "/d/sub/made.h", D1);
	rec(f, ALOG_OP_RENAME, "/d", "/e", ALOG_RENAME_DIR, 0, NULL);
	rec(f, ALOG_OP_RENAME, "/e/sub", "/s", ALOG_RENAME_DIR, 0, NULL);
	rec(f, ALOG_OP_RENAME, "/s", "/t", ALOG_RENAME_DIR, 0, NULL);
	read_file(f, "/t/made.h", D1);      /* /d/sub/made.h, three moves ago */
	rec(f, ALOG_OP_RENAME, "/src", "/src2", ALOG_RENAME_DIR, 0, NULL);
	rec(f, ALOG_OP_RENAME, "/src2", "/src3", ALOG_RENAME_DIR, 0, NULL);
	read_file(f, "/src3/old.c", D2);    /* there before the build */
	read_file(f, "/tx/other.c", D3);    /* /t is a prefix, not its directory */
	read_file(f, "/late/x.c", D3);
	rec(f, ALOG_OP_MKDIR, "/m", NULL, 0755, 0, NULL);
	written(f, "/m/x.c", D1);
	rec(f, ALOG_OP_RENAME, "/m", "/late2", ALOG_RENAME_DIR, 0, NULL);
	/* /dst/f is /b/f (there before the build), moved in last; the
	 * build's /a/f was moved into /dst before, and away again. */
	rec(f, ALOG_OP_MKDIR, "/a", NULL, 0755, 0, NULL);
	written(f, "/a/f", D1);
	rec(f, ALOG_OP_RENAME, "/a", "/dst", ALOG_RENAME_DIR, 0, NULL);
	rec(f, ALOG_OP_RENAME, "/dst", "/gone", ALOG_RENAME_DIR, 0, NULL);
	rec(f, ALOG_OP_RENAME, "/b", "/dst", ALOG_RENAME_DIR, 0, NULL);
	read_file(f, "/dst/f", D2);
	close_log(f);

	load(f, &sum);
	assert_null(INPUT(&sum, "/t/made.h"));
	assert_non_null(INPUT(&sum, "/src3/old.c"));
	assert_non_null(INPUT(&sum, "/tx/other.c"));
	assert_non_null(INPUT(&sum, "/late/x.c"));
	assert_non_null(INPUT(&sum, "/dst/f"));
	assert_int_equal(sum.n_inputs, 4);
	alog_summary_free(&sum);
}

static void renaming_a_directory_moves_outputs_under_it(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	const struct alog_file *out;

	open_log(f);
	rec(f, ALOG_OP_MKDIR, "/build", NULL, 0755, 0, NULL);
	rec(f, ALOG_OP_MKDIR, "/build/sub", NULL, 0755, 0, NULL);
	written(f, "/build/a.o", D1);
	written(f, "/build/sub/b.o", D2);
	written(f, "/buildfile", D3); /* shares the prefix, not the directory */
	rec(f, ALOG_OP_RENAME, "/build", "/dist", 0, 0, NULL);
	close_log(f);

	load(f, &sum);
	assert_int_equal(sum.n_outputs, 3);
	assert_null(OUTPUT(&sum, "/build/a.o"));
	assert_null(OUTPUT(&sum, "/build/sub/b.o"));
	out = OUTPUT(&sum, "/dist/a.o");
	assert_non_null(out);
	assert_string_equal(out->digest, D1);
	out = OUTPUT(&sum, "/dist/sub/b.o");
	assert_non_null(out);
	assert_string_equal(out->digest, D2);
	out = OUTPUT(&sum, "/buildfile");
	assert_non_null(out);
	assert_string_equal(out->digest, D3);
	alog_summary_free(&sum);
}

/* renameat2(RENAME_EXCHANGE) keeps both names, each with the other's
 * content: both stay outputs (files, or everything under directories),
 * and what the build wrote is no input when read under its new name. */
static void exchange_keeps_both_outputs_swapped(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;

	open_log(f);
	written(f, "/a", D1);
	written(f, "/b", D2);
	rec(f, ALOG_OP_RENAME, "/a", "/b", RENAME_EXCHANGE, 0, NULL);
	rec(f, ALOG_OP_MKDIR, "/d1", NULL, 0755, 0, NULL);
	rec(f, ALOG_OP_MKDIR, "/d2", NULL, 0755, 0, NULL);
	written(f, "/d1/x", D3);
	written(f, "/d2/sub/y", D1);
	written(f, "/d10", D2); /* shares d1's prefix, not under it */
	rec(f, ALOG_OP_RENAME, "/d1", "/d2", RENAME_EXCHANGE | ALOG_RENAME_DIR, 0, NULL);
	/* The build's own content, read under the names it swapped into:
	 * no inputs.  (/pre was there before; it now holds /made's bytes.) */
	written(f, "/made", D3);
	rec(f, ALOG_OP_RENAME, "/pre", "/made", RENAME_EXCHANGE, 0, NULL);
	read_file(f, "/pre", D3);
	read_file(f, "/d1/sub/y", D1);
	close_log(f);

	load(f, &sum);
	assert_int_equal(sum.n_inputs, 0);
	assert_int_equal(sum.n_outputs, 6);
	assert_string_equal(OUTPUT(&sum, "/a")->digest, D2);
	assert_string_equal(OUTPUT(&sum, "/b")->digest, D1);
	assert_string_equal(OUTPUT(&sum, "/d2/x")->digest, D3);
	assert_string_equal(OUTPUT(&sum, "/d1/sub/y")->digest, D1);
	assert_string_equal(OUTPUT(&sum, "/d10")->digest, D2);
	alog_summary_free(&sum);
}

static void unlinking_then_rewriting_makes_it_an_output_again(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;

	open_log(f);
	written(f, "/f", D1);
	rec(f, ALOG_OP_UNLINK, "/f", NULL, 0, 0, NULL);
	written(f, "/f", D2);
	close_log(f);

	load(f, &sum);
	assert_int_equal(sum.n_outputs, 1);
	assert_string_equal(sum.outputs[0].digest, D2);
	alog_summary_free(&sum);
}

/* ---- probes ---- */

static void probes_are_paths_found_missing(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	const struct alog_file *p;

	open_log(f);
	rec(f, ALOG_OP_PROBE, "/usr/include/missing.h", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_PROBE, "/usr/include/missing.h", NULL, 0, ENOENT, NULL);
	/* Probed, then created by the build: not a probe. */
	rec(f, ALOG_OP_PROBE, "/config.status", NULL, 0, ENOENT, NULL);
	written(f, "/config.status", D1);
	rec(f, ALOG_OP_PROBE, "/made-by-mkdir", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_MKDIR, "/made-by-mkdir", NULL, 0755, 0, NULL);
	rec(f, ALOG_OP_PROBE, "/moved-here", NULL, 0, ENOENT, NULL);
	written(f, "/moved.tmp", D2);
	rec(f, ALOG_OP_RENAME, "/moved.tmp", "/moved-here", 0, 0, NULL);
	/* A failed create does not bring the path into being. */
	rec(f, ALOG_OP_PROBE, "/nope", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_CREATE, "/nope", NULL, O_CREAT, EACCES, NULL);
	/* A part that is no directory: absent too.  A look-up that failed
	 * otherwise (the daemon out of descriptors) says nothing. */
	rec(f, ALOG_OP_PROBE, "/file/sub", NULL, 0, ENOTDIR, NULL);
	rec(f, ALOG_OP_PROBE, "/maybe-there", NULL, 0, EMFILE, NULL);
	close_log(f);

	load(f, &sum);
	assert_int_equal(sum.n_probes, 3);
	assert_non_null(PROBE(&sum, "/file/sub"));
	assert_null(PROBE(&sum, "/maybe-there"));
	p = PROBE(&sum, "/usr/include/missing.h");
	assert_non_null(p);
	assert_int_equal(p->process, f->proc);
	assert_string_equal(p->digest, "");
	assert_non_null(PROBE(&sum, "/nope"));
	assert_null(PROBE(&sum, "/config.status"));
	assert_null(PROBE(&sum, "/made-by-mkdir"));
	assert_null(PROBE(&sum, "/moved-here"));
	alog_summary_free(&sum);
}

/* Any access of a directory or under it, of a mount by its label: paths
 * beside it that share its name as a prefix are not under it. */
static void touched_under_is_by_path_prefix_and_label(void **state)
{
	struct fixture *f = *state;

	open_log(f);
	rec(f, ALOG_OP_PROBE, "/nonexistent", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_PROBE, "/home/u2/.cache", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_PROBE, "/home/u%/x", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_PROBE, "/srv/\xff/.cache", NULL, 0, ENOENT, NULL);
	/* A shell's search of PATH=/home/u3/bin:/home/u3/.cargo/bin:... */
	rec(f, ALOG_OP_STAT, "/home/u3", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_STAT, "/home/u3/bin", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_PROBE, "/home/u3/bin/cc", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_PROBE, "/home/u3/.cargo", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_OPEN, "/home/u4", NULL, O_RDONLY | O_DIRECTORY, 0, NULL);
	close_log(f);
	assert_int_equal(alog_touched_under(f->db, "workspace", "/home/u", NULL, 0, NULL, NULL), 0);
	assert_int_equal(alog_touched_under(f->db, "workspace", "/home/u2/.cach", NULL, 0, NULL, NULL), 0);
	assert_int_equal(alog_touched_under(f->db, "workspace", "/nonexistent", NULL, 0, NULL, NULL), 1);
	assert_int_equal(alog_touched_under(f->db, "workspace", "/home", NULL, 0, NULL, NULL), 1);
	assert_int_equal(alog_touched_under(f->db, "workspace", "/home/u2", NULL, 0, NULL, NULL), 1);
	assert_int_equal(alog_touched_under(f->db, "workspace", "/home/u%", NULL, 0, NULL, NULL), 1);
	assert_int_equal(alog_touched_under(f->db, "workspace", "/srv/\xff", NULL, 0, NULL, NULL), 1);
	assert_int_equal(alog_touched_under(f->db, "root", "/home", NULL, 0, NULL, NULL), 0);
	/* Entries right in a skipped directory do not count; deeper ones,
	 * and the directory itself, do. */
	{
		const char *bin[] = {"/srv/x", "/home/u2"}, *deep[] = {"/home"};

		assert_int_equal(alog_touched_under(f->db, "workspace", "/home/u2", bin, 2, NULL, NULL), 0);
		assert_int_equal(alog_touched_under(f->db, "workspace", "/home", bin, 2, NULL, NULL), 1);
		assert_int_equal(alog_touched_under(f->db, "workspace", "/home/u2", deep, 1, NULL, NULL), 1);
		assert_int_equal(alog_touched_under(f->db, "workspace", "/nonexistent", deep, 0, NULL, NULL), 1);
	}
	/* Lookups of PATH directories and of the way to them do not count
	 * either; other accesses of them do. */
	{
		const char *path3[] = {"/home/u3/bin", "/home/u3/.cargo/bin"};
		const char *path4[] = {"/home/u4/bin"};

		assert_int_equal(alog_touched_under(f->db, "workspace", "/home/u3", path3, 2, NULL, NULL), 0);
		assert_int_equal(alog_touched_under(f->db, "workspace", "/home/u3", path3, 1, NULL, NULL), 1);
		/* An open of /home/u4 is a read that succeeded. */
		assert_int_equal(alog_touched_under(f->db, "workspace", "/home/u4", path4, 1, NULL, NULL), 0);
	}
	/* The last path that counted, for the hint to name. */
	{
		const char *path3[] = {"/home/u3/bin"};
		char *last = NULL;

		assert_int_equal(alog_touched_under(f->db, "workspace", "/home/u3", path3, 1, &last, NULL), 1);
		assert_non_null(last);
		assert_string_equal(last, "/home/u3/.cargo");
		free(last);
		last = NULL;
		assert_int_equal(alog_touched_under(f->db, "workspace", "/srv/\xff", NULL, 0, &last, NULL), 1);
		assert_string_equal(last, "/srv/\xff/.cache");
		free(last);
		last = NULL;
		assert_int_equal(alog_touched_under(f->db, "workspace", "/home/u", NULL, 0, &last, NULL), 0);
		assert_null(last);
	}
	unlink(f->db);
	assert_int_equal(alog_touched_under(f->db, "workspace", "/home", NULL, 0, NULL, NULL), -EACCES);
}

/* A toolchain kept in HOME (pyenv's python, rustup's cargo) is looked up
 * and read there by every build: what the build read, and the
 * directories it went through, are not a write the read-only root
 * refused; a look-up of a file it never read (an append to ~/.profile)
 * and a probe of a name that does not exist (a cache to create) may be. */
struct links_seen {
	int n;
	char text[4][64];
};

static int collect_link(const char *link, const char *target, void *arg)
{
	struct links_seen *seen = arg;

	if (seen->n < 4)
		snprintf(seen->text[seen->n], sizeof(seen->text[0]), "%s>%s", link, target);
	seen->n++;
	return 0;
}

static int stop_at_first(const char *link, const char *target, void *arg)
{
	(void)link;
	(void)target;
	(void)arg;
	return 7;
}

/* alog_for_each_symlink: one call per link path, with the newest target
 * made there, oldest path first; failed symlink ops and other mounts'
 * are not links; a callback's non-zero return stops the walk. */
static void symlinks_newest_per_path(void **state)
{
	struct fixture *f = *state;
	struct links_seen seen = {0};

	open_log(f);
	rec(f, ALOG_OP_SYMLINK, "/a", "/tmp/x", 0, 0, NULL);
	rec(f, ALOG_OP_SYMLINK, "/b", "/tmp/y", 0, EEXIST, NULL);
	rec(f, ALOG_OP_SYMLINK, "/c\xff", "rel", 0, 0, NULL);
	rec(f, ALOG_OP_UNLINK, "/a", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_SYMLINK, "/a", "/usr", 0, 0, NULL);
	close_log(f);
	assert_int_equal(alog_for_each_symlink(f->db, "workspace", collect_link, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.text[0], "/c\xff>rel");
	assert_string_equal(seen.text[1], "/a>/usr");
	seen.n = 0;
	assert_int_equal(alog_for_each_symlink(f->db, "root", collect_link, &seen), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(alog_for_each_symlink(f->db, "workspace", stop_at_first, NULL), 7);
	assert_int_equal(alog_for_each_symlink("/nonexistent/log.db", "workspace", collect_link,
					       &seen),
			 -EACCES);
}

static void touched_under_skips_what_was_read(void **state)
{
	struct fixture *f = *state;
	char *last = NULL;
	int64_t id = 0, id2 = 0;

	open_log(f);
	rec(f, ALOG_OP_STAT, "/home/h", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_STAT, "/home/h/.pyenv/bin/python3", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_EXEC, "/home/h/.pyenv/bin/python3", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_STAT, "/home/h/.pyenv/lib", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_STAT, "/home/h/.pyenv/lib/socket.py", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_OPEN, "/home/h/.pyenv/lib/socket.py", NULL, O_RDONLY, 0, NULL);
	rec(f, ALOG_OP_STAT, "/home/h/.pyenv/share", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_READDIR, "/home/h/.pyenv/share", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_STAT, "/home/h/.pyenv/link", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_READLINK, "/home/h/.pyenv/link", NULL, 0, 0, NULL);
	close_log(f);
	assert_int_equal(alog_touched_under(f->db, "workspace", "/home/h", NULL, 0, &last, NULL), 0);
	assert_null(last);

	open_log(f);
	rec(f, ALOG_OP_STAT, "/home/h/.profile", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_OPEN, "/home/h/.pyenv/lib/socket.py", NULL, O_RDONLY, 0, NULL);
	close_log(f);
	assert_int_equal(alog_touched_under(f->db, "workspace", "/home/h", NULL, 0, &last, &id), 1);
	assert_string_equal(last, "/home/h/.profile");
	free(last);
	last = NULL;

	/* A failed open is no read: the look-up still counts. */
	open_log(f);
	rec(f, ALOG_OP_PROBE, "/home/h/.cache/tool", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_STAT, "/home/h/.netrc", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_OPEN, "/home/h/.netrc", NULL, O_RDONLY, EACCES, NULL);
	close_log(f);
	assert_int_equal(alog_touched_under(f->db, "workspace", "/home/h", NULL, 0, &last, &id2), 1);
	assert_string_equal(last, "/home/h/.netrc");
	assert_true(id2 > id);
	free(last);
}

/* Appends to f's log as a read-only mount labelled root. */
static void open_root_log(struct fixture *f)
{
	static const struct alog_mount_info root = {
		.label = "root", .backing = "/", .mountpoint = "/mnt/root", .readonly = 1};

	assert_int_equal(alog_open(f->db, &root, &f->log), 0);
	f->proc = alog_process_id(f->log);
}

/* A probe in a directory on the way to the workspace (its parent, ...,
 * not "/"), of a name not looked up in any other of them nor at the
 * workspace's top: where a build may have failed to write. */

static void probed_above_skips_upward_searches(void **state)
{
	struct fixture *f = *state;
	char *last = NULL;
	int64_t id = -1, first;

	/* Nothing logged yet but the workspace mount's own rows. */
	open_log(f);
	rec(f, ALOG_OP_PROBE, "/.git", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_PROBE, "/Cargo.toml", NULL, 0, ENOENT, NULL);
	close_log(f);
	assert_int_equal(alog_probed_above(f->db, "root", "workspace", "/srv/p/ws", &last, &id), 0);
	assert_null(last);
	open_root_log(f);
	/* git's and autoconf's searches up the tree; a stat of what exists;
	 * entries deeper than an ancestor; a workspace's sibling of the same
	 * prefix; "/" itself. */
	rec(f, ALOG_OP_PROBE, "/srv/p/.git", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_PROBE, "/srv/.git", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_PROBE, "/srv/install-sh", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_PROBE, "/install-sh", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_PROBE, "/srv/p/Cargo.toml", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_STAT, "/srv/p/ws", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_STAT, "/srv/p/exists.deb", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_PROBE, "/srv/p/sub/x.deb", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_PROBE, "/srv/p/ws2/x.deb", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_PROBE, "/selinux", NULL, 0, ENOENT, NULL);
	rec(f, ALOG_OP_OPEN, "/srv/p/read.txt", NULL, O_RDONLY, ENOENT, NULL);
	close_log(f);
	assert_int_equal(alog_probed_above(f->db, "root", "workspace", "/srv/p/ws", &last, &id), 0);
	assert_null(last);
	/* A .deb beside the workspace, then a probe a level up: no file
	 * meant to be made there (cargo's search of /var/ssl), so the .deb
	 * stays the one named. */
	open_root_log(f);
	rec(f, ALOG_OP_PROBE, "/srv/p/x_1_all.deb", NULL, 0, ENOENT, NULL);
	close_log(f);
	assert_int_equal(alog_probed_above(f->db, "root", "workspace", "/srv/p/ws", &last, &id), 1);
	assert_string_equal(last, "/srv/p/x_1_all.deb");
	free(last);
	first = id;
	open_root_log(f);
	rec(f, ALOG_OP_PROBE, "/srv/\xff.out", NULL, 0, ENOENT, NULL);
	close_log(f);
	assert_int_equal(alog_probed_above(f->db, "root", "workspace", "/srv/p/ws", &last, &id), 1);
	assert_string_equal(last, "/srv/p/x_1_all.deb");
	assert_true(id == first);
	free(last);
	/* A later one beside it, with a name not UTF-8, is the newest. */
	open_root_log(f);
	rec(f, ALOG_OP_PROBE, "/srv/p/\xfe.out", NULL, 0, ENOENT, NULL);
	close_log(f);
	assert_int_equal(alog_probed_above(f->db, "root", "workspace", "/srv/p/ws", &last, &id), 1);
	assert_string_equal(last, "/srv/p/\xfe.out");
	assert_true(id > first);
	free(last);
	/* Of another workspace, or with the labels the other way round. */
	assert_int_equal(alog_probed_above(f->db, "root", "workspace", "/opt/ws", &last, &id), 0);
	assert_int_equal(alog_probed_above(f->db, "workspace", "root", "/srv/p/ws", &last, &id), 0);
	unlink(f->db);
	assert_int_equal(alog_probed_above(f->db, "root", "workspace", "/srv/p/ws", &last, &id),
			 -EACCES);
}

/* ---- bad logs ---- */

static void missing_log_is_enoent(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;

	assert_int_equal(alog_summary_load(f->db, &sum), -ENOENT);
	assert_int_equal(access(f->db, F_OK), -1); /* loading did not create it */
}

static void text_file_is_not_a_log(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	struct alog *log = NULL;
	int fd = open(f->db, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	const char text[] = "this is a text file, not a database; it is long enough to "
			    "cover a header of one hundred bytes, which sqlite reads first.\n";

	assert_true(fd >= 0);
	assert_int_equal(write_full(fd, text, sizeof(text) - 1), 0);
	close(fd);
	assert_int_equal(alog_summary_load(f->db, &sum), -EBADMSG);
	assert_int_equal(alog_open(f->db, &workspace, &log), -EBADMSG);
	assert_null(log);
}

static void other_sqlite_database_is_not_a_log(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE access(id INTEGER PRIMARY KEY, path TEXT);"
				      "INSERT INTO access(path) VALUES ('/x');", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(alog_summary_load(f->db, &sum), -EBADMSG);
}

/* A damaged log's read row without a path or a mount names no file: it is
 * no input, and the rest of the log still reads. */
static void read_rows_without_a_path_are_no_inputs(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	sqlite3 *db;

	open_log(f);
	read_file(f, "/a.c", D1);
	close_log(f);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "INSERT INTO access(mount, process, time_ns, op, path, flags,"
				      " result, size, digest_after) SELECT mount, process, 1, op,"
				      " NULL, flags, result, size, digest_after FROM access"
				      " WHERE path = '/a.c';"
				      "INSERT INTO access(mount, process, time_ns, op, path, flags,"
				      " result, size, digest_after) SELECT NULL, process, 2, op,"
				      " '/b.c', flags, result, size, digest_after FROM access"
				      " WHERE path = '/a.c'",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	load(f, &sum);
	assert_int_equal(sum.n_inputs, 1);
	assert_string_equal(sum.inputs[0].path, "/a.c");
	assert_string_equal(sum.inputs[0].digest, D1);
	alog_summary_free(&sum);
}

/* A log an older provfs wrote has no process.image: it is read (images
 * unknown), and a daemon that opens it again adds the column. */
static void log_of_an_older_provfs_is_read_and_upgraded(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	int64_t id;
	sqlite3 *db;

	open_log(f);
	read_file(f, "/a.c", D1);
	close_log(f);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "ALTER TABLE process DROP COLUMN image", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	load(f, &sum);
	assert_int_equal(sum.n_procs, 1);
	assert_string_equal(sum.procs[0].exe, "/usr/bin/cc");
	assert_true(sum.procs[0].image == 0);
	alog_summary_free(&sum);
	assert_int_equal(alog_open(f->db, &workspace, &f->log), 0);
	id = alog_process_id(f->log);
	alog_process(f->log, id, &(struct alog_process){
		.pid = 4250, .ppid = 1, .exe = "/bin/sh", .argv_json = "[\"sh\"]", .cwd = "/",
		.start_ns = 9, .image = 4096});
	close_log(f);
	load(f, &sum);
	assert_int_equal(sum.n_procs, 2);
	assert_true(sum.procs[0].image == 0);
	assert_true(sum.procs[1].image == 4096);
	alog_summary_free(&sum);
}

/* A log cut short (a copy that stopped, a full disk) is told apart from a
 * file that is no log: -EIO, "damaged". */
static void truncated_log_is_damaged(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	struct stat st;
	char path[64];

	open_log(f);
	for (int i = 0; i < 3000; i++) {
		snprintf(path, sizeof(path), "/src/dir%d/file%d.c", i % 37, i);
		rec(f, ALOG_OP_OPEN, path, NULL, O_RDONLY, 0, NULL);
	}
	close_log(f);
	assert_int_equal(alog_summary_load(f->db, &sum), 0);
	alog_summary_free(&sum);
	assert_int_equal(stat(f->db, &st), 0);
	assert_true(st.st_size > 65536);
	assert_int_equal(truncate(f->db, st.st_size / 2), 0);
	assert_int_equal(alog_summary_load(f->db, &sum), -EIO);
	assert_string_equal(alog_load_error(-EIO), "is a damaged provfs access log (truncated or "
						   "corrupt: SQLite cannot read it)");
	assert_string_equal(alog_load_error(-EBADMSG), "is not a provfs access log");
}

static void log_in_missing_directory_fails(void **state)
{
	struct fixture *f = *state;
	struct alog *log = NULL;
	char *bad = path_join(f->dir, "no/such/dir/log.db");

	assert_true(alog_open(bad, &workspace, &log) < 0);
	assert_null(log);
	free(bad);
}

/* ---- volume and durability ---- */

/* 100k records go through the queue and all arrive, while another
 * connection holds the write lock: alog_access never waits on sqlite. */
static void many_records_are_queued_and_all_committed(void **state)
{
	struct fixture *f = *state;
	const int n = 100000;
	struct alog_summary sum;
	sqlite3 *blocker;
	char path[32];

	open_log(f);
	assert_int_equal(sqlite3_open(f->db, &blocker), SQLITE_OK);
	assert_int_equal(sqlite3_exec(blocker, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/f/%06d", i);
		rec(f, (i % 2) ? ALOG_OP_STAT : ALOG_OP_READDIR, path, NULL, 0, 0, NULL);
	}
	assert_int_equal(sqlite3_exec(blocker, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(blocker);
	close_log(f);

	load(f, &sum);
	assert_int_equal(sum.n_accesses, n);
	assert_int_equal(sum.n_procs, 1);
	assert_int_equal(sum.procs[0].accesses, n);
	alog_summary_free(&sum);
}

/* A build-sized log: 20k sources read, 20k objects written to a temporary
 * name and renamed, 5k scratch files unlinked, 2000 processes.  Every
 * one is accounted for, and the reduction stays fast (each step of it was
 * once a scan per row, which made this take minutes; meson's timeout
 * catches a regression). */
static void many_inputs_and_outputs_are_reduced(void **state)
{
	struct fixture *f = *state;
	const int n = 20000, scratch = 5000, procs = 2000;
	struct alog_summary sum;
	int64_t ids[2000];
	char path[32], tmp[32];

	open_log(f);
	for (int i = 0; i < procs; i++) {
		ids[i] = alog_process_id(f->log);
		alog_process(f->log, ids[i], &(struct alog_process){.pid = 10000 + i});
	}
	for (int i = 0; i < n; i++) {
		f->proc = ids[i % procs];
		snprintf(path, sizeof(path), "/src/%05d.c", i);
		read_file(f, path, D1);
		snprintf(tmp, sizeof(tmp), "/obj/%05d.o.tmp", i);
		snprintf(path, sizeof(path), "/obj/%05d.o", i);
		written(f, tmp, D2);
		rec(f, ALOG_OP_RENAME, tmp, path, 0, 0, NULL);
	}
	for (int i = 0; i < scratch; i++) {
		snprintf(path, sizeof(path), "/tmp/cc%05d.s", i);
		written(f, path, D3);
		rec(f, ALOG_OP_UNLINK, path, NULL, 0, 0, NULL);
	}
	close_log(f);

	load(f, &sum);
	assert_int_equal(sum.n_accesses, 4 * n + 3 * scratch);
	assert_int_equal(sum.n_inputs, n);
	assert_int_equal(sum.n_outputs, n);
	assert_int_equal(sum.n_procs, procs + 1);
	assert_int_equal(sum.procs[1].accesses, (4 * n) / procs);
	assert_string_equal(sum.inputs[n - 1].path, "/src/19999.c");
	assert_string_equal(sum.outputs[0].path, "/obj/00000.o");
	assert_string_equal(sum.outputs[0].digest, D2);
	assert_string_equal(sum.outputs[n - 1].path, "/obj/19999.o");
	alog_summary_free(&sum);
}

/* 1 if f's log has the readers' index on access.path. */
static int has_path_index(struct fixture *f)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sqlite_master WHERE"
					    " type = 'index' AND name = 'access_path'", -1, &st,
					    NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_true(n == 0 || n == 1);
	return n;
}

/* The log has no index on path, neither during the build (kept row by
 * row, it rewrote index pages into the WAL at every batch) nor after: the
 * reader's queries look no path up in the access table.  Reading a closed
 * log leaves its file byte for byte as it was (it may be a stored
 * object), and leaves no -wal beside it. */
static void reading_leaves_the_log_unchanged(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;
	char *before, *after, wal[PATH_MAX];
	size_t n_before, n_after;

	open_log(f);
	read_file(f, "/src/a.c", D1);
	written(f, "/out/a.o", D2);
	close_log(f);
	assert_int_equal(has_path_index(f), 0);
	assert_int_equal(file_read_all(f->db, 1 << 24, &before, &n_before), 0);
	load(f, &sum);
	assert_non_null(INPUT(&sum, "/src/a.c"));
	assert_non_null(OUTPUT(&sum, "/out/a.o"));
	alog_summary_free(&sum);
	assert_int_equal(file_read_all(f->db, 1 << 24, &after, &n_after), 0);
	assert_int_equal(n_before, n_after);
	assert_memory_equal(before, after, n_before);
	free(before);
	free(after);
	snprintf(wal, sizeof(wal), "%s-wal", f->db);
	assert_int_equal(access(wal, F_OK), -1);
	assert_int_equal(has_path_index(f), 0);
}

/* A hard link to a file the build only read: the new name is an output
 * with the digest the source last had. */
static void link_to_an_input_is_an_output_with_its_digest(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;

	open_log(f);
	read_file(f, "/src/old.c", D1);
	read_file(f, "/src/lib.c", D1);
	rec(f, ALOG_OP_LINK, "/out/lib.c", "/src/lib.c", 0, 0, NULL);
	read_file(f, "/src/lib.c", D1);
	written(f, "/out/gen.c", D2);
	rec(f, ALOG_OP_LINK, "/out/gen2.c", "/out/gen.c", 0, 0, NULL);
	close_log(f);
	load(f, &sum);
	assert_non_null(OUTPUT(&sum, "/out/lib.c"));
	assert_string_equal(OUTPUT(&sum, "/out/lib.c")->digest, D1);
	assert_null(OUTPUT(&sum, "/src/lib.c"));
	assert_non_null(OUTPUT(&sum, "/out/gen2.c"));
	assert_string_equal(OUTPUT(&sum, "/out/gen2.c")->digest, D2);
	assert_non_null(INPUT(&sum, "/src/lib.c"));
	alog_summary_free(&sum);
}

/* A renamed name that was no output is one with the content it held
 * (an input renamed); but not with the content of a file that name held
 * before it was removed: the directory or symlink made there since has
 * none (seen in git's t0001: a .git file written and removed, a directory
 * .git made and moved, and the file's digest named the directory). */
static void renamed_names_do_not_take_a_removed_files_content(void **state)
{
	struct fixture *f = *state;
	struct alog_summary sum;

	open_log(f);
	written(f, "/repo/.git", D1);
	rec(f, ALOG_OP_UNLINK, "/repo/.git", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_MKDIR, "/repo/.git", NULL, 0755, 0, NULL);
	rec(f, ALOG_OP_RENAME, "/repo/.git", "/repo/here", ALOG_RENAME_DIR, 0, NULL);
	rec(f, ALOG_OP_RENAME, "/repo/here", "/gitdir", ALOG_RENAME_DIR, 0, NULL);
	rec(f, ALOG_OP_RMDIR, "/gitdir", NULL, 0, 0, NULL);
	written(f, "/s", D2);
	rec(f, ALOG_OP_UNLINK, "/s", NULL, 0, 0, NULL);
	rec(f, ALOG_OP_SYMLINK, "/s", "target", 0, 0, NULL);
	rec(f, ALOG_OP_RENAME, "/s", "/t", 0, 0, NULL);
	/* Renamed over, then away: the content that was overwritten is not
	 * what moves on. */
	read_file(f, "/over", D1);
	rec(f, ALOG_OP_SYMLINK, "/tmp-link", "x", 0, 0, NULL);
	rec(f, ALOG_OP_RENAME, "/tmp-link", "/over", 0, 0, NULL);
	rec(f, ALOG_OP_RENAME, "/over", "/moved-link", 0, 0, NULL);
	/* An input renamed is an output with the content it had. */
	read_file(f, "/configure", D3);
	rec(f, ALOG_OP_RENAME, "/configure", "/configure~", 0, 0, NULL);
	close_log(f);
	load(f, &sum);
	assert_null(OUTPUT(&sum, "/gitdir"));
	assert_null(OUTPUT(&sum, "/repo/here"));
	assert_null(OUTPUT(&sum, "/t"));
	assert_null(OUTPUT(&sum, "/moved-link"));
	assert_non_null(OUTPUT(&sum, "/configure~"));
	assert_string_equal(OUTPUT(&sum, "/configure~")->digest, D3);
	assert_int_equal(sum.n_outputs, 1);
	alog_summary_free(&sum);
}

/* A daemon killed without alog_close leaves a log that loads, holding
 * every batch committed before it died. */
static void killed_writer_leaves_committed_batches(void **state)
{
	struct fixture *f = *state;
	const int first = 500, second = 300;
	struct alog_summary sum;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct timespec wait = {.tv_sec = 0, .tv_nsec = 400 * 1000000L};
		char path[32];

		if (alog_open(f->db, &workspace, &f->log) != 0)
			_exit(10);
		f->proc = alog_process_id(f->log);
		alog_process(f->log, f->proc, &(struct alog_process){.pid = getpid()});
		for (int i = 0; i < first; i++) {
			snprintf(path, sizeof(path), "/in/%d", i);
			read_file(f, path, D1);
		}
		/* Longer than the 100 ms flush interval: the batch commits. */
		nanosleep(&wait, NULL);
		for (int i = 0; i < second; i++) {
			snprintf(path, sizeof(path), "/late/%d", i);
			read_file(f, path, D2);
		}
		_exit(0); /* no alog_close: as if killed */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	load(f, &sum);
	assert_true(sum.n_accesses >= first);
	assert_true(sum.n_accesses <= first + second);
	assert_int_equal(sum.n_mounts, 1);
	assert_int_equal(sum.mounts[0].finished_ns, 0); /* never closed */
	assert_string_equal(sum.mounts[0].status, "");
	assert_int_equal(sum.n_procs, 1);
	assert_non_null(INPUT(&sum, "/in/0"));
	assert_non_null(INPUT(&sum, "/in/499"));
	alog_summary_free(&sum);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(open_creates_log_and_close_records_status),
		T(reading_leaves_the_log_unchanged),
		T(link_to_an_input_is_an_output_with_its_digest),
		T(renamed_names_do_not_take_a_removed_files_content),
		T(processes_are_recorded_with_their_facts),
		T(read_rows_without_a_path_are_no_inputs),
		T(two_mounts_share_one_log),
		T(mounts_opening_one_new_log_at_once_all_get_it),
		T(inputs_are_files_read_before_written),
		T(files_written_then_read_are_not_inputs),
		T(writers_that_changed_nothing_leave_inputs),
		T(files_moved_from_before_the_build_stay_inputs),
		T(failed_writable_and_undigested_opens_are_not_inputs),
		T(outputs_have_their_last_written_digest),
		T(rename_moves_an_output_and_unlink_removes_it),
		T(rename_over_an_output_replaces_it),
		T(renaming_a_directory_moves_outputs_under_it),
		T(reads_under_directories_moved_are_traced_back),
		T(exchange_keeps_both_outputs_swapped),
		T(unlinking_then_rewriting_makes_it_an_output_again),
		T(probes_are_paths_found_missing),
		T(touched_under_is_by_path_prefix_and_label),
		T(touched_under_skips_what_was_read),
		T(symlinks_newest_per_path),
		T(probed_above_skips_upward_searches),
		T(missing_log_is_enoent),
		T(text_file_is_not_a_log),
		T(other_sqlite_database_is_not_a_log),
		T(log_of_an_older_provfs_is_read_and_upgraded),
		T(truncated_log_is_damaged),
		T(log_in_missing_directory_fails),
		T(many_records_are_queued_and_all_committed),
		T(many_inputs_and_outputs_are_reduced),
		T(killed_writer_leaves_committed_batches),
	};

	return cmocka_run_group_tests_name("accesslog", tests, NULL, NULL);
}

/* accesslog writer: a queue drained by one thread in batched transactions. */
#include "accesslog.h"

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* A batch is committed when this many records wait, or after
 * ALOG_FLUSH_MS, whichever comes first. */
#define ALOG_BATCH 8192
#define ALOG_FLUSH_MS 100

static const char alog_schema[] =
	"CREATE TABLE IF NOT EXISTS provfs_log(version INTEGER NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS mount(\n"
	"  id INTEGER PRIMARY KEY, label TEXT, backing TEXT, mountpoint TEXT,\n"
	"  readonly INTEGER, started_ns INTEGER, finished_ns INTEGER,\n"
	"  capture_errors INTEGER NOT NULL DEFAULT 0, status TEXT);\n"
	"CREATE TABLE IF NOT EXISTS process(\n"
	"  id INTEGER PRIMARY KEY, mount INTEGER REFERENCES mount(id),\n"
	"  pid INTEGER, ppid INTEGER, uid INTEGER, gid INTEGER, exe TEXT,\n"
	"  argv TEXT, cwd TEXT, start_ns INTEGER, image INTEGER);\n"
	"CREATE TABLE IF NOT EXISTS access(\n"
	"  id INTEGER PRIMARY KEY, mount INTEGER REFERENCES mount(id),\n"
	"  process INTEGER REFERENCES process(id), time_ns INTEGER, op TEXT,\n"
	"  path TEXT, path2 TEXT, flags INTEGER, result INTEGER, size INTEGER,\n"
	"  digest_before TEXT, digest_after TEXT);\n"
	"INSERT INTO provfs_log(version) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM provfs_log);\n";

enum rec_kind { REC_PROCESS, REC_ACCESS, REC_CAPTURE_ERROR };

/* One queued record; its strings live in the same allocation (strs). */
struct rec {
	struct rec *next;
	enum rec_kind kind;
	int64_t local_id;        /* REC_PROCESS: its process.id */
	struct alog_process proc; /* REC_PROCESS */
	struct alog_access acc;   /* REC_ACCESS */
	int count;                /* REC_CAPTURE_ERROR */
	char strs[];
};

struct alog {
	sqlite3 *db;              /* used only by the writer thread after open */
	int64_t mount_id;         /* this daemon's row in mount */
	pthread_t writer;
	pthread_mutex_t lock;     /* guards the queue and the flags below */
	pthread_cond_t wake;
	struct rec *head, *tail;  /* FIFO of records not yet written */
	size_t queued;
	int stopping;             /* alog_close asked the writer to finish */
	int error;                /* first -errno from sqlite, sticky */
	int64_t next_local;       /* last per-daemon process counter used */
	sqlite3_stmt *ins_proc, *ins_acc;
};

static int sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return -EROFS;
	case SQLITE_CANTOPEN:
		return -EACCES;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EBADMSG;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	default:
		return -EIO;
	}
}

/* Copies s into *cursor and returns the copy (or NULL for NULL). */
static const char *stash(char **cursor, const char *s)
{
	char *out;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	out = *cursor;
	memcpy(out, s, n);
	*cursor += n;
	return out;
}

static size_t slen(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static void enqueue(struct alog *log, struct rec *r)
{
	pthread_mutex_lock(&log->lock);
	r->next = NULL;
	if (log->tail)
		log->tail->next = r;
	else
		log->head = r;
	log->tail = r;
	log->queued++;
	if (log->queued >= ALOG_BATCH)
		pthread_cond_signal(&log->wake);
	pthread_mutex_unlock(&log->lock);
}

int64_t alog_process_id(struct alog *log)
{
	int64_t local = __atomic_add_fetch(&log->next_local, 1, __ATOMIC_RELAXED);

	/* Ids are unique per database even with several daemons: the mount's
	 * row id in the high bits, a per-daemon counter in the low 32. */
	return (log->mount_id << 32) | local;
}

void alog_process(struct alog *log, int64_t id, const struct alog_process *p)
{
	size_t n = slen(p->exe) + slen(p->argv_json) + slen(p->cwd);
	struct rec *r = malloc(sizeof(*r) + n);
	char *cur;

	if (!r)
		return;
	cur = r->strs;
	r->kind = REC_PROCESS;
	r->proc = *p;
	r->proc.exe = stash(&cur, p->exe);
	r->proc.argv_json = stash(&cur, p->argv_json);
	r->proc.cwd = stash(&cur, p->cwd);
	r->local_id = id;
	enqueue(log, r);
}

void alog_access(struct alog *log, const struct alog_access *a)
{
	size_t n = slen(a->op) + slen(a->path) + slen(a->path2) + slen(a->digest_before) +
		   slen(a->digest_after);
	struct rec *r = malloc(sizeof(*r) + n);
	char *cur;

	if (!r)
		return;
	cur = r->strs;
	r->kind = REC_ACCESS;
	r->acc = *a;
	r->acc.op = stash(&cur, a->op);
	r->acc.path = stash(&cur, a->path);
	r->acc.path2 = stash(&cur, a->path2);
	r->acc.digest_before = stash(&cur, a->digest_before);
	r->acc.digest_after = stash(&cur, a->digest_after);
	enqueue(log, r);
}

void alog_capture_error(struct alog *log, int n)
{
	struct rec *r = malloc(sizeof(*r));

	if (!r)
		return;
	r->kind = REC_CAPTURE_ERROR;
	r->count = n;
	enqueue(log, r);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int write_one(struct alog *log, struct rec *r)
{
	sqlite3_stmt *st;
	int rc;

	if (r->kind == REC_CAPTURE_ERROR) {
		char sql[128];

		snprintf(sql, sizeof(sql),
			 "UPDATE mount SET capture_errors = capture_errors + %d WHERE id = %lld",
			 r->count, (long long)log->mount_id);
		rc = sqlite3_exec(log->db, sql, NULL, NULL, NULL);
		return rc == SQLITE_OK ? 0 : sql_errno(rc);
	}
	if (r->kind == REC_PROCESS) {
		st = log->ins_proc;
		sqlite3_bind_int64(st, 12, r->local_id);
		sqlite3_bind_int64(st, 1, log->mount_id);
		sqlite3_bind_int64(st, 2, r->proc.pid);
		sqlite3_bind_int64(st, 3, r->proc.ppid);
		sqlite3_bind_int64(st, 4, r->proc.uid);
		sqlite3_bind_int64(st, 5, r->proc.gid);
		bind_text(st, 6, r->proc.exe);
		bind_text(st, 7, r->proc.argv_json);
		bind_text(st, 8, r->proc.cwd);
		sqlite3_bind_int64(st, 9, r->proc.start_ns);
		if (r->proc.image)
			sqlite3_bind_int64(st, 10, (sqlite3_int64)r->proc.image);
		else
			sqlite3_bind_null(st, 10);
	} else {
		int64_t proc = r->acc.process;

		st = log->ins_acc;
		sqlite3_bind_int64(st, 1, log->mount_id);
		if (proc)
			sqlite3_bind_int64(st, 2, proc);
		else
			sqlite3_bind_null(st, 2);
		sqlite3_bind_int64(st, 3, r->acc.time_ns);
		bind_text(st, 4, r->acc.op);
		bind_text(st, 5, r->acc.path);
		bind_text(st, 6, r->acc.path2);
		sqlite3_bind_int64(st, 7, r->acc.flags);
		sqlite3_bind_int(st, 8, r->acc.result);
		if (r->acc.size >= 0)
			sqlite3_bind_int64(st, 9, r->acc.size);
		else
			sqlite3_bind_null(st, 9);
		bind_text(st, 10, r->acc.digest_before);
		bind_text(st, 11, r->acc.digest_after);
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return sql_errno(rc);
	return 0;
}

/* Writes one batch in a transaction; frees the records. */
static int write_batch(struct alog *log, struct rec *batch)
{
	int ret = 0, rc;

	rc = sqlite3_exec(log->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		ret = sql_errno(rc);
	while (batch) {
		struct rec *next = batch->next;

		if (ret == 0)
			ret = write_one(log, batch);
		free(batch);
		batch = next;
	}
	rc = sqlite3_exec(log->db, ret == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	if (ret == 0 && rc != SQLITE_OK)
		ret = sql_errno(rc);
	return ret;
}

static void *writer_main(void *arg)
{
	struct alog *log = arg;

	prctl(PR_SET_NAME, "provfs-log");
	/* Committing the log can wait for the build (never the reverse). */
	setpriority(PRIO_PROCESS, (id_t)gettid(), 10);

	pthread_mutex_lock(&log->lock);
	for (;;) {
		struct rec *batch;
		int stopping, ret;

		if (log->queued < ALOG_BATCH && !log->stopping) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += ALOG_FLUSH_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&log->wake, &log->lock, &until);
		}
		batch = log->head;
		log->head = log->tail = NULL;
		log->queued = 0;
		stopping = log->stopping;
		pthread_mutex_unlock(&log->lock);
		ret = batch ? write_batch(log, batch) : 0;
		pthread_mutex_lock(&log->lock);
		if (ret < 0 && log->error == 0)
			log->error = ret;
		if (stopping && !log->head)
			break;
	}
	pthread_mutex_unlock(&log->lock);
	return NULL;
}

/* A log an older provfs made has no process.image: it gets it, empty
 * in the rows there are (an SQLite status). */
static int add_image_column(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT image FROM process LIMIT 0", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_finalize(st);
		return SQLITE_OK;
	}
	return sqlite3_exec(db, "ALTER TABLE process ADD COLUMN image INTEGER", NULL, NULL, NULL);
}

static int open_db(const char *path, sqlite3 **out)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_FULLMUTEX, NULL);

	if (rc != SQLITE_OK) {
		int err = sql_errno(rc);

		sqlite3_close(db);
		return err == -EIO ? -EACCES : err;
	}
	sqlite3_busy_timeout(db, 30000);
	/* Several mounts may open one log at the same moment (provfs run
	 * starts three).  Switching a new database to WAL can fail at once
	 * with SQLITE_BUSY, the busy handler not consulted, and so can a
	 * read transaction upgraded to write: the schema is written in an
	 * IMMEDIATE transaction, and a busy switch is tried again. */
	for (int tries = 0;; tries++) {
		rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;", NULL,
				  NULL, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
			if (rc == SQLITE_OK) {
				rc = sqlite3_exec(db, alog_schema, NULL, NULL, NULL);
				if (rc == SQLITE_OK)
					rc = add_image_column(db);
				rc = rc == SQLITE_OK ? sqlite3_exec(db, "COMMIT", NULL, NULL, NULL)
						     : rc;
				if (rc != SQLITE_OK)
					sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			}
		}
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries == 300)
			break;
		usleep(10000);
	}
	if (rc != SQLITE_OK) {
		int err = sql_errno(rc);

		sqlite3_close(db);
		return err;
	}
	*out = db;
	return 0;
}

int alog_open(const char *path, const struct alog_mount_info *m, struct alog **out)
{
	struct alog *log = calloc(1, sizeof(*log));
	sqlite3_stmt *st = NULL;
	int ret, rc;

	if (!log)
		return -ENOMEM;
	ret = open_db(path, &log->db);
	if (ret < 0) {
		free(log);
		return ret;
	}
	rc = sqlite3_prepare_v2(log->db,
				"INSERT INTO mount(label, backing, mountpoint, readonly, started_ns)"
				" VALUES (?, ?, ?, ?, ?)", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		bind_text(st, 1, m->label);
		bind_text(st, 2, m->backing);
		bind_text(st, 3, m->mountpoint);
		sqlite3_bind_int(st, 4, m->readonly);
		sqlite3_bind_int64(st, 5, time_now_ns());
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(log->db);
		sqlite3_finalize(st);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(log->db,
					"INSERT OR REPLACE INTO process(mount, pid, ppid, uid, gid, exe,"
					" argv, cwd, start_ns, image, id)"
					" VALUES (?,?,?,?,?,?,?,?,?,?10,?12)", -1,
					SQLITE_PREPARE_PERSISTENT, &log->ins_proc, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v3(log->db,
					"INSERT INTO access(mount, process, time_ns, op, path, path2,"
					" flags, result, size, digest_before, digest_after)"
					" VALUES (?,?,?,?,?,?,?,?,?,?,?)", -1,
					SQLITE_PREPARE_PERSISTENT, &log->ins_acc, NULL);
	if (rc != SQLITE_OK) {
		ret = sql_errno(rc);
		sqlite3_finalize(log->ins_proc);
		sqlite3_close(log->db);
		free(log);
		return ret;
	}
	log->mount_id = sqlite3_last_insert_rowid(log->db);
	pthread_mutex_init(&log->lock, NULL);
	pthread_cond_init(&log->wake, NULL);
	if (pthread_create(&log->writer, NULL, writer_main, log) != 0) {
		sqlite3_finalize(log->ins_proc);
		sqlite3_finalize(log->ins_acc);
		sqlite3_close(log->db);
		free(log);
		return -EAGAIN;
	}
	*out = log;
	return 0;
}

int alog_close(struct alog *log, const char *status)
{
	sqlite3_stmt *st;
	int ret;

	pthread_mutex_lock(&log->lock);
	log->stopping = 1;
	pthread_cond_signal(&log->wake);
	pthread_mutex_unlock(&log->lock);
	pthread_join(log->writer, NULL);
	ret = log->error;
	if (sqlite3_prepare_v2(log->db,
			       "UPDATE mount SET finished_ns = ?, status = ? WHERE id = ?", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, time_now_ns());
		bind_text(st, 2, ret == 0 ? status : "log-write-error");
		sqlite3_bind_int64(st, 3, log->mount_id);
		if (sqlite3_step(st) != SQLITE_DONE && ret == 0)
			ret = sql_errno(sqlite3_errcode(log->db));
		sqlite3_finalize(st);
	}
	sqlite3_finalize(log->ins_proc);
	sqlite3_finalize(log->ins_acc);
	/* No full checkpoint here: provfs run's three mounts share one log
	 * and close together, and a TRUNCATE checkpoint waits for the other
	 * writers (in sqlite's busy handler, whose sleeps overshoot).  The
	 * last connection to close folds the WAL into the file and removes
	 * it, as sqlite does. */
	sqlite3_close(log->db);
	pthread_mutex_destroy(&log->lock);
	pthread_cond_destroy(&log->wake);
	free(log);
	return ret;
}

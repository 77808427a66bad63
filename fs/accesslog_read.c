/* accesslog reader: reduces a log to inputs, outputs, probes, processes. */
#include "accesslog.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Ops that bring a path into being (or replace its content). */
#define WRITE_OPS "('create','close-write','mknod','symlink','link','mkdir')"

/* Paths that were the target of a successful rename, with the first time:
 * kept in a temp table so the queries below stay index lookups (an OR in
 * their NOT EXISTS made them quadratic). */
static const char renamed_sql[] =
	/* The log's successful renames, in one scan of it (the queries
	 * below took one each). */
	"CREATE TEMP TABLE renames AS SELECT op, mount, path, path2, flags, time_ns FROM access"
	" WHERE op IN ('rename', 'link') AND result = 0;"
	"CREATE TEMP TABLE renamed AS SELECT mount, path, MIN(t) AS t FROM ("
	" SELECT mount, path2 AS path, time_ns AS t FROM renames WHERE op = 'rename'"
	/* RENAME_EXCHANGE: the source name got the destination's content. */
	" UNION ALL SELECT mount, path, time_ns FROM renames WHERE op = 'rename'"
	"  AND (flags & 2) != 0"
	") GROUP BY mount, path;"
	"CREATE INDEX temp.renamed_path ON renamed(path);"
	/* Files and directories moved: a file read under a name (or under
	 * a directory) it got by a move was the build's own if its name
	 * before the move was written before it, else it is an input from
	 * before the build.  An exchange moved each into the other.  A hard
	 * link is a move that keeps its source (ln src lnk; cat lnk reads
	 * src's content; a link's path is the new name, path2 the old). */
	"CREATE TEMP TABLE moves AS SELECT mount,"
	" CASE op WHEN 'link' THEN path2 ELSE path END AS src,"
	" CASE op WHEN 'link' THEN path ELSE path2 END AS dst, time_ns AS t FROM renames"
	" UNION ALL SELECT mount, path2, path, time_ns FROM renames WHERE op = 'rename'"
	"  AND (flags & 2) != 0;";

/* First read and first write of each path, so the inputs query is a join
 * of two small grouped tables instead of a correlated scan of the log.
 * firstread carries the first read's own row, and firstwrite whether
 * anything made the path (made: an op of WRITE_OPS, not only an open for
 * writing), so no query looks a path up in the access table: the log needs
 * no index on path (see accesslog.md).  firstread is kept by path as the
 * reads are scanned, each replacing a later one of its path: grouping
 * them (MIN(time_ns) ... GROUP BY, which sorts every read) took about
 * half as long again for zlib's 8,000 reads of 288 paths. */
static const char firsts_sql[] =
	"CREATE TEMP TABLE firstread(mount, path, t, digest_after, size, process, op,"
	" PRIMARY KEY(mount, path)) WITHOUT ROWID;"
	/* A read-only open with the digest read, or an O_RDWR open (not
	 * O_TRUNC, 0x200) with the digest the file held at the open. */
	"INSERT INTO firstread SELECT mount, path, time_ns,"
	" CASE WHEN (flags & 3) = 0 THEN digest_after ELSE digest_before END, size, process, op"
	" FROM access WHERE op IN ('open','exec') AND result = 0"
	" AND (((flags & 3) = 0 AND digest_after IS NOT NULL)"
	"  OR (op = 'open' AND (flags & 3) = 2 AND (flags & 512) = 0 AND digest_before IS NOT NULL))"
	/* (a key column is never NULL: a damaged row names no file) */
	" AND mount IS NOT NULL AND path IS NOT NULL"
	" ON CONFLICT(mount, path) DO UPDATE SET t = excluded.t,"
	" digest_after = excluded.digest_after, size = excluded.size,"
	" process = excluded.process, op = excluded.op WHERE excluded.t < firstread.t;"
	/* A path some writer changed was written from its first writer's
	 * open on (a reader beside a writer reads the build's own bytes
	 * before the close-write says so); one whose writers all left its
	 * content as it was (a close-write with digest_after equal to
	 * digest_before: touch) or wrote nothing was not written (t NULL). */
	"CREATE TEMP TABLE writes AS SELECT mount, path, time_ns AS t,"
	"  CASE WHEN op = 'open' THEN (flags & 512) != 0"
	"   WHEN op = 'close-write' THEN digest_before IS NULL OR digest_after IS NULL"
	"    OR digest_before <> digest_after"
	/* A new link names what its source holds: written only if that
	 * was (see moves). */
	"   WHEN op = 'link' THEN 0"
	"   ELSE 1 END AS changed, op IN " WRITE_OPS " AS made,"
	"  CASE WHEN op = 'open' THEN digest_before END AS before FROM access"
	/* (a close-write that failed, with no digest, still changed it) */
	"  WHERE (result = 0 OR op = 'close-write')"
	"  AND (op IN " WRITE_OPS " OR (op = 'open' AND (flags & 3) != 0));"
	/* And when the first change was recorded (tc), and what the path
	 * held at its first writer's open (before0: a read of that content
	 * while the writer had changed nothing yet read the file from before
	 * the build, sort -o f f).  (One min() in o: its bare column is of
	 * that row.) */
	"CREATE TEMP TABLE firstwrite AS SELECT g.mount, g.path, g.t, g.made, g.tc, o.before0"
	" FROM (SELECT mount, path, CASE WHEN MAX(changed) THEN MIN(t) END AS t,"
	"  MAX(made) AS made, MIN(CASE WHEN changed THEN t END) AS tc FROM writes"
	"  GROUP BY mount, path) g"
	" JOIN (SELECT mount, path, before AS before0, MIN(t) FROM writes GROUP BY mount, path) o"
	" ON o.mount = g.mount AND o.path = g.path;"
	"CREATE INDEX temp.firstwrite_path ON firstwrite(path, mount);"
	/* Reads of content nobody knows: O_RDWR opens (not O_TRUNC) of a
	 * file too big to hash at the open, and reads after a writer's
	 * open, before any change was recorded, of a file whose content at
	 * that open was not known (over 256 KiB: sort -o big big, exec
	 * 3>>log; cat log): the writer may have written meanwhile, or not.
	 * Inputs, as far as anyone can tell, of a digest nobody knows. */
	"CREATE TEMP TABLE rdwr(mount, path, t, process, PRIMARY KEY(mount, path)) WITHOUT ROWID;"
	"INSERT INTO rdwr SELECT mount, path, time_ns, process FROM access"
	" WHERE op = 'open' AND result = 0 AND (flags & 3) = 2 AND (flags & 512) = 0"
	" AND digest_before IS NULL AND mount IS NOT NULL AND path IS NOT NULL"
	" ON CONFLICT(mount, path) DO UPDATE SET t = excluded.t, process = excluded.process"
	" WHERE excluded.t < rdwr.t;"
	/* (CROSS JOIN: one scan of the log, each read's path looked up) */
	"INSERT INTO rdwr SELECT a.mount, a.path, a.time_ns, a.process FROM access a"
	" CROSS JOIN firstwrite w ON w.path = a.path AND w.mount = a.mount"
	" WHERE w.t IS NOT NULL AND w.before0 IS NULL AND a.op IN ('open','exec') AND a.result = 0"
	" AND (a.flags & 3) = 0 AND a.time_ns > w.t AND (w.tc IS NULL OR w.tc > a.time_ns)"
	" ON CONFLICT(mount, path) DO UPDATE SET t = excluded.t, process = excluded.process"
	" WHERE excluded.t < rdwr.t;"
	"CREATE INDEX temp.moves_dst ON moves(dst, mount, t);"
	/* Filled by build_origin where something moved. */
	"CREATE TEMP TABLE origin(mount, path, name, ta, tb);";

/* Where nothing moved: a file read is an input unless its name was written
 * before the read (READ_BEFORE_WRITE: not where it read what the name held
 * at its first writer's open, before any change was recorded). */
#define READ_BEFORE_WRITE(w, f)                                                            \
	"NOT COALESCE(" w ".before0 = " f ".digest_after AND " w ".tc > " f ".t, 0)"
/* And the O_RDWR opens of no known digest of files not read otherwise
 * before a write (rdwr), in either case, nor moved there (a file the build
 * wrote as x.tmp and renamed to x is its own: whatever came by a move or a
 * link into the name or one of its directories is taken for so). */
#define INPUTS_RDWR                                                                        \
	" UNION ALL SELECT m.label, r.path, NULL, NULL, r.process, 0"                      \
	" FROM rdwr r JOIN mount m ON m.id = r.mount"                                       \
	" WHERE NOT EXISTS (SELECT 1 FROM firstwrite w WHERE w.path = r.path"              \
	"   AND w.mount = r.mount AND w.t < r.t"                                           \
	"   AND NOT COALESCE(w.before0 IS NULL AND w.tc > r.t, 0))"                        \
	" AND NOT EXISTS (SELECT 1 FROM moves x WHERE x.mount = r.mount AND x.t < r.t"     \
	"   AND (x.dst = r.path OR substr(r.path, 1, length(x.dst) + 1) = x.dst || '/'))"  \
	" AND NOT EXISTS (SELECT 1 FROM firstread f WHERE f.path = r.path"                 \
	"   AND f.mount = r.mount AND NOT EXISTS (SELECT 1 FROM firstwrite w"              \
	"    WHERE w.path = f.path AND w.mount = f.mount AND w.t < f.t"                    \
	"    AND " READ_BEFORE_WRITE("w", "f") "))"                                         \
	" ORDER BY 1, 2"
static const char inputs_sql[] =
	"SELECT m.label, f.path, f.digest_after, f.size, f.process, f.op = 'exec'"
	" FROM firstread f JOIN mount m ON m.id = f.mount"
	" WHERE NOT EXISTS (SELECT 1 FROM firstwrite w WHERE w.path = f.path"
	"   AND w.mount = f.mount AND w.t < f.t AND " READ_BEFORE_WRITE("w", "f") ")"
	INPUTS_RDWR;

/* Where something moved: unless one of the names its content had on the
 * way (origin) was written while the content had that name (after ta,
 * when it came there; before tb, when it left or was read). */
static const char inputs_moved_sql[] =
	"SELECT m.label, f.path, f.digest_after, f.size, f.process, f.op = 'exec'"
	" FROM firstread f JOIN mount m ON m.id = f.mount"
	" WHERE NOT EXISTS (SELECT 1 FROM origin o JOIN firstwrite w ON w.mount = o.mount"
	"   AND w.path = o.name AND w.t IS NOT NULL WHERE o.path = f.path AND o.mount = f.mount"
	"   AND EXISTS (SELECT 1 FROM writes x WHERE x.path = o.name AND x.mount = o.mount"
	"    AND x.t < o.tb AND (o.ta IS NULL OR x.t > o.ta))"
	"   AND (o.name <> f.path OR " READ_BEFORE_WRITE("w", "f") "))"
	INPUTS_RDWR;

static char *dup_col(sqlite3_stmt *st, int i);

/* The moves (renames, links), sorted by mount, destination and time, for
 * build_origin's look-ups. */
struct move {
	int64_t mount, t;
	char *src, *dst;
	size_t dst_len;
};

static int move_key_cmp(const struct move *m, int64_t mount, const char *dst, size_t len,
			int64_t t)
{
	int c;

	if (m->mount != mount)
		return m->mount < mount ? -1 : 1;
	c = memcmp(m->dst, dst, m->dst_len < len ? m->dst_len : len);
	if (c)
		return c;
	if (m->dst_len != len)
		return m->dst_len < len ? -1 : 1;
	return m->t < t ? -1 : m->t > t;
}

static int move_cmp(const void *a, const void *b)
{
	const struct move *y = b;

	return move_key_cmp(a, y->mount, y->dst, y->dst_len, y->t);
}

/* The last move into dst[0, len) before t, or NULL. */
static const struct move *last_move_into(const struct move *mv, size_t n, int64_t mount,
					 const char *dst, size_t len, int64_t t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* the first move not before (mount, dst, t) */
		size_t mid = lo + (hi - lo) / 2;

		if (move_key_cmp(&mv[mid], mount, dst, len, t) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	mv += lo - 1;
	return mv->mount == mount && mv->dst_len == len && !memcmp(mv->dst, dst, len) ? mv : NULL;
}

/* The names the build changed (firstwrite with a time), sorted by mount and
 * path: only those matter in origin (see inputs_moved_sql). */
struct written {
	int64_t mount;
	char *path;
};

static int written_cmp(const void *a, const void *b)
{
	const struct written *x = a, *y = b;

	if (x->mount != y->mount)
		return x->mount < y->mount ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int was_written(const struct written *w, size_t n, int64_t mount, const char *path)
{
	struct written key = {mount, (char *)path};

	return n && bsearch(&key, w, n, sizeof(*w), written_cmp) != NULL;
}

/* origin: for each file read (firstread), the names its content had, back
 * from the read through the moves: mkdir d; write d/f; mv d e; mv e g;
 * read g/f gives g/f (since the second move), e/f (between the moves) and
 * d/f (until the first), each with the times it came to that name (ta;
 * NULL: from before the build) and left it (tb).  At each step only the
 * last move into the name or one of its directories counts: what came to
 * a directory earlier was moved on or replaced by then (a test suite that
 * moves a fixture's .gitted to .git in every test).  Each step goes back
 * in time, so a walk ends; and there is one walk per file, where following
 * every directory's moves walked names the file never had, exponentially
 * many with nested directories moved back and forth.  Sets *moved when
 * anything moved. */
static int build_origin(sqlite3 *db, int *moved)
{
	sqlite3_stmt *st = NULL, *ins = NULL;
	struct move *mv = NULL;
	struct written *wr = NULL;
	size_t n = 0, nw = 0;
	int rc;

	*moved = 0;
	rc = sqlite3_prepare_v2(db, "SELECT mount, src, dst, t FROM moves WHERE mount IS NOT NULL"
				" AND src IS NOT NULL AND dst IS NOT NULL AND t IS NOT NULL",
				-1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct move *m = array_push(&mv, &n, sizeof(*mv));

		if (!m) {
			rc = SQLITE_NOMEM;
			break;
		}
		m->mount = sqlite3_column_int64(st, 0);
		m->src = dup_col(st, 1);
		m->dst = dup_col(st, 2);
		m->dst_len = strlen(m->dst);
		m->t = sqlite3_column_int64(st, 3);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	if (rc == SQLITE_OK && n) {
		rc = sqlite3_prepare_v2(db, "SELECT mount, path FROM firstwrite WHERE t IS NOT NULL"
					" AND mount IS NOT NULL AND path IS NOT NULL", -1, &st, NULL);
		while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			struct written *w = array_push(&wr, &nw, sizeof(*wr));

			if (!w) {
				rc = SQLITE_NOMEM;
				break;
			}
			w->mount = sqlite3_column_int64(st, 0);
			w->path = dup_col(st, 1);
			rc = SQLITE_OK;
		}
		sqlite3_finalize(st);
		st = NULL;
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
		sort_items(wr, nw, sizeof(*wr), written_cmp);
	}
	if (rc == SQLITE_OK && n) {
		*moved = 1;
		sort_items(mv, n, sizeof(*mv), move_cmp);
		rc = sqlite3_prepare_v2(db, "SELECT mount, path, t FROM firstread", -1, &st, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_prepare_v2(db, "INSERT INTO origin VALUES (?1, ?2, ?3, ?4, ?5)",
						-1, &ins, NULL);
	}
	while (rc == SQLITE_OK && n && sqlite3_step(st) == SQLITE_ROW) {
		int64_t mount = sqlite3_column_int64(st, 0), tb = sqlite3_column_int64(st, 2);
		char *name = dup_col(st, 1);

		/* (each step is a move, one earlier than the last) */
		for (size_t step = 0; name && step <= n && rc == SQLITE_OK; step++) {
			const struct move *best = NULL;
			size_t best_len = 0;

			for (size_t len = strlen(name); len > 0;) {
				const struct move *m = last_move_into(mv, n, mount, name, len, tb);

				if (m && (!best || m->t > best->t)) {
					best = m;
					best_len = len;
				}
				while (len > 0 && name[--len] != '/')
					;
			}
			/* (a name never written says nothing: most are not,
			 * and a chain may be long) */
			if (was_written(wr, nw, mount, name)) {
				sqlite3_bind_int64(ins, 1, mount);
				sqlite3_bind_value(ins, 2, sqlite3_column_value(st, 1));
				sqlite3_bind_text(ins, 3, name, -1, SQLITE_TRANSIENT);
				if (best)
					sqlite3_bind_int64(ins, 4, best->t);
				sqlite3_bind_int64(ins, 5, tb);
				if (sqlite3_step(ins) != SQLITE_DONE)
					rc = SQLITE_ERROR;
				sqlite3_reset(ins);
				sqlite3_clear_bindings(ins);
			}
			if (!best)
				break;
			{
				char *prev = name;

				if (asprintf(&name, "%s%s", best->src, prev + best_len) < 0)
					name = NULL;
				free(prev);
			}
			tb = best->t;
		}
		if (!name)
			rc = SQLITE_NOMEM;
		free(name);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(ins);
	for (size_t i = 0; i < n; i++) {
		free(mv[i].src);
		free(mv[i].dst);
	}
	free(mv);
	for (size_t i = 0; i < nw; i++)
		free(wr[i].path);
	free(wr);
	if (rc == SQLITE_OK && *moved)
		rc = sqlite3_exec(db, "CREATE INDEX temp.origin_path ON origin(path, mount);"
				  "CREATE INDEX temp.writes_path ON writes(path, mount, t);",
				  NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : -EBADMSG;
}

static const char outputs_replay_sql[] =
	"SELECT a.mount, a.op, a.path, a.path2, a.flags, a.digest_after, a.size, a.process, a.id,"
	" a.time_ns FROM access a WHERE a.result = 0"
	" AND a.op IN ('close-write','rename','unlink','link')"
	/* A file deleted while open (ALOG_CLOSE_UNLINKED) was not there at
	 * the end, and its path may name another file by then. */
	" AND NOT (a.op = 'close-write' AND (a.flags & 1) != 0)"
	" ORDER BY a.time_ns, a.id";

static const char probes_sql[] =
	"SELECT m.label, a.path, MIN(a.process) FROM access a JOIN mount m ON m.id = a.mount"
	/* (a look-up that failed otherwise, EMFILE or EACCES, says nothing
	 * of whether the name was there; 0 is no errno kept, as in a log
	 * made by other means) */
	" WHERE a.op = 'probe' AND a.result IN (0, 2, 20)"
	" AND NOT EXISTS (SELECT 1 FROM firstwrite w WHERE w.path = a.path"
	"   AND w.mount = a.mount AND w.made)"
	/* provfs run's root and tmp mounts name files by the same absolute
	 * paths, and its home overlay has HOME in both: a name the build
	 * looked for in the root's HOME and then made (in the overlay's
	 * upper layer, the tmp mount) was its own too. */
	" AND NOT (m.label IN ('" ALOG_LABEL_ROOT "', '" ALOG_LABEL_TMP "') AND EXISTS (SELECT 1"
	"   FROM firstwrite w JOIN mount mw ON mw.id = w.mount WHERE w.path = a.path AND w.made"
	"   AND mw.label IN ('" ALOG_LABEL_ROOT "', '" ALOG_LABEL_TMP "')))"
	" AND NOT EXISTS (SELECT 1 FROM renamed r WHERE r.path = a.path AND r.mount = a.mount)"
	" GROUP BY a.mount, a.path ORDER BY m.label, a.path";

/* Copies into the store that failed (of outputs, and of inputs a
 * writable mount keeps), with their errno. */
static const char failed_captures_sql[] =
	"SELECT m.label, a.path, a.process, a.result FROM access a JOIN mount m ON m.id = a.mount"
	" WHERE a.op = 'capture' AND a.result != 0 ORDER BY a.time_ns, a.id";

/* IMAGE: the image column, or NULL in a log an older provfs wrote.  Each
 * record's accesses are counted by count_accesses: grouping the log by
 * process in SQL sorted every row (7.7 of the 44 ms zlib's log took). */
#define PROCS_SQL(IMAGE)                                                                  \
	"SELECT p.id, p.pid, p.ppid, p.exe, p.argv, p.cwd, p.start_ns, m.label, " IMAGE     \
	" FROM process p JOIN mount m ON m.id = p.mount ORDER BY p.id"

static const char mounts_sql[] =
	"SELECT id, label, backing, mountpoint, readonly, started_ns, finished_ns,"
	" capture_errors, status FROM mount ORDER BY id";

static char *dup_col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return strdup(s ? (const char *)s : "");
}

static void copy_digest(char out[DIGEST_HEX_LEN + 1], const unsigned char *s)
{
	out[0] = '\0';
	if (s && hex_is_digest((const char *)s))
		memcpy(out, s, DIGEST_HEX_LEN + 1);
}

static int load_files(sqlite3 *db, const char *sql, struct alog_file **out, size_t *n,
		      int with_digest)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return -EBADMSG;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct alog_file *f = array_push(out, n, sizeof(**out));

		if (!f) {
			sqlite3_finalize(st);
			return -ENOMEM;
		}
		f->mount = dup_col(st, 0);
		f->path = dup_col(st, 1);
		f->size = -1;
		if (with_digest) {
			copy_digest(f->digest, sqlite3_column_text(st, 2));
			if (sqlite3_column_type(st, 3) != SQLITE_NULL)
				f->size = sqlite3_column_int64(st, 3);
			f->process = sqlite3_column_int64(st, 4);
			f->exec = sqlite3_column_int(st, 5);
		} else {
			f->process = sqlite3_column_int64(st, 2);
			if (sqlite3_column_count(st) > 3)
				f->error = abs(sqlite3_column_int(st, 3));
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Outputs: replay close-write/rename/unlink/link in time order in a temp
 * table, so renamed outputs keep their digest, deleted ones drop out, and
 * a write through one hard link updates every name of that file (names
 * linked together share a grp).  Rows with real = 0 are names we only
 * track because a link was made to them. */
static const char *const outputs_setup[] = {
	"CREATE TEMP TABLE outs(mount INTEGER, path TEXT, digest TEXT, size INTEGER,"
	" process INTEGER, grp INTEGER, real INTEGER, PRIMARY KEY(mount, path))",
	/* Without it every close-write scans all outputs (Q_WRITE_GROUP). */
	"CREATE INDEX temp.outs_grp ON outs(mount, grp)",
	/* See digests_fill_sql. */
	"CREATE TEMP TABLE digests(mount INTEGER, path TEXT, digest TEXT, t INTEGER)",
	"CREATE INDEX temp.digests_at ON digests(mount, path, t)",
	NULL,
};

enum {
	Q_WRITE,
	Q_WRITE_GROUP,
	Q_DEL,
	Q_MOVE,
	Q_IS_OUT,
	Q_RENAME_SRC,
	Q_LINK_SRC,
	Q_LINK_GRP,
	Q_LINK_NEW,
	Q_LINK_DIGEST,
	Q_RESULT,
	Q_N
};

static const char *const outputs_sql[Q_N] = {
	[Q_WRITE] = "INSERT OR REPLACE INTO outs VALUES (?1, ?2, ?3, ?4, ?5,"
		    " (SELECT grp FROM outs WHERE mount = ?1 AND path = ?2), 1)",
	[Q_WRITE_GROUP] = "UPDATE outs SET digest = ?3, size = ?4, real = 1 WHERE mount = ?1"
			  " AND grp = (SELECT grp FROM outs WHERE mount = ?1 AND path = ?2)",
	/* path and everything under it; the range ['P', 'P0') ('0' follows '/')
	 * keeps it an index search instead of a scan of all outputs. */
	[Q_DEL] = "DELETE FROM outs WHERE mount = ?1 AND path >= ?2 AND path < ?2 || '0'"
		  " AND (path = ?2 OR substr(path, 1, length(?2) + 1) = ?2 || '/')",
	[Q_MOVE] = "UPDATE OR REPLACE outs SET path = ?3 || substr(path, length(?2) + 1)"
		   " WHERE mount = ?1 AND path >= ?2 AND path < ?2 || '0'"
		   " AND (path = ?2 OR substr(path, 1, length(?2) + 1) = ?2 || '/')",
	[Q_IS_OUT] = "SELECT 1 FROM outs WHERE mount = ?1 AND path = ?2",
	/* A file the build read (an input) and renamed: the new name is an
	 * output with the content it had then (configure~ of autoconf). */
	[Q_RENAME_SRC] = "INSERT OR IGNORE INTO outs SELECT ?1, ?2, digest, NULL, ?4, NULL, 1"
			 " FROM (SELECT digest FROM digests WHERE mount = ?1 AND path = ?2"
			 " AND t < ?3 ORDER BY t DESC LIMIT 1) WHERE digest IS NOT NULL",
	[Q_LINK_SRC] = "INSERT OR IGNORE INTO outs VALUES (?1, ?2, (SELECT digest FROM digests"
		       " WHERE mount = ?1 AND path = ?2 AND t <= ?3 ORDER BY t DESC LIMIT 1),"
		       " NULL, NULL, NULL, 0)",
	[Q_LINK_GRP] = "UPDATE outs SET grp = COALESCE(grp, ?3) WHERE mount = ?1 AND path = ?2",
	/* A name for content not known (a symlink, a file never read) is no
	 * output until a write through a name of its group. */
	[Q_LINK_NEW] = "INSERT OR REPLACE INTO outs SELECT mount, ?3, digest, size, ?4, grp,"
		       " digest IS NOT NULL FROM outs WHERE mount = ?1 AND path = ?2",
	/* A link record with the content's digest (its source's name was
	 * not known, or is logged beside it): the new name holds that. */
	[Q_LINK_DIGEST] = "INSERT INTO outs VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)"
			  " ON CONFLICT(mount, path) DO UPDATE SET digest = excluded.digest,"
			  " size = excluded.size, real = 1",
	[Q_RESULT] = "SELECT m.label, o.path, o.digest, o.size, o.process FROM outs o"
		     " JOIN mount m ON m.id = o.mount WHERE o.real = 1 ORDER BY m.label, o.path",
};

static void run_q(sqlite3_stmt *q)
{
	sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
}

/* Q_MOVE of what is at `from` (and under it) to `to`, both as text. */
static void move_text(sqlite3_stmt *q, int64_t mount, const char *from, const char *to)
{
	sqlite3_bind_int64(q, 1, mount);
	sqlite3_bind_text(q, 2, from, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, to, -1, SQLITE_TRANSIENT);
	run_q(q);
}

/* A name no path has (they all start with '/'), to swap two through. */
#define SWAP_NAME "\001"

/* Every digest logged of each path a link's source or a renamed file's,
 * with a NULL digest at each moment a name lost its file (unlinked,
 * removed, renamed away or over, and so when one of its directories was):
 * content logged before that belongs to a file that is gone or elsewhere,
 * not to what the name holds later.  (And where something else was made
 * at the name: a symlink, a node, a directory, none a file whose content
 * is known.)  A close-write of a file that had no name left says nothing
 * of the name (see outputs_replay_sql). */
static const char digests_fill_sql[] =
	"CREATE TEMP TABLE need AS SELECT DISTINCT mount,"
	" CASE op WHEN 'link' THEN path2 ELSE path END AS path FROM renames;"
	"CREATE TEMP TABLE need_up AS WITH RECURSIVE up(mount, path, dir) AS ("
	" SELECT mount, path, substr(path, 1, length(rtrim(path, replace(path, '/', ''))) - 1)"
	"  FROM need WHERE path IS NOT NULL"
	" UNION ALL SELECT mount, path, substr(dir, 1, length(rtrim(dir, replace(dir, '/', ''))) - 1)"
	"  FROM up WHERE dir <> '')"
	" SELECT mount, path, dir FROM up WHERE dir <> '';"
	"CREATE INDEX temp.need_up_dir ON need_up(dir, mount);"
	"INSERT INTO digests SELECT mount, path, digest_after, time_ns"
	" FROM access WHERE digest_after IS NOT NULL AND result = 0"
	" AND NOT (op = 'close-write' AND (flags & 1) != 0)"
	" AND (mount, path) IN need"
	" UNION ALL SELECT mount, path, NULL, time_ns FROM access"
	" WHERE result = 0 AND op IN ('unlink', 'rmdir', 'rename', 'symlink',"
	" 'mknod', 'mkdir') AND (mount, path) IN need"
	" UNION ALL SELECT mount, path2, NULL, time_ns FROM access"
	" WHERE result = 0 AND op = 'rename' AND (mount, path2) IN need"
	" UNION ALL SELECT n.mount, n.path, NULL, r.time_ns FROM renames r JOIN need_up n"
	" ON n.dir = r.path AND n.mount = r.mount WHERE r.op = 'rename'"
	" UNION ALL SELECT n.mount, n.path, NULL, r.time_ns FROM renames r JOIN need_up n"
	" ON n.dir = r.path2 AND n.mount = r.mount WHERE r.op = 'rename';";

/* digests_fill_sql, once, at the first need: most builds have none.  Of
 * the paths renamed or linked only: of every path, zlib's build (9,976
 * rows, one rename of a file it had not written) spent 15 ms of its 43 ms
 * load filling and indexing 8,597 rows. */
static void need_digests(sqlite3_stmt **q, int *filled)
{
	if (!*filled) {
		sqlite3_exec(sqlite3_db_handle(q[Q_IS_OUT]), digests_fill_sql, NULL, NULL, NULL);
		*filled = 1;
	}
}

static void replay_row(sqlite3_stmt *st, sqlite3_stmt **q, int *filled)
{
	int64_t mount = sqlite3_column_int64(st, 0);
	const char *op = (const char *)sqlite3_column_text(st, 1);
	sqlite3_value *path = sqlite3_column_value(st, 2), *path2 = sqlite3_column_value(st, 3);

	if (!strcmp(op, "close-write")) {
		for (int k = Q_WRITE; k <= Q_WRITE_GROUP; k++) {
			sqlite3_bind_int64(q[k], 1, mount);
			sqlite3_bind_value(q[k], 2, path);
			sqlite3_bind_value(q[k], 3, sqlite3_column_value(st, 5));
			sqlite3_bind_value(q[k], 4, sqlite3_column_value(st, 6));
			if (k == Q_WRITE)
				sqlite3_bind_value(q[k], 5, sqlite3_column_value(st, 7));
			run_q(q[k]);
		}
	} else if (!strcmp(op, "rename") && (sqlite3_column_int64(st, 4) & RENAME_EXCHANGE)) {
		/* Both names stay, each with the other's content (and, for
		 * directories, files). */
		const char *pa = (const char *)sqlite3_column_text(st, 2);
		const char *pb = (const char *)sqlite3_column_text(st, 3);
		char *a = pa ? strdup(pa) : NULL, *b = pb ? strdup(pb) : NULL;

		if (a && b) {
			move_text(q[Q_MOVE], mount, a, SWAP_NAME);
			move_text(q[Q_MOVE], mount, b, a);
			move_text(q[Q_MOVE], mount, SWAP_NAME, b);
		}
		free(a);
		free(b);
	} else if (!strcmp(op, "rename")) {
		int is_out;

		sqlite3_bind_int64(q[Q_IS_OUT], 1, mount);
		sqlite3_bind_value(q[Q_IS_OUT], 2, path);
		is_out = sqlite3_step(q[Q_IS_OUT]) == SQLITE_ROW;
		sqlite3_reset(q[Q_IS_OUT]);
		sqlite3_clear_bindings(q[Q_IS_OUT]);
		/* A directory has no content of its own: what it holds
		 * moves with it (Q_MOVE). */
		if (!is_out && !(sqlite3_column_int64(st, 4) & ALOG_RENAME_DIR)) {
			need_digests(q, filled);
			sqlite3_bind_int64(q[Q_RENAME_SRC], 1, mount);
			sqlite3_bind_value(q[Q_RENAME_SRC], 2, path);
			sqlite3_bind_value(q[Q_RENAME_SRC], 3, sqlite3_column_value(st, 9));
			sqlite3_bind_value(q[Q_RENAME_SRC], 4, sqlite3_column_value(st, 7));
			run_q(q[Q_RENAME_SRC]);
		}
		/* The overwritten destination is gone; the source takes its place. */
		sqlite3_bind_int64(q[Q_DEL], 1, mount);
		sqlite3_bind_value(q[Q_DEL], 2, path2);
		run_q(q[Q_DEL]);
		sqlite3_bind_int64(q[Q_MOVE], 1, mount);
		sqlite3_bind_value(q[Q_MOVE], 2, path);
		sqlite3_bind_value(q[Q_MOVE], 3, path2);
		run_q(q[Q_MOVE]);
	} else if (!strcmp(op, "link")) {
		/* path = the new name, path2 = the existing one (NULL: not
		 * known; the record's digest then says what it holds). */
		if (sqlite3_column_type(st, 3) == SQLITE_NULL) {
			if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
				sqlite3_bind_int64(q[Q_LINK_DIGEST], 1, mount);
				sqlite3_bind_value(q[Q_LINK_DIGEST], 2, path);
				sqlite3_bind_value(q[Q_LINK_DIGEST], 3, sqlite3_column_value(st, 5));
				sqlite3_bind_value(q[Q_LINK_DIGEST], 4, sqlite3_column_value(st, 6));
				sqlite3_bind_value(q[Q_LINK_DIGEST], 5, sqlite3_column_value(st, 7));
				sqlite3_bind_int64(q[Q_LINK_DIGEST], 6, sqlite3_column_int64(st, 8));
				run_q(q[Q_LINK_DIGEST]);
			} else {
				sqlite3_bind_int64(q[Q_DEL], 1, mount);
				sqlite3_bind_value(q[Q_DEL], 2, path);
				run_q(q[Q_DEL]);
			}
			return;
		}
		need_digests(q, filled);
		sqlite3_bind_int64(q[Q_LINK_SRC], 1, mount);
		sqlite3_bind_value(q[Q_LINK_SRC], 2, path2);
		sqlite3_bind_value(q[Q_LINK_SRC], 3, sqlite3_column_value(st, 9));
		run_q(q[Q_LINK_SRC]);
		sqlite3_bind_int64(q[Q_LINK_GRP], 1, mount);
		sqlite3_bind_value(q[Q_LINK_GRP], 2, path2);
		sqlite3_bind_int64(q[Q_LINK_GRP], 3, sqlite3_column_int64(st, 8));
		run_q(q[Q_LINK_GRP]);
		sqlite3_bind_int64(q[Q_LINK_NEW], 1, mount);
		sqlite3_bind_value(q[Q_LINK_NEW], 2, path2);
		sqlite3_bind_value(q[Q_LINK_NEW], 3, path);
		sqlite3_bind_value(q[Q_LINK_NEW], 4, sqlite3_column_value(st, 7));
		run_q(q[Q_LINK_NEW]);
	} else {
		sqlite3_bind_int64(q[Q_DEL], 1, mount);
		sqlite3_bind_value(q[Q_DEL], 2, path);
		run_q(q[Q_DEL]);
	}
}

static int load_outputs(sqlite3 *db, struct alog_summary *sum)
{
	sqlite3_stmt *st = NULL, *q[Q_N] = {0};
	int rc = SQLITE_OK, filled = 0;

	for (int i = 0; outputs_setup[i] && rc == SQLITE_OK; i++)
		rc = sqlite3_exec(db, outputs_setup[i], NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, outputs_replay_sql, -1, &st, NULL);
	for (int k = 0; k < Q_N && rc == SQLITE_OK; k++)
		rc = sqlite3_prepare_v2(db, outputs_sql[k], -1, &q[k], NULL);
	/* One transaction for the whole replay, not one per statement. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		replay_row(st, q, &filled);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	while (rc == SQLITE_OK && sqlite3_step(q[Q_RESULT]) == SQLITE_ROW) {
		sqlite3_stmt *res = q[Q_RESULT];
		struct alog_file *f = array_push(&sum->outputs, &sum->n_outputs,
					   sizeof(*f));

		if (!f) {
			rc = SQLITE_NOMEM;
			break;
		}
		f->mount = dup_col(res, 0);
		f->path = dup_col(res, 1);
		copy_digest(f->digest, sqlite3_column_text(res, 2));
		f->size = sqlite3_column_type(res, 3) == SQLITE_NULL ? -1
								     : sqlite3_column_int64(res, 3);
		f->process = sqlite3_column_int64(res, 4);
	}
	sqlite3_finalize(st);
	for (int k = 0; k < Q_N; k++)
		sqlite3_finalize(q[k]);
	return rc == SQLITE_OK ? 0 : -EBADMSG;
}

/* The record with id in procs (sorted by id), or NULL. */
static struct alog_proc_row *proc_by_id(struct alog_proc_row *procs, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (procs[mid].id == id)
			return &procs[mid];
		if (procs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Each record's number of access rows, and the time of its first. */
static int count_accesses(sqlite3 *db, struct alog_summary *sum)
{
	/* which records have a time yet (first_ns stays 0 until then:
	 * MIN() of SQL skipped NULLs) */
	unsigned char *timed = calloc(sum->n_procs + 1, 1);
	sqlite3_stmt *st;
	int rc;

	if (!timed)
		return -ENOMEM;
	if (sqlite3_prepare_v2(db, "SELECT process, time_ns FROM access", -1, &st, NULL) !=
	    SQLITE_OK) {
		free(timed);
		return -EBADMSG;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct alog_proc_row *p;
		int64_t t;

		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			continue;
		p = proc_by_id(sum->procs, sum->n_procs, sqlite3_column_int64(st, 0));
		if (!p)
			continue;
		p->accesses++;
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			continue;
		t = sqlite3_column_int64(st, 1);
		if (!timed[p - sum->procs] || t < p->first_ns)
			p->first_ns = t;
		timed[p - sum->procs] = 1;
	}
	sqlite3_finalize(st);
	free(timed);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int load_procs(sqlite3 *db, struct alog_summary *sum)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, PROCS_SQL("p.image"), -1, &st, NULL) != SQLITE_OK &&
	    sqlite3_prepare_v2(db, PROCS_SQL("NULL"), -1, &st, NULL) != SQLITE_OK)
		return -EBADMSG;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct alog_proc_row *p = array_push(&sum->procs, &sum->n_procs, sizeof(*p));

		if (!p)
			break;
		p->id = sqlite3_column_int64(st, 0);
		p->pid = (pid_t)sqlite3_column_int64(st, 1);
		p->ppid = (pid_t)sqlite3_column_int64(st, 2);
		p->exe = dup_col(st, 3);
		p->argv_json = dup_col(st, 4);
		p->cwd = dup_col(st, 5);
		p->start_ns = sqlite3_column_int64(st, 6);
		p->mount = dup_col(st, 7);
		p->image = (uint64_t)sqlite3_column_int64(st, 8); /* NULL: 0 */
	}
	sqlite3_finalize(st);
	return count_accesses(db, sum);
}

static int load_mounts(sqlite3 *db, struct alog_summary *sum)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, mounts_sql, -1, &st, NULL) != SQLITE_OK)
		return -EBADMSG;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct alog_mount_row *m = array_push(&sum->mounts, &sum->n_mounts, sizeof(*m));

		if (!m)
			break;
		m->id = sqlite3_column_int64(st, 0);
		m->label = dup_col(st, 1);
		m->backing = dup_col(st, 2);
		m->mountpoint = dup_col(st, 3);
		m->readonly = sqlite3_column_int(st, 4);
		m->started_ns = sqlite3_column_int64(st, 5);
		m->finished_ns = sqlite3_column_int64(st, 6);
		m->capture_errors = sqlite3_column_int64(st, 7);
		m->status = dup_col(st, 8);
	}
	sqlite3_finalize(st);
	return 0;
}

/* Whether db's last error says its file is damaged (cut short, or bytes
 * changed), rather than not a log at all. */
static int damaged(sqlite3 *db)
{
	int rc = sqlite3_errcode(db) & 0xff;

	return rc == SQLITE_CORRUPT || rc == SQLITE_IOERR;
}

/* Opens the log at path with flags (SQLITE_OPEN_READWRITE or _READONLY)
 * and reads its schema.  A log in WAL mode needs a -shm file beside it,
 * which sqlite cannot make in a directory that cannot be written (a
 * read-only mount, another user's): with no WAL records left to read
 * there (no -wal file, or an empty one), the file alone is the whole log,
 * and it is opened as immutable.  SQLITE_OK or sqlite's error code. */
static int open_log(const char *path, int flags, sqlite3 **db)
{
	char wal[PATH_MAX + 8], *uri;
	struct stat st;
	size_t n;
	int rc = sqlite3_open_v2(path, db, flags, NULL);

	if (rc != SQLITE_OK)
		return rc;
	/* Any other failure of the first read (not a database, a damaged
	 * one) is left for the caller's first statement to say. */
	rc = sqlite3_exec(*db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		rc = sqlite3_extended_errcode(*db);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (((rc & 0xff) != SQLITE_CANTOPEN && (rc & 0xff) != SQLITE_READONLY) ||
	    (stat(wal, &st) == 0 && st.st_size > 0))
		return SQLITE_OK;
	sqlite3_close(*db);
	*db = NULL;
	/* A URI's path, where '%', '?' and '#' would be its syntax. */
	uri = malloc(strlen(path) * 3 + sizeof("file:?immutable=1"));
	if (!uri)
		return SQLITE_NOMEM;
	n = (size_t)sprintf(uri, "file:");
	for (const char *p = path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#')
			n += (size_t)sprintf(uri + n, "%%%02X", (unsigned char)*p);
		else
			uri[n++] = *p;
	}
	strcpy(uri + n, "?immutable=1");
	rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	free(uri);
	return rc;
}

int alog_summary_load(const char *path, struct alog_summary *sum)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	int ret, rc, moved = 0;

	memset(sum, 0, sizeof(*sum));
	if (access(path, F_OK) < 0)
		return -errno;
	rc = open_log(path, SQLITE_OPEN_READWRITE, &db);
	if (rc != SQLITE_OK) {
		sqlite3_close(db);
		db = NULL;
		rc = open_log(path, SQLITE_OPEN_READONLY, &db);
	}
	if (rc != SQLITE_OK) {
		sqlite3_close(db);
		return -EACCES;
	}
	sqlite3_busy_timeout(db, 10000);
	sqlite3_exec(db, "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536", NULL, NULL, NULL);
	rc = sqlite3_prepare_v2(db, "SELECT version FROM provfs_log", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = damaged(db) ? -EIO : -EBADMSG;
		sqlite3_close(db);
		return ret;
	}
	sqlite3_finalize(st);
	ret = load_mounts(db, sum);
	if (ret == 0 && (sqlite3_exec(db, renamed_sql, NULL, NULL, NULL) != SQLITE_OK ||
			 sqlite3_exec(db, firsts_sql, NULL, NULL, NULL) != SQLITE_OK))
		ret = -EBADMSG;
	if (ret == 0)
		ret = build_origin(db, &moved);
	if (ret == 0)
		ret = load_files(db, moved ? inputs_moved_sql : inputs_sql, &sum->inputs,
				 &sum->n_inputs, 1);
	if (ret == 0)
		ret = load_outputs(db, sum);
	if (ret == 0)
		ret = load_files(db, probes_sql, &sum->probes, &sum->n_probes, 0);
	if (ret == 0)
		ret = load_files(db, failed_captures_sql, &sum->failed_captures,
				 &sum->n_failed_captures, 0);
	if (ret == 0)
		ret = load_procs(db, sum);
	if (ret == 0 && sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM access", -1, &st, NULL) ==
				SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			sum->n_accesses = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (ret == -EBADMSG && damaged(db))
		ret = -EIO;
	sqlite3_close(db);
	if (ret < 0)
		alog_summary_free(sum);
	return ret;
}

const char *alog_load_error(int err)
{
	return err == -EIO ? "is a damaged provfs access log (truncated or corrupt: SQLite cannot "
			     "read it)"
			   : "is not a provfs access log";
}

static void free_files(struct alog_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].path);
		free(f[i].mount);
	}
	free(f);
}

void alog_summary_free(struct alog_summary *sum)
{
	free_files(sum->inputs, sum->n_inputs);
	free_files(sum->outputs, sum->n_outputs);
	free_files(sum->probes, sum->n_probes);
	free_files(sum->failed_captures, sum->n_failed_captures);
	for (size_t i = 0; i < sum->n_procs; i++) {
		free(sum->procs[i].exe);
		free(sum->procs[i].argv_json);
		free(sum->procs[i].cwd);
		free(sum->procs[i].mount);
	}
	free(sum->procs);
	for (size_t i = 0; i < sum->n_mounts; i++) {
		free(sum->mounts[i].label);
		free(sum->mounts[i].backing);
		free(sum->mounts[i].mountpoint);
		free(sum->mounts[i].status);
	}
	free(sum->mounts);
	memset(sum, 0, sizeof(*sum));
}

int alog_mount_status(const char *path, const char *mountpoint, int64_t *finished_ns,
		      int64_t *capture_errors, int *log_error)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int ret = -ENOENT;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -EACCES;
	}
	sqlite3_busy_timeout(db, 10000);
	if (sqlite3_prepare_v2(db, "SELECT finished_ns, capture_errors,"
				   " CASE status WHEN 'log-write-error' THEN 1 WHEN 'aborted' THEN 2"
				   " ELSE 0 END FROM mount"
				   " WHERE mountpoint = ? ORDER BY id DESC LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -EBADMSG;
	}
	sqlite3_bind_text(st, 1, mountpoint, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*finished_ns = sqlite3_column_int64(st, 0);
		*capture_errors = sqlite3_column_int64(st, 1);
		if (log_error)
			*log_error = sqlite3_column_int(st, 2);
		ret = 0;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ret;
}

/* Opens the log at path read-only and prepares sql on it: 0, or -EACCES
 * (cannot open) or -EBADMSG (not a provfs log); on failure *db and *st
 * are closed and NULL. */
static int query_open(const char *path, const char *sql, sqlite3 **db, sqlite3_stmt **st)
{
	*st = NULL;
	if (open_log(path, SQLITE_OPEN_READONLY, db) != SQLITE_OK) {
		sqlite3_close(*db);
		*db = NULL;
		return -EACCES;
	}
	sqlite3_busy_timeout(*db, 10000);
	if (sqlite3_prepare_v2(*db, sql, -1, st, NULL) != SQLITE_OK) {
		sqlite3_close(*db);
		*db = NULL;
		return -EBADMSG;
	}
	return 0;
}

/* Column i of st's row as a malloc'd string ("" for NULL or empty). */
static char *column_dup(sqlite3_stmt *st, int i)
{
	const char *p = (const char *)sqlite3_column_blob(st, i);

	return p ? strndup(p, (size_t)sqlite3_column_bytes(st, i)) : strdup("");
}

/* Whether a logged access of path (len bytes) by op is one a command
 * search of the skip directories makes: any of an entry right in one of
 * them, and a lookup (stat, probe) of one of them or of a directory on
 * the way to one. */
static int is_path_search(const char *path, size_t len, const char *op,
			  const char *const *skip, size_t n_skip)
{
	const char *slash = memrchr(path, '/', len);
	size_t dlen = slash ? (size_t)(slash - path) : 0;
	int lookup = op && (!strcmp(op, ALOG_OP_STAT) || !strcmp(op, ALOG_OP_PROBE));

	for (size_t i = 0; i < n_skip; i++) {
		size_t n = strlen(skip[i]);

		if (slash && n == dlen && !memcmp(skip[i], path, dlen))
			return 1;
		if (lookup && n >= len && !memcmp(skip[i], path, len) &&
		    (n == len || skip[i][len] == '/'))
			return 1;
	}
	return 0;
}

/* A path logged under the directory alog_touched_under looks at, and
 * whether any record of it is a read that succeeded (open, exec, readdir,
 * readlink): not the trace of a write the read-only root refused. */
struct seen_path {
	char *path;
	size_t len;
	int read;
};

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

static int cmp_seen(const void *a, const void *b)
{
	const struct seen_path *x = a, *y = b;

	return cmp_bytes(x->path, x->len, y->path, y->len);
}

/* The first of the n sorted paths not below key (klen bytes). */
static size_t seen_lower_bound(const struct seen_path *v, size_t n, const char *key, size_t klen)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_bytes(v[mid].path, v[mid].len, key, klen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void seen_free(struct seen_path *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

/* Reads the distinct paths st yields (path, whether read), sorted: 0, or
 * -ENOMEM / -EBADMSG. */
static int seen_load(sqlite3_stmt *st, struct seen_path **out, size_t *count)
{
	struct seen_path *v = NULL;
	size_t n = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);

		if (!p)
			continue;
		if (n == cap) {
			struct seen_path *nv = realloc(v, (cap = cap ? 2 * cap : 256) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		v[n].path = malloc(len + 1);
		if (!v[n].path)
			break;
		memcpy(v[n].path, p, len);
		v[n].path[len] = '\0';
		v[n].len = len;
		v[n++].read = sqlite3_column_int(st, 1);
	}
	if (rc != SQLITE_DONE) {
		seen_free(v, n);
		return rc == SQLITE_ROW ? -ENOMEM : -EBADMSG;
	}
	if (n > 1)
		sort_items(v, n, sizeof(*v), cmp_seen);
	*out = v;
	*count = n;
	return 0;
}

/* Whether a look-up of path (len bytes) can be the trace of a write the
 * read-only root refused, which the daemon sees only as the look-up: not
 * if the path was also read (the build found it and used it: a program,
 * a library, a module) or if it is a directory something under it was
 * reached through. */
static int maybe_refused_write(const struct seen_path *v, size_t n, const char *path, size_t len)
{
	size_t i = seen_lower_bound(v, n, path, len);

	if (i < n && v[i].len == len && !memcmp(v[i].path, path, len)) {
		if (v[i].read)
			return 0;
		i++;
	}
	return !(i < n && v[i].len > len && !memcmp(v[i].path, path, len) && v[i].path[len] == '/');
}

int alog_touched_under(const char *path, const char *label, const char *dir,
		       const char *const *skip, size_t n_skip, char **last, int64_t *last_id)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct seen_path *seen = NULL;
	size_t len = strlen(dir), n_seen = 0;
	char *lo = malloc(len + 2), *hi = malloc(len + 2);
	int rc, ret;

	if (!lo || !hi) {
		free(lo);
		free(hi);
		return -ENOMEM;
	}
	/* Byte ranges, as paths need not be UTF-8: "dir/" <= path < "dir0"
	 * ('0' follows '/') holds exactly the paths under dir. */
	memcpy(lo, dir, len);
	memcpy(hi, dir, len);
	memcpy(lo + len, "/", 2);
	memcpy(hi + len, "0", 2);
	ret = query_open(path,
			 "SELECT a.path, MAX(a.op IN ('" ALOG_OP_OPEN "', '" ALOG_OP_EXEC
			 "', '" ALOG_OP_READDIR "', '" ALOG_OP_READLINK "') AND a.result = 0)"
			 " FROM access a JOIN mount m ON a.mount = m.id WHERE m.label = ?1"
			 " AND (a.path = ?4 OR (a.path >= ?2 AND a.path < ?3)) GROUP BY a.path",
			 &db, &st);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(st, 1, label, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hi, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, dir, -1, SQLITE_STATIC);
	ret = seen_load(st, &seen, &n_seen);
	sqlite3_finalize(st);
	st = NULL;
	if (ret < 0)
		goto out;
	/* Newest first: a build that failed writing there is likely to have
	 * looked there last (stat and probe records are already one per
	 * process and path). */
	if (sqlite3_prepare_v2(db,
			       "SELECT a.path, a.op, a.id FROM access a JOIN mount m"
			       " ON a.mount = m.id WHERE m.label = ?1"
			       " AND ((a.path = ?4 AND a.op = '" ALOG_OP_PROBE "')"
			       "  OR (a.path >= ?2 AND a.path < ?3))"
			       " AND a.op IN ('" ALOG_OP_STAT "', '" ALOG_OP_PROBE "')"
			       " ORDER BY a.id DESC",
			       -1, &st, NULL) != SQLITE_OK) {
		ret = -EBADMSG;
		goto out;
	}
	sqlite3_bind_text(st, 1, label, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hi, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, dir, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_blob(st, 0);
		int n = sqlite3_column_bytes(st, 0);

		if (p &&
		    !is_path_search(p, (size_t)n, (const char *)sqlite3_column_text(st, 1), skip,
				    n_skip) &&
		    maybe_refused_write(seen, n_seen, p, (size_t)n))
			break;
	}
	ret = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EBADMSG;
	if (ret == 1 && last)
		*last = column_dup(st, 0);
	if (ret == 1 && last_id)
		*last_id = sqlite3_column_int64(st, 2);
out:
	seen_free(seen, n_seen);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(lo);
	free(hi);
	return ret;
}

/* A look-up alog_probed_above weighs: in which directory (the index of
 * an ancestor of dir, -3 for "/", -1 for the top of the mount below), of
 * what. */
struct lookup {
	int dir;
	int probe;
	int64_t id;
	char *name; /* points into path */
	char *path;
};

/* The index of path's directory among the ancestors of dir (0 its parent;
 * -3 for "/"), or -2 if it is not one: dir's ancestors are its prefixes
 * ending before a slash of it. */
static int ancestor_index(const char *path, size_t len, const char *dir)
{
	const char *slash = memrchr(path, '/', len);
	size_t dlen;

	if (!slash || slash == path + len - 1)
		return -2;
	dlen = (size_t)(slash - path);
	if (dlen == 0)
		return -3;
	if (dlen >= strlen(dir) || memcmp(dir, path, dlen) || dir[dlen] != '/')
		return -2;
	{
		int depth = 0;

		for (const char *c = dir + dlen; *c; c++)
			depth += *c == '/';
		return depth - 1;
	}
}

int alog_probed_above(const char *path, const char *label, const char *top, const char *dir,
		      char **last, int64_t *last_id)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct lookup *seen = NULL;
	size_t n = 0, cap = 0;
	int rc, ret;
	const struct lookup *best = NULL;

	*last = NULL;
	ret = query_open(path, "SELECT a.path, a.op, a.id, m.label = ?1 FROM access a"
			       " JOIN mount m ON a.mount = m.id"
			       " WHERE (m.label = ?1 OR m.label = ?2) AND a.op IN (?3, ?4)",
			 &db, &st);
	if (ret < 0)
		goto out;
	ret = -EBADMSG;
	sqlite3_bind_text(st, 1, label, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, top, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ALOG_OP_STAT, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ALOG_OP_PROBE, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_blob(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);
		int d;

		if (!p || len < 2)
			continue;
		if (sqlite3_column_int(st, 3))
			d = ancestor_index(p, len, dir);
		else
			d = memchr(p + 1, '/', len - 1) ? -2 : -1; /* "/NAME" */
		/* dir's parent is "/" (provfs run --env's /build): a name with
		 * a dot there (../pkg_1.0_amd64.deb, ../artifact.txt) is taken
		 * as beside it; "/" has the libraries' own probes besides
		 * (ls's /selinux). */
		if (d == -3 && !strchr(dir + 1, '/') && memchr(p + 1, '.', len - 1))
			d = 0;
		if (d == -2)
			continue;
		if (n == cap) {
			struct lookup *more = realloc(seen, (cap = cap ? 2 * cap : 64) * sizeof(*seen));

			if (!more) {
				ret = -ENOMEM;
				goto out;
			}
			seen = more;
		}
		seen[n].path = strndup(p, len);
		if (!seen[n].path) {
			ret = -ENOMEM;
			goto out;
		}
		seen[n].name = strrchr(seen[n].path, '/') + 1;
		seen[n].dir = d;
		seen[n].probe = !strcmp((const char *)sqlite3_column_text(st, 1), ALOG_OP_PROBE);
		seen[n].id = sqlite3_column_int64(st, 2);
		n++;
	}
	if (rc != SQLITE_DONE)
		goto out;
	for (size_t i = 0; i < n; i++) {
		int upward = 0;

		/* Only beside dir: a probe further up is rather a search
		 * of a fixed list (OpenSSL's certificate directories, cargo's
		 * /var/ssl), and "--workspace /var" no advice. */
		if (seen[i].dir != 0 || !seen[i].probe || (best && best->id > seen[i].id))
			continue;
		for (size_t k = 0; k < n && !upward; k++)
			upward = seen[k].dir != seen[i].dir && !strcmp(seen[k].name, seen[i].name);
		if (!upward)
			best = &seen[i];
	}
	ret = best != NULL;
	if (best) {
		*last = strdup(best->path);
		*last_id = best->id;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(seen[i].path);
	free(seen);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ret;
}

int alog_for_each_digest(const char *path, int (*visit)(void *arg, const char *hex), void *arg)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, ret;

	ret = query_open(path, "SELECT digest_before FROM access WHERE digest_before IS NOT NULL"
			       " UNION SELECT digest_after FROM access WHERE digest_after IS NOT NULL",
			 &db, &st);
	if (ret < 0)
		return ret;
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *hex = (const char *)sqlite3_column_text(st, 0);

		if (hex && hex_is_digest(hex))
			ret = visit(arg, hex);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = -EBADMSG;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ret;
}

int alog_for_each_symlink(const char *path, const char *label,
			  int (*fn)(const char *link, const char *target, void *arg), void *arg)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, ret;

	/* The newest symlink made at each path (SQLite takes the bare
	 * columns of a MAX() aggregate from the row with the maximum), also
	 * where one was renamed to since (ln -sfn makes a link of a
	 * temporary name and renames it over the old one), rename after
	 * rename.  The renames are few: kept apart, they are looked up in a
	 * small table, not in the log (which has no index on path). */
	ret = query_open(path,
			 "WITH RECURSIVE mnt AS (SELECT id FROM mount WHERE label = ?1),"
			 " rn AS MATERIALIZED (SELECT a.mount, a.path, a.path2, a.id FROM access a"
			 "  WHERE a.op = 'rename' AND a.result = 0 AND a.mount IN mnt),"
			 " l(mount, path, target, id) AS (SELECT a.mount, a.path, a.path2, a.id"
			 "  FROM access a WHERE a.mount IN mnt AND a.op = '" ALOG_OP_SYMLINK
			 "' AND a.result = 0 AND a.path2 IS NOT NULL"
			 "  UNION SELECT r.mount, r.path2, l.target, r.id FROM l JOIN rn r"
			 "  ON r.mount = l.mount AND r.path = l.path AND r.id > l.id)"
			 " SELECT path, target, MAX(id) FROM l GROUP BY path ORDER BY MAX(id)",
			 &db, &st);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(st, 1, label, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char *link = column_dup(st, 0), *target = column_dup(st, 1);

		ret = link && target ? fn(link, target, arg) : -ENOMEM;
		free(link);
		free(target);
		if (ret != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = -EBADMSG;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ret;
}

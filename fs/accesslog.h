/*
 * accesslog: the per-mount record of who touched what, in sqlite.
 *
 * Writing: FUSE request threads call alog_process()/alog_access(), which
 * copy the record into an in-memory queue and return at once; a dedicated
 * writer thread commits the queue in batched transactions (WAL mode).  So a
 * request never waits on sqlite, and a killed daemon leaves a database that
 * is consistent up to its last committed batch.  Several daemons (the
 * environment root and the workspace of one build) may share one file: each
 * gets its own row in the mount table.
 *
 * Reading: alog_summary_load() reduces a log to what provenance needs:
 * inputs (read before written, with the digest first read), outputs (last
 * written digest of each path still present), probes of missing paths, and
 * processes.  The schema is documented in docs/accesslog.md.
 */
#ifndef PROVFS_ACCESSLOG_H
#define PROVFS_ACCESSLOG_H

#include <stdint.h>
#include <sys/types.h>

#include "util.h"

/* Mount labels (mounts.label, access.mount): provfs mount's defaults and
 * provfs run's three mounts, which the manifest tells apart by them. */
#define ALOG_LABEL_ROOT "root"           /* a read-only mount: the environment */
#define ALOG_LABEL_WORKSPACE "workspace" /* a read-write mount */
#define ALOG_LABEL_TMP "tmp"             /* provfs run's /tmp, /var/tmp, empty HOME */

/* Operation names as stored in access.op. */
#define ALOG_OP_STAT "stat"           /* successful lookup/getattr of a path */
#define ALOG_OP_PROBE "probe"         /* failed lookup: the path was absent */
#define ALOG_OP_OPEN "open"           /* open(2); flags = O_* flags */
#define ALOG_OP_EXEC "exec"           /* a file opened for execve */
#define ALOG_OP_CREATE "create"       /* open with O_CREAT that made the file */
#define ALOG_OP_CLOSE_WRITE "close-write" /* last writer closed; digest_after final */
/* close-write flags: the file had no name left when its last writer closed
 * it (deleted while open): a digest, but no output. */
#define ALOG_CLOSE_UNLINKED 1
/* rename flags, besides RENAME_NOREPLACE/EXCHANGE/WHITEOUT: the object
 * moved to path2 is a directory (so its files moved with it). */
#define ALOG_RENAME_DIR 0x100

#define ALOG_OP_CAPTURE "capture"     /* content copied into the store (result!=0: failed) */
#define ALOG_OP_READDIR "readdir"
#define ALOG_OP_READLINK "readlink"
#define ALOG_OP_MKDIR "mkdir"
#define ALOG_OP_MKNOD "mknod"
#define ALOG_OP_SYMLINK "symlink"     /* path = link, path2 = target text */
#define ALOG_OP_LINK "link"           /* path = new name, path2 = existing */
#define ALOG_OP_RENAME "rename"       /* path = from, path2 = to; flags = RENAME_* */
#define ALOG_OP_UNLINK "unlink"
#define ALOG_OP_RMDIR "rmdir"
#define ALOG_OP_SETATTR "setattr"     /* flags = FUSE_SET_ATTR_* mask; size for truncate */
#define ALOG_OP_XATTR "xattr"         /* path2 = attribute name; flags 1 set, 2 remove */
#define ALOG_OP_FILEATTR "fileattr"   /* chattr: flags = the FS_*_FL (or fsxattr xflags) set */

struct alog;

/* What a mount tells the log about itself (copied). */
struct alog_mount_info {
	const char *label;      /* "workspace", "root", or user-chosen */
	const char *backing;    /* absolute backing directory */
	const char *mountpoint; /* absolute mount point */
	int readonly;
};

/* One process as read from /proc (strings copied; argv_json is a JSON
 * array of strings). */
struct alog_process {
	pid_t pid;
	pid_t ppid;
	uid_t uid;
	gid_t gid;
	const char *exe;
	const char *argv_json;
	const char *cwd;
	int64_t start_ns; /* process start, ns since epoch; 0 if unknown */
	uint64_t image;   /* which of its images (procinfo.image); 0 unknown */
};

/* One access (strings copied; NULL means absent). */
struct alog_access {
	int64_t time_ns;
	int64_t process;       /* id from alog_process_id(), or 0 if unknown */
	const char *op;        /* one of ALOG_OP_* */
	const char *path;      /* path inside the mount, starting with '/' */
	const char *path2;
	int64_t flags;
	int result;            /* 0, or a positive errno */
	int64_t size;          /* file size after the access, -1 if unknown */
	const char *digest_before; /* 64-hex or NULL */
	const char *digest_after;  /* 64-hex or NULL */
};

/* Opens (creating) the log at path and starts its writer thread. */
int alog_open(const char *path, const struct alog_mount_info *mount, struct alog **out);

/* Allocates a process id (> 0, unique within the database) without
 * touching sqlite; the row itself may be queued later with alog_process,
 * so accesses can name a process before its /proc facts are read. */
int64_t alog_process_id(struct alog *log);

/* Queues the process row with id from alog_process_id(). */
void alog_process(struct alog *log, int64_t id, const struct alog_process *proc);

/* Queues an access row. */
void alog_access(struct alog *log, const struct alog_access *acc);

/* Adds n to this mount's capture_errors counter. */
void alog_capture_error(struct alog *log, int n);

/* Commits everything queued, records the mount's finish time and status
 * ("clean" or an error text), stops the writer and closes the database.
 * Returns 0 or the first -errno the writer met. */
int alog_close(struct alog *log, const char *status);

/* ---- reading ---- */

struct alog_file {
	char *path;
	char digest[DIGEST_HEX_LEN + 1]; /* "" if unknown */
	int64_t size;                   /* -1 if unknown */
	int64_t process;                /* process.id of the first accessor */
	char *mount;                    /* mount label */
	int exec;                       /* input: opened for execve */
	int error;                      /* failed capture: its errno */
};

struct alog_proc_row {
	int64_t id;
	pid_t pid, ppid;
	char *exe;
	char *argv_json;
	char *cwd;
	int64_t start_ns;
	uint64_t image;   /* which of its images (procinfo.image); 0 unknown */
	char *mount;
	int64_t accesses; /* number of access rows naming it */
	int64_t first_ns; /* time of the first of them; 0: none */
};

struct alog_mount_row {
	int64_t id;
	char *label, *backing, *mountpoint, *status;
	int readonly;
	int64_t started_ns, finished_ns, capture_errors;
};

struct alog_summary {
	struct alog_file *inputs;   /* sorted by (mount, path) */
	size_t n_inputs;
	struct alog_file *outputs;  /* sorted by (mount, path) */
	size_t n_outputs;
	struct alog_file *probes;   /* missing paths looked up; digest "" */
	size_t n_probes;
	struct alog_file *failed_captures; /* copies into the store that failed */
	size_t n_failed_captures;
	struct alog_proc_row *procs; /* by id */
	size_t n_procs;
	struct alog_mount_row *mounts;
	size_t n_mounts;
	int64_t n_accesses;
};

/* Loads and reduces a log (read-only; works on a log whose daemon was
 * killed).  Returns 0, -ENOENT, -EBADMSG if the file is not a provfs
 * log, or -EIO if it is a damaged one (truncated, corrupt). */
int alog_summary_load(const char *path, struct alog_summary *out);
/* For -EBADMSG or -EIO from alog_summary_load: what the file is, to
 * follow its name ("'log.db' is not a provfs access log"). */
const char *alog_load_error(int err);
void alog_summary_free(struct alog_summary *sum);

/* Calls visit with every digest the log names (a file's content before
 * or after an access), each once; a non-zero return (-errno) stops it.
 * 0, the visitor's value, -EACCES (cannot open) or -EBADMSG (not a
 * provfs access log, or unreadable). */
int alog_for_each_digest(const char *path, int (*visit)(void *arg, const char *hex), void *arg);

/* The latest mount row for mountpoint: its finish time (0 if the daemon
 * never finished, e.g. was killed), capture error count and (log_error,
 * if not NULL) ALOG_LOG_WRITE_ERROR if its status is log-write-error
 * (records it could not write are missing), ALOG_ABORTED if aborted (its
 * FUSE connection was aborted while it was mounted: what the build did
 * after that failed, and is not in the log), else 0.  Cheap: no summary is computed.  0, -ENOENT (no
 * such mount), -EBADMSG, -EACCES. */
#define ALOG_LOG_WRITE_ERROR 1
#define ALOG_ABORTED 2
int alog_mount_status(const char *path, const char *mountpoint, int64_t *finished_ns,
		      int64_t *capture_errors, int *log_error);

/* Whether the mount labelled label logged a look-up (stat or probe) of a
 * path under dir (an absolute path of the mount, without a trailing
 * slash), or a failed one (probe) of dir itself (a stat of it, found, may
 * be the slave's own set-up: its HOME overlay), that may be the trace of a
 * write a read-only mount
 * refused (the daemon sees only the look-up): not of a path the build
 * also read (opened, executed, listed, read as a link), not of a
 * directory it reached another logged path through, and not those a
 * search for commands in the n_skip directories skip (absolute, without
 * trailing slashes: PATH's) makes: any access of an entry right in one of
 * them, and lookups of them and of the directories on the way.  1, 0, or
 * -EACCES / -EBADMSG / -ENOMEM as alog_for_each_digest.  On
 * 1, *last (if last is not NULL) gets a malloc'd copy of the last such
 * path the log holds (NULL on ENOMEM), and *last_id (if not NULL) its
 * record's id (later records have greater ids). */
int alog_touched_under(const char *path, const char *label, const char *dir,
		       const char *const *skip, size_t n_skip, char **last, int64_t *last_id);

/* Whether the mount labelled label logged a probe (a look-up of a name
 * that was absent) right in dir's parent (not further up, where a
 * program searches a fixed list: cargo's /var/ssl, nor "/", where
 * libraries probe their own: ls's /selinux, unless the name has a dot
 * and "/" is dir's parent; dir absolute, without a trailing slash),
 * other than of a name
 * also looked up (stat or probe) in another of them or at the top of the
 * mount labelled top, mounted at dir: that is an upward search (git's
 * .git, autoconf's install-sh, Cargo.toml), not a file the build meant to
 * make there.  1, 0, -ENOMEM, or -EACCES / -EBADMSG as
 * alog_for_each_digest; on 1, *last gets a malloc'd copy of the newest
 * such path (NULL on ENOMEM) and *last_id its record's id. */
int alog_probed_above(const char *path, const char *label, const char *top, const char *dir,
		      char **last, int64_t *last_id);

/* Calls fn(link, target, arg) for each path where the mount labelled
 * label made a symlink (a symlink operation that succeeded), with the
 * target text of the newest one made there, oldest path first.  0, fn's
 * first non-zero return, -ENOMEM, or -EACCES / -EBADMSG as
 * alog_for_each_digest.  The link may have gone or changed since. */
int alog_for_each_symlink(const char *path, const char *label,
			  int (*fn)(const char *link, const char *target, void *arg), void *arg);

#endif

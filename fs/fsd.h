/*
 * fsd: the provfs FUSE daemon (libfuse3 low-level API), a passthrough over
 * a backing directory that logs accesses and content-addresses files.
 *
 * This header is the daemon's public entry point (fsd_serve) followed by
 * what its modules share: fsd_inode.c (the inode table), fsd_ops.c (the
 * FUSE operations), fsd_work.c (digest/capture workers and the /proc
 * reader), fsd_main.c (session setup and teardown).
 *
 * Inodes: keyed by the backing (dev, ino).  Each holds a file handle from
 * name_to_handle_at() and only optionally an O_PATH fd: at most
 * FSD_FD_CACHE_MAX fds are kept, beyond that an fd is reopened with
 * open_by_handle_at() for each request, so a 100k-file tree does not need
 * 100k fds (the hard RLIMIT_NOFILE here is 20000).  On filesystems
 * without handles (overlayfs, procfs) an inode past the cache is reopened
 * by its path in the mount, checked against its (dev, ino).
 */
#ifndef PROVFS_FSD_H
#define PROVFS_FSD_H

#define FUSE_USE_VERSION 312

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "accesslog.h"
#include "cas.h"
#include "digest.h"

struct fsd_config {
	const char *backing;    /* directory served */
	const char *mountpoint; /* where */
	const char *store;      /* store root; NULL: no capture */
	const char *log_path;   /* access log database */
	const char *digest_cache; /* persistent digest cache file, or NULL */
	const char *label;      /* mount label in the log ("workspace", "root") */
	int readonly;
	int debug;              /* libfuse debug output to stderr */
	double timeout;         /* entry/attr cache timeout, seconds */
	int no_passthrough;     /* serve all file I/O ourselves */
	int no_io_uring;        /* take requests from /dev/fuse only */
	/* has_owner: owner_pidfd is a pidfd of the process that started the
	 * mount (provfs run); when it exits, the daemon unmounts itself and
	 * records the mount as "abandoned". */
	int has_owner;
	int owner_pidfd;
	/* The exec ring shared with the slave's other mounts (provfs run),
	 * or NULL: see fsd_ring.c. */
	const char *exec_ring;
};

/* Mounts, then writes "ok\n" to ready_fd (or "error <errno> <text>\n" and
 * returns) and serves until unmounted; then drains the workers and closes
 * the log.  Returns 0, or -errno for a setup failure, or 1 if files could
 * not be captured into the store. */
int fsd_serve(const struct fsd_config *cfg, int ready_fd);

/* ---- internals shared by the fsd_*.c modules ---- */

/* Raises the mount's readahead to 1 MiB (see fsd_main.c). */
void fsd_tune_readahead(const char *mountpoint);

/* Upper bound of cached O_PATH fds; the real bound is also kept below a
 * quarter of RLIMIT_NOFILE (fsd.fd_cache_max). */
#define FSD_FD_CACHE_MAX 8192

struct fsd_inode {
	struct fsd_inode *hnext; /* hash chain in the inode table */
	dev_t dev;
	ino_t ino;
	mode_t type;            /* S_IFMT bits */
	struct file_handle *fh; /* NULL when the filesystem has no handles */
	int mount_fd;           /* fd on the same filesystem, for open_by_handle_at */
	int fd;                 /* cached O_PATH fd or -1; closed only when freed */
	uint64_t nlookup;       /* the kernel's references */
	uint64_t refs;          /* ours: children, open files, pending jobs */
	struct fsd_inode *parent; /* last known parent (holds a ref), NULL for root */
	char *name;             /* last known name in parent */

	/* Write tracking, under wlock. */
	pthread_mutex_t wlock;
	int writers;            /* open file handles with write access */
	int dirty;              /* written since the last close-write record */
	int written_here;       /* its content was written through this mount:
				 * the build's own, whose big reads are not
				 * hashed (set with dirty, never cleared) */
	struct digest_ctx *seq; /* inline hash of a strictly sequential writer */
	uint64_t seq_off;       /* bytes hashed so far */
	char before[DIGEST_HEX_LEN + 1]; /* digest when the first writer opened,
					  * if the digest cache knew it; "" if not */
	int pt_id;              /* passthrough backing id, 0 none (fsd_passthrough.c) */
	int pt_opens;           /* open files using pt_id */
	int pt_kept;            /* pt_id stays registered until the inode is
				 * freed (read-only mounts, see fsd_passthrough.c) */
	int direct_opens;       /* open files served by us while passthrough is on */
	int input_kept;         /* its content as read is in the store, or was
				 * queued for it (fsd_work_input_kept) */
	int reads_pending;      /* reads queued for the workers or being hashed
				 * (fsd_work.c, under its lock) */
	/* security.capability, which the kernel asks for before a write
	 * whenever it has refreshed the inode's attributes (so after every
	 * passthrough write), and at every exec: no_caps is set when the
	 * backing file was found without one, and answers later asks from
	 * memory; caps_gen counts changes made through us, so an answer
	 * that raced with one is not kept.  Under wlock. */
	int no_caps;
	uint64_t caps_gen;
	int linked;             /* seen with more than one link: its name in
				 * the table may have gone (unlinked,
				 * renamed over) while another keeps it,
				 * so fsd_inode_named_path checks it */
	uint64_t gen;           /* set to a new, never repeated value by every
				 * change made through us (0: none yet); a
				 * capture trusts a digest only if gen did not
				 * move while it copied, and the digest cache
				 * carries a digest across chmod/chown/utimens
				 * while gen stays the same */
};

/* One open file or directory (fuse_file_info.fh). */
struct fsd_file {
	int fd;                /* real fd for I/O */
	struct fsd_inode *in;  /* holds a ref */
	int writable;
	int kill_setid;        /* first write must clear setuid/setgid */
	int passthrough;       /* its I/O bypasses us (fsd_passthrough.c) */
	int pt_counted;        /* in its inode's pt_opens or direct_opens */
	struct timespec pt_mtime, pt_ctime; /* passthrough writer: at open */
	off_t pt_size;
	void *dir;             /* DIR * for directories */
	off_t dir_off;         /* offset of the last entry returned */
	int64_t process;       /* process that opened it */
};

struct fsd {
	struct fsd_config cfg;
	struct fuse_session *se;
	struct cas *cas;       /* NULL: no capture */
	struct alog *log;
	struct fsd_inode root;
	pthread_mutex_t table_lock; /* inode table, nlookup/refs, parent/name */
	struct fsd_inode **table;
	struct fsd_inode *dead; /* unhashed, freed by table_unlock (via hnext) */
	size_t table_size, n_inodes;
	int n_cached_fds;
	int fd_cache_max;      /* see FSD_FD_CACHE_MAX */
	/* Renames between their renameat and the name update in the table
	 * (atomic): a name not found meanwhile may be one of theirs. */
	int renames_inflight;
	unsigned long renames_done; /* renames that succeeded, ever */
	struct fsd_work *work;
	struct fsd_execw *execw; /* fsd_exec.c; NULL without the watch */
	struct fsd_ring *ring;   /* fsd_ring.c; NULL without a ring */
	struct fsd_seen *seen; /* dedup of stat/probe/readdir records */
	int dont_mask;         /* FUSE_CAP_DONT_MASK: we apply the caller's umask */
	int no_opendir;        /* directories are read without OPENDIR (op_init) */
	int no_handles;        /* open_by_handle_at refused (no CAP_DAC_READ_SEARCH,
				* as in a container): files are reopened by path */
	int mount_fds[64];     /* known mount ids -> fd, see fsd_inode.c */
	int mount_ids[64];
	int n_mounts;
	int tuned;             /* fsd_tune_readahead done */
	int pt_offered;        /* the kernel offered FUSE passthrough */
	int killpriv_offered;  /* and FUSE_HANDLE_KILLPRIV_V2 */
	int passthrough;       /* and we took it */
	int pt_stack_depth;
	int pt_writers;        /* writers may pass through (fsd_pt_attach) */
	int pt_kept_count;     /* inodes with pt_kept set */
	int uring_offered;     /* the kernel offered FUSE over io_uring */
	struct fsd_uring *uring; /* our rings, once INIT is answered */
	pthread_mutex_t links_lock; /* fsd_links.c; and starting linger */
	struct fsd_links *links;
	struct fsd_linger *linger; /* fsd_passthrough.c; NULL until needed */
	/* A read-only mount under its backing directory: the mount point's
	 * name in its parent (dev, ino), which look-ups do not find; NULL
	 * otherwise. */
	const char *self_name;
	dev_t self_dev;
	ino_t self_ino;
};

/* FUSE passthrough (fsd_passthrough.c).  fsd_pt_attach: after mounting,
 * before serving.  fsd_pt_init_reply: from the init op.  fsd_pt_open:
 * before replying to an open/create of a regular file (direct: we must
 * serve this one's I/O ourselves if we can): >0 if the reply will carry a
 * backing id, 0 if we serve its I/O; either way call fsd_pt_opened after
 * the reply, and fsd_pt_release(was_pt: the result was >0) when the file
 * is released. */
int fsd_pt_attach(struct fsd *fs);
void fsd_pt_init_reply(struct fsd *fs);
int fsd_pt_open(struct fsd *fs, struct fsd_inode *in, int fd, int direct);
void fsd_pt_opened(void);
void fsd_pt_release(struct fsd *fs, struct fsd_inode *in, int was_pt);
/* Whether in's backing file stays registered between opens (then a
 * read-only open needs no fd of its own: fsd_pt_open may get fd -1);
 * fsd_pt_forget drops it when the inode is freed. */
int fsd_pt_kept(struct fsd_inode *in);
void fsd_pt_forget(struct fsd *fs, struct fsd_inode *in);
/* At the release of f, after fsd_pt_release: 1 if f is a last
 * passthrough writer whose backing file something still holds open for
 * writing (a mapping): fsd_release_finish(f) is then called once nothing
 * does, or by fsd_pt_linger_stop at the end of the session.  Closes f's
 * own fd either way. */
int fsd_pt_linger(struct fsd *fs, struct fsd_file *f);
void fsd_pt_linger_stop(struct fsd *fs);
/* (fsd_ops.c) The rest of a release: a last writer's close logged and
 * hashed, f freed. */
void fsd_release_finish(struct fsd *fs, struct fsd_file *f);

/* FUSE over io_uring (fsd_uring.c).  fsd_uring_enable: before mounting,
 * lets the kernel offer it (root only).  fsd_uring_prepare: sets up the
 * rings before the INIT reply; 0, or -errno (then do not ask for it).
 * fsd_uring_start: once the INIT reply asking for it is written (waits
 * for the rings to register, else turns io_uring off for the
 * connection); fsd_uring_stop: after the session loop.
 * fsd_uring_reply / fsd_uring_splice_reply: from the custom io, for every
 * reply; they return 0 if the reply is not for a ring request (write it
 * to /dev/fuse), else what writev/splice would have. */
struct fsd_uring;
void fsd_uring_enable(const struct fsd_config *cfg);
int fsd_uring_prepare(struct fsd *fs);
void fsd_uring_start(struct fsd *fs);
void fsd_uring_stop(struct fsd *fs);
ssize_t fsd_uring_reply(struct fsd *fs, const struct iovec *iov, int count);
ssize_t fsd_uring_splice_reply(struct fsd *fs, int pipe_fd, size_t len);
/* On a ring thread serving a request: the reply's payload area (*cap
 * bytes), where a reply's data can be put so that fsd_uring_reply need
 * not copy it; else NULL. */
void *fsd_uring_buffer(struct fsd *fs, size_t *cap);

/* Inode table (fsd_inode.c). */
/* Call before the daemon starts its first thread. */
void fsd_fd_table_reserve(void);
int fsd_inode_init(struct fsd *fs);
void fsd_inode_destroy(struct fsd *fs);
struct fsd_inode *fsd_inode_get(struct fsd *fs, fuse_ino_t ino);
fuse_ino_t fsd_inode_id(struct fsd *fs, struct fsd_inode *in);
/* Looks name up under parent: on success fills e (nlookup taken) and
 * returns 0; else -errno. */
int fsd_inode_lookup(struct fsd *fs, struct fsd_inode *parent, const char *name,
		     struct fuse_entry_param *e);
void fsd_inode_forget(struct fsd *fs, struct fsd_inode *in, uint64_t n);
void fsd_inode_ref(struct fsd *fs, struct fsd_inode *in);
void fsd_inode_unref(struct fsd *fs, struct fsd_inode *in);
/* An O_PATH fd for in; *owned says whether the caller must close it
 * (fsd_fd_put does).  Returns fd or -errno. */
int fsd_fd_get(struct fsd *fs, struct fsd_inode *in, int *owned);
void fsd_fd_put(int fd, int owned);
/* lstat() of in's backing file, through its O_PATH fd, with the inode
 * number the mount shows; 0 or -errno. */
/* openat(dirfd, path, O_PATH | O_NOFOLLOW | extra) that follows no
 * symlink and stays below dirfd; plain openat where openat2 is missing. */
int fsd_open_beneath(int dirfd, const char *path, int extra);

/* fsd_inode_path_at(fs, in, NULL, when) for a record of in itself, its
 * name checked first where in has had several links (in->linked): a
 * name that went is replaced by another of the file's, in its directory
 * or anywhere on the mount (fsd_links_names); where none is found, the
 * path is the name that went, and *gone (if not NULL) is set to 1 (else
 * 0): it names another file now, or none.  malloc'd, NULL on ENOMEM. */
char *fsd_inode_named_path(struct fsd *fs, struct fsd_inode *in, int64_t *when, int *gone);
int fsd_inode_stat(struct fsd *fs, struct fsd_inode *in, struct stat *st);
/* The inode number the mount shows for backing (dev, ino): ino itself on
 * the device of the backing root; on another device (a filesystem mounted
 * below it) a mix of both with the top bit set.  The mount has one st_dev,
 * so without this a file of a submount would be the same file as the one
 * with its number elsewhere, to cp, tar, du and find. */
ino_t fsd_shown_ino(const struct fsd *fs, dev_t dev, ino_t ino);
/* st's inode number made the shown one (st_dev still the backing's). */
void fsd_shown_stat(const struct fsd *fs, struct stat *st);
/* Before name under parent (its fd pfd) is unlinked or replaced: on a
 * filesystem without file handles, the inode there, if the kernel knows
 * it, gets an fd it keeps past the cache's budget, as it can no longer be
 * found by path but stays in use while open (or a process's cwd).  So
 * does a directory (dir: name is one, being removed) on any filesystem:
 * a file handle does not find a removed directory. */
void fsd_inode_pin(struct fsd *fs, struct fsd_inode *parent, int pfd, const char *name, int dir);
/* A real fd opened with flags (not O_PATH); caller closes. */
int fsd_inode_open(struct fsd *fs, struct fsd_inode *in, int flags);
/* Path of in (or of name under in if name != NULL) inside the mount,
 * starting with '/'; malloc'd. */
char *fsd_inode_path(struct fsd *fs, struct fsd_inode *in, const char *name);
/* The same, with *when set to the time the path was read (under the lock
 * that renames take to update names): a record that carries a path
 * renamed into place is then timed after the rename's own record, so the
 * log's time order replays it in the right place. */
char *fsd_inode_path_at(struct fsd *fs, struct fsd_inode *in, const char *name, int64_t *when);
/* Two paths (as fsd_inode_path) of one moment, *when (NULL: ENOMEM). */
void fsd_inode_paths_at(struct fsd *fs, struct fsd_inode *a, const char *aname,
			struct fsd_inode *b, const char *bname, int64_t *when, char **pa, char **pb);
/* After a rename on the backing of oldparent/oldname to newparent/newname:
 * in (now at the new name; NULL if not in the table) and, for an exchange,
 * other (now at the old name) take their names in one step, timed *when,
 * the rename's time in the log: a path taken by another thread is either
 * from before (and timed before) or after it, for both.  *from and *to get
 * the two names as they are at that moment (NULL: ENOMEM). */
void fsd_inode_renamed(struct fsd *fs, struct fsd_inode *in, struct fsd_inode *other,
		       struct fsd_inode *oldparent, const char *oldname,
		       struct fsd_inode *newparent, const char *newname, int64_t *when, char **from,
		       char **to);
/* Records that the entry name in parent is now in (after rename/link). */
void fsd_inode_set_name(struct fsd *fs, struct fsd_inode *in, struct fsd_inode *parent,
			const char *name);
/* How many writable handles in has open (under its wlock). */
int fsd_inode_writers(struct fsd_inode *in);
/* Whether in is still at its last known name.  If that name went
 * (unlinked, or renamed over) while in lives on by another link, takes a
 * name of it in the same directory, if there is one (ln a b; mv c a: b).
 * 1 if in is at its name (or that cannot be checked), 2 if it has another
 * name now (found, or a rename's), 0 if it has none we know. */
int fsd_inode_recheck_name(struct fsd *fs, struct fsd_inode *in);
/* Finds the inode now at parent/name, if we know it (takes a ref). */
struct fsd_inode *fsd_inode_find_at(struct fsd *fs, struct fsd_inode *parent, const char *name);

/* Workers (fsd_work.c). */
int fsd_work_start(struct fsd *fs);
/* Waits for every queued job, then stops the threads.  Returns the number
 * of capture errors seen. */
int fsd_work_stop(struct fsd *fs);
/* The log's process id for the caller of req, or for pid (reads /proc
 * off-thread).  walk: the request may be one the kernel makes inside an
 * execve (a LOOKUP or READLINK of the path to the program's interpreter);
 * any other request of a pid whose exec on this mount the kernel has not
 * reported means that exec failed (fsd_process_exec). */
int64_t fsd_process(struct fsd *fs, fuse_req_t req);
int64_t fsd_process_walk(struct fsd *fs, fuse_req_t req);
int64_t fsd_process_pid(struct fsd *fs, pid_t pid, int walk);
/* For an exec (an open with FMODE_EXEC) by pid: the log's process id to
 * record the exec under.  The exec starts the record of the program it
 * runs, read from /proc at the pid's next request (or a little later); a
 * process we know logs the exec as the last act of its old record.  in is
 * the program: the record's exe if /proc cannot tell. */
int64_t fsd_process_exec(struct fsd *fs, pid_t pid, struct fsd_inode *in);
/* An exec by pid at when_ns (CLOCK_MONOTONIC) that this mount may not
 * have seen (fsd_exec.c): if pid has a record here that no exec on this
 * mount began, its next request starts a new one. */
void fsd_process_foreign_exec(struct fsd *fs, pid_t pid, int64_t when_ns, const char *exe);

/* The watch of execs this mount does not see (fsd_exec.c): 0, or
 * -ENOTSUP where the kernel's process events connector cannot be had (the
 * mount works without it). */
int fsd_exec_watch_start(struct fsd *fs);
/* Ends its thread; requests and the /proc reader may still drain it. */
void fsd_exec_watch_stop(struct fsd *fs);
/* Then, once nothing drains it any more (after fsd_work_stop): frees it. */
void fsd_exec_watch_free(struct fsd *fs);
/* Takes the exec events queued so far (fsd_process_foreign_exec each),
 * and the sibling mounts' posts (fsd_ring.c): after it, every exec that
 * happened before the call is known. */
void fsd_exec_drain(struct fsd *fs);
/* Whether this mount learns of execs it does not see itself (the watch,
 * or a ring). */
static inline int fsd_exec_known(const struct fsd *fs)
{
	return fs->execw != NULL || fs->ring != NULL;
}

/* The exec ring of provfs run's mounts (fsd_ring.c).  Makes its file
 * (0, or -errno); opens it for this mount (cfg.exec_ring); posts pid's
 * exec open, seen here; takes the other mounts' posts; closes it. */
int fsd_exec_ring_create(const char *path);
int fsd_exec_ring_open(struct fsd *fs, const char *path);
void fsd_exec_ring_post(struct fsd *fs, pid_t pid, const char *exe);
void fsd_exec_ring_drain(struct fsd *fs);
void fsd_exec_ring_close(struct fsd *fs);
/* The same for a ring apart from a mount: open (0, or -errno: -EINVAL for
 * a file that is no ring), post, close; take calls fn for each post of
 * another opener not taken yet, in order, and returns 1 if posts were
 * lost (the reader fell a whole ring behind), else 0; then it calls lost
 * (if not NULL) before another take can begin. */
int exec_ring_open(const char *path, struct fsd_ring **out);
void exec_ring_post(struct fsd_ring *r, pid_t pid, const char *exe);
int exec_ring_take(struct fsd_ring *r,
		   void (*fn)(void *arg, pid_t pid, int64_t when_ns, const char *exe),
		   void (*lost_fn)(void *arg), void *arg);
void exec_ring_close(struct fsd_ring *r);
/* Slots of a ring, and the room for a program's name in each. */
#define EXEC_RING_SLOTS 8192u
#define EXEC_RING_EXE 104
/* Every record of this mount ends: each pid's next request starts a new
 * one (posts of execs were lost). */
void fsd_process_all_stale(struct fsd *fs);
/* Before in's content changes or goes (a writer's open, a truncate, an
 * unlink or a rename over it): the reads of it queued for the workers are
 * hashed (and captured) now, and those being hashed are waited for, so
 * each logs the content that was read. */
void fsd_work_settle(struct fsd *fs, struct fsd_inode *in);
/* The same for the file at name under parent, if any read is pending. */
void fsd_work_settle_at(struct fsd *fs, struct fsd_inode *parent, const char *name);
/* Queue: digest the file in for an open record (op "open"/"exec"). */
void fsd_work_read(struct fsd *fs, struct fsd_inode *in, const char *path, const char *op,
		   int flags, int64_t process, int64_t time_ns);
/* Queue: the last writer closed in; gen is in's generation then (that of
 * known, the inline digest, or NULL); unlinked: the file had no name left
 * (ALOG_CLOSE_UNLINKED).  also: the file's other names (NULL-terminated,
 * consumed; NULL if none), whose close-write is logged with path's. */
void fsd_work_written(struct fsd *fs, struct fsd_inode *in, const char *path, int64_t process,
		      int64_t time_ns, uint64_t gen, const uint8_t *known, uint64_t known_size,
		      const char *before, int unlinked, char **also);

/* Hard links (fsd_links.c).  fsd_links_names: the names in (a regular
 * file of nlink links) has on the mount now, as log paths ("/dir/name"),
 * each checked at the moment, found by a walk of the backing tree made
 * at the first need (and again, a few times at most, where fewer names
 * check out than nlink): their count, with *out a NULL-terminated array
 * for fsd_links_free_names (NULL if none), or -errno.  fsd_links_free:
 * at the end. */
int fsd_links_names(struct fsd *fs, struct fsd_inode *in, nlink_t nlink, char ***out);
/* Adds path (a log path) as a name of (dev, ino), if the names were
 * walked already (a no-op otherwise: the first walk will find it). */
void fsd_links_note(struct fsd *fs, dev_t dev, ino_t ino, const char *path);
/* A directory renamed from path from to path to (both from the mount's
 * top; with exchange, each to the other): the kept names below it move
 * with it, so a file linked there keeps all its names without a walk. */
void fsd_links_renamed(struct fsd *fs, const char *from, const char *to, int exchange);
void fsd_links_free_names(char **names);
/* Whether path (from the mount's top) names (dev, ino) now. */
int fsd_links_is_name(struct fsd *fs, const char *path, dev_t dev, ino_t ino);
/* A bucket for (dev, ino) in a table of size buckets (a power of two). */
size_t fsd_hash_file(dev_t dev, ino_t ino, size_t size);
void fsd_links_free(struct fsd *fs);
/* The digest of the file behind fd if the digest cache knows its current
 * state (no hashing on the request path); 1 if hex was filled. */
int fsd_work_digest_hint(struct fsd *fs, struct fsd_inode *in, int fd,
			 char hex[DIGEST_HEX_LEN + 1], int64_t *size);
/* The same, hashing the file now (a reader of its own, not fd: a writer's
 * may be write-only) if the cache does not know it and it is a regular
 * file of at most max bytes: for what a file held before a writer that
 * does not truncate it (see op_open).  With keep, that content is also
 * copied into the store if it lacks it, as a read's would be (an O_RDWR
 * open reads an input).  1 if hex (and *size) were filled. */
int fsd_work_digest_now(struct fsd *fs, struct fsd_inode *in, int fd, int64_t max, int keep,
			char hex[DIGEST_HEX_LEN + 1], int64_t *size);
/* Whether a file in read with digest hex needs no copy into the store (no
 * store, a file written through the mount, or the store has it); if it
 * does, its open goes to the workers (fsd_work_read), which copy it. */
int fsd_work_input_kept(struct fsd *fs, struct fsd_inode *in, const char *hex);
/* Logs acc now, filling its time. */
void fsd_log_access(struct fsd *fs, struct alog_access *acc);
/* Logs an access at time_ns (no digest); dedup'd for stat/probe/readdir/
 * readlink. */
void fsd_log_at(struct fsd *fs, int64_t time_ns, int64_t process, const char *op,
		const char *path, const char *path2, int64_t flags, int result);
/* The same, timed now. */
void fsd_log(struct fsd *fs, int64_t process, const char *op, const char *path,
	     const char *path2, int64_t flags, int result);

#endif

/*
 * fsd workers: everything that must stay off the FUSE request path.
 *  - digest/capture threads: hash files opened for reading (through a
 *    digest cache keyed like git's index), and finish files whose last
 *    writer closed (inline digest or re-read, copy into the store in
 *    batches made durable by one syncfs);
 *  - one /proc reader thread: process facts (reading cmdline takes the
 *    target's mmap lock, which may be held while it faults on our mount);
 *  - the dedup set for stat/probe/readdir/readlink records.
 */
#include "fsd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dcfile.h"
#include "procinfo.h"

#define WORK_THREADS 2
#define WORK_BATCH 256

enum job_kind { JOB_READ, JOB_WRITTEN, JOB_PROC };

struct job {
	struct job *next;
	enum job_kind kind;
	struct fsd_inode *in;  /* JOB_READ/JOB_WRITTEN: holds a ref */
	char *path;
	const char *op;        /* JOB_READ: "open" or "exec" */
	int flags;
	int64_t process;       /* log process id */
	int64_t time_ns;
	int has_known;         /* JOB_WRITTEN: known is the inline digest */
	uint8_t known[DIGEST_LEN];
	uint64_t known_size;
	uint64_t gen;          /* in->gen when the writer closed (JOB_WRITTEN),
				* or when the file was opened (JOB_READ) */
	char before[DIGEST_HEX_LEN + 1]; /* JOB_WRITTEN: digest at first open */
	char **also;           /* JOB_WRITTEN: the file's other names, or NULL */
	pid_t pid;             /* JOB_PROC */
	pid_t ppid;            /* JOB_PROC: the parent when the record began */
	int64_t start_ns;      /* JOB_PROC: the process's start time then */
	int64_t begun_ns;      /* JOB_PROC: CLOCK_MONOTONIC when queued */
	char comm[64];         /* JOB_PROC: its name then, if ppid was read */
	int64_t due_ns;        /* JOB_PROC: not before (0: at once) */
	int if_unread;         /* JOB_PROC: only if the record is still unread */
	int named_elsewhere;   /* JOB_PROC: path is the program another mount
				* saw exec'd (the exec ring), or the one read
				* at the first request, not an exec here */
	int tries;             /* JOB_PROC: reads that found the old image */
	int waited;            /* JOB_PROC: a request waits for the read */
	int soon;              /* JOB_PROC: read before the others queued */
};

/* How long after an exec that starts a record its /proc is read, unless
 * the process makes a request sooner: by then the new image runs. */
#define EXEC_READ_DELAY_NS 5000000LL

/* When such a read is due: EXEC_READ_DELAY_NS from now, rounded up to a
 * multiple of it, so that the reader wakes once for all the execs of one
 * such span (a process that makes a request meanwhile is read then, and
 * its delayed read is dropped when due).  A read due EXEC_READ_DELAY_NS
 * after each exec woke the reader (SCHED_FIFO, so it preempts the build)
 * once per exec: 1,007 times in a loop of 1,000 /bin/true. */
static int64_t exec_read_due(void)
{
	int64_t due = time_now_ns() + EXEC_READ_DELAY_NS;

	return due + (EXEC_READ_DELAY_NS - due % EXEC_READ_DELAY_NS) % EXEC_READ_DELAY_NS;
}

/* How many times such a read that finds the image before the exec is
 * made again, EXEC_READ_DELAY_NS apart (an exec that failed, as of a
 * script with no #! line, keeps the old image): until the process's next
 * request, which sees the exec failed and goes on with its old record,
 * so the pending read is dropped.  A record read after the last try gets
 * the old program's arguments, a second record of it: with 4 tries (20
 * ms) a host that stalled bash that long after a failed exec failed e2e
 * 0048 in CI, and a program that waits 40 ms after one always made two.
 * Now 200 ms. */
#define EXEC_READ_TRIES 40
/* The tries made whatever the process's name: after them only while it
 * still has the name it had before the exec (a failed exec), not where
 * its program merely has another path than the exec's (a hard link). */
#define EXEC_READ_TRIES_ANY 4
/* How long the first request of a process after its exec here waits for
 * the reader to read its /proc (see fsd_process_pid), where it cannot
 * read it itself (the process has other threads).  The read is done
 * in some 50 us, but on a busy VM now and then only after several ms
 * (up to 12 seen: the host had taken the reader's virtual CPU away):
 * 1 ms let 14 of 300 echo records go without arguments in CI, and 20 ms
 * one echo of e2e 0424 on the ASan build.  The bound is only for a
 * reader that is stuck (and then holds up each exec'd program once). */
#define EXEC_READ_WAIT_NS 200000000LL
/* Recent records whose waited-for read is done. */
#define READ_DONE_RING 32

/* Digest cache entry: valid while (size, mtime, ctime) are unchanged. */
struct dcache_entry {
	struct dcache_entry *next;
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns, ctime_ns;
	uint64_t gen;          /* the inode's change generation then; 0 unknown */
	char hex[DIGEST_HEX_LEN + 1];
};

struct pid_entry {
	struct pid_entry *next;
	pid_t pid;
	int64_t id;
	int stale;   /* no record yet: its next request starts one */
	int unread;  /* the record was started by an exec: /proc is read at
		      * the pid's next request, when the new image runs
		      * (UNREAD_READING: the reader is reading it meanwhile,
		      * and still unread for everyone else) */
	char *exec;  /* the program its last exec on this mount opened (or the
		      * ring named, while stale), for a
		      * record /proc cannot fill (the process gone): NULL if none */
	pid_t ppid;  /* its parent when that exec began the record (0: unknown) */
	int64_t start_ns; /* and its start time */
	int exec_seen; /* an exec on this mount began the record, and the
			* kernel's event of it has not come yet */
	int64_t prev_id; /* then the record that exec ended (0: none) */
	int64_t exec_ns; /* CLOCK_MONOTONIC of its last exec event; 0 none */
};

/* pid_entry.unread while the reader reads the record's /proc */
#define UNREAD_READING 2

#define PID_BUCKETS 4096
#define DCACHE_BUCKETS 65536

struct fsd_work {
	pthread_mutex_t lock;        /* queues and counters below */
	pthread_cond_t wake;         /* digest/capture threads */
	pthread_cond_t pwake;        /* the /proc reader */
	pthread_cond_t settled;      /* an inode's reads_pending fell to 0 */
	pthread_cond_t read_done;    /* a waited-for /proc read is done */
	int64_t done_ids[READ_DONE_RING]; /* their records, the last ones */
	long read_lag_ns;            /* PROVFS_PROC_READ_LAG, for tests */
	unsigned done_next;
	int reads_pending;           /* JOB_READs queued or running, in all */
	struct job *head, *tail;     /* digest/capture jobs */
	struct job *phead, *ptail;   /* /proc jobs */
	struct job *uhead, *utail;   /* /proc jobs read first (job.soon) */
	struct job *dhead, *dtail;   /* /proc jobs not due yet, by due time */
	int stopping;
	int capture_errors;
	pthread_t threads[WORK_THREADS];
	pthread_t proc_thread;

	pthread_mutex_t pid_lock;
	struct pid_entry *pids[PID_BUCKETS];

	pthread_mutex_t dcache_lock;
	struct dcache_entry *dcache[DCACHE_BUCKETS];
	struct dcfile *dcfile;       /* persistent cache, or NULL */

	pthread_mutex_t seen_lock;
	uint64_t *seen;              /* open-addressing set of record hashes */
	size_t seen_size, seen_used;
};

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static size_t dcache_bucket(dev_t dev, ino_t ino)
{
	return (size_t)((ino * 0x9e3779b97f4a7c15ULL) ^ dev) % DCACHE_BUCKETS;
}

/* A hit needs the same (size, mtime, ctime) as when the digest was
 * taken, or, for a file whose every change went through this daemon, the
 * same change generation and size: then only metadata changed (tar's
 * chmod/chown/utimens after writing), and the entry is re-keyed.  Never
 * when both generations are known and differ. */
static int dcache_get(struct fsd_work *w, const struct stat *st, uint64_t gen,
		      char hex[DIGEST_HEX_LEN + 1])
{
	struct dcache_entry *e;
	int hit = 0;

	pthread_mutex_lock(&w->dcache_lock);
	for (e = w->dcache[dcache_bucket(st->st_dev, st->st_ino)]; e; e = e->next) {
		if (e->dev == st->st_dev && e->ino == st->st_ino) {
			/* Written through this mount since (another generation):
			 * changed, whatever the times say, which a write in the
			 * same clock tick leaves as they were. */
			if (gen && e->gen && e->gen != gen)
				break;
			if (e->size == st->st_size && e->mtime_ns == ts_ns(&st->st_mtim) &&
			    e->ctime_ns == ts_ns(&st->st_ctim)) {
				hit = 1;
			} else if (gen && e->gen == gen && e->size == st->st_size) {
				e->mtime_ns = ts_ns(&st->st_mtim);
				e->ctime_ns = ts_ns(&st->st_ctim);
				hit = 1;
			}
			if (hit)
				memcpy(hex, e->hex, DIGEST_HEX_LEN + 1);
			break;
		}
	}
	pthread_mutex_unlock(&w->dcache_lock);
	return hit;
}

/* Remembers hex for the file state in r (r->digest is not used). */
static void dcache_put_key(struct fsd_work *w, const struct dcfile_rec *r, uint64_t gen,
			   const char *hex)
{
	size_t b = dcache_bucket((dev_t)r->dev, (ino_t)r->ino);
	struct dcache_entry *e;

	pthread_mutex_lock(&w->dcache_lock);
	for (e = w->dcache[b]; e; e = e->next)
		if (e->dev == (dev_t)r->dev && e->ino == (ino_t)r->ino)
			break;
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (e) {
			e->dev = (dev_t)r->dev;
			e->ino = (ino_t)r->ino;
			e->next = w->dcache[b];
			w->dcache[b] = e;
		}
	}
	if (e) {
		e->size = r->size;
		e->mtime_ns = r->mtime_ns;
		e->ctime_ns = r->ctime_ns;
		e->gen = gen;
		memcpy(e->hex, hex, DIGEST_HEX_LEN + 1);
	}
	pthread_mutex_unlock(&w->dcache_lock);
}

static struct dcfile_rec key_of(const struct stat *st)
{
	return (struct dcfile_rec){.dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
				   .mtime_ns = ts_ns(&st->st_mtim),
				   .ctime_ns = ts_ns(&st->st_ctim)};
}

static void dcache_put(struct fsd_work *w, const struct stat *st, uint64_t gen, const char *hex)
{
	struct dcfile_rec key = key_of(st);

	dcache_put_key(w, &key, gen, hex);
}

/* dcfile_load callback: a remembered digest, with no generation. */
static void dcache_load_one(void *arg, const struct dcfile_rec *r)
{
	char hex[DIGEST_HEX_LEN + 1];

	hex_encode(r->digest, DIGEST_LEN, hex);
	dcache_put_key(arg, r, 0, hex);
}

static void append(struct job **head, struct job **tail, struct job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static void push(struct fsd_work *w, struct job *j)
{
	pthread_mutex_lock(&w->lock);
	if (j->kind == JOB_READ) {
		j->in->reads_pending++;
		w->reads_pending++;
	}
	if (j->kind == JOB_PROC) {
		/* Delayed ones are all due (exec_read_due) some
		 * EXEC_READ_DELAY_NS after their push: FIFO is due order.
		 * So one wakes the reader only where none was queued: else
		 * the reader already waits for an earlier one. */
		int wake = !j->due_ns || !w->dhead;

		if (j->due_ns)
			append(&w->dhead, &w->dtail, j);
		else if (j->soon)
			append(&w->uhead, &w->utail, j);
		else
			append(&w->phead, &w->ptail, j);
		if (wake)
			pthread_cond_signal(&w->pwake);
	} else {
		append(&w->head, &w->tail, j);
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
}

/* Whether the waited-for read of record id is done.  Under w->lock. */
static int read_done_locked(const struct fsd_work *w, int64_t id)
{
	for (unsigned i = 0; i < READ_DONE_RING; i++)
		if (w->done_ids[i] == id)
			return 1;
	return 0;
}

/* Waits, at most EXEC_READ_WAIT_NS, until the reader has read the /proc
 * of record id's process. */
static void wait_read(struct fsd_work *w, int64_t id)
{
	int64_t until_ns = time_now_ns() + EXEC_READ_WAIT_NS;
	struct timespec until = {.tv_sec = (time_t)(until_ns / 1000000000LL),
				 .tv_nsec = (long)(until_ns % 1000000000LL)};

	pthread_mutex_lock(&w->lock);
	while (!read_done_locked(w, id) &&
	       pthread_cond_timedwait(&w->read_done, &w->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&w->lock);
}

/* The reader has read the /proc of job j's process: a request waiting
 * for it goes on. */
static void read_is_done(struct fsd_work *w, const struct job *j)
{
	if (!j->waited)
		return;
	pthread_mutex_lock(&w->lock);
	w->done_ids[w->done_next++ % READ_DONE_RING] = j->process;
	pthread_cond_broadcast(&w->read_done);
	pthread_mutex_unlock(&w->lock);
}

/* Queues the /proc read that fills process record id of pid: at once, or
 * (after_exec) a little later and only if no request read it first.  The
 * parent and start time are read now (/proc/PID/stat takes no lock the
 * process may hold while it waits on us, unlike cmdline): a short-lived
 * process may be gone by the time of the read, and its record should
 * still say whose child it was, which process it was (its start time, so
 * that attest can tell it from another of its pid), and (exec, taken)
 * what it ran. */
/* push_proc_job's wait: */
#define PROC_LATER 0 /* read in turn */
#define PROC_WAIT 1  /* the request waits for the read, read first (here,
		      * where the process is one thread) */
#define PROC_SOON 2  /* read first, nobody waits */
#define PROC_SOON_WAIT 3 /* read first by the reader, the request waits */

static void run_proc_job(struct fsd *fs, struct job *j, struct procinfo *pre,
			 int64_t read_end_ns);

static void push_proc_job(struct fsd *fs, pid_t pid, int64_t id, int after_exec, char *exec,
			  pid_t ppid, int64_t start_ns, int named_elsewhere, const char *comm,
			  int wait)
{
	struct fsd_work *w = fs->work;
	struct job *j = calloc(1, sizeof(*j));
	struct procinfo info;
	int64_t read_end_ns = 0;
	int waited, pre_read = 0;

	if (!j) {
		free(exec);
		return;
	}
	j->kind = JOB_PROC;
	j->pid = pid;
	j->begun_ns = mono_ns();
	/* A waited-for read is made here, by the request's own thread,
	 * where the process is one thread (procinfo_read_alone: waiting on
	 * us, it holds no lock the read takes).  Handing it to the reader
	 * and back took two wake-ups, often of the other CPU: the first
	 * open of a loop's /bin/true (its loader's of ld.so.cache) took a
	 * median 227 us that way, 96 us so; the pushes of exec opens (below)
	 * no longer wake it either: 93 to 56 us (1,000 each, FUSE's own
	 * tracepoints).  Else it goes before the others: its process is
	 * stopped until it is done (a queue of reads of other processes
	 * held it up, up to EXEC_READ_WAIT_NS, on a busy host). */
	if (wait == PROC_WAIT) {
		pre_read = procinfo_read_alone(pid, &info) == 0;
		read_end_ns = mono_ns();
	}
	j->start_ns = start_ns;
	j->ppid = ppid;
	if (pre_read) {
		if (ppid <= 0) {
			j->ppid = info.ppid;
			j->start_ns = info.start_ns;
		}
		memcpy(j->comm, info.comm, sizeof(j->comm));
	} else if (ppid <= 0) {
		/* Read while the process waits on our reply, in case it is
		 * gone before the job runs (some 20 us here: skipped when
		 * known). */
		struct procinfo_stat st;

		if (procinfo_stat(pid, &st) == 0) {
			j->ppid = st.ppid;
			j->start_ns = st.start_ns;
			memcpy(j->comm, st.comm, sizeof(j->comm));
			/* and its program, the name of the record if the
			 * process runs another (an exec elsewhere: bash's
			 * `exec <in /bin/cat`) or is gone by the read */
			if (!exec) {
				exec = procinfo_exe(pid);
				named_elsewhere = 1;
			}
		}
	}
	if (comm)
		snprintf(j->comm, sizeof(j->comm), "%s", comm);
	j->path = exec;
	j->named_elsewhere = named_elsewhere;
	j->process = id;
	if (after_exec) {
		j->due_ns = exec_read_due();
		j->if_unread = 1;
	}
	j->soon = wait != PROC_LATER;
	if (pre_read) {
		run_proc_job(fs, j, &info, read_end_ns);
		return;
	}
	waited = wait == PROC_WAIT || wait == PROC_SOON_WAIT;
	j->waited = waited;
	push(w, j); /* (j is the reader's now: not read after this) */
	if (waited)
		wait_read(w, id);
}

static uint64_t gen_of(struct fsd_inode *in);

/* Remembers hex, just taken of the file behind fd, which was in state
 * before when the hash began at started (and gen was in's generation), if
 * the file did not change while it was read. */
static void digest_taken(struct fsd_work *w, struct fsd_inode *in, int fd, uint64_t gen,
			 const struct stat *before, int64_t started, const char *hex)
{
	struct stat after;

	if (fstat(fd, &after) < 0 || after.st_size != before->st_size ||
	    ts_ns(&after.st_mtim) != ts_ns(&before->st_mtim) ||
	    ts_ns(&after.st_ctim) != ts_ns(&before->st_ctim))
		return;
	/* Not by generation while a writer is open: a passthrough writer's
	 * writes do not move it (a later read would match on it alone). */
	dcache_put(w, before, gen_of(in) == gen && !fsd_inode_writers(in) ? gen : 0, hex);
	/* Persisted only if settled (see DCFILE_SETTLED_NS). */
	if (w->dcfile && ts_ns(&before->st_ctim) < started - DCFILE_SETTLED_NS) {
		struct dcfile_rec r = key_of(before);

		if (hex_decode(hex, r.digest, DIGEST_LEN) == 0)
			dcfile_append(w->dcfile, &r);
	}
}

/* Digest of the file behind fd from the cache alone: 1 (hex filled), 0
 * (not cached; *st and *gen are what digest_taken needs) or -errno. */
static int digest_lookup(struct fsd_work *w, struct fsd_inode *in, int fd,
			 char hex[DIGEST_HEX_LEN + 1], int64_t *size, struct stat *st,
			 uint64_t *gen)
{
	*gen = gen_of(in);
	if (fstat(fd, st) < 0)
		return -errno;
	*size = st->st_size;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	return dcache_get(w, st, *gen, hex);
}

/* Digest of the file behind fd, through the cache; 0 or -errno. */
static int cached_digest(struct fsd_work *w, struct fsd_inode *in, int fd,
			 char hex[DIGEST_HEX_LEN + 1], int64_t *size)
{
	struct stat before;
	uint8_t raw[DIGEST_LEN];
	uint64_t gen;
	int64_t started;
	int ret = digest_lookup(w, in, fd, hex, size, &before, &gen);

	if (ret != 0)
		return ret < 0 ? ret : 0;
	started = time_now_ns();
	ret = digest_fd(fd, raw, NULL);
	if (ret < 0)
		return ret;
	hex_encode(raw, DIGEST_LEN, hex);
	digest_taken(w, in, fd, gen, &before, started, hex);
	return 0;
}

/* Whether files read on this mount are copied into the store as they are
 * read: on any mount with a store.  On a writable one the build may
 * overwrite an input later (a regenerated Makefile.in), and attest could
 * no longer copy the content that was read.  On a read-only one (provfs
 * run's root) the copy is made by the workers while the file is in the
 * page cache, beside the build, instead of after it by attest: into an
 * empty store that copy took zlib's attest 1.0 s of its 1.1 s. */
static int captures_inputs(const struct fsd *fs)
{
	return fs->cas != NULL;
}

/* Whether hex is what in held when its first writer opened it (known
 * then): a read of that, before any change, read the file from before the
 * build (sort -o f f), an input (see accesslog.md). */
static int is_content_before(struct fsd_inode *in, const char *hex)
{
	int same;

	pthread_mutex_lock(&in->wlock);
	same = in->before[0] && !strcmp(in->before, hex);
	pthread_mutex_unlock(&in->wlock);
	return same;
}

int fsd_work_input_kept(struct fsd *fs, struct fsd_inode *in, const char *hex)
{
	/* A file changed through this mount (gen set) is an output: its
	 * content was captured, or tried, when its writer closed it, but for
	 * what it held before its first writer's open, read then.  An input
	 * is looked for in the store once; a header opened by every
	 * compiler process then costs nothing more. */
	if (!captures_inputs(fs) || __atomic_load_n(&in->input_kept, __ATOMIC_RELAXED) ||
	    (gen_of(in) != 0 && !is_content_before(in, hex)))
		return 1;
	if (!cas_has(fs->cas, hex))
		return 0;
	__atomic_store_n(&in->input_kept, 1, __ATOMIC_RELAXED);
	return 1;
}

/* For do_read: an input whose digest is not cached yet, so not known to
 * be stored either, is hashed as it is copied into batch (one read of it,
 * not one to hash and one to copy: a first build into an empty store reads
 * the compilers and libraries once).  Returns 1 if it was tried and the
 * capture is to be logged (*err its result, hex the digest or empty), 2 if
 * it was tried and came to nothing (the file changed through the mount
 * meanwhile), 0 to go the usual way. */
static int copy_hashed(struct fsd *fs, struct job *j, int fd, struct cas_batch *batch,
		       char hex[DIGEST_HEX_LEN + 1], int64_t *size, int *err)
{
	size_t before_n = batch->n;
	struct stat before;
	uint64_t gen;
	int64_t started;

	if (!captures_inputs(fs) || __atomic_load_n(&j->in->input_kept, __ATOMIC_RELAXED) ||
	    j->gen != 0 || digest_lookup(fs->work, j->in, fd, hex, size, &before, &gen) != 0 ||
	    gen != 0)
		return 0;
	started = time_now_ns();
	*err = cas_batch_put_fd(fs->cas, batch, fd, NULL, hex);
	/* Tried once: a failure is attest's to retry. */
	__atomic_store_n(&j->in->input_kept, 1, __ATOMIC_RELAXED);
	if (*err < 0) {
		/* Logged as a failed capture, with the read's digest. */
		if (cached_digest(fs->work, j->in, fd, hex, size) < 0 || gen_of(j->in) != j->gen)
			hex[0] = '\0';
		return 1;
	}
	if (gen_of(j->in) != j->gen) {
		/* Changed through the mount meanwhile: not what was read. */
		if (batch->n > before_n)
			cas_batch_discard_last(fs->cas, batch);
		hex[0] = '\0';
		return 2;
	}
	digest_taken(fs->work, j->in, fd, gen, &before, started, hex);
	return 1;
}

/* Logs a read-only open with the file's digest, and copies the file into
 * batch if captures_inputs and the store lacks it.  Returns 1 if a capture
 * must be committed and logged (*err its result). */
static int do_read(struct fsd *fs, struct job *j, struct cas_batch *batch,
		   char hex[DIGEST_HEX_LEN + 1], int *err)
{
	int64_t size = -1;
	int fd = fsd_inode_open(fs, j->in, O_RDONLY | O_NOATIME);
	int queued = 0, tried = 0;

	*err = 0;
	hex[0] = '\0';
	if (fd == -EPERM)
		fd = fsd_inode_open(fs, j->in, O_RDONLY);
	if (fd >= 0)
		tried = copy_hashed(fs, j, fd, batch, hex, &size, err);
	if (tried) {
		queued = tried == 1;
	} else if (fd >= 0) {
		/* Changed through the mount since it was read (a writer is
		 * settled first, see fsd_work_settle, but one open already
		 * may write): what we would hash is not what was read.  But
		 * for what it held at its first writer's open (a writer that
		 * closed having changed nothing moved gen too: the read of
		 * exec 3>>f; cat f; exec 3>&- lost its digest, and was no
		 * input, when the workers came after the close). */
		if (cached_digest(fs->work, j->in, fd, hex, &size) < 0 ||
		    (gen_of(j->in) != j->gen && !is_content_before(j->in, hex)))
			hex[0] = '\0';
		if (hex[0] && !fsd_work_input_kept(fs, j->in, hex)) {
			char copied[DIGEST_HEX_LEN + 1];
			size_t before = batch->n;

			/* The copy is hashed as it is made: an object's name
			 * is always its content's, even if the file changed
			 * (outside the mount) since it was hashed, and then
			 * neither is the read's. */
			*err = cas_batch_put_fd(fs->cas, batch, fd, NULL, copied);
			queued = 1;
			if (*err == 0 && (strcmp(copied, hex) ||
					  (gen_of(j->in) != j->gen && !is_content_before(j->in, hex)))) {
				if (batch->n > before)
					cas_batch_discard_last(fs->cas, batch);
				hex[0] = '\0';
				queued = 0;
			}
			/* Tried once: a failure is attest's to retry. */
			__atomic_store_n(&j->in->input_kept, 1, __ATOMIC_RELAXED);
		}
	}
	if (fd >= 0)
		close(fd);
	alog_access(fs->log, &(struct alog_access){
		.time_ns = j->time_ns, .process = j->process, .op = j->op, .path = j->path,
		.flags = j->flags, .result = 0, .size = size,
		.digest_after = hex[0] ? hex : NULL});
	return queued;
}

/* Errors that mean "the file went away before we could capture it", which
 * is the build's business, not a capture failure. */
static int vanished(int err)
{
	return err == -ENOENT || err == -ESTALE;
}

/* Finishes a written file: digest, and capture into batch when a store is
 * configured.  Returns 1 if the capture must be committed and logged. */
static int do_written(struct fsd *fs, struct job *j, struct cas_batch *batch,
		      char hex[DIGEST_HEX_LEN + 1], int *err)
{
	struct stat st;
	int64_t size = -1;
	int fd = fsd_inode_open(fs, j->in, O_RDONLY | O_NOATIME);
	int ret = 0, queued = 0;
	const uint8_t *known = NULL;

	*err = 0;
	hex[0] = '\0';
	if (fd == -EPERM)
		fd = fsd_inode_open(fs, j->in, O_RDONLY);
	if (fd < 0) {
		ret = fd;
	} else if (fstat(fd, &st) < 0) {
		ret = -errno;
	} else {
		size = st.st_size;
		if (j->has_known && (uint64_t)st.st_size == j->known_size)
			known = j->known;
		/* Deleted before its turn came (a temp file unlinked while
		 * open, a scratch file removed before the workers got to it):
		 * no output and nobody's input any more, so it is only hashed,
		 * not copied. */
		if (fs->cas && st.st_nlink > 0) {
			size_t before = batch->n;

			ret = cas_batch_put_fd(fs->cas, batch, fd, known, hex);
			if (known && (ret == -ESTALE || (ret == 0 && gen_of(j->in) != j->gen))) {
				/* Changed since the writer closed: the inline digest
				 * no longer names these bytes, so hash what we copy. */
				if (batch->n > before)
					cas_batch_discard_last(fs->cas, batch);
				ret = cas_batch_put_fd(fs->cas, batch, fd, NULL, hex);
			}
			queued = 1;
			*err = ret;
			/* A capture that failed (a full store) still leaves
			 * the file's digest to log. */
			if (ret < 0 && !vanished(ret) && !hex[0]) {
				if (known)
					hex_encode(known, DIGEST_LEN, hex);
				else if (cached_digest(fs->work, j->in, fd, hex, &size) < 0)
					hex[0] = '\0';
			}
		} else if (known) {
			hex_encode(known, DIGEST_LEN, hex);
		} else {
			ret = cached_digest(fs->work, j->in, fd, hex, &size);
		}
		/* Remember the digest for this generation, if nothing changed
		 * the file since its writer closed.  Not otherwise: st is the
		 * file as it is now, and the digest may be the inline one of
		 * that close, naming the bytes before a later writer's; filed
		 * under st, it was found for that writer's close (a configure
		 * test's file rewritten with dd and deleted, both closes' jobs
		 * run after the rm, got the first write's digest for both). */
		if (ret == 0 && gen_of(j->in) == j->gen)
			dcache_put(fs->work, &st, j->gen, hex);
	}
	if (fd >= 0)
		close(fd);
	/* Under each of its names: what one holds, they all hold. */
	for (size_t i = 0; i == 0 || (j->also && j->also[i - 1]); i++)
		alog_access(fs->log, &(struct alog_access){
			.time_ns = j->time_ns, .process = j->process, .op = ALOG_OP_CLOSE_WRITE,
			.path = i ? j->also[i - 1] : j->path, .flags = j->flags,
			.result = ret < 0 && !hex[0] ? -ret : 0, .size = size,
			.digest_before = j->before[0] ? j->before : NULL,
			.digest_after = hex[0] ? hex : NULL});
	return queued;
}

static uint64_t gen_of(struct fsd_inode *in)
{
	uint64_t gen;

	pthread_mutex_lock(&in->wlock);
	gen = in->gen;
	pthread_mutex_unlock(&in->wlock);
	return gen;
}

static void finish_job(struct fsd *fs, struct job *j)
{
	if (j->in)
		fsd_inode_unref(fs, j->in);
	fsd_links_free_names(j->also);
	free(j->path);
	free(j);
}

static void log_capture(struct fsd *fs, struct job *j, const char *hex, int err)
{
	struct fsd_work *w = fs->work;

	if (err < 0 && vanished(err))
		return;
	alog_access(fs->log, &(struct alog_access){
		.time_ns = j->time_ns, .process = j->process, .op = ALOG_OP_CAPTURE,
		.path = j->path, .result = -err, .size = -1,
		.digest_after = err == 0 && hex[0] ? hex : NULL});
	/* An input that cannot be copied is attest's to report (it tries
	 * again from the backing file); only outputs fail the mount. */
	if (err < 0 && j->kind == JOB_WRITTEN) {
		alog_capture_error(fs->log, 1);
		pthread_mutex_lock(&w->lock);
		w->capture_errors++;
		pthread_mutex_unlock(&w->lock);
	}
}

/* Captured objects wait in the thread's batch until it is full, or this
 * long has passed since the first one, or the daemon stops: one syncfs()
 * then makes the whole batch durable.  (A syncfs per object would flush
 * the build's own writes over and over.) */
#define WORK_COMMIT_NS 1000000000LL

/* A written file whose object is in the batch, waiting for the commit
 * before its capture is logged. */
struct pending {
	struct job *job;
	char hex[DIGEST_HEX_LEN + 1];
	int index; /* in the batch */
};

static void commit_pending(struct fsd *fs, struct cas_batch *batch, struct pending *pend,
			   int *npend)
{
	int results[WORK_BATCH];

	if (*npend == 0)
		return;
	cas_batch_commit(fs->cas, batch, results);
	for (int i = 0; i < *npend; i++) {
		log_capture(fs, pend[i].job, pend[i].hex, results[pend[i].index]);
		finish_job(fs, pend[i].job);
	}
	*npend = 0;
}

/* A JOB_READ has logged its digest (its capture, if any, is copied). */
static void read_done(struct fsd_work *w, struct job *j)
{
	pthread_mutex_lock(&w->lock);
	w->reads_pending--;
	if (--j->in->reads_pending == 0)
		pthread_cond_broadcast(&w->settled);
	pthread_mutex_unlock(&w->lock);
}

/* Runs one job; a capture that must wait for the commit goes to pend. */
static void run_job(struct fsd *fs, struct job *j, struct cas_batch *batch, struct pending *pend,
		    int *npend)
{
	char hex[DIGEST_HEX_LEN + 1];
	size_t before = batch->n;
	int err;

	int queued = j->kind == JOB_READ ? do_read(fs, j, batch, hex, &err)
					 : do_written(fs, j, batch, hex, &err);

	if (j->kind == JOB_READ)
		read_done(fs->work, j);
	if (queued) {
		if (err == 0 && batch->n > before) {
			pend[*npend].job = j;
			pend[*npend].index = (int)before;
			memcpy(pend[*npend].hex, hex, sizeof(hex));
			(*npend)++;
			/* Its record needs no inode: the ref (and with it the
			 * inode's fd) goes now, else a file the build removed
			 * meanwhile kept its space until the commit, up to a
			 * second (a build's next write failed with ENOSPC). */
			fsd_inode_unref(fs, j->in);
			j->in = NULL;
			return;
		}
		log_capture(fs, j, hex, err);
	}
	finish_job(fs, j);
}

/* Background threads yield the CPU and the disk to the build: hashing and
 * capture only have to be done by unmount, and a build on a 2-core slave
 * should not wait for them.  The idle I/O class (honoured by the bfq and
 * mq-deadline schedulers, which age it so it is never starved for good)
 * keeps a capture re-reading a big output from competing with the
 * build's own reads. */
#define IOPRIO_CLASS_IDLE_ 3
#define IOPRIO_CLASS_SHIFT_ 13
#define IOPRIO_WHO_PROCESS_ 1

static void lower_priority(void)
{
	setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
	syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS_, (int)gettid(),
		IOPRIO_CLASS_IDLE_ << IOPRIO_CLASS_SHIFT_);
}

static void *work_main(void *arg)
{
	struct fsd *fs = arg;
	struct fsd_work *w = fs->work;
	struct cas_batch batch = {0};
	struct pending pend[WORK_BATCH];
	struct job *taken[WORK_BATCH];
	int npend = 0;
	int64_t first_ns = 0;

	prctl(PR_SET_NAME, "provfs-work");
	lower_priority();
	pthread_mutex_lock(&w->lock);
	for (;;) {
		int n = 0, stopping;

		while (!w->head && !w->stopping) {
			struct timespec until;
			int64_t due = first_ns + WORK_COMMIT_NS;

			if (!npend) {
				pthread_cond_wait(&w->wake, &w->lock);
				continue;
			}
			until.tv_sec = (time_t)(due / 1000000000LL);
			until.tv_nsec = (long)(due % 1000000000LL);
			if (pthread_cond_timedwait(&w->wake, &w->lock, &until) == ETIMEDOUT)
				break;
		}
		if (!w->head && w->stopping && !npend)
			break;
		while (w->head && npend + n < WORK_BATCH) {
			taken[n++] = w->head;
			w->head = w->head->next;
			if (!w->head)
				w->tail = NULL;
		}
		stopping = w->stopping && !w->head;
		pthread_mutex_unlock(&w->lock);

		for (int i = 0; i < n; i++) {
			int had = npend;

			run_job(fs, taken[i], &batch, pend, &npend);
			if (!had && npend)
				first_ns = time_now_ns();
		}
		if (npend && (npend >= WORK_BATCH || stopping ||
			      time_now_ns() - first_ns >= WORK_COMMIT_NS))
			commit_pending(fs, &batch, pend, &npend);

		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	commit_pending(fs, &batch, pend, &npend);
	cas_batch_free(&batch);
	return NULL;
}

/* The entry of pid, or NULL.  Under w->pid_lock. */
static struct pid_entry *pid_find_locked(struct fsd_work *w, pid_t pid)
{
	struct pid_entry *e;

	for (e = w->pids[(size_t)pid % PID_BUCKETS]; e && e->pid != pid; e = e->next)
		;
	return e;
}

/* For a read queued by an exec: marks the unread record as being read
 * by the reader; 0 if a request of the process read it first (or the
 * exec failed, and the record ended).  The record stays unread for the
 * rest while /proc is read: before, the mark was taken here, and an ELF
 * interpreter's open in that window (an exec that took over 5 ms) was
 * taken for another exec, which split the record and posted ld.so to the
 * other mounts as the program (e2e 0421, 1 of 40 runs). */
static int claim_unread(struct fsd_work *w, const struct job *j)
{
	struct pid_entry *e;
	int mine;

	pthread_mutex_lock(&w->pid_lock);
	e = pid_find_locked(w, j->pid);
	mine = e && e->id == j->process && e->unread == 1;
	if (mine)
		e->unread = UNREAD_READING;
	pthread_mutex_unlock(&w->pid_lock);
	return mine;
}

/* After the reader's read of a record it claimed: read (again, 0) or
 * unread again, for a read made later (again, 1).  0 if a request of the
 * process took the record meanwhile (its own read fills it), or the exec
 * failed: the reader's read is dropped then. */
static int unclaim(struct fsd_work *w, const struct job *j, int again)
{
	struct pid_entry *e;
	int mine;

	pthread_mutex_lock(&w->pid_lock);
	e = pid_find_locked(w, j->pid);
	mine = e && e->id == j->process && e->unread == UNREAD_READING;
	if (mine)
		e->unread = again;
	pthread_mutex_unlock(&w->pid_lock);
	return mine;
}

/* The next /proc job: a delayed one that is due (all of them once
 * stopping), else an immediate one; waits for either.  NULL when stopping
 * and none is left.  Under w->lock. */
static struct job *next_proc_job(struct fsd_work *w)
{
	for (;;) {
		struct job *j = NULL;

		if (w->uhead) {
			j = w->uhead;
			w->uhead = j->next;
			if (!w->uhead)
				w->utail = NULL;
		} else if (w->dhead && (w->stopping || w->dhead->due_ns <= time_now_ns())) {
			j = w->dhead;
			w->dhead = j->next;
			if (!w->dhead)
				w->dtail = NULL;
		} else if (w->phead) {
			j = w->phead;
			w->phead = j->next;
			if (!w->phead)
				w->ptail = NULL;
		}
		if (j)
			return j;
		if (w->stopping)
			return NULL;
		if (w->dhead) {
			struct timespec until = {
				.tv_sec = (time_t)(w->dhead->due_ns / 1000000000LL),
				.tv_nsec = (long)(w->dhead->due_ns % 1000000000LL)};

			pthread_cond_timedwait(&w->pwake, &w->lock, &until);
		} else {
			pthread_cond_wait(&w->pwake, &w->lock);
		}
	}
}

static struct pid_entry *pid_entry_locked(struct fsd_work *w, pid_t pid);

/* The pid namespace of pid ("pid:[N]") into ns; 0, or -1 if unreadable. */
static int pid_ns(pid_t pid, char ns[64])
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	n = readlink(path, ns, 63);
	if (n <= 0)
		return -1;
	ns[n] = '\0';
	return 0;
}

/* After the record of pid: its parent ppid gets a record too, read next,
 * if this mount has none of it and both run in one pid namespace below the
 * daemon's (a slave of provfs run), so the process tree does not break at
 * a process that asked nothing of the mount (a subshell forked to run a
 * pipeline); and so up the chain to the slave's init, whose parent is
 * outside.  Outside a slave, a build's ancestors are the user's shell and
 * session: not recorded.  Where pid's read was made by its own request
 * (here), that request waits for the parent's too (by the reader: the
 * parent, not waiting on us, may hold the lock that reading its
 * arguments takes): a subshell that asked nothing of any mount ends
 * soon after its child, which goes on once replied to.  Queued for the
 * reader without a wait, 2 of 605 such subshells of e2e 0438 (reads in
 * turn 3 ms late, ASan build) were read after they had ended. */
static void add_parent(struct fsd *fs, pid_t pid, pid_t ppid, int here)
{
	static char self[64];
	struct fsd_work *w = fs->work;
	char child[64], parent[64];
	struct pid_entry *e;
	int64_t id;

	if (ppid <= 1 || (!*self && pid_ns(getpid(), self) < 0))
		return;
	pthread_mutex_lock(&w->pid_lock);
	e = pid_find_locked(w, ppid);
	pthread_mutex_unlock(&w->pid_lock);
	if (e || pid_ns(pid, child) < 0 || !strcmp(child, self) || pid_ns(ppid, parent) < 0 ||
	    strcmp(child, parent))
		return;
	pthread_mutex_lock(&w->pid_lock);
	e = pid_entry_locked(w, ppid);
	if (!e || !e->stale) {
		pthread_mutex_unlock(&w->pid_lock);
		return; /* a request of it came first */
	}
	e->stale = 0;
	e->id = id = alog_process_id(fs->log);
	pthread_mutex_unlock(&w->pid_lock);
	/* next: a subshell ends with its last child, soon after this read */
	push_proc_job(fs, ppid, id, 0, NULL, 0, 0, 0, NULL, here ? PROC_SOON_WAIT : PROC_SOON);
}

/* Whether the job's process ran an exec this mount did not see between
 * the job's queueing and read_end_ns, when /proc had been read: then the
 * read showed the new program, not the one the record is of. */
static int exec_before_read(struct fsd *fs, const struct job *j, int64_t read_end_ns)
{
	struct fsd_work *w = fs->work;
	struct pid_entry *e;
	int64_t when;

	if (!fsd_exec_known(fs) || (j->path && !j->named_elsewhere) || j->if_unread)
		return 0; /* no watch, or an exec on this mount began the record */
	fsd_exec_drain(fs);
	pthread_mutex_lock(&w->pid_lock);
	e = pid_find_locked(w, j->pid);
	when = e ? e->exec_ns : 0;
	pthread_mutex_unlock(&w->pid_lock);
	return when > j->begun_ns && when < read_end_ns;
}

/* A record of a forked child before its exec, read after it (see
 * exec_before_read): its program and arguments were those of its parent,
 * if the parent has the name the child had then (comm: a fork keeps it,
 * an exec changes it), and are read from the parent instead (cwd, owner
 * and start time stay the child's); else, or if the parent is gone, they
 * are unknown.  0, or -ENOMEM. */
/* The facts of ppid, into parent, if it has the name comm (a forked
 * child's at its first request): 0, else -1. */
static int read_fork_parent(pid_t ppid, const char *comm, struct procinfo *parent)
{
	struct procinfo_stat pst;

	return ppid > 0 && *comm && procinfo_stat(ppid, &pst) == 0 && !strcmp(pst.comm, comm) &&
			       procinfo_read(ppid, parent) == 0
		       ? 0
		       : -1;
}

/* info's program and arguments become parent's (taken from it), or none
 * (parent NULL).  0, or -ENOMEM. */
static int take_image(struct procinfo *info, struct procinfo *parent)
{
	char *exe = parent ? parent->exe : NULL, *argv = parent ? parent->argv_json : NULL;

	if (parent)
		parent->exe = parent->argv_json = NULL;
	free(info->exe);
	free(info->argv_json);
	info->exe = exe ? exe : strdup("");
	info->argv_json = argv ? argv : strdup("[]");
	/* a fork keeps the image: the parent's, for the child before its
	 * exec (its other mounts' records of that, read in time, say so) */
	info->image = parent ? parent->image : 0;
	return info->exe && info->argv_json ? 0 : -ENOMEM;
}

static int take_parent_image(struct procinfo *info, pid_t ppid, const char *comm)
{
	struct procinfo parent;
	int have = read_fork_parent(ppid, comm, &parent) == 0;
	int ret = take_image(info, have ? &parent : NULL);

	if (have)
		procinfo_free(&parent);
	return ret;
}

/* A record of a forked child that ran another program after its first
 * request and was gone before its read (a shell's child that opened a
 * redirection's file here, then ran a short-lived program from
 * elsewhere): its program and arguments were its parent's, as in
 * take_parent_image, and its owner too; its directory is unknown.  0 if
 * info is filled so, else -1. */
static int gone_child_image(struct procinfo *info, const struct job *j)
{
	struct procinfo parent;
	int ret;

	memset(info, 0, sizeof(*info));
	if (read_fork_parent(j->ppid, j->comm, &parent) < 0)
		return -1;
	info->pid = j->pid;
	info->ppid = j->ppid;
	info->uid = parent.uid;
	info->gid = parent.gid;
	info->start_ns = j->start_ns;
	info->cwd = strdup("");
	ret = info->cwd ? take_image(info, &parent) : -ENOMEM;
	procinfo_free(&parent);
	if (ret < 0 || !*info->exe) {
		procinfo_free(info);
		return -1;
	}
	return 0;
}

/* Runs /proc job j: reads the process and logs its record (or queues
 * the read again, for an exec not switched yet).  Takes j, and pre if
 * not NULL: the process read already, at read_end_ns, by the request
 * whose thread this is. */
static void run_proc_job(struct fsd *fs, struct job *j, struct procinfo *pre,
			 int64_t read_end_ns)
{
	struct fsd_work *w = fs->work;
	struct procinfo info;
	int ok, old_name, here = pre != NULL;

	if (j->if_unread && !claim_unread(w, j)) {
		if (pre)
			procinfo_free(pre);
		free(j->path);
		free(j); /* a request of the process read it already */
		return;
	}
	if (w->read_lag_ns && !j->soon) {
		/* a host that holds the reader up: not before this
		 * long after the job was queued */
		int64_t wait_ns = j->begun_ns + w->read_lag_ns - mono_ns();

		if (wait_ns > 0)
			nanosleep(&(struct timespec){.tv_sec = wait_ns / 1000000000L,
						   .tv_nsec = wait_ns % 1000000000L},
				  NULL);
	}
	if (pre) {
		info = *pre;
		ok = 1;
	} else {
		ok = procinfo_read(j->pid, &info) == 0;
		read_end_ns = mono_ns();
	}
	read_is_done(w, j);
	if (ok && j->start_ns && info.start_ns && info.start_ns != j->start_ns) {
		/* Another process of the pid: ours is gone. */
		procinfo_free(&info);
		ok = 0;
	}
	if (ok && exec_before_read(fs, j, read_end_ns) &&
	    take_parent_image(&info, j->ppid, j->comm) < 0) {
		procinfo_free(&info);
		ok = 0;
	}
	if (!ok && exec_before_read(fs, j, read_end_ns))
		ok = gone_child_image(&info, j) == 0;
	/* (The exec's path as the mount names it, taken as relative
	 * to wherever it is mounted: a read-only mount's paths are
	 * absolute, as of provfs run's root, but `provfs mount --ro`
	 * may be anywhere.) */
	old_name = ok && *j->comm && !strcmp(info.comm, j->comm);
	if (ok && j->if_unread && j->path &&
	    (*info.exe ? !procinfo_exe_is(info.exe, j->path + strspn(j->path, "/"))
		       : old_name) &&
	    (j->tries < EXEC_READ_TRIES_ANY || (j->tries < EXEC_READ_TRIES && old_name))) {
		/* Still the old image (its program, or where that
		 * cannot be read its name, is the one before the
		 * exec): the exec has not switched yet
		 * (its open waits on our reply, and a slow daemon
		 * takes longer than the delay).  Again a little later,
		 * with the record unread again, so that the pid's
		 * next request reads it at once. */
		procinfo_free(&info);
		if (!unclaim(w, j, 1)) {
			free(j->path);
			free(j);
			return;
		}
		j->tries++;
		j->due_ns = exec_read_due();
		push(w, j);
		return;
	}
	if (j->if_unread && !unclaim(w, j, 0)) {
		if (ok)
			procinfo_free(&info);
	} else if (ok) {
		/* A thread other than its process's first is logged
		 * as its process (its pid and start time; the parent
		 * is the threads' own), so that attest makes one item
		 * of the records of its threads. */
		int thread = info.tgid > 0;

		/* An exiting process has lost its program before its
		 * pid: the path its exec opened stands in. */
		alog_process(fs->log, j->process, &(struct alog_process){
			.pid = thread ? info.tgid : info.pid,
			.ppid = info.ppid,
			.uid = info.uid, .gid = info.gid,
			.exe = *info.exe || !j->path ? info.exe : j->path,
			.argv_json = info.argv_json, .cwd = info.cwd,
			.start_ns = thread ? info.tgid_start_ns : info.start_ns,
			.image = info.image});
		add_parent(fs, j->pid, info.ppid, here);
		procinfo_free(&info);
	} else {
		alog_process(fs->log, j->process, &(struct alog_process){
			.pid = j->pid, .ppid = j->ppid, .exe = j->path,
			.start_ns = j->start_ns});
		add_parent(fs, j->pid, j->ppid, here);
	}
	free(j->path);
	free(j);
}

static void *proc_main(void *arg)
{
	struct fsd *fs = arg;
	struct fsd_work *w = fs->work;

	prctl(PR_SET_NAME, "provfs-proc");
	{
		/* Unlike the other threads (SCHED_BATCH), the reader runs as
		 * soon as a job wakes it: a short-lived process (echo, rm,
		 * tail) is gone a few hundred microseconds after its last
		 * request, and a read behind the build's processes found
		 * nothing.  Three loops of echo and cat under provfs run:
		 * 135-188 of some 2,500 records without program or arguments
		 * as SCHED_BATCH, 53-74 at nice 0 or -20, 8-36 as SCHED_FIFO;
		 * a 1,000 x /bin/true loop not slower (medians of 7).  Each
		 * job is a few /proc reads, so it never holds a CPU for long.
		 * Without CAP_SYS_NICE it is an ordinary thread. */
		struct sched_param sp = {0};

		sp.sched_priority = 1;
		if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
			sp.sched_priority = 0;
			sched_setscheduler(0, SCHED_OTHER, &sp);
		}
	}
	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct job *j = next_proc_job(w);

		if (!j)
			break;
		pthread_mutex_unlock(&w->lock);
		run_proc_job(fs, j, NULL, 0);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int fsd_work_start(struct fsd *fs)
{
	struct fsd_work *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->pwake, NULL);
	pthread_cond_init(&w->read_done, NULL);
	pthread_cond_init(&w->settled, NULL);
	pthread_mutex_init(&w->pid_lock, NULL);
	pthread_mutex_init(&w->dcache_lock, NULL);
	pthread_mutex_init(&w->seen_lock, NULL);
	w->seen_size = 1 << 16;
	w->seen = calloc(w->seen_size, sizeof(*w->seen));
	if (!w->seen) {
		free(w);
		return -ENOMEM;
	}
	fs->work = w;
	{
		/* Reads made in turn (not job.soon) begin no sooner than
		 * this many us after they were queued: the races of a reader
		 * that a busy host holds up, on demand. */
		const char *lag = getenv("PROVFS_PROC_READ_LAG");

		if (lag && atol(lag) > 0 && atol(lag) <= 1000000)
			w->read_lag_ns = atol(lag) * 1000L;
	}
	/* Without its persistent cache the mount still works: it hashes. */
	if (fs->cfg.digest_cache && dcfile_open(fs->cfg.digest_cache, &w->dcfile) == 0)
		dcfile_load(w->dcfile, dcache_load_one, w);
	for (int i = 0; i < WORK_THREADS; i++)
		if (pthread_create(&w->threads[i], NULL, work_main, fs) != 0)
			return -EAGAIN;
	if (pthread_create(&w->proc_thread, NULL, proc_main, fs) != 0)
		return -EAGAIN;
	return 0;
}

int fsd_work_stop(struct fsd *fs)
{
	struct fsd_work *w = fs->work;
	int errors;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->wake);
	pthread_cond_broadcast(&w->pwake);
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < WORK_THREADS; i++)
		pthread_join(w->threads[i], NULL);
	pthread_join(w->proc_thread, NULL);
	errors = w->capture_errors;
	for (size_t b = 0; b < PID_BUCKETS; b++) {
		while (w->pids[b]) {
			struct pid_entry *e = w->pids[b];

			w->pids[b] = e->next;
			free(e->exec);
			free(e);
		}
	}
	for (size_t b = 0; b < DCACHE_BUCKETS; b++) {
		while (w->dcache[b]) {
			struct dcache_entry *e = w->dcache[b];

			w->dcache[b] = e->next;
			free(e);
		}
	}
	dcfile_close(w->dcfile);
	free(w->seen);
	free(w);
	fs->work = NULL;
	return errors;
}

/* The name an exec'd program gets in a record /proc could not fill: its
 * path in the environment (a read-only mount), or relative to the mount
 * (the workspace), as the manifest names files.  NULL on ENOMEM. */
static char *exec_name(struct fsd *fs, struct fsd_inode *in)
{
	char *path = fsd_inode_path(fs, in, NULL);

	if (path && !fs->cfg.readonly)
		memmove(path, path + 1, strlen(path));
	return path;
}

int64_t fsd_process(struct fsd *fs, fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	return ctx ? fsd_process_pid(fs, ctx->pid, 0) : 0;
}

int64_t fsd_process_walk(struct fsd *fs, fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	return ctx ? fsd_process_pid(fs, ctx->pid, 1) : 0;
}

/* The entry of pid, made if new (with no record yet: stale); NULL on
 * ENOMEM.  Under w->pid_lock. */
static struct pid_entry *pid_entry_locked(struct fsd_work *w, pid_t pid)
{
	size_t b = (size_t)pid % PID_BUCKETS;
	struct pid_entry *e = pid_find_locked(w, pid);

	if (e)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->pid = pid;
	e->stale = 1;
	e->next = w->pids[b];
	w->pids[b] = e;
	return e;
}

/* Whether pid runs the program at path now: 1, 0, or -1 where /proc
 * does not say (the process gone, or its program unreadable).
 * /proc/PID/exe takes no lock the process, waiting on our reply, holds. */
static int runs_program(pid_t pid, const char *path)
{
	char *exe = path ? procinfo_exe(pid) : NULL;
	int runs = exe && *exe ? procinfo_exe_is(exe, path) : -1;

	free(exe);
	return runs;
}

int64_t fsd_process_pid(struct fsd *fs, pid_t pid, int walk)
{
	struct fsd_work *w = fs->work;
	struct pid_entry *e;
	char *exec = NULL;
	int read_now, unread, wait;
	int64_t id, start_ns = 0;
	pid_t ppid = 0;

	if (pid <= 0)
		return 0;
	/* An exec of the pid off this mount ends its record here. */
	fsd_exec_drain(fs);
	pthread_mutex_lock(&w->pid_lock);
	e = pid_entry_locked(w, pid);
	if (!e) {
		pthread_mutex_unlock(&w->pid_lock);
		return 0;
	}
	if (walk && e->unread && e->exec_seen) {
		/* The exec this mount began the record with is still under
		 * way (the kernel's event of it, sent once the new program
		 * is loaded, has not come): this is its walk to the ELF
		 * interpreter, made before the old image is replaced.  Read
		 * now, the record got the old program, and the interpreter's
		 * open then began another, posted to the slave's other
		 * mounts by the interpreter's name (the first exec of a
		 * provfs run, whose root's caches are cold: e2e 0438 on the
		 * ASan build, 2 of 18 runs, before and after 45ea7ce). */
		id = e->id;
		pthread_mutex_unlock(&w->pid_lock);
		return id;
	}
	/* A new record, or one an exec started: the process runs its
	 * program now, so /proc describes it.  After an exec its parent is
	 * the one read then. */
	read_now = e->stale || e->unread;
	unread = e->unread; /* else a record's program is one the ring named */
	wait = e->unread || (e->stale && (!fs->ring || !e->exec));
	if (e->stale)
		e->id = alog_process_id(fs->log);
	if (read_now) {
		exec = e->exec;
		e->exec = NULL;
		ppid = e->unread ? e->ppid : 0;
		start_ns = e->unread ? e->start_ns : 0;
	}
	/* An exec's event is queued before its program runs, and was taken
	 * just above: a request no execve makes, from a pid whose exec on
	 * this mount has no event yet, comes after that exec failed (a
	 * script without #!, ENOEXEC; or its event was lost).  The next
	 * event is another exec then, off this mount.  The record the exec
	 * ended goes on if nothing was logged under the new one and the
	 * process still runs another program (whose pending read then finds
	 * the record no longer unread, and is dropped). */
	if (!walk && e->exec_seen) {
		e->exec_seen = 0;
		/* It runs another program than the exec's: the exec failed
		 * (not only its event lost). */
		if (e->unread && e->prev_id && runs_program(pid, exec) == 0) {
			e->id = e->prev_id;
			read_now = 0;
			free(exec);
			exec = NULL;
		}
	}
	e->stale = e->unread = 0;
	id = e->id;
	pthread_mutex_unlock(&w->pid_lock);
	/* The first request after an exec here is held until its /proc is
	 * read: a program that ends a few hundred microseconds later (echo,
	 * after loading libc) is gone before a read behind the build's
	 * processes, and its record had no arguments.  Its /proc can be
	 * read: it is most often one thread, just exec'd, and waits on this
	 * request; the request's thread then reads it itself
	 * (push_proc_job), else it waits for the reader.  On a mount with no exec
	 * ring (`provfs mount`: no other mount of the slave has a full
	 * record of the process to join this one to) so does a new
	 * record's first request: a loop of 1,000 `cat` from the host's
	 * /usr of a file on the mount had 28% to 45% of cat's records
	 * without arguments, and none so; and a clean-clone CI failed e2e
	 * 0048 once, sed's record read after sed had gone.  Not where there
	 * is a ring (provfs run's mounts): there the root's record of the
	 * exec has the arguments, and the wait made a loop of 100 `cc -c`
	 * some 6% slower (medians of 6).  Except for a new record of a pid
	 * the ring named no exec of: a forked child that runs its parent's
	 * program still (a shell's child opening a redirection's file
	 * before it runs sed), whose record no other mount has; read late,
	 * after its exec, it takes its parent's image, but if sed and the
	 * parent were both gone by then it had only a program (CI, e2e
	 * 0428).  A loop of 1,000 `/bin/true >file`: 1.45 s against 1.40 s
	 * (medians of 5; 0.70 s natively). */
	if (read_now)
		push_proc_job(fs, pid, id, 0, exec, ppid, start_ns, !unread, NULL,
			      wait ? PROC_WAIT : PROC_LATER);
	return id;
}

int64_t fsd_process_exec(struct fsd *fs, pid_t pid, struct fsd_inode *in)
{
	struct fsd_work *w = fs->work;
	struct pid_entry *e;
	char *exec, *copy;
	int64_t id, next, start_ns;
	pid_t ppid;
	int foreign;
	struct procinfo_stat pst;

	if (pid <= 0)
		return 0;
	exec = exec_name(fs, in);
	/* The ring's posts: an exec another mount served ends the record. */
	fsd_exec_drain(fs);
	pthread_mutex_lock(&w->pid_lock);
	e = pid_entry_locked(w, pid);
	if (!e || e->unread) {
		/* A record an exec started and no request has read yet: the
		 * ELF interpreter's open (an exec open too) follows the
		 * program's, and belongs to its record. */
		id = e ? e->id : 0;
		pthread_mutex_unlock(&w->pid_lock);
		free(exec);
		return id;
	}
	/* A program another mount served, and named, with no request here
	 * since, that the process does not run yet (an interpreter is
	 * opened before the exec replaces the old image): this open is its
	 * ELF (or script) interpreter's, and the record is of that program.
	 * The slave's other mounts learn of this exec (before our reply, so
	 * before the process can ask them anything more), by that program's
	 * name: the mount that served it so learns its exec went on (it was
	 * not ENOEXEC). */
	foreign = e->stale && e->exec && runs_program(pid, e->exec) != 1;
	if (foreign) {
		free(exec);
		exec = e->exec;
		e->exec = NULL;
	}
	fsd_exec_ring_post(fs, pid, exec);
	/* The exec starts the record of the program it runs, at once, so a
	 * program that asks nothing more of this mount (a static binary, one
	 * whose libraries lie elsewhere) still has a record naming it and
	 * its parent.  Reading /proc now would most often see the old image,
	 * so it waits for the pid's next request, or EXEC_READ_DELAY_NS if
	 * none comes.  The exec itself is logged as the last act of the
	 * record it ends, or, for a pid new to us (a child forked to run this
	 * program, as a shell's are), as the first of the new one. */
	id = e->stale ? 0 : e->id;
	e->prev_id = id;
	e->stale = 0;
	e->unread = 1;
	e->id = next = alog_process_id(fs->log);
	if (!id)
		id = next;
	free(e->exec);
	e->exec = exec;
	e->ppid = 0;
	e->start_ns = 0;
	e->exec_seen = fsd_exec_known(fs) && !foreign; /* else no event comes */
	copy = exec ? strdup(exec) : NULL;
	pthread_mutex_unlock(&w->pid_lock);
	/* The process's name before the exec: where its program cannot be
	 * read (another user's, without CAP_SYS_PTRACE), a read that still
	 * finds it has the old image (the exec changes the name). */
	if (procinfo_stat(pid, &pst) == 0) {
		ppid = pst.ppid;
		start_ns = pst.start_ns;
	} else {
		ppid = 0;
		start_ns = 0;
		pst.comm[0] = '\0';
	}
	/* Kept for the read at the pid's next request, unless another
	 * exec began a record meanwhile. */
	pthread_mutex_lock(&w->pid_lock);
	e = pid_find_locked(w, pid);
	if (e && e->id == next) {
		e->ppid = ppid;
		e->start_ns = start_ns;
	}
	pthread_mutex_unlock(&w->pid_lock);
	push_proc_job(fs, pid, next, 1, copy, ppid, start_ns, 0, pst.comm, PROC_LATER);
	return id;
}

void fsd_process_foreign_exec(struct fsd *fs, pid_t pid, int64_t when_ns, const char *exe)
{
	struct fsd_work *w = fs->work;
	struct pid_entry *e;

	if (!w || pid <= 0)
		return;
	pthread_mutex_lock(&w->pid_lock);
	/* A program the ring names, of a pid this mount has no record of
	 * yet: kept for the pid's first request here, whose record it names
	 * if the process is gone before its read (mkdir run by make's shell,
	 * whose one request here is a stat). */
	e = exe && *exe ? pid_entry_locked(w, pid) : pid_find_locked(w, pid);
	if (e)
		e->exec_ns = when_ns;
	if (e && e->exec_seen) {
		/* The exec this mount saw (its open came first). */
		e->exec_seen = 0;
	} else if (e && e->stale && exe && *exe) {
		/* No record yet: the latest program is the one to name. */
		free(e->exec);
		e->exec = strdup(exe);
	} else if (e && !e->stale && !e->unread) {
		/* Another program now: the old record ends here, and the
		 * pid's next request starts one of the new program.  (A
		 * record an exec began and no request read yet is read at
		 * that request anyway.) */
		e->stale = 1;
		free(e->exec);
		/* The program, where the ring names it: the new record's
		 * name if the process is gone before its read. */
		e->exec = exe && *exe ? strdup(exe) : NULL;
	}
	pthread_mutex_unlock(&w->pid_lock);
}

void fsd_process_all_stale(struct fsd *fs)
{
	struct fsd_work *w = fs->work;

	if (!w)
		return;
	pthread_mutex_lock(&w->pid_lock);
	for (size_t b = 0; b < PID_BUCKETS; b++)
		for (struct pid_entry *e = w->pids[b]; e; e = e->next)
			if (!e->stale && !e->unread) {
				e->stale = 1;
				free(e->exec);
				e->exec = NULL;
			}
	pthread_mutex_unlock(&w->pid_lock);
}

static struct job *new_job(struct fsd *fs, enum job_kind kind, struct fsd_inode *in,
			   const char *path, int64_t process, int64_t time_ns)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->path = strdup(path ? path : "?");
	if (!j->path) {
		free(j);
		return NULL;
	}
	j->kind = kind;
	j->in = in;
	j->process = process;
	j->time_ns = time_ns;
	fsd_inode_ref(fs, in);
	return j;
}

void fsd_work_read(struct fsd *fs, struct fsd_inode *in, const char *path, const char *op,
		   int flags, int64_t process, int64_t time_ns)
{
	struct job *j = new_job(fs, JOB_READ, in, path, process, time_ns);

	if (!j)
		return;
	j->op = op;
	j->flags = flags;
	j->gen = gen_of(in);
	push(fs->work, j);
}

void fsd_work_settle(struct fsd *fs, struct fsd_inode *in)
{
	struct fsd_work *w = fs->work;
	struct job *mine = NULL, *prev = NULL, **pp;

	if (!w || !in)
		return;
	pthread_mutex_lock(&w->lock);
	if (!in->reads_pending) {
		pthread_mutex_unlock(&w->lock);
		return;
	}
	/* The queued ones are run here, in the request's thread. */
	for (pp = &w->head; *pp;) {
		struct job *j = *pp;

		if (j->kind == JOB_READ && j->in == in) {
			*pp = j->next;
			if (w->tail == j)
				w->tail = prev;
			j->next = mine;
			mine = j;
		} else {
			prev = j;
			pp = &j->next;
		}
	}
	pthread_mutex_unlock(&w->lock);
	while (mine) {
		struct job *j = mine;
		struct cas_batch batch = {0};
		char hex[DIGEST_HEX_LEN + 1];
		int err, results[1] = {0};

		mine = j->next;
		if (do_read(fs, j, &batch, hex, &err)) {
			if (err == 0 && batch.n) {
				cas_batch_commit(fs->cas, &batch, results);
				err = results[0];
			}
			log_capture(fs, j, hex, err);
		}
		cas_batch_free(&batch);
		read_done(w, j);
		finish_job(fs, j);
	}
	/* Those a worker is hashing now. */
	pthread_mutex_lock(&w->lock);
	while (in->reads_pending)
		pthread_cond_wait(&w->settled, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

void fsd_work_settle_at(struct fsd *fs, struct fsd_inode *parent, const char *name)
{
	struct fsd_work *w = fs->work;
	struct fsd_inode *in;
	int any;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	any = w->reads_pending > 0;
	pthread_mutex_unlock(&w->lock);
	if (!any || !(in = fsd_inode_find_at(fs, parent, name)))
		return;
	fsd_work_settle(fs, in);
	fsd_inode_unref(fs, in);
}

void fsd_work_written(struct fsd *fs, struct fsd_inode *in, const char *path, int64_t process,
		      int64_t time_ns, uint64_t gen, const uint8_t *known, uint64_t known_size,
		      const char *before, int unlinked, char **also)
{
	struct job *j = new_job(fs, JOB_WRITTEN, in, path, process, time_ns);

	if (!j) {
		fsd_links_free_names(also);
		return;
	}
	j->also = also;
	j->flags = unlinked ? ALOG_CLOSE_UNLINKED : 0;
	if (known) {
		j->has_known = 1;
		memcpy(j->known, known, DIGEST_LEN);
		j->known_size = known_size;
	}
	j->gen = gen;
	if (before && hex_is_digest(before))
		memcpy(j->before, before, DIGEST_HEX_LEN + 1);
	push(fs->work, j);
}

static uint64_t record_hash(int64_t process, const char *op, const char *path)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)process;

	for (const char *p = op; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *p = path; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h ? h : 1;
}

/* True the first time (process, op, path) is seen. */
static int first_sight(struct fsd_work *w, int64_t process, const char *op, const char *path)
{
	uint64_t h = record_hash(process, op, path);
	int fresh = 1;

	pthread_mutex_lock(&w->seen_lock);
	if (w->seen_used * 2 >= w->seen_size) {
		size_t nsize = w->seen_size * 2;
		uint64_t *ns = nsize <= (1u << 24) ? calloc(nsize, sizeof(*ns)) : NULL;

		if (ns) {
			for (size_t i = 0; i < w->seen_size; i++) {
				size_t k;

				if (!w->seen[i])
					continue;
				for (k = w->seen[i] & (nsize - 1); ns[k]; k = (k + 1) & (nsize - 1))
					;
				ns[k] = w->seen[i];
			}
			free(w->seen);
			w->seen = ns;
			w->seen_size = nsize;
		} else {
			/* Too big: forget everything; duplicates are harmless. */
			memset(w->seen, 0, w->seen_size * sizeof(*w->seen));
			w->seen_used = 0;
		}
	}
	for (size_t k = h & (w->seen_size - 1);; k = (k + 1) & (w->seen_size - 1)) {
		if (w->seen[k] == h) {
			fresh = 0;
			break;
		}
		if (!w->seen[k]) {
			w->seen[k] = h;
			w->seen_used++;
			break;
		}
	}
	pthread_mutex_unlock(&w->seen_lock);
	return fresh;
}

void fsd_log(struct fsd *fs, int64_t process, const char *op, const char *path,
	     const char *path2, int64_t flags, int result)
{
	fsd_log_at(fs, time_now_ns(), process, op, path, path2, flags, result);
}

void fsd_log_at(struct fsd *fs, int64_t time_ns, int64_t process, const char *op,
		const char *path, const char *path2, int64_t flags, int result)
{
	int dedup = !strcmp(op, ALOG_OP_STAT) || !strcmp(op, ALOG_OP_PROBE) ||
		    !strcmp(op, ALOG_OP_READDIR) || !strcmp(op, ALOG_OP_READLINK);

	if (!path)
		return;
	if (dedup && !first_sight(fs->work, process, op, path))
		return;
	alog_access(fs->log, &(struct alog_access){
		.time_ns = time_ns, .process = process, .op = op, .path = path,
		.path2 = path2, .flags = flags, .result = result, .size = -1});
}

int fsd_work_digest_hint(struct fsd *fs, struct fsd_inode *in, int fd,
			 char hex[DIGEST_HEX_LEN + 1], int64_t *size)
{
	struct stat st;
	/* No fd of its own (a kept backing id): the inode's O_PATH fd. */
	int ret = fd >= 0 ? (fstat(fd, &st) < 0 ? -errno : 0) : fsd_inode_stat(fs, in, &st);

	if (ret < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (size)
		*size = st.st_size;
	return dcache_get(fs->work, &st, gen_of(in), hex);
}

int fsd_work_digest_now(struct fsd *fs, struct fsd_inode *in, int fd, int64_t max, int keep,
			char hex[DIGEST_HEX_LEN + 1], int64_t *size)
{
	uint64_t gen = gen_of(in);
	uint8_t raw[DIGEST_LEN];
	char stored[DIGEST_HEX_LEN + 1];
	struct stat st;
	int rfd, known, done;

	known = fsd_work_digest_hint(fs, in, fd, hex, size);
	if (known && (!keep || fsd_work_input_kept(fs, in, hex)))
		return 1;
	if (in->type != S_IFREG)
		return 0;
	/* O_NOATIME: the build did not read it (it may not, where it
	 * cannot: a daemon that does not own the file leaves it unhashed). */
	rfd = fsd_inode_open(fs, in, O_RDONLY | O_NOATIME | O_NONBLOCK);
	if (rfd < 0)
		return 0;
	done = fstat(rfd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= max;
	if (done && !known) {
		done = digest_fd(rfd, raw, NULL) == 0;
		if (done) {
			hex_encode(raw, DIGEST_LEN, hex);
			*size = st.st_size;
			if (gen_of(in) == gen)
				dcache_put(fs->work, &st, gen, hex);
		}
	}
	/* Copied as an input would be, if the store lacks it: the same
	 * bytes, or (changed meanwhile) no digest at all. */
	if (done && keep && !fsd_work_input_kept(fs, in, hex))
		done = cas_put_fd(fs->cas, rfd, NULL, stored) == 0 && !strcmp(stored, hex);
	close(rfd);
	return done;
}

void fsd_log_access(struct fsd *fs, struct alog_access *acc)
{
	acc->time_ns = time_now_ns();
	alog_access(fs->log, acc);
}

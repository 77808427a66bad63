/*
 * fsd exec ring: the execs a sibling mount of the same slave saw.
 *
 * Why: a mount sees an exec only when the program lies on it, and where
 * the kernel's process events connector cannot be had (provfs run inside
 * a container: the connector answers only a listener in the initial user
 * and pid namespaces) the workspace's daemon never learnt that the shell
 * whose child opened a redirection's file had become sed, run from the
 * root: sed's reads were logged as the shell's.  In a slave of provfs run
 * every program lies on one of its mounts (the root, the workspace, /tmp),
 * so each exec is an open with FMODE_EXEC that one of its daemons serves.
 * Each daemon posts the pid and program of every such open to a ring in
 * a shared file (provfs run makes it; `provfs mount --exec-ring FILE`),
 * before it replies, and takes the others' posts at each request and
 * each exec open (fsd_exec_drain), as it takes the connector's events:
 * the exec'ing process can make no request elsewhere before the reply,
 * so the post is there by then.  The program named is the new record's
 * name if the process is gone before its /proc read, also for a pid the
 * daemon had no record of.  The ELF interpreter's open, on the root,
 * after the exec of a program from the workspace, belongs to that
 * program's record, and posts it again by its name, so the workspace's
 * daemon knows that exec went on past the program's open.
 *
 * The ring is a header and RING_SLOTS slots in a file on /run (tmpfs):
 * a writer takes a slot with an atomic add to head, fills it and then
 * stores its sequence number (index + 1); a reader follows head from the
 * index it started at, and takes a slot once its sequence number is its
 * index + 1.  A reader that fell more than RING_SLOTS behind (a daemon
 * that got no request while thousands of processes ran elsewhere) has
 * lost posts: every record it has then starts afresh at its pid's next
 * request (fsd_process_all_stale).
 */
#include "fsd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define RING_MAGIC 0x70726678u /* "prfx" */
#define RING_SLOTS EXEC_RING_SLOTS
/* A slot taken this many posts ago and still not filled belongs to a
 * writer that died in between: skipped. */
#define RING_STUCK 64u

struct ring_slot {
	_Atomic uint64_t seq;     /* index + 1 once filled */
	_Atomic int32_t pid;
	_Atomic uint32_t from;    /* the posting daemon's pid */
	_Atomic int64_t when_ns;  /* CLOCK_MONOTONIC of the exec's open */
	char exe[EXEC_RING_EXE];  /* the program as its mount names it, "" if
				   * longer (read between two loads of seq) */
};

struct ring_file {
	uint32_t magic;
	uint32_t slots;
	_Atomic uint64_t head; /* the next index to take */
	_Atomic uint32_t members; /* daemons that opened it, for their ids */
	char pad[44];          /* head alone in its cache line */
	struct ring_slot slot[];
};

struct fsd_ring {
	struct ring_file *f;
	size_t size;
	uint64_t next;      /* the next index this daemon takes */
	uint32_t self;
	pthread_mutex_t lock; /* one reader of next at a time */
};

static size_t ring_size(void)
{
	return sizeof(struct ring_file) + RING_SLOTS * sizeof(struct ring_slot);
}

int fsd_exec_ring_create(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	struct ring_file *f;
	int err = 0;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)ring_size()) < 0) {
		err = -errno;
	} else {
		f = mmap(NULL, ring_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (f == MAP_FAILED) {
			err = -errno;
		} else {
			f->slots = RING_SLOTS;
			f->magic = RING_MAGIC;
			munmap(f, ring_size());
		}
	}
	close(fd);
	if (err)
		unlink(path);
	return err;
}

int fsd_exec_ring_open(struct fsd *fs, const char *path)
{
	return exec_ring_open(path, &fs->ring);
}

int exec_ring_open(const char *path, struct fsd_ring **out)
{
	struct fsd_ring *r = calloc(1, sizeof(*r));
	struct stat st;
	int fd;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size != ring_size()) {
		int err = fd < 0 ? -errno : -EINVAL;

		if (fd >= 0)
			close(fd);
		free(r);
		return err;
	}
	r->size = ring_size();
	r->f = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (r->f == MAP_FAILED || r->f->magic != RING_MAGIC || r->f->slots != RING_SLOTS) {
		if (r->f != MAP_FAILED)
			munmap(r->f, r->size);
		free(r);
		return -EINVAL;
	}
	r->self = atomic_fetch_add(&r->f->members, 1) + 1;
	r->next = atomic_load(&r->f->head);
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

void fsd_exec_ring_close(struct fsd *fs)
{
	struct fsd_ring *r = fs->ring;

	fs->ring = NULL;
	exec_ring_close(r);
}

void exec_ring_close(struct fsd_ring *r)
{
	if (!r)
		return;
	munmap(r->f, r->size);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void fsd_exec_ring_post(struct fsd *fs, pid_t pid, const char *exe)
{
	exec_ring_post(fs->ring, pid, exe);
}

void exec_ring_post(struct fsd_ring *r, pid_t pid, const char *exe)
{
	struct ring_slot *s;
	int64_t when = mono_ns();
	size_t len = exe ? strlen(exe) : 0;
	uint64_t i;

	if (!r || pid <= 0)
		return;
	if (len >= EXEC_RING_EXE)
		len = 0;
	/* Few instructions from taking the slot to filling it: a reader
	 * stops at a slot being filled (and takes it, and those after it,
	 * at its next request). */
	i = atomic_fetch_add(&r->f->head, 1);
	s = &r->f->slot[i % RING_SLOTS];
	atomic_store_explicit(&s->seq, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&s->pid, (int32_t)pid, memory_order_relaxed);
	atomic_store_explicit(&s->from, r->self, memory_order_relaxed);
	atomic_store_explicit(&s->when_ns, when, memory_order_relaxed);
	memcpy(s->exe, len ? exe : "", len + 1);
	atomic_store_explicit(&s->seq, i + 1, memory_order_release);
}

static void take_exec(void *arg, pid_t pid, int64_t when_ns, const char *exe)
{
	fsd_process_foreign_exec(arg, pid, when_ns, exe);
}

static void take_lost(void *arg)
{
	fsd_process_all_stale(arg);
}

/* Posts lost: every record starts afresh, before any other request can
 * take the ring (and, finding it empty, log under a record that an exec
 * among the lost posts ended). */
void fsd_exec_ring_drain(struct fsd *fs)
{
	exec_ring_take(fs->ring, take_exec, take_lost, fs);
}

int exec_ring_take(struct fsd_ring *r,
		   void (*fn)(void *arg, pid_t pid, int64_t when_ns, const char *exe),
		   void (*lost_fn)(void *arg), void *arg)
{
	uint64_t head;
	int lost = 0;

	if (!r)
		return 0;
	pthread_mutex_lock(&r->lock);
	head = atomic_load_explicit(&r->f->head, memory_order_acquire);
	if (head - r->next > RING_SLOTS) {
		lost = 1;
		r->next = head - RING_SLOTS;
	}
	while (r->next < head) {
		struct ring_slot *s = &r->f->slot[r->next % RING_SLOTS];
		uint64_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
		pid_t pid = atomic_load_explicit(&s->pid, memory_order_relaxed);
		uint32_t from = atomic_load_explicit(&s->from, memory_order_relaxed);
		int64_t when = atomic_load_explicit(&s->when_ns, memory_order_relaxed);
		char exe[EXEC_RING_EXE];

		if (seq < r->next + 1) {
			/* Being filled; or its writer died, or is only slow
			 * (preempted between taking the slot and filling
			 * it): passed over, as lost, so that every record
			 * is read again rather than one exec missed. */
			if (head - r->next < RING_STUCK)
				break;
			lost = 1;
			r->next++;
			continue;
		}
		/* Filled, and not taken again while it was read (a seqlock:
		 * a writer zeroes seq before it writes). */
		memcpy(exe, s->exe, sizeof(exe));
		exe[sizeof(exe) - 1] = '\0';
		atomic_thread_fence(memory_order_acquire);
		if (seq > r->next + 1 || atomic_load_explicit(&s->seq, memory_order_relaxed) != seq) {
			lost = 1;
			r->next++;
			continue;
		}
		r->next++;
		if (from != r->self)
			fn(arg, pid, when, exe);
	}
	if (lost && lost_fn)
		lost_fn(arg);
	pthread_mutex_unlock(&r->lock);
	return lost;
}

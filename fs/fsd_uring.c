/*
 * fsd uring: FUSE over io_uring (Linux 6.14+), reached through libfuse 3.14,
 * which predates it.
 *
 * Why: with /dev/fuse, a request is read by whichever daemon thread wakes
 * first, often on the other CPU, and every cross-CPU wake-up of a halted
 * vCPU costs tens of microseconds.  A build on the read-only root sends a
 * pair of OPEN/RELEASE requests for every header and library it opens, so
 * those wake-ups were most of what `provfs run` still cost.  Over io_uring
 * the kernel keeps one queue per CPU and puts a request on the queue of the
 * CPU that made it; one thread per queue, pinned to that CPU, serves it,
 * and the caller and the daemon hand the CPU to each other without an IPI.
 *
 * How, beside libfuse: before the INIT reply is written, every ring is set
 * up (fsd_uring_prepare); only if that worked does the reply (patched in
 * fsd_passthrough.c) ask for FUSE_OVER_IO_URING.  Once INIT is answered,
 * one thread per possible CPU registers its UR_DEPTH entries with the
 * kernel (FUSE_IO_URING_CMD_REGISTER).  From that INIT reply on, the
 * kernel holds every new request until each queue has an entry: a queue
 * that never registers would hang the mount.  So fsd_uring_start waits
 * for each thread to say its entries were taken, and if one fails, or
 * none answers within UR_START_TIMEOUT seconds, turns io_uring off for
 * the connection (ur_disable): requests then go through /dev/fuse.  A request
 * arrives as a header (fuse_in_header and the per-opcode header) and a
 * payload; we copy them out contiguously, as a read() of /dev/fuse would
 * have delivered them, and hand them to fuse_session_process_buf().  The reply leaves
 * libfuse through our custom-io writev/splice (fsd_passthrough.c), which
 * calls fsd_uring_reply: a reply to a ring request is copied into the
 * entry and committed (FUSE_IO_URING_CMD_COMMIT_AND_FETCH, which also
 * fetches the next request) with the same io_uring_enter() that waits.
 *
 * /dev/fuse stays in use for what the ring does not carry (FORGET,
 * INTERRUPT, notifications), so libfuse's own loop keeps running.
 *
 * No liburing (not among our dependencies): the few ring operations are
 * done with the raw system calls and the layout in <linux/io_uring.h>.
 */
#include "fsd.h"

#include <errno.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* From the kernel's include/uapi/linux/fuse.h (protocol 7.42). */
#define UR_CMD_REGISTER 1
#define UR_CMD_COMMIT_AND_FETCH 2
#define UR_IN_HEADER 40  /* struct fuse_in_header */
#define UR_OUT_HEADER 16 /* struct fuse_out_header */
#define UR_OP_MAX 128    /* room for the per-opcode header */
/* Opcodes that may keep a handler busy for long (enum fuse_opcode). */
#define UR_OP_FSYNC 20
#define UR_OP_FSYNCDIR 30
#define UR_OP_SETLKW 33
#define UR_OP_FALLOCATE 43
#define UR_OP_COPY_FILE_RANGE 47

struct ur_req_header {
	uint8_t in_out[128]; /* fuse_in_header in, fuse_out_header out */
	uint8_t op_in[UR_OP_MAX];
	struct {
		uint64_t flags;
		uint64_t commit_id;  /* to name the request in our commit */
		uint32_t payload_sz; /* bytes of payload, both ways */
		uint32_t padding;
		uint64_t reserved;
	} ent;
};

/* In the 80-byte command area of a 128-byte SQE. */
struct ur_cmd_req {
	uint64_t flags;
	uint64_t commit_id;
	uint16_t qid;
	uint8_t padding[6];
};

/* Entries per queue.  One thread serves a queue, one request at a time;
 * more entries only let the kernel hand over a burst in one wake-up. */
#define UR_DEPTH 4
/* An entry's memory: the kernel's header (a page, for alignment), its
 * payload, then room for the request as we hand it to libfuse. */
#define UR_HEAD_AREA 4096
#define UR_ENT_LEN(payload) (UR_HEAD_AREA + 2 * (payload) + UR_IN_HEADER + UR_OP_MAX)
#define UR_SQE_SIZE 128
#define UR_EVENTFD_TAG 1 /* user_data of the eventfd poll; entries are pointers */
#define UR_START_TIMEOUT 5 /* seconds for every queue to register */

struct ur_queue;

struct ur_ent {
	struct ur_queue *q;
	uint8_t *mem;              /* UR_ENT_LEN(payload) bytes, mmap'd */
	struct ur_req_header *hdr; /* = mem: the kernel's header */
	uint8_t *payload;          /* = mem + UR_HEAD_AREA: the kernel's payload */
	uint8_t *req;              /* after the payload: the request, as served */
	struct iovec iov[2];       /* header, payload: given at REGISTER */
	uint32_t last_cmd;         /* to resend after EINTR/EAGAIN */
	uint64_t commit_id;        /* request being served, 0 if none */
	int dead;                  /* the kernel ended it */
};

struct ur_queue {
	struct fsd_uring *u;
	int qid;
	int ring_fd;
	int evfd;                  /* written to wake the thread: to submit
				    * another thread's commit, or to stop */
	pthread_t thread;
	int started;
	pthread_mutex_t lock;      /* the SQ, and pending */
	unsigned pending;          /* SQEs queued, not yet submitted */
	void *ring_mem, *sqe_mem;
	size_t ring_len, sqe_len;
	unsigned *sq_head, *sq_tail, *sq_mask, sq_entries;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	struct ur_ent ent[UR_DEPTH];
};

struct fsd_uring {
	struct fsd *fs;
	int dev_fd;
	size_t payload_len;
	int n_queues;
	struct ur_queue *queues;
	int stopping;              /* ring threads: end at the next wake-up */
	pthread_mutex_t slow_lock; /* also the start-up counts and ctl */
	pthread_cond_t slow_done;
	int slow_running;          /* ur_slow threads not yet finished */
	pthread_cond_t start_done;
	int reported;              /* queues whose thread said how it went */
	int failed;                /* of those, queues that could not register */
	struct ur_queue ctl;       /* a ring of our own, for ur_disable */
	int disabled;              /* ur_disable has run */
};

/* The ring entry whose request this thread is serving right now. */
static __thread struct ur_ent *tls_ent;

static int ur_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags)
{
	return (int)syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, NULL, 0);
}

static int ur_ring_open(struct ur_queue *q, unsigned entries)
{
	struct io_uring_params p;
	uint8_t *ring;
	unsigned *array;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_SQE128;
	q->ring_fd = (int)syscall(__NR_io_uring_setup, entries, &p);
	if (q->ring_fd < 0)
		return -errno;
	if (!(p.features & IORING_FEAT_SINGLE_MMAP))
		return -EOPNOTSUPP; /* every kernel with FUSE over io_uring has it */
	q->ring_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	if (p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe) > q->ring_len)
		q->ring_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	q->ring_mem = mmap(NULL, q->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			   q->ring_fd, IORING_OFF_SQ_RING);
	if (q->ring_mem == MAP_FAILED) {
		q->ring_mem = NULL;
		return -errno;
	}
	q->sqe_len = (size_t)p.sq_entries * UR_SQE_SIZE;
	q->sqe_mem = mmap(NULL, q->sqe_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			  q->ring_fd, IORING_OFF_SQES);
	if (q->sqe_mem == MAP_FAILED) {
		q->sqe_mem = NULL;
		return -errno;
	}
	ring = q->ring_mem;
	q->sq_head = (unsigned *)(ring + p.sq_off.head);
	q->sq_tail = (unsigned *)(ring + p.sq_off.tail);
	q->sq_mask = (unsigned *)(ring + p.sq_off.ring_mask);
	q->sq_entries = p.sq_entries;
	q->cq_head = (unsigned *)(ring + p.cq_off.head);
	q->cq_tail = (unsigned *)(ring + p.cq_off.tail);
	q->cq_mask = (unsigned *)(ring + p.cq_off.ring_mask);
	q->cqes = (struct io_uring_cqe *)(ring + p.cq_off.cqes);
	/* SQE i always sits in slot i. */
	array = (unsigned *)(ring + p.sq_off.array);
	for (unsigned i = 0; i < p.sq_entries; i++)
		array[i] = i;
	return 0;
}

/* A zeroed SQE at the tail, or NULL if the SQ is full; under q->lock.
 * ur_sqe_push makes it visible to the kernel. */
static struct io_uring_sqe *ur_sqe_get(struct ur_queue *q)
{
	unsigned tail = *q->sq_tail;
	unsigned head = __atomic_load_n(q->sq_head, __ATOMIC_ACQUIRE);
	uint8_t *sqe;

	if (tail - head >= q->sq_entries)
		return NULL;
	sqe = (uint8_t *)q->sqe_mem + (size_t)(tail & *q->sq_mask) * UR_SQE_SIZE;
	memset(sqe, 0, UR_SQE_SIZE);
	return (struct io_uring_sqe *)sqe;
}

static void ur_sqe_push(struct ur_queue *q)
{
	__atomic_store_n(q->sq_tail, *q->sq_tail + 1, __ATOMIC_RELEASE);
	q->pending++;
}

/* Queues a REGISTER or COMMIT_AND_FETCH for e; under q->lock. */
static int ur_queue_cmd(struct ur_queue *q, struct ur_ent *e, uint32_t cmd)
{
	struct io_uring_sqe *sqe = ur_sqe_get(q);
	struct ur_cmd_req *req;

	if (!sqe)
		return -EBUSY; /* cannot happen: one SQE per entry, plus one */
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = q->u->dev_fd;
	sqe->user_data = (uint64_t)(uintptr_t)e;
	sqe->cmd_op = cmd;
	if (cmd == UR_CMD_REGISTER) {
		sqe->addr = (uint64_t)(uintptr_t)e->iov;
		sqe->len = 2;
	}
	req = (struct ur_cmd_req *)((uint8_t *)sqe + offsetof(struct io_uring_sqe, cmd));
	req->qid = (uint16_t)q->qid;
	req->commit_id = cmd == UR_CMD_COMMIT_AND_FETCH ? e->commit_id : 0;
	e->last_cmd = cmd;
	ur_sqe_push(q);
	return 0;
}

/* Commits e's reply, already in its header and payload.  Only the queue's
 * own thread submits, with its next io_uring_enter (which also waits): an
 * io_uring request belongs to the thread that submitted it and is
 * cancelled when that thread exits, and COMMIT_AND_FETCH stays pending
 * until the next request.  Another thread queues the SQE and kicks the
 * queue's thread through its eventfd. */
static void ur_commit(struct ur_ent *e)
{
	struct ur_queue *q = e->q;
	int own = tls_ent == e;

	pthread_mutex_lock(&q->lock);
	ur_queue_cmd(q, e, UR_CMD_COMMIT_AND_FETCH);
	__atomic_store_n(&e->commit_id, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&q->lock);
	if (own) {
		tls_ent = NULL;
	} else {
		uint64_t one = 1;

		if (write(q->evfd, &one, sizeof(one)) < 0) {
			/* an eventfd write fails only at overflow: awake anyway */
		}
	}
}

/* Answers e's request with -err and no payload. */
static void ur_reply_error(struct ur_ent *e, int err)
{
	int32_t error = -err;
	uint32_t len = UR_OUT_HEADER;

	memcpy(e->hdr->in_out, &len, 4);
	memcpy(e->hdr->in_out + 4, &error, 4);
	memcpy(e->hdr->in_out + 8, &e->commit_id, 8);
	e->hdr->ent.payload_sz = 0;
	ur_commit(e);
}

static int ur_is_slow(uint32_t opcode)
{
	return opcode == UR_OP_FSYNC || opcode == UR_OP_FSYNCDIR || opcode == UR_OP_SETLKW ||
	       opcode == UR_OP_FALLOCATE || opcode == UR_OP_COPY_FILE_RANGE;
}

/* One request that may take long (an fsync, a copy of a large file) is
 * served on a thread of its own, so the queue's other requests, and the
 * other processes on that CPU, do not wait behind it.  Its reply finds the
 * entry through commit_id. */
static void *ur_slow(void *arg)
{
	struct ur_ent *e = arg;
	struct fsd_uring *u = e->q->u;
	struct fuse_buf buf;
	uint32_t len;

	prctl(PR_SET_NAME, "provfs-slow");
	memcpy(&len, e->req, 4);
	memset(&buf, 0, sizeof(buf));
	buf.mem = e->req;
	buf.size = len;
	fuse_session_process_buf(u->fs->se, &buf);
	pthread_mutex_lock(&u->slow_lock);
	u->slow_running--;
	pthread_cond_broadcast(&u->slow_done);
	pthread_mutex_unlock(&u->slow_lock);
	return NULL;
}

/* Starts ur_slow for e; 0, or -errno if it must be served here. */
static int ur_serve_slow(struct ur_ent *e)
{
	struct fsd_uring *u = e->q->u;
	pthread_attr_t attr;
	pthread_t t;
	int ret;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&u->slow_lock);
	ret = -pthread_create(&t, &attr, ur_slow, e);
	if (ret == 0)
		u->slow_running++;
	pthread_mutex_unlock(&u->slow_lock);
	pthread_attr_destroy(&attr);
	return ret;
}

/* Serves the request the kernel put in e, laid out as a read() of
 * /dev/fuse would have delivered it (in header, opcode header, payload, all
 * contiguous) in e->req.  It is a copy: the reply goes into the same
 * payload buffer, and handlers may still use their arguments after
 * replying (a write is hashed after its reply). */
static void ur_serve(struct ur_queue *q, struct ur_ent *e)
{
	struct ur_req_header *h = e->hdr;
	uint32_t len, opcode, payload = h->ent.payload_sz;
	size_t op_len;
	struct fuse_buf buf;

	memcpy(&len, h->in_out, 4);
	e->commit_id = h->ent.commit_id;
	if (e->commit_id == 0)
		return; /* nothing we could answer; the kernel never does this */
	if (len < UR_IN_HEADER || payload > q->u->payload_len || len - UR_IN_HEADER < payload ||
	    len - UR_IN_HEADER - payload > UR_OP_MAX) {
		ur_reply_error(e, EIO);
		return;
	}
	op_len = len - UR_IN_HEADER - payload;
	memcpy(e->req, h->in_out, UR_IN_HEADER);
	memcpy(e->req + UR_IN_HEADER, h->op_in, op_len);
	memcpy(e->req + UR_IN_HEADER + op_len, e->payload, payload);
	memcpy(&opcode, h->in_out + 4, 4);
	if (ur_is_slow(opcode) && ur_serve_slow(e) == 0)
		return;
	memset(&buf, 0, sizeof(buf));
	buf.mem = e->req;
	buf.size = len;
	tls_ent = e;
	fuse_session_process_buf(q->u->fs->se, &buf);
	/* Normally the reply went out from inside; if not, whoever answers
	 * later is found by fsd_uring_reply through commit_id. */
	tls_ent = NULL;
}

static void ur_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* Not fatal: a thread elsewhere still serves its queue, only slower. */
	sched_setaffinity(0, sizeof(set), &set);
}

/* Queues a one-shot poll of the queue's eventfd; under q->lock. */
static int ur_queue_poll(struct ur_queue *q)
{
	struct io_uring_sqe *sqe = ur_sqe_get(q);

	if (!sqe)
		return -EBUSY;
	sqe->opcode = IORING_OP_POLL_ADD;
	sqe->fd = q->evfd;
	sqe->poll32_events = POLLIN;
	sqe->user_data = UR_EVENTFD_TAG;
	ur_sqe_push(q);
	return 0;
}

/* Registers the entries and a poll on the eventfd. */
static int ur_queue_register(struct ur_queue *q)
{
	int ret = 0;

	pthread_mutex_lock(&q->lock);
	for (int i = 0; i < UR_DEPTH && ret == 0; i++)
		ret = ur_queue_cmd(q, &q->ent[i], UR_CMD_REGISTER);
	if (ret == 0)
		ret = ur_queue_poll(q);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

/* Turns FUSE over io_uring off for the connection, once: a REGISTER the
 * kernel must refuse (a queue number past its last) makes it clear the
 * connection's io_uring flag and wake every caller waiting for the rings;
 * requests then go through /dev/fuse.  Entries already registered stay
 * unused until unmount. */
static void ur_disable(struct fsd_uring *u)
{
	struct ur_queue *c = &u->ctl;
	struct io_uring_sqe *sqe;
	struct ur_cmd_req *req;

	pthread_mutex_lock(&u->slow_lock);
	if (u->disabled) {
		pthread_mutex_unlock(&u->slow_lock);
		return;
	}
	u->disabled = 1;
	sqe = ur_sqe_get(c);
	if (sqe) {
		sqe->opcode = IORING_OP_URING_CMD;
		sqe->fd = u->dev_fd;
		sqe->cmd_op = UR_CMD_REGISTER;
		sqe->addr = (uint64_t)(uintptr_t)u->queues[0].ent[0].iov;
		sqe->len = 2;
		req = (struct ur_cmd_req *)((uint8_t *)sqe + offsetof(struct io_uring_sqe, cmd));
		req->qid = UINT16_MAX;
		ur_sqe_push(c);
		/* Refused at submission: the answer is there when this returns. */
		while (ur_enter(c->ring_fd, 1, 1, IORING_ENTER_GETEVENTS) < 0 && errno == EINTR)
			;
		__atomic_store_n(c->cq_head, __atomic_load_n(c->cq_tail, __ATOMIC_ACQUIRE),
				 __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&u->slow_lock);
}

/* Tells fsd_uring_start how registering went for q; once per queue. */
static void ur_report(struct ur_queue *q, int ok)
{
	struct fsd_uring *u = q->u;

	pthread_mutex_lock(&u->slow_lock);
	u->reported++;
	if (!ok)
		u->failed++;
	pthread_cond_broadcast(&u->start_done);
	pthread_mutex_unlock(&u->slow_lock);
}

/* Handles the completions in q's CQ: requests to serve, commands to
 * resend, entries the kernel ended (live counts the others). */
static void ur_reap(struct ur_queue *q, int *live, int *stop)
{
	unsigned head = *q->cq_head;
	unsigned tail = __atomic_load_n(q->cq_tail, __ATOMIC_ACQUIRE);

	while (head != tail) {
		struct io_uring_cqe *cqe = &q->cqes[head & *q->cq_mask];
		uint64_t tag = cqe->user_data;
		int res = cqe->res;
		struct ur_ent *e = (struct ur_ent *)(uintptr_t)tag;

		head++;
		__atomic_store_n(q->cq_head, head, __ATOMIC_RELEASE);
		if (tag == UR_EVENTFD_TAG) {
			uint64_t count;

			if (read(q->evfd, &count, sizeof(count)) < 0) {
				/* nothing to read: a spurious wake-up */
			}
			*stop = __atomic_load_n(&q->u->stopping, __ATOMIC_ACQUIRE);
			if (!*stop) {
				pthread_mutex_lock(&q->lock);
				ur_queue_poll(q);
				pthread_mutex_unlock(&q->lock);
			}
		} else if (res == 0) {
			ur_serve(q, e);
		} else if (res == -EINTR || res == -EAGAIN) {
			pthread_mutex_lock(&q->lock);
			ur_queue_cmd(q, e, e->last_cmd);
			pthread_mutex_unlock(&q->lock);
		} else if (!e->dead) {
			/* ENOTCONN/ECANCELED at unmount; EOPNOTSUPP or
			 * EINVAL if the kernel will not have us.  Then
			 * the ring may never be complete: fall back. */
			e->dead = 1;
			(*live)--;
			if (res != -ENOTCONN && res != -ECANCELED &&
			    !__atomic_load_n(&q->u->stopping, __ATOMIC_ACQUIRE))
				ur_disable(q->u);
		}
	}
}

/* Hands the REGISTERs (queued by ur_queue_register) to the kernel without
 * waiting: a REGISTER it refuses completes at once, one it takes stays
 * pending until a request comes.  0 if all were taken. */
static int ur_register(struct ur_queue *q, int *live, int *stop)
{
	unsigned n;
	int ret;

	if (ur_queue_register(q) < 0)
		return -1;
	pthread_mutex_lock(&q->lock);
	n = q->pending;
	q->pending = 0;
	pthread_mutex_unlock(&q->lock);
	do
		ret = ur_enter(q->ring_fd, n, 0, 0);
	while (ret < 0 && errno == EINTR);
	if (ret < 0 || (unsigned)ret < n)
		return -1;
	ur_reap(q, live, stop);
	return *live == UR_DEPTH ? 0 : -1;
}

static void *ur_thread(void *arg)
{
	struct ur_queue *q = arg;
	int live = UR_DEPTH, stop = 0, ok;
	char name[16];

	snprintf(name, sizeof(name), "provfs-ring%d", q->qid);
	prctl(PR_SET_NAME, name);
	ur_pin(q->qid);
	ok = ur_register(q, &live, &stop) == 0;
	ur_report(q, ok);
	if (!ok && live == UR_DEPTH)
		return NULL; /* nothing registered: nothing to serve */
	while (!stop && live > 0) {
		unsigned n;
		int ret;

		pthread_mutex_lock(&q->lock);
		n = q->pending;
		q->pending = 0;
		pthread_mutex_unlock(&q->lock);
		/* Submits our commits and sleeps until the next request. */
		ret = ur_enter(q->ring_fd, n, 1, IORING_ENTER_GETEVENTS);
		/* Never leave while entries are registered: the kernel would
		 * go on queueing this CPU's requests for a thread that is
		 * gone.  An unexpected error is waited out instead. */
		if (ret < 0 && errno != EINTR && errno != EAGAIN && errno != EBUSY) {
			if (__atomic_load_n(&q->u->stopping, __ATOMIC_ACQUIRE))
				break;
			usleep(1000);
		}
		if ((ret < 0 && n > 0) || (ret >= 0 && (unsigned)ret < n)) {
			pthread_mutex_lock(&q->lock);
			q->pending += ret < 0 ? n : n - (unsigned)ret;
			pthread_mutex_unlock(&q->lock);
		}
		ur_reap(q, &live, &stop);
	}
	return NULL;
}

/* The kernel numbers queues by possible CPU (nr_cpu_ids): "0-1" -> 2. */
static int ur_possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "re");
	char line[256];
	int n = 0;

	if (f && fgets(line, sizeof(line), f)) {
		char *p = strrchr(line, ',');
		char *dash;

		p = p ? p + 1 : line;
		dash = strchr(p, '-');
		n = atoi(dash ? dash + 1 : p) + 1;
	}
	if (f)
		fclose(f);
	return n;
}

static void ur_queue_free(struct ur_queue *q)
{
	for (int i = 0; i < UR_DEPTH; i++)
		if (q->ent[i].mem)
			munmap(q->ent[i].mem, UR_ENT_LEN(q->u->payload_len));
	if (q->sqe_mem)
		munmap(q->sqe_mem, q->sqe_len);
	if (q->ring_mem)
		munmap(q->ring_mem, q->ring_len);
	if (q->ring_fd >= 0)
		close(q->ring_fd);
	if (q->evfd >= 0)
		close(q->evfd);
	pthread_mutex_destroy(&q->lock);
}

/* Sets up q's ring with room for depth entries (and its eventfd poll),
 * and their memory; depth 0 for the control ring. */
static int ur_queue_init(struct fsd_uring *u, struct ur_queue *q, int qid, int depth)
{
	int ret;

	q->u = u;
	q->qid = qid;
	q->ring_fd = -1;
	pthread_mutex_init(&q->lock, NULL);
	q->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->evfd < 0)
		return -errno;
	ret = ur_ring_open(q, (unsigned)depth + 1);
	for (int i = 0; i < depth && ret == 0; i++) {
		struct ur_ent *e = &q->ent[i];

		e->q = q;
		e->mem = mmap(NULL, UR_ENT_LEN(u->payload_len), PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (e->mem == MAP_FAILED) {
			e->mem = NULL;
			ret = -errno;
			break;
		}
		e->hdr = (struct ur_req_header *)e->mem;
		e->payload = e->mem + UR_HEAD_AREA;
		e->req = e->payload + u->payload_len;
		e->iov[0].iov_base = e->hdr;
		e->iov[0].iov_len = sizeof(*e->hdr);
		e->iov[1].iov_base = e->payload;
		e->iov[1].iov_len = u->payload_len;
	}
	return ret;
}

void fsd_uring_enable(const struct fsd_config *cfg)
{
	const char *param = "/sys/module/fuse/parameters/enable_uring";
	char now = 0;
	FILE *f;

	if (cfg->no_io_uring || geteuid() != 0)
		return;
	f = fopen(param, "re");
	if (!f)
		return; /* a kernel without FUSE over io_uring */
	now = (char)fgetc(f);
	fclose(f);
	if (now == 'Y')
		return;
	/* It only lets a FUSE server that asks for io_uring have it; servers
	 * that do not ask are not affected. */
	f = fopen(param, "we");
	if (f) {
		fputs("Y\n", f);
		fclose(f);
	}
}

static void ur_free(struct fsd_uring *u)
{
	for (int i = 0; i < u->n_queues; i++)
		if (u->queues[i].u)
			ur_queue_free(&u->queues[i]);
	if (u->ctl.u)
		ur_queue_free(&u->ctl);
	free(u->queues);
	pthread_mutex_destroy(&u->slow_lock);
	pthread_cond_destroy(&u->slow_done);
	pthread_cond_destroy(&u->start_done);
	free(u);
}

int fsd_uring_prepare(struct fsd *fs)
{
	struct fsd_uring *u = calloc(1, sizeof(*u));
	int n = ur_possible_cpus(), ret = 0;

	if (!u)
		return -ENOMEM;
	u->fs = fs;
	u->dev_fd = fuse_session_fd(fs->se);
	pthread_mutex_init(&u->slow_lock, NULL);
	pthread_cond_init(&u->slow_done, NULL);
	pthread_cond_init(&u->start_done, NULL);
	/* The kernel wants room for its largest request: max_write (libfuse
	 * 3.14 negotiates 1 MiB) or max_pages of data. */
	u->payload_len = (size_t)1 << 20;
	if (n <= 0 || n > 1024)
		ret = -EINVAL;
	else if (!(u->queues = calloc((size_t)n, sizeof(*u->queues))))
		ret = -ENOMEM;
	else
		u->n_queues = n;
	for (int i = 0; i < u->n_queues && ret == 0; i++)
		ret = ur_queue_init(u, &u->queues[i], i, UR_DEPTH);
	if (ret == 0)
		ret = ur_queue_init(u, &u->ctl, -1, 0);
	if (ret < 0) {
		ur_free(u);
		return ret;
	}
	fs->uring = u;
	return 0;
}

void fsd_uring_start(struct fsd *fs)
{
	struct fsd_uring *u = fs->uring;
	struct timespec deadline;
	int started = 0, ok;

	if (!u)
		return;
	for (int i = 0; i < u->n_queues; i++) {
		struct ur_queue *q = &u->queues[i];

		if (pthread_create(&q->thread, NULL, ur_thread, q) != 0)
			break;
		q->started = 1;
		started++;
	}
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += UR_START_TIMEOUT;
	pthread_mutex_lock(&u->slow_lock);
	while (u->reported < started && !u->failed &&
	       pthread_cond_timedwait(&u->start_done, &u->slow_lock, &deadline) == 0)
		;
	ok = started == u->n_queues && u->reported == started && !u->failed;
	pthread_mutex_unlock(&u->slow_lock);
	if (!ok)
		ur_disable(u);
}

void fsd_uring_stop(struct fsd *fs)
{
	struct fsd_uring *u = fs->uring;

	if (!u)
		return;
	/* The session is gone: a slow request still running ends at its
	 * reply, which fails. */
	pthread_mutex_lock(&u->slow_lock);
	while (u->slow_running > 0)
		pthread_cond_wait(&u->slow_done, &u->slow_lock);
	pthread_mutex_unlock(&u->slow_lock);
	__atomic_store_n(&u->stopping, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < u->n_queues; i++) {
		struct ur_queue *q = &u->queues[i];
		uint64_t one = 1;

		if (!q->started)
			continue;
		if (write(q->evfd, &one, sizeof(one)) < 0) {
			/* cannot happen with a fresh eventfd; the thread
			 * still ends when the connection does */
		}
		pthread_join(q->thread, NULL);
	}
	ur_free(u);
	fs->uring = NULL;
}

/* The entry serving request `unique`: normally this thread's own. */
static struct ur_ent *ur_find(struct fsd_uring *u, uint64_t unique)
{
	if (tls_ent && tls_ent->commit_id == unique)
		return tls_ent;
	for (int i = 0; i < u->n_queues; i++)
		for (int j = 0; j < UR_DEPTH; j++) {
			struct ur_ent *e = &u->queues[i].ent[j];

			if (__atomic_load_n(&e->commit_id, __ATOMIC_ACQUIRE) == unique)
				return e;
		}
	return NULL;
}

static uint64_t out_unique(const void *out_header)
{
	uint64_t unique;

	memcpy(&unique, (const uint8_t *)out_header + 8, 8);
	return unique;
}

void *fsd_uring_buffer(struct fsd *fs, size_t *cap)
{
	struct ur_ent *e = tls_ent;

	/* The request was copied out of the entry (ur_serve), so its payload
	 * area is free until the reply. */
	if (!fs->uring || !e)
		return NULL;
	*cap = fs->uring->payload_len;
	return e->payload;
}

ssize_t fsd_uring_reply(struct fsd *fs, const struct iovec *iov, int count)
{
	struct ur_ent *e;
	size_t len = 0, total = iov[0].iov_len;

	uint64_t unique;

	if (!fs->uring || count < 1 || iov[0].iov_len != UR_OUT_HEADER)
		return 0;
	unique = out_unique(iov[0].iov_base);
	if (unique == 0)
		return 0; /* a notification: /dev/fuse */
	e = ur_find(fs->uring, unique);
	if (!e)
		return 0;
	for (int i = 1; i < count; i++) {
		if (len + iov[i].iov_len > fs->uring->payload_len) {
			ur_reply_error(e, EIO);
			return -1;
		}
		/* Data put in place through fsd_uring_buffer needs no copy. */
		if (iov[i].iov_base != e->payload + len)
			memmove(e->payload + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	total += len;
	memcpy(e->hdr->in_out, iov[0].iov_base, UR_OUT_HEADER);
	e->hdr->ent.payload_sz = (uint32_t)len;
	ur_commit(e);
	return (ssize_t)total;
}

ssize_t fsd_uring_splice_reply(struct fsd *fs, int pipe_fd, size_t len)
{
	struct ur_ent *e = tls_ent;
	uint8_t out[UR_OUT_HEADER];
	size_t got = 0;

	/* libfuse splices only replies made on this thread: this thread's
	 * request, if it came from the ring. */
	if (!fs->uring || !e || len < UR_OUT_HEADER || len - UR_OUT_HEADER > fs->uring->payload_len)
		return 0;
	while (got < len) {
		struct iovec iov[2];
		int n = 0;
		ssize_t r;

		if (got < UR_OUT_HEADER) {
			iov[n].iov_base = out + got;
			iov[n++].iov_len = UR_OUT_HEADER - got;
		}
		iov[n].iov_base = e->payload + (got > UR_OUT_HEADER ? got - UR_OUT_HEADER : 0);
		iov[n++].iov_len = len - (got > UR_OUT_HEADER ? got : UR_OUT_HEADER);
		r = readv(pipe_fd, iov, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ur_reply_error(e, EIO);
			return -1;
		}
		got += (size_t)r;
	}
	if (out_unique(out) != e->commit_id) {
		ur_reply_error(e, EIO); /* cannot happen: libfuse names the request */
		return -1;
	}
	memcpy(e->hdr->in_out, out, UR_OUT_HEADER);
	e->hdr->ent.payload_sz = (uint32_t)(len - UR_OUT_HEADER);
	ur_commit(e);
	return (ssize_t)len;
}

/*
 * fsd exec watch: the execs this mount does not see.
 *
 * Why: a mount sees an exec only when the program lies on it (the open
 * with FMODE_EXEC), and starts a new process record then.  A shell that
 * forks, opens a redirection's file in the workspace and then runs sed
 * from the root is one pid that the workspace daemon met as the shell:
 * without word of the exec, sed's reads there went on under the shell's
 * record.  The kernel's process events connector (CN_IDX_PROC) reports
 * every exec as it happens, before the new program runs: on an exec of a
 * pid this mount has a record of, the pid's next request here starts a new
 * record (fsd_process_foreign_exec), read from /proc then.
 *
 * The connector answers only a listener in the initial user and pid
 * namespaces (whose pids are the ones FUSE gives us there); elsewhere, or
 * where the socket cannot be opened, there is no watch and the mount
 * works as before.  Since Linux 6.6 the listener asks for exec events
 * only (an older kernel would ignore that request and send nothing: there
 * it takes every event, forks and exits too, and keeps the execs).
 *
 * The events are taken in the request path: each request of a pid that
 * has a record first takes what the socket holds (fsd_exec_drain, one
 * recv that mostly finds nothing).  The kernel queues an exec's event
 * before the new program runs, so it is there at the program's first
 * request.  A thread woken by each event instead (SCHED_FIFO, so as to
 * come first) made a loop of 1,000 /bin/true under provfs run 13% slower
 * (3.57 against 3.16 s, medians of 7): three daemons woken at each exec.
 * A thread that drains every EXEC_DRAIN_MS keeps the socket from filling
 * while no request comes.
 */
#include "fsd.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

/* PROC_CN_MCAST_LISTEN with an event filter (struct proc_input, Linux
 * 6.6; not in older headers). */
struct exec_listen {
	struct nlmsghdr nl;
	struct cn_msg cn;
	uint32_t op;     /* enum proc_cn_mcast_op */
	uint32_t events; /* enum proc_cn_event: PROC_EVENT_EXEC */
} __attribute__((packed));

#define EXEC_DRAIN_MS 50

struct fsd_execw {
	int sock;
	int stop;      /* eventfd: the thread's end */
	pthread_t thread;
	pthread_mutex_t lock; /* one reader of sock at a time */
};

/* Whether the running kernel filters events for a listener (6.6+). */
static int kernel_filters(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major > 6 || (major == 6 && minor >= 6);
}

static int listen_for_execs(int sock)
{
	struct exec_listen m;
	size_t len = sizeof(m);

	memset(&m, 0, sizeof(m));
	m.nl.nlmsg_type = NLMSG_DONE;
	m.cn.id.idx = CN_IDX_PROC;
	m.cn.id.val = CN_VAL_PROC;
	m.cn.len = 2 * sizeof(uint32_t);
	m.op = PROC_CN_MCAST_LISTEN;
	m.events = PROC_EVENT_EXEC;
	if (!kernel_filters()) {
		m.cn.len = sizeof(uint32_t);
		len -= sizeof(uint32_t);
	}
	m.nl.nlmsg_len = (uint32_t)len;
	return send(sock, &m, len, 0) == (ssize_t)len ? 0 : -errno;
}

/* Each exec event of a datagram of n bytes in buf. */
static void take_events(struct fsd *fs, const char *buf, ssize_t n)
{
	const struct nlmsghdr *nl;
	size_t left = (size_t)n;

	for (nl = (const struct nlmsghdr *)buf; NLMSG_OK(nl, left); nl = NLMSG_NEXT(nl, left)) {
		const struct cn_msg *cn = NLMSG_DATA(nl);
		struct proc_event ev;

		if (nl->nlmsg_type == NLMSG_ERROR || nl->nlmsg_type == NLMSG_NOOP)
			continue;
		if (nl->nlmsg_len < NLMSG_LENGTH(sizeof(*cn) + sizeof(ev)) ||
		    cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC)
			continue;
		/* The event follows the 20-byte cn_msg: not aligned for its
		 * 64-bit timestamp, so copied out. */
		memcpy(&ev, cn->data, sizeof(ev));
		if (ev.what == PROC_EVENT_EXEC)
			fsd_process_foreign_exec(fs, ev.event_data.exec.process_tgid,
						 (int64_t)ev.timestamp_ns, NULL);
	}
}

void fsd_exec_drain(struct fsd *fs)
{
	struct fsd_execw *x = fs->execw;
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t n;
	int lost = 0;

	fsd_exec_ring_drain(fs);
	if (!x)
		return;
	pthread_mutex_lock(&x->lock);
	/* ENOBUFS: events lost to a full buffer; the rest still come. */
	while ((n = recv(x->sock, buf, sizeof(buf), MSG_DONTWAIT)) > 0 ||
	       (n < 0 && (errno == EINTR || errno == ENOBUFS))) {
		if (n > 0)
			take_events(fs, buf, n);
		else if (errno == ENOBUFS)
			lost = 1;
	}
	/* Some process may have run another program unseen: as for posts
	 * lost from the ring, every record starts afresh at its pid's next
	 * request.  Before the lock is let go: a request that drains next,
	 * finding the socket empty, must not log under a record one of the
	 * lost execs ended (e2e 0050 failed 1 of 7: cat's read of in.2
	 * logged as bash's). */
	if (lost)
		fsd_process_all_stale(fs);
	pthread_mutex_unlock(&x->lock);
}

static void *exec_main(void *arg)
{
	struct fsd *fs = arg;
	struct fsd_execw *x = fs->execw;

	prctl(PR_SET_NAME, "provfs-exec");
	for (;;) {
		struct pollfd p = {.fd = x->stop, .events = POLLIN};
		int n = poll(&p, 1, EXEC_DRAIN_MS);

		if (n > 0 || (n < 0 && errno != EINTR))
			break;
		fsd_exec_drain(fs);
	}
	return NULL;
}

int fsd_exec_watch_start(struct fsd *fs)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
	struct fsd_execw *x = calloc(1, sizeof(*x));
	int size = 1 << 20;

	fs->execw = NULL;
	if (!x)
		return -ENOMEM;
	/* For tests of a mount without the watch, as in a container. */
	if (getenv("PROVFS_NO_EXEC_WATCH")) {
		free(x);
		return -ENOTSUP;
	}
	x->stop = -1;
	pthread_mutex_init(&x->lock, NULL);
	x->sock = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (x->sock < 0 || bind(x->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto none;
	/* Room for a burst of execs while the thread waits for a CPU. */
	if (setsockopt(x->sock, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(x->sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (listen_for_execs(x->sock) < 0)
		goto none;
	x->stop = eventfd(0, EFD_CLOEXEC);
	if (x->stop < 0)
		goto none;
	fs->execw = x;
	if (pthread_create(&x->thread, NULL, exec_main, fs) != 0) {
		fs->execw = NULL;
		goto none;
	}
	return 0;
none:
	if (x->sock >= 0)
		close(x->sock);
	if (x->stop >= 0)
		close(x->stop);
	pthread_mutex_destroy(&x->lock);
	free(x);
	return -ENOTSUP;
}

void fsd_exec_watch_stop(struct fsd *fs)
{
	struct fsd_execw *x = fs->execw;
	uint64_t one = 1;

	if (!x || x->stop < 0)
		return;
	if (write(x->stop, &one, sizeof(one)) != sizeof(one))
		pthread_cancel(x->thread); /* it waits in poll(), a cancellation point */
	pthread_join(x->thread, NULL);
	close(x->stop);
	x->stop = -1;
}

void fsd_exec_watch_free(struct fsd *fs)
{
	struct fsd_execw *x = fs->execw;

	if (!x)
		return;
	fsd_exec_watch_stop(fs);
	fs->execw = NULL;
	close(x->sock);
	pthread_mutex_destroy(&x->lock);
	free(x);
}

/*
 * fsd passthrough: the kernel's FUSE passthrough (Linux 6.9+), reached
 * through libfuse 3.14, which predates it.
 *
 * With passthrough, read(), write() and mmap() of an open regular file go
 * straight from the kernel to the backing file: no request reaches us and
 * nothing is copied through the daemon.  Open, create, release, metadata
 * and directory operations still come to us, so every open is logged as
 * before; a file written through passthrough is hashed when its last
 * writer closes (from the page cache it was just written to), since its
 * data never passes through us.
 *
 * libfuse 3.14 knows neither the INIT flag nor the open reply's backing
 * id, but it lets a session bring its own device I/O
 * (fuse_session_custom_io).  Our writev() sees every reply: it adds
 * FUSE_PASSTHROUGH to the INIT reply when the kernel offered it, and the
 * backing id to the open/create reply that the same thread is sending
 * right now (the reply is written from inside fuse_reply_open/create, so a
 * thread-local value names it without ambiguity).
 *
 * The same INIT reply also takes FUSE_HANDLE_KILLPRIV_V2: we clear
 * setuid/setgid ourselves (fsd_ops.c: on a non-owner's first write, on a
 * truncate flagged FUSE_SET_ATTR_KILL_SUID, on chown), so the kernel may
 * mark an inode with nothing to kill S_NOSEC, and stop asking us for
 * security.capability before every single write(2).
 *
 * The kernel requires every open of an inode to agree: while one
 * passthrough open is alive, all opens of that inode must be passthrough,
 * with the same backing file, and none may be while a cached
 * (daemon-served) one is.  So the backing id belongs to the inode,
 * registered at its first open and dropped at its last release, and an
 * inode's opens follow the mode of those already open.
 *
 * A reader that passes through keeps no fd of ours (fsd_ops.c closes it
 * once the backing id is set: the kernel opens a backing file of its own
 * for each FUSE file), so files held open for reading do not count
 * against the daemon's fd limit.
 *
 * A backing id registered by a read-only open is kept after the last
 * release, until the inode is freed (FORGET): a build opens the same
 * headers and libraries again and again (7,695 opens of 167 files of the
 * environment in a zlib build; 473,042 opens in the workspace of a Linux
 * tinyconfig build, its own headers), and each open then costs neither
 * an open of the backing file nor the two ioctls (an open and close pair
 * on a writable mount 33 -> 24 us, as on a read-only one).  A writer's
 * open may use the kept id (the kernel opens a backing file of its own
 * with the writer's flags); an id a writer registered is not kept, as
 * its file would hold the backing inode open for writing.  The kernel
 * holds a file per kept id (no fd of ours), so their number is capped at
 * PT_KEPT_MAX.
 */
#include "fsd.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <unistd.h>

/* From the kernel's include/uapi/linux/fuse.h (protocol 7.40); Debian 12's
 * headers predate them. */
#define PT_FUSE_INIT 26
#define PT_FUSE_INIT_EXT (1u << 30)
#define PT_FUSE_HANDLE_KILLPRIV_V2 (1u << 28)
#define PT_FUSE_PASSTHROUGH_FLAGS2 (1u << 5) /* FUSE_PASSTHROUGH is bit 37 */
#define PT_FOPEN_PASSTHROUGH (1u << 7)
#define PT_FUSE_OVER_IO_URING_FLAGS2 (1u << 9) /* FUSE_OVER_IO_URING is bit 41 */

struct pt_backing_map {
	int32_t fd;
	uint32_t flags;
	uint64_t padding;
};

#define PT_DEV_IOC_BACKING_OPEN _IOW(229, 1, struct pt_backing_map)
#define PT_DEV_IOC_BACKING_CLOSE _IOW(229, 2, uint32_t)

/* Offsets in the wire structs (fuse_kernel.h of protocol 7.40). */
#define PT_IN_HEADER 40       /* struct fuse_in_header */
#define PT_INIT_IN_FLAGS 12   /* fuse_init_in.flags */
#define PT_INIT_IN_FLAGS2 16  /* fuse_init_in.flags2 */
#define PT_INIT_OUT_SIZE 64   /* struct fuse_init_out */
#define PT_INIT_OUT_FLAGS 12
#define PT_INIT_OUT_FLAGS2 32
#define PT_INIT_OUT_STACK 36  /* max_stack_depth, once unused[0] */
#define PT_OPEN_OUT_SIZE 16   /* struct fuse_open_out */
#define PT_ENTRY_OUT_SIZE 128 /* struct fuse_entry_out */

#define PT_KEPT_MAX 8192

/* What the reply now being written by this thread needs. */
static __thread int tls_init_reply;
static __thread int tls_backing_id;

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static ssize_t pt_read(int fd, void *buf, size_t len, void *userdata)
{
	struct fsd *fs = userdata;
	ssize_t n = read(fd, buf, len);
	const uint8_t *p = buf;

	/* The kernel says in INIT whether it can pass through. */
	if (n >= PT_IN_HEADER + PT_INIT_IN_FLAGS2 + 4 && get32(p + 4) == PT_FUSE_INIT) {
		uint32_t flags = get32(p + PT_IN_HEADER + PT_INIT_IN_FLAGS);
		uint32_t flags2 = get32(p + PT_IN_HEADER + PT_INIT_IN_FLAGS2);

		fs->pt_offered = (flags & PT_FUSE_INIT_EXT) && (flags2 & PT_FUSE_PASSTHROUGH_FLAGS2);
		fs->killpriv_offered = (flags & PT_FUSE_HANDLE_KILLPRIV_V2) != 0;
		fs->uring_offered = (flags & PT_FUSE_INIT_EXT) &&
				    (flags2 & PT_FUSE_OVER_IO_URING_FLAGS2);
	}
	return n;
}

static ssize_t pt_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	struct fsd *fs = userdata;
	int want_uring = 0;
	ssize_t ret;

	if (tls_init_reply && count == 2 && iov[1].iov_len == PT_INIT_OUT_SIZE) {
		uint8_t *out = iov[1].iov_base;

		tls_init_reply = 0;
		/* Asked for only once every ring is set up: from this reply on
		 * the kernel holds requests until the rings take them. */
		if (fs->uring_offered && !fs->cfg.no_io_uring &&
		    (get32(out + PT_INIT_OUT_FLAGS) & PT_FUSE_INIT_EXT) &&
		    fsd_uring_prepare(fs) == 0) {
			put32(out + PT_INIT_OUT_FLAGS2,
			      get32(out + PT_INIT_OUT_FLAGS2) | PT_FUSE_OVER_IO_URING_FLAGS2);
			want_uring = 1;
		}
		if (fs->killpriv_offered)
			put32(out + PT_INIT_OUT_FLAGS,
			      get32(out + PT_INIT_OUT_FLAGS) | PT_FUSE_HANDLE_KILLPRIV_V2);
		if (fs->pt_offered && !fs->cfg.no_passthrough &&
		    (get32(out + PT_INIT_OUT_FLAGS) & PT_FUSE_INIT_EXT)) {
			put32(out + PT_INIT_OUT_FLAGS2,
			      get32(out + PT_INIT_OUT_FLAGS2) | PT_FUSE_PASSTHROUGH_FLAGS2);
			put32(out + PT_INIT_OUT_STACK, (uint32_t)fs->pt_stack_depth);
			fs->passthrough = 1;
		}
	} else if (tls_backing_id > 0 && count == 2 &&
		   (iov[1].iov_len == PT_OPEN_OUT_SIZE ||
		    iov[1].iov_len == PT_ENTRY_OUT_SIZE + PT_OPEN_OUT_SIZE)) {
		uint8_t *open_out = (uint8_t *)iov[1].iov_base + iov[1].iov_len - PT_OPEN_OUT_SIZE;

		put32(open_out + 8, get32(open_out + 8) | PT_FOPEN_PASSTHROUGH);
		put32(open_out + 12, (uint32_t)tls_backing_id);
		tls_backing_id = 0;
	}
	/* A reply to a request that came over io_uring goes back that way. */
	ret = fsd_uring_reply(fs, iov, count);
	if (ret != 0)
		return ret;
	ret = writev(fd, iov, count);
	/* The kernel has taken our INIT reply: the rings may register. */
	if (want_uring && ret > 0)
		fsd_uring_start(fs);
	return ret;
}

static ssize_t pt_splice_receive(int fdin, off_t *offin, int fdout, off_t *offout, size_t len,
				 unsigned int flags, void *userdata)
{
	(void)userdata;
	return splice(fdin, offin, fdout, offout, len, flags);
}

static ssize_t pt_splice_send(int fdin, off_t *offin, int fdout, off_t *offout, size_t len,
			      unsigned int flags, void *userdata)
{
	ssize_t ret = fsd_uring_splice_reply(userdata, fdin, len);

	if (ret != 0)
		return ret;
	return splice(fdin, offin, fdout, offout, len, flags);
}

int fsd_pt_attach(struct fsd *fs)
{
	static const struct fuse_custom_io io = {
		.writev = pt_writev,
		.read = pt_read,
		.splice_receive = pt_splice_receive,
		.splice_send = pt_splice_send,
	};
	struct statfs sfs;

	/* A backing file on a stacked filesystem (overlayfs, or FUSE that may
	 * itself pass through: provfs in a slave on provfs) needs room for
	 * one more level below us. */
	fs->pt_stack_depth = 1;
	if (statfs(fs->cfg.backing, &sfs) == 0 &&
	    (sfs.f_type == OVERLAYFS_SUPER_MAGIC || sfs.f_type == FUSE_SUPER_MAGIC))
		fs->pt_stack_depth = 2;
	/* A read lease of ours (fsd_pt_linger) broken by an open for
	 * writing in the moment we hold it signals its holder: SIGIO would
	 * end us. */
	signal(SIGIO, SIG_IGN);
	/* Writers pass through only where that lease sees a mapping that
	 * outlives its descriptor: on overlayfs or FUSE below us the mapping
	 * holds the lower file, and the lease on ours is granted; without
	 * CAP_LEASE (a container's default set) a lease on another user's
	 * file is refused.  There the daemon serves writes, and a mapping
	 * holds our FUSE file until it is gone. */
	fs->pt_writers = fs->pt_stack_depth == 1 && cap_effective(28 /* CAP_LEASE */) == 1;
	return fuse_session_custom_io(fs->se, &io, fuse_session_fd(fs->se));
}

void fsd_pt_init_reply(struct fsd *fs)
{
	(void)fs;
	tls_init_reply = 1;
}

int fsd_pt_open(struct fsd *fs, struct fsd_inode *in, int fd, int direct)
{
	int id = 0, keep;

	if (!fs->passthrough)
		return 0;
	pthread_mutex_lock(&in->wlock);
	/* The kernel fails an open (EIO) whose mode differs from the
	 * inode's other open files: a daemon-served open (asked for, or
	 * because registering failed) waits for the passthrough ones to be
	 * gone, and the other way round. */
	if (in->pt_opens > 0 || (in->pt_kept && in->direct_opens == 0 && !direct)) {
		id = in->pt_id;
	} else if (in->direct_opens == 0 && !direct && fd >= 0) {
		struct pt_backing_map map = {.fd = fd};

		id = ioctl(fuse_session_fd(fs->se), PT_DEV_IOC_BACKING_OPEN, &map);
		if (id <= 0)
			id = 0; /* not for this file: served by us */
		in->pt_id = id;
		/* Kept only if registered from a read-only fd: the kernel
		 * holds the file as long as the id, and a writable one would
		 * hold the backing inode open for writing all that time. */
		keep = id > 0 && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY;
		if (keep && __atomic_add_fetch(&fs->pt_kept_count, 1, __ATOMIC_RELAXED) <= PT_KEPT_MAX)
			in->pt_kept = 1;
		else if (keep)
			__atomic_sub_fetch(&fs->pt_kept_count, 1, __ATOMIC_RELAXED);
	}
	if (id > 0)
		in->pt_opens++;
	else
		in->direct_opens++;
	pthread_mutex_unlock(&in->wlock);
	tls_backing_id = id;
	return id;
}

int fsd_pt_kept(struct fsd_inode *in)
{
	int kept;

	pthread_mutex_lock(&in->wlock);
	kept = in->pt_kept && in->direct_opens == 0;
	pthread_mutex_unlock(&in->wlock);
	return kept;
}

void fsd_pt_forget(struct fsd *fs, struct fsd_inode *in)
{
	uint32_t id = (uint32_t)in->pt_id;

	if (!in->pt_kept || in->pt_id <= 0)
		return;
	/* After the session, the connection took every backing id with it. */
	if (fs->se)
		ioctl(fuse_session_fd(fs->se), PT_DEV_IOC_BACKING_CLOSE, &id);
	in->pt_id = 0;
	in->pt_kept = 0;
	__atomic_sub_fetch(&fs->pt_kept_count, 1, __ATOMIC_RELAXED);
}

void fsd_pt_opened(void)
{
	tls_backing_id = 0;
}

void fsd_pt_release(struct fsd *fs, struct fsd_inode *in, int was_pt)
{
	if (!fs->passthrough)
		return;
	pthread_mutex_lock(&in->wlock);
	if (!was_pt) {
		if (in->direct_opens > 0)
			in->direct_opens--;
	} else if (in->pt_opens > 0 && --in->pt_opens == 0 && !in->pt_kept) {
		uint32_t id = (uint32_t)in->pt_id;

		ioctl(fuse_session_fd(fs->se), PT_DEV_IOC_BACKING_CLOSE, &id);
		in->pt_id = 0;
	}
	pthread_mutex_unlock(&in->wlock);
}

/*
 * A passthrough writer's mapping outlives its release.  The kernel maps a
 * passthrough file's backing file itself: a MAP_SHARED mapping holds that
 * file, not the FUSE one, so a program that maps its output and closes
 * the descriptor (mold does, and writes the build-id last) has its FUSE
 * file released, and the release reaches us, while it still writes
 * through the map.  Hashed then, the file got the digest of what it held
 * at the close (zeros), or none at all where the close changed nothing.
 *
 * Whether anything still has the backing file open for writing (the
 * mapping's file, or a writer outside the mount) is what a read lease
 * tells: F_SETLEASE F_RDLCK fails with EAGAIN while the inode is open for
 * writing anywhere.  Such a last writer lingers: its close is finished
 * (fsd_release_finish: the file hashed, the close-write logged) once the
 * lease can be had, checked by a thread of its own, or at the end of the
 * session.  The kernel drops its own backing file of a released writer
 * just after queueing the release, so the first check comes a moment
 * later than the release, and most lingerers go at it.
 */
struct pt_linger {
	struct fsd_file *f;
	int64_t due_ns, wait_ns;
	struct pt_linger *next;
};

struct fsd_linger {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	int stopping;
	struct pt_linger *head;
};

#define LINGER_FIRST_NS 200000LL    /* 0.2 ms */
#define LINGER_MAX_NS 200000000LL   /* then doubling, up to 0.2 s (1,000 files mapped
                                     * past their descriptors cost 14% of a CPU
                                     * polled every 50 ms) */

/* 1 if the backing file held by O_PATH descriptor pfd is open for
 * writing anywhere, 0 if not, -1 if that cannot be told (leases refused:
 * another filesystem, leases disabled).  (Reopened through /proc: it may
 * have no name left.) */
static int written_elsewhere(int pfd)
{
	int fd = fd_reopen(pfd, O_RDONLY | O_NONBLOCK | O_NOCTTY), ret;

	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
		fcntl(fd, F_SETLEASE, F_UNLCK);
		ret = 0;
	} else {
		ret = errno == EAGAIN ? 1 : -1;
	}
	close(fd);
	return ret;
}

static void *linger_main(void *arg)
{
	struct fsd *fs = arg;
	struct fsd_linger *l = fs->linger;

	pthread_mutex_lock(&l->lock);
	for (;;) {
		struct pt_linger **pp, *e, *done = NULL;
		int64_t now = time_now_ns(), next = 0;

		for (pp = &l->head; (e = *pp);) {
			if (e->due_ns > now) {
				if (!next || e->due_ns < next)
					next = e->due_ns;
				pp = &e->next;
				continue;
			}
			/* (tested unlocked below; due again unless it went) */
			*pp = e->next;
			e->next = done;
			done = e;
		}
		if (done) {
			pthread_mutex_unlock(&l->lock);
			while (done) {
				e = done;
				done = e->next;
				if (written_elsewhere(e->f->fd) == 1) {
					e->wait_ns = e->wait_ns * 2 > LINGER_MAX_NS ? LINGER_MAX_NS
										     : e->wait_ns * 2;
					e->due_ns = time_now_ns() + e->wait_ns;
					pthread_mutex_lock(&l->lock);
					e->next = l->head;
					l->head = e;
					pthread_mutex_unlock(&l->lock);
				} else {
					fsd_release_finish(fs, e->f);
					free(e);
				}
			}
			pthread_mutex_lock(&l->lock);
			continue;
		}
		if (l->stopping)
			break;
		if (!next) {
			pthread_cond_wait(&l->wake, &l->lock);
		} else {
			struct timespec until = {.tv_sec = (time_t)(next / 1000000000LL),
						 .tv_nsec = (long)(next % 1000000000LL)};

			pthread_cond_timedwait(&l->wake, &l->lock, &until);
		}
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

int fsd_pt_linger(struct fsd *fs, struct fsd_file *f)
{
	struct fsd_linger *l;
	struct pt_linger *e;
	int last, pfd;

	if (!fs->passthrough || !f->passthrough || !f->writable)
		return 0;
	pthread_mutex_lock(&f->in->wlock);
	last = f->in->writers == 1;
	pthread_mutex_unlock(&f->in->wlock);
	if (!last || f->fd < 0)
		return 0;
	/* Our own writable descriptor would count: an O_PATH one holds the
	 * file for a later fstat (a lingerer may lose its name). */
	pfd = fd_reopen(f->fd, O_PATH);
	close(f->fd);
	f->fd = pfd;
	if (pfd < 0 || written_elsewhere(pfd) != 1)
		return 0;
	pthread_mutex_lock(&fs->links_lock);
	if (!fs->linger) {
		l = calloc(1, sizeof(*l));
		if (l) {
			pthread_mutex_init(&l->lock, NULL);
			pthread_cond_init(&l->wake, NULL);
			if (pthread_create(&l->thread, NULL, linger_main, fs) != 0) {
				pthread_cond_destroy(&l->wake);
				pthread_mutex_destroy(&l->lock);
				free(l);
				l = NULL;
			}
			fs->linger = l;
		}
	}
	l = fs->linger;
	pthread_mutex_unlock(&fs->links_lock);
	e = l ? calloc(1, sizeof(*e)) : NULL;
	if (!e)
		return 0;
	e->f = f;
	e->wait_ns = LINGER_FIRST_NS;
	e->due_ns = time_now_ns() + e->wait_ns;
	pthread_mutex_lock(&l->lock);
	if (l->stopping) {
		pthread_mutex_unlock(&l->lock);
		free(e);
		return 0;
	}
	e->next = l->head;
	l->head = e;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->lock);
	return 1;
}

void fsd_pt_linger_stop(struct fsd *fs)
{
	struct fsd_linger *l = fs->linger;

	if (!l)
		return;
	/* The session is over: whatever still maps a file writes past any
	 * log; each lingerer is finished as its file is now. */
	pthread_mutex_lock(&l->lock);
	l->stopping = 1;
	for (struct pt_linger *e = l->head; e; e = e->next)
		e->due_ns = 0;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->thread, NULL);
	while (l->head) {
		struct pt_linger *e = l->head;

		l->head = e->next;
		fsd_release_finish(fs, e->f);
		free(e);
	}
	pthread_cond_destroy(&l->wake);
	pthread_mutex_destroy(&l->lock);
	free(l);
	fs->linger = NULL;
}

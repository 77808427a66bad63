/* fsd session: checks, mount, the multithreaded loop, orderly teardown. */
#include "fsd.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/file.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

extern const struct fuse_lowlevel_ops fsd_ops;

static void tell(int ready_fd, int err, const char *what)
{
	char msg[PATH_MAX + 128];
	int n;

	if (ready_fd < 0) {
		/* In the foreground (mount -f): nobody reads a pipe. */
		if (err != 0)
			fprintf(stderr, "provfs: %s\n", what);
		return;
	}
	if (err == 0)
		n = snprintf(msg, sizeof(msg), "ok\n");
	else
		n = snprintf(msg, sizeof(msg), "error %d %s\n", -err, what);
	if (n > 0)
		write_full(ready_fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

/* 1 if path is the root of a mount (its device differs from its parent's,
 * or it is "/" itself). */
static int is_mount_root(const char *path)
{
	char *parent;
	struct stat a, b;
	int ret;

	if (stat(path, &a) < 0)
		return 0;
	parent = path_join(path, "..");
	if (!parent)
		return 0;
	ret = stat(parent, &b) == 0 && (a.st_dev != b.st_dev || a.st_ino == b.st_ino);
	free(parent);
	return ret;
}

static int check_dirs(const struct fsd_config *cfg, char *why, size_t whylen)
{
	struct stat st;

	if (stat(cfg->backing, &st) < 0) {
		snprintf(why, whylen, "cannot use backing directory '%s': %s", cfg->backing,
			 strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "backing '%s' is not a directory", cfg->backing);
		return -ENOTDIR;
	}
	if (stat(cfg->mountpoint, &st) < 0) {
		snprintf(why, whylen, "cannot use mount point '%s': %s", cfg->mountpoint,
			 strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "mount point '%s' is not a directory", cfg->mountpoint);
		return -ENOTDIR;
	}
	/* Shown inside itself, a look into it waits on the mount itself (the
	 * serving thread's own stat of it, for ever); one on BACKING itself
	 * hides the tree served.  A read-only mount under its BACKING (provfs
	 * run's of the host's /) hides the name instead (see op_lookup). */
	if (path_is_under(cfg->mountpoint, cfg->backing) &&
	    (!cfg->readonly || !strcmp(cfg->mountpoint, cfg->backing))) {
		if (strcmp(cfg->mountpoint, cfg->backing))
			snprintf(why, whylen,
				 "mount point '%s' is inside the backing directory '%s': the "
				 "mount would show itself inside itself, and a look into it "
				 "would wait on itself for ever (mount it beside BACKING instead)",
				 cfg->mountpoint, cfg->backing);
		else
			snprintf(why, whylen,
				 "mount point '%s' is the backing directory itself: the mount "
				 "would hide what it serves, and wait on itself for ever (mount it "
				 "beside BACKING instead)", cfg->mountpoint);
		return -EINVAL;
	}
	if (is_mount_root(cfg->mountpoint)) {
		snprintf(why, whylen,
			 "mount point '%s' is busy: something is already mounted there "
			 "(unmount it first)", cfg->mountpoint);
		return -EBUSY;
	}
	return 0;
}

/* Whether our mount (major:minor) is still at mountpoint, now that the
 * session ended: it ends when the filesystem is gone (unmounted, and no
 * longer in use anywhere), or when its connection was aborted
 * (/sys/fs/fuse/connections/N/abort) while it was mounted, the build then
 * cut off from it with ENOTCONN. */
static int still_mounted(const char *mountpoint, unsigned int major, unsigned int minor)
{
	unsigned int ma, mi;
	char type[32];

	return major != (unsigned int)-1 &&
	       mountinfo_find(mountpoint, &ma, &mi, type, sizeof(type)) == 1 && ma == major &&
	       mi == minor && !strncmp(type, "fuse", 4);
}

static struct fuse_session *make_session(struct fsd *fs)
{
	char opts[PATH_MAX + 256];
	char *argv[4];
	struct fuse_args args;
	struct fuse_session *se;

	/* fsname shows the backing directory in /proc/mounts; commas in it
	 * would split the option string, so they are left out. */
	snprintf(opts, sizeof(opts), "fsname=provfs,subtype=provfs,default_permissions%s%s",
		 geteuid() == 0 ? ",allow_other,suid,dev" : "", fs->cfg.readonly ? ",ro" : "");
	argv[0] = "provfs";
	argv[1] = "-o";
	argv[2] = opts;
	argv[3] = fs->cfg.debug ? "-d" : NULL;
	args.argc = fs->cfg.debug ? 4 : 3;
	args.argv = argv;
	args.allocated = 0;
	se = fuse_session_new(&args, &fsd_ops, sizeof(fsd_ops), fs);
	fuse_opt_free_args(&args);
	return se;
}

static int open_outputs(struct fsd *fs, char *why, size_t whylen)
{
	struct alog_mount_info mi = {
		.label = fs->cfg.label ? fs->cfg.label : ALOG_LABEL_WORKSPACE,
		.backing = fs->cfg.backing,
		.mountpoint = fs->cfg.mountpoint,
		.readonly = fs->cfg.readonly,
	};
	int ret;

	if (fs->cfg.store) {
		ret = cas_open(fs->cfg.store, 1, &fs->cas);
		if (ret < 0) {
			snprintf(why, whylen, "cannot use store '%s': %s", fs->cfg.store,
				 strerror(-ret));
			return ret;
		}
	}
	ret = alog_open(fs->cfg.log_path, &mi, &fs->log);
	if (ret < 0) {
		snprintf(why, whylen, "cannot open access log '%s': %s", fs->cfg.log_path,
			 strerror(-ret));
		return ret;
	}
	return 0;
}

/* Raises the mount's readahead from the kernel's 128 KiB to 1 MiB (the
 * largest FUSE request), so sequential reads arrive in 1 MiB requests.
 * The mount is found in /proc/self/mountinfo (stat() of our own mount
 * point would call into ourselves).  Called once, from the first request
 * after INIT: the kernel sets the readahead while it processes INIT. */
void fsd_tune_readahead(const char *mountpoint)
{
	char path[128], type[32];
	unsigned int major = 0, minor = 0;
	FILE *f;

	if (mountinfo_find(mountpoint, &major, &minor, type, sizeof(type)) != 1 ||
	    strncmp(type, "fuse", 4))
		return;
	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb", major, minor);
	f = fopen(path, "we");
	if (f) {
		fputs("1024\n", f);
		fclose(f);
	}
}

/* The owner watch (cfg.has_owner): abandoned is set, and the mount
 * detached, when the owner exits while the mount is served. */
struct owner_watch {
	struct fsd *fs;
	pthread_t thread;
	int serving;   /* the session loop runs (atomic) */
	int abandoned; /* the owner went first (atomic) */
};

/* Nobody will unmount a mount whose owner (provfs run, killed) is gone:
 * the daemon does, lazily, as the slave's last processes may still be
 * going; the session loop ends when they are, and the log is closed as
 * usual. */
static void *owner_main(void *arg)
{
	struct owner_watch *w = arg;
	struct pollfd p = {.fd = w->fs->cfg.owner_pidfd, .events = POLLIN};

	prctl(PR_SET_NAME, "provfs-owner");
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	if (__atomic_load_n(&w->serving, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&w->abandoned, 1, __ATOMIC_RELEASE);
		umount2(w->fs->cfg.mountpoint, MNT_DETACH);
	}
	return NULL;
}

int fsd_serve(const struct fsd_config *cfg, int ready_fd)
{
	struct owner_watch owner = {0};
	int watching = 0;
	struct fsd *fs = calloc(1, sizeof(*fs));
	struct fuse_loop_config *loop = NULL;
	char why[PATH_MAX + 128] = "";
	int ret, capture_errors, mp_lock, backing_lock = -1, aborted = 0;
	unsigned int mnt_major = (unsigned int)-1, mnt_minor = (unsigned int)-1;

	if (!fs) {
		tell(ready_fd, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	fs->cfg = *cfg;
	/* The same switch for every mount, also those `provfs run` makes. */
	if (getenv("PROVFS_NO_IO_URING"))
		fs->cfg.no_io_uring = 1;
	if (fs->cfg.timeout <= 0)
		fs->cfg.timeout = 86400.0;
	umask(0);
	{
		/* Every thread of the daemon (created below; they inherit it)
		 * is SCHED_BATCH: a request queued by the kernel wakes one,
		 * and as a normal thread it would preempt the build process
		 * running on that CPU, also for the many requests nobody waits
		 * for (RELEASE, FORGET).  A batch thread runs when that
		 * process blocks, e.g. in its next request.  zlib under
		 * provfs run: 1.182 -> 1.147 of native (9 alternating runs). */
		struct sched_param sp = {0};

		sched_setscheduler(0, SCHED_BATCH, &sp);
	}
	fsd_fd_table_reserve();
	/* Two mounts on one mount point at once both found it free, and
	 * stacked: from the check to the mount, the mount point's own
	 * directory is held (flock); the second then finds it busy. */
	mp_lock = open(cfg->mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ret = 0;
	if (mp_lock >= 0) {
		/* Not for ever: a running daemon whose backing directory this
		 * is holds its flock (see backing_lock below) as long as it
		 * serves, and the mount waited for it (5 s of another mount's
		 * set-up is plenty). */
		int tries = 0;

		while (flock(mp_lock, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
			if (++tries > 500) {
				ret = -EBUSY;
				snprintf(why, sizeof(why),
					 "mount point '%s' is busy: it is the backing directory "
					 "of a running provfs mount, or another mount is being "
					 "set up on it", cfg->mountpoint);
				break;
			}
			usleep(10000);
		}
	}
	if (ret == 0)
		ret = check_dirs(cfg, why, sizeof(why));
	if (ret == 0) {
		/* One writable mount of a directory at a time (read-only ones
		 * share it: an environment's root, the host's /).  Two kept
		 * their own views of it, each in the kernel's caches for a day:
		 * a file made through one was missing in the other, and logged
		 * so.  Held until the daemon ends. */
		backing_lock = open(cfg->backing, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (backing_lock >= 0 &&
		    flock(backing_lock, (cfg->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0 &&
		    errno == EWOULDBLOCK) {
			ret = -EBUSY;
			snprintf(why, sizeof(why),
				 "'%s' is already served by another provfs mount%s (unmount that "
				 "first): two mounts of one directory would each keep a view of "
				 "it that misses what the other changed", cfg->backing,
				 cfg->readonly ? ", writable" : "");
		}
	}
	if (ret == 0 && path_is_under(cfg->mountpoint, cfg->backing)) {
		/* (read-only: the name of the mount point in its parent is
		 * hidden from look-ups) */
		const char *slash = strrchr(cfg->mountpoint, '/');
		char parent[PATH_MAX];
		struct stat st;

		snprintf(parent, sizeof(parent), "%.*s",
			 slash == cfg->mountpoint ? 1 : (int)(slash - cfg->mountpoint),
			 cfg->mountpoint);
		if (stat(parent, &st) == 0) {
			fs->self_dev = st.st_dev;
			fs->self_ino = st.st_ino;
			fs->self_name = slash + 1;
		}
	}
	if (ret == 0)
		ret = open_outputs(fs, why, sizeof(why));
	if (ret == 0) {
		ret = fsd_inode_init(fs);
		if (ret < 0)
			snprintf(why, sizeof(why), "cannot open '%s': %s", cfg->backing,
				 strerror(-ret));
	}
	if (ret == 0) {
		ret = fsd_work_start(fs);
		if (ret < 0)
			snprintf(why, sizeof(why), "cannot start worker threads: %s",
				 strerror(-ret));
		else
			fsd_exec_watch_start(fs); /* optional: see fsd_exec.c */
	}
	if (ret == 0 && cfg->exec_ring) {
		ret = fsd_exec_ring_open(fs, cfg->exec_ring);
		if (ret < 0)
			snprintf(why, sizeof(why), "cannot open the exec ring '%s': %s",
				 cfg->exec_ring, strerror(-ret));
	}
	if (ret == 0) {
		fs->se = make_session(fs);
		if (!fs->se) {
			ret = -EINVAL;
			snprintf(why, sizeof(why), "cannot create a FUSE session (is /dev/fuse there?)");
		}
	}
	if (ret == 0 && fuse_set_signal_handlers(fs->se) != 0) {
		ret = -EIO;
		snprintf(why, sizeof(why), "cannot install signal handlers");
	}
	if (ret == 0)
		fsd_uring_enable(&fs->cfg); /* the kernel decides at mount what to offer */
	if (ret == 0 && fuse_session_mount(fs->se, cfg->mountpoint) != 0) {
		ret = -EIO;
		snprintf(why, sizeof(why), "cannot mount on '%s' (see messages above)",
			 cfg->mountpoint);
	}
	if (mp_lock >= 0)
		close(mp_lock);
	/* Our mount, as mountinfo shows it (no stat: nobody serves it yet). */
	if (ret == 0 && mountinfo_find(cfg->mountpoint, &mnt_major, &mnt_minor, NULL, 0) != 1)
		mnt_major = mnt_minor = (unsigned int)-1;
	if (ret == 0 && fsd_pt_attach(fs) != 0) {
		ret = -EIO;
		snprintf(why, sizeof(why), "cannot attach to the FUSE device of '%s'",
			 cfg->mountpoint);
	}
	tell(ready_fd, ret, why);
	if (ret == 0 && ready_fd >= 0) {
		/* Detach: the caller has its answer; nobody reads our stdio. */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		close(ready_fd);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			close(null);
		}
	}
	if (ret == 0 && cfg->has_owner) {
		owner.fs = fs;
		owner.serving = 1;
		watching = pthread_create(&owner.thread, NULL, owner_main, &owner) == 0;
	}
	if (ret == 0) {
		loop = fuse_loop_cfg_create();
		fuse_loop_cfg_set_max_threads(loop, 16);
		/* No limit on idle threads (libfuse's default, so none is
		 * set): with one, a build's bursts of requests make libfuse
		 * create and destroy threads, and their 1 MiB request
		 * buffers, over and over. */
		/* (a signal number if one ended it) */
		if (fuse_session_loop_mt(fs->se, loop) == 0)
			aborted = still_mounted(cfg->mountpoint, mnt_major, mnt_minor);
		__atomic_store_n(&owner.serving, 0, __ATOMIC_RELEASE);
		if (watching) {
			pthread_cancel(owner.thread); /* in poll(), a cancellation point */
			pthread_join(owner.thread, NULL);
		}
		fuse_loop_cfg_destroy(loop);
		fsd_uring_stop(fs);
		fuse_session_unmount(fs->se);
	}
	/* Everything queued reaches the store and the log before we exit;
	 * the workers go before the session, as freeing an inode may drop
	 * its backing id (fsd_pt_forget). */
	fsd_exec_watch_stop(fs);
	fsd_pt_linger_stop(fs);
	capture_errors = fsd_work_stop(fs);
	fsd_exec_watch_free(fs);
	fsd_exec_ring_close(fs);
	if (fs->se) {
		fuse_remove_signal_handlers(fs->se);
		fuse_session_destroy(fs->se);
		fs->se = NULL;
	}
	if (fs->log) {
		int lret = alog_close(fs->log, __atomic_load_n(&owner.abandoned, __ATOMIC_ACQUIRE)
							? "abandoned"
						: aborted	 ? "aborted"
						: capture_errors ? "capture-errors"
								 : "clean");

		if (lret < 0 && ret == 0)
			ret = lret;
	}
	if (fs->root.name)
		fsd_inode_destroy(fs);
	cas_close(fs->cas);
	free(fs);
	if (backing_lock >= 0)
		close(backing_lock);
	if (ret == 0 && capture_errors)
		return 1;
	return ret;
}

/*
 * fsd operations: the libfuse low-level operation table.  Each handler
 * does the passthrough work on the backing inode, replies, and queues log
 * records; digests and captures are queued to the workers (fsd_work.c), so
 * replies never wait on hashing, the store or sqlite.
 */
#include "fsd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The kernel marks opens done by execve with FMODE_EXEC in the flags. */
#define FSD_FMODE_EXEC 0x20

/* Change generations are unique across all inodes and their lifetimes, so
 * a remembered generation can never match a different content. */
static uint64_t next_gen(void)
{
	static uint64_t counter;

	return __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
}

static struct fsd *fsd_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct fsd_file *file_of(struct fuse_file_info *fi)
{
	return (struct fsd_file *)(uintptr_t)fi->fh;
}

/* f's fd, opened now if its open did not need one (a read-only open of a
 * file whose backing id is kept: the kernel does its I/O).  -errno if it
 * cannot be opened. */
static int file_fd(struct fsd *fs, struct fsd_file *f)
{
	int fd = __atomic_load_n(&f->fd, __ATOMIC_ACQUIRE), expected = -1;

	if (fd >= 0)
		return fd;
	fd = fsd_inode_open(fs, f->in, O_RDONLY);
	if (fd < 0)
		return fd;
	if (!__atomic_compare_exchange_n(&f->fd, &expected, fd, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		close(fd);
		fd = expected;
	}
	return fd;
}

static void proc_path(int fd, char out[64])
{
	snprintf(out, 64, "/proc/self/fd/%d", fd);
}

/* Logs op on (in, name) for req's process, timed at time_ns. */
static void log_op_at(struct fsd *fs, fuse_req_t req, int64_t time_ns, const char *op,
		      struct fsd_inode *in, const char *name, const char *path2, int64_t flags,
		      int result)
{
	char *path = fsd_inode_path(fs, in, name);
	/* The path walks an execve makes to the program's interpreter. */
	int walk = !strcmp(op, ALOG_OP_STAT) || !strcmp(op, ALOG_OP_PROBE) ||
		   !strcmp(op, ALOG_OP_READLINK);

	fsd_log_at(fs, time_ns, walk ? fsd_process_walk(fs, req) : fsd_process(fs, req), op,
		   path, path2, flags, result);
	free(path);
}

/* The same, timed now. */
static void log_op(struct fsd *fs, fuse_req_t req, const char *op, struct fsd_inode *in,
		   const char *name, const char *path2, int64_t flags, int result)
{
	log_op_at(fs, req, time_now_ns(), op, in, name, path2, flags, result);
}

static void reply_entry_logged(fuse_req_t req, struct fsd *fs, struct fsd_inode *parent,
			       const char *name, const char *op, const char *path2, int64_t flags,
			       int err)
{
	struct fuse_entry_param e;

	if (err == 0)
		err = -fsd_inode_lookup(fs, parent, name, &e);
	log_op(fs, req, op, parent, name, path2, flags, err);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_entry(req, &e);
}

/* New files belong to the caller (the daemon runs as root), with the
 * group of a setgid parent directory.  chown clears setuid/setgid bits, so
 * they are put back as requested (the kernel already dropped any the
 * caller may not set). */
static void set_owner(fuse_req_t req, int pfd, const char *name, mode_t mode)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct stat pst, st;
	gid_t gid = ctx->gid;

	if (geteuid() != 0 || (ctx->uid == 0 && ctx->gid == 0))
		return;
	if (fstatat(pfd, "", &pst, AT_EMPTY_PATH) == 0 && (pst.st_mode & S_ISGID))
		gid = pst.st_gid;
	/* The mode as made (umask or default ACL applied), to put back. */
	if ((mode & (S_ISUID | S_ISGID)) && !S_ISLNK(mode) &&
	    fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		mode &= ~(S_ISUID | S_ISGID);
	if (fchownat(pfd, name, ctx->uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if ((mode & (S_ISUID | S_ISGID)) && !S_ISLNK(mode))
		fchmodat(pfd, name, st.st_mode & 07777, 0);
}

/* Whether a directory of the backing tree can be read from any entry's
 * offset (d_off) on a newly opened descriptor, as NFS servers need:
 * ext2/3/4 (hash cookies), XFS and btrfs (stable cookies), tmpfs (stable
 * offsets since Linux 6.6).  Then directories are read without OPENDIR
 * (see op_opendir); elsewhere (overlayfs numbers a merged directory's
 * entries per open) each open directory keeps its own stream.
 * PROVFS_OPENDIR=1 keeps the streams everywhere. */
static int dir_offsets_stable(struct fsd *fs)
{
	struct statfs sfs;
	const char *env = getenv("PROVFS_OPENDIR");

	if (env && *env && strcmp(env, "0") != 0)
		return 0;
	if (statfs(fs->cfg.backing, &sfs) != 0)
		return 0;
	switch ((unsigned long)sfs.f_type) {
	case EXT4_SUPER_MAGIC: /* also ext2 and ext3 */
	case XFS_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
	case TMPFS_MAGIC:
		return 1;
	default:
		return 0;
	}
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct fsd *fs = userdata;

	/* Reads reply by splicing from the backing file.  Writes arrive in
	 * memory (no SPLICE_READ): we hash them inline anyway, and libfuse
	 * would otherwise copy each spliced request into a fresh buffer. */
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
	conn->want &= ~FUSE_CAP_SPLICE_READ;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	if (fs->cfg.readonly && (conn->capable & FUSE_CAP_CACHE_SYMLINKS))
		conn->want |= FUSE_CAP_CACHE_SYMLINKS;
	/* Locks stay local to the kernel: correct for a single-host mount.
	 * There is no flush operation either: writes reach the backing file
	 * before they are acknowledged and no lock lives on it, so close()
	 * has nothing to wait for; libfuse answers ENOSYS once and the
	 * kernel stops sending FLUSH, saving a round trip per close(). */
	conn->want &= ~(FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* POSIX ACLs as on the backing filesystem: the kernel enforces them
	 * (reading system.posix_acl_access once per inode, only for callers
	 * other than the owner), and new files get their parent's default
	 * ACL instead of the umask (DONT_MASK: see caller_umask). */
	if (conn->capable & FUSE_CAP_POSIX_ACL)
		conn->want |= FUSE_CAP_POSIX_ACL;
	if ((conn->capable & FUSE_CAP_DONT_MASK) && !fs->cfg.readonly) {
		conn->want |= FUSE_CAP_DONT_MASK;
		fs->dont_mask = 1;
	}
	/* Every change to the backing tree goes through this mount while it
	 * serves a build, so the kernel's page cache stays valid: without
	 * this, each getattr after a write (its mtime moved) would drop the
	 * file's cached pages and send the next reads to us. */
	conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
	if ((conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) && dir_offsets_stable(fs)) {
		conn->want |= FUSE_CAP_NO_OPENDIR_SUPPORT;
		fs->no_opendir = 1;
	}
	fsd_pt_init_reply(fs);
}

/* Whether name in directory in is our own mount point (a read-only mount
 * under its backing directory, as of the host's / by provfs run), which
 * neither look-ups nor listings show: a look into it would wait on this
 * mount for ever. */
static int is_own_mount_point(const struct fsd *fs, const struct fsd_inode *in, const char *name)
{
	return fs->self_name && in->ino == fs->self_ino && in->dev == fs->self_dev &&
	       !strcmp(name, fs->self_name);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *pin = fsd_inode_get(fs, parent);
	struct fuse_entry_param e;
	int ret;

	if (is_own_mount_point(fs, pin, name)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	ret = fsd_inode_lookup(fs, pin, name, &e);
	log_op(fs, req, ret == 0 ? ALOG_OP_STAT : ALOG_OP_PROBE, pin, name, NULL, 0, -ret);
	if (ret == -ENOENT) {
		/* ino 0 with a timeout: the kernel caches the absence. */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = fs->cfg.timeout;
		fuse_reply_entry(req, &e);
	} else if (ret < 0) {
		fuse_reply_err(req, -ret);
	} else {
		fuse_reply_entry(req, &e);
	}
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct fsd *fs = fsd_of(req);

	fsd_inode_forget(fs, fsd_inode_get(fs, ino), nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct fsd *fs = fsd_of(req);

	for (size_t i = 0; i < count; i++)
		fsd_inode_forget(fs, fsd_inode_get(fs, forgets[i].ino), forgets[i].nlookup);
	fuse_reply_none(req);
}

/* lstat() of in, through the open file fi's fd if it has one (a reader
 * that passes through, or whose backing id is kept, has none), with the
 * inode number the mount shows; 0 or -errno. */
static int file_stat(struct fsd *fs, struct fuse_file_info *fi, struct fsd_inode *in,
		     struct stat *st)
{
	int fd = fi ? file_of(fi)->fd : -1;

	if (fd >= 0 && fstat(fd, st) == 0) {
		fsd_shown_stat(fs, st);
		return 0;
	}
	return fsd_inode_stat(fs, in, st);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fsd *fs = fsd_of(req);
	struct stat st;
	int ret;

	if (!__atomic_exchange_n(&fs->tuned, 1, __ATOMIC_RELAXED))
		fsd_tune_readahead(fs->cfg.mountpoint);
	ret = file_stat(fs, fi, fsd_inode_get(fs, ino), &st);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_attr(req, &st, fs->cfg.timeout);
}

/* The file's content changed outside write(): the inline hash is lost. */
static void track_modified(struct fsd_inode *in)
{
	pthread_mutex_lock(&in->wlock);
	digest_free(in->seq);
	in->seq = NULL;
	in->dirty = in->written_here = 1;
	in->gen = next_gen();
	pthread_mutex_unlock(&in->wlock);
}

/* A written file st with other links, or whose own name went while a
 * link elsewhere keeps it (*unlinked): its names on the mount, so that
 * its close-write is logged under each (a write through one changes what
 * they all hold: a name linked before the build kept its old digest, or
 * counted as an input when read after the write).  *path, the name to
 * log, becomes one of them where it named none; returns the others
 * (NULL-terminated, for fsd_work_written), or NULL. */
static char **written_names(struct fsd *fs, struct fsd_inode *in, const struct stat *st,
			    char **path, int *unlinked)
{
	char **names = NULL;
	size_t k = 0;
	int n;

	if (!S_ISREG(st->st_mode) || fs->cfg.readonly ||
	    (st->st_nlink < 2 && !(*unlinked && st->st_nlink > 0)))
		return NULL;
	n = fsd_links_names(fs, in, st->st_nlink, &names);
	if (n <= 0)
		return NULL;
	if (*unlinked) {
		free(*path);
		*path = names[0];
		names[0] = NULL;
		*unlinked = 0;
	}
	for (int i = 0; i < n; i++) {
		if (!names[i] || !strcmp(names[i], *path))
			free(names[i]);
		else
			names[k++] = names[i];
	}
	names[k] = NULL;
	if (!k) {
		free(names);
		return NULL;
	}
	return names;
}

/* The renames done and under way at one moment: names taken after it from
 * a look at the backing tree are of one moment with a time taken then
 * only if no rename landed, nor was under way, meanwhile. */
struct rename_window {
	unsigned long done;
	int busy;
};

static struct rename_window rename_window_open(struct fsd *fs)
{
	return (struct rename_window){
		.done = __atomic_load_n(&fs->renames_done, __ATOMIC_SEQ_CST),
		.busy = __atomic_load_n(&fs->renames_inflight, __ATOMIC_SEQ_CST)};
}

static int rename_window_quiet(struct fsd *fs, const struct rename_window *w)
{
	return !w->busy && !__atomic_load_n(&fs->renames_inflight, __ATOMIC_SEQ_CST) &&
	       w->done == __atomic_load_n(&fs->renames_done, __ATOMIC_SEQ_CST);
}

/* The names a complete write of in (a last writer's close, a truncate by
 * path) is logged under, and its time: its name, and its other names if it
 * has several links (*also, NULL-terminated); *unlinked when it has no
 * name left (deleted while open, or its name went while another link
 * keeps it and that link is not found; its content is logged, but it is
 * no output).  st: the file's state, or NULL if unknown.  Taken again while
 * a rename ran meanwhile, a few times at most: the names of a file with
 * several links come from a look in the backing tree, and a rename of
 * their directory landing during it mixed names from before and after it
 * in one record, stamped before. */
static char *write_names(struct fsd *fs, struct fsd_inode *in, const struct stat *st,
			 int64_t *when, int *unlinked, char ***also)
{
	char *path;

	for (int tries = 0;; tries++) {
		struct rename_window w = rename_window_open(fs);
		/* whether the names came from a look in the backing tree,
		 * after the time was taken (not the name the table had then) */
		int looked = 0;

		path = fsd_inode_path_at(fs, in, NULL, when);
		*also = NULL;
		*unlinked = 0;
		if (st) {
			int at = st->st_nlink == 0 ? 0 : fsd_inode_recheck_name(fs, in);

			*unlinked = at == 0;
			/* (a file with several links: its other names come from
			 * a look, which a rename landing during it can make miss
			 * them all) */
			looked = at != 1 || (S_ISREG(st->st_mode) && st->st_nlink > 1);
			if (at == 2) {
				free(path);
				path = fsd_inode_path_at(fs, in, NULL, when);
			}
			if (path)
				*also = written_names(fs, in, st, &path, unlinked);
		}
		/* (other names, *also, are only ever looked for) */
		if (!looked || tries == 4 || rename_window_quiet(fs, &w))
			return path;
		free(path);
		fsd_links_free_names(*also);
		*also = NULL;
		usleep(200);
	}
}

/* A truncate by path with no writer open is a complete write by itself. */
static void track_truncate(struct fsd *fs, fuse_req_t req, struct fsd_inode *in, uint64_t size)
{
	int writers;
	uint64_t gen;

	pthread_mutex_lock(&in->wlock);
	if (in->seq && size != in->seq_off) {
		digest_free(in->seq);
		in->seq = NULL;
	}
	in->gen = next_gen();
	gen = in->gen;
	writers = in->writers;
	in->dirty = writers > 0;
	in->written_here = 1;
	pthread_mutex_unlock(&in->wlock);
	if (!writers) {
		int64_t when;
		struct stat st;
		int unlinked;
		char **also;
		/* (a name that went, none other found: its content is logged,
		 * as no output, rather than for what holds that name now; so
		 * is a file with no name left at all, truncated through
		 * /proc/self/fd or as an unlink raced the truncate) */
		char *path = write_names(fs, in, fsd_inode_stat(fs, in, &st) == 0 ? &st : NULL,
					 &when, &unlinked, &also);

		fsd_work_written(fs, in, path, fsd_process(fs, req), when, gen, NULL, 0, NULL,
				 unlinked, also);
		free(path);
	}
}

static mode_t setid_to_kill(fuse_req_t req, const struct stat *st);

static int do_setattr(fuse_req_t req, struct fsd *fs, struct fsd_inode *in, struct stat *attr,
		      int valid, int ffd)
{
	char proc[64];
	int owned, fd = fsd_fd_get(fs, in, &owned);
	int ret = 0;

	if (fd < 0)
		return fd;
	proc_path(fd, proc);
	if (valid & FUSE_SET_ATTR_MODE) {
		ret = ffd >= 0 ? fchmod(ffd, attr->st_mode) : chmod(proc, attr->st_mode);
		if (ret < 0)
			goto fail;
	}
	if (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1;
		gid_t gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1;

		ret = fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
		if (ret < 0)
			goto fail;
	}
	if (valid & FUSE_SET_ATTR_SIZE) {
		ret = ffd >= 0 ? ftruncate(ffd, attr->st_size) : truncate(proc, attr->st_size);
		if (ret < 0)
			goto fail;
	}
	if ((valid & FUSE_SET_ATTR_KILL_SUID) && in->type == S_IFREG) {
		/* The kernel's FATTR_KILL_SUIDGID (we handle killpriv, see
		 * fsd_passthrough.c): a truncate by a caller without
		 * CAP_FSETID, or a chown, clears setuid, and setgid if
		 * group-exec or the caller is not in the file's group, as a
		 * local filesystem would. */
		struct stat st;

		ret = stat(proc, &st);
		if (ret < 0)
			goto fail;
		if (st.st_mode & (S_ISUID | S_ISGID)) {
			mode_t mode = st.st_mode & 07777 & ~(mode_t)S_ISUID;

			if ((st.st_mode & S_IXGRP) || (setid_to_kill(req, &st) & S_ISGID))
				mode &= ~(mode_t)S_ISGID;
			if (mode != (st.st_mode & 07777)) {
				ret = ffd >= 0 ? fchmod(ffd, mode) : chmod(proc, mode);
				if (ret < 0)
					goto fail;
			}
		}
	}
	if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
		struct timespec tv[2];

		tv[0].tv_sec = tv[1].tv_sec = 0;
		tv[0].tv_nsec = tv[1].tv_nsec = UTIME_OMIT;
		if (valid & FUSE_SET_ATTR_ATIME_NOW)
			tv[0].tv_nsec = UTIME_NOW;
		else if (valid & FUSE_SET_ATTR_ATIME)
			tv[0] = attr->st_atim;
		if (valid & FUSE_SET_ATTR_MTIME_NOW)
			tv[1].tv_nsec = UTIME_NOW;
		else if (valid & FUSE_SET_ATTR_MTIME)
			tv[1] = attr->st_mtim;
		if (ffd >= 0)
			ret = futimens(ffd, tv);
		else if (in->type == S_IFLNK)
			ret = utimensat(fd, "", tv, AT_EMPTY_PATH);
		else
			ret = utimensat(AT_FDCWD, proc, tv, 0);
		if (ret < 0)
			goto fail;
	}
	fsd_fd_put(fd, owned);
	return 0;
fail:
	ret = -errno;
	fsd_fd_put(fd, owned);
	return ret;
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int valid,
		       struct fuse_file_info *fi)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *in = fsd_inode_get(fs, ino);
	struct stat st;
	int ret;

	if (fs->cfg.readonly) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (valid & FUSE_SET_ATTR_SIZE)
		fsd_work_settle(fs, in);
	/* A setattr of nothing is what the kernel sends for chown(f, -1, -1)
	 * (only its ctime and the kill bits, which FUSE leaves to us and
	 * then drops), or for a privilege removal it asks of us: on a local
	 * filesystem both clear setuid, and setgid as a chown does. */
	if (valid == 0 && in->type == S_IFREG)
		valid = FUSE_SET_ATTR_KILL_SUID;
	ret = do_setattr(req, fs, in, attr, valid, fi ? file_of(fi)->fd : -1);
	{
		char *path = fsd_inode_named_path(fs, in, NULL, NULL);

		fsd_log_access(fs, &(struct alog_access){
			.process = fsd_process(fs, req), .op = ALOG_OP_SETATTR, .path = path,
			.flags = valid, .result = -ret,
			.size = (valid & FUSE_SET_ATTR_SIZE) ? (int64_t)attr->st_size : -1});
		free(path);
	}
	if (ret == 0 && (valid & FUSE_SET_ATTR_SIZE))
		track_truncate(fs, req, in, (uint64_t)attr->st_size);
	if (ret == 0)
		ret = file_stat(fs, fi, in, &st);
	if (ret < 0)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_attr(req, &st, fs->cfg.timeout);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *in = fsd_inode_get(fs, ino);
	char buf[PATH_MAX + 1];
	int owned, fd = fsd_fd_get(fs, in, &owned);
	ssize_t n;

	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	n = readlinkat(fd, "", buf, sizeof(buf));
	if (n < 0)
		n = -errno;
	fsd_fd_put(fd, owned);
	log_op(fs, req, ALOG_OP_READLINK, in, NULL, NULL, 0, n < 0 ? (int)-n : 0);
	if (n < 0) {
		fuse_reply_err(req, (int)-n);
	} else if (n >= (ssize_t)sizeof(buf)) {
		fuse_reply_err(req, ENAMETOOLONG);
	} else {
		buf[n] = '\0';
		fuse_reply_readlink(req, buf);
	}
}

/* The caller's umask for a create.  With FUSE_CAP_DONT_MASK the kernel
 * leaves it to us, so that the backing filesystem applies it as POSIX
 * says: not where the parent directory has a default ACL, whose mask
 * rules instead.  The daemon's umask is 0; a serving thread gets its own
 * (unshare(CLONE_FS)) to hold a caller's for one call, given back by
 * end_caller_umask.  Where that fails, the mode is masked here, as the
 * kernel would have.  Returns 1 if a umask was set. */
static int caller_umask(struct fsd *fs, fuse_req_t req, mode_t *mode)
{
	static __thread int own_fs; /* 1: unshared; -1: could not */
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	if (!fs->dont_mask || !ctx)
		return 0;
	if (!own_fs)
		own_fs = unshare(CLONE_FS) == 0 ? 1 : -1;
	if (own_fs < 0) {
		*mode &= ~ctx->umask;
		return 0;
	}
	umask(ctx->umask);
	return 1;
}

static void end_caller_umask(int set)
{
	if (set)
		umask(0);
}

/* Runs a create-like call in parent; returns 0 or errno. */
static int with_parent(struct fsd *fs, fuse_req_t req, struct fsd_inode *pin, const char *name,
		       int (*fn)(int pfd, const char *name, void *arg), void *arg, mode_t mode)
{
	int owned, pfd, err = 0;

	if (fs->cfg.readonly)
		return EROFS;
	pfd = fsd_fd_get(fs, pin, &owned);
	if (pfd < 0)
		return -pfd;
	if (fn(pfd, name, arg) < 0)
		err = errno;
	else if (req)
		set_owner(req, pfd, name, mode);
	fsd_fd_put(pfd, owned);
	return err;
}

struct mknod_args {
	mode_t mode;
	dev_t rdev;
};

static int do_mknod(int pfd, const char *name, void *arg)
{
	struct mknod_args *a = arg;

	return mknodat(pfd, name, a->mode, a->rdev);
}

static int do_mkdir(int pfd, const char *name, void *arg)
{
	return mkdirat(pfd, name, ((struct mknod_args *)arg)->mode);
}

static int do_symlink(int pfd, const char *name, void *arg)
{
	return symlinkat(arg, pfd, name);
}

struct unlink_args {
	struct fsd *fs;
	struct fsd_inode *pin;
	int dir;
};

static int do_unlink(int pfd, const char *name, void *arg)
{
	struct unlink_args *a = arg;

	if (!a->dir)
		fsd_work_settle_at(a->fs, a->pin, name);
	fsd_inode_pin(a->fs, a->pin, pfd, name, a->dir);
	return unlinkat(pfd, name, a->dir ? AT_REMOVEDIR : 0);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     dev_t rdev)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *pin = fsd_inode_get(fs, parent);
	struct mknod_args a = {mode, rdev};
	int masked = caller_umask(fs, req, &a.mode);
	int err = with_parent(fs, req, pin, name, do_mknod, &a, a.mode);

	end_caller_umask(masked);

	reply_entry_logged(req, fs, pin, name, ALOG_OP_MKNOD, NULL, mode, err);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *pin = fsd_inode_get(fs, parent);
	struct mknod_args a = {mode, 0};
	int masked = caller_umask(fs, req, &a.mode);
	int err = with_parent(fs, req, pin, name, do_mkdir, &a, S_IFDIR | a.mode);

	end_caller_umask(masked);

	reply_entry_logged(req, fs, pin, name, ALOG_OP_MKDIR, NULL, mode, err);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *pin = fsd_inode_get(fs, parent);
	int err = with_parent(fs, req, pin, name, do_symlink, (void *)link, S_IFLNK);

	reply_entry_logged(req, fs, pin, name, ALOG_OP_SYMLINK, link, 0, err);
}

/* Above this size, a read of a file written through the mount whose digest
 * is not known yet is logged without one (see op_open); nor is a file
 * hashed for a link record beyond it (see op_link). */
#define FSD_OWN_REHASH_MAX ((int64_t)64 << 20)

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *in = fsd_inode_get(fs, ino);
	struct fsd_inode *pin = fsd_inode_get(fs, newparent);
	struct fuse_entry_param e;
	char hex[DIGEST_HEX_LEN + 1] = "", *old = NULL, *path = NULL;
	int64_t size = -1, when = 0;
	int owned, fd, pfd, powned, err = 0, named = 0;

	if (fs->cfg.readonly) {
		err = EROFS;
	} else {
		fd = fsd_fd_get(fs, in, &owned);
		pfd = fsd_fd_get(fs, pin, &powned);
		if (fd < 0 || pfd < 0)
			err = fd < 0 ? -fd : -pfd;
		else if (linkat(fd, "", pfd, newname, AT_EMPTY_PATH) < 0)
			err = errno;
		fsd_fd_put(fd, owned);
		fsd_fd_put(pfd, powned);
	}
	/* The existing name and the new one, of the moment the record is
	 * timed, after the link: taken before it, a rename of the source's
	 * directory landing between gave the new name the other directory's
	 * file.  The source name is logged only where it names the file at
	 * that moment (checked on the backing, taken again while a rename
	 * ran meanwhile), and only for a regular file: the name the table
	 * had for a symlink was the last looked up, by then another file's. */
	for (int tries = 0;; tries++) {
		struct rename_window w = rename_window_open(fs);

		fsd_inode_paths_at(fs, in, NULL, pin, newname, &when, &old, &path);
		named = !err && in && in->type == S_IFREG && old && path && strcmp(old, path) &&
			fsd_links_is_name(fs, old, in->dev, in->ino);
		/* The name the table had went (ln x y; mv z y; ln x w): one
		 * of the others that checks out, not the new one. */
		if (!err && !named && in && in->type == S_IFREG && path) {
			struct stat st;
			char **names = NULL;
			int n = fsd_inode_stat(fs, in, &st) == 0 && st.st_nlink > 1
					? fsd_links_names(fs, in, st.st_nlink, &names)
					: 0;

			for (int i = 0; i < n && !named; i++)
				if (strcmp(names[i], path)) {
					free(old);
					old = strdup(names[i]);
					named = old != NULL;
				}
			fsd_links_free_names(names);
		}
		if (err || rename_window_quiet(fs, &w))
			break;
		/* Renames kept landing: no source name, which may be of
		 * another moment than the record's; the digest says what
		 * the new name holds. */
		if (tries == 4) {
			named = 0;
			break;
		}
		free(old);
		free(path);
		usleep(200);
	}
	/* No name of the file known (its name went, and no other: a
	 * cache's copy linked out again after the name it was made under
	 * was removed, as ccache's hard-link mode does): the record names
	 * no source, which would be another file's name by now, and carries
	 * the content's digest instead (hashed now if not known; the reader
	 * takes it for the new name).  A symlink's gets neither: no output. */
	if (!named) {
		free(old);
		old = NULL;
	}
	if (!err && !named && in && in->type == S_IFREG) {
		fsd_work_settle(fs, in);
		if (!fsd_work_digest_now(fs, in, -1, FSD_OWN_REHASH_MAX, 0, hex, &size))
			hex[0] = '\0';
	}
	/* (the new name is noted by its look-up; the old one too, as it
	 * may have had one link until now) */
	if (!err && in)
		fsd_links_note(fs, in->dev, in->ino, old);
	if (err == 0)
		err = -fsd_inode_lookup(fs, pin, newname, &e);
	alog_access(fs->log, &(struct alog_access){
		.time_ns = when, .process = fsd_process(fs, req), .op = ALOG_OP_LINK,
		.path = path, .path2 = old, .result = err, .size = hex[0] ? size : -1,
		.digest_after = hex[0] ? hex : NULL});
	free(path);
	free(old);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_entry(req, &e);
}

static void remove_entry(fuse_req_t req, fuse_ino_t parent, const char *name, int dir)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *pin = fsd_inode_get(fs, parent);
	struct unlink_args a = {fs, pin, dir};
	int err = with_parent(fs, NULL, pin, name, do_unlink, &a, 0);

	log_op(fs, req, dir ? ALOG_OP_RMDIR : ALOG_OP_UNLINK, pin, name, NULL, 0, err);
	fuse_reply_err(req, err);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_entry(req, parent, name, 0);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	remove_entry(req, parent, name, 1);
}

/* Notes the names of a renamed inode with several links (see fsd_links). */
static void rename_note_links(struct fsd *fs, struct fsd_inode *in)
{
	if (in && __atomic_load_n(&in->linked, __ATOMIC_RELAXED)) {
		char *path = fsd_inode_path(fs, in, NULL);

		fsd_links_note(fs, in->dev, in->ino, path);
		free(path);
	}
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *pin = fsd_inode_get(fs, parent);
	struct fsd_inode *npin = fsd_inode_get(fs, newparent);
	char *to = NULL, *from = NULL;
	int owned, powned, pfd, npfd, err = 0;
	int64_t logflags = flags, when;
	struct stat st;

	if (fs->cfg.readonly) {
		err = EROFS;
	} else {
		__atomic_add_fetch(&fs->renames_inflight, 1, __ATOMIC_SEQ_CST);
		pfd = fsd_fd_get(fs, pin, &owned);
		npfd = fsd_fd_get(fs, npin, &powned);
		if (pfd < 0 || npfd < 0) {
			err = pfd < 0 ? -pfd : -npfd;
		} else {
			if (!(flags & RENAME_EXCHANGE)) {
				/* It may be replaced. */
				fsd_work_settle_at(fs, npin, newname);
				fsd_inode_pin(fs, npin, npfd, newname, 0);
			}
			if (renameat2(pfd, name, npfd, newname, flags) < 0)
				err = errno;
			else if (fstatat(npfd, newname, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				 S_ISDIR(st.st_mode))
				logflags |= ALOG_RENAME_DIR;
		}
		fsd_fd_put(pfd, owned);
		fsd_fd_put(npfd, powned);
	}
	if (!err) {
		/* Both names of the record, and for an exchange both
		 * inodes' new names, are of one moment, its time: names
		 * taken apart mixed a directory's names from before and
		 * after a rename of it that ran meanwhile in one record, and
		 * an exchange's second inode kept its old name past the
		 * record's time. */
		struct fsd_inode *in = fsd_inode_find_at(fs, npin, newname);
		struct fsd_inode *other =
			(flags & RENAME_EXCHANGE) ? fsd_inode_find_at(fs, pin, name) : NULL;

		fsd_inode_renamed(fs, in, other, pin, name, npin, newname, &when, &from, &to);
		rename_note_links(fs, in);
		rename_note_links(fs, other);
		if (in)
			fsd_inode_unref(fs, in);
		if (other)
			fsd_inode_unref(fs, other);
		if (from && to && ((logflags & ALOG_RENAME_DIR) || (flags & RENAME_EXCHANGE)))
			fsd_links_renamed(fs, from, to, (flags & RENAME_EXCHANGE) != 0);
		__atomic_add_fetch(&fs->renames_done, 1, __ATOMIC_SEQ_CST);
	} else {
		when = time_now_ns();
		from = fsd_inode_path(fs, pin, name);
		to = fsd_inode_path(fs, npin, newname);
	}
	if (!fs->cfg.readonly)
		__atomic_sub_fetch(&fs->renames_inflight, 1, __ATOMIC_SEQ_CST);
	fsd_log_at(fs, when, fsd_process(fs, req), ALOG_OP_RENAME, from, to, logflags, err);
	free(to);
	free(from);
	fuse_reply_err(req, err);
}

/* A handle now writes to in: start or join its write tracking. */
static void track_open_write(struct fsd_inode *in, int fd, int flags, int created,
			     const char *before)
{
	struct stat st;
	int empty = created || (flags & O_TRUNC) || (fstat(fd, &st) == 0 && st.st_size == 0);

	pthread_mutex_lock(&in->wlock);
	if (in->writers == 0) {
		snprintf(in->before, sizeof(in->before), "%s", before ? before : "");
		digest_free(in->seq);
		in->seq = empty ? digest_new() : NULL;
		in->seq_off = 0;
	} else if ((flags & O_TRUNC) && in->seq && in->seq_off != 0) {
		digest_free(in->seq);
		in->seq = NULL;
	}
	in->writers++;
	if (created || (flags & O_TRUNC))
		in->dirty = in->written_here = 1;
	in->gen = next_gen();
	pthread_mutex_unlock(&in->wlock);
}

static struct fsd_file *new_file(struct fsd *fs, struct fsd_inode *in, int fd, int writable,
				 int64_t process)
{
	struct fsd_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->fd = fd;
	f->in = in;
	f->writable = writable;
	f->process = process;
	fsd_inode_ref(fs, in);
	return f;
}

/* Which of setuid and setgid a write (or truncate, fallocate) by req's
 * caller must clear on a file of mode st, as a local filesystem does for
 * callers without CAP_FSETID (here: not root): setuid always; setgid if
 * group-exec is set, or if the caller is not in the file's group (a
 * member keeps a setgid file without group-exec, a mandatory-locking
 * file of old).  0 if none. */
static mode_t setid_to_kill(fuse_req_t req, const struct stat *st)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	mode_t kill = 0;
	gid_t groups[64];
	int n, member;

	if (ctx->uid == 0 || !S_ISREG(st->st_mode))
		return 0;
	if (st->st_mode & S_ISUID)
		kill |= S_ISUID;
	if (st->st_mode & S_ISGID) {
		member = ctx->gid == st->st_gid;
		if (!member && !(st->st_mode & S_IXGRP)) {
			n = fuse_req_getgroups(req, 64, groups);
			for (int i = 0; i < n && i < 64 && !member; i++)
				member = groups[i] == st->st_gid;
		}
		if ((st->st_mode & S_IXGRP) || !member)
			kill |= S_ISGID;
	}
	return kill;
}

/* setid_to_kill for the file behind fd, as it is now. */
static mode_t needs_kill_setid(fuse_req_t req, int fd)
{
	struct stat st;

	if (fuse_req_ctx(req)->uid == 0 || fstat(fd, &st) < 0)
		return 0;
	return setid_to_kill(req, &st);
}

/* Clears the bits kill (setid_to_kill's) of f's file. */
static void kill_setid(struct fsd *fs, fuse_ino_t ino, struct fsd_file *f, mode_t kill)
{
	struct stat st;

	f->kill_setid = 0;
	if (!kill || fstat(f->fd, &st) < 0 || !(st.st_mode & kill))
		return;
	if (fchmod(f->fd, st.st_mode & 07777 & ~kill) == 0)
		fuse_lowlevel_notify_inval_inode(fs->se, ino, -1, 0);
}

static void release_file(struct fsd *fs, struct fsd_file *f);

/* Hands f's I/O to the kernel if we can; a writer's state is noted so
 * that its release can tell whether it wrote.  Its data never reaches us,
 * so it cannot be hashed inline. */
static void start_passthrough(struct fsd *fs, fuse_ino_t ino, struct fsd_file *f,
			      struct fuse_file_info *fi)
{
	struct fsd_inode *in = f->in;
	struct stat st;

	if (in->type != S_IFREG)
		return;
	/* A writer that must clear setuid/setgid on its first write is
	 * served by us, unless the inode's other opens pass through: then
	 * the bits go now, as that write would clear them. */
	f->pt_counted = 1;
	/* Nor an O_DIRECT open, where we can help it: the kernel opens its
	 * own backing file with the caller's flags, and a later
	 * fcntl(F_SETFL) that clears O_DIRECT does not reach that file, so
	 * dd's unaligned last block (written after clearing it) failed with
	 * EINVAL.  Served by us (direct_io), it is written as it comes. */
	if (fsd_pt_open(fs, in, f->fd,
			f->kill_setid || (fi->flags & O_DIRECT) || (f->writable && !fs->pt_writers)) <= 0)
		return;
	f->passthrough = 1;
	if (!f->writable && f->fd >= 0) {
		/* The kernel reads a backing file of its own: ours is not
		 * needed (it is opened again if a request needs it, see
		 * file_fd), so files the build holds open for reading are no
		 * fds of ours and do not count against our limit. */
		close(f->fd);
		f->fd = -1;
	}
	if (f->kill_setid)
		kill_setid(fs, ino, f, (mode_t)f->kill_setid);
	/* The kernel refuses other open flags with passthrough; the backing
	 * file has its own page cache. */
	fi->direct_io = 0;
	fi->keep_cache = 0;
	if (f->writable) {
		if (fstat(f->fd, &st) == 0) {
			f->pt_size = st.st_size;
			f->pt_mtime = st.st_mtim;
			f->pt_ctime = st.st_ctim;
		}
		pthread_mutex_lock(&in->wlock);
		digest_free(in->seq);
		in->seq = NULL;
		pthread_mutex_unlock(&in->wlock);
	}
}

/* At the release of a passthrough writer: did it change the file?  st is
 * the file's state now, NULL if it could not be read.  If it did, the
 * kernel's attributes of it are dropped: writes through a mapping reach
 * the backing file without the kernel's FUSE inode taking their times
 * (stat -c %y showed the time from before the build). */
static void end_passthrough_write(struct fsd *fs, struct fsd_file *f, const struct stat *st)
{
	struct fsd_inode *in = f->in;
	int changed = !st || st->st_size != f->pt_size ||
		      st->st_mtim.tv_sec != f->pt_mtime.tv_sec ||
		      st->st_mtim.tv_nsec != f->pt_mtime.tv_nsec ||
		      st->st_ctim.tv_sec != f->pt_ctime.tv_sec ||
		      st->st_ctim.tv_nsec != f->pt_ctime.tv_nsec;

	pthread_mutex_lock(&in->wlock);
	if (changed)
		in->dirty = in->written_here = 1;
	/* Writes did not move gen: no digest taken meanwhile may be trusted
	 * by generation alone. */
	in->gen = next_gen();
	pthread_mutex_unlock(&in->wlock);
	if (changed && fs->se)
		fuse_lowlevel_notify_inval_inode(fs->se, fsd_inode_id(fs, in), -1, 0);
}

/* Whether in's content was written through this mount. */
static int written_here(struct fsd_inode *in)
{
	int own;

	pthread_mutex_lock(&in->wlock);
	own = in->written_here;
	pthread_mutex_unlock(&in->wlock);
	return own;
}

/* Up to this size, a file opened for writing only (not truncated) whose
 * digest is not known is hashed at the open (touch; 0.2 ms at most), so
 * that a writer that changed nothing is told from one that did: a log
 * appended to line by line stops being hashed at each open beyond it.
 * One opened O_RDWR, whose content may be read through that descriptor
 * (an input), up to the larger size (about 2.5 ms at SHA-NI's speed),
 * and copied into the store, as a read's would be. */
#define FSD_BEFORE_HASH_MAX ((int64_t)256 << 10)
#define FSD_BEFORE_KEEP_MAX ((int64_t)4 << 20)

/* Open flags the backing file of a regular file is not opened with:
 * O_NONBLOCK, which means nothing for it but that an open for writing
 * fails with EWOULDBLOCK while someone holds a lease (ours, taken for a
 * moment at each last writer's release: fsd_pt_linger), besides the ones
 * op_open explains.  (op_create keeps O_CREAT and O_EXCL.) */
#define FSD_OPEN_NOT_PASSED (O_CREAT | O_EXCL | O_NOCTTY | O_DIRECT | O_NONBLOCK | FSD_FMODE_EXEC)

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *in = fsd_inode_get(fs, ino);
	int acc = fi->flags & O_ACCMODE;
	int writable = acc != O_RDONLY || (fi->flags & O_TRUNC);
	int exec = (fi->flags & FSD_FMODE_EXEC) != 0;
	int64_t proc = exec ? fsd_process_exec(fs, fuse_req_ctx(req)->pid, in) : fsd_process(fs, req);
	int64_t now;
	struct fsd_file *f;
	char *path;
	int fd, fdless, gone;

	if (fs->cfg.readonly && writable) {
		fuse_reply_err(req, EROFS);
		return;
	}
	/* O_DIRECT is honoured by bypassing the page cache on our side
	 * (direct_io); the backing file is opened without it, since
	 * libfuse's buffers are not aligned for it.  O_APPEND is left off
	 * too: each write tells op_write whether the caller's file has it
	 * then; on the backing fd it stuck (a write after fcntl F_SETFL
	 * took it away still appended).  (Through passthrough the kernel
	 * opens its own backing file with the open's flags.)  A read-only
	 * open whose backing id is kept needs no fd: the kernel reads the
	 * backing file (it is opened later if a request needs it, see
	 * file_fd). */
	fdless = !writable && !(fi->flags & O_DIRECT) && fsd_pt_kept(in);
	if (writable)
		fsd_work_settle(fs, in); /* the reads of what it held first */
	fd = fdless ? -1 : fsd_inode_open(fs, in, fi->flags & ~(FSD_OPEN_NOT_PASSED | O_APPEND));
	/* An append-only file (chattr +a) opens for writing only with
	 * O_APPEND: then the backing fd keeps it (appending as the caller
	 * asked; clearing it with fcntl fails natively on such a file). */
	if (fd == -EPERM && writable && (fi->flags & O_APPEND))
		fd = fsd_inode_open(fs, in, fi->flags & ~FSD_OPEN_NOT_PASSED);
	path = fsd_inode_named_path(fs, in, &now, &gone);
	if (gone && path) {
		/* Its name went, and no other was found: not the name of
		 * whatever holds it now (a read would be that file's input). */
		char *marked = NULL;

		if (asprintf(&marked, "%s (deleted)", path) >= 0) {
			free(path);
			path = marked;
		}
	}
	if (fd < 0 && !fdless) {
		fsd_log(fs, proc, exec ? ALOG_OP_EXEC : ALOG_OP_OPEN, path, NULL, fi->flags, -fd);
		free(path);
		fuse_reply_err(req, -fd);
		return;
	}
	f = new_file(fs, in, fd, writable, proc);
	if (!f) {
		if (fd >= 0)
			close(fd);
		free(path);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (writable) {
		char before[DIGEST_HEX_LEN + 1] = "";
		int64_t size = -1;

		/* What the file held before this writer: known, or (the first
		 * writer of a small file it does not truncate) hashed now,
		 * before it can write.  The log then tells a writer that left
		 * the content as it was (touch, an open for appending that
		 * wrote nothing) from one that changed it, and an O_RDWR open
		 * of a file from before the build reads an input (see
		 * accesslog.md, HOW THE SUMMARY IS DERIVED). */
		if (!((fi->flags & O_TRUNC) || fsd_inode_writers(in)
			      ? fsd_work_digest_hint(fs, in, fd, before, &size)
			      : acc == O_RDWR
			      ? fsd_work_digest_now(fs, in, fd, FSD_BEFORE_KEEP_MAX, 1, before, &size)
			      : fsd_work_digest_now(fs, in, fd, FSD_BEFORE_HASH_MAX, 0, before, &size)))
			before[0] = '\0';
		track_open_write(in, fd, fi->flags, 0, before);
		fsd_log_access(fs, &(struct alog_access){
			.process = proc, .op = ALOG_OP_OPEN, .path = path, .flags = fi->flags,
			.size = before[0] ? size : -1, .digest_before = before[0] ? before : NULL});
	} else {
		char hex[DIGEST_HEX_LEN + 1];
		int64_t size = -1;
		const char *op = exec ? ALOG_OP_EXEC : ALOG_OP_OPEN;
		/* A file whose digest we know for its current state (the same
		 * header or library opened by every compiler process) is
		 * logged at once; only new content, or an input the store
		 * should have and lacks, goes to the workers. */
		int known = fsd_work_digest_hint(fs, in, fd, hex, &size) &&
			    fsd_work_input_kept(fs, in, hex);

		/* A big file of the build's own is logged at once too, without
		 * a digest: its digest is its writer's (the close-write record,
		 * and the store has its content), and a read after a write is
		 * no input, so it is not hashed again: a 1 TiB sparse file made
		 * by truncate and read by cp cost a whole second pass, and an
		 * unlink waited for it.  (A small one still is, for the read's
		 * record.) */
		if (known || (size > FSD_OWN_REHASH_MAX && written_here(in)))
			alog_access(fs->log, &(struct alog_access){
				.time_ns = now, .process = proc, .op = op, .path = path,
				.flags = fi->flags, .size = known ? size : -1,
				.digest_after = known ? hex : NULL});
		else
			fsd_work_read(fs, in, path, op, fi->flags, proc, now);
	}
	free(path);
	fi->fh = (uintptr_t)f;
	fi->keep_cache = 1;
	if (fi->flags & O_DIRECT)
		fi->direct_io = 1;
	f->kill_setid = writable ? (int)needs_kill_setid(req, fd) : 0;
	if (f->kill_setid && (fi->flags & O_TRUNC))
		kill_setid(fs, ino, f, (mode_t)f->kill_setid); /* a truncate, as far as setid goes */
	start_passthrough(fs, ino, f, fi);
	if (fuse_reply_open(req, fi) == -ENOENT) {
		/* The caller was interrupted; nobody will release this. */
		fsd_pt_opened();
		release_file(fs, f);
		return;
	}
	fsd_pt_opened();
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *pin = fsd_inode_get(fs, parent);
	struct fuse_entry_param e;
	struct fsd_inode *in;
	struct fsd_file *f;
	int owned, pfd, fd, err = 0, masked, oflags, created;

	if (fs->cfg.readonly) {
		fuse_reply_err(req, EROFS);
		return;
	}
	pfd = fsd_fd_get(fs, pin, &owned);
	if (pfd < 0) {
		fuse_reply_err(req, -pfd);
		return;
	}
	/* An existing file (O_CREAT without O_EXCL) may be truncated. */
	if (!(fi->flags & O_EXCL))
		fsd_work_settle_at(fs, pin, name);
	masked = caller_umask(fs, req, &mode);
	oflags = (fi->flags & ~(FSD_OPEN_NOT_PASSED | O_APPEND)) | O_CREAT | O_CLOEXEC |
		 (fi->flags & O_EXCL);
	/* Whether we make it: only a new file gets the caller as owner (a
	 * file made meanwhile outside the mount keeps its own), and only
	 * a new file is removed again if the open fails after all. */
	fd = openat(pfd, name, oflags | O_EXCL, mode);
	created = fd >= 0;
	if (fd < 0 && errno == EEXIST && !(fi->flags & O_EXCL))
		fd = openat(pfd, name, oflags, mode);
	/* An append-only file (chattr +a) opens for writing only with
	 * O_APPEND, which the caller gave (see op_open). */
	if (fd < 0 && errno == EPERM && (fi->flags & O_APPEND) && !created)
		fd = openat(pfd, name, oflags | O_APPEND, mode);
	if (fd < 0)
		err = errno;
	else if (created)
		set_owner(req, pfd, name, S_IFREG | mode);
	end_caller_umask(masked);
	if (!err)
		err = -fsd_inode_lookup(fs, pin, name, &e);
	/* (EMFILE, ENOMEM: the caller is told the open failed, and natively
	 * such an open leaves no file behind) */
	if (err && created)
		unlinkat(pfd, name, 0);
	fsd_fd_put(pfd, owned);
	log_op(fs, req, ALOG_OP_CREATE, pin, name, NULL, fi->flags, err);
	if (err) {
		if (fd >= 0)
			close(fd);
		fuse_reply_err(req, err);
		return;
	}
	in = fsd_inode_get(fs, e.ino);
	f = new_file(fs, in, fd, 1, fsd_process(fs, req));
	if (!f) {
		close(fd);
		fsd_inode_forget(fs, in, 1);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	track_open_write(in, fd, fi->flags, 1, NULL);
	fi->fh = (uintptr_t)f;
	fi->keep_cache = 1;
	if (fi->flags & O_DIRECT)
		fi->direct_io = 1;
	start_passthrough(fs, e.ino, f, fi);
	if (fuse_reply_create(req, &e, fi) == -ENOENT) {
		fsd_pt_opened();
		release_file(fs, f);
		return;
	}
	fsd_pt_opened();
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
	struct fsd *fs = fsd_of(req);
	int fd = file_fd(fs, file_of(fi));
	size_t cap = 0;
	char *direct;

	(void)ino;
	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	/* Over io_uring the data is read straight into the reply: libfuse's
	 * splice cannot take a 1 MiB reply through a pipe (pipe-max-size)
	 * and copies it through a freshly allocated buffer instead, whose
	 * pages fault in anew each time. */
	direct = fsd_uring_buffer(fs, &cap);
	if (direct && size <= cap) {
		size_t got = 0;
		ssize_t n = 0;

		while (got < size) {
			n = pread(fd, direct + got, size - got, off + (off_t)got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (n < 0 && !got)
			fuse_reply_err(req, errno);
		else
			fuse_reply_buf(req, direct, got);
		return;
	}
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = fd;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct fsd_file *f = file_of(fi);
	struct fsd_inode *in = f->in;
	/* The backing fd never has O_APPEND (see op_open): the caller's file
	 * may lose it (fcntl F_SETFL), and its flags as they are now come
	 * with each write. */
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = size};
	ssize_t n = pwritev2(f->fd, &iov, 1, off, (fi->flags & O_APPEND) ? RWF_APPEND : 0);

	if (n < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	/* Checked at each write, not only as opened: the bits may have
	 * been set since (chmod u+s of a file a user holds open).  Not for
	 * the page cache's writes of a mapping, which a local filesystem
	 * does not clear them for. */
	if (!fi->writepage)
		kill_setid(fsd_of(req), ino, f, needs_kill_setid(req, f->fd));
	/* Reply before hashing, holding the inode's write lock: the writer
	 * moves on while we hash, and the next chunk (the kernel sends them
	 * one at a time per file) waits for the lock, so chunks are hashed in
	 * order. */
	pthread_mutex_lock(&in->wlock);
	in->dirty = in->written_here = 1;
	in->gen = next_gen();
	if (in->seq && (uint64_t)off != in->seq_off) {
		digest_free(in->seq);
		in->seq = NULL;
	}
	fuse_reply_write(req, (size_t)n);
	if (in->seq) {
		digest_update(in->seq, buf, (size_t)n);
		in->seq_off += (uint64_t)n;
	}
	pthread_mutex_unlock(&in->wlock);
}

static void release_finish(struct fsd *fs, struct fsd_file *f, const struct stat *now);

/* The end of an open file: a last writer's file goes to the workers,
 * once its last mapping is gone if it passed through (fsd_pt_linger). */
static void release_file(struct fsd *fs, struct fsd_file *f)
{
	/* The writer's file as it is now, read once for both uses. */
	struct stat st;
	int have_st = 0;

	if (f->pt_counted) {
		if (f->passthrough && f->writable) {
			have_st = fstat(f->fd, &st) == 0;
			end_passthrough_write(fs, f, have_st ? &st : NULL);
		}
		fsd_pt_release(fs, f->in, f->passthrough);
		if (fsd_pt_linger(fs, f))
			return;
	}
	release_finish(fs, f, have_st ? &st : NULL);
}

void fsd_release_finish(struct fsd *fs, struct fsd_file *f)
{
	struct stat st;
	int have_st = f->fd >= 0 && fstat(f->fd, &st) == 0;

	/* What its mapping wrote since the release (which saw the same
	 * state, if it wrote nothing). */
	end_passthrough_write(fs, f, have_st ? &st : NULL);
	release_finish(fs, f, have_st ? &st : NULL);
}

static void release_finish(struct fsd *fs, struct fsd_file *f, const struct stat *now)
{
	struct fsd_inode *in = f->in;

	if (f->writable) {
		uint8_t known[DIGEST_LEN];
		char before[DIGEST_HEX_LEN + 1];
		int have_known = 0, finished = 0;
		uint64_t size = 0, gen = 0;

		pthread_mutex_lock(&in->wlock);
		in->writers--;
		if (in->writers == 0 && in->dirty) {
			if (in->seq && digest_final(in->seq, known) == 0)
				have_known = 1;
			in->seq = NULL;
			size = in->seq_off;
			in->dirty = 0;
			finished = 1;
			memcpy(before, in->before, sizeof(before));
			/* What the inline digest names: a writer that opens
			 * from here on moves it, and the job then hashes
			 * the file again rather than trust that digest. */
			gen = in->gen;
		}
		pthread_mutex_unlock(&in->wlock);
		if (finished) {
			struct stat st;
			int64_t when;
			char *path, **also;
			int unlinked;

			if (!now && f->fd >= 0 && fstat(f->fd, &st) == 0)
				now = &st;
			path = write_names(fs, in, now, &when, &unlinked, &also);
			fsd_work_written(fs, in, path, f->process, when, gen,
					 have_known ? known : NULL, size, before, unlinked, also);
			free(path);
		}
	}
	if (f->fd >= 0)
		close(f->fd);
	fsd_inode_unref(fs, in);
	free(f);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	release_file(fsd_of(req), file_of(fi));
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	int fd = file_fd(fsd_of(req), file_of(fi));
	int ret = fd < 0 ? fd : (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;

	(void)ino;
	fuse_reply_err(req, -ret);
}

/* With no_opendir, the first OPENDIR is answered ENOSYS and the kernel
 * sends no more: each READDIR then names its directory and the offset to
 * go on from, and is served from a descriptor opened for it (do_readdir),
 * which saves a round trip per listing (RELEASEDIR too, which nobody waits
 * for).  The kernel then keeps the entries it read in its cache
 * (FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE, its defaults without OPENDIR),
 * dropped whenever the directory changes through the mount, so a later
 * listing of an unchanged directory reaches no daemon: like a cached
 * look-up, only the first listing is logged. */
static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *in = fsd_inode_get(fs, ino);
	int fd;
	struct fsd_file *f;
	DIR *dp;

	if (fs->no_opendir) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	fd = fsd_inode_open(fs, in, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	dp = fdopendir(fd);
	f = dp ? new_file(fs, in, fd, 0, 0) : NULL;
	if (!f) {
		if (dp)
			closedir(dp);
		else
			close(fd);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	f->dir = dp;
	log_op(fs, req, ALOG_OP_READDIR, in, NULL, NULL, 0, 0);
	fi->fh = (uintptr_t)f;
	if (fs->cfg.readonly) {
		fi->cache_readdir = 1;
		fi->keep_cache = 1;
	}
	fuse_reply_open(req, fi);
}

static int is_dot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, int plus)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_file *f = file_of(fi);
	struct fsd_inode *in = fsd_inode_get(fs, ino);
	DIR *dp = f ? f->dir : NULL;
	off_t cur = f ? f->dir_off : -1; /* offset of the last entry returned */
	char *buf = malloc(size), *p = buf;
	size_t rem = size;
	int err = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!f) {
		/* No OPENDIR (see op_opendir): a stream for this request. */
		int fd = fsd_inode_open(fs, in, O_RDONLY | O_DIRECTORY);

		dp = fd < 0 ? NULL : fdopendir(fd);
		if (!dp) {
			err = fd < 0 ? -fd : errno;
			if (fd >= 0)
				close(fd);
			free(buf);
			fuse_reply_err(req, err);
			return;
		}
		cur = 0; /* a new descriptor starts at the first entry */
		if (off == 0)
			log_op(fs, req, ALOG_OP_READDIR, in, NULL, NULL, 0, 0);
	}
	if (off != cur) {
		seekdir(dp, off);
		cur = off;
	}
	for (;;) {
		struct dirent *de;
		size_t used;

		errno = 0;
		de = readdir(dp);
		if (!de) {
			err = errno;
			break;
		}
		if (is_own_mount_point(fs, in, de->d_name))
			continue;
		if (plus) {
			struct fuse_entry_param e;

			memset(&e, 0, sizeof(e));
			if (is_dot(de->d_name)) {
				e.attr.st_ino = fsd_shown_ino(fs, in->dev, de->d_ino);
				e.attr.st_mode = (mode_t)de->d_type << 12;
			} else if (fsd_inode_lookup(fs, in, de->d_name, &e) < 0) {
				continue; /* vanished meanwhile */
			}
			used = fuse_add_direntry_plus(req, p, rem, de->d_name, &e, de->d_off);
			if (used > rem) {
				if (e.ino)
					fsd_inode_forget(fs, fsd_inode_get(fs, e.ino), 1);
				cur = -1; /* the stream moved past it: seek next time */
				break;
			}
		} else {
			struct stat st;

			memset(&st, 0, sizeof(st));
			st.st_ino = fsd_shown_ino(fs, in->dev, de->d_ino);
			st.st_mode = (mode_t)de->d_type << 12;
			used = fuse_add_direntry(req, p, rem, de->d_name, &st, de->d_off);
			if (used > rem) {
				cur = -1;
				break;
			}
		}
		p += used;
		rem -= used;
		cur = de->d_off;
	}
	if (f)
		f->dir_off = cur;
	else
		closedir(dp);
	if (err && rem == size)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, buf, size - rem);
	free(buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, 0);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, 1);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_file *f = file_of(fi);

	(void)ino;
	if (!f) { /* no OPENDIR: nothing was opened */
		fuse_reply_err(req, 0);
		return;
	}
	closedir(f->dir);
	fsd_inode_unref(fs, f->in);
	free(f);
	fuse_reply_err(req, 0);
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_file *f = file_of(fi);
	int fd = f ? dirfd((DIR *)f->dir)
		   : fsd_inode_open(fs, fsd_inode_get(fs, ino), O_RDONLY | O_DIRECTORY);
	int ret = fd < 0 ? 0 : datasync ? fdatasync(fd) : fsync(fd);
	int err = fd < 0 ? -fd : ret < 0 ? errno : 0;

	if (!f && fd >= 0)
		close(fd);
	fuse_reply_err(req, err);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct fsd *fs = fsd_of(req);
	struct statvfs sv;
	int owned, fd = fsd_fd_get(fs, fsd_inode_get(fs, ino), &owned);
	int ret;

	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	ret = fstatvfs(fd, &sv);
	fsd_fd_put(fd, owned);
	if (ret < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
}

#define CAPS_XATTR "security.capability"

/* After a change of name's value made through us: forget what we knew
 * of security.capability. */
static void caps_changed(struct fsd_inode *in, const char *name)
{
	if (strcmp(name, CAPS_XATTR))
		return;
	pthread_mutex_lock(&in->wlock);
	in->no_caps = 0;
	in->caps_gen++;
	pthread_mutex_unlock(&in->wlock);
}

/* xattr calls go through /proc/self/fd/N: the *xattr(2) calls do not take
 * O_PATH fds.  setxattr (value != NULL) and removexattr share this. */
static void change_xattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			 size_t size, int flags)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *in = fsd_inode_get(fs, ino);
	char proc[64];
	int owned, fd, err = 0, ret;

	if (fs->cfg.readonly) {
		fuse_reply_err(req, EROFS);
		return;
	}
	fd = fsd_fd_get(fs, in, &owned);
	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	proc_path(fd, proc);
	ret = value ? setxattr(proc, name, value, size, flags) : removexattr(proc, name);
	if (ret < 0)
		err = errno;
	caps_changed(in, name);
	fsd_fd_put(fd, owned);
	log_op(fs, req, ALOG_OP_XATTR, in, NULL, name, value ? 1 : 2, err);
	fuse_reply_err(req, err);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	change_xattr(req, ino, name, value ? value : "", size, flags);
}

static void reply_xattr_result(fuse_req_t req, ssize_t n, size_t size, const char *buf)
{
	if (n < 0)
		fuse_reply_err(req, errno);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
}

/* getxattr (name != NULL) or listxattr (name == NULL). */
static void get_or_list_xattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *in = fsd_inode_get(fs, ino);
	int caps = name && !strcmp(name, CAPS_XATTR), owned, fd, err;
	char proc[64], *buf;
	uint64_t caps_gen = 0;
	ssize_t n;

	if (caps) {
		pthread_mutex_lock(&in->wlock);
		err = in->no_caps ? ENODATA : 0;
		caps_gen = in->caps_gen;
		pthread_mutex_unlock(&in->wlock);
		if (err) {
			fuse_reply_err(req, err);
			return;
		}
	}
	buf = size ? malloc(size) : NULL;
	fd = fsd_fd_get(fs, in, &owned);
	if (fd < 0 || (size && !buf)) {
		fuse_reply_err(req, fd < 0 ? -fd : ENOMEM);
		fsd_fd_put(fd, owned);
		free(buf);
		return;
	}
	proc_path(fd, proc);
	n = name ? getxattr(proc, name, buf, size) : listxattr(proc, buf, size);
	err = errno;
	if (caps && n < 0 && err == ENODATA) {
		pthread_mutex_lock(&in->wlock);
		if (in->caps_gen == caps_gen)
			in->no_caps = 1;
		pthread_mutex_unlock(&in->wlock);
	}
	errno = err;
	reply_xattr_result(req, n, size, buf);
	fsd_fd_put(fd, owned);
	free(buf);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	get_or_list_xattr(req, ino, name, size);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	get_or_list_xattr(req, ino, NULL, size);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	change_xattr(req, ino, name, NULL, 0, 0);
}

static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct fsd *fs = fsd_of(req);
	char proc[64];
	int owned, fd = fsd_fd_get(fs, fsd_inode_get(fs, ino), &owned);
	int err = 0;

	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	proc_path(fd, proc);
	if (faccessat(AT_FDCWD, proc, mask, AT_EACCESS) < 0)
		err = errno;
	if (!err && (mask & W_OK) && fs->cfg.readonly)
		err = EROFS;
	fsd_fd_put(fd, owned);
	fuse_reply_err(req, err);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	struct fsd_file *f = file_of(fi);

	if (fallocate(f->fd, mode, off, len) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	kill_setid(fsd_of(req), ino, f, needs_kill_setid(req, f->fd));
	track_modified(f->in);
	fuse_reply_err(req, 0);
}

static void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
			       struct fuse_file_info *fi_in, fuse_ino_t ino_out, off_t off_out,
			       struct fuse_file_info *fi_out, size_t len, int flags)
{
	struct fsd_file *out = file_of(fi_out);
	loff_t in_off = off_in, out_off = off_out;
	ssize_t n;

	(void)ino_in;
	(void)ino_out;
	n = copy_file_range(file_fd(fsd_of(req), file_of(fi_in)), &in_off, out->fd, &out_off, len,
			    (unsigned int)flags);
	if (n < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	track_modified(out->in);
	fuse_reply_write(req, (size_t)n);
}

static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	int fd = file_fd(fsd_of(req), file_of(fi));
	off_t res = fd < 0 ? -1 : lseek(fd, off, whence);

	(void)ino;
	if (fd < 0)
		fuse_reply_err(req, -fd);
	else if (res < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_lseek(req, res);
}

/* File attribute flags (chattr, lsattr: FS_IOC_GETFLAGS/SETFLAGS and the
 * FS_IOC_FSGETXATTR/FSSETXATTR pair), which the kernel asks of a FUSE
 * filesystem as ioctls on a file or directory it opens for the purpose,
 * are the backing file's.  The VFS has checked the caller (owner,
 * CAP_LINUX_IMMUTABLE for immutable and append-only) and a read-only
 * mount before we are asked.  A change is logged as "fileattr".  Any other
 * ioctl (isatty()'s TCGETS, which perl and python send on every file they
 * open) is ENOTTY, as on a plain file. */
static void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg,
		     struct fuse_file_info *fi, unsigned flags, const void *in_buf,
		     size_t in_bufsz, size_t out_bufsz)
{
	struct fsd *fs = fsd_of(req);
	struct fsd_inode *in;
	union {
		int flags;
		struct fsxattr fsx;
	} v;
	size_t size;
	int set, fd, err = 0;

	(void)arg;
	(void)fi;
	switch (cmd) {
	case FS_IOC_GETFLAGS: case FS_IOC32_GETFLAGS: set = 0; size = sizeof(v.flags); break;
	case FS_IOC_SETFLAGS: case FS_IOC32_SETFLAGS: set = 1; size = sizeof(v.flags); break;
	case FS_IOC_FSGETXATTR: set = 0; size = sizeof(v.fsx); break;
	case FS_IOC_FSSETXATTR: set = 1; size = sizeof(v.fsx); break;
	default:
		fuse_reply_err(req, ENOTTY);
		return;
	}
	if ((flags & FUSE_IOCTL_UNRESTRICTED) || (set ? in_bufsz : out_bufsz) < size) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (set && fs->cfg.readonly) {
		fuse_reply_err(req, EROFS);
		return;
	}
	in = fsd_inode_get(fs, ino);
	memset(&v, 0, sizeof(v));
	if (set)
		memcpy(&v, in_buf, size);
	fd = fsd_inode_open(fs, in, O_RDONLY | O_NONBLOCK |
				      (in->type == S_IFDIR ? O_DIRECTORY : 0));
	if (fd < 0) {
		fuse_reply_err(req, -fd);
		return;
	}
	/* The 32-bit and native flag ioctls both pass an int. */
	if (ioctl(fd, cmd == FS_IOC32_GETFLAGS ? FS_IOC_GETFLAGS
		  : cmd == FS_IOC32_SETFLAGS ? FS_IOC_SETFLAGS : cmd, &v) < 0)
		err = errno;
	close(fd);
	if (set) {
		log_op(fs, req, ALOG_OP_FILEATTR, in, NULL, NULL,
		       size == sizeof(v.flags) ? v.flags : (int64_t)v.fsx.fsx_xflags, err);
	}
	/* Success is an ioctl reply even with no data: the kernel wants
	 * its result header (a bare reply is EINVAL to the caller). */
	if (err) {
		fuse_reply_err(req, err);
	} else {
		fuse_reply_ioctl(req, 0, set ? NULL : &v, set ? 0 : size);
	}
}

const struct fuse_lowlevel_ops fsd_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readlink = op_readlink,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.symlink = op_symlink,
	.link = op_link,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.rename = op_rename,
	.open = op_open,
	.create = op_create,
	.read = op_read,
	.write = op_write,
	.release = op_release,
	.fsync = op_fsync,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.readdirplus = op_readdirplus,
	.releasedir = op_releasedir,
	.fsyncdir = op_fsyncdir,
	.statfs = op_statfs,
	.setxattr = op_setxattr,
	.getxattr = op_getxattr,
	.listxattr = op_listxattr,
	.removexattr = op_removexattr,
	.access = op_access,
	.fallocate = op_fallocate,
	.copy_file_range = op_copy_file_range,
	.lseek = op_lseek,
	.ioctl = op_ioctl,
};

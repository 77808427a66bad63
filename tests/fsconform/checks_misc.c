/*
 * Everything around the data: POSIX record locks, OFD locks and flock
 * between processes; extended attributes; readdir completeness under
 * churn; statfs; fsync and friends.
 */
#include "fsconform.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>

/* ---- locks ---- */

static int set_lock(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};

	return fcntl(fd, cmd, &fl);
}

/*
 * Runs `child` in a forked process after the parent took its locks; the
 * pipe lets the parent hold its locks until the child is done.
 */
static int lock_fcntl_conflict(void)
{
	int fd;
	pid_t pid, parent = getpid();

	CHECK_OK(fsc_write_file("f", "0123456789", 0644));
	CHECK_SET(fd, open("f", O_RDWR));
	CHECK_OK(set_lock(fd, F_SETLK, F_WRLCK, 0, 0));
	pid = fsc_fork();
	if (pid == 0) {
		int cfd;
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		CHECK_SET(cfd, open("f", O_RDWR));
		CHECK_ERR2(set_lock(cfd, F_SETLK, F_WRLCK, 0, 0), EAGAIN, EACCES);
		CHECK_ERR2(set_lock(cfd, F_SETLK, F_RDLCK, 5, 1), EAGAIN, EACCES);
		CHECK_OK(fcntl(cfd, F_GETLK, &fl));
		CHECK_EQ(fl.l_type, F_WRLCK);
		CHECK_EQ(fl.l_pid, parent);
		CHECK_EQ(fl.l_start, 0);
		CHECK_EQ(fl.l_len, 0);
		_exit(0);
	}
	CHECK_CHILD(pid);
	/* Our own lock never conflicts with us. */
	CHECK_OK(set_lock(fd, F_SETLK, F_RDLCK, 0, 0));
	close(fd);
	return 0;
}

static int lock_fcntl_shared(void)
{
	int fd;
	pid_t pid;

	CHECK_OK(fsc_touch("f"));
	CHECK_SET(fd, open("f", O_RDONLY));
	CHECK_OK(set_lock(fd, F_SETLK, F_RDLCK, 0, 0));
	pid = fsc_fork();
	if (pid == 0) {
		int cfd;
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		CHECK_SET(cfd, open("f", O_RDWR));
		CHECK_OK(set_lock(cfd, F_SETLK, F_RDLCK, 0, 0));
		CHECK_ERR2(set_lock(cfd, F_SETLK, F_WRLCK, 0, 0), EAGAIN, EACCES);
		fl.l_type = F_RDLCK;
		CHECK_OK(fcntl(cfd, F_GETLK, &fl));
		CHECK_EQ(fl.l_type, F_UNLCK);
		_exit(0);
	}
	CHECK_CHILD(pid);
	close(fd);
	return 0;
}

static int lock_fcntl_ranges(void)
{
	int fd;
	pid_t pid;

	CHECK_OK(fsc_write_file("f", "0123456789", 0644));
	CHECK_SET(fd, open("f", O_RDWR));
	CHECK_OK(set_lock(fd, F_SETLK, F_WRLCK, 0, 5));
	CHECK_OK(set_lock(fd, F_SETLK, F_WRLCK, 100, 10));
	pid = fsc_fork();
	if (pid == 0) {
		int cfd;
		CHECK_SET(cfd, open("f", O_RDWR));
		CHECK_OK(set_lock(cfd, F_SETLK, F_WRLCK, 5, 95));
		CHECK_OK(set_lock(cfd, F_SETLK, F_WRLCK, 110, 0));
		CHECK_ERR2(set_lock(cfd, F_SETLK, F_WRLCK, 4, 1), EAGAIN, EACCES);
		CHECK_ERR2(set_lock(cfd, F_SETLK, F_RDLCK, 109, 1), EAGAIN, EACCES);
		_exit(0);
	}
	CHECK_CHILD(pid);
	/* Unlocking the middle of a range splits it. */
	CHECK_OK(set_lock(fd, F_SETLK, F_UNLCK, 1, 2));
	pid = fsc_fork();
	if (pid == 0) {
		int cfd;
		CHECK_SET(cfd, open("f", O_RDWR));
		CHECK_OK(set_lock(cfd, F_SETLK, F_WRLCK, 1, 2));
		CHECK_ERR2(set_lock(cfd, F_SETLK, F_WRLCK, 3, 1), EAGAIN, EACCES);
		CHECK_ERR2(set_lock(cfd, F_SETLK, F_WRLCK, 0, 1), EAGAIN, EACCES);
		_exit(0);
	}
	CHECK_CHILD(pid);
	close(fd);
	return 0;
}

static int lock_fcntl_any_close_releases(void)
{
	int fd, other;
	pid_t pid;

	CHECK_OK(fsc_touch("f"));
	CHECK_SET(fd, open("f", O_RDWR));
	CHECK_OK(set_lock(fd, F_SETLK, F_WRLCK, 0, 0));
	/* POSIX: closing any descriptor of the file drops the process's locks. */
	CHECK_SET(other, open("f", O_RDONLY));
	close(other);
	pid = fsc_fork();
	if (pid == 0) {
		int cfd;
		CHECK_SET(cfd, open("f", O_RDWR));
		CHECK_OK(set_lock(cfd, F_SETLK, F_WRLCK, 0, 0));
		_exit(0);
	}
	CHECK_CHILD(pid);
	close(fd);
	return 0;
}

static int lock_fcntl_released_on_exit(void)
{
	int fd, pfd[2];
	pid_t pid;
	char c;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(pipe(pfd));
	pid = fsc_fork();
	if (pid == 0) {
		int cfd;
		CHECK_SET(cfd, open("f", O_RDWR));
		CHECK_OK(set_lock(cfd, F_SETLK, F_WRLCK, 0, 0));
		CHECK_EQ(write(pfd[1], "L", 1), 1);
		_exit(0);
	}
	close(pfd[1]);
	CHECK_EQ(read(pfd[0], &c, 1), 1);
	CHECK_CHILD(pid);
	close(pfd[0]);
	CHECK_SET(fd, open("f", O_RDWR));
	CHECK_OK(set_lock(fd, F_SETLK, F_WRLCK, 0, 0));
	close(fd);
	return 0;
}

static int lock_fcntl_setlkw_waits(void)
{
	int fd, pfd[2];
	pid_t pid;
	char c;
	struct timespec t0, t1;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(pipe(pfd));
	pid = fsc_fork();
	if (pid == 0) {
		int cfd;
		struct timespec hold = {0, 300 * 1000 * 1000};
		CHECK_SET(cfd, open("f", O_RDWR));
		CHECK_OK(set_lock(cfd, F_SETLK, F_WRLCK, 0, 0));
		CHECK_EQ(write(pfd[1], "L", 1), 1);
		nanosleep(&hold, NULL);
		CHECK_OK(set_lock(cfd, F_SETLK, F_UNLCK, 0, 0));
		_exit(0);
	}
	close(pfd[1]);
	CHECK_EQ(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	CHECK_SET(fd, open("f", O_RDWR));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_OK(set_lock(fd, F_SETLKW, F_WRLCK, 0, 0));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long waited_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECKF(waited_ms >= 200, "F_SETLKW returned after %ld ms, before the holder let go",
	       waited_ms);
	CHECK_CHILD(pid);
	close(fd);
	return 0;
}

static int lock_fcntl_deadlock(void)
{
	int fd, go[2], ready[2];
	pid_t pid;
	char c;

	CHECK_OK(fsc_write_file("f", "0123456789", 0644));
	CHECK_OK(pipe(go));
	CHECK_OK(pipe(ready));
	CHECK_SET(fd, open("f", O_RDWR));
	CHECK_OK(set_lock(fd, F_SETLK, F_WRLCK, 0, 1));
	pid = fsc_fork();
	if (pid == 0) {
		int cfd;
		CHECK_SET(cfd, open("f", O_RDWR));
		CHECK_OK(set_lock(cfd, F_SETLK, F_WRLCK, 1, 1));
		CHECK_EQ(write(ready[1], "R", 1), 1);
		/* Blocks on byte 0 until the parent gives up its lock. */
		CHECK_OK(set_lock(cfd, F_SETLKW, F_WRLCK, 0, 1));
		_exit(0);
	}
	CHECK_EQ(read(ready[0], &c, 1), 1);
	/* Give the child time to block in F_SETLKW. */
	struct timespec pause = {0, 200 * 1000 * 1000};
	nanosleep(&pause, NULL);
	CHECK_ERR(set_lock(fd, F_SETLKW, F_WRLCK, 1, 1), EDEADLK);
	close(fd);
	CHECK_CHILD(pid);
	return 0;
}

static int lock_fcntl_type_needs_mode(void)
{
	int fd;

	CHECK_OK(fsc_touch("f"));
	CHECK_SET(fd, open("f", O_WRONLY));
	CHECK_ERR(set_lock(fd, F_SETLK, F_RDLCK, 0, 0), EBADF);
	close(fd);
	CHECK_SET(fd, open("f", O_RDONLY));
	CHECK_ERR(set_lock(fd, F_SETLK, F_WRLCK, 0, 0), EBADF);
	close(fd);
	return 0;
}

static int lock_ofd(void)
{
	int a, b;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

	CHECK_OK(fsc_touch("f"));
	CHECK_SET(a, open("f", O_RDWR));
	CHECK_SET(b, open("f", O_RDWR));
	CHECK_OK(fcntl(a, F_OFD_SETLK, &fl));
	/* Same process, different open file description: conflict. */
	CHECK_ERR(fcntl(b, F_OFD_SETLK, &fl), EAGAIN);
	fl.l_type = F_WRLCK;
	CHECK_OK(fcntl(b, F_OFD_GETLK, &fl));
	CHECK_EQ(fl.l_type, F_WRLCK);
	CHECK_EQ(fl.l_pid, -1);
	close(a);
	fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET};
	CHECK_OK(fcntl(b, F_OFD_SETLK, &fl));
	close(b);
	return 0;
}

static int lock_flock_conflict(void)
{
	int fd;
	pid_t pid;

	CHECK_OK(fsc_touch("f"));
	CHECK_SET(fd, open("f", O_RDONLY));
	CHECK_OK(flock(fd, LOCK_EX));
	pid = fsc_fork();
	if (pid == 0) {
		int cfd;
		CHECK_SET(cfd, open("f", O_RDONLY));
		CHECK_ERR(flock(cfd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
		CHECK_ERR(flock(cfd, LOCK_SH | LOCK_NB), EWOULDBLOCK);
		/* The inherited descriptor shares the parent's lock. */
		CHECK_OK(flock(fd, LOCK_EX | LOCK_NB));
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK_OK(flock(fd, LOCK_UN));
	pid = fsc_fork();
	if (pid == 0) {
		int cfd;
		CHECK_SET(cfd, open("f", O_RDONLY));
		CHECK_OK(flock(cfd, LOCK_EX | LOCK_NB));
		_exit(0);
	}
	CHECK_CHILD(pid);
	close(fd);
	return 0;
}

static int lock_flock_shared_and_upgrade(void)
{
	int a, b;

	CHECK_OK(fsc_touch("f"));
	CHECK_SET(a, open("f", O_RDONLY));
	CHECK_SET(b, open("f", O_RDONLY));
	CHECK_OK(flock(a, LOCK_SH));
	CHECK_OK(flock(b, LOCK_SH | LOCK_NB));
	CHECK_ERR(flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK_OK(flock(b, LOCK_UN));
	CHECK_OK(flock(a, LOCK_EX | LOCK_NB));
	CHECK_ERR(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	close(a);
	CHECK_OK(flock(b, LOCK_EX | LOCK_NB));
	close(b);
	return 0;
}

static int lock_flock_fcntl_independent(void)
{
	int fd;
	pid_t pid;

	CHECK_OK(fsc_touch("f"));
	CHECK_SET(fd, open("f", O_RDWR));
	CHECK_OK(flock(fd, LOCK_EX));
	pid = fsc_fork();
	if (pid == 0) {
		int cfd;
		CHECK_SET(cfd, open("f", O_RDWR));
		CHECK_OK(set_lock(cfd, F_SETLK, F_WRLCK, 0, 0));
		CHECK_ERR(flock(cfd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
		_exit(0);
	}
	CHECK_CHILD(pid);
	close(fd);
	return 0;
}

/* ---- xattrs ---- */

/* 1 when the NUL-separated list holds name. */
static int list_has(const char *list, ssize_t len, const char *name)
{
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(list + i) + 1) {
		if (strcmp(list + i, name) == 0)
			return 1;
	}
	return 0;
}

static int xattr_set_get_list_remove(void)
{
	char buf[256], list[1024];
	ssize_t n;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(setxattr("f", "user.alpha", "one", 3, 0));
	CHECK_OK(setxattr("f", "user.beta", "two!", 4, 0));
	CHECK_EQ(getxattr("f", "user.alpha", buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "one", 3) == 0);
	CHECK_SET(n, listxattr("f", list, sizeof(list)));
	CHECK(list_has(list, n, "user.alpha"));
	CHECK(list_has(list, n, "user.beta"));
	CHECK_OK(removexattr("f", "user.alpha"));
	CHECK_ERR(getxattr("f", "user.alpha", buf, sizeof(buf)), ENODATA);
	CHECK_ERR(removexattr("f", "user.alpha"), ENODATA);
	CHECK_SET(n, listxattr("f", list, sizeof(list)));
	CHECK(!list_has(list, n, "user.alpha"));
	CHECK(list_has(list, n, "user.beta"));
	CHECK_OK(setxattr("f", "user.beta", "2", 1, 0));
	CHECK_EQ(getxattr("f", "user.beta", buf, sizeof(buf)), 1);
	return 0;
}

static int xattr_flags(void)
{
	char buf[16];

	CHECK_OK(fsc_touch("f"));
	CHECK_ERR(setxattr("f", "user.k", "v", 1, XATTR_REPLACE), ENODATA);
	CHECK_OK(setxattr("f", "user.k", "v1", 2, XATTR_CREATE));
	CHECK_ERR(setxattr("f", "user.k", "v2", 2, XATTR_CREATE), EEXIST);
	CHECK_OK(setxattr("f", "user.k", "v3", 2, XATTR_REPLACE));
	CHECK_EQ(getxattr("f", "user.k", buf, sizeof(buf)), 2);
	CHECK(memcmp(buf, "v3", 2) == 0);
	CHECK_ERR(setxattr("f", "user.k", "v", 1, 0x4), EINVAL);
	return 0;
}

static int xattr_sizes(void)
{
	char buf[8], list[8];
	static char big[3000], back[3000];

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(setxattr("f", "user.long", "0123456789", 10, 0));
	CHECK_EQ(getxattr("f", "user.long", NULL, 0), 10);
	CHECK_ERR(getxattr("f", "user.long", buf, sizeof(buf)), ERANGE);
	CHECK_EQ(listxattr("f", NULL, 0), 10);
	CHECK_ERR(listxattr("f", list, sizeof(list)), ERANGE);
	CHECK_OK(setxattr("f", "user.empty", "", 0, 0));
	CHECK_EQ(getxattr("f", "user.empty", buf, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 251);
	CHECK_OK(setxattr("f", "user.big", big, sizeof(big), 0));
	CHECK_EQ(getxattr("f", "user.big", back, sizeof(back)), sizeof(big));
	CHECK(memcmp(big, back, sizeof(big)) == 0);
	return 0;
}

static int xattr_many(void)
{
	char name[64], value[64], list[8192];
	ssize_t n;

	CHECK_OK(fsc_touch("f"));
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "user.attr%02d", i);
		snprintf(value, sizeof(value), "value-%d", i);
		CHECK_OK(setxattr("f", name, value, strlen(value), 0));
	}
	CHECK_SET(n, listxattr("f", list, sizeof(list)));
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "user.attr%02d", i);
		CHECKF(list_has(list, n, name), "%s missing from list", name);
		snprintf(value, sizeof(value), "value-%d", i);
		char got[64];
		CHECK_EQ(getxattr("f", name, got, sizeof(got)), strlen(value));
		CHECK(memcmp(got, value, strlen(value)) == 0);
	}
	return 0;
}

static int xattr_names(void)
{
	char name[300];

	CHECK_OK(fsc_touch("f"));
	snprintf(name, sizeof(name), "user.%s", fsc_repeat('x', 250));
	CHECK_OK(setxattr("f", name, "v", 1, 0));
	snprintf(name, sizeof(name), "user.%s", fsc_repeat('x', 251));
	CHECK_ERR(setxattr("f", name, "v", 1, 0), ERANGE);
	CHECK_ERR(setxattr("f", "", "v", 1, 0), ERANGE);
	CHECK_ERR(setxattr("f", "nonsense.k", "v", 1, 0), EOPNOTSUPP);
	CHECK_ERR(getxattr("f", "nonsense.k", name, sizeof(name)), EOPNOTSUPP);
	CHECK_ERR(setxattr("missing", "user.k", "v", 1, 0), ENOENT);
	CHECK_ERR(getxattr("missing", "user.k", name, sizeof(name)), ENOENT);
	return 0;
}

static int xattr_binary_value(void)
{
	const char value[] = {'a', 0, 'b', 0, (char)0xff, '\n'};
	char got[16];

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(setxattr("f", "user.bin", value, sizeof(value), 0));
	CHECK_EQ(getxattr("f", "user.bin", got, sizeof(got)), sizeof(value));
	CHECK(memcmp(got, value, sizeof(value)) == 0);
	return 0;
}

static int xattr_dir_symlink_fifo(void)
{
	char buf[16];

	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(setxattr("d", "user.k", "dir", 3, 0));
	CHECK_EQ(getxattr("d", "user.k", buf, sizeof(buf)), 3);
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(symlink("f", "link"));
	/* user.* is only for regular files and directories. */
	CHECK_ERR(lsetxattr("link", "user.k", "v", 1, 0), EPERM);
	CHECK_ERR(lgetxattr("link", "user.k", buf, sizeof(buf)), ENODATA);
	CHECK_OK(mkfifo("p", 0644));
	CHECK_ERR(setxattr("p", "user.k", "v", 1, 0), EPERM);
	/* Through the symlink: the target's attribute. */
	CHECK_OK(setxattr("link", "user.k", "via", 3, 0));
	CHECK_EQ(getxattr("f", "user.k", buf, sizeof(buf)), 3);
	return 0;
}

static int xattr_trusted_as_root(void)
{
	char buf[16];

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(setxattr("f", "trusted.k", "t", 1, 0));
	CHECK_EQ(getxattr("f", "trusted.k", buf, sizeof(buf)), 1);
	CHECK_OK(symlink("f", "link"));
	CHECK_OK(lsetxattr("link", "trusted.k", "l", 1, 0));
	CHECK_EQ(lgetxattr("link", "trusted.k", buf, sizeof(buf)), 1);
	CHECK(buf[0] == 'l');
	return 0;
}

static int xattr_fd_calls(void)
{
	int fd;
	char buf[16], list[64];

	CHECK_SET(fd, open("f", O_CREAT | O_RDONLY, 0644));
	CHECK_OK(fsetxattr(fd, "user.k", "fd", 2, 0));
	CHECK_EQ(fgetxattr(fd, "user.k", buf, sizeof(buf)), 2);
	CHECK_EQ(flistxattr(fd, list, sizeof(list)), 7);
	CHECK_OK(fremovexattr(fd, "user.k"));
	CHECK_ERR(fgetxattr(fd, "user.k", buf, sizeof(buf)), ENODATA);
	close(fd);
	return 0;
}

static int xattr_survives_rename_and_link(void)
{
	char buf[16];

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(setxattr("f", "user.k", "kept", 4, 0));
	CHECK_OK(rename("f", "g"));
	CHECK_EQ(getxattr("g", "user.k", buf, sizeof(buf)), 4);
	CHECK_OK(link("g", "h"));
	CHECK_OK(setxattr("h", "user.other", "x", 1, 0));
	CHECK_EQ(getxattr("g", "user.other", buf, sizeof(buf)), 1);
	return 0;
}

static int xattr_changes_ctime(void)
{
	struct stat before, after;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(stat("f", &before));
	fsc_tick();
	CHECK_OK(setxattr("f", "user.k", "v", 1, 0));
	CHECK_OK(stat("f", &after));
	CHECK(fsc_ts_after(after.st_ctim, before.st_ctim));
	CHECK_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	CHECK_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	return 0;
}

/* ---- readdir ---- */

#define MANY 1000

static int make_many(const char *dir, int n)
{
	char name[64];

	if (mkdir(dir, 0755))
		return -1;
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s/file-%04d", dir, i);
		if (fsc_touch(name))
			return -1;
	}
	return 0;
}

/* Index of "file-NNNN" or -1. */
static int index_of(const char *name)
{
	int i;
	char tail;

	if (sscanf(name, "file-%4d%c", &i, &tail) != 1 || i < 0 || i >= MANY)
		return -1;
	return i;
}

static int readdir_each_once(void)
{
	static unsigned char seen[MANY];
	int dots = 0;
	DIR *d;
	struct dirent *e;

	CHECK_OK(make_many("d", MANY));
	d = opendir("d");
	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
			dots++;
			continue;
		}
		int i = index_of(e->d_name);
		CHECKF(i >= 0, "unexpected entry '%s'", e->d_name);
		CHECKF(!seen[i], "'%s' seen twice", e->d_name);
		seen[i] = 1;
	}
	closedir(d);
	CHECK_EQ(dots, 2);
	for (int i = 0; i < MANY; i++)
		CHECKF(seen[i], "file-%04d never seen", i);
	return 0;
}

static int readdir_while_deleting(void)
{
	static unsigned char seen[MANY];
	DIR *d;
	struct dirent *e;
	char path[300];

	/* The rm -rf pattern: delete each entry as soon as it is read. */
	CHECK_OK(make_many("d", MANY));
	d = opendir("d");
	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL) {
		int i = index_of(e->d_name);
		if (i < 0)
			continue;
		CHECKF(!seen[i], "'%s' seen twice", e->d_name);
		seen[i] = 1;
		snprintf(path, sizeof(path), "d/%s", e->d_name);
		CHECK_OK(unlink(path));
	}
	closedir(d);
	for (int i = 0; i < MANY; i++)
		CHECKF(seen[i], "file-%04d never seen", i);
	CHECK_EQ(fsc_count_entries("d"), 0);
	CHECK_OK(rmdir("d"));
	return 0;
}

static int readdir_while_deleting_batches(void)
{
	static unsigned char seen[MANY];
	DIR *d;
	struct dirent *e;
	char path[64];
	int batch[100], nbatch = 0;

	/* Deletes lag behind the reads by up to 100 entries. */
	CHECK_OK(make_many("d", MANY));
	d = opendir("d");
	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL) {
		int i = index_of(e->d_name);
		if (i < 0)
			continue;
		CHECKF(!seen[i], "'%s' seen twice", e->d_name);
		seen[i] = 1;
		batch[nbatch++] = i;
		if (nbatch == 100) {
			for (int j = 0; j < nbatch; j++) {
				snprintf(path, sizeof(path), "d/file-%04d", batch[j]);
				CHECK_OK(unlink(path));
			}
			nbatch = 0;
		}
	}
	closedir(d);
	for (int i = 0; i < MANY; i++)
		CHECKF(seen[i], "file-%04d never seen", i);
	return 0;
}

static int readdir_while_creating(void)
{
	static unsigned char seen[MANY];
	DIR *d;
	struct dirent *e;
	char path[64];
	int created = 0;

	/* Entries that exist throughout must each be seen once. */
	CHECK_OK(make_many("d", MANY));
	d = opendir("d");
	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL) {
		int i = index_of(e->d_name);
		if (i < 0)
			continue;
		CHECKF(!seen[i], "'%s' seen twice", e->d_name);
		seen[i] = 1;
		if (created < 500) {
			snprintf(path, sizeof(path), "d/new-%d", created++);
			CHECK_OK(fsc_touch(path));
		}
	}
	closedir(d);
	for (int i = 0; i < MANY; i++)
		CHECKF(seen[i], "file-%04d never seen", i);
	return 0;
}

static int readdir_small_getdents_buffer(void)
{
	static unsigned char seen[MANY];
	char buf[512];
	int fd;
	long n;

	CHECK_OK(make_many("d", MANY));
	CHECK_SET(fd, open("d", O_RDONLY | O_DIRECTORY));
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *e = (struct dirent64 *)(buf + off);
			int i = index_of(e->d_name);
			if (i >= 0) {
				CHECKF(!seen[i], "'%s' seen twice", e->d_name);
				seen[i] = 1;
			}
			off += e->d_reclen;
		}
	}
	CHECK_OK(n);
	close(fd);
	for (int i = 0; i < MANY; i++)
		CHECKF(seen[i], "file-%04d never seen", i);
	return 0;
}

static int readdir_types_and_inodes(void)
{
	DIR *d;
	struct dirent *e;
	struct stat st;
	int found = 0;

	CHECK_OK(fsc_touch("reg"));
	CHECK_OK(mkdir("dir", 0755));
	CHECK_OK(symlink("reg", "lnk"));
	CHECK_OK(mkfifo("fifo", 0644));
	CHECK_OK(mknod("chr", S_IFCHR | 0600, 0x0103));
	CHECK_OK(mknod("sock", S_IFSOCK | 0600, 0));
	d = opendir(".");
	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL) {
		CHECK_OK(fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW));
		CHECKF(e->d_ino == st.st_ino, "d_ino of '%s' is %llu, st_ino %llu", e->d_name,
		       (unsigned long long)e->d_ino, (unsigned long long)st.st_ino);
		unsigned char want = DT_UNKNOWN;
		switch (st.st_mode & S_IFMT) {
		case S_IFREG: want = DT_REG; break;
		case S_IFDIR: want = DT_DIR; break;
		case S_IFLNK: want = DT_LNK; break;
		case S_IFIFO: want = DT_FIFO; break;
		case S_IFCHR: want = DT_CHR; break;
		case S_IFSOCK: want = DT_SOCK; break;
		}
		CHECKF(e->d_type == want, "d_type of '%s' is %d, expected %d", e->d_name, e->d_type,
		       want);
		found++;
	}
	closedir(d);
	CHECK_EQ(found, 8);
	return 0;
}

static int readdir_rewind_and_seek(void)
{
	DIR *d;
	struct dirent *e;
	int count = 0;
	long pos = -1;
	char at_pos[256] = "";

	CHECK_OK(make_many("d", 100));
	d = opendir("d");
	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL) {
		if (++count == 50) {
			pos = telldir(d);
		} else if (count == 51) {
			snprintf(at_pos, sizeof(at_pos), "%s", e->d_name);
		}
	}
	CHECK_EQ(count, 102);
	CHECK(pos >= 0);
	seekdir(d, pos);
	e = readdir(d);
	CHECK(e != NULL);
	CHECKF(strcmp(e->d_name, at_pos) == 0, "seekdir gave '%s', expected '%s'", e->d_name,
	       at_pos);
	CHECK_OK(fsc_touch("d/late-arrival"));
	rewinddir(d);
	count = 0;
	int late = 0;
	while ((e = readdir(d)) != NULL) {
		count++;
		late |= strcmp(e->d_name, "late-arrival") == 0;
	}
	closedir(d);
	CHECK_EQ(count, 103);
	CHECK(late);
	return 0;
}

static int readdir_long_names(void)
{
	char name[300];
	int n = 0;
	DIR *d;
	struct dirent *e;

	CHECK_OK(mkdir("d", 0755));
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "d/%03d%s", i, fsc_repeat('L', 252));
		CHECK_OK(fsc_touch(name));
	}
	d = opendir("d");
	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		CHECK_EQ(strlen(e->d_name), 255);
		n++;
	}
	closedir(d);
	CHECK_EQ(n, 100);
	return 0;
}

static int readdir_dot_entries(void)
{
	DIR *d;
	struct dirent *e;
	struct stat self, parent;

	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(stat("d", &self));
	CHECK_OK(stat(".", &parent));
	d = opendir("d");
	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, "."))
			CHECK_EQ(e->d_ino, self.st_ino);
		else if (!strcmp(e->d_name, ".."))
			CHECK_EQ(e->d_ino, parent.st_ino);
		else
			FAIL("unexpected entry '%s' in an empty directory", e->d_name);
	}
	closedir(d);
	return 0;
}

/* ---- statfs ---- */

static int statfs_basic(void)
{
	struct statfs a, b;
	struct statvfs v;
	int fd;

	CHECK_OK(statfs(".", &a));
	CHECK(a.f_bsize > 0);
	CHECK(a.f_blocks > 0);
	CHECK(a.f_bfree <= a.f_blocks);
	CHECK(a.f_bavail <= a.f_bfree);
	CHECK(a.f_files > 0);
	CHECK(a.f_ffree <= a.f_files);
	CHECK_EQ(a.f_namelen, 255);
	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(fstatfs(fd, &b));
	close(fd);
	CHECK_EQ(a.f_type, b.f_type);
	CHECK_EQ(a.f_blocks, b.f_blocks);
	CHECK_EQ(a.f_bsize, b.f_bsize);
	CHECK_OK(statvfs(".", &v));
	CHECK_EQ(v.f_namemax, 255);
	CHECK(!(v.f_flag & ST_RDONLY));
	CHECK(v.f_frsize > 0);
	return 0;
}

static int statfs_sees_space_used(void)
{
	enum { SIZE = 64 * 1024 * 1024 };
	struct statvfs before, after;
	int fd;

	/* Other activity on the disk may interfere: allow a few attempts. */
	for (int attempt = 0; attempt < 3; attempt++) {
		CHECK_OK(statvfs(".", &before));
		CHECK_SET(fd, open("f", O_CREAT | O_TRUNC | O_RDWR, 0644));
		CHECK_OK(fsc_fill(fd, 0, SIZE, 1));
		CHECK_OK(fsync(fd));
		close(fd);
		CHECK_OK(statvfs(".", &after));
		CHECK_OK(unlink("f"));
		int dfd = open(".", O_RDONLY);
		CHECK_OK(syncfs(dfd));
		close(dfd);
		long long used = ((long long)before.f_bfree - (long long)after.f_bfree) *
				 (long long)before.f_frsize;
		/* Only a lower bound: a filesystem may keep copies (provfs's store does). */
		if (used >= SIZE / 2)
			return 0;
		if (attempt == 2)
			FAIL("writing 64 MiB changed free space by %lld bytes", used);
	}
	return 0;
}

static int statfs_errors(void)
{
	struct statfs sf;

	CHECK_ERR(statfs("missing", &sf), ENOENT);
	CHECK_OK(fsc_touch("f"));
	CHECK_ERR(statfs("f/x", &sf), ENOTDIR);
	return 0;
}

/* ---- fsync ---- */

static int fsync_family(void)
{
	int fd, dfd, ro;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_EQ(write(fd, "data", 4), 4);
	CHECK_OK(fsync(fd));
	CHECK_EQ(write(fd, "more", 4), 4);
	CHECK_OK(fdatasync(fd));
	CHECK_OK(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE |
						  SYNC_FILE_RANGE_WRITE |
						  SYNC_FILE_RANGE_WAIT_AFTER));
	CHECK_OK(syncfs(fd));
	close(fd);
	CHECK_SET(ro, open("f", O_RDONLY));
	CHECK_OK(fsync(ro));
	CHECK_OK(fdatasync(ro));
	close(ro);
	CHECK_SET(dfd, open(".", O_RDONLY | O_DIRECTORY));
	CHECK_OK(fsync(dfd));
	CHECK_OK(fdatasync(dfd));
	close(dfd);
	CHECK(fsc_file_is("f", "datamore"));
	return 0;
}

static int fsync_after_unlink(void)
{
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(unlink("f"));
	CHECK_EQ(write(fd, "gone", 4), 4);
	CHECK_OK(fsync(fd));
	close(fd);
	return 0;
}

static int fsync_fifo_einval(void)
{
	int fd;

	CHECK_OK(mkfifo("p", 0644));
	CHECK_SET(fd, open("p", O_RDONLY | O_NONBLOCK));
	CHECK_ERR(fsync(fd), EINVAL);
	close(fd);
	return 0;
}

const struct fsc_check fsc_checks_misc[] = {
	{"lock/fcntl-conflict-and-getlk", lock_fcntl_conflict},
	{"lock/fcntl-shared-read", lock_fcntl_shared},
	{"lock/fcntl-byte-ranges", lock_fcntl_ranges},
	{"lock/fcntl-any-close-releases", lock_fcntl_any_close_releases},
	{"lock/fcntl-released-on-exit", lock_fcntl_released_on_exit},
	{"lock/fcntl-setlkw-waits", lock_fcntl_setlkw_waits},
	{"lock/fcntl-edeadlk", lock_fcntl_deadlock},
	{"lock/fcntl-type-needs-access-mode", lock_fcntl_type_needs_mode},
	{"lock/ofd", lock_ofd},
	{"lock/flock-conflict", lock_flock_conflict},
	{"lock/flock-shared-and-upgrade", lock_flock_shared_and_upgrade},
	{"lock/flock-fcntl-independent", lock_flock_fcntl_independent},
	{"xattr/set-get-list-remove", xattr_set_get_list_remove},
	{"xattr/create-replace-flags", xattr_flags},
	{"xattr/sizes-and-erange", xattr_sizes},
	{"xattr/many", xattr_many},
	{"xattr/name-errors", xattr_names},
	{"xattr/binary-value", xattr_binary_value},
	{"xattr/dir-symlink-fifo", xattr_dir_symlink_fifo},
	{"xattr/trusted-as-root", xattr_trusted_as_root},
	{"xattr/fd-calls", xattr_fd_calls},
	{"xattr/survives-rename-and-link", xattr_survives_rename_and_link},
	{"xattr/changes-ctime", xattr_changes_ctime},
	{"readdir/1000-each-once", readdir_each_once},
	{"readdir/while-deleting", readdir_while_deleting},
	{"readdir/while-deleting-in-batches", readdir_while_deleting_batches},
	{"readdir/while-creating", readdir_while_creating},
	{"readdir/small-getdents-buffer", readdir_small_getdents_buffer},
	{"readdir/d_type-and-d_ino", readdir_types_and_inodes},
	{"readdir/telldir-seekdir-rewind", readdir_rewind_and_seek},
	{"readdir/255-byte-names", readdir_long_names},
	{"readdir/dot-entries", readdir_dot_entries},
	{"statfs/basic", statfs_basic},
	{"statfs/sees-space-used", statfs_sees_space_used},
	{"statfs/errors", statfs_errors},
	{"fsync/file-dir-readonly-syncfs", fsync_family},
	{"fsync/after-unlink", fsync_after_unlink},
	{"fsync/fifo-einval", fsync_fifo_einval},
	{NULL, NULL},
};

/*
 * Creating names: open(O_CREAT) and its flags, mkdir, mkfifo, mknod,
 * symlink/readlink, unix sockets.
 */
#include "fsconform.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <signal.h>
#include <sys/wait.h>

/* ---- open / creat ---- */

static int open_creat_mode(void)
{
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_WRONLY, 0640));
	close(fd);
	CHECK_MODE("f", 0640);
	umask(077);
	CHECK_SET(fd, open("g", O_CREAT | O_WRONLY, 0666));
	close(fd);
	CHECK_MODE("g", 0600);
	umask(0);
	CHECK_SET(fd, open("h", O_CREAT | O_WRONLY, 0777));
	close(fd);
	CHECK_MODE("h", 0777);
	return 0;
}

static int open_creat_owner_root(void)
{
	struct stat st;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_uid, 0);
	CHECK_EQ(st.st_gid, getegid());
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_nlink, 1);
	return 0;
}

static int open_creat_times(void)
{
	struct stat before, after, file;

	CHECK_OK(stat(".", &before));
	fsc_tick();
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(stat(".", &after));
	CHECK_OK(stat("f", &file));
	CHECK(fsc_ts_after(after.st_mtim, before.st_mtim));
	CHECK(fsc_ts_after(after.st_ctim, before.st_ctim));
	CHECK(!fsc_ts_after(before.st_mtim, file.st_mtim));
	CHECK_EQ(file.st_mtim.tv_sec, file.st_ctim.tv_sec);
	CHECK_EQ(file.st_mtim.tv_nsec, file.st_ctim.tv_nsec);
	return 0;
}

static int open_creat_existing_keeps_content(void)
{
	int fd;

	CHECK_OK(fsc_write_file("f", "hello", 0644));
	CHECK_SET(fd, open("f", O_CREAT | O_WRONLY, 0600));
	close(fd);
	CHECK(fsc_file_is("f", "hello"));
	CHECK_MODE("f", 0644);
	return 0;
}

static int open_enoent(void)
{
	CHECK_ERR(open("missing", O_RDONLY), ENOENT);
	CHECK_ERR(open("missing", O_WRONLY), ENOENT);
	CHECK_ERR(open("missing/f", O_RDONLY | O_CREAT, 0644), ENOENT);
	CHECK_ERR(open("", O_RDONLY), ENOENT);
	return 0;
}

static int open_enotdir(void)
{
	CHECK_OK(fsc_touch("f"));
	CHECK_ERR(open("f/x", O_RDONLY), ENOTDIR);
	CHECK_ERR(open("f/x", O_CREAT | O_WRONLY, 0644), ENOTDIR);
	CHECK_ERR(open("f/", O_RDONLY), ENOTDIR);
	return 0;
}

static int open_excl(void)
{
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_EXCL | O_WRONLY, 0644));
	close(fd);
	CHECK_ERR(open("f", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	CHECK_OK(mkdir("d", 0755));
	CHECK_ERR(open("d", O_CREAT | O_EXCL | O_RDONLY, 0644), EEXIST);
	return 0;
}

static int open_excl_dangling_symlink(void)
{
	CHECK_OK(symlink("target", "link"));
	CHECK_ERR(open("link", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	CHECK_ERR(access("target", F_OK), ENOENT);
	return 0;
}

static int open_creat_through_dangling_symlink(void)
{
	int fd;

	CHECK_OK(symlink("target", "link"));
	CHECK_SET(fd, open("link", O_CREAT | O_WRONLY, 0644));
	CHECK_EQ(write(fd, "x", 1), 1);
	close(fd);
	CHECK(fsc_file_is("target", "x"));
	return 0;
}

static int open_eisdir(void)
{
	int fd;

	CHECK_OK(mkdir("d", 0755));
	CHECK_ERR(open("d", O_WRONLY), EISDIR);
	CHECK_ERR(open("d", O_RDWR), EISDIR);
	CHECK_ERR(open("d", O_RDONLY | O_TRUNC), EISDIR);
	CHECK_ERR(open("d", O_CREAT | O_WRONLY, 0644), EISDIR);
	CHECK_SET(fd, open("d", O_RDONLY));
	close(fd);
	return 0;
}

static int open_directory_flag(void)
{
	int fd;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(symlink("d", "ld"));
	CHECK_ERR(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_SET(fd, open("d", O_RDONLY | O_DIRECTORY));
	close(fd);
	CHECK_SET(fd, open("ld", O_RDONLY | O_DIRECTORY));
	close(fd);
	/* Linux checks the type before refusing the link: ENOTDIR, not ELOOP. */
	CHECK_ERR(open("ld", O_RDONLY | O_DIRECTORY | O_NOFOLLOW), ENOTDIR);
	return 0;
}

static int open_nofollow(void)
{
	int fd;
	struct stat st;

	CHECK_OK(fsc_write_file("f", "data", 0644));
	CHECK_OK(symlink("f", "link"));
	CHECK_ERR(open("link", O_RDONLY | O_NOFOLLOW), ELOOP);
	CHECK_ERR(open("link", O_WRONLY | O_NOFOLLOW), ELOOP);
	CHECK_SET(fd, open("f", O_RDONLY | O_NOFOLLOW));
	close(fd);
	CHECK_SET(fd, open("link", O_PATH | O_NOFOLLOW));
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISLNK(st.st_mode));
	close(fd);
	return 0;
}

static int open_trunc(void)
{
	int fd;
	struct stat st;
	struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};

	CHECK_OK(fsc_write_file("f", "some content", 0644));
	CHECK_OK(utimensat(AT_FDCWD, "f", old, 0));
	CHECK_SET(fd, open("f", O_WRONLY | O_TRUNC));
	CHECK_OK(fstat(fd, &st));
	close(fd);
	CHECK_EQ(st.st_size, 0);
	CHECK(st.st_mtim.tv_sec > 1000000000);
	CHECK(st.st_ctim.tv_sec > 1000000000);
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_size, 0);
	return 0;
}

static int open_trunc_empty_keeps_mtime(void)
{
	int fd;
	struct stat st;
	struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};

	/* Linux: O_TRUNC on an already empty file still updates times on ext4. */
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(utimensat(AT_FDCWD, "f", old, 0));
	CHECK_SET(fd, open("f", O_RDWR | O_TRUNC));
	close(fd);
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_size, 0);
	CHECK(st.st_mtim.tv_sec > 1000000000);
	return 0;
}

static int open_append(void)
{
	int fd;
	char buf[64];

	CHECK_OK(fsc_write_file("f", "abc", 0644));
	CHECK_SET(fd, open("f", O_WRONLY | O_APPEND));
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(write(fd, "def", 3), 3);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 6);
	/* Linux: pwrite on an O_APPEND descriptor appends regardless of offset. */
	CHECK_EQ(pwrite(fd, "gh", 2, 0), 2);
	close(fd);
	CHECK(fsc_read_file("f", buf, sizeof(buf)) == 8);
	CHECK(strcmp(buf, "abcdefgh") == 0);
	return 0;
}

static int open_append_two_processes(void)
{
	enum { RECORDS = 500, LEN = 64 };
	pid_t pids[2];
	struct stat st;
	char rec[LEN];
	int fd;

	CHECK_OK(fsc_touch("f"));
	for (int p = 0; p < 2; p++) {
		pids[p] = fsc_fork();
		if (pids[p] == 0) {
			char line[LEN];
			int wfd;

			CHECK_SET(wfd, open("f", O_WRONLY | O_APPEND));
			memset(line, 'a' + p, LEN - 1);
			line[LEN - 1] = '\n';
			for (int i = 0; i < RECORDS; i++)
				CHECK_EQ(write(wfd, line, LEN), LEN);
			close(wfd);
			_exit(0);
		}
	}
	CHECK_CHILD(pids[0]);
	CHECK_CHILD(pids[1]);
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_size, 2 * RECORDS * LEN);
	CHECK_SET(fd, open("f", O_RDONLY));
	int counts[2] = {0, 0};
	for (int i = 0; i < 2 * RECORDS; i++) {
		CHECK_EQ(read(fd, rec, LEN), LEN);
		CHECKF(rec[0] == 'a' || rec[0] == 'b', "record %d interleaved", i);
		for (int j = 1; j < LEN - 1; j++)
			CHECKF(rec[j] == rec[0], "record %d interleaved", i);
		CHECK(rec[LEN - 1] == '\n');
		counts[rec[0] - 'a']++;
	}
	close(fd);
	CHECK_EQ(counts[0], RECORDS);
	CHECK_EQ(counts[1], RECORDS);
	return 0;
}

static int open_enametoolong(void)
{
	char name[300];
	int fd;

	snprintf(name, sizeof(name), "%s", fsc_repeat('a', 255));
	CHECK_SET(fd, open(name, O_CREAT | O_WRONLY, 0644));
	close(fd);
	CHECK_OK(unlink(name));
	snprintf(name, sizeof(name), "%s", fsc_repeat('a', 256));
	CHECK_ERR(open(name, O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
	CHECK_ERR(open(name, O_RDONLY), ENAMETOOLONG);
	return 0;
}

static int open_path_too_long(void)
{
	static char path[PATH_MAX + 16];
	size_t len = 0;

	while (len + 3 < sizeof(path) - 1) {
		memcpy(path + len, "a/", 2);
		len += 2;
	}
	path[len] = '\0';
	CHECK_ERR(open(path, O_RDONLY), ENAMETOOLONG);
	CHECK_ERR(mkdir(path, 0755), ENAMETOOLONG);
	return 0;
}

static int open_eloop(void)
{
	CHECK_OK(symlink("b", "a"));
	CHECK_OK(symlink("a", "b"));
	CHECK_ERR(open("a", O_RDONLY), ELOOP);
	CHECK_ERR(open("a/x", O_RDONLY), ELOOP);
	CHECK_ERR(open("a", O_CREAT | O_WRONLY, 0644), ELOOP);
	CHECK_OK(symlink("self", "self"));
	CHECK_ERR(stat("self", &(struct stat){0}), ELOOP);
	return 0;
}

static int open_fifo_nonblock_enxio(void)
{
	int fd;

	CHECK_OK(mkfifo("p", 0644));
	CHECK_ERR(open("p", O_WRONLY | O_NONBLOCK), ENXIO);
	CHECK_SET(fd, open("p", O_RDONLY | O_NONBLOCK));
	close(fd);
	return 0;
}

static int open_etxtbsy(void)
{
	int in, out, pfd[2];
	char buf[65536];
	ssize_t n;
	pid_t pid;

	CHECK_SET(in, open("/bin/sleep", O_RDONLY));
	CHECK_SET(out, open("prog", O_CREAT | O_WRONLY, 0755));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		CHECK_EQ(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	CHECK_OK(pipe(pfd));
	pid = fsc_fork();
	if (pid == 0) {
		close(pfd[0]);
		fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
		execl("./prog", "prog", "5", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	/* The pipe closes on a successful exec. */
	CHECK_EQ(read(pfd[0], buf, 1), 0);
	close(pfd[0]);
	errno = 0;
	int fd = open("prog", O_WRONLY);
	int err = errno;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (fd >= 0)
		close(fd);
	CHECKF(fd < 0 && err == ETXTBSY, "open of running program for writing: %s",
	       fd < 0 ? fsc_errname(err) : "succeeded");
	return 0;
}

static int open_exec_written_program(void)
{
	int in, out;
	char buf[65536];
	ssize_t n;
	pid_t pid;

	CHECK_SET(in, open("/bin/true", O_RDONLY));
	CHECK_SET(out, open("prog", O_CREAT | O_WRONLY, 0755));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		CHECK_EQ(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	pid = fsc_fork();
	if (pid == 0) {
		execl("./prog", "prog", (char *)NULL);
		_exit(127);
	}
	CHECK_CHILD(pid);
	CHECK_OK(chmod("prog", 0644));
	pid = fsc_fork();
	if (pid == 0) {
		execl("./prog", "prog", (char *)NULL);
		_exit(errno == EACCES ? 42 : 43);
	}
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 42,
	       "exec of a 0644 file did not fail with EACCES (status %d)", status);
	return 0;
}

static int open_rdonly_nowrite(void)
{
	int fd;
	char c;

	CHECK_OK(fsc_write_file("f", "x", 0644));
	CHECK_SET(fd, open("f", O_RDONLY));
	CHECK_ERR(write(fd, "y", 1), EBADF);
	close(fd);
	CHECK_SET(fd, open("f", O_WRONLY));
	CHECK_ERR(read(fd, &c, 1), EBADF);
	close(fd);
	return 0;
}

static int open_special_names(void)
{
	const char *names[] = {"with space",  "new\nline",   "tab\there", "caf\xc3\xa9",
			       "\xff\xfe",    "back\\slash", "...",       "-dash",
			       "a:b*c?d\"e", ".hidden",     "UPPER",     "upper"};
	size_t n = sizeof(names) / sizeof(names[0]);

	for (size_t i = 0; i < n; i++)
		CHECK_OK(fsc_write_file(names[i], names[i], 0644));
	CHECK_EQ(fsc_count_entries("."), n);
	for (size_t i = 0; i < n; i++)
		CHECKF(fsc_file_is(names[i], names[i]), "content of '%s'", names[i]);
	return 0;
}

/* ---- mkdir ---- */

static int mkdir_basic(void)
{
	struct stat st, parent_before, parent_after;

	CHECK_OK(stat(".", &parent_before));
	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(stat("d", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0755);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(st.st_uid, 0);
	CHECK_OK(stat(".", &parent_after));
	CHECK_EQ(parent_after.st_nlink, parent_before.st_nlink + 1);
	CHECK_EQ(fsc_count_entries("d"), 0);
	return 0;
}

static int mkdir_umask(void)
{
	umask(027);
	CHECK_OK(mkdir("d", 0777));
	CHECK_MODE("d", 0750);
	umask(0);
	CHECK_OK(mkdir("e", 01777));
	CHECK_MODE("e", 01777);
	return 0;
}

static int mkdir_eexist(void)
{
	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(symlink("nowhere", "dangling"));
	CHECK_OK(mkfifo("p", 0644));
	CHECK_ERR(mkdir("d", 0755), EEXIST);
	CHECK_ERR(mkdir("f", 0755), EEXIST);
	CHECK_ERR(mkdir("dangling", 0755), EEXIST);
	CHECK_ERR(mkdir("p", 0755), EEXIST);
	CHECK_ERR(mkdir(".", 0755), EEXIST);
	CHECK_ERR(mkdir("..", 0755), EEXIST);
	return 0;
}

static int mkdir_enoent_enotdir(void)
{
	CHECK_OK(fsc_touch("f"));
	CHECK_ERR(mkdir("missing/d", 0755), ENOENT);
	CHECK_ERR(mkdir("f/d", 0755), ENOTDIR);
	return 0;
}

static int mkdir_trailing_slash(void)
{
	struct stat st;

	CHECK_OK(mkdir("d/", 0755));
	CHECK_OK(stat("d", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_OK(mkdir("d/e//", 0755));
	CHECK_OK(stat("d/e/.", &st));
	return 0;
}

static int mkdir_enametoolong(void)
{
	CHECK_OK(mkdir(fsc_repeat('d', 255), 0755));
	CHECK_ERR(mkdir(fsc_repeat('d', 256), 0755), ENAMETOOLONG);
	return 0;
}

static int mkdir_deep(void)
{
	int fd, next;
	struct stat st;

	/* 200 levels: a path longer than PATH_MAX, reached with *at() calls. */
	CHECK_SET(fd, open(".", O_RDONLY | O_DIRECTORY));
	for (int i = 0; i < 200; i++) {
		const char *name = fsc_repeat('n', 30);
		CHECK_OK(mkdirat(fd, name, 0755));
		CHECK_SET(next, openat(fd, name, O_RDONLY | O_DIRECTORY));
		close(fd);
		fd = next;
	}
	CHECK_SET(next, openat(fd, "leaf", O_CREAT | O_WRONLY, 0644));
	CHECK_EQ(write(next, "deep", 4), 4);
	close(next);
	CHECK_OK(fstatat(fd, "leaf", &st, 0));
	CHECK_EQ(st.st_size, 4);
	close(fd);
	return 0;
}

/* ---- mkfifo / mknod / sockets ---- */

static int mkfifo_basic(void)
{
	struct stat st;

	CHECK_OK(mkfifo("p", 0640));
	CHECK_OK(lstat("p", &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0640);
	CHECK_EQ(st.st_size, 0);
	CHECK_ERR(mkfifo("p", 0644), EEXIST);
	CHECK_ERR(mkfifo("missing/p", 0644), ENOENT);
	CHECK_OK(fsc_touch("f"));
	CHECK_ERR(mkfifo("f/p", 0644), ENOTDIR);
	CHECK_ERR(mkfifo(fsc_repeat('p', 256), 0644), ENAMETOOLONG);
	return 0;
}

static int mkfifo_io(void)
{
	pid_t pid;
	int fd;
	char buf[16] = {0};

	CHECK_OK(mkfifo("p", 0644));
	pid = fsc_fork();
	if (pid == 0) {
		int wfd;
		CHECK_SET(wfd, open("p", O_WRONLY));
		CHECK_EQ(write(wfd, "through", 7), 7);
		close(wfd);
		_exit(0);
	}
	CHECK_SET(fd, open("p", O_RDONLY));
	CHECK_EQ(read(fd, buf, sizeof(buf) - 1), 7);
	CHECK(strcmp(buf, "through") == 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	CHECK_CHILD(pid);
	return 0;
}

static int mknod_chr(void)
{
	struct stat st;

	/* The umask (022) applies to device nodes too. */
	CHECK_OK(mknod("c", S_IFCHR | 0666, makedev(1, 3)));
	CHECK_OK(lstat("c", &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_EQ(major(st.st_rdev), 1);
	CHECK_EQ(minor(st.st_rdev), 3);
	CHECK_ERR(mknod("c", S_IFCHR | 0620, makedev(1, 3)), EEXIST);
	return 0;
}

static int mknod_blk(void)
{
	struct stat st;

	CHECK_OK(mknod("b", S_IFBLK | 0600, makedev(7, 200)));
	CHECK_OK(lstat("b", &st));
	CHECK(S_ISBLK(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 7);
	CHECK_EQ(minor(st.st_rdev), 200);
	return 0;
}

static int mknod_large_dev(void)
{
	struct stat st;

	CHECK_OK(mknod("c", S_IFCHR | 0600, makedev(4000, 300000)));
	CHECK_OK(lstat("c", &st));
	CHECK_EQ(major(st.st_rdev), 4000);
	CHECK_EQ(minor(st.st_rdev), 300000);
	return 0;
}

static int mknod_reg_fifo_sock(void)
{
	struct stat st;

	CHECK_OK(mknod("r", S_IFREG | 0604, 0));
	CHECK_OK(lstat("r", &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0604);
	CHECK_OK(mknod("p", S_IFIFO | 0600, 0));
	CHECK_OK(lstat("p", &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_OK(mknod("s", S_IFSOCK | 0600, 0));
	CHECK_OK(lstat("s", &st));
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_ERR(mknod("d", S_IFDIR | 0755, 0), EPERM);
	return 0;
}

static int mknod_nonroot_eperm(void)
{
	pid_t pid;

	CHECK_OK(chmod(".", 0777));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_ERR(mknod("c", S_IFCHR | 0600, makedev(1, 3)), EPERM);
		CHECK_ERR(mknod("b", S_IFBLK | 0600, makedev(7, 0)), EPERM);
		CHECK_OK(mknod("p", S_IFIFO | 0600, 0));
		CHECK_OK(mknod("r", S_IFREG | 0600, 0));
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

static int unix_socket_bind_connect(void)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int srv, cli, conn;
	struct stat st;
	char buf[8] = {0};

	CHECK_SET(srv, socket(AF_UNIX, SOCK_STREAM, 0));
	snprintf(addr.sun_path, sizeof(addr.sun_path), "sock");
	CHECK_OK(bind(srv, (struct sockaddr *)&addr, sizeof(addr)));
	CHECK_OK(listen(srv, 1));
	CHECK_OK(lstat("sock", &st));
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_SET(cli, socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(cli, (struct sockaddr *)&addr, sizeof(addr)));
	CHECK_SET(conn, accept(srv, NULL, NULL));
	CHECK_EQ(write(cli, "ping", 4), 4);
	CHECK_EQ(read(conn, buf, sizeof(buf)), 4);
	CHECK(strcmp(buf, "ping") == 0);
	close(conn);
	close(cli);
	CHECK_SET(cli, socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERR(bind(cli, (struct sockaddr *)&addr, sizeof(addr)), EADDRINUSE);
	close(cli);
	close(srv);
	CHECK_OK(unlink("sock"));
	return 0;
}

/* ---- symlink / readlink ---- */

static int symlink_basic(void)
{
	struct stat st;
	char buf[64];

	CHECK_OK(fsc_write_file("f", "target content", 0600));
	CHECK_OK(symlink("f", "link"));
	CHECK_OK(lstat("link", &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0777);
	CHECK_EQ(st.st_size, 1);
	CHECK_EQ(readlink("link", buf, sizeof(buf)), 1);
	CHECK(buf[0] == 'f');
	CHECK(fsc_file_is("link", "target content"));
	CHECK_OK(stat("link", &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0600);
	return 0;
}

static int symlink_errors(void)
{
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(symlink("x", "link"));
	CHECK_ERR(symlink("y", "link"), EEXIST);
	CHECK_ERR(symlink("y", "f"), EEXIST);
	CHECK_ERR(symlink("y", "missing/link"), ENOENT);
	CHECK_ERR(symlink("y", "f/link"), ENOTDIR);
	CHECK_ERR(symlink("", "empty"), ENOENT);
	CHECK_ERR(symlink("y", fsc_repeat('l', 256)), ENAMETOOLONG);
	return 0;
}

static int symlink_long_target(void)
{
	static char target[PATH_MAX + 8], got[PATH_MAX + 8];
	const size_t lens[] = {60, 61, 255, 256, 1000, 4000, PATH_MAX - 1};
	struct stat st;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char name[32];
		size_t len = lens[i];

		for (size_t j = 0; j < len; j++)
			target[j] = (j % 16 == 15) ? '/' : (char)('a' + j % 26);
		target[len] = '\0';
		snprintf(name, sizeof(name), "l%zu", len);
		CHECK_OK(symlink(target, name));
		CHECK_OK(lstat(name, &st));
		CHECK_EQ(st.st_size, len);
		CHECK_EQ(readlink(name, got, sizeof(got)), len);
		CHECKF(memcmp(got, target, len) == 0, "readlink of %zu-byte target differs", len);
	}
	target[PATH_MAX] = '\0';
	memset(target, 'z', PATH_MAX);
	CHECK_ERR(symlink(target, "toolong"), ENAMETOOLONG);
	return 0;
}

static int readlink_errors(void)
{
	char buf[16];

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(mkdir("d", 0755));
	CHECK_ERR(readlink("f", buf, sizeof(buf)), EINVAL);
	CHECK_ERR(readlink("d", buf, sizeof(buf)), EINVAL);
	CHECK_ERR(readlink("missing", buf, sizeof(buf)), ENOENT);
	CHECK_ERR(readlink("f/x", buf, sizeof(buf)), ENOTDIR);
	return 0;
}

static int readlink_truncates(void)
{
	char buf[8];

	CHECK_OK(symlink("abcdefghijkl", "link"));
	memset(buf, '#', sizeof(buf));
	CHECK_EQ(readlink("link", buf, 4), 4);
	CHECK(memcmp(buf, "abcd#", 5) == 0);
	return 0;
}

static int symlink_relative_resolution(void)
{
	CHECK_OK(mkdir("a", 0755));
	CHECK_OK(mkdir("a/b", 0755));
	CHECK_OK(fsc_write_file("a/f", "in a", 0644));
	CHECK_OK(symlink("../f", "a/b/up"));
	CHECK_OK(symlink("b/up", "a/chain"));
	CHECK(fsc_file_is("a/b/up", "in a"));
	CHECK(fsc_file_is("a/chain", "in a"));
	CHECK_OK(symlink("a/b", "dirlink"));
	CHECK(fsc_file_is("dirlink/up", "in a"));
	CHECK_OK(chdir("dirlink/.."));
	CHECK(fsc_file_is("f", "in a"));
	return 0;
}

static int symlink_chain_limit(void)
{
	char name[16], target[16];

	/* Linux follows at most 40 links in one lookup. */
	CHECK_OK(fsc_write_file("l0", "end", 0644));
	for (int i = 1; i <= 41; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		snprintf(target, sizeof(target), "l%d", i - 1);
		CHECK_OK(symlink(target, name));
	}
	CHECK(fsc_file_is("l40", "end"));
	CHECK_ERR(open("l41", O_RDONLY), ELOOP);
	return 0;
}

static int symlink_absolute(void)
{
	char cwd[PATH_MAX], target[PATH_MAX + 8];

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK_OK(fsc_write_file("f", "abs", 0644));
	snprintf(target, sizeof(target), "%s/f", cwd);
	CHECK_OK(symlink(target, "link"));
	CHECK(fsc_file_is("link", "abs"));
	return 0;
}

static int symlink_trailing_slash(void)
{
	struct stat st;

	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(symlink("d", "ld"));
	CHECK_OK(lstat("ld/", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(symlink("f", "lf"));
	CHECK_ERR(lstat("lf/", &st), ENOTDIR);
	return 0;
}

const struct fsc_check fsc_checks_create[] = {
	{"open/creat-mode-umask", open_creat_mode},
	{"open/creat-owner-and-type", open_creat_owner_root},
	{"open/creat-updates-parent-times", open_creat_times},
	{"open/creat-existing-keeps-content", open_creat_existing_keeps_content},
	{"open/enoent", open_enoent},
	{"open/enotdir", open_enotdir},
	{"open/o-excl", open_excl},
	{"open/o-excl-dangling-symlink", open_excl_dangling_symlink},
	{"open/creat-through-dangling-symlink", open_creat_through_dangling_symlink},
	{"open/eisdir", open_eisdir},
	{"open/o-directory", open_directory_flag},
	{"open/o-nofollow", open_nofollow},
	{"open/o-trunc", open_trunc},
	{"open/o-trunc-empty-updates-mtime", open_trunc_empty_keeps_mtime},
	{"open/o-append", open_append},
	{"open/o-append-two-processes", open_append_two_processes},
	{"open/enametoolong", open_enametoolong},
	{"open/path-too-long", open_path_too_long},
	{"open/eloop", open_eloop},
	{"open/fifo-nonblock-enxio", open_fifo_nonblock_enxio},
	{"open/etxtbsy", open_etxtbsy},
	{"open/exec-written-program", open_exec_written_program},
	{"open/access-mode-enforced", open_rdonly_nowrite},
	{"open/special-names", open_special_names},
	{"mkdir/basic-nlink", mkdir_basic},
	{"mkdir/umask", mkdir_umask},
	{"mkdir/eexist", mkdir_eexist},
	{"mkdir/enoent-enotdir", mkdir_enoent_enotdir},
	{"mkdir/trailing-slash", mkdir_trailing_slash},
	{"mkdir/enametoolong", mkdir_enametoolong},
	{"mkdir/deep-beyond-path-max", mkdir_deep},
	{"mkfifo/basic-and-errors", mkfifo_basic},
	{"mkfifo/io-between-processes", mkfifo_io},
	{"mknod/char-device", mknod_chr},
	{"mknod/block-device", mknod_blk},
	{"mknod/large-device-numbers", mknod_large_dev},
	{"mknod/reg-fifo-sock", mknod_reg_fifo_sock},
	{"mknod/nonroot-device-eperm", mknod_nonroot_eperm},
	{"socket/unix-bind-connect", unix_socket_bind_connect},
	{"symlink/basic", symlink_basic},
	{"symlink/errors", symlink_errors},
	{"symlink/long-targets", symlink_long_target},
	{"readlink/errors", readlink_errors},
	{"readlink/truncates-to-buffer", readlink_truncates},
	{"symlink/relative-resolution", symlink_relative_resolution},
	{"symlink/chain-limit-40", symlink_chain_limit},
	{"symlink/absolute-target", symlink_absolute},
	{"symlink/trailing-slash", symlink_trailing_slash},
	{NULL, NULL},
};

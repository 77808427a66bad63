/*
 * Changing names: link, unlink, rmdir, rename and renameat2 flags,
 * hard-link counts, open files that lose their name.
 */
#include "fsconform.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <sys/syscall.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* renameat2 through the syscall, so it does not depend on the libc wrapper. */
static int rename2(const char *from, const char *to, unsigned flags)
{
	return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags);
}

static nlink_t nlink_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return (nlink_t)-1;
	return st.st_nlink;
}

static ino_t ino_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return 0;
	return st.st_ino;
}

/* ---- link ---- */

static int link_basic(void)
{
	struct stat a, b;

	CHECK_OK(fsc_write_file("f", "shared", 0644));
	CHECK_OK(link("f", "g"));
	CHECK_OK(stat("f", &a));
	CHECK_OK(stat("g", &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_dev, b.st_dev);
	CHECK_EQ(a.st_nlink, 2);
	CHECK_EQ(b.st_nlink, 2);
	CHECK(fsc_file_is("g", "shared"));
	CHECK_OK(fsc_write_file("g", "changed", 0644));
	CHECK(fsc_file_is("f", "changed"));
	return 0;
}

static int link_ctime(void)
{
	struct stat before, after, dir_before, dir_after;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(stat("f", &before));
	CHECK_OK(stat(".", &dir_before));
	fsc_tick();
	CHECK_OK(link("f", "g"));
	CHECK_OK(stat("f", &after));
	CHECK_OK(stat(".", &dir_after));
	CHECK(fsc_ts_after(after.st_ctim, before.st_ctim));
	CHECK(fsc_ts_after(dir_after.st_mtim, dir_before.st_mtim));
	CHECK(fsc_ts_after(dir_after.st_ctim, dir_before.st_ctim));
	CHECK_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	CHECK_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	return 0;
}

static int link_errors(void)
{
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(fsc_touch("g"));
	CHECK_OK(mkdir("d", 0755));
	CHECK_ERR(link("f", "g"), EEXIST);
	CHECK_ERR(link("f", "d"), EEXIST);
	CHECK_ERR(link("missing", "h"), ENOENT);
	CHECK_ERR(link("f", "missing/h"), ENOENT);
	CHECK_ERR(link("f/x", "h"), ENOTDIR);
	CHECK_ERR(link("f", "g/h"), ENOTDIR);
	CHECK_ERR(link("d", "d2"), EPERM);
	CHECK_ERR(link("f", fsc_repeat('h', 256)), ENAMETOOLONG);
	return 0;
}

static int link_many(void)
{
	char name[32];
	struct stat st;

	CHECK_OK(fsc_touch("f"));
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		CHECK_OK(link("f", name));
	}
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_nlink, 201);
	for (int i = 0; i < 200; i += 2) {
		snprintf(name, sizeof(name), "l%d", i);
		CHECK_OK(unlink(name));
	}
	CHECK_EQ(nlink_of("f"), 101);
	CHECK_EQ(nlink_of("l1"), 101);
	return 0;
}

static int link_symlink_not_followed(void)
{
	struct stat st;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(symlink("f", "sl"));
	CHECK_OK(link("sl", "hl"));
	CHECK_OK(lstat("hl", &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(nlink_of("f"), 1);
	CHECK_OK(linkat(AT_FDCWD, "sl", AT_FDCWD, "hf", AT_SYMLINK_FOLLOW));
	CHECK_OK(lstat("hf", &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(nlink_of("f"), 2);
	return 0;
}

static int link_special_files(void)
{
	CHECK_OK(mkfifo("p", 0644));
	CHECK_OK(link("p", "p2"));
	CHECK_EQ(nlink_of("p"), 2);
	CHECK_OK(mknod("c", S_IFCHR | 0600, 0x0103));
	CHECK_OK(link("c", "c2"));
	CHECK_EQ(nlink_of("c2"), 2);
	return 0;
}

static int link_open_fd_via_proc(void)
{
	int fd;
	char path[64];

	/* linkat(AT_SYMLINK_FOLLOW) on /proc/self/fd revives an unlinked file. */
	CHECK_OK(fsc_write_file("f", "revived", 0644));
	CHECK_SET(fd, open("f", O_RDONLY));
	CHECK_OK(link("f", "keep"));
	CHECK_OK(unlink("keep"));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	CHECK_OK(linkat(AT_FDCWD, path, AT_FDCWD, "g", AT_SYMLINK_FOLLOW));
	close(fd);
	CHECK(fsc_file_is("g", "revived"));
	CHECK_EQ(nlink_of("f"), 2);
	return 0;
}

/* ---- unlink ---- */

static int unlink_basic(void)
{
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(link("f", "g"));
	CHECK_OK(unlink("f"));
	CHECK_ERR(access("f", F_OK), ENOENT);
	CHECK_EQ(nlink_of("g"), 1);
	CHECK_EQ(fsc_count_entries("."), 1);
	return 0;
}

static int unlink_errors(void)
{
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(mkdir("d", 0755));
	CHECK_ERR(unlink("missing"), ENOENT);
	CHECK_ERR(unlink("missing/f"), ENOENT);
	CHECK_ERR(unlink("f/x"), ENOTDIR);
	CHECK_ERR(unlink("d"), EISDIR);
	CHECK_ERR(unlink(fsc_repeat('u', 256)), ENAMETOOLONG);
	CHECK_ERR(unlink("f/"), ENOTDIR);
	return 0;
}

static int unlink_times(void)
{
	struct stat f_before, f_after, d_before, d_after;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(link("f", "g"));
	CHECK_OK(stat("f", &f_before));
	CHECK_OK(stat(".", &d_before));
	fsc_tick();
	CHECK_OK(unlink("g"));
	CHECK_OK(stat("f", &f_after));
	CHECK_OK(stat(".", &d_after));
	CHECK(fsc_ts_after(f_after.st_ctim, f_before.st_ctim));
	CHECK(fsc_ts_after(d_after.st_mtim, d_before.st_mtim));
	CHECK(fsc_ts_after(d_after.st_ctim, d_before.st_ctim));
	return 0;
}

static int unlink_open_file(void)
{
	int fd;
	struct stat st;
	char buf[32] = {0};

	CHECK_OK(fsc_write_file("f", "still here", 0644));
	CHECK_SET(fd, open("f", O_RDWR));
	CHECK_OK(unlink("f"));
	CHECK_ERR(access("f", F_OK), ENOENT);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_nlink, 0);
	CHECK_EQ(st.st_size, 10);
	CHECK_EQ(pread(fd, buf, sizeof(buf) - 1, 0), 10);
	CHECK(strcmp(buf, "still here") == 0);
	CHECK_EQ(pwrite(fd, " and more", 9, 10), 9);
	CHECK_OK(fsync(fd));
	CHECK_OK(ftruncate(fd, 4));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 4);
	CHECK_OK(fchmod(fd, 0600));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mode & 07777, 0600);
	close(fd);
	CHECK_EQ(fsc_count_entries("."), 0);
	/* A new file of the same name is a different file. */
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_size, 0);
	return 0;
}

static int unlink_open_file_two_fds(void)
{
	int a, b;
	char buf[8] = {0};

	CHECK_OK(fsc_write_file("f", "one", 0644));
	CHECK_SET(a, open("f", O_RDONLY));
	CHECK_SET(b, open("f", O_WRONLY));
	CHECK_OK(unlink("f"));
	CHECK_EQ(pwrite(b, "two", 3, 0), 3);
	close(b);
	CHECK_EQ(pread(a, buf, sizeof(buf) - 1, 0), 3);
	CHECK(strcmp(buf, "two") == 0);
	close(a);
	return 0;
}

static int unlink_symlink_only(void)
{
	CHECK_OK(fsc_write_file("f", "kept", 0644));
	CHECK_OK(symlink("f", "sl"));
	CHECK_OK(unlink("sl"));
	CHECK(fsc_file_is("f", "kept"));
	CHECK_OK(symlink("d", "sd"));
	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(unlink("sd"));
	CHECK_OK(access("d", F_OK));
	return 0;
}

static int unlink_fifo_socket_device(void)
{
	CHECK_OK(mkfifo("p", 0644));
	CHECK_OK(mknod("c", S_IFCHR | 0600, 0x0103));
	CHECK_OK(mknod("s", S_IFSOCK | 0600, 0));
	CHECK_OK(unlink("p"));
	CHECK_OK(unlink("c"));
	CHECK_OK(unlink("s"));
	CHECK_EQ(fsc_count_entries("."), 0);
	return 0;
}

/* ---- rmdir ---- */

static int rmdir_basic(void)
{
	nlink_t before;

	CHECK_OK(mkdir("d", 0755));
	before = nlink_of(".");
	CHECK_OK(rmdir("d"));
	CHECK_ERR(access("d", F_OK), ENOENT);
	CHECK_EQ(nlink_of("."), before - 1);
	return 0;
}

static int rmdir_errors(void)
{
	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(fsc_touch("d/f"));
	CHECK_OK(mkdir("e", 0755));
	CHECK_OK(mkdir("e/sub", 0755));
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(symlink("e", "sl"));
	CHECK_ERR(rmdir("d"), ENOTEMPTY);
	CHECK_ERR(rmdir("e"), ENOTEMPTY);
	CHECK_ERR(rmdir("f"), ENOTDIR);
	CHECK_ERR(rmdir("sl"), ENOTDIR);
	CHECK_ERR(rmdir("missing"), ENOENT);
	CHECK_ERR(rmdir("f/x"), ENOTDIR);
	CHECK_ERR(rmdir("e/sub/."), EINVAL);
	CHECK_ERR(rmdir("e/sub/.."), ENOTEMPTY);
	CHECK_ERR(rmdir(fsc_repeat('r', 256)), ENAMETOOLONG);
	CHECK_OK(rmdir("e/sub/"));
	return 0;
}

static int rmdir_hidden_file(void)
{
	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(fsc_touch("d/.hidden"));
	CHECK_ERR(rmdir("d"), ENOTEMPTY);
	CHECK_OK(unlink("d/.hidden"));
	CHECK_OK(rmdir("d"));
	return 0;
}

static int rmdir_open_dir(void)
{
	int fd;
	struct stat st;
	DIR *d;
	struct dirent *e;
	int entries = 0;

	CHECK_OK(mkdir("d", 0755));
	CHECK_SET(fd, open("d", O_RDONLY | O_DIRECTORY));
	CHECK_OK(rmdir("d"));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_nlink, 0);
	CHECK_ERR(openat(fd, "new", O_CREAT | O_WRONLY, 0644), ENOENT);
	CHECK_ERR(mkdirat(fd, "sub", 0755), ENOENT);
	d = fdopendir(fd);
	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL)
		entries++;
	closedir(d);
	CHECK(entries <= 2);
	return 0;
}

static int rmdir_cwd(void)
{
	char buf[PATH_MAX];
	struct stat st;
	struct dirent *e;
	int entries = 0;
	DIR *d;

	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(chdir("d"));
	CHECK_OK(rmdir("../d"));
	CHECK_ERR(getcwd(buf, sizeof(buf)) == NULL ? -1 : 0, ENOENT);
	CHECK_ERR(open("f", O_CREAT | O_WRONLY, 0644), ENOENT);
	CHECK_OK(stat(".", &st));
	CHECK_EQ(st.st_nlink, 0);
	/* ls in it: empty (or . and .. alone), not ESTALE. */
	d = opendir(".");
	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL)
		entries++;
	closedir(d);
	CHECK(entries <= 2);
	return 0;
}

/* ---- rename ---- */

static int rename_file(void)
{
	ino_t ino;
	struct stat st;

	CHECK_OK(fsc_write_file("a", "moved", 0640));
	ino = ino_of("a");
	CHECK_OK(rename("a", "b"));
	CHECK_ERR(access("a", F_OK), ENOENT);
	CHECK_EQ(ino_of("b"), ino);
	CHECK(fsc_file_is("b", "moved"));
	CHECK_OK(stat("b", &st));
	CHECK_EQ(st.st_mode & 07777, 0640);
	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(rename("b", "d/c"));
	CHECK_EQ(ino_of("d/c"), ino);
	CHECK_EQ(fsc_count_entries("."), 1);
	return 0;
}

static int rename_over_file(void)
{
	int fd;
	struct stat st;
	ino_t ino;

	CHECK_OK(fsc_write_file("a", "new", 0644));
	CHECK_OK(fsc_write_file("b", "old", 0644));
	ino = ino_of("a");
	CHECK_SET(fd, open("b", O_RDONLY));
	CHECK_OK(rename("a", "b"));
	CHECK_EQ(ino_of("b"), ino);
	CHECK(fsc_file_is("b", "new"));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_nlink, 0);
	close(fd);
	CHECK_EQ(fsc_count_entries("."), 1);
	return 0;
}

static int rename_over_open_file(void)
{
	int fd;
	char buf[64] = {0};

	CHECK_OK(fsc_write_file("config", "version 1\n", 0644));
	CHECK_SET(fd, open("config", O_RDONLY));
	CHECK_OK(fsc_write_file("config.tmp", "version 2, longer\n", 0644));
	CHECK_OK(rename("config.tmp", "config"));
	CHECK_EQ(read(fd, buf, sizeof(buf) - 1), 10);
	CHECK(strcmp(buf, "version 1\n") == 0);
	close(fd);
	CHECK(fsc_file_is("config", "version 2, longer\n"));
	return 0;
}

static int rename_over_hardlink_of_itself(void)
{
	/* POSIX: renaming onto another link of the same file does nothing. */
	CHECK_OK(fsc_touch("a"));
	CHECK_OK(link("a", "b"));
	CHECK_OK(rename("a", "b"));
	CHECK_OK(access("a", F_OK));
	CHECK_OK(access("b", F_OK));
	CHECK_EQ(nlink_of("a"), 2);
	CHECK_OK(rename("a", "a"));
	CHECK_OK(access("a", F_OK));
	return 0;
}

static int rename_hardlinked_nlink(void)
{
	CHECK_OK(fsc_touch("a"));
	CHECK_OK(link("a", "b"));
	CHECK_OK(fsc_touch("c"));
	CHECK_OK(rename("c", "b"));
	CHECK_EQ(nlink_of("a"), 1);
	CHECK_EQ(nlink_of("b"), 1);
	CHECK_OK(link("b", "d"));
	CHECK_OK(rename("a", "d"));
	CHECK_EQ(nlink_of("b"), 1);
	CHECK_EQ(nlink_of("d"), 1);
	return 0;
}

static int rename_dir(void)
{
	struct stat parent, moved;

	CHECK_OK(mkdir("a", 0755));
	CHECK_OK(fsc_touch("a/f"));
	CHECK_OK(mkdir("p", 0755));
	CHECK_OK(rename("a", "p/b"));
	CHECK_OK(access("p/b/f", F_OK));
	CHECK_ERR(access("a", F_OK), ENOENT);
	CHECK_OK(stat("p", &parent));
	CHECK_OK(stat("p/b/..", &moved));
	CHECK_EQ(moved.st_ino, parent.st_ino);
	CHECK_EQ(parent.st_nlink, 3);
	CHECK_EQ(nlink_of("."), 3);
	return 0;
}

static int rename_dir_over_empty_dir(void)
{
	ino_t ino;

	CHECK_OK(mkdir("a", 0755));
	CHECK_OK(fsc_touch("a/f"));
	CHECK_OK(mkdir("b", 0755));
	ino = ino_of("a");
	CHECK_OK(rename("a", "b"));
	CHECK_EQ(ino_of("b"), ino);
	CHECK_OK(access("b/f", F_OK));
	CHECK_EQ(nlink_of("."), 3);
	return 0;
}

static int rename_dir_errors(void)
{
	CHECK_OK(mkdir("a", 0755));
	CHECK_OK(mkdir("a/sub", 0755));
	CHECK_OK(mkdir("full", 0755));
	CHECK_OK(fsc_touch("full/x"));
	CHECK_OK(fsc_touch("f"));
	CHECK_ERR(rename("a", "full"), ENOTEMPTY);
	CHECK_ERR(rename("a", "f"), ENOTDIR);
	CHECK_ERR(rename("f", "a"), EISDIR);
	CHECK_ERR(rename("a", "a/sub/inside"), EINVAL);
	CHECK_ERR(rename("a", "a/inside"), EINVAL);
	CHECK_ERR(rename("a/sub/..", "b"), EBUSY);
	CHECK_ERR(rename("a/.", "b"), EBUSY);
	CHECK_ERR(rename("a", "a/sub/.."), EBUSY);
	CHECK_OK(access("a/sub", F_OK));
	return 0;
}

static int rename_errors(void)
{
	CHECK_OK(fsc_touch("f"));
	CHECK_ERR(rename("missing", "x"), ENOENT);
	CHECK_ERR(rename("f", "missing/x"), ENOENT);
	CHECK_ERR(rename("f/x", "y"), ENOTDIR);
	CHECK_ERR(rename("f", "f/x"), ENOTDIR);
	CHECK_ERR(rename("f/", "g"), ENOTDIR);
	CHECK_ERR(rename("f", "g/"), ENOTDIR);
	CHECK_ERR(rename("f", fsc_repeat('n', 256)), ENAMETOOLONG);
	CHECK_ERR(rename(fsc_repeat('n', 256), "g"), ENAMETOOLONG);
	CHECK_OK(access("f", F_OK));
	return 0;
}

static int rename_symlink(void)
{
	char buf[16] = {0};

	CHECK_OK(fsc_touch("target"));
	CHECK_OK(symlink("target", "l1"));
	CHECK_OK(rename("l1", "l2"));
	CHECK_EQ(readlink("l2", buf, sizeof(buf)), 6);
	CHECK(strcmp(buf, "target") == 0);
	CHECK_OK(access("target", F_OK));
	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(symlink("d", "ld"));
	CHECK_OK(fsc_touch("x"));
	/* Renaming onto a symlink to a directory replaces the link. */
	CHECK_OK(rename("x", "ld"));
	struct stat st;
	CHECK_OK(lstat("ld", &st));
	CHECK(S_ISREG(st.st_mode));
	return 0;
}

static int rename_times(void)
{
	struct stat f_before, f_after, src_before, src_after, dst_before, dst_after;

	CHECK_OK(mkdir("src", 0755));
	CHECK_OK(mkdir("dst", 0755));
	CHECK_OK(fsc_touch("src/f"));
	CHECK_OK(stat("src/f", &f_before));
	CHECK_OK(stat("src", &src_before));
	CHECK_OK(stat("dst", &dst_before));
	fsc_tick();
	CHECK_OK(rename("src/f", "dst/g"));
	CHECK_OK(stat("dst/g", &f_after));
	CHECK_OK(stat("src", &src_after));
	CHECK_OK(stat("dst", &dst_after));
	/* ext4 updates the ctime of the renamed inode. */
	CHECK(fsc_ts_after(f_after.st_ctim, f_before.st_ctim));
	CHECK_EQ(f_after.st_mtim.tv_nsec, f_before.st_mtim.tv_nsec);
	CHECK(fsc_ts_after(src_after.st_mtim, src_before.st_mtim));
	CHECK(fsc_ts_after(dst_after.st_mtim, dst_before.st_mtim));
	return 0;
}

static int rename_dir_nlink(void)
{
	CHECK_OK(mkdir("p1", 0755));
	CHECK_OK(mkdir("p2", 0755));
	CHECK_OK(mkdir("p1/a", 0755));
	CHECK_OK(mkdir("p1/b", 0755));
	CHECK_EQ(nlink_of("p1"), 4);
	CHECK_EQ(nlink_of("p2"), 2);
	CHECK_OK(rename("p1/a", "p2/a"));
	CHECK_EQ(nlink_of("p1"), 3);
	CHECK_EQ(nlink_of("p2"), 3);
	CHECK_OK(mkdir("p2/b", 0755));
	/* Replacing an empty directory in another parent. */
	CHECK_OK(rename("p1/b", "p2/b"));
	CHECK_EQ(nlink_of("p1"), 2);
	CHECK_EQ(nlink_of("p2"), 4);
	return 0;
}

static int rename_noreplace(void)
{
	CHECK_OK(fsc_write_file("a", "A", 0644));
	CHECK_OK(fsc_write_file("b", "B", 0644));
	CHECK_ERR(rename2("a", "b", RENAME_NOREPLACE), EEXIST);
	CHECK(fsc_file_is("a", "A"));
	CHECK(fsc_file_is("b", "B"));
	CHECK_OK(rename2("a", "c", RENAME_NOREPLACE));
	CHECK(fsc_file_is("c", "A"));
	CHECK_ERR(access("a", F_OK), ENOENT);
	CHECK_OK(mkdir("d", 0755));
	CHECK_ERR(rename2("c", "d", RENAME_NOREPLACE), EEXIST);
	CHECK_OK(symlink("nowhere", "dangling"));
	CHECK_ERR(rename2("c", "dangling", RENAME_NOREPLACE), EEXIST);
	return 0;
}

static int rename_exchange(void)
{
	ino_t a, b;

	CHECK_OK(fsc_write_file("a", "A", 0644));
	CHECK_OK(fsc_write_file("b", "B", 0644));
	a = ino_of("a");
	b = ino_of("b");
	CHECK_OK(rename2("a", "b", RENAME_EXCHANGE));
	CHECK(fsc_file_is("a", "B"));
	CHECK(fsc_file_is("b", "A"));
	CHECK_EQ(ino_of("a"), b);
	CHECK_EQ(ino_of("b"), a);
	CHECK_ERR(rename2("a", "missing", RENAME_EXCHANGE), ENOENT);
	CHECK_ERR(rename2("a", "b", RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL);
	return 0;
}

static int rename_exchange_dir_and_file(void)
{
	struct stat st;

	CHECK_OK(mkdir("p", 0755));
	CHECK_OK(mkdir("p/d", 0755));
	CHECK_OK(fsc_touch("p/d/inner"));
	CHECK_OK(mkdir("q", 0755));
	CHECK_OK(fsc_write_file("q/f", "file", 0644));
	CHECK_OK(rename2("p/d", "q/f", RENAME_EXCHANGE));
	CHECK_OK(lstat("p/d", &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK(fsc_file_is("p/d", "file"));
	CHECK_OK(access("q/f/inner", F_OK));
	CHECK_EQ(nlink_of("p"), 2);
	CHECK_EQ(nlink_of("q"), 3);
	CHECK_OK(stat("q/f/..", &st));
	CHECK_EQ(st.st_ino, ino_of("q"));
	return 0;
}

static int rename_exchange_into_own_subdir(void)
{
	CHECK_OK(mkdir("a", 0755));
	CHECK_OK(mkdir("a/b", 0755));
	CHECK_ERR(rename2("a", "a/b", RENAME_EXCHANGE), EINVAL);
	return 0;
}

static int rename_open_dir_then_create(void)
{
	int fd, f;

	CHECK_OK(mkdir("a", 0755));
	CHECK_SET(fd, open("a", O_RDONLY | O_DIRECTORY));
	CHECK_OK(rename("a", "b"));
	CHECK_SET(f, openat(fd, "made-through-fd", O_CREAT | O_WRONLY, 0644));
	close(f);
	close(fd);
	CHECK_OK(access("b/made-through-fd", F_OK));
	return 0;
}

static int rename_cwd_getcwd(void)
{
	char buf[PATH_MAX];
	const char *tail;

	CHECK_OK(mkdir("old", 0755));
	CHECK_OK(chdir("old"));
	CHECK_OK(rename("../old", "../new"));
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	tail = strrchr(buf, '/');
	CHECK(tail != NULL && strcmp(tail, "/new") == 0);
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(access("../new/f", F_OK));
	return 0;
}

static int rename_many_in_dir(void)
{
	char a[32], b[32];

	for (int i = 0; i < 300; i++) {
		snprintf(a, sizeof(a), "f%d", i);
		CHECK_OK(fsc_write_file(a, a, 0644));
	}
	for (int i = 0; i < 300; i++) {
		snprintf(a, sizeof(a), "f%d", i);
		snprintf(b, sizeof(b), "g%d", i);
		CHECK_OK(rename(a, b));
	}
	for (int i = 0; i < 300; i++) {
		snprintf(a, sizeof(a), "f%d", i);
		snprintf(b, sizeof(b), "g%d", i);
		CHECKF(fsc_file_is(b, a), "content of %s", b);
	}
	CHECK_EQ(fsc_count_entries("."), 300);
	return 0;
}

const struct fsc_check fsc_checks_remove[] = {
	{"link/basic-same-inode", link_basic},
	{"link/updates-ctime-and-parent", link_ctime},
	{"link/errors", link_errors},
	{"link/many-links-nlink", link_many},
	{"link/symlink-not-followed", link_symlink_not_followed},
	{"link/fifo-and-device", link_special_files},
	{"link/revive-from-proc-fd", link_open_fd_via_proc},
	{"unlink/basic-nlink", unlink_basic},
	{"unlink/errors", unlink_errors},
	{"unlink/updates-times", unlink_times},
	{"unlink/open-file-still-usable", unlink_open_file},
	{"unlink/open-file-two-fds", unlink_open_file_two_fds},
	{"unlink/symlink-not-target", unlink_symlink_only},
	{"unlink/fifo-socket-device", unlink_fifo_socket_device},
	{"rmdir/basic-parent-nlink", rmdir_basic},
	{"rmdir/errors", rmdir_errors},
	{"rmdir/hidden-file-enotempty", rmdir_hidden_file},
	{"rmdir/open-dir", rmdir_open_dir},
	{"rmdir/cwd", rmdir_cwd},
	{"rename/file", rename_file},
	{"rename/over-file", rename_over_file},
	{"rename/over-open-file-old-content", rename_over_open_file},
	{"rename/onto-own-hardlink-noop", rename_over_hardlink_of_itself},
	{"rename/hardlink-nlink", rename_hardlinked_nlink},
	{"rename/dir-dotdot", rename_dir},
	{"rename/dir-over-empty-dir", rename_dir_over_empty_dir},
	{"rename/dir-errors", rename_dir_errors},
	{"rename/errors", rename_errors},
	{"rename/symlink", rename_symlink},
	{"rename/updates-times", rename_times},
	{"rename/dir-nlink", rename_dir_nlink},
	{"rename/noreplace", rename_noreplace},
	{"rename/exchange", rename_exchange},
	{"rename/exchange-dir-and-file", rename_exchange_dir_and_file},
	{"rename/exchange-into-own-subdir", rename_exchange_into_own_subdir},
	{"rename/open-dir-fd-follows", rename_open_dir_then_create},
	{"rename/cwd-getcwd", rename_cwd_getcwd},
	{"rename/many-in-dir", rename_many_in_dir},
	{NULL, NULL},
};

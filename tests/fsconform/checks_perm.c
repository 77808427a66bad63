/*
 * Permission checks made as unprivileged users (NOBODY, OTHER): mode bits,
 * directory search and write, sticky directories, setgid directories,
 * clearing of set-id bits, ownership changes, access()/faccessat().
 *
 * Each check prepares files as root in its directory, then forks a child
 * that drops to an unprivileged identity and asserts what it may do.
 */
#include "fsconform.h"

#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <sys/xattr.h>

static const gid_t other_group[] = {OTHER};

/* ---- mode bits ---- */

static int perm_owner_bits_first(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(fsc_write_file("f", "x", 0077));
	CHECK_OK(chown("f", NOBODY, NOBODY));
	CHECK_OK(chmod("f", 0077));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		/* The owner class applies even though group/other would allow. */
		CHECK_ERR(open("f", O_RDONLY), EACCES);
		CHECK_ERR(open("f", O_WRONLY), EACCES);
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

static int perm_group_bits(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(fsc_write_file("f", "x", 0640));
	CHECK_OK(chown("f", 0, OTHER));
	pid = fsc_fork_as(NOBODY, NOBODY, 1, other_group);
	if (pid == 0) {
		int fd;
		CHECK_SET(fd, open("f", O_RDONLY));
		close(fd);
		CHECK_ERR(open("f", O_WRONLY), EACCES);
		_exit(0);
	}
	CHECK_CHILD(pid);
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_ERR(open("f", O_RDONLY), EACCES);
		_exit(0);
	}
	CHECK_CHILD(pid);
	/* Primary group counts too. */
	pid = fsc_fork_as(NOBODY, OTHER, 0, NULL);
	if (pid == 0) {
		int fd;
		CHECK_SET(fd, open("f", O_RDONLY));
		close(fd);
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

static int perm_many_groups(void)
{
	umask(0); /* modes below are exact */
	gid_t groups[12];
	pid_t pid;

	for (int i = 0; i < 12; i++)
		groups[i] = (gid_t)(60000 + i);
	CHECK_OK(fsc_write_file("f", "x", 0060));
	CHECK_OK(chown("f", 0, 60011));
	pid = fsc_fork_as(NOBODY, NOBODY, 12, groups);
	if (pid == 0) {
		int fd;
		CHECK_SET(fd, open("f", O_RDWR));
		close(fd);
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

static int perm_other_bits(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(fsc_write_file("f", "x", 0604));
	CHECK_OK(fsc_write_file("g", "x", 0602));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		int fd;
		CHECK_SET(fd, open("f", O_RDONLY));
		close(fd);
		CHECK_ERR(open("f", O_WRONLY), EACCES);
		CHECK_ERR(open("f", O_RDONLY | O_TRUNC), EACCES);
		CHECK_SET(fd, open("g", O_WRONLY));
		CHECK_EQ(write(fd, "y", 1), 1);
		close(fd);
		CHECK_ERR(open("g", O_RDWR), EACCES);
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK(fsc_file_is("g", "y"));
	return 0;
}

static int perm_root_dac_override(void)
{
	umask(0); /* modes below are exact */
	int fd;
	char buf[8];

	CHECK_OK(fsc_write_file("f", "secret", 0000));
	CHECK_OK(chmod("f", 0));
	CHECK_OK(chown("f", NOBODY, NOBODY));
	CHECK(fsc_file_is("f", "secret"));
	CHECK_SET(fd, open("f", O_WRONLY | O_APPEND));
	close(fd);
	CHECK_OK(mkdir("d", 0));
	CHECK_OK(fsc_touch("d/inside"));
	CHECK_EQ(fsc_count_entries("d"), 1);
	CHECK(fsc_read_file("d/inside", buf, sizeof(buf)) == 0);
	return 0;
}

/* ---- directories ---- */

static int perm_dir_search(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;
	struct stat st;

	CHECK_OK(mkdir("d", 0700));
	CHECK_OK(fsc_write_file("d/f", "x", 0644));
	CHECK_OK(mkdir("x", 0711));
	CHECK_OK(fsc_write_file("x/f", "x", 0644));
	CHECK_OK(mkdir("r", 0744));
	CHECK_OK(fsc_write_file("r/f", "x", 0644));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_ERR(open("d/f", O_RDONLY), EACCES);
		CHECK_ERR(stat("d/f", &st), EACCES);
		CHECK_ERR(open("d", O_RDONLY), EACCES);
		CHECK_ERR(chdir("d"), EACCES);
		/* Search without read: known names work, listing does not. */
		CHECK(fsc_file_is("x/f", "x"));
		CHECK_ERR(open("x", O_RDONLY), EACCES);
		CHECK_OK(chdir("x"));
		CHECK_OK(chdir(".."));
		/* Read without search: names can be listed, not reached. */
		CHECK_EQ(fsc_count_entries("r"), 1);
		CHECK_ERR(stat("r/f", &st), EACCES);
		CHECK_ERR(chdir("r"), EACCES);
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

static int perm_dir_write_needed(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(fsc_write_file("d/f", "x", 0666));
	CHECK_OK(chown("d/f", NOBODY, NOBODY));
	CHECK_OK(mkdir("d/sub", 0777));
	CHECK_OK(fsc_touch("mine"));
	CHECK_OK(chown("mine", NOBODY, NOBODY));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_ERR(open("d/new", O_CREAT | O_WRONLY, 0644), EACCES);
		CHECK_ERR(mkdir("d/new", 0755), EACCES);
		CHECK_ERR(mkfifo("d/new", 0644), EACCES);
		CHECK_ERR(symlink("x", "d/new"), EACCES);
		CHECK_ERR(mknod("d/new", S_IFREG | 0644, 0), EACCES);
		CHECK_ERR(link("d/f", "d/new"), EACCES);
		CHECK_ERR(unlink("d/f"), EACCES);
		CHECK_ERR(rmdir("d/sub"), EACCES);
		CHECK_ERR(rename("d/f", "d/g"), EACCES);
		CHECK_ERR(rename("d/f", "d/sub/g"), EACCES);
		/* Writing the file itself needs only the file's permission. */
		CHECK_OK(fsc_write_file("d/f", "changed", 0644));
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK(fsc_file_is("d/f", "changed"));
	return 0;
}

static int perm_dir_write_without_search(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(mkdir("d", 0766));
	CHECK_OK(mkdir("wx", 0733));
	CHECK_OK(fsc_touch("wx/f"));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_ERR(open("d/new", O_CREAT | O_WRONLY, 0644), EACCES);
		CHECK_ERR(mkdir("d/new", 0755), EACCES);
		/* Write+search without read is enough to create and delete. */
		CHECK_OK(mkdir("wx/new", 0755));
		CHECK_OK(rmdir("wx/new"));
		CHECK_OK(unlink("wx/f"));
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

static int perm_rename_dir_needs_write_on_itself(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(mkdir("src", 0777));
	CHECK_OK(mkdir("dst", 0777));
	CHECK_OK(mkdir("src/d", 0755));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		/* Moving to another parent rewrites "..": needs write on d. */
		CHECK_ERR(rename("src/d", "dst/d"), EACCES);
		CHECK_OK(rename("src/d", "src/e"));
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK_OK(access("src/e", F_OK));
	return 0;
}

static int perm_symlink_into_private_dir(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(mkdir("private", 0700));
	CHECK_OK(fsc_write_file("private/f", "x", 0644));
	CHECK_OK(symlink("private/f", "link"));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		char buf[32];
		struct stat st;
		CHECK_ERR(open("link", O_RDONLY), EACCES);
		CHECK_OK(lstat("link", &st));
		CHECK_EQ(readlink("link", buf, sizeof(buf)), 9);
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

static int perm_readdir_nonroot(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(mkdir("d", 0755));
	for (int i = 0; i < 20; i++) {
		char name[16];
		snprintf(name, sizeof(name), "d/f%d", i);
		CHECK_OK(fsc_touch(name));
	}
	CHECK_OK(mkdir("closed", 0700));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_EQ(fsc_count_entries("d"), 20);
		CHECK_ERR(fsc_count_entries("closed"), EACCES);
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

/* ---- ownership of new files ---- */

static int perm_new_file_owner(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;
	struct stat st;

	CHECK_OK(chmod(".", 0777));
	pid = fsc_fork_as(NOBODY, OTHER, 1, other_group);
	if (pid == 0) {
		CHECK_OK(fsc_touch("f"));
		CHECK_OK(mkdir("d", 0755));
		CHECK_OK(symlink("f", "l"));
		CHECK_OK(mkfifo("p", 0600));
		_exit(0);
	}
	CHECK_CHILD(pid);
	const char *names[] = {"f", "d", "l", "p"};
	for (int i = 0; i < 4; i++) {
		CHECK_OK(lstat(names[i], &st));
		CHECKF(st.st_uid == NOBODY && st.st_gid == OTHER, "%s owned by %u:%u", names[i],
		       (unsigned)st.st_uid, (unsigned)st.st_gid);
	}
	return 0;
}

static int perm_setgid_dir_inherit(void)
{
	umask(0); /* modes below are exact */
	struct stat st;
	pid_t pid;

	CHECK_OK(mkdir("g", 0777));
	CHECK_OK(chown("g", 0, OTHER));
	CHECK_OK(chmod("g", 02777));
	CHECK_OK(fsc_touch("g/root-file"));
	CHECK_OK(mkdir("g/root-dir", 0755));
	CHECK_OK(stat("g/root-file", &st));
	CHECK_EQ(st.st_gid, OTHER);
	CHECK_EQ(st.st_mode & S_ISGID, 0);
	CHECK_OK(stat("g/root-dir", &st));
	CHECK_EQ(st.st_gid, OTHER);
	CHECK(st.st_mode & S_ISGID);
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		int fd;
		CHECK_OK(fsc_touch("g/f"));
		CHECK_OK(mkdir("g/d", 0755));
		CHECK_OK(mkdir("g/d/deeper", 0755));
		CHECK_OK(symlink("f", "g/l"));
		CHECK_OK(mkfifo("g/p", 0644));
		/* A non-member cannot create a setgid file in this group. */
		CHECK_SET(fd, open("g/sgid", O_CREAT | O_WRONLY, 02755));
		close(fd);
		_exit(0);
	}
	CHECK_CHILD(pid);
	const char *names[] = {"g/f", "g/d", "g/d/deeper", "g/l", "g/p", "g/sgid"};
	for (int i = 0; i < 6; i++) {
		CHECK_OK(lstat(names[i], &st));
		CHECKF(st.st_uid == NOBODY && st.st_gid == OTHER, "%s owned by %u:%u", names[i],
		       (unsigned)st.st_uid, (unsigned)st.st_gid);
	}
	CHECK_MODE("g/d", 02755);
	CHECK_MODE("g/d/deeper", 02755);
	CHECK_MODE("g/sgid", 0755);
	return 0;
}

static int perm_setgid_dir_member_keeps_bit(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;
	int fd;

	CHECK_OK(mkdir("g", 0777));
	CHECK_OK(chown("g", 0, OTHER));
	CHECK_OK(chmod("g", 02777));
	pid = fsc_fork_as(NOBODY, NOBODY, 1, other_group);
	if (pid == 0) {
		CHECK_SET(fd, open("g/sgid", O_CREAT | O_WRONLY, 02755));
		close(fd);
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK_MODE("g/sgid", 02755);
	/* Root may create a setgid file in any group. */
	CHECK_SET(fd, open("g/root", O_CREAT | O_WRONLY, 02755));
	close(fd);
	CHECK_MODE("g/root", 02755);
	return 0;
}

/* ---- chmod / chown by non-owners ---- */

static int perm_chmod(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(chmod(".", 0777));
	CHECK_OK(fsc_write_file("root", "x", 0666));
	CHECK_OK(fsc_touch("mine"));
	CHECK_OK(chown("mine", NOBODY, NOBODY));
	CHECK_OK(fsc_touch("foreign-group"));
	CHECK_OK(chown("foreign-group", NOBODY, OTHER));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_ERR(chmod("root", 0600), EPERM);
		CHECK_OK(chmod("mine", 0600));
		CHECK_OK(chmod("mine", 04755));
		/* Setting sgid on a file of a group one is not in: silently dropped. */
		CHECK_OK(chmod("foreign-group", 02755));
		CHECK_OK(mkdir("sticky", 0755));
		CHECK_OK(chmod("sticky", 01777));
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK_MODE("root", 0666);
	CHECK_MODE("mine", 04755);
	CHECK_MODE("foreign-group", 0755);
	CHECK_MODE("sticky", 01777);
	return 0;
}

static int perm_chown(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;
	struct stat st;

	CHECK_OK(chmod(".", 0777));
	CHECK_OK(fsc_touch("root"));
	CHECK_OK(fsc_touch("mine"));
	CHECK_OK(chown("mine", NOBODY, NOBODY));
	pid = fsc_fork_as(NOBODY, NOBODY, 1, other_group);
	if (pid == 0) {
		CHECK_ERR(chown("mine", OTHER, (gid_t)-1), EPERM);
		CHECK_ERR(chown("mine", (uid_t)-1, 0), EPERM);
		CHECK_ERR(chown("root", NOBODY, NOBODY), EPERM);
		/* Changing nothing needs no permission. */
		CHECK_OK(chown("root", (uid_t)-1, (gid_t)-1));
		CHECK_OK(chown("mine", NOBODY, NOBODY));
		CHECK_OK(chown("mine", (uid_t)-1, (gid_t)-1));
		CHECK_OK(chown("mine", (uid_t)-1, OTHER));
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK_OK(stat("mine", &st));
	CHECK_EQ(st.st_uid, NOBODY);
	CHECK_EQ(st.st_gid, OTHER);
	return 0;
}

static int perm_chgrp_clears_setid(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(chown("f", NOBODY, NOBODY));
	CHECK_OK(chmod("f", 06755));
	pid = fsc_fork_as(NOBODY, NOBODY, 1, other_group);
	if (pid == 0) {
		CHECK_OK(chown("f", (uid_t)-1, OTHER));
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK_MODE("f", 0755);
	return 0;
}

/* ---- set-id bits and writes ---- */

static int perm_write_clears_setid(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(fsc_write_file("suid", "x", 0666));
	CHECK_OK(chmod("suid", 06777));
	CHECK_OK(fsc_write_file("sgid-noexec", "x", 0666));
	CHECK_OK(chmod("sgid-noexec", 02767));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		int fd;
		CHECK_SET(fd, open("suid", O_WRONLY));
		CHECK_EQ(write(fd, "y", 1), 1);
		close(fd);
		CHECK_SET(fd, open("sgid-noexec", O_WRONLY));
		CHECK_EQ(write(fd, "y", 1), 1);
		close(fd);
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK_MODE("suid", 0777);
	/* Without group-exec, sgid goes only when the writer is not in the group. */
	CHECK_MODE("sgid-noexec", 0767);
	CHECK_OK(chmod("sgid-noexec", 02767));
	const gid_t root_group[] = {0};
	pid = fsc_fork_as(NOBODY, NOBODY, 1, root_group);
	if (pid == 0) {
		int fd;
		CHECK_SET(fd, open("sgid-noexec", O_WRONLY));
		CHECK_EQ(write(fd, "z", 1), 1);
		close(fd);
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK_MODE("sgid-noexec", 02767);
	return 0;
}

/* A truncate(2), an O_TRUNC open and a second write after a stat, each
 * by a non-owner, clear setuid (and setgid with group-exec) like a write. */
static int perm_nonowner_paths_clear_setid(void)
{
	umask(0); /* modes below are exact */
	static const char *const names[] = {"by-truncate", "by-otrunc", "by-write-after-stat"};
	pid_t pid;

	for (int i = 0; i < 3; i++) {
		CHECK_OK(fsc_write_file(names[i], "xyz", 0666));
		CHECK_OK(chmod(names[i], 06777));
	}
	/* The third file is written once by root first: the kernel may then
	 * have marked the inode as having nothing to clear. */
	CHECK_OK(chmod(names[2], 0777));
	{
		int fd;
		struct stat st;

		CHECK_SET(fd, open(names[2], O_WRONLY));
		CHECK_EQ(write(fd, "a", 1), 1);
		CHECK_EQ(write(fd, "b", 1), 1);
		close(fd);
		CHECK_OK(chmod(names[2], 06777));
		CHECK_OK(stat(names[2], &st));
	}
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		int fd;

		CHECK_OK(truncate(names[0], 1));
		CHECK_SET(fd, open(names[1], O_WRONLY | O_TRUNC));
		close(fd);
		CHECK_SET(fd, open(names[2], O_WRONLY));
		CHECK_EQ(write(fd, "c", 1), 1);
		close(fd);
		_exit(0);
	}
	CHECK_CHILD(pid);
	for (int i = 0; i < 3; i++)
		CHECK_MODE(names[i], 0777);
	return 0;
}

static int perm_root_write_keeps_setid(void)
{
	umask(0); /* modes below are exact */
	int fd;

	CHECK_OK(fsc_write_file("f", "x", 0755));
	CHECK_OK(chown("f", NOBODY, NOBODY));
	CHECK_OK(chmod("f", 06755));
	CHECK_SET(fd, open("f", O_WRONLY));
	CHECK_EQ(write(fd, "y", 1), 1);
	close(fd);
	CHECK_MODE("f", 06755);
	return 0;
}

static int perm_owner_write_clears_setid(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	/* Only CAP_FSETID keeps the bits: the owner's write clears them too. */
	CHECK_OK(fsc_write_file("f", "x", 0755));
	CHECK_OK(chown("f", NOBODY, NOBODY));
	CHECK_OK(chmod("f", 04755));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		int fd;
		CHECK_SET(fd, open("f", O_WRONLY | O_APPEND));
		CHECK_EQ(write(fd, "y", 1), 1);
		close(fd);
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK_MODE("f", 0755);
	return 0;
}

static int perm_truncate_clears_setid(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(fsc_write_file("f", "content", 0666));
	CHECK_OK(chmod("f", 06777));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_OK(truncate("f", 2));
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK_MODE("f", 0777);
	CHECK(fsc_file_is("f", "co"));
	return 0;
}

static int perm_truncate_needs_write(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(fsc_write_file("f", "content", 0644));
	CHECK_OK(fsc_write_file("mine", "content", 0644));
	CHECK_OK(chown("mine", NOBODY, NOBODY));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		int fd;
		CHECK_ERR(truncate("f", 0), EACCES);
		/* Permission is checked at open: ftruncate works after chmod 0. */
		CHECK_SET(fd, open("mine", O_RDWR));
		CHECK_OK(fchmod(fd, 0));
		CHECK_OK(ftruncate(fd, 3));
		CHECK_EQ(pwrite(fd, "X", 1, 0), 1);
		close(fd);
		CHECK_ERR(truncate("mine", 0), EACCES);
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK(fsc_file_is("f", "content"));
	CHECK(fsc_file_is("mine", "Xon"));
	return 0;
}

/* ---- utimensat by non-owners ---- */

static int perm_utimensat(void)
{
	umask(0); /* modes below are exact */
	struct timespec explicit[2] = {{1000, 0}, {1000, 0}};
	struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
	pid_t pid;

	CHECK_OK(fsc_touch("writable"));
	CHECK_OK(chmod("writable", 0666));
	CHECK_OK(fsc_touch("readonly"));
	CHECK_OK(fsc_touch("mine"));
	CHECK_OK(chown("mine", NOBODY, NOBODY));
	CHECK_OK(chmod("mine", 0444));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_OK(utimensat(AT_FDCWD, "writable", NULL, 0));
		CHECK_OK(utimensat(AT_FDCWD, "writable", now, 0));
		CHECK_ERR(utimensat(AT_FDCWD, "writable", explicit, 0), EPERM);
		CHECK_ERR(utimensat(AT_FDCWD, "readonly", NULL, 0), EACCES);
		CHECK_ERR(utimensat(AT_FDCWD, "readonly", explicit, 0), EPERM);
		CHECK_OK(utimensat(AT_FDCWD, "mine", explicit, 0));
		CHECK_OK(utimensat(AT_FDCWD, "mine", NULL, 0));
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

/* ---- sticky directories ---- */

static int prepare_sticky(void)
{
	umask(0); /* modes below are exact */
	if (mkdir("t", 0777) || chmod("t", 01777))
		return -1;
	if (fsc_touch("t/others") || chown("t/others", OTHER, OTHER) || chmod("t/others", 0666))
		return -1;
	if (fsc_touch("t/mine") || chown("t/mine", NOBODY, NOBODY))
		return -1;
	if (mkdir("t/otherdir", 0777) || chown("t/otherdir", OTHER, OTHER))
		return -1;
	return 0;
}

static int sticky_unlink(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(prepare_sticky());
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_ERR(unlink("t/others"), EPERM);
		CHECK_ERR(rmdir("t/otherdir"), EPERM);
		CHECK_OK(unlink("t/mine"));
		/* Writable is not enough: still can write the content. */
		CHECK_OK(fsc_write_file("t/others", "w", 0644));
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK_OK(access("t/others", F_OK));
	CHECK_OK(access("t/otherdir", F_OK));
	CHECK_ERR(access("t/mine", F_OK), ENOENT);
	/* Root may. */
	CHECK_OK(unlink("t/others"));
	return 0;
}

static int sticky_rename(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(prepare_sticky());
	CHECK_OK(mkdir("plain", 0777));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_ERR(rename("t/others", "t/renamed"), EPERM);
		CHECK_ERR(rename("t/others", "plain/moved"), EPERM);
		CHECK_ERR(rename("t/otherdir", "t/renamed"), EPERM);
		/* Replacing another user's file is deleting it. */
		CHECK_ERR(rename("t/mine", "t/others"), EPERM);
		CHECK_OK(rename("t/mine", "t/mine2"));
		CHECK_OK(rename("t/mine2", "plain/mine"));
		CHECK_OK(rename("plain/mine", "t/mine"));
		_exit(0);
	}
	CHECK_CHILD(pid);
	CHECK_OK(access("t/others", F_OK));
	CHECK_OK(access("t/mine", F_OK));
	return 0;
}

static int sticky_dir_owner_may_delete(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(prepare_sticky());
	CHECK_OK(chown("t", NOBODY, NOBODY));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_OK(unlink("t/others"));
		CHECK_OK(rmdir("t/otherdir"));
		_exit(0);
	}
	CHECK_CHILD(pid);
	pid = fsc_fork_as(OTHER, OTHER, 0, NULL);
	if (pid == 0) {
		CHECK_ERR(unlink("t/mine"), EPERM);
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

/* ---- hard links ---- */

static int perm_link_nonroot(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;
	int protected = 0;
	char buf[8];

	if (fsc_read_file("/proc/sys/fs/protected_hardlinks", buf, sizeof(buf)) > 0)
		protected = atoi(buf);
	CHECK_OK(chmod(".", 0777));
	CHECK_OK(fsc_write_file("root600", "x", 0600));
	CHECK_OK(fsc_write_file("root666", "x", 0666));
	CHECK_OK(fsc_touch("mine"));
	CHECK_OK(chown("mine", NOBODY, NOBODY));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_OK(link("mine", "mine2"));
		CHECK_OK(link("root666", "l666"));
		if (protected)
			CHECK_ERR(link("root600", "l600"), EPERM);
		else
			CHECK_OK(link("root600", "l600"));
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

/* ---- access / faccessat ---- */

static int access_nonroot(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(fsc_touch("r"));
	CHECK_OK(chmod("r", 0644));
	CHECK_OK(fsc_touch("none"));
	CHECK_OK(chmod("none", 0640));
	CHECK_OK(fsc_touch("x"));
	CHECK_OK(chmod("x", 0755));
	CHECK_OK(mkdir("d", 0711));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_OK(access("r", F_OK));
		CHECK_OK(access("r", R_OK));
		CHECK_ERR(access("r", W_OK), EACCES);
		CHECK_ERR(access("r", X_OK), EACCES);
		CHECK_ERR(access("r", R_OK | W_OK), EACCES);
		CHECK_OK(access("none", F_OK));
		CHECK_ERR(access("none", R_OK), EACCES);
		CHECK_OK(access("x", R_OK | X_OK));
		CHECK_OK(access("d", X_OK));
		CHECK_ERR(access("d", R_OK), EACCES);
		CHECK_ERR(access("missing", F_OK), ENOENT);
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

static int faccessat_eaccess(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(chown("f", OTHER, OTHER));
	CHECK_OK(chmod("f", 0600));
	pid = fsc_fork();
	if (pid == 0) {
		CHECK_OK(setgroups(0, NULL));
		CHECK_OK(setresgid(NOBODY, OTHER, OTHER));
		CHECK_OK(setresuid(NOBODY, OTHER, OTHER));
		/* access() uses the real ids, AT_EACCESS the effective ones. */
		CHECK_ERR(access("f", R_OK), EACCES);
		CHECK_ERR(faccessat(AT_FDCWD, "f", R_OK | W_OK, 0), EACCES);
		CHECK_OK(faccessat(AT_FDCWD, "f", R_OK | W_OK, AT_EACCESS));
		CHECK_ERR(faccessat(AT_FDCWD, "f", X_OK, AT_EACCESS), EACCES);
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

static int faccessat_symlink_nofollow(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(chmod("f", 0600));
	CHECK_OK(symlink("f", "link"));
	CHECK_OK(symlink("missing", "dangling"));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_ERR(access("link", R_OK), EACCES);
		CHECK_OK(faccessat(AT_FDCWD, "link", R_OK, AT_SYMLINK_NOFOLLOW));
		CHECK_ERR(access("dangling", F_OK), ENOENT);
		CHECK_OK(faccessat(AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

/* ---- exec permission ---- */

static int copy_program(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY), out;

	if (in < 0)
		return -1;
	out = open(to, O_CREAT | O_WRONLY, mode);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	}
	close(in);
	close(out);
	return n < 0 ? -1 : chmod(to, mode);
}

static int perm_exec(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	/* A copy of false: if the exec wrongly went ahead, the child fails. */
	CHECK_OK(copy_program("/bin/false", "owner-only", 0700));
	CHECK_OK(copy_program("/bin/false", "no-x", 0644));
	CHECK_OK(copy_program("/bin/true", "everyone", 0755));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		CHECK_ERR(execl("./owner-only", "owner-only", (char *)NULL), EACCES);
		CHECK_ERR(execl("./no-x", "no-x", (char *)NULL), EACCES);
		_exit(0);
	}
	CHECK_CHILD(pid);
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		execl("./everyone", "everyone", (char *)NULL);
		_exit(127);
	}
	CHECK_CHILD(pid);
	return 0;
}

/* ---- xattrs as a non-owner ---- */

static int perm_xattr_nonroot(void)
{
	umask(0); /* modes below are exact */
	pid_t pid;

	CHECK_OK(fsc_write_file("readable", "x", 0644));
	CHECK_OK(setxattr("readable", "user.k", "v", 1, 0));
	CHECK_OK(fsc_write_file("private", "x", 0600));
	CHECK_OK(setxattr("private", "user.k", "v", 1, 0));
	CHECK_OK(fsc_touch("mine"));
	CHECK_OK(chown("mine", NOBODY, NOBODY));
	CHECK_OK(chmod("mine", 0400));
	pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);
	if (pid == 0) {
		char v[8];
		CHECK_EQ(getxattr("readable", "user.k", v, sizeof(v)), 1);
		CHECK_ERR(setxattr("readable", "user.k", "w", 1, 0), EACCES);
		CHECK_ERR(removexattr("readable", "user.k"), EACCES);
		CHECK_ERR(getxattr("private", "user.k", v, sizeof(v)), EACCES);
		/* The owner may set user xattrs only with write permission too. */
		CHECK_ERR(setxattr("mine", "user.k", "v", 1, 0), EACCES);
		CHECK_ERR(setxattr("readable", "trusted.k", "v", 1, 0), EPERM);
		CHECK_OK(chmod("mine", 0600));
		CHECK_OK(setxattr("mine", "user.k", "v", 1, 0));
		_exit(0);
	}
	CHECK_CHILD(pid);
	return 0;
}

const struct fsc_check fsc_checks_perm[] = {
	{"perm/owner-bits-first", perm_owner_bits_first},
	{"perm/group-bits", perm_group_bits},
	{"perm/many-supplementary-groups", perm_many_groups},
	{"perm/other-bits", perm_other_bits},
	{"perm/root-dac-override", perm_root_dac_override},
	{"perm/dir-search-and-read", perm_dir_search},
	{"perm/dir-write-needed", perm_dir_write_needed},
	{"perm/dir-write-without-search", perm_dir_write_without_search},
	{"perm/rename-dir-needs-write-on-itself", perm_rename_dir_needs_write_on_itself},
	{"perm/symlink-into-private-dir", perm_symlink_into_private_dir},
	{"perm/readdir-nonroot", perm_readdir_nonroot},
	{"perm/new-file-owner", perm_new_file_owner},
	{"perm/setgid-dir-inherit", perm_setgid_dir_inherit},
	{"perm/setgid-dir-member-keeps-bit", perm_setgid_dir_member_keeps_bit},
	{"perm/chmod-nonowner", perm_chmod},
	{"perm/chown-nonroot", perm_chown},
	{"perm/chgrp-clears-setid", perm_chgrp_clears_setid},
	{"perm/write-by-nonowner-clears-setid", perm_write_clears_setid},
	{"perm/otrunc-and-rewrite-by-nonowner-clear-setid", perm_nonowner_paths_clear_setid},
	{"perm/write-by-root-keeps-setid", perm_root_write_keeps_setid},
	{"perm/write-by-owner-clears-setid", perm_owner_write_clears_setid},
	{"perm/truncate-clears-setid", perm_truncate_clears_setid},
	{"perm/truncate-needs-write", perm_truncate_needs_write},
	{"perm/utimensat-nonowner", perm_utimensat},
	{"sticky/unlink", sticky_unlink},
	{"sticky/rename", sticky_rename},
	{"sticky/dir-owner-may-delete", sticky_dir_owner_may_delete},
	{"perm/link-nonroot-protected-hardlinks", perm_link_nonroot},
	{"access/nonroot", access_nonroot},
	{"access/faccessat-eaccess", faccessat_eaccess},
	{"access/faccessat-symlink-nofollow", faccessat_symlink_nofollow},
	{"perm/exec-needs-x", perm_exec},
	{"perm/xattr-nonroot", perm_xattr_nonroot},
	{NULL, NULL},
};

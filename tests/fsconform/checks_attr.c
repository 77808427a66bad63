/*
 * Attributes: chmod, chown, utimensat, truncate/ftruncate, stat fields and
 * the timestamps that writes and metadata changes must move.
 */
#include "fsconform.h"

#include <limits.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

#define OLD_TIME 1000000000 /* 2001-09-09 */

static int set_old_times(const char *path)
{
	struct timespec old[2] = {{OLD_TIME, 0}, {OLD_TIME, 0}};

	return utimensat(AT_FDCWD, path, old, AT_SYMLINK_NOFOLLOW);
}

/* ---- chmod ---- */

static int chmod_basic(void)
{
	struct stat before, after;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(stat("f", &before));
	fsc_tick();
	CHECK_OK(chmod("f", 0741));
	CHECK_OK(stat("f", &after));
	CHECK_EQ(after.st_mode & 07777, 0741);
	CHECK(S_ISREG(after.st_mode));
	CHECK(fsc_ts_after(after.st_ctim, before.st_ctim));
	CHECK_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	CHECK_OK(chmod("f", 07777));
	CHECK_MODE("f", 07777);
	CHECK_OK(chmod("f", 0));
	CHECK_MODE("f", 0);
	return 0;
}

static int chmod_dir_and_special(void)
{
	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(chmod("d", 01700));
	CHECK_MODE("d", 01700);
	CHECK_OK(chmod("d", 02755));
	CHECK_MODE("d", 02755);
	CHECK_OK(mkfifo("p", 0644));
	CHECK_OK(chmod("p", 0600));
	CHECK_MODE("p", 0600);
	return 0;
}

static int chmod_errors(void)
{
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(symlink("loop", "loop"));
	CHECK_ERR(chmod("missing", 0644), ENOENT);
	CHECK_ERR(chmod("f/x", 0644), ENOTDIR);
	CHECK_ERR(chmod("loop", 0644), ELOOP);
	CHECK_ERR(chmod(fsc_repeat('c', 256), 0644), ENAMETOOLONG);
	return 0;
}

static int chmod_follows_symlink(void)
{
	struct stat st;

	CHECK_OK(fsc_write_file("f", "x", 0644));
	CHECK_OK(symlink("f", "link"));
	CHECK_OK(chmod("link", 0600));
	CHECK_MODE("f", 0600);
	CHECK_OK(lstat("link", &st));
	CHECK_EQ(st.st_mode & 07777, 0777);
	/* Linux cannot change a symlink's own mode. */
	CHECK_ERR(fchmodat(AT_FDCWD, "link", 0644, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP);
	return 0;
}

static int fchmod_basic(void)
{
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(fchmod(fd, 0400));
	CHECK_MODE("f", 0400);
	/* The open descriptor keeps its access mode. */
	CHECK_EQ(write(fd, "w", 1), 1);
	close(fd);
	return 0;
}

/* ---- chown ---- */

static int chown_basic(void)
{
	struct stat before, after;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(stat("f", &before));
	fsc_tick();
	CHECK_OK(chown("f", NOBODY, OTHER));
	CHECK_OK(stat("f", &after));
	CHECK_EQ(after.st_uid, NOBODY);
	CHECK_EQ(after.st_gid, OTHER);
	CHECK(fsc_ts_after(after.st_ctim, before.st_ctim));
	CHECK_OK(chown("f", (uid_t)-1, 0));
	CHECK_OK(stat("f", &after));
	CHECK_EQ(after.st_uid, NOBODY);
	CHECK_EQ(after.st_gid, 0);
	CHECK_OK(chown("f", 0, (gid_t)-1));
	CHECK_OK(stat("f", &after));
	CHECK_EQ(after.st_uid, 0);
	CHECK_EQ(after.st_gid, 0);
	return 0;
}

static int chown_errors(void)
{
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(symlink("loop", "loop"));
	CHECK_ERR(chown("missing", 0, 0), ENOENT);
	CHECK_ERR(chown("f/x", 0, 0), ENOTDIR);
	CHECK_ERR(chown("loop", 0, 0), ELOOP);
	CHECK_ERR(chown(fsc_repeat('c', 256), 0, 0), ENAMETOOLONG);
	return 0;
}

static int chown_symlink(void)
{
	struct stat st;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(symlink("f", "link"));
	CHECK_OK(lchown("link", NOBODY, NOBODY));
	CHECK_OK(lstat("link", &st));
	CHECK_EQ(st.st_uid, NOBODY);
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_uid, 0);
	CHECK_OK(chown("link", OTHER, OTHER));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_uid, OTHER);
	CHECK_OK(lstat("link", &st));
	CHECK_EQ(st.st_uid, NOBODY);
	return 0;
}

static int chown_clears_suid_sgid(void)
{
	int fd;

	/* Even root's chown clears set-id bits of a regular file. */
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(chmod("f", 06755));
	CHECK_OK(chown("f", NOBODY, NOBODY));
	CHECK_MODE("f", 0755);
	CHECK_OK(chmod("f", 04755));
	CHECK_OK(chown("f", (uid_t)-1, OTHER));
	CHECK_MODE("f", 0755);
	/* sgid without group-exec is not a set-gid program: kept. */
	CHECK_OK(chmod("f", 02745));
	CHECK_OK(chown("f", 0, 0));
	CHECK_MODE("f", 02745);
	CHECK_SET(fd, open("g", O_CREAT | O_WRONLY, 0644));
	CHECK_OK(fchmod(fd, 06777));
	CHECK_OK(fchown(fd, NOBODY, NOBODY));
	close(fd);
	CHECK_MODE("g", 0777);
	return 0;
}

static int chown_dir_keeps_sgid(void)
{
	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(chmod("d", 02775));
	CHECK_OK(chown("d", NOBODY, NOBODY));
	CHECK_MODE("d", 02775);
	return 0;
}

/* ---- utimensat ---- */

static int utimensat_explicit(void)
{
	struct timespec ts[2] = {{1234567890, 123456789}, {987654321, 987654321}};
	struct stat st;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(utimensat(AT_FDCWD, "f", ts, 0));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_atim.tv_sec, 1234567890);
	CHECK_EQ(st.st_atim.tv_nsec, 123456789);
	CHECK_EQ(st.st_mtim.tv_sec, 987654321);
	CHECK_EQ(st.st_mtim.tv_nsec, 987654321);
	return 0;
}

static int utimensat_extreme_times(void)
{
	struct timespec ts[2] = {{-1000, 0}, {-86400 * 365, 500}};
	struct stat st;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(utimensat(AT_FDCWD, "f", ts, 0));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_atim.tv_sec, -1000);
	CHECK_EQ(st.st_mtim.tv_sec, -86400 * 365);
	CHECK_EQ(st.st_mtim.tv_nsec, 500);
	/* Year 2200: beyond 32-bit time_t. */
	ts[0].tv_sec = ts[1].tv_sec = 7258118400LL;
	ts[0].tv_nsec = ts[1].tv_nsec = 1;
	CHECK_OK(utimensat(AT_FDCWD, "f", ts, 0));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_mtim.tv_sec, 7258118400LL);
	CHECK_EQ(st.st_atim.tv_nsec, 1);
	return 0;
}

static int utimensat_now_and_omit(void)
{
	struct timespec ts[2] = {{OLD_TIME, 5}, {OLD_TIME, 7}};
	struct stat st, before;
	struct timespec now;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(utimensat(AT_FDCWD, "f", ts, 0));
	CHECK_OK(stat("f", &before));
	fsc_tick();
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_nsec = UTIME_NOW;
	CHECK_OK(utimensat(AT_FDCWD, "f", ts, 0));
	CHECK_OK(clock_gettime(CLOCK_REALTIME, &now));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_atim.tv_sec, OLD_TIME);
	CHECK_EQ(st.st_atim.tv_nsec, 5);
	CHECK(st.st_mtim.tv_sec > now.tv_sec - 10 && st.st_mtim.tv_sec <= now.tv_sec);
	CHECK(fsc_ts_after(st.st_ctim, before.st_ctim));
	ts[0].tv_nsec = UTIME_NOW;
	ts[1].tv_nsec = UTIME_OMIT;
	CHECK_OK(utimensat(AT_FDCWD, "f", ts, 0));
	CHECK_OK(stat("f", &before));
	CHECK(before.st_atim.tv_sec > now.tv_sec - 10);
	CHECK_EQ(before.st_mtim.tv_sec, st.st_mtim.tv_sec);
	CHECK_EQ(before.st_mtim.tv_nsec, st.st_mtim.tv_nsec);
	return 0;
}

static int utimensat_both_omit_keeps_ctime(void)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	struct stat before, after;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(stat("f", &before));
	fsc_tick();
	CHECK_OK(utimensat(AT_FDCWD, "f", ts, 0));
	CHECK_OK(stat("f", &after));
	CHECK_EQ(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
	CHECK_EQ(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
	return 0;
}

static int utimensat_null_is_now(void)
{
	struct stat st;
	struct timespec now;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(set_old_times("f"));
	CHECK_OK(utimensat(AT_FDCWD, "f", NULL, 0));
	CHECK_OK(clock_gettime(CLOCK_REALTIME, &now));
	CHECK_OK(stat("f", &st));
	CHECK(st.st_atim.tv_sec > now.tv_sec - 10);
	CHECK(st.st_mtim.tv_sec > now.tv_sec - 10);
	return 0;
}

static int utimensat_nofollow(void)
{
	struct timespec ts[2] = {{OLD_TIME, 0}, {OLD_TIME + 1, 0}};
	struct stat st;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(symlink("f", "link"));
	CHECK_OK(utimensat(AT_FDCWD, "link", ts, AT_SYMLINK_NOFOLLOW));
	CHECK_OK(lstat("link", &st));
	CHECK_EQ(st.st_mtim.tv_sec, OLD_TIME + 1);
	CHECK_OK(stat("f", &st));
	CHECK(st.st_mtim.tv_sec != OLD_TIME + 1);
	CHECK_OK(utimensat(AT_FDCWD, "link", ts, 0));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_mtim.tv_sec, OLD_TIME + 1);
	return 0;
}

static int utimensat_errors(void)
{
	struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
	struct timespec neg[2] = {{0, -5}, {0, 0}};

	CHECK_OK(fsc_touch("f"));
	CHECK_ERR(utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
	CHECK_ERR(utimensat(AT_FDCWD, "f", neg, 0), EINVAL);
	CHECK_ERR(utimensat(AT_FDCWD, "missing", NULL, 0), ENOENT);
	CHECK_ERR(utimensat(AT_FDCWD, "f/x", NULL, 0), ENOTDIR);
	CHECK_ERR(utimensat(AT_FDCWD, "f", NULL, 0x8000), EINVAL);
	return 0;
}

static int futimens_basic(void)
{
	struct timespec ts[2] = {{OLD_TIME, 1}, {OLD_TIME, 2}};
	struct stat st;
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_RDONLY, 0444));
	CHECK_OK(futimens(fd, ts));
	close(fd);
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_mtim.tv_sec, OLD_TIME);
	CHECK_EQ(st.st_mtim.tv_nsec, 2);
	return 0;
}

static int utimes_dir(void)
{
	struct timeval tv[2] = {{OLD_TIME, 3}, {OLD_TIME, 4}};
	struct stat st;

	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(utimes("d", tv));
	CHECK_OK(stat("d", &st));
	CHECK_EQ(st.st_mtim.tv_sec, OLD_TIME);
	CHECK_EQ(st.st_mtim.tv_nsec, 4000);
	return 0;
}

/* ---- write and read timestamps ---- */

static int write_updates_mtime_ctime(void)
{
	struct stat before, after;
	int fd;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(set_old_times("f"));
	CHECK_OK(stat("f", &before));
	fsc_tick();
	CHECK_SET(fd, open("f", O_WRONLY));
	CHECK_EQ(write(fd, "x", 1), 1);
	CHECK_OK(fstat(fd, &after));
	close(fd);
	CHECK(after.st_mtim.tv_sec > OLD_TIME);
	CHECK(fsc_ts_after(after.st_ctim, before.st_ctim));
	CHECK_OK(stat("f", &after));
	CHECK(after.st_mtim.tv_sec > OLD_TIME);
	CHECK_EQ(after.st_atim.tv_sec, OLD_TIME);
	return 0;
}

static int read_keeps_mtime(void)
{
	struct stat before, after;
	char buf[16];

	CHECK_OK(fsc_write_file("f", "content", 0644));
	CHECK_OK(set_old_times("f"));
	CHECK_OK(stat("f", &before));
	fsc_tick();
	CHECK(fsc_read_file("f", buf, sizeof(buf)) == 7);
	CHECK_OK(stat("f", &after));
	CHECK_EQ(after.st_mtim.tv_sec, OLD_TIME);
	CHECK_EQ(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
	CHECK_EQ(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
	return 0;
}

static int zero_length_write_keeps_mtime(void)
{
	struct stat st;
	int fd;

	CHECK_OK(fsc_write_file("f", "x", 0644));
	CHECK_OK(set_old_times("f"));
	CHECK_SET(fd, open("f", O_WRONLY));
	CHECK_EQ(write(fd, "", 0), 0);
	close(fd);
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_mtim.tv_sec, OLD_TIME);
	return 0;
}

/* ---- truncate ---- */

static int truncate_shrink_grow(void)
{
	char buf[64];
	struct stat st;
	int fd;

	CHECK_OK(fsc_write_file("f", "0123456789", 0644));
	CHECK_OK(truncate("f", 4));
	CHECK(fsc_file_is("f", "0123"));
	CHECK_OK(truncate("f", 8));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_size, 8);
	CHECK_SET(fd, open("f", O_RDONLY));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 8);
	close(fd);
	CHECK(memcmp(buf, "0123\0\0\0\0", 8) == 0);
	CHECK_OK(truncate("f", 0));
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_size, 0);
	return 0;
}

static int truncate_large_pattern(void)
{
	int fd;
	struct stat st;
	char buf[4096];

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(fsc_fill(fd, 0, 1 << 20, 7));
	CHECK_OK(ftruncate(fd, 300001));
	CHECK_OK(fsc_verify(fd, 0, 300001, 7));
	CHECK_OK(ftruncate(fd, 1 << 20));
	CHECK_OK(fsc_verify(fd, 0, 300001, 7));
	CHECK_EQ(pread(fd, buf, sizeof(buf), 300001), sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		CHECKF(buf[i] == 0, "byte %zu after regrow is %d", 300001 + i, buf[i]);
	CHECK_EQ(pread(fd, buf, sizeof(buf), (1 << 20) - 100), 100);
	close(fd);
	CHECK_OK(stat("f", &st));
	CHECK_EQ(st.st_size, 1 << 20);
	return 0;
}

static int truncate_updates_times(void)
{
	struct stat st;

	CHECK_OK(fsc_write_file("f", "0123456789", 0644));
	CHECK_OK(set_old_times("f"));
	CHECK_OK(truncate("f", 3));
	CHECK_OK(stat("f", &st));
	CHECK(st.st_mtim.tv_sec > OLD_TIME);
	CHECK(st.st_ctim.tv_sec > OLD_TIME);
	CHECK_EQ(st.st_atim.tv_sec, OLD_TIME);
	return 0;
}

static int truncate_errors(void)
{
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(mkfifo("p", 0644));
	CHECK_ERR(truncate("missing", 0), ENOENT);
	CHECK_ERR(truncate("f/x", 0), ENOTDIR);
	CHECK_ERR(truncate("d", 0), EISDIR);
	CHECK_ERR(truncate("f", -1), EINVAL);
	CHECK_ERR(truncate(fsc_repeat('t', 256), 0), ENAMETOOLONG);
	CHECK_ERR(truncate("f", (off_t)1 << 62), EFBIG);
	CHECK_ERR(truncate("p", 0), EINVAL);
	return 0;
}

static int truncate_follows_symlink(void)
{
	CHECK_OK(fsc_write_file("f", "abcdef", 0644));
	CHECK_OK(symlink("f", "link"));
	CHECK_OK(truncate("link", 2));
	CHECK(fsc_file_is("f", "ab"));
	return 0;
}

static int ftruncate_basic(void)
{
	int fd;
	struct stat st;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_EQ(write(fd, "abcdef", 6), 6);
	CHECK_OK(ftruncate(fd, 3));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 3);
	/* The offset is not moved by ftruncate: writing at 6 leaves a hole. */
	CHECK_EQ(write(fd, "g", 1), 1);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 7);
	close(fd);
	char buf[16];
	CHECK(fsc_read_file("f", buf, sizeof(buf)) == 7);
	CHECK(memcmp(buf, "abc\0\0\0g", 7) == 0);
	return 0;
}

static int ftruncate_errors(void)
{
	int fd;

	CHECK_OK(fsc_touch("f"));
	CHECK_SET(fd, open("f", O_RDONLY));
	CHECK_ERR(ftruncate(fd, 0), EINVAL);
	close(fd);
	CHECK_SET(fd, open("f", O_RDWR));
	CHECK_ERR(ftruncate(fd, -1), EINVAL);
	close(fd);
	CHECK_OK(mkdir("d", 0755));
	CHECK_SET(fd, open("d", O_RDONLY));
	CHECK_ERR(ftruncate(fd, 0), EINVAL);
	close(fd);
	CHECK_SET(fd, open("f", O_WRONLY | O_APPEND));
	CHECK_OK(ftruncate(fd, 10));
	close(fd);
	CHECK_ERR(ftruncate(9999, 0), EBADF);
	return 0;
}

/* ---- stat ---- */

static int stat_fields(void)
{
	struct stat st, dst;
	int fd;

	CHECK_SET(fd, open("f", O_CREAT | O_RDWR, 0644));
	CHECK_OK(fsc_fill(fd, 0, 10000, 1));
	CHECK_OK(fsync(fd));
	CHECK_OK(fstat(fd, &st));
	close(fd);
	CHECK_EQ(st.st_size, 10000);
	CHECK(st.st_blksize >= 512);
	CHECK(st.st_blocks * 512 >= 10000);
	CHECK(st.st_ino != 0);
	CHECK_OK(stat(".", &dst));
	CHECK_EQ(dst.st_dev, st.st_dev);
	CHECK(dst.st_size > 0);
	CHECK(S_ISDIR(dst.st_mode));
	return 0;
}

static int stat_inode_stable(void)
{
	struct stat a, b;
	char name[16];

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(stat("f", &a));
	/* Churn: many other files created and removed. */
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		CHECK_OK(fsc_touch(name));
	}
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		CHECK_OK(unlink(name));
	}
	CHECK_OK(stat("f", &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	return 0;
}

static int stat_inodes_distinct(void)
{
	struct stat a, b, c;

	CHECK_OK(fsc_touch("f"));
	CHECK_OK(fsc_touch("g"));
	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(stat("f", &a));
	CHECK_OK(stat("g", &b));
	CHECK_OK(stat("d", &c));
	CHECK(a.st_ino != b.st_ino);
	CHECK(a.st_ino != c.st_ino);
	CHECK(b.st_ino != c.st_ino);
	return 0;
}

static int stat_fstatat_flags(void)
{
	struct stat st;
	int dfd;

	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(fsc_write_file("d/f", "12345", 0644));
	CHECK_OK(symlink("f", "d/l"));
	CHECK_SET(dfd, open("d", O_RDONLY | O_DIRECTORY));
	CHECK_OK(fstatat(dfd, "l", &st, 0));
	CHECK_EQ(st.st_size, 5);
	CHECK_OK(fstatat(dfd, "l", &st, AT_SYMLINK_NOFOLLOW));
	CHECK(S_ISLNK(st.st_mode));
	CHECK_OK(fstatat(dfd, "", &st, AT_EMPTY_PATH));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_ERR(fstatat(dfd, "", &st, 0), ENOENT);
	close(dfd);
	return 0;
}

static int statx_basic(void)
{
	struct statx stx;

	CHECK_OK(fsc_write_file("f", "abc", 0640));
	CHECK_OK(statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &stx));
	CHECK((stx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
	CHECK_EQ(stx.stx_size, 3);
	CHECK_EQ(stx.stx_mode & 07777, 0640);
	CHECK_EQ(stx.stx_nlink, 1);
	CHECK_OK(statx(AT_FDCWD, "f", AT_STATX_FORCE_SYNC, STATX_SIZE, &stx));
	CHECK_EQ(stx.stx_size, 3);
	return 0;
}

/* ---- access as root ---- */

static int access_root(void)
{
	CHECK_OK(fsc_touch("f"));
	CHECK_OK(chmod("f", 0));
	CHECK_OK(access("f", F_OK));
	CHECK_OK(access("f", R_OK | W_OK));
	CHECK_ERR(access("f", X_OK), EACCES);
	CHECK_OK(chmod("f", 0010));
	CHECK_OK(access("f", X_OK));
	CHECK_OK(mkdir("d", 0));
	CHECK_OK(access("d", R_OK | W_OK | X_OK));
	CHECK_ERR(access("missing", F_OK), ENOENT);
	CHECK_ERR(access("f/x", F_OK), ENOTDIR);
	CHECK_ERR(access("f", 0x40), EINVAL);
	return 0;
}

const struct fsc_check fsc_checks_attr[] = {
	{"chmod/basic-ctime", chmod_basic},
	{"chmod/dir-and-fifo", chmod_dir_and_special},
	{"chmod/errors", chmod_errors},
	{"chmod/follows-symlink", chmod_follows_symlink},
	{"chmod/fchmod", fchmod_basic},
	{"chown/basic-ctime", chown_basic},
	{"chown/errors", chown_errors},
	{"chown/lchown-symlink", chown_symlink},
	{"chown/clears-suid-sgid", chown_clears_suid_sgid},
	{"chown/dir-keeps-sgid", chown_dir_keeps_sgid},
	{"utimensat/explicit-ns", utimensat_explicit},
	{"utimensat/pre-epoch-and-far-future", utimensat_extreme_times},
	{"utimensat/utime-now-and-omit", utimensat_now_and_omit},
	{"utimensat/both-omit-keeps-ctime", utimensat_both_omit_keeps_ctime},
	{"utimensat/null-is-now", utimensat_null_is_now},
	{"utimensat/symlink-nofollow", utimensat_nofollow},
	{"utimensat/errors", utimensat_errors},
	{"utimensat/futimens", futimens_basic},
	{"utimensat/utimes-dir-usec", utimes_dir},
	{"times/write-updates-mtime-ctime", write_updates_mtime_ctime},
	{"times/read-keeps-mtime-ctime", read_keeps_mtime},
	{"times/zero-length-write-keeps-mtime", zero_length_write_keeps_mtime},
	{"truncate/shrink-grow", truncate_shrink_grow},
	{"truncate/large-pattern", truncate_large_pattern},
	{"truncate/updates-times", truncate_updates_times},
	{"truncate/errors", truncate_errors},
	{"truncate/follows-symlink", truncate_follows_symlink},
	{"ftruncate/basic-offset-kept", ftruncate_basic},
	{"ftruncate/errors", ftruncate_errors},
	{"stat/fields", stat_fields},
	{"stat/inode-stable", stat_inode_stable},
	{"stat/inodes-distinct", stat_inodes_distinct},
	{"stat/fstatat-flags", stat_fstatat_flags},
	{"stat/statx", statx_basic},
	{"access/root", access_root},
	{NULL, NULL},
};

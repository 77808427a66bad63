/*
 * fsconform: a POSIX/Linux filesystem conformance suite in the spirit of
 * pjdfstest, used to show that a provfs mount behaves like ext4.
 *
 * Each check is a function that runs in its own forked process, with its
 * working directory set to a fresh, empty directory of its own (mode 0755,
 * owned by root) and umask 022.  It returns 0 when the filesystem behaved
 * as expected and -1 (through the CHECK macros) otherwise; the first
 * failure's description is kept in a buffer shared with the harness, so a
 * check may fork helpers (for example as a non-root user) whose failures
 * are reported too.  Checks must not depend on one another or on the
 * order they run in.
 *
 * The expectations are those of ext4 on Linux, run as root: where tmpfs or
 * another filesystem legitimately differs, ext4 wins.
 */
#ifndef FSCONFORM_H
#define FSCONFORM_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* One check: a name such as "rename/over-open-file" and its body. */
struct fsc_check {
	const char *name;
	int (*run)(void);
};

/* The unprivileged identities used by permission checks. */
#define NOBODY 65534
#define OTHER 65533

/*
 * Records a failure ("file:line: message") in the shared buffer unless one
 * is recorded already, and returns -1 so a check can `return fsc_fail()`.
 */
int fsc_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define FAIL(...) return fsc_fail(__FILE__, __LINE__, __VA_ARGS__)

/* The condition must hold. */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			FAIL("%s", #cond);                                                         \
	} while (0)

/* Like CHECK, with printf-style detail on failure. */
#define CHECKF(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			FAIL(__VA_ARGS__);                                                         \
	} while (0)

/* The call (returning -1/negative on failure) must succeed. */
#define CHECK_OK(call)                                                                             \
	do {                                                                                       \
		errno = 0;                                                                         \
		if ((long)(call) < 0)                                                              \
			FAIL("%s: %s", #call, fsc_errname(errno));                                 \
	} while (0)

/* Assigns the result of a call that returns a descriptor or count, failing on < 0. */
#define CHECK_SET(var, call)                                                                       \
	do {                                                                                       \
		errno = 0;                                                                         \
		(var) = (call);                                                                    \
		if ((long)(var) < 0)                                                               \
			FAIL("%s: %s", #call, fsc_errname(errno));                                 \
	} while (0)

/* The call must fail with -1 and exactly errno `err`. */
#define CHECK_ERR(call, err)                                                                       \
	do {                                                                                       \
		errno = 0;                                                                         \
		long fsc_r_ = (long)(call);                                                        \
		int fsc_e_ = errno;                                                                \
		if (fsc_r_ >= 0)                                                                   \
			FAIL("%s: succeeded, expected %s", #call, fsc_errname(err));               \
		if (fsc_e_ != (err))                                                               \
			FAIL("%s: got %s, expected %s", #call, fsc_errname(fsc_e_),                \
			     fsc_errname(err));                                                    \
	} while (0)

/* The call must fail with one of two errnos (only where ext4 itself varies). */
#define CHECK_ERR2(call, err1, err2)                                                               \
	do {                                                                                       \
		errno = 0;                                                                         \
		long fsc_r_ = (long)(call);                                                        \
		int fsc_e_ = errno;                                                                \
		if (fsc_r_ >= 0)                                                                   \
			FAIL("%s: succeeded, expected %s", #call, fsc_errname(err1));              \
		if (fsc_e_ != (err1) && fsc_e_ != (err2))                                          \
			FAIL("%s: got %s, expected %s or %s", #call, fsc_errname(fsc_e_),          \
			     fsc_errname(err1), fsc_errname(err2));                                \
	} while (0)

/*
 * Two integers must be equal; prints both (and errno after a -1) on failure.
 * errno is cleared first, so do not pass errno itself: use CHECK_ERR.
 */
#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		errno = 0;                                                                         \
		long long fsc_a_ = (long long)(a), fsc_b_ = (long long)(b);                        \
		int fsc_e_ = errno;                                                                \
		if (fsc_a_ != fsc_b_)                                                              \
			FAIL("%s == %s: %lld != %lld%s%s", #a, #b, fsc_a_, fsc_b_,                 \
			     fsc_a_ == -1 && fsc_e_ ? " errno " : "",                              \
			     fsc_a_ == -1 && fsc_e_ ? fsc_errname(fsc_e_) : "");                   \
	} while (0)

/* Octal variant for modes. */
#define CHECK_MODE(path, expect)                                                                   \
	do {                                                                                       \
		struct stat fsc_st_;                                                               \
		CHECK_OK(lstat((path), &fsc_st_));                                                 \
		if ((fsc_st_.st_mode & 07777) != (mode_t)(expect))                                 \
			FAIL("mode of %s is %04o, expected %04o", (path),                          \
			     (unsigned)(fsc_st_.st_mode & 07777), (unsigned)(expect));             \
	} while (0)

/*
 * Child processes.  fsc_fork_as() forks; in the child it drops to
 * uid/gid with the given supplementary groups (ngroups may be 0) and
 * returns 0; in the parent it returns the child's pid (or -1).  The child
 * ends with _exit(0) on success; a CHECK failing in the child returns from
 * the check function, which makes the harness end the child with status 1.
 * fsc_wait() returns 0 when the child exited 0, else records why and
 * returns -1.
 */
pid_t fsc_fork_as(uid_t uid, gid_t gid, int ngroups, const gid_t *groups);
pid_t fsc_fork(void);
int fsc_wait(pid_t pid);

#define CHECK_CHILD(pid)                                                                           \
	do {                                                                                       \
		if (fsc_wait(pid))                                                                 \
			FAIL("child process failed");                                              \
	} while (0)

/*
 * Small file helpers; all return 0 or -1 with errno set.  fsc_write_file()
 * creates a missing file with exactly `mode` (no umask) and truncates an
 * existing one, keeping its mode.
 */
int fsc_write_file(const char *path, const char *data, mode_t mode);
int fsc_touch(const char *path);
/* Reads up to len-1 bytes of path into buf, NUL-terminated; returns bytes or -1. */
ssize_t fsc_read_file(const char *path, char *buf, size_t len);
/* 1 when the file holds exactly `data`, 0 otherwise. */
int fsc_file_is(const char *path, const char *data);
/* Writes / checks len bytes of a position-dependent pattern (seeded). */
int fsc_fill(int fd, off_t off, size_t len, unsigned seed);
int fsc_verify(int fd, off_t off, size_t len, unsigned seed);
/* Removes a tree; used by the harness and by checks. */
int fsc_rmtree(const char *path);
/* Number of entries (excluding . and ..) of a directory, or -1. */
int fsc_count_entries(const char *path);

/* Sleeps long enough for the kernel's coarse clock to tick. */
void fsc_tick(void);
/* 1 when a is strictly later than b. */
int fsc_ts_after(struct timespec a, struct timespec b);

/* "ENOENT" etc.; for numbers without a name, "errno N". */
const char *fsc_errname(int err);

/* A string of n copies of c, in a static buffer (n < 8192). */
const char *fsc_repeat(char c, size_t n);

/* The check tables, each ended by an entry with a NULL name. */
extern const struct fsc_check fsc_checks_create[];
extern const struct fsc_check fsc_checks_remove[];
extern const struct fsc_check fsc_checks_attr[];
extern const struct fsc_check fsc_checks_perm[];
extern const struct fsc_check fsc_checks_io[];
extern const struct fsc_check fsc_checks_misc[];

#endif

/*
 * fsconform: runs every check in its own process and its own fresh
 * directory under DIR, and prints TAP.  See fsconform.h for the contract
 * of a check.
 *
 *   fsconform [-k] [-l] [-t PATTERN] DIR
 *
 * -k keeps the directories of failed checks for inspection, -l lists the
 * checks, -t runs only those whose name matches the fnmatch(3) PATTERN
 * (may be repeated).  Exit status: 0 all passed, 1 some failed, 2 usage or
 * setup error, 77 not run as root.
 */
#include "fsconform.h"

#include <dirent.h>
#include <fnmatch.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#define DETAIL_SIZE 4096

/* Failure text shared by a check and every process it forks. */
static char *shared_detail;

/* Seconds a check may take before it is killed. */
#define CHECK_TIMEOUT 120

static const struct fsc_check *const check_tables[] = {
	fsc_checks_create, fsc_checks_remove, fsc_checks_attr,
	fsc_checks_perm,   fsc_checks_io,     fsc_checks_misc,
};

int fsc_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[DETAIL_SIZE - 64];
	va_list ap;
	const char *base = strrchr(file, '/');

	if (shared_detail[0])
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(shared_detail, DETAIL_SIZE, "%s:%d: %s", base ? base + 1 : file, line, msg);
	return -1;
}

const char *fsc_errname(int err)
{
	static char buf[32];
	const char *name;

	if (err == 0)
		return "no error";
	name = strerrorname_np(err);
	if (name)
		return name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

pid_t fsc_fork(void)
{
	fflush(NULL);
	return fork();
}

pid_t fsc_fork_as(uid_t uid, gid_t gid, int ngroups, const gid_t *groups)
{
	pid_t pid = fsc_fork();

	if (pid != 0)
		return pid;
	if (setgroups(ngroups, groups) || setgid(gid) || setuid(uid)) {
		fsc_fail(__FILE__, __LINE__, "cannot become uid %u: %s", (unsigned)uid,
			 fsc_errname(errno));
		_exit(1);
	}
	return 0;
}

int fsc_wait(pid_t pid)
{
	int status;

	if (pid < 0)
		return fsc_fail(__FILE__, __LINE__, "fork: %s", fsc_errname(errno));
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return fsc_fail(__FILE__, __LINE__, "waitpid: %s", fsc_errname(errno));
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return fsc_fail(__FILE__, __LINE__, "child killed by signal %d", WTERMSIG(status));
	return fsc_fail(__FILE__, __LINE__, "child exited with status %d", WEXITSTATUS(status));
}

int fsc_write_file(const char *path, const char *data, mode_t mode)
{
	size_t len = strlen(data);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);

	if (fd >= 0) {
		if (fchmod(fd, mode)) {
			close(fd);
			return -1;
		}
	} else if (errno == EEXIST) {
		fd = open(path, O_WRONLY | O_TRUNC);
	}
	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		int e = errno;
		close(fd);
		errno = e ? e : EIO;
		return -1;
	}
	return close(fd);
}

int fsc_touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);

	if (fd < 0)
		return -1;
	return close(fd);
}

ssize_t fsc_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (got + 1 < len && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	return (ssize_t)got;
}

int fsc_file_is(const char *path, const char *data)
{
	char buf[8192];
	ssize_t n = fsc_read_file(path, buf, sizeof(buf));

	return n >= 0 && (size_t)n == strlen(data) && memcmp(buf, data, (size_t)n) == 0;
}

static unsigned char pattern_byte(off_t pos, unsigned seed)
{
	unsigned long long x = (unsigned long long)pos * 2654435761u + seed * 40503u;

	return (unsigned char)((x >> 7) ^ (x >> 17) ^ seed);
}

int fsc_fill(int fd, off_t off, size_t len, unsigned seed)
{
	unsigned char buf[65536];

	while (len > 0) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern_byte(off + (off_t)i, seed);
		ssize_t w = pwrite(fd, buf, n, off);
		if (w != (ssize_t)n)
			return -1;
		off += (off_t)n;
		len -= n;
	}
	return 0;
}

int fsc_verify(int fd, off_t off, size_t len, unsigned seed)
{
	unsigned char buf[65536];

	while (len > 0) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		ssize_t r = pread(fd, buf, n, off);
		if (r != (ssize_t)n)
			return -1;
		for (size_t i = 0; i < n; i++) {
			if (buf[i] != pattern_byte(off + (off_t)i, seed)) {
				errno = EILSEQ;
				return -1;
			}
		}
		off += (off_t)n;
		len -= n;
	}
	return 0;
}

/* Empties the directory open as dfd (which it closes); depth-first, fd-relative. */
static int empty_dir(int dfd)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	int result = 0;

	if (!d) {
		close(dfd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			continue;
		if (errno != EISDIR) {
			result = -1;
			continue;
		}
		int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (sub < 0 || empty_dir(sub) || unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR))
			result = -1;
	}
	closedir(d);
	return result;
}

int fsc_rmtree(const char *path)
{
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);

	if (dfd < 0)
		return errno == ENOENT ? 0 : -1;
	if (empty_dir(dfd))
		return -1;
	return rmdir(path);
}

int fsc_count_entries(const char *path)
{
	int n = 0;
	DIR *d;
	struct dirent *e;

	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	}
	closedir(d);
	return n;
}

void fsc_tick(void)
{
	struct timespec ts = {0, 20 * 1000 * 1000};

	nanosleep(&ts, NULL);
}

int fsc_ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

const char *fsc_repeat(char c, size_t n)
{
	static char buf[8192];

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/*
 * Runs one check in a child whose cwd is `dir`.  Returns 0 on pass, else
 * -1 with the reason in shared_detail.
 */
static int run_check(const struct fsc_check *check, const char *dir)
{
	pid_t pid;

	shared_detail[0] = '\0';
	if (mkdir(dir, 0755))
		return fsc_fail(__FILE__, __LINE__, "cannot create '%s': %s", dir,
				fsc_errname(errno));
	/* mkdir applies the umask; a sgid parent could add bits: pin them. */
	if (chmod(dir, 0755))
		return fsc_fail(__FILE__, __LINE__, "chmod '%s': %s", dir, fsc_errname(errno));
	pid = fsc_fork();
	if (pid == 0) {
		int result;

		setpgid(0, 0);
		if (chdir(dir))
			_exit(fsc_fail(__FILE__, __LINE__, "chdir: %s", fsc_errname(errno)) ? 1 : 0);
		umask(022);
		alarm(CHECK_TIMEOUT);
		result = check->run();
		/* Children forked by the check end here too, with their result. */
		_exit(result == 0 ? 0 : 1);
	}
	if (fsc_wait(pid) == 0)
		return 0;
	/* Reap anything the check left behind (its process group). */
	kill(-pid, SIGKILL);
	return -1;
}

static int name_selected(const char *name, char **patterns, int npatterns)
{
	if (npatterns == 0)
		return 1;
	for (int i = 0; i < npatterns; i++) {
		if (fnmatch(patterns[i], name, 0) == 0)
			return 1;
	}
	return 0;
}

/* Whether NOBODY can search DIR: permission checks are meaningless otherwise. */
static int nobody_can_reach(const char *dir)
{
	pid_t pid = fsc_fork_as(NOBODY, NOBODY, 0, NULL);

	if (pid == 0)
		_exit(access(dir, X_OK) == 0 ? 0 : 1);
	return fsc_wait(pid) == 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: fsconform [-k] [-l] [-t PATTERN]... DIR\n"
		     "  runs POSIX filesystem conformance checks inside DIR (as root), prints TAP\n"
		     "  -k          keep the directories of failed checks\n"
		     "  -l          list the checks and exit\n"
		     "  -t PATTERN  run only checks whose name matches (fnmatch), repeatable\n"
		     "  -T          if uid 65534 cannot reach DIR, run in a new directory under\n"
		     "              $TMPDIR (or /tmp) instead (the build tree's own check: a\n"
		     "              clone under root's 0700 home)\n");
}

int main(int argc, char **argv)
{
	char *patterns[64];
	int npatterns = 0, keep = 0, list = 0, fall_back = 0, opt;
	int total = 0, failed = 0, n = 0;
	char top[4096];

	while ((opt = getopt(argc, argv, "klt:Th")) != -1) {
		switch (opt) {
		case 'k':
			keep = 1;
			break;
		case 'l':
			list = 1;
			break;
		case 't':
			if (npatterns < 64)
				patterns[npatterns++] = optarg;
			break;
		case 'T':
			fall_back = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	for (size_t t = 0; t < sizeof(check_tables) / sizeof(check_tables[0]); t++) {
		for (const struct fsc_check *c = check_tables[t]; c->name; c++) {
			if (name_selected(c->name, patterns, npatterns)) {
				total++;
				if (list)
					printf("%s\n", c->name);
			}
		}
	}
	if (list)
		return 0;
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	if (geteuid() != 0) {
		printf("1..0 # SKIP fsconform must run as root\n");
		return 77;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	shared_detail = mmap(NULL, DETAIL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			     -1, 0);
	if (shared_detail == MAP_FAILED) {
		perror("fsconform: mmap");
		return 2;
	}
	snprintf(top, sizeof(top), "%s/fsconform.%d", argv[optind], (int)getpid());
	if (mkdir(top, 0755) || chmod(top, 0755)) {
		fprintf(stderr, "fsconform: cannot create '%s': %s\n", top, strerror(errno));
		return 2;
	}
	if (!nobody_can_reach(top) && fall_back) {
		const char *tmp = getenv("TMPDIR");

		fsc_rmtree(top);
		snprintf(top, sizeof(top), "%s/fsconform.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(top) || chmod(top, 0755)) {
			fprintf(stderr, "fsconform: cannot create '%s': %s\n", top, strerror(errno));
			return 2;
		}
		printf("# uid %d cannot reach '%s': running in '%s'\n", NOBODY, argv[optind], top);
	}
	if (!nobody_can_reach(top)) {
		fprintf(stderr,
			"fsconform: uid %d cannot search '%s'; permission checks need every "
			"parent directory searchable by others\n",
			NOBODY, top);
		fsc_rmtree(top);
		return 2;
	}
	/* A check that kills a helper's group must not take us with it. */
	signal(SIGPIPE, SIG_IGN);

	printf("1..%d\n", total);
	for (size_t t = 0; t < sizeof(check_tables) / sizeof(check_tables[0]); t++) {
		for (const struct fsc_check *c = check_tables[t]; c->name; c++) {
			char dir[4200];

			if (!name_selected(c->name, patterns, npatterns))
				continue;
			n++;
			snprintf(dir, sizeof(dir), "%s/%04d", top, n);
			if (run_check(c, dir) == 0) {
				printf("ok %d - %s\n", n, c->name);
			} else {
				failed++;
				printf("not ok %d - %s # %s\n", n, c->name, shared_detail);
				if (keep)
					continue;
			}
			if (fsc_rmtree(dir))
				printf("# warning: cannot remove '%s': %s\n", dir, strerror(errno));
		}
	}
	if (!keep || failed == 0)
		rmdir(top);
	printf("# %d passed, %d failed\n", total - failed, failed);
	return failed ? 1 : 0;
}

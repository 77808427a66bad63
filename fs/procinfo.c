#include "procinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* A process in an exec's window with no arguments yet: 20 reads 0.5 ms
 * apart. */
#define ARGV_RETRIES 20
#define ARGV_RETRY_NS 500000L

static char *read_link(int dirfd, const char *what)
{
	static const char deleted[] = " (deleted)";
	const size_t dl = sizeof(deleted) - 1;
	char buf[PATH_MAX];
	ssize_t n = readlinkat(dirfd, what, buf, sizeof(buf) - 1);
	struct stat st;

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	/* The kernel's mark of a directory or program removed since: the
	 * path it had then is what is meant, not one of that name (a
	 * directory really named so is no longer there: it is linked). */
	if ((size_t)n > dl && !strcmp(buf + n - dl, deleted) && fstatat(dirfd, what, &st, 0) == 0 &&
	    st.st_nlink == 0)
		buf[n - dl] = '\0';
	return strdup(buf);
}

char *procinfo_exe(pid_t pid)
{
	char link[32];

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	return read_link(AT_FDCWD, link);
}

/* Boot time in seconds since the epoch, from /proc/stat's btime. */
static int64_t boot_time(void)
{
	static int64_t cached;
	char line[256];
	FILE *f;

	if (cached)
		return cached;
	f = fopen("/proc/stat", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		long long bt;

		if (sscanf(line, "btime %lld", &bt) == 1) {
			cached = bt;
			break;
		}
	}
	fclose(f);
	return cached;
}

/* An argument as JSON: a string if it is UTF-8, else {"percent": its
 * percent_encode}, so that no byte is lost (see procinfo_argv_json). */
static json_t *arg_json(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	char *enc;

	if (j)
		return j;
	enc = percent_encode(s, len);
	j = enc ? json_pack("{s:s}", "percent", enc) : NULL;
	free(enc);
	return j;
}

char *procinfo_argv_json(const char *buf, size_t len, int cut)
{
	json_t *arr = json_array();
	size_t start = 0;
	char *out;

	if (!arr)
		return NULL;
	if (cut) /* up to the last whole argument */
		while (len && buf[len - 1] != '\0')
			len--;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\0') {
			json_array_append_new(arr, arg_json(buf + start, i - start));
			start = i + 1;
		}
	}
	if (start < len)
		json_array_append_new(arr, arg_json(buf + start, len - start));
	if (cut)
		json_array_append_new(arr, json_null());
	out = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return out;
}

int procinfo_argv_cut(json_t *argv)
{
	size_t n = json_array_size(argv);

	if (!n || !json_is_null(json_array_get(argv, n - 1)))
		return 0;
	json_array_remove(argv, n - 1);
	return 1;
}

static char *read_cmdline(int dirfd)
{
	/* Arguments past 64 KiB are cut off (and the cut marked): a whole
	 * command line can be 2 MiB, and every process's is in the manifest. */
	static __thread char buf[65536];
	int fd = openat(dirfd, "cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int cut = 0;
	char more;

	if (fd < 0)
		return strdup("[]");
	n = read_full(fd, buf, sizeof(buf));
	if (n == (ssize_t)sizeof(buf))
		cut = read(fd, &more, 1) == 1;
	close(fd);
	return procinfo_argv_json(buf, n > 0 ? (size_t)n : 0, cut);
}

int procinfo_exe_is(const char *exe, const char *path)
{
	size_t el, pl;

	if (!exe || !path)
		return 0;
	if (*path == '/')
		return !strcmp(exe, path);
	el = strlen(exe);
	pl = strlen(path);
	return el > pl && exe[el - pl - 1] == '/' && !strcmp(exe + el - pl, path);
}

/* From /proc/PID/stat's text after PPID (pgrp ... arg_start): the
 * kernel's flags of the process (the 9th field), its threads (num_threads,
 * the 20th), its start time (the 22nd) as ns since the epoch, and where
 * its arguments lie (arg_start, the 48th: 0 where the reader may not
 * trace it), each 0 if it does not parse. */
static void parse_stat_rest(const char *rest, struct procinfo_stat *st)
{
	unsigned long long ticks, args;
	unsigned flags;
	long hz;
	int n = sscanf(rest,
		       "%*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %d %*d %llu"
		       " %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s" /* 23-35 */
		       " %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu", /* 36-48 */
		       &flags, &st->threads, &ticks, &args);

	st->flags = n >= 1 ? flags : 0;
	if (n < 2)
		st->threads = 0;
	st->image = n >= 4 ? (uint64_t)args : 0;
	st->start_ns = 0;
	if (n < 3)
		return;
	hz = sysconf(_SC_CLK_TCK);
	if (hz > 0)
		st->start_ns = boot_time() * 1000000000LL +
			       (int64_t)(ticks * (1000000000ULL / (unsigned long long)hz));
}

int procinfo_parse_stat(const char *text, struct procinfo_stat *st)
{
	const char *open = strchr(text, '(');
	const char *close = strrchr(text, ')');
	size_t len;
	int ppid = 0, used = 0;

	memset(st, 0, sizeof(*st));
	if (!open || !close || close < open || close[1] != ' ' || !close[2])
		return -EINVAL;
	len = (size_t)(close - open - 1);
	if (len >= sizeof(st->comm))
		len = sizeof(st->comm) - 1;
	memcpy(st->comm, open + 1, len);
	st->state = close[2];
	if (sscanf(close + 3, " %d%n", &ppid, &used) == 1) {
		st->ppid = ppid;
		st->rest = close + 3 + used;
	} else {
		st->rest = close + 3;
	}
	parse_stat_rest(st->rest, st);
	return 0;
}

/* Reads the file name of dirfd (or an absolute path) into buf, and, if
 * st, the file's owner (the process's) into *st. */
static int read_stat_text(int dirfd, const char *name, char *buf, size_t cap, struct stat *st)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if (st && fstat(fd, st) < 0)
		memset(st, 0, sizeof(*st));
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	return 0;
}

/* Reads and parses the stat file name of dirfd (or an absolute path)
 * into st: 0, or -errno. */
static int stat_at(int dirfd, const char *name, struct procinfo_stat *st)
{
	char buf[1024];
	int ret = read_stat_text(dirfd, name, buf, sizeof(buf), NULL);

	if (ret < 0) {
		memset(st, 0, sizeof(*st));
		return ret;
	}
	ret = procinfo_parse_stat(buf, st);
	st->rest = NULL; /* buf is gone */
	return ret;
}

int procinfo_stat(pid_t pid, struct procinfo_stat *st)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return stat_at(AT_FDCWD, path, st);
}

pid_t procinfo_ppid(pid_t pid, int64_t *start_ns)
{
	struct procinfo_stat st;
	int ok = procinfo_stat(pid, &st) == 0;

	if (start_ns)
		*start_ns = ok ? st.start_ns : 0;
	return ok ? st.ppid : 0;
}

/* The process (thread group) of thread pid, whose /proc is dirfd, where
 * it is not the thread itself: its pid (Tgid in status) and start time
 * into out.  Only where the process has other threads: a thread's
 * own start time differs from its process's, and a record under it was
 * taken for a process of its own (a Go or Java program's threads, each a
 * "process" with the same arguments). */
static void read_thread_group(int dirfd, struct procinfo *out)
{
	char buf[4096];
	const char *line;
	struct procinfo_stat ls;
	int tgid;

	if (read_stat_text(dirfd, "status", buf, sizeof(buf), NULL) < 0)
		return;
	line = strstr(buf, "\nTgid:");
	if (!line || sscanf(line + 6, "%d", &tgid) != 1 || tgid <= 0 || tgid == out->pid)
		return;
	if (procinfo_stat(tgid, &ls) < 0)
		return;
	out->tgid = tgid;
	out->tgid_start_ns = ls.start_ns;
}

/* The image of the process whose /proc is dirfd (see struct procinfo),
 * 0 if unknown. */
static uint64_t read_image(int dirfd)
{
	struct procinfo_stat ps;

	return stat_at(dirfd, "stat", &ps) == 0 ? ps.image : 0;
}

/* procinfo_read, or (alone) -EBUSY before anything but the stat is read
 * where pid has other threads. */
static int read_process(pid_t pid, struct procinfo *out, int alone)
{
	char path[64], buf[1024];
	struct procinfo_stat ps;
	int dirfd, ret, parsed;
	struct stat st;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	/* Everything is read relative to one fd of /proc/PID: if the
	 * process exits meanwhile and its pid is reused, the reads fail
	 * instead of mixing the newcomer's cwd or argv into its record. */
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	ret = read_stat_text(dirfd, "stat", buf, sizeof(buf), &st);
	if (ret < 0) {
		close(dirfd);
		return ret;
	}
	out->uid = st.st_uid;
	out->gid = st.st_gid;
	parsed = procinfo_parse_stat(buf, &ps) == 0;
	out->ppid = ps.ppid;
	/* A zombie (exited, not yet reaped), or a process exiting, has no
	 * program or arguments left to read: it is gone. */
	if (parsed && procinfo_gone(&ps)) {
		close(dirfd);
		return -ESRCH;
	}
	if (alone && (!parsed || ps.threads != 1)) {
		close(dirfd);
		return -EBUSY;
	}
	if (parsed) {
		out->start_ns = ps.start_ns;
		memcpy(out->comm, ps.comm, sizeof(out->comm));
		if (ps.threads > 1)
			read_thread_group(dirfd, out);
	}
	/* An exec between the reads would mix two programs in one record:
	 * the exe is read again after the rest, and a change starts over.
	 * An exec also has a moment when the new program is the exe but its
	 * arguments are not in place yet (cmdline reads empty): a readable
	 * exe with no arguments is read again a little later, up to
	 * ARGV_RETRIES times (a program run with no arguments at all, which
	 * is rare, costs that wait). */
	for (int tries = 0, waits = 0; tries < 3;) {
		char *again;
		int moving;

		procinfo_free(out);
		out->exe = read_link(dirfd, "exe");
		/* Its image: where its arguments lie, set once an exec has
		 * put them there (before that, 0 and no arguments), unlike
		 * startstack, which an exec sets twice.  Read before and after
		 * the arguments: the one read after them where it is 0 before
		 * (in the exec), the one before where it is 0 after (exiting,
		 * the process loses it with its program). */
		out->image = read_image(dirfd);
		out->cwd = read_link(dirfd, "cwd");
		out->argv_json = read_cmdline(dirfd);
		if (!out->image)
			out->image = read_image(dirfd);
		again = read_link(dirfd, "exe");
		/* (an exe unreadable now is one exiting, not one that ran
		 * another program: what was read before stands) */
		moving = out->exe && again && *again && strcmp(out->exe, again);
		if (moving || !out->exe || !*out->exe)
			out->image = 0; /* an exec among the reads, or no program */
		free(again);
		if (moving) {
			tries++;
		} else if (out->exe && *out->exe && out->argv_json &&
			   !strcmp(out->argv_json, "[]") && waits < ARGV_RETRIES) {
			waits++;
			nanosleep(&(struct timespec){.tv_nsec = ARGV_RETRY_NS}, NULL);
		} else {
			break;
		}
	}
	if (out->exe && !*out->exe && out->argv_json && !strcmp(out->argv_json, "[]") &&
	    (stat_at(dirfd, "stat", &ps) != 0 || procinfo_gone(&ps))) {
		/* It began to exit during the reads (and may be gone by now,
		 * its stat unreadable): its program and arguments were gone,
		 * and its directory may be one it moved to (`mkdir -p
		 * lib/.deps` in lib), not the one it ran in. */
		procinfo_free(out);
		close(dirfd);
		return -ESRCH;
	}
	close(dirfd);
	if (!out->exe || !out->cwd || !out->argv_json) {
		procinfo_free(out);
		return -ENOMEM;
	}
	return 0;
}

int procinfo_read(pid_t pid, struct procinfo *out)
{
	return read_process(pid, out, 0);
}

int procinfo_read_alone(pid_t pid, struct procinfo *out)
{
	return read_process(pid, out, 1);
}

void procinfo_free(struct procinfo *info)
{
	free(info->exe);
	free(info->cwd);
	free(info->argv_json);
	info->exe = info->cwd = info->argv_json = NULL;
}

int procinfo_running(pid_t pid)
{
	struct procinfo_stat st;

	if (pid <= 0 || procinfo_stat(pid, &st) != 0)
		return 0;
	/* PF_EXITING (0x4): on its way out. */
	return st.state != 'Z' && st.state != 'X' && !(st.flags & 0x4);
}

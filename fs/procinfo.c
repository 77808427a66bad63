#include "procinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static char *read_link(pid_t pid, const char *what)
{
	char path[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return strdup(buf);
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

/* Replaces invalid UTF-8 with U+FFFD so jansson accepts it. */
static json_t *json_lossy_string(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	char *fixed;
	size_t o = 0;

	if (j)
		return j;
	fixed = malloc(len * 3 + 1);
	if (!fixed)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x80) {
			fixed[o++] = (char)c;
		} else {
			fixed[o++] = (char)0xef;
			fixed[o++] = (char)0xbf;
			fixed[o++] = (char)0xbd;
		}
	}
	j = json_stringn(fixed, o);
	free(fixed);
	return j;
}

char *procinfo_argv_json(const char *buf, size_t len)
{
	json_t *arr = json_array();
	size_t start = 0;
	char *out;

	if (!arr)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\0') {
			json_array_append_new(arr, json_lossy_string(buf + start, i - start));
			start = i + 1;
		}
	}
	if (start < len)
		json_array_append_new(arr, json_lossy_string(buf + start, len - start));
	out = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return out;
}

static char *read_cmdline(pid_t pid)
{
	char path[64], *buf;
	size_t cap = 65536;
	ssize_t n;
	int fd;
	char *out;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return strdup("[]");
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return NULL;
	}
	n = read_full(fd, buf, cap);
	close(fd);
	out = procinfo_argv_json(buf, n > 0 ? (size_t)n : 0);
	free(buf);
	return out;
}

int procinfo_read(pid_t pid, struct procinfo *out)
{
	char path[64], buf[1024], *p;
	unsigned long long start_ticks = 0;
	int ppid = 0, fd;
	ssize_t n;
	struct stat st;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if (fstat(fd, &st) == 0) {
		out->uid = st.st_uid;
		out->gid = st.st_gid;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* comm may hold spaces and parens: parse after the last ')'. */
	p = strrchr(buf, ')');
	if (p && sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			"%*d %*d %*d %*d %llu", &ppid, &start_ticks) == 2) {
		long hz = sysconf(_SC_CLK_TCK);

		out->ppid = ppid;
		if (hz > 0)
			out->start_ns = boot_time() * 1000000000LL +
					(int64_t)(start_ticks * (1000000000ULL / (unsigned long long)hz));
	}
	out->exe = read_link(pid, "exe");
	out->cwd = read_link(pid, "cwd");
	out->argv_json = read_cmdline(pid);
	if (!out->exe || !out->cwd || !out->argv_json) {
		procinfo_free(out);
		return -ENOMEM;
	}
	return 0;
}

void procinfo_free(struct procinfo *info)
{
	free(info->exe);
	free(info->cwd);
	free(info->argv_json);
	info->exe = info->cwd = info->argv_json = NULL;
}

/* Cleaning a built environment (see envclean.h). */
#include "envclean.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

/* What a build leaves that differs from one build to the next without
 * meaning anything.  Dot files match too (tmp/.X11-unix). */
static const char *const scratch[] = {
    "/var/cache/apt/*.bin",
    "/var/cache/apt/archives/*.deb",
    "/var/cache/apt/archives/partial/*",
    "/var/lib/apt/lists/*",
    "/var/log/*",
    "/var/cache/ldconfig/aux-cache",
    "/var/cache/debconf/*-old",
    "/var/lib/dpkg/*-old",
    "/var/cache/man/*",
    "/var/cache/fontconfig/*",
    "/etc/*-",
    "/var/lib/systemd/random-seed",
    "/tmp/*",
    "/var/tmp/*",
    "/root/.bash_history",
    "/debootstrap",
    /* made at install, random: sshd's keys (regenerate with ssh-keygen
     * -A in the slave), make-ssl-cert's snakeoil pair */
    "/etc/ssh/ssh_host_*_key",
    "/etc/ssh/ssh_host_*_key.pub",
    "/etc/ssl/private/ssl-cert-snakeoil.key",
    "/etc/ssl/certs/ssl-cert-snakeoil.pem",
};

/* Files debootstrap copies from the machine that builds the root (its
 * resolver, its name): emptied where they hold that copy, so that the
 * digest does not depend on the machine.  With --net the slave gets the
 * host's resolver (sandbox.c). */
static const char *const host_copies[] = {"/etc/resolv.conf", "/etc/hostname"};
#define N_HOST_COPIES (sizeof(host_copies) / sizeof(host_copies[0]))

/* What a root without /etc/hosts gets (debootstrap makes none, netbase
 * the same as this): without it "localhost", the slave's host name too,
 * resolves to nothing. */
static const char default_hosts[] = "127.0.0.1\tlocalhost\n"
				    "::1\t\tlocalhost ip6-localhost ip6-loopback\n"
				    "ff02::1\t\tip6-allnodes\n"
				    "ff02::2\t\tip6-allrouters\n";

long envclean_today(void)
{
	return (long)(time(NULL) / 86400);
}

/* The "Date:" of an apt Release or InRelease file ("Date: Sat, 11 Jul
 * 2026 10:16:37 UTC") in days since the epoch, or -1. */
static long release_day(const char *path)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	FILE *f = fopen(path, "r");
	char line[512];
	long day = -1;

	if (!f)
		return -1;
	while (day < 0 && fgets(line, sizeof(line), f)) {
		const char *p = line + 5, *m;
		struct tm tm = {0};
		char mon[4];
		time_t t;

		if (strncmp(line, "Date:", 5))
			continue;
		if (strchr(p, ','))
			p = strchr(p, ',') + 1;
		if (sscanf(p, "%d %3s %d %d:%d:%d", &tm.tm_mday, mon, &tm.tm_year, &tm.tm_hour,
			   &tm.tm_min, &tm.tm_sec) != 6 ||
		    strlen(mon) != 3 || !(m = strstr(months, mon)) || (m - months) % 3)
			break;
		tm.tm_mon = (int)(m - months) / 3;
		tm.tm_year -= 1900;
		t = timegm(&tm);
		if (t >= 0)
			day = (long)(t / 86400);
	}
	fclose(f);
	return day;
}

/* The newest date among the package lists apt used, or -1. */
static long lists_day(void)
{
	glob_t g;
	long day = -1;

	if (glob("/var/lib/apt/lists/*Release", 0, NULL, &g) != 0)
		return -1;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		long d = release_day(g.gl_pathv[i]);

		if (d > day)
			day = d;
	}
	globfree(&g);
	return day;
}

/* Sets /etc/shadow's third field (the date of the last password change,
 * in days) where it is a day in first .. last: the date the build ran,
 * written by the tools that made the accounts.  It becomes ref, or empty
 * (no password ageing) where ref is -1.  Other dates are kept. */
static int fix_shadow(long first, long last, long ref)
{
	char *text, *line, *next, *out = NULL;
	size_t len, outlen = 0;
	int changed = 0, ret;
	FILE *o;

	ret = file_read_all("/etc/shadow", 64 << 20, &text, &len);
	if (ret == -ENOENT || ret == -ENOTDIR || ret == -ELOOP)
		return 0; /* none, or a link that leads nowhere */
	if (ret < 0)
		return ret;
	o = open_memstream(&out, &outlen);
	if (!o) {
		free(text);
		return -ENOMEM;
	}
	for (line = text; line < text + len; line = next) {
		char *c1, *c2, *c3, *end = NULL;
		long day;

		next = memchr(line, '\n', (size_t)(text + len - line));
		next = next ? next + 1 : text + len;
		c1 = memchr(line, ':', (size_t)(next - line));
		c2 = c1 ? memchr(c1 + 1, ':', (size_t)(next - c1 - 1)) : NULL;
		c3 = c2 ? memchr(c2 + 1, ':', (size_t)(next - c2 - 1)) : NULL;
		errno = 0;
		day = c3 && c3 > c2 + 1 && c2[1] >= '0' && c2[1] <= '9' ? strtol(c2 + 1, &end, 10)
									: -1;
		if (day < first || day > last || end != c3 || errno) {
			fwrite(line, 1, (size_t)(next - line), o);
			continue;
		}
		fwrite(line, 1, (size_t)(c2 + 1 - line), o);
		if (ref >= 0)
			fprintf(o, "%ld", ref);
		fwrite(c3, 1, (size_t)(next - c3), o);
		changed = 1;
	}
	free(text);
	if (fclose(o) != 0) {
		free(out);
		return -ENOMEM;
	}
	if (changed) {
		/* in place: the file keeps its owner, mode and inode */
		int fd = open("/etc/shadow", O_WRONLY | O_TRUNC | O_CLOEXEC);

		ret = fd < 0 ? -errno : write_full(fd, out, outlen);
		if (fd >= 0 && close(fd) < 0 && ret == 0)
			ret = -errno;
	}
	free(out);
	return ret;
}

/* The first error of the walk in drop_pycache (nftw passes no context;
 * this runs in a child of its own). */
static int walk_err;

static int drop_pycache(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	int ret;

	(void)sb;
	if (type != FTW_D || strcmp(path + ftw->base, "__pycache__"))
		return FTW_CONTINUE;
	ret = remove_tree_at(AT_FDCWD, path);
	if (ret < 0 && ret != -ENOENT && !walk_err) {
		walk_err = ret;
		fprintf(stderr, "provfs: cannot remove '%s' from the environment: %s\n", path,
			strerror(-ret));
	}
	return FTW_SKIP_SUBTREE;
}

/* Empties path, a regular file, if it holds exactly text (len bytes). */
static int empty_if_copy(const char *path, const char *text, size_t len)
{
	struct stat st;
	char *mine;
	size_t n;
	int fd, ret;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != len)
		return 0;
	ret = file_read_all(path, len, &mine, &n);
	if (ret < 0)
		return ret;
	ret = n == len && !memcmp(mine, text, len);
	free(mine);
	if (!ret)
		return 0;
	fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* and the same mode whatever the host's was (debootstrap copies it) */
	ret = fchmod(fd, 0644) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/* Makes /etc/hosts where /etc is a directory without one. */
static int make_hosts(void)
{
	struct stat st;
	int fd, ret;

	if (lstat("/etc", &st) < 0 || !S_ISDIR(st.st_mode) || lstat("/etc/hosts", &st) == 0)
		return 0;
	fd = open("/etc/hosts", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ret = write_full(fd, default_hosts, sizeof(default_hosts) - 1);
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	return ret;
}

/* In the child, chrooted into the root; host[i] is the host's copy of
 * host_copies[i] (NULL where it has none). */
static int clean_here(long first, long last, char *const host[], const size_t host_len[])
{
	long ref = lists_day();
	int ret, fd;

	for (size_t i = 0; i < N_HOST_COPIES; i++) {
		ret = host[i] ? empty_if_copy(host_copies[i], host[i], host_len[i]) : 0;
		if (ret < 0) {
			fprintf(stderr, "provfs: cannot empty the environment's %s: %s\n",
				host_copies[i], strerror(-ret));
			return ret;
		}
	}
	ret = make_hosts();
	if (ret < 0) {
		fprintf(stderr, "provfs: cannot make the environment's /etc/hosts: %s\n",
			strerror(-ret));
		return ret;
	}

	ret = fix_shadow(first, last, ref);
	if (ret < 0) {
		fprintf(stderr,
			"provfs: cannot set the dates of the environment's /etc/shadow: %s\n",
			strerror(-ret));
		return ret;
	}
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++) {
		glob_t g;

		if (glob(scratch[i], GLOB_PERIOD, NULL, &g) != 0)
			continue;
		for (size_t k = 0; k < g.gl_pathc; k++) {
			const char *p = g.gl_pathv[k], *base = strrchr(p, '/') + 1;

			if (!strcmp(base, ".") || !strcmp(base, ".."))
				continue;
			ret = remove_tree_at(AT_FDCWD, p);
			if (ret < 0 && ret != -ENOENT) {
				fprintf(stderr,
					"provfs: cannot remove '%s' from the environment: %s\n", p,
					strerror(-ret));
				globfree(&g);
				return ret;
			}
		}
		globfree(&g);
	}
	if (nftw("/", drop_pycache, 32, FTW_PHYS | FTW_MOUNT | FTW_ACTIONRETVAL) < 0 && !walk_err)
		walk_err = -errno;
	if (walk_err)
		return walk_err;
	/* systemd makes an empty machine-id a new one at first boot; dbus's
	 * own copy (a file, where dbus made one at install) is emptied too */
	fd = open("/etc/machine-id", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	if (fd >= 0)
		close(fd);
	{
		struct stat st;

		if (lstat("/var/lib/dbus/machine-id", &st) == 0 && S_ISREG(st.st_mode)) {
			fd = open("/var/lib/dbus/machine-id", O_WRONLY | O_TRUNC | O_NOFOLLOW |
				  O_CLOEXEC);
			if (fd >= 0)
				close(fd);
		}
	}
	return 0;
}

int envclean_run(const char *root, long first_day, long last_day)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *host[N_HOST_COPIES] = {NULL};
		size_t host_len[N_HOST_COPIES] = {0};

		for (size_t i = 0; i < N_HOST_COPIES; i++)
			if (file_read_all(host_copies[i], 1 << 20, &host[i], &host_len[i]) < 0)
				host[i] = NULL;
		if (chroot(root) < 0 || chdir("/") < 0) {
			fprintf(stderr, "provfs: cannot enter '%s': %s\n", root, strerror(errno));
			_exit(1);
		}
		umask(022); /* what it makes has the same modes on every host */
		_exit(clean_here(first_day, last_day, host, host_len) < 0 ? 1 : 0);
	}
	st = cli_spawn_wait(pid);
	return st < 0 ? st : st == 0 ? 0 : -EIO;
}

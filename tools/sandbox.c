#include "sandbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procinfo.h"
#include "slavetty.h"
#include "util.h"

/* Reports a setup failure to the parent through fd and exits. */
static void __attribute__((noreturn, format(printf, 3, 4)))
die_to(int fd, int code, const char *fmt, ...)
{
	char msg[PATH_MAX + 256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n > 0)
		write_full(fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	_exit(code);
}

static void bind_dev(int errfd, const char *newroot, const char *name)
{
	char host[64], target[PATH_MAX];
	int fd;

	snprintf(host, sizeof(host), "/dev/%s", name);
	snprintf(target, sizeof(target), "%s/dev/%s", newroot, name);
	fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
	if (fd < 0)
		die_to(errfd, 125, "cannot create '%s': %s", target, strerror(errno));
	close(fd);
	if (mount(host, target, NULL, MS_BIND, NULL) < 0)
		die_to(errfd, 125, "cannot bind '%s': %s", host, strerror(errno));
}

static void setup_dev(int errfd, const char *newroot)
{
	static const char *const devs[] = {"null", "zero", "full", "random", "urandom", "tty"};
	static const char *const links[][2] = {
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
		{"pts/ptmx", "ptmx"},
	};
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/dev", newroot);
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=1m") < 0)
		die_to(errfd, 125, "cannot mount /dev in the sandbox: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		bind_dev(errfd, newroot, devs[i]);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), "%s/dev/%s", newroot, links[i][1]);
		if (symlink(links[i][0], path) < 0)
			die_to(errfd, 125, "cannot create '%s': %s", path, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/dev/shm", newroot);
	mkdir(path, 01777);
	if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		die_to(errfd, 125, "cannot mount /dev/shm: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/dev/pts", newroot);
	mkdir(path, 0755);
	if (mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC,
		  "newinstance,ptmxmode=0666,mode=620") < 0)
		rmdir(path); /* not fatal: builds rarely need a terminal */
}

/* Covers path (below newroot) from the build: a directory with an empty
 * read-only tmpfs, a file with /dev/null, read-only.  COMMAND lacks
 * CAP_SYS_ADMIN, so it cannot unmount either. */
static void hide_path(int errfd, const char *newroot, const char *path)
{
	char target[PATH_MAX];
	struct stat st, nul;
	int ret;

	snprintf(target, sizeof(target), "%s%s", newroot, path);
	while ((ret = lstat(target, &st)) < 0 && errno == EINTR)
		;
	/* Not there (paths come resolved): nothing to hide.  Any other
	 * failure to look is no proof of that: the build does not start. */
	if ((ret < 0 && (errno == ENOENT || errno == ENOTDIR)) || (ret == 0 && S_ISLNK(st.st_mode)))
		return;
	if (ret < 0)
		die_to(errfd, 125, "cannot hide '%s' from the build: %s", path, strerror(errno));
	/* A file is covered by the null device, which must be one (a
	 * regular file in its place would be shown instead). */
	if (!S_ISDIR(st.st_mode) && (stat("/dev/null", &nul) < 0 || !S_ISCHR(nul.st_mode)))
		die_to(errfd, 125,
		       "cannot hide '%s' from the build: the host's /dev/null is not the null "
		       "device (restore it: rm /dev/null; mknod -m 666 /dev/null c 1 3)",
		       path);
	else if (S_ISDIR(st.st_mode))
		ret = mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k");
	else if ((ret = mount("/dev/null", target, NULL, MS_BIND, NULL)) == 0)
		ret = mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
	if (ret < 0)
		die_to(errfd, 125, "cannot hide '%s' from the build: %s", path, strerror(errno));
}

/* The slave's /etc/resolv.conf where it is a symlink, as an absolute
 * path of the slave rid of "." and ".." (a link "../run/x" is "/run/x"),
 * in out; "" where it is none. */
static void resolv_link(const char *newroot, char *out, size_t len)
{
	char path[PATH_MAX], text[PATH_MAX], abs[2 * PATH_MAX + 8], *save = NULL, *c;
	size_t n = 0;
	ssize_t l;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/etc/resolv.conf", newroot);
	l = readlink(path, text, sizeof(text) - 1);
	if (l <= 0)
		return;
	text[l] = '\0';
	snprintf(abs, sizeof(abs), "%s%s", text[0] == '/' ? "" : "/etc/", text);
	for (c = strtok_r(abs, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			while (n > 0 && out[--n] != '/')
				;
			out[n] = '\0';
			continue;
		}
		if (n + strlen(c) + 2 > len) {
			out[0] = '\0';
			return;
		}
		n += (size_t)sprintf(out + n, "/%s", c);
	}
}

/* The host's /etc/resolv.conf, written at newroot's link (an absolute path
 * in it, from resolv_link), whose directories are made.  Not fatal. */
static void write_host_resolv(const char *newroot, const char *link)
{
	char path[2 * PATH_MAX], text[8192];
	ssize_t n;
	int fd = open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read_full(fd, text, sizeof(text));
	close(fd);
	if (n <= 0)
		return;
	snprintf(path, sizeof(path), "%s%s", newroot, link);
	if (mkdir_parent(path, 0755) == 0 &&
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) >= 0) {
		write_full(fd, text, (size_t)n);
		close(fd);
	}
}

/* With --net the slave resolves names as the host does.  Where its
 * /etc/resolv.conf leads into /run (systemd-resolved's stub file, as on
 * Ubuntu: "../run/systemd/resolve/stub-resolv.conf"), the empty /run
 * that hides the host's would leave it dangling, and the resolver would
 * ask 127.0.0.1, where nobody answers: the file is made there, in the
 * slave's /run, with the host's /etc/resolv.conf.  Not fatal: a build
 * that looks no names up needs none. */
static void give_host_resolv(const char *newroot)
{
	char link[PATH_MAX], path[PATH_MAX + 16];
	struct stat st;

	resolv_link(newroot, link, sizeof(link));
	if (strncmp(link, "/run/", 5))
		return;
	/* Only into the empty tmpfs that hides the root's /run directory: a
	 * /run that is a symlink was not hidden, and may lead to the host's. */
	snprintf(path, sizeof(path), "%s/run", newroot);
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    mount(NULL, path, NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV, "size=64k") < 0)
		return;
	write_host_resolv(newroot, link);
	mount(NULL, path, NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_RDONLY, "size=64k");
}

void sandbox_lend_resolv(const char *root, int make)
{
	char path[PATH_MAX + 32];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/etc", root);
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || stat("/etc/resolv.conf", &st) < 0 ||
	    !S_ISREG(st.st_mode))
		return;
	snprintf(path, sizeof(path), "%s/etc/resolv.conf", root);
	if (make) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    mount("/etc/resolv.conf", path, NULL, MS_BIND, NULL) == 0)
		mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
	/* A link into the root's /run (a base from a systemd-resolved system)
	 * leads nowhere in a chroot: a tmpfs of its own covers that /run
	 * (it is the running system's, not the image's: what setup writes
	 * there is not kept) and gets the host's file at the link. */
	else if (make) {
		char link[PATH_MAX], run[PATH_MAX + 8];

		resolv_link(root, link, sizeof(link));
		snprintf(run, sizeof(run), "%s/run", root);
		if (!strncmp(link, "/run/", 5) && lstat(run, &st) == 0 && S_ISDIR(st.st_mode) &&
		    mount("tmpfs", run, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") == 0)
			write_host_resolv(root, link);
	}
}

/* The parts of /proc that change the host's kernel rather than the slave
 * (sysctls, SysRq, IRQ affinity) become read-only, as in a container: root
 * in the slave could write them otherwise. */
static void protect_proc(int errfd, const char *newroot)
{
	static const char *const ro[] = {"sys", "sysrq-trigger", "irq", "bus", "fs"};
	char target[PATH_MAX];

	for (size_t i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		snprintf(target, sizeof(target), "%s/proc/%s", newroot, ro[i]);
		if (access(target, F_OK) < 0)
			continue;
		if (mount(target, target, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, target, NULL,
			  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) < 0)
			die_to(errfd, 125, "cannot make /proc/%s read-only: %s", ro[i],
			       strerror(errno));
	}
}

/* COMMAND keeps only the capabilities a container gets by default
 * (Docker's and Podman's set): root in the slave may chown, override file
 * permissions, change its ids, make device nodes and chroot, but not mount
 * or unmount (which would uncover the store and the signing key), set the
 * clock, load modules, trace others' processes or reconfigure the network.
 * Dropped from the bounding set, so no exec, setuid program included,
 * gets them back. */
static void drop_capabilities(int errfd)
{
	static const int keep[] = {
		0 /* CHOWN */,	      1 /* DAC_OVERRIDE */,	3 /* FOWNER */,
		4 /* FSETID */,	      5 /* KILL */,		6 /* SETGID */,
		7 /* SETUID */,	      8 /* SETPCAP */,		10 /* NET_BIND_SERVICE */,
		13 /* NET_RAW */,     18 /* SYS_CHROOT */,	27 /* MKNOD */,
		29 /* AUDIT_WRITE */, 31 /* SETFCAP */,
	};

	struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	uint32_t mask[2] = {0, 0};

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		mask[keep[i] / 32] |= 1u << (keep[i] % 32);
	/* The inheritable set too: root's exec adds all of it to the new
	 * program's permitted set, bounding set or not (provfs started
	 * with inheritable capabilities: setpriv, capsh, a service with
	 * ambient ones, an older container runtime's --cap-add). */
	if (syscall(SYS_capget, &head, data) < 0)
		die_to(errfd, 125, "cannot read the build's capabilities: %s", strerror(errno));
	data[0].inheritable &= mask[0];
	data[1].inheritable &= mask[1];
	if (syscall(SYS_capset, &head, data) < 0)
		die_to(errfd, 125, "cannot clear the build's inheritable capabilities: %s",
		       strerror(errno));
	for (int cap = 0; cap < 64; cap++) {
		int kept = (mask[cap / 32] >> (cap % 32)) & 1, ret;

		ret = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (ret < 0)
			break; /* past the kernel's last capability */
		if (kept || ret == 0)
			continue; /* kept, or not ours anyway (in a container) */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			die_to(errfd, 125,
			       "cannot drop capability %d from the build: %s (that needs "
			       "CAP_SETPCAP)",
			       cap, strerror(errno));
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

/* Brings up lo in a new network namespace, so loopback works offline. */
static void loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
}

static void mount_at(int errfd, const char *src, const char *newroot, const char *where,
		     const char *what)
{
	char target[PATH_MAX];
	struct stat st;

	snprintf(target, sizeof(target), "%s%s", newroot, where);
	if (stat(target, &st) < 0 || !S_ISDIR(st.st_mode))
		die_to(errfd, 125, "the environment has no directory '%s' for the %s", where, what);
	if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_NODEV, NULL) < 0)
		die_to(errfd, 125, "cannot mount the %s on '%s': %s", what, where, strerror(errno));
}

/* --home overlay: an overlay on the environment's HOME (read-only, through
 * the root mount, so reads are logged there), its copy in the tmp mount
 * as the writable upper layer (writes are logged there, under the paths
 * the build used), and the work directory beside it.  The caller checked
 * that the paths hold no ',' or ':' (the option's separators). */
static int mount_home_overlay(int errfd, const struct sandbox_config *cfg)
{
	char target[PATH_MAX], opts[3 * PATH_MAX + 64];
	struct stat st;
	int err = 0;

	snprintf(target, sizeof(target), "%s%s", cfg->root, cfg->home);
	if (stat(target, &st) < 0 || !S_ISDIR(st.st_mode))
		die_to(errfd, 125, "the environment has no directory '%s' for the home overlay",
		       cfg->home);
	/* mount(2) takes at most a page of options. */
	if ((size_t)snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s%s,workdir=%s%s", target,
			     cfg->tmp, cfg->home, cfg->tmp, SANDBOX_HOME_WORK) >= 4096)
		err = ENAMETOOLONG;
	else if (mount("overlay", target, "overlay", MS_NODEV, opts) < 0)
		err = errno;
	if (!err)
		return 0;
	if (!cfg->home_optional)
		die_to(errfd, 125, "cannot mount an overlay on '%s' for --home overlay: %s%s",
		       cfg->home, strerror(err),
		       err == ENODEV ? " (the kernel has no overlay filesystem: modprobe overlay)"
				     : "");
	fprintf(stderr, "provfs: warning: cannot mount an overlay on HOME '%s' (%s%s): it stays "
		"read-only, as with --home host; --home empty gives the build a new, empty, "
		"writable one\n", cfg->home, strerror(err),
		err == EINVAL ? "; in a container, the kernel will not stack it on the "
				"container's own overlay root" : "");
	return -1;
}

/* Lists the live processes of the namespace other than init (its own
 * /proc) into names (comm, a line each, as many as fit); returns how many. */
static int list_others(char *names, size_t cap)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	size_t len = 0;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		struct procinfo_stat st;
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 1 || procinfo_stat((pid_t)pid, &st) < 0 || procinfo_gone(&st))
			continue;
		n++;
		if (names && len + strlen(st.comm) + 2 <= cap)
			len += (size_t)snprintf(names + len, cap - len, "%s\n", st.comm);
	}
	closedir(d);
	return n;
}

/* Reaps init's children for up to ms milliseconds, or until no process
 * but init is left; returns whether none is. */
static int others_end_within(int ms)
{
	for (int waited = 0;; waited += 5) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (!list_others(NULL, 0))
			return 1;
		if (waited >= ms)
			return 0;
		nanosleep(&(struct timespec){.tv_nsec = 5 * 1000000L}, NULL);
	}
}

/* The value of counter name in a /proc/net/snmp-style table of file: a
 * line of names after prefix ("Ip:"), then one of values; or in
 * snmp6's, a line "name value" (prefix NULL).  0 if absent. */
static long net_counter(const char *file, const char *prefix, const char *name)
{
	FILE *f = fopen(file, "re");
	char names[4096], values[4096];
	long v = 0;

	if (!f)
		return 0;
	while (fgets(names, sizeof(names), f)) {
		char *save = NULL, *vsave = NULL, *n, *val;

		if (!prefix) {
			char key[128];

			if (sscanf(names, "%127s %ld", key, &v) == 2 && !strcmp(key, name))
				break;
			v = 0;
			continue;
		}
		if (strncmp(names, prefix, strlen(prefix)) || !fgets(values, sizeof(values), f))
			continue;
		n = strtok_r(names, " \n", &save);
		val = strtok_r(values, " \n", &vsave);
		for (; n && val; n = strtok_r(NULL, " \n", &save), val = strtok_r(NULL, " \n", &vsave))
			if (!strcmp(n, name)) {
				v = atol(val);
				break;
			}
		break;
	}
	fclose(f);
	return v;
}

/* COMMAND has ended: what it left running gets SANDBOX_SETTLE_MS to end
 * by itself (a helper that exits when its parent's pipe closes, as
 * Python's multiprocessing resource tracker does, is no leftover); then
 * tells repfd what remains and, without --net, what the slave could not
 * route (a struct sandbox_left: init is a fork of the reader, one pipe
 * write of it is atomic), sends those SIGTERM and waits up
 * to SANDBOX_GRACE_MS for them to end (reaping the ones that become
 * init's), so a background job can clean up as it would on a shutdown.
 * What remains dies with the namespace. */
static void end_left_running(const struct sandbox_config *cfg, int repfd)
{
	struct sandbox_left left = {0};

	if (!others_end_within(SANDBOX_SETTLE_MS))
		left.n = list_others(left.names, sizeof(left.names));
	/* The slave's own network (pid 1 is in it): with only loopback, a
	 * packet for anywhere else has no route. */
	if (!cfg->net) {
		left.no_route = net_counter("/proc/net/snmp", "Ip:", "OutNoRoutes") +
				net_counter("/proc/net/snmp6", NULL, "Ip6OutNoRoutes");
		/* Datagrams to a loopback port nobody listened on: among
		 * them, name lookups where the nameserver is on loopback. */
		left.udp_no_port = net_counter("/proc/net/snmp", "Udp:", "NoPorts") +
				   net_counter("/proc/net/snmp6", NULL, "Udp6NoPorts");
	}
	write_full(repfd, &left, sizeof(left));
	close(repfd);
	if (!left.n)
		return;
	kill(-1, SIGTERM);
	others_end_within(SANDBOX_GRACE_MS);
}

/* In init: COMMAND's process, to which it passes the terminal's signals. */
static volatile pid_t init_command;

/* COMMAND runs in a session of its own (see slavetty.h), out of reach of
 * the caller's terminal's signals: init, still in the caller's foreground
 * group, passes them on to COMMAND's process group, where the terminal
 * would have sent them.  Ctrl-Z stops provfs and the build alike, and the
 * shell's fg continues both: SIGTSTP goes on as SIGSTOP, as the kernel
 * ignores SIGTSTP in COMMAND's group (an orphaned one: its parent, init,
 * is in another session).  Only signals from outside the slave's PID
 * namespace (the terminal's, the caller's shell's; their sender's pid is 0
 * here) are passed on: one a build sends to pid 1 itself (kill -TSTP 1)
 * stopped the whole build, and provfs waited on it for ever. */
static void init_forward(int sig, siginfo_t *si, void *ctx)
{
	int saved = errno;

	(void)ctx;
	if (si && si->si_pid != 0)
		return;
	if (sig == SIGTSTP)
		sig = SIGSTOP;
	if (kill(-init_command, sig) < 0)
		kill(init_command, sig);
	errno = saved;
}

/* In init: SIGTERM or SIGHUP from outside (provfs run stopping the build:
 * a CI job cancelled) goes to every process of the slave, as on a
 * shutdown, so that make deletes the target it was writing ("Deleting
 * file"); the outer process kills init SANDBOX_GRACE_MS later.  (Before,
 * the slave was killed at once, and the half-written target stayed, newer
 * than its sources, for the next build to take as up to date.) */
static void init_terminate(int sig, siginfo_t *si, void *ctx)
{
	int saved = errno;

	(void)ctx;
	if (si && si->si_pid != 0)
		return;
	kill(-1, sig);
	errno = saved;
}

/* After execve of path failed with ENOENT: if path is there, what it
 * runs is not (a script's interpreter, "#!/bin/sh\r" with DOS line ends
 * among them; an ELF program's loader): says which, and exits 127.
 * Returns if path is not there. */
static void missing_interpreter(int errfd, const char *path)
{
	char head[256], shown[160];
	ssize_t n;
	size_t k = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, head, sizeof(head) - 1);
	close(fd);
	if (n >= 4 && !memcmp(head, "\177ELF", 4))
		die_to(errfd, 127, "cannot run '%s': the program loader (ELF interpreter) it "
		       "names is not in the slave's root", path);
	if (n < 3 || head[0] != '#' || head[1] != '!')
		die_to(errfd, 127, "cannot run '%s': No such file or directory (but it is there)",
		       path);
	head[n] = '\0';
	/* The interpreter: after "#!" and blanks, up to a blank or the end of
	 * the line, with a carriage return shown. */
	for (const char *p = head + 2 + strspn(head + 2, " \t");
	     *p && *p != ' ' && *p != '\t' && *p != '\n' && k + 3 < sizeof(shown); p++) {
		if (*p == '\r') {
			memcpy(shown + k, "\\r", 2);
			k += 2;
		} else {
			shown[k++] = *p;
		}
	}
	shown[k] = '\0';
	die_to(errfd, 127, "cannot run '%s': its interpreter '%s' is not in the slave's root%s",
	       path, shown, strstr(shown, "\\r") ? " (the script has DOS line ends: \\r\\n)" : "");
}

/* pid 1 of the sandbox: set up the mounts, start the command, reap. */
static void __attribute__((noreturn)) sandbox_init(const struct sandbox_config *cfg, int errfd,
						   int repfd, struct slavetty *tty)
{
	static const int forwarded[] = {SIGINT, SIGQUIT, SIGTSTP, SIGCONT, SIGTERM, SIGHUP};
	const char *r = cfg->root;
	char path[PATH_MAX], home_read_only = 0;
	pid_t child;
	int status = 0, slave;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die_to(errfd, 125, "cannot make mounts private: %s%s", strerror(errno),
		       errno == EINVAL ? " ('/' is no mount point here: in a chroot, bind-mount its "
					 "directory on itself before entering it)" : "");
	if (!cfg->net)
		loopback_up();
	/* A name every /etc/hosts has, as the Nix build sandbox does: tests
	 * that look up their own host name (gethostbyname(gethostname()),
	 * Java's getLocalHost) find 127.0.0.1 without DNS. */
	sethostname("localhost", 9);
	snprintf(path, sizeof(path), "%s/proc", r);
	if (mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		die_to(errfd, 125, "cannot mount /proc in the sandbox: %s%s", strerror(errno),
		       errno == ENOENT || errno == ENOTDIR
			       ? " (the environment has no directory /proc: a root filesystem needs "
				 "/proc, /dev and /tmp to mount on)"
			       : "");
	/* No device node the build reaches outside /dev opens (nodev on
	 * every mount it can write to, and on the root): COMMAND keeps
	 * CAP_MKNOD, as in a container, and root with a node for the host's
	 * disk could read the signing key off it, or write anywhere.  The
	 * nodes bound into /dev are mounts of their own. */
	if (mount(NULL, r, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NODEV, NULL) < 0)
		die_to(errfd, 125, "cannot protect the environment root: %s", strerror(errno));
	protect_proc(errfd, r);
	setup_dev(errfd, r);
	if (cfg->tmp) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/tmp", cfg->tmp);
		mount_at(errfd, path, r, "/tmp", "temporary directory");
		/* /var/tmp too, where the environment has one: tools that
		 * keep temporary files across reboots use it. */
		snprintf(path, sizeof(path), "%s/var/tmp", r);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(path, sizeof(path), "%s/var/tmp", cfg->tmp);
			mount_at(errfd, path, r, "/var/tmp", "temporary directory");
		}
		if (cfg->home && cfg->home_overlay)
			home_read_only = mount_home_overlay(errfd, cfg) < 0;
		else if (cfg->home) {
			snprintf(path, sizeof(path), "%s%s", cfg->tmp, cfg->home);
			mount_at(errfd, path, r, cfg->home, "home directory");
		}
	} else {
		snprintf(path, sizeof(path), "%s/tmp", r);
		if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
			die_to(errfd, 125, "cannot mount /tmp: %s", strerror(errno));
	}
	for (const char *const *h = cfg->hide; h && *h; h++)
		hide_path(errfd, r, *h);
	if (cfg->net) {
		give_host_resolv(r);
		if (!cfg->root_is_host)
			sandbox_lend_resolv(r, 0);
	}
	/* The report's first byte, before anything runs (the rest comes at
	 * the end, which a killed slave never reaches): whether the home
	 * overlay fell back to a read-only HOME. */
	write_full(repfd, &home_read_only, 1);
	/* The workspace goes last: its path may lie under /tmp. */
	snprintf(path, sizeof(path), "%s%s", r, cfg->workdir);
	mkdir_p(path, 0755);
	mount_at(errfd, cfg->workspace, r, cfg->workdir, "workspace");
	if (chdir(r) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0)
		die_to(errfd, 125, "cannot switch to the environment root: %s", strerror(errno));
	if (chdir(cfg->cwd ? cfg->cwd : cfg->workdir) < 0)
		die_to(errfd, 125, "cannot enter '%s': %s", cfg->cwd ? cfg->cwd : cfg->workdir,
		       strerror(errno));
	slave = slavetty_open(tty, cfg->set_ids ? (long)cfg->uid : -1);

	child = fork();
	if (child < 0)
		die_to(errfd, 125, "cannot fork: %s", strerror(errno));
	if (child == 0) {
		slavetty_attach(tty, slave);
		/* Only COMMAND changes user: PID 1 stays root, to reap and to
		 * be killed with the namespace. */
		drop_capabilities(errfd);
		if (cfg->set_ids && (setgroups((size_t)cfg->ngroups, cfg->groups) < 0 ||
				     setgid(cfg->gid) < 0 || setuid(cfg->uid) < 0))
			die_to(errfd, 125, "cannot switch to user %u: %s", (unsigned)cfg->uid,
			       strerror(errno));
		for (int fd = 0; fd <= 2; fd++)
			if (cfg->closed_std & (1u << fd))
				close(fd);
		execvpe(cfg->argv[0], cfg->argv, cfg->envp);
		if (errno == ENOENT && strchr(cfg->argv[0], '/'))
			missing_interpreter(errfd, cfg->argv[0]);
		/* A path the host has may not be in the slave: a script
		 * beside the workspace, or under the host's /tmp. */
		if (errno == ENOENT && strchr(cfg->argv[0], '/'))
			die_to(errfd, 127,
			       "cannot run '%s': %s in the slave, which has the workspace at "
			       "'%s', the environment's root read-only and a /tmp of its own",
			       cfg->argv[0], strerror(errno), cfg->workdir);
		die_to(errfd, errno == ENOENT ? 127 : 126, "cannot run '%s': %s", cfg->argv[0],
		       strerror(errno));
	}
	close(errfd);
	if (slave >= 0)
		close(slave);
	init_command = child;
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
		struct sigaction cur, fwd = {.sa_sigaction = forwarded[i] == SIGTERM ||
								     forwarded[i] == SIGHUP
							     ? init_terminate
							     : init_forward,
					     .sa_flags = SA_RESTART | SA_SIGINFO};

		/* Ignored when provfs started (a background job of a script):
		 * the build ignores it too, and gets nothing to ignore. */
		sigemptyset(&fwd.sa_mask);
		if (sigaction(forwarded[i], NULL, &cur) == 0 && cur.sa_handler != SIG_IGN)
			sigaction(forwarded[i], &fwd, NULL);
	}
	for (;;) {
		int st;
		pid_t p = wait(&st);

		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			break;
		if (p == child) {
			status = st;
			break;
		}
	}
	end_left_running(cfg, repfd);
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	_exit(128 + WTERMSIG(status));
}

/* The running slave's outer process, for sandbox_kill. */
static volatile pid_t running_outer = -1;

/* A stop asked for before the outer process was there to get it: sent
 * to it as soon as it is. */
static volatile sig_atomic_t kill_asked;

void sandbox_kill(int sig)
{
	pid_t pid = running_outer;

	/* The outer process kills the sandbox's init and waits for it (see
	 * outer_term), so that it ends only when nothing of the slave runs. */
	if (!kill_asked)
		kill_asked = sig;
	if (pid > 0)
		kill(pid, sig);
}

/* In the outer process: the sandbox's init (0 until forked), and whether
 * SIGTERM came before it was. */
static volatile pid_t outer_init;
static volatile sig_atomic_t outer_killed;

/* The first SIGTERM or SIGHUP: init passes it to the whole slave
 * (init_terminate), which has SANDBOX_GRACE_MS to end before init is
 * killed, and the slave with it (SIGALRM).  Any later one (the same signal
 * sent to provfs run's whole process group reaches us twice) changes
 * nothing. */
static void outer_term(int sig)
{
	if (outer_killed)
		return;
	outer_killed = 1;
	if (outer_init > 0) {
		struct itimerval grace = {
			.it_value = {.tv_sec = SANDBOX_GRACE_MS / 1000,
				     .tv_usec = (SANDBOX_GRACE_MS % 1000) * 1000}};

		kill(outer_init, sig);
		setitimer(ITIMER_REAL, &grace, NULL);
	}
}

static void outer_grace_over(int sig)
{
	(void)sig;
	if (outer_init > 0)
		kill(outer_init, SIGKILL);
}

/* Reads init's report (its first byte, see sandbox_init, then
 * end_left_running's) into *left: all zero if init ended without one. */
static void read_left(int fd, struct sandbox_left *left)
{
	char home_read_only = 0;

	if (read_full(fd, &home_read_only, 1) != 1 ||
	    read_full(fd, left, sizeof(*left)) != (ssize_t)sizeof(*left))
		memset(left, 0, sizeof(*left));
	left->home_read_only = home_read_only;
	left->names[sizeof(left->names) - 1] = '\0';
}

int sandbox_run(const struct sandbox_config *cfg, int *status, struct sandbox_left *left,
		char *err, size_t errlen)
{
	struct sigaction orig_int, orig_quit;
	sigset_t stop_set, old_mask;
	struct slavetty tty;
	int pipefd[2], rep[2], flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
	pid_t outer;
	ssize_t n;
	int st;

	memset(left, 0, sizeof(*left));
	if (!cfg->net)
		flags |= CLONE_NEWNET;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(rep, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	/* The terminal's SIGINT and SIGQUIT go to the whole foreground group:
	 * the build decides what they mean (cleans up, exits with its own
	 * status).  So neither we nor the outer process may die of them: the
	 * outer's death would SIGKILL init and the build with it.  The build
	 * gets the dispositions we were started with. */
	sigaction(SIGINT, NULL, &orig_int);
	sigaction(SIGQUIT, NULL, &orig_quit);
	slavetty_probe(&tty, cfg->closed_std);
	fflush(NULL);
	/* SIGTERM and SIGHUP wait until each side can act on them: the
	 * outer process once its handler is in place, we once running_outer
	 * names it (one that came between was lost, and the build ran to
	 * its end, reported as stopped). */
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGTERM);
	sigaddset(&stop_set, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop_set, &old_mask);
	outer = fork();
	if (outer < 0) {
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		slavetty_close(&tty);
		close(pipefd[0]);
		close(pipefd[1]);
		close(rep[0]);
		close(rep[1]);
		return -1;
	}
	if (outer == 0) {
		pid_t init;
		struct sigaction term = {.sa_handler = outer_term},
				 grace = {.sa_handler = outer_grace_over};

		close(pipefd[0]);
		close(rep[0]);
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(flags) < 0)
			die_to(pipefd[1], 125, "cannot create namespaces: %s", strerror(errno));
		/* SIGTERM (from sandbox_kill) kills init; init's exit, as PID 1
		 * of its namespace, waits until every other process in it is
		 * gone, so the wait below returns only then. */
		sigemptyset(&term.sa_mask);
		sigaction(SIGTERM, &term, NULL);
		sigaction(SIGHUP, &term, NULL);
		sigemptyset(&grace.sa_mask);
		sigaction(SIGALRM, &grace, NULL);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		init = fork();
		if (init < 0)
			die_to(pipefd[1], 125, "cannot fork: %s", strerror(errno));
		if (init == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGALRM, SIG_DFL);
			/* (not provfs run's handler, which a fork keeps) */
			signal(SIGHUP, SIG_DFL);
			sigaction(SIGINT, &orig_int, NULL);
			sigaction(SIGQUIT, &orig_quit, NULL);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			sandbox_init(cfg, pipefd[1], rep[1], &tty);
		}
		outer_init = init;
		if (outer_killed)
			kill(init, SIGKILL);
		close(pipefd[1]);
		close(rep[1]);
		slavetty_relay(&tty, init);
		{
			siginfo_t info;

			/* Ended, not yet reaped (its pid not free for another
			 * process to take): the grace's SIGKILL may not come
			 * any more. */
			while (waitid(P_PID, (id_t)init, &info, WEXITED | WNOWAIT) < 0 &&
			       errno == EINTR)
				;
			setitimer(ITIMER_REAL, &(struct itimerval){0}, NULL);
			outer_init = 0;
		}
		while (waitpid(init, &st, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	close(pipefd[1]);
	close(rep[1]);
	slavetty_close(&tty);
	running_outer = outer;
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (kill_asked)
		kill(outer, kill_asked);
	{
		/* Ignore terminal signals while the build runs: it gets them. */
		struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;

		sigaction(SIGINT, &ign, &old_int);
		sigaction(SIGQUIT, &ign, &old_quit);
		n = read_full(pipefd[0], err, errlen - 1);
		read_left(rep[0], left);
		while (waitpid(outer, &st, 0) < 0 && errno == EINTR)
			;
		slavetty_restore(&tty);
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
	}
	running_outer = -1;
	close(pipefd[0]);
	close(rep[0]);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (n > 0) {
		err[n] = '\0';
		return -1;
	}
	err[0] = '\0';
	return 0;
}

/* provfs mount / provfs umount */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "cas.h"
#include "cli.h"
#include "digest.h"
#include "fsd.h"
#include "json.h"
#include "mountstate.h"
#include "procinfo.h"
#include "util.h"

static const char mount_usage[] =
	"usage: provfs mount [options] BACKING MOUNTPOINT\n"
	"\n"
	"Serve the directory BACKING at MOUNTPOINT through provfs: every file\n"
	"access is logged (process, path, operation, result, digest) and every file\n"
	"written is captured into the content-addressed store.  Returns once the\n"
	"mount is usable; the daemon keeps running until 'provfs umount'.\n"
	"\n"
	"options:\n"
	"  --ro             read-only mount (for an environment root)\n"
	"  --store DIR      store for captured files and the default log location\n"
	"                   (default $PROVFS_STORE or " CLI_DEFAULT_STORE ")\n"
	"  --no-capture     log and hash, but copy no file (written or read) into the\n"
	"                   store\n"
	"  --digest-cache FILE\n"
	"                   remember the digests of files read, across mounts, in FILE\n"
	"                   (default with --ro: STORE/cache/digests)\n"
	"  --no-digest-cache\n"
	"                   hash every file afresh on each mount\n"
	"  --no-passthrough serve every read and write through the daemon (by default\n"
	"                   the kernel's FUSE passthrough does file I/O when it can)\n"
	"  --no-io-uring    take every request from /dev/fuse (by default, as root,\n"
	"                   requests come over io_uring, one queue per CPU, when the\n"
	"                   kernel has it)\n"
	"  --log FILE       access log database (default STORE/logs/<time>-<pid>.db);\n"
	"                   several mounts may share one log\n"
	"  --label NAME     this mount's name in the log (default: workspace, or root\n"
	"                   with --ro)\n"
	"  --die-with-parent\n"
	"                   when the process that ran this command exits, unmount\n"
	"                   (lazily) and end the daemon; the log then says the mount\n"
	"                   was 'abandoned' (provfs run uses it, so a killed run\n"
	"                   leaves no mount behind)\n"
	"  --parent-pid PID with --die-with-parent: the process meant, which must\n"
	"                   still be our parent (one killed before the daemon\n"
	"                   started leaves it no parent to watch: it exits)\n"
	"  --exec-ring FILE share word of execs with the other mounts of one slave\n"
	"                   through FILE, made by provfs run (each mount sees only the\n"
	"                   execs of programs on it)\n"
	"  -f, --foreground stay in the foreground\n"
	"  -d, --debug      print every FUSE request (implies --foreground)\n"
	"  --json           print the mount's details as JSON\n"
	"  -h, --help       show this help\n";

static int wait_ready(int fd, char *msg, size_t len)
{
	ssize_t n = read_full(fd, msg, len - 1);

	if (n < 0)
		n = 0;
	msg[n] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	return strcmp(msg, "ok") == 0 ? 0 : -1;
}

static char *default_log(const char *store)
{
	char stamp[32], *out;
	struct tm tm;
	time_t now = time(NULL);

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (asprintf(&out, "%s/logs/%s-%d.db", store, stamp, (int)getpid()) < 0)
		return NULL;
	return out;
}

static int abs_path_of(const char *path, char **out)
{
	char buf[PATH_MAX];

	if (!realpath(path, buf))
		return -errno;
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

/* Runs the daemon in this process; returns the exit code. */
static int serve(struct fsd_config *cfg, const char *abs_mp, int ready_fd)
{
	int ret;

	unsigned int ma, mi;
	char type[32], *other_log = NULL;
	pid_t other;
	/* (not over the state of a daemon serving that mount point now: this
	 * mount will find it busy) */
	int own = !(mountstate_read(abs_mp, &other, &other_log) == 0 && procinfo_running(other));

	free(other_log);
	if (own)
		mountstate_write(abs_mp, getpid(), cfg->log_path);
	ret = fsd_serve(cfg, ready_fd);
	/* Still mounted when the daemon ends: its connection was aborted.
	 * Its state stays for the umount, which then says so. */
	if (own && (ret < 0 || mountinfo_find(abs_mp, &ma, &mi, type, sizeof(type)) != 1 ||
		    strncmp(type, "fuse", 4)))
		mountstate_remove(abs_mp);
	if (ret < 0)
		return CLI_USAGE;
	return ret == 0 ? CLI_OK : CLI_FAILED;
}

/* The daemon runs from /: a relative path given on the command line is
 * made absolute here (left as it is if that fails). */
static void absolutize(char **path)
{
	char cwd[PATH_MAX], *abs;

	if ((*path)[0] != '/' && getcwd(cwd, sizeof(cwd)) &&
	    asprintf(&abs, "%s/%s", cwd, *path) >= 0) {
		free(*path);
		*path = abs;
	}
}

/* Whether store gc finds the log at log_path by itself: STORE/logs/NAME.db,
 * or the log.db of a build directory STORE/builds/ID (see storegc.c:
 * add_log, add_build).  Anything else in the store (a subdirectory of
 * logs/, another name) is found only through a ref, as a log outside. */
static int gc_finds_log(const char *store, const char *log_path)
{
	size_t n = strlen(store), k;
	const char *rest, *slash;

	if (strncmp(log_path, store, n) || log_path[n] != '/')
		return 0;
	rest = log_path + n + 1;
	if (!strncmp(rest, "logs/", 5)) {
		rest += 5;
		k = strlen(rest);
		return rest[0] != '.' && !strchr(rest, '/') && k > 3 && !strcmp(rest + k - 3, ".db");
	}
	if (!strncmp(rest, "builds/", 7)) {
		rest += 7;
		slash = strchr(rest, '/');
		return rest[0] != '.' && slash && !strcmp(slash, "/log.db");
	}
	return 0;
}

/* A log that store gc does not find by itself names objects it must
 * keep: record it as a ref ("log PATH"), named after the path's digest. */
static int keep_external_log(struct cas *cas, const char *log_path)
{
	char name[32], hex[DIGEST_HEX_LEN + 1], *text = NULL;
	uint8_t d[DIGEST_LEN];
	int ret;

	if (gc_finds_log(cas_root(cas), log_path))
		return 0;
	digest_buffer(log_path, strlen(log_path), d);
	hex_encode(d, DIGEST_LEN, hex);
	snprintf(name, sizeof(name), "log-%.16s", hex);
	if (asprintf(&text, "log %s\n", log_path) < 0)
		return -ENOMEM;
	ret = cas_ref_write(cas, name, text);
	free(text);
	return ret;
}

int cmd_mount(int argc, char **argv)
{
	static const struct option opts[] = {
		{"ro", no_argument, NULL, 'r'},
		{"store", required_argument, NULL, 's'},
		{"no-capture", no_argument, NULL, 'n'},
		{"digest-cache", required_argument, NULL, 'D'},
		{"no-digest-cache", no_argument, NULL, 'N'},
		{"no-passthrough", no_argument, NULL, 'P'},
		{"no-io-uring", no_argument, NULL, 'U'},
		{"log", required_argument, NULL, 'l'},
		{"label", required_argument, NULL, 'L'},
		{"die-with-parent", no_argument, NULL, 'W'},
		{"parent-pid", required_argument, NULL, 'Q'},
		{"exec-ring", required_argument, NULL, 'X'},
		{"foreground", no_argument, NULL, 'f'},
		{"debug", no_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct fsd_config cfg = {0};
	const char *store_opt = NULL, *log_opt = NULL, *dcache_opt = NULL;
	char *backing = NULL, *mp = NULL, *log_path = NULL, *store = NULL, *dcache = NULL;
	int use_dcache = -1;
	int foreground = 0, capture = 1, json = 0, c, ret, pipefd[2];
	pid_t parent_pid = 0;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "fdh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': cfg.readonly = 1; break;
		case 's': store_opt = optarg; break;
		case 'n': capture = 0; break;
		case 'D': dcache_opt = optarg; use_dcache = 1; break;
		case 'N': use_dcache = 0; break;
		case 'P': cfg.no_passthrough = 1; break;
		case 'U': cfg.no_io_uring = 1; break;
		case 'l': log_opt = optarg; break;
		case 'L': cfg.label = optarg; break;
		case 'W': cfg.has_owner = 1; break;
		case 'Q': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > INT_MAX)
				return cli_usage_error("mount", "--parent-pid wants a process id, not '%s'",
						       optarg);
			parent_pid = (pid_t)v;
			break;
		}
		case 'X': cfg.exec_ring = optarg; break;
		case 'f': foreground = 1; break;
		case 'd': cfg.debug = 1; foreground = 1; break;
		case 'j': json = 1; cli_json_mode(); break;
		case 'h': fputs(mount_usage, stdout); return CLI_OK;
		default: return cli_bad_option("mount");
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("mount", "expected BACKING and MOUNTPOINT");
	ret = abs_path_of(argv[optind], &backing);
	if (ret < 0)
		return cli_fail(CLI_USAGE, "cannot mount '%s': %s", argv[optind], strerror(-ret));
	ret = abs_path_of(argv[optind + 1], &mp);
	if (ret < 0) {
		free(backing);
		return cli_fail(CLI_USAGE, "cannot mount on '%s': %s%s", argv[optind + 1],
				strerror(-ret),
				ret == -ENOTCONN ? " (a dead mount: run 'provfs umount' on it)" : "");
	}
	ret = abs_path_of(cli_store_dir(store_opt), &store);
	if (ret == -ENOENT) {
		ret = cas_make_root(cli_store_dir(store_opt));
		if (ret == 0)
			ret = abs_path_of(cli_store_dir(store_opt), &store);
	}
	if (ret < 0) {
		ret = cli_fail(CLI_USAGE, "cannot use store '%s': %s", cli_store_dir(store_opt),
			       strerror(-ret));
		goto out;
	}
	log_path = log_opt ? strdup(log_opt) : default_log(store);
	if (!log_path || mkdir_parent(log_path, 0755) < 0) {
		ret = cli_fail(CLI_USAGE, "cannot create the directory for log '%s': %s",
			       log_path ? log_path : "?", strerror(errno));
		goto out;
	}
	absolutize(&log_path);
	cfg.backing = backing;
	cfg.mountpoint = mp;
	cfg.store = capture ? store : NULL;
	cfg.log_path = log_path;
	if (use_dcache == 1 || (use_dcache == -1 && cfg.readonly)) {
		dcache = dcache_opt ? strdup(dcache_opt) : path_join(store, "cache/digests");
		if (!dcache) {
			ret = cli_fail(CLI_FAILED, "out of memory");
			goto out;
		}
		absolutize(&dcache);
		cfg.digest_cache = dcache;
	}
	if (!cfg.label)
		cfg.label = cfg.readonly ? ALOG_LABEL_ROOT : ALOG_LABEL_WORKSPACE;
	if (cli_fuse_check() != 0) {
		ret = CLI_USAGE;
		goto out;
	}
	if (cfg.store) {
		/* Fail here, in the foreground, if the store cannot be written. */
		struct cas *cas;

		ret = cas_open(cfg.store, 1, &cas);
		if (ret < 0) {
			ret = cli_fail(CLI_USAGE, "cannot use store '%s': %s", cfg.store,
				       strerror(-ret));
			goto out;
		}
		ret = keep_external_log(cas, log_path);
		cas_close(cas);
		if (ret < 0) {
			ret = cli_fail(CLI_USAGE, "cannot record log '%s' in store '%s': %s", log_path,
				       cfg.store, strerror(-ret));
			goto out;
		}
	}
	if (cfg.has_owner) {
		/* Our parent, watched through a pidfd taken while it is
		 * certainly our parent: a pid looked up later could be
		 * another process's by then. */
		pid_t parent = parent_pid ? parent_pid : getppid();

		cfg.owner_pidfd = (int)syscall(SYS_pidfd_open, parent, 0);
		if (cfg.owner_pidfd < 0) {
			ret = cli_fail(CLI_USAGE, "--die-with-parent: cannot watch process %d: %s",
				       (int)parent, strerror(errno));
			goto out;
		}
		if (getppid() != parent) {
			close(cfg.owner_pidfd);
			ret = cli_fail(CLI_USAGE, "--die-with-parent: the process that started this "
				       "mount has already exited");
			goto out;
		}
	}
	if (foreground) {
		ret = serve(&cfg, mp, -1);
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		ret = cli_fail(CLI_USAGE, "cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = cli_fail(CLI_USAGE, "cannot fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(pipefd[0]);
		setsid();
		signal(SIGHUP, SIG_IGN);
		if (chdir("/") < 0)
			_exit(CLI_USAGE);
		_exit(serve(&cfg, mp, pipefd[1]));
	}
	close(pipefd[1]);
	{
		char msg[PATH_MAX + 128];
		int err = 0;

		if (wait_ready(pipefd[0], msg, sizeof(msg)) < 0) {
			int status;
			char *text = msg;

			if (sscanf(msg, "error %d ", &err) == 1) {
				text = strchr(msg + 6, ' ');
				text = text ? text + 1 : msg;
			}
			waitpid(pid, &status, 0);
			ret = cli_fail(CLI_USAGE, "%s", *text ? text : "the mount daemon failed to start");
			close(pipefd[0]);
			goto out;
		}
		close(pipefd[0]);
	}
	if (json) {
		cli_print_json(json_with_texts(json_pack("{s:n, s:i, s:b}", "store", "pid", (int)pid,
							 "readonly", cfg.readonly),
					       "backing", backing, "mountpoint", mp, "log", log_path,
					       "store", cfg.store, NULL));
	} else {
		printf("provfs: mounted '%s' on '%s'%s\n  access log: %s\n", backing, mp,
		       cfg.readonly ? " (read-only)" : "", log_path);
	}
	ret = CLI_OK;
out:
	free(backing);
	free(mp);
	free(store);
	free(log_path);
	free(dcache);
	return ret;
}

static const char umount_usage[] =
	"usage: provfs umount [--force] [--json] [-q] MOUNTPOINT\n"
	"\n"
	"Unmount a provfs mount and wait until its daemon has written everything\n"
	"to the access log and the store.  Exit status 1 if some written files\n"
	"could not be captured, the daemon had died (its log is then complete\n"
	"only up to its last committed batch), or it could not write some records\n"
	"to its log (a full disk).  If, 4 seconds after unmounting,\n"
	"the filesystem is still in use (a process has a file open in it, or\n"
	"another mount namespace has it), its FUSE connection is aborted (as\n"
	"root), so that the daemon can finish; that process's files then fail.\n"
	"\n"
	"  --force      detach the mount even if it is busy (a lazy unmount): the\n"
	"               files still open in it are cut off as above\n"
	"  --json       print the outcome as JSON (capture_errors, daemon_died,\n"
	"               aborted)\n"
	"  -q, --quiet  no warnings or progress: the exit status (and --json) say\n"
	"               what happened; errors, and an abort, are still printed\n"
	"  -h, --help   show this help\n";

#define FUSECTL_DIR "/sys/fs/fuse/connections"
/* How long an unmounted filesystem may stay in use elsewhere before its
 * connection is aborted. */
#define ABORT_AFTER_SECONDS 4

/* The FUSE connection serving mp, as fusectl names it (the superblock's
 * device number in the kernel's encoding); 0 if mp is no FUSE mount.
 * From mountinfo: a stat of mp would wait on a stopped daemon. */
static unsigned long fuse_connection(const char *mp)
{
	unsigned int ma, mi;
	char type[32];

	if (mountinfo_find(mp, &ma, &mi, type, sizeof(type)) != 1 || strncmp(type, "fuse", 4))
		return 0;
	return ((unsigned long)ma << 20) | mi;
}

/* A daemon stopped (SIGSTOP, Ctrl-Z of a foreground provfs mount) would
 * never answer nor exit, and its unmount would wait for ever: it is
 * continued, with a word why. */
static void continue_if_stopped(pid_t pid, const char *mp)
{
	struct procinfo_stat st;

	if (procinfo_stat(pid, &st) == 0 && st.state == 'T' && kill(pid, SIGCONT) == 0)
		cli_warn("the daemon for '%s' (pid %d) was stopped: continued it, so that it "
			 "can finish", mp, (int)pid);
}

/* The fusectl files of one FUSE connection, opened while it is known to
 * be ours (before the unmount): its number is free for the next mount
 * once it is gone, and a later open by number could abort another
 * filesystem's connection.  Files kept open stay those of this
 * connection: once it is gone they read nothing and abort nothing. */
struct conn_ctl {
	int dir;   /* connections/N: once the connection is gone, nothing in it opens */
	int abort; /* its abort file: a write does nothing once it is gone */
};

static void conn_open(unsigned long conn, struct conn_ctl *c)
{
	char path[sizeof(FUSECTL_DIR) + 40];

	c->dir = c->abort = -1;
	if (!conn || geteuid() != 0)
		return;
	snprintf(path, sizeof(path), FUSECTL_DIR "/%lu", conn);
	if (access(FUSECTL_DIR "/.", F_OK) == 0 && access(path, F_OK) < 0)
		mount("fusectl", FUSECTL_DIR, "fusectl", 0, NULL); /* EBUSY: mounted */
	c->dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dir >= 0)
		c->abort = openat(c->dir, "abort", O_WRONLY | O_CLOEXEC);
}

static void conn_close(struct conn_ctl *c)
{
	if (c->dir >= 0)
		close(c->dir);
	if (c->abort >= 0)
		close(c->abort);
	c->dir = c->abort = -1;
}

/* Aborts connection c if it still exists.  1 if it was aborted, 0 if it
 * was gone (or cannot be told), -errno.  (Its "waiting" file, opened
 * anew each time: it cannot be read twice, nor seeked; it reads nothing,
 * or does not open, once the connection is gone.) */
static int abort_connection(struct conn_ctl *c)
{
	char buf[32];
	int fd;
	ssize_t n;

	if (c->dir < 0 || c->abort < 0)
		return 0;
	fd = openat(c->dir, "waiting", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return 0;
	if (write(c->abort, "1", 1) < 0)
		return -errno;
	return 1;
}

/* Waits for the daemon (not our child) to exit, saying so now and then
 * unless quiet.  The kernel ends its session only when the filesystem is
 * gone from every mount namespace and no file of it is open: if it is still
 * there ABORT_AFTER_SECONDS after the unmount (conn: its connection), it
 * is in use outside the mount point we unmounted, and its
 * connection is aborted; *aborted then says so. */
static int wait_exit(pid_t pid, int quiet, struct conn_ctl *conn, int *aborted)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int waited = 0;

	if (pfd < 0)
		return errno == ESRCH ? 0 : -errno;
	for (;;) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		int n = poll(&p, 1, 1000);

		if (n > 0)
			break;
		if (n < 0 && errno != EINTR)
			break;
		waited++;
		if (!*aborted && waited >= ABORT_AFTER_SECONDS && abort_connection(conn) == 1) {
			*aborted = 1;
			/* Said even when quiet: files of another process were
			 * cut off. */
			cli_warn("the filesystem was still in use after it was unmounted (a "
				 "process has a file open in it, or another mount namespace "
				 "has it): its connection was aborted, so that the daemon "
				 "can finish; that process's files now fail with ENOTCONN");
		}
		if (!quiet && (waited == 2 || waited % 30 == 0))
			fprintf(stderr, "provfs: waiting for the daemon (pid %d) to finish writing "
					"the log and store...\n", (int)pid);
	}
	close(pfd);
	return 0;
}

static int do_unmount(const char *mp, int force)
{
	char *argv[] = {"fusermount3", "-u", (char *)mp, NULL, NULL};
	int st;

	if (geteuid() == 0)
		return umount2(mp, force ? MNT_DETACH : 0) < 0 ? -errno : 0;
	if (force)
		argv[3] = "-z";
	st = cli_spawn(argv, NULL, 0);
	return st <= 0 ? st : -EPERM;
}

int cmd_umount(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int64_t finished_ns = 0;
	int force = 0, aborted = 0;
	struct conn_ctl conn;
	int quiet = 0;
	char *mp, *log_path = NULL;
	pid_t pid = 0;
	int c, ret, alive, have_state, json = 0, rc = CLI_OK, died = 0, log_error = 0;
	int64_t capture_errors = 0;

	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; cli_json_mode(); break;
		case 'q': quiet = 1; break;
		case 'f': force = 1; break;
		case 'h': fputs(umount_usage, stdout); return CLI_OK;
		default: return cli_bad_option("umount");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("umount", "expected MOUNTPOINT");
	mp = mountstate_abspath(argv[optind]);
	if (!mp)
		return cli_fail(CLI_USAGE, "cannot find mount point '%s': %s", argv[optind],
				strerror(errno));
	have_state = mountstate_read(mp, &pid, &log_path) == 0;
	alive = have_state && procinfo_running(pid);
	conn_open(alive ? fuse_connection(mp) : 0, &conn);
	if (alive)
		continue_if_stopped(pid, mp);
	ret = do_unmount(mp, force);
	if (ret == -EBUSY) {
		conn_close(&conn);
		free(mp);
		free(log_path);
		return cli_fail(CLI_USAGE, "cannot unmount '%s': it is busy (a process still has "
				"files open or its working directory there; --force cuts them "
				"off)", argv[optind]);
	}
	if (ret < 0 && !(ret == -EINVAL && have_state)) {
		rc = cli_fail(CLI_USAGE, "cannot unmount '%s': %s", argv[optind],
			      ret == -EINVAL ? "not a mount point" : strerror(-ret));
		conn_close(&conn);
		free(mp);
		free(log_path);
		return rc;
	}
	if (alive)
		wait_exit(pid, quiet, &conn, &aborted);
	conn_close(&conn);
	mountstate_remove(mp);
	/* The daemon's last act is to record its finish time in the log; a
	 * mount row without one belongs to a daemon that was killed. */
	if (log_path &&
	    alog_mount_status(log_path, mp, &finished_ns, &capture_errors, &log_error) == 0) {
		/* One that served until the unmount and ended, but could not
		 * record its end, did not die: its log could not be written
		 * (a full disk). */
		died = finished_ns == 0 && !alive;
		if (finished_ns == 0 && alive)
			log_error = 1;
	} else if (have_state && !alive) {
		died = 1;
	}
	if (log_error == ALOG_ABORTED) {
		if (!quiet)
			cli_warn("the FUSE connection of '%s' was aborted while it was mounted "
				 "(/sys/fs/fuse/connections/N/abort): what was done in it from then "
				 "on failed (ENOTCONN), and its access log ends there", mp);
		rc = CLI_FAILED;
	} else if (log_error) {
		if (!quiet)
			cli_warn("the daemon for '%s' could not write some records to its access log "
				 "'%s' (a full disk?): the log lacks them", mp, log_path);
		rc = CLI_FAILED;
	}
	if (died) {
		if (!quiet)
			cli_warn("the daemon for '%s' had died; its access log is complete only "
				 "up to its last committed batch", mp);
		rc = CLI_FAILED;
	}
	if (capture_errors > 0) {
		if (!quiet)
			cli_warn("%lld written file(s) could not be captured into the store; "
				 "see 'provfs log %s'", (long long)capture_errors, log_path);
		rc = CLI_FAILED;
	}
	if (json) {
		cli_print_json(json_with_texts(json_pack("{s:n, s:I, s:b, s:b, s:b, s:b}", "log",
							 "capture_errors", (json_int_t)capture_errors,
							 "daemon_died", died, "aborted", aborted,
							 "log_write_error", log_error == ALOG_LOG_WRITE_ERROR,
							 "connection_aborted", log_error == ALOG_ABORTED),
					       "mountpoint", mp, "log", log_path, NULL));
	}
	free(mp);
	free(log_path);
	return rc;
}

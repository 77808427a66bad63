#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cas.h"
#include "dsse.h"
#include "json.h"
#include "util.h"

/* The state of --json errors (see cli_json_mode). */
static struct {
	int on, printed, argc;
	char **argv;
	char error[1024];
} json_err;

/* Keeps the first error message of a --json command, for cli_json_end. */
static void json_error_note(const char *fmt, va_list ap)
{
	if (json_err.on && !json_err.error[0])
		vsnprintf(json_err.error, sizeof(json_err.error), fmt, ap);
}

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("provfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (code != CLI_OK) {
		va_start(ap, fmt);
		json_error_note(fmt, ap);
		va_end(ap);
	}
	return code;
}

int cli_print_json(json_t *o)
{
	char *text = o ? json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;

	json_decref(o);
	if (!text)
		return cli_fail(CLI_USAGE, "out of memory");
	puts(text);
	free(text);
	json_err.printed = 1;
	return CLI_OK;
}

int cli_print_json_line(json_t *o)
{
	if (!o || json_dumpf(o, stdout, JSON_SORT_KEYS | JSON_COMPACT) < 0)
		return -1;
	putchar('\n');
	json_err.printed = 1;
	return 0;
}

void cli_json_mode(void)
{
	json_err.on = 1;
}

void cli_json_argv(int argc, char **argv)
{
	json_err.argc = argc;
	json_err.argv = argv;
}

int cli_json_end(int code)
{
	json_t *o;

	if (!json_err.on || json_err.printed || code == CLI_OK)
		return code;
	o = json_pack("{si}", "exit_status", code);
	if (o && !json_set_text(o, "error", json_err.error[0] ? json_err.error
					    : "failed: see the messages on standard error"))
		cli_print_json_line(o);
	json_decref(o);
	fflush(stdout);
	return code;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("provfs: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "provfs %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'provfs %s --help'.\n", cmd);
	va_start(ap, fmt);
	json_error_note(fmt, ap);
	va_end(ap);
	return CLI_USAGE;
}

int cli_bad_option(const char *cmd)
{
	/* getopt has said what was wrong, naming the option; parsing
	 * stopped there, maybe before a --json (options end at "--"). */
	for (int i = 1; i < json_err.argc && strcmp(json_err.argv[i], "--"); i++)
		if (!strcmp(json_err.argv[i], "--json"))
			cli_json_mode();
	if (json_err.on && !json_err.error[0]) {
		/* getopt's own message is not at hand: the word it stopped
		 * at (a short option by itself: it may be one of several
		 * in a word, -qz). */
		const char *word = optind > 0 && optind <= json_err.argc ? json_err.argv[optind - 1]
									 : NULL;
		char shortopt[3] = {'-', (char)optopt, '\0'};

		if (optopt > ' ' && optopt < 127 && !(word && !strncmp(word, "--", 2)))
			word = shortopt;
		snprintf(json_err.error, sizeof(json_err.error),
			 "bad option or missing argument: '%s' (see 'provfs %s --help')",
			 word ? word : "?", cmd);
	}
	fprintf(stderr, "Try 'provfs %s --help'.\n", cmd);
	return CLI_USAGE;
}

int cli_max_size(const char *cmd, const char *arg)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end && !end[1])
		shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20
			: *end == 'G' || *end == 'g' ? 30 : -1;
	else if (*end)
		shift = -1;
	if (errno || end == arg || arg[0] == '-' || shift < 0 || v > (64ULL << 30) >> shift ||
	    (v << shift) < (1ULL << 20))
		return cli_usage_error(cmd, "--max-size wants a size from 1M to 64G (bytes, or with "
				       "a K, M or G suffix), not '%s'", arg);
	dsse_set_max_envelope((size_t)(v << shift));
	return 0;
}

unsigned cli_closed_std_fds;

void cli_hold_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free number: fd itself, as those below are open. */
		int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);

		if (null < 0)
			continue;
		if (null != fd) {
			dup2(null, fd);
			close(null);
		}
		cli_closed_std_fds |= 1u << fd;
	}
}

int cli_has_effective_cap(int cap)
{
	/* (not known: taken as there, the operation that needs it says) */
	return cap_effective(cap) != 0;
}

/* Whether this runs in a provfs slave: its PID 1 is provfs run's init
 * (named provfs, in a PID namespace of its own). */
static int cli_in_slave(void)
{
	char comm[32] = "";
	int fd = open("/proc/1/comm", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n > 0 && !strcmp(comm, "provfs\n") && getpid() != 1;
}

int cli_fuse_check(void)
{
	/* Another user mounts through the set-user-ID fusermount3, which
	 * opens the device for it: only whether it is there can be told. */
	int fd = geteuid() == 0 ? open("/dev/fuse", O_RDWR | O_CLOEXEC)
				 : open("/dev/fuse", O_PATH | O_CLOEXEC),
	    err = errno;

	if (fd < 0 && err == ENOENT && cli_in_slave())
		return cli_fail(CLI_USAGE, "this is a provfs slave (its PID 1 is provfs run's "
				"init), which has no FUSE device by design: provfs cannot mount "
				"inside it; run provfs outside the build (provfs verify, show, log "
				"and keygen work here)");
	if (fd < 0 && err == ENOENT)
		return cli_fail(CLI_USAGE, "there is no FUSE device /dev/fuse: load the module "
				"('modprobe fuse'), or in a container pass the device in "
				"(podman or docker run --device /dev/fuse)%s",
				geteuid() == 0 && !cli_has_effective_cap(CLI_CAP_SYS_ADMIN)
					? "; CAP_SYS_ADMIN, for mounting, is missing too (--cap-add "
					  "SYS_ADMIN, or --privileged)"
					: "");
	if (fd < 0)
		return cli_fail(CLI_USAGE, "cannot open the FUSE device /dev/fuse: %s%s",
				strerror(err),
				err == EPERM ? " (in a container, pass the device in: podman "
					       "or docker run --device /dev/fuse)" : "");
	close(fd);
	if (geteuid() == 0 && !cli_has_effective_cap(CLI_CAP_SYS_ADMIN))
		return cli_fail(CLI_USAGE, "mounting needs CAP_SYS_ADMIN, which this process lacks: "
				"in a container, add it (podman or docker run --cap-add "
				"SYS_ADMIN, or --privileged)");
	return 0;
}

const char *cli_store_dir(const char *opt)
{
	const char *env = getenv("PROVFS_STORE");

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return CLI_DEFAULT_STORE;
}

/* The process group of the child cli_child_group named, 0 if none. */
static volatile pid_t child_group;

static void kill_child_group(int sig)
{
	pid_t g = child_group;

	if (g > 0)
		kill(-g, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

void cli_child_group(pid_t pid)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	static int installed;

	setpgid(pid, pid); /* in both: whichever runs first */
	if (pid == 0 || getpid() == pid)
		return;
	child_group = pid;
	for (size_t i = 0; !installed && i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa;

		/* (a signal ignored when we started stays ignored) */
		if (sigaction(sigs[i], NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
			signal(sigs[i], kill_child_group);
	}
	installed = 1;
}

/* Forks, stdio flushed first; in the child, points its
 * standard output where flags say (CLI_SPAWN_STDOUT_*). */
static pid_t fork_child(int flags)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid > 0 && (flags & CLI_SPAWN_GROUP))
		cli_child_group(pid);
	if (pid != 0)
		return pid < 0 ? -errno : pid;
	if (flags & CLI_SPAWN_GROUP)
		cli_child_group(0);
	if (flags & CLI_SPAWN_UMASK022)
		umask(022);
	if (flags & CLI_SPAWN_NO_STOP) {
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
	}
	if (flags & CLI_SPAWN_STDOUT_TO_STDERR) {
		dup2(2, 1);
	} else if (flags & CLI_SPAWN_STDOUT_NULL) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
	}
	return 0;
}

pid_t cli_spawn_start(char *const argv[], const char *cwd, int flags)
{
	pid_t pid = fork_child(flags);

	if (pid == 0) {
		if (cwd && chdir(cwd) < 0)
			_exit(127);
		execvp(argv[0], argv);
		if (flags & CLI_SPAWN_REPORT)
			fprintf(stderr, "provfs: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

pid_t cli_fork_command(int (*run)(int, char **), char *const argv[], int flags)
{
	pid_t pid = fork_child(flags);

	if (pid == 0) {
		char name[64], **args;
		int argc = 0;

		/* What an exec would have reset: caught signals to their
		 * defaults (ignored ones stay ignored), getopt's state. */
		for (int sig = 1; sig < NSIG; sig++) {
			struct sigaction sa;

			if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
			    sa.sa_handler != SIG_IGN)
				signal(sig, SIG_DFL);
		}
		optind = 0;
		memset(&json_err, 0, sizeof(json_err));
		while (argv[argc])
			argc++;
		args = calloc((size_t)argc + 1, sizeof(*args));
		if (argc < 2 || !args)
			_exit(127);
		memcpy(args, argv, (size_t)argc * sizeof(*args));
		/* as main() names it for getopt's messages */
		snprintf(name, sizeof(name), "provfs %s", argv[1]);
		args[1] = name;
		exit(run(argc - 1, args + 1));
	}
	return pid;
}

int cli_spawn_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (child_group == pid)
		child_group = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int cli_spawn(char *const argv[], const char *cwd, int flags)
{
	pid_t pid = cli_spawn_start(argv, cwd, flags);

	return pid < 0 ? (int)pid : cli_spawn_wait(pid);
}

void cli_phase(const char *who, const char *name)
{
	static int64_t last;
	int64_t now = time_now_ns();

	if (getenv("PROVFS_TIMING") && last)
		fprintf(stderr, "%s timing: %-10s %8.1f ms\n", who, name, (double)(now - last) / 1e6);
	last = now;
}

int cli_store_lock(const char *store, int quiet)
{
	int fd = cas_lock_turn(store, 0, 0);

	if (fd == -EWOULDBLOCK) {
		if (!quiet)
			fprintf(stderr, "provfs: waiting for 'provfs store gc' on '%s' to finish\n",
				store);
		fd = cas_lock_turn(store, 0, 1);
	}
	if (fd < 0)
		cli_fail(CLI_USAGE, "cannot lock store '%s': %s", store, strerror(-fd));
	return fd;
}

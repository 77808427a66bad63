/*
 * cli: what every provfs subcommand shares: the command table, error
 * printing and the store location.  Exit codes: CLI_OK 0, CLI_FAILED 1 (a
 * check failed: verification, replay mismatch, corrupt store), CLI_USAGE 2
 * (usage or environment error).
 */
#ifndef PROVFS_CLI_H
#define PROVFS_CLI_H

#include <jansson.h>
#include <stdio.h>
#include <sys/types.h>

#define CLI_OK 0
#define CLI_FAILED 1
#define CLI_USAGE 2

/* Default store when neither --store nor PROVFS_STORE is given. */
#define CLI_DEFAULT_STORE "/var/lib/provfs"

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	const char *summary;
};

/* Makes sure descriptors 0, 1 and 2 are open, holding each closed one on
 * /dev/null: else the next file opened (a store object, the exec ring)
 * would take its number, and a message to stderr would be written into
 * it.  Records in cli_closed_std_fds which were closed (bit N: descriptor
 * N), for the build, which sees them closed again.  Call first in main. */
void cli_hold_std_fds(void);
extern unsigned cli_closed_std_fds;

/* Prints "provfs: <message>\n" to stderr and returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints o for --json (keys sorted, two-space indent) on stdout and
 * releases it.  A NULL o (building it failed) prints nothing and is an
 * error.  Returns CLI_OK, or CLI_USAGE after "out of memory". */
int cli_print_json(json_t *o);
/* Prints o on one line (keys sorted) on stdout, for the commands whose
 * --json output is one object per line; does not release it.  0, or -1
 * if it could not be printed. */
int cli_print_json_line(json_t *o);

/* --json errors: a command that was given --json and fails without having
 * printed its object prints one on stdout instead, so that a program
 * reading it always gets JSON: {"error": the first message cli_fail or
 * cli_usage_error printed (or where to look), "exit_status": code}.
 * cli_json_mode is called as --json is parsed; cli_bad_option looks for
 * --json among argv (cli_json_argv) itself, as parsing ended before it.
 * main passes the command's exit status through cli_json_end. */
void cli_json_mode(void);
void cli_json_argv(int argc, char **argv);
int cli_json_end(int code);

/* Prints "provfs: warning: <message>\n" to stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* With PROVFS_TIMING set, prints to stderr how long it has been since the
 * previous call ("WHO timing: NAME  N ms"); the first call only starts the
 * clock. */
void cli_phase(const char *who, const char *name);

/* Takes the store's lock shared (see cas_lock), waiting, with a message
 * unless quiet, while store gc holds it.  The fd to close when done, or
 * -1 after printing why not. */
int cli_store_lock(const char *store, int quiet);

/* The store directory: opt if given, else $PROVFS_STORE, else the default. */
const char *cli_store_dir(const char *opt);

/* For "unknown option" and the like: prints a hint to run --help. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* After getopt_long returned '?' (it printed what was wrong): the hint to
 * --help; returns CLI_USAGE. */
int cli_bad_option(const char *cmd);

/* --max-size SIZE of the manifest readers (verify, show): bytes, or with a
 * K, M or G suffix (powers of 1024), from 1M to 64G; sets
 * dsse_set_max_envelope.  0, or a usage error's exit code (said). */
int cli_max_size(const char *cmd, const char *arg);
/* The hint for a manifest over the readers' limit: "... (see --max-size)". */
#define CLI_MAX_SIZE_HINT "larger than %zu MiB (read it with --max-size SIZE, e.g. --max-size 2G)"

/* Capability numbers from <linux/capability.h>, whose other names clash
 * with libc's. */
#define CLI_CAP_SETPCAP 8
#define CLI_CAP_NET_ADMIN 12
#define CLI_CAP_SYS_PTRACE 19
#define CLI_CAP_SYS_ADMIN 21

/* Whether capability cap is in this process's effective set, from
 * /proc/self/status; 1 if that cannot be read (let the system call say). */
int cli_has_effective_cap(int cap);

/* Whether this process can make FUSE mounts, checked before anything is
 * created, so that a container lacking the device or the capability gets
 * one message saying which: /dev/fuse must be there; as root (who mounts
 * with mount(2), not fusermount3) it must open read-write, and
 * CAP_SYS_ADMIN must be in the effective set.  0, or CLI_USAGE after printing why not. */
int cli_fuse_check(void);

/* cli_spawn flags. */
#define CLI_SPAWN_STDOUT_TO_STDERR 1 /* the child's stdout goes to our stderr */
#define CLI_SPAWN_STDOUT_NULL 2      /* the child's stdout goes to /dev/null */
#define CLI_SPAWN_REPORT 4           /* say "cannot run 'X'" if exec fails */
#define CLI_SPAWN_NO_STOP 8          /* the child ignores SIGINT, SIGQUIT, SIGTERM and
				      * SIGHUP: they are ours to act on (a whole
				      * process group signalled: a terminal's ^C,
				      * timeout(1), a CI job cancelled) */
#define CLI_SPAWN_UMASK022 16        /* the child runs with umask 022 */
#define CLI_SPAWN_GROUP 32           /* the child leads a process group of its
				      * own, killed with everything in it when
				      * we get SIGINT, SIGTERM, SIGHUP or SIGQUIT
				      * (see cli_child_group) */

/* Runs argv (searching PATH) in cwd (NULL: ours) and waits for it.
 * Returns its exit status, 128 + the signal that killed it, 127 if it could
 * not be started, or -errno if it could not be forked or waited for. */
int cli_spawn(char *const argv[], const char *cwd, int flags);

/* cli_spawn in two halves, to run several at once: cli_spawn_start
 * returns the child's pid or -errno; cli_spawn_wait returns what cli_spawn
 * would have. */
pid_t cli_spawn_start(char *const argv[], const char *cwd, int flags);
int cli_spawn_wait(pid_t pid);

/* For a child forked by hand (pid, in both the parent and the child):
 * as CLI_SPAWN_GROUP, it leads a process group of its own, which a
 * SIGINT, SIGTERM, SIGHUP or SIGQUIT to us kills (SIGKILL, the whole
 * group: a setup command's own children too) before we die of it, so
 * that nothing we started goes on as root after us; cli_spawn_wait of
 * pid ends that. */
void cli_child_group(pid_t pid);

/* cli_spawn_start of this binary's own command argv[1] (argv[0], its
 * path, is not used): the child calls run, that command's cmd_*, with
 * the words after argv[0], and exits with what it returns, as a new
 * `provfs argv[1] ...` would have, without loading the binary and its
 * libraries again (about 3 ms of CPU a time; provfs run starts one per
 * mount to unmount it, and attest).  The caller must have one thread:
 * the child would have only the one that forked, and could find a lock
 * another held at the fork taken for ever. */
pid_t cli_fork_command(int (*run)(int, char **), char *const argv[], int flags);

/* Every subcommand; defined in its own cmd_*.c file. */
int cmd_mount(int argc, char **argv);
int cmd_umount(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_attest(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_show(int argc, char **argv);

#endif

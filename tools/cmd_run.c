/*
 * provfs run: the main job.  Provision a throw-away slave whose root and
 * workspace are provfs mounts, run the command in it, unmount, and write a
 * signed manifest.  The mount daemons and attest are this same binary,
 * started as subcommands, so each piece can also be used on its own.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "cas.h"
#include "cli.h"
#include "envfacts.h"
#include "envstore.h"
#include "fsd.h"
#include "json.h"
#include "manifest.h"
#include "mountstate.h"
#include "procinfo.h"
#include "runuser.h"
#include "sandbox.h"
#include "util.h"

extern char **environ;

static const char run_usage[] =
	"usage: provfs run [options] -- COMMAND [ARG]...\n"
	"\n"
	"Run COMMAND in a fresh, throw-away build slave: Linux namespaces (mount,\n"
	"pid, ipc, uts, net) whose root is a read-only provfs mount of the\n"
	"environment and whose workspace and /tmp are read-write provfs mounts.\n"
	"Every file access is logged, outputs are captured into the store, and a\n"
	"signed manifest (in-toto Statement, SLSA Provenance v1, DSSE) is written.\n"
	"The outputs are the files COMMAND leaves in the workspace: what it writes\n"
	"in /tmp, /var/tmp and HOME is logged, but private to the build (a warning\n"
	"names symlinks it left in the workspace that point there).\n"
	"COMMAND's exit status becomes provfs's; a failed build still gets a\n"
	"manifest that says so.  What COMMAND leaves running gets SIGTERM when it\n"
	"ends, and SIGKILL 2 s later; so does the whole build when provfs gets\n"
	"SIGTERM or SIGHUP.  COMMAND has a container's default\n"
	"capabilities: it cannot mount, set the clock or reach the signing key.\n"
	"In a terminal's foreground, COMMAND gets a terminal of its own (a pty of\n"
	"the slave's /dev/pts); it never has the caller's as its controlling one.\n"
	"After a failed build, a hint may name a likely cause: a write the\n"
	"read-only root refused (HOME, beside the workspace), the network.\n"
	"\n"
	"options:\n"
	"  --env DIGEST       environment tree from the store (see 'provfs env');\n"
	"                     default: the host's own root, read-only (unmanaged)\n"
	"  --workspace DIR    the workspace (default: the current directory)\n"
	"  --workdir PATH     where the workspace appears inside the slave (default:\n"
	"                     the workspace's own path, or /build with --env);\n"
	"                     COMMAND starts there, or in the same subdirectory as\n"
	"                     provfs run if that is inside the workspace\n"
	"  --key KEY          signing key (default STORE/keys/provfs.key, created on\n"
	"                     first use); hidden from the build, never in the workspace\n"
	"  --out MANIFEST     manifest path (default STORE/builds/ID/manifest.intoto.json)\n"
	"  --net              give the slave the host's network (default: loopback only)\n"
	"  --home WHAT        the slave's $HOME: 'overlay' (default: the environment's,\n"
	"                     with its files, writable: what the build changes goes\n"
	"                     to a layer of its own, logged with /tmp, private to this\n"
	"                     build; read-only where HOME can take no overlay), 'host'\n"
	"                     (the environment's, read-only) or 'empty' (a new, empty,\n"
	"                     writable directory at the same path, logged and private)\n"
	"  --user USER[:GROUP] run COMMAND as USER (a name from the environment's\n"
	"                     /etc/passwd, or a number), with USER's groups, or GROUP\n"
	"                     alone; HOME, USER and LOGNAME follow (default: root)\n"
	"  --capture WHAT     what the store keeps of the workspace: 'all' (default:\n"
	"                     every file written, and every file read, when closed)\n"
	"                     or 'final' (only the inputs and outputs the manifest\n"
	"                     names, copied after the build: no scratch files)\n"
	"  --store DIR        the store (default $PROVFS_STORE or " CLI_DEFAULT_STORE ")\n"
	"  --json             print a summary object on stdout (COMMAND's stdout goes\n"
	"                     to stderr)\n"
	"  -q, --quiet        no progress messages (warnings, hints and errors stay)\n"
	"  -h, --help         show this help\n"
	"\n"
	"Exit status: COMMAND's own; 2 if the slave could not be set up, or if\n"
	"COMMAND succeeded but its record is incomplete (no manifest, a mount\n"
	"daemon died, outputs not captured into the store).\n";

struct run_opts {
	const char *env, *workspace, *workdir, *key, *out, *store_opt, *user;
	int net, json, quiet;
	int capture_final; /* --capture final */
	enum { HOME_DEFAULT, HOME_HOST, HOME_EMPTY, HOME_OVERLAY } home; /* --home */
	char **argv;
};

struct run_state {
	char self[PATH_MAX];
	char store[PATH_MAX];
	char id[64];
	char builddir[PATH_MAX + 128];
	char log[PATH_MAX + 160];
	char mnt[3][PATH_MAX + 16]; /* root, workspace, tmp mount points */
	char ring[PATH_MAX + 16];   /* the mounts' exec ring, "" if none */
	int mounted[3];
	char rootdir[PATH_MAX];   /* backing of the root mount */
	char workspace[PATH_MAX]; /* backing of the workspace mount */
	char tmpdir[PATH_MAX + 160];
	char slave_tmp[PATH_MAX]; /* the TMPDIR provfs made in the slave's /tmp, or "" */
	char workdir[PATH_MAX];
	char cwd[2 * PATH_MAX]; /* where COMMAND starts: workdir, or below it */
	char home[PATH_MAX]; /* --home empty or overlay: $HOME, made anew in the
			      * tmp mount ("": --home host) */
	int home_overlay;    /* home is an overlay's upper layer, not all of it */
	char key[PATH_MAX + 32];
	char manifest[PATH_MAX + 192]; /* where attest writes it */
	/* --out inside the workspace: written last, by us, as out_name into
	 * its directory: the one it named before the build (held open in
	 * out_held) if that is still there, moved or not; else out_rel
	 * (relative, "" for the workspace itself) looked up beneath the
	 * workspace (held open in out_dir) without following a symlink.
	 * Never through what the build left at that name (a symlink to a
	 * host file, a FIFO), but replacing it.  Else out_dir -1. */
	int out_dir, out_held;
	char out_rel[PATH_MAX];
	char out_name[NAME_MAX + 1];
	char env_digest[DIGEST_HEX_LEN + 1];
	struct runuser user;     /* --user: who COMMAND runs as */
	char user_slave[48];     /* "user=UID:GID", for the manifest */
	char **envp;             /* COMMAND's environment (--user: its own) */
	char env_home[PATH_MAX + 8], env_user[80], env_logname[80]; /* in envp */
	int store_lock; /* fd holding the store's lock shared (cas_lock), or -1 */
};

static const char *const mount_labels[3] = {ALOG_LABEL_ROOT, ALOG_LABEL_WORKSPACE, ALOG_LABEL_TMP};

/* Where each run's mount points are made: RUN_DIR/run-ID/LABEL; and its
 * mounts' exec ring, RUN_DIR/run-ID/RUN_RING. */
#define RUN_DIR "/run/provfs"
#define RUN_RING "execs"

static void progress(const struct run_opts *o, const char *fmt, const char *arg)
{
	if (o->quiet)
		return;
	fprintf(stderr, "provfs: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
}

/* Where COMMAND starts: run from a directory inside the workspace (cd
 * src/lib; provfs run --workspace ../.. -- make), in the same directory of
 * the slave's workspace, as a build run there natively would; from
 * anywhere else, at the workdir. */
static void start_dir(struct run_state *s)
{
	char here[PATH_MAX];
	size_t n = strcmp(s->workspace, "/") ? strlen(s->workspace) : 0;
	int root = !strcmp(s->workdir, "/");

	if (getcwd(here, sizeof(here)) && path_is_under(here, s->workspace) && here[n] == '/')
		snprintf(s->cwd, sizeof(s->cwd), "%s%s", root ? "" : s->workdir, here + n);
	else
		snprintf(s->cwd, sizeof(s->cwd), "%s", s->workdir);
}

/* Runs this binary (args[0] is its path); returns its exit status (or
 * 127/128+sig). */
static int run_self(char *const args[], int quiet_stdout)
{
	int rc = cli_spawn(args, NULL, quiet_stdout ? CLI_SPAWN_STDOUT_NULL : 0);

	return rc < 0 ? 127 : rc;
}

/* Starts this binary (args[0] is its path), its stdout to /dev/null;
 * returns the pid, or -1. */
static pid_t start_self(char *const args[])
{
	pid_t pid = cli_spawn_start(args, NULL, CLI_SPAWN_STDOUT_NULL);

	return pid < 0 ? -1 : pid;
}

/* Whether a started child exited 0. */
static int self_ok(pid_t pid)
{
	return pid > 0 && cli_spawn_wait(pid) == 0;
}

/* Mounts the root, the workspace and /tmp, the three at once (each mount
 * is a daemon that opens the store and the log before it is ready). */
static int mount_all(struct run_state *s, const struct run_opts *o)
{
	const char *backing[3] = {s->rootdir, s->workspace, s->tmpdir};
	pid_t pid[3] = {-1, -1, -1};
	int failed = 0, err;
	char self_pid[24];

	/* Each mount sees only the execs of programs on it, and tells the
	 * others of them through the ring (fs/fsd_ring.c); without it, the
	 * mounts learn of the others' execs where the kernel tells them. */
	snprintf(s->ring, sizeof(s->ring), RUN_DIR "/run-%s/" RUN_RING, s->id);
	err = mkdir_parent(s->ring, 0755);
	if (!err)
		err = fsd_exec_ring_create(s->ring);
	if (err) {
		cli_warn("cannot make the exec ring '%s': %s", s->ring, strerror(-err));
		s->ring[0] = '\0';
	}
	snprintf(self_pid, sizeof(self_pid), "%d", (int)getpid());
	for (int which = 0; which < 3; which++) {
		char *args[20];
		int n = 0;

		args[n++] = s->self;
		args[n++] = "mount";
		/* A run killed (SIGKILL: no teardown) leaves no mounts; one
		 * killed before the daemon watches it, no daemon (its
		 * parent would be init by then, which it must not take for
		 * us). */
		args[n++] = "--die-with-parent";
		args[n++] = "--parent-pid";
		args[n++] = self_pid;
		if (s->ring[0]) {
			args[n++] = "--exec-ring";
			args[n++] = s->ring;
		}
		args[n++] = "--store";
		args[n++] = s->store;
		args[n++] = "--log";
		args[n++] = s->log;
		args[n++] = "--label";
		args[n++] = (char *)mount_labels[which];
		if (which == 0)
			args[n++] = "--ro";
		/* The root's daemon stores the inputs it serves as they are
		 * read; /tmp's files are no inputs or outputs of the manifest,
		 * and with --capture final attest stores the workspace's. */
		if (which == 2 || (which == 1 && o->capture_final))
			args[n++] = "--no-capture";
		args[n++] = (char *)backing[which];
		args[n++] = s->mnt[which];
		args[n] = NULL;
		if (mkdir_p(s->mnt[which], 0755) == 0)
			pid[which] = start_self(args);
		else
			cli_warn("cannot create mount point '%s': %s", s->mnt[which],
				 strerror(errno));
	}
	for (int which = 0; which < 3; which++) {
		if (self_ok(pid[which]))
			s->mounted[which] = 1;
		else
			failed = 1;
	}
	return failed ? -1 : 0;
}

/* Removes the mount points of run directory RUN_DIR/NAME, and it, where
 * they are empty: rmdir leaves a mounted or non-empty one alone.  With
 * detach_dead, a mount whose daemon is gone (ENOTCONN: killed with -9,
 * it could not unmount itself) is detached first; nothing can reach its
 * files any more, and its log says how it ended. */
static void remove_mount_points(const char *name, int detach_dead)
{
	char path[sizeof(RUN_DIR) + 2 * NAME_MAX + 8];
	int left = 0;

	for (int i = 0; i < 3; i++) {
		struct statx stx;

		snprintf(path, sizeof(path), RUN_DIR "/%s/%s", name, mount_labels[i]);
		/* AT_STATX_FORCE_SYNC: the kernel keeps a mount root's
		 * attributes (for a day: FSD timeout), and answered a plain
		 * stat of a dead mount from them, so it was never detached. */
		if (detach_dead && statx(AT_FDCWD, path, AT_STATX_FORCE_SYNC, STATX_TYPE, &stx) < 0 &&
		    errno == ENOTCONN)
			umount2(path, MNT_DETACH);
		/* A daemon killed with its run left the state file that
		 * provfs umount would have removed. */
		if (rmdir(path) == 0) {
			if (detach_dead)
				mountstate_remove(path);
		} else if (errno != ENOENT) {
			left = 1;
		}
	}
	/* The exec ring goes with the last mount point (a live run's
	 * daemons have it mapped, and it is no use to anyone else). */
	snprintf(path, sizeof(path), RUN_DIR "/%s/" RUN_RING, name);
	if (!left)
		unlink(path);
	snprintf(path, sizeof(path), RUN_DIR "/%s", name);
	rmdir(path);
}

/* Unmounts whatever is mounted, the three at once, and removes the mount
 * points.  The umounts are quiet: run reads each mount's end from the log
 * after, and says once for the slave what went wrong (a daemon that died,
 * outputs not captured). */
static void unmount_all(struct run_state *s)
{
	char name[sizeof(s->id) + 8];
	pid_t pid[3] = {-1, -1, -1};

	for (int i = 0; i < 3; i++) {
		/* --force: a process of the host with a file open in the
		 * slave's mounts must not keep the build from ending. */
		char *args[] = {s->self, "umount", "--quiet", "--force", s->mnt[i], NULL};

		if (s->mounted[i]) {
			pid[i] = cli_fork_command(cmd_umount, args,
						  CLI_SPAWN_STDOUT_NULL | CLI_SPAWN_NO_STOP);
			if (pid[i] < 0)
				pid[i] = -1;
		}
	}
	for (int i = 0; i < 3; i++) {
		if (!s->mounted[i])
			continue;
		self_ok(pid[i]);
		s->mounted[i] = 0;
	}
	snprintf(name, sizeof(name), "run-%s", s->id);
	remove_mount_points(name, 0);
}

/* The mount points of runs killed before their teardown (their daemons
 * unmounted themselves: mount --die-with-parent; or were killed too, and
 * left a dead mount).  Only empty directories go, and only those older
 * than a few minutes: a live run's mount points are mounted (rmdir
 * fails), or were made seconds ago, before its daemons mounted them. */
static void sweep_stale_runs(void)
{
	DIR *d = opendir(RUN_DIR);
	struct dirent *e;
	time_t now = time(NULL);

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[sizeof(RUN_DIR) + 2 * NAME_MAX + 8];
		struct stat st;

		if (strncmp(e->d_name, "run-", 4))
			continue;
		snprintf(path, sizeof(path), RUN_DIR "/%s", e->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && now - st.st_mtime >= 600)
			remove_mount_points(e->d_name, 1);
	}
	closedir(d);
}

static int ensure_key(struct run_state *s, const struct run_opts *o)
{
	char prefix[PATH_MAX + 16], keys[PATH_MAX + 16];
	char *args[] = {s->self, "keygen", "--out", prefix, NULL};
	int fd, ret = 0, made = 0;

	if (o->key) {
		snprintf(s->key, sizeof(s->key), "%s", o->key);
		/* Its real path: the slave hides that (and a symlink to it
		 * would show the build the key). */
		if (!realpath(o->key, s->key) || access(s->key, R_OK) < 0)
			return -errno;
		return 0;
	}
	snprintf(keys, sizeof(keys), "%s/keys", s->store);
	snprintf(prefix, sizeof(prefix), "%s/keys/provfs", s->store);
	snprintf(s->key, sizeof(s->key), "%s.key", prefix);
	if (access(s->key, R_OK) == 0)
		return 0;
	/* Several builds started at once on a new store (a CI machine's
	 * first jobs) would each make a key, and all but one fail: the first
	 * to hold the lock on the keys directory makes it, the others wait
	 * and use it. */
	if (mkdir_p(keys, 0700) < 0)
		return -errno;
	fd = open(keys, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		ret = -errno;
	} else if (access(s->key, R_OK) < 0) {
		if (run_self(args, 1) != 0)
			ret = -EIO;
		made = ret == 0;
	}
	close(fd); /* and the lock with it */
	if (ret < 0) {
		errno = -ret;
		return ret;
	}
	if (made && !o->quiet)
		fprintf(stderr, "provfs: created signing key %s (public key %s.pub)\n", s->key,
			prefix);
	return 0;
}

/* After a failed build with --home host: the most common surprise of a
 * first run is a tool that keeps a cache under HOME (npm, pip, go, cargo,
 * ccache) failing with EROFS there. */
/* The slave's $HOME, as COMMAND gets it. */
static const char *slave_home(const struct run_state *s, const struct run_opts *o)
{
	return o->user ? s->user.home : getenv("HOME");
}

/* Removes path's trailing slashes ("/" stays); its new length. */
static size_t strip_slashes(char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	return n;
}

/* home, an absolute path, into dir (cap bytes) without trailing slashes
 * ("/" stays); its length, or 0 if it is unset, relative or too long. */
static size_t home_dir(const char *home, char *dir, size_t cap)
{
	if (!home || home[0] != '/' || strlen(home) >= cap)
		return 0;
	return strip_slashes(strcpy(dir, home));
}

/* lstat of path (absolute, in the slave) in the environment's tree: not
 * through a final symlink, which in an environment's tree would name a
 * file of the host if absolute. */
static int env_lstat(const struct run_state *s, const char *path, struct stat *st)
{
	char in_env[2 * PATH_MAX];

	snprintf(in_env, sizeof(in_env), "%s%s", strcmp(s->rootdir, "/") ? s->rootdir : "", path);
	return lstat(in_env, st);
}

/* Whether path (absolute, in the environment's root) goes through no
 * symlink on its way: the slave's mounts are made on the host's path of
 * it before the root is pivoted, where an absolute symlink of the root
 * leads to the host's directory.  Parts not there yet are fine (made
 * later).  0, or -ELOOP. */
static int env_no_symlink(const struct run_state *s, const char *path)
{
	char in_env[2 * PATH_MAX];
	size_t base = strcmp(s->rootdir, "/") ? strlen(s->rootdir) : 0;
	struct stat st;

	snprintf(in_env, sizeof(in_env), "%s%s", base ? s->rootdir : "", path);
	for (char *p = in_env + base + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			int gone;

			*p = '\0';
			gone = lstat(in_env, &st) < 0;
			*p = c;
			if (gone)
				return 0;
			if (S_ISLNK(st.st_mode))
				return -ELOOP;
			if (c == '\0')
				return 0;
		}
	}
}

/* The value of variable name in COMMAND's environment (--user's, or
 * ours), or NULL. */
static const char *slave_getenv(const struct run_state *s, const char *name)
{
	char *const *envp = s->envp ? s->envp : environ;
	size_t len = strlen(name);

	for (size_t i = 0; envp[i]; i++)
		if (!strncmp(envp[i], name, len) && envp[i][len] == '=')
			return envp[i] + len + 1;
	return NULL;
}

/* Whether the root's log shows the build looked at dir or under it, other
 * than at commands searched for in its PATH's directories there
 * (~/.cargo/bin/make: a shell looks up each command in every PATH
 * directory until found); if so, *last is the last path it looked at
 * there (malloc'd; NULL if unknown).  A log that cannot be read does not
 * rule it out: 1. */
static int looked_under(const struct run_state *s, const char *dir, char **last, int64_t *id)
{
	const char *path = slave_getenv(s, "PATH"), *skip[64];
	char *copy, *save = NULL;
	size_t n = 0;
	int ret;

	copy = strdup(path ? path : "");
	for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d && n < 64;
	     d = strtok_r(NULL, ":", &save)) {
		strip_slashes(d);
		if (d[0] == '/')
			skip[n++] = d;
	}
	*last = NULL;
	ret = alog_touched_under(s->log, ALOG_LABEL_ROOT, dir, skip, n, last, id);
	free(copy);
	return ret != 0;
}

/* The hints said after a failed build, collected so that --json can
 * carry them too. */
struct hints {
	char **text;
	int n;
};

static void __attribute__((format(printf, 2, 3))) hint(struct hints *h, const char *fmt, ...)
{
	char **more = realloc(h->text, (size_t)(h->n + 1) * sizeof(*h->text));
	va_list ap;
	char *t = NULL;
	int n;

	if (!more)
		return;
	h->text = more;
	va_start(ap, fmt);
	n = vasprintf(&t, fmt, ap);
	va_end(ap);
	if (n >= 0)
		h->text[h->n++] = t;
}

/* The hint for path, which the build looked for in a directory above the
 * workspace (alog_probed_above). */
static void hint_beside(const struct run_state *s, const char *path, struct hints *h)
{
	char *where = strdup(path);
	char *named = manifest_printable(path);

	if (where && named) {
		char *slash = strrchr(where, '/');

		*slash = '\0';
		/* The host's directory, when the workspace is where it
		 * is on the host, unless that is "/" (no workspace). */
		if (!strcmp(s->workspace, s->workdir) && where[0]) {
			char *shown = manifest_printable(where);

			hint(h, "only the workspace (%s) and /tmp are "
					"writable in the slave; the build looked for %s, outside "
					"it: if it failed writing there ('Read-only file "
					"system'), give it a workspace that holds that: "
					"provfs run --workspace %s ... (it starts in the current "
					"directory)",
				s->workdir, named, shown ? shown : where);
			free(shown);
		} else {
			hint(h, "only the workspace (%s in the slave) and "
					"/tmp are writable in the slave; the build looked for %s, "
					"outside it: if it failed writing there ('Read-only file "
					"system'), put the sources one directory down in the "
					"workspace, so that it holds what the build writes "
					"beside them",
				s->workdir, named);
		}
	}
	free(where);
	free(named);
}

/* After a failed build: a hint for a place it may have failed to write,
 * read-only in the slave, as the root's log suggests: HOME (with --home
 * host) or beside the workspace (dpkg-buildpackage writes its
 * .deb files in the parent).  The kernel refuses such a write without
 * asking the daemon, which only sees the look-up before it; so when both
 * show, the later one is named. */
static void hint_read_only(const struct run_state *s, const struct run_opts *o,
			   struct hints *h)
{
	const char *home = slave_home(s, o);
	char dir[PATH_MAX], *last = NULL, *beside = NULL, *seen;
	int64_t home_id = -1, beside_id = -1;
	int in_home = 0;
	struct stat st;

	/* Writing there looks the name up first, which the root's log
	 * records: a build that never looked at or under HOME did not fail
	 * there. */
	if (!s->home[0] && home_dir(home, dir, sizeof(dir)) > 1)
		in_home = looked_under(s, dir, &last, &home_id);
	if (alog_probed_above(s->log, ALOG_LABEL_ROOT, ALOG_LABEL_WORKSPACE, s->workdir, &beside,
			      &beside_id) == 1 && beside && beside_id >= home_id) {
		hint_beside(s, beside, h);
		free(beside);
		free(last);
		return;
	}
	free(beside);
	if (!in_home)
		return;
	/* Where it looked last (~/.cache/ccache/tmp/...), escaped: the
	 * build named it. */
	seen = last ? manifest_printable(last) : NULL;
	free(last);
	/* nobody's /nonexistent: --home empty has nothing to replace. */
	if (env_lstat(s, dir, &st) < 0 || !S_ISDIR(st.st_mode))
		hint(h, "the slave's HOME (%s) is not a directory of its "
				"environment; if the build failed writing there%s%s%s, give it "
				"one in the command (provfs run ... -- env HOME=/tmp COMMAND)",
			home, seen ? " (it looked at " : "", seen ? seen : "", seen ? ")" : "");
	else
		hint(h, "the slave's HOME (%s) is read-only, as is all of "
				"its root but the workspace and /tmp; if the build failed writing "
				"there ('Read-only file system'%s%s), run it with --home %s",
			home, seen ? "; it looked at " : "", seen ? seen : "",
			/* --home host, or the default where no overlay could be */
			o->home == HOME_HOST ? "overlay (the default)" : "empty");
	free(seen);
}

/* After a failed build whose workspace lies in the slave's own /tmp or
 * /var/tmp (the tmp mount, empty but for the way to the workspace): a
 * look-up of an absent name beside it (../sibling-input.txt) is of a
 * host file the slave does not have. */
static void hint_private_parent(const struct run_state *s, struct hints *h)
{
	char *path = NULL, *named;
	int64_t id;

	if (!path_is_under(s->workdir, "/tmp") && !path_is_under(s->workdir, "/var/tmp"))
		return;
	/* (the slave's init made the way to the workspace's mount point
	 * there, looking each name up first: those are not the build's) */
	if (alog_probed_above(s->log, ALOG_LABEL_TMP, ALOG_LABEL_WORKSPACE, s->workdir, &path,
			      &id) != 1 || !path || path_is_under(s->workdir, path)) {
		free(path);
		return;
	}
	named = manifest_printable(path);
	hint(h, "the workspace lies in the slave's own /tmp or /var/tmp, which hold nothing "
		"of the host's: the build looked for %s, beside the workspace, and found "
		"nothing there; if it needed that, give it a workspace that holds it: provfs "
		"run --workspace DIR ... (DIR above this one)", named ? named : path);
	free(named);
	free(path);
}

/* Why the slave lacks host file path (real, absolute, outside the
 * workspace), or NULL if it has it at that path. */
static const char *slave_lacks(const struct run_state *s, const char *path)
{
	struct stat st;

	if (strcmp(s->rootdir, "/"))
		return env_lstat(s, path, &st) < 0 ? "it is not in the environment" : NULL;
	if (path_is_under(path, "/tmp") || path_is_under(path, "/var/tmp"))
		return "its /tmp and /var/tmp are its own";
	if (path_is_under(path, "/run") || path_is_under(path, s->store))
		return "it hides /run and the store";
	if (s->home[0] && path_is_under(path, s->home) && !s->home_overlay)
		return "its HOME is new and empty (--home empty)";
	return NULL;
}

/* The loopback nameserver the slave's resolver asks, in out: the first
 * "nameserver" of the root's etc/resolv.conf if it is on loopback
 * (127.0.0.53 of systemd-resolved, a local dnsmasq), or 127.0.0.1 where
 * the file names none or is missing (glibc's default); "" where it names
 * another one, whose queries count as unrouted.  *by_default says which.
 * Read from the root's backing directory, here, not by the slave's init
 * through the root's mount: that read was logged, and every manifest
 * without --net listed /etc/resolv.conf as an input of the build. */
static void loopback_nameserver(const char *root, char *out, size_t len, int *by_default)
{
	char *text = NULL, *line, *save = NULL, addr[48];

	out[0] = '\0';
	*by_default = 0;
	if (envfacts_read_in_root(root, "etc/resolv.conf", 1 << 20, &text) == 0) {
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (sscanf(line, " nameserver %47s", addr) == 1) {
				if (!strncmp(addr, "127.", 4) || !strcmp(addr, "::1"))
					snprintf(out, len, "%s", addr);
				free(text);
				return;
			}
		}
	}
	free(text);
	snprintf(out, len, "127.0.0.1");
	*by_default = 1;
}

/* After a failed build: an argument of COMMAND that names a file of the
 * host the slave does not have (provfs run -- sh ../build.sh, a script
 * beside the workspace or under /tmp), the likeliest cause.  Whether any
 * was said. */
static int hint_missing_arguments(const struct run_state *s, char **argv, struct hints *h)
{
	int said = 0;

	/* Not the program itself: its exec failing says so, and an
	 * environment's /bin/sh is no host path. */
	for (char **a = argv + 1; *a; a++) {
		char real[PATH_MAX], moved[PATH_MAX + 64];
		const char *why;
		struct stat st;

		if (!strchr(*a, '/') || !realpath(*a, real))
			continue;
		/* The slave has it by that name (its root's, whatever the
		 * host's resolves to). */
		if (**a == '/' && !path_is_under(*a, s->workspace) && env_lstat(s, *a, &st) == 0)
			continue;
		/* A relative name of a workspace file resolves in the slave
		 * as here; an absolute one only if the workdir is the same. */
		if (path_is_under(real, s->workspace)) {
			if (**a != '/' || !strcmp(s->workspace, s->workdir))
				continue;
			snprintf(moved, sizeof(moved), "the workspace is at %s in it", s->workdir);
			why = moved;
		} else if (!(why = slave_lacks(s, real))) {
			continue;
		}
		hint(h, "'%s' names %s on the host, which the slave does "
				"not have: %s; what the build needs goes in the workspace",
			*a, real, why);
		said = 1;
	}
	return said;
}

/* A usage error (exit 2) for --home, or with quiet (the default overlay,
 * which falls back to a read-only HOME), none. */
static int __attribute__((format(printf, 2, 3))) home_refused(int quiet, const char *fmt, ...)
{
	char msg[2 * PATH_MAX + 256];
	va_list ap;

	if (quiet)
		return CLI_USAGE;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cli_fail(CLI_USAGE, "%s", msg);
}

/* --home overlay or empty: $HOME into s->home, checked: an absolute path
 * to a directory of the environment (its owner and mode into *st), outside
 * what the slave gets anyway.  0, or the usage error's exit code (said
 * unless quiet). */
static int check_home(struct run_state *s, const struct run_opts *o, struct stat *st, int quiet)
{
	static const char *const own[] = {"/tmp", "/var/tmp", "/proc", "/dev", "/run"};
	const char *home = slave_home(s, o);
	const char *opt = o->home == HOME_EMPTY ? "--home empty" : "--home overlay";
	size_t n = home_dir(home, s->home, sizeof(s->home));
	int ret = 0;

	if (!n)
		return home_refused(quiet, "%s needs HOME set to an absolute path, not '%s'", opt,
				    home ? home : "");
	if (n == 1)
		ret = home_refused(quiet, "%s cannot replace '/' (HOME)", opt);
	else if (!path_is_safe_relative(s->home + 1))
		ret = home_refused(quiet, "%s: HOME '%s' has an empty, '.' or '..' part", opt,
				   s->home);
	for (size_t i = 0; !ret && i < sizeof(own) / sizeof(own[0]); i++) {
		if (path_is_under(s->home, own[i]))
			ret = home_refused(quiet, "%s: HOME '%s' lies in %s, which the slave has "
					   "of its own", opt, s->home, own[i]);
	}
	if (!ret && path_is_under(s->home, s->workdir))
		ret = home_refused(quiet, "%s: HOME '%s' lies in the workspace ('%s' in the "
				   "slave)", opt, s->home, s->workdir);
	/* The overlay's options separate paths with ',' and ':'. */
	if (!ret && o->home != HOME_EMPTY && strpbrk(s->home, ",:\\"))
		ret = home_refused(quiet, "%s: HOME '%s' has a ',', ':' or '\\', which an overlay "
				   "cannot take: use --home empty", opt, s->home);
	if (!ret && (env_lstat(s, s->home, st) < 0 || !S_ISDIR(st->st_mode) ||
		     env_no_symlink(s, s->home) < 0))
		ret = home_refused(quiet, "%s: HOME '%s' is not a directory in the environment (a "
				   "symlink on the way is not followed)", opt, s->home);
	if (ret)
		s->home[0] = '\0';
	return ret;
}

/* COMMAND's environment as --user USER gets it: HOME, USER and LOGNAME
 * are USER's (a uid without a name gets no USER or LOGNAME), the rest is
 * provfs's own.  NULL if out of memory. */
static char **user_environ(struct run_state *s)
{
	const struct runuser *u = &s->user;
	static const char *const mine[] = {"HOME=", "USER=", "LOGNAME="};
	size_t n = 0, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 4, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int replaced = 0;

		for (size_t j = 0; j < sizeof(mine) / sizeof(mine[0]); j++)
			replaced |= !strncmp(environ[i], mine[j], strlen(mine[j]));
		if (!replaced)
			env[k++] = environ[i];
	}
	snprintf(s->env_home, sizeof(s->env_home), "HOME=%s", u->home);
	env[k++] = s->env_home;
	if (u->name[0]) {
		snprintf(s->env_user, sizeof(s->env_user), "USER=%s", u->name);
		snprintf(s->env_logname, sizeof(s->env_logname), "LOGNAME=%s", u->name);
		env[k++] = s->env_user;
		env[k++] = s->env_logname;
	}
	return env;
}

/* --user: who COMMAND runs as, from the environment's own user database.
 * A workspace that user cannot write is worth a warning, not a refusal
 * (the build may only read it, or write below it).  0, or the usage
 * error's exit code. */
static int resolve_user(struct run_state *s, const struct run_opts *o)
{
	const char *what;
	struct stat st;
	int ret = runuser_resolve(s->rootdir, o->user, &s->user, &what);

	if (ret == -EINVAL)
		return cli_fail(CLI_USAGE, "--user takes USER[:GROUP], each a name or a number, "
				"not '%s'", o->user);
	if (ret == -ENOENT)
		return cli_fail(CLI_USAGE, "--user '%s': no such %s in the environment's /etc/%s",
				o->user, what, strcmp(what, "group") ? "passwd" : "group");
	if (ret < 0)
		return cli_fail(CLI_USAGE, "--user '%s': cannot read the environment's /etc/passwd: "
				"%s", o->user, strerror(-ret));
	s->envp = user_environ(s);
	if (!s->envp)
		return cli_fail(CLI_USAGE, "out of memory");
	snprintf(s->user_slave, sizeof(s->user_slave), "user=%u:%u", (unsigned)s->user.uid,
		 (unsigned)s->user.gid);
	if (stat(s->workspace, &st) == 0 && s->user.uid != 0 && st.st_uid != s->user.uid &&
	    !(st.st_mode & S_IWOTH) && !(st.st_gid == s->user.gid && (st.st_mode & S_IWGRP)))
		cli_warn("user %u cannot write the workspace '%s' (owner %u:%u, mode %03o): "
			 "chown it, or only what it owns below it is writable",
			 (unsigned)s->user.uid, s->workspace, (unsigned)st.st_uid,
			 (unsigned)st.st_gid, (unsigned)(st.st_mode & 0777));
	return 0;
}

/* --out inside the workspace (its directory's real path is, or that of
 * its nearest ancestor that exists, when the build is to make the rest):
 * holds the workspace in s->out_dir, the directory's path beneath it in
 * s->out_rel, its last name in s->out_name.  0, 1 (s->manifest set: a
 * symlink's target outside), or -1 with the error said. */
static int out_in_workspace(struct run_state *s, const char *out)
{
	char dir[PATH_MAX], real[PATH_MAX], target[PATH_MAX], up[PATH_MAX];
	const char *slash, *name, *missing = "";
	struct stat st;
	size_t wlen = strlen(s->workspace);

	if (!strcmp(out, "-"))
		return 0;
	/* A symlink there before the build: its target as it is now gets the
	 * manifest (a target outside the workspace is out of the build's
	 * reach: attest writes it, through the resolved path). */
	if (lstat(out, &st) == 0 && S_ISLNK(st.st_mode) && realpath(out, target)) {
		out = target;
		if (!path_is_under(target, s->workspace)) {
			snprintf(s->manifest, sizeof(s->manifest), "%s", target);
			return 1;
		}
	}
	slash = strrchr(out, '/');
	name = slash ? slash + 1 : out;
	if (slash == out)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - out) : 1,
			 slash ? out : ".");
	/* A directory the build may make (out/ of --out out/m.json in the
	 * workspace), or one nothing will make: its nearest ancestor that
	 * exists tells which. */
	snprintf(up, sizeof(up), "%s", dir);
	while (!realpath(up, real)) {
		char *cut = strrchr(up, '/');

		if (!cut) {
			snprintf(up, sizeof(up), ".");
			missing = dir;
			continue;
		}
		cut[cut == up] = '\0';
		missing = dir + strlen(up) + (cut != up);
	}
	if (!path_is_under(real, s->workspace)) {
		/* Out of the build's reach as resolved now, but maybe not as
		 * written (ws/out, a symlink to the host's artifacts/, which
		 * the build may point elsewhere): attest writes the resolved
		 * path (or says why not). */
		if (!*missing) {
			if (!*name || !strcmp(name, ".") || !strcmp(name, "..") ||
			    (size_t)snprintf(s->manifest, sizeof(s->manifest), "%s%s%s", real,
					     strcmp(real, "/") ? "/" : "", name) >= sizeof(s->manifest))
				snprintf(s->manifest, sizeof(s->manifest), "%s", out);
			return 1;
		}
		cli_fail(CLI_USAGE, "cannot write --out '%s': there is no directory '%s'", out, dir);
		return -1;
	}
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strlen(name) > NAME_MAX) {
		cli_fail(CLI_USAGE, "--out '%s' names no file", out);
		return -1;
	}
	if (*missing && !path_is_safe_relative(missing)) {
		cli_fail(CLI_USAGE, "--out '%s': its directory '%s' does not exist yet and has an "
			 "empty, '.' or '..' part", out, dir);
		return -1;
	}
	while (real[wlen] == '/')
		wlen++;
	if ((size_t)snprintf(s->out_rel, sizeof(s->out_rel), "%s%s%s", real + wlen,
			     real[wlen] && *missing ? "/" : "", missing) >= sizeof(s->out_rel)) {
		cli_fail(CLI_USAGE, "--out '%s' is too long", out);
		return -1;
	}
	s->out_dir = open(s->workspace, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!*missing)
		s->out_held = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->out_dir < 0 || (!*missing && s->out_held < 0)) {
		cli_fail(CLI_USAGE, "cannot open the workspace for --out '%s': %s", out,
			 strerror(errno));
		return -1;
	}
	memcpy(s->out_name, name, strlen(name) + 1); /* (at most NAME_MAX) */
	return 0;
}

/* Puts the manifest attest wrote in the build's directory at --out in the
 * workspace: a new file in its directory (see run_state: the one held
 * since before the build if it is still there, else the one at its path
 * now, looked up beneath the workspace without following symlinks: one
 * the build made on the way, to a host directory, is refused), renamed
 * over whatever is at that name now (a symlink the build made is
 * replaced, not followed; a FIFO too).  0, or -errno with *why set where
 * the errno alone would mislead. */
static int publish_out(struct run_state *s, const char **why)
{
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					  RESOLVE_NO_MAGICLINKS};
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int dir, ret;

	/* (a directory removed has no links left: rm -rf out; mkdir out) */
	if (s->out_held >= 0 && fstat(s->out_held, &st) == 0 && st.st_nlink > 0)
		dir = s->out_held;
	else
		dir = s->out_rel[0] ? openat2_retry(s->out_dir, s->out_rel, &how) : s->out_dir;
	*why = NULL;
	if (dir < 0) {
		ret = -errno;
		*why = ret == -ENOENT	? "the build left no such directory in the workspace"
		       : ret == -ELOOP ? "the build made a symlink of a "
							  "directory on the way, which is not followed"
		       : ret == -ENOTDIR ? "the build made a file of a directory on the way"
					 : NULL;
		return ret;
	}
	ret = file_read_all(s->manifest, (size_t)1 << 32, &text, &len);
	if (ret == 0)
		ret = file_write_replace_at(dir, s->out_name, text, len, 0644);
	free(text);
	if (dir != s->out_dir && dir != s->out_held)
		close(dir);
	return ret;
}

static void run_state_free(struct run_state *s)
{
	if (s->store_lock >= 0)
		close(s->store_lock);
	if (s->out_dir >= 0)
		close(s->out_dir);
	if (s->out_held >= 0)
		close(s->out_held);
	free(s->envp);
	free(s);
}

/* A TMPDIR under /tmp or /var/tmp (CI runners set one per job) names a
 * directory of the host's, which the slave's own /tmp lacks: the tmp
 * mount gets an empty one there, owned (by the --user, if any) and
 * protected as the host's, so that mktemp and compilers find it.  One
 * the host lacks is left alone, as is one in the workspace. */
static int slave_tmpdir(struct run_state *s, const struct run_opts *o)
{
	const char *tmp = slave_getenv(s, "TMPDIR");
	char dir[sizeof(s->tmpdir) + PATH_MAX];
	struct stat st;

	if (!tmp || tmp[0] != '/' || strlen(tmp) >= PATH_MAX || strstr(tmp, "/..") ||
	    !(path_is_under(tmp, "/tmp") || path_is_under(tmp, "/var/tmp")) ||
	    path_is_under(tmp, s->workspace) || stat(tmp, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	if (o->user) {
		st.st_uid = s->user.uid;
		st.st_gid = s->user.gid;
	}
	snprintf(dir, sizeof(dir), "%s%s", s->tmpdir, tmp);
	if (mkdir_p(dir, 0755) < 0 || chown(dir, st.st_uid, st.st_gid) < 0 ||
	    chmod(dir, st.st_mode & 07777) < 0)
		return cli_fail(CLI_USAGE, "cannot create TMPDIR '%s' in the slave's /tmp: %s", tmp,
				strerror(errno));
	snprintf(s->slave_tmp, sizeof(s->slave_tmp), "%s", tmp);
	return 0;
}

static int prepare(struct run_state *s, const struct run_opts *o)
{
	unsigned char rnd[4];
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	struct stat home_st = {0};
	struct sign_key *key;
	int fd, ret_out, ret;
	ssize_t n;

	/* Namespaces, pivot_root and FUSE mounts of other users' trees:
	 * say so before anything is created. */
	if (geteuid() != 0)
		return cli_fail(CLI_USAGE, "provfs run must be run as root: it creates mount, "
				"PID and network namespaces and FUSE mounts for the slave");
	if (cli_fuse_check() != 0)
		return CLI_USAGE;
	/* The sandbox drops the build's capabilities (see sandbox.c). */
	if (!cli_has_effective_cap(CLI_CAP_SETPCAP))
		return cli_fail(CLI_USAGE, "provfs run needs CAP_SETPCAP, which this process lacks, "
				"to drop the build's capabilities: in a container, add it "
				"(podman or docker run --cap-add SETPCAP)");
	/* Reading /proc/PID/exe of another user's process takes it. */
	if (o->user && !cli_has_effective_cap(CLI_CAP_SYS_PTRACE))
		cli_warn("this process lacks CAP_SYS_PTRACE: the daemons cannot read which "
			 "program each of the build's processes (as --user %s) runs, and the "
			 "manifest names each only by the file its exec opened; in a "
			 "container, add it (--cap-add SYS_PTRACE)", o->user);
	/* Bringing up the slave's loopback interface takes it. */
	if (!o->net && !cli_has_effective_cap(CLI_CAP_NET_ADMIN))
		cli_warn("this process lacks CAP_NET_ADMIN: the slave's loopback interface "
			 "stays down, so the build cannot reach even 127.0.0.1; in a "
			 "container, add it (--cap-add NET_ADMIN)");
	n = readlink("/proc/self/exe", s->self, sizeof(s->self) - 1);
	if (n < 0)
		return cli_fail(CLI_USAGE, "cannot find the provfs binary: %s", strerror(errno));
	s->self[n] = '\0';
	if (cas_make_root(cli_store_dir(o->store_opt)) < 0 ||
	    !realpath(cli_store_dir(o->store_opt), s->store))
		return cli_fail(CLI_USAGE, "cannot use store '%s': %s", cli_store_dir(o->store_opt),
				strerror(errno));
	if (!realpath(o->workspace ? o->workspace : ".", s->workspace))
		return cli_fail(CLI_USAGE, "cannot use workspace '%s': %s",
				o->workspace ? o->workspace : ".", strerror(errno));
	{
		struct stat wst;

		if (stat(s->workspace, &wst) < 0 || !S_ISDIR(wst.st_mode))
			return cli_fail(CLI_USAGE, "cannot use workspace '%s': not a directory",
					o->workspace ? o->workspace : ".");
		/* (the kernel's own filesystems: nothing a build writes to) */
		if (path_is_under(s->workspace, "/proc") || path_is_under(s->workspace, "/sys"))
			return cli_fail(CLI_USAGE, "cannot use workspace '%s': the kernel's %s is "
					"no place for a build", o->workspace ? o->workspace : ".",
					path_is_under(s->workspace, "/sys") ? "/sys" : "/proc");
	}
	/* The build sees all of its workspace: a store inside it would show
	 * it the signing key and every other build. */
	if (path_is_under(s->store, s->workspace)) {
		rmdir(s->store); /* only if we just made it, empty */
		return cli_fail(CLI_USAGE, "the store '%s' lies inside the workspace '%s', where "
				"the build could read its signing key: put it elsewhere "
				"(--store or PROVFS_STORE)", s->store, s->workspace);
	}
	/* Held until the manifest is written, so that store gc never runs
	 * between the daemons' captures and attest's. */
	s->store_lock = cli_store_lock(s->store, o->quiet);
	if (s->store_lock < 0)
		return CLI_USAGE;
	/* Opened as each mount's daemon will open it: said once, here,
	 * rather than by each daemon. */
	{
		struct cas *cas;
		int err = cas_open(s->store, 1, &cas);

		if (err < 0)
			return cli_fail(CLI_USAGE, "cannot use store '%s': %s (its objects/sha256, "
					"tmp, logs, builds and keys must be directories this "
					"process can write)", s->store, strerror(-err));
		cas_close(cas);
	}
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read_full(fd, rnd, sizeof(rnd)) != sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	if (fd >= 0)
		close(fd);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(s->id, sizeof(s->id), "%s-%02x%02x%02x%02x", stamp, rnd[0], rnd[1], rnd[2], rnd[3]);
	snprintf(s->builddir, sizeof(s->builddir), "%s/builds/%s", s->store, s->id);
	snprintf(s->log, sizeof(s->log), "%s/log.db", s->builddir);
	snprintf(s->tmpdir, sizeof(s->tmpdir), "%s/tmp", s->builddir);
	for (int i = 0; i < 3; i++)
		snprintf(s->mnt[i], sizeof(s->mnt[i]), RUN_DIR "/run-%s/%s", s->id,
			 mount_labels[i]);
	ret_out = o->out ? out_in_workspace(s, o->out) : 0;
	if (ret_out < 0)
		return CLI_USAGE;
	if (ret_out == 0 && o->out && s->out_dir < 0)
		snprintf(s->manifest, sizeof(s->manifest), "%s", o->out);
	else if (ret_out == 0)
		snprintf(s->manifest, sizeof(s->manifest), "%s/manifest.intoto.json", s->builddir);
	if (o->env) {
		char why[PATH_MAX + 256] = "";
		int ret = envstore_materialize(s->store, o->env, s->rootdir, sizeof(s->rootdir),
					       s->env_digest, o->quiet, why, sizeof(why));

		if (ret == -ENOENT)
			return cli_fail(CLI_USAGE, "no environment '%s' in store '%s' (see 'provfs env ls')",
					o->env, s->store);
		if (ret == -EEXIST)
			return cli_fail(CLI_USAGE, "'%s' matches several environments; give more digits",
					o->env);
		if (ret == -EBADMSG)
			return cli_fail(CLI_USAGE, "environment '%s' cannot be made from the store: %s "
					"(import the same tree again to restore a missing object; "
					"'provfs store put FILE' repairs a damaged one)",
					o->env, why[0] ? why : "it is damaged");
		if (ret < 0)
			return cli_fail(CLI_USAGE, "cannot prepare environment '%s': %s", o->env,
					strerror(-ret));
	} else {
		snprintf(s->rootdir, sizeof(s->rootdir), "/");
	}
	if (o->workdir)
		snprintf(s->workdir, sizeof(s->workdir), "%s", o->workdir);
	else
		snprintf(s->workdir, sizeof(s->workdir), "%s", o->env ? "/build" : s->workspace);
	if (s->workdir[0] != '/')
		return cli_fail(CLI_USAGE, "--workdir must be an absolute path");
	if (strcmp(s->workdir, "/") && !path_is_safe_relative(s->workdir + 1))
		return cli_fail(CLI_USAGE, "--workdir '%s' has an empty, '.' or '..' part",
				s->workdir);
	if (env_no_symlink(s, s->workdir) < 0)
		return cli_fail(CLI_USAGE, "--workdir '%s' goes through a symlink of the %s: give "
				"the directory's own path", s->workdir,
				o->env ? "environment" : "host's root");
	/* Where the slave has its own filesystems, which the workspace would
	 * hide (or they it). */
	{
		static const char *const reserved[] = {"/proc", "/dev", "/sys", "/run"};

		if (!strcmp(s->workdir, "/"))
			return cli_fail(CLI_USAGE, "--workdir cannot be '/'");
		for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
			if (path_is_under(s->workdir, reserved[i]))
				return cli_fail(CLI_USAGE, "--workdir cannot be in %s, which the "
						"slave has of its own", reserved[i]);
	}
	if (!o->env) {
		struct stat wst;

		if (stat(s->workdir, &wst) < 0 || !S_ISDIR(wst.st_mode))
			return cli_fail(CLI_USAGE, "--workdir '%s' is no directory of the host's "
					"root, which is read-only: give one that exists, or an "
					"environment (--env), where it is made", s->workdir);
	}
	start_dir(s);
	if (o->env) {
		/* The mount point for the workspace: an empty directory added
		 * to the materialised copy, outside the tree's digest. */
		char point[2 * PATH_MAX];

		int err;

		snprintf(point, sizeof(point), "%s%s", s->rootdir, s->workdir);
		err = path_is_safe_relative(s->workdir + 1) ? mkdir_p(point, 0755) : -EINVAL;
		if (err < 0)
			return cli_fail(CLI_USAGE, "cannot use workdir '%s' in the environment: %s",
					s->workdir, err == -ENOTDIR || err == -EEXIST
					? "it, or a directory on its way, is a file there"
					: strerror(-err));
	}
	snprintf(s->user_slave, sizeof(s->user_slave), "user=0:0");
	if (o->user && resolve_user(s, o) != 0)
		return CLI_USAGE;
	/* By default an overlay where HOME can take one, else read-only. */
	if (o->home != HOME_HOST && check_home(s, o, &home_st, o->home == HOME_DEFAULT) != 0 &&
	    o->home != HOME_DEFAULT)
		return CLI_USAGE;
	s->home_overlay = s->home[0] && o->home != HOME_EMPTY;
	if (ensure_key(s, o) < 0)
		return cli_fail(CLI_USAGE, "cannot use signing key '%s': %s", s->key, strerror(errno));
	if (path_is_under(s->key, s->workspace))
		return cli_fail(CLI_USAGE, "the signing key '%s' lies inside the workspace '%s', where "
				"the build could read it: keep it elsewhere", s->key, s->workspace);
	/* As attest will load it, before the build rather than after. */
	ret = sign_key_load_private(s->key, &key);
	if (ret)
		return cli_fail(CLI_USAGE, "cannot use signing key '%s': %s", s->key,
				sign_private_key_error(ret));
	sign_key_free(key);
	/* Only now, with everything checked, does the build leave a trace. */
	/* The tmp mount holds the slave's /tmp and /var/tmp, as tmp/ and
	 * var/tmp/, so its log names them as the build sees them. */
	{
		static const char *const subs[] = {"", "/tmp", "/var", "/var/tmp"};
		char dir[sizeof(s->tmpdir) + 16];

		for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
			snprintf(dir, sizeof(dir), "%s%s", s->tmpdir, subs[i]);
			if (mkdir_p(dir, 0755) < 0 ||
			    chmod(dir, strcmp(subs[i], "/var") ? 01777 : 0755) < 0)
				return cli_fail(CLI_USAGE, "cannot create '%s': %s", dir,
						strerror(errno));
		}
	}
	if (slave_tmpdir(s, o) != 0)
		return CLI_USAGE;
	/* --home empty: the new home, owned and protected as the one it
	 * hides, but owned by the --user, whose home it is; --home overlay:
	 * the overlay's upper layer, so (the overlay shows the upper layer's
	 * owner and mode on its top directory), and its work directory. */
	if (s->home_overlay) {
		char dir[sizeof(s->tmpdir) + sizeof(SANDBOX_HOME_WORK)];

		snprintf(dir, sizeof(dir), "%s%s", s->tmpdir, SANDBOX_HOME_WORK);
		if (mkdir(dir, 0700) < 0)
			return cli_fail(CLI_USAGE, "cannot create '%s': %s", dir, strerror(errno));
	}
	if (s->home[0]) {
		char dir[sizeof(s->tmpdir) + sizeof(s->home)];

		if (o->user) {
			home_st.st_uid = s->user.uid;
			home_st.st_gid = s->user.gid;
		}
		snprintf(dir, sizeof(dir), "%s%s", s->tmpdir, s->home);
		if (mkdir_p(dir, 0755) < 0 || chown(dir, home_st.st_uid, home_st.st_gid) < 0 ||
		    chmod(dir, home_st.st_mode & 07777) < 0)
			return cli_fail(CLI_USAGE, "cannot create '%s': %s", dir, strerror(errno));
	}
	return 0;
}

static int attest(struct run_state *s, const struct run_opts *o, int status,
		  const struct sandbox_left *left)
{
	char exit_str[16], left_str[32], unrouted_str[40], upper[sizeof(s->home) + 16];
	char **args;
	size_t n = 0, argc = 0, nenv = 0;
	pid_t pid;
	int rc;

	while (o->argv[argc])
		argc++;
	for (size_t i = 0; s->envp && s->envp[i]; i++)
		nenv++;
	args = calloc(argc + 2 * nenv + 64, sizeof(*args));
	if (!args)
		return -1;
	snprintf(exit_str, sizeof(exit_str), "%d", status);
	args[n++] = s->self;
	args[n++] = "attest";
	args[n++] = "--log";
	args[n++] = s->log;
	args[n++] = "--key";
	args[n++] = s->key;
	args[n++] = "--out";
	args[n++] = s->manifest;
	args[n++] = "--store";
	args[n++] = s->store;
	args[n++] = "--env-root";
	args[n++] = s->rootdir;
	if (s->env_digest[0]) {
		args[n++] = "--env-digest";
		args[n++] = s->env_digest;
	}
	args[n++] = "--exit-status";
	args[n++] = exit_str;
	args[n++] = "--cwd";
	args[n++] = s->cwd;
	args[n++] = "--invocation-id";
	args[n++] = s->id;
	/* What the build left in /tmp, /var/tmp or an empty HOME is in the
	 * access log, but no output: the subjects are the workspace's. */
	args[n++] = "--subjects-from";
	args[n++] = ALOG_LABEL_WORKSPACE;
	/* The home overlay's upper layer, in the tmp mount, is looked in
	 * before each name of HOME, found or not (the root's look-ups are
	 * the build's), and its work directory is the kernel's. */
	if (s->home_overlay) {
		snprintf(upper, sizeof(upper), "%s:%s", ALOG_LABEL_TMP, s->home);
		args[n++] = "--no-probes-under";
		args[n++] = upper;
		args[n++] = "--no-probes-under";
		args[n++] = ALOG_LABEL_TMP ":" SANDBOX_HOME_WORK;
	}
	args[n++] = "--driver";
	args[n++] = "namespaces";
	args[n++] = "--slave";
	args[n++] = o->net ? "network=host" : "network=loopback";
	args[n++] = "--slave";
	args[n++] = !s->home[0] ? "home=host" : s->home_overlay ? "home=overlay" : "home=empty";
	args[n++] = "--slave";
	args[n++] = o->capture_final ? "capture=final" : "capture=all";
	args[n++] = "--slave";
	args[n++] = s->user_slave;
	snprintf(left_str, sizeof(left_str), "left-running=%d", left->n);
	args[n++] = "--slave";
	args[n++] = left_str;
	/* Without --net: what the build sent beyond loopback, in vain. */
	if (!o->net) {
		snprintf(unrouted_str, sizeof(unrouted_str), "unrouted=%ld", left->no_route);
		args[n++] = "--slave";
		args[n++] = unrouted_str;
	}
	if (s->envp) {
		/* The environment COMMAND had (--user's HOME, USER,
		 * LOGNAME), not the one provfs runs attest with. */
		for (size_t i = 0; i < nenv; i++) {
			args[n++] = "--env";
			args[n++] = s->envp[i];
		}
	}
	args[n++] = "--";
	for (size_t i = 0; i < argc; i++)
		args[n++] = o->argv[i];
	args[n] = NULL;
	pid = cli_fork_command(cmd_attest, args, CLI_SPAWN_STDOUT_NULL | CLI_SPAWN_NO_STOP);
	rc = pid < 0 ? 127 : cli_spawn_wait(pid);
	free(args);
	return rc;
}

static int parse(int argc, char **argv, struct run_opts *o)
{
	static const struct option opts[] = {
		{"env", required_argument, NULL, 'e'},
		{"workspace", required_argument, NULL, 'w'},
		{"workdir", required_argument, NULL, 'W'},
		{"key", required_argument, NULL, 'k'},
		{"out", required_argument, NULL, 'o'},
		{"net", no_argument, NULL, 'n'},
		{"capture", required_argument, NULL, 'c'},
		{"home", required_argument, NULL, 'H'},
		{"user", required_argument, NULL, 'u'},
		{"store", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		switch (c) {
		case 'e': o->env = optarg; break;
		case 'w': o->workspace = optarg; break;
		case 'W': o->workdir = optarg; break;
		case 'k': o->key = optarg; break;
		case 'o': o->out = optarg; break;
		case 'n': o->net = 1; break;
		case 'c':
			if (strcmp(optarg, "all") && strcmp(optarg, "final"))
				return cli_usage_error("run", "--capture takes 'all' or 'final'");
			o->capture_final = !strcmp(optarg, "final");
			break;
		case 'H':
			if (!strcmp(optarg, "host"))
				o->home = HOME_HOST;
			else if (!strcmp(optarg, "empty"))
				o->home = HOME_EMPTY;
			else if (!strcmp(optarg, "overlay"))
				o->home = HOME_OVERLAY;
			else
				return cli_usage_error("run", "--home takes 'host', 'overlay' or 'empty'");
			break;
		case 'u': o->user = optarg; break;
		case 's': o->store_opt = optarg; break;
		case 'j': o->json = 1; cli_json_mode(); break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(run_usage, stdout); return 1;
		default: return cli_bad_option("run");
		}
	}
	if (optind >= argc)
		return cli_usage_error("run", "expected a COMMAND (after --)");
	o->argv = argv + optind;
	return 0;
}

/* SIGTERM or SIGHUP (a CI job cancelled, a terminal closed), and SIGINT
 * or SIGQUIT (Ctrl-C) but while the build runs (it gets those from its
 * own terminal), stop the build, not the teardown: the slave is killed,
 * and run goes on to unmount, write a manifest saying so, and exit 128 +
 * the signal.  One that comes in the teardown is said and let be: the
 * build's record is written whole (a Ctrl-C there killed run, and the
 * manifest of a build that had succeeded was lost). */
static volatile sig_atomic_t run_terminated, run_tearing_down;
/* The mounts' daemons, once they run (0: not known). */
static volatile pid_t daemon_pids[3];

static void on_terminate(int sig)
{
	static const char busy[] = "provfs: the build has ended: its files go into the store "
				   "and its manifest is written first\n";
	ssize_t said;

	/* A daemon stopped (SIGSTOP) holds the build's processes in their
	 * requests, where even SIGKILL cannot end them until it answers:
	 * the slave never ended, and run waited for ever.  It is continued,
	 * as provfs umount would. */
	for (int i = 0; i < 3; i++)
		if (daemon_pids[i] > 0)
			kill(daemon_pids[i], SIGCONT);
	if (run_tearing_down) {
		said = write(STDERR_FILENO, busy, sizeof(busy) - 1);
		(void)said;
		return;
	}
	/* (the first one: what stopped the build, and its exit status) */
	if (!run_terminated)
		run_terminated = sig;
	sandbox_kill(sig == SIGHUP ? SIGHUP : SIGTERM);
}

static void catch_terminate(void)
{
	struct sigaction sa = {.sa_handler = on_terminate, .sa_flags = SA_RESTART};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
}

/* The programs the build left running, a JSON list (names cut short
 * when many; their count is left->n). */
static json_t *left_programs(const struct sandbox_left *left)
{
	json_t *list = json_array();
	char names[sizeof(left->names)], *save = NULL;

	snprintf(names, sizeof(names), "%s", left->names);
	/* A program's name is the kernel's comm: any bytes, escaped. */
	for (char *t = strtok_r(names, "\n", &save); list && t; t = strtok_r(NULL, "\n", &save)) {
		char *safe = manifest_printable(t);

		if (safe)
			json_array_append_new(list, json_string(safe));
		free(safe);
	}
	return list;
}

static void warn_left_running(const struct sandbox_left *left)
{
	json_t *list;
	size_t i;
	json_t *v;

	if (!left->n)
		return;
	list = left_programs(left);
	fprintf(stderr, "provfs: warning: the build left %d process%s running, stopped when it "
		"ended (SIGTERM, then SIGKILL after %d s):", left->n, left->n == 1 ? "" : "es",
		SANDBOX_GRACE_MS / 1000);
	json_array_foreach(list, i, v) {
		fputs(i ? ", " : " ", stderr);
		fputs(json_string_value(v), stderr);
	}
	if ((int)json_array_size(list) < left->n)
		fputs(", ...", stderr);
	fputc('\n', stderr);
	json_decref(list);
}

/* "A, B, C, ..." of n items, shown the first (up to) three of them, "?"
 * for the first where it could not be made; malloc'd, NULL on ENOMEM. */
static char *first_three(char *const shown[3], size_t n)
{
	char *out;

	if (asprintf(&out, "%s%s%s%s%s%s", shown[0] ? shown[0] : "?", shown[1] ? ", " : "",
		     shown[1] ? shown[1] : "", shown[2] ? ", " : "", shown[2] ? shown[2] : "",
		     n > 3 ? ", ..." : "") < 0)
		return NULL;
	return out;
}

/* What provfs run found of the symlinks the build left in the workspace
 * pointing into what only the slave had: its /tmp, /var/tmp, /dev/shm or
 * (--home overlay or empty) HOME. */
struct private_links {
	const struct run_state *s;
	json_t *list;   /* [{link, target}], for --json */
	int n;
	char *shown[3]; /* the first ones, "LINK -> TARGET", escaped */
	int bazel;      /* one is Bazel's bazel-bin, bazel-out, ... */
};

/* Whether target (absolute) is in one of the slave's own directories,
 * outside the workspace. */
static int in_slave_only(const struct run_state *s, const char *target)
{
	struct stat st;

	if (target[0] != '/' || path_is_under(target, s->workdir))
		return 0;
	/* HOME as an overlay shows the environment's own files, which a
	 * link may name as well outside (a venv's python in ~/.pyenv): only
	 * what the build made there is its own. */
	if (s->home[0] && path_is_under(target, s->home))
		return !s->home_overlay || env_lstat(s, target, &st) < 0;
	return path_is_under(target, "/tmp") || path_is_under(target, "/var/tmp") ||
	       path_is_under(target, "/dev/shm");
}

static int note_private_link(const char *link, const char *target, void *arg)
{
	struct private_links *p = arg;
	const char *base;
	char host[2 * PATH_MAX], now[PATH_MAX];
	ssize_t len;

	if (!in_slave_only(p->s, target))
		return 0;
	while (*link == '/') /* the log's paths are from the mount's top */
		link++;
	/* Only one still there as the build made it. */
	snprintf(host, sizeof(host), "%s/%s", p->s->workspace, link);
	len = readlink(host, now, sizeof(now) - 1);
	if (len < 0)
		return 0;
	now[len] = '\0';
	if (strcmp(now, target))
		return 0;
	if (p->list)
		json_array_append_new(p->list, json_with_texts(json_object(), "link", link,
							       "target", target, NULL));
	if (p->n < 3) {
		char *l = manifest_printable(link), *t = manifest_printable(target);

		if (l && t && asprintf(&p->shown[p->n], "%s -> %s", l, t) < 0)
			p->shown[p->n] = NULL;
		free(l);
		free(t);
	}
	p->n++;
	base = strrchr(link, '/');
	if (!strncmp(base ? base + 1 : link, "bazel-", 6))
		p->bazel = 1;
	return 0;
}

/* Warns of the symlinks the build left in the workspace that point into
 * the slave's own directories, which end with it (Bazel's bazel-bin into
 * its output base in HOME): what they point to is no output, and on the
 * host they dangle, or point at the host's own files of that path.
 * Returns them for --json (an empty array if none, NULL if the log could
 * not be read). */
static json_t *warn_private_links(const struct run_state *s)
{
	struct private_links p = {.s = s, .list = json_array()};
	int ret = alog_for_each_symlink(s->log, ALOG_LABEL_WORKSPACE, note_private_link, &p);

	if (ret < 0) {
		json_decref(p.list);
		p.list = NULL;
	}
	if (p.n > 0) {
		char *kept = manifest_printable(s->tmpdir), *list = first_three(p.shown, (size_t)p.n);

		cli_warn("the build left %d symlink%s in the workspace pointing into the slave's "
			 "own HOME, /tmp, /var/tmp or /dev/shm, which end with it: %s; "
			 "what %s to is not among the build's outputs (what the build left in "
			 "HOME, /tmp and /var/tmp is kept under %s)%s",
			 p.n, p.n == 1 ? "" : "s", list ? list : "?",
			 p.n == 1 ? "it points" : "they point", kept ? kept : s->tmpdir,
			 p.bazel ? "; Bazel keeps its outputs in HOME unless given an output "
				   "root: bazel --output_user_root=DIR ..., with DIR in the "
				   "workspace, makes them outputs"
				 : "");
		free(kept);
		free(list);
	}
	for (int i = 0; i < 3; i++)
		free(p.shown[i]);
	return p.list;
}

/* opendir of rel beneath base, following no symlink; NULL with errno. */
static DIR *opendir_beneath(const char *base, const char *rel)
{
	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					  RESOLVE_NO_MAGICLINKS};
	int bfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;
	DIR *d;

	if (bfd < 0)
		return NULL;
	fd = openat2_retry(bfd, *rel ? rel : ".", &how);
	close(bfd);
	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

/* What the build wrote beside a workspace that lies in one of the
 * slave's own directories (/tmp, /var/tmp, HOME): ../artifact.txt of a
 * workspace /var/tmp/ci/proj went to the slave's private /var/tmp/ci,
 * neither on the host nor an output, and the build said nothing of it.
 * Lists, for each directory between the private one and the workspace
 * (not the private one itself: a build's temporary files and caches go
 * there), what its copy in the tmp mount holds beside the way to the
 * workspace.  Warns, and returns the paths for --json (an empty array if
 * none; NULL on ENOMEM). */
static json_t *warn_beside_workspace(const struct run_state *s)
{
	const char *priv[3] = {"/tmp", "/var/tmp", s->home[0] ? s->home : NULL};
	const char *w = s->workdir;
	json_t *list = json_array();
	char *shown[3] = {NULL};
	size_t n = 0;

	for (int i = 0; i < 3 && list; i++) {
		size_t pos;

		if (!priv[i] || !strcmp(priv[i], "/") || !path_is_under(w, priv[i]) ||
		    !strcmp(w, priv[i]))
			continue;
		/* Each ancestor w[0..end) strictly between, with the name
		 * that leads on to the workspace. */
		for (pos = strlen(priv[i]); list;) {
			const char *end = strchr(w + pos + 1, '/'), *next_end;
			char dir[sizeof(s->tmpdir) + PATH_MAX];
			size_t next_len;
			struct dirent *e;
			DIR *d;

			if (!end)
				break;
			next_end = strchr(end + 1, '/');
			next_len = next_end ? (size_t)(next_end - end - 1) : strlen(end + 1);
			/* Beneath the tmp backing, following no symlink: the
			 * build may have made one of a directory on the way (to
			 * a host directory, whose names root then listed). */
			snprintf(dir, sizeof(dir), "%.*s", (int)(end - w - 1), w + 1);
			d = opendir_beneath(s->tmpdir, dir);
			while (d && (e = readdir(d))) {
				struct stat st;
				char *path = NULL;

				if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
				    (strlen(e->d_name) == next_len && !strncmp(e->d_name, end + 1, next_len)))
					continue;
				if (asprintf(&path, "%.*s/%s", (int)(end - w), w, e->d_name) < 0)
					continue;
				/* (the TMPDIR provfs made, and the way to it: the
				 * build's own temporary files) */
				if (s->slave_tmp[0] && path_is_under(s->slave_tmp, path)) {
					free(path);
					continue;
				}
				/* (an overlay's whiteout: something removed) */
				if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISCHR(st.st_mode) && st.st_rdev == 0) {
					free(path);
					continue;
				}
				json_array_append_new(list, json_text(path, NULL));
				if (n < 3)
					shown[n] = manifest_printable(path);
				n++;
				free(path);
			}
			if (d)
				closedir(d);
			pos = (size_t)(end - w);
		}
	}
	if (n > 0) {
		char *kept = manifest_printable(s->tmpdir), *listed = first_three(shown, n);

		cli_warn("the build wrote %zu file%s beside the workspace, in the slave's own /tmp, "
			 "/var/tmp or HOME, which end with it: %s; %s neither on the host "
			 "nor among the build's outputs (kept under %s); to make such files outputs, "
			 "give a workspace that holds them (provfs run --workspace DIR, DIR above "
			 "this one)",
			 n, n == 1 ? "" : "s", listed ? listed : "?", n == 1 ? "it is" : "they are",
			 kept ? kept : s->tmpdir);
		free(kept);
		free(listed);
	}
	for (int i = 0; i < 3; i++)
		free(shown[i]);
	return list;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {0};
	struct run_state *s = calloc(1, sizeof(*s));
	const char *hide[4];
	char err[PATH_MAX + 256];
	struct sandbox_left left = {0};
	struct hints hints = {0};
	int ret, status = 0, attest_rc, died = 0, manifest_ok, outputs_missing, serving[3] = {0};
	json_t *private_links = NULL, *beside = NULL;

	if (!s)
		return cli_fail(CLI_USAGE, "out of memory");
	s->store_lock = -1;
	s->out_dir = s->out_held = -1;
	ret = parse(argc, argv, &o);
	if (ret != 0) {
		run_state_free(s);
		return ret == 1 ? CLI_OK : ret;
	}
	ret = prepare(s, &o);
	if (ret != 0) {
		/* What prepare made of the build's directory before it failed
		 * (its tmp, HOME): nothing of it was mounted or logged yet. */
		if (s->builddir[0])
			remove_tree_at(AT_FDCWD, s->builddir);
		run_state_free(s);
		return ret;
	}
	sweep_stale_runs();
	{
		/* Said here, before anything is mounted, in --json's error too:
		 * the workspace daemon's flock (see fsd_main.c) would refuse
		 * it only in its own words, on stderr. */
		int wfd = open(s->workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int busy = wfd >= 0 && flock(wfd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;

		if (wfd >= 0)
			close(wfd);
		if (busy) {
			ret = cli_fail(CLI_USAGE, "the workspace '%s' is already served by another "
				       "provfs run or writable provfs mount: one build at a time in a "
				       "workspace (each would keep a view of it that misses what the "
				       "other changes)", s->workspace);
			if (s->builddir[0])
				remove_tree_at(AT_FDCWD, s->builddir);
			run_state_free(s);
			return ret;
		}
	}
	progress(&o, "build %s: mounting the environment and workspace", s->id);
	cli_phase("run", "start");
	catch_terminate();
	if (mount_all(s, &o) < 0) {
		unmount_all(s);
		run_state_free(s);
		return cli_fail(CLI_USAGE, "cannot set up the slave's mounts (see above)");
	}
	for (int i = 0; i < 3; i++) {
		char *log = NULL;
		pid_t pid = 0;

		if (mountstate_read(s->mnt[i], &pid, &log) == 0)
			daemon_pids[i] = pid;
		free(log);
	}
	if (run_terminated) {
		unmount_all(s);
		run_state_free(s);
		cli_warn("terminated by signal %d before the build started; nothing was run",
			 (int)run_terminated);
		return 128 + run_terminated;
	}
	/* The build must not read the signing key: the store holds the
	 * default one; one given with --key is hidden where the slave's root
	 * is the host's (an environment's root does not hold it). */
	hide[0] = s->store;
	hide[1] = "/run";
	hide[2] = !strcmp(s->rootdir, "/") && !path_is_under(s->key, s->store) ? s->key : NULL;
	hide[3] = NULL;
	{
		struct sandbox_config cfg = {
			.root = s->mnt[0],
			.workspace = s->mnt[1],
			.workdir = s->workdir,
			.cwd = s->cwd,
			.tmp = s->mnt[2],
			.home = s->home[0] ? s->home : NULL,
			.home_overlay = s->home_overlay,
			.home_optional = o.home == HOME_DEFAULT,
			.hide = hide,
			.net = o.net,
			.root_is_host = !strcmp(s->rootdir, "/"),
			.set_ids = o.user != NULL,
			.uid = s->user.uid,
			.gid = s->user.gid,
			.groups = s->user.groups,
			.ngroups = s->user.ngroups,
			.argv = o.argv,
			.envp = s->envp ? s->envp : environ,
			.closed_std = cli_closed_std_fds,
		};

		int json_fd = -1;

		cli_phase("run", "mount");
		progress(&o, "running '%s'", o.argv[0]);
		/* With --json the summary is all of standard output: COMMAND
		 * writes its own to standard error. */
		if (o.json) {
			fflush(stdout);
			json_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
			if (json_fd >= 0 && dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
				close(json_fd);
				json_fd = -1;
			}
		}
		ret = sandbox_run(&cfg, &status, &left, err, sizeof(err));
		if (json_fd >= 0) {
			dup2(json_fd, STDOUT_FILENO);
			close(json_fd);
		}
		cli_phase("run", "build");
	}
	warn_left_running(&left);
	/* The default overlay could not be mounted: HOME was the host's. */
	if (left.home_read_only) {
		s->home[0] = '\0';
		s->home_overlay = 0;
	}
	run_tearing_down = 1;
	if (run_terminated) {
		status = 128 + run_terminated;
		cli_warn("terminated by signal %d: the build was stopped; unmounting and writing "
			 "its manifest (exit status %d)", (int)run_terminated, status);
	}
	/* Unmounting waits until the store and the log hold everything the
	 * build wrote: seconds for big outputs (32 GiB hashed: 20 s). */
	progress(&o, "%s", "unmounting: the build's files go into the store");
	for (int i = 0; i < 3; i++)
		serving[i] = procinfo_running(daemon_pids[i]);
	unmount_all(s);
	cli_phase("run", "unmount");
	/* A daemon that died left its mount's log short: the build's record
	 * is incomplete, whatever COMMAND's status. */
	for (int i = 0; i < 3; i++) {
		int64_t finished = 0, errors = 0;
		int log_error = 0;

		if (alog_mount_status(s->log, s->mnt[i], &finished, &errors, &log_error) != 0)
			continue;
		if (finished == 0 && !serving[i]) {
			died = 1;
			cli_warn("the daemon serving the slave's %s died during the build: its "
				 "access log, and so the manifest, may lack its last accesses",
				 mount_labels[i]);
		} else if (log_error == ALOG_ABORTED) {
			died = 1;
			cli_warn("the slave's %s was cut off during the build: its FUSE connection "
				 "was aborted (/sys/fs/fuse/connections/N/abort, by something outside "
				 "the build), so what the build did in it from then on failed "
				 "(ENOTCONN) and the access log, and so the manifest, ends there",
				 mount_labels[i]);
		} else if (log_error || finished == 0) {
			/* (one that served until the end but could not record
			 * that end: a full disk, not a death) */
			died = 1; /* the same for the record: incomplete */
			cli_warn("the daemon serving the slave's %s could not write some records "
				 "to the access log (a full disk?): it, and so the manifest, "
				 "lacks them", mount_labels[i]);
		}
	}
	if (ret < 0 && status >= 125 && status != 126 && status != 127) {
		cli_fail(CLI_USAGE, "cannot start the build slave: %s", err);
		run_state_free(s);
		return CLI_USAGE;
	}
	if (ret < 0)
		cli_fail(status, "%s", err);
	private_links = ret == 0 ? warn_private_links(s) : NULL;
	beside = ret == 0 ? warn_beside_workspace(s) : NULL;
	progress(&o, "writing the manifest %s", s->manifest);
	attest_rc = attest(s, &o, status, &left);
	cli_phase("run", "attest");
	/* attest exits 1 when it wrote the manifest but could not store
	 * every output it names (the daemons' own failed captures, which
	 * umount reported, are retried there). */
	manifest_ok = attest_rc == CLI_OK || attest_rc == CLI_FAILED;
	outputs_missing = attest_rc == CLI_FAILED;
	if (manifest_ok && s->out_dir >= 0) {
		const char *why;
		int err_out = publish_out(s, &why);

		if (err_out < 0) {
			cli_fail(CLI_USAGE, "cannot write the manifest to '%s': %s (it is in %s)",
				 o.out, why ? why : strerror(-err_out), s->manifest);
			manifest_ok = 0;
			attest_rc = CLI_OK; /* (not attest's failure: said here) */
		} else {
			snprintf(s->manifest, sizeof(s->manifest), "%s", o.out);
		}
	}
	if (!manifest_ok && attest_rc != CLI_OK)
		cli_warn("no manifest was written for build %s (attest exit %d)", s->id, attest_rc);
	if (outputs_missing)
		cli_warn("some outputs could not be captured into the store; see 'provfs log %s'",
			 s->log);
	/* Not when COMMAND never started (err said why), nor when provfs
	 * itself was told to stop the build. */
	if (status != 0 && ret == 0 && !run_terminated) {
		if (!o.net && left.no_route > 0)
			hint(&hints, "the build tried to reach the network (%ld "
					"packet%s found no route: the slave has only its own "
					"loopback); if it failed for that, run it with --net",
			     left.no_route, left.no_route == 1 ? "" : "s");
		if (!o.net && left.udp_no_port > 0) {
			char ns[48];
			int ns_default;

			loopback_nameserver(s->rootdir, ns, sizeof(ns), &ns_default);
			if (ns[0])
				hint(&hints, "name lookups may have failed: the slave's resolver "
						"asks %s (%s), on a loopback the slave does not share "
						"with the host, and %ld UDP datagram%s found no "
						"listener there; if the build failed for that, run it "
						"with --net",
				     ns, ns_default ? "/etc/resolv.conf names no nameserver"
						    : "the nameserver of /etc/resolv.conf",
				     left.udp_no_port, left.udp_no_port == 1 ? "" : "s");
		}
		if (!hint_missing_arguments(s, o.argv, &hints)) {
			hint_read_only(s, &o, &hints);
			hint_private_parent(s, &hints);
		}
	}
	if (o.json) {
		json_t *j = json_pack("{s:s, s:i, s:n, s:s, s:b, s:b}", "build", s->id,
				      "exit_status", status, "manifest",
				      "environment", s->env_digest[0] ? s->env_digest : "host",
				      "capture_errors", outputs_missing, "daemon_died", died);

		if (j)
			json_object_set_new(j, "left_running", left_programs(&left));
		if (j && !o.net)
			json_object_set_new(j, "unrouted", json_integer(left.no_route));
		if (j)
			json_object_set_new(j, "private_links",
					    private_links ? json_incref(private_links) : json_null());
		if (j)
			json_object_set_new(j, "beside_workspace", beside ? json_incref(beside) : json_null());
		if (j) {
			json_t *list = json_array();

			for (int i = 0; i < hints.n && list; i++)
				json_array_append_new(list, json_text(hints.text[i], NULL));
			json_object_set_new(j, "hints", list ? list : json_null());
		}
		cli_print_json(json_with_texts(j, "manifest", manifest_ok ? s->manifest : NULL,
					       "log", s->log, "workdir", s->workdir, NULL));
	} else {
		if (!o.quiet) {
			fprintf(stderr, "provfs: build %s exited with status %d\n", s->id, status);
			if (manifest_ok)
				fprintf(stderr, "provfs: manifest %s\n", s->manifest);
		}
		/* (also with -q: a CI job's log is where they are needed) */
		for (int i = 0; i < hints.n; i++)
			fprintf(stderr, "provfs: hint: %s\n", hints.text[i]);
	}
	for (int i = 0; i < hints.n; i++)
		free(hints.text[i]);
	free(hints.text);
	json_decref(private_links);
	json_decref(beside);
	run_state_free(s);
	/* A build that succeeded but whose record is incomplete (no
	 * manifest, a daemon died, outputs missing from the store) is no
	 * success. */
	if (status == 0 && (!manifest_ok || died || outputs_missing))
		return CLI_USAGE;
	return status;
}

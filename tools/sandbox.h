/*
 * sandbox: the built-in slave driver.  Runs a command in fresh Linux
 * namespaces (mount, pid, ipc, uts, and net unless networking is asked
 * for), with a given directory as its root, like bubblewrap does:
 *   /            the environment root (a read-only provfs mount)
 *   WORKDIR      the workspace (a read-write provfs mount), bind-mounted
 *   /tmp         a provfs mount too, so temporary files are logged
 *   /proc        a new procfs for the new pid namespace
 *   /dev         a small tmpfs with null, zero, full, random, urandom, tty
 *   /run         an empty tmpfs (hides the host's daemons and our mounts;
 *                with net, the host's resolv.conf where the root links there)
 *   /etc/resolv.conf  with net, the host's, where an environment has a file
 *   HOME         optionally, a new directory of the tmp mount, empty or as
 *                the upper layer of an overlay on the environment's own
 * The sandbox's init (pid 1) reaps every process and returns the command's
 * status; what the build left running gets SIGTERM, and when init exits
 * the kernel kills whatever is still there.
 */
#ifndef PROVFS_SANDBOX_H
#define PROVFS_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

/* The overlay's work directory in the tmp mount (--home overlay), which
 * the caller makes, empty; the build never sees it. */
#define SANDBOX_HOME_WORK "/.home-work"

struct sandbox_config {
	const char *root;      /* new root: a mount point */
	const char *workspace; /* host path of the workspace mount */
	const char *workdir;   /* where it appears inside, absolute */
	const char *cwd;       /* where argv starts, absolute; NULL: workdir */
	const char *tmp;       /* host path of the tmp mount, whose tmp/ becomes
				* /tmp and var/tmp/ /var/tmp; NULL: a tmpfs /tmp */
	const char *home;      /* absolute path whose copy in the tmp mount is
				* mounted over it (--home empty), or is the
				* upper layer of an overlay on it (--home
				* overlay); NULL: none */
	int home_overlay;      /* home: an overlay, the environment's directory
				* below, read-only, and its copy in the tmp mount
				* above, with SANDBOX_HOME_WORK there as the
				* overlay's work directory */
	int home_optional;     /* an overlay that cannot be mounted leaves HOME
				* as it is, read-only, with a warning (the
				* default), rather than stopping the slave */
	const char *const *hide; /* absolute paths to cover with an empty tmpfs */
	int net;               /* share the host's network */
	int root_is_host;      /* root is the host's own '/' (its resolv.conf is
				* the host's; with net, an environment's own
				* is covered by the host's) */
	int set_ids;           /* run argv as uid/gid/groups, not as root */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;   /* supplementary groups, ngroups of them */
	int ngroups;
	char *const *argv;
	char *const *envp;
	unsigned closed_std;   /* bit N: descriptor N (0-2) closed for argv, as
				* it was when provfs started */
};

/* Processes still running in the slave when COMMAND ended (background
 * jobs, daemons it started): those that have not ended by themselves
 * SANDBOX_SETTLE_MS later are left running; they get SIGTERM and
 * SANDBOX_GRACE_MS to end, then die with the namespace (SIGKILL). */
#define SANDBOX_SETTLE_MS 200
#define SANDBOX_GRACE_MS 2000
struct sandbox_left {
	int n;           /* how many */
	char names[512]; /* their programs (comm), one a line, cut short */
	long no_route;   /* without --net: packets the slave's network could not
			  * route (a connection or DNS query beyond loopback) */
	long udp_no_port; /* without --net: UDP datagrams to a loopback port
			   * nobody listened on */
	int home_read_only; /* the optional home overlay could not be mounted */
};

/* Runs cfg->argv and returns its exit status (0..255, or 128 + signal).
 * Returns -1 with a lowercase message in err if the sandbox could not be
 * set up or the command could not be started (exit status then 127 for a
 * missing command, in *status).  *left says what COMMAND left running. */
int sandbox_run(const struct sandbox_config *cfg, int *status, struct sandbox_left *left,
		char *err, size_t errlen);

/* In the caller's own mount namespace: the host's /etc/resolv.conf
 * bind-mounted, read-only, over root's, where that is a regular file (and
 * root's /etc a directory), as container engines do: a slave on the
 * host's network (--net) asks the host's nameservers, and so do env
 * build's setup commands; an environment's own file is empty after env
 * build, or the resolver of the machine it was imported from.  With make,
 * an empty file is made to mount on where root has none, and stays; and
 * where root's is a link into its /run (systemd-resolved's stub), a tmpfs
 * covers that /run and holds the host's file at the link.  Not fatal: a
 * build that looks no names up needs none. */
void sandbox_lend_resolv(const char *root, int make);

/* Stops the slave sandbox_run is running, if any: every process in it
 * gets sig (SIGTERM or SIGHUP), and SANDBOX_GRACE_MS later SIGKILL.
 * Async-signal-safe, for a SIGTERM handler. */
void sandbox_kill(int sig);

#endif

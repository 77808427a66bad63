/*
 * procinfo: what /proc says about a process: parent, owner, executable,
 * argv, working directory and start time.  Reading cmdline takes the
 * target's mmap lock, so callers on a FUSE request path must not use this
 * directly (the target may be blocked in a page fault on our mount): the
 * daemon reads it from a separate thread.
 */
#ifndef PROVFS_PROCINFO_H
#define PROVFS_PROCINFO_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

struct procinfo {
	pid_t pid, ppid;
	uid_t uid;
	gid_t gid;
	char *exe;       /* readlink of /proc/PID/exe; "" if unreadable */
	char *argv_json; /* JSON array of the arguments, "[]" if unreadable */
	char *cwd;       /* readlink of /proc/PID/cwd; "" if unreadable */
	int64_t start_ns; /* start time, ns since the epoch; 0 if unknown */
	char comm[64];   /* its name (an exec changes it); "" if unknown */
	/* Where pid is a thread other than its process's first (a FUSE
	 * request names the calling thread): the process's pid and start
	 * time (its parent is ppid: a process's threads share theirs); else
	 * tgid is 0. */
	pid_t tgid;
	int64_t tgid_start_ns;
	/* Which image of the process it is, of the execs it made: where its
	 * arguments lie (arg_start in /proc/PID/stat), on its stack, whose
	 * place is random at each exec (ASLR); kept by fork.  Records of one
	 * pid and start time read by different mounts, one's after a chdir
	 * (`make -C`) or after the program wrote over its arguments (`mkdir
	 * -p a/b` cuts its own "a/b"), are of one image where it is the
	 * same.  0 if unknown. */
	uint64_t image;
};

/* Returns 0, or -ESRCH if the process is gone (or a zombie), or -errno. */
int procinfo_read(pid_t pid, struct procinfo *out);
/* The same for a process of one thread only, else -EBUSY (nothing read).
 * Reading a process's arguments takes its memory map's lock: a thread
 * that holds it may be waiting on the caller (a page fault in a file of
 * the mount), or be queued behind one that is.  A process of one thread
 * that waits on the caller holds no such lock. */
int procinfo_read_alone(pid_t pid, struct procinfo *out);
void procinfo_free(struct procinfo *info);
/* Whether exe (from /proc/PID/exe) is the program at path as a mount
 * names it: the same absolute path, or, for a path relative to a mount
 * (the workspace's "build/st"), one that ends in "/" and it. */
int procinfo_exe_is(const char *exe, const char *path);
/* readlink of /proc/PID/exe alone ("" if unreadable), malloc'd; NULL on
 * ENOMEM. */
char *procinfo_exe(pid_t pid);

/* What /proc/PID/stat says first: "PID (COMM) STATE PPID ...". */
struct procinfo_stat {
	char comm[64];
	char state;       /* 'R', 'S', ...; 'Z' or 'X' for a process gone */
	pid_t ppid;       /* 0 if it did not parse */
	int64_t start_ns; /* start time, ns since the epoch; 0 if unknown */
	int threads;      /* threads of its process; 0 if unknown */
	unsigned flags;   /* the kernel's PF_* flags; 0 if unknown */
	uint64_t image;   /* arg_start (see struct procinfo); 0 if unknown */
	const char *rest; /* in the text parsed: after PPID */
};

/* The kernel's flag of a process that has begun to exit (PF_EXITING). */
#define PROCINFO_PF_EXITING 0x4u

/* Whether the process has exited (state Z or X), reaped or not, or is
 * exiting: its program and arguments are gone before the state changes
 * (its directory is not yet, and may be one it moved to). */
static inline int procinfo_gone(const struct procinfo_stat *st)
{
	return st->state == 'Z' || st->state == 'X' || (st->flags & PROCINFO_PF_EXITING);
}

/* Parses the text of /proc/PID/stat (COMM may hold spaces and parens);
 * 0, or -EINVAL if it does not parse. */
int procinfo_parse_stat(const char *text, struct procinfo_stat *st);
/* Reads and parses /proc/PID/stat (no lock the process may hold: safe on
 * a FUSE request path); 0, or -errno (-ESRCH for no such process). */
int procinfo_stat(pid_t pid, struct procinfo_stat *st);
/* Whether pid runs: it exists, and is no zombie nor exiting (a process
 * killed with SIGKILL answers kill(pid, 0) until it is reaped). */
int procinfo_running(pid_t pid);
/* The parent of pid from /proc/PID/stat alone; 0 if unknown.  With
 * start_ns, also its start time there (0 if unknown). */
pid_t procinfo_ppid(pid_t pid, int64_t *start_ns);

/* Encodes argv-style NUL-separated bytes as a JSON array string: an
 * argument that is UTF-8 as a string, any other as {"percent": its
 * percent_encode} (json_argv_texts in provenance/ makes them strings).
 * With cut (the command line went on past buf), the argument buf ends
 * inside is left out and the array ends with a null: procinfo_argv_cut
 * tells such an array apart.  malloc'd; NULL on ENOMEM. */
char *procinfo_argv_json(const char *buf, size_t len, int cut);
/* Whether argv (a parsed procinfo_argv_json array; anything else, NULL
 * too, is not) was cut short; if so, removes its closing null, leaving the
 * whole arguments. */
int procinfo_argv_cut(json_t *argv);

#endif

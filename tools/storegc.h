/*
 * storegc: garbage collection of a store (provfs store gc).
 *
 * A store only grows: every build adds its outputs, the inputs it read and
 * its access log.  Collection first removes the records a policy names
 * (build directories under builds/, standalone mounts' logs under logs/),
 * then deletes every object that nothing left in the store names.  What
 * names objects (the roots):
 *   builds/ID      the build's access log (every digest in it, and the
 *                  digest of the log file itself, which its manifest
 *                  names), and every 64-hex digest in its .json files
 *                  (the manifest's payload is decoded first);
 *   logs/NAME.db   the same, for `provfs mount` without `provfs run`;
 *   envs/HEX.json  the environment tree HEX;
 *   refs/NAME      any 64-hex digest in the file (`store put`, `store
 *                  snapshot` write one), or "log PATH": an access log
 *                  kept outside the store by `provfs mount --log`, marked
 *                  like logs/ while PATH exists (forgotten once it is gone).
 * Every marked object that is a tree object marks the files it lists.
 *
 * Safety: collection holds the store's lock exclusively (cas_lock), so no
 * build, mount, import or put runs meanwhile; an unreadable root (a log
 * sqlite cannot read) stops it before anything is deleted, since deleting
 * what it names would lose data.  Files under objects/ that are not
 * digest names are left alone (store fsck reports them).
 */
#ifndef PROVFS_STOREGC_H
#define PROVFS_STOREGC_H

#include <stddef.h>
#include <stdint.h>

struct storegc_options {
	const char *store;
	long keep_records;    /* keep the newest N builds and logs; -1: no limit */
	int64_t older_than_s; /* remove records older than this; -1: no limit */
	int dry_run;	      /* report, delete nothing */
	int wait;	      /* wait for the store's lock instead of failing */
	/* Called for each record removed (or that would be, dry run). */
	void (*removed_record)(void *arg, const char *kind, const char *path);
	/* Called with a short description of each phase as it starts. */
	void (*phase)(void *arg, const char *what);
	void *arg;
};

struct storegc_report {
	size_t builds_removed, logs_removed, records_kept;
	size_t external_logs_forgotten;
	size_t objects_kept, objects_removed, tmp_removed;
	uint64_t bytes_removed; /* disk space of the objects removed */
	char bad_root[4096];	/* the root that stopped collection, if any */
};

/* Collects garbage in opt->store.  0; -EWOULDBLOCK if the store is in use
 * and opt->wait is 0; -EBADMSG if a root cannot be read (its path in
 * report->bad_root; nothing deleted); or -errno. */
int storegc_run(const struct storegc_options *opt, struct storegc_report *report);

/* Parses an age such as "30d", "12h", "90m", "45s" or "2w" into seconds.
 * 0 or -EINVAL. */
int storegc_parse_age(const char *text, int64_t *seconds);

#endif

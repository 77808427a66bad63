/* provfs attest: turn an access log plus environment facts into a signed
 * manifest. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "accesslog.h"
#include "cas.h"
#include "cli.h"
#include "digest.h"
#include "dsse.h"
#include "envfacts.h"
#include "json.h"
#include "manifest.h"
#include "sign.h"
#include "statement.h"
#include "util.h"

extern char **environ;

#define ENV_FILE_MAX ((size_t)16 << 20)

static void attest_usage(FILE *out)
{
	fprintf(out,
		"usage: provfs attest --log FILE [--key KEY]... [--out MANIFEST] [--store DIR]\n"
		"                     [--command ARG]... [--cwd DIR] [--env NAME=VALUE]...\n"
		"                     [--env-file FILE] [--no-env] [--env-root DIR]\n"
		"                     [--env-digest SHA256] [--exit-status N] [--builder-id URI]\n"
		"                     [--invocation-id ID] [--subjects-from LABEL]...\n"
		"                     [--no-probes-under LABEL:DIR]... [--no-capture] [--json]\n"
		"                     [-- COMMAND...]\n"
		"\n"
		"Builds an in-toto Statement (SLSA Provenance v1) from a mount's access log\n"
		"and the environment's facts, signs it in a DSSE envelope and writes it.\n"
		"\n"
		"  -l, --log FILE         the access log (sqlite) written by 'provfs mount'\n"
		"  -k, --key KEY          private key (default: STORE/keys/provfs.key);\n"
		"                         repeat to sign with several keys\n"
		"  -o, --out MANIFEST     where to write the manifest (default: stdout)\n"
		"      --store DIR        store for the access log and captured files\n"
		"                         (default: $PROVFS_STORE or " CLI_DEFAULT_STORE ")\n"
		"      --command ARG      one argv word of the command (repeat; words after\n"
		"                         '--' are appended); default: first logged process\n"
		"      --cwd DIR          working directory (default: first logged process)\n"
		"      --env NAME=VALUE   an environment variable to record (repeat)\n"
		"      --env-file FILE    variables to record, NUL- or newline-separated\n"
		"      --no-env           record no environment variables\n"
		"                         (default: attest's own environment; values of names\n"
		"                         containing TOKEN, SECRET, PASSWORD, KEY, CREDENTIAL\n"
		"                         are masked)\n"
		"      --env-root DIR     environment root to describe (default: the log's\n"
		"                         read-only mount backing, else /)\n"
		"      --env-digest HEX   tree digest of the environment\n"
		"      --exit-status N    the command's exit status\n"
		"      --builder-id URI   runDetails.builder.id (default " STATEMENT_DEFAULT_BUILDER ")\n"
		"      --driver NAME      the slave driver that ran the build (recorded in\n"
		"                         internalParameters.driver), e.g. namespaces\n"
		"      --slave KEY=VALUE  a fact of the slave's setup, recorded in\n"
		"                         internalParameters.slave (repeat), e.g. network=loopback\n"
		"      --invocation-id ID metadata.invocationId (default: the log's digest)\n"
		"      --subjects-from LABEL  only files written in the mount labelled LABEL\n"
		"                         are subjects (repeat; default: every mount's);\n"
		"                         the others stay in the access log\n"
		"      --no-probes-under LABEL:DIR  names looked up in vain in the mount\n"
		"                         labelled LABEL at DIR or under it are no missing\n"
		"                         paths (repeat); they stay in the access log\n"
		"      --no-capture       do not copy inputs/outputs into the store\n"
		"      --json             print a summary object on stdout\n"
		"  -h, --help             show this help\n"
		"\n"
		"Exit status: 0 written, 1 written but some outputs could not be copied\n"
		"into the store, 2 usage or environment error.\n");
}

struct attest_opts {
	const char *log, *out, *store, *cwd, *env_file, *env_root, *env_digest;
	const char *builder_id, *invocation_id;
	const char *driver;
	const char **keys;
	size_t n_keys;
	const char **command;
	size_t n_command;
	const char **env;
	size_t n_env;
	const char **slave;
	size_t n_slave;
	const char **subjects_from, **no_probes_under;
	size_t n_subjects_from, n_no_probes_under;
	int no_env, no_capture, json, has_exit_status, exit_status;
};

/* Whether s is a URI as SLSA's builder.id (a TypeURI) needs: a scheme
 * (a letter, then letters, digits, '+', '-', '.'), ':', and at least one
 * more character, all printable ASCII but space. */
static int is_uri(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (*p != ':' || !p[1])
		return 0;
	for (; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return 0;
	return 1;
}

/* Whether s is UTF-8 text without control characters (what a JSON
 * string can hold as it is, and a terminal can show). */
static int is_plain_text(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	if (!j)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < ' ' || *p == 0x7f)
			return 0;
	return 1;
}

static int push(const char ***arr, size_t *n, const char *s)
{
	const char **grown = realloc(*arr, (*n + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	grown[(*n)++] = s;
	*arr = grown;
	return 0;
}

/* push() of a NAME=VALUE argument of option opt; 0, or -1 after saying
 * what is wrong. */
static int push_pair(const char ***arr, size_t *n, const char *opt, const char *arg)
{
	if (!strchr(arg, '=') || arg[0] == '=') {
		cli_usage_error("attest", "%s wants NAME=VALUE, not '%s'", opt, arg);
		return -1;
	}
	if (push(arr, n, arg)) {
		cli_fail(CLI_USAGE, "out of memory");
		return -1;
	}
	return 0;
}

/* Returns -1 to continue, or an exit code. */
static int parse_opts(int argc, char **argv, struct attest_opts *o)
{
	enum { O_STORE = 256, O_COMMAND, O_CWD, O_ENV, O_ENV_FILE, O_NO_ENV, O_ENV_ROOT,
	       O_ENV_DIGEST, O_EXIT, O_BUILDER, O_INVOCATION, O_NO_CAPTURE, O_JSON, O_DRIVER, O_SLAVE,
	       O_SUBJECTS_FROM, O_NO_PROBES_UNDER };
	static const struct option opts[] = {
		{ "log", required_argument, NULL, 'l' },
		{ "key", required_argument, NULL, 'k' },
		{ "out", required_argument, NULL, 'o' },
		{ "store", required_argument, NULL, O_STORE },
		{ "command", required_argument, NULL, O_COMMAND },
		{ "cwd", required_argument, NULL, O_CWD },
		{ "env", required_argument, NULL, O_ENV },
		{ "env-file", required_argument, NULL, O_ENV_FILE },
		{ "no-env", no_argument, NULL, O_NO_ENV },
		{ "env-root", required_argument, NULL, O_ENV_ROOT },
		{ "env-digest", required_argument, NULL, O_ENV_DIGEST },
		{ "exit-status", required_argument, NULL, O_EXIT },
		{ "builder-id", required_argument, NULL, O_BUILDER },
		{ "driver", required_argument, NULL, O_DRIVER },
		{ "slave", required_argument, NULL, O_SLAVE },
		{ "invocation-id", required_argument, NULL, O_INVOCATION },
		{ "subjects-from", required_argument, NULL, O_SUBJECTS_FROM },
		{ "no-probes-under", required_argument, NULL, O_NO_PROBES_UNDER },
		{ "no-capture", no_argument, NULL, O_NO_CAPTURE },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *end;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "l:k:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': o->log = optarg; break;
		case 'k':
			if (push(&o->keys, &o->n_keys, optarg))
				return cli_fail(CLI_USAGE, "out of memory");
			break;
		case 'o': o->out = optarg; break;
		case O_STORE: o->store = optarg; break;
		case O_COMMAND:
			if (push(&o->command, &o->n_command, optarg))
				return cli_fail(CLI_USAGE, "out of memory");
			break;
		case O_CWD: o->cwd = optarg; break;
		case O_ENV:
			if (push_pair(&o->env, &o->n_env, "--env", optarg))
				return CLI_USAGE;
			break;
		case O_ENV_FILE: o->env_file = optarg; break;
		case O_NO_ENV: o->no_env = 1; break;
		case O_ENV_ROOT: o->env_root = optarg; break;
		case O_ENV_DIGEST:
			if (!hex_is_digest(optarg))
				return cli_usage_error("attest", "--env-digest wants 64 lowercase hex digits");
			o->env_digest = optarg;
			break;
		case O_EXIT:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < INT_MIN || v > INT_MAX)
				return cli_usage_error("attest", "--exit-status wants an integer, not '%s'", optarg);
			o->has_exit_status = 1;
			o->exit_status = (int)v;
			break;
		case O_BUILDER:
			if (!is_uri(optarg))
				return cli_usage_error("attest", "--builder-id wants a URI (SLSA's builder.id: "
						       "a scheme, ':', no spaces), such as "
						       "https://ci.example/builder");
			o->builder_id = optarg;
			break;
		case O_DRIVER:
			if (!is_plain_text(optarg))
				return cli_usage_error("attest", "--driver wants UTF-8 text without control "
						       "characters");
			o->driver = optarg;
			break;
		case O_SLAVE:
			if (push_pair(&o->slave, &o->n_slave, "--slave", optarg))
				return CLI_USAGE;
			break;
		case O_INVOCATION:
			if (!*optarg || !is_plain_text(optarg))
				return cli_usage_error("attest", "--invocation-id wants UTF-8 text without "
						       "control characters");
			o->invocation_id = optarg;
			break;
		case O_SUBJECTS_FROM:
			if (push(&o->subjects_from, &o->n_subjects_from, optarg))
				return cli_fail(CLI_USAGE, "out of memory");
			break;
		case O_NO_PROBES_UNDER:
			if (!strchr(optarg, ':') || strchr(optarg, ':')[1] != '/')
				return cli_usage_error("attest", "--no-probes-under wants LABEL:DIR, "
							  "DIR absolute: '%s'", optarg);
			if (push(&o->no_probes_under, &o->n_no_probes_under, optarg))
				return cli_fail(CLI_USAGE, "out of memory");
			break;
		case O_NO_CAPTURE: o->no_capture = 1; break;
		case O_JSON: o->json = 1; cli_json_mode(); break;
		case 'h':
			attest_usage(stdout);
			return CLI_OK;
		default:
			return cli_bad_option("attest");
		}
	}
	for (int i = optind; i < argc; i++) {
		if (push(&o->command, &o->n_command, argv[i]))
			return cli_fail(CLI_USAGE, "out of memory");
	}
	if (!o->log)
		return cli_usage_error("attest", "--log FILE is required");
	return -1;
}

/* An errno for what sqlite said (its extended codes' low byte is the
 * primary code). */
static int sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_READONLY:
		return EROFS;
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
		return EACCES;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EBUSY;
	case SQLITE_NOMEM:
		return ENOMEM;
	default:
		return EIO;
	}
}

/* Folds a WAL left by a killed daemon into the main file so the stored copy
 * of the log is complete: the summary is read through the WAL, and what
 * the manifest says must be in the log it names.  0, or while records are
 * still in the WAL only, why: -ENOSPC (a full disk), -EROFS or -EACCES (a
 * log that cannot be written), -EBUSY (a daemon still writes to it, or no
 * reason known), -EIO. */
static int checkpoint_log(const char *path)
{
	char wal[PATH_MAX + 8];
	sqlite3 *db = NULL;
	struct stat st;
	int rc;

	/* A read first: until one, the connection does not know the file is
	 * in WAL mode, and the checkpoint did nothing (sqlite then folded the
	 * WAL in at its close only when it happened to be the last). */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (rc != SQLITE_OK && db)
		rc = sqlite3_extended_errcode(db);
	sqlite3_close(db);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &st) < 0 || st.st_size == 0)
		return 0;
	return rc == SQLITE_OK ? -EBUSY : -sqlite_errno(rc);
}

/* The environment root: the backing of the log's read-only mount. */
static const char *default_env_root(const struct alog_summary *s)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		if (s->mounts[i].readonly && s->mounts[i].backing && s->mounts[i].backing[0])
			return s->mounts[i].backing;
	}
	return "/";
}

static const struct alog_mount_row *mount_of(const struct alog_summary *s, const char *label)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		if (label && s->mounts[i].label && !strcmp(label, s->mounts[i].label))
			return &s->mounts[i];
	}
	return NULL;
}

/* Whether fd is a file of a kernel pseudo filesystem (sysfs, procfs,
 * cgroup, debugfs, ...: the host's /sys, read through a provfs run's
 * root): its content is the kernel's state of the moment, which changes
 * by itself (/sys/devices/system/node/node0/meminfo, read by perf). */
static int on_pseudo_fs(int fd)
{
	static const unsigned long magic[] = {
		0x62656572, /* sysfs */     0x9fa0,     /* proc */
		0x27e0eb,   /* cgroup */    0x63677270, /* cgroup2 */
		0x64626720, /* debugfs */   0x74726163, /* tracefs */
		0x73636673, /* securityfs */ 0xcafe4a11, /* bpf */
		0x62656570, /* configfs */  0xde5e81e4, /* efivarfs */
		0x6165676c, /* pstore */    0x65735543, /* fusectl */
	};
	struct statfs st;

	if (fstatfs(fd, &st) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if ((unsigned long)st.f_type == magic[i])
			return 1;
	return 0;
}

/* Copies one logged file from its mount's backing directory into the store
 * if absent.  Returns 1 stored, 0 already there (or nothing to keep: a
 * kernel pseudo file that changed since it was read), -ESTALE if the file
 * no longer has the logged digest, or -errno. */
static int capture_file(struct cas *cas, const struct alog_summary *s, const struct alog_file *f)
{
	const struct alog_mount_row *m = mount_of(s, f->mount);
	struct open_how how = {.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					  RESOLVE_NO_MAGICLINKS};
	uint8_t logged[DIGEST_LEN], now[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];
	const char *rel;
	struct stat st;
	int fd, bfd, ret = 0;

	if (!f->digest[0] || cas_has_size(cas, f->digest, f->size))
		return 0;
	if (!m || !m->backing || !m->backing[0])
		return -ENOENT;
	/* What the build left at that name, beneath the mount's backing
	 * directory without following a symlink (one the build made on the
	 * way, to a host directory, had root hash a host file), opened
	 * without waiting (a FIFO it left there blocked attest for ever),
	 * and only a regular file of the logged size (not a device: /dev/zero
	 * spun, a disk would be read): anything else changed since. */
	bfd = open(m->backing, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0)
		return -errno;
	for (rel = f->path; *rel == '/'; rel++)
		;
	fd = *rel ? openat2_retry(bfd, rel, &how) : -1;
	if (fd < 0)
		ret = *rel && errno != ELOOP && errno != EXDEV ? -errno : -ESTALE;
	close(bfd);
	if (fd < 0)
		return ret;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (f->size >= 0 && st.st_size != f->size && !on_pseudo_fs(fd))) {
		close(fd);
		return -ESTALE;
	}
	hex_decode(f->digest, logged, DIGEST_LEN);
	ret = digest_fd(fd, now, NULL);
	if (!ret && memcmp(now, logged, DIGEST_LEN)) {
		/* A pseudo file's digest names what the build read. */
		ret = on_pseudo_fs(fd) ? 0 : -ESTALE;
		close(fd);
		return ret;
	}
	if (!ret)
		ret = cas_put_fd(cas, fd, now, hex);
	close(fd);
	return ret ? ret : 1;
}

/* Outputs first: an input overwritten since (--capture final) whose
 * content a build copied into an output is then in the store already. */
static void capture_files(struct cas *cas, const struct alog_summary *s, size_t *stored,
			  size_t *missing, size_t *missing_outputs)
{
	for (int is_output = 1; is_output >= 0; is_output--) {
		const struct alog_file *files = is_output ? s->outputs : s->inputs;
		size_t n = is_output ? s->n_outputs : s->n_inputs;

		for (size_t i = 0; i < n; i++) {
			int ret = capture_file(cas, s, &files[i]);

			if (ret == 1) {
				(*stored)++;
			} else if (ret < 0) {
				(*missing)++;
				*missing_outputs += is_output;
				if (*missing <= 5)
					cli_warn("%s '%s' not stored: %s",
						 is_output ? "output" : "input",
						 statement_file_name(s, &files[i]),
						 ret != -ESTALE ? strerror(-ret)
						 : is_output ? "its content changed since the build"
						 : "its content changed since the build read it (the "
						   "build, or something else, wrote it later); its digest "
						   "is in the manifest");
			}
		}
	}
	if (*missing > 5)
		cli_warn("%zu more files not stored", *missing - 5);
}

/* With --subjects-from, drops the outputs of other mounts (a run's /tmp):
 * they stay in the access log, which the manifest names.  -1 to go on,
 * or an exit code. */
static int keep_subjects_from(struct alog_summary *s, const char **labels, size_t n_labels)
{
	size_t kept = 0;

	for (size_t l = 0; l < n_labels; l++) {
		if (!mount_of(s, labels[l]))
			return cli_usage_error("attest", "--subjects-from: the log has no mount "
						  "labelled '%s'", labels[l]);
	}
	if (!n_labels)
		return -1;
	for (size_t i = 0; i < s->n_outputs; i++) {
		struct alog_file *f = &s->outputs[i];
		size_t l = 0;

		while (l < n_labels && !(f->mount && !strcmp(f->mount, labels[l])))
			l++;
		if (l < n_labels) {
			s->outputs[kept++] = *f;
		} else {
			free(f->path);
			free(f->mount);
		}
	}
	s->n_outputs = kept;
	return -1;
}

/* With --no-probes-under, drops the probes at or under those places (a
 * run's home overlay: its upper layer, in the tmp mount, is looked in
 * before each name of HOME, found or not).  They stay in the access log. */
static void drop_probes_under(struct alog_summary *s, const char **places, size_t n_places)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->n_probes; i++) {
		struct alog_file *f = &s->probes[i];
		size_t l = 0;

		for (; l < n_places; l++) {
			const char *dir = strchr(places[l], ':') + 1;

			if (f->mount && f->path && strlen(f->mount) == (size_t)(dir - 1 - places[l]) &&
			    !strncmp(f->mount, places[l], strlen(f->mount)) &&
			    path_is_under(f->path, dir))
				break;
		}
		if (l == n_places) {
			s->probes[kept++] = *f;
		} else {
			free(f->path);
			free(f->mount);
		}
	}
	s->n_probes = kept;
}

/* Splits an env file (NUL- or newline-separated NAME=VALUE) in place. */
static int load_env_file(const char *path, char **text, const char ***env, size_t *n)
{
	size_t len;
	char sep;
	int ret = file_read_all(path, ENV_FILE_MAX, text, &len);

	if (ret)
		return ret;
	sep = memchr(*text, '\0', len) ? '\0' : '\n';
	for (char *p = *text; p < *text + len;) {
		char *end = memchr(p, sep, (size_t)(*text + len - p));

		if (!end)
			end = *text + len;
		*end = '\0';
		if (strchr(p, '=') && p[0] != '=' && push(env, n, p))
			return -ENOMEM;
		p = end + 1;
	}
	return 0;
}

static int env_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int write_output(const char *out, const char *text, size_t len)
{
	char *tmp, real[PATH_MAX];
	struct stat st, lst;
	int fd, ret;

	if (!out || !strcmp(out, "-"))
		return fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -EIO;
	/* What is there and no regular file (/dev/null, /dev/stdout, a FIFO)
	 * is written in place: a rename would put a file where the device
	 * was (--out /dev/null replaced the host's null device). */
	if (stat(out, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		fd = open(out, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		ret = write_full(fd, text, len);
		if (close(fd) < 0 && !ret)
			ret = -errno;
		return ret;
	}
	/* A symlink to a file stays a symlink: its target is replaced. */
	if (lstat(out, &lst) == 0 && S_ISLNK(lst.st_mode) && realpath(out, real))
		out = real;
	if (asprintf(&tmp, "%s.tmp.%d", out, (int)getpid()) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	ret = write_full(fd, text, len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, out) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}

struct attest_state {
	struct attest_opts o;
	struct sign_key **keys;
	size_t n_keys;
	struct alog_summary sum;
	int have_sum;
	struct envfacts facts;
	int have_facts;
	struct cas *cas;
	char **owners;
	const char **owner_paths;
	char *env_text;
	char *default_key;
	char *manifest;
	json_t *stmt;
};

static void attest_state_free(struct attest_state *st)
{
	if (st->owners) {
		for (size_t i = 0; i < st->sum.n_inputs; i++)
			free(st->owners[i]);
	}
	free(st->owners);
	free(st->owner_paths);
	if (st->have_sum)
		alog_summary_free(&st->sum);
	if (st->have_facts)
		envfacts_free(&st->facts);
	cas_close(st->cas);
	for (size_t i = 0; i < st->n_keys; i++)
		sign_key_free(st->keys[i]);
	free(st->keys);
	free(st->o.keys);
	free(st->env_text);
	free(st->default_key);
	free(st->manifest);
	free(st->o.command);
	free(st->o.env);
	free(st->o.slave);
	free(st->o.subjects_from);
	free(st->o.no_probes_under);
	json_decref(st->stmt);
}

static int load_key(struct attest_state *st, const char *path, int is_default)
{
	struct sign_key *key;
	int ret = sign_key_load_private(path, &key);

	if (ret)
		return cli_fail(CLI_USAGE, "cannot use private key '%s': %s%s", path,
				sign_private_key_error(ret),
				is_default && ret == -ENOENT ? " (give --key or run 'provfs keygen')" : "");
	for (size_t i = 0; i < st->n_keys; i++) {
		if (!strcmp(sign_key_id(st->keys[i]), sign_key_id(key))) {
			sign_key_free(key); /* the same key given twice signs once */
			return -1;
		}
	}
	st->keys[st->n_keys++] = key;
	return -1;
}

static int load_keys(struct attest_state *st)
{
	int ret;

	st->keys = calloc(st->o.n_keys + 1, sizeof(*st->keys));
	if (!st->keys)
		return cli_fail(CLI_USAGE, "out of memory");
	if (st->o.n_keys == 0) {
		st->default_key = path_join(cli_store_dir(st->o.store), "keys/provfs.key");
		if (!st->default_key)
			return cli_fail(CLI_USAGE, "out of memory");
		return load_key(st, st->default_key, 1);
	}
	for (size_t i = 0; i < st->o.n_keys; i++) {
		ret = load_key(st, st->o.keys[i], 0);
		if (ret >= 0)
			return ret;
	}
	return -1;
}

/* Where the owner answers for env_root are remembered across builds:
 * STORE/cache/dpkg-owners/<sha256 of the root's real path>; NULL if none
 * (then every lookup reads dpkg's lists).  Valid until the next call. */
static const char *owner_cache_path(struct attest_state *st, const char *env_root)
{
	static char path[PATH_MAX];
	char *real = realpath(env_root, NULL);
	char hex[DIGEST_HEX_LEN + 1];
	uint8_t bin[DIGEST_LEN];
	int n;

	if (!real)
		return NULL;
	n = digest_buffer(real, strlen(real), bin);
	free(real);
	if (n < 0)
		return NULL;
	hex_encode(bin, DIGEST_LEN, hex);
	n = snprintf(path, sizeof(path), "%s/cache/dpkg-owners/%s", cli_store_dir(st->o.store), hex);
	return n > 0 && (size_t)n < sizeof(path) ? path : NULL;
}

/* Maps inputs from read-only (environment) mounts to their dpkg package. */
static int map_owners(struct attest_state *st, const char *env_root)
{
	const struct alog_summary *s = &st->sum;
	size_t n = 0;

	st->owners = calloc(s->n_inputs + 1, sizeof(*st->owners));
	st->owner_paths = calloc(s->n_inputs + 1, sizeof(*st->owner_paths));
	if (!st->owners || !st->owner_paths)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_inputs; i++) {
		const struct alog_mount_row *m = mount_of(s, s->inputs[i].mount);

		/* Paths in the workspace are not system paths: keep "" (no match). */
		st->owner_paths[i] = m && m->readonly ? s->inputs[i].path : "";
		n += m && m->readonly;
	}
	if (n == 0)
		return 0;
	return envfacts_file_owners_cached(env_root, owner_cache_path(st, env_root),
					   st->owner_paths, s->n_inputs, st->owners);
}

static int collect_environment(struct attest_state *st)
{
	struct attest_opts *o = &st->o;
	int ret;

	if (o->no_env) {
		o->n_env = 0;
		return -1;
	}
	if (o->env_file) {
		ret = load_env_file(o->env_file, &st->env_text, &o->env, &o->n_env);
		if (ret)
			return cli_fail(CLI_USAGE, "cannot read environment file '%s': %s", o->env_file,
					strerror(-ret));
	}
	if (!o->env_file && o->n_env == 0) {
		for (char **e = environ; *e; e++) {
			if (push(&o->env, &o->n_env, *e))
				return cli_fail(CLI_USAGE, "out of memory");
		}
	}
	if (o->n_env > 1)
		sort_items(o->env, o->n_env, sizeof(*o->env), env_name_cmp);
	return -1;
}

static int print_summary(const struct attest_state *st, const char *log_hex, size_t n_subjects,
			 size_t stored, size_t missing)
{
	const char *out = st->o.out && strcmp(st->o.out, "-") ? st->o.out : NULL;

	if (st->o.json && out) {
		json_t *j = json_pack("{ss ss sI sI sI sI}", "keyid",
				      sign_key_id(st->keys[0]), "accessLog", log_hex,
				      "subjects", (json_int_t)n_subjects,
				      "inputs", (json_int_t)st->sum.n_inputs,
				      "stored", (json_int_t)stored, "notStored", (json_int_t)missing);

		if (!j || json_set_text(j, "manifest", out) || cli_print_json_line(j) < 0) {
			json_decref(j);
			return cli_fail(CLI_USAGE, "wrote %s, but cannot print it as JSON: %s", out,
					strerror(ENOMEM));
		}
		json_decref(j);
	} else if (out) {
		printf("wrote %s: %zu output%s, %zu input%s, signed by %s\n", out, n_subjects,
		       n_subjects == 1 ? "" : "s", st->sum.n_inputs,
		       st->sum.n_inputs == 1 ? "" : "s", sign_key_id(st->keys[0]));
	}
	return CLI_OK;
}

static int attest_run(struct attest_state *st)
{
	struct attest_opts *o = &st->o;
	struct statement_params p = { 0 };
	char log_hex[DIGEST_HEX_LEN + 1];
	size_t skipped = 0, stored = 0, missing = 0, missing_outputs = 0, len;
	const char *env_root;
	int fd, ret;

	cli_phase("attest", "start");
	ret = load_keys(st);
	if (ret >= 0)
		return ret;
	ret = checkpoint_log(o->log);
	if (ret < 0)
		return cli_fail(CLI_USAGE, "the access log '%s' has records in its write-ahead file "
				"'%s-wal' that cannot be folded into it (%s): the log the manifest "
				"names would lack them", o->log, o->log,
				ret == -ENOSPC ? "the disk is full"
				: ret == -EROFS || ret == -EACCES ? "it cannot be written"
				: ret == -EBUSY ? "a daemon still writes to it"
				: strerror(-ret));
	cli_phase("attest", "key");
	ret = alog_summary_load(o->log, &st->sum);
	if (ret == -EBADMSG || ret == -EIO)
		return cli_fail(CLI_USAGE, "'%s' %s", o->log, alog_load_error(ret));
	if (ret)
		return cli_fail(CLI_USAGE, "cannot read access log '%s': %s", o->log, strerror(-ret));
	st->have_sum = 1;
	ret = keep_subjects_from(&st->sum, o->subjects_from, o->n_subjects_from);
	if (ret >= 0)
		return ret;
	drop_probes_under(&st->sum, o->no_probes_under, o->n_no_probes_under);
	cli_phase("attest", "log-load");
	ret = cas_open(cli_store_dir(o->store), 1, &st->cas);
	if (ret)
		return cli_fail(CLI_USAGE, "cannot open store '%s': %s", cli_store_dir(o->store),
				strerror(-ret));
	fd = open(o->log, O_RDONLY | O_CLOEXEC);
	ret = fd < 0 ? -errno : cas_put_fd(st->cas, fd, NULL, log_hex);
	if (fd >= 0)
		close(fd);
	if (ret)
		return cli_fail(CLI_USAGE, "cannot store access log '%s': %s", o->log, strerror(-ret));
	cli_phase("attest", "log-store");
	env_root = o->env_root ? o->env_root : default_env_root(&st->sum);
	ret = envfacts_collect(env_root, &st->facts);
	if (ret)
		return cli_fail(CLI_USAGE, "cannot read environment facts under '%s': %s", env_root,
				strerror(-ret));
	st->have_facts = 1;
	ret = map_owners(st, env_root);
	if (ret)
		return cli_fail(CLI_USAGE, "cannot map inputs to packages: %s", strerror(-ret));
	ret = collect_environment(st);
	if (ret >= 0)
		return ret;
	cli_phase("attest", "env-facts");
	if (!o->no_capture)
		capture_files(st->cas, &st->sum, &stored, &missing, &missing_outputs);
	cli_phase("attest", "capture");

	p.summary = &st->sum;
	p.command = o->n_command ? o->command : NULL;
	p.n_command = o->n_command;
	p.cwd = o->cwd;
	p.environment = o->env;
	p.n_environment = o->n_env;
	p.env_root = env_root;
	p.env_digest = o->env_digest;
	p.facts = &st->facts;
	p.input_owners = st->owners;
	p.builder_id = o->builder_id;
	p.driver = o->driver;
	p.slave = o->slave;
	p.n_slave = o->n_slave;
	p.invocation_id = o->invocation_id;
	p.log_digest = log_hex;
	p.has_exit_status = o->has_exit_status;
	p.exit_status = o->exit_status;
	ret = statement_build(&p, &st->stmt, &skipped);
	if (ret)
		return cli_fail(CLI_USAGE, "cannot build the statement: %s", strerror(-ret));
	cli_phase("attest", "statement");
	if (skipped)
		cli_warn("%zu output%s without a digest left out of the subjects", skipped,
			 skipped == 1 ? "" : "s");
	ret = manifest_sign(st->stmt, st->keys, st->n_keys, &st->manifest, &len);
	if (ret)
		return cli_fail(CLI_USAGE, "cannot sign the manifest: %s", strerror(-ret));
	cli_phase("attest", "sign");
	ret = write_output(o->out, st->manifest, len);
	cli_phase("attest", "write");
	if (ret)
		return cli_fail(CLI_USAGE, "cannot write manifest '%s': %s", o->out ? o->out : "-",
				strerror(-ret));
	/* Written and signed, but past what our own readers take. */
	if (len > DSSE_MAX_ENVELOPE_BYTES)
		cli_warn("the manifest is %zu MiB, more than the %zu MiB that provfs verify and "
			 "provfs show read by default (%zu process records): read it with "
			 "--max-size %zuM",
			 len >> 20, DSSE_MAX_ENVELOPE_BYTES >> 20, st->sum.n_procs, (len >> 20) + 1);
	ret = print_summary(st, log_hex, json_array_size(json_object_get(st->stmt, "subject")),
			    stored, missing);
	/* The manifest is written, but names outputs nobody can fetch. */
	if (ret == CLI_OK && missing_outputs) {
		cli_warn("%zu output%s named by the manifest could not be copied into the store",
			 missing_outputs, missing_outputs == 1 ? "" : "s");
		ret = CLI_FAILED;
	}
	return ret;
}

int cmd_attest(int argc, char **argv)
{
	struct attest_state st = { 0 };
	int ret = parse_opts(argc, argv, &st.o);

	if (ret < 0)
		ret = attest_run(&st);
	attest_state_free(&st);
	return ret;
}

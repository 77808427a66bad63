/*
 * statement: the in-toto Statement v1 with a SLSA Provenance v1 predicate
 * that a provfs manifest carries, built from an access-log summary plus
 * environment facts, and checked for shape when read back.
 *
 * Invariants of what statement_build produces (docs/manifest.md has the
 * full mapping): only objects, arrays, strings and integers; every list in
 * a stable order (subjects and inputs by mount then path, packages by name
 * then arch, processes by log id), so the same facts give the same bytes;
 * every subject and every known input carries {"sha256": 64 lowercase hex};
 * environment values whose names look secret are masked.  Paths that are
 * not valid UTF-8 are written with %XX escapes for the offending bytes (and
 * '%' itself) and flagged with annotations.nameEncoding = "percent".
 */
#ifndef PROVFS_STATEMENT_H
#define PROVFS_STATEMENT_H

#include <jansson.h>
#include <stddef.h>

#include "accesslog.h"
#include "envfacts.h"

#define STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define STATEMENT_PREDICATE_SLSA "https://slsa.dev/provenance/v1"
#define STATEMENT_BUILD_TYPE "https://provfs.dev/buildtypes/run/v1"
#define STATEMENT_DEFAULT_BUILDER "https://provfs.dev/builders/local/v1"
#define STATEMENT_MASK "***"
/* Subject name used when a build has no output with a digest. */
#define STATEMENT_LOG_SUBJECT "provfs-access-log"

struct statement_params {
	const struct alog_summary *summary;
	/* The command's argv; NULL to take the first logged process's argv. */
	const char *const *command;
	size_t n_command;
	/* Working directory; NULL to take the first logged process's cwd. */
	const char *cwd;
	/* "NAME=VALUE" strings recorded in internalParameters (masked). */
	const char *const *environment;
	size_t n_environment;
	const char *env_root;      /* directory the facts describe ("/" host) */
	const char *env_digest;    /* tree digest of the environment, or NULL */
	const struct envfacts *facts; /* may be NULL: no OS/packages recorded */
	char *const *input_owners; /* package per summary input, or NULL */
	const char *builder_id;    /* NULL: STATEMENT_DEFAULT_BUILDER */
	const char *driver;        /* slave driver, or NULL (not recorded) */
	/* "KEY=VALUE" facts of the slave's setup (network, home, capture),
	 * recorded in internalParameters.slave; none: no "slave" object. */
	const char *const *slave;
	size_t n_slave;
	const char *invocation_id; /* NULL: the access log's digest */
	const char *log_digest;    /* access log object (64 hex), required */
	int has_exit_status;
	int exit_status;
};

/* 1 if an environment variable of this name gets its value masked: the
 * name contains TOKEN, SECRET, PASSWORD, PASSWD, KEY, CREDENTIAL or AUTH
 * (not AUTHOR), any case. */
int statement_name_is_secret(const char *name);
/* value with the secret of every URL's userinfo masked (STATEMENT_MASK):
 * the password of scheme://user:password@host, the whole of
 * scheme://token@host (http_proxy, DATABASE_URL, a git remote with a
 * token); malloc'd, NULL on ENOMEM. */
char *statement_mask_url_secrets(const char *value);

/* Builds the Statement.  *skipped_outputs gets the number of outputs left
 * out of the subjects because their digest was unknown.  When no output
 * has a digest the only subject is the access log (STATEMENT_LOG_SUBJECT).
 * Returns 0, -EINVAL (missing log digest, bad command), -ENOMEM. */
int statement_build(const struct statement_params *p, json_t **out, size_t *skipped_outputs);

/* Checks a parsed payload is a Statement v1 with a SLSA v1 predicate of the
 * shape verification relies on.  0, or -EBADMSG with a lowercase reason in
 * err. */
int statement_check_shape(const json_t *stmt, char *err, size_t errlen);

/* A logged file's name in the Statement: absolute in a read-only mount
 * (the environment) and in provfs run's tmp mount (/tmp/x, /root/.cache),
 * relative to the mount otherwise (the workspace). */
const char *statement_file_name(const struct alog_summary *s, const struct alog_file *f);

/* The sha256 of a ResourceDescriptor's digest, or NULL. */
const char *statement_descriptor_sha256(const json_t *descriptor);

/* The first descriptor of list (resolvedDependencies, byproducts) whose
 * name is name ("environment", "exit-status"), or NULL. */
const json_t *statement_find_descriptor(const json_t *list, const char *name);

#endif

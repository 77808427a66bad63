/*
 * verify: decides whether a manifest (a DSSE envelope around a provfs
 * Statement) is what its signers say, with no trust in anything but the
 * given public keys.
 *
 * Order of checks, stopping at the first failing stage so an untrusted
 * payload is never interpreted: (1) the envelope parses and its payloadType
 * is in-toto; (2) at least `threshold` distinct trusted keys made a valid
 * signature over PAE(payloadType, payload); (3) the payload is a Statement v1
 * with a SLSA Provenance v1 predicate; then, all reported together, (4)
 * each artifact's SHA-256 is among the subjects, and (5) with a store, every
 * sha256 the statement names (subjects, resolved dependencies, byproducts)
 * is present in it and hashes to its name, and (6) with a policy, what the
 * manifest says of the build: the environment it ran in, its builder, its
 * network, its exit status.  A fact the policy asks about and the manifest
 * does not record fails the policy.
 *
 * verify_manifest returns -errno only for resource failures; a manifest that
 * does not verify is a normal result, described in the report.
 */
#ifndef PROVFS_VERIFY_H
#define PROVFS_VERIFY_H

#include <jansson.h>
#include <stddef.h>

#include "cas.h"
#include "sign.h"

/* What an auditor requires of the build, beyond the signatures.  Empty
 * lists and zero flags require nothing. */
struct verify_policy {
	const char *const *environments; /* tree digests (64 hex); the build's
					  * environment must be one of them */
	size_t n_environments;
	const char *const *builders;     /* runDetails.builder.id, one of them */
	size_t n_builders;
	int no_network;                  /* slave network "loopback" */
	int succeeded;                   /* exit status 0 */
	int offline;                     /* network "loopback", unrouted "0" */
};

struct verify_options {
	struct sign_key *const *keys; /* trusted public keys (duplicates count once) */
	size_t n_keys;
	size_t threshold;             /* distinct valid keys needed; 0 means 1 */
	const char *const *artifacts; /* files to find among the subjects */
	size_t n_artifacts;
	const struct cas *store;      /* NULL: skip the object checks */
	const struct verify_policy *policy; /* NULL: no policy */
};

enum verify_stage {
	VERIFY_STAGE_ENVELOPE = 1,
	VERIFY_STAGE_SIGNATURE,
	VERIFY_STAGE_STATEMENT,
	VERIFY_STAGE_ARTIFACTS, /* artifacts and store objects */
	VERIFY_STAGE_DONE,
};

struct verify_report {
	int verified;                 /* 1 only if every check passed */
	enum verify_stage reached;    /* the stage that failed, or DONE */
	char **problems;              /* lowercase reasons, one per problem */
	size_t n_problems;
	char **signer_keyids;         /* trusted keys with a valid signature */
	size_t n_signers;
	size_t n_signatures;          /* signatures in the envelope */
	size_t n_subjects;
	size_t artifacts_matched;
	size_t objects_checked;       /* store objects re-hashed */
	size_t policy_rules;          /* policy rules checked */
	json_t *statement;            /* the parsed payload once signatures held */
};

int verify_manifest(const char *buf, size_t len, const struct verify_options *opt,
		    struct verify_report *report);

void verify_report_free(struct verify_report *report);

#endif

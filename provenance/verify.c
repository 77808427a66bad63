#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "dsse.h"
#include "json.h"
#include "statement.h"

static int add_problem(struct verify_report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int add_problem(struct verify_report *r, const char *fmt, ...)
{
	char **grown;
	char *text;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	grown = realloc(r->problems, (r->n_problems + 1) * sizeof(*grown));
	if (!grown) {
		free(text);
		return -ENOMEM;
	}
	r->problems = grown;
	r->problems[r->n_problems++] = text;
	return 0;
}

/* Counts distinct trusted keys with a valid signature over the PAE. */
static int check_signatures(const struct dsse_envelope *env, const struct verify_options *opt,
			    struct verify_report *r)
{
	size_t threshold = opt->threshold ? opt->threshold : 1;
	uint8_t *pae;
	size_t pae_len, tried = 0;
	char *satisfied;
	int ret;

	r->n_signatures = env->n_sigs;
	if (env->n_sigs == 0)
		return add_problem(r, "manifest has no signatures");
	ret = dsse_pae(env->payload_type, env->payload, env->payload_len, &pae, &pae_len);
	if (ret)
		return ret;
	satisfied = calloc(opt->n_keys + 1, 1);
	if (!satisfied) {
		free(pae);
		return -ENOMEM;
	}
	for (size_t s = 0; s < env->n_sigs; s++) {
		const struct dsse_signature *sig = &env->sigs[s];

		for (size_t k = 0; k < opt->n_keys; k++) {
			const char *kid = sign_key_id(opt->keys[k]);
			int done = 0;

			/* keyid is only a hint (DSSE): an empty one means try all. */
			if (sig->keyid[0] && strcmp(sig->keyid, kid))
				continue;
			for (size_t j = 0; j < k; j++) {
				if (!strcmp(sign_key_id(opt->keys[j]), kid))
					done = 1; /* same key given twice */
			}
			if (done || satisfied[k])
				continue;
			tried++;
			if (sign_verify_message(opt->keys[k], pae, pae_len, sig->sig, sig->sig_len) == 0) {
				char *copy = strdup(kid);
				char **grown = realloc(r->signer_keyids,
						       (r->n_signers + 1) * sizeof(*grown));

				if (!copy || !grown) {
					free(copy);
					if (grown)
						r->signer_keyids = grown;
					ret = -ENOMEM;
					goto out;
				}
				r->signer_keyids = grown;
				r->signer_keyids[r->n_signers++] = copy;
				satisfied[k] = 1;
			}
		}
	}
	if (r->n_signers < threshold) {
		if (r->n_signers == 0 && !tried)
			ret = add_problem(r, "no valid signature by a trusted key (the keyid%s of "
					  "the %zu signature%s name%s none of the %zu key%s given)",
					  env->n_sigs == 1 ? "" : "s", env->n_sigs,
					  env->n_sigs == 1 ? "" : "s", env->n_sigs == 1 ? "s" : "",
					  opt->n_keys, opt->n_keys == 1 ? "" : "s");
		else if (r->n_signers == 0)
			ret = add_problem(r, "no valid signature by a trusted key "
					  "(%zu signature%s checked against %zu key%s)",
					  env->n_sigs, env->n_sigs == 1 ? "" : "s",
					  opt->n_keys, opt->n_keys == 1 ? "" : "s");
		else
			ret = add_problem(r, "only %zu of the required %zu trusted keys signed",
					  r->n_signers, threshold);
	}
out:
	free(satisfied);
	free(pae);
	return ret;
}

static int check_artifact(const char *path, const json_t *subjects, struct verify_report *r)
{
	uint8_t raw[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];
	const char *base = strrchr(path, '/');
	const json_t *same_name = NULL;
	size_t i;
	json_t *s;
	int ret;

	struct stat st;
	/* A symlink given as the artifact is followed (the user named it);
	 * O_NONBLOCK so that a FIFO cannot hang us before it is refused. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return add_problem(r, "cannot read artifact '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return add_problem(r, "artifact '%s' is not a regular file", path);
	}
	ret = digest_fd(fd, raw, NULL);
	close(fd);
	if (ret)
		return add_problem(r, "cannot read artifact '%s': %s", path, strerror(-ret));
	hex_encode(raw, DIGEST_LEN, hex);
	base = base ? base + 1 : path;
	json_array_foreach(subjects, i, s) {
		const char *sha = statement_descriptor_sha256(s);
		const char *name = json_get_string(s, "name");
		const char *nbase = name ? strrchr(name, '/') : NULL;

		if (sha && !strcmp(sha, hex)) {
			r->artifacts_matched++;
			return 0;
		}
		nbase = nbase ? nbase + 1 : name;
		if (name && (!strcmp(name, path) || !strcmp(nbase, base)))
			same_name = s;
	}
	if (same_name)
		return add_problem(r, "artifact '%s' has sha256 %s but subject '%s' has %s", path,
				   hex, json_get_string(same_name, "name"),
				   statement_descriptor_sha256(same_name));
	return add_problem(r, "artifact '%s' (sha256 %s) is not among the manifest's subjects",
			   path, hex);
}

/* Checks the store object of each descriptor of list that names a
 * sha256; seen maps digests already checked to their result, so that an
 * object several descriptors name (a file read and written unchanged, one
 * header under two names) is hashed once, and counted once. */
static int check_objects(const json_t *list, const char *what, const struct cas *store,
			 json_t *seen, struct verify_report *r)
{
	size_t i;
	json_t *d;
	int ret = 0;

	json_array_foreach(list, i, d) {
		const char *sha = statement_descriptor_sha256(d);
		const char *name = json_get_string(d, "name");
		json_t *known;
		int res;

		if (!sha)
			continue;
		known = json_object_get(seen, sha);
		if (known) {
			res = (int)json_integer_value(known);
		} else {
			res = cas_verify_object(store, sha);
			r->objects_checked++;
			if (json_object_set_new(seen, sha, json_integer(res)))
				return -ENOMEM;
		}
		if (res == -ENOENT)
			ret = add_problem(r, "%s '%s': object %s is missing from the store", what,
					  name ? name : "?", sha);
		else if (res == -EBADMSG)
			ret = add_problem(r, "%s '%s': object %s in the store is corrupt", what,
					  name ? name : "?", sha);
		else if (res)
			ret = add_problem(r, "%s '%s': cannot check object %s: %s", what,
					  name ? name : "?", sha, strerror(-res));
		if (ret)
			return ret;
	}
	return 0;
}

static int listed(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

static int check_policy(const struct verify_policy *p, const json_t *pred, struct verify_report *r)
{
	const json_t *bd = json_get_object(pred, "buildDefinition");
	const json_t *rd = json_get_object(pred, "runDetails");
	int ret = 0;

	if (p->n_environments) {
		const json_t *env = statement_find_descriptor(json_get_array(bd, "resolvedDependencies"),
							      "environment");
		const char *sha = env ? statement_descriptor_sha256(env) : NULL;

		r->policy_rules++;
		if (!env)
			ret = add_problem(r, "policy: the manifest names no environment");
		else if (!sha)
			ret = add_problem(r, "policy: the build ran on an unmanaged root (%s), not in "
					  "an allowed environment", json_get_string(env, "uri")
					  ? json_get_string(env, "uri") : "no tree digest");
		else if (!listed(sha, p->environments, p->n_environments))
			ret = add_problem(r, "policy: environment %s is not an allowed one", sha);
	}
	if (!ret && p->n_builders) {
		const char *id = json_get_string(json_get_object(rd, "builder"), "id");

		r->policy_rules++;
		if (!listed(id, p->builders, p->n_builders))
			ret = add_problem(r, "policy: builder '%s' is not a trusted one",
					  id ? id : "(none)");
	}
	if (!ret && (p->no_network || p->offline)) {
		const json_t *slave =
			json_get_object(json_get_object(bd, "internalParameters"), "slave");
		const char *net = json_get_string(slave, "network");
		const char *unrouted = json_get_string(slave, "unrouted");

		r->policy_rules++;
		if (!net)
			ret = add_problem(r, "policy: the manifest does not say whether the build "
					  "had a network");
		else if (strcmp(net, "loopback"))
			ret = add_problem(r, "policy: the build had network '%s', not loopback only",
					  net);
		else if (p->offline && !unrouted)
			ret = add_problem(r, "policy: the manifest does not say whether the build "
					  "tried to reach the network (no unrouted count)");
		else if (p->offline && strcmp(unrouted, "0"))
			ret = add_problem(r, "policy: the build tried to reach the network (%s "
					  "packet%s beyond loopback found no route)", unrouted,
					  strcmp(unrouted, "1") ? "s" : "");
	}
	if (!ret && p->succeeded) {
		const json_t *status = json_object_get(
			json_get_object(statement_find_descriptor(json_get_array(rd, "byproducts"),
								  "exit-status"), "annotations"),
			"exitStatus");

		r->policy_rules++;
		if (!json_is_integer(status))
			ret = add_problem(r, "policy: the manifest records no exit status");
		else if (json_integer_value(status) != 0)
			ret = add_problem(r, "policy: the build failed (exit status %lld)",
					  (long long)json_integer_value(status));
	}
	return ret;
}

static int check_contents(const struct verify_options *opt, struct verify_report *r)
{
	json_t *stmt = r->statement;
	json_t *subjects = json_get_array(stmt, "subject");
	json_t *pred = json_get_object(stmt, "predicate");
	json_t *deps = json_get_array(json_get_object(pred, "buildDefinition"), "resolvedDependencies");
	json_t *byp = json_get_array(json_get_object(pred, "runDetails"), "byproducts");
	size_t before = r->n_problems;
	int ret = 0;

	r->n_subjects = json_array_size(subjects);
	for (size_t i = 0; !ret && i < opt->n_artifacts; i++)
		ret = check_artifact(opt->artifacts[i], subjects, r);
	if (!ret && opt->store) {
		json_t *seen = json_object();

		ret = seen ? check_objects(subjects, "subject", opt->store, seen, r) : -ENOMEM;
		if (!ret && deps)
			ret = check_objects(deps, "dependency", opt->store, seen, r);
		if (!ret && byp)
			ret = check_objects(byp, "byproduct", opt->store, seen, r);
		json_decref(seen);
	}
	if (!ret && opt->policy)
		ret = check_policy(opt->policy, pred, r);
	if (!ret && r->n_problems > before)
		r->reached = VERIFY_STAGE_ARTIFACTS;
	return ret;
}

int verify_manifest(const char *buf, size_t len, const struct verify_options *opt,
		    struct verify_report *r)
{
	struct dsse_envelope env;
	char err[256];
	int ret;

	memset(r, 0, sizeof(*r));
	r->reached = VERIFY_STAGE_ENVELOPE;
	ret = dsse_parse(buf, len, &env, err, sizeof(err));
	if (ret == -ENOMEM)
		return ret;
	if (ret)
		return add_problem(r, "not a valid DSSE envelope: %s", err);
	if (strcmp(env.payload_type, DSSE_PAYLOAD_TYPE_INTOTO)) {
		ret = add_problem(r, "payloadType is '%s', not '%s'", env.payload_type,
				  DSSE_PAYLOAD_TYPE_INTOTO);
		goto out;
	}
	r->reached = VERIFY_STAGE_SIGNATURE;
	ret = check_signatures(&env, opt, r);
	if (ret || r->n_problems)
		goto out;
	r->reached = VERIFY_STAGE_STATEMENT;
	ret = json_parse_bounded((const char *)env.payload, env.payload_len, dsse_max_envelope(),
				 DSSE_MAX_DEPTH, &r->statement, err, sizeof(err));
	if (ret) {
		ret = add_problem(r, "payload is not valid JSON: %s", err);
		goto out;
	}
	if (statement_check_shape(r->statement, err, sizeof(err))) {
		ret = add_problem(r, "%s", err);
		goto out;
	}
	r->reached = VERIFY_STAGE_DONE;
	ret = check_contents(opt, r);
	if (!ret && r->n_problems == 0)
		r->verified = 1;
out:
	dsse_envelope_free(&env);
	return ret;
}

void verify_report_free(struct verify_report *r)
{
	for (size_t i = 0; i < r->n_problems; i++)
		free(r->problems[i]);
	for (size_t i = 0; i < r->n_signers; i++)
		free(r->signer_keyids[i]);
	free(r->problems);
	free(r->signer_keyids);
	json_decref(r->statement);
	memset(r, 0, sizeof(*r));
}

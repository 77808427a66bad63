/* provfs verify: check a manifest's signatures, shape, artifacts and store
 * objects. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cas.h"
#include "cli.h"
#include "dsse.h"
#include "json.h"
#include "manifest.h"
#include "sign.h"
#include "util.h"
#include "verify.h"

static void verify_usage(FILE *out)
{
	fprintf(out,
		"usage: provfs verify --key PUB [--key PUB]... [--threshold N] [--store DIR]\n"
		"                     [--env DIGEST]... [--builder ID]... [--no-network]\n"
		"                     [--offline] [--succeeded] [--max-size SIZE] [--json]\n"
		"                     MANIFEST [ARTIFACT]...\n"
		"\n"
		"Checks that at least N distinct trusted keys signed MANIFEST (a DSSE\n"
		"envelope), that its payload is an in-toto Statement v1 with a SLSA\n"
		"Provenance v1 predicate, that each ARTIFACT's sha256 is among its\n"
		"subjects, with --store that every object it names is in the store\n"
		"and intact, and that the build meets the policy the options below set.\n"
		"\n"
		"  -k, --key PUB        a trusted public key (PEM); repeat for several\n"
		"  -t, --threshold N    distinct trusted keys that must have signed (default 1)\n"
		"      --store DIR      check referenced objects in this store\n"
		"policy (each fails if the manifest does not record the fact):\n"
		"      --env DIGEST     the build ran in this environment (tree digest);\n"
		"                       repeat to allow several; an unmanaged host root fails\n"
		"      --builder ID     the builder's id is this one; repeat to allow several\n"
		"      --no-network     the build had loopback only (provfs run without --net)\n"
		"      --offline        that, and it sent nothing beyond loopback (unrouted=0)\n"
		"      --succeeded      the build exited 0\n"
		"      --max-size SIZE  read a manifest up to SIZE (K, M, G suffixes; default\n"
		"                       256M: a bigger one is refused unread)\n"
		"      --json           print the result as a JSON object on stdout\n"
		"  -h, --help           show this help\n"
		"\n"
		"Exit status: 0 verified, 1 not verified (the reasons are printed),\n"
		"2 usage or environment error.\n");
}

struct verify_cli {
	struct sign_key **keys;
	size_t n_keys;
	const char **envs, **builders; /* --env, --builder */
	size_t n_envs, n_builders;
	struct cas *cas;
	char *text;
};

static void verify_cli_free(struct verify_cli *v)
{
	for (size_t i = 0; i < v->n_keys; i++)
		sign_key_free(v->keys[i]);
	free(v->keys);
	free(v->envs);
	free(v->builders);
	cas_close(v->cas);
	free(v->text);
}

static int add_key(struct verify_cli *v, const char *path)
{
	struct sign_key **grown;
	struct sign_key *key;
	int ret = sign_key_load_public(path, &key);

	if (ret)
		return cli_fail(CLI_USAGE, "cannot use public key '%s': %s", path,
				sign_public_key_error(ret));
	grown = realloc(v->keys, (v->n_keys + 1) * sizeof(*grown));
	if (!grown) {
		sign_key_free(key);
		return cli_fail(CLI_USAGE, "out of memory");
	}
	v->keys = grown;
	v->keys[v->n_keys++] = key;
	return 0;
}

static int add_text(const char ***list, size_t *n, const char *s)
{
	const char **grown = realloc(*list, (*n + 1) * sizeof(*grown));

	if (!grown)
		return cli_fail(CLI_USAGE, "out of memory");
	*list = grown;
	(*list)[(*n)++] = s;
	return 0;
}

static size_t distinct_keys(const struct verify_cli *v)
{
	size_t n = 0;

	for (size_t i = 0; i < v->n_keys; i++) {
		size_t j;

		for (j = 0; j < i; j++) {
			if (!strcmp(sign_key_id(v->keys[i]), sign_key_id(v->keys[j])))
				break;
		}
		n += j == i;
	}
	return n;
}

static void print_json(const char *manifest, const struct verify_report *r, size_t threshold)
{
	json_t *o = json_object(), *problems = json_array(), *signers = json_array();

	/* A message may name a file that is not UTF-8. */
	for (size_t i = 0; i < r->n_problems; i++)
		json_array_append_new(problems, json_text(r->problems[i], NULL));
	for (size_t i = 0; i < r->n_signers; i++)
		json_array_append_new(signers, json_string(r->signer_keyids[i]));
	json_set_text(o, "manifest", manifest);
	json_object_set_new(o, "verified", json_boolean(r->verified));
	json_object_set_new(o, "problems", problems);
	json_object_set_new(o, "signers", signers);
	json_object_set_new(o, "threshold", json_integer((json_int_t)threshold));
	json_object_set_new(o, "signatures", json_integer((json_int_t)r->n_signatures));
	json_object_set_new(o, "subjects", json_integer((json_int_t)r->n_subjects));
	json_object_set_new(o, "artifactsMatched", json_integer((json_int_t)r->artifacts_matched));
	json_object_set_new(o, "objectsChecked", json_integer((json_int_t)r->objects_checked));
	json_object_set_new(o, "policyRules", json_integer((json_int_t)r->policy_rules));
	cli_print_json_line(o);
	json_decref(o);
}

static int report_result(const char *manifest, const struct verify_report *r, size_t threshold,
			 int json)
{
	if (json)
		print_json(manifest, r, threshold);
	if (!r->verified) {
		for (size_t i = 0; i < r->n_problems; i++) {
			char *safe = manifest_printable(r->problems[i]);

			cli_fail(CLI_FAILED, "manifest '%s' not verified: %s", manifest,
				 safe ? safe : "out of memory");
			free(safe);
		}
		return CLI_FAILED;
	}
	if (!json) {
		printf("verified %s: signed by %zu of %zu required trusted key%s", manifest,
		       r->n_signers, threshold, threshold == 1 ? "" : "s");
		printf(", %zu subject%s", r->n_subjects, r->n_subjects == 1 ? "" : "s");
		if (r->artifacts_matched)
			printf(", %zu artifact%s matched", r->artifacts_matched,
			       r->artifacts_matched == 1 ? "" : "s");
		if (r->objects_checked)
			printf(", %zu store object%s intact", r->objects_checked,
			       r->objects_checked == 1 ? "" : "s");
		if (r->policy_rules)
			printf(", policy met (%zu rule%s)", r->policy_rules,
			       r->policy_rules == 1 ? "" : "s");
		putchar('\n');
		for (size_t i = 0; i < r->n_signers; i++)
			printf("  signer %s\n", r->signer_keyids[i]);
	}
	return CLI_OK;
}

static int verify_run(int argc, char **argv, struct verify_cli *v)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "threshold", required_argument, NULL, 't' },
		{ "store", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "env", required_argument, NULL, 'e' },
		{ "builder", required_argument, NULL, 'b' },
		{ "no-network", no_argument, NULL, 'n' },
		{ "offline", no_argument, NULL, 'O' },
		{ "succeeded", no_argument, NULL, 'S' },
		{ "max-size", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct verify_options opt = { 0 };
	struct verify_policy policy = { 0 };
	struct verify_report report;
	const char *store = NULL, *manifest;
	size_t threshold = 1, len;
	int json = 0, c, ret;
	char *end;
	long t;

	while ((c = getopt_long(argc, argv, "k:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			ret = add_key(v, optarg);
			if (ret)
				return ret;
			break;
		case 't':
			errno = 0;
			t = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || t < 1 || t > 1000)
				return cli_usage_error("verify", "--threshold wants a positive integer, not '%s'",
						       optarg);
			threshold = (size_t)t;
			break;
		case 's':
			store = optarg;
			break;
		case 'j':
			json = 1;
			cli_json_mode();
			break;
		case 'e':
			if (!hex_is_digest(optarg))
				return cli_usage_error("verify", "--env wants an environment's tree digest "
						       "(64 lowercase hex digits), not '%s'", optarg);
			ret = add_text(&v->envs, &v->n_envs, optarg);
			if (ret)
				return ret;
			break;
		case 'b':
			ret = add_text(&v->builders, &v->n_builders, optarg);
			if (ret)
				return ret;
			break;
		case 'n':
			policy.no_network = 1;
			break;
		case 'O':
			policy.offline = 1;
			break;
		case 'S':
			policy.succeeded = 1;
			break;
		case 'M':
			if (cli_max_size("verify", optarg))
				return CLI_USAGE;
			break;
		case 'h':
			verify_usage(stdout);
			return CLI_OK;
		default:
			return cli_bad_option("verify");
		}
	}
	if (optind >= argc)
		return cli_usage_error("verify", "which manifest? give MANIFEST");
	if (v->n_keys == 0)
		return cli_usage_error("verify", "give at least one trusted public key with --key");
	if (threshold > distinct_keys(v))
		return cli_usage_error("verify", "--threshold %zu is more than the %zu distinct keys given",
				       threshold, distinct_keys(v));
	manifest = argv[optind];
	for (int i = optind + 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0 || access(argv[i], R_OK) < 0)
			return cli_fail(CLI_USAGE, "cannot read artifact '%s': %s", argv[i], strerror(errno));
		if (!S_ISREG(st.st_mode))
			return cli_fail(CLI_USAGE, "artifact '%s' is not a regular file", argv[i]);
	}
	ret = file_read_all(manifest, dsse_max_envelope(), &v->text, &len);
	if (ret == -EFBIG) {
		/* Not verified, as a bad envelope is: --json still says so. */
		char *why = NULL;

		memset(&report, 0, sizeof(report));
		if (asprintf(&why, CLI_MAX_SIZE_HINT, dsse_max_envelope() >> 20) < 0)
			return cli_fail(CLI_USAGE, "out of memory");
		report.problems = &why;
		report.n_problems = 1;
		ret = report_result(manifest, &report, threshold, json);
		free(why);
		return ret;
	}
	if (ret)
		return cli_fail(CLI_USAGE, "cannot read manifest '%s': %s", manifest, strerror(-ret));
	if (store) {
		ret = cas_open(store, 0, &v->cas);
		if (ret)
			return cli_fail(CLI_USAGE, "cannot open store '%s': %s", store, strerror(-ret));
	}
	opt.keys = v->keys;
	opt.n_keys = v->n_keys;
	opt.threshold = threshold;
	opt.artifacts = (const char *const *)argv + optind + 1;
	opt.n_artifacts = (size_t)(argc - optind - 1);
	opt.store = v->cas;
	policy.environments = v->envs;
	policy.n_environments = v->n_envs;
	policy.builders = v->builders;
	policy.n_builders = v->n_builders;
	opt.policy = &policy;
	ret = verify_manifest(v->text, len, &opt, &report);
	if (ret)
		return cli_fail(CLI_USAGE, "cannot verify '%s': %s", manifest, strerror(-ret));
	ret = report_result(manifest, &report, threshold, json);
	verify_report_free(&report);
	return ret;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_cli v = { 0 };
	int ret = verify_run(argc, argv, &v);

	verify_cli_free(&v);
	return ret;
}

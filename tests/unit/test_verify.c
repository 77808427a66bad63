/* Unit tests for provenance/verify (and manifest_sign). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cas.h"
#include "digest.h"
#include "dsse.h"
#include "manifest.h"
#include "sign.h"
#include "statement.h"
#include "verify.h"

static struct sign_key *k1, *k2, *k3;
static char hello_hex[DIGEST_HEX_LEN + 1];
static char dir[] = "/tmp/test_verify.XXXXXX";

static int setup(void **state)
{
	uint8_t raw[DIGEST_LEN];

	(void)state;
	digest_buffer("hello\n", 6, raw);
	hex_encode(raw, DIGEST_LEN, hello_hex);
	return sign_key_generate(&k1) || sign_key_generate(&k2) || sign_key_generate(&k3) ||
	       !mkdtemp(dir);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	sign_key_free(k1);
	sign_key_free(k2);
	sign_key_free(k3);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static json_t *minimal_statement(void)
{
	return json_pack("{ss s[{ss s{ss}}] ss s{s{ss s{} s[{ss s{ss}}]} s{s{ss}}}}",
			 "_type", STATEMENT_TYPE, "subject", "name", "out/hello", "digest",
			 "sha256", hello_hex, "predicateType", STATEMENT_PREDICATE_SLSA,
			 "predicate", "buildDefinition", "buildType", STATEMENT_BUILD_TYPE,
			 "externalParameters", "resolvedDependencies", "name", "src/hello.c",
			 "digest", "sha256", hello_hex, "runDetails", "builder", "id", "b");
}

static char *signed_by(struct sign_key **keys, size_t n, size_t *len)
{
	json_t *st = minimal_statement();
	char *text;

	assert_int_equal(manifest_sign(st, keys, n, &text, len), 0);
	json_decref(st);
	return text;
}

static int run(const char *text, size_t len, struct sign_key **keys, size_t n, size_t threshold,
	       struct verify_report *r)
{
	struct verify_options o = { .keys = keys, .n_keys = n, .threshold = threshold };

	assert_int_equal(verify_manifest(text, len, &o, r), 0);
	return r->verified;
}

static void accepts_good_signature(void **state)
{
	struct verify_report r;
	size_t len;
	char *m = signed_by(&k1, 1, &len);
	struct sign_key *trusted[] = { k2, k1 };

	(void)state;
	assert_true(run(m, len, trusted, 2, 1, &r));
	assert_int_equal(r.n_signers, 1);
	assert_string_equal(r.signer_keyids[0], sign_key_id(k1));
	assert_int_equal(r.n_subjects, 1);
	verify_report_free(&r);
	free(m);
}

static void rejects_wrong_key_and_tampering(void **state)
{
	struct verify_report r;
	size_t len;
	char *m = signed_by(&k1, 1, &len), *p;

	(void)state;
	assert_false(run(m, len, &k2, 1, 1, &r));
	assert_int_equal(r.reached, VERIFY_STAGE_SIGNATURE);
	assert_non_null(strstr(r.problems[0], "no valid signature"));
	verify_report_free(&r);
	/* Flip one payload character (still valid base64). */
	p = strstr(m, "\"payload\":\"") + 20;
	*p = *p == 'A' ? 'B' : 'A';
	assert_false(run(m, len, &k1, 1, 1, &r));
	assert_int_equal(r.reached, VERIFY_STAGE_SIGNATURE);
	verify_report_free(&r);
	free(m);
}

static void rejects_no_signature(void **state)
{
	struct verify_report r;
	size_t len;
	char *m = signed_by(NULL, 0, &len);

	(void)state;
	assert_false(run(m, len, &k1, 1, 1, &r));
	assert_non_null(strstr(r.problems[0], "no signatures"));
	verify_report_free(&r);
	free(m);
}

static void threshold_counts_distinct_keys(void **state)
{
	struct sign_key *both[] = { k1, k2 }, *twice[] = { k1, k1 }, *three[] = { k1, k2, k3 };
	struct verify_report r;
	size_t len;
	char *m = signed_by(both, 2, &len), *dup;

	(void)state;
	assert_true(run(m, len, three, 3, 2, &r));
	assert_int_equal(r.n_signers, 2);
	verify_report_free(&r);
	assert_false(run(m, len, three, 3, 3, &r));
	assert_non_null(strstr(r.problems[0], "only 2 of the required 3"));
	verify_report_free(&r);
	free(m);
	/* Two signatures by the same key count once. */
	dup = signed_by(twice, 2, &len);
	assert_false(run(dup, len, both, 2, 2, &r));
	assert_int_equal(r.n_signers, 1);
	verify_report_free(&r);
	/* The same trusted key given twice counts once. */
	assert_false(run(dup, len, twice, 2, 2, &r));
	assert_int_equal(r.n_signers, 1);
	verify_report_free(&r);
	free(dup);
}

static void rejects_wrong_payload_type(void **state)
{
	struct verify_report r;
	size_t len;
	char *m = signed_by(&k1, 1, &len);
	char *p = strstr(m, "in-toto+json");

	(void)state;
	memcpy(p, "in-totO", 7);
	assert_false(run(m, len, &k1, 1, 1, &r));
	assert_int_equal(r.reached, VERIFY_STAGE_ENVELOPE);
	assert_non_null(strstr(r.problems[0], "payloadType"));
	verify_report_free(&r);
	free(m);
}

static void checks_artifacts_and_store(void **state)
{
	char good[256], bad[256], hex[DIGEST_HEX_LEN + 1], *objpath;
	const char *arts[2] = { good, bad };
	struct verify_options o = { .keys = &k1, .n_keys = 1, .threshold = 1 };
	struct verify_report r;
	struct cas *cas;
	size_t len;
	char *m = signed_by(&k1, 1, &len);
	FILE *f;

	(void)state;
	snprintf(good, sizeof(good), "%s/hello", dir);
	snprintf(bad, sizeof(bad), "%s/other", dir);
	f = fopen(good, "w");
	fputs("hello\n", f);
	fclose(f);
	f = fopen(bad, "w");
	fputs("other\n", f);
	fclose(f);
	o.artifacts = arts;
	o.n_artifacts = 1;
	assert_int_equal(verify_manifest(m, len, &o, &r), 0);
	assert_true(r.verified);
	assert_int_equal(r.artifacts_matched, 1);
	verify_report_free(&r);
	o.n_artifacts = 2;
	assert_int_equal(verify_manifest(m, len, &o, &r), 0);
	assert_false(r.verified);
	assert_int_equal(r.n_problems, 1);
	assert_non_null(strstr(r.problems[0], "is not among the manifest's subjects"));
	verify_report_free(&r);

	o.n_artifacts = 0;
	snprintf(good, sizeof(good), "%s/store", dir);
	assert_int_equal(cas_open(good, 1, &cas), 0);
	o.store = cas;
	assert_int_equal(verify_manifest(m, len, &o, &r), 0);
	assert_false(r.verified);
	assert_non_null(strstr(r.problems[0], "missing from the store"));
	verify_report_free(&r);
	assert_int_equal(cas_put_buffer(cas, "hello\n", 6, hex), 0);
	assert_string_equal(hex, hello_hex);
	assert_int_equal(verify_manifest(m, len, &o, &r), 0);
	assert_true(r.verified);
	/* two descriptors name the object: hashed once */
	assert_int_equal(r.objects_checked, 1);
	verify_report_free(&r);
	/* Corrupt the object in place. */
	objpath = cas_object_path(cas, hex);
	chmod(objpath, 0644);
	f = fopen(objpath, "w");
	fputs("jello\n", f);
	fclose(f);
	assert_int_equal(verify_manifest(m, len, &o, &r), 0);
	assert_false(r.verified);
	/* and both are reported */
	assert_int_equal(r.n_problems, 2);
	assert_non_null(strstr(r.problems[0], "corrupt"));
	assert_non_null(strstr(r.problems[1], "corrupt"));
	verify_report_free(&r);
	free(objpath);
	cas_close(cas);
	free(m);
}

/* Signs st (consumed) with k1 and verifies it against policy p. */
static int verify_policy(json_t *st, const struct verify_policy *p, struct verify_report *r)
{
	struct verify_options o = { .keys = &k1, .n_keys = 1, .threshold = 1, .policy = p };
	size_t len;
	char *text;
	int ok;

	assert_int_equal(manifest_sign(st, &k1, 1, &text, &len), 0);
	json_decref(st);
	assert_int_equal(verify_manifest(text, len, &o, r), 0);
	ok = r->verified;
	free(text);
	return ok;
}

/* A statement with what a policy asks about: environment (tree digest
 * env_hex, or an unmanaged root if NULL), builder, network, exit status. */
static json_t *build_facts(const char *env_hex, const char *network, int exit_status)
{
	json_t *st = minimal_statement();
	json_t *pred = json_object_get(st, "predicate");
	json_t *bd = json_object_get(pred, "buildDefinition");
	json_t *env = env_hex ? json_pack("{ss s{ss} ss}", "name", "environment", "digest", "sha256",
					  env_hex, "uri", "file:///env")
			      : json_pack("{ss ss}", "name", "environment", "uri", "file:///");

	json_array_insert_new(json_object_get(bd, "resolvedDependencies"), 0, env);
	json_object_set_new(bd, "internalParameters",
			    json_pack("{s{ss ss}}", "slave", "network", network, "unrouted",
				      strcmp(network, "loopback") ? "0" : "3"));
	json_object_set_new(json_object_get(pred, "runDetails"), "byproducts",
			    json_pack("[{ss ss s{si}}]", "name", "exit-status", "uri",
				      "urn:provfs:exit-status", "annotations", "exitStatus",
				      exit_status));
	return st;
}

static void policy_checks_environment_builder_network_and_status(void **state)
{
	const char *envs[] = { "1111111111111111111111111111111111111111111111111111111111111111",
			       hello_hex };
	const char *builders[] = { "a", "b" };
	struct verify_policy all = { envs, 2, builders, 2, 1, 1, 0 }, none = { 0 };
	struct verify_report r;

	(void)state;
	assert_true(verify_policy(build_facts(hello_hex, "loopback", 0), &all, &r));
	assert_int_equal(r.policy_rules, 4);
	verify_report_free(&r);
	/* Each fact off the policy is one problem, all reported together. */
	assert_false(verify_policy(build_facts(NULL, "host", 2), &all, &r));
	assert_int_equal(r.n_problems, 3);
	assert_non_null(strstr(r.problems[0], "unmanaged root"));
	assert_non_null(strstr(r.problems[1], "network 'host'"));
	assert_non_null(strstr(r.problems[2], "exit status 2"));
	verify_report_free(&r);
	assert_false(verify_policy(build_facts(envs[0], "loopback", 0), &(struct verify_policy){
		&envs[1], 1, NULL, 0, 0, 0, 0 }, &r));
	assert_non_null(strstr(r.problems[0], "is not an allowed one"));
	verify_report_free(&r);
	assert_false(verify_policy(build_facts(hello_hex, "loopback", 0), &(struct verify_policy){
		NULL, 0, &builders[0], 1, 0, 0, 0 }, &r));
	assert_non_null(strstr(r.problems[0], "builder 'b'"));
	verify_report_free(&r);
	/* A fact the manifest does not record fails the rule that asks. */
	assert_false(verify_policy(minimal_statement(), &all, &r));
	assert_int_equal(r.n_problems, 3); /* its builder, 'b', is allowed */
	assert_non_null(strstr(r.problems[0], "names no environment"));
	assert_non_null(strstr(r.problems[1], "does not say"));
	assert_non_null(strstr(r.problems[2], "no exit status"));
	verify_report_free(&r);
	/* No policy, no rules. */
	assert_true(verify_policy(build_facts(NULL, "host", 1), &none, &r));
	assert_int_equal(r.policy_rules, 0);
	verify_report_free(&r);
}

/* --offline: loopback only, and nothing sent beyond it (the slave's
 * unrouted count is "0"); a manifest without the count fails. */
static void offline_needs_an_unrouted_count_of_zero(void **state)
{
	struct verify_policy offline = { .offline = 1 };
	struct verify_report r;
	json_t *st;

	(void)state;
	st = build_facts(hello_hex, "loopback", 0); /* unrouted "3" */
	assert_false(verify_policy(st, &offline, &r));
	assert_int_equal(r.policy_rules, 1);
	assert_non_null(strstr(r.problems[0], "tried to reach the network (3 packets"));
	verify_report_free(&r);
	st = build_facts(hello_hex, "loopback", 0);
	json_object_set_new(json_object_get(json_object_get(json_object_get(json_object_get(st,
		"predicate"), "buildDefinition"), "internalParameters"), "slave"), "unrouted",
		json_string("0"));
	assert_true(verify_policy(st, &offline, &r));
	verify_report_free(&r);
	st = build_facts(hello_hex, "loopback", 0);
	json_object_del(json_object_get(json_object_get(json_object_get(json_object_get(st,
		"predicate"), "buildDefinition"), "internalParameters"), "slave"), "unrouted");
	assert_false(verify_policy(st, &offline, &r));
	assert_non_null(strstr(r.problems[0], "no unrouted count"));
	verify_report_free(&r);
	assert_false(verify_policy(build_facts(hello_hex, "host", 0), &offline, &r));
	assert_non_null(strstr(r.problems[0], "network 'host'"));
	verify_report_free(&r);
}

static void rejects_garbage_without_crashing(void **state)
{
	static const char *const inputs[] = { "", "{", "null", "{\"payload\":1}",
		"{\"payload\":\"!!\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[]}" };
	struct verify_report r;

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		assert_false(run(inputs[i], strlen(inputs[i]), &k1, 1, 1, &r));
		assert_true(r.n_problems >= 1);
		verify_report_free(&r);
	}
}

/* What show, log and verify print of a name cannot act on the terminal or
 * reorder the line: controls, C1 controls, bidi controls and bytes that
 * are not UTF-8 are escaped; other text stays as it is. */
static void printable_escapes_what_a_terminal_acts_on(void **state)
{
	static const char *const cases[][2] = {
		{"plain/ok.c", "plain/ok.c"},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
		{"a\nb\x1b[31m\x7f", "a\\x0ab\\x1b[31m\\x7f"},
		{"csi\xc2\x9b" "2J", "csi\\u009b2J"},
		{"x\xe2\x80\xae" "cod.exe", "x\\u202ecod.exe"},
		{"\xe2\x81\xa6" "i\xe2\x81\xa9", "\\u2066i\\u2069"},
		{"\xe2\x80\x8fr", "\\u200fr"},
		{"latin\xe9", "latin\\xe9"},
		{"\x9b" "2J", "\\x9b2J"},
		{"cut\xe2\x80", "cut\\xe2\\x80"},
		{"over\xc0\xaf", "over\\xc0\\xaf"},
		{"surr\xed\xa0\x80", "surr\\xed\\xa0\\x80"},
		{"big\xf4\x90\x80\x80", "big\\xf4\\x90\\x80\\x80"},
		/* what shows as a space or as nothing; a backslash of the text */
		{"a\xc2\xa0" "b\xe2\x80\x82" "c\xe3\x80\x80" "d", "a\\u00a0b\\u2002c\\u3000d"},
		{"app\xe2\x80\x8b.bin", "app\\u200b.bin"},
		{"app\xe2\x81\xa0.bin\xef\xbb\xbf", "app\\u2060.bin\\ufeff"},
		{"l\xe2\x80\xa8" "m\xc2\xad" "n", "l\\u2028m\\u00adn"},
		{"tag\xf3\xa0\x80\x81", "tag\\U000e0001"},
		{"back\\x0a", "back\\\\x0a"},
		{"", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = manifest_printable(cases[i][0]);

		assert_non_null(p);
		assert_string_equal(p, cases[i][1]);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_good_signature),
		cmocka_unit_test(rejects_wrong_key_and_tampering),
		cmocka_unit_test(rejects_no_signature),
		cmocka_unit_test(threshold_counts_distinct_keys),
		cmocka_unit_test(rejects_wrong_payload_type),
		cmocka_unit_test(checks_artifacts_and_store),
		cmocka_unit_test(policy_checks_environment_builder_network_and_status),
		cmocka_unit_test(offline_needs_an_unrouted_count_of_zero),
		cmocka_unit_test(rejects_garbage_without_crashing),
		cmocka_unit_test(printable_escapes_what_a_terminal_acts_on),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/* Unit tests for provenance/dsse: PAE test vector, base64, envelopes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dsse.h"

/* The DSSE spec's test vector (protocol.md). */
static void pae_matches_spec_vector(void **state)
{
	const char *want = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
	uint8_t *pae;
	size_t len;

	(void)state;
	assert_int_equal(dsse_pae("http://example.com/HelloWorld",
				  (const uint8_t *)"hello world", 11, &pae, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(pae, want, len);
	free(pae);
}

static void pae_of_empty_body(void **state)
{
	uint8_t *pae;
	size_t len;

	(void)state;
	assert_int_equal(dsse_pae("", (const uint8_t *)"", 0, &pae, &len), 0);
	assert_int_equal(len, strlen("DSSEv1 0  0 "));
	assert_memory_equal(pae, "DSSEv1 0  0 ", len);
	free(pae);
}

static void base64_round_trips_rfc4648_vectors(void **state)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const coded[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
					     "Zm9vYmFy" };
	(void)state;
	for (size_t i = 0; i < 7; i++) {
		char *enc = dsse_base64_encode((const uint8_t *)plain[i], strlen(plain[i]));
		uint8_t *dec;
		size_t len;

		assert_string_equal(enc, coded[i]);
		assert_int_equal(dsse_base64_decode(coded[i], strlen(coded[i]), &dec, &len), 0);
		assert_int_equal(len, strlen(plain[i]));
		assert_memory_equal(dec, plain[i], len);
		free(enc);
		free(dec);
	}
}

static void base64_accepts_url_safe_and_unpadded(void **state)
{
	uint8_t *dec;
	size_t len;

	(void)state;
	assert_int_equal(dsse_base64_decode("-_8", 3, &dec, &len), 0);
	assert_int_equal(len, 2);
	assert_int_equal(dec[0], 0xfb);
	assert_int_equal(dec[1], 0xff);
	free(dec);
	assert_int_equal(dsse_base64_decode("Zg", 2, &dec, &len), 0);
	assert_int_equal(len, 1);
	free(dec);
}

static void base64_rejects_invalid(void **state)
{
	static const char *const bad[] = { "Zm9v!", "Zm9v Zg==", "Z", "Zg=", "Zh==", "Zm9v====",
					   "Zg==Zg==", "+-8A", "Zm\n9v" };
	uint8_t *dec;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dsse_base64_decode(bad[i], strlen(bad[i]), &dec, &len), -EINVAL);
}

static void envelope_round_trips(void **state)
{
	struct dsse_envelope env = { 0 }, back;
	uint8_t sig[3] = { 1, 2, 3 };
	char *text;
	size_t len;

	(void)state;
	env.payload_type = strdup(DSSE_PAYLOAD_TYPE_INTOTO);
	env.payload = (uint8_t *)strdup("{\"x\":1}");
	env.payload_len = 7;
	assert_int_equal(dsse_add_signature(&env, "kid", sig, 3), 0);
	assert_int_equal(dsse_serialise(&env, &text, &len), 0);
	assert_string_equal(text, "{\"payload\":\"eyJ4IjoxfQ==\",\"payloadType\":"
				  "\"application/vnd.in-toto+json\",\"signatures\":"
				  "[{\"keyid\":\"kid\",\"sig\":\"AQID\"}]}\n");
	assert_int_equal(dsse_parse(text, len, &back, NULL, 0), 0);
	assert_string_equal(back.payload_type, DSSE_PAYLOAD_TYPE_INTOTO);
	assert_int_equal(back.payload_len, 7);
	assert_memory_equal(back.payload, "{\"x\":1}", 7);
	assert_int_equal(back.n_sigs, 1);
	assert_string_equal(back.sigs[0].keyid, "kid");
	assert_memory_equal(back.sigs[0].sig, sig, 3);
	dsse_envelope_free(&back);
	dsse_envelope_free(&env);
	free(text);
}

static void parse_unescapes_and_ignores_unknown_members(void **state)
{
	const char *text = " {\"x\":[1,{\"y\":null}],\"payloadType\":\"a\\u0062\\/\\u00e9\","
			   "\"payload\":\"aGk\",\"signatures\":[{\"keyid\":\"\",\"sig\":\"AQ==\"}]}\n";
	struct dsse_envelope env;

	(void)state;
	assert_int_equal(dsse_parse(text, strlen(text), &env, NULL, 0), 0);
	assert_string_equal(env.payload_type, "ab/\xc3\xa9");
	assert_int_equal(env.payload_len, 2);
	assert_memory_equal(env.payload, "hi", 2);
	assert_int_equal(env.n_sigs, 1);
	assert_int_equal(env.sigs[0].sig_len, 1);
	dsse_envelope_free(&env);
}

static void parse_rejects_bad_envelopes(void **state)
{
	static const struct {
		const char *text;
		int err;
	} cases[] = {
		{ "not json", -EBADMSG },
		{ "[]", -EBADMSG },
		{ "{\"payload\":\"eA==\",\"payloadType\":\"t\"}", -EBADMSG },
		{ "{\"payload\":\"eA==\",\"payloadType\":1,\"signatures\":[]}", -EBADMSG },
		{ "{\"payload\":\"e!A=\",\"payloadType\":\"t\",\"signatures\":[]}", -EINVAL },
		{ "{\"payload\":\"eA==\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"%%\"}]}", -EINVAL },
		{ "{\"payload\":\"eA==\",\"payloadType\":\"t\",\"signatures\":[{\"keyid\":\"k\"}]}", -EBADMSG },
		{ "{\"payload\":\"eA==\",\"payload\":\"eA==\",\"payloadType\":\"t\",\"signatures\":[]}", -EBADMSG },
		{ "{\"payload\":\"eA==\",\"payloadType\":\"t\",\"signatures\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", -ELOOP },
		{ "{\"payload\":\"eA==\",\"payloadType\":\"t\",\"signatures\":[]} x", -EBADMSG },
		{ "{\"payload\":\"eA==\",\"payloadType\":\"t\",\"signatures\":[],\"x\":{\"a\":1,\"a\":2}}", -EBADMSG },
		{ "{\"payload\":\"eA==\",\"payloadType\":\"t\\u0000\",\"signatures\":[]}", -EBADMSG },
		{ "{\"payload\":\"eA==\",\"payloadType\":\"\xff\",\"signatures\":[]}", -EBADMSG },
		{ "{\"payload\":\"eA==\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AQID\"}]", -EBADMSG },
	};
	struct dsse_envelope env;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = dsse_parse(cases[i].text, strlen(cases[i].text), &env, err, sizeof(err));

		if (ret != cases[i].err)
			fail_msg("case %zu: got %d want %d (%s)", i, ret, cases[i].err, err);
		assert_true(err[0] != '\0');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pae_matches_spec_vector),
		cmocka_unit_test(pae_of_empty_body),
		cmocka_unit_test(base64_round_trips_rfc4648_vectors),
		cmocka_unit_test(base64_accepts_url_safe_and_unpadded),
		cmocka_unit_test(base64_rejects_invalid),
		cmocka_unit_test(envelope_round_trips),
		cmocka_unit_test(parse_unescapes_and_ignores_unknown_members),
		cmocka_unit_test(parse_rejects_bad_envelopes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

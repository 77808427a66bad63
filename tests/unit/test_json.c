/* Unit tests for provenance/json: bounded parsing, deterministic dumps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"

static void parse_rejects_duplicate_keys(void **state)
{
	const char *text = "{\"a\":1,\"a\":2}";
	char err[128];
	json_t *v;

	(void)state;
	assert_int_equal(json_parse_bounded(text, strlen(text), 1024, 8, &v, err, sizeof(err)),
			 -EBADMSG);
	assert_null(v);
	assert_non_null(strstr(err, "duplicate"));
}

static void parse_rejects_deep_nesting(void **state)
{
	char text[256];
	json_t *v;

	(void)state;
	memset(text, '[', 100);
	memset(text + 100, ']', 100);
	text[200] = '\0';
	assert_int_equal(json_parse_bounded(text, 200, 1024, 32, &v, NULL, 0), -ELOOP);
	assert_int_equal(json_parse_bounded(text + 70, 60, 1024, 32, &v, NULL, 0), 0);
	json_decref(v);
}

static void depth_ignores_brackets_in_strings(void **state)
{
	const char *text = "{\"a\":\"[[[[{{{{\\\"[[[\"}";

	(void)state;
	assert_int_equal(json_nesting_depth(text, strlen(text), 4), 1);
}

static void parse_rejects_oversize_and_garbage(void **state)
{
	const char *text = "{\"a\":\"bcdefgh\"}";
	json_t *v;

	(void)state;
	assert_int_equal(json_parse_bounded(text, strlen(text), 10, 8, &v, NULL, 0), -EFBIG);
	assert_int_equal(json_parse_bounded("{\"a\":", 5, 100, 8, &v, NULL, 0), -EBADMSG);
	assert_int_equal(json_parse_bounded("hello", 5, 100, 8, &v, NULL, 0), -EBADMSG);
}

static void dump_is_sorted_and_compact(void **state)
{
	json_t *v = json_pack("{si ss s[ii]}", "zeta", 1, "alpha", "x", "mid", 2, 3);
	char *text;
	size_t len;

	(void)state;
	assert_int_equal(json_dump_deterministic(v, &text, &len), 0);
	assert_string_equal(text, "{\"alpha\":\"x\",\"mid\":[2,3],\"zeta\":1}");
	assert_int_equal(len, strlen(text));
	free(text);
	json_decref(v);
}

static void dump_refuses_reals_booleans_null(void **state)
{
	json_t *r = json_pack("{sf}", "x", 1.5), *b = json_pack("{sb}", "x", 1);
	json_t *n = json_pack("[n]");
	char *text;

	(void)state;
	assert_int_equal(json_dump_deterministic(r, &text, NULL), -EINVAL);
	assert_int_equal(json_dump_deterministic(b, &text, NULL), -EINVAL);
	assert_int_equal(json_dump_deterministic(n, &text, NULL), -EINVAL);
	json_decref(r);
	json_decref(b);
	json_decref(n);
}

/* A logged argv's {"percent": TEXT} items become strings, each noted by
 * its JSON pointer; anything else that is not a string refuses the whole
 * array and leaves it and the notes as they were. */
static void argv_texts_marks_encoded(void **state)
{
	json_t *argv = json_loads("[\"cc\",{\"percent\":\"x%FF\"},\"-c\",{\"percent\":\"%E9\"}]",
				  0, NULL);
	json_t *enc = NULL, *bad;
	char *text;

	(void)state;
	assert_int_equal(json_argv_texts(argv, &enc, "/argv"), 0);
	text = json_dumps(argv, JSON_COMPACT);
	assert_string_equal(text, "[\"cc\",\"x%FF\",\"-c\",\"%E9\"]");
	free(text);
	text = json_dumps(enc, JSON_COMPACT);
	assert_string_equal(text, "[\"/argv/1\",\"/argv/3\"]");
	free(text);
	json_decref(argv);
	bad = json_loads("[{\"percent\":\"%E9\"},{\"percent\":1}]", 0, NULL);
	assert_int_equal(json_argv_texts(bad, &enc, "/argv"), -EINVAL);
	assert_true(json_is_object(json_array_get(bad, 0)));
	assert_int_equal(json_array_size(enc), 2);
	json_decref(bad);
	bad = json_loads("[\"a\",5]", 0, NULL);
	assert_int_equal(json_argv_texts(bad, &enc, "/argv"), -EINVAL);
	json_decref(bad);
	assert_int_equal(json_argv_texts(NULL, &enc, "/argv"), -EINVAL);
	json_decref(enc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_rejects_duplicate_keys),
		cmocka_unit_test(parse_rejects_deep_nesting),
		cmocka_unit_test(depth_ignores_brackets_in_strings),
		cmocka_unit_test(parse_rejects_oversize_and_garbage),
		cmocka_unit_test(dump_is_sorted_and_compact),
		cmocka_unit_test(dump_refuses_reals_booleans_null),
		cmocka_unit_test(argv_texts_marks_encoded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

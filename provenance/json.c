#include "json.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int json_nesting_depth(const char *buf, size_t len, int max_depth)
{
	int depth = 0, deepest = 0, in_string = 0, escaped = 0;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (in_string) {
			if (escaped)
				escaped = 0;
			else if (c == '\\')
				escaped = 1;
			else if (c == '"')
				in_string = 0;
			continue;
		}
		if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			depth++;
			if (depth > max_depth)
				return -1;
			if (depth > deepest)
				deepest = depth;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return deepest;
}

static void set_err(char *err, size_t errlen, const char *fmt, const char *detail)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, detail);
}

int json_parse_bounded(const char *buf, size_t len, size_t max_len, int max_depth,
		       json_t **out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *value;

	*out = NULL;
	if (len > max_len) {
		set_err(err, errlen, "%s", "input too large");
		return -EFBIG;
	}
	if (json_nesting_depth(buf, len, max_depth) < 0) {
		set_err(err, errlen, "%s", "nesting too deep");
		return -ELOOP;
	}
	value = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!value) {
		set_err(err, errlen, "%s", jerr.text);
		return -EBADMSG;
	}
	*out = value;
	return 0;
}

int json_check_deterministic(const json_t *value)
{
	const char *key;
	json_t *member;
	size_t i;

	switch (json_typeof(value)) {
	case JSON_OBJECT:
		json_object_foreach((json_t *)value, key, member) {
			if (json_check_deterministic(member))
				return -EINVAL;
		}
		return 0;
	case JSON_ARRAY:
		json_array_foreach(value, i, member) {
			if (json_check_deterministic(member))
				return -EINVAL;
		}
		return 0;
	case JSON_STRING:
	case JSON_INTEGER:
		return 0;
	default:
		return -EINVAL;
	}
}

int json_dump_deterministic(const json_t *value, char **out, size_t *len)
{
	char *text;

	if (json_check_deterministic(value))
		return -EINVAL;
	text = json_dumps(value, JSON_SORT_KEYS | JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	*out = text;
	if (len)
		*len = strlen(text);
	return 0;
}

json_t *json_percent_string(const char *s)
{
	char *buf = percent_encode(s, strlen(s));
	json_t *v = buf ? json_string(buf) : NULL;

	free(buf);
	return v;
}

json_t *json_text(const char *s, int *encoded)
{
	json_t *v = json_string(s);

	if (encoded)
		*encoded = v == NULL;
	return v ? v : json_percent_string(s);
}

int json_note_encoded(json_t **enc, const char *base, const char *key)
{
	size_t n = strlen(base), k = strlen(key);
	char *ptr = malloc(n + 2 * k + 2), *p;
	int ret;

	if (!ptr)
		return -ENOMEM;
	p = ptr + n;
	memcpy(ptr, base, n);
	*p++ = '/';
	for (const char *c = key; *c; c++) {
		if (*c == '~' || *c == '/') {
			*p++ = '~';
			*p++ = *c == '~' ? '0' : '1';
		} else {
			*p++ = *c;
		}
	}
	*p = '\0';
	if (!*enc)
		*enc = json_array();
	ret = *enc && !json_array_append_new(*enc, json_string(ptr)) ? 0 : -ENOMEM;
	free(ptr);
	return ret;
}

int json_argv_texts(json_t *argv, json_t **enc, const char *base)
{
	size_t i;
	json_t *item;

	if (!json_is_array(argv))
		return -EINVAL;
	json_array_foreach(argv, i, item) {
		if (!json_is_string(item) &&
		    (!json_get_string(item, "percent") || json_object_size(item) != 1))
			return -EINVAL;
	}
	json_array_foreach(argv, i, item) {
		char idx[24];

		if (json_is_string(item))
			continue;
		snprintf(idx, sizeof(idx), "%zu", i);
		if (json_array_set_new(argv, i, json_string(json_get_string(item, "percent"))) ||
		    json_note_encoded(enc, base, idx))
			return -ENOMEM;
	}
	return 0;
}

int json_put_encoded(int ret, json_t *obj, json_t *enc)
{
	if (ret || !enc) {
		json_decref(enc);
		return ret;
	}
	return json_object_set_new(obj, "percentEncoded", enc) ? -ENOMEM : 0;
}

int json_set_text(json_t *obj, const char *key, const char *s)
{
	int encoded;
	json_t *v = json_text(s ? s : "", &encoded), *enc;

	if (!v || json_object_set_new(obj, key, v))
		return -ENOMEM;
	if (!encoded)
		return 0;
	enc = json_object_get(obj, "percentEncoded");
	if (enc)
		return json_note_encoded(&enc, "", key);
	if (json_note_encoded(&enc, "", key)) {
		json_decref(enc);
		return -ENOMEM;
	}
	return json_object_set_new(obj, "percentEncoded", enc) ? -ENOMEM : 0;
}

json_t *json_with_texts(json_t *obj, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, obj);
	while (obj && (key = va_arg(ap, const char *))) {
		const char *value = va_arg(ap, const char *);

		if (value && json_set_text(obj, key, value)) {
			json_decref(obj);
			obj = NULL;
		}
	}
	va_end(ap);
	return obj;
}

const char *json_get_string(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *json_get_object(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_object(v) ? v : NULL;
}

json_t *json_get_array(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_array(v) ? v : NULL;
}

#include "dsse.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *dsse_base64_encode(const uint8_t *in, size_t len)
{
	size_t out_len = 4 * ((len + 2) / 3);
	char *out = malloc(out_len + 1);
	char *p = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		*p++ = b64_std[v >> 18];
		*p++ = b64_std[(v >> 12) & 63];
		*p++ = b64_std[(v >> 6) & 63];
		*p++ = b64_std[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		*p++ = b64_std[v >> 18];
		*p++ = b64_std[(v >> 12) & 63];
		*p++ = i + 1 < len ? b64_std[(v >> 6) & 63] : '=';
		*p++ = '=';
	}
	*p = '\0';
	return out;
}

/* Value of one base64 character in either alphabet, or -1. */
static int b64_value(unsigned char c, int *alphabet)
{
	int kind = 0; /* 1 standard-only char, 2 url-only char */
	int v;

	if (c >= 'A' && c <= 'Z')
		v = c - 'A';
	else if (c >= 'a' && c <= 'z')
		v = c - 'a' + 26;
	else if (c >= '0' && c <= '9')
		v = c - '0' + 52;
	else if (c == '+' || c == '/')
		v = c == '+' ? 62 : 63, kind = 1;
	else if (c == '-' || c == '_')
		v = c == '-' ? 62 : 63, kind = 2;
	else
		return -1;
	if (kind) {
		if (*alphabet && *alphabet != kind)
			return -1; /* mixing the two alphabets */
		*alphabet = kind;
	}
	return v;
}

int dsse_base64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len)
{
	size_t pad = 0, data_len, n = 0;
	uint32_t acc = 0;
	int bits = 0, alphabet = 0;
	uint8_t *buf;

	while (pad < 2 && len > pad && text[len - 1 - pad] == '=')
		pad++;
	data_len = len - pad;
	if (pad && len % 4)
		return -EINVAL;
	if (data_len % 4 == 1)
		return -EINVAL;
	buf = malloc(data_len / 4 * 3 + 3);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < data_len; i++) {
		int v = b64_value((unsigned char)text[i], &alphabet);

		if (v < 0) {
			free(buf);
			return -EINVAL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* Leftover bits must be zero, else two texts decode to the same bytes. */
	if (bits && (acc & ((1u << bits) - 1))) {
		free(buf);
		return -EINVAL;
	}
	if (pad && (data_len % 4) + pad != 4) {
		free(buf);
		return -EINVAL;
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}

int dsse_pae(const char *type, const uint8_t *body, size_t body_len, uint8_t **out, size_t *out_len)
{
	size_t type_len = strlen(type);
	char head[64];
	int head_len;
	uint8_t *buf;
	size_t total;

	head_len = snprintf(head, sizeof(head), "DSSEv1 %zu ", type_len);
	total = (size_t)head_len + type_len + 1 + 24 + body_len;
	buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, head, (size_t)head_len);
	memcpy(buf + head_len, type, type_len);
	total = (size_t)head_len + type_len;
	total += (size_t)sprintf((char *)buf + total, " %zu ", body_len);
	if (body_len)
		memcpy(buf + total, body, body_len);
	*out = buf;
	*out_len = total + body_len;
	return 0;
}

static int fail(char *err, size_t errlen, int code, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return code;
}

static int parse_signatures(json_t *arr, struct dsse_envelope *env, char *err, size_t errlen)
{
	size_t i;
	json_t *item;

	if (json_array_size(arr) > DSSE_MAX_SIGNATURES)
		return fail(err, errlen, -E2BIG, "too many signatures");
	json_array_foreach(arr, i, item) {
		const char *keyid = json_get_string(item, "keyid");
		json_t *sig = json_object_get(item, "sig");
		uint8_t *raw;
		size_t raw_len;
		int ret;

		if (!json_is_object(item) || !json_is_string(sig))
			return fail(err, errlen, -EBADMSG, "signature entry lacks a 'sig' string");
		if (json_object_get(item, "keyid") && !keyid)
			return fail(err, errlen, -EBADMSG, "signature 'keyid' is not a string");
		ret = dsse_base64_decode(json_string_value(sig), json_string_length(sig), &raw, &raw_len);
		if (ret == -EINVAL)
			return fail(err, errlen, ret, "signature is not valid base64");
		if (ret)
			return ret;
		ret = dsse_add_signature(env, keyid ? keyid : "", raw, raw_len);
		free(raw);
		if (ret)
			return ret;
	}
	return 0;
}

int dsse_parse(const char *buf, size_t len, struct dsse_envelope *env, char *err, size_t errlen)
{
	json_t *root, *payload, *sigs;
	const char *type;
	int ret;

	memset(env, 0, sizeof(*env));
	ret = json_parse_bounded(buf, len, DSSE_MAX_ENVELOPE_BYTES, DSSE_MAX_DEPTH, &root, err, errlen);
	if (ret)
		return ret;
	if (!json_is_object(root)) {
		ret = fail(err, errlen, -EBADMSG, "envelope is not a JSON object");
		goto out;
	}
	type = json_get_string(root, "payloadType");
	payload = json_object_get(root, "payload");
	sigs = json_get_array(root, "signatures");
	if (!type || !json_is_string(payload) || !sigs) {
		ret = fail(err, errlen, -EBADMSG,
			   "envelope lacks 'payload', 'payloadType' or 'signatures'");
		goto out;
	}
	env->payload_type = strdup(type);
	if (!env->payload_type) {
		ret = -ENOMEM;
		goto out;
	}
	ret = dsse_base64_decode(json_string_value(payload), json_string_length(payload),
				 &env->payload, &env->payload_len);
	if (ret == -EINVAL)
		ret = fail(err, errlen, ret, "payload is not valid base64");
	if (ret)
		goto out;
	ret = parse_signatures(sigs, env, err, errlen);
out:
	json_decref(root);
	if (ret)
		dsse_envelope_free(env);
	return ret;
}

int dsse_serialise(const struct dsse_envelope *env, char **out, size_t *len)
{
	json_t *root = json_object(), *sigs = json_array();
	char *payload = dsse_base64_encode(env->payload, env->payload_len);
	char *text = NULL;
	int ret = -ENOMEM;

	if (!root || !sigs || !payload)
		goto out;
	json_object_set_new(root, "payloadType", json_string(env->payload_type));
	json_object_set_new(root, "payload", json_string(payload));
	for (size_t i = 0; i < env->n_sigs; i++) {
		char *sig = dsse_base64_encode(env->sigs[i].sig, env->sigs[i].sig_len);
		json_t *item = json_object();

		if (!sig || !item) {
			free(sig);
			json_decref(item);
			goto out;
		}
		json_object_set_new(item, "keyid", json_string(env->sigs[i].keyid));
		json_object_set_new(item, "sig", json_string(sig));
		free(sig);
		json_array_append_new(sigs, item);
	}
	json_object_set(root, "signatures", sigs);
	ret = json_dump_deterministic(root, &text, NULL);
	if (ret)
		goto out;
	if (asprintf(out, "%s\n", text) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	*len = strlen(*out);
out:
	free(text);
	free(payload);
	json_decref(sigs);
	json_decref(root);
	return ret;
}

int dsse_add_signature(struct dsse_envelope *env, const char *keyid, const uint8_t *sig, size_t sig_len)
{
	struct dsse_signature *grown, *s;

	grown = realloc(env->sigs, (env->n_sigs + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	env->sigs = grown;
	s = &env->sigs[env->n_sigs];
	s->keyid = strdup(keyid);
	s->sig = malloc(sig_len ? sig_len : 1);
	if (!s->keyid || !s->sig) {
		free(s->keyid);
		free(s->sig);
		return -ENOMEM;
	}
	memcpy(s->sig, sig, sig_len);
	s->sig_len = sig_len;
	env->n_sigs++;
	return 0;
}

void dsse_envelope_free(struct dsse_envelope *env)
{
	for (size_t i = 0; i < env->n_sigs; i++) {
		free(env->sigs[i].keyid);
		free(env->sigs[i].sig);
	}
	free(env->sigs);
	free(env->payload_type);
	free(env->payload);
	memset(env, 0, sizeof(*env));
}

#include "dsse.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
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

/* Value of each byte in the standard (kind 1) or URL-safe (kind 2)
 * alphabet: 0-63, with the kind in bits 6-7 for '+' '/' '-' '_'; 0xff for
 * bytes in neither. */
static uint8_t b64_table[256];
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void b64_table_init(void)
{
	memset(b64_table, 0xff, sizeof(b64_table));
	for (int i = 0; i < 64; i++)
		b64_table[(unsigned char)b64_std[i]] = (uint8_t)i;
	b64_table['+'] = 62 | 1 << 6;
	b64_table['/'] = 63 | 1 << 6;
	b64_table['-'] = 62 | 2 << 6;
	b64_table['_'] = 63 | 2 << 6;
}

int dsse_base64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len)
{
	size_t pad = 0, data_len, n = 0, i;
	uint32_t acc = 0;
	int bits = 0, kinds = 0;
	uint8_t *buf;

	pthread_once(&b64_once, b64_table_init);
	while (pad < 2 && len > pad && text[len - 1 - pad] == '=')
		pad++;
	data_len = len - pad;
	if ((pad && len % 4) || data_len % 4 == 1 || (pad && (data_len % 4) + pad != 4))
		return -EINVAL;
	buf = malloc(data_len / 4 * 3 + 3);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i + 4 <= data_len; i += 4) {
		uint8_t a = b64_table[(unsigned char)text[i]], b = b64_table[(unsigned char)text[i + 1]];
		uint8_t c = b64_table[(unsigned char)text[i + 2]], d = b64_table[(unsigned char)text[i + 3]];
		uint8_t any = a | b | c | d;

		if (any == 0xff || (any & 0xc0)) {
			if (a == 0xff || b == 0xff || c == 0xff || d == 0xff)
				goto bad;
			kinds |= (a | b | c | d) >> 6;
			a &= 63, b &= 63, c &= 63, d &= 63;
		}
		buf[n++] = (uint8_t)(a << 2 | b >> 4);
		buf[n++] = (uint8_t)(b << 4 | c >> 2);
		buf[n++] = (uint8_t)(c << 6 | d);
	}
	for (; i < data_len; i++) {
		uint8_t v = b64_table[(unsigned char)text[i]];

		if (v == 0xff)
			goto bad;
		kinds |= v >> 6;
		acc = acc << 6 | (v & 63);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* Mixing alphabets, or non-zero leftover bits (two texts for the same
	 * bytes), is not base64. */
	if (kinds == 3 || (bits && (acc & ((1u << bits) - 1))))
		goto bad;
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
bad:
	free(buf);
	return -EINVAL;
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

static size_t max_envelope = DSSE_MAX_ENVELOPE_BYTES;

size_t dsse_max_envelope(void)
{
	return max_envelope;
}

void dsse_set_max_envelope(size_t bytes)
{
	max_envelope = bytes;
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

/*
 * The envelope's top level is scanned here rather than by jansson: the
 * payload is one long base64 string, and jansson's byte-at-a-time string
 * lexer made parsing a 10,000-input manifest's envelope cost more than the
 * whole verification budget.  Every other member value (the signatures and
 * any unknown member) is still handed to jansson, with duplicate keys
 * rejected, so only the scanner below has to be right about strings.
 */
struct scan {
	const char *p, *end;
};

static void scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Appends code point cp as UTF-8. */
static char *put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* Strict UTF-8 check (no overlongs, no surrogates, <= U+10FFFF). */
static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		unsigned cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return 0;
		if (i + len > n)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* Scans a JSON string at s->p (the opening quote) into a malloc'd,
 * NUL-terminated copy; -EBADMSG if malformed, contains NUL or invalid UTF-8. */
static int scan_string(struct scan *s, char **out, size_t *out_len)
{
	const char *start, *q;
	char *buf, *o;

	if (s->p >= s->end || *s->p != '"')
		return -EBADMSG;
	start = ++s->p;
	/* Fast path: no escapes. */
	for (q = start; q < s->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20; q++)
		;
	if (q < s->end && *q == '"') {
		if (!utf8_valid((const unsigned char *)start, (size_t)(q - start)))
			return -EBADMSG;
		buf = malloc((size_t)(q - start) + 1);
		if (!buf)
			return -ENOMEM;
		memcpy(buf, start, (size_t)(q - start));
		buf[q - start] = '\0';
		*out = buf;
		*out_len = (size_t)(q - start);
		s->p = q + 1;
		return 0;
	}
	buf = malloc((size_t)(s->end - start) + 1);
	if (!buf)
		return -ENOMEM;
	o = buf;
	for (q = start; q < s->end && *q != '"'; q++) {
		unsigned cp, lo;

		if ((unsigned char)*q < 0x20)
			goto bad;
		if (*q != '\\') {
			*o++ = *q;
			continue;
		}
		if (++q >= s->end)
			goto bad;
		switch (*q) {
		case '"': case '\\': case '/': *o++ = *q; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (s->end - q < 5 || hex4(q + 1, &cp))
				goto bad;
			q += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (s->end - q < 7 || q[1] != '\\' || q[2] != 'u' || hex4(q + 3, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					goto bad;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				q += 6;
			} else if ((cp >= 0xdc00 && cp <= 0xdfff) || cp == 0) {
				goto bad;
			}
			o = put_utf8(o, cp);
			break;
		default:
			goto bad;
		}
	}
	if (q >= s->end || !utf8_valid((const unsigned char *)buf, (size_t)(o - buf)))
		goto bad;
	*o = '\0';
	*out = buf;
	*out_len = (size_t)(o - buf);
	s->p = q + 1;
	return 0;
bad:
	free(buf);
	return -EBADMSG;
}

/* Finds the end of the value at s->p (jansson validates it afterwards);
 * -ELOOP past DSSE_MAX_DEPTH, -EBADMSG if it runs off the end. */
static int scan_skip_value(struct scan *s)
{
	int depth = 0;

	do {
		if (s->p >= s->end)
			return -EBADMSG;
		if (*s->p == '"') {
			for (s->p++; s->p < s->end && *s->p != '"'; s->p++) {
				if (*s->p == '\\')
					s->p++;
			}
			if (s->p >= s->end)
				return -EBADMSG;
			s->p++;
		} else if (*s->p == '[' || *s->p == '{') {
			if (++depth > DSSE_MAX_DEPTH)
				return -ELOOP;
			s->p++;
		} else if (*s->p == ']' || *s->p == '}') {
			if (--depth < 0)
				return -EBADMSG;
			s->p++;
		} else if (depth == 0) {
			/* A scalar at top level: up to a delimiter. */
			while (s->p < s->end && !strchr(",}] \t\r\n", *s->p))
				s->p++;
		} else {
			s->p++;
		}
	} while (depth > 0);
	return 0;
}

static int parse_member_value(struct scan *s, const char *key, struct dsse_envelope *env,
			      json_t **sigs, char *err, size_t errlen)
{
	const char *start = s->p;
	json_error_t jerr;
	json_t *v;
	char *str;
	size_t len;
	int ret;

	if (!strcmp(key, "payload") || !strcmp(key, "payloadType")) {
		if (s->p >= s->end || *s->p != '"')
			return fail(err, errlen, -EBADMSG, "'payload' and 'payloadType' must be strings");
		ret = scan_string(s, &str, &len);
		if (ret == -EBADMSG)
			return fail(err, errlen, ret, "malformed string in envelope");
		if (ret)
			return ret;
		if (!strcmp(key, "payloadType")) {
			env->payload_type = str;
			return 0;
		}
		ret = dsse_base64_decode(str, len, &env->payload, &env->payload_len);
		free(str);
		if (ret == -EINVAL)
			return fail(err, errlen, ret, "payload is not valid base64");
		return ret;
	}
	ret = scan_skip_value(s);
	if (ret == -ELOOP)
		return fail(err, errlen, ret, "nesting too deep");
	if (ret)
		return fail(err, errlen, ret, "truncated envelope");
	v = json_loadb(start, (size_t)(s->p - start), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	if (!v) {
		if (err && errlen)
			snprintf(err, errlen, "%s", jerr.text);
		return -EBADMSG;
	}
	if (!strcmp(key, "signatures"))
		*sigs = v;
	else
		json_decref(v);
	return 0;
}

int dsse_parse(const char *buf, size_t len, struct dsse_envelope *env, char *err, size_t errlen)
{
	struct scan s = { buf, buf + len };
	const char *seen[16];
	size_t n_seen = 0;
	json_t *sigs = NULL;
	int ret = 0;

	memset(env, 0, sizeof(*env));
	if (len > max_envelope)
		return fail(err, errlen, -EFBIG, "input too large");
	scan_ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return fail(err, errlen, -EBADMSG, "envelope is not a JSON object");
	s.p++;
	scan_ws(&s);
	if (s.p < s.end && *s.p == '}')
		s.p++;
	else
		for (;;) {
			char *key;
			size_t klen;

			ret = scan_string(&s, &key, &klen);
			if (ret) {
				if (ret == -EBADMSG)
					fail(err, errlen, ret, "malformed object key in envelope");
				break;
			}
			for (size_t i = 0; i < n_seen && !ret; i++) {
				if (!strcmp(seen[i], key))
					ret = fail(err, errlen, -EBADMSG, "duplicate object key in envelope");
			}
			if (!ret && n_seen == sizeof(seen) / sizeof(seen[0]))
				ret = fail(err, errlen, -EBADMSG, "too many members in envelope");
			if (ret) {
				free(key);
				break;
			}
			seen[n_seen++] = key;
			scan_ws(&s);
			if (s.p >= s.end || *s.p != ':') {
				ret = fail(err, errlen, -EBADMSG, "malformed envelope: expected ':'");
				break;
			}
			s.p++;
			scan_ws(&s);
			ret = parse_member_value(&s, key, env, &sigs, err, errlen);
			if (ret)
				break;
			scan_ws(&s);
			if (s.p < s.end && *s.p == ',') {
				s.p++;
				scan_ws(&s);
				continue;
			}
			if (s.p < s.end && *s.p == '}') {
				s.p++;
				break;
			}
			ret = fail(err, errlen, -EBADMSG, "malformed envelope: expected ',' or '}'");
			break;
		}
	for (size_t i = 0; i < n_seen; i++)
		free((char *)seen[i]);
	if (!ret) {
		scan_ws(&s);
		if (s.p != s.end)
			ret = fail(err, errlen, -EBADMSG, "trailing data after the envelope");
	}
	if (!ret && (!env->payload_type || !env->payload || !json_is_array(sigs)))
		ret = fail(err, errlen, -EBADMSG,
			   "envelope lacks 'payload', 'payloadType' or 'signatures'");
	if (!ret)
		ret = parse_signatures(sigs, env, err, errlen);
	json_decref(sigs);
	if (ret)
		dsse_envelope_free(env);
	return ret;
}

/* A short string as a JSON string literal (quoted, escaped); malloc'd. */
static char *json_quote(const char *s)
{
	json_t *v = json_string(s);
	char *text = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

	json_decref(v);
	return text;
}

/* Written by hand rather than through jansson: the payload is one long
 * base64 string, which jansson's dumper escapes byte by byte.  Base64 never
 * needs escaping, and the keys are written in sorted order, so the result is
 * the same compact sorted JSON that json_dump_deterministic would give. */
int dsse_serialise(const struct dsse_envelope *env, char **out, size_t *len)
{
	char *payload = dsse_base64_encode(env->payload, env->payload_len);
	char *type = json_quote(env->payload_type);
	size_t cap, n;
	char *buf = NULL;
	int ret = -ENOMEM;

	if (!payload || !type)
		goto out;
	cap = strlen(payload) + strlen(type) + 64;
	for (size_t i = 0; i < env->n_sigs; i++)
		cap += 6 * strlen(env->sigs[i].keyid) + 4 * env->sigs[i].sig_len / 3 + 40;
	buf = malloc(cap);
	if (!buf)
		goto out;
	n = (size_t)sprintf(buf, "{\"payload\":\"%s\",\"payloadType\":%s,\"signatures\":[", payload,
			    type);
	for (size_t i = 0; i < env->n_sigs; i++) {
		char *kid = json_quote(env->sigs[i].keyid);
		char *sig = dsse_base64_encode(env->sigs[i].sig, env->sigs[i].sig_len);

		if (kid && sig)
			n += (size_t)sprintf(buf + n, "%s{\"keyid\":%s,\"sig\":\"%s\"}", i ? "," : "",
					     kid, sig);
		free(kid);
		free(sig);
		if (!kid || !sig)
			goto out;
	}
	n += (size_t)sprintf(buf + n, "]}\n");
	*out = buf;
	*len = n;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	free(payload);
	free(type);
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

#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsse.h"
#include "json.h"

int manifest_sign(const json_t *statement, struct sign_key *const *keys, size_t n_keys,
		  char **out, size_t *len)
{
	struct dsse_envelope env = { 0 };
	uint8_t sig[SIGN_ED25519_SIG_LEN];
	uint8_t *pae = NULL;
	size_t pae_len, body_len;
	char *body = NULL;
	int ret;

	ret = json_dump_deterministic(statement, &body, &body_len);
	if (ret)
		return ret;
	env.payload_type = strdup(DSSE_PAYLOAD_TYPE_INTOTO);
	env.payload = (uint8_t *)body;
	env.payload_len = body_len;
	if (!env.payload_type) {
		ret = -ENOMEM;
		goto out;
	}
	ret = dsse_pae(env.payload_type, env.payload, env.payload_len, &pae, &pae_len);
	for (size_t i = 0; !ret && i < n_keys; i++) {
		ret = sign_message(keys[i], pae, pae_len, sig);
		if (!ret)
			ret = dsse_add_signature(&env, sign_key_id(keys[i]), sig, sizeof(sig));
	}
	if (!ret)
		ret = dsse_serialise(&env, out, len);
out:
	free(pae);
	dsse_envelope_free(&env);
	return ret;
}

/* The code point of the UTF-8 sequence at c and its length in *n, or -1
 * if c starts no valid one (overlong, surrogate, beyond U+10FFFF, cut). */
static long utf8_at(const unsigned char *c, int *n)
{
	long cp;
	int len;

	if (c[0] < 0x80) {
		*n = 1;
		return c[0];
	}
	len = c[0] >= 0xf0 ? 4 : c[0] >= 0xe0 ? 3 : c[0] >= 0xc0 ? 2 : 0;
	if (!len || c[0] > 0xf4)
		return -1;
	cp = c[0] & (0x7f >> len);
	for (int i = 1; i < len; i++) {
		if ((c[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (c[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return -1;
	*n = len;
	return cp;
}

/* Code points a terminal acts on, that reorder what is shown, or that
 * show as a plain space or nothing at all (so that "a\u00a0b" would read
 * as two words, and "app\u200b.bin" as "app.bin"): C1 controls (U+009B
 * is CSI), bidirectional controls, spaces other than U+0020, zero-width
 * and other format characters, variation selectors, tags. */
static int confusing_code_point(long cp)
{
	static const long ranges[][2] = {
		{ 0x80, 0xa0 },     { 0xad, 0xad },     { 0x34f, 0x34f },   { 0x61c, 0x61c },
		{ 0x115f, 0x1160 }, { 0x1680, 0x1680 }, { 0x17b4, 0x17b5 }, { 0x180b, 0x180f },
		{ 0x2000, 0x200f }, { 0x2028, 0x202f }, { 0x205f, 0x206f }, { 0x3000, 0x3000 },
		{ 0x3164, 0x3164 }, { 0xfe00, 0xfe0f }, { 0xfeff, 0xfeff }, { 0xffa0, 0xffa0 },
		{ 0xfff9, 0xfffb }, { 0x1d173, 0x1d17a }, { 0xe0000, 0xe0fff },
	};

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return 1;
	return 0;
}

char *manifest_printable(const char *s)
{
	char *out = malloc(4 * strlen(s) + 1), *p = out;

	if (!out)
		return NULL;
	for (const unsigned char *c = (const unsigned char *)s; *c;) {
		int n = 1;
		long cp = utf8_at(c, &n);

		if (cp < 0 || cp < 0x20 || cp == 0x7f)
			p += sprintf(p, "\\x%02x", *c);
		else if (cp == '\\')
			p += sprintf(p, "\\\\");
		else if (confusing_code_point(cp))
			p += sprintf(p, cp > 0xffff ? "\\U%08lx" : "\\u%04lx", cp);
		else
			p = (char *)memcpy(p, c, (size_t)n) + n;
		c += n;
	}
	*p = '\0';
	return out;
}

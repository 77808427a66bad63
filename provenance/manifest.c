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

char *manifest_printable(const char *s)
{
	char *out = malloc(4 * strlen(s) + 1), *p = out;

	if (!out)
		return NULL;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			p += sprintf(p, "\\x%02x", *c);
		else
			*p++ = (char)*c;
	}
	*p = '\0';
	return out;
}

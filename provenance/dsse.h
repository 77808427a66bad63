/*
 * dsse: the Dead Simple Signing Envelope (DSSE v1) in memory and as JSON.
 *
 * An envelope is {"payload": base64, "payloadType": text, "signatures":
 * [{"keyid": text, "sig": base64}]}.  Signatures cover the pre-authentication
 * encoding PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP
 * body, lengths in ASCII decimal, so the envelope's JSON never needs to be
 * canonical.  Parsing is strict: unknown top-level members are ignored as
 * the spec asks, but missing or mistyped members, invalid base64, duplicate
 * keys, deep nesting and oversize input are refused.
 *
 * Base64 here is RFC 4648: encoding writes the standard alphabet with
 * padding; decoding accepts the standard or the URL-safe alphabet, padded or
 * not, and nothing else (no whitespace, no non-zero trailing bits).
 */
#ifndef PROVFS_DSSE_H
#define PROVFS_DSSE_H

#include <stddef.h>
#include <stdint.h>

#define DSSE_PAYLOAD_TYPE_INTOTO "application/vnd.in-toto+json"

/* Largest envelope file (by default: see dsse_set_max_envelope) and
 * deepest JSON nesting the parser accepts. */
#define DSSE_MAX_ENVELOPE_BYTES ((size_t)256 << 20)
#define DSSE_MAX_DEPTH 32
#define DSSE_MAX_SIGNATURES 64

/* The largest envelope (and payload) the readers take: dsse_parse, and
 * verify_manifest's statement; DSSE_MAX_ENVELOPE_BYTES until set (a
 * reader asked to take a bigger manifest: provfs verify --max-size). */
size_t dsse_max_envelope(void);
void dsse_set_max_envelope(size_t bytes);

struct dsse_signature {
	char *keyid;   /* as found; "" when the envelope has none */
	uint8_t *sig;  /* decoded signature bytes */
	size_t sig_len;
};

struct dsse_envelope {
	char *payload_type;
	uint8_t *payload; /* decoded; NUL-terminated for convenience */
	size_t payload_len;
	struct dsse_signature *sigs;
	size_t n_sigs;
};

/* base64 of len bytes, malloc'd and NUL-terminated; NULL on ENOMEM. */
char *dsse_base64_encode(const uint8_t *in, size_t len);

/* Decodes text[0..len) into a malloc'd buffer (NUL-terminated, *out_len
 * bytes).  Returns 0, -EINVAL if it is not valid base64, -ENOMEM. */
int dsse_base64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len);

/* PAE(type, body) into a malloc'd buffer; 0 or -ENOMEM. */
int dsse_pae(const char *type, const uint8_t *body, size_t body_len, uint8_t **out, size_t *out_len);

/* Parses an envelope.  Returns 0, or -EBADMSG (not JSON / wrong shape /
 * duplicate keys), -EINVAL (bad base64), -EFBIG, -ELOOP (too deep),
 * -E2BIG (too many signatures); err gets a lowercase reason. */
int dsse_parse(const char *buf, size_t len, struct dsse_envelope *env, char *err, size_t errlen);

/* Serialises env as deterministic compact JSON (sorted keys) followed by a
 * newline; malloc'd into *out.  0 or -ENOMEM. */
int dsse_serialise(const struct dsse_envelope *env, char **out, size_t *len);

/* Appends a signature (copies keyid and sig).  0 or -ENOMEM. */
int dsse_add_signature(struct dsse_envelope *env, const char *keyid, const uint8_t *sig, size_t sig_len);

void dsse_envelope_free(struct dsse_envelope *env);

#endif

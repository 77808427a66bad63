/*
 * json: the one place provenance/ reads and writes JSON.
 *
 * Reading is bounded: input larger than a caller-given limit, nesting
 * deeper than a caller-given depth, or an object with the same key twice is
 * refused before or while jansson parses it, so hostile manifests cost at
 * most max_len bytes of parsing and never recurse deeply.
 *
 * Writing is deterministic: keys sorted, compact separators, and only
 * objects, arrays, strings and integers allowed (no reals, booleans or
 * null), so the same facts always serialise to the same bytes.
 */
#ifndef PROVFS_JSON_H
#define PROVFS_JSON_H

#include <jansson.h>
#include <stddef.h>

/* Limits used for manifests unless a caller has a reason for others. */
#define JSON_MANIFEST_MAX_BYTES ((size_t)64 << 20)
#define JSON_MANIFEST_MAX_DEPTH 32

/* Parses buf[0..len) into *out (an object or array).  Returns 0,
 * -EFBIG if len > max_len, -ELOOP if nesting exceeds max_depth, or
 * -EBADMSG if it is not JSON or repeats a key; err (if non-NULL) gets a
 * lowercase reason of at most errlen bytes. */
int json_parse_bounded(const char *buf, size_t len, size_t max_len, int max_depth,
		       json_t **out, char *err, size_t errlen);

/* Deepest nesting of arrays/objects in buf (strings are skipped), or -1 as
 * soon as it exceeds max_depth. */
int json_nesting_depth(const char *buf, size_t len, int max_depth);

/* 0 if value holds only objects, arrays, strings and integers, else
 * -EINVAL. */
int json_check_deterministic(const json_t *value);

/* Serialises value with sorted keys and compact separators into a
 * malloc'd NUL-terminated string (*len its length).  Refuses values that
 * fail json_check_deterministic with -EINVAL; -ENOMEM on allocation
 * failure. */
int json_dump_deterministic(const json_t *value, char **out, size_t *len);

/* Text from outside (a file name, an argument, a variable) as a JSON
 * string.  JSON strings are UTF-8; text that is not (a Latin-1 file name)
 * is written with '%' and every byte of 0x80 and above as %XX, and
 * *encoded is set to 1 (else 0), so the caller can say so beside it
 * (encoded may be NULL: a URI, a message).  json_percent_string encodes
 * whatever s is.  NULL on ENOMEM. */
json_t *json_text(const char *s, int *encoded);
json_t *json_percent_string(const char *s);

/* Appends to *enc (an array, made on first use) the JSON pointer (RFC
 * 6901) of member key of the object at pointer base ("" for the object
 * itself): base "/command", key "2" gives "/command/2".  -ENOMEM on
 * failure. */
int json_note_encoded(json_t **enc, const char *base, const char *key);

/* Makes an argv array as logged (fs/procinfo.h: procinfo_argv_json, its
 * closing null already taken by procinfo_argv_cut) all strings: each
 * {"percent": TEXT} becomes TEXT, and its pointer (base "/argv" gives
 * "/argv/3") is noted in *enc with json_note_encoded.  -EINVAL (argv
 * and *enc as they were) if argv is not such an array, -ENOMEM. */
int json_argv_texts(json_t *argv, json_t **enc, const char *base);

/* Adds "percentEncoded": enc to obj if anything was encoded (enc not
 * NULL); consumes enc, also when ret (an earlier failure) is already set.
 * Returns ret, or -ENOMEM if the member could not be added. */
int json_put_encoded(int ret, json_t *obj, json_t *enc);

/* Sets obj's member key to json_text(s) (NULL s: ""); if it had to be
 * encoded, appends "/key" (a JSON pointer, RFC 6901) to obj's
 * "percentEncoded" array.  -ENOMEM on failure. */
int json_set_text(json_t *obj, const char *key, const char *s);

/* obj with json_set_text applied to each KEY, VALUE pair of the
 * arguments, up to a NULL KEY; a NULL VALUE leaves its KEY out.  Returns
 * obj, or NULL (obj released) on failure or if obj is NULL, so that
 * json_with_texts(json_pack(...), "exe", exe, NULL) builds an object in one
 * expression. */
json_t *json_with_texts(json_t *obj, ...);

/* Small typed getters that return NULL/-1 when the member is missing or of
 * another type, so callers can check shape in one line. */
const char *json_get_string(const json_t *obj, const char *key);
json_t *json_get_object(const json_t *obj, const char *key);
json_t *json_get_array(const json_t *obj, const char *key);

#endif

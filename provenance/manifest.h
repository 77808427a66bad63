/*
 * manifest: a signed provfs manifest as a whole: a Statement serialised
 * deterministically, wrapped in a DSSE envelope and signed, plus the
 * helpers the commands share to present what a manifest says.
 *
 * manifest_sign produces the exact bytes written to disk: the same
 * statement and key always give the same manifest (Ed25519 is
 * deterministic and the JSON is sorted and compact).
 */
#ifndef PROVFS_MANIFEST_H
#define PROVFS_MANIFEST_H

#include <jansson.h>
#include <stddef.h>

#include "sign.h"

/* Signs statement with each of n keys; *out gets the envelope text (ending
 * in a newline).  0, -EINVAL (statement holds reals/booleans/null, or a
 * key lacks its private half), -ENOMEM. */
int manifest_sign(const json_t *statement, struct sign_key *const *keys, size_t n_keys,
		  char **out, size_t *len);

/* A copy of s safe to print on a terminal: control bytes, DEL and bytes
 * that are not valid UTF-8 become \xNN, a backslash \\, C1 controls,
 * bidirectional controls (U+202E...) and code points that show as a
 * space or as nothing (U+00A0, U+200B...) \uNNNN (\UNNNNNNNN above
 * U+FFFF).  malloc'd; NULL on ENOMEM. */
char *manifest_printable(const char *s);

#endif

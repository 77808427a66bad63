/*
 * libFuzzer target over manifest parsing and verification: every input is
 * handed to dsse_parse and to verify_manifest with a fixed trusted key, and
 * (so the statement checks are reached too) its bytes are also signed as a
 * payload with that key and verified.  The same bytes also go to the tree
 * parser (environment trees may come from another store) and to
 * manifest_printable (what show and log print of a name), and to the
 * parsers of an environment's os-release and dpkg status (an environment
 * imported from someone else's tarball is theirs to write).  Build with
 * tests/fuzz/build.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsse.h"
#include "envfacts.h"
#include "json.h"
#include "manifest.h"
#include "sign.h"
#include "statement.h"
#include "tree.h"
#include "verify.h"

static struct sign_key *key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return sign_key_generate(&key) ? 1 : 0;
}

/* Signs arbitrary bytes as an in-toto payload, so verification gets past
 * the signature stage and exercises the statement checks. */
static void verify_as_signed_payload(const uint8_t *data, size_t size)
{
	struct dsse_envelope env = { 0 };
	struct verify_options opt = { .keys = &key, .n_keys = 1, .threshold = 1 };
	struct verify_report report;
	uint8_t sig[SIGN_ED25519_SIG_LEN], *pae;
	size_t pae_len, len;
	char *text;

	env.payload_type = strdup(DSSE_PAYLOAD_TYPE_INTOTO);
	env.payload = malloc(size + 1);
	if (!env.payload_type || !env.payload)
		goto out;
	memcpy(env.payload, data, size);
	env.payload_len = size;
	if (dsse_pae(env.payload_type, env.payload, size, &pae, &pae_len))
		goto out;
	if (sign_message(key, pae, pae_len, sig) == 0 &&
	    dsse_add_signature(&env, sign_key_id(key), sig, sizeof(sig)) == 0 &&
	    dsse_serialise(&env, &text, &len) == 0) {
		if (verify_manifest(text, len, &opt, &report) == 0)
			verify_report_free(&report);
		free(text);
	}
	free(pae);
out:
	dsse_envelope_free(&env);
}

/* A visitor that reads every field of an entry, for the sanitizers. */
static int count_entry(void *arg, const struct tree_entry *e)
{
	size_t n = strlen(e->path) + (e->target ? strlen(e->target) : 0) + strlen(e->digest);

	(void)arg;
	return n == (size_t)-1;
}

/* The bytes as an environment's os-release and as its dpkg status; every
 * package kept must have all three fields. */
static void parse_as_environment_files(const char *text)
{
	struct envfacts facts = { 0 };

	envfacts_parse_os_release(text, &facts);
	if (envfacts_parse_dpkg_status(text, &facts) == 0)
		for (size_t i = 0; i < facts.n_packages; i++)
			if (!facts.packages[i].name || !facts.packages[i].version ||
			    !facts.packages[i].arch)
				abort();
	envfacts_free(&facts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verify_options opt = { .keys = &key, .n_keys = 1, .threshold = 1 };
	struct verify_report report;
	struct dsse_envelope env;
	char err[256];

	if (dsse_parse((const char *)data, size, &env, err, sizeof(err)) == 0)
		dsse_envelope_free(&env);
	if (verify_manifest((const char *)data, size, &opt, &report) == 0)
		verify_report_free(&report);
	verify_as_signed_payload(data, size);
	tree_parse((const char *)data, size, count_entry, NULL);
	{
		char *text = malloc(size + 1), *shown;

		if (text) {
			memcpy(text, data, size);
			text[size] = '\0';
			shown = manifest_printable(text);
			free(shown);
			parse_as_environment_files(text);
			free(text);
		}
	}
	return 0;
}

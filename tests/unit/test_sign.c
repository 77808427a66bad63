/* Unit tests for provenance/sign: keys, keyids, permissions, signatures. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sign.h"

static char dir[] = "/tmp/test_sign.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *in_dir(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void save_load_sign_verify(void **state)
{
	struct sign_key *key, *priv, *pub;
	uint8_t sig[SIGN_ED25519_SIG_LEN];
	struct stat st;

	(void)state;
	assert_int_equal(sign_key_generate(&key), 0);
	assert_int_equal(sign_key_save(key, in_dir("k1")), 0);
	assert_int_equal(stat(in_dir("k1.key"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(sign_key_load_private(in_dir("k1.key"), &priv), 0);
	assert_int_equal(sign_key_load_public(in_dir("k1.pub"), &pub), 0);
	assert_string_equal(sign_key_id(key), sign_key_id(priv));
	assert_string_equal(sign_key_id(key), sign_key_id(pub));
	assert_int_equal(strlen(sign_key_id(pub)), 64);
	assert_false(sign_key_is_private(pub));
	assert_int_equal(sign_message(priv, (const uint8_t *)"msg", 3, sig), 0);
	assert_int_equal(sign_verify_message(pub, (const uint8_t *)"msg", 3, sig, sizeof(sig)), 0);
	assert_int_equal(sign_verify_message(pub, (const uint8_t *)"msh", 3, sig, sizeof(sig)), -EBADMSG);
	sig[5] ^= 1;
	assert_int_equal(sign_verify_message(pub, (const uint8_t *)"msg", 3, sig, sizeof(sig)), -EBADMSG);
	assert_int_equal(sign_verify_message(pub, (const uint8_t *)"msg", 3, sig, 10), -EBADMSG);
	assert_int_equal(sign_message(pub, (const uint8_t *)"msg", 3, sig), -EINVAL);
	sign_key_free(key);
	sign_key_free(priv);
	sign_key_free(pub);
}

static void refuses_overwrite(void **state)
{
	struct sign_key *key;

	(void)state;
	assert_int_equal(sign_key_generate(&key), 0);
	assert_int_equal(sign_key_save(key, in_dir("k2")), 0);
	assert_int_equal(sign_key_save(key, in_dir("k2")), -EEXIST);
	sign_key_free(key);
}

static void refuses_loose_private_key(void **state)
{
	struct sign_key *key, *loaded;

	(void)state;
	assert_int_equal(sign_key_generate(&key), 0);
	assert_int_equal(sign_key_save(key, in_dir("k3")), 0);
	assert_int_equal(chmod(in_dir("k3.key"), 0640), 0);
	assert_int_equal(sign_key_load_private(in_dir("k3.key"), &loaded), -EPERM);
	assert_int_equal(chmod(in_dir("k3.key"), 0604), 0);
	assert_int_equal(sign_key_load_private(in_dir("k3.key"), &loaded), -EPERM);
	/* A public key given as the private one is no private key, whatever
	 * its mode (a .pub file is usually 0644). */
	assert_int_equal(chmod(in_dir("k3.pub"), 0644), 0);
	assert_int_equal(sign_key_load_private(in_dir("k3.pub"), &loaded), -EINVAL);
	sign_key_free(key);
}

static void rejects_non_keys(void **state)
{
	struct sign_key *key;
	FILE *f = fopen(in_dir("junk.pub"), "w");

	(void)state;
	fputs("-----BEGIN PUBLIC KEY-----\nnotbase64\n-----END PUBLIC KEY-----\n", f);
	fclose(f);
	assert_int_equal(sign_key_load_public(in_dir("junk.pub"), &key), -EINVAL);
	assert_int_equal(sign_key_load_public(in_dir("absent.pub"), &key), -ENOENT);
}

/* keyid = hex SHA-256 of the DER SubjectPublicKeyInfo; check one by hand
 * against the RFC 8032 test 1 public key. */
static void keyid_is_sha256_of_der(void **state)
{
	static const char pem[] =
		"-----BEGIN PUBLIC KEY-----\n"
		"MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
		"-----END PUBLIC KEY-----\n";
	struct sign_key *key;

	(void)state;
	assert_int_equal(sign_key_from_public_pem(pem, strlen(pem), &key), 0);
	/* sha256 of the 44 DER bytes, computed independently with python */
	assert_string_equal(sign_key_id(key),
			    "06e3fd8fda29bb60ab59557de61edb0aecdb231134be30e75b455f8e1b792fa9");
	sign_key_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(save_load_sign_verify),
		cmocka_unit_test(refuses_overwrite),
		cmocka_unit_test(refuses_loose_private_key),
		cmocka_unit_test(rejects_non_keys),
		cmocka_unit_test(keyid_is_sha256_of_der),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

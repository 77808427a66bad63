/*
 * sign: Ed25519 keys and signatures through OpenSSL 3 EVP.
 *
 * A key is an Ed25519 EVP_PKEY loaded from PEM (private: PKCS#8, public:
 * SubjectPublicKeyInfo).  Its keyid is the lowercase hex SHA-256 of the
 * public key's DER SubjectPublicKeyInfo, the same for the private and the
 * public half.  Private key files must not be readable or writable by group
 * or others (like ssh, loading refuses them with -EPERM); key files are
 * created with O_EXCL and never overwritten.  Ed25519 signs the message
 * itself (EVP_DigestSign with a NULL md), so signatures are deterministic.
 */
#ifndef PROVFS_SIGN_H
#define PROVFS_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SIGN_ED25519_SIG_LEN 64
/* Key files larger than this are refused as not being keys. */
#define SIGN_MAX_KEY_FILE 16384

struct sign_key;

/* A fresh key pair; 0 or -ENOMEM/-EIO. */
int sign_key_generate(struct sign_key **out);

/* Writes PREFIX.key (private, mode 0600) and PREFIX.pub (public PEM, 0644).
 * Refuses with -EEXIST if either exists; leaves neither behind on error. */
int sign_key_save(const struct sign_key *key, const char *prefix);

/* Loads a private key.  -ENOENT etc. from open, -EINVAL if it is not an
 * Ed25519 PEM private key, else -EPERM if the file's mode grants group or
 * other any access. */
int sign_key_load_private(const char *path, struct sign_key **out);

/* Loads a public key (PEM SubjectPublicKeyInfo, Ed25519); -EINVAL if not,
 * -EPERM if the file holds a private key, -ENOTUNIQ if it holds more
 * than one PEM block. */
int sign_key_load_public(const char *path, struct sign_key **out);

/* Parses a public key from PEM text in memory; errors as
 * sign_key_load_public. */
int sign_key_from_public_pem(const char *pem, size_t len, struct sign_key **out);

/* What a failure of sign_key_load_public means, for a message. */
const char *sign_public_key_error(int ret);
/* What a failure of sign_key_load_private means, for a message. */
const char *sign_private_key_error(int ret);

/* The key's id (64 hex chars, NUL-terminated, owned by the key). */
const char *sign_key_id(const struct sign_key *key);

/* 1 if the key holds a private half. */
int sign_key_is_private(const struct sign_key *key);

/* Public key as PEM text, malloc'd; NULL on ENOMEM. */
char *sign_key_public_pem(const struct sign_key *key);

/* Signs msg; sig must hold SIGN_ED25519_SIG_LEN bytes.  -EINVAL if the key
 * has no private half. */
int sign_message(const struct sign_key *key, const uint8_t *msg, size_t len,
		 uint8_t sig[SIGN_ED25519_SIG_LEN]);

/* 0 if sig is key's valid signature of msg, -EBADMSG if not. */
int sign_verify_message(const struct sign_key *key, const uint8_t *msg, size_t len,
			const uint8_t *sig, size_t sig_len);

void sign_key_free(struct sign_key *key);

#endif

#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"

/* Never prompt on a terminal for a passphrase: encrypted keys are refused. */
static int no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

struct sign_key {
	EVP_PKEY *pkey;                   /* Ed25519, private or public only */
	int is_private;
	char keyid[DIGEST_HEX_LEN + 1];   /* hex SHA-256 of public DER */
};

static int key_wrap(EVP_PKEY *pkey, int is_private, struct sign_key **out)
{
	struct sign_key *key;
	unsigned char *der = NULL;
	uint8_t raw[DIGEST_LEN];
	int der_len;

	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return -EINVAL;
	}
	der_len = i2d_PUBKEY(pkey, &der);
	if (der_len <= 0) {
		EVP_PKEY_free(pkey);
		return -EINVAL;
	}
	key = calloc(1, sizeof(*key));
	if (!key || digest_buffer(der, (size_t)der_len, raw)) {
		OPENSSL_free(der);
		EVP_PKEY_free(pkey);
		free(key);
		return -ENOMEM;
	}
	OPENSSL_free(der);
	hex_encode(raw, DIGEST_LEN, key->keyid);
	key->pkey = pkey;
	key->is_private = is_private;
	*out = key;
	return 0;
}

int sign_key_generate(struct sign_key **out)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	if (!pkey)
		return -EIO;
	return key_wrap(pkey, 1, out);
}

const char *sign_key_id(const struct sign_key *key)
{
	return key->keyid;
}

int sign_key_is_private(const struct sign_key *key)
{
	return key->is_private;
}

/* PEM of the private (want_private) or public half, malloc'd. */
static char *key_pem(const struct sign_key *key, int want_private)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *text = NULL;
	long n;
	int ok;

	if (!bio)
		return NULL;
	if (want_private)
		ok = PEM_write_bio_PrivateKey(bio, key->pkey, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_bio_PUBKEY(bio, key->pkey);
	n = BIO_get_mem_data(bio, &data);
	if (ok && n > 0) {
		text = malloc((size_t)n + 1);
		if (text) {
			memcpy(text, data, (size_t)n);
			text[n] = '\0';
		}
	}
	BIO_free(bio);
	return text;
}

char *sign_key_public_pem(const struct sign_key *key)
{
	return key_pem(key, 0);
}

/* Writes text to a new file at path, which appears whole or not at all:
 * the bytes go to a temporary file beside it (fsync'd), which is then
 * linked to path; link() never replaces, so an existing path, or one made
 * by a concurrent writer, is -EEXIST and left as it was. */
static int write_new_file(const char *path, const char *text, mode_t mode)
{
	char *tmp = NULL;
	int fd, ret;

	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return -ENOMEM;
	unlink(tmp); /* a leftover of a killed writer with our pid */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		ret = -errno;
		free(tmp);
		return ret;
	}
	/* The umask may have widened nothing but could have narrowed; be exact. */
	ret = fchmod(fd, mode) < 0 ? -errno : 0;
	if (!ret)
		ret = write_full(fd, text, strlen(text));
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && link(tmp, path) < 0)
		ret = -errno;
	unlink(tmp);
	free(tmp);
	return ret;
}

int sign_key_save(const struct sign_key *key, const char *prefix)
{
	char *priv_path = NULL, *pub_path = NULL, *priv = NULL, *pub = NULL;
	struct stat st;
	int ret = -ENOMEM;

	if (!key->is_private)
		return -EINVAL;
	if (asprintf(&priv_path, "%s.key", prefix) < 0)
		priv_path = NULL;
	if (asprintf(&pub_path, "%s.pub", prefix) < 0)
		pub_path = NULL;
	priv = key_pem(key, 1);
	pub = key_pem(key, 0);
	if (!priv_path || !pub_path || !priv || !pub)
		goto out;
	if (lstat(pub_path, &st) == 0 || lstat(priv_path, &st) == 0) {
		ret = -EEXIST;
		goto out;
	}
	/* The public key first: whoever finds the private key finds its
	 * public key beside it. */
	ret = write_new_file(pub_path, pub, 0644);
	if (ret)
		goto out;
	ret = write_new_file(priv_path, priv, 0600);
	if (ret)
		unlink(pub_path);
out:
	if (priv)
		OPENSSL_cleanse(priv, strlen(priv));
	free(priv);
	free(pub);
	free(priv_path);
	free(pub_path);
	return ret;
}

/* Reads a key file, refusing non-regular files and oversize ones; *mode
 * gets its permission bits. */
static int read_key_file(const char *path, mode_t *mode, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	int ret;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
	} else if (S_ISREG(st.st_mode) && st.st_size > SIGN_MAX_KEY_FILE) {
		ret = -EINVAL;
	} else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
		/* (a pipe: --key <(secret-tool ...); read to its end) */
		ret = -EINVAL;
	} else {
		*mode = st.st_mode & 07777;
		ret = fd_read_all(fd, SIGN_MAX_KEY_FILE, text, len);
	}
	close(fd);
	return ret;
}

int sign_key_load_private(const char *path, struct sign_key **out)
{
	EVP_PKEY *pkey = NULL;
	char *text;
	size_t len;
	BIO *bio;
	mode_t mode = 0;
	int ret = read_key_file(path, &mode, &text, &len);

	if (ret)
		return ret;
	bio = BIO_new_mem_buf(text, (int)len);
	if (bio)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	OPENSSL_cleanse(text, len);
	free(text);
	if (!pkey)
		return -EINVAL;
	/* Checked after the type, so a public key given by mistake is
	 * reported as such, not as a private key with loose permissions. */
	if (mode & 077) {
		EVP_PKEY_free(pkey);
		return -EPERM;
	}
	return key_wrap(pkey, 1, out);
}

/* How many times the n bytes of s hold needle. */
static size_t count_in(const char *s, size_t n, const char *needle)
{
	size_t k = 0, nl = strlen(needle);

	for (const char *p = s; (p = memmem(p, n - (size_t)(p - s), needle, nl)); p += nl)
		k++;
	return k;
}

int sign_key_from_public_pem(const char *pem, size_t len, struct sign_key **out)
{
	BIO *bio;
	EVP_PKEY *pkey = NULL;

	/* One key per file: with two, PEM_read_bio_PUBKEY took the first
	 * and the others were silently not trusted. */
	if (count_in(pem, len, "PRIVATE KEY-----"))
		return -EPERM;
	if (count_in(pem, len, "-----BEGIN ") > 1)
		return -ENOTUNIQ;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return -ENOMEM;
	pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!pkey)
		return -EINVAL;
	return key_wrap(pkey, 0, out);
}

int sign_key_load_public(const char *path, struct sign_key **out)
{
	char *text;
	size_t len;
	mode_t mode;
	int ret = read_key_file(path, &mode, &text, &len);

	if (ret)
		return ret;
	ret = sign_key_from_public_pem(text, len, out);
	free(text);
	return ret;
}

const char *sign_public_key_error(int ret)
{
	switch (ret) {
	case -EINVAL:
		return "not an Ed25519 public key in PEM form";
	case -EPERM:
		return "it holds a private key; give the public half (the .pub file)";
	case -ENOTUNIQ:
		return "it holds more than one key; give each with its own --key";
	default:
		return strerror(-ret);
	}
}

const char *sign_private_key_error(int ret)
{
	switch (ret) {
	case -EINVAL:
		return "not an Ed25519 private key in PEM form";
	case -EPERM:
		return "it is accessible by group or others; run 'chmod 600' on it";
	default:
		return strerror(-ret);
	}
}

int sign_message(const struct sign_key *key, const uint8_t *msg, size_t len,
		 uint8_t sig[SIGN_ED25519_SIG_LEN])
{
	EVP_MD_CTX *ctx;
	size_t sig_len = SIGN_ED25519_SIG_LEN;
	int ok;

	if (!key->is_private)
		return -EINVAL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, key->pkey, NULL) == 1 &&
	     EVP_DigestSign(ctx, sig, &sig_len, msg, len) == 1 &&
	     sig_len == SIGN_ED25519_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int sign_verify_message(const struct sign_key *key, const uint8_t *msg, size_t len,
			const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx;
	int ok;

	if (sig_len != SIGN_ED25519_SIG_LEN)
		return -EBADMSG;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	ok = EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, key->pkey, NULL) == 1 &&
	     EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EBADMSG;
}

void sign_key_free(struct sign_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

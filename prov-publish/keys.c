/* SPDX-License-Identifier: MIT */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base/errbuf.h"

struct pub_key {
	EVP_PKEY *pkey;
	char id[DOCSIG_KEYID_LEN + 1];
	char pub[128];
};

static int describe(EVP_PKEY *pkey, char *id, char *pub, size_t pubsz)
{
	uint8_t raw[DOCSIG_KEY_LEN];
	size_t len = sizeof(raw);

	if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != sizeof(raw))
		return -EINVAL;
	if (docsig_key_id(raw, id) < 0)
		return -EIO;
	return docsig_format_pubkey(raw, pub, pubsz);
}

/* fopen() of a new file with this mode, never following or replacing. */
static FILE *create_file(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	FILE *f;

	if (fd < 0)
		return NULL;
	/* The umask must not widen or narrow what we promise. */
	if (fchmod(fd, mode) < 0 || !(f = fdopen(fd, "w"))) {
		close(fd);
		unlink(path);
		return NULL;
	}
	return f;
}

static int write_private(EVP_PKEY *pkey, const char *path, char *err, size_t errsz)
{
	FILE *f = create_file(path, 0600);
	int ok;

	if (!f) {
		errbuf_set(err, errsz, "%s: %s", path, strerror(errno));
		return -errno;
	}
	ok = PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) == 1;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		ok = 0;
	if (fclose(f) != 0 || !ok) {
		unlink(path);
		errbuf_set(err, errsz, "%s: cannot write the key", path);
		return -EIO;
	}
	return 0;
}

static int write_public(const char *pub, const char *path, char *err, size_t errsz)
{
	FILE *f = create_file(path, 0644);
	int ok;

	if (!f) {
		errbuf_set(err, errsz, "%s: %s", path, strerror(errno));
		return -errno;
	}
	ok = fprintf(f, "%s\n", pub) > 0;
	if (fclose(f) != 0 || !ok) {
		unlink(path);
		errbuf_set(err, errsz, "%s: cannot write the public key", path);
		return -EIO;
	}
	return 0;
}

int pubkeys_generate(const char *prefix, char *ret_pub, size_t pubsz, char *err, size_t errsz)
{
	char keypath[4096], pubpath[4096], id[DOCSIG_KEYID_LEN + 1], pub[128];
	EVP_PKEY *pkey = NULL;
	int r;

	if ((size_t)snprintf(keypath, sizeof(keypath), "%s.key", prefix) >= sizeof(keypath) ||
	    (size_t)snprintf(pubpath, sizeof(pubpath), "%s.pub", prefix) >= sizeof(pubpath)) {
		errbuf_set(err, errsz, "%s: path too long", prefix);
		return -ENAMETOOLONG;
	}
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!pkey) {
		errbuf_set(err, errsz, "cannot generate an Ed25519 key");
		return -EIO;
	}
	r = describe(pkey, id, pub, sizeof(pub));
	if (r < 0) {
		errbuf_set(err, errsz, "cannot read the new key");
		goto out;
	}
	r = write_private(pkey, keypath, err, errsz);
	if (r == 0) {
		r = write_public(pub, pubpath, err, errsz);
		if (r < 0)
			unlink(keypath);
	}
	if (r == 0 && (size_t)snprintf(ret_pub, pubsz, "%s", pub) >= pubsz)
		r = -ENOBUFS;
out:
	EVP_PKEY_free(pkey);
	return r;
}

int pubkeys_load(const char *path, struct pub_key **ret, char *err, size_t errsz)
{
	struct pub_key *k = NULL;
	struct stat st;
	FILE *f;
	int fd, r = -EINVAL;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		errbuf_set(err, errsz, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
		close(fd);
		errbuf_set(err, errsz, "%s: a private key must be a regular file only its owner can read (chmod 600)",
			   path);
		return -EPERM;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	k = calloc(1, sizeof(*k));
	if (k)
		k->pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k) {
		r = -ENOMEM;
		goto fail;
	}
	if (!k->pkey || EVP_PKEY_get_id(k->pkey) != EVP_PKEY_ED25519 || describe(k->pkey, k->id, k->pub, sizeof(k->pub)) < 0) {
		errbuf_set(err, errsz, "%s: not an Ed25519 private key in PEM", path);
		goto fail;
	}
	*ret = k;
	return 0;
fail:
	pubkeys_free(k);
	return r;
}

void pubkeys_free(struct pub_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

const char *pubkeys_id(const struct pub_key *k)
{
	return k->id;
}

const char *pubkeys_public(const struct pub_key *k)
{
	return k->pub;
}

int pubkeys_sign_line(const struct pub_key *k, const char *doc, size_t len, char *buf, size_t bufsz)
{
	uint8_t sig[DOCSIG_SIG_LEN];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return -ENOMEM;
	/* Pure Ed25519: no digest, the whole message in one call. */
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	     EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)doc, len) == 1 && siglen == sizeof(sig);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -EIO;
	return docsig_format_line(k->id, sig, buf, bufsz);
}

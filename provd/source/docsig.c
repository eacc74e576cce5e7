/* SPDX-License-Identifier: MIT */
/*
 * Detached Ed25519 signatures of directory documents (docsig.h).
 *
 * Parsing is strict on purpose: a signature file comes from the same
 * untrusted server as the document, so anything that is not exactly the
 * documented form is refused before any cryptography runs, and base64 must
 * be canonical (it re-encodes to the same text), so one signature has one
 * spelling.
 */
#include "source/docsig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "source/docparse.h"
#include "base/errbuf.h"
#include "source/source_read.h"
#include "validate.h"

static int keyring_add(struct docsig_keyring *kr, const struct docsig_key *k)
{
	struct docsig_key *v;

	for (size_t i = 0; i < kr->n; i++)
		if (memcmp(kr->v[i].raw, k->raw, DOCSIG_KEY_LEN) == 0)
			return 0;
	if (kr->n >= DOCSIG_MAX_KEYS)
		return -E2BIG;
	v = realloc(kr->v, (kr->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	kr->v = v;
	kr->v[kr->n++] = *k;
	return 0;
}

static int load_spec(const char *spec, struct docsig_key *ret, char *err, size_t errsz)
{
	char why[256];
	char *text = NULL;
	size_t len = 0;
	int r;

	if (strncmp(spec, DOCSIG_KEY_PREFIX, strlen(DOCSIG_KEY_PREFIX)) == 0) {
		r = docsig_parse_pubkey(spec, strlen(spec), ret, why, sizeof(why));
		if (r < 0)
			errbuf_set(err, errsz, "trusted key %.60s: %s", spec, why);
		return r;
	}
	r = source_read_file(spec, &text, &len, why, sizeof(why));
	if (r < 0) {
		errbuf_set(err, errsz, "trusted key file: %s", why);
		return r;
	}
	r = len > 1024 ? -EINVAL : docsig_parse_pubkey(text, len, ret, why, sizeof(why));
	free(text);
	if (r < 0)
		errbuf_set(err, errsz, "trusted key file %s: %s", spec, len > 1024 ? "too long for a key" : why);
	return r;
}

int docsig_keyring_load(const struct dir_strv *specs, struct docsig_keyring *ret, char *err, size_t errsz)
{
	struct docsig_keyring kr = { 0 };
	struct docsig_key k;
	int r = 0;

	for (size_t i = 0; i < specs->n && r == 0; i++) {
		r = load_spec(specs->v[i], &k, err, errsz);
		if (r == 0)
			r = keyring_add(&kr, &k);
		if (r == -ENOMEM || r == -E2BIG)
			errbuf_set(err, errsz, "%s", r == -ENOMEM ? "out of memory" : "too many trusted keys");
	}
	if (r < 0) {
		docsig_keyring_free(&kr);
		return r;
	}
	*ret = kr;
	return 0;
}

void docsig_keyring_free(struct docsig_keyring *kr)
{
	free(kr->v);
	kr->v = NULL;
	kr->n = 0;
}

bool docsig_required(const struct prov_config *cfg)
{
	return cfg->trusted_keys.n > 0;
}

/* One parsed line of a signature file. */
struct sig_line {
	char key_id[DOCSIG_KEYID_LEN + 1];
	uint8_t sig[DOCSIG_SIG_LEN];
};

static bool is_hex_lower(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* "ed25519 <16 hex> <88 base64>" exactly, single spaces. */
static int parse_line(const char *s, size_t n, struct sig_line *ret)
{
	static const char algo[] = "ed25519 ";
	size_t alen = sizeof(algo) - 1;

	if (n && s[n - 1] == '\r')
		n--;
	if (n != alen + DOCSIG_KEYID_LEN + 1 + DOCSIG_B64_SIG_LEN || memcmp(s, algo, alen) != 0)
		return -EBADMSG;
	s += alen;
	if (!is_hex_lower(s, DOCSIG_KEYID_LEN) || s[DOCSIG_KEYID_LEN] != ' ')
		return -EBADMSG;
	memcpy(ret->key_id, s, DOCSIG_KEYID_LEN);
	ret->key_id[DOCSIG_KEYID_LEN] = '\0';
	s += DOCSIG_KEYID_LEN + 1;
	return docsig_b64_decode(s, DOCSIG_B64_SIG_LEN, ret->sig, DOCSIG_SIG_LEN) < 0 ? -EBADMSG : 0;
}

/* The signature file into lines; -EBADMSG with a reason when malformed. */
static int parse_sigfile(const char *sig, size_t len, struct sig_line *lines, size_t *ret_n, char *err,
			 size_t errsz)
{
	size_t n = 0, off = 0;

	if (len == 0) {
		errbuf_set(err, errsz, "the signature file is empty");
		return -EBADMSG;
	}
	if (len > DOCSIG_MAX_BYTES) {
		errbuf_set(err, errsz, "the signature file is %zu bytes, over the limit of %u", len, DOCSIG_MAX_BYTES);
		return -EBADMSG;
	}
	if (memchr(sig, '\0', len)) {
		errbuf_set(err, errsz, "NUL byte in the signature file");
		return -EBADMSG;
	}
	while (off < len) {
		const char *nl = memchr(sig + off, '\n', len - off);
		size_t l = nl ? (size_t)(nl - (sig + off)) : len - off;

		if (n == DOCSIG_MAX_LINES) {
			errbuf_set(err, errsz, "more than %d signatures in the signature file", DOCSIG_MAX_LINES);
			return -EBADMSG;
		}
		if (parse_line(sig + off, l, &lines[n]) < 0) {
			errbuf_set(err, errsz, "signature line %zu is not \"ed25519 <key id> <base64 signature>\"",
				   n + 1);
			return -EBADMSG;
		}
		n++;
		off += l + (nl ? 1 : 0);
	}
	*ret_n = n;
	return 0;
}

/* 1 valid, 0 not, -ENOMEM. */
static int ed25519_verify(const uint8_t key[DOCSIG_KEY_LEN], const uint8_t sig[DOCSIG_SIG_LEN], const char *doc,
			  size_t len)
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, key, DOCSIG_KEY_LEN);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int r = -ENOMEM;

	if (!pkey || !ctx)
		goto out;
	/* Ed25519 takes no digest: the whole message goes in one call. */
	r = 0;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
	    EVP_DigestVerify(ctx, sig, DOCSIG_SIG_LEN, (const unsigned char *)doc, len) == 1)
		r = 1;
out:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return r;
}

static const struct docsig_key *find_key(const struct docsig_keyring *kr, const char *id)
{
	for (size_t i = 0; i < kr->n; i++)
		if (strcmp(kr->v[i].id, id) == 0)
			return &kr->v[i];
	return NULL;
}

int docsig_verify(const struct docsig_keyring *kr, const char *doc, size_t len, const char *sig, size_t siglen,
		  char *ret_key_id, char *err, size_t errsz)
{
	struct sig_line lines[DOCSIG_MAX_LINES];
	const char *bad_key = NULL;
	size_t n = 0;
	int r;

	r = parse_sigfile(sig, siglen, lines, &n, err, errsz);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const struct docsig_key *k = find_key(kr, lines[i].key_id);

		if (!k)
			continue;
		r = ed25519_verify(k->raw, lines[i].sig, doc, len);
		if (r < 0) {
			errbuf_set(err, errsz, "out of memory");
			return r;
		}
		if (r == 1) {
			if (ret_key_id)
				memcpy(ret_key_id, k->id, DOCSIG_KEYID_LEN + 1);
			return 0;
		}
		bad_key = k->id;
	}
	if (bad_key) {
		errbuf_set(err, errsz, "the signature by trusted key %s does not match the document", bad_key);
		return -EKEYREJECTED;
	}
	errbuf_set(err, errsz, "no signature by a trusted key (signed by %s%s)", n ? lines[0].key_id : "?",
		   n > 1 ? " and others" : "");
	return -ENOKEY;
}

int docsig_check_document(const struct prov_config *cfg, const struct directory *d, int64_t now, char *err,
			  size_t errsz)
{
	char safe[96];

	if (cfg->audience && (!d->audience || strcmp(d->audience, cfg->audience) != 0)) {
		sanitize_for_log(d->audience ? d->audience : "", safe, sizeof(safe));
		errbuf_set(err, errsz, "the document is for audience \"%s\", this host accepts \"%s\"", safe,
			   cfg->audience);
		return -EPERM;
	}
	if (docsig_required(cfg) && d->not_after && d->not_after <= now) {
		errbuf_set(err, errsz, "the signed document expired (not_after %lld is past): a replayed copy?",
			   (long long)d->not_after);
		return -EPERM;
	}
	return 0;
}

int docsig_check_file(const struct prov_config *cfg, const char *path, const char *doc, size_t len, int64_t now,
		      char *err, size_t errsz)
{
	struct docsig_keyring kr = { 0 };
	struct directory *d = NULL;
	char sigpath[4096], why[512];
	char *sig = NULL;
	size_t siglen = 0;
	int r;

	if (!docsig_required(cfg))
		return 0;
	if ((size_t)snprintf(sigpath, sizeof(sigpath), "%s.sig", path) >= sizeof(sigpath)) {
		errbuf_set(err, errsz, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	r = docsig_keyring_load(&cfg->trusted_keys, &kr, why, sizeof(why));
	if (r == 0) {
		r = source_read_file(sigpath, &sig, &siglen, why, sizeof(why));
		if (r < 0)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " (signature required)");
	}
	if (r == 0)
		r = docsig_verify(&kr, doc, len, sig, siglen, NULL, why, sizeof(why));
	if (r == 0)
		r = docparse(doc, len, &d, why, sizeof(why));
	if (r == 0)
		r = docsig_check_document(cfg, d, now, why, sizeof(why));
	if (r < 0)
		errbuf_set(err, errsz, "%s: %s", path, why);
	directory_free(d);
	free(sig);
	docsig_keyring_free(&kr);
	return r;
}

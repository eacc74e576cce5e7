/* SPDX-License-Identifier: MIT */
/*
 * The text forms of Ed25519 keys and signature lines (docsig_key.h).
 *
 * Strict on purpose: base64 must be canonical (it re-encodes to the same
 * text), so one key or signature has one spelling.
 */
#include "base/docsig_key.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/errbuf.h"
#include "validate.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Canonical base64 of exactly n bytes (text of tlen characters) into out. */
int docsig_b64_decode(const char *text, size_t tlen, uint8_t *out, size_t n)
{
	unsigned char buf[DOCSIG_B64_SIG_LEN], check[DOCSIG_B64_SIG_LEN + 1];
	unsigned char dec[DOCSIG_B64_SIG_LEN];
	int got;

	if (tlen != 4 * ((n + 2) / 3) || tlen > sizeof(buf))
		return -EINVAL;
	for (size_t i = 0; i < tlen; i++) {
		char c = text[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
		      c == '/' || (c == '=' && i >= tlen - 2)))
			return -EINVAL;
	}
	memcpy(buf, text, tlen);
	got = EVP_DecodeBlock(dec, buf, (int)tlen);
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if (got < 0 || (size_t)got < n)
		return -EINVAL;
	if (EVP_EncodeBlock(check, dec, (int)n) != (int)tlen || memcmp(check, text, tlen) != 0)
		return -EINVAL;
	memcpy(out, dec, n);
	return 0;
}

int docsig_key_id(const uint8_t raw[DOCSIG_KEY_LEN], char ret[DOCSIG_KEYID_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(raw, DOCSIG_KEY_LEN, md, &mdlen, EVP_sha256(), NULL) || mdlen < DOCSIG_KEYID_LEN / 2)
		return -EIO;
	for (size_t i = 0; i < DOCSIG_KEYID_LEN / 2; i++)
		snprintf(ret + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int docsig_parse_pubkey(const char *text, size_t len, struct docsig_key *ret, char *err, size_t errsz)
{
	size_t plen = strlen(DOCSIG_KEY_PREFIX);
	struct docsig_key k;

	while (len && is_space(text[len - 1]))
		len--;
	while (len && is_space(*text)) {
		text++;
		len--;
	}
	if (len < plen || memcmp(text, DOCSIG_KEY_PREFIX, plen) != 0) {
		errbuf_set(err, errsz, "not an Ed25519 public key (expected \"" DOCSIG_KEY_PREFIX "<base64>\")");
		return -EINVAL;
	}
	if (docsig_b64_decode(text + plen, len - plen, k.raw, DOCSIG_KEY_LEN) < 0) {
		errbuf_set(err, errsz, "an Ed25519 public key is 32 bytes in canonical base64 (44 characters)");
		return -EINVAL;
	}
	if (docsig_key_id(k.raw, k.id) < 0) {
		errbuf_set(err, errsz, "cannot compute the key id");
		return -EIO;
	}
	*ret = k;
	return 0;
}

int docsig_format_pubkey(const uint8_t raw[DOCSIG_KEY_LEN], char *buf, size_t bufsz)
{
	unsigned char b64[DOCSIG_B64_KEY_LEN + 1];

	EVP_EncodeBlock(b64, raw, DOCSIG_KEY_LEN);
	if ((size_t)snprintf(buf, bufsz, DOCSIG_KEY_PREFIX "%s", b64) >= bufsz)
		return -ENOBUFS;
	return 0;
}

int docsig_format_line(const char *key_id, const uint8_t sig[DOCSIG_SIG_LEN], char *buf, size_t bufsz)
{
	unsigned char b64[DOCSIG_B64_SIG_LEN + 1];

	EVP_EncodeBlock(b64, sig, DOCSIG_SIG_LEN);
	if ((size_t)snprintf(buf, bufsz, "ed25519 %s %s\n", key_id, b64) >= bufsz)
		return -ENOBUFS;
	return 0;
}

const char *docsig_check_spec(const char *spec)
{
	struct docsig_key k;
	char why[128];

	if (strncmp(spec, DOCSIG_KEY_PREFIX, strlen(DOCSIG_KEY_PREFIX)) == 0)
		return docsig_parse_pubkey(spec, strlen(spec), &k, why, sizeof(why)) == 0
			       ? NULL
			       : "an inline key is ed25519:<44 characters of base64>";
	if (validate_path(spec))
		return "neither ed25519:<base64> nor the absolute path of a key file";
	return NULL;
}

/* SPDX-License-Identifier: MIT */
/*
 * The text forms of Ed25519 public keys and signature lines (docsig.h has
 * the formats and the verification). Apart from docsig.c because
 * config.c checks a trusted_keys item with it, and the config comes
 * before the sources that verify signatures (provd/stages.txt). Nothing
 * here knows a config or a document, and nothing here logs.
 */
#ifndef PROV_DOCSIG_KEY_H
#define PROV_DOCSIG_KEY_H

#include <stddef.h>
#include <stdint.h>

#define DOCSIG_KEY_LEN 32
#define DOCSIG_SIG_LEN 64
#define DOCSIG_KEYID_LEN 16 /* hex characters */
#define DOCSIG_KEY_PREFIX "ed25519:"
#define DOCSIG_B64_KEY_LEN 44 /* base64 of 32 bytes */
#define DOCSIG_B64_SIG_LEN 88 /* base64 of 64 bytes */

struct docsig_key {
	uint8_t raw[DOCSIG_KEY_LEN];
	char id[DOCSIG_KEYID_LEN + 1];
};

/* "ed25519:<base64>" (surrounding white space allowed) into a key.
 * -EINVAL with a reason in err when it is not exactly that. */
int docsig_parse_pubkey(const char *text, size_t len, struct docsig_key *ret, char *err, size_t errsz);

/* The text form of a raw public key: buf gets "ed25519:<base64>". */
int docsig_format_pubkey(const uint8_t raw[DOCSIG_KEY_LEN], char *buf, size_t bufsz);

/* The key id of a raw key (16 hex characters and a NUL). */
int docsig_key_id(const uint8_t raw[DOCSIG_KEY_LEN], char ret[DOCSIG_KEYID_LEN + 1]);

/* One signature line (with its newline) into buf. */
int docsig_format_line(const char *key_id, const uint8_t sig[DOCSIG_SIG_LEN], char *buf, size_t bufsz);

/* Syntax check of one trusted_keys item, for config.c: an inline key, or
 * an absolute path to a key file. NULL when fine, else why. */
const char *docsig_check_spec(const char *spec);

/* Canonical base64 of exactly n bytes (text of tlen characters) into out:
 * 0 or -EINVAL. */
int docsig_b64_decode(const char *text, size_t tlen, uint8_t *out, size_t n);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The publisher's signing keys: an Ed25519 private key in a PEM (PKCS#8)
 * file that only its owner may read, and what provd needs to trust it (the
 * public key as "ed25519:<base64>", docsig.h). OpenSSL's libcrypto does the
 * cryptography.
 */
#ifndef PROV_PUBLISH_KEYS_H
#define PROV_PUBLISH_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "source/docsig.h"

struct pub_key; /* a loaded private key */

/*
 * Writes a new key pair: <prefix>.key (PEM, mode 0600, created exclusively:
 * an existing key is never overwritten) and <prefix>.pub (the public key
 * line, 0644). ret_pub gets the public key line (no newline).
 */
int pubkeys_generate(const char *prefix, char *ret_pub, size_t pubsz, char *err, size_t errsz);

/* Loads a private key file; refused if group or others may read it, or
 * if it is not an Ed25519 key. */
int pubkeys_load(const char *path, struct pub_key **ret, char *err, size_t errsz);
void pubkeys_free(struct pub_key *k);

/* The key's id (docsig.h) and public key line. */
const char *pubkeys_id(const struct pub_key *k);
const char *pubkeys_public(const struct pub_key *k);

/* One signature line ("ed25519 <id> <base64>\n") over doc into buf. */
int pubkeys_sign_line(const struct pub_key *k, const char *doc, size_t len, char *buf, size_t bufsz);

#endif

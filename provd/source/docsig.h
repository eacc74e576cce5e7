/* SPDX-License-Identifier: MIT */
/*
 * Detached Ed25519 signatures over a directory document (issue 13), so an
 * untrusted web server, object store or CDN can serve the document: with
 * trusted keys configured, provd applies only bytes one of them signed.
 *
 * Formats (README "Signed documents"):
 *
 *  - a public key, as provd.conf's trusted_keys takes it inline and as a
 *    key file holds it (one line, prov-publish keygen writes it):
 *        ed25519:<base64 of the raw 32-byte key>
 *    Its key id is the first 8 bytes of SHA-256 of the raw key, in hex.
 *
 *  - the signature file <document URL>.sig: one to DOCSIG_MAX_LINES lines
 *        ed25519 <key id> <base64 of the raw 64-byte signature>
 *    each a signature (RFC 8032, pure Ed25519) over the exact bytes of the
 *    document, nothing prepended, nothing normalised. Several lines let a
 *    publisher sign with the old and the new key while keys rotate. The
 *    document verifies when one line by a trusted key verifies; a line by
 *    an unknown key is skipped; a malformed line refuses the whole file.
 *    At most DOCSIG_MAX_BYTES.
 *
 * The cryptography is OpenSSL's libcrypto (EVP_PKEY_ED25519,
 * EVP_DigestVerify), nothing of it written here. Nothing here logs.
 */
#ifndef PROV_DOCSIG_H
#define PROV_DOCSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/docsig_key.h"
#include "config.h"
#include "model/directory.h"

#define DOCSIG_MAX_BYTES 4096u
#define DOCSIG_MAX_LINES 8
#define DOCSIG_MAX_KEYS 64

struct docsig_keyring {
	struct docsig_key *v;
	size_t n;
};


/*
 * The trusted keys of a trusted_keys list: inline keys as they are, key
 * files read now (a root-owned regular file, not writable by group or
 * others, like every file that decides who logs in). -EINVAL, -ENOENT,
 * -EPERM with a reason in err.
 */
int docsig_keyring_load(const struct dir_strv *specs, struct docsig_keyring *ret, char *err, size_t errsz);
void docsig_keyring_free(struct docsig_keyring *kr);

/*
 * Checks sig (the .sig file's bytes) over doc against the keyring.
 * 0 (ret_key_id, if not NULL, gets the id of the key that verified);
 * -EBADMSG a malformed or empty signature file; -ENOKEY no line by a
 * trusted key; -EKEYREJECTED a line by a trusted key that does not verify;
 * -ENOMEM. A reason in err in every failure.
 */
int docsig_verify(const struct docsig_keyring *kr, const char *doc, size_t len, const char *sig, size_t siglen,
		  char *ret_key_id, char *err, size_t errsz);

/* Signatures are required: trusted_keys is set. */
bool docsig_required(const struct prov_config *cfg);

/*
 * What a signed document must also say, checked once it is parsed: its
 * "audience" equals the configured audience (when one is configured), and,
 * when signatures are required, its not_after has not passed (a validly
 * signed but expired copy is a replay). 0, or -EPERM with a reason.
 */
int docsig_check_document(const struct prov_config *cfg, const struct directory *d, int64_t now, char *err,
			  size_t errsz);

/*
 * The whole check of a local document file: reads <path>.sig, verifies
 * doc against the configured keys, parses doc for its audience and
 * not_after. For file:// sources (which are small and read synchronously);
 * 0 when no keys are configured.
 */
int docsig_check_file(const struct prov_config *cfg, const char *path, const char *doc, size_t len, int64_t now,
		      char *err, size_t errsz);

#endif

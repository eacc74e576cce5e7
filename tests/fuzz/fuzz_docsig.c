/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the signature and key parsing of signed documents
 * (provd/source/docsig.c): the input is split at its first NUL (or taken whole)
 * into a public key text and a signature file, both parsed as provd would
 * parse what an untrusted server sends. Any crash or sanitizer report is a
 * bug; so is a signature file that verifies without a valid signature
 * (abort() below: nothing here was signed by the fixed key).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "source/docsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 8032 test 1's public key: its only valid signature is over "". */
#define RFC_PUB "ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char doc[] = "{\"prov_directory\": 1, \"serial\": 1}";
	const uint8_t *nul = memchr(data, '\0', size);
	size_t klen = nul ? (size_t)(nul - data) : size;
	struct docsig_keyring kr = { 0 };
	struct docsig_key k, fixed;
	char err[256], id[DOCSIG_KEYID_LEN + 1];
	char *text = malloc(klen + 1);

	if (!text)
		return 0;
	memcpy(text, data, klen);
	text[klen] = '\0';
	if (docsig_parse_pubkey(text, klen, &k, err, sizeof(err)) == 0 && strlen(k.id) != DOCSIG_KEYID_LEN)
		abort();
	(void)docsig_check_spec(text);
	free(text);

	if (docsig_parse_pubkey(RFC_PUB, strlen(RFC_PUB), &fixed, err, sizeof(err)) < 0)
		abort();
	kr.v = &fixed;
	kr.n = 1;
	/* The whole input as a signature file over a fixed document. */
	if (docsig_verify(&kr, doc, sizeof(doc) - 1, (const char *)data, size, id, err, sizeof(err)) == 0)
		abort();
	return 0;
}

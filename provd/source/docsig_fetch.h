/* SPDX-License-Identifier: MIT */
/*
 * The network half of signed documents (docsig.h): after a document came
 * with a 200, its detached signature <url>.sig is fetched with the same
 * TLS settings and token (same origin), and the bytes just received are
 * verified against it. Document and signature are one pair: the check is
 * over the exact bytes of this download, never over a cached copy, and a
 * 304 on the document fetches no signature (nothing changed).
 */
#ifndef PROV_DOCSIG_FETCH_H
#define PROV_DOCSIG_FETCH_H

#include <stddef.h>

#include "config.h"
#include "source/fetch.h"

/*
 * doc_opts: the options the document was fetched with (url, token, TLS).
 * 0 when the signature verifies (or no keys are configured); otherwise a
 * negative errno (docsig_verify()'s, or -EBADMSG when the .sig could not
 * be fetched: missing, 404, over DOCSIG_MAX_BYTES) with a one-line reason
 * naming the .sig URL. *ret_requests counts the requests made.
 */
int docsig_fetch_verify(const struct prov_config *cfg, const struct fetch_opts *doc_opts, const char *doc,
			size_t len, unsigned *ret_requests, char *err, size_t errsz);

#endif

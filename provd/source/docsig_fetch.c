/* SPDX-License-Identifier: MIT */
#include "source/docsig_fetch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/docsig.h"
#include "base/errbuf.h"

int docsig_fetch_verify(const struct prov_config *cfg, const struct fetch_opts *doc_opts, const char *doc,
			size_t len, unsigned *ret_requests, char *err, size_t errsz)
{
	struct docsig_keyring kr = { 0 };
	struct fetch_result res = { 0 };
	struct fetch_opts o = *doc_opts;
	char url[4096], why[512];
	int r;

	if (!docsig_required(cfg))
		return 0;
	if ((size_t)snprintf(url, sizeof(url), "%s.sig", doc_opts->url) >= sizeof(url)) {
		errbuf_set(err, errsz, "%s: URL too long for its signature", doc_opts->url);
		return -EBADMSG;
	}
	r = docsig_keyring_load(&cfg->trusted_keys, &kr, why, sizeof(why));
	if (r < 0) {
		errbuf_set(err, errsz, "%s: %s", url, why);
		return r;
	}
	/* Unconditional: the signature must be the one of these bytes. One
	 * byte over the limit is enough to tell "too large" apart. */
	o.url = url;
	o.etag = NULL;
	o.last_modified = NULL;
	o.accept = "text/plain";
	o.max_bytes = DOCSIG_MAX_BYTES + 1;
	r = fetch_url(&o, &res);
	if (ret_requests)
		(*ret_requests)++;
	if (r < 0 || res.status != FETCH_OK) {
		errbuf_set(err, errsz, "signature required, none usable: %s", res.error[0] ? res.error : url);
		r = -EBADMSG;
		goto out;
	}
	r = docsig_verify(&kr, doc, len, res.body, res.body_len, NULL, why, sizeof(why));
	if (r < 0)
		errbuf_set(err, errsz, "%s: %s", url, why);
out:
	fetch_result_free(&res);
	docsig_keyring_free(&kr);
	return r;
}

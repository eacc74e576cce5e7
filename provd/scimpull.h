/* SPDX-License-Identifier: MIT */
/*
 * One complete pull from a SCIM 2.0 service: /ServiceProviderConfig (to
 * learn the server's page size limit), then every page of /Users and of
 * /Groups, into a raw snapshot. All or nothing: any failed request, any
 * malformed page, a page that does not advance or counts that do not add up
 * fail the whole pull, so a partial directory can never be taken for a
 * complete one (DESIGN invariant 4). Blocking: run it outside the thread
 * that answers lookups.
 */
#ifndef PROV_SCIMPULL_H
#define PROV_SCIMPULL_H

#include <stddef.h>
#include <stdint.h>

#include "directory.h"
#include "fetch.h"
#include "scim.h"

#define SCIMPULL_DEFAULT_PAGE 1000u

struct scim_pull_opts {
	const char *base_url;         /* e.g. https://idp.example/scim/v2 */
	struct fetch_opts http;       /* token, TLS, timeouts, per-page max_bytes;
				       * url, etag and accept are set per request */
	uint32_t page_size;           /* count asked for; 0 = SCIMPULL_DEFAULT_PAGE */
	const struct scim_options *scim; /* NULL = defaults */
	const struct idmap_prev *prev;   /* assignments of the last good snapshot */
	size_t n_prev;
};

struct scim_pull_result {
	struct directory *dir;        /* raw snapshot, on success only */
	unsigned requests;            /* HTTP requests made */
	size_t bytes;                 /* response bytes (decoded) */
	/* The failing request, when a fetch failed (status FETCH_OK when the
	 * failure was in the data): for status output and retry timing. */
	enum fetch_status status;
	long http_code;
	unsigned retry_after_s;
};

/*
 * 0 with ret->dir set, or a negative errno with a one-line reason in err:
 * the fetch_url() errno of a failed request (-EACCES, -EAGAIN, -ETIMEDOUT,
 * ...), -EBADMSG for data that is malformed, partial or does not advance,
 * -ENOSPC when the id range is full, -ENOMEM. ret's counters and status
 * are filled in every case.
 */
int scim_pull(const struct scim_pull_opts *o, struct scim_pull_result *ret, char *err, size_t errsz);

#endif

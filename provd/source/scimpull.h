/* SPDX-License-Identifier: MIT */
/*
 * One complete pull from a SCIM 2.0 service: /ServiceProviderConfig (to
 * learn the server's page size limit), then every page of /Users and of
 * /Groups, into a raw snapshot. All or nothing: any failed request, any
 * malformed page, a page that does not advance or counts that do not add up
 * fail the whole pull, so a partial directory can never be taken for a
 * complete one (DESIGN invariant 4). Blocking: run it outside the thread
 * that answers lookups.
 *
 * One snapshot (DESIGN invariant 13): every page of /Users (and of /Groups)
 * must report the same totalResults, and the distinct ids collected must
 * number exactly that total. SCIM pages by offset, so a user deleted or
 * created between two pages shifts the pages after it and a different,
 * still-active user would go unseen - and be deprovisioned. As a deletion
 * plus a creation keeps both numbers, every entry of prev (the served
 * snapshot) that no page had is asked for by id: only 404/410 confirms it
 * is gone (a pull without any user skips this: the sync plan refuses it
 * whole). A pull failing any of this is read again from the start
 * (attempts, with a pause), and when none is consistent it fails whole
 * with -ESTALE: nobody is deprovisioned on the strength of it.
 */
#ifndef PROV_SCIMPULL_H
#define PROV_SCIMPULL_H

#include <stddef.h>
#include <stdint.h>

#include "model/directory.h"
#include "source/fetch.h"
#include "source/scim.h"

#define SCIMPULL_DEFAULT_PAGE 1000u
/* A pull whose pages are not one snapshot is read again from the start:
 * this many passes in all (the first and 3 retries), a pause between. */
#define SCIMPULL_DEFAULT_ATTEMPTS 4u
#define SCIMPULL_DEFAULT_PAUSE_MS 1000u

/*
 * What one page of a pull was, so the next pull can tell a directory that
 * did not change without reading it again: SCIM has no ETag for a list, so
 * each page's body is hashed. While every page comes back byte for byte as
 * last time (same request, same hash), it is only kept, not parsed; when
 * all of them did, the pull reports "unchanged" and builds nothing (the
 * served snapshot came from exactly these bytes). At the first page that
 * differs, the kept ones are parsed and the pull goes on as usual.
 */
struct scim_page_mark {
	enum scim_kind kind;
	uint64_t start;        /* startIndex asked */
	uint64_t hash;         /* of the whole response body */
	struct scim_page page; /* what it said, for the pager */
};

struct scim_pull_opts {
	const char *base_url;         /* e.g. https://idp.example/scim/v2 */
	struct fetch_opts http;       /* token, TLS, timeouts, per-page max_bytes;
				       * url, etag and accept are set per request */
	uint32_t page_size;           /* count asked for; 0 = SCIMPULL_DEFAULT_PAGE */
	const struct scim_options *scim; /* NULL = defaults */
	const struct idmap_prev *prev;   /* assignments of the last good snapshot */
	size_t n_prev;
	const struct scim_page_mark *marks; /* the pages the served snapshot came from */
	size_t n_marks;
	bool want_marks;              /* return this pull's marks (ret->marks) */
	unsigned attempts;            /* passes when inconsistent; 0 = SCIMPULL_DEFAULT_ATTEMPTS */
	unsigned retry_pause_ms;      /* between them; 0 = SCIMPULL_DEFAULT_PAUSE_MS */
};

struct scim_pull_result {
	struct directory *dir;        /* raw snapshot, on success unless unchanged */
	bool unchanged;               /* every page as in marks: no dir, nothing to do */
	struct scim_page_mark *marks; /* this pull's pages (success, want_marks; malloc'ed) */
	size_t n_marks;
	unsigned attempts;            /* passes over the directory made */
	unsigned requests;            /* HTTP requests made (all passes) */
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
 * -ESTALE when no pass was one consistent snapshot (err: the last pass's
 * reason and how many passes were made),
 * -ENOSPC when the id range is full, -ENOMEM. ret's counters and status
 * are filled in every case.
 */
int scim_pull(const struct scim_pull_opts *o, struct scim_pull_result *ret, char *err, size_t errsz);

/* Frees what a result holds (dir, marks). */
void scim_pull_result_free(struct scim_pull_result *r);

/* A 64-bit hash of a page body (not cryptographic: the pages come from the
 * directory, which decides what they say anyway). */
uint64_t scimpull_hash(const void *buf, size_t len);

#endif

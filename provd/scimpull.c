/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scimpull.h"

#define SCIM_ACCEPT "application/scim+json, application/json"

/* One GET; on failure err gets the fetch error and ret the status. */
static int get(const struct scim_pull_opts *o, const char *url, struct scim_pull_result *ret,
	       struct fetch_result *res, char *err, size_t errsz)
{
	struct fetch_opts f = o->http;
	int r;

	f.url = url;
	f.etag = NULL;
	f.last_modified = NULL;
	f.accept = SCIM_ACCEPT;
	if (!f.max_bytes || f.max_bytes > SCIM_MAX_PAGE_BYTES)
		f.max_bytes = SCIM_MAX_PAGE_BYTES;
	r = fetch_url(&f, res);
	ret->requests++;
	ret->status = res->status;
	ret->http_code = res->http_code;
	ret->retry_after_s = res->retry_after_s;
	if (r < 0) {
		snprintf(err, errsz, "%s", res->error);
		fetch_result_free(res);
		return r;
	}
	ret->bytes += res->body_len;
	return 0;
}

/* The server's own page limit, if it says one. A server without the
 * endpoint (404) is tolerated: many only implement /Users and /Groups. */
static int page_size(const struct scim_pull_opts *o, struct scim_pull_result *ret, uint32_t *size, char *err,
		     size_t errsz)
{
	struct scim_spconfig c;
	struct fetch_result res;
	char *url;
	int r;

	*size = o->page_size ? o->page_size : SCIMPULL_DEFAULT_PAGE;
	if (asprintf(&url, "%s%sServiceProviderConfig", o->base_url,
		     o->base_url[0] && o->base_url[strlen(o->base_url) - 1] == '/' ? "" : "/") < 0)
		return -ENOMEM;
	r = get(o, url, ret, &res, err, errsz);
	free(url);
	if (r == -EPROTO && res.http_code == 404) {
		ret->status = FETCH_OK;
		return 0;
	}
	if (r < 0)
		return r;
	r = scim_parse_spconfig(res.body, res.body_len, &c, err, errsz);
	fetch_result_free(&res);
	if (r < 0)
		return r;
	if (c.filter_max_results && c.filter_max_results < *size)
		*size = c.filter_max_results;
	return 0;
}

static int pull_kind(const struct scim_pull_opts *o, struct scim_sync *s, enum scim_kind kind, uint32_t count,
		     struct scim_pull_result *ret, char *err, size_t errsz)
{
	const char *what = kind == SCIM_USERS ? "/Users" : "/Groups";
	struct scim_pager pager;
	char why[384];
	int r = 0;

	scim_pager_init(&pager);
	while (!pager.done) {
		struct fetch_result res;
		struct scim_page pg;
		char *url;

		r = scim_page_url(o->base_url, kind, pager.next_start, count, &url);
		if (r < 0)
			return r;
		r = get(o, url, ret, &res, err, errsz);
		free(url);
		if (r < 0)
			return r;
		r = scim_sync_add_page(s, kind, pager.next_start, res.body, res.body_len, &pg, err, errsz);
		fetch_result_free(&res);
		if (r < 0)
			return r;
		r = scim_pager_advance(&pager, &pg, why, sizeof(why));
		if (r < 0) {
			snprintf(err, errsz, "%s: %s", what, why);
			return r;
		}
	}
	return 0;
}

int scim_pull(const struct scim_pull_opts *o, struct scim_pull_result *ret, char *err, size_t errsz)
{
	struct scim_sync *s = NULL;
	uint32_t count;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!o->base_url || !o->base_url[0]) {
		snprintf(err, errsz, "no SCIM base URL");
		return -EINVAL;
	}
	r = page_size(o, ret, &count, err, errsz);
	if (r == 0)
		r = scim_sync_new(o->scim, &s);
	if (r == 0)
		r = pull_kind(o, s, SCIM_USERS, count, ret, err, errsz);
	if (r == 0)
		r = pull_kind(o, s, SCIM_GROUPS, count, ret, err, errsz);
	if (r == 0)
		r = scim_sync_finish(s, o->prev, o->n_prev, &ret->dir, err, errsz);
	if (r == -ENOMEM)
		snprintf(err, errsz, "out of memory");
	scim_sync_free(s);
	return r;
}

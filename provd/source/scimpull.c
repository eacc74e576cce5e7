/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/errbuf.h"
#include "source/scimpull.h"

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

uint64_t scimpull_hash(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)len, w;
	size_t i = 0;

	/* Each step is a bijection of h for a given word, so two bodies that
	 * differ in one word never collide; a word at a time keeps hashing
	 * 25 MB of pages far cheaper than parsing them. */
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p + i, len - i);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return h;
}

/* A page kept unparsed while every page so far matches the last pull. */
struct kept_page {
	enum scim_kind kind;
	uint64_t start;
	char *body;
	size_t len;
};

/* One pull in progress. */
struct pull {
	const struct scim_pull_opts *o;
	struct scim_sync *s;
	struct scim_page_mark *marks; /* every page of this pull */
	size_t n_marks;
	struct kept_page *kept;
	size_t n_kept;
	bool same; /* every page so far is the last pull's */
};

static void pull_free(struct pull *p)
{
	for (size_t i = 0; i < p->n_kept; i++)
		free(p->kept[i].body);
	free(p->kept);
	free(p->marks);
	p->kept = NULL;
	p->marks = NULL;
	p->n_kept = p->n_marks = 0;
}

/* Appends to an array grown at 8, 16, 32, ... */
static void *grow(void *v, size_t n, size_t size)
{
	if (n >= 8 && (n & (n - 1)) != 0)
		return v;
	return reallocarray(v, n < 8 ? 8 : n * 2, size);
}

static int add_mark(struct pull *p, const struct scim_page_mark *m)
{
	struct scim_page_mark *v = grow(p->marks, p->n_marks, sizeof(*v));

	if (!v)
		return -ENOMEM;
	p->marks = v;
	p->marks[p->n_marks++] = *m;
	return 0;
}

static int keep(struct pull *p, enum scim_kind kind, uint64_t start, struct fetch_result *res)
{
	struct kept_page *v = grow(p->kept, p->n_kept, sizeof(*v));

	if (!v)
		return -ENOMEM;
	p->kept = v;
	p->kept[p->n_kept++] = (struct kept_page){ kind, start, res->body, res->body_len };
	res->body = NULL;
	return 0;
}

/* A page differs after all: the kept ones are read now, in order. */
static int parse_kept(struct pull *p, char *err, size_t errsz)
{
	int r = 0;

	p->same = false;
	for (size_t i = 0; i < p->n_kept; i++) {
		struct kept_page *k = &p->kept[i];
		struct scim_page pg;

		if (r == 0)
			r = scim_sync_add_page(p->s, k->kind, k->start, k->body, k->len, &pg, err, errsz);
		free(k->body);
		k->body = NULL;
	}
	p->n_kept = 0;
	return r;
}

/* The page as the last pull had it (same request, same bytes), or NULL. */
static const struct scim_page_mark *as_before(const struct pull *p, enum scim_kind kind, uint64_t start, uint64_t h)
{
	const struct scim_page_mark *m;

	if (!p->same || p->n_marks >= p->o->n_marks)
		return NULL;
	m = &p->o->marks[p->n_marks];
	return m->kind == kind && m->start == start && m->hash == h ? m : NULL;
}

static int pull_kind(struct pull *p, enum scim_kind kind, uint32_t count, struct scim_pull_result *ret, char *err,
		     size_t errsz)
{
	const struct scim_pull_opts *o = p->o;
	const char *what = kind == SCIM_USERS ? "/Users" : "/Groups";
	struct scim_pager pager;
	char why[384];
	int r = 0;

	scim_pager_init(&pager);
	while (!pager.done) {
		const struct scim_page_mark *old;
		struct scim_page_mark m = { .kind = kind, .start = pager.next_start };
		struct fetch_result res;
		char *url;

		r = scim_page_url(o->base_url, kind, pager.next_start, count, &url);
		if (r < 0)
			return r;
		r = get(o, url, ret, &res, err, errsz);
		free(url);
		if (r < 0)
			return r;
		m.hash = scimpull_hash(res.body, res.body_len);
		old = as_before(p, kind, m.start, m.hash);
		if (old) {
			m.page = old->page; /* the same bytes say the same */
			r = keep(p, kind, m.start, &res);
		} else {
			r = p->same ? parse_kept(p, err, errsz) : 0;
			if (r == 0)
				r = scim_sync_add_page(p->s, kind, m.start, res.body, res.body_len, &m.page, err, errsz);
		}
		fetch_result_free(&res);
		if (r == 0)
			r = add_mark(p, &m);
		if (r < 0)
			return r;
		r = scim_pager_advance(&pager, &m.page, why, sizeof(why));
		if (r < 0) {
			snprintf(err, errsz, "%s: %s", what, why);
			return r;
		}
	}
	return 0;
}

/*
 * Equal totals and counts do not prove a snapshot: a user deleted from a
 * page already read while another is created further on leaves the total
 * as it was, and the user who slid back onto the read page is never seen.
 * So before anyone is deprovisioned for being absent, the server is asked
 * for each served user and group (prev) that no page had: 404 (or 410)
 * confirms it is gone, an answer means this pass missed it (-ESTALE).
 * Skipped for a pull without users at all: the sync plan refuses that
 * whole (and --force is the operator's word).
 */
static int confirm_gone(struct pull *p, struct scim_pull_result *ret, char *err, size_t errsz)
{
	const struct scim_pull_opts *o = p->o;
	bool empty = scim_sync_count(p->s, SCIM_USERS) == 0;

	for (size_t i = 0; i < o->n_prev; i++) {
		const char *key = o->prev[i].key;
		enum scim_kind kind = key[0] == 'u' ? SCIM_USERS : SCIM_GROUPS;
		struct fetch_result res;
		char why[256], *url;
		int r;

		if ((key[0] != 'u' && key[0] != 'g') || key[1] != ':' || scim_sync_seen(p->s, kind, key + 2))
			continue;
		if (empty && kind == SCIM_USERS)
			continue;
		r = scim_resource_url(o->base_url, kind, key + 2, &url);
		if (r < 0)
			return r;
		r = get(o, url, ret, &res, why, sizeof(why));
		free(url);
		if (r == 0) {
			fetch_result_free(&res);
			errbuf_set(err, errsz, "%s: id %.128s was on no page, but the server still has it",
				   kind == SCIM_USERS ? "/Users" : "/Groups", key + 2);
			return -ESTALE;
		}
		if (r == -EPROTO && (res.http_code == 404 || res.http_code == 410)) {
			ret->status = FETCH_OK;
			ret->http_code = 0;
			continue;
		}
		errbuf_set(err, errsz, "%s", why);
		return r;
	}
	return 0;
}

/* One pass over /Users and /Groups: 0, -ESTALE when the pages do not form
 * one snapshot (the directory changed meanwhile), or another error. */
static int pull_once(const struct scim_pull_opts *o, uint32_t count, struct scim_pull_result *ret, char *err,
		     size_t errsz)
{
	struct pull p = { .o = o, .same = o->n_marks > 0 };
	int r;

	r = scim_sync_new(o->scim, &p.s);
	if (r == 0)
		r = pull_kind(&p, SCIM_USERS, count, ret, err, errsz);
	if (r == 0)
		r = pull_kind(&p, SCIM_GROUPS, count, ret, err, errsz);
	if (r == 0 && p.same && p.n_marks == o->n_marks) {
		ret->unchanged = true; /* every page as before: nothing to build */
	} else {
		if (r == 0 && p.same)
			r = parse_kept(&p, err, errsz); /* fewer pages than before */
		if (r == 0)
			r = confirm_gone(&p, ret, err, errsz);
		if (r == 0)
			r = scim_sync_finish(p.s, o->prev, o->n_prev, &ret->dir, err, errsz);
	}
	if (r == 0 && o->want_marks) {
		ret->marks = p.marks;
		ret->n_marks = p.n_marks;
		p.marks = NULL;
	}
	pull_free(&p);
	scim_sync_free(p.s);
	return r;
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int scim_pull(const struct scim_pull_opts *opts, struct scim_pull_result *ret, char *err, size_t errsz)
{
	struct scim_pull_opts own = *opts, *o = &own;
	unsigned attempts = o->attempts ? o->attempts : SCIMPULL_DEFAULT_ATTEMPTS;
	uint32_t count;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!o->base_url || !o->base_url[0]) {
		snprintf(err, errsz, "no SCIM base URL");
		return -EINVAL;
	}
	/* One connection for every page (a TLS handshake each would cost
	 * more than reading an unchanged directory). */
	if (!o->http.session && fetch_session_new(&own.http.session) < 0) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	r = page_size(o, ret, &count, err, errsz);
	/* A directory being written to while we page is normal (an IdP
	 * provisioning someone): read it again from the start, a few times,
	 * rather than apply a list in which a still-active user is missing. */
	while (r == 0 && ret->attempts < attempts) {
		if (ret->attempts > 0)
			pause_ms(o->retry_pause_ms ? o->retry_pause_ms : SCIMPULL_DEFAULT_PAUSE_MS);
		ret->attempts++;
		r = pull_once(o, count, ret, err, errsz);
		if (r != -ESTALE)
			break;
		if (ret->attempts < attempts)
			r = 0;
	}
	if (r == -ESTALE) {
		size_t len = strlen(err);

		snprintf(err + len, errsz > len ? errsz - len : 0, " (%u pulls in a row, none consistent)",
			 ret->attempts);
	}
	if (r == -ENOMEM)
		snprintf(err, errsz, "out of memory");
	if (own.http.session != opts->http.session)
		fetch_session_free(own.http.session);
	return r;
}

void scim_pull_result_free(struct scim_pull_result *r)
{
	directory_free(r->dir);
	free(r->marks);
	r->dir = NULL;
	r->marks = NULL;
	r->n_marks = 0;
}

/* SPDX-License-Identifier: MIT */
#include "sync/syncjob.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/cache.h"
#include "source/docparse.h"
#include "source/docsig.h"
#include "source/docsig_fetch.h"
#include "source/docwrite.h"
#include "source/scimpull.h"
#include "admit/snapshot.h"
#include "source/source.h"
#include "source/token.h"

#define WHY_MAX 512

/* How one attempt (one URL) ended, before it is known whether another URL
 * does better. */
struct attempt {
	enum syncjob_result kind; /* REJECTED (the data) or FAILED (no answer) */
	int error;
	bool transient, auth;
	unsigned retry_after_s;
};

const char *syncjob_result_name(enum syncjob_result r)
{
	switch (r) {
	case SYNCJOB_APPLY:
		return "applied";
	case SYNCJOB_UNCHANGED:
		return "unchanged";
	case SYNCJOB_REJECTED:
		return "rejected";
	case SYNCJOB_FAILED:
		return "failed";
	}
	return "unknown";
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void __attribute__((format(printf, 2, 3))) set_reason(struct syncjob_out *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* With several URLs each failure is kept, so status names all of them. */
static void add_reason(struct syncjob_out *out, const char *why)
{
	size_t len = strlen(out->reason);

	snprintf(out->reason + len, sizeof(out->reason) - len, "%s%s", len ? "; " : "", why);
}

static void classify_fetch(enum fetch_status s, long http_code, unsigned retry_after_s, int r, struct attempt *a)
{
	a->kind = SYNCJOB_FAILED;
	a->error = r;
	a->transient = fetch_status_transient(s, http_code);
	a->auth = s == FETCH_AUTH;
	a->retry_after_s = retry_after_s;
	/* An answer that came but was refused (too big) is about the data. */
	if (s == FETCH_TOO_LARGE) {
		a->kind = SYNCJOB_REJECTED;
		a->transient = true;
	}
}

/* Refused data: malformed, partial, inconsistent. Often a glitch of a
 * proxy or a directory in the middle of an update: retried with backoff. */
static void classify_data(int r, struct attempt *a)
{
	*a = (struct attempt){ .kind = SYNCJOB_REJECTED, .error = r, .transient = r != -ENOSPC };
}

/* The outcome of the job when every URL failed: the last attempt's kind,
 * an alert if any refused the token, a quick retry only if all were
 * transient, and the longest Retry-After asked. */
static void fail_all(struct syncjob_out *out, const struct attempt *a, size_t n)
{
	size_t i;

	out->result = n ? a[n - 1].kind : SYNCJOB_FAILED;
	out->error = n ? a[n - 1].error : -ENOENT;
	out->transient = n > 0;
	for (i = 0; i < n; i++) {
		out->auth |= a[i].auth;
		out->transient &= a[i].transient;
		if (a[i].retry_after_s > out->retry_after_s)
			out->retry_after_s = a[i].retry_after_s;
	}
	if (!n)
		set_reason(out, "no directory URL configured");
}

static void syncplan_policy_of(const struct syncjob_in *in, bool check_serial, struct syncplan_policy *ret)
{
	*ret = (struct syncplan_policy){
		.max_deprovision_share = in->cfg.max_deprovision_pct / 100.0,
		.deprovision_floor = in->cfg.deprovision_floor,
		.force = in->force,
		.check_serial = check_serial && !in->new_source,
		.now = in->now,
	};
}

/* The bearer token, read again for every pull (rotation needs no
 * restart). -ENOENT is returned as is: a document may be public. */
static int load_token(const struct syncjob_in *in, char **ret, char *why, size_t whysz)
{
	*ret = NULL;
	if (!in->cfg.token_file)
		return -ENOENT;
	return token_load(in->cfg.token_file, ret, why, whysz);
}

static void fetch_opts_of(const struct syncjob_in *in, const char *url, const char *token, struct fetch_opts *ret)
{
	*ret = (struct fetch_opts){
		.url = url,
		.token = token,
		.ca_file = in->cfg.ca_file,
		.pinned_pubkey = in->cfg.pinned_pubkey,
		.connect_timeout_ms = in->cfg.connect_timeout_ms,
		.total_timeout_ms = in->cfg.timeout_ms,
		.max_bytes = in->cfg.max_bytes,
	};
}

/* The validators describe the served bytes: checked once after start-up
 * (they come from sync.state, the bytes from the cache), trusted after. */
static bool validators_usable(const struct syncjob_in *in, struct syncjob_out *out)
{
	if (!in->old_doc || !in->val.url || (!in->val.etag && !in->val.last_modified))
		return false;
	if (!in->verify_val)
		return true;
	if (in->val.doc_len == in->old_len && cache_crc32(0, in->old_doc, in->old_len) == in->val.doc_crc)
		return true;
	out->val_dropped = true;
	return false;
}

/* ---- the document source ---- */

struct doc_fetch {
	char *body;
	size_t len;
	bool not_modified;
	char *etag, *last_modified;
};

static void doc_fetch_free(struct doc_fetch *f)
{
	free(f->body);
	free(f->etag);
	free(f->last_modified);
	memset(f, 0, sizeof(*f));
}

static int fetch_doc(const struct syncjob_in *in, struct syncjob_out *out, const char *url, bool use_val,
		     struct doc_fetch *f, struct attempt *a, char *why, size_t whysz)
{
	struct fetch_result res;
	struct fetch_opts o;
	char *token = NULL;
	int r;

	if (strncmp(url, "file://", 7) == 0) {
		r = source_read_file(url + 7, &f->body, &f->len, why, whysz);
		if (r < 0)
			*a = (struct attempt){ .kind = SYNCJOB_FAILED, .error = r, .transient = r == -ENOENT };
		else if ((r = docsig_check_file(&in->cfg, url + 7, f->body, f->len, in->now, why, whysz)) < 0)
			classify_data(r, a);
		return r;
	}
	r = load_token(in, &token, why, whysz);
	if (r < 0 && r != -ENOENT) {
		*a = (struct attempt){ .kind = SYNCJOB_FAILED, .error = r };
		return r;
	}
	fetch_opts_of(in, url, token, &o);
	if (o.max_bytes > DOC_MAX_BYTES)
		o.max_bytes = DOC_MAX_BYTES;
	if (use_val && strcmp(in->val.url, url) == 0) {
		o.etag = in->val.etag;
		o.last_modified = in->val.last_modified;
	}
	r = fetch_url(&o, &res);
	out->requests++;
	/* A changed document is applied only with its signature (docsig.h). */
	if (r == 0 && res.status == FETCH_OK && docsig_required(&in->cfg) &&
	    (r = docsig_fetch_verify(&in->cfg, &o, res.body, res.body_len, &out->requests, why, whysz)) < 0) {
		token_free(token);
		fetch_result_free(&res);
		classify_data(r, a);
		return r;
	}
	token_free(token);
	if (r < 0) {
		snprintf(why, whysz, "%s", res.error);
		classify_fetch(res.status, res.http_code, res.retry_after_s, r, a);
		fetch_result_free(&res);
		return r;
	}
	out->bytes += res.body_len;
	f->not_modified = res.status == FETCH_NOT_MODIFIED;
	f->body = res.body;
	f->len = res.body_len;
	f->etag = res.etag;
	f->last_modified = res.last_modified;
	return 0;
}

/* The validators of f, for bytes f->body; not_modified keeps the old ones. */
static void keep_validators(const char *url, const struct doc_fetch *f, struct syncjob_out *out)
{
	if (!f->etag && !f->last_modified)
		return;
	if (syncstate_set_validators(&out->val, url, f->etag, f->last_modified, f->len,
				     cache_crc32(0, f->body, f->len)) == 0)
		out->val_changed = true;
}

/* A pull whose only news is in what it refuses is news all the same
 * (issue 9 §3): applied, so the journal and provctl status say what this
 * pull refused, and the cache holds what it came from. */
static void refusal_news(const struct syncjob_in *in, const struct directory *cand, struct syncjob_out *out)
{
	if (out->plan.verdict != SYNCPLAN_NOOP || !in->old || directory_same_refusals(in->old, cand))
		return;
	out->plan.verdict = SYNCPLAN_APPLY;
	out->refusals_only = true;
}

/* bytes -> plan -> APPLY (persisted) / UNCHANGED / REJECTED. Takes f->body. */
static void decide_document(const struct syncjob_in *in, struct syncjob_out *out, struct directory *raw,
			    struct doc_fetch *f)
{
	struct syncplan_policy pol;
	struct directory *cand = NULL;
	char why[WHY_MAX];
	int r;

	r = snapshot_admit_prior(&in->cfg, &(struct snapshot_prior){ in->old, in->known, in->n_known }, raw, &cand,
				 why, sizeof(why));
	if (r < 0) {
		/* Over a hard limit (E2BIG) is about the data: rejected. */
		out->result = r == -E2BIG ? SYNCJOB_REJECTED : SYNCJOB_FAILED;
		out->error = r;
		out->transient = r != -E2BIG;
		set_reason(out, "cannot admit the directory: %s", why);
		return;
	}
	syncplan_policy_of(in, true, &pol);
	r = syncplan_compute(in->old, NULL, 0, cand, NULL, 0, &pol, &out->plan);
	if (r < 0) {
		directory_free(cand);
		out->result = SYNCJOB_FAILED;
		out->error = r;
		out->transient = true;
		set_reason(out, "out of memory");
		return;
	}
	refusal_news(in, cand, out);
	if (out->plan.verdict == SYNCPLAN_NOOP) {
		syncplan_free(&out->plan);
		directory_free(cand);
		out->result = SYNCJOB_UNCHANGED;
		keep_validators(out->url, f, out);
		return;
	}
	if (out->plan.verdict == SYNCPLAN_REJECT) {
		set_reason(out, "%s", out->plan.reason);
		syncplan_free(&out->plan);
		directory_free(cand);
		out->result = SYNCJOB_REJECTED;
		out->error = -EPERM;
		return;
	}
	out->have_plan = true;
	out->result = SYNCJOB_APPLY;
	out->dir = cand;
	keep_validators(out->url, f, out);
	/* The exact bytes: a later detached signature is over them. */
	r = cache_write(in->cfg.state_dir, f->body, f->len, cand->serial, out->cache_error, sizeof(out->cache_error));
	out->cache_written = r == 0;
	out->doc = f->body;
	out->doc_len = f->len;
	f->body = NULL;
}

static void pull_document(const struct syncjob_in *in, struct syncjob_out *out)
{
	struct attempt tries[16];
	bool use_val = validators_usable(in, out);
	struct directory *raw = NULL;
	struct doc_fetch f = { 0 };
	char why[WHY_MAX], line[WHY_MAX + 64];
	size_t i, n = 0;
	int r;

	for (i = 0; i < in->cfg.urls.n && n < sizeof(tries) / sizeof(tries[0]); i++) {
		const char *url = in->cfg.urls.v[i];

		snprintf(out->url, sizeof(out->url), "%s", url);
		doc_fetch_free(&f);
		r = fetch_doc(in, out, url, use_val, &f, &tries[n], why, sizeof(why));
		if (r == 0 && f.not_modified) {
			out->result = SYNCJOB_UNCHANGED;
			out->not_modified = true;
			goto done;
		}
		if (r == 0 && in->old_doc && f.len == in->old_len && memcmp(f.body, in->old_doc, f.len) == 0) {
			out->result = SYNCJOB_UNCHANGED;
			keep_validators(url, &f, out);
			goto done;
		}
		if (r == 0) {
			r = docparse(f.body, f.len, &raw, why, sizeof(why));
			if (r == 0 && (r = docsig_check_document(&in->cfg, raw, in->now, why, sizeof(why))) < 0) {
				directory_free(raw);
				raw = NULL;
			}
			if (r == 0)
				break;
			classify_data(r, &tries[n]);
			snprintf(line, sizeof(line), "%s: %s: %s", url, r == -EPERM ? "refused" : "malformed document", why);
			add_reason(out, line);
			n++;
			continue;
		}
		/* fetch errors already name the URL; local ones do not */
		if (strstr(why, url) || strncmp(url, "file://", 7) == 0)
			snprintf(line, sizeof(line), "%s", why);
		else
			snprintf(line, sizeof(line), "%s: %s", url, why);
		add_reason(out, line);
		n++;
	}
	if (!raw) {
		fail_all(out, tries, n);
		goto done;
	}
	out->reason[0] = '\0'; /* an earlier URL failed: this one answered */
	decide_document(in, out, raw, &f);
done:
	doc_fetch_free(&f);
}

/* ---- the SCIM source ---- */

void syncjob_scim_options(const struct prov_config *c, struct scim_options *ret)
{
	*ret = (struct scim_options){
		.user_urn = c->scim_user_schema,
		.group_urn = c->scim_group_schema,
		.attr_uid = c->scim_attr_uid,
		.attr_gid = c->scim_attr_gid,
		.attr_shell = c->scim_attr_shell,
		.attr_home = c->scim_attr_home,
		.attr_gecos = c->scim_attr_gecos,
		.attr_keys = c->scim_attr_keys,
		.strip_domain = c->scim_strip_domain,
		.id_min = c->scim_id_range.min,
		.id_max = c->scim_id_range.max,
	};
}

/* One complete pull from the first base URL that gives one: *ret the raw
 * snapshot, or NULL when every page was as last time (unchanged). */
static int scim_fetch(const struct syncjob_in *in, struct syncjob_out *out, const char *token,
		      const struct scim_prev *prev, struct directory **ret)
{
	struct attempt tries[16];
	struct scim_options so;
	char why[WHY_MAX], line[WHY_MAX + 64];
	size_t i, n = 0;
	int r;

	syncjob_scim_options(&in->cfg, &so);
	for (i = 0; i < in->cfg.urls.n && n < sizeof(tries) / sizeof(tries[0]); i++) {
		struct scim_pull_opts o = {
			.base_url = in->cfg.urls.v[i],
			.page_size = in->cfg.scim_page_size,
			.scim = &so,
			.prev = prev->v,
			.n_prev = prev->n,
			.marks = in->old ? in->marks : NULL,
			.n_marks = in->old ? in->n_marks : 0,
			.want_marks = true,
		};
		struct scim_pull_result res;

		snprintf(out->url, sizeof(out->url), "%s", o.base_url);
		fetch_opts_of(in, NULL, token, &o.http);
		r = scim_pull(&o, &res, why, sizeof(why));
		out->requests += res.requests;
		out->bytes += res.bytes;
		if (r == 0) {
			out->reason[0] = '\0';
			*ret = res.dir;
			out->marks = res.marks;
			out->n_marks = res.n_marks;
			return 0;
		}
		if (res.status != FETCH_OK)
			classify_fetch(res.status, res.http_code, res.retry_after_s, r, &tries[n]);
		else
			classify_data(r, &tries[n]);
		if (strstr(why, o.base_url) || res.status != FETCH_OK)
			snprintf(line, sizeof(line), "%s", why);
		else
			snprintf(line, sizeof(line), "%s: %s", o.base_url, why);
		add_reason(out, line);
		n++;
	}
	fail_all(out, tries, n);
	return out->error ? out->error : -EIO;
}

/* An applied SCIM snapshot is cached as a prov document: the next start
 * serves it through the same parser and admission as any document. */
static void persist_scim(const struct syncjob_in *in, struct syncjob_out *out)
{
	char why[WHY_MAX];
	int r;

	out->dir->serial = in->old ? in->old->serial + 1 : 1;
	out->dir->generated = in->now;
	r = docwrite(out->dir, &out->doc, &out->doc_len, why, sizeof(why));
	if (r < 0) {
		snprintf(out->cache_error, sizeof(out->cache_error), "cannot write the document: %s", why);
		return;
	}
	r = cache_write(in->cfg.state_dir, out->doc, out->doc_len, out->dir->serial, out->cache_error,
			sizeof(out->cache_error));
	out->cache_written = r == 0;
}

/* The ids the ledger holds (gone identities in quarantine, and at
 * start-up the identities served before) join the previous ids, so a
 * derived id is never one another identity had (idmap.h rule 2b). Keys
 * as scim_prev_collect() makes them. */
static int held_to_prev(const struct syncjob_in *in, struct scim_prev *p)
{
	struct idmap_prev *nv;

	if (in->n_known == 0)
		return 0;
	nv = realloc(p->v, (p->n + in->n_known + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	p->v = nv;
	for (size_t i = 0; i < in->n_known; i++) {
		const struct prior_entry *e = &in->known[i];
		char *k;

		if (!e->id)
			continue;
		if (asprintf(&k, "%c:%s", e->kind == DIR_KIND_USER ? 'u' : 'g', e->id) < 0)
			return -ENOMEM;
		p->v[p->n++] = (struct idmap_prev){ .key = k, .id = e->num };
	}
	return 0;
}

static void pull_scim(const struct syncjob_in *in, struct syncjob_out *out)
{
	struct scim_prev prev = { 0 };
	struct syncplan_policy pol;
	struct directory *raw = NULL, *cand = NULL;
	char why[WHY_MAX], *token = NULL;
	int r;

	/* A SCIM service always wants the token: no file is an error here. */
	r = load_token(in, &token, why, sizeof(why));
	if (r < 0) {
		out->result = SYNCJOB_FAILED;
		out->error = r;
		set_reason(out, "%s", r == -ENOENT && !in->cfg.token_file ? "no token_file configured" : why);
		return;
	}
	if (in->old && scim_prev_collect(in->old, &prev) < 0) {
		token_free(token);
		out->result = SYNCJOB_FAILED;
		out->error = -ENOMEM;
		out->transient = true;
		set_reason(out, "out of memory");
		return;
	}
	if (held_to_prev(in, &prev) < 0) {
		token_free(token);
		scim_prev_free(&prev);
		out->result = SYNCJOB_FAILED;
		out->error = -ENOMEM;
		out->transient = true;
		set_reason(out, "out of memory");
		return;
	}
	r = scim_fetch(in, out, token, &prev, &raw);
	token_free(token);
	scim_prev_free(&prev);
	if (r < 0)
		return;
	if (!raw) {
		/* Every page byte for byte as the pull the served snapshot
		 * came from: nothing to parse, admit or compare. */
		out->result = SYNCJOB_UNCHANGED;
		out->not_modified = true;
		return;
	}
	r = snapshot_admit_prior(&in->cfg, &(struct snapshot_prior){ in->old, in->known, in->n_known }, raw, &cand,
				 why, sizeof(why));
	if (r < 0) {
		/* Over a hard limit (E2BIG) is about the data: rejected. */
		out->result = r == -E2BIG ? SYNCJOB_REJECTED : SYNCJOB_FAILED;
		out->error = r;
		out->transient = r != -E2BIG;
		set_reason(out, "cannot admit the directory: %s", why);
		return;
	}
	syncplan_policy_of(in, false, &pol);
	r = syncplan_compute(in->old, NULL, 0, cand, NULL, 0, &pol, &out->plan);
	if (r == 0)
		refusal_news(in, cand, out);
	if (r < 0 || out->plan.verdict != SYNCPLAN_APPLY) {
		out->result = r < 0 ? SYNCJOB_FAILED : out->plan.verdict == SYNCPLAN_NOOP ? SYNCJOB_UNCHANGED
											  : SYNCJOB_REJECTED;
		out->error = r < 0 ? r : out->result == SYNCJOB_REJECTED ? -EPERM : 0;
		out->transient = r < 0;
		if (r < 0)
			set_reason(out, "out of memory");
		else if (out->result == SYNCJOB_REJECTED)
			set_reason(out, "%s", out->plan.reason);
		syncplan_free(&out->plan);
		directory_free(cand);
		return;
	}
	out->have_plan = true;
	out->result = SYNCJOB_APPLY;
	out->dir = cand;
	persist_scim(in, out);
}

void syncjob_run(const struct syncjob_in *in, struct syncjob_out *out)
{
	uint64_t t0 = mono_ms();

	memset(out, 0, sizeof(*out));
	if (in->cfg.source_type == SOURCE_SCIM)
		pull_scim(in, out);
	else
		pull_document(in, out);
	if (out->result == SYNCJOB_APPLY && !out->doc) {
		/* SCIM only: the snapshot is good, its JSON could not be made. */
		directory_free(out->dir);
		out->dir = NULL;
		syncplan_free(&out->plan);
		out->have_plan = false;
		out->result = SYNCJOB_REJECTED;
		out->error = -EILSEQ;
		set_reason(out, "%s", out->cache_error);
	}
	out->duration_ms = mono_ms() - t0;
}

void syncjob_out_free(struct syncjob_out *out)
{
	if (out->have_plan)
		syncplan_free(&out->plan);
	directory_free(out->dir);
	free(out->doc);
	free(out->marks);
	syncstate_free(&out->val);
	memset(out, 0, sizeof(*out));
}

void syncjob_in_free(struct syncjob_in *in)
{
	prior_entries_free(in->known, in->n_known);
	config_free(&in->cfg);
	syncstate_free(&in->val);
	free(in->marks);
	memset(in, 0, sizeof(*in));
}

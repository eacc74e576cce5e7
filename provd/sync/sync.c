/* SPDX-License-Identifier: MIT */
#include "sync/sync.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "sync/backoff.h"
#include "base/log.h"
#include "serve/mappublish.h"
#include "source/source.h"
#include "sync/syncjob.h"
#include "sync/synclog.h"
#include "store/syncstate.h"
#include "source/token.h"
#include "urlredact.h"

/* How long provd's stop waits for a pull in progress before leaving it. */
#define SYNC_STOP_WAIT_S 3
/* How long start-up and a reload wait for a file:// pull to end before
 * leaving it to the loop (a file on a hung network mount). */
#define SYNC_INLINE_WAIT_MS 10000

struct job {
	struct syncjob_in in;
	struct syncjob_out out;
	pthread_t thread;
	int event_fd;
};

struct waiters {
	uint64_t *v; /* connection ids of deferred REFRESH requests */
	size_t n, cap;
};

/* The last pull, as REFRESH answers it. */
struct report {
	const char *result;
	char reason[SYNCJOB_REASON_MAX];
	char changes[256];
	char source[1024];
	uint64_t serial;
	size_t users, groups;
	size_t refused, corrected, conflict; /* admission outcomes of what is served after it */
	bool forced, not_modified, cache_written;
	unsigned requests;
	size_t bytes;
	uint64_t duration_ms;
	int64_t next_try;
};

struct sync {
	struct server *srv;
	struct prov_state *st;
	int timer_fd, event_fd;
	struct job *job;           /* the pull running now, NULL when idle */
	struct waiters cur, next;  /* REFRESH waiting for the running pull / the one after */
	bool again, again_force;   /* pull once more right after the running one */
	struct syncstate saved;    /* last_ok and the served document's validators */
	const char *val_doc;       /* the st->doc the validators were last checked against */
	struct scim_page_mark *marks; /* the SCIM pages the served snapshot came from */
	size_t n_marks;
	bool stale_alerted;
	bool abandoned;
	char source_id[SOURCE_IDENTITY_MAX]; /* source_identity() of the running config */
	bool source_change_logged;           /* for source_id vs saved.source */
	struct report rep;
};

/* Status text: cut to fit, silently (reasons can be long). */
static void __attribute__((format(printf, 3, 4))) text(char *dst, size_t dstsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, dstsz, fmt, ap);
	va_end(ap);
}

/* ---- scheduling ---- */

static void policy_of(const struct prov_config *c, struct backoff_policy *ret)
{
	*ret = (struct backoff_policy){
		.base_ms = c->retry_base_ms,
		.cap_ms = c->retry_max_ms,
		.interval_ms = (uint64_t)c->refresh_interval_s * 1000u,
		.jitter_pct = c->refresh_jitter_pct,
	};
}

static void arm(struct sync *sy, uint64_t delay_ms)
{
	struct itimerspec its = { 0 };

	if (delay_ms == 0)
		delay_ms = 1; /* 0 would disarm */
	its.it_value.tv_sec = (time_t)(delay_ms / 1000);
	its.it_value.tv_nsec = (long)(delay_ms % 1000) * 1000000L;
	if (timerfd_settime(sy->timer_fd, 0, &its, NULL) < 0)
		log_msg(LOG_ERR, "sync timer: %s", strerror(errno));
	sy->st->health.next_try = (int64_t)time(NULL) + (int64_t)((delay_ms + 999) / 1000);
}

static void disarm(struct sync *sy)
{
	struct itimerspec its = { 0 };

	timerfd_settime(sy->timer_fd, 0, &its, NULL);
	sy->st->health.next_try = 0;
}

/* After a pull: the poll interval, or a backoff after a failure that may
 * pass by itself; never sooner than the server asked. */
static uint64_t next_delay(const struct sync *sy, const struct syncjob_out *out, bool ok)
{
	struct backoff_policy p;
	uint64_t d, ra = (uint64_t)out->retry_after_s * 1000u;

	policy_of(&sy->st->cfg, &p);
	if (ok || !out->transient) {
		d = backoff_poll_ms(&p, &rand_source_system);
		return d > ra ? d : ra;
	}
	return backoff_retry_ms(&p, sy->st->health.failures, ra, &rand_source_system);
}

/* ---- waiters ---- */

static int waiters_add(struct waiters *w, uint64_t id)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 4;
		uint64_t *v = reallocarray(w->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n++] = id;
	return 0;
}

/* STATUS-style pairs: u32 n, n x (str key, str value). */
struct pairs {
	struct prov_writer *w;
	size_t head;
	uint32_t n;
};

static void __attribute__((format(printf, 3, 4))) pair(struct pairs *p, const char *key, const char *fmt, ...)
{
	char val[PROV_STATUS_STR_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	url_redact_inplace(val, sizeof(val)); /* sources, errors: never a URL's credential */
	prov_put_str(p->w, key, PROV_STATUS_STR_MAX);
	prov_put_str(p->w, val, PROV_STATUS_STR_MAX);
	p->n++;
}

static void pairs_begin(struct pairs *p, struct prov_writer *w)
{
	p->w = w;
	p->head = w->len;
	p->n = 0;
	prov_put_u32(w, 0);
}

static void pairs_end(struct pairs *p)
{
	if (!p->w->err)
		memcpy(p->w->buf + p->head, &p->n, sizeof(p->n));
}

static int fill_report(struct prov_writer *w, void *userdata)
{
	const struct report *r = userdata;
	struct pairs p;
	char t[32];

	pairs_begin(&p, w);
	pair(&p, "result", "%s", r->result);
	pair(&p, "reason", "%s", r->reason[0] ? r->reason : "-");
	pair(&p, "changes", "%s", r->changes[0] ? r->changes : "none");
	pair(&p, "source", "%s", r->source[0] ? r->source : "-");
	pair(&p, "not_modified", "%s", r->not_modified ? "yes" : "no");
	pair(&p, "forced", "%s", r->forced ? "yes" : "no");
	pair(&p, "serial", "%llu", (unsigned long long)r->serial);
	pair(&p, "users", "%zu", r->users);
	pair(&p, "groups", "%zu", r->groups);
	pair(&p, "refused", "%zu", r->refused);
	pair(&p, "corrected", "%zu", r->corrected);
	pair(&p, "conflict", "%zu", r->conflict);
	pair(&p, "requests", "%u", r->requests);
	pair(&p, "bytes", "%zu", r->bytes);
	pair(&p, "duration_ms", "%llu", (unsigned long long)r->duration_ms);
	synclog_fmt_time(r->next_try, t, sizeof(t));
	pair(&p, "next_try", "%s", t);
	pairs_end(&p);
	return PROV_ST_OK;
}

/* A waiter that could not be queued (out of memory). */
static int fill_busy(struct prov_writer *w, void *userdata)
{
	(void)w;
	(void)userdata;
	return PROV_ST_INTERNAL;
}

static void answer(struct sync *sy, struct waiters *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		server_reply(sy->srv, w->v[i], PROV_OP_REFRESH, fill_report, &sy->rep);
	w->n = 0;
}

/* ---- the worker ---- */

static void *worker_main(void *arg)
{
	struct job *job = arg;
	uint64_t one = 1;

	syncjob_run(&job->in, &job->out);
	/* The loop reads the result once this is counted. */
	while (write(job->event_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	return NULL;
}

static void job_free(struct job *job)
{
	syncjob_out_free(&job->out);
	syncjob_in_free(&job->in);
	free(job);
}

static void record_failure(struct sync *sy, const struct syncjob_out *out);
static void report_of(struct sync *sy, const struct syncjob_out *out, bool forced);

/*
 * Is the served directory another source's? Then its serial says nothing
 * about the new source's (a new directory may well start at 1): the first
 * pull from the new source is not compared with it; the deprovisioning
 * guard still compares the users. Unknown (a sync.state from an older
 * provd, or none) counts as the same source: the careful side.
 */
static bool source_changed(struct sync *sy)
{
	const char *old = sy->saved.source;

	if (!sy->st->dir || !old[0] || strcmp(old, sy->source_id) == 0)
		return false;
	if (!sy->source_change_logged) {
		sy->source_change_logged = true;
		log_event(LOG_NOTICE, "source_changed",
			  LOG_FIELDS({ "PROV_SOURCE_ID", sy->source_id }, { "PROV_OLD_SOURCE_ID", old }),
			  "directory source changed (%s, was %s): the next pull is not compared with the served "
			  "serial %llu; the deprovisioning guard still applies (provctl refresh --force accepts)",
			  sy->source_id, old, (unsigned long long)sy->st->dir->serial);
	}
	return true;
}

static void start_job(struct sync *sy, bool force)
{
	struct prov_state *st = sy->st;
	struct job *job = calloc(1, sizeof(*job));
	int r = job ? 0 : -ENOMEM;

	if (r == 0)
		r = config_dup(&st->cfg, &job->in.cfg);
	if (r == 0 && sy->saved.url)
		r = syncstate_copy(&sy->saved, &job->in.val);
	if (r == 0)
		r = state_prior_of(st, &job->in.known, &job->in.n_known);
	if (r == 0 && sy->n_marks) {
		job->in.marks = reallocarray(NULL, sy->n_marks, sizeof(*sy->marks));
		if (job->in.marks) {
			memcpy(job->in.marks, sy->marks, sy->n_marks * sizeof(*sy->marks));
			job->in.n_marks = sy->n_marks;
		}
	}
	if (r == 0) {
		state_pin(st);
		job->in.old = st->dir;
		job->in.old_doc = st->doc;
		job->in.old_len = st->doc_len;
		job->in.verify_val = st->doc != sy->val_doc;
		job->in.force = force;
		job->in.new_source = source_changed(sy);
		job->in.now = (int64_t)time(NULL);
		job->event_fd = sy->event_fd;
		r = -pthread_create(&job->thread, NULL, worker_main, job);
		if (r < 0)
			state_unpin(st);
	}
	if (r < 0) {
		struct syncjob_out out = { .result = SYNCJOB_FAILED, .error = r, .transient = true };

		snprintf(out.reason, sizeof(out.reason), "cannot start a pull: %s", strerror(-r));
		if (job)
			syncjob_in_free(&job->in);
		free(job);
		record_failure(sy, &out);
		report_of(sy, &out, force);
		sy->rep.next_try = st->health.next_try;
		answer(sy, &sy->cur);
		state_notify(st);
		return;
	}
	sy->job = job;
	st->health.running = true;
	log_msg(LOG_DEBUG, "pull started%s", force ? " (forced)" : "");
}

/* ---- results ---- */

static void save_state(struct sync *sy)
{
	char err[256];

	if (syncstate_write(sy->st->cfg.state_dir, &sy->saved, err, sizeof(err)) < 0)
		log_msg(LOG_WARNING, "cannot record the sync state: %s", err);
}

static void report_of(struct sync *sy, const struct syncjob_out *out, bool forced)
{
	const struct directory *d = sy->st->dir;
	struct report *r = &sy->rep;

	memset(r, 0, sizeof(*r));
	r->result = syncjob_result_name(out->result);
	text(r->reason, sizeof(r->reason), "%s", out->reason);
	text(r->source, sizeof(r->source), "%s", out->url);
	r->forced = forced;
	r->not_modified = out->not_modified;
	r->cache_written = out->cache_written;
	r->requests = out->requests;
	r->bytes = out->bytes;
	r->duration_ms = out->duration_ms;
	r->serial = d ? d->serial : 0;
	r->users = d ? d->n_users : 0;
	r->groups = d ? d->n_groups : 0;
	r->refused = directory_count_outcome(d, DIR_REFUSED);
	r->corrected = directory_count_outcome(d, DIR_CORRECTED);
	r->conflict = directory_count_outcome(d, DIR_CONFLICT);
}

static void check_stale(struct sync *sy)
{
	char why[256];
	int64_t now = (int64_t)time(NULL);

	if (!state_is_stale(sy->st, now)) {
		if (sy->stale_alerted)
			log_event(LOG_NOTICE, "directory_fresh", NULL, "directory confirmed by its source again: not stale");
		sy->stale_alerted = false;
		return;
	}
	if (sy->stale_alerted)
		return;
	sy->stale_alerted = true;
	state_stale_reason(sy->st, now, why, sizeof(why));
	log_event(LOG_ALERT, "directory_stale", LOG_FIELDS({ "PROV_REASON", why }),
		  "directory is stale (%s): new logins of prov users are denied until a pull succeeds", why);
}

static void record_success(struct sync *sy, const struct syncjob_out *out)
{
	struct prov_state *st = sy->st;
	int64_t now = (int64_t)time(NULL);

	if (st->health.failures)
		log_event(LOG_NOTICE, "sync_recovered", LOG_FIELDS({ "PROV_ORIGIN", out->url }),
			  "directory source %s answers again after %u failed pulls", out->url, st->health.failures);
	st->health.failures = 0;
	st->health.failing_since = 0;
	st->health.auth_failed = false;
	st->last_ok = now;
	/* Confirmed: a snapshot built while the directory looked stale (the
	 * swap comes before this line) has its sudo members back now. */
	mappub_refresh(st->mappub, now);
	/* A pull that works answers a pull's error; not, say, a refused reload. */
	if (strncmp(st->last_error, "sync ", 5) == 0) {
		st->last_error[0] = '\0';
		st->last_error_at = 0;
	}
	sy->saved.last_ok = now;
	/* The served directory is now this source's. */
	memcpy(sy->saved.source, sy->source_id, sizeof(sy->saved.source));
	sy->source_change_logged = false;
	arm(sy, next_delay(sy, out, true));
}

static void record_failure(struct sync *sy, const struct syncjob_out *out)
{
	struct prov_state *st = sy->st;
	const char *what = syncjob_result_name(out->result);

	st->health.failures++;
	if (!st->health.failing_since)
		st->health.failing_since = (int64_t)time(NULL);
	st->health.auth_failed = out->auth;
	text(st->health.last_result, sizeof(st->health.last_result), "%s: %s", what, out->reason);
	state_set_error(st, out->error, "sync %s: %s", what, out->reason); /* "sync ": see record_success() */
	if (out->auth)
		log_event(LOG_ALERT, "sync_auth_failed", LOG_FIELDS({ "PROV_ORIGIN", out->url }, { "PROV_REASON", out->reason }),
			  "the directory refused provd's token, keeping the served directory (check %s): %s",
			  st->cfg.token_file ? st->cfg.token_file : "the token file", out->reason);
	else
		log_event(out->result == SYNCJOB_REJECTED ? LOG_ERR : LOG_WARNING,
			  out->result == SYNCJOB_REJECTED ? "sync_rejected" : "sync_failed",
			  LOG_FIELDS({ "PROV_ORIGIN", out->url }, { "PROV_REASON", out->reason }),
			  "pull %s, keeping the served directory (%u in a row): %s", what, st->health.failures,
			  out->reason);
	arm(sy, next_delay(sy, out, false));
}

/* The SCIM pages a pull that applied or confirmed the directory saw. */
static void take_marks(struct sync *sy, struct syncjob_out *out)
{
	if (!out->marks)
		return;
	free(sy->marks);
	sy->marks = out->marks;
	sy->n_marks = out->n_marks;
	out->marks = NULL;
}

/* Validators the worker learned (or found wrong) for the served bytes. */
static void take_validators(struct sync *sy, const struct syncjob_out *out)
{
	if (out->val_changed)
		syncstate_set_validators(&sy->saved, out->val.url, out->val.etag, out->val.last_modified,
					 out->val.doc_len, out->val.doc_crc);
	else if (out->val_dropped)
		syncstate_set_validators(&sy->saved, NULL, NULL, NULL, 0, 0);
}

static void applied(struct sync *sy, struct job *job, bool forced)
{
	struct prov_state *st = sy->st;
	struct syncjob_out *out = &job->out;
	char counts[96];

	synclog_plan(&out->plan, out->url, job->in.old == NULL);
	if (out->plan.forced)
		log_event(LOG_WARNING, "sync_forced", LOG_FIELDS({ "PROV_ORIGIN", out->url }),
			  "a suspicious directory was applied because a refresh forced it");
	if (!out->cache_written && out->cache_error[0])
		log_msg(LOG_ERR, "the worker could not write the cache (%s): trying again", out->cache_error);
	syncplan_summary(&out->plan, st->health.last_change, sizeof(st->health.last_change));
	st->health.last_change_at = (int64_t)time(NULL);
	state_install(st, out->dir, out->doc, out->doc_len, out->url, out->cache_written);
	out->dir = NULL;
	out->doc = NULL;
	/* Validators belong to the bytes now served, or there are none. */
	if (out->val_changed)
		take_validators(sy, out);
	else
		syncstate_set_validators(&sy->saved, NULL, NULL, NULL, 0, 0);
	sy->val_doc = st->doc;
	take_marks(sy, out);
	state_outcome_counts(st->dir, counts, sizeof(counts));
	text(st->health.last_result, sizeof(st->health.last_result), "applied%s: %s%s%s%s", forced ? " (forced)" : "",
	     st->health.last_change, out->refusals_only ? " (only what is refused changed)" : "",
	     st->dir->n_refused ? "; " : "", st->dir->n_refused ? counts : "");
	record_success(sy, out);
	save_state(sy);
	report_of(sy, out, forced);
	text(sy->rep.changes, sizeof(sy->rep.changes), "%s", st->health.last_change);
}

static void unchanged(struct sync *sy, struct job *job)
{
	struct prov_state *st = sy->st;
	struct syncjob_out *out = &job->out;

	char counts[96];

	/* Every pull says what it refused (issue 9 §3): an unchanged one
	 * refuses what the served snapshot records, already audited one by
	 * one when it was built. */
	state_outcome_counts(st->dir, counts, sizeof(counts));
	if (st->dir && st->dir->n_refused)
		log_event(LOG_INFO, "sync_unchanged", LOG_FIELDS({ "PROV_ORIGIN", out->url }, { "PROV_OUTCOMES", counts }),
			  "directory from %s unchanged%s: %s, as before", out->url,
			  out->not_modified ? " (304)" : "", counts);
	else
		log_msg(LOG_DEBUG, "directory from %s unchanged%s", out->url, out->not_modified ? " (304)" : "");
	take_validators(sy, out);
	sy->val_doc = job->in.old_doc;
	take_marks(sy, out);
	snprintf(st->health.last_result, sizeof(st->health.last_result), "unchanged%s%s%s",
		 !out->not_modified			 ? ""
		 : job->in.cfg.source_type == SOURCE_SCIM ? " (every page as before)"
							  : " (not modified)",
		 st->dir && st->dir->n_refused ? "; " : "", st->dir && st->dir->n_refused ? counts : "");
	record_success(sy, out);
	save_state(sy);
	report_of(sy, out, job->in.force);
}

static void job_done(struct sync *sy)
{
	struct prov_state *st = sy->st;
	struct job *job = sy->job;
	struct syncjob_out *out = &job->out;

	pthread_join(job->thread, NULL);
	sy->job = NULL;
	st->health.running = false;
	st->health.pulls++;
	st->health.last_attempt = (int64_t)time(NULL);
	text(st->health.last_source, sizeof(st->health.last_source), "%s", out->url);
	if (out->result == SYNCJOB_APPLY && st->dir != job->in.old) {
		/* A reload rebuilt the served snapshot meanwhile: the plan
		 * compared against one that is gone. Pull again. */
		log_msg(LOG_NOTICE, "pull from %s superseded by a reload: pulling again", out->url);
		sy->again = true;
		sy->again_force |= job->in.force;
		/* its waiters wait for the next pull, with those already there */
		for (size_t i = 0; i < sy->cur.n; i++)
			if (waiters_add(&sy->next, sy->cur.v[i]) < 0)
				server_reply(sy->srv, sy->cur.v[i], PROV_OP_REFRESH, fill_busy, NULL);
		sy->cur.n = 0;
	} else if (out->result == SYNCJOB_APPLY) {
		applied(sy, job, job->in.force);
	} else if (out->result == SYNCJOB_UNCHANGED) {
		unchanged(sy, job);
	} else {
		record_failure(sy, out);
		report_of(sy, out, job->in.force);
	}
	sy->rep.next_try = st->health.next_try;
	/* The plan points into the snapshot that was served: log first (done
	 * above), then let it go. */
	syncplan_free(&out->plan);
	out->have_plan = false;
	state_unpin(st);
	job_free(job);
	/* A pull frees as much as it built (the snapshot it replaced, or the
	 * candidate nobody needed): give it back rather than keep a big
	 * directory's worth of free heap for ever. */
	malloc_trim(0);
	answer(sy, &sy->cur);
	check_stale(sy);
	state_notify(st);
	if (sy->again) {
		struct waiters t = sy->cur;
		bool force = sy->again_force;

		sy->cur = sy->next;
		sy->next = t;
		sy->again = sy->again_force = false;
		start_job(sy, force);
	}
}

/* ---- loop callbacks ---- */

static void on_event(struct server *srv, int fd, uint32_t events, void *userdata)
{
	struct sync *sy = userdata;
	uint64_t n;

	(void)srv;
	(void)events;
	if (read(fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return;
	if (sy->job)
		job_done(sy);
}

static void on_timer(struct server *srv, int fd, uint32_t events, void *userdata)
{
	struct sync *sy = userdata;
	uint64_t n;

	(void)srv;
	(void)events;
	if (read(fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return;
	sy->st->health.next_try = 0;
	check_stale(sy);
	if (!sy->st->health.enabled)
		return;
	if (sy->job)
		sy->again = true;
	else
		start_job(sy, false);
}

void sync_kick(struct sync *sy, bool force)
{
	if (sy->job) {
		sy->again = true;
		sy->again_force |= force;
		return;
	}
	start_job(sy, force);
}

/*
 * A file:// source at start-up and after a reload: pulled by the worker
 * like any source (every guard applies), but waited for here, so provd
 * answers with the file's directory from its first request on, as it did
 * when files were read in the loop. A pull that takes longer is left to
 * the loop (its eventfd).
 */
static void pull_inline(struct sync *sy)
{
	struct pollfd pfd = { .fd = sy->event_fd, .events = POLLIN };
	uint64_t n;

	if (!sy->job)
		start_job(sy, false);
	if (!sy->job)
		return;
	if (poll(&pfd, 1, SYNC_INLINE_WAIT_MS) == 1 && read(sy->event_fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		job_done(sy);
}

/* The running config's source: what to pull, and whether it is another
 * directory than the one served (source_changed()). */
static void take_source(struct sync *sy)
{
	struct prov_state *st = sy->st;

	source_identity(&st->cfg, sy->source_id, sizeof(sy->source_id));
	sy->source_change_logged = false;
	st->health.enabled = source_is_configured(&st->cfg) && !source_is_demo(&st->cfg);
}

void sync_reload(struct server *srv, void *userdata)
{
	struct sync *sy = userdata;
	struct prov_state *st = sy->st;

	(void)srv;
	take_source(sy);
	if (!st->health.enabled) {
		disarm(sy);
		return;
	}
	if (source_is_file(&st->cfg) && !sy->job) {
		pull_inline(sy); /* with the new config, now */
		return;
	}
	sync_kick(sy, false); /* with the new config, now */
}

/* ---- REFRESH ---- */

static int h_refresh(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	struct prov_state *st = ctx->state;
	struct sync *sy = st->sync;
	uint32_t flags = prov_get_u32(req);
	bool force;
	char uid[16], pid[16];

	if (prov_reader_end(req) < 0 || (flags & ~PROV_REFRESH_FORCE))
		return PROV_ST_BAD_REQUEST;
	force = flags & PROV_REFRESH_FORCE;
	snprintf(uid, sizeof(uid), "%u", (unsigned)ctx->peer->uid);
	snprintf(pid, sizeof(pid), "%d", (int)ctx->peer->pid);
	log_event(LOG_NOTICE, "refresh_requested",
		  LOG_FIELDS({ "PROV_PEER_UID", uid }, { "PROV_PEER_PID", pid }, { "PROV_FORCE", force ? "yes" : "no" }),
		  "refresh%s requested by uid %s pid %s", force ? " --force" : "", uid, pid);
	if (!sy || !st->health.enabled) {
		bool demo = source_is_demo(&st->cfg);
		struct report r = { .result = demo ? "unchanged" : "unconfigured" };

		snprintf(r.reason, sizeof(r.reason), "%s",
			 demo ? "url = demo: the embedded demo is served, there is nothing to pull"
			      : "no directory source configured: set [directory] url in provd.conf");
		r.serial = st->dir ? st->dir->serial : 0;
		r.users = st->dir ? st->dir->n_users : 0;
		r.groups = st->dir ? st->dir->n_groups : 0;
		return fill_report(reply, &r);
	}
	if (waiters_add(sy->job ? &sy->next : &sy->cur, ctx->peer->conn_id) < 0)
		return PROV_ST_INTERNAL;
	sync_kick(sy, force);
	return DISPATCH_DEFERRED;
}

static const struct dispatch_entry sync_entries[] = {
	{ PROV_OP_REFRESH, DISPATCH_ROOT, "REFRESH", h_refresh },
};

const struct dispatch_table sync_dispatch_table = {
	sync_entries,
	sizeof(sync_entries) / sizeof(sync_entries[0]),
};

/* ---- life cycle ---- */

int sync_check_token(const struct prov_config *cfg, char *err, size_t errsz)
{
	char *token = NULL;
	int r;

	if (!source_is_configured(cfg) || source_is_demo(cfg) || source_is_file(cfg))
		return 0;
	if (!cfg->token_file) {
		if (cfg->source_type != SOURCE_SCIM)
			return 0;
		snprintf(err, errsz, "type = scim needs token_file");
		return -EINVAL;
	}
	r = token_load(cfg->token_file, &token, err, errsz);
	token_free(token);
	if (r == -ENOENT && cfg->source_type != SOURCE_SCIM)
		return 0; /* a public document needs none */
	return r < 0 ? r : 0;
}

/* The cache says when the directory last changed; sync.state when the
 * source last confirmed it, which is what offline_grace counts from. */
static void load_saved(struct sync *sy)
{
	struct prov_state *st = sy->st;
	char err[256];

	if (syncstate_read(st->cfg.state_dir, &sy->saved, err, sizeof(err)) < 0) {
		log_msg(LOG_WARNING, "ignoring the sync state: %s", err);
		return;
	}
	if (st->dir && strcmp(st->origin, "cache") == 0 && sy->saved.last_ok > st->last_ok &&
	    sy->saved.last_ok <= (int64_t)time(NULL))
		st->last_ok = sy->saved.last_ok;
}

int sync_new(struct server *srv, struct prov_state *st, struct sync **ret)
{
	struct sync *sy = calloc(1, sizeof(*sy));
	int r;

	if (!sy)
		return -ENOMEM;
	sy->srv = srv;
	sy->st = st;
	sy->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	sy->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sy->timer_fd < 0 || sy->event_fd < 0) {
		r = -errno;
		goto fail;
	}
	r = server_watch(srv, sy->timer_fd, EPOLLIN, on_timer, sy);
	if (r == 0)
		r = server_watch(srv, sy->event_fd, EPOLLIN, on_event, sy);
	if (r < 0)
		goto fail;
	load_saved(sy);
	st->sync = sy;
	take_source(sy);
	server_set_reload_hook(srv, sync_reload, sy);
	/* A file is pulled before the first request, the network now. */
	if (st->health.enabled && source_is_file(&st->cfg))
		pull_inline(sy);
	else if (st->health.enabled)
		arm(sy, 0);
	check_stale(sy);
	*ret = sy;
	return 0;
fail:
	if (sy->timer_fd >= 0) {
		server_unwatch(srv, sy->timer_fd);
		close(sy->timer_fd);
	}
	if (sy->event_fd >= 0) {
		server_unwatch(srv, sy->event_fd);
		close(sy->event_fd);
	}
	free(sy);
	return r;
}

void sync_free(struct sync *sy)
{
	struct timespec until;

	if (!sy)
		return;
	if (sy->job) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += SYNC_STOP_WAIT_S;
		if (pthread_timedjoin_np(sy->job->thread, NULL, &until) == 0) {
			syncplan_free(&sy->job->out.plan);
			sy->job->out.have_plan = false;
			state_unpin(sy->st);
			job_free(sy->job);
		} else {
			/* Still fetching: leave it its job, its pinned snapshot
			 * and its eventfd; the process exits right after. */
			log_msg(LOG_NOTICE, "stopping in the middle of a pull: it is abandoned");
			sy->abandoned = true;
		}
		sy->job = NULL;
	}
	server_unwatch(sy->srv, sy->timer_fd);
	server_unwatch(sy->srv, sy->event_fd);
	close(sy->timer_fd);
	if (!sy->abandoned)
		close(sy->event_fd);
	free(sy->cur.v);
	free(sy->next.v);
	free(sy->marks);
	syncstate_free(&sy->saved);
	sy->st->sync = NULL;
	free(sy);
}

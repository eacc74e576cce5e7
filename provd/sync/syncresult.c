/* SPDX-License-Identifier: MIT */
/* What a finished pull does (sync_impl.h): applied, unchanged or failed,
 * into the served state, the health STATUS shows, the saved sync state
 * and the next pull's time. */
#include "sync/sync_impl.h"

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

static void save_state(struct sync *sy)
{
	char err[256];

	if (syncstate_write(sy->st->cfg.state_dir, &sy->saved, err, sizeof(err)) < 0)
		log_msg(LOG_WARNING, "cannot record the sync state: %s", err);
}

void sync_report_of(struct sync *sy, const struct syncjob_out *out, bool forced)
{
	const struct directory *d = sy->st->dir;
	struct report *r = &sy->rep;

	memset(r, 0, sizeof(*r));
	r->result = syncjob_result_name(out->result);
	sync_text(r->reason, sizeof(r->reason), "%s", out->reason);
	sync_text(r->source, sizeof(r->source), "%s", out->url);
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

void sync_check_stale(struct sync *sy)
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
	sync_arm(sy, sync_next_delay(sy, out, true));
}

void sync_record_failure(struct sync *sy, const struct syncjob_out *out)
{
	struct prov_state *st = sy->st;
	const char *what = syncjob_result_name(out->result);

	st->health.failures++;
	if (!st->health.failing_since)
		st->health.failing_since = (int64_t)time(NULL);
	st->health.auth_failed = out->auth;
	sync_text(st->health.last_result, sizeof(st->health.last_result), "%s: %s", what, out->reason);
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
	sync_arm(sy, sync_next_delay(sy, out, false));
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
	sync_text(st->health.last_result, sizeof(st->health.last_result), "applied%s: %s%s%s%s", forced ? " (forced)" : "",
	     st->health.last_change, out->refusals_only ? " (only what is refused changed)" : "",
	     st->dir->n_refused ? "; " : "", st->dir->n_refused ? counts : "");
	record_success(sy, out);
	save_state(sy);
	sync_report_of(sy, out, forced);
	sync_text(sy->rep.changes, sizeof(sy->rep.changes), "%s", st->health.last_change);
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
	sync_report_of(sy, out, job->in.force);
}

void sync_job_done(struct sync *sy)
{
	struct prov_state *st = sy->st;
	struct job *job = sy->job;
	struct syncjob_out *out = &job->out;

	pthread_join(job->thread, NULL);
	sy->job = NULL;
	st->health.running = false;
	st->health.pulls++;
	st->health.last_attempt = (int64_t)time(NULL);
	sync_text(st->health.last_source, sizeof(st->health.last_source), "%s", out->url);
	if (out->result == SYNCJOB_APPLY && st->dir != job->in.old) {
		/* A reload rebuilt the served snapshot meanwhile: the plan
		 * compared against one that is gone. Pull again. */
		log_msg(LOG_NOTICE, "pull from %s superseded by a reload: pulling again", out->url);
		sy->again = true;
		sy->again_force |= job->in.force;
		/* its waiters wait for the next pull, with those already there */
		for (size_t i = 0; i < sy->cur.n; i++)
			if (sync_waiters_add(&sy->next, sy->cur.v[i]) < 0)
				server_reply(sy->srv, sy->cur.v[i], PROV_OP_REFRESH, sync_fill_busy, NULL);
		sy->cur.n = 0;
	} else if (out->result == SYNCJOB_APPLY) {
		applied(sy, job, job->in.force);
	} else if (out->result == SYNCJOB_UNCHANGED) {
		unchanged(sy, job);
	} else {
		sync_record_failure(sy, out);
		sync_report_of(sy, out, job->in.force);
	}
	sy->rep.next_try = st->health.next_try;
	/* The plan points into the snapshot that was served: log first (done
	 * above), then let it go. */
	syncplan_free(&out->plan);
	out->have_plan = false;
	state_unpin(st);
	sync_job_free(job);
	/* A pull frees as much as it built (the snapshot it replaced, or the
	 * candidate nobody needed): give it back rather than keep a big
	 * directory's worth of free heap for ever. */
	malloc_trim(0);
	sync_answer(sy, &sy->cur);
	sync_check_stale(sy);
	state_notify(st);
	if (sy->again) {
		struct waiters t = sy->cur;
		bool force = sy->again_force;

		sy->cur = sy->next;
		sy->next = t;
		sy->again = sy->again_force = false;
		sync_start_job(sy, force);
	}
}

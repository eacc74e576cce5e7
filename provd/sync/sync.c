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
#include "sync/sync_impl.h"

/* Status text: cut to fit, silently (reasons can be long). */
void sync_text(char *dst, size_t dstsz, const char *fmt, ...)
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

void sync_arm(struct sync *sy, uint64_t delay_ms)
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
uint64_t sync_next_delay(const struct sync *sy, const struct syncjob_out *out, bool ok)
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

void sync_job_free(struct job *job)
{
	syncjob_out_free(&job->out);
	syncjob_in_free(&job->in);
	free(job);
}


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

void sync_start_job(struct sync *sy, bool force)
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
		sync_record_failure(sy, &out);
		sync_report_of(sy, &out, force);
		sy->rep.next_try = st->health.next_try;
		sync_answer(sy, &sy->cur);
		state_notify(st);
		return;
	}
	sy->job = job;
	st->health.running = true;
	log_msg(LOG_DEBUG, "pull started%s", force ? " (forced)" : "");
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
		sync_job_done(sy);
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
	sync_check_stale(sy);
	if (!sy->st->health.enabled)
		return;
	if (sy->job)
		sy->again = true;
	else
		sync_start_job(sy, false);
}

void sync_kick(struct sync *sy, bool force)
{
	if (sy->job) {
		sy->again = true;
		sy->again_force |= force;
		return;
	}
	sync_start_job(sy, force);
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
		sync_start_job(sy, false);
	if (!sy->job)
		return;
	if (poll(&pfd, 1, SYNC_INLINE_WAIT_MS) == 1 && read(sy->event_fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		sync_job_done(sy);
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
		sync_arm(sy, 0);
	sync_check_stale(sy);
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
			sync_job_free(sy->job);
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

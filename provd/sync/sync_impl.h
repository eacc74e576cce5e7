/* SPDX-License-Identifier: MIT */
/*
 * What the files of the sync driver share (sync.h is the interface).
 * sync.c schedules pulls, runs them on the sync worker thread and starts
 * and stops the driver; syncresult.c applies what a pull brought back;
 * syncrefresh.c answers REFRESH.
 */
#ifndef PROV_SYNC_IMPL_H
#define PROV_SYNC_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/sync.h"
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
void sync_text(char *dst, size_t dstsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sync_arm(struct sync *sy, uint64_t delay_ms);
uint64_t sync_next_delay(const struct sync *sy, const struct syncjob_out *out, bool ok);
void sync_job_free(struct job *job);
void sync_start_job(struct sync *sy, bool force);
int sync_waiters_add(struct waiters *w, uint64_t id);
int sync_fill_busy(struct prov_writer *w, void *userdata);
void sync_answer(struct sync *sy, struct waiters *w);
void sync_record_failure(struct sync *sy, const struct syncjob_out *out);
void sync_report_of(struct sync *sy, const struct syncjob_out *out, bool forced);
void sync_check_stale(struct sync *sy);
void sync_job_done(struct sync *sy);

#endif

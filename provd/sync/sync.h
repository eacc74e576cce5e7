/* SPDX-License-Identifier: MIT */
/*
 * Stage sync (provd/sync/, in the order of provd/stages.txt) takes the
 * config's central source and the loop. Gives pulls on a timer, run on a
 * worker thread through the source and admit stages (syncjob.h), applied
 * to the store in the loop thread, and REFRESH.
 *
 * The sync driver: keeps the served directory in step with the central
 * one, in provd's event loop (issue 3, DESIGN invariants 3, 4, 5, 10).
 *
 * When: a timerfd in the loop. After a pull that worked (applied or
 * unchanged) the next one is due after refresh_interval +- refresh_jitter;
 * after one that failed, after an exponential backoff with full jitter
 * (retry_base doubling up to retry_max, never sooner than a server's
 * Retry-After) when the failure may pass by itself, and after the poll
 * interval when it needs an operator (token refused, TLS, a suspicious
 * directory). A network source is pulled at once at start-up; a file://
 * one was read synchronously and is polled from then on.
 *
 * How: one pull at a time runs in a worker thread (syncjob.h: fetch,
 * parse, admit, plan, persist), reading the served snapshot pinned for it
 * (state_pin()). Its result comes back through an eventfd; the loop thread
 * logs it, swaps the snapshot pointer (a lookup never waits for a pull and
 * never sees half of one), records the source's health for status and
 * sd_notify STATUS=, and answers the provctl refresh requests that waited
 * for it (REFRESH is deferred, dispatch.h). A refresh or a SIGHUP during a
 * pull queues one more pull right after it.
 *
 * Safety: a failed, partial, malformed or suspicious pull changes nothing
 * served and nothing on disk; the journal and status say why. A 401/403
 * keeps the cache and raises an alert. Every applied change is logged per
 * user with structured fields. Past offline_grace without a confirmed pull
 * the directory is stale (state_is_stale()): logged once as an alert.
 */
#ifndef PROV_SYNC_H
#define PROV_SYNC_H

#include <stdbool.h>

#include "loop/dispatch.h"
#include "loop/server.h"
#include "store/state.h"

struct sync;

/* REFRESH (protocol.h): root on the private socket. */
extern const struct dispatch_table sync_dispatch_table;

/* Sets up the timer and eventfd in srv's loop and schedules the first pull;
 * st->sync points at it. Call after state_load_initial() and server_new()
 * (the worker thread must inherit the signal mask server_new() set). Reads
 * <state_dir>/sync.state (last_ok, validators). */
int sync_new(struct server *srv, struct prov_state *st, struct sync **ret);

/* Stops: waits for a running pull to end (at most a few seconds; past that
 * it is abandoned, its pinned snapshot with it, as the process is exiting). */
void sync_free(struct sync *sy);

/* Starts a pull now (or right after the running one). */
void sync_kick(struct sync *sy, bool force);

/* SIGHUP: the config may have changed; pull again with it. */
void sync_reload(struct server *srv, void *userdata);

/*
 * Start-up check for network sources: the token file, when it exists (and
 * for type = scim it must), has to be a root-owned regular file with no
 * access for group or others, and readable: otherwise provd refuses to
 * start (err says why; never with any of the token).
 */
int sync_check_token(const struct prov_config *cfg, char *err, size_t errsz);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Slow work off the loop thread (DESIGN invariant 12: a lookup or a PAM
 * request never waits behind a home creation). One worker thread per
 * process, started by server_new() (after the signals are blocked, so it
 * inherits the mask) and stopped by server_free(); jobs run in order.
 *
 *   run(arg)      in the worker thread: the slow part only. It must not
 *                 touch provd's state (the loop owns it) nor log.
 *   done(s, arg)  back in the loop thread once run() returned: reply
 *                 (server_reply()), audit, free arg. s is NULL when provd
 *                 is stopping and the job did not run or cannot be
 *                 answered any more: then only free arg.
 *
 * Home creation uses it (login_handlers.c); it is one thread so that two
 * sessions of one user never race on the same home.
 */
#ifndef PROV_WORKER_H
#define PROV_WORKER_H

#include <stdbool.h>

struct server;

typedef void (*worker_run_fn)(void *arg);
typedef void (*worker_done_fn)(struct server *s, void *arg);

/* Starts the thread and watches its completions in s's loop. */
int worker_start(struct server *s);

/* Waits for the job in progress, then done(NULL, arg) for every other. */
void worker_stop(void);

/* true between worker_start() and worker_stop(). */
bool worker_running(void);

/* Queues a job: 0, -ENOTCONN when no worker runs (the caller does the
 * work itself), -ENOMEM. */
int worker_submit(worker_run_fn run, worker_done_fn done, void *arg);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The slow half of deprovisioning (issue 8 §2): nscd invalidation, logind
 * calls and the signalling of a user's processes run on this one worker
 * thread, never on the loop that answers lookups and PAM. A logind that
 * takes its two seconds to answer, or an nscd -i that hangs until its
 * timeout, delays the next revocation, never a getent or a login.
 *
 * The loop decides (sessions.c: who lost access, when the grace is over)
 * and hands a job over; the call queues it and returns at once. Jobs are
 * coalesced: an end or a kill already queued for a uid is not queued
 * twice, and any number of nscd requests before the worker gets to them
 * are one "nscd -i passwd" + "nscd -i group". In each batch nscd comes
 * first (sudo asks the group database, through nscd where it runs: the
 * revocation that bites soonest), then the ends and kills in order.
 *
 * End (sessions.h "How"): logind TerminateUser when logind runs, then
 * SIGHUP + SIGCONT to every process of the uid through pidfds; audited as
 * sessions_ended. Kill: SIGKILL to what is left; sessions_killed. The
 * SIGKILL deadline and the "allowed again meanwhile?" check stay in the
 * loop, which owns the decisions.
 *
 * Should a job not fit in memory, it is done at once on the caller's
 * thread: late is better than never for a revocation.
 */
#ifndef PROV_SESSION_WORKER_H
#define PROV_SESSION_WORKER_H

#include <stdint.h>

#define SESSIONS_GRACE_S 5

/* Where the outside world is; tests point these elsewhere. */
struct sessions_env {
	const char *proc_dir;     /* "/proc" */
	const char *nscd_socket;  /* "/var/run/nscd/socket" */
	const char *nscd_binary;  /* "/usr/sbin/nscd" */
	const char *logind_probe; /* "/run/systemd/seats": exists while logind runs */
	unsigned grace_s;         /* SIGHUP .. SIGKILL; 0 = SESSIONS_GRACE_S */
};

struct session_worker;

/* Starts the thread (all signals blocked in it: they are the loop's).
 * env is copied; its strings must outlive the worker. */
int session_worker_new(const struct sessions_env *env, struct session_worker **ret);

/* Does what is queued, then stops and joins the thread. NULL is a no-op. */
void session_worker_free(struct session_worker *w);

/* Ends the sessions of uid (name is for the audit; copied). */
void session_worker_end(struct session_worker *w, uint32_t uid, const char *name);
/* SIGKILL to what is left of uid's processes. */
void session_worker_kill(struct session_worker *w, uint32_t uid);
/* nscd -i passwd, nscd -i group (when nscd's socket exists). */
void session_worker_invalidate_nscd(struct session_worker *w);

/* Waits until nothing is queued or running (tests, and shutdown). */
void session_worker_drain(struct session_worker *w);

/* Jobs the worker has finished since it started (tests: coalescing). */
uint64_t session_worker_done(struct session_worker *w);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Deprovisioning that bites (DESIGN invariant 3, issue 4): when a user
 * loses access here, her running sessions end, and caches in front of
 * provd forget what they knew.
 *
 * When: after every swap of the served snapshot (a sync, a SIGHUP, the
 * cache at start-up: state.h's on_change hook), and at the instants the
 * clock alone changes a decision (a grant's or the document's not_after:
 * decision_next_change()), on a timerfd in provd's loop.
 *
 * Who: the users that were allowed at the previous check and are not any
 * more: deactivated, removed from the directory, grant expired or taken
 * away (EXPIRED, UNKNOWN, NO_GRANT). A directory that went stale (past
 * offline_grace) is not a deprovisioning: new logins are refused, running
 * sessions are left alone, and the user is judged again when the directory
 * comes back. Tracking transitions rather than "every process of a user
 * without a grant" leaves alone what prov never allowed (a service an
 * admin runs as some prov uid). A user is who her stable directory id says
 * (document "id", SCIM id; the name for an entry without one): a rename,
 * same id and uid, is not a loss of access and signals nothing; the same
 * name for another id and uid is a new identity, and the old one's
 * sessions end.
 *
 * How (end_sessions = yes), on session_worker.h's thread, never on the
 * loop that answers lookups and PAM: through logind (TerminateUser over D-Bus, with
 * sd-bus) when it runs, which also stops the user's systemd instance; then,
 * whether logind ran or not, every process whose real or effective uid is
 * the user's gets SIGHUP (and SIGCONT, so a stopped one sees it), and
 * whatever is left after the grace gets SIGKILL. Processes are signalled
 * through pidfds opened before their uid is read, so a pid reused in
 * between is never hit. Only this PID namespace's /proc is seen.
 * With end_sessions = no the loss of access is still audited.
 *
 * Caches: where nscd runs (its socket exists), "nscd -i passwd" and
 * "nscd -i group" are run (absolute path, empty environment) after every
 * applied change and every clock-driven change, so a revocation (the sudo
 * group above all) is not held back by nscd's positive TTL.
 *
 * Removed users: the list of users removed from the directory but still
 * served for deprovisioned_retention (removed.h) is opened here (into
 * st->removed) and brought up to date on every swap, before the check, so
 * that a removed user is judged EXPIRED.
 *
 * Everything is audited (DESIGN invariant 10): access_revoked,
 * sessions_ended (PROV_METHOD logind and/or signal, PROV_PIDS),
 * sessions_killed, nscd_invalidated / nscd_invalidate_failed (and
 * removed.h's user_removed, removed_user_forgotten, uid_reused).
 */
#ifndef PROV_SESSIONS_H
#define PROV_SESSIONS_H

#include <stdint.h>
#include <sys/types.h>

#include "access/session_worker.h"
#include "access/sessions_signal.h"
#include "loop/server.h"
#include "store/state.h"

struct sessions;

/* env NULL = the real paths. Installs itself as st's on_change hook and
 * opens st->removed (from st->cfg.state_dir) unless it is already set. */
int sessions_new(struct prov_state *st, const struct sessions_env *env, struct sessions **ret);
void sessions_free(struct sessions *s);

/* Puts the timer in srv's loop (NULL srv: no timer; tests call
 * sessions_tick()). */
int sessions_attach(struct sessions *s, struct server *srv);

/* Judges everyone again at now: ends the sessions of who lost access,
 * kills what outlived the grace, invalidates nscd when something changed,
 * and re-arms the timer. The hook and the timer call it. */
void sessions_tick(struct sessions *s, int64_t now);

/* Waits until the worker (session_worker.h) has done every end, kill and
 * nscd invalidation handed to it so far; for tests. */
void sessions_drain(struct sessions *s);

/* The instant the timer is set for (0 = none); for tests and status. */
int64_t sessions_next_wakeup(const struct sessions *s);

#endif

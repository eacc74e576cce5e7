/* SPDX-License-Identifier: MIT */
/*
 * When provd publishes the lookup snapshot (mapwrite.h), and what it
 * says about it.
 *
 * When: after every swap of the served directory (state.h's on_publish
 * hook, run by sessions.c's on_change once the removed-users list is up to
 * date and before nscd is told to forget), which covers the disk cache at
 * start-up, refreshed before READY (mappub_refresh()); at every instant the
 * clock alone changes an answer: a decision_next_change() (a grant's or the
 * document's not_after, the offline grace: the sudo group's members) or a
 * removed user's retention running out, on a timerfd of its own in provd's
 * loop (sessions.c also publishes at its own clock-driven changes, before
 * invalidating nscd); and when the directory's staleness is not what it
 * was at the last build (last_ok moves without a swap).
 *
 * Status: the generation published, and whether nss_prov will believe it:
 * the file is checked again at every STATUS (owner root, no group/other
 * write, valid header and generation ours), because a file nss_prov
 * ignores means lookups go back to the socket.
 */
#ifndef PROV_MAPPUBLISH_H
#define PROV_MAPPUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "loop/server.h"
#include "store/state.h"

struct mappub;

/* Installs itself as st's on_publish hook (and st->mappub); srv NULL = no
 * timer (tests call mappub_publish()). */
int mappub_new(struct prov_state *st, struct server *srv, struct mappub **ret);
void mappub_free(struct mappub *m);

/* Builds and publishes st's answers at now; logs a failure (once per run
 * of failures) and keeps the reason for status. Re-arms the timer. */
void mappub_publish(struct mappub *m, int64_t now);

/* The timer's check, also for main before READY: publishes when an
 * instant is due, when the last publish failed, or when the directory's
 * staleness is not what it was at the last build (last_ok moves after a
 * swap, and without one when a pull confirms the directory); else only
 * re-arms. */
void mappub_refresh(struct mappub *m, int64_t now);

/* The next instant after now at which the clock alone changes an answer
 * (the timer's), 0 = none. Needs st->dir. */
int64_t mappub_next_change(const struct prov_state *st, int64_t now);

/* Start-up found nothing to serve: the previous run's snapshot is taken
 * away (mapwrite_withdraw()), logged. */
void mappub_withdraw(struct mappub *m);

/* The generation last published (0 = none yet), and one line on the file
 * as nss_prov would see it now. m may be NULL (nothing published). */
uint64_t mappub_generation(const struct mappub *m);
void mappub_status(const struct mappub *m, char *buf, size_t bufsz);

/* Checks the file at path as nss_prov would, and all of it (every record,
 * slot and index): for provctl cache verify. One line into buf; 0 when
 * nss_prov would answer from it, else -errno. */
int mappub_verify_file(const char *path, char *buf, size_t bufsz);

#endif

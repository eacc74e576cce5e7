/* SPDX-License-Identifier: MIT */
/*
 * What an access decision (decision.h) takes from the running daemon, the
 * same for the login requests, the sudo group, the sessions and the
 * mapped snapshot: this host as provd.conf describes it, how fresh the
 * served directory is, and the users removed within retention.
 */
#ifndef PROV_LOGIN_H
#define PROV_LOGIN_H

#include <stdint.h>

#include "access/decision.h"
#include "config.h"
#include "store/state.h"

/* The decision inputs from the running state: this host as provd.conf
 * describes it, and how fresh the served directory is (DESIGN inv. 5). */
void login_host(const struct prov_config *cfg, struct decision_host *ret);
void login_freshness(const struct prov_state *st, struct decision_freshness *ret);

/* A user the snapshot does not know but who was removed from the
 * directory within deprovisioned_retention is EXPIRED, not UNKNOWN
 * (removed.h): turns *d into that when it applies. */
void login_apply_removed(const struct prov_state *st, const char *user, int64_t now, struct decision *d);

#endif

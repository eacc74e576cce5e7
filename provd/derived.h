/* SPDX-License-Identifier: MIT */
/*
 * What the served snapshot implies for this host, computed once per
 * applied directory instead of per request (DESIGN invariant 12: bounded
 * cost per request). Today: the sudo group's members (sudogroup.h).
 *
 * decision.c stays the one source of truth: a user is a member exactly
 * when decision_user_has_sudo() says so. What is done once here is only to
 * ask it for the users who could possibly match (named in a sudo binding,
 * or in a group a sudo binding or provd.conf sudo_groups names) instead of
 * for every user per lookup: from O(users x users named in bindings) per
 * GR_BY_NAME to one pass per snapshot, and O(members) per lookup.
 *
 * Expiry stays exact to the second: the result carries the next instant a
 * decision can change by the clock (decision_next_change(): the earliest
 * not_after after the computation) and is computed again the first time a
 * request comes at or after it, or when the clock went back. Staleness by
 * offline_grace depends on last_ok, which moves at every pull: it is not
 * part of the result; the caller checks decision_is_stale() per request
 * (O(1)) and serves nobody while stale.
 *
 * provd's one loop thread uses it; the result lives until the next call.
 */
#ifndef PROV_DERIVED_H
#define PROV_DERIVED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

struct derived_sudo {
	const struct directory *dir; /* what it was computed for */
	uint64_t generation;         /* st->generation then */
	int64_t computed_at;         /* the now it was computed for */
	int64_t valid_until;         /* recompute at or after this; 0 = never by the clock */
	bool *member;                /* by index into dir->users */
	size_t *idx;                 /* the members' indexes, in snapshot order */
	size_t n;
	unsigned computations;       /* how often it was computed (tests, status) */
};

/* The sudo group's members for st's served snapshot at now (before the
 * staleness check, see above). NULL without a directory or out of memory. */
const struct derived_sudo *derived_sudo(const struct prov_state *st, int64_t now);

/* true when u (a user of st->dir) is in ds. */
bool derived_sudo_has(const struct derived_sudo *ds, const struct dir_user *u);

#endif

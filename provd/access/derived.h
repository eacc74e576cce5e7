/* SPDX-License-Identifier: MIT */
/*
 * What the served snapshot implies for this host, computed once per
 * applied directory instead of per request (DESIGN invariant 12: bounded
 * cost per request). Today: the sudo group's members (sudogroup.h), and
 * each user's bindings (derived_grants() below).
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

#include "access/decision.h"
#include "store/state.h"

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

/*
 * Per-user grants: for each user of the snapshot, the bindings (login or
 * sudo) whose subject includes her: named in "users", or a member (listed
 * or primary gid) of a group in "groups", the rule of decision.h. Only
 * which bindings to look at is decided here, by names and groups, so it
 * depends on the snapshot alone: computed once per applied directory (dir
 * pointer and st->generation), lazily at the first check after a swap,
 * never by the clock. decision_decide_scoped() still evaluates host,
 * not_after and grant kind per request, so a check costs O(the user's own
 * bindings) instead of O(every name in every binding), and expiry stays
 * exact to the second. provd.conf login_groups/sudo_groups are not
 * bindings: decision.c checks them through the user's own gids (O(1)).
 */
struct derived_grants {
	const struct directory *dir;
	uint64_t generation;
	size_t *off;           /* n_users + 1: user i's bindings are idx[off[i]..off[i+1]) */
	size_t *idx;           /* binding indexes, ascending per user */
	unsigned computations;
};

/* The index for st's served snapshot. NULL without a directory or out of
 * memory (the caller then decides with the full scan). */
const struct derived_grants *derived_grants(const struct prov_state *st);

/* u's bindings (u a user of dg->dir) into *ret; -ENOENT when u is not. */
int derived_grants_scope(const struct derived_grants *dg, const struct dir_user *u, struct decision_scope *ret);

#endif

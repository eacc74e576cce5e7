/* SPDX-License-Identifier: MIT */
/*
 * The decision part of applying a sync, pure: given the snapshot being
 * served and a candidate (both already admitted), what would change, and
 * may it? (DESIGN invariants 3 and 4, issue 3 "Applying a sync".)
 *
 *  - replay: a candidate whose serial is lower than the current one is
 *    rejected (a replayed copy must never bring a deprovisioned user back);
 *    an equal serial is a no-op when the bytes are identical and rejected
 *    when they are not (one serial, two contents). Only with check_serial
 *    (document sources; SCIM has no serial: there an unchanged candidate
 *    is a no-op whatever serial the caller gave it);
 *  - suspicious: a candidate that would deprovision (make inactive or
 *    remove) more than max_deprovision_share of the currently active users
 *    at once, beyond deprovision_floor users, or that has no users at all
 *    when some are active now, is rejected unless forced;
 *  - stale: a candidate whose not_after is past is flagged (the caller
 *    decides; the login path denies new logins on a stale cache).
 *
 * Users and groups are matched by their stable id (the name when the id is
 * absent), so a rename is a change, not a removal plus an addition.
 * The plan's strings point into old and new: keep both alive while using it.
 */
#ifndef PROV_SYNCPLAN_H
#define PROV_SYNCPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/directory.h"

#define SYNCPLAN_DEFAULT_MAX_SHARE 0.10
#define SYNCPLAN_DEFAULT_FLOOR 3

/* What changed in an entry (a bit set). */
#define SYNC_F_NAME        0x001u
#define SYNC_F_UID         0x002u
#define SYNC_F_GID         0x004u
#define SYNC_F_GECOS       0x008u
#define SYNC_F_HOME        0x010u
#define SYNC_F_SHELL       0x020u
#define SYNC_F_SSH_KEYS    0x040u
#define SYNC_F_REACTIVATED 0x080u /* inactive -> active */
#define SYNC_F_MEMBERS     0x100u /* groups; bindings' users/groups */
#define SYNC_F_SCOPE       0x200u /* bindings: hosts or labels */
#define SYNC_F_GRANTS      0x400u /* bindings */
#define SYNC_F_EXPIRY      0x800u /* bindings: not_after */

struct syncplan_policy {
	double max_deprovision_share; /* e.g. 0.10 */
	size_t deprovision_floor;     /* this many are always allowed */
	bool force;                   /* provctl refresh --force */
	bool check_serial;            /* document sources */
	int64_t now;                  /* unix seconds, for staleness */
};

enum syncplan_verdict {
	SYNCPLAN_APPLY,  /* swap in the candidate and persist it */
	SYNCPLAN_NOOP,   /* nothing changed: keep serving, no cache rewrite */
	SYNCPLAN_REJECT, /* keep the current snapshot; reason says why */
};

enum syncplan_why {
	SYNCPLAN_INACTIVE, /* deprovisioned: active became false */
	SYNCPLAN_REMOVED,  /* deprovisioned: gone from the directory */
};

struct syncplan_entry {
	const char *id;
	const char *name;     /* the new name (the old one for removals) */
	const char *old_name; /* set when the name changed */
	unsigned fields;      /* SYNC_F_* for changes */
	enum syncplan_why why; /* for deprovisioned users */
};

struct syncplan_list {
	struct syncplan_entry *v;
	size_t n;
};

struct syncplan {
	enum syncplan_verdict verdict;
	char reason[256];  /* one line when rejected, "" otherwise */
	bool stale;        /* the candidate's not_after is past */
	bool forced;       /* accepted only because of force */
	size_t old_active; /* active users before */

	struct syncplan_list users_added;
	struct syncplan_list users_changed;
	struct syncplan_list users_deprovisioned; /* active -> inactive or removed */
	struct syncplan_list users_purged;        /* already inactive, now removed */
	struct syncplan_list groups_added, groups_changed, groups_removed;
	struct syncplan_list bindings_added, bindings_changed, bindings_removed;
};

/*
 * old may be NULL (first sync: everything is added, nothing is guarded).
 * old_bytes/new_bytes are the documents the snapshots came from, for the
 * equal-serial rule (NULL: compare the snapshots only). 0 or -ENOMEM; on
 * -ENOMEM nothing is to be applied.
 */
int syncplan_compute(const struct directory *old, const char *old_bytes, size_t old_len,
		     const struct directory *cand, const char *new_bytes, size_t new_len,
		     const struct syncplan_policy *p, struct syncplan *ret);
void syncplan_free(struct syncplan *plan);

/* "uid,shell,ssh_keys" for a SYNC_F_* set (for log fields). */
void syncplan_fields_str(unsigned fields, char *buf, size_t bufsz);

/* One line for the journal and provctl status, e.g.
 * "users +2 ~1 -1 (deprovisioned), groups +0 ~1 -0, bindings +0 ~0 -0". */
void syncplan_summary(const struct syncplan *plan, char *buf, size_t bufsz);

#endif

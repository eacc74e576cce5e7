/* SPDX-License-Identifier: MIT */
/*
 * Users removed from the directory keep resolving for a while
 * (provd.conf [login] deprovisioned_retention, default 30 days), as
 * deactivated users do: their files still show a name in `ls -l`, and
 * their uid is not silently someone else's meanwhile. They are served with
 * nologin_shell, and every access decision about them is EXPIRED
 * ("removed from the directory"), never UNKNOWN: a PAM stack that lets
 * unknown users through to the next module must not let them in.
 *
 * How a removal is seen: after every swap of the served snapshot the
 * previous snapshot's users (kept here as a copy: the snapshot itself is
 * gone by then) are compared with the new one by name, and a name whose
 * stable id is still served is a rename, not a removal. A user back in the
 * directory leaves the list; an entry past its retention, or that a local
 * account now shadows (DESIGN invariant 1), is dropped.
 *
 * The list survives restarts in <state_dir>/removed-users, one user a
 * line, "name:uid:gid:removed_at:gecos:home", written atomically when it
 * changes, and read back with the same trust rules as the cache (owned by
 * root or provd's euid, no group/other write, every field validated again).
 *
 * A removed user's uid is not given to anyone else meanwhile (DESIGN
 * invariant 14): the id ledger (idledger.h, kept here and updated with the
 * list) holds every served uid and gid for its identity during retention
 * and [accounts] id_quarantine, and removed_prior() hands both to
 * admission, which refuses a newcomer claiming one (conflict). So a
 * lingering removed user and a live one never share a uid.
 */
#ifndef PROV_REMOVED_H
#define PROV_REMOVED_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "model/directory.h"
#include "admit/idledger.h"
#include "admit/prior.h"

#define REMOVED_FILE_NAME "removed-users"

struct removed_user {
	char *id; /* stable id; kept for the last snapshot's users (renames), NULL in the file's */
	char *name;
	char *gecos;
	char *home;
	uint32_t uid;
	uint32_t gid;
	int64_t removed_at; /* unix seconds */
};

struct removed_users {
	struct removed_user *v; /* the removed users */
	size_t n;
	struct removed_user *known; /* the users of the last snapshot seen */
	size_t n_known;
	char *state_dir;
	struct idledger *ledger;
};

/* Reads <state_dir>/removed-users if there is one. A file that cannot be
 * trusted or parsed is logged and ignored (the list starts empty). */
int removed_open(const char *state_dir, struct removed_users **ret);
void removed_free(struct removed_users *r);

/*
 * After a swap to d (at now, with cfg): records who left, forgets who came
 * back, who is past retention and who a local account shadows, logs each
 * change, and rewrites the file when the list changed. 0 or -ENOMEM.
 */
int removed_update(struct removed_users *r, const struct directory *d, const struct prov_config *cfg, int64_t now);

/* How long an id stays with its identity after it went:
 * max(id_quarantine, deprovisioned_retention). */
uint32_t removed_hold_s(const struct prov_config *cfg);

/* Appends to *v (n entries; prior_entries_free()) what admission must know
 * about the past (prior.h): the ledger's held entries and the removed users
 * still retained (matched by name: the list has no stable ids). r may be
 * NULL (nothing). 0 or -ENOMEM. */
int removed_prior(const struct removed_users *r, const struct prov_config *cfg, int64_t now, struct prior_entry **v,
		  size_t *n);

/* A removed user still served at now (within retention_s), by name or uid;
 * NULL when none. r may be NULL. The caller asks the snapshot first. */
const struct removed_user *removed_by_name(const struct removed_users *r, const char *name, int64_t now,
					   uint32_t retention_s);
const struct removed_user *removed_by_uid(const struct removed_users *r, uint32_t uid, int64_t now,
					  uint32_t retention_s);

#endif

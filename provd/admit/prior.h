/* SPDX-License-Identifier: MIT */
/*
 * What this host served before, as admission needs to know it (issue 9 §3,
 * issue 8 §5, DESIGN invariants 13 and 14):
 *
 *  - which entry is established: when a new or changed entry collides with
 *    one already served (name ignoring case, home, uid, gid, stable id),
 *    the established one stays and only the newcomer is refused;
 *  - which uids and gids are held: an id served for one identity (stable
 *    id) is never given to another while the old one is retained or its id
 *    is quarantined (files on disk outlive the account).
 *
 * Built from the snapshot served now (its entries are live) and the id
 * ledger (idledger.h: live entries at start-up, before anything is served,
 * and the ids of identities that went, still in quarantine). Strings are
 * borrowed from both: keep them alive while the prior lives.
 */
#ifndef PROV_PRIOR_H
#define PROV_PRIOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/directory.h"
#include "model/hashtab.h"

/* One identity this host served: a user (num = uid) or a group (gid). */
struct prior_entry {
	enum dir_entry_kind kind; /* DIR_KIND_USER or DIR_KIND_GROUP */
	const char *id;           /* stable id; NULL = unknown (matched by name) */
	const char *name;
	const char *home;         /* users; NULL = unknown */
	uint32_t num;
	int64_t gone_at;          /* 0 = served now; else unix seconds it went */
};

struct prior {
	struct prior_entry *v;
	size_t n;
	struct nametab live_by_id[2]; /* [user, group]: stable id -> v index (live only) */
	struct idtab by_num[2];       /* uid / gid -> v index (live and gone) */
};

/* prev: the served snapshot (may be NULL); extra: ledger entries (may be
 * NULL). Live extra entries count only when there is no prev (start-up):
 * the snapshot is the truth once there is one. 0 or -ENOMEM. */
int prior_build(struct prior *p, const struct directory *prev, const struct prior_entry *extra, size_t n_extra);
void prior_free(struct prior *p);

/* The live entry of this kind with stable id id, or NULL. */
const struct prior_entry *prior_live(const struct prior *p, enum dir_entry_kind kind, const char *id);
/* The entry (live or gone) that holds uid/gid num, or NULL. */
const struct prior_entry *prior_by_num(const struct prior *p, enum dir_entry_kind kind, uint32_t num);
/* Appends a copy of e (its strings copied) to *v, n entries. 0 or -ENOMEM. */
int prior_entries_push(struct prior_entry **v, size_t *n, const struct prior_entry *e);
/* Frees entries made by prior_entries_push() (their strings too). */
void prior_entries_free(struct prior_entry *v, size_t n);

/* Is e the identity (id, name)? By stable id when both have one, else by name. */
bool prior_same_identity(const struct prior_entry *e, const char *id, const char *name);

#endif

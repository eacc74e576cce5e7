/* SPDX-License-Identifier: MIT */
/*
 * The id ledger (DESIGN invariant 14, issue 8 §5): every uid and gid this
 * host served, for which identity (the directory's stable id), and since
 * when it is no longer served. A uid or gid stays with its identity while
 * the identity is served and for hold_s after it went (removed from the
 * directory, or moved to another id): files on disk outlive the account,
 * and a new identity given the old uid would own them. Admission refuses
 * an entry that claims a held id (conflict), and derived ids skip them
 * (idmap.h rule 2).
 *
 * The ledger also says who was served before at start-up, when no
 * snapshot is served yet (prior.h): the cache is admitted against it, so a
 * conflict decided in favour of an established entry stays decided after
 * a restart.
 *
 * File: <state_dir>/id-ledger, one entry a line, tab-separated
 *   "u|g <num> <gone_at> <name> <home|-> <stable id>", gone_at 0 = served;
 * written atomically when it changes, read back with the trust rules of
 * the cache (owned by root or provd's euid, no group/other write, every
 * field validated again). An untrusted or malformed file is logged and
 * ignored: the ledger starts empty (no id is held, nothing is lost that a
 * pull does not bring back).
 */
#ifndef PROV_IDLEDGER_H
#define PROV_IDLEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "model/directory.h"
#include "admit/prior.h"

#define IDLEDGER_FILE_NAME "id-ledger"

struct idledger_entry {
	enum dir_entry_kind kind; /* DIR_KIND_USER or DIR_KIND_GROUP */
	uint32_t num;
	int64_t gone_at; /* 0 = served now */
	char *name;
	char *home; /* users; NULL for groups */
	char *id;
};

struct idledger {
	struct idledger_entry *v;
	size_t n;
	char *state_dir;
};

/* Reads the file if there is one. 0 or -ENOMEM (a bad file is logged). */
int idledger_open(const char *state_dir, struct idledger **ret);
void idledger_free(struct idledger *l);

/*
 * After a swap to d at now: every entry of d is served (its identity's
 * earlier id, if it had another, starts its hold now), every served entry
 * not in d went now, and entries gone for hold_s or longer are forgotten.
 * Rewrites the file when something changed. 0 or -ENOMEM.
 */
int idledger_update(struct idledger *l, const struct directory *d, int64_t now, uint32_t hold_s);

/* Appends to *v (n entries) a copy of every entry still held at now
 * (served, or gone less than hold_s ago), for admission (prior.h). The
 * copies own their strings: prior_entries_free(). 0 or -ENOMEM. */
int idledger_held(const struct idledger *l, int64_t now, uint32_t hold_s, struct prior_entry **v, size_t *n);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Local safety rules (DESIGN invariants 1 and 2), applied to a raw snapshot
 * before anything of it is served. A refused entry is removed and recorded
 * in d->refused with its reason; the rest is still served. Admission never
 * logs: the caller logs each refusal once.
 */
#ifndef PROV_ADMIT_H
#define PROV_ADMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "model/directory.h"
#include "admit/localdb.h"
#include "admit/prior.h"

struct admit_policy {
	uint32_t min_id;
	uint32_t max_id;
	const char *home_base;
	const char *default_shell;
	const char *nologin_shell;     /* inactive users; NULL = /usr/sbin/nologin */
	const struct dir_strv *shells; /* from /etc/shells */
	const struct localdb *local;
	/* SSH key options: none allowed (false) or restricting ones (sshkey.h). */
	bool key_options_restrict;
	/* The group provd serves itself (sudo_group, sudo_gid): no directory
	 * group may take its name or gid, no user its name or gid as primary
	 * gid, or the directory could hand out sudo around the bindings.
	 * NULL / 0 = none. */
	const char *reserved_group;
	uint32_t reserved_gid;
	/* What was served before (prior.h): the snapshot served now, and the
	 * id ledger's entries (live ones count only without prev, at
	 * start-up; gone ones hold their ids). NULL / 0 = nothing: then
	 * every collision refuses all its entries. */
	const struct directory *prev;
	const struct prior_entry *known;
	size_t n_known;
};

/* Collisions (README "Validation rules"): an entry that collides with an
 * established one (served before with that same name, home, uid or gid)
 * is refused as DIR_CONFLICT naming it, and the established one is served
 * unchanged; when none of the colliding entries was served before, all
 * are refused (DIR_CONFLICT), so the result never depends on the order of
 * the source. A uid/gid held by another identity in the prior (gone, in
 * quarantine) refuses the entry that claims it (DIR_CONFLICT).
 *
 * -E2BIG when a group has more than PROV_GROUP_MEMBERS_MAX members (the
 * directory is to be rejected whole: snapshot.c says so first);
 * 0; -EINVAL when the policy itself is unusable (no localdb, home_base or
 * default_shell not an absolute path, home_base "/"); or -ENOMEM (then d
 * may hold partial refusals and half-admitted entries: the caller drops it).
 * After 0, every string of every entry is non-NULL and the rules listed in
 * admit.c hold; entries that were corrected rather than refused (default
 * shell, dropped members or keys) have a note in d->refused (corrected). */
int admit_directory(struct directory *d, const struct admit_policy *p);

#endif

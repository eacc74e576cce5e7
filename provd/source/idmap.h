/* SPDX-License-Identifier: MIT */
/*
 * Deterministic uid/gid derivation for directory entries that carry no
 * number (a SCIM user without uidNumber, a group without gidNumber).
 *
 * The rule, stable across hosts and versions (documented in the README):
 *
 *  1. Ids the directory gives explicitly are taken as they are.
 *  2. An entry that had a derived id before (prev, from the last good
 *     snapshot) keeps it, as long as it is still in the range: an id
 *     never changes while its owner exists. An explicit id (rule 1) equal
 *     to it does not move it: both entries get the number and admission
 *     (admit.h) refuses the newcomer as a conflict, the established entry
 *     keeps being served.
 *     Among entries claiming the same previous id, the bytewise smallest
 *     key keeps it.
 *     An id of prev that its key does not keep (the key is absent, or it
 *     has another id now) is never derived for another key: the caller
 *     passes such entries (the id ledger's, idledger.h) only while their
 *     ids are quarantined, and they are held for the identity that had
 *     them (DESIGN invariant 14).
 *  3. Every other entry, in bytewise order of its key, gets its home slot
 *     min + fnv1a64(key) mod (max - min + 1), or the next free id after it
 *     (linear probe, wrapping inside the range).
 *
 * 0, 65534 and 4294967295 are never handed out. Nothing host-specific (the
 * local passwd file) takes part, so every host that sees the same directory
 * (and the same history) derives the same ids. A derived id that collides
 * with a local account is refused later by admission (DESIGN invariant 1):
 * pick a range no host uses locally.
 *
 * Users and groups share one number space (the caller prefixes keys, e.g.
 * "u:" and "g:"), so a derived group gid never equals a user's private gid.
 */
#ifndef PROV_IDMAP_H
#define PROV_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap_entry {
	const char *key;  /* stable central id, namespaced by the caller */
	uint32_t fixed;   /* id given by the directory; 0 = derive one */
	uint32_t id;      /* out: the id to use */
};

struct idmap_prev {
	const char *key;
	uint32_t id;
};

/*
 * Fills e[i].id for all n entries. Keys must be unique (-EINVAL otherwise).
 * -ENOSPC when the range has no free id left, -ERANGE for an empty range,
 * -ENOMEM. On error the ids are unspecified and err says why.
 */
int idmap_assign(struct idmap_entry *e, size_t n, const struct idmap_prev *prev, size_t n_prev, uint32_t min,
		 uint32_t max, char *err, size_t errsz);

/* The home slot of key in [min, max] (rule 3 before probing). */
uint32_t idmap_home(const char *key, uint32_t min, uint32_t max);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Reading a lookup snapshot (include/prov/mapfile.h) that is already in
 * memory: header validation, the four hash lookups, the record walk, and a
 * whole-file verification. libc only, no allocation, no system call: the
 * module (nss_prov/mapread.c) runs it on the lookup path, provd and
 * provctl on their own published file.
 *
 * The bytes are untrusted: every offset is bounds-checked before it is
 * followed, every slot and record is checked against its check word
 * before it is believed, and every loop is bounded by the sizes the header
 * declared. Functions return 0, -ENOENT (an authoritative "no such
 * entry"), or -EBADMSG (damaged: the caller must not answer from it).
 */
#ifndef PROV_MAPVIEW_H
#define PROV_MAPVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "prov/mapfile.h"
#include "wire.h"

struct prov_map_index_desc {
	uint32_t off;
	uint32_t n_slots; /* a power of two */
};

/* A validated header, decoded. base/size are the caller's mapping. */
struct prov_map_view {
	const uint8_t *base;
	size_t size;
	uint64_t generation;
	uint64_t serial;
	uint64_t start_id;
	int64_t published_at;
	uint32_t n_users;
	uint32_t n_groups;
	uint32_t users_off, users_end;
	uint32_t groups_off, groups_end;
	struct prov_map_index_desc index[PROV_MAP_N_INDEX];
};

/* One record's payload, pointing into the view. */
struct prov_map_rec {
	const uint8_t *payload;
	uint32_t len;
	uint32_t off; /* of the record (its len word) */
};

/* A passwd payload split into its parts (mapfile.h). */
struct prov_map_user {
	uint32_t flags;         /* PROV_MAP_REC_* */
	struct prov_passwd_rec pw;
	const uint8_t *pw_body; /* the PW_BY_NAME reply body */
	uint32_t pw_len;
	uint32_t ig_status;     /* PROV_ST_OK or PROV_ST_NOT_FOUND */
	const uint8_t *ig_body; /* the INITGROUPS reply body */
	uint32_t ig_len;
};

/* Why a file with these attributes is not to be believed (NULL when it
 * is): not a regular file, not owned by owner (root), group- or
 * other-writable, or of a size no snapshot has. */
const char *prov_map_stat_refusal(const struct stat *s, uid_t owner);

/* Checks magic, version, size == the header's, header_check, that it is
 * not superseded, and that every section and index lies inside. -EBADMSG
 * (-ESTALE when only the superseded word is set). */
int prov_map_view_init(const void *base, size_t size, struct prov_map_view *ret);

/* The superseded word, read once (the one byte provd changes in place). */
bool prov_map_superseded(const struct prov_map_view *v);

/* Hash lookups. On 0, *ret is the decoded record whose key is the one
 * asked (the first such record, as provd's indexes answer). */
int prov_map_user_by_name(const struct prov_map_view *v, const char *name, size_t len, struct prov_map_user *ret);
int prov_map_user_by_uid(const struct prov_map_view *v, uint32_t uid, struct prov_map_user *ret);
int prov_map_group_by_name(const struct prov_map_view *v, const char *name, size_t len,
			   struct prov_group_rec *ret);
int prov_map_group_by_gid(const struct prov_map_view *v, uint32_t gid, struct prov_group_rec *ret);

/*
 * Lookups that remember what they checked (the module, per mapping). A
 * seen array (prov_map_seen_words() zeroed uint64_t, owned by whoever
 * owns the mapping) holds one bit per index slot: set, the record that
 * slot points to has passed every check (its check word, the full decode,
 * and the caller's own, e.g. nss_check.c) in this mapping, whose bytes a
 * read-only mapping cannot change; so the next lookup landing there only
 * bounds-checks it (no check word, no string scan, no member walk).
 * The slot's own check word is verified every time.
 *
 * prov_map_lookup_seen: as the four lookups above (name for the two name
 * indexes, id for the others; ret_u for users, ret_g for groups), seen
 * may be NULL; *ret_hit says where it landed and whether that was
 * already seen. The caller runs its own checks on a hit that was not,
 * then prov_map_mark_seen(). Bits are set and read atomically: threads
 * share one array.
 */
struct prov_map_hit {
	enum prov_map_index idx;
	uint32_t slot;
	bool seen;
};

size_t prov_map_seen_words(const struct prov_map_view *v);
int prov_map_lookup_seen(const struct prov_map_view *v, const uint64_t *seen, enum prov_map_index idx,
			 const char *name, size_t len, uint32_t id, struct prov_map_user *ret_u,
			 struct prov_group_rec *ret_g, struct prov_map_hit *ret_hit);
void prov_map_mark_seen(const struct prov_map_view *v, uint64_t *seen, const struct prov_map_hit *hit);

/* Walking a section in enumeration order: *cursor starts at 0 and is
 * advanced past the record returned. -ENOENT after the last one. Records
 * flagged PROV_MAP_REC_LOOKUP_ONLY are stepped over. */
int prov_map_next_user(const struct prov_map_view *v, uint32_t *cursor, struct prov_map_user *ret);
int prov_map_next_group(const struct prov_map_view *v, uint32_t *cursor, struct prov_group_rec *ret);

/* The same, for a section prov_map_verify_users/groups() accepted: the
 * check words are not computed again (they cover bytes a read-only
 * mapping cannot change), the bounds still are. */
int prov_map_next_user_verified(const struct prov_map_view *v, uint32_t *cursor, struct prov_map_user *ret);
int prov_map_next_group_verified(const struct prov_map_view *v, uint32_t *cursor, struct prov_group_rec *ret);

/* Checks a whole section (every record within bounds and matching its
 * check word, and their count is the header's): what an enumeration does
 * before it hands out the first entry, so it never stops half-way on a
 * damaged file. 0 or -EBADMSG. */
int prov_map_verify_users(const struct prov_map_view *v);
int prov_map_verify_groups(const struct prov_map_view *v);

/* Everything: both sections, every slot of every index, and every record
 * found again through each index that should hold it. For provctl cache
 * verify and provd's self-check; O(size). 0 or -EBADMSG. */
int prov_map_verify_all(const struct prov_map_view *v);

#endif

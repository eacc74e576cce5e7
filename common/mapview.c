/* SPDX-License-Identifier: MIT */
#include "mapview.h"

#include <errno.h>
#include <string.h>

static bool aligned4(uint64_t v)
{
	return (v & 3u) == 0;
}

/* [off, end) lies in the file, after the header, 4-aligned. */
static bool section_ok(uint64_t off, uint64_t end, size_t size)
{
	return off >= PROV_MAP_HEADER_SIZE && off <= end && end <= size && aligned4(off) && aligned4(end);
}

static bool index_ok(const struct prov_map_index_desc *d, uint32_t entries, size_t size)
{
	uint64_t n = d->n_slots;

	/* Room for every entry plus one empty slot, so a probe always ends. */
	if (n == 0 || (n & (n - 1)) != 0 || n <= entries)
		return false;
	return d->off >= PROV_MAP_HEADER_SIZE && aligned4(d->off) &&
	       (uint64_t)d->off + n * PROV_MAP_SLOT_SIZE <= size;
}

static uint32_t header_check(const uint8_t *base)
{
	uint8_t h[PROV_MAP_HEADER_SIZE];

	memcpy(h, base, sizeof(h));
	memset(h + PROV_MAPH_SUPERSEDED, 0, 8);
	return prov_map_check(h, sizeof(h));
}

const char *prov_map_stat_refusal(const struct stat *s, uid_t owner)
{
	if (!S_ISREG(s->st_mode))
		return "not a regular file";
	if (s->st_uid != owner)
		return "not owned by root";
	if (s->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	if (s->st_size < (off_t)PROV_MAP_HEADER_SIZE || s->st_size > (off_t)PROV_MAP_MAX_SIZE)
		return "not the size of a snapshot";
	return NULL;
}

bool prov_map_superseded(const struct prov_map_view *v)
{
	return __atomic_load_n((const uint32_t *)(const void *)(v->base + PROV_MAPH_SUPERSEDED),
			       __ATOMIC_ACQUIRE) != 0;
}

int prov_map_view_init(const void *base, size_t size, struct prov_map_view *ret)
{
	const uint8_t *b = base;
	struct prov_map_view v;
	int i;

	/* The superseded word is read atomically: it must be aligned. */
	if (!b || size < PROV_MAP_HEADER_SIZE || size > PROV_MAP_MAX_SIZE || ((uintptr_t)b & 3u) != 0)
		return -EBADMSG;
	if (prov_map_rd32(b + PROV_MAPH_MAGIC) != PROV_MAP_MAGIC ||
	    prov_map_rd32(b + PROV_MAPH_VERSION) != PROV_MAP_VERSION ||
	    prov_map_rd64(b + PROV_MAPH_SIZE) != size || prov_map_rd32(b + PROV_MAPH_CHECK) != header_check(b))
		return -EBADMSG;
	memset(&v, 0, sizeof(v));
	v.base = b;
	v.size = size;
	v.generation = prov_map_rd64(b + PROV_MAPH_GENERATION);
	v.serial = prov_map_rd64(b + PROV_MAPH_SERIAL);
	v.start_id = prov_map_rd64(b + PROV_MAPH_START_ID);
	v.published_at = (int64_t)prov_map_rd64(b + PROV_MAPH_PUBLISHED_AT);
	v.n_users = prov_map_rd32(b + PROV_MAPH_N_USERS);
	v.n_groups = prov_map_rd32(b + PROV_MAPH_N_GROUPS);
	v.users_off = prov_map_rd32(b + PROV_MAPH_USERS_OFF);
	v.users_end = prov_map_rd32(b + PROV_MAPH_USERS_END);
	v.groups_off = prov_map_rd32(b + PROV_MAPH_GROUPS_OFF);
	v.groups_end = prov_map_rd32(b + PROV_MAPH_GROUPS_END);
	for (i = 0; i < PROV_MAP_N_INDEX; i++) {
		v.index[i].off = prov_map_rd32(b + PROV_MAPH_INDEX + 8 * i);
		v.index[i].n_slots = prov_map_rd32(b + PROV_MAPH_INDEX + 8 * i + 4);
	}
	if (!section_ok(v.users_off, v.users_end, size) || !section_ok(v.groups_off, v.groups_end, size) ||
	    v.n_users > (v.users_end - v.users_off) / 8 || v.n_groups > (v.groups_end - v.groups_off) / 8)
		return -EBADMSG;
	for (i = 0; i < PROV_MAP_N_INDEX; i++)
		if (!index_ok(&v.index[i], i < PROV_MAP_GR_NAME ? v.n_users : v.n_groups, size))
			return -EBADMSG;
	if (prov_map_superseded(&v))
		return -ESTALE;
	*ret = v;
	return 0;
}

/* The record at off in [lo, hi), bounds-checked, and its check word
 * verified unless the caller already did (verified); *ret_next is the
 * record after. */
static int record_at_v(const struct prov_map_view *v, uint32_t off, uint32_t lo, uint32_t hi, bool verified,
		       struct prov_map_rec *ret, uint32_t *ret_next)
{
	uint32_t len, room, padded;
	const uint8_t *p;

	if (off < lo || off >= hi || hi - off < 8 || !aligned4(off))
		return -EBADMSG;
	p = v->base + off;
	len = prov_map_rd32(p);
	room = hi - off - 8;
	if (len > room)
		return -EBADMSG;
	padded = (len + 3u) & ~3u;
	if (padded > room || (!verified && prov_map_check(p + 8, len) != prov_map_rd32(p + 4)))
		return -EBADMSG;
	ret->payload = p + 8;
	ret->len = len;
	ret->off = off;
	if (ret_next)
		*ret_next = off + 8 + padded;
	return 0;
}

static int record_at(const struct prov_map_view *v, uint32_t off, uint32_t lo, uint32_t hi,
		     struct prov_map_rec *ret, uint32_t *ret_next)
{
	return record_at_v(v, off, lo, hi, false, ret, ret_next);
}

static int decode_user(const struct prov_map_rec *rec, struct prov_map_user *ret)
{
	struct prov_map_user u;
	struct prov_reader rd;
	uint32_t pw_len, rest;

	if (rec->len < 12)
		return -EBADMSG;
	u.flags = prov_map_rd32(rec->payload);
	pw_len = prov_map_rd32(rec->payload + 4);
	if (pw_len > rec->len - 12 || (u.flags & ~PROV_MAP_REC_LOOKUP_ONLY) != 0)
		return -EBADMSG;
	u.pw_body = rec->payload + 8;
	u.pw_len = pw_len;
	prov_reader_init(&rd, u.pw_body, pw_len);
	if (prov_get_passwd(&rd, &u.pw) < 0 || prov_reader_end(&rd) < 0)
		return -EBADMSG;
	u.ig_status = prov_map_rd32(rec->payload + 8 + pw_len);
	rest = rec->len - 12 - pw_len;
	u.ig_body = rec->payload + 12 + pw_len;
	u.ig_len = rest;
	if (!(u.ig_status == PROV_ST_OK || (u.ig_status == PROV_ST_NOT_FOUND && rest == 0)))
		return -EBADMSG;
	*ret = u;
	return 0;
}

static int decode_group(const struct prov_map_rec *rec, struct prov_group_rec *ret)
{
	struct prov_reader rd;
	struct prov_group_rec g;

	prov_reader_init(&rd, rec->payload, rec->len);
	if (prov_get_group(&rd, &g) < 0 || prov_reader_end(&rd) < 0)
		return -EBADMSG;
	*ret = g;
	return 0;
}

/*
 * The same two decodings for a record this mapping has already checked
 * whole (its check word, every string, and the module's own checks: see
 * prov_map_lookup_seen): the lengths are still bounds-checked, but no
 * string is scanned again and a group's members are not walked, so a
 * lookup of a 100,000-member group is O(1) before the copy.
 */
struct trusted {
	const uint8_t *p;
	uint32_t left;
	bool bad;
};

static uint32_t t_u32(struct trusted *t)
{
	uint32_t v;

	if (t->left < 4) {
		t->bad = true;
		return 0;
	}
	v = prov_map_rd32(t->p);
	t->p += 4;
	t->left -= 4;
	return v;
}

static struct prov_str t_str(struct trusted *t)
{
	struct prov_str s = { "", 0 };
	uint32_t len = t_u32(t);

	if (t->bad || len > t->left) {
		t->bad = true;
		return s;
	}
	s.ptr = (const char *)t->p;
	s.len = len;
	t->p += len;
	t->left -= len;
	return s;
}

static int decode_user_seen(const struct prov_map_rec *rec, struct prov_map_user *ret)
{
	struct trusted t = { rec->payload, rec->len, false };
	struct prov_map_user u;
	const uint8_t *pw_end;

	u.flags = t_u32(&t);
	u.pw_len = t_u32(&t);
	u.pw_body = t.p;
	if (t.bad || u.pw_len > t.left)
		return -EBADMSG;
	pw_end = t.p + u.pw_len;
	u.pw.name = t_str(&t);
	u.pw.uid = t_u32(&t);
	u.pw.gid = t_u32(&t);
	u.pw.gecos = t_str(&t);
	u.pw.home = t_str(&t);
	u.pw.shell = t_str(&t);
	if (t.bad || t.p != pw_end)
		return -EBADMSG;
	u.ig_status = t_u32(&t);
	u.ig_body = t.p;
	u.ig_len = t.left;
	if (t.bad)
		return -EBADMSG;
	*ret = u;
	return 0;
}

static int decode_group_seen(const struct prov_map_rec *rec, struct prov_group_rec *ret)
{
	struct trusted t = { rec->payload, rec->len, false };
	struct prov_group_rec g;

	g.name = t_str(&t);
	g.gid = t_u32(&t);
	g.n_members = t_u32(&t);
	if (t.bad)
		return -EBADMSG;
	/* A reader over the whole payload, at the first member, as
	 * prov_get_group() leaves it. */
	prov_reader_init(&g.members, rec->payload, rec->len);
	g.members.off = rec->len - t.left;
	*ret = g;
	return 0;
}

/* What a lookup is after: a key and how to test a record against it. */
struct key {
	enum prov_map_index idx;
	uint32_t hash;
	const char *name; /* NULL: by id */
	size_t len;
	uint32_t id;
};

static bool name_is(const struct prov_str *s, const struct key *k)
{
	return s->len == k->len && memcmp(s->ptr, k->name, k->len) == 0;
}

/* Decodes the record at off as the index's kind and says whether it is
 * the key's. */
static int match_v(const struct prov_map_view *v, const struct key *k, uint32_t off, bool seen,
		   struct prov_map_user *ret_u, struct prov_group_rec *ret_g, bool *ret_match)
{
	struct prov_map_rec rec;
	int r;

	if (k->idx <= PROV_MAP_PW_UID) {
		r = record_at_v(v, off, v->users_off, v->users_end, seen, &rec, NULL);
		if (r == 0)
			r = seen ? decode_user_seen(&rec, ret_u) : decode_user(&rec, ret_u);
		if (r == 0)
			*ret_match = k->name ? name_is(&ret_u->pw.name, k) : ret_u->pw.uid == k->id;
		return r;
	}
	r = record_at_v(v, off, v->groups_off, v->groups_end, seen, &rec, NULL);
	if (r == 0)
		r = seen ? decode_group_seen(&rec, ret_g) : decode_group(&rec, ret_g);
	if (r == 0)
		*ret_match = k->name ? name_is(&ret_g->name, k) : ret_g->gid == k->id;
	return r;
}

static int match(const struct prov_map_view *v, const struct key *k, uint32_t off, struct prov_map_user *ret_u,
		 struct prov_group_rec *ret_g, bool *ret_match)
{
	return match_v(v, k, off, false, ret_u, ret_g, ret_match);
}

/* The first word of index idx's bits in a seen array. */
static size_t seen_base(const struct prov_map_view *v, enum prov_map_index idx)
{
	size_t w = 0;
	int i;

	for (i = 0; i < (int)idx; i++)
		w += ((size_t)v->index[i].n_slots + 63) / 64;
	return w;
}

static bool seen_bit(const uint64_t *seen, size_t base, uint32_t slot)
{
	return seen && (__atomic_load_n(&seen[base + slot / 64], __ATOMIC_RELAXED) >> (slot % 64) & 1u);
}

/* Linear probing from the key's home slot; at most n_slots steps. */
static int find_v(const struct prov_map_view *v, const struct key *k, const uint64_t *seen,
		  struct prov_map_user *ret_u, struct prov_group_rec *ret_g, uint32_t *ret_off,
		  struct prov_map_hit *ret_hit)
{
	const struct prov_map_index_desc *d = &v->index[k->idx];
	uint32_t mask = d->n_slots - 1, i = k->hash & mask, step;

	for (step = 0; step < d->n_slots; step++, i = (i + 1) & mask) {
		const uint8_t *s = v->base + d->off + (size_t)i * PROV_MAP_SLOT_SIZE;
		uint32_t h = prov_map_rd32(s), off = prov_map_rd32(s + 4);
		bool hit = false, known;
		int r;

		if (prov_map_rd32(s + 8) != prov_map_slot_check(h, off))
			return -EBADMSG;
		if (off == 0)
			return -ENOENT;
		if (h != k->hash)
			continue;
		/* Only here: a miss usually ends at an empty slot first. */
		known = seen && seen_bit(seen, seen_base(v, k->idx), i);
		r = match_v(v, k, off, known, ret_u, ret_g, &hit);
		if (r < 0)
			return r;
		if (hit) {
			if (ret_off)
				*ret_off = off;
			if (ret_hit) {
				ret_hit->idx = k->idx;
				ret_hit->slot = i;
				ret_hit->seen = known;
			}
			return 0;
		}
	}
	return -EBADMSG; /* no empty slot: the writer always leaves one */
}

static int find(const struct prov_map_view *v, const struct key *k, struct prov_map_user *ret_u,
		struct prov_group_rec *ret_g, uint32_t *ret_off)
{
	return find_v(v, k, NULL, ret_u, ret_g, ret_off, NULL);
}

static struct key name_key(enum prov_map_index idx, const char *name, size_t len)
{
	struct key k = { idx, prov_map_hash_name(name, len), name, len, 0 };

	return k;
}

static struct key id_key(enum prov_map_index idx, uint32_t id)
{
	struct key k = { idx, prov_map_hash_id(id), NULL, 0, id };

	return k;
}

int prov_map_user_by_name(const struct prov_map_view *v, const char *name, size_t len, struct prov_map_user *ret)
{
	struct key k = name_key(PROV_MAP_PW_NAME, name, len);

	return find(v, &k, ret, NULL, NULL);
}

int prov_map_user_by_uid(const struct prov_map_view *v, uint32_t uid, struct prov_map_user *ret)
{
	struct key k = id_key(PROV_MAP_PW_UID, uid);

	return find(v, &k, ret, NULL, NULL);
}

int prov_map_group_by_name(const struct prov_map_view *v, const char *name, size_t len, struct prov_group_rec *ret)
{
	struct key k = name_key(PROV_MAP_GR_NAME, name, len);

	return find(v, &k, NULL, ret, NULL);
}

int prov_map_group_by_gid(const struct prov_map_view *v, uint32_t gid, struct prov_group_rec *ret)
{
	struct key k = id_key(PROV_MAP_GR_GID, gid);

	return find(v, &k, NULL, ret, NULL);
}

size_t prov_map_seen_words(const struct prov_map_view *v)
{
	return seen_base(v, PROV_MAP_N_INDEX);
}

int prov_map_lookup_seen(const struct prov_map_view *v, const uint64_t *seen, enum prov_map_index idx,
			 const char *name, size_t len, uint32_t id, struct prov_map_user *ret_u,
			 struct prov_group_rec *ret_g, struct prov_map_hit *ret_hit)
{
	struct key k = name ? name_key(idx, name, len) : id_key(idx, id);

	if ((unsigned)idx >= PROV_MAP_N_INDEX || (name != NULL) != (idx == PROV_MAP_PW_NAME || idx == PROV_MAP_GR_NAME))
		return -EINVAL;
	return find_v(v, &k, seen, ret_u, ret_g, NULL, ret_hit);
}

void prov_map_mark_seen(const struct prov_map_view *v, uint64_t *seen, const struct prov_map_hit *hit)
{
	size_t base;

	if (!seen || hit->seen || (unsigned)hit->idx >= PROV_MAP_N_INDEX || hit->slot >= v->index[hit->idx].n_slots)
		return;
	base = seen_base(v, hit->idx);
	__atomic_fetch_or(&seen[base + hit->slot / 64], (uint64_t)1 << (hit->slot % 64), __ATOMIC_RELAXED);
}

static int next_user(const struct prov_map_view *v, uint32_t *cursor, bool verified, struct prov_map_user *ret)
{
	uint32_t off = *cursor ? *cursor : v->users_off, next;
	struct prov_map_rec rec;
	struct prov_map_user u;
	int r;

	for (;;) {
		if (off == v->users_end)
			return -ENOENT;
		r = record_at_v(v, off, v->users_off, v->users_end, verified, &rec, &next);
		if (r == 0)
			r = decode_user(&rec, &u);
		if (r < 0)
			return r;
		off = next;
		if (!(u.flags & PROV_MAP_REC_LOOKUP_ONLY))
			break;
	}
	*cursor = next;
	*ret = u;
	return 0;
}

static int next_group(const struct prov_map_view *v, uint32_t *cursor, bool verified, struct prov_group_rec *ret)
{
	uint32_t off = *cursor ? *cursor : v->groups_off, next;
	struct prov_map_rec rec;
	struct prov_group_rec g;
	int r;

	if (off == v->groups_end)
		return -ENOENT;
	r = record_at_v(v, off, v->groups_off, v->groups_end, verified, &rec, &next);
	if (r == 0)
		r = decode_group(&rec, &g);
	if (r < 0)
		return r;
	*cursor = next;
	*ret = g;
	return 0;
}

int prov_map_next_user(const struct prov_map_view *v, uint32_t *cursor, struct prov_map_user *ret)
{
	return next_user(v, cursor, false, ret);
}

int prov_map_next_group(const struct prov_map_view *v, uint32_t *cursor, struct prov_group_rec *ret)
{
	return next_group(v, cursor, false, ret);
}

int prov_map_next_user_verified(const struct prov_map_view *v, uint32_t *cursor, struct prov_map_user *ret)
{
	return next_user(v, cursor, true, ret);
}

int prov_map_next_group_verified(const struct prov_map_view *v, uint32_t *cursor, struct prov_group_rec *ret)
{
	return next_group(v, cursor, true, ret);
}

/* The records of [lo, hi) one after another, each one's check word
 * verified (not decoded: a record whose check holds is the writer's). */
static int verify_section(const struct prov_map_view *v, uint32_t lo, uint32_t hi, uint32_t want)
{
	uint32_t off = lo, n = 0;
	struct prov_map_rec rec;

	while (off != hi) {
		if (n == want || record_at(v, off, lo, hi, &rec, &off) < 0)
			return -EBADMSG;
		n++;
	}
	return n == want ? 0 : -EBADMSG;
}

int prov_map_verify_users(const struct prov_map_view *v)
{
	return verify_section(v, v->users_off, v->users_end, v->n_users);
}

int prov_map_verify_groups(const struct prov_map_view *v)
{
	return verify_section(v, v->groups_off, v->groups_end, v->n_groups);
}

/* The key a record is indexed under in idx. */
static struct key key_of(enum prov_map_index idx, const struct prov_map_user *u, const struct prov_group_rec *g)
{
	if (idx == PROV_MAP_PW_NAME)
		return name_key(idx, u->pw.name.ptr, u->pw.name.len);
	if (idx == PROV_MAP_PW_UID)
		return id_key(idx, u->pw.uid);
	if (idx == PROV_MAP_GR_NAME)
		return name_key(idx, g->name.ptr, g->name.len);
	return id_key(idx, g->gid);
}

/* Every slot checks, and a full one points at a record of its kind whose
 * key hashes to the slot's hash. */
static int verify_index(const struct prov_map_view *v, enum prov_map_index idx)
{
	const struct prov_map_index_desc *d = &v->index[idx];
	struct key any = { idx, 0, "", 0, 0 };
	uint32_t i, used = 0;

	for (i = 0; i < d->n_slots; i++) {
		const uint8_t *s = v->base + d->off + (size_t)i * PROV_MAP_SLOT_SIZE;
		uint32_t h = prov_map_rd32(s), off = prov_map_rd32(s + 4);
		struct prov_map_user u;
		struct prov_group_rec g;
		bool hit;

		if (prov_map_rd32(s + 8) != prov_map_slot_check(h, off))
			return -EBADMSG;
		if (off == 0)
			continue;
		used++;
		if (match(v, &any, off, &u, &g, &hit) < 0 || key_of(idx, &u, &g).hash != h)
			return -EBADMSG;
	}
	return used < d->n_slots ? 0 : -EBADMSG;
}

/* Each record is reachable through idx: the lookup of its key lands on
 * it, or on an earlier record with the same key (first one wins). */
static int verify_reachable(const struct prov_map_view *v, enum prov_map_index idx)
{
	bool users = idx <= PROV_MAP_PW_UID;
	uint32_t cursor = 0;

	for (;;) {
		uint32_t here = cursor ? cursor : (users ? v->users_off : v->groups_off), found = 0;
		struct prov_map_user u, fu;
		struct prov_group_rec g, fg;
		struct key k;
		int r;

		r = users ? prov_map_next_user(v, &cursor, &u) : prov_map_next_group(v, &cursor, &g);
		if (r == -ENOENT)
			return 0;
		if (r < 0)
			return r;
		k = key_of(idx, &u, &g);
		r = find(v, &k, &fu, &fg, &found);
		if (r < 0 || found > here)
			return -EBADMSG;
	}
}

/* Every record of both sections decodes. */
static int decode_all(const struct prov_map_view *v)
{
	struct prov_map_user u;
	struct prov_group_rec g;
	uint32_t cursor = 0;
	int r;

	while ((r = prov_map_next_user(v, &cursor, &u)) == 0)
		;
	if (r != -ENOENT)
		return -EBADMSG;
	cursor = 0;
	while ((r = prov_map_next_group(v, &cursor, &g)) == 0)
		;
	return r == -ENOENT ? 0 : -EBADMSG;
}

int prov_map_verify_all(const struct prov_map_view *v)
{
	int i;

	if (prov_map_verify_users(v) < 0 || prov_map_verify_groups(v) < 0 || decode_all(v) < 0)
		return -EBADMSG;
	for (i = 0; i < PROV_MAP_N_INDEX; i++)
		if (verify_index(v, (enum prov_map_index)i) < 0 || verify_reachable(v, (enum prov_map_index)i) < 0)
			return -EBADMSG;
	return 0;
}

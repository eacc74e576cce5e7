/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/hashtab.h"

#define TAB_MIN_CAP 16u

static unsigned char ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static uint32_t name_hash(const char *s, bool fold)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= fold ? ascii_lower(*p) : *p;
		h *= 16777619u;
	}
	return h;
}

/* murmur3's finaliser: consecutive uids must not fill consecutive slots. */
static uint32_t id_hash(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

/* Smallest power of two >= 2 * keys (and >= TAB_MIN_CAP); 0 on overflow. */
static size_t table_cap(size_t keys, size_t slot_size)
{
	size_t cap = TAB_MIN_CAP;

	while (cap / 2 < keys) {
		if (cap > SIZE_MAX / 2 / slot_size)
			return 0;
		cap *= 2;
	}
	return cap;
}

static bool name_eq(const struct nametab *t, const char *a, const char *b)
{
	return t->fold ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

int nametab_init(struct nametab *t, size_t hint, bool fold)
{
	memset(t, 0, sizeof(*t));
	t->fold = fold;
	if (hint == 0)
		return 0;
	size_t cap = table_cap(hint, sizeof(struct nametab_slot));
	if (cap == 0)
		return -ENOMEM;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->mask = cap - 1;
	return 0;
}

void nametab_free(struct nametab *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* The slot holding key, or the empty slot where it would go. FNV-1a's
 * low bits alone cluster badly for keys that differ only in their last
 * characters ("user000001", UUIDs): mixed first, as ids are. */
static struct nametab_slot *name_find(const struct nametab *t, const char *key, uint32_t h)
{
	for (size_t i = id_hash(h) & t->mask;; i = (i + 1) & t->mask) {
		struct nametab_slot *s = &t->slots[i];

		if (!s->key || (s->hash == h && name_eq(t, s->key, key)))
			return s;
	}
}

static int name_grow(struct nametab *t)
{
	size_t cap = table_cap(t->n + 1, sizeof(struct nametab_slot));
	struct nametab_slot *old = t->slots;
	size_t old_cap = old ? t->mask + 1 : 0;

	if (cap == 0)
		return -ENOMEM;
	if (cap <= old_cap)
		return 0;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots) {
		t->slots = old;
		return -ENOMEM;
	}
	t->mask = cap - 1;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key)
			*name_find(t, old[i].key, old[i].hash) = old[i];
	free(old);
	return 0;
}

int nametab_put(struct nametab *t, const char *key, uint32_t val, uint32_t *ret_old)
{
	uint32_t h = name_hash(key, t->fold);
	struct nametab_slot *s;
	int r;

	if (t->slots) {
		s = name_find(t, key, h);
		if (s->key) {
			if (ret_old)
				*ret_old = s->val;
			return -EEXIST;
		}
	}
	r = name_grow(t);
	if (r < 0)
		return r;
	s = name_find(t, key, h);
	s->key = key;
	s->hash = h;
	s->val = val;
	t->n++;
	return 0;
}

bool nametab_get(const struct nametab *t, const char *key, uint32_t *ret_val)
{
	const struct nametab_slot *s;

	if (!t->slots || !key)
		return false;
	s = name_find(t, key, name_hash(key, t->fold));
	if (!s->key)
		return false;
	if (ret_val)
		*ret_val = s->val;
	return true;
}

int idtab_init(struct idtab *t, size_t hint)
{
	memset(t, 0, sizeof(*t));
	if (hint == 0)
		return 0;
	size_t cap = table_cap(hint, sizeof(struct idtab_slot));
	if (cap == 0)
		return -ENOMEM;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->mask = cap - 1;
	return 0;
}

void idtab_free(struct idtab *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static struct idtab_slot *id_find(const struct idtab *t, uint32_t key)
{
	for (size_t i = id_hash(key) & t->mask;; i = (i + 1) & t->mask) {
		struct idtab_slot *s = &t->slots[i];

		if (!s->used || s->key == key)
			return s;
	}
}

static int id_grow(struct idtab *t)
{
	size_t cap = table_cap(t->n + 1, sizeof(struct idtab_slot));
	struct idtab_slot *old = t->slots;
	size_t old_cap = old ? t->mask + 1 : 0;

	if (cap == 0)
		return -ENOMEM;
	if (cap <= old_cap)
		return 0;
	t->slots = calloc(cap, sizeof(*t->slots));
	if (!t->slots) {
		t->slots = old;
		return -ENOMEM;
	}
	t->mask = cap - 1;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].used)
			*id_find(t, old[i].key) = old[i];
	free(old);
	return 0;
}

int idtab_put(struct idtab *t, uint32_t key, uint32_t val, uint32_t *ret_old)
{
	struct idtab_slot *s;
	int r;

	if (t->slots) {
		s = id_find(t, key);
		if (s->used) {
			if (ret_old)
				*ret_old = s->val;
			return -EEXIST;
		}
	}
	r = id_grow(t);
	if (r < 0)
		return r;
	s = id_find(t, key);
	s->used = true;
	s->key = key;
	s->val = val;
	t->n++;
	return 0;
}

bool idtab_get(const struct idtab *t, uint32_t key, uint32_t *ret_val)
{
	const struct idtab_slot *s;

	if (!t->slots)
		return false;
	s = id_find(t, key);
	if (!s->used)
		return false;
	if (ret_val)
		*ret_val = s->val;
	return true;
}

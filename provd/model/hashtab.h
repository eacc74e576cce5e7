/* SPDX-License-Identifier: MIT */
/*
 * Open-addressing hash tables for the directory model: login/group names and
 * numeric ids, each mapped to a uint32_t (an array index). Linear probing,
 * load factor <= 1/2, grown on demand; a lookup is O(1) on average and a miss
 * usually ends at the first empty slot.
 *
 * Name keys are borrowed: the caller keeps the strings alive and unchanged
 * while the table lives (the model's strings never change after admission).
 * Names hash with 32-bit FNV-1a; a nametab made with fold = true hashes and
 * compares ASCII case-insensitively (for case-twin detection).
 */
#ifndef PROV_HASHTAB_H
#define PROV_HASHTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nametab_slot {
	const char *key; /* NULL = empty */
	uint32_t hash;
	uint32_t val;
};

struct nametab {
	struct nametab_slot *slots;
	size_t mask; /* capacity - 1; capacity 0 before the first put */
	size_t n;
	bool fold;
};

struct idtab_slot {
	uint32_t key;
	uint32_t val;
	bool used;
};

struct idtab {
	struct idtab_slot *slots;
	size_t mask;
	size_t n;
};

/* hint = expected number of keys (0 is fine: the table grows). 0 or -ENOMEM. */
int nametab_init(struct nametab *t, size_t hint, bool fold);
void nametab_free(struct nametab *t);
/* 0 when added; -EEXIST when key is present (the first value stays and is
 * written to *ret_old if not NULL); -ENOMEM. */
int nametab_put(struct nametab *t, const char *key, uint32_t val, uint32_t *ret_old);
bool nametab_get(const struct nametab *t, const char *key, uint32_t *ret_val);

int idtab_init(struct idtab *t, size_t hint);
void idtab_free(struct idtab *t);
int idtab_put(struct idtab *t, uint32_t key, uint32_t val, uint32_t *ret_old);
bool idtab_get(const struct idtab *t, uint32_t key, uint32_t *ret_val);

#endif

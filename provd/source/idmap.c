/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/idmap.h"
#include "model/hashtab.h"

static bool reserved(uint32_t id)
{
	return id == 0 || id == 65534 || id == UINT32_MAX;
}

/* 64-bit FNV-1a: part of the documented derivation rule, never change it. */
static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

uint32_t idmap_home(const char *key, uint32_t min, uint32_t max)
{
	uint64_t span = (uint64_t)max - min + 1;

	return (uint32_t)(min + fnv1a64(key) % span);
}

static bool taken_has(const struct idtab *t, uint32_t id)
{
	return idtab_get(t, id, NULL);
}

static int cmp_by_key(const void *a, const void *b, void *ctx)
{
	const struct idmap_entry *e = ctx;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;

	return strcmp(e[ia].key, e[ib].key);
}

/* Rule 3: home slot, then the next free id, wrapping inside [min, max]. */
static int probe(const char *key, const struct idtab *taken, uint32_t min, uint32_t max, uint32_t *ret)
{
	uint64_t span = (uint64_t)max - min + 1;
	uint64_t off = (uint64_t)idmap_home(key, min, max) - min;

	for (uint64_t tries = 0; tries < span; tries++) {
		uint32_t id = (uint32_t)(min + (off + tries) % span);

		if (!reserved(id) && !taken_has(taken, id)) {
			*ret = id;
			return 0;
		}
	}
	return -ENOSPC;
}

int idmap_assign(struct idmap_entry *e, size_t n, const struct idmap_prev *prev, size_t n_prev, uint32_t min,
		 uint32_t max, char *err, size_t errsz)
{
	struct nametab keys = { 0 }, prevmap = { 0 };
	struct idtab taken = { 0 }, pinned = { 0 };
	size_t *order = NULL, n_derive = 0;
	int r;

	if (min > max) {
		snprintf(err, errsz, "id range %u-%u is empty", min, max);
		return -ERANGE;
	}
	if (n > UINT32_MAX || n_prev > UINT32_MAX) {
		snprintf(err, errsz, "too many entries");
		return -E2BIG;
	}
	if (nametab_init(&keys, n, false) < 0 || nametab_init(&prevmap, n_prev, false) < 0 ||
	    idtab_init(&taken, n) < 0 || idtab_init(&pinned, n) < 0)
		goto oom;
	order = calloc(n ? n : 1, sizeof(*order));
	if (!order)
		goto oom;

	for (size_t i = 0; i < n; i++) {
		r = nametab_put(&keys, e[i].key, (uint32_t)i, NULL);
		if (r == -ENOMEM)
			goto oom;
		if (r < 0) {
			snprintf(err, errsz, "duplicate id key \"%.64s\"", e[i].key);
			r = -EINVAL;
			goto out;
		}
		/* Rule 1. */
		if (e[i].fixed) {
			e[i].id = e[i].fixed;
			if (idtab_put(&taken, e[i].fixed, 0, NULL) == -ENOMEM)
				goto oom;
		} else {
			order[n_derive++] = i;
		}
	}
	for (size_t i = 0; i < n_prev; i++)
		if (nametab_put(&prevmap, prev[i].key, (uint32_t)i, NULL) == -ENOMEM) /* first one wins */
			goto oom;

	qsort_r(order, n_derive, sizeof(*order), cmp_by_key, e);

	/* Rule 2, in key order so a contested previous id goes to the
	 * smallest key. An explicit id does not evict it: the owner keeps the
	 * id her files carry, and the newcomer naming the same number is left
	 * with it, so admission refuses the newcomer as a conflict (admit.h)
	 * instead of a directory writer renumbering someone else. Only another
	 * previous claim (pinned) contests it. */
	for (size_t k = 0; k < n_derive; k++) {
		struct idmap_entry *x = &e[order[k]];
		uint32_t pi, id;

		x->id = 0;
		if (!nametab_get(&prevmap, x->key, &pi))
			continue;
		id = prev[pi].id;
		if (id < min || id > max || reserved(id) || taken_has(&pinned, id))
			continue;
		if (idtab_put(&pinned, id, 0, NULL) == -ENOMEM || idtab_put(&taken, id, 0, NULL) == -ENOMEM)
			goto oom;
		x->id = id;
	}
	/* Rule 2b: an id of prev that its key does not keep (the key is gone,
	 * or has another id now) is still held for that identity: the caller
	 * lists such ids only while they are quarantined. */
	for (size_t i = 0; i < n_prev; i++) {
		uint32_t ki;

		if (nametab_get(&keys, prev[i].key, &ki) && e[ki].id == prev[i].id)
			continue;
		if (idtab_put(&taken, prev[i].id, 0, NULL) == -ENOMEM)
			goto oom;
	}
	/* Rule 3. */
	for (size_t k = 0; k < n_derive; k++) {
		struct idmap_entry *x = &e[order[k]];

		if (x->id)
			continue;
		r = probe(x->key, &taken, min, max, &x->id);
		if (r < 0) {
			snprintf(err, errsz, "id range %u-%u is full (%zu entries need derived ids)", min, max,
				 n_derive);
			goto out;
		}
		if (idtab_put(&taken, x->id, 0, NULL) == -ENOMEM)
			goto oom;
	}
	r = 0;
	goto out;
oom:
	snprintf(err, errsz, "out of memory");
	r = -ENOMEM;
out:
	free(order);
	idtab_free(&pinned);
	idtab_free(&taken);
	nametab_free(&prevmap);
	nametab_free(&keys);
	return r;
}

/* SPDX-License-Identifier: MIT */
#include "access/derived.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "access/decision.h"
#include "access/login.h"

static struct derived_sudo cur; /* the loop thread's; see derived.h */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct gidset {
	uint32_t *v;
	size_t n, cap;
};

static int gidset_add_group(struct gidset *s, const struct directory *d, const char *name)
{
	const struct dir_group *g = directory_group_by_name(d, name);

	if (!g)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		uint32_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = g->gid;
	return 0;
}

static bool gidset_has(const struct gidset *s, uint32_t gid)
{
	return s->n && bsearch(&gid, s->v, s->n, sizeof(*s->v), cmp_u32);
}

static void mark_user(const struct directory *d, const char *name, bool *cand)
{
	const struct dir_user *u = directory_user_by_name(d, name);

	if (u)
		cand[u - d->users] = true;
}

/* Everyone decision.c could say has sudo here, and more: named in any sudo
 * binding (whatever its host or expiry), or with a primary or listed gid of
 * a group that one names or sudo_groups names. A superset by design: the
 * verdict is decision.c's. */
static int mark_candidates(const struct directory *d, const struct decision_host *h, bool *cand)
{
	struct gidset gs = { NULL, 0, 0 };
	size_t i, j;
	int r = 0;

	for (i = 0; i < d->n_bindings && r == 0; i++) {
		const struct dir_binding *b = &d->bindings[i];

		if (!(b->grants & DIR_GRANT_SUDO))
			continue;
		for (j = 0; j < b->users.n; j++)
			mark_user(d, b->users.v[j], cand);
		for (j = 0; j < b->groups.n && r == 0; j++)
			r = gidset_add_group(&gs, d, b->groups.v[j]);
	}
	for (j = 0; h->sudo_groups && j < h->sudo_groups->n && r == 0; j++)
		r = gidset_add_group(&gs, d, h->sudo_groups->v[j]);
	if (r < 0) {
		free(gs.v);
		return -1;
	}
	if (gs.n) {
		qsort(gs.v, gs.n, sizeof(*gs.v), cmp_u32);
		for (i = 0; i < d->n_users; i++) {
			const struct dir_user *u = &d->users[i];

			if (gidset_has(&gs, u->gid))
				cand[i] = true;
			for (j = 0; j < u->n_member_gids && !cand[i]; j++)
				if (gidset_has(&gs, u->member_gids[j]))
					cand[i] = true;
		}
	}
	free(gs.v);
	return 0;
}

static int compute(const struct prov_state *st, int64_t now, struct derived_sudo *ret)
{
	const struct directory *d = st->dir;
	struct decision_host host;
	struct derived_sudo ds = { .dir = d, .generation = st->generation, .computed_at = now };
	size_t i;

	login_host(&st->cfg, &host);
	ds.member = calloc(d->n_users ? d->n_users : 1, sizeof(*ds.member));
	ds.idx = calloc(d->n_users ? d->n_users : 1, sizeof(*ds.idx));
	if (!ds.member || !ds.idx || mark_candidates(d, &host, ds.member) < 0) {
		free(ds.member);
		free(ds.idx);
		return -1;
	}
	for (i = 0; i < d->n_users; i++) {
		/* fresh NULL: offline staleness is the caller's (derived.h) */
		ds.member[i] = ds.member[i] && decision_user_has_sudo(d, &host, NULL, &d->users[i], now);
		if (ds.member[i])
			ds.idx[ds.n++] = i;
	}
	ds.valid_until = decision_next_change(d, NULL, now);
	ds.computations = ret->computations + 1;
	*ret = ds;
	return 0;
}

static bool current(const struct prov_state *st, int64_t now)
{
	return cur.member && cur.dir == st->dir && cur.generation == st->generation && now >= cur.computed_at &&
	       (cur.valid_until == 0 || now < cur.valid_until);
}

const struct derived_sudo *derived_sudo(const struct prov_state *st, int64_t now)
{
	struct derived_sudo next = { .computations = cur.computations };

	if (!st->dir)
		return NULL;
	if (current(st, now))
		return &cur;
	if (compute(st, now, &next) < 0)
		return NULL;
	free(cur.member);
	free(cur.idx);
	cur = next;
	return &cur;
}

bool derived_sudo_has(const struct derived_sudo *ds, const struct dir_user *u)
{
	size_t i;

	if (!ds || !u || u < ds->dir->users || u >= ds->dir->users + ds->dir->n_users)
		return false;
	i = (size_t)(u - ds->dir->users);
	return ds->member[i];
}

/* --- per-user grants (derived.h) --- */

static struct derived_grants gcur; /* the loop thread's */

/* (user index or gid, binding index): who a binding names, sorted so one
 * user's (or one gid's) bindings are a run. */
struct pair {
	size_t key, b;
};

struct pairs {
	struct pair *v;
	size_t n, cap;
};

static int pairs_add(struct pairs *p, size_t key, size_t b)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct pair *v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return -1;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (struct pair){ key, b };
	return 0;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->b < y->b ? -1 : x->b > y->b;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Names through the user index, groups through their gid: the same
 * lookups decision.c's subject test makes, once per binding name. */
static int collect_pairs(const struct directory *d, struct pairs *names, struct pairs *gids)
{
	size_t i, j;

	for (i = 0; i < d->n_bindings; i++) {
		const struct dir_binding *b = &d->bindings[i];

		if (!(b->grants & (DIR_GRANT_LOGIN | DIR_GRANT_SUDO)))
			continue;
		for (j = 0; j < b->users.n; j++) {
			const struct dir_user *u = directory_user_by_name(d, b->users.v[j]);

			if (u && pairs_add(names, (size_t)(u - d->users), i) < 0)
				return -1;
		}
		for (j = 0; j < b->groups.n; j++) {
			const struct dir_group *g = directory_group_by_name(d, b->groups.v[j]);

			if (g && pairs_add(gids, g->gid, i) < 0)
				return -1;
		}
	}
	/* qsort's array may not be NULL, even for no elements (C11 7.22.5):
	 * a directory without bindings has none. */
	if (names->n)
		qsort(names->v, names->n, sizeof(struct pair), cmp_pair);
	if (gids->n)
		qsort(gids->v, gids->n, sizeof(struct pair), cmp_pair);
	return 0;
}

struct builder {
	size_t *idx, n, cap;
	size_t *seen; /* by binding: 1 + the last user it was added for */
};

static int builder_add(struct builder *bl, size_t user, size_t b)
{
	if (bl->seen[b] == user + 1)
		return 0; /* named twice, or named and in a group */
	bl->seen[b] = user + 1;
	if (bl->n == bl->cap) {
		size_t cap = bl->cap ? bl->cap * 2 : 64;
		size_t *v = realloc(bl->idx, cap * sizeof(*v));

		if (!v)
			return -1;
		bl->idx = v;
		bl->cap = cap;
	}
	bl->idx[bl->n++] = b;
	return 0;
}

/* The run of gid's bindings. */
static int add_gid(struct builder *bl, const struct pairs *gids, size_t user, uint32_t gid)
{
	size_t lo = 0, hi = gids->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (gids->v[mid].key < gid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < gids->n && gids->v[lo].key == gid; lo++)
		if (builder_add(bl, user, gids->v[lo].b) < 0)
			return -1;
	return 0;
}

static int build_user(const struct directory *d, const struct pairs *names, size_t *np, const struct pairs *gids,
		      size_t i, struct builder *bl)
{
	const struct dir_user *u = &d->users[i];
	size_t start = bl->n, j;

	for (; *np < names->n && names->v[*np].key == i; ++*np)
		if (builder_add(bl, i, names->v[*np].b) < 0)
			return -1;
	if (add_gid(bl, gids, i, u->gid) < 0)
		return -1;
	for (j = 0; j < u->n_member_gids; j++)
		if (add_gid(bl, gids, i, u->member_gids[j]) < 0)
			return -1;
	/* binding order: decision.c reports the first matching binding */
	if (bl->n > start)
		qsort(bl->idx + start, bl->n - start, sizeof(size_t), cmp_size);
	return 0;
}

static int compute_grants(const struct directory *d, struct derived_grants *ret)
{
	struct pairs names = { NULL, 0, 0 }, gids = { NULL, 0, 0 };
	struct builder bl = { NULL, 0, 0, calloc(d->n_bindings ? d->n_bindings : 1, sizeof(size_t)) };
	size_t *off = calloc(d->n_users + 1, sizeof(*off)), np = 0, i;
	int r = bl.seen && off ? collect_pairs(d, &names, &gids) : -1;

	for (i = 0; i < d->n_users && r == 0; i++) {
		off[i] = bl.n;
		r = build_user(d, &names, &np, &gids, i, &bl);
	}
	free(names.v);
	free(gids.v);
	free(bl.seen);
	if (r < 0) {
		free(bl.idx);
		free(off);
		return -1;
	}
	off[d->n_users] = bl.n;
	ret->off = off;
	ret->idx = bl.idx;
	return 0;
}

const struct derived_grants *derived_grants(const struct prov_state *st)
{
	struct derived_grants next = { .dir = st->dir, .generation = st->generation };

	if (!st->dir)
		return NULL;
	if (gcur.off && gcur.dir == st->dir && gcur.generation == st->generation)
		return &gcur;
	if (compute_grants(st->dir, &next) < 0)
		return NULL;
	next.computations = gcur.computations + 1;
	free(gcur.off);
	free(gcur.idx);
	gcur = next;
	return &gcur;
}

int derived_grants_scope(const struct derived_grants *dg, const struct dir_user *u, struct decision_scope *ret)
{
	size_t i;

	if (!dg || !u || u < dg->dir->users || u >= dg->dir->users + dg->dir->n_users)
		return -ENOENT;
	i = (size_t)(u - dg->dir->users);
	ret->idx = dg->idx ? dg->idx + dg->off[i] : NULL;
	ret->n = dg->off[i + 1] - dg->off[i];
	return 0;
}

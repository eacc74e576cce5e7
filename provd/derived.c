/* SPDX-License-Identifier: MIT */
#include "derived.h"

#include <stdlib.h>
#include <string.h>

#include "decision.h"
#include "login_handlers.h"

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

/* SPDX-License-Identifier: MIT */
#include "admit/prior.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int slot(enum dir_entry_kind kind)
{
	return kind == DIR_KIND_GROUP ? 1 : 0;
}

static int add(struct prior *p, const struct prior_entry *e)
{
	uint32_t i = (uint32_t)p->n;
	int s = slot(e->kind), r;

	p->v[p->n++] = *e;
	if (e->gone_at == 0 && e->id) {
		r = nametab_put(&p->live_by_id[s], e->id, i, NULL);
		if (r == -ENOMEM)
			return r;
	}
	r = idtab_put(&p->by_num[s], e->num, i, NULL);
	return r == -ENOMEM ? r : 0; /* -EEXIST: the first holder stays */
}

int prior_build(struct prior *p, const struct directory *prev, const struct prior_entry *extra, size_t n_extra)
{
	size_t cap = n_extra + (prev ? prev->n_users + prev->n_groups : 0);
	int r = 0;

	memset(p, 0, sizeof(*p));
	p->v = calloc(cap ? cap : 1, sizeof(*p->v));
	if (!p->v)
		return -ENOMEM;
	for (int s = 0; s < 2 && r == 0; s++) {
		r = nametab_init(&p->live_by_id[s], cap, false);
		if (r == 0)
			r = idtab_init(&p->by_num[s], cap);
	}
	/* The served snapshot first: its holders win over the ledger's. */
	for (size_t i = 0; r == 0 && prev && i < prev->n_users; i++) {
		const struct dir_user *u = &prev->users[i];

		r = add(p, &(struct prior_entry){ DIR_KIND_USER, u->id, u->name, u->home, u->uid, 0 });
	}
	for (size_t i = 0; r == 0 && prev && i < prev->n_groups; i++) {
		const struct dir_group *g = &prev->groups[i];

		r = add(p, &(struct prior_entry){ DIR_KIND_GROUP, g->id, g->name, NULL, g->gid, 0 });
	}
	for (size_t i = 0; r == 0 && i < n_extra; i++) {
		if (prev && extra[i].gone_at == 0)
			continue;
		r = add(p, &extra[i]);
	}
	if (r < 0)
		prior_free(p);
	return r;
}

void prior_free(struct prior *p)
{
	for (int s = 0; s < 2; s++) {
		nametab_free(&p->live_by_id[s]);
		idtab_free(&p->by_num[s]);
	}
	free(p->v);
	memset(p, 0, sizeof(*p));
}

const struct prior_entry *prior_live(const struct prior *p, enum dir_entry_kind kind, const char *id)
{
	uint32_t i;

	if (!p || !p->v || !id || !nametab_get(&p->live_by_id[slot(kind)], id, &i))
		return NULL;
	return &p->v[i];
}

const struct prior_entry *prior_by_num(const struct prior *p, enum dir_entry_kind kind, uint32_t num)
{
	uint32_t i;

	if (!p || !p->v || !idtab_get(&p->by_num[slot(kind)], num, &i))
		return NULL;
	return &p->v[i];
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		*oom = true;
	return c;
}

int prior_entries_push(struct prior_entry **v, size_t *n, const struct prior_entry *e)
{
	struct prior_entry *nv = *v;
	bool oom = false;
	struct prior_entry c = *e;

	/* Capacity is the next power of two: grow when n reaches one. */
	if (*n == 0 || (*n & (*n - 1)) == 0) {
		nv = realloc(*v, (*n ? *n * 2 : 1) * sizeof(**v));
		if (!nv)
			return -ENOMEM;
		*v = nv;
	}
	c.id = dup_or_null(e->id, &oom);
	c.name = dup_or_null(e->name, &oom);
	c.home = dup_or_null(e->home, &oom);
	if (oom) {
		free((char *)c.id);
		free((char *)c.name);
		free((char *)c.home);
		return -ENOMEM;
	}
	nv[(*n)++] = c;
	return 0;
}

void prior_entries_free(struct prior_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free((char *)v[i].id);
		free((char *)v[i].name);
		free((char *)v[i].home);
	}
	free(v);
}

bool prior_same_identity(const struct prior_entry *e, const char *id, const char *name)
{
	if (e->id && id)
		return strcmp(e->id, id) == 0;
	return e->name && name && strcmp(e->name, name) == 0;
}

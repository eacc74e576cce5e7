/* SPDX-License-Identifier: MIT */
#include "loop/budget.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void budget_init(struct budget *b, unsigned per_uid)
{
	memset(b, 0, sizeof(*b));
	b->per_uid = per_uid;
}

void budget_free(struct budget *b)
{
	free(b->v);
	memset(b, 0, sizeof(*b));
}

static struct budget_uid *find(const struct budget *b, uid_t uid)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->v[i].uid == uid)
			return &b->v[i];
	return NULL;
}

unsigned budget_held(const struct budget *b, uid_t uid)
{
	const struct budget_uid *e = find(b, uid);

	return e ? e->n : 0;
}

int budget_take(struct budget *b, uid_t uid)
{
	struct budget_uid *e = find(b, uid);

	if (e) {
		if (b->per_uid && e->n >= b->per_uid)
			return -EUSERS;
		e->n++;
		return 0;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct budget_uid *v = realloc(b->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n].uid = uid;
	b->v[b->n].n = 1;
	b->n++;
	return 0;
}

void budget_put(struct budget *b, uid_t uid)
{
	struct budget_uid *e = find(b, uid);

	if (!e)
		return;
	if (--e->n == 0)
		*e = b->v[--b->n]; /* order does not matter */
}

/* SPDX-License-Identifier: MIT */
/* The records of every page into a raw snapshot (scim_sync_finish()):
 * ids derived (idmap.h), members resolved, private groups (scimupg.h). */
#include "source/scim_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int cmp_user_idx(const void *a, const void *b, void *ctx)
{
	const struct user_rec *u = ctx;

	return strcmp(u[*(const size_t *)a].id, u[*(const size_t *)b].id);
}

static int cmp_group_idx(const void *a, const void *b, void *ctx)
{
	const struct group_rec *g = ctx;

	return strcmp(g[*(const size_t *)a].id, g[*(const size_t *)b].id);
}

static size_t *sorted_order(void *recs, size_t n, int (*cmp)(const void *, const void *, void *))
{
	size_t *order = calloc(n ? n : 1, sizeof(*order));

	if (!order)
		return NULL;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), cmp, recs);
	return order;
}

struct id_keys {
	struct idmap_entry *e;
	char **keys;
	size_t n;
};

static void id_keys_free(struct id_keys *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->keys[i]);
	free(k->keys);
	free(k->e);
}

/* One idmap entry per usable user and group; user_slot/group_slot map
 * record index -> entry index. */
static int assign_ids(struct scim_sync *s, const struct idmap_prev *prev, size_t n_prev, size_t *user_slot,
		      size_t *group_slot, struct id_keys *k, char *err, size_t errsz)
{
	size_t total = s->n_users + s->n_groups;
	int r;

	k->e = calloc(total ? total : 1, sizeof(*k->e));
	k->keys = calloc(total ? total : 1, sizeof(*k->keys));
	if (!k->e || !k->keys)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_users; i++) {
		if (s->users[i].refused)
			continue;
		if (asprintf(&k->keys[k->n], "u:%s", s->users[i].id) < 0)
			return -ENOMEM;
		k->e[k->n] = (struct idmap_entry){ .key = k->keys[k->n], .fixed = s->users[i].uid };
		user_slot[i] = k->n++;
	}
	for (size_t i = 0; i < s->n_groups; i++) {
		if (s->groups[i].refused)
			continue;
		if (asprintf(&k->keys[k->n], "g:%s", s->groups[i].id) < 0)
			return -ENOMEM;
		k->e[k->n] = (struct idmap_entry){ .key = k->keys[k->n], .fixed = s->groups[i].gid };
		group_slot[i] = k->n++;
	}
	r = idmap_assign(k->e, k->n, prev, n_prev, s->o.id_min, s->o.id_max, err, errsz);
	return r;
}

/* The record's strings move into the snapshot (100,000 users should not
 * be held twice). The id string stays the key of s->user_ids: it now lives
 * in the snapshot, which outlives every lookup. */
static int emit_user(struct directory *d, struct user_rec *u, uint32_t uid, size_t *ret_index)
{
	struct dir_user *du = directory_add_user(d);

	if (!du)
		return -ENOMEM;
	du->uid = uid;
	du->gid = u->has_gid ? u->gid : uid;
	du->active = u->active;
	du->id = u->id;
	du->name = u->name;
	du->gecos = u->gecos;
	du->home = u->home;
	du->shell = u->shell;
	du->ssh_keys = u->keys;
	u->id = u->name = u->gecos = u->home = u->shell = NULL;
	memset(&u->keys, 0, sizeof(u->keys));
	*ret_index = d->n_users - 1;
	return 0;
}

static int emit_group(struct scim_sync *s, struct group_rec *g, uint32_t gid, const size_t *user_index)
{
	struct dir_group *dg = directory_add_group(s->out);
	size_t unresolved = g->skipped;
	struct nametab seen; /* a member listed twice is one member */
	int r;

	if (!dg || nametab_init(&seen, g->member_ids.n, false) < 0)
		return -ENOMEM;
	dg->gid = gid;
	dg->id = g->id;
	dg->name = g->name;
	g->id = g->name = NULL;
	r = 0;
	for (size_t i = 0; r == 0 && i < g->member_ids.n; i++) {
		const char *name;
		uint32_t ui;

		if (!nametab_get(&s->user_ids, g->member_ids.v[i], &ui)) {
			unresolved++;
			continue;
		}
		/* A refused user's refusal is already recorded. */
		if (s->users[ui].refused)
			continue;
		name = s->out->users[user_index[ui]].name;
		r = nametab_put(&seen, name, 0, NULL);
		if (r == -EEXIST) {
			r = 0;
			continue;
		}
		if (r == 0)
			r = dir_strv_push(&dg->members, name);
	}
	nametab_free(&seen);
	if (r == 0 && unresolved) {
		char why[WHY_MAX];

		snprintf(why, sizeof(why), "%zu members skipped (unknown user ids or nested groups)", unresolved);
		r = directory_add_note(s->out, DIR_KIND_GROUP, dg->name, why);
	}
	return r;
}

/* Users without a gidNumber get a group of their name (scimupg.h). */
static int private_groups(struct scim_sync *s, const size_t *uorder)
{
	bool *explicit_gid = calloc(s->out->n_users + 1, sizeof(*explicit_gid));
	size_t j = 0;
	int r;

	if (!explicit_gid)
		return -ENOMEM;
	/* the snapshot's users are the usable records, in uorder */
	for (size_t k = 0; k < s->n_users; k++)
		if (!s->users[uorder[k]].refused)
			explicit_gid[j++] = s->users[uorder[k]].has_gid;
	r = scimupg_add(s->out, explicit_gid);
	free(explicit_gid);
	return r;
}

int scim_sync_finish(struct scim_sync *s, const struct idmap_prev *prev, size_t n_prev, struct directory **ret,
		     char *err, size_t errsz)
{
	size_t *uorder = NULL, *gorder = NULL, *user_slot = NULL, *group_slot = NULL;
	struct id_keys keys = { 0 };
	int r = -ENOMEM;

	uorder = sorted_order(s->users, s->n_users, cmp_user_idx);
	gorder = sorted_order(s->groups, s->n_groups, cmp_group_idx);
	user_slot = calloc(s->n_users ? s->n_users : 1, sizeof(*user_slot));
	group_slot = calloc(s->n_groups ? s->n_groups : 1, sizeof(*group_slot));
	if (!uorder || !gorder || !user_slot || !group_slot)
		goto out;
	/* userNames differing only in case (SCIM compares them ignoring
	 * case) are left to admission, which folds case too and keeps the
	 * one served before (admit.h): refusing both here let anyone who
	 * can create a user take an established one down (issue 9 §3). */
	r = assign_ids(s, prev, n_prev, user_slot, group_slot, &keys, err, errsz);
	if (r == -ENOMEM)
		goto out;
	if (r < 0)
		goto fail;

	/* user_slot is reused: once a user's id is known, it holds the
	 * user's index in the snapshot. */
	for (size_t k = 0; r == 0 && k < s->n_users; k++) {
		struct user_rec *u = &s->users[uorder[k]];

		if (u->refused)
			r = directory_add_refusal(s->out, DIR_KIND_USER, u->name && u->name[0] ? u->name : u->id,
						  u->refused);
		else
			r = emit_user(s->out, u, keys.e[user_slot[uorder[k]]].id, &user_slot[uorder[k]]);
	}
	for (size_t k = 0; r == 0 && k < s->n_groups; k++) {
		struct group_rec *g = &s->groups[gorder[k]];

		if (g->refused)
			r = directory_add_refusal(s->out, DIR_KIND_GROUP, g->name ? g->name : g->id, g->refused);
		else
			r = emit_group(s, g, keys.e[group_slot[gorder[k]]].id, user_slot);
	}
	if (r == 0)
		r = private_groups(s, uorder);
	if (r < 0)
		goto out;
	*ret = s->out;
	s->out = NULL;
	r = 0;
	goto done;
out:
	errbuf_set(err, errsz, "out of memory");
fail:
	/* The snapshot is all or nothing: drop it. */
	directory_free(s->out);
	s->out = NULL;
done:
	id_keys_free(&keys);
	free(uorder);
	free(gorder);
	free(user_slot);
	free(group_slot);
	return r;
}


void scim_prev_free(struct scim_prev *p)
{
	for (size_t i = 0; i < p->n; i++)
		free((char *)p->v[i].key);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

int scim_prev_collect(const struct directory *d, struct scim_prev *ret)
{
	struct scim_prev p = { 0 };
	struct nametab user_ids; /* a group with a user's id is her private group */

	if (nametab_init(&user_ids, d->n_users, false) < 0)
		return -ENOMEM;
	p.v = calloc(d->n_users + d->n_groups + 1, sizeof(*p.v));
	if (!p.v)
		goto oom;
	for (size_t i = 0; i < d->n_users; i++) {
		char *k;

		if (!d->users[i].id)
			continue;
		if (asprintf(&k, "u:%s", d->users[i].id) < 0)
			goto oom;
		p.v[p.n++] = (struct idmap_prev){ .key = k, .id = d->users[i].uid };
		if (nametab_put(&user_ids, d->users[i].id, (uint32_t)i, NULL) == -ENOMEM)
			goto oom;
	}
	for (size_t i = 0; i < d->n_groups; i++) {
		const struct dir_group *g = &d->groups[i];
		uint32_t ui;
		char *k;

		if (!g->id)
			continue;
		/* A private group (her id, name and gid: scimupg.h) has its
		 * user's gid, not one of idmap's. A group that merely shares an
		 * id with a user (servers numbering each type from 1) is not. */
		if (nametab_get(&user_ids, g->id, &ui) && strcmp(d->users[ui].name, g->name) == 0 &&
		    d->users[ui].gid == g->gid)
			continue;
		if (asprintf(&k, "g:%s", g->id) < 0)
			goto oom;
		p.v[p.n++] = (struct idmap_prev){ .key = k, .id = g->gid };
	}
	nametab_free(&user_ids);
	*ret = p;
	return 0;
oom:
	nametab_free(&user_ids);
	scim_prev_free(&p);
	return -ENOMEM;
}

/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/hashtab.h"
#include "source/scimupg.h"

#define UPG_WHY_MAX 200

/* What a private group must not collide with: the directory's groups (by
 * name ignoring case, by id, by gid) and the users' explicit gids. */
struct taken {
	struct nametab names, ids;
	struct idtab gids, user_gids;
};

static void taken_free(struct taken *t)
{
	nametab_free(&t->names);
	nametab_free(&t->ids);
	idtab_free(&t->gids);
	idtab_free(&t->user_gids);
}

static int put_name(struct nametab *t, const char *s, uint32_t v)
{
	int r = nametab_put(t, s, v, NULL);

	return r == -EEXIST ? 0 : r;
}

static int put_id(struct idtab *t, uint32_t k, uint32_t v)
{
	int r = idtab_put(t, k, v, NULL);

	return r == -EEXIST ? 0 : r;
}

static int taken_init(struct taken *t, const struct directory *d, const bool *explicit_gid)
{
	int r;

	memset(t, 0, sizeof(*t));
	r = nametab_init(&t->names, d->n_groups, true);
	if (r == 0)
		r = nametab_init(&t->ids, d->n_groups, false);
	if (r == 0)
		r = idtab_init(&t->gids, d->n_groups);
	if (r == 0)
		r = idtab_init(&t->user_gids, d->n_users);
	for (size_t i = 0; r == 0 && i < d->n_groups; i++) {
		r = put_name(&t->names, d->groups[i].name, (uint32_t)i);
		if (r == 0 && d->groups[i].id)
			r = put_name(&t->ids, d->groups[i].id, (uint32_t)i);
		if (r == 0)
			r = put_id(&t->gids, d->groups[i].gid, (uint32_t)i);
	}
	for (size_t i = 0; r == 0 && i < d->n_users; i++)
		if (explicit_gid[i])
			r = put_id(&t->user_gids, d->users[i].gid, (uint32_t)i);
	return r;
}

/* Why user u gets no private group, or NULL; "" when the directory has
 * it already (a group of her exact name and her gid). */
static const char *clash(const struct taken *t, const struct directory *d, const struct dir_user *u, char *why)
{
	uint32_t i;

	if (nametab_get(&t->names, u->name, &i) && strcmp(d->groups[i].name, u->name) == 0 &&
	    d->groups[i].gid == u->gid)
		return "";
	if (nametab_get(&t->names, u->name, &i))
		snprintf(why, UPG_WHY_MAX, "no private group: the directory has a group named %.64s",
			 d->groups[i].name);
	else if (u->id && nametab_get(&t->ids, u->id, &i))
		snprintf(why, UPG_WHY_MAX, "no private group: directory group %.64s has the user's id",
			 d->groups[i].name);
	else if (idtab_get(&t->gids, u->gid, &i))
		snprintf(why, UPG_WHY_MAX, "no private group: gid %u is directory group %.64s's", u->gid,
			 d->groups[i].name);
	/* That user also claims her uid: admission refuses at least one of
	 * the two (the newcomer, when she was served before, so she must keep
	 * her group; when she is refused, her group goes with her). */
	else if (idtab_get(&t->user_gids, u->gid, &i) && d->users[i].uid != u->uid)
		snprintf(why, UPG_WHY_MAX, "no private group: gid %u is user %.64s's explicit gidNumber", u->gid,
			 d->users[i].name);
	else
		return NULL;
	return why;
}

static int add_group(struct directory *d, size_t ui)
{
	struct dir_group *g = directory_add_group(d);
	const struct dir_user *u = &d->users[ui];

	if (!g)
		return -ENOMEM;
	g->gid = u->gid;
	g->name = strdup(u->name);
	g->id = u->id ? strdup(u->id) : NULL;
	if (!g->name || (u->id && !g->id))
		return -ENOMEM; /* the half-made group is freed with d */
	return 0;
}

int scimupg_add(struct directory *d, const bool *explicit_gid)
{
	size_t n_users = d->n_users;
	struct taken t;
	char why[UPG_WHY_MAX];
	int r = taken_init(&t, d, explicit_gid);

	for (size_t i = 0; r == 0 && i < n_users; i++) {
		const struct dir_user *u = &d->users[i];

		if (explicit_gid[i])
			continue;
		const char *c = clash(&t, d, u, why);

		if (c && c[0])
			r = directory_add_note(d, DIR_KIND_USER, u->name, why);
		else if (!c)
			r = add_group(d, i);
	}
	taken_free(&t);
	return r;
}

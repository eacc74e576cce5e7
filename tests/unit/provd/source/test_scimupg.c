/* SPDX-License-Identifier: MIT */
/* User private groups for SCIM users without gidNumber (issue 9). The
 * whole path from SCIM pages is in test_scim.c; here scimupg_add() alone. */
#include <criterion/criterion.h>
#include <string.h>

#include "source/scimupg.h"

static void user(struct directory *d, const char *id, const char *name, uint32_t uid, uint32_t gid)
{
	struct dir_user *u = directory_add_user(d);

	cr_assert_not_null(u);
	u->id = strdup(id);
	u->name = strdup(name);
	u->uid = uid;
	u->gid = gid;
	u->active = true;
}

static void group(struct directory *d, const char *id, const char *name, uint32_t gid)
{
	struct dir_group *g = directory_add_group(d);

	cr_assert_not_null(g);
	g->id = strdup(id);
	g->name = strdup(name);
	g->gid = gid;
}

Test(scimupg, one_group_per_user_without_an_explicit_gid)
{
	struct directory *d = directory_new();
	bool explicit_gid[] = { false, true, false };

	user(d, "u1", "ann", 200001, 200001);
	user(d, "u2", "ben", 200002, 300000);
	user(d, "u3", "cat", 200003, 200003);
	group(d, "g1", "devs", 300000);
	cr_assert_eq(scimupg_add(d, explicit_gid), 0);
	cr_assert_eq(d->n_groups, 3);
	cr_assert_str_eq(d->groups[1].name, "ann");
	cr_assert_str_eq(d->groups[1].id, "u1");
	cr_assert_eq(d->groups[1].gid, 200001);
	cr_assert_eq(d->groups[1].members.n, 0);
	cr_assert_str_eq(d->groups[2].name, "cat");
	cr_assert_eq(d->n_refused, 0);
	directory_free(d);
}

Test(scimupg, collisions_give_a_note_not_a_group)
{
	struct directory *d = directory_new();
	bool explicit_gid[] = { false, false, false, true };

	user(d, "u1", "ann", 200001, 200001); /* a group "Ann" exists */
	user(d, "u2", "ben", 200002, 200002); /* gid 200002 is group ops */
	user(d, "u3", "cat", 200003, 200003); /* dan's explicit gid */
	user(d, "u4", "dan", 200004, 200003);
	group(d, "g1", "Ann", 300000);
	group(d, "g2", "ops", 200002);
	cr_assert_eq(scimupg_add(d, explicit_gid), 0);
	cr_assert_eq(d->n_groups, 2);
	cr_assert_eq(d->n_refused, 3);
	for (size_t i = 0; i < 3; i++)
		cr_assert(d->refused[i].corrected, "a note, not a refusal: the user is served");
	cr_assert_str_eq(d->refused[2].reason, "no private group: gid 200003 is user dan's explicit gidNumber");
	directory_free(d);
}

Test(scimupg, a_user_claiming_her_uid_and_gid_does_not_take_her_group)
{
	/* taker's explicit uidNumber and gidNumber are ann's derived 200001
	 * (issue 9 §3): admission refuses one of the two on the uid; an
	 * established ann must keep her private group meanwhile. */
	struct directory *d = directory_new();
	bool explicit_gid[] = { false, true };

	user(d, "u1", "ann", 200001, 200001);
	user(d, "u2", "taker", 200001, 200001);
	cr_assert_eq(scimupg_add(d, explicit_gid), 0);
	cr_assert_eq(d->n_groups, 1);
	cr_assert_str_eq(d->groups[0].name, "ann");
	cr_assert_eq(d->groups[0].gid, 200001);
	cr_assert_eq(d->n_refused, 0);
	directory_free(d);
}

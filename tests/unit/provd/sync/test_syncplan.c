/* SPDX-License-Identifier: MIT */
/* Applying a sync: diff, replay and mass-deprovisioning guards (DESIGN
 * invariants 3 and 4). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/syncplan.h"

static const struct syncplan_policy pol = {
	.max_deprovision_share = SYNCPLAN_DEFAULT_MAX_SHARE,
	.deprovision_floor = SYNCPLAN_DEFAULT_FLOOR,
	.now = 1800000000,
};

/* n active users "u<i>" with id "id-<i>", uid 10000+i. */
static struct directory *users(size_t n)
{
	struct directory *d = directory_new();
	char buf[32];

	for (size_t i = 0; i < n; i++) {
		struct dir_user *u = directory_add_user(d);

		snprintf(buf, sizeof(buf), "id-%zu", i);
		u->id = strdup(buf);
		snprintf(buf, sizeof(buf), "u%zu", i);
		u->name = strdup(buf);
		u->uid = u->gid = (uint32_t)(10000 + i);
		u->gecos = strdup("");
		u->home = strdup("/home/x");
		u->shell = strdup("/bin/bash");
		u->active = true;
	}
	return d;
}

static struct dir_group *group(struct directory *d, const char *name, uint32_t gid, const char *m1, const char *m2)
{
	struct dir_group *g = directory_add_group(d);

	g->id = strdup(name);
	g->name = strdup(name);
	g->gid = gid;
	if (m1)
		dir_strv_push(&g->members, m1);
	if (m2)
		dir_strv_push(&g->members, m2);
	return g;
}

static struct dir_user *by_name(struct directory *d, const char *name)
{
	for (size_t i = 0; i < d->n_users; i++)
		if (strcmp(d->users[i].name, name) == 0)
			return &d->users[i];
	cr_assert_fail("no user %s", name);
	return NULL;
}

static void compute(const struct directory *old, const struct directory *cand, const struct syncplan_policy *p,
		    struct syncplan *plan)
{
	cr_assert_eq(syncplan_compute(old, NULL, 0, cand, NULL, 0, p, plan), 0);
}

Test(syncplan, first_sync_adds_everything)
{
	struct directory *n = users(5);
	struct syncplan p;

	compute(NULL, n, &pol, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_APPLY);
	cr_assert_eq(p.users_added.n, 5);
	cr_assert_str_eq(p.users_added.v[0].name, "u0");
	cr_assert_str_eq(p.reason, "");
	syncplan_free(&p);
	directory_free(n);
}

Test(syncplan, unchanged_directory_is_a_noop)
{
	struct directory *o = users(5), *n = users(5);
	struct syncplan p;

	group(o, "ops", 30000, "u1", "u2");
	group(n, "ops", 30000, "u2", "u1"); /* member order does not matter */
	compute(o, n, &pol, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_NOOP);
	cr_assert_eq(p.groups_changed.n, 0);
	syncplan_free(&p);

	/* SCIM (no serial checks): the caller's serial does not matter */
	n->serial = 99;
	compute(o, n, &pol, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_NOOP);
	syncplan_free(&p);
	directory_free(o);
	directory_free(n);
}

Test(syncplan, add_change_deactivate_delete)
{
	struct directory *o = users(40), *n = users(40);
	struct dir_user *u;
	struct syncplan p;
	char f[128];

	/* change: u1 shell and keys; u2 renamed; deactivate u3; delete the
	 * last one (u39); add a new one */
	u = by_name(n, "u1");
	free(u->shell);
	u->shell = strdup("/bin/zsh");
	dir_strv_push(&u->ssh_keys, "ssh-ed25519 AAAA");
	u = by_name(n, "u2");
	free(u->name);
	u->name = strdup("u2-renamed");
	by_name(n, "u3")->active = false;
	directory_remove_user(n, n->n_users - 1);
	u = directory_add_user(n);
	u->id = strdup("id-new");
	u->name = strdup("newbie");
	u->active = true;

	compute(o, n, &pol, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_APPLY, "%s", p.reason);
	cr_assert_eq(p.old_active, 40);
	cr_assert_eq(p.users_added.n, 1);
	cr_assert_str_eq(p.users_added.v[0].name, "newbie");
	cr_assert_eq(p.users_changed.n, 2);
	cr_assert_str_eq(p.users_changed.v[0].name, "u1");
	syncplan_fields_str(p.users_changed.v[0].fields, f, sizeof(f));
	cr_assert_str_eq(f, "shell,ssh_keys");
	cr_assert_str_eq(p.users_changed.v[1].name, "u2-renamed");
	cr_assert_str_eq(p.users_changed.v[1].old_name, "u2");
	cr_assert_eq(p.users_changed.v[1].fields, SYNC_F_NAME);
	cr_assert_eq(p.users_deprovisioned.n, 2);
	cr_assert_str_eq(p.users_deprovisioned.v[0].name, "u3");
	cr_assert_eq(p.users_deprovisioned.v[0].why, SYNCPLAN_INACTIVE);
	cr_assert_str_eq(p.users_deprovisioned.v[1].name, "u39");
	cr_assert_str_eq(p.users_deprovisioned.v[1].id, "id-39");
	cr_assert_eq(p.users_deprovisioned.v[1].why, SYNCPLAN_REMOVED);
	syncplan_summary(&p, f, sizeof(f));
	cr_assert_str_eq(f, "users +1 ~2 -2 deprovisioned (-0 inactive removed), groups +0 ~0 -0, bindings +0 ~0 -0");
	syncplan_free(&p);
	directory_free(o);
	directory_free(n);
}

Test(syncplan, reactivation_and_purge)
{
	struct directory *o = users(3), *n = users(3);
	struct syncplan p;

	by_name(o, "u0")->active = false;
	by_name(o, "u1")->active = false;
	by_name(n, "u1")->active = false;
	directory_remove_user(n, 1); /* u1 was inactive already: purged */
	compute(o, n, &pol, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_APPLY);
	cr_assert_eq(p.old_active, 1);
	cr_assert_eq(p.users_changed.n, 1);
	cr_assert_eq(p.users_changed.v[0].fields, SYNC_F_REACTIVATED);
	cr_assert_eq(p.users_deprovisioned.n, 0);
	cr_assert_eq(p.users_purged.n, 1);
	cr_assert_str_eq(p.users_purged.v[0].name, "u1");
	syncplan_free(&p);
	directory_free(o);
	directory_free(n);
}

/* Invariant 4: a pull that would deprovision more than the configured share
 * at once is rejected whole, unless forced. */
Test(syncplan, mass_deprovisioning_rejected_unless_forced)
{
	struct directory *o = users(100), *n = users(100);
	struct syncplan_policy forced = pol;
	struct syncplan p;

	/* 10 of 100 is not more than 10 %: fine */
	for (int i = 0; i < 10; i++)
		n->users[i].active = false;
	compute(o, n, &pol, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_APPLY, "%s", p.reason);
	syncplan_free(&p);

	/* 11: rejected, with the numbers */
	directory_remove_user(n, 50);
	compute(o, n, &pol, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_REJECT);
	cr_assert_str_eq(p.reason, "suspicious: it would deprovision 11 of 100 active users (11%), over the limit of "
				   "10%; provctl refresh --force accepts it");
	cr_assert_eq(p.users_deprovisioned.n, 11, "the diff is still reported");
	syncplan_free(&p);

	forced.force = true;
	compute(o, n, &forced, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_APPLY);
	cr_assert(p.forced);
	syncplan_free(&p);
	directory_free(o);
	directory_free(n);
}

Test(syncplan, small_directories_may_lose_a_few)
{
	struct directory *o = users(5), *n = users(5);
	struct syncplan p;

	/* 3 of 5 (the floor) is allowed; 4 is not */
	for (int i = 0; i < 3; i++)
		n->users[i].active = false;
	compute(o, n, &pol, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_APPLY, "%s", p.reason);
	syncplan_free(&p);
	n->users[3].active = false;
	compute(o, n, &pol, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_REJECT);
	syncplan_free(&p);
	directory_free(o);
	directory_free(n);
}

Test(syncplan, empty_user_list_rejected)
{
	struct directory *o = users(2), *n = users(0);
	struct syncplan p;

	compute(o, n, &pol, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_REJECT);
	cr_assert_str_eq(p.reason, "suspicious: the new directory has no users, 2 are active now; provctl refresh "
				   "--force accepts it");
	syncplan_free(&p);
	directory_free(o);
	directory_free(n);
}

Test(syncplan, replayed_serial_rejected)
{
	struct directory *o = users(3), *n = users(3);
	struct syncplan_policy doc = pol;
	struct syncplan p;

	doc.check_serial = true;
	o->serial = 42;
	n->serial = 41;
	compute(o, n, &doc, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_REJECT);
	cr_assert_str_eq(p.reason, "serial 41 is older than the current 42 (a replayed document?)");
	syncplan_free(&p);

	/* without serial checks (SCIM) the serial means nothing: same
	 * content, no-op */
	compute(o, n, &pol, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_NOOP);
	syncplan_free(&p);
	directory_free(o);
	directory_free(n);
}

Test(syncplan, equal_serial_only_with_identical_bytes)
{
	struct directory *o = users(3), *n = users(3);
	struct syncplan_policy doc = pol;
	struct syncplan p;

	doc.check_serial = true;
	o->serial = n->serial = 7;
	cr_assert_eq(syncplan_compute(o, "abc", 3, n, "abc", 3, &doc, &p), 0);
	cr_assert_eq(p.verdict, SYNCPLAN_NOOP);
	syncplan_free(&p);
	cr_assert_eq(syncplan_compute(o, "abc", 3, n, "abd", 3, &doc, &p), 0);
	cr_assert_eq(p.verdict, SYNCPLAN_REJECT);
	cr_assert_str_eq(p.reason, "serial 7 reused with different content");
	syncplan_free(&p);

	/* no bytes: equal content is a no-op, different content is not */
	compute(o, n, &doc, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_NOOP);
	syncplan_free(&p);
	by_name(n, "u2")->uid = 1;
	compute(o, n, &doc, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_REJECT);
	cr_assert_str_eq(p.reason, "serial 7 reused with different content");
	syncplan_free(&p);

	n->serial = 8;
	compute(o, n, &doc, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_APPLY);
	cr_assert_eq(p.users_changed.v[0].fields, SYNC_F_UID);
	syncplan_free(&p);
	directory_free(o);
	directory_free(n);
}

Test(syncplan, expired_document_flagged_stale)
{
	struct directory *o = users(1), *n = users(1);
	struct syncplan p;

	n->not_after = pol.now;
	compute(o, n, &pol, &p);
	cr_assert(p.stale);
	cr_assert_eq(p.verdict, SYNCPLAN_APPLY, "not_after changed");
	syncplan_free(&p);
	n->not_after = pol.now + 1;
	compute(o, n, &pol, &p);
	cr_assert_not(p.stale);
	syncplan_free(&p);
	directory_free(o);
	directory_free(n);
}

Test(syncplan, group_and_binding_changes)
{
	struct directory *o = users(3), *n = users(3);
	struct dir_binding *b;
	struct syncplan p;
	char f[64];

	group(o, "ops", 30000, "u0", "u1");
	group(o, "gone", 30001, NULL, NULL);
	group(n, "ops", 30000, "u0", "u2");
	group(n, "fresh", 30002, NULL, NULL);
	b = directory_add_binding(o);
	b->name = strdup("b");
	b->grants = DIR_GRANT_LOGIN;
	dir_strv_push(&b->groups, "ops");
	b = directory_add_binding(n);
	b->name = strdup("b");
	b->grants = DIR_GRANT_LOGIN | DIR_GRANT_SUDO;
	dir_strv_push(&b->groups, "ops");
	dir_strv_push(&b->hosts, "web-*");
	b->not_after = 1900000000;
	compute(o, n, &pol, &p);
	cr_assert_eq(p.groups_changed.n, 1);
	cr_assert_eq(p.groups_changed.v[0].fields, SYNC_F_MEMBERS);
	cr_assert_eq(p.groups_added.n, 1);
	cr_assert_str_eq(p.groups_added.v[0].name, "fresh");
	cr_assert_eq(p.groups_removed.n, 1);
	cr_assert_str_eq(p.groups_removed.v[0].name, "gone");
	cr_assert_eq(p.bindings_changed.n, 1);
	syncplan_fields_str(p.bindings_changed.v[0].fields, f, sizeof(f));
	cr_assert_str_eq(f, "scope,grants,not_after");
	syncplan_free(&p);
	directory_free(o);
	directory_free(n);
}

Test(syncplan, large_groups_compared_as_sets)
{
	struct directory *o = users(0), *n = users(0);
	struct dir_group *a = group(o, "big", 1, NULL, NULL), *b = group(n, "big", 1, NULL, NULL);
	char name[16];
	struct syncplan p;

	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		dir_strv_push(&a->members, name);
		snprintf(name, sizeof(name), "m%d", 4999 - i);
		dir_strv_push(&b->members, name);
	}
	compute(o, n, &pol, &p);
	cr_assert_eq(p.verdict, SYNCPLAN_NOOP);
	syncplan_free(&p);
	free(b->members.v[17]);
	b->members.v[17] = strdup("intruder");
	compute(o, n, &pol, &p);
	cr_assert_eq(p.groups_changed.n, 1);
	syncplan_free(&p);
	directory_free(o);
	directory_free(n);
}

Test(syncplan, users_without_id_match_by_name)
{
	struct directory *o = users(2), *n = users(2);
	struct syncplan p;

	for (size_t i = 0; i < 2; i++) {
		free(o->users[i].id);
		o->users[i].id = NULL;
		free(n->users[i].id);
		n->users[i].id = NULL;
	}
	n->users[1].uid = 5;
	compute(o, n, &pol, &p);
	cr_assert_eq(p.users_changed.n, 1);
	cr_assert_str_eq(p.users_changed.v[0].id, "u1");
	syncplan_free(&p);
	directory_free(o);
	directory_free(n);
}

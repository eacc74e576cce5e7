/* SPDX-License-Identifier: MIT */
/* provd/model/directory.c: the snapshot, its indexes and member_gids. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/directory.h"

static struct dir_user *add_user(struct directory *d, const char *name, uint32_t uid, uint32_t gid)
{
	struct dir_user *u = directory_add_user(d);

	cr_assert_not_null(u);
	u->name = strdup(name);
	u->id = strdup(name);
	u->uid = uid;
	u->gid = gid;
	return u;
}

static struct dir_group *add_group(struct directory *d, const char *name, uint32_t gid, const char *const *members)
{
	struct dir_group *g = directory_add_group(d);

	cr_assert_not_null(g);
	g->name = strdup(name);
	g->gid = gid;
	for (size_t i = 0; members && members[i]; i++)
		cr_assert_eq(dir_strv_push(&g->members, members[i]), 0);
	return g;
}

Test(directory, empty_snapshot_indexes_and_misses)
{
	struct directory *d = directory_new();

	cr_assert_not_null(d);
	cr_expect_null(directory_user_by_name(d, "alice"), "no index yet: a miss, not a crash");
	cr_assert_eq(directory_index(d), 0);
	cr_expect_null(directory_user_by_name(d, "alice"));
	cr_expect_null(directory_user_by_uid(d, 0));
	cr_expect_null(directory_group_by_name(d, ""));
	cr_expect_null(directory_group_by_gid(d, 4294967295u));
	directory_free(d);
	directory_free(NULL);
}

Test(directory, lookups_by_name_and_id)
{
	struct directory *d = directory_new();
	const char *dev[] = { "alice", "bob", NULL };

	add_user(d, "alice", 20001, 20001);
	add_user(d, "bob", 20002, 20002);
	add_group(d, "developers", 30001, dev);
	cr_assert_eq(directory_index(d), 0);

	cr_assert_not_null(directory_user_by_name(d, "alice"));
	cr_expect_eq(directory_user_by_name(d, "alice")->uid, 20001);
	cr_expect_str_eq(directory_user_by_uid(d, 20002)->name, "bob");
	cr_expect_null(directory_user_by_name(d, "Alice"), "lookups are exact, like glibc's");
	cr_expect_null(directory_user_by_name(d, "alic"));
	cr_expect_null(directory_user_by_uid(d, 20003));
	cr_expect_eq(directory_group_by_name(d, "developers")->gid, 30001);
	cr_expect_str_eq(directory_group_by_gid(d, 30001)->name, "developers");
	cr_expect_null(directory_group_by_gid(d, 20001));
	directory_free(d);
}

Test(directory, member_gids_sorted_deduplicated_without_primary)
{
	struct directory *d = directory_new();
	const char *g1[] = { "alice", "bob", "alice", NULL }; /* alice twice */
	const char *g2[] = { "alice", NULL };
	const char *upg[] = { "alice", NULL };                 /* her primary group */
	const char *ghost[] = { "nobody-here", NULL };
	const struct dir_user *a, *b;

	add_user(d, "alice", 20001, 20001);
	add_user(d, "bob", 20002, 20002);
	add_group(d, "zeta", 30009, g1);
	add_group(d, "alpha", 30001, g2);
	add_group(d, "alice", 20001, upg);
	add_group(d, "ghosts", 30005, ghost);
	cr_assert_eq(directory_index(d), 0);

	a = directory_user_by_name(d, "alice");
	cr_assert_eq(a->n_member_gids, 2);
	cr_expect_eq(a->member_gids[0], 30001);
	cr_expect_eq(a->member_gids[1], 30009);
	b = directory_user_by_name(d, "bob");
	cr_assert_eq(b->n_member_gids, 1);
	cr_expect_eq(b->member_gids[0], 30009);

	/* Indexing twice rebuilds rather than appends. */
	cr_assert_eq(directory_index(d), 0);
	cr_expect_eq(directory_user_by_name(d, "alice")->n_member_gids, 2);
	directory_free(d);
}

Test(directory, ten_thousand_users_all_found)
{
	struct directory *d = directory_new();
	char name[32];

	for (uint32_t i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "user%u", i);
		add_user(d, name, 100000 + i, 100000 + i);
	}
	cr_assert_eq(d->n_users, 10000);
	cr_assert_eq(directory_index(d), 0);
	for (uint32_t i = 0; i < 10000; i++) {
		const struct dir_user *u;

		snprintf(name, sizeof(name), "user%u", i);
		u = directory_user_by_name(d, name);
		cr_assert_not_null(u, "%s", name);
		cr_assert_eq(u->uid, 100000 + i);
		cr_assert_eq(directory_user_by_uid(d, 100000 + i), u);
	}
	cr_expect_null(directory_user_by_name(d, "user10000"));
	cr_expect_null(directory_user_by_uid(d, 99999));
	directory_free(d);
}

Test(directory, remove_and_filter_keep_order)
{
	struct directory *d = directory_new();
	bool keep[5] = { true, false, true, false, true };
	char name[8];

	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		add_user(d, name, 20000 + (uint32_t)i, 20000);
	}
	directory_remove_user(d, 0);
	directory_remove_user(d, 99); /* out of range: ignored */
	cr_assert_eq(d->n_users, 5);
	cr_expect_str_eq(d->users[0].name, "u1");
	directory_filter_users(d, keep);
	cr_assert_eq(d->n_users, 3);
	cr_expect_str_eq(d->users[0].name, "u1");
	cr_expect_str_eq(d->users[1].name, "u3");
	cr_expect_str_eq(d->users[2].name, "u5");
	/* Adding after removals still works (capacity is not tracked). */
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "v%d", i);
		add_user(d, name, 30000 + (uint32_t)i, 30000);
	}
	cr_assert_eq(directory_index(d), 0);
	cr_expect_str_eq(directory_user_by_uid(d, 30039)->name, "v39");
	directory_free(d);
}

Test(directory, remove_after_index_drops_stale_index)
{
	struct directory *d = directory_new();

	add_user(d, "alice", 20001, 20001);
	add_user(d, "bob", 20002, 20002);
	cr_assert_eq(directory_index(d), 0);
	directory_remove_user(d, 0);
	cr_expect_null(d->index);
	cr_expect_null(directory_user_by_name(d, "bob"), "unindexed: a miss, never a stale pointer");
	cr_assert_eq(directory_index(d), 0);
	cr_expect_str_eq(directory_user_by_name(d, "bob")->name, "bob");
	directory_free(d);
}

Test(directory, refusal_is_sanitised_for_logs)
{
	struct directory *d = directory_new();

	cr_assert_eq(directory_add_refusal(d, DIR_KIND_USER, "evil\nname", "gecos contains ':'"), 0);
	cr_assert_eq(directory_add_note(d, DIR_KIND_GROUP, "ops", "1 member(s) dropped"), 0);
	cr_assert_eq(d->n_refused, 2);
	cr_expect_eq(d->refused[0].kind, DIR_KIND_USER);
	cr_expect_str_eq(d->refused[0].name, "evil?name");
	cr_expect_str_eq(d->refused[0].reason, "gecos contains ':'");
	cr_expect_not(d->refused[0].corrected);
	cr_expect(d->refused[1].corrected);
	directory_free(d);
}

Test(directory, strv_push_contains_free)
{
	struct dir_strv sv = { 0 };
	char s[16];

	for (int i = 0; i < 100; i++) {
		snprintf(s, sizeof(s), "s%d", i);
		cr_assert_eq(dir_strv_push(&sv, s), 0);
	}
	cr_expect_eq(sv.n, 100);
	cr_expect(dir_strv_contains(&sv, "s0"));
	cr_expect(dir_strv_contains(&sv, "s99"));
	cr_expect_not(dir_strv_contains(&sv, "s100"));
	dir_strv_free(&sv);
	cr_expect_eq(sv.n, 0);
	cr_expect_null(sv.v);
}

Test(directory, outcomes_counted_and_compared_in_any_order)
{
	struct directory *a = directory_new(), *b = directory_new();

	cr_assert_eq(directory_add_refusal(a, DIR_KIND_USER, "x", "uid 0 is reserved (root)"), 0);
	cr_assert_eq(directory_add_note(a, DIR_KIND_USER, "y", "shell replaced"), 0);
	cr_assert_eq(directory_add_conflict(a, DIR_KIND_USER, "z", "home is also another entry's"), 0);
	cr_expect_eq(a->refused[2].outcome, DIR_CONFLICT);
	cr_expect_not(a->refused[2].corrected);
	cr_expect_eq(directory_count_outcome(a, DIR_REFUSED), 1);
	cr_expect_eq(directory_count_outcome(a, DIR_CORRECTED), 1);
	cr_expect_eq(directory_count_outcome(a, DIR_CONFLICT), 1);
	cr_expect_str_eq(dir_outcome_name(DIR_CONFLICT), "conflict");
	cr_expect_not(directory_same_refusals(a, b));
	cr_assert_eq(directory_add_conflict(b, DIR_KIND_USER, "z", "home is also another entry's"), 0);
	cr_assert_eq(directory_add_refusal(b, DIR_KIND_USER, "x", "uid 0 is reserved (root)"), 0);
	cr_expect_not(directory_same_refusals(a, b));
	cr_assert_eq(directory_add_note(b, DIR_KIND_USER, "y", "shell replaced"), 0);
	cr_expect(directory_same_refusals(a, b), "same records, another order");
	cr_expect(directory_same_refusals(NULL, NULL));
	cr_expect_not(directory_same_refusals(NULL, a));
	directory_free(a);
	directory_free(b);
}

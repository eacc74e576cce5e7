/* SPDX-License-Identifier: MIT */
/* Derived uid/gid: deterministic, order-independent, stable (issue 3). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/idmap.h"

static char err[256];

static uint32_t id_of(const struct idmap_entry *e, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].key, key) == 0)
			return e[i].id;
	cr_assert_fail("no key %s", key);
	return 0;
}

Test(idmap, home_slot_is_fnv1a_mod_range)
{
	/* FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; the formula is part of the
	 * documented contract, so pin it. */
	cr_assert_eq(idmap_home("a", 0, UINT32_MAX), (uint32_t)(0xaf63dc4c8601ec8cull % 0x100000000ull));
	cr_assert_eq(idmap_home("a", 100000, 199999), 100000 + 0xaf63dc4c8601ec8cull % 100000);
	cr_assert_eq(idmap_home("anything", 5, 5), 5);
}

Test(idmap, derived_ids_identical_for_any_input_order)
{
	enum { N = 500 };
	static char keys[N][32];
	struct idmap_entry a[N], b[N];

	for (int i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "u:%08x-scim-id-%d", (unsigned)i * 2654435761u, i);
		a[i] = (struct idmap_entry){ .key = keys[i] };
		b[N - 1 - i] = (struct idmap_entry){ .key = keys[i] };
	}
	/* A small range forces many collisions: the collision rule must
	 * not depend on order either. */
	cr_assert_eq(idmap_assign(a, N, NULL, 0, 70000, 70000 + 2 * N, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(idmap_assign(b, N, NULL, 0, 70000, 70000 + 2 * N, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(a[i].id, id_of(b, N, a[i].key), "key %s", a[i].key);
		cr_assert(a[i].id >= 70000 && a[i].id <= 70000 + 2 * N);
	}
	/* and unique */
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			cr_assert_neq(a[i].id, a[j].id);
}

Test(idmap, collision_goes_to_bytewise_smaller_key_then_probes)
{
	/* Range of one id... plus one: every key has the same home or the
	 * other; find two keys with the same home in [1000, 1001]. */
	const char *k1 = NULL, *k2 = NULL;
	static char buf[64][16];

	for (int i = 0; i < 64 && !k2; i++) {
		snprintf(buf[i], sizeof(buf[i]), "k%d", i);
		if (idmap_home(buf[i], 1000, 1009) != 1004)
			continue;
		if (!k1)
			k1 = buf[i];
		else
			k2 = buf[i];
	}
	cr_assert(k1 && k2, "need two keys homed at 1004");
	const char *lo = strcmp(k1, k2) < 0 ? k1 : k2, *hi = lo == k1 ? k2 : k1;
	struct idmap_entry e[2] = { { .key = hi }, { .key = lo } };

	cr_assert_eq(idmap_assign(e, 2, NULL, 0, 1000, 1009, err, sizeof(err)), 0);
	cr_assert_eq(id_of(e, 2, lo), 1004);
	cr_assert_eq(id_of(e, 2, hi), 1005);
}

Test(idmap, assigned_id_never_changes_while_user_exists)
{
	/* "b" had 1005 before (it was probed there); even if the entry that
	 * pushed it away is gone, it keeps 1005. */
	struct idmap_entry e[1] = { { .key = "u:b" } };
	struct idmap_prev prev[] = { { "u:b", 1005 }, { "u:gone", 1003 } };

	cr_assert_eq(idmap_assign(e, 1, prev, 2, 1000, 1009, err, sizeof(err)), 0);
	cr_assert_eq(e[0].id, 1005);
}

Test(idmap, previous_id_outside_range_or_reserved_is_rederived)
{
	struct idmap_entry e[2] = { { .key = "u:x" }, { .key = "u:y" } };
	struct idmap_prev prev[] = { { "u:x", 5 }, { "u:y", 65534 } };

	cr_assert_eq(idmap_assign(e, 2, prev, 2, 60000, 70000, err, sizeof(err)), 0);
	cr_assert_eq(e[0].id, idmap_home("u:x", 60000, 70000) == 65534 ? 65535 : idmap_home("u:x", 60000, 70000));
	cr_assert_neq(e[1].id, 65534);
	cr_assert(e[1].id >= 60000 && e[1].id <= 70000);
}

Test(idmap, explicit_id_never_moves_a_previous_derived_one)
{
	/* u:new now says uidNumber 1005, which u:old held by derivation:
	 * u:old keeps 1005 (her files carry it) and u:new is left with its
	 * explicit 1005 too, for admission to refuse as a conflict. Before,
	 * u:old was renumbered by whoever wrote u:new. */
	struct idmap_entry e[2] = { { .key = "u:old" }, { .key = "u:new", .fixed = 1005 } };
	struct idmap_prev prev[] = { { "u:old", 1005 } };

	cr_assert_eq(idmap_assign(e, 2, prev, 1, 1000, 1009, err, sizeof(err)), 0);
	cr_assert_eq(e[0].id, 1005);
	cr_assert_eq(e[1].id, 1005);
}

Test(idmap, explicit_gid_never_moves_a_previous_derived_group)
{
	struct idmap_entry e[3] = { { .key = "g:new", .fixed = 1003 }, { .key = "g:old" }, { .key = "u:x" } };
	struct idmap_prev prev[] = { { "g:old", 1003 } };

	cr_assert_eq(idmap_assign(e, 3, prev, 1, 1000, 1009, err, sizeof(err)), 0);
	cr_assert_eq(id_of(e, 3, "g:old"), 1003);
	cr_assert_eq(id_of(e, 3, "g:new"), 1003);
	cr_assert_neq(id_of(e, 3, "u:x"), 1003);
}

Test(idmap, explicit_id_of_nobody_before_is_kept_and_derivation_avoids_it)
{
	/* Neither served before: the explicit id is taken, derivation probes
	 * past it (rule 3), as it always did. */
	struct idmap_entry e[2] = { { .key = "u:a" }, { .key = "u:b", .fixed = 0 } };
	uint32_t home_a = idmap_home("u:a", 1000, 1009);

	e[1].fixed = home_a;
	cr_assert_eq(idmap_assign(e, 2, NULL, 0, 1000, 1009, err, sizeof(err)), 0);
	cr_assert_eq(e[1].id, home_a);
	cr_assert_neq(e[0].id, home_a);
}

Test(idmap, contested_previous_id_goes_to_smaller_key)
{
	struct idmap_entry e[2] = { { .key = "u:zz" }, { .key = "u:aa" } };
	struct idmap_prev prev[] = { { "u:zz", 1002 }, { "u:aa", 1002 } };

	cr_assert_eq(idmap_assign(e, 2, prev, 2, 1000, 1009, err, sizeof(err)), 0);
	cr_assert_eq(e[1].id, 1002);
	cr_assert_neq(e[0].id, 1002);
}

Test(idmap, derived_never_hits_reserved_or_explicit_ids)
{
	/* Range [65533, 65535] minus 65534 minus the explicit 65533 leaves
	 * 65535 only. */
	struct idmap_entry e[2] = { { .key = "g:a", .fixed = 65533 }, { .key = "u:b" } };

	cr_assert_eq(idmap_assign(e, 2, NULL, 0, 65533, 65535, err, sizeof(err)), 0);
	cr_assert_eq(e[1].id, 65535);
}

Test(idmap, full_range_is_an_error)
{
	struct idmap_entry e[3] = { { .key = "a" }, { .key = "b" }, { .key = "c" } };

	cr_assert_eq(idmap_assign(e, 3, NULL, 0, 2000, 2001, err, sizeof(err)), -ENOSPC);
	cr_assert_str_eq(err, "id range 2000-2001 is full (3 entries need derived ids)");
}

Test(idmap, empty_range_and_duplicate_keys_are_errors)
{
	struct idmap_entry e[2] = { { .key = "a" }, { .key = "a" } };

	cr_assert_eq(idmap_assign(e, 1, NULL, 0, 10, 9, err, sizeof(err)), -ERANGE);
	cr_assert_eq(idmap_assign(e, 2, NULL, 0, 10, 99, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "duplicate id key \"a\"");
}

Test(idmap, whole_uint32_range_works)
{
	struct idmap_entry e[2] = { { .key = "a" }, { .key = "b" } };

	cr_assert_eq(idmap_assign(e, 2, NULL, 0, 0, UINT32_MAX, err, sizeof(err)), 0);
	cr_assert_eq(e[0].id, idmap_home("a", 0, UINT32_MAX));
	cr_assert_neq(e[0].id, 0);
}

Test(idmap, hundred_thousand_users_quickly)
{
	enum { N = 100000 };
	struct idmap_entry *e = calloc(N, sizeof(*e));
	char *keys = calloc(N, 24);

	cr_assert(e && keys);
	for (int i = 0; i < N; i++) {
		snprintf(keys + i * 24, 24, "u:%d", i);
		e[i].key = keys + i * 24;
	}
	cr_assert_eq(idmap_assign(e, N, NULL, 0, 200000, 399999, err, sizeof(err)), 0, "%s", err);
	free(e);
	free(keys);
}

Test(idmap, invariant14_quarantined_previous_id_is_never_derived_for_another_key)
{
	/* u:gone held 1000 and is absent now: the caller still lists it (in
	 * quarantine), so nobody else derives 1000, even when it is the only
	 * id left. */
	struct idmap_entry e[1] = { { .key = "u:new" } };
	struct idmap_prev prev[] = { { "u:gone", 1000 } };

	cr_assert_eq(idmap_assign(e, 1, prev, 1, 1000, 1001, err, sizeof(err)), 0);
	cr_assert_eq(e[0].id, 1001);
	cr_assert_eq(idmap_assign(e, 1, prev, 1, 1000, 1000, err, sizeof(err)), -ENOSPC);
}

Test(idmap, invariant14_old_id_of_a_key_that_moved_is_held_too)
{
	/* u:a had 1000 derived, now has an explicit 1005: 1000 stays held. */
	struct idmap_entry e[2] = { { .key = "u:a", .fixed = 1005 }, { .key = "u:b" } };
	struct idmap_prev prev[] = { { "u:a", 1000 } };

	cr_assert_eq(idmap_assign(e, 2, prev, 1, 1000, 1001, err, sizeof(err)), 0);
	cr_assert_eq(e[1].id, 1001);
}

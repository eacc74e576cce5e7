/* SPDX-License-Identifier: MIT */
/* nss_prov/nss_initgroups.c: initgroups_dyn with glibc's growth rules. */
#include <criterion/criterion.h>

#include "fake_directory.h"
#include "nss_prov.h"

static struct fake_provd srv;
static struct fake_dir dir = { .n_users = 10, .n_groups = 10, .page = 4 };

static void stop(void)
{
	fake_provd_stop(&srv);
}

TestSuite(nss_initgroups, .fini = stop, .timeout = 30);

static void serve(enum fake_fault fault)
{
	dir.fault = fault;
	cr_assert_eq(fake_provd_start(&srv, fake_dir_handler, &dir), 0);
}

/* user0 is in group1..4 and group6..9 (g % 5 > 0): 8 groups, after its
 * primary gid 20000 and with group1 sent twice. */
Test(nss_initgroups, appends_groups_skipping_primary_and_duplicates)
{
	long start = 1, size = 1;
	gid_t *groups = malloc(sizeof(gid_t));
	int err = 0;

	groups[0] = 20000; /* glibc puts the primary group first */
	serve(FAULT_NONE);
	cr_assert_eq(prov_nss_initgroups(srv.path, "user0", 20000, &start, &size, &groups, 0,
					 &err),
		     NSS_STATUS_SUCCESS);
	cr_assert_eq(start, 9);
	cr_expect_geq(size, 9);
	cr_expect_eq(groups[0], 20000);
	cr_expect_eq(groups[1], 30001);
	cr_expect_eq(groups[4], 30004);
	cr_expect_eq(groups[5], 30006);
	cr_expect_eq(groups[8], 30009);
	free(groups);
}

Test(nss_initgroups, groups_already_listed_are_not_repeated)
{
	long start = 3, size = 3;
	gid_t *groups = malloc(3 * sizeof(gid_t));
	int err = 0;

	groups[0] = 100;
	groups[1] = 30004; /* from files, say */
	groups[2] = 30009;
	serve(FAULT_NONE);
	cr_assert_eq(prov_nss_initgroups(srv.path, "user0", 100, &start, &size, &groups, 0, &err),
		     NSS_STATUS_SUCCESS);
	/* 20000 (not the primary passed in here) + 8 groups - 2 already there */
	cr_expect_eq(start, 3 + 1 + 6);
	for (long i = 0; i < start; i++)
		for (long j = i + 1; j < start; j++)
			cr_expect_neq(groups[i], groups[j], "%ld and %ld", i, j);
	free(groups);
}

Test(nss_initgroups, limit_is_honoured)
{
	long start = 1, size = 1;
	gid_t *groups = malloc(sizeof(gid_t));
	int err = 0;

	groups[0] = 20000;
	serve(FAULT_NONE);
	cr_assert_eq(prov_nss_initgroups(srv.path, "user0", 20000, &start, &size, &groups, 4, &err),
		     NSS_STATUS_SUCCESS);
	cr_expect_eq(start, 4);
	cr_expect_eq(size, 4);
	cr_expect_eq(groups[3], 30003);
	free(groups);
}

Test(nss_initgroups, zero_sized_array_grows)
{
	long start = 0, size = 0;
	gid_t *groups = NULL;
	int err = 0;

	serve(FAULT_NONE);
	cr_assert_eq(prov_nss_initgroups(srv.path, "user3", 20003, &start, &size, &groups, 0,
					 &err),
		     NSS_STATUS_SUCCESS);
	/* g % 5 > 3: group4, group9 */
	cr_expect_eq(start, 2);
	cr_expect_eq(groups[0], 30004);
	cr_expect_eq(groups[1], 30009);
	free(groups);
}

Test(nss_initgroups, unknown_user_is_notfound)
{
	long start = 0, size = 0;
	gid_t *groups = NULL;
	int err = 0;

	serve(FAULT_NONE);
	cr_expect_eq(prov_nss_initgroups(srv.path, "root", 0, &start, &size, &groups, 0, &err),
		     NSS_STATUS_NOTFOUND);
	cr_expect_eq(err, ENOENT);
	cr_expect_eq(start, 0);
}

static void check_refused_untouched(enum fake_fault fault)
{
	long start = 1, size = 1;
	gid_t *groups = malloc(sizeof(gid_t)), *orig = groups;
	int err = 0;

	groups[0] = 20000;
	serve(fault);
	cr_expect_eq(prov_nss_initgroups(srv.path, "user0", 20000, &start, &size, &groups, 0, &err),
		     NSS_STATUS_UNAVAIL, "fault %d", fault);
	cr_expect_eq(err, ENOENT);
	cr_expect_eq(start, 1);
	cr_expect_eq(size, 1);
	cr_expect_eq(groups, orig);
	free(groups);
}

Test(nss_initgroups, invariant1_gid_0_refuses_the_whole_answer)
{
	check_refused_untouched(FAULT_ID_ZERO);
}

Test(nss_initgroups, invariant9_too_many_gids_refused)
{
	check_refused_untouched(FAULT_TOO_MANY_GIDS);
}

Test(nss_initgroups, invariant9_trailing_bytes_refused)
{
	check_refused_untouched(FAULT_TRAILING_BYTE);
}

Test(nss_initgroups, invariant9_empty_ok_body_refused)
{
	check_refused_untouched(FAULT_EMPTY_OK);
}

Test(nss_initgroups, invariant6_no_daemon_is_unavail)
{
	long start = 0, size = 0;
	gid_t *groups = NULL;
	int err = 0;

	cr_expect_eq(prov_nss_initgroups("/tmp/prov-test-none/socket", "user0", 1, &start, &size,
					 &groups, 0, &err),
		     NSS_STATUS_UNAVAIL);
	cr_expect_eq(err, ENOENT);
	cr_expect_null(groups);
}

/* SPDX-License-Identifier: MIT */
/* nss_prov/nss_group.c: getgrnam/getgrgid through a fake provd. */
#include <criterion/criterion.h>
#include <stdalign.h>

#include "fake_directory.h"
#include "nss_prov.h"

static struct fake_provd srv;
static struct fake_dir dir = { .n_users = 10, .n_groups = 10, .page = 4 };

static void stop(void)
{
	fake_provd_stop(&srv);
}

TestSuite(nss_group, .fini = stop, .timeout = 30);

static void serve(enum fake_fault fault)
{
	dir.fault = fault;
	cr_assert_eq(fake_provd_start(&srv, fake_dir_handler, &dir), 0);
}

Test(nss_group, getgrnam_found_with_members)
{
	alignas(char *) char buf[1024];
	struct group gr;
	int err = 0;

	serve(FAULT_NONE);
	cr_assert_eq(prov_nss_getgrnam(srv.path, "group4", &gr, buf, sizeof(buf), &err),
		     NSS_STATUS_SUCCESS);
	cr_expect_eq(err, 0);
	cr_expect_str_eq(gr.gr_name, "group4");
	cr_expect_str_eq(gr.gr_passwd, "x");
	cr_expect_eq(gr.gr_gid, 30004);
	cr_expect_str_eq(gr.gr_mem[0], "user0");
	cr_expect_str_eq(gr.gr_mem[3], "user3");
	cr_expect_null(gr.gr_mem[4]);
}

Test(nss_group, getgrgid_found)
{
	alignas(char *) char buf[1024];
	struct group gr;
	int err = 0;

	serve(FAULT_NONE);
	cr_assert_eq(prov_nss_getgrgid(srv.path, 30005, &gr, buf, sizeof(buf), &err),
		     NSS_STATUS_SUCCESS);
	cr_expect_str_eq(gr.gr_name, "group5");
	cr_expect_null(gr.gr_mem[0]);
}

Test(nss_group, miss_is_notfound_enoent)
{
	alignas(char *) char buf[1024];
	struct group gr;
	int err = 0;

	serve(FAULT_NONE);
	cr_expect_eq(prov_nss_getgrnam(srv.path, "wheel", &gr, buf, sizeof(buf), &err),
		     NSS_STATUS_NOTFOUND);
	cr_expect_eq(err, ENOENT);
	cr_expect_eq(prov_nss_getgrgid(srv.path, 0, &gr, buf, sizeof(buf), &err),
		     NSS_STATUS_NOTFOUND);
	cr_expect_eq(prov_nss_getgrgid(srv.path, 99, &gr, buf, sizeof(buf), &err),
		     NSS_STATUS_NOTFOUND);
}

Test(nss_group, small_buffer_is_tryagain_erange_at_every_size)
{
	alignas(char *) char buf[1024];
	struct group gr;
	size_t n;
	int err;

	serve(FAULT_NONE);
	/* Walk up from 0: ERANGE until it fits, then success for good. */
	for (n = 0; n < sizeof(buf); n++) {
		err = 0;
		if (prov_nss_getgrnam(srv.path, "group4", &gr, buf, n, &err) == NSS_STATUS_SUCCESS)
			break;
		cr_assert_eq(err, ERANGE, "size %zu", n);
	}
	/* 5 pointers + "group4" "x" "user0".."user3" */
	cr_expect_eq(n, 5 * sizeof(char *) + 7 + 2 + 4 * 6);
	cr_expect_str_eq(gr.gr_mem[3], "user3");
}

static void check_refused(enum fake_fault fault, bool by_gid)
{
	alignas(char *) char buf[1024];
	struct group gr;
	int err = 0;
	enum nss_status st;

	serve(fault);
	st = by_gid ? prov_nss_getgrgid(srv.path, 30004, &gr, buf, sizeof(buf), &err)
		    : prov_nss_getgrnam(srv.path, "group4", &gr, buf, sizeof(buf), &err);
	cr_expect_eq(st, NSS_STATUS_UNAVAIL, "fault %d", fault);
	cr_expect_eq(err, ENOENT);
}

Test(nss_group, invariant9_reply_for_another_group_refused)
{
	check_refused(FAULT_OTHER_RECORD, false);
	fake_provd_stop(&srv);
	check_refused(FAULT_OTHER_RECORD, true);
}

Test(nss_group, invariant9_trailing_bytes_refused)
{
	check_refused(FAULT_TRAILING_BYTE, true);
}

Test(nss_group, invariant1_gid_0_from_daemon_refused)
{
	check_refused(FAULT_ID_ZERO, false);
}

Test(nss_group, invariant2_colon_in_member_refused)
{
	check_refused(FAULT_COLON, false);
}

Test(nss_group, invariant6_no_daemon_is_unavail)
{
	alignas(char *) char buf[256];
	struct group gr;
	int err = 0;

	cr_expect_eq(prov_nss_getgrnam("/tmp/prov-test-none/socket", "ops", &gr, buf, sizeof(buf),
				       &err),
		     NSS_STATUS_UNAVAIL);
	cr_expect_eq(err, ENOENT);
}

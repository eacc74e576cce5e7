/* SPDX-License-Identifier: MIT */
/*
 * nss_prov/nss_passwd.c: getpwnam/getpwuid through a fake provd, with the
 * status and errno glibc expects for every case (DESIGN invariants 6, 9).
 */
#include <criterion/criterion.h>

#include "fake_directory.h"
#include "nss_prov.h"

static struct fake_provd srv;
static struct fake_dir dir = { .n_users = 10, .n_groups = 10, .page = 4 };

static void stop(void)
{
	fake_provd_stop(&srv);
}

TestSuite(nss_passwd, .fini = stop, .timeout = 30);

static void serve(enum fake_fault fault)
{
	dir.fault = fault;
	cr_assert_eq(fake_provd_start(&srv, fake_dir_handler, &dir), 0);
}

Test(nss_passwd, getpwnam_found)
{
	char buf[1024];
	struct passwd pw;
	int err = 0;

	serve(FAULT_NONE);
	cr_assert_eq(prov_nss_getpwnam(srv.path, "user3", &pw, buf, sizeof(buf), &err),
		     NSS_STATUS_SUCCESS);
	cr_expect_eq(err, 0);
	cr_expect_str_eq(pw.pw_name, "user3");
	cr_expect_str_eq(pw.pw_passwd, "*"); /* no password at all: see nss_pack.c */
	cr_expect_eq(pw.pw_uid, 20003);
	cr_expect_eq(pw.pw_gid, 20003);
	cr_expect_str_eq(pw.pw_gecos, "Test User");
	cr_expect_str_eq(pw.pw_dir, "/home/user3");
	cr_expect_str_eq(pw.pw_shell, "/bin/bash");
}

Test(nss_passwd, getpwuid_found)
{
	char buf[1024];
	struct passwd pw;
	int err = 0;

	serve(FAULT_NONE);
	cr_assert_eq(prov_nss_getpwuid(srv.path, 20007, &pw, buf, sizeof(buf), &err),
		     NSS_STATUS_SUCCESS);
	cr_expect_str_eq(pw.pw_name, "user7");
	cr_expect_eq(pw.pw_uid, 20007);
}

Test(nss_passwd, miss_is_notfound_enoent)
{
	char buf[1024];
	struct passwd pw;
	int err = 0;

	serve(FAULT_NONE);
	cr_expect_eq(prov_nss_getpwnam(srv.path, "nobody-here", &pw, buf, sizeof(buf), &err),
		     NSS_STATUS_NOTFOUND);
	cr_expect_eq(err, ENOENT);
	err = 0;
	cr_expect_eq(prov_nss_getpwuid(srv.path, 12345, &pw, buf, sizeof(buf), &err),
		     NSS_STATUS_NOTFOUND);
	cr_expect_eq(err, ENOENT);
}

/* uid 0 and -1 are never prov's: answered at once, even with no daemon. */
Test(nss_passwd, invariant1_uid_0_is_notfound_without_asking)
{
	char buf[1024];
	struct passwd pw;
	int err = 0;

	cr_expect_eq(prov_nss_getpwuid("/nonexistent/socket", 0, &pw, buf, sizeof(buf), &err),
		     NSS_STATUS_NOTFOUND);
	cr_expect_eq(err, ENOENT);
	cr_expect_eq(prov_nss_getpwuid("/nonexistent/socket", (uid_t)-1, &pw, buf, sizeof(buf),
				       &err),
		     NSS_STATUS_NOTFOUND);
}

Test(nss_passwd, small_buffer_is_tryagain_erange_then_bigger_works)
{
	/* "user3\0*\0Test User\0/home/user3\0/bin/bash\0" */
	const size_t need = 6 + 2 + 10 + 12 + 10;
	char buf[64];
	struct passwd pw;
	int err = 0;

	serve(FAULT_NONE);
	memset(buf, 0, sizeof(buf));
	cr_expect_eq(prov_nss_getpwnam(srv.path, "user3", &pw, buf, need - 1, &err),
		     NSS_STATUS_TRYAGAIN);
	cr_expect_eq(err, ERANGE);
	cr_expect_eq(buf[0], 0, "buffer written on ERANGE");
	err = 0;
	cr_expect_eq(prov_nss_getpwnam(srv.path, "user3", &pw, buf, need, &err),
		     NSS_STATUS_SUCCESS);
	cr_expect_str_eq(pw.pw_shell, "/bin/bash");
}

Test(nss_passwd, invariant6_no_daemon_is_unavail_fast)
{
	char buf[1024];
	struct passwd pw;
	int err = 0;
	int64_t t0 = fake_now_ms();

	cr_expect_eq(prov_nss_getpwnam("/tmp/prov-test-none/socket", "user1", &pw, buf,
				       sizeof(buf), &err),
		     NSS_STATUS_UNAVAIL);
	cr_expect_eq(err, ENOENT);
	cr_expect_lt(fake_now_ms() - t0, 50);
}

static void check_refused(enum fake_fault fault, bool by_uid)
{
	char buf[1024];
	struct passwd pw;
	int err = 0;
	enum nss_status st;

	serve(fault);
	st = by_uid ? prov_nss_getpwuid(srv.path, 20003, &pw, buf, sizeof(buf), &err)
		    : prov_nss_getpwnam(srv.path, "user3", &pw, buf, sizeof(buf), &err);
	cr_expect_eq(st, NSS_STATUS_UNAVAIL, "fault %d by_uid %d", fault, by_uid);
	cr_expect_eq(err, ENOENT);
}

Test(nss_passwd, invariant9_reply_for_another_user_refused)
{
	check_refused(FAULT_OTHER_RECORD, false);
}

Test(nss_passwd, invariant9_reply_for_another_uid_refused)
{
	check_refused(FAULT_OTHER_RECORD, true);
}

Test(nss_passwd, invariant9_trailing_bytes_refused)
{
	check_refused(FAULT_TRAILING_BYTE, false);
}

Test(nss_passwd, invariant1_uid_0_from_daemon_refused)
{
	check_refused(FAULT_ID_ZERO, false);
}

Test(nss_passwd, invariant2_colon_from_daemon_refused)
{
	check_refused(FAULT_COLON, true);
}

Test(nss_passwd, invariant9_notfound_with_body_refused)
{
	char buf[1024];
	struct passwd pw;
	int err = 0;

	serve(FAULT_STATUS_WITH_BODY);
	cr_expect_eq(prov_nss_getpwnam(srv.path, "stranger", &pw, buf, sizeof(buf), &err),
		     NSS_STATUS_UNAVAIL);
}

Test(nss_passwd, daemon_error_status_is_unavail)
{
	check_refused(FAULT_INTERNAL, false);
}

Test(nss_passwd, ok_with_empty_body_is_unavail)
{
	check_refused(FAULT_EMPTY_OK, false);
}

Test(nss_passwd, entry_points_exist_with_glibc_signatures)
{
	/* Only their shape here (the socket path is fixed); the integration
	 * tests drive them through real glibc. */
	enum nss_status (*pwnam)(const char *, struct passwd *, char *, size_t, int *) =
		_nss_prov_getpwnam_r;
	enum nss_status (*pwuid)(uid_t, struct passwd *, char *, size_t, int *) =
		_nss_prov_getpwuid_r;
	char buf[64];
	struct passwd pw;
	int err = 0;

	cr_expect_not_null(pwnam);
	/* uid 0 never reaches the socket, so this is safe on any host. */
	cr_expect_eq(pwuid(0, &pw, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND);
}

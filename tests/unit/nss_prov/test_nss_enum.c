/* SPDX-License-Identifier: MIT */
/*
 * nss_prov/nss_enum.c: getpwent/getgrent over pages, the ERANGE retry of
 * the same entry, and daemons that would keep us enumerating forever.
 */
#include <criterion/criterion.h>
#include <stdalign.h>

#include "fake_directory.h"
#include "nss_prov.h"

static struct fake_provd srv;
static struct fake_dir dir = { .n_users = 10, .n_groups = 7, .page = 4 };
static struct prov_enum pw_e, gr_e;

static void stop(void)
{
	prov_enum_reset(&pw_e);
	prov_enum_reset(&gr_e);
	fake_provd_stop(&srv);
}

static void init(void)
{
	prov_enum_init(&pw_e, PROV_OP_PW_ENUM);
	prov_enum_init(&gr_e, PROV_OP_GR_ENUM);
}

TestSuite(nss_enum, .init = init, .fini = stop, .timeout = 30);

static void serve(uint32_t n_users, uint32_t page, enum fake_fault fault)
{
	dir.n_users = n_users;
	dir.page = page;
	dir.fault = fault;
	cr_assert_eq(fake_provd_start(&srv, fake_dir_handler, &dir), 0);
}

/* Enumerates all users; returns how many, checks they come in order. */
static uint32_t walk_users(struct prov_enum *e, enum nss_status *last, int *last_err)
{
	char buf[256];
	struct passwd pw;
	uint32_t n = 0;
	int err = 0;
	enum nss_status st;

	while ((st = prov_enum_getpw(e, srv.path, &pw, buf, sizeof(buf), &err)) ==
	       NSS_STATUS_SUCCESS) {
		char want[32];

		snprintf(want, sizeof(want), "user%u", n);
		cr_assert_str_eq(pw.pw_name, want);
		cr_assert_eq(pw.pw_uid, 20000 + n);
		n++;
		cr_assert_lt(n, 100000, "runaway enumeration");
	}
	*last = st;
	*last_err = err;
	return n;
}

Test(nss_enum, every_user_once_across_pages_then_notfound)
{
	static const uint32_t sizes[][2] = { { 10, 4 }, { 8, 4 }, { 1, 4 }, { 0, 4 },
					     { 1000, PROV_ENUM_PAGE_MAX }, { 5, 1 } };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		enum nss_status st;
		int err;

		serve(sizes[i][0], sizes[i][1], FAULT_NONE);
		prov_enum_reset(&pw_e);
		cr_expect_eq(walk_users(&pw_e, &st, &err), sizes[i][0], "case %zu", i);
		cr_expect_eq(st, NSS_STATUS_NOTFOUND);
		cr_expect_eq(err, ENOENT);
		/* and it stays at the end */
		walk_users(&pw_e, &st, &err);
		cr_expect_eq(st, NSS_STATUS_NOTFOUND);
		fake_provd_stop(&srv);
	}
}

Test(nss_enum, reset_starts_over)
{
	enum nss_status st;
	int err;
	char buf[256];
	struct passwd pw;

	serve(6, 4, FAULT_NONE);
	cr_assert_eq(prov_enum_getpw(&pw_e, srv.path, &pw, buf, sizeof(buf), &err),
		     NSS_STATUS_SUCCESS);
	cr_assert_eq(prov_enum_getpw(&pw_e, srv.path, &pw, buf, sizeof(buf), &err),
		     NSS_STATUS_SUCCESS);
	cr_expect_str_eq(pw.pw_name, "user1");
	prov_enum_reset(&pw_e);
	cr_expect_eq(walk_users(&pw_e, &st, &err), 6);
}

Test(nss_enum, erange_returns_the_same_entry_again)
{
	char buf[256];
	struct passwd pw;
	int err = 0;

	serve(6, 4, FAULT_NONE);
	for (uint32_t i = 0; i < 6; i++) {
		char want[32];

		/* Too small: TRYAGAIN/ERANGE and no progress, twice. */
		cr_assert_eq(prov_enum_getpw(&pw_e, srv.path, &pw, buf, 8, &err),
			     NSS_STATUS_TRYAGAIN);
		cr_assert_eq(err, ERANGE);
		cr_assert_eq(prov_enum_getpw(&pw_e, srv.path, &pw, buf, 8, &err),
			     NSS_STATUS_TRYAGAIN);
		cr_assert_eq(prov_enum_getpw(&pw_e, srv.path, &pw, buf, sizeof(buf), &err),
			     NSS_STATUS_SUCCESS);
		snprintf(want, sizeof(want), "user%u", i);
		cr_assert_str_eq(pw.pw_name, want);
	}
	cr_expect_eq(prov_enum_getpw(&pw_e, srv.path, &pw, buf, sizeof(buf), &err),
		     NSS_STATUS_NOTFOUND);
}

Test(nss_enum, groups_across_pages)
{
	alignas(char *) char buf[512];
	struct group gr;
	uint32_t n = 0;
	int err = 0;

	serve(10, 3, FAULT_NONE);
	while (prov_enum_getgr(&gr_e, srv.path, &gr, buf, sizeof(buf), &err) ==
	       NSS_STATUS_SUCCESS) {
		uint32_t m = 0;

		cr_assert_eq(gr.gr_gid, 30000 + n);
		while (gr.gr_mem[m])
			m++;
		cr_assert_eq(m, n % 5);
		n++;
	}
	cr_expect_eq(n, 7);
	cr_expect_eq(err, ENOENT);
}

Test(nss_enum, invariant6_no_daemon_is_unavail)
{
	char buf[256];
	struct passwd pw;
	int err = 0;

	cr_expect_eq(prov_enum_getpw(&pw_e, "/tmp/prov-test-none/socket", &pw, buf, sizeof(buf),
				     &err),
		     NSS_STATUS_UNAVAIL);
	cr_expect_eq(err, ENOENT);
}

/* The daemon goes away between pages: UNAVAIL, never a crash or a loop. */
Test(nss_enum, daemon_gone_mid_walk_is_unavail)
{
	char buf[256];
	struct passwd pw;
	int err = 0;

	serve(10, 4, FAULT_NONE);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(prov_enum_getpw(&pw_e, srv.path, &pw, buf, sizeof(buf), &err),
			     NSS_STATUS_SUCCESS);
	fake_provd_stop(&srv);
	cr_expect_eq(prov_enum_getpw(&pw_e, "/tmp/prov-test-none/socket", &pw, buf, sizeof(buf),
				     &err),
		     NSS_STATUS_UNAVAIL);
}

static void check_refused(enum fake_fault fault)
{
	enum nss_status st;
	int err;

	serve(10, 4, fault);
	walk_users(&pw_e, &st, &err);
	cr_expect_eq(st, NSS_STATUS_UNAVAIL, "fault %d", fault);
	cr_expect_eq(err, ENOENT);
}

Test(nss_enum, invariant9_cursor_that_does_not_advance_is_refused)
{
	check_refused(FAULT_CURSOR_BACK);
}

Test(nss_enum, invariant9_empty_page_that_is_not_the_end_is_refused)
{
	check_refused(FAULT_EMPTY_NOT_END);
}

Test(nss_enum, invariant9_page_announcing_more_than_it_holds_is_refused)
{
	check_refused(FAULT_PAGE_SHORT);
}

Test(nss_enum, invariant9_page_over_the_limit_is_refused)
{
	check_refused(FAULT_PAGE_OVER_MAX);
}

Test(nss_enum, invariant1_uid_0_in_a_page_is_refused)
{
	check_refused(FAULT_ID_ZERO);
}

static void h_notfound(int fd, const struct prov_header *req, const uint8_t *body, void *arg)
{
	(void)body, (void)arg;
	fake_reply(fd, req->type, PROV_ST_NOT_FOUND, NULL, 0);
}

/* NOT_FOUND is no answer to "give me page N": the daemon is confused. */
Test(nss_enum, invariant9_notfound_for_an_enumeration_is_unavail)
{
	char buf[256];
	struct passwd pw;
	int err = 0;

	cr_assert_eq(fake_provd_start(&srv, h_notfound, NULL), 0);
	cr_expect_eq(prov_enum_getpw(&pw_e, srv.path, &pw, buf, sizeof(buf), &err),
		     NSS_STATUS_UNAVAIL);
	cr_expect_eq(err, ENOENT);
}

Test(nss_enum, daemon_error_status_is_unavail)
{
	check_refused(FAULT_INTERNAL);
}

Test(nss_enum, entry_points_keep_one_state_per_database)
{
	/* setpwent/endpwent on a fresh process state must be harmless even
	 * with no daemon; getpwent_r there is UNAVAIL (no /run/prov here, or
	 * a real provd: either way no crash). */
	cr_expect_eq(_nss_prov_setpwent(0), NSS_STATUS_SUCCESS);
	cr_expect_eq(_nss_prov_endpwent(), NSS_STATUS_SUCCESS);
	cr_expect_eq(_nss_prov_setgrent(1), NSS_STATUS_SUCCESS);
	cr_expect_eq(_nss_prov_endgrent(), NSS_STATUS_SUCCESS);
	cr_expect_eq(_nss_prov_endgrent(), NSS_STATUS_SUCCESS);
}

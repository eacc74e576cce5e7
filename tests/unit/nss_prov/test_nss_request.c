/* SPDX-License-Identifier: MIT */
/*
 * nss_prov/nss_request.c: the request sent, and every way provd can answer
 * (or not) mapped onto the documented NSS status and errno.
 */
#include <criterion/criterion.h>

#include "fake_provd.h"
#include "nss_prov.h"

static struct fake_provd srv;

static void stop(void)
{
	fake_provd_stop(&srv);
	unsetenv(PROV_NSS_BYPASS_ENV);
}

TestSuite(nss_request, .fini = stop, .timeout = 30);

#define NO_DAEMON "/tmp/prov-test-none/socket"

/* Echoes the request body back, so the test can check what was sent. */
static void h_echo(int fd, const struct prov_header *req, const uint8_t *body, void *arg)
{
	(void)arg;
	fake_reply(fd, req->type, PROV_ST_OK, body, req->body_len);
}

static void h_status(int fd, const struct prov_header *req, const uint8_t *body, void *arg)
{
	(void)body;
	fake_reply(fd, req->type, *(uint32_t *)arg, NULL, 0);
}

static void h_hang(int fd, const struct prov_header *req, const uint8_t *body, void *arg)
{
	(void)fd, (void)req, (void)body, (void)arg;
	for (;;)
		pause();
}

Test(nss_request, name_request_is_one_string)
{
	struct prov_reply rep;
	int err = 0;

	cr_assert_eq(fake_provd_start(&srv, h_echo, NULL), 0);
	cr_assert_eq(prov_nss_ask_name(srv.path, PROV_OP_GR_BY_NAME, "ops", &rep, &err),
		     NSS_STATUS_SUCCESS);
	cr_expect_eq(rep.hdr.type, PROV_OP_GR_BY_NAME);
	cr_assert_eq(rep.body_len, 7);
	cr_expect_eq(memcmp(rep.body, "\x03\x00\x00\x00ops", 7), 0);
	prov_reply_free(&rep);
}

Test(nss_request, u32_request_is_one_u32)
{
	struct prov_reply rep;
	uint32_t v;
	int err = 0;

	cr_assert_eq(fake_provd_start(&srv, h_echo, NULL), 0);
	cr_assert_eq(prov_nss_ask_u32(srv.path, PROV_OP_PW_BY_UID, 20001, &rep, &err),
		     NSS_STATUS_SUCCESS);
	cr_assert_eq(rep.body_len, 4);
	memcpy(&v, rep.body, 4);
	cr_expect_eq(v, 20001);
	prov_reply_free(&rep);
}

/* A name no prov entry can have is not worth a round trip: NOTFOUND even
 * with no daemon, while a name at the limit is asked (UNAVAIL here). */
Test(nss_request, names_over_the_limit_are_notfound_without_asking)
{
	char name[PROV_NAME_MAX + 2];
	struct prov_reply rep;
	int err = 0;

	memset(name, 'a', sizeof(name));
	name[PROV_NAME_MAX] = '\0';
	cr_expect_eq(prov_nss_ask_name(NO_DAEMON, PROV_OP_PW_BY_NAME, name, &rep, &err),
		     NSS_STATUS_UNAVAIL);
	name[PROV_NAME_MAX] = 'a';
	name[PROV_NAME_MAX + 1] = '\0';
	cr_expect_eq(prov_nss_ask_name(NO_DAEMON, PROV_OP_PW_BY_NAME, name, &rep, &err),
		     NSS_STATUS_NOTFOUND);
	cr_expect_eq(err, ENOENT);
	cr_expect_eq(prov_nss_ask_name(NO_DAEMON, PROV_OP_PW_BY_NAME, "", &rep, &err),
		     NSS_STATUS_NOTFOUND);
	cr_expect_eq(prov_nss_ask_name(NO_DAEMON, PROV_OP_PW_BY_NAME, NULL, &rep, &err),
		     NSS_STATUS_NOTFOUND);
}

Test(nss_request, status_mapping)
{
	static const struct {
		uint32_t st;
		enum nss_status want;
	} cases[] = {
		{ PROV_ST_NOT_FOUND, NSS_STATUS_NOTFOUND },
		{ PROV_ST_BAD_REQUEST, NSS_STATUS_UNAVAIL },
		{ PROV_ST_DENIED, NSS_STATUS_UNAVAIL },
		{ PROV_ST_UNSUPPORTED, NSS_STATUS_UNAVAIL },
		{ PROV_ST_INTERNAL, NSS_STATUS_UNAVAIL },
		{ PROV_ST_UNAVAILABLE, NSS_STATUS_UNAVAIL },
		{ 99, NSS_STATUS_UNAVAIL },
	};
	static uint32_t status;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prov_reply rep;
		int err = 0;

		status = cases[i].st;
		cr_assert_eq(fake_provd_start(&srv, h_status, &status), 0);
		cr_expect_eq(prov_nss_ask_u32(srv.path, PROV_OP_PW_BY_UID, 1, &rep, &err),
			     cases[i].want, "status %u", status);
		cr_expect_eq(err, ENOENT, "status %u", status);
		fake_provd_stop(&srv);
	}
}

Test(nss_request, invariant6_no_daemon_is_unavail_enoent_at_once)
{
	struct prov_reply rep;
	int err = 0;
	int64_t t0 = fake_now_ms();

	cr_expect_eq(prov_nss_ask_u32(NO_DAEMON, PROV_OP_PW_BY_UID, 1, &rep, &err),
		     NSS_STATUS_UNAVAIL);
	cr_expect_eq(err, ENOENT);
	cr_expect_lt(fake_now_ms() - t0, 50);
}

Test(nss_request, invariant6_hung_daemon_is_unavail_within_the_documented_bound)
{
	struct prov_reply rep;
	int err = 0;
	int64_t t0, dt;

	cr_assert_eq(fake_provd_start(&srv, h_hang, NULL), 0);
	t0 = fake_now_ms();
	cr_expect_eq(prov_nss_ask_name(srv.path, PROV_OP_PW_BY_NAME, "alice", &rep, &err),
		     NSS_STATUS_UNAVAIL);
	dt = fake_now_ms() - t0;
	cr_expect_eq(err, ENOENT);
	cr_expect_geq(dt, PROV_CLIENT_TIMEOUT_MS - 1);
	cr_expect_lt(dt, PROV_CLIENT_TIMEOUT_MS + 150);
}

Test(nss_request, invariant9_bypass_env_is_unavail_without_asking)
{
	struct prov_reply rep;
	int err = 0;

	cr_assert_eq(fake_provd_start(&srv, h_echo, NULL), 0);
	setenv(PROV_NSS_BYPASS_ENV, "1", 1);
	cr_expect_eq(prov_nss_ask_name(srv.path, PROV_OP_PW_BY_NAME, "alice", &rep, &err),
		     NSS_STATUS_UNAVAIL);
	cr_expect_eq(prov_nss_ask_u32(srv.path, PROV_OP_PW_BY_UID, 20001, &rep, &err),
		     NSS_STATUS_UNAVAIL);
	unsetenv(PROV_NSS_BYPASS_ENV);
	cr_expect_eq(prov_nss_ask_u32(srv.path, PROV_OP_PW_BY_UID, 20001, &rep, &err),
		     NSS_STATUS_SUCCESS);
	prov_reply_free(&rep);
}

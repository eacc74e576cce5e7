/* SPDX-License-Identifier: MIT */
/*
 * pam_prov.so as built, driven through real libpam: a pam handle from
 * pam_start_confdir() with a service file in a temp dir, the module's
 * pam_sm_* entry points called on it for their exact return codes, and a
 * whole stack through pam_acct_mgmt(). provd is a fake (fake_provd.h) that
 * answers per user name. Covers the PAM return-code mapping, fail-closed
 * when provd is down or hung (DESIGN invariant 6), local users untouched,
 * and the one-line reason the user sees.
 *
 * libpam is dlopen'ed (the unit tests link only prov's own libraries).
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <security/pam_appl.h>
#include <security/pam_modules.h>

#include "fake_provd.h"

#define MODULE BUILD_DIR "/pam_prov/pam_prov.so"

typedef int (*sm_fn)(pam_handle_t *, int, int, const char **);

static struct {
	void *libpam, *module;
	int (*start_confdir)(const char *, const char *, const struct pam_conv *, const char *, pam_handle_t **);
	int (*end)(pam_handle_t *, int);
	int (*set_item)(pam_handle_t *, int, const void *);
	int (*acct_mgmt)(pam_handle_t *, int);
	sm_fn sm_acct, sm_open, sm_close;
} P;

static struct fake_provd F;
static char T[64];          /* temp dir: pam.d/, the request log */
static char LOG[128];       /* where the fake provd writes each request */
static char MSG[1024];      /* what the conversation showed the user */
static int N_MSG;

static void *sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	cr_assert_not_null(p, "%s: %s", name, dlerror());
	return p;
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < n; i++) {
		snprintf(MSG + strlen(MSG), sizeof(MSG) - strlen(MSG), "%d:%s\n", msg[i]->msg_style, msg[i]->msg);
		N_MSG++;
	}
	*resp = calloc((size_t)n, sizeof(**resp));
	return *resp ? PAM_SUCCESS : PAM_BUF_ERR;
}

/* ---- the fake provd, answering by user name ---- */

static void log_request(const struct prov_header *h, const char *user, const char *service, const char *rhost,
			const char *tty)
{
	FILE *f = fopen(LOG, "a");

	if (!f)
		return;
	fprintf(f, "%u %s %s %s %s\n", h->type, user, service, rhost, tty);
	fclose(f);
}

static void reply_decision(int fd, const struct prov_header *h, uint32_t d, const char *reason)
{
	uint8_t buf[1024];
	struct prov_writer w;

	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	prov_put_u32(&w, d);
	prov_put_str(&w, reason, PROV_REASON_MAX);
	fake_reply_writer(fd, h, PROV_ST_OK, &w);
}

static void handler(int fd, const struct prov_header *h, const uint8_t *body, void *arg)
{
	char user[64] = "", service[80] = "", rhost[300] = "", tty[80] = "";
	struct prov_reader r;
	struct prov_str s[4];
	int i;

	(void)arg;
	prov_reader_init(&r, body, h->body_len);
	for (i = 0; i < 4; i++)
		s[i] = prov_get_str(&r, 1000);
	if (prov_reader_end(&r) < 0) {
		fake_reply(fd, h->type, PROV_ST_BAD_REQUEST, NULL, 0);
		return;
	}
	prov_str_copy(&s[0], user, sizeof(user));
	prov_str_copy(&s[1], service, sizeof(service));
	prov_str_copy(&s[2], rhost, sizeof(rhost));
	prov_str_copy(&s[3], tty, sizeof(tty));
	log_request(h, user, service, rhost, tty);

	if (strcmp(user, "hang") == 0) {
		sleep(5);
		return;
	}
	if (strcmp(user, "nodir") == 0) {
		fake_reply(fd, h->type, PROV_ST_UNAVAILABLE, NULL, 0);
		return;
	}
	if (strcmp(user, "garbled") == 0) {
		uint32_t d = PROV_DECIDE_ALLOW; /* decision without its reason */

		fake_reply(fd, h->type, PROV_ST_OK, &d, sizeof(d));
		return;
	}
	if (h->type == PROV_OP_SESSION_CLOSE) {
		fake_reply(fd, h->type, strcmp(user, "unk") == 0 ? PROV_ST_NOT_FOUND : PROV_ST_OK, NULL, 0);
		return;
	}
	if (h->type == PROV_OP_SESSION_OPEN && strcmp(user, "homefail") == 0) {
		fake_reply(fd, h->type, PROV_ST_INTERNAL, NULL, 0);
		return;
	}
	if (strcmp(user, "alice") == 0 || strcmp(user, "homefail") == 0)
		reply_decision(fd, h, PROV_DECIDE_ALLOW, "login granted by ops-admin");
	else if (strcmp(user, "carol") == 0)
		reply_decision(fd, h, PROV_DECIDE_EXPIRED, "account deactivated in the directory");
	else if (strcmp(user, "dave") == 0)
		reply_decision(fd, h, PROV_DECIDE_EXPIRED, "grant dave-contract expired 2026-01-31T00:00:00Z");
	else if (strcmp(user, "frank") == 0)
		reply_decision(fd, h, PROV_DECIDE_NO_GRANT, "no login grant for frank on host web-1");
	else if (strcmp(user, "stan") == 0)
		reply_decision(fd, h, PROV_DECIDE_STALE, "directory not refreshed for 8d (offline_grace 7d)");
	else if (strcmp(user, "evil") == 0)
		reply_decision(fd, h, PROV_DECIDE_NO_GRANT, "no\x1b[2J grant");
	else if (strcmp(user, "future") == 0)
		reply_decision(fd, h, 99, "a decision from a newer provd");
	else
		reply_decision(fd, h, PROV_DECIDE_UNKNOWN, "not a prov user");
}

/* ---- set-up ---- */

static void write_service(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/pam.d/%s", T, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	char path[256], svc[1024];

	P.libpam = dlopen("libpam.so.0", RTLD_NOW | RTLD_GLOBAL);
	cr_assert_not_null(P.libpam, "%s", dlerror());
	P.start_confdir = sym(P.libpam, "pam_start_confdir");
	P.end = sym(P.libpam, "pam_end");
	P.set_item = sym(P.libpam, "pam_set_item");
	P.acct_mgmt = sym(P.libpam, "pam_acct_mgmt");
	P.module = dlopen(MODULE, RTLD_NOW | RTLD_LOCAL);
	cr_assert_not_null(P.module, "%s (build the pam_prov target first)", dlerror());
	P.sm_acct = (sm_fn)sym(P.module, "pam_sm_acct_mgmt");
	P.sm_open = (sm_fn)sym(P.module, "pam_sm_open_session");
	P.sm_close = (sm_fn)sym(P.module, "pam_sm_close_session");

	snprintf(T, sizeof(T), "/tmp/prov-pam.XXXXXX");
	cr_assert_not_null(mkdtemp(T));
	snprintf(path, sizeof(path), "%s/pam.d", T);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(LOG, sizeof(LOG), "%s/requests", T);
	cr_assert_eq(fake_provd_start(&F, handler, NULL), 0);
	/* a stack as pam-auth-update would write it: prov decides for its
	 * users, local ones pass through to the next module */
	snprintf(svc, sizeof(svc),
		 "account [success=ok user_unknown=ignore default=bad] %s socket=%s timeout=300\n"
		 "account required pam_permit.so\n"
		 "session [success=ok ignore=ignore default=bad] %s socket=%s\n"
		 "session required pam_permit.so\n",
		 MODULE, F.path, MODULE, F.path);
	write_service("provtest", svc);
	MSG[0] = '\0';
	N_MSG = 0;
}

static void teardown(void)
{
	char cmd[128];

	fake_provd_stop(&F);
	if (T[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup of %s failed\n", T);
	}
}

TestSuite(pam_module, .init = setup, .fini = teardown, .timeout = 30);

static pam_handle_t *handle(const char *user)
{
	struct pam_conv c = { conv, NULL };
	char confdir[128];
	pam_handle_t *h = NULL;

	snprintf(confdir, sizeof(confdir), "%s/pam.d", T);
	cr_assert_eq(P.start_confdir("provtest", user, &c, confdir, &h), PAM_SUCCESS);
	cr_assert_eq(P.set_item(h, PAM_RHOST, "192.0.2.1"), PAM_SUCCESS);
	cr_assert_eq(P.set_item(h, PAM_TTY, "ssh"), PAM_SUCCESS);
	return h;
}

/* Calls one entry point the way libpam would, with the given options. */
static int call(sm_fn fn, const char *user, int flags, const char *extra)
{
	char sock[160], timeout[32];
	const char *argv[3] = { sock, timeout, extra };
	pam_handle_t *h = handle(user);
	int r;

	snprintf(sock, sizeof(sock), "socket=%s", F.path);
	snprintf(timeout, sizeof(timeout), "timeout=300");
	r = fn(h, flags, extra ? 3 : 2, argv);
	P.end(h, r);
	return r;
}

static int requests_logged(void)
{
	FILE *f = fopen(LOG, "r");
	int n = 0, c;

	if (!f)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

Test(pam_module, account_allow)
{
	cr_assert_eq(call(P.sm_acct, "alice", 0, NULL), PAM_SUCCESS);
	cr_assert_eq(N_MSG, 0);
}

Test(pam_module, account_forwards_service_rhost_tty)
{
	char line[256] = "";
	FILE *f;

	cr_assert_eq(call(P.sm_acct, "alice", 0, NULL), PAM_SUCCESS);
	f = fopen(LOG, "r");
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f));
	fclose(f);
	cr_assert_str_eq(line, "16 alice provtest 192.0.2.1 ssh\n");
}

Test(pam_module, account_unknown_is_user_unknown)
{
	cr_assert_eq(call(P.sm_acct, "ldapuser", 0, NULL), PAM_USER_UNKNOWN);
	cr_assert_eq(N_MSG, 0);
}

Test(pam_module, invariant3_account_deactivated_is_expired)
{
	cr_assert_eq(call(P.sm_acct, "carol", 0, NULL), PAM_ACCT_EXPIRED);
	cr_assert_str_eq(MSG, "3:Access denied: account deactivated in the directory.\n");
}

Test(pam_module, invariant3_account_grant_expired_is_expired)
{
	cr_assert_eq(call(P.sm_acct, "dave", 0, NULL), PAM_ACCT_EXPIRED);
	cr_assert_str_eq(MSG, "3:Access denied: grant dave-contract expired 2026-01-31T00:00:00Z.\n");
}

Test(pam_module, account_no_grant_is_perm_denied)
{
	cr_assert_eq(call(P.sm_acct, "frank", 0, NULL), PAM_PERM_DENIED);
	cr_assert_str_eq(MSG, "3:Access denied: no login grant for frank on host web-1.\n");
}

Test(pam_module, invariant5_account_stale_is_perm_denied)
{
	cr_assert_eq(call(P.sm_acct, "stan", 0, NULL), PAM_PERM_DENIED);
	cr_assert_str_eq(MSG, "3:Access denied: directory not refreshed for 8d (offline_grace 7d).\n");
}

Test(pam_module, silent_flag_keeps_quiet)
{
	cr_assert_eq(call(P.sm_acct, "frank", PAM_SILENT, NULL), PAM_PERM_DENIED);
	cr_assert_eq(N_MSG, 0);
}

Test(pam_module, reason_with_escape_sequence_is_defused)
{
	cr_assert_eq(call(P.sm_acct, "evil", 0, NULL), PAM_PERM_DENIED);
	cr_assert_str_eq(MSG, "3:Access denied: no?[2J grant.\n");
}

Test(pam_module, unknown_decision_fails_closed)
{
	cr_assert_eq(call(P.sm_acct, "future", 0, NULL), PAM_PERM_DENIED);
}

Test(pam_module, malformed_reply_fails_closed)
{
	cr_assert_eq(call(P.sm_acct, "garbled", 0, NULL), PAM_PERM_DENIED);
	cr_assert_str_eq(MSG, "3:Access denied: the access service is not available (gave no usable answer).\n");
}

Test(pam_module, no_directory_fails_closed)
{
	cr_assert_eq(call(P.sm_acct, "nodir", 0, NULL), PAM_PERM_DENIED);
	cr_assert_str_eq(MSG, "3:Access denied: the access service is not available (has no directory loaded).\n");
}

Test(pam_module, invariant6_local_user_never_asks_provd)
{
	cr_assert_eq(call(P.sm_acct, "root", 0, NULL), PAM_USER_UNKNOWN);
	cr_assert_eq(call(P.sm_open, "root", 0, NULL), PAM_IGNORE);
	cr_assert_eq(call(P.sm_close, "root", 0, NULL), PAM_IGNORE);
	cr_assert_eq(requests_logged(), 0);
	cr_assert_eq(N_MSG, 0);
}

Test(pam_module, names_prov_cannot_serve_never_ask_provd)
{
	cr_assert_eq(call(P.sm_acct, "bad:name", 0, NULL), PAM_USER_UNKNOWN);
	cr_assert_eq(call(P.sm_acct, "0day", 0, NULL), PAM_USER_UNKNOWN);
	cr_assert_eq(call(P.sm_acct, "a-name-that-is-far-too-long-for-prov-x", 0, NULL), PAM_USER_UNKNOWN);
	cr_assert_eq(call(P.sm_open, "new\nline", 0, NULL), PAM_IGNORE);
	cr_assert_eq(requests_logged(), 0);
}

Test(pam_module, invariant6_provd_down_prov_user_denied_fast)
{
	int64_t t0;

	fake_provd_stop(&F);
	t0 = fake_now_ms();
	cr_assert_eq(call(P.sm_acct, "alice", 0, NULL), PAM_PERM_DENIED);
	cr_assert_lt(fake_now_ms() - t0, 500); /* no daemon: fails at connect() */
	cr_assert_str_eq(MSG, "3:Access denied: the access service is not available (is not running).\n");
	cr_assert_eq(call(P.sm_open, "alice", PAM_SILENT, NULL), PAM_SESSION_ERR);
	cr_assert_eq(call(P.sm_close, "alice", 0, NULL), PAM_IGNORE);
}

Test(pam_module, invariant6_provd_down_local_user_fine)
{
	fake_provd_stop(&F);
	cr_assert_eq(call(P.sm_acct, "root", 0, NULL), PAM_USER_UNKNOWN);
	cr_assert_eq(N_MSG, 0);
}

Test(pam_module, invariant6_provd_hung_denied_within_timeout)
{
	int64_t t0 = fake_now_ms();

	cr_assert_eq(call(P.sm_acct, "hang", 0, NULL), PAM_PERM_DENIED);
	cr_assert_lt(fake_now_ms() - t0, 1500); /* timeout=300, with slack for a loaded CI */
	cr_assert_geq(fake_now_ms() - t0, 250);
	cr_assert_str_eq(MSG, "3:Access denied: the access service is not available (did not answer in time).\n");
}

Test(pam_module, session_open_allow)
{
	cr_assert_eq(call(P.sm_open, "alice", 0, NULL), PAM_SUCCESS);
	cr_assert_eq(N_MSG, 0);
}

Test(pam_module, session_open_not_ours_is_ignored)
{
	cr_assert_eq(call(P.sm_open, "ldapuser", 0, NULL), PAM_IGNORE);
}

Test(pam_module, session_open_denied)
{
	cr_assert_eq(call(P.sm_open, "carol", 0, NULL), PAM_PERM_DENIED);
	cr_assert_str_eq(MSG, "3:Access denied: account deactivated in the directory.\n");
}

Test(pam_module, invariant8_session_open_home_failure_is_session_err)
{
	cr_assert_eq(call(P.sm_open, "homefail", 0, NULL), PAM_SESSION_ERR);
	cr_assert_str_eq(MSG, "3:Cannot open your session: the access service could not prepare it (see its log).\n");
}

Test(pam_module, session_close_audited)
{
	cr_assert_eq(call(P.sm_close, "alice", 0, NULL), PAM_SUCCESS);
	cr_assert_eq(call(P.sm_close, "unk", 0, NULL), PAM_IGNORE);
	cr_assert_eq(requests_logged(), 2);
}

Test(pam_module, bad_options_do_not_break_the_module)
{
	cr_assert_eq(call(P.sm_acct, "alice", 0, "no_such_option"), PAM_SUCCESS);
	cr_assert_eq(call(P.sm_acct, "frank", 0, "timeout=bogus"), PAM_PERM_DENIED);
}

/* The whole stack through libpam, as sshd would run it. */
static int stack_acct(const char *user)
{
	pam_handle_t *h = handle(user);
	int r = P.acct_mgmt(h, 0);

	P.end(h, r);
	return r;
}

Test(pam_module, stack_local_user_passes_through)
{
	cr_assert_eq(stack_acct("root"), PAM_SUCCESS);
}

Test(pam_module, stack_prov_users)
{
	cr_assert_eq(stack_acct("alice"), PAM_SUCCESS);
	cr_assert_eq(stack_acct("carol"), PAM_ACCT_EXPIRED);
	cr_assert_eq(stack_acct("frank"), PAM_PERM_DENIED);
	cr_assert_eq(stack_acct("ldapuser"), PAM_SUCCESS); /* not ours: the next module decides */
}

Test(pam_module, stack_provd_down)
{
	fake_provd_stop(&F);
	cr_assert_eq(stack_acct("root"), PAM_SUCCESS);
	cr_assert_eq(stack_acct("alice"), PAM_PERM_DENIED);
}

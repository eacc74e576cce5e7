/* SPDX-License-Identifier: MIT */
/*
 * The login path's dispatch handlers (provd/access/login_handlers.c), driven the
 * way dispatch_request() drives them: a request frame body in, status and
 * reply body out. Who may ask what (DESIGN invariant 7), the JIT home on
 * SESSION_OPEN (invariant 8), keys only while allowed (invariant 3), and
 * hostile request bodies.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "loop/dispatch.h"
#include "base/log.h"
#include "access/login_handlers.h"
#include "store/state.h"

/* The keys helper's uid in the test's passwd file. */
#define KEYS_UID 998

static struct prov_state ST;
static struct directory *D;
static char T[64];
static uint8_t *REPLY_BUF;

static void strv(struct dir_strv *sv, const char *a, const char *b)
{
	if (a)
		cr_assert_eq(dir_strv_push(sv, a), 0);
	if (b)
		cr_assert_eq(dir_strv_push(sv, b), 0);
}

static struct dir_user *user(const char *name, uint32_t uid, bool active)
{
	struct dir_user *u = directory_add_user(D);
	char home[128];

	snprintf(home, sizeof(home), "%s/home/%s", T, name);
	u->id = strdup(name);
	u->name = strdup(name);
	u->uid = uid;
	u->gid = uid;
	u->gecos = strdup("");
	u->home = strdup(home);
	u->shell = strdup("/bin/sh");
	u->active = active;
	return u;
}

/* Writes T/name with text; returns its path (static buffer). */
static const char *write_passwd(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", T, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void setup(void)
{
	struct dir_binding *b;
	struct dir_group *g;
	struct dir_user *u;
	char base[128];

	log_init(LOG_TARGET_STDERR, LOG_WARNING);
	snprintf(T, sizeof(T), "/tmp/prov-login.XXXXXX");
	cr_assert_not_null(mkdtemp(T));
	cr_assert_eq(chmod(T, 0755), 0);
	snprintf(base, sizeof(base), "%s/home", T);
	cr_assert_eq(mkdir(base, 0755), 0);

	memset(&ST, 0, sizeof(ST));
	cr_assert_eq(config_defaults(&ST.cfg), 0);
	free(ST.cfg.passwd_file);
	ST.cfg.passwd_file = strdup(write_passwd("passwd",
		"root:x:0:0:root:/root:/bin/bash\n"
		"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
		"_prov-keys:x:998:998:prov SSH keys helper:/nonexistent:/usr/sbin/nologin\n"));
	free(ST.cfg.host_name);
	ST.cfg.host_name = strdup("web-1");
	free(ST.cfg.home_base);
	ST.cfg.home_base = strdup(base);

	D = directory_new();
	u = user("alice", 20001, true);
	strv(&u->ssh_keys, "ssh-ed25519 AAAAC3alice alice@laptop", "ssh-ed25519 AAAA\ncommand=\"sh\" ssh-rsa X");
	strv(&u->ssh_keys, "ssh-rsa AAAAB3alice alice@desk", NULL);
	u = user("carol", 20003, false);
	strv(&u->ssh_keys, "ssh-ed25519 AAAAC3carol carol@x", NULL);
	u = user("frank", 20006, true);
	strv(&u->ssh_keys, "ssh-ed25519 AAAAC3frank frank@x", NULL);
	g = directory_add_group(D);
	g->id = strdup("ops");
	g->name = strdup("ops");
	g->gid = 30001;
	strv(&g->members, "alice", "carol");
	b = directory_add_binding(D);
	b->name = strdup("ops-admin");
	strv(&b->groups, "ops", NULL);
	strv(&b->hosts, "web-*", NULL);
	b->grants = DIR_GRANT_LOGIN | DIR_GRANT_SUDO;
	cr_assert_eq(directory_index(D), 0);
	ST.dir = D;
	REPLY_BUF = malloc(DISPATCH_REPLY_CAP);
	cr_assert_not_null(REPLY_BUF);
}

static void teardown(void)
{
	char cmd[128];

	ST.dir = NULL;
	directory_free(D);
	config_free(&ST.cfg);
	free(REPLY_BUF);
	if (T[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T);
		if (system(cmd) != 0)
			fprintf(stderr, "cleanup of %s failed\n", T);
	}
}

TestSuite(login, .init = setup, .fini = teardown);

struct result {
	int status;
	struct prov_reader body; /* the reply body (valid until the next call) */
};

static const struct dispatch_entry *entry(uint16_t op)
{
	size_t i;

	for (i = 0; i < login_dispatch_table.n; i++)
		if (login_dispatch_table.entries[i].opcode == op)
			return &login_dispatch_table.entries[i];
	return NULL;
}

/* Runs the handler for op as dispatch_request() would. */
static struct result call_raw(uint16_t op, uid_t peer_uid, const uint8_t *body, size_t len)
{
	struct dispatch_peer peer = { .uid = peer_uid, .gid = peer_uid, .pid = 1, .private_socket = true };
	struct dispatch_ctx ctx = { .state = &ST, .peer = &peer, .now = (int64_t)time(NULL) };
	const struct dispatch_entry *e = entry(op);
	struct prov_writer w;
	struct prov_reader req;
	struct result r;

	cr_assert_not_null(e, "no handler for opcode %u", op);
	prov_writer_init(&w, REPLY_BUF, DISPATCH_REPLY_CAP);
	prov_writer_begin(&w);
	prov_reader_init(&req, body, len);
	r.status = e->fn(&ctx, &req, &w);
	if (r.status == PROV_ST_OK)
		cr_assert_eq(prov_reader_end(&req), 0, "handler left request bytes unread");
	cr_assert_eq(w.err, 0);
	cr_assert_leq(w.len - PROV_HEADER_SIZE, PROV_MAX_BODY);
	prov_reader_init(&r.body, REPLY_BUF + PROV_HEADER_SIZE, w.len - PROV_HEADER_SIZE);
	return r;
}

static uint8_t REQ[4096];

static size_t build4(const char *user, const char *service, const char *rhost, const char *tty)
{
	struct prov_writer w;

	prov_writer_init(&w, REQ, sizeof(REQ));
	prov_put_str(&w, user, 1000);
	prov_put_str(&w, service, 1000);
	prov_put_str(&w, rhost, 1000);
	prov_put_str(&w, tty, 1000);
	cr_assert_eq(w.err, 0);
	return w.len;
}

static struct result call4(uint16_t op, uid_t peer, const char *user)
{
	size_t len = build4(user, "sshd", "192.0.2.7", "ssh");

	return call_raw(op, peer, REQ, len);
}

static struct result call_name(uint16_t op, uid_t peer, const char *user)
{
	struct prov_writer w;

	prov_writer_init(&w, REQ, sizeof(REQ));
	prov_put_str(&w, user, 1000);
	return call_raw(op, peer, REQ, w.len);
}

static void assert_decision(struct result *r, enum prov_decision want, const char *reason)
{
	uint32_t d;
	struct prov_str s;

	cr_assert_eq(r->status, PROV_ST_OK);
	d = prov_get_u32(&r->body);
	s = prov_get_str(&r->body, PROV_REASON_MAX);
	cr_assert_eq(prov_reader_end(&r->body), 0);
	cr_assert_eq(d, (uint32_t)want, "decision %u, want %u", d, want);
	if (reason)
		cr_assert(prov_str_eq(&s, reason), "reason \"%.*s\"", (int)s.len, s.ptr);
}

Test(login, table_marks_privileged_requests_root_only)
{
	cr_assert_eq(login_dispatch_table.n, 4);
	cr_assert_eq(entry(PROV_OP_ACCESS_CHECK)->who, DISPATCH_ANY);
	cr_assert_eq(entry(PROV_OP_SSH_KEYS)->who, DISPATCH_ANY);
	cr_assert_eq(entry(PROV_OP_SESSION_OPEN)->who, DISPATCH_ROOT);
	cr_assert_eq(entry(PROV_OP_SESSION_CLOSE)->who, DISPATCH_ROOT);
}

Test(login, access_check_allow)
{
	struct result r = call4(PROV_OP_ACCESS_CHECK, 0, "alice");

	assert_decision(&r, PROV_DECIDE_ALLOW, "login granted by ops-admin");
}

Test(login, access_check_unknown)
{
	struct result r = call4(PROV_OP_ACCESS_CHECK, 0, "root");

	assert_decision(&r, PROV_DECIDE_UNKNOWN, "root is not a prov user");
}

Test(login, invariant3_access_check_inactive_expired)
{
	struct result r = call4(PROV_OP_ACCESS_CHECK, 0, "carol");

	assert_decision(&r, PROV_DECIDE_EXPIRED, "account deactivated in the directory");
}

Test(login, access_check_no_grant)
{
	struct result r = call4(PROV_OP_ACCESS_CHECK, 0, "frank");

	assert_decision(&r, PROV_DECIDE_NO_GRANT, "no login grant for frank on host web-1");
}

Test(login, access_check_follows_host_config)
{
	free(ST.cfg.host_name);
	ST.cfg.host_name = strdup("db-1");
	struct result r = call4(PROV_OP_ACCESS_CHECK, 0, "alice");

	assert_decision(&r, PROV_DECIDE_NO_GRANT, "no login grant for alice on host db-1");
	cr_assert_eq(dir_strv_push(&ST.cfg.login_groups, "ops"), 0);
	r = call4(PROV_OP_ACCESS_CHECK, 0, "alice");
	assert_decision(&r, PROV_DECIDE_ALLOW, "login granted by provd.conf login_groups");
}

Test(login, invariant7_unprivileged_peer_only_about_itself)
{
	struct result r = call4(PROV_OP_ACCESS_CHECK, 20006, "alice");

	cr_assert_eq(r.status, PROV_ST_DENIED);
	cr_assert_eq(r.body.len, 0);
	r = call4(PROV_OP_ACCESS_CHECK, 20006, "nosuchuser");
	cr_assert_eq(r.status, PROV_ST_DENIED);
	r = call4(PROV_OP_ACCESS_CHECK, 20001, "alice");
	assert_decision(&r, PROV_DECIDE_ALLOW, NULL);
	r = call4(PROV_OP_ACCESS_CHECK, 20006, "frank");
	assert_decision(&r, PROV_DECIDE_NO_GRANT, NULL);
}

/* Issue 10: no source configured, so nobody is a prov user: PAM's
 * user_unknown, and the stack goes on as for any other user. */
Test(login, unconfigured_users_are_unknown)
{
	ST.dir = NULL;
	cr_assert_eq(ST.cfg.urls.n, 0);
	struct result r = call4(PROV_OP_ACCESS_CHECK, 0, "alice");

	assert_decision(&r, PROV_DECIDE_UNKNOWN, NULL);
	r = call4(PROV_OP_SESSION_OPEN, 0, "alice");
	assert_decision(&r, PROV_DECIDE_UNKNOWN, NULL);
	cr_assert_eq(call4(PROV_OP_SESSION_CLOSE, 0, "alice").status, PROV_ST_NOT_FOUND);
	cr_assert_eq(call_name(PROV_OP_SSH_KEYS, 0, "alice").status, PROV_ST_NOT_FOUND);
}

Test(login, no_directory_is_unavailable)
{
	ST.dir = NULL;
	cr_assert_eq(dir_strv_push(&ST.cfg.urls, "https://dir.example.com/d.json"), 0);
	cr_assert_eq(call4(PROV_OP_ACCESS_CHECK, 0, "alice").status, PROV_ST_UNAVAILABLE);
	cr_assert_eq(call4(PROV_OP_SESSION_OPEN, 0, "alice").status, PROV_ST_UNAVAILABLE);
	cr_assert_eq(call4(PROV_OP_SESSION_CLOSE, 0, "alice").status, PROV_ST_UNAVAILABLE);
	cr_assert_eq(call_name(PROV_OP_SSH_KEYS, 0, "alice").status, PROV_ST_UNAVAILABLE);
}

Test(login, hostile_request_bodies_are_bad_requests)
{
	static const uint16_t ops[] = { PROV_OP_ACCESS_CHECK, PROV_OP_SESSION_OPEN, PROV_OP_SESSION_CLOSE };
	char longname[PROV_NAME_MAX + 2];
	size_t i, len;

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		len = build4("alice", "sshd", "h", "t");
		cr_assert_eq(call_raw(ops[i], 0, REQ, len - 1).status, PROV_ST_BAD_REQUEST); /* truncated */
		REQ[len] = 0;
		cr_assert_eq(call_raw(ops[i], 0, REQ, len + 1).status, PROV_ST_BAD_REQUEST); /* trailing */
		cr_assert_eq(call_raw(ops[i], 0, REQ, 0).status, PROV_ST_BAD_REQUEST);      /* empty */
		len = build4("", "sshd", "h", "t");
		cr_assert_eq(call_raw(ops[i], 0, REQ, len).status, PROV_ST_BAD_REQUEST);    /* no user */
		len = build4(longname, "sshd", "h", "t");
		cr_assert_eq(call_raw(ops[i], 0, REQ, len).status, PROV_ST_BAD_REQUEST);    /* too long */
		len = build4("alice", "sshd", "h", "t");
		REQ[4 + 2] = '\0'; /* a NUL inside the user name */
		cr_assert_eq(call_raw(ops[i], 0, REQ, len).status, PROV_ST_BAD_REQUEST);
		len = build4("alice", "sshd", "h", "t");
		memset(REQ + len - 5, 0xff, 4); /* tty length points past the end */
		cr_assert_eq(call_raw(ops[i], 0, REQ, len).status, PROV_ST_BAD_REQUEST);
	}
	len = build4("alice", "sshd", "h", "t"); /* SSH_KEYS takes one name only */
	cr_assert_eq(call_raw(PROV_OP_SSH_KEYS, 0, REQ, len).status, PROV_ST_BAD_REQUEST);
	cr_assert_eq(call_raw(PROV_OP_SSH_KEYS, 0, REQ, 0).status, PROV_ST_BAD_REQUEST);
}

Test(login, hostile_name_in_reason_is_printable)
{
	struct result r = call4(PROV_OP_ACCESS_CHECK, 0, "a\x1b]0;x\x07\n");

	assert_decision(&r, PROV_DECIDE_UNKNOWN, "a?]0;x?? is not a prov user");
}

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (chown)");
}

Test(login, invariant8_session_open_creates_home)
{
	char home[128];
	struct stat st;

	need_root();
	struct result r = call4(PROV_OP_SESSION_OPEN, 0, "alice");

	assert_decision(&r, PROV_DECIDE_ALLOW, "login granted by ops-admin");
	snprintf(home, sizeof(home), "%s/home/alice", T);
	cr_assert_eq(lstat(home, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_uid, 20001);
	cr_assert_eq(st.st_gid, 20001);
	cr_assert_eq(st.st_mode & 07777, 0700);
	/* a second session finds it and leaves it alone */
	cr_assert_eq(chmod(home, 0750), 0);
	r = call4(PROV_OP_SESSION_OPEN, 0, "alice");
	assert_decision(&r, PROV_DECIDE_ALLOW, NULL);
	cr_assert_eq(lstat(home, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0750);
}

/* [login] skel_dir and home_mode shape the home. */
Test(login, invariant8_home_follows_skel_dir_and_home_mode)
{
	char home[128], skel[128], file[160];
	struct stat st;
	FILE *f;

	need_root();
	snprintf(skel, sizeof(skel), "%s/skel", T);
	cr_assert_eq(mkdir(skel, 0755), 0);
	snprintf(file, sizeof(file), "%s/.welcome", skel);
	f = fopen(file, "w");
	cr_assert_not_null(f);
	fputs("hi\n", f);
	fclose(f);
	free(ST.cfg.skel_dir);
	ST.cfg.skel_dir = strdup(skel);
	ST.cfg.home_mode = 0750;
	struct result r = call4(PROV_OP_SESSION_OPEN, 0, "alice");

	assert_decision(&r, PROV_DECIDE_ALLOW, NULL);
	snprintf(home, sizeof(home), "%s/home/alice", T);
	cr_assert_eq(lstat(home, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0750);
	snprintf(file, sizeof(file), "%s/.welcome", home);
	cr_assert_eq(lstat(file, &st), 0);
	cr_assert_eq(st.st_uid, 20001);
}

Test(login, session_open_denied_makes_no_home)
{
	char home[128];
	struct stat st;

	struct result r = call4(PROV_OP_SESSION_OPEN, 0, "frank");

	assert_decision(&r, PROV_DECIDE_NO_GRANT, NULL);
	snprintf(home, sizeof(home), "%s/home/frank", T);
	cr_assert_eq(lstat(home, &st), -1);
	r = call4(PROV_OP_SESSION_OPEN, 0, "carol");
	assert_decision(&r, PROV_DECIDE_EXPIRED, NULL);
	r = call4(PROV_OP_SESSION_OPEN, 0, "root");
	assert_decision(&r, PROV_DECIDE_UNKNOWN, NULL);
}

Test(login, invariant8_session_open_fails_on_planted_symlink)
{
	char home[128];
	struct stat st;

	need_root();
	snprintf(home, sizeof(home), "%s/home/alice", T);
	cr_assert_eq(symlink("/etc", home), 0);
	struct result r = call4(PROV_OP_SESSION_OPEN, 0, "alice");

	cr_assert_eq(r.status, PROV_ST_INTERNAL);
	cr_assert_eq(r.body.len, 0);
	cr_assert_eq(lstat(home, &st), 0);
	cr_assert(S_ISLNK(st.st_mode));
	cr_assert_eq(stat("/etc", &st), 0);
	cr_assert_eq(st.st_uid, 0);
}

Test(login, session_close_audits_prov_users_only)
{
	struct result r = call4(PROV_OP_SESSION_CLOSE, 0, "alice");

	cr_assert_eq(r.status, PROV_ST_OK);
	cr_assert_eq(r.body.len, 0);
	cr_assert_eq(call4(PROV_OP_SESSION_CLOSE, 0, "root").status, PROV_ST_NOT_FOUND);
}

static void assert_keys(struct result *r, int n, const char *k1, const char *k2)
{
	struct prov_str s;
	uint32_t got;

	cr_assert_eq(r->status, PROV_ST_OK);
	got = prov_get_u32(&r->body);
	cr_assert_eq(got, (uint32_t)n);
	if (n > 0) {
		s = prov_get_str(&r->body, PROV_SSH_KEY_MAX);
		cr_assert(prov_str_eq(&s, k1));
	}
	if (n > 1) {
		s = prov_get_str(&r->body, PROV_SSH_KEY_MAX);
		cr_assert(prov_str_eq(&s, k2));
	}
	cr_assert_eq(prov_reader_end(&r->body), 0);
}

Test(login, ssh_keys_while_allowed_without_injected_lines)
{
	struct result r = call_name(PROV_OP_SSH_KEYS, 0, "alice");

	/* the key with a newline inside is withheld */
	assert_keys(&r, 2, "ssh-ed25519 AAAAC3alice alice@laptop", "ssh-rsa AAAAB3alice alice@desk");
	r = call_name(PROV_OP_SSH_KEYS, KEYS_UID, "alice");
	assert_keys(&r, 2, "ssh-ed25519 AAAAC3alice alice@laptop", "ssh-rsa AAAAB3alice alice@desk");
	r = call_name(PROV_OP_SSH_KEYS, 20001, "alice");
	assert_keys(&r, 2, "ssh-ed25519 AAAAC3alice alice@laptop", "ssh-rsa AAAAB3alice alice@desk");
}

Test(login, invariant3_no_keys_unless_allowed)
{
	struct result r = call_name(PROV_OP_SSH_KEYS, KEYS_UID, "frank");

	assert_keys(&r, 0, NULL, NULL);
	r = call_name(PROV_OP_SSH_KEYS, KEYS_UID, "carol");
	assert_keys(&r, 0, NULL, NULL);
	free(ST.cfg.host_name);
	ST.cfg.host_name = strdup("db-1");
	r = call_name(PROV_OP_SSH_KEYS, KEYS_UID, "alice");
	assert_keys(&r, 0, NULL, NULL);
	cr_assert_eq(call_name(PROV_OP_SSH_KEYS, KEYS_UID, "nosuch").status, PROV_ST_NOT_FOUND);
}

Test(login, invariant7_ssh_keys_not_for_other_users)
{
	cr_assert_eq(call_name(PROV_OP_SSH_KEYS, 65534, "alice").status, PROV_ST_DENIED); /* nobody */
	cr_assert_eq(call_name(PROV_OP_SSH_KEYS, 20006, "alice").status, PROV_ST_DENIED);
	cr_assert_eq(call_name(PROV_OP_SSH_KEYS, 20006, "nosuch").status, PROV_ST_DENIED);
	cr_assert_eq(call_name(PROV_OP_SSH_KEYS, 1000, "alice").status, PROV_ST_DENIED);
}

Test(login, ssh_keys_reply_always_fits_a_frame)
{
	struct dir_user *u = (struct dir_user *)directory_user_by_name(D, "alice");
	char *big = malloc(PROV_SSH_KEY_MAX + 2);
	uint32_t n, i;

	cr_assert_not_null(big);
	dir_strv_free(&u->ssh_keys);
	memset(big, 'k', PROV_SSH_KEY_MAX + 1);
	big[PROV_SSH_KEY_MAX + 1] = '\0';
	cr_assert_eq(dir_strv_push(&u->ssh_keys, big), 0); /* over the limit: withheld */
	big[PROV_SSH_KEY_MAX] = '\0';
	for (i = 0; i < PROV_SSH_KEYS_MAX; i++)
		cr_assert_eq(dir_strv_push(&u->ssh_keys, big), 0);
	free(big);
	struct result r = call_name(PROV_OP_SSH_KEYS, 0, "alice");

	cr_assert_eq(r.status, PROV_ST_OK);
	n = prov_get_u32(&r.body);
	/* 64 full-size keys do not fit one body: as many as do */
	cr_assert_eq(n, (PROV_MAX_BODY - 4) / (4 + PROV_SSH_KEY_MAX));
	cr_assert_lt(n, PROV_SSH_KEYS_MAX);
	for (i = 0; i < n; i++) {
		struct prov_str s = prov_get_str(&r.body, PROV_SSH_KEY_MAX);

		cr_assert_eq(s.len, PROV_SSH_KEY_MAX);
	}
	cr_assert_eq(prov_reader_end(&r.body), 0);
}

Test(login, ssh_keys_at_most_keys_max)
{
	struct dir_user *u = (struct dir_user *)directory_user_by_name(D, "alice");
	uint32_t i;

	for (i = 0; i < PROV_SSH_KEYS_MAX + 10; i++)
		cr_assert_eq(dir_strv_push(&u->ssh_keys, "ssh-ed25519 AAAAC3more x"), 0);
	struct result r = call_name(PROV_OP_SSH_KEYS, 0, "alice");

	cr_assert_eq(r.status, PROV_ST_OK);
	cr_assert_eq(prov_get_u32(&r.body), PROV_SSH_KEYS_MAX);
}

Test(login, keys_user_follows_passwd_file)
{
	/* another uid for the keys user: the old one is refused at once */
	free(ST.cfg.passwd_file);
	ST.cfg.passwd_file = strdup(write_passwd("passwd2", "_prov-keys:x:997:997::/:/bin/false\n"));
	cr_assert_eq(call_name(PROV_OP_SSH_KEYS, KEYS_UID, "alice").status, PROV_ST_DENIED);
	cr_assert_eq(call_name(PROV_OP_SSH_KEYS, 997, "alice").status, PROV_ST_OK);
	/* no keys user on the host: only root and the user herself */
	free(ST.cfg.passwd_file);
	ST.cfg.passwd_file = strdup(write_passwd("passwd3", "root:x:0:0::/root:/bin/sh\n"));
	cr_assert_eq(call_name(PROV_OP_SSH_KEYS, 997, "alice").status, PROV_ST_DENIED);
	cr_assert_eq(call_name(PROV_OP_SSH_KEYS, 20001, "alice").status, PROV_ST_OK);
}

Test(login, keys_user_is_configurable)
{
	free(ST.cfg.passwd_file);
	ST.cfg.passwd_file = strdup(write_passwd("passwd4", "sshkeys:x:996:996::/:/bin/false\n"
							    "_prov-keys:x:998:998::/:/bin/false\n"));
	free(ST.cfg.keys_user);
	ST.cfg.keys_user = strdup("sshkeys");
	cr_assert_eq(call_name(PROV_OP_SSH_KEYS, 996, "alice").status, PROV_ST_OK);
	cr_assert_eq(call_name(PROV_OP_SSH_KEYS, KEYS_UID, "alice").status, PROV_ST_DENIED);
}

/* DESIGN invariant 5 across a restart: freshness is when the source last
 * confirmed the directory (last_ok, from the cache's saved_at at start-up),
 * never when this process loaded it. */
Test(login, invariant5_restart_does_not_make_an_old_cache_fresh)
{
	int64_t now = (int64_t)time(NULL);
	struct result r;

	cr_assert_eq(dir_strv_push(&ST.cfg.urls, "https://dir.example.com/d.json"), 0);
	ST.cfg.offline_grace_s = 7 * 86400;
	ST.loaded_at = now; /* loaded from the cache just now... */
	ST.last_ok = now - 8 * 86400; /* ...but last confirmed 8 days ago */
	r = call4(PROV_OP_ACCESS_CHECK, 0, "alice");
	assert_decision(&r, PROV_DECIDE_STALE, "directory not refreshed for 8d (offline_grace 7d)");
	ST.last_ok = now - 6 * 86400;
	r = call4(PROV_OP_ACCESS_CHECK, 0, "alice");
	assert_decision(&r, PROV_DECIDE_ALLOW, "login granted by ops-admin");
	/* nothing confirmed at all, with a source configured: fail closed */
	ST.last_ok = 0;
	r = call4(PROV_OP_ACCESS_CHECK, 0, "alice");
	assert_decision(&r, PROV_DECIDE_STALE, NULL);
	/* the embedded demo (no source) is never stale by age */
	dir_strv_free(&ST.cfg.urls);
	r = call4(PROV_OP_ACCESS_CHECK, 0, "alice");
	assert_decision(&r, PROV_DECIDE_ALLOW, NULL);
}

Test(login, local_uid_lookup)
{
	const char *p = write_passwd("pw",
		"root:x:0:0::/root:/bin/sh\n"
		"_prov-keysx:x:5:5::/:/bin/false\n"
		"big:x:4294967294:1::/:/bin/false\n"
		"neg:x:-1:1::/:/bin/false\n"
		"max:x:4294967295:1::/:/bin/false\n"
		"word:x:abc:1::/:/bin/false\n"
		"empty:x::1::/:/bin/false\n"
		"short:x:12\n"
		"_prov-keys:x:998:998::/:/bin/false\n");
	uid_t uid = 12345;

	cr_assert_eq(login_local_uid(p, "root", &uid), 0);
	cr_assert_eq(uid, 0);
	cr_assert_eq(login_local_uid(p, "_prov-keys", &uid), 0);
	cr_assert_eq(uid, 998);
	cr_assert_eq(login_local_uid(p, "big", &uid), 0);
	cr_assert_eq(uid, 4294967294u);
	uid = 12345;
	cr_assert_eq(login_local_uid(p, "neg", &uid), -EBADMSG);
	cr_assert_eq(login_local_uid(p, "max", &uid), -EBADMSG);
	cr_assert_eq(login_local_uid(p, "word", &uid), -EBADMSG);
	cr_assert_eq(login_local_uid(p, "empty", &uid), -EBADMSG);
	cr_assert_eq(login_local_uid(p, "short", &uid), -EBADMSG);
	cr_assert_eq(uid, 12345);
	cr_assert_eq(login_local_uid(p, "nobody", &uid), -ENOENT);
	cr_assert_eq(login_local_uid(p, "_prov", &uid), -ENOENT);
	cr_assert_eq(login_local_uid("/nonexistent/passwd", "root", &uid), -ENOENT);
}

/* Counts lines holding needle in what was logged to fd's file. */
static int count_lines(const char *path, const char *needle)
{
	char line[4096];
	FILE *f = fopen(path, "r");
	int n = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/* DESIGN invariant 12: a user asking about herself in a loop costs the
 * journal a handful of lines, while the keys reader's (one per sshd
 * connection attempt) and root's are all kept. */
Test(login, invariant12_self_questions_rate_limited_keys_reader_not)
{
	char path[160];
	int fd, saved = dup(STDERR_FILENO), i;

	snprintf(path, sizeof(path), "%s/log", T);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	log_init(LOG_TARGET_STDERR, LOG_INFO);
	for (i = 0; i < 30; i++) {
		cr_assert_eq(call4(PROV_OP_ACCESS_CHECK, 20001, "alice").status, PROV_ST_OK);
		cr_assert_eq(call_name(PROV_OP_SSH_KEYS, KEYS_UID, "alice").status, PROV_ST_OK);
		cr_assert_eq(call4(PROV_OP_ACCESS_CHECK, 0, "alice").status, PROV_ST_OK);
	}
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	cr_assert_eq(count_lines(path, "PROV_PEER_UID=20001"), (int)LOG_PEER_BURST, "alice about herself");
	cr_assert_eq(count_lines(path, "PROV_EVENT=ssh_keys"), 30, "the keys reader is never limited");
	cr_assert_eq(count_lines(path, "PROV_PEER_UID=0"), 30, "root is never limited");
}

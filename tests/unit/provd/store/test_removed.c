/* SPDX-License-Identifier: MIT */
/*
 * Users removed from the directory (provd/store/removed.c): they keep resolving
 * with nologin for deprovisioned_retention, every decision about them is
 * EXPIRED (never UNKNOWN, which a PAM stack may let through: DESIGN
 * invariant 3), they leave the list when they come back, at the end of the
 * retention, or when a local account takes their name or uid (invariant
 * 1), and the list survives a restart (a file nobody else can write).
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

#include "loop/dispatch.h"
#include "store/removed.h"
#include "runtime_fixture.h"
#include "access/sessions.h"

static struct prov_state st;
static struct sessions *ss;
static char dir[64], path[128];
static uint8_t *out;
static struct prov_reader rb;
static const struct dispatch_peer root_private = { .uid = 0, .gid = 0, .pid = 1, .private_socket = true };

static const char *doc(unsigned serial, bool with_bob)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
		 "{\"prov_directory\": 1, \"serial\": %u, \"users\": ["
		 " {\"name\": \"alice\", \"uid\": 20001, \"gecos\": \"Alice\", \"home\": \"/home/alice\"}%s],"
		 " \"bindings\": [{\"name\": \"all\", \"users\": [\"alice\", \"bob\"], \"grants\": [\"login\"]}]}",
		 serial, with_bob ? ", {\"name\": \"bob\", \"uid\": 20002, \"gecos\": \"Bob B\"}" : "");
	return buf;
}

static void apply(const char *text)
{
	char err[512];
	int r = state_apply_document(&st, text, strlen(text), "test", 0, err, sizeof(err));

	cr_assert_eq(r, 0, "%s", err);
}

static void start(void)
{
	struct sessions_env env = {
		.proc_dir = "/nonexistent-proc",
		.nscd_socket = "/nonexistent/nscd",
		.nscd_binary = "/bin/false",
		.logind_probe = "/nonexistent/seats",
	};

	cr_assert_eq(sessions_new(&st, &env, &ss), 0);
}

static void setup(void)
{
	fixture_quiet_log();
	strcpy(dir, "/tmp/prov-test-removed-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/" REMOVED_FILE_NAME, dir);
	fixture_state(&st, dir, NULL, 0);
	out = malloc(DISPATCH_REPLY_CAP);
	cr_assert_not_null(out);
	ss = NULL;
}

static void teardown(void)
{
	sessions_free(ss);
	state_free(&st);
	free(out);
	fixture_rm_rf(dir);
}

TestSuite(removed, .init = setup, .fini = teardown);

static int ask(uint16_t type, const void *body, size_t len)
{
	struct prov_header h = { .version = PROV_PROTO_VERSION, .type = type, .body_len = (uint32_t)len };
	struct prov_header rh;
	struct prov_writer w;
	int status;

	prov_writer_init(&w, out, DISPATCH_REPLY_CAP);
	status = dispatch_request(&st, &root_private, &h, body, &w);
	cr_assert_eq(prov_header_decode(out, &rh), 0);
	prov_reader_init(&rb, out + PROV_HEADER_SIZE, rh.body_len);
	return status;
}

static int ask_name(uint16_t type, const char *s)
{
	uint8_t body[128];
	uint32_t n = (uint32_t)strlen(s);

	memcpy(body, &n, 4);
	memcpy(body + 4, s, n);
	return ask(type, body, 4 + n);
}

static int access_check(const char *user, uint32_t *ret_decision, char *reason, size_t reasonsz)
{
	uint8_t body[256];
	struct prov_writer w;
	struct prov_str rs;
	int status;

	prov_writer_init(&w, body, sizeof(body));
	prov_put_str(&w, user, PROV_NAME_MAX);
	prov_put_str(&w, "sshd", PROV_SERVICE_MAX);
	prov_put_str(&w, "", PROV_RHOST_MAX);
	prov_put_str(&w, "", PROV_TTY_MAX);
	status = ask(PROV_OP_ACCESS_CHECK, body, w.len);
	if (status != PROV_ST_OK)
		return status;
	*ret_decision = prov_get_u32(&rb);
	rs = prov_get_str(&rb, PROV_REASON_MAX);
	cr_assert_eq(prov_str_copy(&rs, reason, reasonsz), 0);
	return status;
}

static void expect_pw(const char *name, uint32_t uid, const char *gecos, const char *home, const char *shell)
{
	struct prov_passwd_rec p;

	cr_assert_eq(prov_get_passwd(&rb, &p), 0);
	cr_assert(prov_str_eq(&p.name, name));
	cr_assert_eq(p.uid, uid);
	cr_assert(prov_str_eq(&p.gecos, gecos));
	cr_assert(prov_str_eq(&p.home, home));
	cr_assert(prov_str_eq(&p.shell, shell), "shell %.*s", (int)p.shell.len, p.shell.ptr);
	cr_assert_eq(prov_reader_end(&rb), 0);
}

static char *slurp(const char *p)
{
	static char buf[4096];
	FILE *f = fopen(p, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(removed, invariant3_removed_user_resolves_with_nologin_and_is_expired)
{
	uint32_t d, uid = 20002;
	char reason[300];

	start();
	apply(doc(1, true));
	apply(doc(2, false));
	cr_assert_eq(ask_name(PROV_OP_PW_BY_NAME, "bob"), PROV_ST_OK);
	expect_pw("bob", 20002, "Bob B", "/home/bob", "/usr/sbin/nologin");
	cr_assert_eq(ask(PROV_OP_PW_BY_UID, &uid, 4), PROV_ST_OK);
	expect_pw("bob", 20002, "Bob B", "/home/bob", "/usr/sbin/nologin");
	cr_assert_eq(access_check("bob", &d, reason, sizeof(reason)), PROV_ST_OK);
	cr_assert_eq(d, PROV_DECIDE_EXPIRED, "never UNKNOWN: a stack may let unknown users through");
	cr_assert_not_null(strstr(reason, "removed from the directory 20"), "%s", reason);
	cr_assert_eq(ask_name(PROV_OP_SSH_KEYS, "bob"), PROV_ST_NOT_FOUND);
	cr_assert_eq(ask_name(PROV_OP_INITGROUPS, "bob"), PROV_ST_NOT_FOUND);
	/* the list is on disk, private */
	cr_assert_not_null(slurp(path));
	cr_assert_not_null(strstr(slurp(path), "bob:20002:20002:"), "%s", slurp(path));
	cr_assert_not_null(strstr(slurp(path), ":Bob B:/home/bob\n"), "%s", slurp(path));
}

Test(removed, enumeration_lists_removed_users_after_the_directory)
{
	uint32_t cursor = 0, next, n;

	start();
	apply(doc(1, true));
	apply(doc(2, false));
	cr_assert_eq(ask(PROV_OP_PW_ENUM, &cursor, 4), PROV_ST_OK);
	next = prov_get_u32(&rb);
	n = prov_get_u32(&rb);
	cr_assert_eq(next, PROV_ENUM_END);
	cr_assert_eq(n, 2);
	{
		struct prov_passwd_rec p;

		cr_assert_eq(prov_get_passwd(&rb, &p), 0);
		cr_assert(prov_str_eq(&p.name, "alice"));
		cr_assert_eq(prov_get_passwd(&rb, &p), 0);
		cr_assert(prov_str_eq(&p.name, "bob"));
		cr_assert(prov_str_eq(&p.shell, "/usr/sbin/nologin"));
	}
}

Test(removed, back_in_the_directory_leaves_the_list)
{
	uint32_t d;
	char reason[300];

	start();
	apply(doc(1, true));
	apply(doc(2, false));
	apply(doc(3, true));
	cr_assert_eq(st.removed->n, 0);
	cr_assert_eq(access_check("bob", &d, reason, sizeof(reason)), PROV_ST_OK);
	cr_assert_eq(d, PROV_DECIDE_ALLOW);
	cr_assert_str_eq(slurp(path), "");
}

Test(removed, retention_edges)
{
	int64_t now = (int64_t)time(NULL);
	uint32_t ret = 3600;
	const struct removed_user *r;

	st.cfg.deprovisioned_retention_s = ret;
	start();
	apply(doc(1, true));
	apply(doc(2, false));
	r = removed_by_name(st.removed, "bob", now, ret);
	cr_assert_not_null(r);
	cr_assert_not_null(removed_by_name(st.removed, "bob", r->removed_at + ret - 1, ret), "one second before");
	cr_assert_null(removed_by_name(st.removed, "bob", r->removed_at + ret, ret), "at the end");
	cr_assert_null(removed_by_uid(st.removed, 20002, r->removed_at + ret, ret));
	cr_assert_eq(removed_update(st.removed, st.dir, &st.cfg, r->removed_at + ret), 0);
	cr_assert_eq(st.removed->n, 0, "pruned");
}

Test(removed, retention_zero_forgets_at_once)
{
	st.cfg.deprovisioned_retention_s = 0;
	start();
	apply(doc(1, true));
	apply(doc(2, false));
	cr_assert_eq(st.removed->n, 0);
	cr_assert_eq(ask_name(PROV_OP_PW_BY_NAME, "bob"), PROV_ST_NOT_FOUND);
}

/* Invariant 1: a local account that takes the name (or uid) wins. */
Test(removed, invariant1_local_account_takes_over)
{
	char pw[128];
	FILE *f;

	snprintf(pw, sizeof(pw), "%s/passwd", dir);
	f = fopen(pw, "w");
	cr_assert_not_null(f);
	fputs("root:x:0:0:root:/root:/bin/bash\n", f);
	fclose(f);
	fixture_set(&st.cfg.passwd_file, pw);
	start();
	apply(doc(1, true));
	apply(doc(2, false));
	cr_assert_eq(st.removed->n, 1);
	f = fopen(pw, "a");
	fputs("bob:x:1001:1001::/home/bob:/bin/sh\n", f);
	fclose(f);
	apply(doc(3, false)); /* the next change looks again */
	cr_assert_eq(st.removed->n, 0);
}

Test(removed, survives_a_restart)
{
	start();
	apply(doc(1, true));
	apply(doc(2, false));
	sessions_free(ss);
	ss = NULL;
	state_free(&st);
	fixture_state(&st, dir, NULL, 0);
	start();
	cr_assert_eq(st.removed->n, 1);
	apply(doc(2, false));
	cr_assert_eq(ask_name(PROV_OP_PW_BY_NAME, "bob"), PROV_ST_OK);
	expect_pw("bob", 20002, "Bob B", "/home/bob", "/usr/sbin/nologin");
}

static void write_raw(const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

static size_t load_count(void)
{
	struct removed_users *r = NULL;
	size_t n;

	cr_assert_eq(removed_open(dir, &r), 0);
	n = r->n;
	removed_free(r);
	return n;
}

/* Hostile data in the file: refused whole, nothing served from it. */
Test(removed, hostile_file_is_refused)
{
	write_raw("bob:20002:20002:1700000000::/home/bob\n", 0600);
	cr_assert_eq(load_count(), 1, "empty gecos is fine");
	write_raw("bob:20002:20002:1700000000:Bob:/home/bob\nroot2:0:0:1:x:/root\n", 0600);
	cr_assert_eq(load_count(), 0, "uid 0");
	write_raw("bob:20002:20002:1700000000:Bob:/home/bob:extra\n", 0600);
	cr_assert_eq(load_count(), 0, "extra field");
	write_raw("b\x01ob:20002:20002:1700000000:Bob:/home/bob\n", 0600);
	cr_assert_eq(load_count(), 0, "control character in the name");
	write_raw("bob:20002:20002:1700000000:Bob:../etc\n", 0600);
	cr_assert_eq(load_count(), 0, "relative home");
	write_raw("bob:20002:20002:-5:Bob:/home/bob\n", 0600);
	cr_assert_eq(load_count(), 0, "negative time");
	write_raw("bob:20002:20002:1700000000:Bob:/home/bob", 0600);
	cr_assert_eq(load_count(), 0, "unterminated line");
	write_raw("bob:20002:20002:1700000000:Bob:/home/bob\n", 0666);
	cr_assert_eq(load_count(), 0, "writable by others");
	unlink(path);
	cr_assert_eq(symlink("/etc/passwd", path), 0);
	cr_assert_eq(load_count(), 0, "a symlink is not followed");
}

/* DESIGN invariant 14 (issue 8 §5): bob's uid is not carol's while bob is
 * retained, not even after a restart, and never two passwd entries with
 * one uid. */
Test(removed, invariant14_removed_users_uid_not_given_to_a_new_identity)
{
	static const char *const with_carol =
		"{\"prov_directory\": 1, \"serial\": 3, \"users\": ["
		" {\"name\": \"alice\", \"uid\": 20001, \"gecos\": \"Alice\", \"home\": \"/home/alice\"},"
		" {\"name\": \"carol\", \"uid\": 20002}]}";
	uint32_t uid = 20002;
	struct prov_passwd_rec p;
	const struct dir_refusal *r = NULL;

	start();
	apply(doc(1, true));
	apply(doc(2, false));
	cr_assert_eq(st.removed->n, 1);
	apply(with_carol);
	cr_expect_null(directory_user_by_name(st.dir, "carol"), "carol is not served with bob's uid");
	for (size_t i = 0; i < st.dir->n_refused; i++)
		if (strcmp(st.dir->refused[i].name, "carol") == 0)
			r = &st.dir->refused[i];
	cr_assert_not_null(r);
	cr_expect_eq(r->outcome, DIR_CONFLICT);
	cr_expect(strstr(r->reason, "uid 20002 belonged to user bob") != NULL, "%s", r->reason);
	cr_assert_eq(ask(PROV_OP_PW_BY_UID, &uid, sizeof(uid)), PROV_ST_OK);
	cr_assert_eq(prov_get_passwd(&rb, &p), 0);
	cr_expect(prov_str_eq(&p.name, "bob"), "uid 20002 is still bob's");

	/* A restart: the ledger and the removed list are read back. */
	sessions_free(ss);
	ss = NULL;
	removed_free(st.removed);
	st.removed = NULL;
	directory_free(st.dir);
	free(st.doc);
	st.dir = NULL;
	st.doc = NULL;
	start();
	apply(with_carol);
	cr_expect_null(directory_user_by_name(st.dir, "carol"), "still refused after a restart");
}

/* A rename (same stable id, new name) is not a removal: the old name must
 * not keep resolving beside the new one with the same uid. */
Test(removed, rename_is_not_a_removal)
{
	static const char *const before =
		"{\"prov_directory\": 1, \"serial\": 1, \"users\": ["
		" {\"id\": \"u-ren\", \"name\": \"ren\", \"uid\": 20013},"
		" {\"id\": \"u-bob\", \"name\": \"bob\", \"uid\": 20002}]}";
	static const char *const after =
		"{\"prov_directory\": 1, \"serial\": 2, \"users\": ["
		" {\"id\": \"u-ren\", \"name\": \"ren2\", \"uid\": 20013}]}";

	start();
	apply(before);
	apply(after);
	cr_assert_eq(st.removed->n, 1, "only bob is removed, not ren (renamed)");
	cr_assert_str_eq(st.removed->v[0].name, "bob");
	cr_assert_eq(ask_name(PROV_OP_PW_BY_NAME, "ren"), PROV_ST_NOT_FOUND);
	cr_assert_eq(ask_name(PROV_OP_PW_BY_NAME, "ren2"), PROV_ST_OK);
	expect_pw("ren2", 20013, "", "/home/ren2", "/bin/bash");
}

/* A removed user whose identity comes back under another name, with its
 * held uid: the removed entry goes, so no two entries share the uid. */
Test(removed, identity_back_under_a_new_name_drops_the_removed_entry)
{
	static const char *const one =
		"{\"prov_directory\": 1, \"serial\": 1, \"users\": ["
		" {\"id\": \"u-ren\", \"name\": \"ren\", \"uid\": 20013}, {\"name\": \"alice\", \"uid\": 20001}]}";
	static const char *const gone =
		"{\"prov_directory\": 1, \"serial\": 2, \"users\": [{\"name\": \"alice\", \"uid\": 20001}]}";
	static const char *const back =
		"{\"prov_directory\": 1, \"serial\": 3, \"users\": ["
		" {\"id\": \"u-ren\", \"name\": \"ren2\", \"uid\": 20013}, {\"name\": \"alice\", \"uid\": 20001}]}";

	start();
	apply(one);
	apply(gone);
	cr_assert_eq(st.removed->n, 1);
	cr_assert_eq(ask_name(PROV_OP_PW_BY_NAME, "ren"), PROV_ST_OK);
	apply(back);
	cr_assert_eq(st.removed->n, 0);
	cr_assert_eq(ask_name(PROV_OP_PW_BY_NAME, "ren"), PROV_ST_NOT_FOUND);
	cr_assert_str_eq(slurp(path), "");
}

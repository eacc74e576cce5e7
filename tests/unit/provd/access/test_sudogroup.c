/* SPDX-License-Identifier: MIT */
/*
 * The sudo group (provd/access/sudogroup.c) as nss_prov sees it through dispatch:
 * GR_BY_NAME, GR_BY_GID, INITGROUPS and GR_ENUM. Members are exactly the
 * users with a sudo grant here now; expiry bites the second it happens
 * (DESIGN invariant 3); a local group of that name or gid keeps it from
 * being served (invariant 1); the directory cannot take its name or gid.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop/dispatch.h"
#include "runtime_fixture.h"

/* 2030-01-01T00:00:00Z */
#define EXPIRY 1893456000

static struct prov_state st;
static uint8_t *out;
static char dir[64], group_file[128];
static struct prov_reader rb;
static int64_t NOW = EXPIRY - 3600;

static const struct dispatch_peer anyone = { .uid = 1000, .gid = 1000, .pid = 4242, .private_socket = false };

static const char DOC[] =
	"{\"prov_directory\": 1, \"serial\": 1,"
	" \"users\": ["
	"  {\"name\": \"alice\", \"uid\": 20001},"
	"  {\"name\": \"bob\", \"uid\": 20002},"
	"  {\"name\": \"carol\", \"uid\": 20003, \"active\": false},"
	"  {\"name\": \"dave\", \"uid\": 20004},"
	"  {\"name\": \"erin\", \"uid\": 20005},"
	"  {\"name\": \"frank\", \"uid\": 20006},"
	"  {\"name\": \"mallory\", \"uid\": 20007, \"gid\": 29999},"
	"  {\"name\": \"prov-sudo\", \"uid\": 20008}],"
	" \"groups\": ["
	"  {\"name\": \"ops\", \"gid\": 30001, \"members\": [\"alice\", \"carol\"]},"
	"  {\"name\": \"dbas\", \"gid\": 30002, \"members\": [\"erin\"]},"
	"  {\"name\": \"PROV-SUDO\", \"gid\": 30003, \"members\": [\"bob\"]},"
	"  {\"name\": \"wheel2\", \"gid\": 29999, \"members\": [\"bob\"]}],"
	" \"bindings\": ["
	"  {\"name\": \"ops-admin\", \"groups\": [\"ops\"], \"hosts\": [\"web-*\"], \"grants\": [\"login\", \"sudo\"]},"
	"  {\"name\": \"bob-login\", \"users\": [\"bob\"], \"grants\": [\"login\"]},"
	"  {\"name\": \"dave-oncall\", \"users\": [\"dave\"], \"grants\": [\"sudo\"],"
	"   \"not_after\": \"2030-01-01T00:00:00Z\"},"
	"  {\"name\": \"frank-db\", \"users\": [\"frank\"], \"hosts\": [\"db-*\"], \"grants\": [\"sudo\"]}]}";

static void write_group(const char *text)
{
	char tmp[160];
	FILE *f;

	/* A new file renamed into place: a new inode, as groupadd does. */
	snprintf(tmp, sizeof(tmp), "%s.new", group_file);
	f = fopen(tmp, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(rename(tmp, group_file), 0);
}

static void setup(void)
{
	fixture_quiet_log();
	strcpy(dir, "/tmp/prov-test-sudogroup-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(group_file, sizeof(group_file), "%s/group", dir);
	write_group("root:x:0:\nsudo:x:27:localuser\nlocaluser:x:1000:\n");
	fixture_state(&st, dir, NULL, 0);
	fixture_set(&st.cfg.group_file, group_file);
	fixture_set(&st.cfg.host_name, "web-1");
	cr_assert_eq(dir_strv_push(&st.cfg.sudo_groups, "dbas"), 0);
	{
		char err[512];
		int r = state_apply_document(&st, DOC, sizeof(DOC) - 1, "test", 0, err, sizeof(err));

		cr_assert_eq(r, 0, "%s", err);
	}
	out = malloc(DISPATCH_REPLY_CAP);
	cr_assert_not_null(out);
}

static void teardown(void)
{
	state_free(&st);
	free(out);
	fixture_rm_rf(dir);
}

TestSuite(sudogroup, .init = setup, .fini = teardown);

/* dispatch_request() reads the clock; the handlers take ctx->now. To test
 * expiry edges the handler is called the way dispatch does, with our now. */
static int ask(uint16_t type, const void *body, size_t len)
{
	const struct dispatch_entry *e = dispatch_find(type);
	struct dispatch_ctx ctx = { .state = &st, .peer = &anyone, .now = NOW };
	struct prov_reader req;
	struct prov_writer w;
	int status;

	cr_assert_not_null(e);
	prov_writer_init(&w, out, DISPATCH_REPLY_CAP);
	prov_writer_begin(&w);
	prov_reader_init(&req, body, len);
	status = e->fn(&ctx, &req, &w);
	cr_assert_eq(w.err, 0);
	prov_reader_init(&rb, out + PROV_HEADER_SIZE, w.len - PROV_HEADER_SIZE);
	return status;
}

static int ask_str(uint16_t type, const char *s)
{
	uint8_t body[128];
	uint32_t n = (uint32_t)strlen(s);

	memcpy(body, &n, 4);
	memcpy(body + 4, s, n);
	return ask(type, body, 4 + n);
}

static int ask_u32(uint16_t type, uint32_t v)
{
	return ask(type, &v, 4);
}

/* The group record in rb: its members joined by ',' ("" when none). */
static const char *members(uint32_t want_gid)
{
	static char buf[512];
	struct prov_group_rec g;
	size_t len = 0;
	uint32_t i;

	cr_assert_eq(prov_get_group(&rb, &g), 0);
	cr_assert(prov_str_eq(&g.name, "prov-sudo"));
	cr_assert_eq(g.gid, want_gid);
	buf[0] = '\0';
	for (i = 0; i < g.n_members; i++) {
		struct prov_str m;

		cr_assert_eq(prov_group_next_member(&g, &m), 0);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%.*s", i ? "," : "", (int)m.len, m.ptr);
	}
	cr_assert_eq(prov_reader_end(&rb), 0);
	return buf;
}

Test(sudogroup, invariant3_members_are_the_sudo_grants_here_now)
{
	cr_assert_eq(ask_str(PROV_OP_GR_BY_NAME, "prov-sudo"), PROV_ST_OK);
	/* alice: ops-admin on web-*; dave: unexpired; erin: host sudo_groups.
	 * Not carol (inactive), bob (login only), frank (other hosts). */
	cr_assert_str_eq(members(29999), "alice,dave,erin");
	cr_assert_eq(ask_u32(PROV_OP_GR_BY_GID, 29999), PROV_ST_OK);
	cr_assert_str_eq(members(29999), "alice,dave,erin");
}

Test(sudogroup, invariant3_expiry_bites_at_the_second)
{
	NOW = EXPIRY - 1;
	cr_assert_eq(ask_str(PROV_OP_GR_BY_NAME, "prov-sudo"), PROV_ST_OK);
	cr_assert_str_eq(members(29999), "alice,dave,erin");
	NOW = EXPIRY;
	cr_assert_eq(ask_str(PROV_OP_GR_BY_NAME, "prov-sudo"), PROV_ST_OK);
	cr_assert_str_eq(members(29999), "alice,erin");
	NOW = EXPIRY - 3600;
}

static uint32_t initgroups(const char *user, uint32_t *gids, uint32_t cap)
{
	uint32_t n, i;

	cr_assert_eq(ask_str(PROV_OP_INITGROUPS, user), PROV_ST_OK);
	n = prov_get_u32(&rb);
	cr_assert_leq(n, cap);
	for (i = 0; i < n; i++)
		gids[i] = prov_get_u32(&rb);
	cr_assert_eq(prov_reader_end(&rb), 0);
	return n;
}

Test(sudogroup, initgroups_adds_the_group_while_granted)
{
	uint32_t g[8];

	cr_assert_eq(initgroups("alice", g, 8), 2);
	cr_assert_eq(g[0], 30001);
	cr_assert_eq(g[1], 29999);
	cr_assert_eq(initgroups("bob", g, 8), 0, "bob has login but no sudo");
	cr_assert_eq(initgroups("dave", g, 8), 1);
	cr_assert_eq(g[0], 29999);
	NOW = EXPIRY;
	cr_assert_eq(initgroups("dave", g, 8), 0, "expired: out of the group at once");
	NOW = EXPIRY - 3600;
	cr_assert_eq(initgroups("carol", g, 8), 1, "inactive: ops only");
	cr_assert_eq(g[0], 30001);
}

Test(sudogroup, enumeration_lists_it_once_last)
{
	struct prov_group_rec g;
	uint32_t cursor = 0, next, n, i, seen = 0, total = 0;

	do {
		uint32_t body = cursor;

		cr_assert_eq(ask(PROV_OP_GR_ENUM, &body, 4), PROV_ST_OK);
		next = prov_get_u32(&rb);
		n = prov_get_u32(&rb);
		for (i = 0; i < n; i++) {
			cr_assert_eq(prov_get_group(&rb, &g), 0);
			if (prov_str_eq(&g.name, "prov-sudo")) {
				seen++;
				cr_assert_eq(g.gid, 29999);
				cr_assert_eq(g.n_members, 3);
			}
			total++;
		}
		cr_assert_eq(prov_reader_end(&rb), 0);
		cursor = next;
	} while (cursor != PROV_ENUM_END);
	cr_assert_eq(seen, 1);
	cr_assert_eq(total, 3, "ops, dbas, prov-sudo");
}

/* Invariant 1 for the directory: a group with the sudo group's name (in any
 * case) or gid, and a user with it as primary gid or name, are refused, so
 * the directory cannot grant sudo around the bindings. */
Test(sudogroup, invariant1_directory_cannot_take_its_name_or_gid)
{
	size_t i;
	int found = 0;

	cr_assert_null(directory_group_by_name(st.dir, "PROV-SUDO"));
	cr_assert_null(directory_group_by_gid(st.dir, 29999));
	cr_assert_null(directory_user_by_name(st.dir, "mallory"));
	cr_assert_null(directory_user_by_name(st.dir, "prov-sudo"));
	for (i = 0; i < st.dir->n_refused; i++) {
		const struct dir_refusal *f = &st.dir->refused[i];

		if (strstr(f->reason, "reserved for the sudo group"))
			found++;
	}
	cr_assert_eq(found, 4, "PROV-SUDO, wheel2, mallory, the user prov-sudo");
	cr_assert_eq(ask_u32(PROV_OP_GR_BY_GID, 29999), PROV_ST_OK);
	cr_assert_str_eq(members(29999), "alice,dave,erin");
}

/* Invariant 1 for the host: a local group with the name or the gid wins;
 * the verdict follows the file when it changes. */
Test(sudogroup, invariant1_local_group_wins)
{
	uint32_t g[8];

	write_group("root:x:0:\nprov-sudo:x:27:\n");
	cr_assert_eq(ask_str(PROV_OP_GR_BY_NAME, "prov-sudo"), PROV_ST_NOT_FOUND);
	cr_assert_eq(ask_u32(PROV_OP_GR_BY_GID, 29999), PROV_ST_NOT_FOUND);
	cr_assert_eq(initgroups("alice", g, 8), 1, "ops only");
	cr_assert_eq(g[0], 30001);

	write_group("root:x:0:\nadmins:x:29999:\n");
	cr_assert_eq(ask_str(PROV_OP_GR_BY_NAME, "prov-sudo"), PROV_ST_NOT_FOUND);
	cr_assert_eq(ask_u32(PROV_OP_GR_BY_GID, 29999), PROV_ST_NOT_FOUND);

	write_group("root:x:0:\nPROV-SUDO:x:50:\n");
	cr_assert_eq(ask_str(PROV_OP_GR_BY_NAME, "prov-sudo"), PROV_ST_NOT_FOUND);

	write_group("root:x:0:\n");
	cr_assert_eq(ask_str(PROV_OP_GR_BY_NAME, "prov-sudo"), PROV_ST_OK);
	cr_assert_str_eq(members(29999), "alice,dave,erin");
}

Test(sudogroup, configured_name_and_gid)
{
	fixture_set(&st.cfg.sudo_group, "admins2");
	st.cfg.sudo_gid = 45000;
	cr_assert_eq(ask_str(PROV_OP_GR_BY_NAME, "prov-sudo"), PROV_ST_NOT_FOUND);
	cr_assert_eq(ask_u32(PROV_OP_GR_BY_GID, 45000), PROV_ST_OK);
	{
		struct prov_group_rec g;

		cr_assert_eq(prov_get_group(&rb, &g), 0);
		cr_assert(prov_str_eq(&g.name, "admins2"));
		cr_assert_eq(g.n_members, 3);
	}
}

/* A stale directory (past offline_grace) gives nobody sudo. */
Test(sudogroup, invariant5_stale_directory_empties_it)
{
	cr_assert_eq(dir_strv_push(&st.cfg.urls, "file:///nonexistent.json"), 0);
	st.last_ok = NOW - (int64_t)st.cfg.offline_grace_s;
	cr_assert_eq(ask_str(PROV_OP_GR_BY_NAME, "prov-sudo"), PROV_ST_OK);
	cr_assert_str_eq(members(29999), "");
	st.last_ok = NOW - (int64_t)st.cfg.offline_grace_s + 1;
	cr_assert_eq(ask_str(PROV_OP_GR_BY_NAME, "prov-sudo"), PROV_ST_OK);
	cr_assert_str_eq(members(29999), "alice,dave,erin");
}

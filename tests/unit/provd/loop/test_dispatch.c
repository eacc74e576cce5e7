/* SPDX-License-Identifier: MIT */
/* From request frames to reply frames: every lookup opcode, status codes,
 * enumeration paging, privileges (DESIGN invariants 1, 7). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop/dispatch.h"
#include "runtime_fixture.h"

static struct prov_state st;
static uint8_t *out;
static char statedir[64];
static struct prov_header rh; /* header of the last reply */
static struct prov_reader rb; /* its body */

static const struct dispatch_peer anyone = { .uid = 1000, .gid = 1000, .pid = 4242, .private_socket = false };
static const struct dispatch_peer root_public = { .uid = 0, .gid = 0, .pid = 1, .private_socket = false };
static const struct dispatch_peer root_private = { .uid = 0, .gid = 0, .pid = 1, .private_socket = true };
static const struct dispatch_peer user_private = { .uid = 1000, .gid = 1000, .pid = 7, .private_socket = true };

static void start(const char *doc_path)
{
	char *doc = NULL;
	size_t len = 0;

	fixture_quiet_log();
	strcpy(statedir, "/tmp/prov-test-dispatch-XXXXXX");
	cr_assert_not_null(mkdtemp(statedir));
	if (doc_path)
		doc = fixture_read(doc_path, &len);
	fixture_state(&st, statedir, doc, len);
	free(doc);
	out = malloc(DISPATCH_REPLY_CAP);
	cr_assert_not_null(out);
}

static void setup(void)
{
	start(RT_FIX "/directory.json");
}

static void teardown(void)
{
	state_free(&st);
	free(out);
	fixture_rm_rf(statedir);
}

TestSuite(dispatch, .init = setup, .fini = teardown);

/* Sends type + body as peer; checks the reply frame; returns its status. */
static int ask(const struct dispatch_peer *peer, uint16_t type, const void *body, size_t len)
{
	struct prov_header h = { .version = PROV_PROTO_VERSION, .type = type, .status = 0, .body_len = (uint32_t)len };
	struct prov_writer w;
	int status;

	prov_writer_init(&w, out, DISPATCH_REPLY_CAP);
	status = dispatch_request(&st, peer, &h, body, &w);
	cr_assert_eq(prov_reply_header_decode(out, &rh), 0, "the reply frame must decode");
	cr_assert_eq(rh.type, type, "a reply repeats the request's opcode");
	cr_assert_eq(rh.status, (uint32_t)status);
	cr_assert_eq(w.len, PROV_HEADER_SIZE + rh.body_len);
	cr_assert_leq(rh.body_len, prov_reply_body_max(type));
	if (status != PROV_ST_OK)
		cr_assert_eq(rh.body_len, 0, "a non-OK reply has an empty body");
	prov_reader_init(&rb, out + PROV_HEADER_SIZE, rh.body_len);
	return status;
}

static int ask_str(const struct dispatch_peer *peer, uint16_t type, const char *s)
{
	uint8_t body[128];
	uint32_t n = (uint32_t)strlen(s);

	memcpy(body, &n, 4);
	memcpy(body + 4, s, n);
	return ask(peer, type, body, 4 + n);
}

static int ask_u32(const struct dispatch_peer *peer, uint16_t type, uint32_t v)
{
	return ask(peer, type, &v, 4);
}

static void expect_passwd(const char *name, uint32_t uid, uint32_t gid, const char *gecos, const char *home,
			  const char *shell)
{
	struct prov_passwd_rec p;

	cr_assert_eq(prov_get_passwd(&rb, &p), 0);
	cr_assert_eq(prov_reader_end(&rb), 0, "exactly one record");
	cr_assert(prov_str_eq(&p.name, name), "name %.*s", (int)p.name.len, p.name.ptr);
	cr_assert_eq(p.uid, uid);
	cr_assert_eq(p.gid, gid);
	cr_assert(prov_str_eq(&p.gecos, gecos), "gecos %.*s", (int)p.gecos.len, p.gecos.ptr);
	cr_assert(prov_str_eq(&p.home, home));
	cr_assert(prov_str_eq(&p.shell, shell), "shell %.*s", (int)p.shell.len, p.shell.ptr);
}

Test(dispatch, pw_by_name)
{
	cr_assert_eq(ask_str(&anyone, PROV_OP_PW_BY_NAME, "alice"), PROV_ST_OK);
	expect_passwd("alice", 20001, 20001, "Alice A", "/home/alice", "/bin/bash");
	cr_assert_eq(ask_str(&anyone, PROV_OP_PW_BY_NAME, "bob"), PROV_ST_OK);
	expect_passwd("bob", 20002, 20002, "Bob B", "/home/bob", "/bin/sh");
}

Test(dispatch, pw_by_name_misses)
{
	cr_assert_eq(ask_str(&anyone, PROV_OP_PW_BY_NAME, "nosuchuser"), PROV_ST_NOT_FOUND);
	cr_assert_eq(ask_str(&anyone, PROV_OP_PW_BY_NAME, "Alice"), PROV_ST_NOT_FOUND, "names are case-sensitive");
}

/* Invariant 1: refused entries (uid 0, a local name) are never served. */
Test(dispatch, local_accounts_win)
{
	cr_assert_eq(ask_str(&anyone, PROV_OP_PW_BY_NAME, "toor"), PROV_ST_NOT_FOUND);
	cr_assert_eq(ask_u32(&anyone, PROV_OP_PW_BY_UID, 0), PROV_ST_NOT_FOUND);
	cr_assert_eq(ask_str(&anyone, PROV_OP_PW_BY_NAME, "localuser"), PROV_ST_NOT_FOUND);
	cr_assert_eq(ask_str(&anyone, PROV_OP_PW_BY_NAME, "root"), PROV_ST_NOT_FOUND);
	cr_assert_eq(ask_str(&anyone, PROV_OP_GR_BY_NAME, "sudo"), PROV_ST_NOT_FOUND, "a local group name");
}

Test(dispatch, inactive_user_resolves_with_nologin)
{
	cr_assert_eq(ask_str(&anyone, PROV_OP_PW_BY_NAME, "carol"), PROV_ST_OK);
	expect_passwd("carol", 20003, 20003, "Carol (inactive)", "/home/carol", "/usr/sbin/nologin");
}

Test(dispatch, pw_by_uid)
{
	cr_assert_eq(ask_u32(&anyone, PROV_OP_PW_BY_UID, 20002), PROV_ST_OK);
	expect_passwd("bob", 20002, 20002, "Bob B", "/home/bob", "/bin/sh");
	cr_assert_eq(ask_u32(&anyone, PROV_OP_PW_BY_UID, 20004), PROV_ST_NOT_FOUND);
	cr_assert_eq(ask_u32(&anyone, PROV_OP_PW_BY_UID, 4294967295u), PROV_ST_NOT_FOUND);
}

static void expect_group(const char *name, uint32_t gid, const char *const *members, uint32_t n)
{
	struct prov_group_rec g;
	struct prov_str m;
	uint32_t i;

	cr_assert_eq(prov_get_group(&rb, &g), 0);
	cr_assert_eq(prov_reader_end(&rb), 0);
	cr_assert(prov_str_eq(&g.name, name));
	cr_assert_eq(g.gid, gid);
	cr_assert_eq(g.n_members, n);
	for (i = 0; i < n; i++) {
		cr_assert_eq(prov_group_next_member(&g, &m), 0);
		cr_assert(prov_str_eq(&m, members[i]), "member %u is %.*s", i, (int)m.len, m.ptr);
	}
	cr_assert_eq(prov_group_next_member(&g, &m), -ENOENT);
}

Test(dispatch, groups)
{
	static const char *const devs[] = { "alice", "bob" };

	cr_assert_eq(ask_str(&anyone, PROV_OP_GR_BY_NAME, "developers"), PROV_ST_OK);
	expect_group("developers", 30001, devs, 2);
	cr_assert_eq(ask_u32(&anyone, PROV_OP_GR_BY_GID, 30001), PROV_ST_OK);
	expect_group("developers", 30001, devs, 2);
	cr_assert_eq(ask_u32(&anyone, PROV_OP_GR_BY_GID, 20002), PROV_ST_OK);
	expect_group("bob", 20002, NULL, 0);
	cr_assert_eq(ask_str(&anyone, PROV_OP_GR_BY_NAME, "nosuch"), PROV_ST_NOT_FOUND);
	cr_assert_eq(ask_u32(&anyone, PROV_OP_GR_BY_GID, 27), PROV_ST_NOT_FOUND);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* glibc adds the primary gid itself: only the supplementary prov groups. */
Test(dispatch, initgroups)
{
	uint32_t n, gids[8], i;

	cr_assert_eq(ask_str(&anyone, PROV_OP_INITGROUPS, "alice"), PROV_ST_OK);
	n = prov_get_u32(&rb);
	cr_assert_eq(n, 2, "developers and ops (the local 'sudo' group is not prov's)");
	for (i = 0; i < n; i++)
		gids[i] = prov_get_u32(&rb);
	cr_assert_eq(prov_reader_end(&rb), 0);
	qsort(gids, n, sizeof(gids[0]), cmp_u32);
	cr_assert_eq(gids[0], 30001);
	cr_assert_eq(gids[1], 30002);

	cr_assert_eq(ask_str(&anyone, PROV_OP_INITGROUPS, "carol"), PROV_ST_OK);
	cr_assert_eq(prov_get_u32(&rb), 0);
	cr_assert_eq(prov_reader_end(&rb), 0);
	cr_assert_eq(ask_str(&anyone, PROV_OP_INITGROUPS, "localuser"), PROV_ST_NOT_FOUND);
}

static uint32_t enum_page(uint16_t op, uint32_t cursor, uint32_t *ret_n)
{
	uint32_t next;

	cr_assert_eq(ask_u32(&anyone, op, cursor), PROV_ST_OK);
	next = prov_get_u32(&rb);
	*ret_n = prov_get_u32(&rb);
	cr_assert_leq(*ret_n, PROV_ENUM_PAGE_MAX);
	return next;
}

Test(dispatch, pw_enum_small)
{
	struct prov_passwd_rec p;
	uint32_t n, next;

	next = enum_page(PROV_OP_PW_ENUM, 0, &n);
	cr_assert_eq(next, PROV_ENUM_END);
	cr_assert_eq(n, 3, "alice, bob, carol; toor and localuser refused");
	cr_assert_eq(prov_get_passwd(&rb, &p), 0);
	cr_assert(prov_str_eq(&p.name, "alice"));
	cr_assert_eq(prov_get_passwd(&rb, &p), 0);
	cr_assert_eq(prov_get_passwd(&rb, &p), 0);
	cr_assert(prov_str_eq(&p.name, "carol"));
	cr_assert_eq(prov_reader_end(&rb), 0);

	next = enum_page(PROV_OP_PW_ENUM, 2, &n);
	cr_assert_eq(next, PROV_ENUM_END);
	cr_assert_eq(n, 1);
	next = enum_page(PROV_OP_PW_ENUM, 3, &n);
	cr_assert_eq(next, PROV_ENUM_END);
	cr_assert_eq(n, 0);
	next = enum_page(PROV_OP_PW_ENUM, 999999, &n);
	cr_assert_eq(next, PROV_ENUM_END, "a cursor past the end is the end");
	cr_assert_eq(n, 0);
	cr_assert_eq(prov_reader_end(&rb), 0);
}

Test(dispatch, gr_enum_small)
{
	struct prov_group_rec g;
	uint32_t n, next, i;

	next = enum_page(PROV_OP_GR_ENUM, 0, &n);
	cr_assert_eq(next, PROV_ENUM_END);
	cr_assert_eq(n, 6, "the local 'sudo' group name is refused; prov-sudo comes last");
	for (i = 0; i < n; i++)
		cr_assert_eq(prov_get_group(&rb, &g), 0);
	cr_assert(prov_str_eq(&g.name, "prov-sudo"));
	cr_assert_eq(g.gid, 29999);
	cr_assert_eq(prov_reader_end(&rb), 0);
}

/* Big documents, generated. */
struct buf {
	char *p;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3))) bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		cr_assert_geq(n, 0);
		if ((size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap * 2 + (size_t)n + 1;
		b->p = realloc(b->p, b->cap);
		cr_assert_not_null(b->p);
	}
	b->len += (size_t)n;
}

/* n_users users with 32-character names; n_groups groups each listing
 * members_per_group of them. */
static char *gen_doc(unsigned n_users, unsigned n_groups, unsigned members_per_group, size_t *ret_len)
{
	struct buf b = { malloc(1024), 0, 1024 };
	unsigned i, k;

	bprintf(&b, "{\"prov_directory\": 1, \"serial\": 100, \"users\": [");
	for (i = 0; i < n_users; i++)
		bprintf(&b, "%s{\"name\": \"user%028u\", \"uid\": %u}", i ? "," : "", i, 100000 + i);
	bprintf(&b, "], \"groups\": [");
	for (i = 0; i < n_groups; i++) {
		bprintf(&b, "%s{\"name\": \"group%027u\", \"gid\": %u, \"members\": [", i ? "," : "", i, 500000 + i);
		for (k = 0; k < members_per_group; k++)
			bprintf(&b, "%s\"user%028u\"", k ? "," : "", k);
		bprintf(&b, "]}");
	}
	bprintf(&b, "]}");
	*ret_len = b.len;
	return b.p;
}

static void restart_with(unsigned n_users, unsigned n_groups, unsigned members)
{
	char err[512];
	size_t len;
	char *doc = gen_doc(n_users, n_groups, members, &len);

	cr_assert_eq(state_apply_document(&st, doc, len, "generated", 0, err, sizeof(err)), 0, "%s", err);
	free(doc);
}

/* Pages of at most PROV_ENUM_PAGE_MAX; cursors chain to the end; every
 * user exactly once. */
Test(dispatch, pw_enum_paging)
{
	uint32_t cursor = 0, n, total = 0, pages = 0;

	restart_with(2 * PROV_ENUM_PAGE_MAX + 88, 0, 0);
	while (cursor != PROV_ENUM_END) {
		uint32_t next = enum_page(PROV_OP_PW_ENUM, cursor, &n), i;

		for (i = 0; i < n; i++) {
			struct prov_passwd_rec p;
			char want[40];

			cr_assert_eq(prov_get_passwd(&rb, &p), 0);
			snprintf(want, sizeof(want), "user%028u", total + i);
			cr_assert(prov_str_eq(&p.name, want));
		}
		cr_assert_eq(prov_reader_end(&rb), 0);
		total += n;
		pages++;
		cr_assert(next == PROV_ENUM_END || next == total, "next %u after %u entries", next, total);
		cursor = next;
	}
	cr_assert_eq(total, 2 * PROV_ENUM_PAGE_MAX + 88);
	cr_assert_eq(pages, 3, "PROV_ENUM_PAGE_MAX twice, then 88");
}

/* 256 groups of 200 members with 32-byte names (7,244 bytes each on the
 * wire, 1.8 MB in all) do not fit one 1 MiB body: a page stops before the
 * record that would not fit, never sends a bigger frame, and the next page
 * starts with that record. */
#define MEMBERS 200
#define GROUP_REC (4 + 32 + 4 + 4 + MEMBERS * (4 + 32))

Test(dispatch, gr_enum_page_stops_before_max_body, .timeout = 60)
{
	uint32_t cursor = 0, n, total = 0, pages = 0;

	restart_with(MEMBERS, 256, MEMBERS);
	cr_assert_eq(st.dir->n_groups, 256);
	while (cursor != PROV_ENUM_END) {
		uint32_t next = enum_page(PROV_OP_GR_ENUM, cursor, &n), i;

		cr_assert_gt(n, 0, "a page always makes progress");
		for (i = 0; i < n; i++) {
			struct prov_group_rec g;

			cr_assert_eq(prov_get_group(&rb, &g), 0);
			if (total + i == 256) { /* the sudo group, after the directory's */
				cr_assert_eq(g.gid, 29999);
				cr_assert_eq(g.n_members, 0);
				continue;
			}
			cr_assert_eq(g.gid, 500000 + total + i);
			cr_assert_eq(g.n_members, MEMBERS);
		}
		cr_assert_eq(prov_reader_end(&rb), 0);
		cr_assert_leq(rh.body_len, PROV_MAX_BODY);
		if (next != PROV_ENUM_END && n < PROV_ENUM_PAGE_MAX)
			cr_assert_gt(rh.body_len + GROUP_REC, PROV_MAX_BODY, "a page stops only when the next would not fit");
		total += n;
		pages++;
		cursor = next;
	}
	cr_assert_eq(total, 257, "256 groups and prov-sudo");
	cr_assert_eq(pages, 2, "1 MiB holds 144 such records, the rest is the second page");
}

static bool status_has(const char *key, const char *value)
{
	uint32_t n = prov_get_u32(&rb), i;
	bool found = false;

	for (i = 0; i < n; i++) {
		struct prov_str k = prov_get_str(&rb, PROV_STATUS_STR_MAX);
		struct prov_str v = prov_get_str(&rb, PROV_STATUS_STR_MAX);

		if (prov_str_eq(&k, key) && (!value || prov_str_eq(&v, value)))
			found = true;
	}
	cr_assert_eq(prov_reader_end(&rb), 0);
	return found;
}

Test(dispatch, status_public)
{
	cr_assert_eq(ask(&anyone, PROV_OP_STATUS, NULL, 0), PROV_ST_OK);
	cr_assert(status_has("users", "3"));
	prov_reader_init(&rb, out + PROV_HEADER_SIZE, rh.body_len);
	cr_assert(status_has("serial", "7"));
	prov_reader_init(&rb, out + PROV_HEADER_SIZE, rh.body_len);
	cr_assert(status_has("refused", "3"), "toor, localuser, and the group sudo");
	prov_reader_init(&rb, out + PROV_HEADER_SIZE, rh.body_len);
	cr_assert(status_has("state", "serving"));
	prov_reader_init(&rb, out + PROV_HEADER_SIZE, rh.body_len);
	cr_assert(status_has("version", PROV_VERSION));
	prov_reader_init(&rb, out + PROV_HEADER_SIZE, rh.body_len);
	cr_assert(!status_has("refused.1", NULL), "refusal details are for root on the private socket only");
}

/* Invariant 7: details of refused entries only for root on the private socket. */
Test(dispatch, status_private_root_sees_refusals)
{
	cr_assert_eq(ask(&root_private, PROV_OP_STATUS, NULL, 0), PROV_ST_OK);
	cr_assert(status_has("refused.1", "user toor: uid 0 is reserved (root)"));
	cr_assert_eq(ask(&root_public, PROV_OP_STATUS, NULL, 0), PROV_ST_OK);
	cr_assert(!status_has("refused.1", NULL), "root on the public socket");
	cr_assert_eq(ask(&user_private, PROV_OP_STATUS, NULL, 0), PROV_ST_OK);
	cr_assert(!status_has("refused.1", NULL), "non-root on the private socket");
}

Test(dispatch, status_body_must_be_empty)
{
	cr_assert_eq(ask_u32(&anyone, PROV_OP_STATUS, 1), PROV_ST_BAD_REQUEST);
}

Test(dispatch, malformed_bodies)
{
	uint8_t body[64];
	uint32_t len;

	cr_assert_eq(ask(&anyone, PROV_OP_PW_BY_NAME, NULL, 0), PROV_ST_BAD_REQUEST, "no body");
	cr_assert_eq(ask_str(&anyone, PROV_OP_PW_BY_NAME, ""), PROV_ST_BAD_REQUEST, "empty name");
	cr_assert_eq(ask_str(&anyone, PROV_OP_PW_BY_NAME, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), PROV_ST_BAD_REQUEST,
		     "33 bytes is over PROV_NAME_MAX");
	/* trailing bytes after the name */
	len = 5;
	memcpy(body, &len, 4);
	memcpy(body + 4, "alice", 5);
	body[9] = 'x';
	cr_assert_eq(ask(&anyone, PROV_OP_PW_BY_NAME, body, 10), PROV_ST_BAD_REQUEST);
	/* a length pointing past the body */
	len = 50;
	memcpy(body, &len, 4);
	cr_assert_eq(ask(&anyone, PROV_OP_GR_BY_NAME, body, 9), PROV_ST_BAD_REQUEST);
	/* a NUL inside the name */
	len = 5;
	memcpy(body, &len, 4);
	memcpy(body + 4, "al\0ce", 5);
	cr_assert_eq(ask(&anyone, PROV_OP_INITGROUPS, body, 9), PROV_ST_BAD_REQUEST);
	cr_assert_eq(ask(&anyone, PROV_OP_PW_BY_UID, body, 3), PROV_ST_BAD_REQUEST, "short u32");
	cr_assert_eq(ask(&anyone, PROV_OP_GR_BY_GID, body, 5), PROV_ST_BAD_REQUEST, "long u32");
	cr_assert_eq(ask(&anyone, PROV_OP_PW_ENUM, NULL, 0), PROV_ST_BAD_REQUEST, "no cursor");
	cr_assert_eq(ask(&anyone, PROV_OP_GR_ENUM, body, 8), PROV_ST_BAD_REQUEST);
}

Test(dispatch, unknown_opcodes_unsupported)
{
	cr_assert_eq(ask(&anyone, 0, NULL, 0), PROV_ST_UNSUPPORTED);
	cr_assert_eq(ask(&anyone, 15, NULL, 0), PROV_ST_UNSUPPORTED);
	cr_assert_eq(ask(&root_private, 200, NULL, 0), PROV_ST_UNSUPPORTED);
	cr_assert_eq(ask(&anyone, 65535, NULL, 0), PROV_ST_UNSUPPORTED);
	cr_assert_null(dispatch_find(9));
	cr_assert_not_null(dispatch_find(PROV_OP_PW_BY_NAME));
}

/* Invariant 7: every request registered as root-only is refused to anyone
 * who is not uid 0 on the private socket, before its handler runs. */
Test(dispatch, privileged_requests_denied)
{
	unsigned op, n_root = 0;

	for (op = 0; op < 256; op++) {
		const struct dispatch_entry *e = dispatch_find((uint16_t)op);
		uint64_t denied = st.stats.denied;

		if (!e || e->who != DISPATCH_ROOT)
			continue;
		n_root++;
		cr_assert_eq(ask(&anyone, (uint16_t)op, NULL, 0), PROV_ST_DENIED, "%s from uid 1000", e->name);
		cr_assert_eq(ask(&root_public, (uint16_t)op, NULL, 0), PROV_ST_DENIED, "%s on the public socket",
			     e->name);
		cr_assert_eq(ask(&user_private, (uint16_t)op, NULL, 0), PROV_ST_DENIED, "%s non-root private",
			     e->name);
		cr_assert_eq(st.stats.denied, denied + 3);
	}
	cr_log_info("%u root-only requests checked", n_root);
	/* Lookups are open to everyone. */
	cr_assert_eq(dispatch_find(PROV_OP_PW_BY_NAME)->who, DISPATCH_ANY);
	cr_assert_eq(dispatch_find(PROV_OP_STATUS)->who, DISPATCH_ANY);
}

Test(dispatch, counts_requests)
{
	uint64_t before = st.stats.requests;

	ask_str(&anyone, PROV_OP_PW_BY_NAME, "alice");
	ask(&anyone, 99, NULL, 0);
	cr_assert_eq(st.stats.requests, before + 2);
}

/* No directory loaded: lookups say UNAVAILABLE (NSS: UNAVAIL), but a
 * malformed request is still BAD_REQUEST and STATUS still answers. */
static void setup_empty(void)
{
	start(NULL);
}

TestSuite(dispatch_empty, .init = setup_empty, .fini = teardown);

Test(dispatch_empty, unavailable_without_directory)
{
	cr_assert_eq(ask_str(&anyone, PROV_OP_PW_BY_NAME, "alice"), PROV_ST_UNAVAILABLE);
	cr_assert_eq(ask_u32(&anyone, PROV_OP_PW_BY_UID, 20001), PROV_ST_UNAVAILABLE);
	cr_assert_eq(ask_str(&anyone, PROV_OP_GR_BY_NAME, "ops"), PROV_ST_UNAVAILABLE);
	cr_assert_eq(ask_u32(&anyone, PROV_OP_GR_BY_GID, 30001), PROV_ST_UNAVAILABLE);
	cr_assert_eq(ask_str(&anyone, PROV_OP_INITGROUPS, "alice"), PROV_ST_UNAVAILABLE);
	cr_assert_eq(ask_u32(&anyone, PROV_OP_PW_ENUM, 0), PROV_ST_UNAVAILABLE);
	cr_assert_eq(ask_u32(&anyone, PROV_OP_GR_ENUM, 0), PROV_ST_UNAVAILABLE);
	cr_assert_eq(ask(&anyone, PROV_OP_PW_BY_NAME, NULL, 0), PROV_ST_BAD_REQUEST);
	cr_assert_eq(ask(&anyone, PROV_OP_STATUS, NULL, 0), PROV_ST_OK);
	cr_assert(status_has("state", "unconfigured"), "no url: unconfigured (issue 10)");
	cr_assert_eq(ask(&anyone, PROV_OP_STATUS, NULL, 0), PROV_ST_OK);
	cr_assert(status_has("source", "none (set [directory] url)"));
	cr_assert_eq(dir_strv_push(&st.cfg.urls, "https://dir.example.com/d.json"), 0);
	cr_assert_eq(ask(&anyone, PROV_OP_STATUS, NULL, 0), PROV_ST_OK);
	cr_assert(status_has("state", "unavailable"), "a source, nothing loaded yet");
}

/* Issue 9 §6: groups too big for a 1 MiB body (40,000 members of 32 bytes:
 * 1.44 MB each) are answered whole, by name and by gid, and enumerated one
 * per page; a passwd page still stays under PROV_MAX_BODY. */
Test(dispatch, big_groups_answered_whole_and_enumerated_alone, .timeout = 120)
{
	uint32_t cursor = 0, n, total = 0, gid = 500001;
	struct prov_group_rec g;
	struct prov_str m;
	uint32_t seen = 0;

	restart_with(40000, 3, 40000);
	cr_assert_eq(ask_str(&anyone, PROV_OP_GR_BY_NAME, "group000000000000000000000000001"), PROV_ST_OK);
	cr_assert_gt(rh.body_len, PROV_MAX_BODY);
	cr_assert_eq(prov_get_group(&rb, &g), 0);
	cr_assert_eq(g.n_members, 40000);
	while (prov_group_next_member(&g, &m) == 0)
		seen++;
	cr_assert_eq(seen, 40000);
	cr_assert_eq(ask(&anyone, PROV_OP_GR_BY_GID, &gid, sizeof(gid)), PROV_ST_OK);
	cr_assert_eq(prov_get_group(&rb, &g), 0);
	cr_assert_eq(g.n_members, 40000);
	while (cursor != PROV_ENUM_END) {
		uint32_t next = enum_page(PROV_OP_GR_ENUM, cursor, &n), i;

		cr_assert_gt(n, 0, "a page always makes progress");
		for (i = 0; i < n; i++)
			cr_assert_eq(prov_get_group(&rb, &g), 0);
		if (rh.body_len > PROV_MAX_BODY)
			cr_assert_eq(n, 1, "a big group travels alone");
		total += n;
		cursor = next;
	}
	cr_assert_eq(total, 4, "3 groups and prov-sudo");
}

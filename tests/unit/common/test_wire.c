/* SPDX-License-Identifier: MIT */
/*
 * common/wire.c: round trips of every field and record, every limit at
 * exactly its value and one over, and every malformed frame refused
 * (DESIGN invariant 9: nothing the socket says can crash a consumer).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

TestSuite(wire);

/* A string of n copies of c, NUL-terminated, in a static buffer. */
static const char *rep_str(char c, size_t n)
{
	static char buf[PROV_GECOS_MAX + 64];

	cr_assert_lt(n, sizeof(buf));
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* Builds a body by hand: raw bytes appended, for malformed cases. */
struct raw {
	uint8_t b[4096];
	size_t n;
};

static void raw_u32(struct raw *r, uint32_t v)
{
	memcpy(r->b + r->n, &v, 4);
	r->n += 4;
}

static void raw_bytes(struct raw *r, const void *p, size_t n)
{
	memcpy(r->b + r->n, p, n);
	r->n += n;
}

static void raw_str(struct raw *r, const char *s)
{
	raw_u32(r, (uint32_t)strlen(s));
	raw_bytes(r, s, strlen(s));
}

/* ---- header ---- */

Test(wire, header_round_trip)
{
	uint8_t h[PROV_HEADER_SIZE];
	struct prov_header d;

	prov_header_encode(h, PROV_OP_GR_ENUM, PROV_ST_NOT_FOUND, 1234);
	cr_assert_eq(prov_header_decode(h, &d), 0);
	cr_expect_eq(d.version, PROV_PROTO_VERSION);
	cr_expect_eq(d.type, PROV_OP_GR_ENUM);
	cr_expect_eq(d.status, PROV_ST_NOT_FOUND);
	cr_expect_eq(d.body_len, 1234);
}

Test(wire, header_magic_is_PRV1)
{
	uint8_t h[PROV_HEADER_SIZE];

	prov_header_encode(h, 1, 0, 0);
	cr_expect_eq(memcmp(h, "PRV1", 4), 0);
}

Test(wire, header_body_len_at_limit_ok_and_one_over_refused)
{
	uint8_t h[PROV_HEADER_SIZE];
	struct prov_header d = { 0 };

	prov_header_encode(h, 1, 0, PROV_MAX_BODY);
	cr_expect_eq(prov_header_decode(h, &d), 0);
	cr_expect_eq(d.body_len, PROV_MAX_BODY);
	prov_header_encode(h, 1, 0, PROV_MAX_BODY + 1);
	memset(&d, 0xAA, sizeof(d));
	cr_expect_eq(prov_header_decode(h, &d), -EMSGSIZE);
	cr_expect_eq(d.type, 0xAAAA, "output written on failure");
	prov_header_encode(h, 1, 0, UINT32_MAX);
	cr_expect_eq(prov_header_decode(h, &d), -EMSGSIZE);
}

Test(wire, header_wrong_magic_refused)
{
	uint8_t h[PROV_HEADER_SIZE];
	struct prov_header d;

	for (int byte = 0; byte < 4; byte++) {
		prov_header_encode(h, 1, 0, 0);
		h[byte] ^= 0x20;
		cr_expect_eq(prov_header_decode(h, &d), -EPROTO, "byte %d", byte);
	}
}

Test(wire, header_wrong_version_refused)
{
	uint8_t h[PROV_HEADER_SIZE];
	struct prov_header d;
	uint16_t v;

	prov_header_encode(h, 1, 0, 0);
	for (v = 0; v < 8; v++) {
		if (v == PROV_PROTO_VERSION)
			continue;
		memcpy(h + 4, &v, 2);
		cr_expect_eq(prov_header_decode(h, &d), -EPROTO, "version %u", v);
	}
	v = UINT16_MAX;
	memcpy(h + 4, &v, 2);
	cr_expect_eq(prov_header_decode(h, &d), -EPROTO);
}

/* ---- writer ---- */

Test(wire, writer_builds_a_frame_with_header)
{
	uint8_t buf[64];
	struct prov_writer w;
	struct prov_header d;

	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	prov_put_u32(&w, 7);
	prov_put_str(&w, "abc", PROV_NAME_MAX);
	cr_assert_eq(prov_writer_finish(&w, PROV_OP_PW_BY_NAME, 0), 0);
	cr_assert_eq(w.len, PROV_HEADER_SIZE + 4 + 4 + 3);
	cr_assert_eq(prov_header_decode(buf, &d), 0);
	cr_expect_eq(d.type, PROV_OP_PW_BY_NAME);
	cr_expect_eq(d.body_len, 11);
}

Test(wire, writer_overflow_sticks)
{
	uint8_t buf[PROV_HEADER_SIZE + 6];
	struct prov_writer w;

	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	prov_put_u32(&w, 1);
	prov_put_u32(&w, 2); /* does not fit */
	cr_expect_eq(w.err, -EMSGSIZE);
	prov_put_bytes(&w, "", 0, 1); /* would fit, but the error sticks */
	cr_expect_eq(w.len, PROV_HEADER_SIZE + 4);
	cr_expect_eq(prov_writer_finish(&w, 1, 0), -EMSGSIZE);
}

Test(wire, writer_too_small_for_header)
{
	uint8_t buf[PROV_HEADER_SIZE - 1];
	struct prov_writer w;

	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	cr_expect_eq(prov_writer_finish(&w, 1, 0), -EMSGSIZE);
}

Test(wire, writer_refuses_string_over_limit_or_with_nul)
{
	uint8_t buf[256];
	struct prov_writer w;

	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	prov_put_str(&w, rep_str('a', PROV_NAME_MAX + 1), PROV_NAME_MAX);
	cr_expect_eq(w.err, -EINVAL);

	prov_writer_begin(&w);
	prov_put_bytes(&w, "a\0b", 3, PROV_NAME_MAX);
	cr_expect_eq(w.err, -EINVAL);

	prov_writer_begin(&w);
	prov_put_str(&w, NULL, PROV_NAME_MAX); /* NULL is the empty string */
	cr_expect_eq(w.err, 0);
	cr_expect_eq(w.len, PROV_HEADER_SIZE + 4);
}

/* ---- integers and strings ---- */

Test(wire, u32_u64_round_trip)
{
	uint8_t buf[64];
	struct prov_writer w;
	struct prov_reader r;
	const uint32_t u32s[] = { 0, 1, 65534, INT32_MAX, 0x80000000u, UINT32_MAX };
	const uint64_t u64s[] = { 0, UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_MAX };

	for (size_t i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++) {
		prov_writer_init(&w, buf, sizeof(buf));
		prov_put_u32(&w, u32s[i]);
		prov_reader_init(&r, buf, w.len);
		cr_expect_eq(prov_get_u32(&r), u32s[i]);
		cr_expect_eq(prov_reader_end(&r), 0);
	}
	for (size_t i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++) {
		prov_writer_init(&w, buf, sizeof(buf));
		prov_put_u64(&w, u64s[i]);
		cr_assert_eq(w.len, 8);
		prov_reader_init(&r, buf, w.len);
		cr_expect_eq(prov_get_u64(&r), u64s[i]);
		cr_expect_eq(prov_reader_end(&r), 0);
	}
}

Test(wire, short_integers_refused_and_error_sticks)
{
	uint8_t buf[7] = { 1, 2, 3, 4, 5, 6, 7 };
	struct prov_reader r;

	prov_reader_init(&r, buf, 3);
	cr_expect_eq(prov_get_u32(&r), 0);
	cr_expect_eq(r.err, -EBADMSG);
	prov_reader_init(&r, buf, 7);
	cr_expect_eq(prov_get_u64(&r), 0);
	cr_expect_eq(r.err, -EBADMSG);
	cr_expect_eq(prov_get_u32(&r), 0, "a later read must not succeed after an error");
	cr_expect_eq(prov_reader_end(&r), -EBADMSG);
}

Test(wire, string_at_limit_ok_one_over_refused)
{
	static const size_t limits[] = { PROV_NAME_MAX, PROV_GECOS_MAX, PROV_PATH_MAX };

	for (size_t i = 0; i < 3; i++) {
		size_t max = limits[i];
		struct raw b = { .n = 0 };
		struct prov_reader r;
		struct prov_str s;

		raw_str(&b, rep_str('q', max));
		prov_reader_init(&r, b.b, b.n);
		s = prov_get_str(&r, max);
		cr_expect_eq(r.err, 0);
		cr_expect_eq(s.len, max);
		cr_expect_eq(prov_reader_end(&r), 0);

		b.n = 0;
		raw_str(&b, rep_str('q', max + 1));
		prov_reader_init(&r, b.b, b.n);
		s = prov_get_str(&r, max);
		cr_expect_eq(r.err, -EBADMSG, "limit %zu + 1", max);
		cr_expect_eq(s.len, 0);
	}
}

Test(wire, empty_string_round_trip)
{
	struct raw b = { .n = 0 };
	struct prov_reader r;
	struct prov_str s;

	raw_str(&b, "");
	prov_reader_init(&r, b.b, b.n);
	s = prov_get_str(&r, PROV_NAME_MAX);
	cr_expect_eq(r.err, 0);
	cr_expect_eq(s.len, 0);
	cr_expect_eq(prov_reader_end(&r), 0);
}

Test(wire, string_length_pointing_outside_body_refused)
{
	const uint32_t lens[] = { 6, 7, 1000, 0x7fffffffu, UINT32_MAX };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct raw b = { .n = 0 };
		struct prov_reader r;

		raw_u32(&b, lens[i]);
		raw_bytes(&b, "abcde", 5);
		prov_reader_init(&r, b.b, b.n);
		prov_get_str(&r, UINT32_MAX);
		cr_expect_eq(r.err, -EBADMSG, "len %u", lens[i]);
	}
}

Test(wire, string_with_embedded_nul_refused)
{
	struct raw b = { .n = 0 };
	struct prov_reader r;

	raw_u32(&b, 5);
	raw_bytes(&b, "al\0ce", 5);
	prov_reader_init(&r, b.b, b.n);
	prov_get_str(&r, PROV_NAME_MAX);
	cr_expect_eq(r.err, -EBADMSG);

	b.n = 0;
	raw_u32(&b, 1);
	raw_bytes(&b, "\0", 1);
	prov_reader_init(&r, b.b, b.n);
	prov_get_str(&r, PROV_NAME_MAX);
	cr_expect_eq(r.err, -EBADMSG);
}

Test(wire, trailing_bytes_refused)
{
	struct raw b = { .n = 0 };
	struct prov_reader r;

	raw_u32(&b, 1);
	raw_bytes(&b, "x", 1);
	prov_reader_init(&r, b.b, b.n);
	cr_expect_eq(prov_get_u32(&r), 1);
	cr_expect_eq(r.err, 0);
	cr_expect_eq(prov_reader_end(&r), -EBADMSG);
}

Test(wire, empty_body_reader)
{
	struct prov_reader r;

	prov_reader_init(&r, NULL, 0);
	cr_expect_eq(prov_reader_end(&r), 0);
	prov_get_u32(&r);
	cr_expect_eq(r.err, -EBADMSG);
}

/* ---- records ---- */

Test(wire, passwd_round_trip)
{
	uint8_t buf[1024];
	struct prov_writer w;
	struct prov_reader r;
	struct prov_passwd_rec p;

	prov_writer_init(&w, buf, sizeof(buf));
	prov_put_passwd(&w, "alice", 20001, 20002, "Alice Liddell", "/home/alice", "/bin/bash");
	cr_assert_eq(w.err, 0);
	prov_reader_init(&r, buf, w.len);
	cr_assert_eq(prov_get_passwd(&r, &p), 0);
	cr_expect_eq(prov_reader_end(&r), 0);
	cr_expect(prov_str_eq(&p.name, "alice"));
	cr_expect_eq(p.uid, 20001);
	cr_expect_eq(p.gid, 20002);
	cr_expect(prov_str_eq(&p.gecos, "Alice Liddell"));
	cr_expect(prov_str_eq(&p.home, "/home/alice"));
	cr_expect(prov_str_eq(&p.shell, "/bin/bash"));
}

Test(wire, passwd_every_field_at_its_limit)
{
	char name[PROV_NAME_MAX + 1], gecos[PROV_GECOS_MAX + 1], home[PROV_PATH_MAX + 1];
	uint8_t buf[2048];
	struct prov_writer w;
	struct prov_reader r;
	struct prov_passwd_rec p;

	strcpy(name, rep_str('n', PROV_NAME_MAX));
	strcpy(gecos, rep_str('g', PROV_GECOS_MAX));
	strcpy(home, rep_str('h', PROV_PATH_MAX));
	prov_writer_init(&w, buf, sizeof(buf));
	prov_put_passwd(&w, name, 1, 2, gecos, home, home);
	cr_assert_eq(w.err, 0);
	prov_reader_init(&r, buf, w.len);
	cr_assert_eq(prov_get_passwd(&r, &p), 0);
	cr_expect_eq(p.name.len, PROV_NAME_MAX);
	cr_expect_eq(p.gecos.len, PROV_GECOS_MAX);
	cr_expect_eq(p.home.len, PROV_PATH_MAX);
	cr_expect_eq(p.shell.len, PROV_PATH_MAX);
}

Test(wire, passwd_field_one_over_its_limit_refused)
{
	/* name, gecos, home, shell: each in turn one byte too long */
	for (int f = 0; f < 4; f++) {
		struct raw b = { .n = 0 };
		struct prov_reader r;
		struct prov_passwd_rec p;

		raw_str(&b, f == 0 ? rep_str('n', PROV_NAME_MAX + 1) : "alice");
		raw_u32(&b, 1);
		raw_u32(&b, 2);
		raw_str(&b, f == 1 ? rep_str('g', PROV_GECOS_MAX + 1) : "");
		raw_str(&b, f == 2 ? rep_str('h', PROV_PATH_MAX + 1) : "/h");
		raw_str(&b, f == 3 ? rep_str('s', PROV_PATH_MAX + 1) : "/s");
		prov_reader_init(&r, b.b, b.n);
		cr_expect_eq(prov_get_passwd(&r, &p), -EBADMSG, "field %d", f);
	}
}

Test(wire, passwd_empty_name_refused)
{
	uint8_t buf[256];
	struct prov_writer w;
	struct prov_reader r;
	struct prov_passwd_rec p;

	prov_writer_init(&w, buf, sizeof(buf));
	prov_put_passwd(&w, "", 1, 2, "", "/h", "/s");
	prov_reader_init(&r, buf, w.len);
	cr_expect_eq(prov_get_passwd(&r, &p), -EBADMSG);
}

Test(wire, passwd_truncated_anywhere_refused)
{
	uint8_t buf[256];
	struct prov_writer w;
	struct prov_passwd_rec p;

	prov_writer_init(&w, buf, sizeof(buf));
	prov_put_passwd(&w, "alice", 1, 2, "A", "/home/alice", "/bin/sh");
	for (size_t n = 0; n < w.len; n++) {
		struct prov_reader r;

		prov_reader_init(&r, buf, n);
		cr_expect_lt(prov_get_passwd(&r, &p), 0, "cut at %zu", n);
	}
}

static size_t put_group(uint8_t *buf, size_t cap, const char *name, uint32_t gid,
			const char *const *members, uint32_t n)
{
	struct prov_writer w;

	prov_writer_init(&w, buf, cap);
	prov_put_str(&w, name, PROV_NAME_MAX);
	prov_put_u32(&w, gid);
	prov_put_u32(&w, n);
	for (uint32_t i = 0; i < n; i++)
		prov_put_str(&w, members[i], PROV_NAME_MAX);
	cr_assert_eq(w.err, 0);
	return w.len;
}

Test(wire, group_round_trip_with_members)
{
	const char *mem[] = { "alice", "bob", "carol" };
	uint8_t buf[256];
	size_t n = put_group(buf, sizeof(buf), "ops", 30002, mem, 3);
	struct prov_reader r;
	struct prov_group_rec g;
	struct prov_str m;

	prov_reader_init(&r, buf, n);
	cr_assert_eq(prov_get_group(&r, &g), 0);
	cr_expect_eq(prov_reader_end(&r), 0);
	cr_expect(prov_str_eq(&g.name, "ops"));
	cr_expect_eq(g.gid, 30002);
	cr_assert_eq(g.n_members, 3);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(prov_group_next_member(&g, &m), 0);
		cr_expect(prov_str_eq(&m, mem[i]));
	}
	cr_expect_eq(prov_group_next_member(&g, &m), -ENOENT);
	cr_expect_eq(prov_group_next_member(&g, &m), -ENOENT);
}

Test(wire, group_with_no_members)
{
	uint8_t buf[64];
	size_t n = put_group(buf, sizeof(buf), "empty", 30003, NULL, 0);
	struct prov_reader r;
	struct prov_group_rec g;
	struct prov_str m;

	prov_reader_init(&r, buf, n);
	cr_assert_eq(prov_get_group(&r, &g), 0);
	cr_expect_eq(g.n_members, 0);
	cr_expect_eq(prov_group_next_member(&g, &m), -ENOENT);
}

/* Two records back to back: the member walk of the first must stop at
 * its own end, not run into the second. */
Test(wire, group_member_walk_stops_at_record_end)
{
	const char *m1[] = { "alice" }, *m2[] = { "zed", "yan" };
	uint8_t buf[256];
	size_t n1 = put_group(buf, sizeof(buf), "one", 1001, m1, 1);
	size_t n2 = put_group(buf + n1, sizeof(buf) - n1, "two", 1002, m2, 2);
	struct prov_reader r;
	struct prov_group_rec g1, g2;
	struct prov_str m;

	prov_reader_init(&r, buf, n1 + n2);
	cr_assert_eq(prov_get_group(&r, &g1), 0);
	cr_assert_eq(prov_get_group(&r, &g2), 0);
	cr_expect_eq(prov_reader_end(&r), 0);
	cr_assert_eq(prov_group_next_member(&g1, &m), 0);
	cr_expect(prov_str_eq(&m, "alice"));
	cr_expect_eq(prov_group_next_member(&g1, &m), -ENOENT);
	cr_expect(prov_str_eq(&g2.name, "two"));
	cr_assert_eq(prov_group_next_member(&g2, &m), 0);
	cr_expect(prov_str_eq(&m, "zed"));
}

Test(wire, group_n_members_larger_than_present_refused)
{
	struct raw b = { .n = 0 };
	struct prov_reader r;
	struct prov_group_rec g;

	raw_str(&b, "ops");
	raw_u32(&b, 30002);
	raw_u32(&b, 3);
	raw_str(&b, "alice");
	raw_str(&b, "bob");
	prov_reader_init(&r, b.b, b.n);
	cr_expect_eq(prov_get_group(&r, &g), -EBADMSG);
}

Test(wire, group_n_members_over_limit_refused)
{
	struct raw b = { .n = 0 };
	struct prov_reader r;
	struct prov_group_rec g;

	raw_str(&b, "ops");
	raw_u32(&b, 30002);
	raw_u32(&b, PROV_GROUP_MEMBERS_MAX + 1);
	prov_reader_init(&r, b.b, b.n);
	cr_expect_eq(prov_get_group(&r, &g), -EBADMSG);

	b.n = 0;
	raw_str(&b, "ops");
	raw_u32(&b, 30002);
	raw_u32(&b, UINT32_MAX);
	prov_reader_init(&r, b.b, b.n);
	cr_expect_eq(prov_get_group(&r, &g), -EBADMSG);
}

Test(wire, group_with_exactly_max_members)
{
	size_t cap = 64 + (size_t)PROV_GROUP_MEMBERS_MAX * 12;
	uint8_t *buf = malloc(cap);
	struct prov_writer w;
	struct prov_reader r;
	struct prov_group_rec g;
	struct prov_str m;
	uint32_t i, seen = 0;
	char name[16];

	prov_writer_init(&w, buf, cap);
	prov_put_str(&w, "big", PROV_NAME_MAX);
	prov_put_u32(&w, 40000);
	prov_put_u32(&w, PROV_GROUP_MEMBERS_MAX);
	for (i = 0; i < PROV_GROUP_MEMBERS_MAX; i++) {
		snprintf(name, sizeof(name), "u%u", i);
		prov_put_str(&w, name, PROV_NAME_MAX);
	}
	cr_assert_eq(w.err, 0);
	prov_reader_init(&r, buf, w.len);
	cr_assert_eq(prov_get_group(&r, &g), 0);
	cr_expect_eq(prov_reader_end(&r), 0);
	while (prov_group_next_member(&g, &m) == 0)
		seen++;
	cr_expect_eq(seen, PROV_GROUP_MEMBERS_MAX);
	free(buf);
}

Test(wire, group_empty_name_or_empty_member_refused)
{
	struct raw b = { .n = 0 };
	struct prov_reader r;
	struct prov_group_rec g;

	raw_str(&b, "");
	raw_u32(&b, 30002);
	raw_u32(&b, 0);
	prov_reader_init(&r, b.b, b.n);
	cr_expect_eq(prov_get_group(&r, &g), -EBADMSG);

	b.n = 0;
	raw_str(&b, "ops");
	raw_u32(&b, 30002);
	raw_u32(&b, 2);
	raw_str(&b, "alice");
	raw_str(&b, "");
	prov_reader_init(&r, b.b, b.n);
	cr_expect_eq(prov_get_group(&r, &g), -EBADMSG);
}

Test(wire, group_member_with_nul_or_over_limit_refused)
{
	struct raw b = { .n = 0 };
	struct prov_reader r;
	struct prov_group_rec g;

	raw_str(&b, "ops");
	raw_u32(&b, 30002);
	raw_u32(&b, 1);
	raw_u32(&b, 3);
	raw_bytes(&b, "a\0b", 3);
	prov_reader_init(&r, b.b, b.n);
	cr_expect_eq(prov_get_group(&r, &g), -EBADMSG);

	b.n = 0;
	raw_str(&b, "ops");
	raw_u32(&b, 30002);
	raw_u32(&b, 1);
	raw_str(&b, rep_str('m', PROV_NAME_MAX + 1));
	prov_reader_init(&r, b.b, b.n);
	cr_expect_eq(prov_get_group(&r, &g), -EBADMSG);
}

Test(wire, group_truncated_anywhere_refused)
{
	const char *mem[] = { "alice", "bob" };
	uint8_t buf[256];
	size_t n = put_group(buf, sizeof(buf), "ops", 30002, mem, 2);
	struct prov_group_rec g;

	for (size_t cut = 0; cut < n; cut++) {
		struct prov_reader r;

		prov_reader_init(&r, buf, cut);
		cr_expect_lt(prov_get_group(&r, &g), 0, "cut at %zu", cut);
	}
}

/* ---- helpers ---- */

Test(wire, str_copy_exact_fit_and_one_short)
{
	struct prov_str s = { "alice", 5 };
	char out[6];

	memset(out, 'Z', sizeof(out));
	cr_expect_eq(prov_str_copy(&s, out, 5), -ERANGE);
	cr_expect_eq(out[0], 'Z', "nothing written on ERANGE");
	cr_expect_eq(prov_str_copy(&s, out, 0), -ERANGE);
	cr_expect_eq(prov_str_copy(&s, out, 6), 0);
	cr_expect_str_eq(out, "alice");
}

Test(wire, str_eq_compares_length_too)
{
	struct prov_str s = { "alicex", 5 };

	cr_expect(prov_str_eq(&s, "alice"));
	cr_expect_not(prov_str_eq(&s, "alicex"));
	cr_expect_not(prov_str_eq(&s, "alic"));
	cr_expect_not(prov_str_eq(&s, ""));
}

/* Issue 9 §6: only a group reply may pass PROV_MAX_BODY, never a request. */
Test(wire, big_body_only_for_group_replies)
{
	uint8_t h[PROV_HEADER_SIZE];
	struct prov_header d;

	prov_header_encode(h, PROV_OP_GR_BY_NAME, 0, PROV_MAX_BODY + 1);
	cr_expect_eq(prov_header_decode(h, &d), -EMSGSIZE, "as a request: too big");
	cr_expect_eq(prov_reply_header_decode(h, &d), 0);
	cr_expect_eq(d.body_len, PROV_MAX_BODY + 1);
	prov_header_encode(h, PROV_OP_GR_ENUM, 0, PROV_MAX_REPLY_BODY);
	cr_expect_eq(prov_reply_header_decode(h, &d), 0);
	prov_header_encode(h, PROV_OP_GR_BY_GID, 0, PROV_MAX_REPLY_BODY + 1);
	cr_expect_eq(prov_reply_header_decode(h, &d), -EMSGSIZE);
	prov_header_encode(h, PROV_OP_PW_BY_NAME, 0, PROV_MAX_BODY + 1);
	cr_expect_eq(prov_reply_header_decode(h, &d), -EMSGSIZE, "a passwd reply stays small");
	prov_header_encode(h, PROV_OP_STATUS, 0, PROV_MAX_BODY);
	cr_expect_eq(prov_reply_header_decode(h, &d), 0);
	/* The header's other checks still apply. */
	h[0] ^= 1;
	cr_expect_eq(prov_reply_header_decode(h, &d), -EPROTO);
}

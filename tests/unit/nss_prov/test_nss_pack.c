/* SPDX-License-Identifier: MIT */
/*
 * nss_prov/nss_pack.c: the two-pass packing into the caller's buffer. A
 * buffer one byte short must fail with ERANGE and leave every byte as it
 * was, so glibc's retry with a bigger buffer starts clean (DESIGN
 * invariant 9: "honours ERANGE").
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nss_prov.h"

TestSuite(nss_pack);

#define FILL 0xA5

static uint8_t wbuf[40 << 20]; /* a group of PROV_GROUP_MEMBERS_MAX members fits */

static struct prov_passwd_rec decode_passwd(const char *name, uint32_t uid, uint32_t gid,
					    const char *gecos, const char *home,
					    const char *shell)
{
	struct prov_writer w;
	struct prov_reader r;
	struct prov_passwd_rec p;

	prov_writer_init(&w, wbuf, sizeof(wbuf));
	prov_put_passwd(&w, name, uid, gid, gecos, home, shell);
	cr_assert_eq(w.err, 0);
	prov_reader_init(&r, wbuf, w.len);
	cr_assert_eq(prov_get_passwd(&r, &p), 0);
	return p;
}

static struct prov_group_rec decode_group(const char *name, uint32_t gid, uint32_t n,
					  const char *prefix)
{
	struct prov_writer w;
	struct prov_reader r;
	struct prov_group_rec g;
	char m[PROV_NAME_MAX + 1];

	prov_writer_init(&w, wbuf, sizeof(wbuf));
	prov_put_str(&w, name, PROV_NAME_MAX);
	prov_put_u32(&w, gid);
	prov_put_u32(&w, n);
	for (uint32_t i = 0; i < n; i++) {
		snprintf(m, sizeof(m), "%s%u", prefix, i);
		prov_put_str(&w, m, PROV_NAME_MAX);
	}
	cr_assert_eq(w.err, 0);
	prov_reader_init(&r, wbuf, w.len);
	cr_assert_eq(prov_get_group(&r, &g), 0);
	return g;
}

static bool all_fill(const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)buf[i] != FILL)
			return false;
	return true;
}

static bool in_buf(const char *p, const char *buf, size_t n)
{
	return p >= buf && p < buf + n;
}

/* "alice\0*\0Alice\0/home/alice\0/bin/bash\0" */
#define ALICE_SIZE (6 + 2 + 6 + 12 + 10)

Test(nss_pack, passwd_packs_every_field_into_the_buffer)
{
	struct prov_passwd_rec p = decode_passwd("alice", 20001, 20002, "Alice", "/home/alice",
						 "/bin/bash");
	char buf[256];
	struct passwd pw;

	cr_assert_eq(prov_pack_passwd(&p, &pw, buf, sizeof(buf)), 0);
	cr_expect_str_eq(pw.pw_name, "alice");
	cr_expect_str_eq(pw.pw_passwd, "*");
	cr_expect_eq(pw.pw_uid, 20001);
	cr_expect_eq(pw.pw_gid, 20002);
	cr_expect_str_eq(pw.pw_gecos, "Alice");
	cr_expect_str_eq(pw.pw_dir, "/home/alice");
	cr_expect_str_eq(pw.pw_shell, "/bin/bash");
	cr_expect(in_buf(pw.pw_name, buf, ALICE_SIZE));
	cr_expect(in_buf(pw.pw_passwd, buf, ALICE_SIZE));
	cr_expect(in_buf(pw.pw_shell, buf, ALICE_SIZE));
}

Test(nss_pack, passwd_exact_size_fits_one_less_is_erange_and_writes_nothing)
{
	struct prov_passwd_rec p = decode_passwd("alice", 20001, 20002, "Alice", "/home/alice",
						 "/bin/bash");
	char buf[ALICE_SIZE + 8];
	struct passwd pw, untouched;

	memset(&pw, 0x5A, sizeof(pw));
	untouched = pw;
	memset(buf, FILL, sizeof(buf));
	cr_assert_eq(prov_pack_passwd(&p, &pw, buf, ALICE_SIZE - 1), -ERANGE);
	cr_expect(all_fill(buf, sizeof(buf)), "buffer written on ERANGE");
	cr_expect_eq(memcmp(&pw, &untouched, sizeof(pw)), 0, "struct written on ERANGE");

	cr_assert_eq(prov_pack_passwd(&p, &pw, buf, ALICE_SIZE), 0);
	cr_expect(all_fill(buf + ALICE_SIZE, sizeof(buf) - ALICE_SIZE), "wrote past buflen");
	cr_expect_str_eq(pw.pw_shell, "/bin/bash");
}

Test(nss_pack, passwd_zero_buffer_is_erange)
{
	struct prov_passwd_rec p = decode_passwd("a", 1, 1, "", "/", "/");
	struct passwd pw;

	cr_expect_eq(prov_pack_passwd(&p, &pw, NULL, 0), -ERANGE);
}

Test(nss_pack, passwd_empty_fields_are_empty_strings)
{
	struct prov_passwd_rec p = decode_passwd("a", 1, 1, "", "", "");
	char buf[10];
	struct passwd pw;

	/* a\0 x\0 \0 \0 \0 = 7 */
	cr_expect_eq(prov_pack_passwd(&p, &pw, buf, 6), -ERANGE);
	cr_assert_eq(prov_pack_passwd(&p, &pw, buf, 7), 0);
	cr_expect_str_eq(pw.pw_gecos, "");
	cr_expect_str_eq(pw.pw_dir, "");
	cr_expect_str_eq(pw.pw_shell, "");
}

/* ---- group ---- */

/* Bytes a group needs when buf is already pointer-aligned. */
static size_t group_size(const char *name, uint32_t n, const char *prefix)
{
	char m[PROV_NAME_MAX + 1];
	size_t need = (n + 1) * sizeof(char *) + strlen(name) + 1 + 2;

	for (uint32_t i = 0; i < n; i++)
		need += (size_t)snprintf(m, sizeof(m), "%s%u", prefix, i) + 1;
	return need;
}

Test(nss_pack, group_packs_members_in_order)
{
	struct prov_group_rec g = decode_group("ops", 30002, 3, "user");
	alignas(char *) char buf[256];
	struct group gr;

	cr_assert_eq(prov_pack_group(&g, &gr, buf, sizeof(buf)), 0);
	cr_expect_str_eq(gr.gr_name, "ops");
	cr_expect_str_eq(gr.gr_passwd, "x");
	cr_expect_eq(gr.gr_gid, 30002);
	cr_expect_str_eq(gr.gr_mem[0], "user0");
	cr_expect_str_eq(gr.gr_mem[1], "user1");
	cr_expect_str_eq(gr.gr_mem[2], "user2");
	cr_expect_null(gr.gr_mem[3]);
	cr_expect(in_buf((char *)gr.gr_mem, buf, sizeof(buf)));
}

Test(nss_pack, group_without_members_has_empty_list)
{
	struct prov_group_rec g = decode_group("empty", 30003, 0, "");
	alignas(char *) char buf[64];
	struct group gr;

	cr_assert_eq(prov_pack_group(&g, &gr, buf, sizeof(buf)), 0);
	cr_assert_not_null(gr.gr_mem);
	cr_expect_null(gr.gr_mem[0]);
}

Test(nss_pack, group_exact_size_fits_one_less_is_erange_and_writes_nothing)
{
	struct prov_group_rec g = decode_group("ops", 30002, 5, "member");
	size_t need = group_size("ops", 5, "member");
	alignas(char *) char buf[512];
	struct group gr, untouched;

	memset(&gr, 0x5A, sizeof(gr));
	untouched = gr;
	memset(buf, FILL, sizeof(buf));
	cr_assert_eq(prov_pack_group(&g, &gr, buf, need - 1), -ERANGE);
	cr_expect(all_fill(buf, sizeof(buf)), "buffer written on ERANGE");
	cr_expect_eq(memcmp(&gr, &untouched, sizeof(gr)), 0, "struct written on ERANGE");

	cr_assert_eq(prov_pack_group(&g, &gr, buf, need), 0);
	cr_expect(all_fill(buf + need, sizeof(buf) - need), "wrote past buflen");
	cr_expect_str_eq(gr.gr_mem[4], "member4");
	cr_expect_null(gr.gr_mem[5]);
}

/* glibc hands out buffers at any address; the member array must still be
 * aligned for char *, and the padding counts against buflen. */
Test(nss_pack, group_member_array_is_aligned_at_every_offset)
{
	struct prov_group_rec g = decode_group("ops", 30002, 3, "m");
	size_t need = group_size("ops", 3, "m");
	alignas(char *) char base[512];

	for (size_t off = 0; off < sizeof(char *); off++) {
		char *buf = base + off;
		size_t pad = (sizeof(char *) - off) % sizeof(char *);
		struct group gr;

		memset(base, FILL, sizeof(base));
		cr_expect_eq(prov_pack_group(&g, &gr, buf, need + pad - 1), -ERANGE, "off %zu", off);
		cr_expect(all_fill(base, sizeof(base)));
		cr_assert_eq(prov_pack_group(&g, &gr, buf, need + pad), 0, "off %zu", off);
		cr_expect_eq((uintptr_t)gr.gr_mem % alignof(char *), 0, "off %zu", off);
		cr_expect(in_buf((char *)gr.gr_mem, buf, need + pad));
		cr_expect_str_eq(gr.gr_mem[2], "m2");
		cr_expect(all_fill(buf + need + pad, sizeof(base) - off - need - pad));
	}
}

Test(nss_pack, group_with_max_members)
{
	struct prov_group_rec g = decode_group("big", 40000, PROV_GROUP_MEMBERS_MAX, "user");
	size_t need = group_size("big", PROV_GROUP_MEMBERS_MAX, "user");
	char *buf = aligned_alloc(alignof(char *), need + 64);
	struct group gr;
	uint32_t i;

	cr_assert_eq(prov_pack_group(&g, &gr, buf, need - 1), -ERANGE);
	cr_assert_eq(prov_pack_group(&g, &gr, buf, need), 0);
	for (i = 0; gr.gr_mem[i]; i++)
		;
	cr_expect_eq(i, PROV_GROUP_MEMBERS_MAX);
	cr_expect_str_eq(gr.gr_mem[PROV_GROUP_MEMBERS_MAX - 1], "user2097151");
	free(buf);
}

/* ---- put: check + pack + status ---- */

Test(nss_pack, put_passwd_maps_erange_to_tryagain)
{
	struct prov_passwd_rec p = decode_passwd("alice", 20001, 20002, "Alice", "/home/alice",
						 "/bin/bash");
	char buf[ALICE_SIZE];
	struct passwd pw;
	int err = 0;

	cr_expect_eq(prov_nss_put_passwd(&p, &pw, buf, ALICE_SIZE - 1, &err), NSS_STATUS_TRYAGAIN);
	cr_expect_eq(err, ERANGE);
	err = 0;
	cr_expect_eq(prov_nss_put_passwd(&p, &pw, buf, ALICE_SIZE, &err), NSS_STATUS_SUCCESS);
	cr_expect_eq(err, 0, "errno touched on success");
}

Test(nss_pack, put_refuses_unsafe_records_as_unavail)
{
	struct prov_passwd_rec p = decode_passwd("alice", 0, 20002, "", "/h", "/s");
	struct prov_group_rec g = decode_group("wheel", 0, 0, "");
	alignas(char *) char buf[256];
	struct passwd pw;
	struct group gr;
	int err = 0;

	cr_expect_eq(prov_nss_put_passwd(&p, &pw, buf, sizeof(buf), &err), NSS_STATUS_UNAVAIL);
	cr_expect_eq(err, ENOENT);
	err = 0;
	cr_expect_eq(prov_nss_put_group(&g, &gr, buf, sizeof(buf), &err), NSS_STATUS_UNAVAIL);
	cr_expect_eq(err, ENOENT);
}

Test(nss_pack, put_group_maps_erange_to_tryagain)
{
	struct prov_group_rec g = decode_group("ops", 30002, 2, "u");
	size_t need = group_size("ops", 2, "u");
	alignas(char *) char buf[256];
	struct group gr;
	int err = 0;

	cr_expect_eq(prov_nss_put_group(&g, &gr, buf, need - 1, &err), NSS_STATUS_TRYAGAIN);
	cr_expect_eq(err, ERANGE);
	cr_expect_eq(prov_nss_put_group(&g, &gr, buf, need, &err), NSS_STATUS_SUCCESS);
}

/* A roomy buffer takes the members as one copy (their length words become
 * NULs); one just big enough, one at a time. Every size in between gives
 * the same answer and writes nothing past buflen. */
Test(nss_pack, group_every_size_from_exact_to_roomy_agrees)
{
	struct prov_group_rec g = decode_group("big", 30010, 40, "member");
	size_t need = group_size("big", 40, "member"), len;
	alignas(char *) char buf[2048];
	struct group gr;
	char m[16];
	unsigned i;

	cr_assert_lt(need + 4 * 40 + 16, sizeof(buf));
	for (len = need; len < need + 4 * 40 + 16; len++) {
		memset(buf, FILL, sizeof(buf));
		cr_assert_eq(prov_pack_group(&g, &gr, buf, len), 0, "len %zu", len);
		cr_expect(all_fill(buf + len, sizeof(buf) - len), "wrote past buflen %zu", len);
		cr_expect_str_eq(gr.gr_name, "big");
		cr_expect_str_eq(gr.gr_passwd, "x");
		for (i = 0; i < 40; i++) {
			snprintf(m, sizeof(m), "member%u", i);
			cr_assert_str_eq(gr.gr_mem[i], m, "len %zu member %u", len, i);
			cr_assert(in_buf(gr.gr_mem[i], buf, len));
		}
		cr_assert_null(gr.gr_mem[40]);
	}
}

/* A record whose member count disagrees with its members is refused in
 * both layouts, never packed past what it holds. */
Test(nss_pack, group_count_disagreeing_with_members_is_refused)
{
	struct prov_group_rec g = decode_group("ops", 30002, 3, "user");
	alignas(char *) char buf[512];
	struct group gr;

	size_t len;
	int r;

	for (g.n_members = 0; g.n_members < 6; g.n_members++) {
		if (g.n_members == 3)
			continue;
		for (len = 0; len <= sizeof(buf); len++) {
			r = prov_pack_group(&g, &gr, buf, len);
			cr_assert(r == -EINVAL || r == -ERANGE, "n %u len %zu: %d", g.n_members, len, r);
		}
		cr_expect_eq(prov_pack_group(&g, &gr, buf, sizeof(buf)), -EINVAL);
	}
}

/* With the member lengths given apart (the module's big groups), the
 * same answer at every size; lengths that disagree with the record are
 * refused, never followed past it. */
Test(nss_pack, group_with_lengths_apart_agrees_and_refuses_wrong_ones)
{
	struct prov_group_rec g = decode_group("big", 30010, 40, "member");
	size_t need = group_size("big", 40, "member"), len;
	alignas(char *) char buf[2048];
	uint8_t lens[40];
	struct group gr;
	char m[16];
	unsigned i;

	for (i = 0; i < 40; i++)
		lens[i] = (uint8_t)snprintf(m, sizeof(m), "member%u", i);
	for (len = need; len < need + 4 * 40 + 16; len++) {
		memset(buf, FILL, sizeof(buf));
		cr_assert_eq(prov_pack_group_lens(&g, lens, &gr, buf, len), 0, "len %zu", len);
		cr_expect(all_fill(buf + len, sizeof(buf) - len), "wrote past buflen %zu", len);
		for (i = 0; i < 40; i++) {
			snprintf(m, sizeof(m), "member%u", i);
			cr_assert_str_eq(gr.gr_mem[i], m, "len %zu member %u", len, i);
		}
		cr_assert_null(gr.gr_mem[40]);
	}
	lens[39]++;
	memset(buf, FILL, sizeof(buf));
	cr_expect_eq(prov_pack_group_lens(&g, lens, &gr, buf, sizeof(buf) - 64), -EINVAL, "past the record");
	cr_expect(all_fill(buf + sizeof(buf) - 64, 64));
	lens[39] -= 2;
	cr_expect_eq(prov_pack_group_lens(&g, lens, &gr, buf, sizeof(buf)), -EINVAL, "short of the record");
	lens[39]++;
	lens[0] = 255;
	cr_expect_eq(prov_pack_group_lens(&g, lens, &gr, buf, sizeof(buf)), -EINVAL);
}

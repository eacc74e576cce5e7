/* SPDX-License-Identifier: MIT */
/*
 * nss_prov/nss_check.c: the module's own refusal of records that provd
 * should never have sent (DESIGN invariants 1 and 2, defence in depth).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "nss_prov.h"

TestSuite(nss_check);

static struct prov_str S(const char *s)
{
	return (struct prov_str){ s, (uint32_t)strlen(s) };
}

static struct prov_passwd_rec good_passwd(void)
{
	return (struct prov_passwd_rec){ S("alice"), 20001, 20001, S("Alice Ä"), S("/home/alice"),
					 S("/bin/bash") };
}

Test(nss_check, invariant2_good_passwd_accepted)
{
	struct prov_passwd_rec p = good_passwd();

	cr_expect(prov_nss_passwd_ok(&p));
}

Test(nss_check, invariant1_uid_or_gid_0_and_minus_1_refused)
{
	struct prov_passwd_rec p = good_passwd();

	p.uid = 0;
	cr_expect_not(prov_nss_passwd_ok(&p));
	p = good_passwd();
	p.gid = 0;
	cr_expect_not(prov_nss_passwd_ok(&p));
	p = good_passwd();
	p.uid = UINT32_MAX;
	cr_expect_not(prov_nss_passwd_ok(&p));
	cr_expect_not(prov_nss_id_ok(0));
	cr_expect_not(prov_nss_id_ok(UINT32_MAX));
	cr_expect(prov_nss_id_ok(1));
	cr_expect(prov_nss_id_ok(UINT32_MAX - 1));
}

Test(nss_check, invariant2_colon_newline_control_in_any_field_refused)
{
	static const char *bad[] = { "a:b", "a\nb", "a\rb", "a\tb", "a\x1b[2Jb", "a\x7f", "\x01" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int f = 0; f < 4; f++) {
			struct prov_passwd_rec p = good_passwd();
			struct prov_str *field[] = { &p.name, &p.gecos, &p.home, &p.shell };

			*field[f] = S(bad[i]);
			cr_expect_not(prov_nss_passwd_ok(&p), "field %d value %zu", f, i);
		}
	}
}

Test(nss_check, invariant2_empty_name_or_comma_slash_in_name_refused)
{
	static const char *bad[] = { "", "a,b", "a/b" };

	for (size_t i = 0; i < 3; i++) {
		struct prov_passwd_rec p = good_passwd();

		p.name = S(bad[i]);
		cr_expect_not(prov_nss_passwd_ok(&p), "%zu", i);
	}
}

Test(nss_check, empty_gecos_home_shell_accepted)
{
	struct prov_passwd_rec p = good_passwd();

	p.gecos = S("");
	cr_expect(prov_nss_passwd_ok(&p));
}

static struct prov_group_rec group_of(const char *name, uint32_t gid, const char *m1,
				      const char *m2, uint8_t *buf, size_t cap)
{
	struct prov_writer w;
	struct prov_reader r;
	struct prov_group_rec g;
	uint32_t n = (m1 != NULL) + (m2 != NULL);

	prov_writer_init(&w, buf, cap);
	prov_put_str(&w, name, PROV_NAME_MAX);
	prov_put_u32(&w, gid);
	prov_put_u32(&w, n);
	if (m1)
		prov_put_str(&w, m1, PROV_NAME_MAX);
	if (m2)
		prov_put_str(&w, m2, PROV_NAME_MAX);
	cr_assert_eq(w.err, 0);
	prov_reader_init(&r, buf, w.len);
	cr_assert_eq(prov_get_group(&r, &g), 0);
	return g;
}

Test(nss_check, invariant2_group_checks_name_gid_and_every_member)
{
	uint8_t buf[256];
	struct prov_group_rec g;

	g = group_of("ops", 30002, "alice", "bob", buf, sizeof(buf));
	cr_expect(prov_nss_group_ok(&g));
	g = group_of("o:ps", 30002, "alice", "bob", buf, sizeof(buf));
	cr_expect_not(prov_nss_group_ok(&g));
	g = group_of("ops", 0, "alice", "bob", buf, sizeof(buf));
	cr_expect_not(prov_nss_group_ok(&g));
	g = group_of("ops", 30002, "alice", "b,ob", buf, sizeof(buf));
	cr_expect_not(prov_nss_group_ok(&g));
	g = group_of("ops", 30002, "al\nice", "bob", buf, sizeof(buf));
	cr_expect_not(prov_nss_group_ok(&g));
	g = group_of("ops", 30002, NULL, NULL, buf, sizeof(buf));
	cr_expect(prov_nss_group_ok(&g));
}

Test(nss_check, group_check_does_not_consume_the_member_walk)
{
	uint8_t buf[256];
	struct prov_group_rec g = group_of("ops", 30002, "alice", "bob", buf, sizeof(buf));
	struct prov_str m;

	cr_assert(prov_nss_group_ok(&g));
	cr_assert_eq(prov_group_next_member(&g, &m), 0);
	cr_expect(prov_str_eq(&m, "alice"));
}

/* Every byte value, in every field and in a name: exactly ':' , control
 * characters and DEL are refused anywhere, ',' and '/' in names only (the
 * checks are a table: this is the table's test). */
Test(nss_check, invariant2_every_byte_value_classified)
{
	unsigned c;

	for (c = 1; c < 256; c++) {
		bool bad_field = c == ':' || c < 0x20 || c == 0x7f;
		bool bad_name = bad_field || c == ',' || c == '/';
		char field[4] = { 'a', (char)c, 'b', '\0' };
		struct prov_passwd_rec p = good_passwd();

		p.gecos = S(field);
		cr_expect_eq(prov_nss_passwd_ok(&p), !bad_field, "gecos byte 0x%02x", c);
		p = good_passwd();
		p.shell = S(field);
		cr_expect_eq(prov_nss_passwd_ok(&p), !bad_field, "shell byte 0x%02x", c);
		p = good_passwd();
		p.name = S(field);
		cr_expect_eq(prov_nss_passwd_ok(&p), !bad_name, "name byte 0x%02x", c);
	}
}

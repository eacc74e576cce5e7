/* SPDX-License-Identifier: MIT */
/* nss_prov answering from the mapped snapshot: hits, authoritative misses,
 * initgroups and enumeration with no daemon at all, ERANGE, and a damaged
 * record sent to the socket instead. */
#include "mapread_fixture.h"

TestSuite(mapanswer, .init = setup, .fini = teardown);

Test(mapanswer, hits_and_misses_without_a_daemon)
{
	struct passwd pw;
	struct group gr;
	char buf[4096];
	int err = 0;

	publish(30, 4, 1);
	cr_assert_eq(pwnam("mu7", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	cr_assert_str_eq(pw.pw_name, "mu7");
	cr_assert_eq(pw.pw_uid, 40007);
	cr_assert_str_eq(pw.pw_gecos, "gen 1 user 7");
	cr_assert_str_eq(pw.pw_dir, "/home/mu7");
	cr_assert_str_eq(pw.pw_passwd, "*");
	cr_assert_eq(prov_map_getpwuid(src, NO_SOCKET, 40029, &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	cr_assert_str_eq(pw.pw_name, "mu29");
	cr_assert_eq(prov_map_getgrnam(src, NO_SOCKET, "mg2", &gr, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	cr_assert_eq(gr.gr_gid, 60002);
	cr_assert_str_eq(gr.gr_mem[0], "mu2");
	cr_assert_eq(prov_map_getgrgid(src, NO_SOCKET, 60003, &gr, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	cr_assert_str_eq(gr.gr_name, "mg3");
	/* Misses: authoritative, no socket needed (there is none). */
	err = 0;
	cr_assert_eq(pwnam("nobody-here", &pw, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND);
	cr_assert_eq(err, ENOENT);
	cr_assert_eq(prov_map_getpwuid(src, NO_SOCKET, 12345, &pw, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND);
	cr_assert_eq(prov_map_getgrnam(src, NO_SOCKET, "nogroup-here", &gr, buf, sizeof(buf), &err),
		     NSS_STATUS_NOTFOUND);
	cr_assert_eq(prov_map_getgrgid(src, NO_SOCKET, 12345, &gr, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND);
	cr_assert_eq(pwnam("localuser", &pw, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND, "local accounts win");
}

Test(mapanswer, initgroups_from_the_map)
{
	long int start = 1, size = 4;
	gid_t *groups = malloc(4 * sizeof(gid_t));
	int err = 0;

	publish(30, 4, 1);
	groups[0] = 40000; /* the primary, as glibc puts it first */
	cr_assert_eq(prov_map_initgroups(src, NO_SOCKET, "mu0", 40000, &start, &size, &groups, 0, &err),
		     NSS_STATUS_SUCCESS);
	/* mg0 (0 % 4) and the sudo group (mu0 holds the grant). */
	cr_assert_eq(start, 3);
	cr_assert_eq(groups[1], 60000);
	cr_assert_eq(groups[2], st.cfg.sudo_gid);
	start = 1;
	cr_assert_eq(prov_map_initgroups(src, NO_SOCKET, "stranger", 1, &start, &size, &groups, 0, &err),
		     NSS_STATUS_NOTFOUND);
	cr_assert_eq(start, 1);
	free(groups);
}

/* ERANGE: nothing written, glibc retries bigger and gets the entry. */
Test(mapanswer, erange_then_success)
{
	struct passwd pw;
	struct group gr;
	char small[8], buf[4096];
	int err = 0;

	publish(30, 4, 1);
	memset(small, 'Z', sizeof(small));
	cr_assert_eq(pwnam("mu7", &pw, small, sizeof(small), &err), NSS_STATUS_TRYAGAIN);
	cr_assert_eq(err, ERANGE);
	cr_assert_eq(small[0], 'Z', "nothing written on ERANGE");
	cr_assert_eq(prov_map_getgrnam(src, NO_SOCKET, "mg1", &gr, small, sizeof(small), &err), NSS_STATUS_TRYAGAIN);
	cr_assert_eq(err, ERANGE);
	cr_assert_eq(pwnam("mu7", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
}

static unsigned enum_all(struct prov_mapenum *e, unsigned gen_want, unsigned n, bool *ret_consistent)
{
	struct passwd pw;
	char buf[64];
	unsigned n0 = n;
	int err;
	enum nss_status s;
	char *big = malloc(4096);

	*ret_consistent = true;
	/* A small buffer first: every entry comes back after an ERANGE. */
	for (;;) {
		s = prov_mapenum_getpw(e, src, NO_SOCKET, &pw, buf, sizeof(buf), &err);
		if (s == NSS_STATUS_TRYAGAIN && err == ERANGE)
			s = prov_mapenum_getpw(e, src, NO_SOCKET, &pw, big, 4096, &err);
		if (s != NSS_STATUS_SUCCESS)
			break;
		{
			unsigned gen, idx;
			char want[16];

			if (sscanf(pw.pw_gecos, "gen %u user %u", &gen, &idx) != 2 || idx != n ||
			    (gen_want && gen != gen_want))
				*ret_consistent = false;
			if (gen_want == 0)
				gen_want = gen;
			snprintf(want, sizeof(want), "mu%u", n);
			if (strcmp(pw.pw_name, want) != 0)
				*ret_consistent = false;
		}
		n++;
	}
	free(big);
	cr_assert_eq(s, NSS_STATUS_NOTFOUND);
	return n - n0;
}

Test(mapanswer, enumeration_from_the_map)
{
	struct prov_mapenum e;
	struct group gr;
	char buf[8192];
	unsigned n = 0;
	bool ok;
	int err;

	publish(300, 4, 1);
	prov_mapenum_init(&e, PROV_OP_PW_ENUM);
	cr_assert_eq(enum_all(&e, 1, 0, &ok), 300);
	cr_assert(ok);
	prov_mapenum_reset(&e);
	prov_mapenum_init(&e, PROV_OP_GR_ENUM);
	while (prov_mapenum_getgr(&e, src, NO_SOCKET, &gr, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS)
		n++;
	cr_assert_eq(n, 5, "4 groups and the sudo group");
	prov_mapenum_reset(&e);
}

/* An enumeration keeps its generation to the end, even when provd
 * publishes a newer one half-way. */
Test(mapanswer, enumeration_keeps_its_generation)
{
	struct prov_mapenum e;
	struct passwd pw;
	char buf[4096];
	bool ok;
	int err;

	publish(40, 2, 1);
	prov_mapenum_init(&e, PROV_OP_PW_ENUM);
	cr_assert_eq(prov_mapenum_getpw(&e, src, NO_SOCKET, &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	publish(40, 2, 2);
	cr_assert_str_eq(pw.pw_name, "mu0");
	cr_assert_eq(enum_all(&e, 1, 1, &ok), 39);
	cr_assert(ok, "the rest from generation 1");
	prov_mapenum_reset(&e);
	prov_mapenum_init(&e, PROV_OP_PW_ENUM);
	cr_assert_eq(enum_all(&e, 2, 0, &ok), 40);
	cr_assert(ok, "a new walk takes the new generation");
	prov_mapenum_reset(&e);
}

/* A new generation is seen by the next lookup, through the superseded
 * word of the one mapped. */
/* A corrupt record: that lookup goes to the socket, the others still
 * come from the map. */
Test(mapanswer, damaged_record_falls_back)
{
	struct passwd pw;
	char buf[4096];
	uint8_t *p;
	size_t len;
	int err;
	FILE *f;

	publish(10, 2, 1);
	f = fopen(path, "r+");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	p = malloc(len);
	fseek(f, 0, SEEK_SET);
	cr_assert_eq(fread(p, 1, len, f), len);
	{
		uint8_t *at = memmem(p, len, "gen 1 user 4", 12);

		cr_assert_not_null(at);
		at[0] = 'G';
		fseek(f, at - p, SEEK_SET);
		fputc('G', f);
	}
	fclose(f);
	free(p);
	cr_assert_eq(pwnam("mu4", &pw, buf, sizeof(buf), &err), NSS_STATUS_UNAVAIL, "the socket was asked");
	cr_assert_eq(pwnam("mu5", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
}

static unsigned seen_count(void)
{
	struct prov_map *m = prov_map_current(src);
	size_t i, n;
	unsigned bits = 0;

	cr_assert_not_null(m);
	cr_assert_not_null(m->seen);
	n = prov_map_seen_words(&m->view);
	for (i = 0; i < n; i++)
		bits += (unsigned)__builtin_popcountll(m->seen[i]);
	return bits;
}

/* A record is checked whole the first time a mapping answers it, then
 * only copied; the marks live and die with the mapping (a new generation
 * starts with none), and a group's second answer is the same. */
Test(mapanswer, records_checked_once_per_mapping)
{
	struct passwd pw;
	struct group gr;
	char buf[4096];
	int err = 0, k;

	publish(30, 4, 1);
	cr_assert_eq(seen_count(), 0);
	for (k = 0; k < 2; k++) {
		cr_assert_eq(pwnam("mu7", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
		cr_assert_str_eq(pw.pw_gecos, "gen 1 user 7");
		cr_assert_eq(seen_count(), 1, "one mark, pass %d", k);
	}
	cr_assert_eq(prov_map_getpwuid(src, NO_SOCKET, 40007, &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	cr_assert_eq(seen_count(), 2, "each index slot has its own mark");
	for (k = 0; k < 2; k++) {
		cr_assert_eq(prov_map_getgrnam(src, NO_SOCKET, "mg1", &gr, buf, sizeof(buf), &err),
			     NSS_STATUS_SUCCESS);
		cr_assert_eq(gr.gr_gid, 60001);
		cr_assert_str_eq(gr.gr_mem[0], "mu1");
		cr_assert_str_eq(gr.gr_mem[1], "mu5");
	}
	cr_assert_eq(seen_count(), 3);
	/* A miss marks nothing. */
	cr_assert_eq(pwnam("nobody-here", &pw, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND);
	cr_assert_eq(seen_count(), 3);
	publish(30, 4, 2);
	cr_assert_eq(pwnam("mu7", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	cr_assert_str_eq(pw.pw_gecos, "gen 2 user 7");
	cr_assert_eq(seen_count(), 1, "the new mapping's own marks only");
}

/* A group of PROV_MAP_LENS_MIN members or more gets its member lengths
 * noted once per mapping; its answers with them are the same as without,
 * and a smaller group gets none. */
Test(mapanswer, big_group_lengths_noted_once)
{
	struct group gr;
	char *buf = malloc(16384);
	struct prov_map *m;
	int err = 0, k;
	unsigned i;

	publish(2 * PROV_MAP_LENS_MIN + 2, 2, 1);
	for (k = 0; k < 3; k++) {
		cr_assert_eq(prov_map_getgrnam(src, NO_SOCKET, "mg1", &gr, buf, 16384, &err), NSS_STATUS_SUCCESS);
		for (i = 0; i < PROV_MAP_LENS_MIN + 1; i++) {
			char want[16];

			snprintf(want, sizeof(want), "mu%u", 2 * i + 1);
			cr_assert_str_eq(gr.gr_mem[i], want, "pass %d member %u", k, i);
		}
		cr_assert_null(gr.gr_mem[PROV_MAP_LENS_MIN + 1]);
		m = prov_map_current(src);
		cr_assert_not_null(m->lens);
		cr_assert_null(m->lens->next, "noted once, pass %d", k);
		cr_assert_eq(m->lens->n, PROV_MAP_LENS_MIN + 1);
		cr_assert_eq(m->lens->len[0], 3);
		cr_assert_eq(m->lens->len[PROV_MAP_LENS_MIN], 5);
	}
	cr_assert_eq(prov_map_getgrgid(src, NO_SOCKET, 60001, &gr, buf, 16384, &err), NSS_STATUS_SUCCESS);
	cr_assert_null(prov_map_current(src)->lens->next, "the same record by gid");
	publish(30, 4, 2);
	cr_assert_eq(prov_map_getgrnam(src, NO_SOCKET, "mg1", &gr, buf, 16384, &err), NSS_STATUS_SUCCESS);
	cr_assert_null(prov_map_current(src)->lens, "a small group gets none");
	free(buf);
}

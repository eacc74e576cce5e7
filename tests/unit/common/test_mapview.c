/* SPDX-License-Identifier: MIT */
/* Reading a lookup snapshot's bytes: a real snapshot (built by provd's
 * writer) cut at every length, or with random bits flipped, is refused or
 * answered correctly, never read out of bounds (ASan runs these) and
 * never answered wrongly. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "map_fixture.h"
#include "mapview.h"

#define N_USERS 24
#define N_GROUPS 5

static struct prov_state st;
static char statedir[64];
static struct mapimg img;

static void setup(void)
{
	fixture_quiet_log();
	strcpy(statedir, "/tmp/prov-test-mapview-XXXXXX");
	cr_assert_not_null(mkdtemp(statedir));
	fixture_state(&st, statedir, NULL, 0);
	mf_apply(&st, N_USERS, N_GROUPS, 1);
	mf_image(&st, 1, &img);
}

static void teardown(void)
{
	mapimg_free(&img);
	state_free(&st);
	fixture_rm_rf(statedir);
}

TestSuite(mapview, .init = setup, .fini = teardown);

/* A copy in a buffer of exactly len bytes: ASan sees any read past it. */
static uint8_t *copy(const uint8_t *p, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);

	cr_assert_not_null(c);
	memcpy(c, p, len);
	return c;
}

static void reseal_header(uint8_t *b, size_t size)
{
	uint8_t h[PROV_MAP_HEADER_SIZE];
	uint64_t sz = size;
	uint32_t c;

	memcpy(b + PROV_MAPH_SIZE, &sz, 8);
	memcpy(h, b, sizeof(h));
	memset(h + PROV_MAPH_SUPERSEDED, 0, 8);
	c = prov_map_check(h, sizeof(h));
	memcpy(b + PROV_MAPH_CHECK, &c, 4);
}

static bool user_right(const struct prov_map_user *u, unsigned i)
{
	char name[16], gecos[40], home[24];

	snprintf(name, sizeof(name), "mu%u", i);
	snprintf(gecos, sizeof(gecos), "gen 1 user %u", i);
	snprintf(home, sizeof(home), "/home/mu%u", i);
	return prov_str_eq(&u->pw.name, name) && u->pw.uid == 40000 + i && u->pw.gid == 40000 + i &&
	       prov_str_eq(&u->pw.gecos, gecos) && prov_str_eq(&u->pw.home, home) && prov_str_eq(&u->pw.shell, "/bin/sh");
}

/* The pristine answers, to compare damaged ones with. */
static struct prov_map_user want_ig[N_USERS];

static bool ig_right(const struct prov_map_user *u, unsigned i)
{
	return u->ig_status == want_ig[i].ig_status && u->ig_len == want_ig[i].ig_len &&
	       memcmp(u->ig_body, want_ig[i].ig_body, u->ig_len) == 0;
}

static bool group_right(const struct prov_group_rec *g, unsigned j)
{
	struct prov_group_rec walk = *g;
	struct prov_str m;
	char name[16], mem[16];
	unsigned i, n = 0;

	snprintf(name, sizeof(name), "mg%u", j);
	if (!prov_str_eq(&g->name, name) || g->gid != 60000 + j)
		return false;
	for (i = 0; i < N_USERS; i++) {
		if (!(i % N_GROUPS == j || (i == 1 && j == 1)))
			continue;
		snprintf(mem, sizeof(mem), "mu%u", i);
		if (prov_group_next_member(&walk, &m) < 0 || !prov_str_eq(&m, mem))
			return false;
		n++;
	}
	return n == g->n_members && prov_group_next_member(&walk, &m) == -ENOENT;
}

/* Every lookup through the seen bits of a fresh mapping, twice: the first
 * pass checks each record whole and marks what passed (as the module does
 * after its own checks), the second trusts the marks. Both must answer
 * right or refuse: a damaged record is never marked, so never trusted.
 * Returns how many were refused in the second pass. */
static unsigned probe_seen(const struct prov_map_view *v)
{
	uint64_t *seen = calloc(prov_map_seen_words(v) + 1, sizeof(*seen));
	unsigned pass, i, refused = 0;

	cr_assert_not_null(seen);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < N_USERS + 2; i++) {
			struct prov_map_user u;
			struct prov_map_hit hit;
			char name[16];
			int r, k;

			snprintf(name, sizeof(name), "mu%u", i);
			for (k = 0; k < 2; k++) {
				r = k ? prov_map_lookup_seen(v, seen, PROV_MAP_PW_UID, NULL, 0, 40000 + i, &u, NULL, &hit)
				      : prov_map_lookup_seen(v, seen, PROV_MAP_PW_NAME, name, strlen(name), 0, &u, NULL,
							     &hit);
				if (i >= N_USERS) {
					cr_assert(r == -ENOENT || r == -EBADMSG, "absent %s: %d", name, r);
					continue;
				}
				if (r == 0) {
					cr_assert(user_right(&u, i), "%s answered wrongly (pass %u, seen %d)", name,
						  pass, hit.seen);
					cr_assert(pass == 1 || !hit.seen, "nothing is seen before it was marked");
					prov_map_mark_seen(v, seen, &hit);
				} else {
					cr_assert_eq(r, -EBADMSG, "present %s must never be a miss: %d", name, r);
				}
				refused += pass == 1 && r == -EBADMSG;
			}
		}
		for (i = 0; i < N_GROUPS + 2; i++) {
			struct prov_group_rec g;
			struct prov_map_hit hit;
			char name[16];
			int r, k;

			snprintf(name, sizeof(name), "mg%u", i);
			for (k = 0; k < 2; k++) {
				r = k ? prov_map_lookup_seen(v, seen, PROV_MAP_GR_GID, NULL, 0, 60000 + i, NULL, &g, &hit)
				      : prov_map_lookup_seen(v, seen, PROV_MAP_GR_NAME, name, strlen(name), 0, NULL, &g,
							     &hit);
				if (i >= N_GROUPS) {
					cr_assert(r == -ENOENT || r == -EBADMSG);
					continue;
				}
				if (r == 0) {
					cr_assert(group_right(&g, i), "%s answered wrongly (pass %u)", name, pass);
					prov_map_mark_seen(v, seen, &hit);
				} else {
					cr_assert_eq(r, -EBADMSG);
				}
			}
		}
	}
	cr_assert_eq(seen[prov_map_seen_words(v)], 0, "a mark beyond the array");
	free(seen);
	return refused;
}

/* Every lookup and walk on v: right answer, or -EBADMSG; returns how many
 * were refused. */
static unsigned probe_all(const struct prov_map_view *v, const uint8_t *pristine_base, const uint8_t *base)
{
	unsigned i, refused = 0;
	struct prov_map_user u;
	struct prov_group_rec g;
	uint32_t cursor = 0;
	int r;

	for (i = 0; i < N_USERS + 2; i++) {
		char name[16];

		snprintf(name, sizeof(name), "mu%u", i);
		r = prov_map_user_by_name(v, name, strlen(name), &u);
		if (i >= N_USERS)
			cr_assert(r == -ENOENT || r == -EBADMSG, "absent %s: %d", name, r);
		else if (r == 0) {
			cr_assert(user_right(&u, i), "%s answered wrongly", name);
			if (pristine_base)
				cr_assert(ig_right(&u, i), "%s: groups answered wrongly", name);
		} else
			cr_assert_eq(r, -EBADMSG, "present %s must never be a miss: %d", name, r);
		refused += r == -EBADMSG;
		r = prov_map_user_by_uid(v, 40000 + i, &u);
		if (i >= N_USERS)
			cr_assert(r == -ENOENT || r == -EBADMSG);
		else if (r == 0)
			cr_assert(user_right(&u, i), "uid %u answered wrongly", 40000 + i);
		else
			cr_assert_eq(r, -EBADMSG);
		refused += r == -EBADMSG;
	}
	for (i = 0; i < N_GROUPS + 2; i++) {
		char name[16];

		snprintf(name, sizeof(name), "mg%u", i);
		r = prov_map_group_by_name(v, name, strlen(name), &g);
		if (i >= N_GROUPS)
			cr_assert(r == -ENOENT || r == -EBADMSG);
		else if (r == 0)
			cr_assert(group_right(&g, i), "%s answered wrongly", name);
		else
			cr_assert_eq(r, -EBADMSG);
		r = prov_map_group_by_gid(v, 60000 + i, &g);
		if (i >= N_GROUPS)
			cr_assert(r == -ENOENT || r == -EBADMSG);
		else if (r == 0)
			cr_assert(group_right(&g, i));
		else
			cr_assert_eq(r, -EBADMSG);
	}
	/* A walk that checks whole is the right walk, also without checking
	 * each record again (as an enumeration hands them out). */
	if (prov_map_verify_users(v) == 0) {
		for (i = 0; prov_map_next_user(v, &cursor, &u) == 0; i++)
			cr_assert(i < N_USERS && user_right(&u, i), "entry %u", i);
		cr_assert_eq(i, N_USERS);
		cursor = 0;
		for (i = 0; prov_map_next_user_verified(v, &cursor, &u) == 0; i++)
			cr_assert(i < N_USERS && user_right(&u, i), "verified entry %u", i);
		cr_assert_eq(i, N_USERS);
	}
	cursor = 0;
	if (prov_map_verify_groups(v) == 0) {
		for (i = 0; prov_map_next_group(v, &cursor, &g) == 0; i++)
			if (i < N_GROUPS)
				cr_assert(group_right(&g, i), "group entry %u", i);
		cr_assert_eq(i, N_GROUPS + 1, "and the sudo group");
	}
	(void)prov_map_verify_all(v);
	(void)base;
	return refused + probe_seen(v);
}

static void learn_pristine(void)
{
	struct prov_map_view v;
	unsigned i;

	cr_assert_eq(prov_map_view_init(img.data, img.len, &v), 0);
	for (i = 0; i < N_USERS; i++) {
		char name[16];

		snprintf(name, sizeof(name), "mu%u", i);
		cr_assert_eq(prov_map_user_by_name(&v, name, strlen(name), &want_ig[i]), 0);
	}
}

Test(mapview, pristine)
{
	struct prov_map_view v;

	learn_pristine();
	cr_assert_eq(prov_map_view_init(img.data, img.len, &v), 0);
	cr_assert_eq(prov_map_verify_all(&v), 0);
	cr_assert_eq(probe_all(&v, img.data, img.data), 0, "nothing refused in a sound file");
}

/* Cut at every length: the header's size no longer matches, so it is
 * refused; and with the header rewritten to claim the shorter size (as
 * if written that way), whatever the bounds checks still let through
 * must be right. */
Test(mapview, every_truncation, .timeout = 120)
{
	size_t len;

	learn_pristine();
	for (len = 0; len < img.len; len++) {
		struct prov_map_view v;
		uint8_t *c = copy(img.data, len);

		cr_assert_neq(prov_map_view_init(c, len, &v), 0, "cut at %zu must be refused", len);
		if (len >= PROV_MAP_HEADER_SIZE) {
			reseal_header(c, len);
			if (prov_map_view_init(c, len, &v) == 0)
				probe_all(&v, img.data, c);
		}
		free(c);
	}
}

/* Random single and multiple bit flips anywhere (header, index, records). */
Test(mapview, random_bit_flips, .timeout = 120)
{
	unsigned trial, refused_files = 0, refused_lookups = 0;

	learn_pristine();
	srand(12345);
	for (trial = 0; trial < 4000; trial++) {
		struct prov_map_view v;
		uint8_t *c = copy(img.data, img.len);
		unsigned flips = trial % 4 + 1, k;

		for (k = 0; k < flips; k++) {
			size_t bit = (size_t)rand() % (img.len * 8);

			c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		if (prov_map_view_init(c, img.len, &v) == 0)
			refused_lookups += probe_all(&v, img.data, c);
		else
			refused_files++;
		free(c);
	}
	cr_log_info("bit flips: %u files refused, %u lookups refused", refused_files, refused_lookups);
	cr_assert_gt(refused_lookups, 0, "flips in records must be seen");
}

/* Flips in the header word by word: every one is refused (the superseded
 * word as -ESTALE). */
Test(mapview, header_flips_refused)
{
	size_t bit;

	for (bit = 0; bit < PROV_MAP_HEADER_SIZE * 8; bit++) {
		struct prov_map_view v;
		uint8_t *c = copy(img.data, img.len);
		int r;

		c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		r = prov_map_view_init(c, img.len, &v);
		if (bit / 8 >= PROV_MAPH_SUPERSEDED && bit / 8 < PROV_MAPH_SUPERSEDED + 4)
			cr_assert_eq(r, -ESTALE, "bit %zu", bit);
		else
			cr_assert_eq(r, -EBADMSG, "bit %zu", bit);
		free(c);
	}
}

/* Hostile values with a valid header check (someone who can compute it):
 * offsets past the end, slot counts that are not powers of two, a table
 * with no empty slot. */
Test(mapview, hostile_header_fields)
{
	static const struct {
		uint32_t at, value;
	} bad[] = {
		{ PROV_MAPH_USERS_END, 0xfffffff0u },
		{ PROV_MAPH_USERS_OFF, 4 },
		{ PROV_MAPH_GROUPS_OFF, 0xfffffff0u },
		{ PROV_MAPH_INDEX + 4, 3 },
		{ PROV_MAPH_INDEX + 4, 0 },
		{ PROV_MAPH_INDEX + 4, 1u << 31 },
		{ PROV_MAPH_INDEX, 0xffffff00u },
		{ PROV_MAPH_N_USERS, 0xffffffffu },
		{ PROV_MAPH_INDEX + 8 + 4, 1 }, /* fewer slots than users */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct prov_map_view v;
		uint8_t *c = copy(img.data, img.len);

		memcpy(c + bad[i].at, &bad[i].value, 4);
		reseal_header(c, img.len);
		cr_assert_eq(prov_map_view_init(c, img.len, &v), -EBADMSG, "case %zu", i);
		free(c);
	}
}

Test(mapview, stat_refusals)
{
	struct stat s = { 0 };

	s.st_mode = S_IFREG | 0644;
	s.st_uid = 0;
	s.st_size = 4096;
	cr_assert_null(prov_map_stat_refusal(&s, 0));
	s.st_uid = 1000;
	cr_assert_not_null(prov_map_stat_refusal(&s, 0), "not root's");
	s.st_uid = 0;
	s.st_mode = S_IFREG | 0664;
	cr_assert_not_null(prov_map_stat_refusal(&s, 0), "group-writable");
	s.st_mode = S_IFREG | 0646;
	cr_assert_not_null(prov_map_stat_refusal(&s, 0), "other-writable");
	s.st_mode = S_IFDIR | 0755;
	cr_assert_not_null(prov_map_stat_refusal(&s, 0));
	s.st_mode = S_IFREG | 0644;
	s.st_size = 10;
	cr_assert_not_null(prov_map_stat_refusal(&s, 0), "shorter than a header");
}

/* A mark lets the next lookup skip the record's check word and string
 * scan (that is the point), but never its bounds; marks are per slot. */
Test(mapview, seen_marks_trust_bytes_not_bounds)
{
	struct prov_map_view v;
	struct prov_map_user u;
	struct prov_map_hit hit, hit4;
	uint8_t *c = copy(img.data, img.len);
	uint64_t *seen;
	uint32_t off, off4;

	cr_assert_eq(prov_map_view_init(c, img.len, &v), 0);
	seen = calloc(prov_map_seen_words(&v), sizeof(*seen));
	cr_assert_not_null(seen);
	cr_assert_eq(prov_map_lookup_seen(&v, seen, PROV_MAP_PW_NAME, "mu3", 3, 0, &u, NULL, &hit), 0);
	cr_assert_not(hit.seen);
	off = (uint32_t)((const uint8_t *)u.pw.gecos.ptr - c);
	cr_assert_eq(prov_map_lookup_seen(&v, seen, PROV_MAP_PW_NAME, "mu4", 3, 0, &u, NULL, &hit4), 0);
	off4 = (uint32_t)((const uint8_t *)u.pw.gecos.ptr - c);
	prov_map_mark_seen(&v, seen, &hit);
	cr_assert_eq(prov_map_lookup_seen(&v, seen, PROV_MAP_PW_NAME, "mu3", 3, 0, &u, NULL, &hit), 0);
	cr_assert(hit.seen);
	cr_assert(user_right(&u, 3));

	/* The same byte changed in both records: the unmarked one is
	 * refused, the marked one is believed (a mapping's bytes do not
	 * change; the mark is what that saves). */
	c[off] ^= 0x01;
	c[off4] ^= 0x01;
	cr_assert_eq(prov_map_user_by_name(&v, "mu3", 3, &u), -EBADMSG, "no marks: checked");
	cr_assert_eq(prov_map_lookup_seen(&v, seen, PROV_MAP_PW_NAME, "mu4", 3, 0, &u, NULL, &hit4), -EBADMSG);
	cr_assert_eq(prov_map_lookup_seen(&v, seen, PROV_MAP_PW_NAME, "mu3", 3, 0, &u, NULL, &hit), 0);
	cr_assert(hit.seen);

	/* A gecos length running past the record: refused even when marked. */
	memset(c + off - 4, 0xff, 4);
	cr_assert_eq(prov_map_lookup_seen(&v, seen, PROV_MAP_PW_NAME, "mu3", 3, 0, &u, NULL, &hit), -EBADMSG);

	/* Out-of-range marks and mismatched keys are refused or ignored. */
	hit.slot = v.index[PROV_MAP_PW_NAME].n_slots;
	hit.seen = false;
	prov_map_mark_seen(&v, seen, &hit);
	cr_assert_eq(prov_map_lookup_seen(&v, seen, PROV_MAP_PW_UID, "mu3", 3, 0, &u, NULL, &hit), -EINVAL);
	cr_assert_eq(prov_map_lookup_seen(&v, seen, PROV_MAP_PW_NAME, NULL, 0, 40003, &u, NULL, &hit), -EINVAL);
	free(seen);
	free(c);
}

/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the lookup snapshot reader: an input is a whole
 * snapshot file (include/prov/mapfile.h). Whatever it holds, the header
 * check, every lookup (names and ids taken from the input itself, so hits
 * are reached, plus fixed misses), both walks, the whole-file verification
 * and the packing of whatever is found into a caller's buffer (the
 * nss_prov path) must not crash, read out of bounds or loop; and an entry
 * found must be the key asked for. The same lookups run twice more
 * through seen bits (the module's path: the first pass marks what passed
 * the module's checks, the second trusts the marks): the trusted decoding
 * must be as safe, and answer what the checked one did. The seed (corpus/mapread/) is a real
 * snapshot written by provd's writer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mapview.h"
#include "nss_prov.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		__builtin_trap();
}

static void pack_user(const struct prov_map_user *u)
{
	char buf[1024];
	struct passwd pw;
	int err;

	(void)prov_nss_put_passwd(&u->pw, &pw, buf, sizeof(buf), &err);
	(void)prov_nss_put_passwd(&u->pw, &pw, buf, 16, &err);
}

static void pack_group(const struct prov_group_rec *g)
{
	static char buf[1 << 16];
	struct group gr;
	int err;

	static uint8_t lens[4096];
	struct prov_group_rec walk = *g;
	struct prov_str m;
	uint32_t n = 0;

	(void)prov_nss_put_group(g, &gr, buf, sizeof(buf), &err);
	(void)prov_nss_put_group(g, &gr, buf + 1, 64, &err);
	/* The module's big-group copy: lengths apart, as the record says. */
	while (n < sizeof(lens) && prov_group_next_member(&walk, &m) == 0)
		lens[n++] = (uint8_t)m.len;
	if (n == g->n_members && prov_pack_group_lens(g, lens, &gr, buf, sizeof(buf)) == 0)
		check(n == 0 || strlen(gr.gr_mem[n - 1]) == lens[n - 1]);
}

/* Looks up what the walks found, by every key, and a few misses. */
static void lookups(const struct prov_map_view *v)
{
	struct prov_map_user u, f;
	struct prov_group_rec g, fg;
	uint32_t cursor = 0;
	int n = 0;

	while (n++ < 64 && prov_map_next_user(v, &cursor, &u) == 0) {
		pack_user(&u);
		if (prov_map_user_by_name(v, u.pw.name.ptr, u.pw.name.len, &f) == 0)
			check(f.pw.name.len == u.pw.name.len && memcmp(f.pw.name.ptr, u.pw.name.ptr, u.pw.name.len) == 0);
		if (prov_map_user_by_uid(v, u.pw.uid, &f) == 0)
			check(f.pw.uid == u.pw.uid);
	}
	cursor = 0;
	n = 0;
	while (n++ < 64 && prov_map_next_group(v, &cursor, &g) == 0) {
		pack_group(&g);
		if (prov_map_group_by_name(v, g.name.ptr, g.name.len, &fg) == 0)
			check(fg.name.len == g.name.len && memcmp(fg.name.ptr, g.name.ptr, g.name.len) == 0);
		if (prov_map_group_by_gid(v, g.gid, &fg) == 0)
			check(fg.gid == g.gid);
	}
	if (prov_map_user_by_name(v, "mu1", 3, &u) == 0)
		check(u.pw.name.len == 3 && memcmp(u.pw.name.ptr, "mu1", 3) == 0);
	(void)prov_map_user_by_uid(v, 40001, &u);
	(void)prov_map_group_by_name(v, "mg1", 3, &g);
	(void)prov_map_group_by_gid(v, 60001, &g);
	(void)prov_map_user_by_name(v, "no-such-user", 12, &u);
}

/* One key through the seen bits, twice: marked only after the module's
 * own checks pass, and the second (trusted) answer is the first one. */
static void seen_user(const struct prov_map_view *v, uint64_t *seen, enum prov_map_index idx,
		      const struct prov_map_user *key)
{
	const char *name = idx == PROV_MAP_PW_NAME ? key->pw.name.ptr : NULL;
	struct prov_map_user a, b;
	struct prov_map_hit hit;

	if (prov_map_lookup_seen(v, seen, idx, name, key->pw.name.len, key->pw.uid, &a, NULL, &hit) != 0)
		return;
	if (!hit.seen && prov_nss_passwd_ok(&a.pw))
		prov_map_mark_seen(v, seen, &hit);
	pack_user(&a);
	if (prov_map_lookup_seen(v, seen, idx, name, key->pw.name.len, key->pw.uid, &b, NULL, &hit) == 0) {
		check(b.pw.uid == a.pw.uid && b.pw.name.len == a.pw.name.len && b.pw.gecos.ptr == a.pw.gecos.ptr &&
		      b.pw.shell.len == a.pw.shell.len && b.ig_len == a.ig_len && b.ig_status == a.ig_status);
		pack_user(&b);
	}
}

static void seen_group(const struct prov_map_view *v, uint64_t *seen, enum prov_map_index idx,
		       const struct prov_group_rec *key)
{
	const char *name = idx == PROV_MAP_GR_NAME ? key->name.ptr : NULL;
	struct prov_group_rec a, b;
	struct prov_map_hit hit;

	if (prov_map_lookup_seen(v, seen, idx, name, key->name.len, key->gid, NULL, &a, &hit) != 0)
		return;
	if (!hit.seen && prov_nss_group_ok(&a))
		prov_map_mark_seen(v, seen, &hit);
	pack_group(&a);
	if (prov_map_lookup_seen(v, seen, idx, name, key->name.len, key->gid, NULL, &b, &hit) == 0) {
		check(b.gid == a.gid && b.n_members == a.n_members && b.members.off == a.members.off &&
		      b.members.len == a.members.len);
		pack_group(&b);
	}
}

static void seen_lookups(const struct prov_map_view *v)
{
	uint64_t *seen = calloc(prov_map_seen_words(v) + 1, sizeof(*seen));
	struct prov_map_user u;
	struct prov_group_rec g;
	uint32_t cursor = 0;
	int n = 0;

	if (!seen)
		return;
	while (n++ < 64 && prov_map_next_user(v, &cursor, &u) == 0) {
		seen_user(v, seen, PROV_MAP_PW_NAME, &u);
		seen_user(v, seen, PROV_MAP_PW_UID, &u);
	}
	cursor = 0;
	n = 0;
	while (n++ < 64 && prov_map_next_group(v, &cursor, &g) == 0) {
		seen_group(v, seen, PROV_MAP_GR_NAME, &g);
		seen_group(v, seen, PROV_MAP_GR_GID, &g);
	}
	free(seen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prov_map_view v;
	uint8_t *copy;

	/* A buffer of exactly size bytes, aligned as a mapping is. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (prov_map_view_init(copy, size, &v) == 0) {
		lookups(&v);
		seen_lookups(&v);
		(void)prov_map_verify_users(&v);
		(void)prov_map_verify_groups(&v);
		(void)prov_map_verify_all(&v);
	}
	free(copy);
	return 0;
}

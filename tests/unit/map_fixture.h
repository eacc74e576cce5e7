/* SPDX-License-Identifier: MIT */
/* Shared set-up for the lookup snapshot tests: a generated directory
 * document (users, groups with members, a sudo grant), a state serving
 * it, and snapshot images built by provd's own writer. */
#ifndef PROV_TEST_MAP_FIXTURE_H
#define PROV_TEST_MAP_FIXTURE_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/mapwrite.h"
#include "runtime_fixture.h"

struct mfbuf {
	char *p;
	size_t len, cap;
};

static inline void __attribute__((format(printf, 2, 3))) mf_printf(struct mfbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? room : 0, fmt, ap);
		va_end(ap);
		cr_assert_geq(n, 0);
		if (b->p && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap ? b->cap * 2 + (size_t)n : 4096 + (size_t)n;
		b->p = realloc(b->p, b->cap);
		cr_assert_not_null(b->p);
	}
}

/*
 * n_users users "mu<i>" (uid 40000+i, gid 40000+i, gecos "gen <gen>
 * user <i>", home /home/mu<i>), n_groups groups "mg<j>" (gid 60000+j) whose
 * members are every user with i % n_groups == j and, in generation gen,
 * user gen % n_users too; a sudo grant for mu0. The serial is gen.
 */
static inline char *mf_doc(unsigned n_users, unsigned n_groups, unsigned gen, size_t *ret_len)
{
	struct mfbuf b = { 0 };
	unsigned i, j;

	mf_printf(&b, "{\"prov_directory\": 1, \"serial\": %u, \"users\": [", gen);
	for (i = 0; i < n_users; i++)
		mf_printf(&b, "%s{\"name\": \"mu%u\", \"uid\": %u, \"gid\": %u, \"gecos\": \"gen %u user %u\", "
			      "\"home\": \"/home/mu%u\", \"shell\": \"/bin/sh\"}",
			  i ? "," : "", i, 40000 + i, 40000 + i, gen, i, i);
	mf_printf(&b, "], \"groups\": [");
	for (j = 0; j < n_groups; j++) {
		bool first = true;

		mf_printf(&b, "%s{\"name\": \"mg%u\", \"gid\": %u, \"members\": [", j ? "," : "", j, 60000 + j);
		for (i = 0; i < n_users; i++)
			if (i % n_groups == j || (i == gen % n_users && j == gen % n_groups)) {
				mf_printf(&b, "%s\"mu%u\"", first ? "" : ",", i);
				first = false;
			}
		mf_printf(&b, "]}");
	}
	mf_printf(&b, "], \"bindings\": [{\"name\": \"all-login\", \"users\": [");
	for (i = 0; i < n_users; i++)
		mf_printf(&b, "%s\"mu%u\"", i ? "," : "", i);
	mf_printf(&b, "], \"grants\": [\"login\"]}");
	if (n_users)
		mf_printf(&b, ", {\"name\": \"mu0-sudo\", \"users\": [\"mu0\"], \"grants\": [\"sudo\"]}");
	mf_printf(&b, "]}");
	*ret_len = b.len;
	return b.p;
}

static inline void mf_apply(struct prov_state *st, unsigned n_users, unsigned n_groups, unsigned gen)
{
	char err[512];
	size_t len;
	char *doc = mf_doc(n_users, n_groups, gen, &len);
	int r = state_apply_document(st, doc, len, "generated", APPLY_NO_CACHE, err, sizeof(err));

	cr_assert_eq(r, 0, "apply: %d %s", r, err);
	free(doc);
}

static inline void mf_image(struct prov_state *st, uint64_t generation, struct mapimg *ret)
{
	struct mapwrite_meta meta = { generation, 0x1234567890abcdefull, 1800000000 };
	int r = mapwrite_build(st, &meta, ret);

	cr_assert_eq(r, 0, "build: %d", r);
}

#endif

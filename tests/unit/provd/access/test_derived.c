/* SPDX-License-Identifier: MIT */
/*
 * The sudo group derived once per snapshot (provd/access/derived.c): the same
 * members decision.c gives for every user (it stays the source of truth),
 * computed once per applied directory and once more when the clock passes
 * a not_after it used, never per request (DESIGN invariant 12).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/decision.h"
#include "access/derived.h"
#include "loop/dispatch.h"
#include "access/login_handlers.h"
#include "runtime_fixture.h"

#define T1 1893456000 /* 2030-01-01T00:00:00Z */
#define T2 1893542400 /* 2030-01-02T00:00:00Z */
#define NUSERS 300
#define NGROUPS 10
#define NBINDINGS 24

static struct prov_state st;
static char dir[64];
static unsigned seed = 12345;

static unsigned rnd(unsigned n)
{
	seed = seed * 1103515245u + 12345u;
	return (seed >> 16) % n;
}

static const char *const hosts[] = { "", "\"web-*\"", "\"db-*\"", "\"web-1\", \"db-*\"" };
static const char *const expiry[] = { "", ", \"not_after\": \"2030-01-01T00:00:00Z\"",
				       ", \"not_after\": \"2030-01-02T00:00:00Z\"",
				       ", \"not_after\": \"2020-01-01T00:00:00Z\"" };
static const char *const grants[] = { "\"sudo\"", "\"login\"", "\"login\", \"sudo\"" };

/* Users u0.., some inactive, in groups g0.. (listed or primary); bindings
 * naming random users and groups, on random hosts, with random expiry. */
static char *make_doc(unsigned serial)
{
	size_t cap = 1 << 20, len = 0;
	char *d = malloc(cap);
	unsigned i, j;

	cr_assert_not_null(d);
#define P(...) (len += (size_t)snprintf(d + len, cap - len, __VA_ARGS__))
	P("{\"prov_directory\": 1, \"serial\": %u, \"users\": [", serial);
	for (i = 0; i < NUSERS; i++)
		P("%s{\"name\": \"u%u\", \"uid\": %u%s%s}", i ? "," : "", i, 20000 + i,
		  i % 7 == 0 ? ", \"gid\": 30004" : "", i % 13 == 0 ? ", \"active\": false" : "");
	P("], \"groups\": [");
	for (j = 0; j < NGROUPS; j++) {
		P("%s{\"name\": \"g%u\", \"gid\": %u, \"members\": [", j ? "," : "", j, 30000 + j);
		for (i = j; i < NUSERS; i += NGROUPS + j)
			P("%s\"u%u\"", i == j ? "" : ",", i);
		P("]}");
	}
	P("], \"bindings\": [");
	for (j = 0; j < NBINDINGS; j++) {
		unsigned h = rnd(4), k, nu = rnd(20), ng = rnd(3);

		P("%s{\"name\": \"b%u\", \"users\": [", j ? "," : "", j);
		for (k = 0; k < nu; k++)
			P("%s\"u%u\"", k ? "," : "", rnd(NUSERS + 5)); /* some unknown */
		P("], \"groups\": [");
		for (k = 0; k < ng; k++)
			P("%s\"g%u\"", k ? "," : "", rnd(NGROUPS + 1));
		P("], \"hosts\": [%s], \"grants\": [%s]%s}", hosts[h], grants[rnd(3)], expiry[rnd(4)]);
	}
	P("]}");
#undef P
	cr_assert_lt(len, cap - 1);
	return d;
}

static void apply(unsigned serial)
{
	char err[512], *doc = make_doc(serial);
	int r = state_apply_document(&st, doc, strlen(doc), "test", 0, err, sizeof(err));

	cr_assert_eq(r, 0, "%s", err);
	free(doc);
}

static void setup(void)
{
	fixture_quiet_log();
	strcpy(dir, "/tmp/prov-test-derived-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	fixture_state(&st, dir, NULL, 0);
	fixture_set(&st.cfg.host_name, "web-1");
	cr_assert_eq(dir_strv_push(&st.cfg.sudo_groups, "g3"), 0);
	apply(1);
}

static void teardown(void)
{
	state_free(&st);
	fixture_rm_rf(dir);
}

TestSuite(derived, .init = setup, .fini = teardown);

/* decision.c's answer, user by user, against the derived one. */
static void expect_same_as_decision(int64_t now)
{
	const struct derived_sudo *ds = derived_sudo(&st, now);
	struct dir_strv want = { NULL, 0 };
	struct decision_host host;
	size_t i;

	cr_assert_not_null(ds);
	login_host(&st.cfg, &host);
	cr_assert_eq(decision_sudo_members(st.dir, &host, NULL, now, &want), 0);
	cr_assert_eq(ds->n, want.n, "at %lld: %zu members, decision.c says %zu", (long long)now, ds->n, want.n);
	for (i = 0; i < want.n; i++)
		cr_assert_str_eq(st.dir->users[ds->idx[i]].name, want.v[i]);
	for (i = 0; i < st.dir->n_users; i++)
		cr_assert_eq(derived_sudo_has(ds, &st.dir->users[i]),
			     decision_user_has_sudo(st.dir, &host, NULL, &st.dir->users[i], now), "user %zu", i);
	dir_strv_free(&want);
}

Test(derived, same_members_as_decision_at_every_edge)
{
	static const int64_t at[] = { T1 - 86400, T1 - 1, T1, T1 + 1, T2 - 1, T2, T2 + 1 };
	size_t i, total = 0, changed = 0, prev;
	unsigned s;

	for (s = 2; s < 12; s++) {
		apply(s); /* another random directory */
		prev = SIZE_MAX;
		for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			expect_same_as_decision(at[i]);
			total += derived_sudo(&st, at[i])->n;
			changed += prev != SIZE_MAX && prev != derived_sudo(&st, at[i])->n;
			prev = derived_sudo(&st, at[i])->n;
		}
	}
	cr_assert_gt(total, 100, "the directories grant sudo to many");
	cr_assert_gt(changed, 3, "and expiry changes who");
}

Test(derived, invariant12_computed_once_per_snapshot_not_per_request)
{
	const struct derived_sudo *ds = derived_sudo(&st, T1 - 100);
	unsigned before, i;

	cr_assert_not_null(ds);
	before = ds->computations;
	for (i = 0; i < 1000; i++)
		ds = derived_sudo(&st, T1 - 100 + (int64_t)(i % 50));
	cr_assert_eq(ds->computations, before, "a request does not recompute");
	apply(99);
	ds = derived_sudo(&st, T1 - 100);
	cr_assert_eq(ds->computations, before + 1, "a new snapshot does, once");
	ds = derived_sudo(&st, T1 - 99);
	cr_assert_eq(ds->computations, before + 1);
}

Test(derived, invariant3_recomputed_once_when_a_not_after_passes)
{
	const struct derived_sudo *ds = derived_sudo(&st, T1 - 10);
	unsigned before = ds->computations;

	cr_assert_eq(ds->valid_until, T1, "the earliest not_after ahead");
	ds = derived_sudo(&st, T1 - 1);
	cr_assert_eq(ds->computations, before);
	ds = derived_sudo(&st, T1);
	cr_assert_eq(ds->computations, before + 1, "at the second it expires");
	cr_assert_eq(ds->valid_until, T2);
	ds = derived_sudo(&st, T1 + 5);
	cr_assert_eq(ds->computations, before + 1);
	ds = derived_sudo(&st, T1 - 5);
	cr_assert_eq(ds->computations, before + 2, "a clock stepped back recomputes");
}

Test(derived, reload_of_the_config_recomputes)
{
	const struct derived_sudo *ds = derived_sudo(&st, T1 - 10);
	unsigned before = ds->computations;

	st.generation++; /* what state_reload() does with a new sudo_groups */
	ds = derived_sudo(&st, T1 - 10);
	cr_assert_eq(ds->computations, before + 1);
}

Test(derived, no_directory)
{
	state_free(&st);
	fixture_state(&st, dir, NULL, 0);
	cr_assert_null(derived_sudo(&st, T1));
	cr_assert_not(derived_sudo_has(NULL, NULL));
}

/* --- per-user grants: decision.c over the user's own bindings only --- */

static void expect_same_decision(const struct decision *full, const struct decision *scoped, const char *user,
				 int64_t now)
{
	cr_assert_eq(scoped->decision, full->decision, "%s at %lld", user, (long long)now);
	cr_assert_eq(scoped->grants, full->grants, "%s at %lld", user, (long long)now);
	cr_assert_eq(scoped->login_binding, full->login_binding, "%s at %lld", user, (long long)now);
	cr_assert_eq(scoped->sudo_binding, full->sudo_binding, "%s at %lld", user, (long long)now);
	cr_assert_eq(scoped->user, full->user);
	cr_assert_str_eq(scoped->reason, full->reason);
}

/* Every user, every not_after edge, two hosts, random directories: the
 * narrowed decision is the full scan's, to the binding named. */
Test(derived, grants_scoped_decision_equals_full_scan_at_every_edge)
{
	static const int64_t at[] = { T1 - 86400, T1 - 1, T1, T1 + 1, T2 - 1, T2, T2 + 1 };
	static const char *const names[] = { "web-1", "db-2" };
	size_t i, k, h, allow = 0, expired = 0, nogrant = 0;
	char user[16];
	unsigned s;

	cr_assert_eq(dir_strv_push(&st.cfg.login_groups, "g5"), 0);
	for (s = 2; s < 12; s++) {
		apply(s);
		for (h = 0; h < 2; h++) {
			const struct derived_grants *dg;
			struct decision_host host;

			fixture_set(&st.cfg.host_name, names[h]);
			login_host(&st.cfg, &host);
			dg = derived_grants(&st);
			cr_assert_not_null(dg);
			for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
				for (k = 0; k < NUSERS + 2; k++) {
					struct decision_request req = { .user = user, .now = at[i] };
					struct decision full, scoped;
					struct decision_scope sc;
					const struct dir_user *u;

					snprintf(user, sizeof(user), "u%zu", k);
					u = directory_user_by_name(st.dir, user);
					decision_decide(st.dir, &host, NULL, &req, &full);
					if (!u) {
						cr_assert_eq(full.decision, PROV_DECIDE_UNKNOWN);
						cr_assert_eq(derived_grants_scope(dg, u, &sc), -ENOENT);
						continue;
					}
					cr_assert_eq(derived_grants_scope(dg, u, &sc), 0);
					decision_decide_scoped(st.dir, &host, NULL, &req, &sc, &scoped);
					expect_same_decision(&full, &scoped, user, at[i]);
					allow += full.decision == PROV_DECIDE_ALLOW;
					expired += full.decision == PROV_DECIDE_EXPIRED;
					nogrant += full.decision == PROV_DECIDE_NO_GRANT;
				}
			}
		}
	}
	cr_assert_gt(allow, 1000, "the directories grant logins");
	cr_assert_gt(expired, 100, "some expire");
	cr_assert_gt(nogrant, 1000, "and many have none");
}

#define BIG 5000

/* One binding naming 5,000 users, a few small ones. */
static void apply_big(void)
{
	size_t cap = 1 << 20, len = 0;
	char err[512], *d = malloc(cap);
	unsigned i;

	cr_assert_not_null(d);
#define P(...) (len += (size_t)snprintf(d + len, cap - len, __VA_ARGS__))
	P("{\"prov_directory\": 1, \"serial\": 500, \"users\": [");
	for (i = 0; i < BIG + 1; i++)
		P("%s{\"name\": \"u%u\", \"uid\": %u}", i ? "," : "", i, 20000 + i);
	P("], \"groups\": [{\"name\": \"ops\", \"gid\": 39000, \"members\": [\"u7\"]}],");
	P("\"bindings\": [{\"name\": \"all\", \"users\": [");
	for (i = 0; i < BIG; i++)
		P("%s\"u%u\"", i ? "," : "", i);
	P("], \"grants\": [\"login\"]}");
	for (i = 0; i < 8; i++)
		P(", {\"name\": \"small%u\", \"users\": [\"u%u\"], \"grants\": [\"sudo\"]}", i, i);
	P(", {\"name\": \"opsb\", \"groups\": [\"ops\"], \"grants\": [\"sudo\"],"
	  " \"not_after\": \"2030-01-01T00:00:00Z\"}]}");
#undef P
	cr_assert_lt(len, cap - 1);
	cr_assert_eq(state_apply_document(&st, d, len, "test", 0, err, sizeof(err)), 0, "%s", err);
	free(d);
}

/* Invariant 12 without a clock: what a check looks at is counted. */
Test(derived, invariant12_access_check_looks_at_the_users_own_bindings)
{
	struct dispatch_peer peer = { 0 };
	struct dispatch_ctx ctx = { .state = &st, .peer = &peer, .now = T1 - 10 };
	const struct derived_grants *dg;
	struct decision d;
	unsigned before, i;

	apply_big();
	cr_assert_eq(st.dir->n_bindings, 10, "%zu bindings, %zu users, %zu refused: %s", st.dir->n_bindings, st.dir->n_users, st.dir->n_refused, st.dir->n_refused ? st.dir->refused[0].reason : "");
	login_decide(&ctx, "u4999", "sshd", "", "", &d);
	cr_assert_eq(d.decision, PROV_DECIDE_ALLOW, "%s", d.reason);
	cr_assert_eq(d.examined, 1, "only \"all\" names u4999, not %zu bindings", d.examined);
	login_decide(&ctx, "u7", "sshd", "", "", &d);
	cr_assert_eq(d.grants, DIR_GRANT_LOGIN | DIR_GRANT_SUDO);
	cr_assert_str_eq(d.sudo_binding, "small7");
	cr_assert_eq(d.examined, 3, "all, small7, opsb (by group)");
	login_decide(&ctx, "u5000", "sshd", "", "", &d);
	cr_assert_eq(d.decision, PROV_DECIDE_NO_GRANT);
	cr_assert_eq(d.examined, 0);
	ctx.now = T1; /* opsb expires at that second, per request */
	login_decide(&ctx, "u7", "sshd", "", "", &d);
	cr_assert_str_eq(d.sudo_binding, "small7");
	dg = derived_grants(&st);
	before = dg->computations;
	for (i = 0; i < 1000; i++)
		login_decide(&ctx, "u4999", "sshd", "", "", &d);
	cr_assert_eq(derived_grants(&st)->computations, before, "computed once per snapshot, not per check");
	apply(777);
	cr_assert_eq(derived_grants(&st)->computations, before + 1, "a new snapshot recomputes, lazily");
}

Test(derived, grants_scope_refuses_a_user_of_another_snapshot)
{
	struct dir_user other = { 0 };
	struct decision_scope sc;

	cr_assert_eq(derived_grants_scope(derived_grants(&st), &other, &sc), -ENOENT);
	cr_assert_eq(derived_grants_scope(NULL, &st.dir->users[0], &sc), -ENOENT);
	state_free(&st);
	fixture_state(&st, dir, NULL, 0);
	cr_assert_null(derived_grants(&st));
}

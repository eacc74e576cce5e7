/* SPDX-License-Identifier: MIT */
/*
 * provd/admit/idledger.c: DESIGN invariant 14 (issue 8 §5). Every served uid/gid
 * is recorded for its identity, held for hold_s after the identity went,
 * persisted, and a bad file is ignored rather than trusted.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/docparse.h"
#include "admit/idledger.h"
#include "runtime_fixture.h"

static char dir[] = "/tmp/prov-idledger-XXXXXX";

static void setup(void)
{
	fixture_quiet_log();
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	fixture_rm_rf(dir);
}

TestSuite(idledger, .init = setup, .fini = teardown);

static struct directory *doc(const char *json)
{
	struct directory *d = NULL;
	char err[256];

	cr_assert_eq(docparse(json, strlen(json), &d, err, sizeof(err)), 0, "%s", err);
	return d;
}

static const struct idledger_entry *find(const struct idledger *l, char kind, uint32_t num)
{
	for (size_t i = 0; i < l->n; i++)
		if ((l->v[i].kind == DIR_KIND_USER) == (kind == 'u') && l->v[i].num == num)
			return &l->v[i];
	return NULL;
}

static void write_file(const char *text, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, IDLEDGER_FILE_NAME);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

#define TWO "{\"prov_directory\":1,\"serial\":1,\"users\":[{\"id\":\"a-1\",\"name\":\"alice\",\"uid\":20001}," \
	    "{\"id\":\"b-1\",\"name\":\"bob\",\"uid\":20002}],\"groups\":[{\"id\":\"g-1\",\"name\":\"ops\",\"gid\":30001}]}"
#define ONE "{\"prov_directory\":1,\"serial\":2,\"users\":[{\"id\":\"a-1\",\"name\":\"alice\",\"uid\":20001}]}"

Test(idledger, invariant14_gone_identity_holds_its_id_until_the_hold_ends_and_across_restarts)
{
	struct directory *two = doc(TWO), *one = doc(ONE);
	struct idledger *l = NULL, *again = NULL;
	struct prior_entry *held = NULL;
	size_t n_held = 0;

	cr_assert_eq(idledger_open(dir, &l), 0);
	cr_assert_eq(idledger_update(l, two, 1000, 3600), 0);
	cr_assert_eq(l->n, 3);
	cr_expect_eq(find(l, 'u', 20002)->gone_at, 0);
	cr_assert_eq(idledger_update(l, one, 2000, 3600), 0);
	cr_assert_not_null(find(l, 'u', 20002), "bob went: his uid is held");
	cr_expect_eq(find(l, 'u', 20002)->gone_at, 2000);
	cr_expect_str_eq(find(l, 'u', 20002)->id, "b-1");
	cr_expect_eq(find(l, 'g', 30001)->gone_at, 2000);
	cr_expect_eq(find(l, 'u', 20001)->gone_at, 0);

	/* A restart reads the same ledger back. */
	cr_assert_eq(idledger_open(dir, &again), 0);
	cr_assert_eq(again->n, 3);
	cr_expect_eq(find(again, 'u', 20002)->gone_at, 2000);
	cr_assert_eq(idledger_held(again, 2000 + 3599, 3600, &held, &n_held), 0);
	cr_expect_eq(n_held, 3, "still within the hold");
	prior_entries_free(held, n_held);
	held = NULL;
	n_held = 0;
	cr_assert_eq(idledger_held(again, 2000 + 3600, 3600, &held, &n_held), 0);
	cr_expect_eq(n_held, 1, "only alice, served, after the hold");
	prior_entries_free(held, n_held);

	/* The next update past the hold forgets bob and ops. */
	cr_assert_eq(idledger_update(l, one, 2000 + 3600, 3600), 0);
	cr_expect_eq(l->n, 1);
	cr_expect_null(find(l, 'u', 20002));
	idledger_free(again);
	idledger_free(l);
	directory_free(two);
	directory_free(one);
}

Test(idledger, invariant14_a_moved_id_keeps_the_old_one_held)
{
	struct directory *a = doc(ONE);
	struct directory *b = doc("{\"prov_directory\":1,\"serial\":2,\"users\":[{\"id\":\"a-1\",\"name\":\"alice\",\"uid\":20009}]}");
	struct idledger *l = NULL;

	cr_assert_eq(idledger_open(dir, &l), 0);
	cr_assert_eq(idledger_update(l, a, 1000, 3600), 0);
	cr_assert_eq(idledger_update(l, b, 1500, 3600), 0);
	cr_assert_eq(l->n, 2);
	cr_expect_eq(find(l, 'u', 20001)->gone_at, 1500);
	cr_expect_eq(find(l, 'u', 20009)->gone_at, 0);
	idledger_free(l);
	directory_free(a);
	directory_free(b);
}

Test(idledger, hostile_or_untrusted_file_is_ignored)
{
	static const char *const bad[] = {
		"u\t0\t0\troot\t/root\tx-1\n",            /* uid 0 */
		"u\t20001\t0\tbad:name\t/home/a\tx-1\n", /* name */
		"u\t20001\t0\talice\t/home/a\tx 1\n",    /* id with a space */
		"x\t20001\t0\talice\t/home/a\tx-1\n",    /* kind */
		"u\t20001\t0\talice\t/home/a\n",         /* field missing */
		"u\t20001\t0\talice\t/home/a\tx-1",      /* not terminated */
		"u\t99999999999\t0\talice\t-\tx-1\n",    /* out of range */
	};
	struct idledger *l = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(bad[i], 0600);
		cr_assert_eq(idledger_open(dir, &l), 0);
		cr_expect_eq(l->n, 0, "case %zu", i);
		idledger_free(l);
	}
	write_file("u\t20001\t5\talice\t/home/alice\ta-1\ng\t30001\t0\tops\t-\tg-1\n", 0666);
	cr_assert_eq(idledger_open(dir, &l), 0);
	cr_expect_eq(l->n, 0, "group/other-writable: not trusted");
	idledger_free(l);
	write_file("u\t20001\t5\talice\t/home/alice\ta-1\ng\t30001\t0\tops\t-\tg-1\n", 0600);
	cr_assert_eq(idledger_open(dir, &l), 0);
	cr_expect_eq(l->n, 2);
	cr_expect_null(find(l, 'g', 30001)->home);
	idledger_free(l);
}

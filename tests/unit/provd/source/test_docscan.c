/* SPDX-License-Identifier: MIT */
/*
 * provd/source/docscan.c, and the way docparse.c uses it: a big document is read
 * one entry at a time instead of as one json-c tree, and that must never
 * change what a document means. Every document is parsed both ways (the
 * escaped key "\u0075sers" means "users" to JSON but makes the scan give
 * up, forcing the plain way) and the two snapshots must be equal.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/docparse.h"
#include "source/docscan.h"

static const char *const keys[3] = { "users", "groups", "bindings" };

static char *range(const char *doc, const struct docscan_array *a, size_t i)
{
	return strndup(doc + a->start[i], a->end[i] - a->start[i]);
}

Test(docscan, splits_the_three_arrays_and_leaves_a_skeleton)
{
	static const char doc[] =
		" { \"prov_directory\": 1, \"users\" : [ {\"name\": \"a]}\\\"\"} ,{\"n\":[1,{\"x\":2}]}, null ],"
		" \"other\": {\"users\": [9]}, \"groups\": [], \"serial\": 2 } \n";
	struct docscan s;
	char *e;

	cr_assert_eq(docscan(doc, strlen(doc), keys, &s), 0);
	cr_assert(s.arrays[0].present);
	cr_assert_eq(s.arrays[0].n, 3);
	e = range(doc, &s.arrays[0], 0);
	cr_expect_str_eq(e, "{\"name\": \"a]}\\\"\"}");
	free(e);
	e = range(doc, &s.arrays[0], 1);
	cr_expect_str_eq(e, "{\"n\":[1,{\"x\":2}]}");
	free(e);
	e = range(doc, &s.arrays[0], 2);
	cr_expect_str_eq(e, "null");
	free(e);
	cr_expect(s.arrays[1].present, "an empty array is still there");
	cr_expect_eq(s.arrays[1].n, 0);
	cr_expect_not(s.arrays[2].present);
	cr_expect_str_eq(s.skeleton, " { \"prov_directory\": 1, \"users\" : [],"
				     " \"other\": {\"users\": [9]}, \"groups\": [], \"serial\": 2 } \n",
			 "only the top-level arrays are emptied");
	docscan_free(&s);
}

Test(docscan, gives_up_on_what_it_does_not_plainly_understand)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"users\": [1,]}",                    /* trailing comma */
		"{\"users\": [{} {}]}",                 /* missing comma */
		"{\"users\": [{}], \"users\": []}",     /* the key twice */
		"{\"\\u0075sers\": [{}]}",              /* an escaped top-level key */
		"{\"users\": [{}]} x",                  /* trailing data */
		"{\"users\": [{\"a\": \"unterminated}]}",
		"{\"users\": [{}]",                     /* cut short */
		"{\"users\": [}]}",
		"{\"a\" 1}",
		"{\"a\": 1,}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct docscan s;

		cr_expect_eq(docscan(bad[i], strlen(bad[i]), keys, &s), -EINVAL, "accepted: %s", bad[i]);
	}
}

static bool strv_eq(const struct dir_strv *a, const struct dir_strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

#define S(x) ((x) ? (x) : "(null)")

static void expect_same(const struct directory *a, const struct directory *b)
{
	cr_assert_eq(a->serial, b->serial);
	cr_assert_eq(a->not_after, b->not_after);
	cr_assert_eq(a->n_users, b->n_users);
	cr_assert_eq(a->n_groups, b->n_groups);
	cr_assert_eq(a->n_bindings, b->n_bindings);
	cr_assert_eq(a->n_refused, b->n_refused);
	for (size_t i = 0; i < a->n_users; i++) {
		const struct dir_user *x = &a->users[i], *y = &b->users[i];

		cr_expect_str_eq(S(x->id), S(y->id));
		cr_expect_str_eq(S(x->name), S(y->name));
		cr_expect_eq(x->uid, y->uid);
		cr_expect_eq(x->gid, y->gid);
		cr_expect_str_eq(S(x->gecos), S(y->gecos));
		cr_expect_str_eq(S(x->home), S(y->home));
		cr_expect_str_eq(S(x->shell), S(y->shell));
		cr_expect_eq(x->active, y->active);
		cr_expect(strv_eq(&x->ssh_keys, &y->ssh_keys));
	}
	for (size_t i = 0; i < a->n_groups; i++) {
		cr_expect_str_eq(S(a->groups[i].name), S(b->groups[i].name));
		cr_expect_eq(a->groups[i].gid, b->groups[i].gid);
		cr_expect(strv_eq(&a->groups[i].members, &b->groups[i].members));
	}
	for (size_t i = 0; i < a->n_bindings; i++) {
		cr_expect_str_eq(S(a->bindings[i].name), S(b->bindings[i].name));
		cr_expect_eq(a->bindings[i].grants, b->bindings[i].grants);
		cr_expect(strv_eq(&a->bindings[i].hosts, &b->bindings[i].hosts));
	}
	for (size_t i = 0; i < a->n_refused; i++) {
		cr_expect_str_eq(S(a->refused[i].name), S(b->refused[i].name));
		cr_expect_str_eq(S(a->refused[i].reason), S(b->refused[i].reason));
	}
}

/* Parses doc, and doc with "users" spelt with an escape (the plain way);
 * both must succeed or fail alike, with the same result. */
static void both_ways(const char *doc)
{
	const char *k = strstr(doc, "\"users\"");
	struct directory *a = NULL, *b = NULL;
	char ea[256] = "", eb[256] = "", *esc;
	int ra, rb;

	cr_assert_not_null(k);
	cr_assert_gt(asprintf(&esc, "%.*s\"\\u0075sers\"%s", (int)(k - doc), doc, k + 7), 0);
	ra = docparse(doc, strlen(doc), &a, ea, sizeof(ea));
	rb = docparse(esc, strlen(esc), &b, eb, sizeof(eb));
	cr_assert_eq(ra, rb, "%s: %d (%s) vs %d (%s)", doc, ra, ea, rb, eb);
	if (ra == 0)
		expect_same(a, b);
	directory_free(a);
	directory_free(b);
	free(esc);
}

/* The same, and the first way really was the lean one. */
static void both_ways_lean(const char *doc)
{
	struct directory *d = NULL;

	cr_assert_eq(docparse_pieces(doc, strlen(doc), &d), 0, "not read in pieces: %s", doc);
	directory_free(d);
	both_ways(doc);
}

Test(docscan, pieces_mean_what_the_whole_means)
{
	both_ways_lean("{\"prov_directory\": 1, \"serial\": 7, \"not_after\": \"2030-01-01T00:00:00Z\", \"users\": ["
		  "{\"id\": \"u1\", \"name\": \"alice\", \"uid\": 20001, \"gid\": 20001, \"gecos\": \"A \\u00e9\","
		  " \"home\": \"/home/alice\", \"shell\": \"/bin/sh\", \"ssh_keys\": [\"ssh-ed25519 AAAA a\"]},"
		  "{\"name\": \"bob\", \"uid\": \"20002\"}, [1], {\"name\": \"carol\", \"uid\": 20003,"
		  " \"active\": false, \"unknown\": {\"deep\": [[[]]]}}],"
		  " \"groups\": [{\"name\": \"ops\", \"gid\": 30001, \"members\": [\"alice\", 3]}],"
		  " \"bindings\": [{\"name\": \"b\", \"groups\": [\"ops\"], \"grants\": [\"login\", \"sudo\"],"
		  " \"hosts\": [\"web-*\"]}], \"extra\": {\"users\": []}}");
	both_ways_lean("{\"users\": [], \"prov_directory\": 1, \"serial\": 1}");
	/* A bare number or literal needs what follows it to end (json-c):
	 * read the plain way, with the same result. */
	both_ways("{\"prov_directory\": 1, \"serial\": 1, \"users\": [5, {\"name\": \"x\", \"uid\": 20001}]}");
	both_ways("{\"prov_directory\": 1, \"serial\": 1, \"users\": [null, true, {\"name\": \"x\", \"uid\": 20001}]}");
	both_ways("{\"prov_directory\": 1, \"serial\": 1, \"users\": {\"not\": \"an array\"}}");
	both_ways("{\"prov_directory\": 2, \"serial\": 1, \"users\": []}");
	both_ways("{\"prov_directory\": 1, \"users\": [{\"name\": \"x\", \"uid\": 20001}]}");
	both_ways("{\"prov_directory\": 1, \"serial\": 1, \"users\": [{\"name\": \"x\", \"uid\": 2000.5}]}");
	both_ways("{\"prov_directory\": 1, \"serial\": 1, \"users\": [{\"name\": \"x\" \"uid\": 1}]}");
	both_ways("{\"prov_directory\": 1, \"serial\": 1, \"users\": [{\"a\": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}]}");
	both_ways("{\"prov_directory\": 1, \"serial\": 1, \"users\": [{\"a\": [[[[[[[[[[[[[1]]]]]]]]]]]]]}]}");
}

Test(docscan, a_big_document_parses_in_pieces)
{
	/* 20,000 users: the same snapshot both ways, the lean way first. */
	size_t cap = 20000 * 160 + 256, len = 0;
	char *doc = malloc(cap);

	cr_assert_not_null(doc);
	len += (size_t)snprintf(doc + len, cap - len, "{\"prov_directory\": 1, \"serial\": 9, \"users\": [");
	for (int i = 0; i < 20000; i++)
		len += (size_t)snprintf(doc + len, cap - len,
					"%s{\"id\": \"u%d\", \"name\": \"user%05d\", \"uid\": %d, \"gecos\": \"User %d\"}",
					i ? "," : "", i, i, 100000 + i, i);
	snprintf(doc + len, cap - len, "]}");
	both_ways_lean(doc);
	free(doc);
}

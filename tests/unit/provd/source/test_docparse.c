/* SPDX-License-Identifier: MIT */
/*
 * provd/source/docparse.c: format v1 into a raw snapshot. Whole-document errors
 * fail the document (-EBADMSG, a one-line reason); an entry of the wrong
 * shape is refused and skipped while its neighbours are still read.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/docparse.h"

static char *slurp(const char *rel, size_t *ret_len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, rel);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "fixture %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert_geq(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*ret_len = (size_t)n;
	return buf;
}

static struct directory *parse_fixture(const char *rel)
{
	struct directory *d = NULL;
	char err[256] = "";
	size_t len;
	char *buf = slurp(rel, &len);
	int r = docparse(buf, len, &d, err, sizeof(err));

	free(buf);
	cr_assert_eq(r, 0, "%s: %s", rel, err);
	return d;
}

/* Parses rel expecting failure; returns the reason. */
static void expect_bad_document(const char *rel, const char *reason_part)
{
	struct directory *d = NULL;
	char err[256] = "";
	size_t len;
	char *buf = slurp(rel, &len);
	int r = docparse(buf, len, &d, err, sizeof(err));

	free(buf);
	cr_expect_eq(r, -EBADMSG, "%s: r=%d", rel, r);
	cr_expect_null(d, "%s: nothing returned", rel);
	cr_expect(strstr(err, reason_part) != NULL, "%s: reason \"%s\" lacks \"%s\"", rel, err, reason_part);
	cr_expect_null(strchr(err, '\n'), "%s: reason is one line", rel);
	directory_free(d);
}

static const struct dir_user *user_named(const struct directory *d, const char *name)
{
	for (size_t i = 0; i < d->n_users; i++)
		if (strcmp(d->users[i].name, name) == 0)
			return &d->users[i];
	return NULL;
}

static const struct dir_group *group_named(const struct directory *d, const char *name)
{
	for (size_t i = 0; i < d->n_groups; i++)
		if (strcmp(d->groups[i].name, name) == 0)
			return &d->groups[i];
	return NULL;
}

static const struct dir_binding *binding_named(const struct directory *d, const char *name)
{
	for (size_t i = 0; i < d->n_bindings; i++)
		if (strcmp(d->bindings[i].name, name) == 0)
			return &d->bindings[i];
	return NULL;
}

/* The refusal filed under name, checked to contain reason_part. */
static void expect_refused(const struct directory *d, enum dir_entry_kind kind, const char *name,
			   const char *reason_part)
{
	for (size_t i = 0; i < d->n_refused; i++) {
		const struct dir_refusal *r = &d->refused[i];

		if (r->kind != kind || strcmp(r->name, name) != 0)
			continue;
		cr_expect(strstr(r->reason, reason_part) != NULL, "%s: reason \"%s\" lacks \"%s\"", name, r->reason,
			  reason_part);
		cr_expect_not(r->corrected);
		return;
	}
	cr_expect_fail("no refusal for %s (wanted \"%s\")", name, reason_part);
}

Test(docparse, good_document_all_fields)
{
	struct directory *d = parse_fixture("docs/good.json");
	const struct dir_user *u;
	const struct dir_group *g;
	const struct dir_binding *b;

	cr_expect_eq(d->serial, 18446744073709551614ull);
	cr_expect_eq(d->generated, 1795609800); /* 2026-11-25T12:30:00Z, fraction dropped */
	cr_expect_eq(d->not_after, 2082758400); /* 2036-01-01T00:00:00Z (+01:00 applied) */
	cr_expect_eq(d->n_refused, 0);
	cr_assert_eq(d->n_users, 4);
	cr_assert_eq(d->n_groups, 4);
	cr_assert_eq(d->n_bindings, 3);

	u = user_named(d, "alice");
	cr_assert_not_null(u);
	cr_expect_str_eq(u->id, "u-alice");
	cr_expect_eq(u->uid, 20001);
	cr_expect_eq(u->gid, 20001);
	cr_expect_str_eq(u->gecos, "Alice Liddell,,,");
	cr_expect_str_eq(u->home, "/home/alice");
	cr_expect_str_eq(u->shell, "/bin/bash");
	cr_expect(u->active);
	cr_assert_eq(u->ssh_keys.n, 1);
	cr_expect(strncmp(u->ssh_keys.v[0], "ssh-ed25519 ", 12) == 0);

	/* Defaults: id = name, gid = uid, active; absent text stays NULL for
	 * admission to fill in (it needs to know what was given). */
	u = user_named(d, "bob");
	cr_assert_not_null(u);
	cr_expect_str_eq(u->id, "bob");
	cr_expect_eq(u->gid, 20002);
	cr_expect(u->active);
	cr_expect_null(u->gecos);
	cr_expect_null(u->home);
	cr_expect_null(u->shell);
	cr_expect_eq(u->ssh_keys.n, 0);
	cr_expect_not(user_named(d, "carol")->active);
	u = user_named(d, "dave");
	cr_expect_null(u->home, "null means absent");

	g = group_named(d, "developers");
	cr_assert_not_null(g);
	cr_expect_str_eq(g->id, "developers");
	cr_assert_eq(g->members.n, 3);
	cr_expect_str_eq(g->members.v[2], "dave");
	cr_expect_eq(group_named(d, "empty")->members.n, 0);

	b = binding_named(d, "ops-admin");
	cr_assert_not_null(b);
	cr_expect_eq(b->grants, DIR_GRANT_LOGIN | DIR_GRANT_SUDO);
	cr_expect_eq(b->not_after, 1796083200); /* 2026-12-01T00:00:00Z */
	cr_expect_eq(b->labels.n, 2);
	cr_expect_str_eq(b->users.v[0], "bob");
	b = binding_named(d, "developers-login");
	cr_expect_eq(b->grants, DIR_GRANT_LOGIN);
	cr_expect_eq(b->not_after, 0);
	cr_expect_eq(b->hosts.n, 2);
	cr_expect_eq(binding_named(d, "nothing")->grants, 0);
	directory_free(d);
}

Test(docparse, entry_shape_errors_are_refused_and_skipped)
{
	struct directory *d = parse_fixture("docs/shapes.json");

	/* The good entries next to the bad ones are still there. */
	cr_expect_not_null(user_named(d, "good1"));
	cr_expect_not_null(user_named(d, "good2"));
	cr_expect_eq(d->n_users, 3, "good1, good2 and \"\" (for admission): %zu", d->n_users);
	cr_expect_not_null(group_named(d, "g-good"));
	cr_expect_eq(d->n_groups, 1);
	cr_expect_not_null(binding_named(d, "b-good"));
	cr_expect_eq(d->n_bindings, 1);

	expect_refused(d, DIR_KIND_USER, "uidstring", "\"uid\" must be an integer, not a string");
	expect_refused(d, DIR_KIND_USER, "uidfloat", "\"uid\" must be an integer, not a fraction");
	expect_refused(d, DIR_KIND_USER, "uidfloat0", "\"uid\" must be an integer, not a fraction");
	expect_refused(d, DIR_KIND_USER, "uidexp", "\"uid\" must be an integer");
	expect_refused(d, DIR_KIND_USER, "uidneg", "\"uid\" is negative");
	expect_refused(d, DIR_KIND_USER, "uidbig", "\"uid\" is above 4294967295");
	expect_refused(d, DIR_KIND_USER, "uidhuge", "\"uid\" is above 4294967295");
	expect_refused(d, DIR_KIND_USER, "uidbool", "\"uid\" must be an integer, not a boolean");
	expect_refused(d, DIR_KIND_USER, "uidnull", "\"uid\" is missing");
	expect_refused(d, DIR_KIND_USER, "nouid", "\"uid\" is missing");
	expect_refused(d, DIR_KIND_USER, "#11", "\"name\" is missing");
	expect_refused(d, DIR_KIND_USER, "#12", "\"name\" must be a string, not an integer");
	expect_refused(d, DIR_KIND_USER, "gidstring", "\"gid\" must be an integer, not a string");
	expect_refused(d, DIR_KIND_USER, "gecosnum", "\"gecos\" must be a string, not an integer");
	expect_refused(d, DIR_KIND_USER, "activestr", "\"active\" must be true or false, not a string");
	expect_refused(d, DIR_KIND_USER, "keysstr", "\"ssh_keys\" must be an array of strings, not a string");
	expect_refused(d, DIR_KIND_USER, "keysnum", "\"ssh_keys\"[1] must be a string, not an integer");
	expect_refused(d, DIR_KIND_USER, "#19", "\"name\" contains a NUL byte");
	expect_refused(d, DIR_KIND_USER, "gecosnul", "\"gecos\" contains a NUL byte");
	expect_refused(d, DIR_KIND_USER, "#21", "users[21] must be an object, not a string");
	expect_refused(d, DIR_KIND_USER, "#22", "users[22] must be an object, not an array");
	expect_refused(d, DIR_KIND_USER, "#23", "users[23] must be an object, not null");

	expect_refused(d, DIR_KIND_GROUP, "g-nogid", "\"gid\" is missing");
	expect_refused(d, DIR_KIND_GROUP, "g-gidstr", "\"gid\" must be an integer, not a string");
	expect_refused(d, DIR_KIND_GROUP, "g-members-str", "\"members\" must be an array of strings");
	expect_refused(d, DIR_KIND_GROUP, "g-members-obj", "\"members\"[0] must be a string, not an object");
	expect_refused(d, DIR_KIND_GROUP, "#5", "\"name\" is missing");

	expect_refused(d, DIR_KIND_BINDING, "b-unknown-grant", "unknown grant \"root\"");
	expect_refused(d, DIR_KIND_BINDING, "b-no-grants", "\"grants\" is missing");
	expect_refused(d, DIR_KIND_BINDING, "b-grants-str", "\"grants\" must be an array of strings");
	expect_refused(d, DIR_KIND_BINDING, "b-bad-time", "\"not_after\" is not an RFC 3339 time");
	expect_refused(d, DIR_KIND_BINDING, "b-date-only", "\"not_after\" is not an RFC 3339 time");
	expect_refused(d, DIR_KIND_BINDING, "b-time-num", "\"not_after\" must be a string, not an integer");
	expect_refused(d, DIR_KIND_BINDING, "b-hosts-num", "\"hosts\"[0] must be a string");
	expect_refused(d, DIR_KIND_BINDING, "#8", "\"name\" is missing");
	directory_free(d);
}

Test(docparse, empty_name_is_kept_for_admission)
{
	/* "" is a string: its shape is right, so it is admission's to refuse
	 * (validate_name), not the parser's. */
	struct directory *d = parse_fixture("docs/shapes.json");

	cr_expect_not_null(user_named(d, ""));
	directory_free(d);
}

Test(docparse, whole_document_errors)
{
	expect_bad_document("docs/whole/empty.json", "empty document");
	expect_bad_document("docs/whole/whitespace.json", "empty document");
	expect_bad_document("docs/whole/not_object.json", "line 1, column 1: the document is not a JSON object");
	expect_bad_document("docs/whole/string.json", "not a JSON object");
	expect_bad_document("docs/whole/wrong_version.json", "unsupported format version 2");
	expect_bad_document("docs/whole/version_string.json", "\"prov_directory\" must be an integer, not a string");
	expect_bad_document("docs/whole/missing_version.json", "\"prov_directory\" is missing");
	expect_bad_document("docs/whole/missing_serial.json", "\"serial\" is missing");
	expect_bad_document("docs/whole/negative_serial.json", "\"serial\" is negative");
	expect_bad_document("docs/whole/float_serial.json", "\"serial\" must be an integer, not a fraction");
	expect_bad_document("docs/whole/overflow_serial.json", "\"serial\" is above 18446744073709551614");
	expect_bad_document("docs/whole/users_not_array.json", "\"users\" must be an array, not an object");
	expect_bad_document("docs/whole/groups_not_array.json", "\"groups\" must be an array, not a string");
	expect_bad_document("docs/whole/bindings_not_array.json", "\"bindings\" must be an array, not an integer");
	expect_bad_document("docs/whole/bad_not_after.json", "\"not_after\" is not an RFC 3339 time");
	expect_bad_document("docs/whole/generated_1969.json", "\"generated\" is not an RFC 3339 time after 1970");
	expect_bad_document("docs/whole/truncated.json", "truncated document");
	expect_bad_document("docs/whole/trailing_object.json", "line 1, column 80: trailing data after the document");
	expect_bad_document("docs/whole/trailing_garbage.json", "line 2, column 1: trailing data");
	expect_bad_document("docs/whole/trailing_comma.json", "invalid JSON");
	expect_bad_document("docs/whole/comment.json", "not a JSON object");
	expect_bad_document("docs/whole/nul_byte.json", "line 2, column 1: NUL byte in the document");
	expect_bad_document("docs/whole/missing_comma.json", "line 3, column 29: invalid JSON: object value separator");
	expect_bad_document("docs/whole/deep.json", "nested deeper than 16 levels");
	expect_bad_document("docs/whole/deep20.json", "nested deeper than 16 levels");
}

Test(docparse, deep_nesting_fails_fast, .timeout = 5)
{
	/* 10,000 and 1,000,000 levels: the depth limit stops the tokener at
	 * level 16 instead of recursing or allocating per level. */
	size_t n = 1000000, len = 2 * n + 40;
	char *buf = malloc(len + 1);
	struct directory *d = NULL;
	char err[256];
	int off;

	cr_assert_not_null(buf);
	off = snprintf(buf, len, "{\"prov_directory\": 1, \"x\": ");
	memset(buf + off, '[', n);
	memset(buf + off + n, ']', n);
	buf[off + 2 * n] = '}';
	cr_expect_eq(docparse(buf, (size_t)off + 2 * n + 1, &d, err, sizeof(err)), -EBADMSG);
	cr_expect(strstr(err, "nested deeper") != NULL, "%s", err);
	cr_expect_null(d);
	free(buf);
}

Test(docparse, size_limit)
{
	/* Only the length is looked at before refusing: no need for 64 MiB. */
	struct directory *d = NULL;
	char err[256];
	static const char small[] = "{}";

	cr_expect_eq(docparse(small, (size_t)DOC_MAX_BYTES + 1, &d, err, sizeof(err)), -EBADMSG);
	cr_expect(strstr(err, "over the limit") != NULL, "%s", err);
	cr_expect_null(d);
}

Test(docparse, not_nul_terminated_input)
{
	/* The parser must honour len, not look for a terminating NUL. */
	static const char doc[] = "{\"prov_directory\": 1, \"serial\": 3}XXXX";
	struct directory *d = NULL;
	char err[256] = "";

	cr_assert_eq(docparse(doc, strlen(doc) - 4, &d, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(d->serial, 3);
	directory_free(d);
}

static int64_t time_of(const char *t)
{
	char doc[256];
	struct directory *d = NULL;
	char err[256] = "";
	int64_t v;

	snprintf(doc, sizeof(doc), "{\"prov_directory\":1,\"serial\":1,\"not_after\":\"%s\"}", t);
	if (docparse(doc, strlen(doc), &d, err, sizeof(err)) < 0)
		return -1;
	v = d->not_after;
	directory_free(d);
	return v;
}

Test(docparse, rfc3339_times)
{
	cr_expect_eq(time_of("1970-01-01T00:00:01Z"), 1);
	cr_expect_eq(time_of("2026-11-25T00:00:00Z"), 1795564800);
	cr_expect_eq(time_of("2026-11-25t00:00:00z"), 1795564800);
	cr_expect_eq(time_of("2026-11-25T00:00:00.999Z"), 1795564800);
	cr_expect_eq(time_of("2026-11-25T02:00:00+02:00"), 1795564800);
	cr_expect_eq(time_of("2026-11-24T19:30:00-04:30"), 1795564800);
	cr_expect_eq(time_of("2024-02-29T00:00:00Z"), 1709164800);
	cr_expect_eq(time_of("2100-01-01T00:00:00Z"), 4102444800);
	cr_expect_eq(time_of("1970-01-01T00:00:00Z"), -1, "0 means none: refused");
	cr_expect_eq(time_of("2023-02-29T00:00:00Z"), -1);
	cr_expect_eq(time_of("2026-04-31T00:00:00Z"), -1);
	cr_expect_eq(time_of("2026-11-25T24:00:00Z"), -1);
	cr_expect_eq(time_of("2026-11-25T00:60:00Z"), -1);
	cr_expect_eq(time_of("2026-11-25T00:00:00"), -1, "no zone");
	cr_expect_eq(time_of("2026-11-25T00:00:00.Z"), -1);
	cr_expect_eq(time_of("2026-11-25T00:00:00+0200"), -1);
	cr_expect_eq(time_of("2026-11-25 00:00:00Z"), -1);
	cr_expect_eq(time_of("2026-11-25T00:00:00Zjunk"), -1);
	cr_expect_eq(time_of("+2026-11-25T00:00:00Z"), -1);
	cr_expect_eq(time_of(""), -1);
}

Test(docparse, duplicate_keys_last_wins)
{
	/* json-c keeps the last of duplicate keys: documented behaviour, and
	 * the value still goes through every admission rule. */
	static const char doc[] = "{\"prov_directory\":1,\"serial\":1,\"users\":[{\"name\":\"a\",\"uid\":20001,\"uid\":0}]}";
	struct directory *d = NULL;
	char err[256] = "";

	cr_assert_eq(docparse(doc, strlen(doc), &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(d->n_users, 1);
	cr_expect_eq(d->users[0].uid, 0);
	directory_free(d);
}

Test(docparse, demo_document_parses)
{
	struct directory *d = parse_fixture("../../packaging/demo-directory.json");

	cr_expect_eq(d->serial, 1);
	cr_expect_eq(d->n_users, 8);
	cr_expect_eq(d->n_groups, 8);
	cr_expect_eq(d->n_bindings, 4);
	cr_expect_eq(d->n_refused, 0, "the demo's hostile entries are well-formed: admission refuses them");
	directory_free(d);
}

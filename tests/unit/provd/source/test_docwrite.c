/* SPDX-License-Identifier: MIT */
/* docwrite: a snapshot back to the v1 document, losslessly (issue 3: a SCIM
 * sync is cached in the same format). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/docparse.h"
#include "source/docwrite.h"
#include "source/scim.h"

#define DEMO FIXTURES_DIR "/../../packaging/demo-directory.json"

static char err[512];

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0;

	cr_assert_not_null(f, "%s", path);
	*len = 0;
	for (;;) {
		cap = cap ? cap * 2 : 65536;
		buf = realloc(buf, cap);
		*len += fread(buf + *len, 1, cap - *len, f);
		if (*len < cap)
			break;
	}
	fclose(f);
	return buf;
}

static struct directory *parse(const char *buf, size_t len)
{
	struct directory *d;

	cr_assert_eq(docparse(buf, len, &d, err, sizeof(err)), 0, "%s\n%.*s", err, (int)len, buf);
	return d;
}

static void same_strv(const struct dir_strv *a, const struct dir_strv *b, const char *what)
{
	cr_assert_eq(a->n, b->n, "%s", what);
	for (size_t i = 0; i < a->n; i++)
		cr_assert_str_eq(a->v[i], b->v[i], "%s[%zu]", what, i);
}

static void same_opt(const char *a, const char *b, const char *what)
{
	if (!a || !b)
		cr_assert_eq(a, b, "%s: %s vs %s", what, a ? a : "(null)", b ? b : "(null)");
	else
		cr_assert_str_eq(a, b, "%s", what);
}

/* Every field the model has, entry by entry. */
static void same_directory(const struct directory *a, const struct directory *b)
{
	cr_assert_eq(a->serial, b->serial);
	cr_assert_eq(a->not_after, b->not_after);
	cr_assert_eq(a->generated, b->generated);
	cr_assert_eq(a->n_users, b->n_users);
	for (size_t i = 0; i < a->n_users; i++) {
		const struct dir_user *x = &a->users[i], *y = &b->users[i];

		same_opt(x->id, y->id, "id");
		cr_assert_str_eq(x->name, y->name);
		cr_assert_eq(x->uid, y->uid);
		cr_assert_eq(x->gid, y->gid);
		same_opt(x->gecos, y->gecos, "gecos");
		same_opt(x->home, y->home, "home");
		same_opt(x->shell, y->shell, "shell");
		cr_assert_eq(x->active, y->active);
		same_strv(&x->ssh_keys, &y->ssh_keys, "ssh_keys");
	}
	cr_assert_eq(a->n_groups, b->n_groups);
	for (size_t i = 0; i < a->n_groups; i++) {
		same_opt(a->groups[i].id, b->groups[i].id, "group id");
		cr_assert_str_eq(a->groups[i].name, b->groups[i].name);
		cr_assert_eq(a->groups[i].gid, b->groups[i].gid);
		same_strv(&a->groups[i].members, &b->groups[i].members, "members");
	}
	cr_assert_eq(a->n_bindings, b->n_bindings);
	for (size_t i = 0; i < a->n_bindings; i++) {
		const struct dir_binding *x = &a->bindings[i], *y = &b->bindings[i];

		cr_assert_str_eq(x->name, y->name);
		same_strv(&x->users, &y->users, "users");
		same_strv(&x->groups, &y->groups, "groups");
		same_strv(&x->hosts, &y->hosts, "hosts");
		same_strv(&x->labels, &y->labels, "labels");
		cr_assert_eq(x->grants, y->grants);
		cr_assert_eq(x->not_after, y->not_after);
	}
}

static void write_ok(const struct directory *d, char **buf, size_t *len)
{
	cr_assert_eq(docwrite(d, buf, len, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(strlen(*buf), *len);
}

Test(docwrite, demo_document_round_trips)
{
	size_t len, len2, len3;
	char *doc = slurp(DEMO, &len), *out, *out2;
	struct directory *a = parse(doc, len), *b, *c;

	write_ok(a, &out, &len2);
	b = parse(out, len2);
	same_directory(a, b);
	/* and it is a fixed point: writing the re-read snapshot gives the
	 * same bytes */
	write_ok(b, &out2, &len3);
	cr_assert_eq(len2, len3);
	cr_assert_eq(memcmp(out, out2, len2), 0);
	c = parse(out2, len3);
	same_directory(a, c);
	free(doc);
	free(out);
	free(out2);
	directory_free(a);
	directory_free(b);
	directory_free(c);
}

Test(docwrite, awkward_strings_survive)
{
	struct directory *d = directory_new(), *back;
	struct dir_user *u = directory_add_user(d);
	struct dir_group *g;
	struct dir_binding *b;
	char *out;
	size_t len;

	d->serial = UINT64_MAX - 1;
	u->id = strdup("id with \"quotes\" and \\backslash\\");
	u->name = strdup("zoe");
	u->uid = 4294967295u;
	u->gid = 0;
	u->gecos = strdup("Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac, line\nbreak\ttab\x01\x1f\x7f end");
	u->home = strdup("");
	u->shell = NULL;
	u->active = false;
	dir_strv_push(&u->ssh_keys, "ssh-ed25519 AAAA \"c\"");
	dir_strv_push(&u->ssh_keys, "");
	g = directory_add_group(d);
	g->id = strdup("g-id");
	g->name = strdup("g");
	g->gid = 1;
	g = directory_add_group(d);
	g->name = strdup("no-id"); /* comes back with id = name, the format's default */
	g->gid = 2;
	b = directory_add_binding(d);
	b->name = strdup("sudo-only");
	b->grants = DIR_GRANT_SUDO;
	dir_strv_push(&b->hosts, "web-*");
	b->not_after = 1764547200; /* 2025-12-01T00:00:00Z */
	b = directory_add_binding(d);
	b->name = strdup("nothing");

	write_ok(d, &out, &len);
	cr_assert_not_null(strstr(out, "\\n"));
	cr_assert_not_null(strstr(out, "\\u0001"));
	cr_assert_not_null(strstr(out, "\"not_after\": \"2025-12-01T00:00:00Z\""));
	back = parse(out, len);
	cr_assert_eq(back->n_refused, 0, "%s", back->n_refused ? back->refused[0].reason : "");
	cr_assert_str_eq(back->groups[1].id, "no-id");
	d->groups[1].id = strdup("no-id");
	same_directory(d, back);
	cr_assert_null(back->users[0].shell);
	free(out);
	directory_free(d);
	directory_free(back);
}

Test(docwrite, times_outside_rfc3339_keep_their_meaning)
{
	struct directory *d = directory_new(), *back;
	struct dir_binding *b = directory_add_binding(d);
	char *out;
	size_t len;

	d->serial = 1;
	d->not_after = -5; /* long expired: must stay expired */
	d->generated = INT64_MAX;
	b->name = strdup("b");
	b->grants = DIR_GRANT_LOGIN;
	b->not_after = -1;
	write_ok(d, &out, &len);
	back = parse(out, len);
	cr_assert_eq(back->not_after, 1);
	cr_assert_eq(back->bindings[0].not_after, 1);
	cr_assert_eq(back->generated, 253402300799);
	free(out);
	directory_free(d);
	directory_free(back);
}

Test(docwrite, empty_directory)
{
	struct directory *d = directory_new(), *back;
	char *out;
	size_t len;

	write_ok(d, &out, &len);
	cr_assert_str_eq(out, "{\n  \"prov_directory\": 1,\n  \"serial\": 0,\n  \"users\": [],\n  \"groups\": [],\n"
			      "  \"bindings\": []\n}\n");
	back = parse(out, len);
	same_directory(d, back);
	free(out);
	directory_free(d);
	directory_free(back);
}

Test(docwrite, invalid_utf8_refused)
{
	struct directory *d = directory_new();
	struct dir_user *u = directory_add_user(d);
	char *out = NULL;
	size_t len;

	u->id = strdup("u-1");
	u->name = strdup("x");
	u->gecos = strdup("bad \xff byte");
	cr_assert_eq(docwrite(d, &out, &len, err, sizeof(err)), -EILSEQ);
	cr_assert_str_eq(err, "user u-1 \"gecos\" is not valid UTF-8");
	cr_assert_null(out);

	free(u->gecos);
	u->gecos = NULL;
	free(u->name);
	u->name = NULL;
	cr_assert_eq(docwrite(d, &out, &len, err, sizeof(err)), -EILSEQ);
	cr_assert_str_eq(err, "a user has no name");
	directory_free(d);
}

Test(docwrite, scim_snapshot_round_trips)
{
	const char *page = "{\"totalResults\": 2, \"Resources\": ["
			   "{\"id\": \"a-1\", \"userName\": \"ann\", \"displayName\": \"Ann \\\"A\\\"\", \"active\": \"False\","
			   " \"urn:ietf:params:scim:schemas:extension:posix:2.0:User\": {\"sshPublicKey\": [\"k1\"]}},"
			   "{\"id\": \"b-2\", \"userName\": \"ben\"}]}";
	const char *gpage = "{\"totalResults\": 1, \"Resources\": [{\"id\": \"g\", \"displayName\": \"team\","
			    " \"members\": [{\"value\": \"b-2\"}, {\"value\": \"a-1\"}]}]}";
	struct scim_sync *s;
	struct scim_page pg;
	struct directory *d, *back;
	char *out, *out2;
	size_t len, len2;

	cr_assert_eq(scim_sync_new(NULL, &s), 0);
	cr_assert_eq(scim_sync_add_page(s, SCIM_USERS, 1, page, strlen(page), &pg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(scim_sync_add_page(s, SCIM_GROUPS, 1, gpage, strlen(gpage), &pg, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(scim_sync_finish(s, NULL, 0, &d, err, sizeof(err)), 0, "%s", err);
	scim_sync_free(s);
	d->serial = 5;
	write_ok(d, &out, &len);
	back = parse(out, len);
	same_directory(d, back);
	write_ok(back, &out2, &len2);
	cr_assert_str_eq(out, out2);
	free(out);
	free(out2);
	directory_free(d);
	directory_free(back);
}

Test(docwrite, hundred_thousand_users)
{
	struct directory *d = directory_new(), *back;
	char *out, name[32];
	size_t len;

	for (uint32_t i = 0; i < 100000; i++) {
		struct dir_user *u = directory_add_user(d);

		snprintf(name, sizeof(name), "user%06u", i);
		u->id = strdup(name);
		u->name = strdup(name);
		u->uid = u->gid = 100000 + i;
		u->gecos = strdup("Test User");
		u->active = true;
	}
	write_ok(d, &out, &len);
	back = parse(out, len);
	cr_assert_eq(back->n_users, 100000);
	cr_assert_eq(back->users[99999].uid, 199999);
	free(out);
	directory_free(d);
	directory_free(back);
}

/* SPDX-License-Identifier: MIT */
/*
 * provd/admit/snapshot.c: the whole pipeline (parse, local files, admit, index)
 * on the embedded demo document and on bad input.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov/protocol.h"
#include "admit/snapshot.h"

#define LOCAL FIXTURES_DIR "/local/"
#define DEMO_PATH FIXTURES_DIR "/../../packaging/demo-directory.json"

/* Only the fields snapshot_build() reads; config.c is not needed. */
static struct prov_config test_config(void)
{
	return (struct prov_config){
		.min_id = 1000,
		.max_id = 2147483647,
		.home_base = "/home",
		.default_shell = "/bin/bash",
		.shells_file = LOCAL "shells",
		.passwd_file = LOCAL "passwd",
		.group_file = LOCAL "group",
	};
}

static const struct dir_refusal *refusal(const struct directory *d, const char *name)
{
	for (size_t i = 0; i < d->n_refused; i++)
		if (!d->refused[i].corrected && strcmp(d->refused[i].name, name) == 0)
			return &d->refused[i];
	return NULL;
}

Test(snapshot, demo_document_is_embedded_verbatim)
{
	size_t len = 0, flen;
	const char *doc = demo_document(&len);
	FILE *f = fopen(DEMO_PATH, "rb");
	char *buf;

	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	flen = (size_t)ftell(f);
	rewind(f);
	buf = malloc(flen);
	cr_assert_eq(fread(buf, 1, flen, f), flen);
	fclose(f);
	cr_assert_eq(len, flen);
	cr_expect_eq(memcmp(doc, buf, len), 0);
	free(buf);
}

Test(snapshot, invariants1_2_demo_document_admits)
{
	struct prov_config cfg = test_config();
	struct directory *d = NULL;
	size_t len;
	const char *doc = demo_document(&len);
	char err[256] = "";
	const struct dir_user *u;

	cr_assert_eq(snapshot_build(&cfg, doc, len, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(d->index, "indexed");
	cr_expect_eq(d->serial, 1);
	cr_expect_eq(d->n_users, 5);
	cr_expect_not_null(directory_user_by_name(d, "alice"));
	cr_expect_not_null(directory_user_by_name(d, "bob"));
	cr_expect_not_null(directory_user_by_name(d, "dave"));
	cr_expect_not_null(directory_user_by_name(d, "erin"));
	u = directory_user_by_name(d, "carol");
	cr_assert_not_null(u, "inactive users stay resolvable");
	cr_expect_not(u->active);
	cr_expect_str_eq(u->shell, "/usr/sbin/nologin");
	cr_expect_str_eq(directory_user_by_uid(d, 20001)->name, "alice");
	cr_expect_null(directory_user_by_name(d, "toor"));
	cr_expect_null(directory_user_by_uid(d, 0));
	cr_expect_null(directory_user_by_name(d, "root"));
	cr_expect_null(directory_user_by_uid(d, 20099));
	cr_expect_null(directory_user_by_name(d, "mallory"));
	cr_assert_not_null(refusal(d, "toor"));
	cr_expect_str_eq(refusal(d, "toor")->reason, "uid 0 is reserved (root)");
	cr_assert_not_null(refusal(d, "root"));
	cr_expect_str_eq(refusal(d, "root")->reason, "name is a local account's");
	cr_assert_not_null(refusal(d, "mallory"));
	cr_expect_str_eq(refusal(d, "mallory")->reason, "gecos contains ':'");
	cr_expect_eq(d->n_refused, 3);

	cr_expect_eq(d->n_groups, 8);
	cr_expect_eq(directory_group_by_name(d, "developers")->members.n, 2, "alice, bob (dave only has his own, expired binding)");
	u = directory_user_by_name(d, "alice");
	cr_assert_eq(u->n_member_gids, 2, "developers and ops");
	cr_expect_eq(u->member_gids[0], 30001);
	cr_expect_eq(u->member_gids[1], 30002);
	cr_expect_eq(d->n_bindings, 4);
	directory_free(d);
}

Test(snapshot, bad_document_keeps_nothing)
{
	struct prov_config cfg = test_config();
	struct directory *d = NULL;
	char err[256] = "";
	static const char doc[] = "{\"prov_directory\": 1, \"serial\": 2, \"users\": [";

	cr_expect_eq(snapshot_build(&cfg, doc, strlen(doc), &d, err, sizeof(err)), -EBADMSG);
	cr_expect_null(d);
	cr_expect(strstr(err, "truncated") != NULL, "%s", err);
}

Test(snapshot, missing_local_files)
{
	struct prov_config cfg = test_config();
	struct directory *d = NULL;
	char err[256] = "";
	size_t len;
	const char *doc = demo_document(&len);

	cfg.passwd_file = LOCAL "absent-passwd";
	cr_expect_eq(snapshot_build(&cfg, doc, len, &d, err, sizeof(err)), -ENOENT,
		     "without the local files nothing can be admitted safely");
	cr_expect_null(d);
	cr_expect(strstr(err, "absent-passwd") != NULL, "%s", err);

	/* No shells file: explicit shells are not trusted, all get the default. */
	cfg = test_config();
	cfg.shells_file = LOCAL "absent-shells";
	cr_assert_eq(snapshot_build(&cfg, doc, len, &d, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(directory_user_by_name(d, "alice")->shell, "/bin/bash");
	directory_free(d);
}

Test(snapshot, bad_policy)
{
	struct prov_config cfg = test_config();
	struct directory *d = NULL;
	char err[256] = "";
	size_t len;
	const char *doc = demo_document(&len);

	cfg.home_base = "relative";
	cr_expect_eq(snapshot_build(&cfg, doc, len, &d, err, sizeof(err)), -EINVAL);
	cr_expect_null(d);
	cr_expect(strstr(err, "home_base") != NULL, "%s", err);
}

/* snapshot_admit(): a directory already parsed (a SCIM pull) goes through
 * the same admission as a document; on error it is freed, not leaked. */
Test(snapshot, admit_takes_a_parsed_directory)
{
	struct prov_config cfg = test_config();
	struct directory *raw = directory_new(), *d = NULL;
	struct dir_user *u;
	char err[256] = "";

	cr_assert_not_null(raw);
	u = directory_add_user(raw);
	u->name = strdup("scimuser");
	u->id = strdup("2819c223-7f76-453a-919d-413861904646");
	u->uid = u->gid = 200123;
	u->active = true;
	u = directory_add_user(raw);
	u->name = strdup("root"); /* a local account: refused (DESIGN invariant 1) */
	u->uid = u->gid = 200124;
	u->active = true;
	cr_assert_eq(snapshot_admit(&cfg, raw, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(d, raw, "admitted in place");
	cr_expect_eq(d->n_users, 1);
	cr_expect_not_null(directory_user_by_name(d, "scimuser"), "indexed");
	cr_expect_str_eq(directory_user_by_uid(d, 200123)->home, "/home/scimuser");
	cr_expect_not_null(refusal(d, "root"));
	directory_free(d);

	raw = directory_new();
	cfg.passwd_file = LOCAL "does-not-exist";
	cr_expect_lt(snapshot_admit(&cfg, raw, &d, err, sizeof(err)), 0);
	cr_expect_neq(err[0], '\0');
}

/* Issue 9 §6: a group over PROV_GROUP_MEMBERS_MAX rejects the directory
 * whole, with a reason that names it; nothing is served without it. */
Test(snapshot, group_over_the_member_limit_rejects_the_directory)
{
	struct prov_config cfg = test_config();
	struct directory *d = directory_new(), *out = NULL;
	struct dir_group *g = directory_add_group(d);
	char err[512] = "";

	g->id = strdup("g-huge");
	g->name = strdup("huge");
	g->gid = 30001;
	for (size_t i = 0; i <= PROV_GROUP_MEMBERS_MAX; i++)
		cr_assert_eq(dir_strv_push(&g->members, "x"), 0);
	cr_assert_eq(snapshot_admit(&cfg, d, &out, err, sizeof(err)), -E2BIG);
	cr_expect_null(out);
	cr_expect(strstr(err, "group huge has 2097153 members, over the limit of 2097152") != NULL, "%s", err);
}

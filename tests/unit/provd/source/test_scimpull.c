/* SPDX-License-Identifier: MIT */
/*
 * A whole SCIM pull against the test directory server, in each fault mode
 * issue 3 lists: the pull either returns the complete directory or fails
 * whole with a reason (DESIGN invariant 4).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dirserver_fixture.h"
#include "source/scimpull.h"

static char err[512];
static char base[128];

static void setup(void)
{
	fetch_global_init();
	server_start();
	admin_do("/config", "{\"token\": \"" TOKEN "\", \"max_page\": 10}");
	admin_do("/generate", "{\"users\": 25, \"groups\": 3, \"members_per_group\": 4, \"posix\": true}");
	snprintf(base, sizeof(base), "https://127.0.0.1:%d/scim/v2", port_https);
}

static void teardown(void)
{
	server_stop();
	fetch_global_cleanup();
}

TestSuite(scimpull, .init = setup, .fini = teardown, .timeout = 60);

static struct scim_pull_opts opts(void)
{
	return (struct scim_pull_opts){
		.base_url = base,
		.http = {
			.token = TOKEN,
			.ca_file = CERTS "/ca.pem",
			.connect_timeout_ms = 2000,
			.total_timeout_ms = 5000,
		},
		.page_size = 100,
		.retry_pause_ms = 10,
	};
}

static int pull(struct scim_pull_result *res)
{
	struct scim_pull_opts o = opts();

	err[0] = '\0';
	return scim_pull(&o, res, err, sizeof(err));
}

static const struct dir_user *user(const struct directory *d, const char *name)
{
	for (size_t i = 0; i < d->n_users; i++)
		if (strcmp(d->users[i].name, name) == 0)
			return &d->users[i];
	return NULL;
}

static void pull_fails(int want, const char *want_err)
{
	struct scim_pull_result res;

	cr_assert_eq(pull(&res), want, "got %s", err);
	cr_assert_null(res.dir);
	if (want_err)
		cr_assert_str_eq(err, want_err);
	cr_assert_null(strstr(err, TOKEN));
}

Test(scimpull, complete_pull_over_https_pages_of_server_max)
{
	struct scim_pull_result res;
	struct json_object *log;

	cr_assert_eq(pull(&res), 0, "%s", err);
	cr_assert_eq(res.dir->n_users, 25);
	cr_assert_eq(res.dir->n_groups, 3);
	cr_assert_eq(res.dir->n_refused, 0);
	cr_assert_eq(user(res.dir, "user000007")->uid, 100007);
	cr_assert_str_eq(user(res.dir, "user000007")->home, "/home/user000007");
	cr_assert_eq(res.dir->groups[0].members.n, 4);
	cr_assert_eq(res.status, FETCH_OK);
	/* spconfig + 3 pages of users (10, 10, 5: the server's maxResults
	 * caps our 100) + 1 page of groups */
	cr_assert_eq(res.requests, 5);
	log = server_log();
	cr_assert_eq(json_object_array_length(log), 5);
	cr_assert_str_eq(log_field(log, 0, "path"), "/scim/v2/ServiceProviderConfig");
	cr_assert_str_eq(log_field(log, 1, "path"), "/scim/v2/Users?startIndex=1&count=10");
	cr_assert_str_eq(log_field(log, 3, "path"), "/scim/v2/Users?startIndex=21&count=10");
	cr_assert_str_eq(log_field(log, 4, "path"), "/scim/v2/Groups?startIndex=1&count=10");
	for (size_t i = 1; i < 5; i++)
		cr_assert_str_eq(log_field(log, i, "authorization"), "Bearer " TOKEN);
	json_object_put(log);
	directory_free(res.dir);
}

Test(scimpull, server_returning_fewer_than_asked)
{
	struct scim_pull_result res;

	admin_do("/fault", "{\"mode\": \"short_pages\", \"max\": 3}");
	cr_assert_eq(pull(&res), 0, "%s", err);
	cr_assert_eq(res.dir->n_users, 25);
	cr_assert_eq(res.requests, 1 + 9 + 1);
	directory_free(res.dir);
}

Test(scimpull, server_ignoring_count)
{
	struct scim_pull_result res;

	admin_do("/fault", "{\"mode\": \"ignore_count\"}");
	cr_assert_eq(pull(&res), 0, "%s", err);
	cr_assert_eq(res.dir->n_users, 25);
	cr_assert_eq(res.requests, 3);
	directory_free(res.dir);
}

Test(scimpull, overlapping_pages_deduplicated)
{
	struct scim_pull_result res;

	admin_do("/fault", "{\"mode\": \"overlap\"}");
	cr_assert_eq(pull(&res), 0, "%s", err);
	cr_assert_eq(res.dir->n_users, 25);
	directory_free(res.dir);
}

Test(scimpull, results_shifting_mid_sync_are_read_again)
{
	struct scim_pull_result res;

	/* a user created in front while we page: one user would never be
	 * seen; the totals differ, so the directory is read again */
	admin_do("/fault", "{\"mode\": \"shift\", \"paths\": [\"/Users\"]}");
	cr_assert_eq(pull(&res), 0, "%s", err);
	cr_assert_eq(res.attempts, 2);
	cr_assert_eq(res.dir->n_users, 26);
	directory_free(res.dir);
}

Test(scimpull, page_that_never_advances)
{
	admin_do("/fault", "{\"mode\": \"stuck\"}");
	pull_fails(-EBADMSG, "/Users: page did not advance (startIndex 1 after 1)");
}

Test(scimpull, missing_page)
{
	admin_do("/fault", "{\"mode\": \"missing_page\", \"paths\": [\"/Users\"]}");
	pull_fails(-EBADMSG,
		   "/Users: page did not advance: empty page at startIndex 11 with 10 of totalResults 25 collected");
}

Test(scimpull, wrong_total_results)
{
	admin_do("/fault", "{\"mode\": \"wrong_total\", \"paths\": [\"/Users\"]}");
	pull_fails(-EBADMSG,
		   "/Users: page did not advance: empty page at startIndex 26 with 25 of totalResults 30 collected");
	admin_do("/fault", "{\"mode\": \"wrong_total\", \"delta\": -2, \"paths\": [\"/Users\"]}");
	pull_fails(-ESTALE, "/Users: partial result: 25 distinct resources but totalResults 23"
			    " (4 pulls in a row, none consistent)");
}

Test(scimpull, empty_user_list_is_a_complete_empty_directory)
{
	struct scim_pull_result res;

	/* the pull itself is consistent; syncplan's guard rejects it */
	admin_do("/fault", "{\"mode\": \"empty_users\"}");
	cr_assert_eq(pull(&res), 0, "%s", err);
	cr_assert_eq(res.dir->n_users, 0);
	directory_free(res.dir);
}

Test(scimpull, garbage_json)
{
	admin_do("/fault", "{\"mode\": \"garbage\", \"paths\": [\"/Users\"]}");
	pull_fails(-EBADMSG, "/Users page: invalid JSON at byte 84: quoted object property name expected");
}

Test(scimpull, truncated_second_page)
{
	admin_do("/fault", "{\"mode\": \"truncate\", \"paths\": [\"/Users\"], \"after\": 1}");
	pull_fails(-EIO, NULL);
	cr_assert_not_null(strstr(err, "/scim/v2/Users"), "%s", err);
}

Test(scimpull, server_errors_reported_with_status)
{
	struct scim_pull_result res;

	admin_do("/fault", "{\"mode\": \"http500\", \"paths\": [\"/Groups\"]}");
	cr_assert_eq(pull(&res), -EPROTO);
	cr_assert_eq(res.status, FETCH_HTTP_ERROR);
	cr_assert_eq(res.http_code, 500);
	cr_assert_null(res.dir);

	admin_do("/fault", "{\"mode\": \"http429\", \"retry_after\": 30}");
	cr_assert_eq(pull(&res), -EAGAIN);
	cr_assert_eq(res.retry_after_s, 30);

	admin_do("/fault", "{\"mode\": \"refuse\"}");
	cr_assert_eq(pull(&res), -ECONNREFUSED);
	cr_assert_eq(res.status, FETCH_CONNECT);
}

Test(scimpull, bad_token_is_auth_failure)
{
	struct scim_pull_opts o = opts();
	struct scim_pull_result res;

	admin_do("/config", "{\"token\": \"rotated-elsewhere\"}");
	cr_assert_eq(scim_pull(&o, &res, err, sizeof(err)), -EACCES);
	cr_assert_eq(res.status, FETCH_AUTH);
	cr_assert_eq(res.http_code, 401);
	cr_assert_null(strstr(err, TOKEN));
}

Test(scimpull, service_provider_config_optional)
{
	struct scim_pull_result res;

	admin_do("/fault", "{\"mode\": \"status\", \"code\": 404, \"paths\": [\"/ServiceProviderConfig\"]}");
	cr_assert_eq(pull(&res), 0, "%s", err);
	/* without the server's limit, our own page size (100) is asked for:
	 * the server still caps at 10 and we follow what it returns */
	cr_assert_eq(res.dir->n_users, 25);
	directory_free(res.dir);
}

Test(scimpull, changes_show_up_in_the_next_pull)
{
	struct scim_pull_result res;
	const char *alice = "{\"op\": \"add_user\", \"user\": {\"id\": \"new-1\", \"userName\": \"alice\","
			    " \"active\": \"True\"}}";

	admin_do("/op", alice);
	admin_do("/op", "{\"op\": \"patch_user\", \"id\": \"9e3779b1-0000-4000-8000-000000000001\","
			" \"set\": {\"displayName\": \"Renamed Person\"}}");
	admin_do("/op", "{\"op\": \"deactivate\", \"id\": \"3c6ef362-0000-4000-8000-000000000002\"}");
	admin_do("/op", "{\"op\": \"delete_user\", \"id\": \"00000000-0000-4000-8000-000000000000\"}");
	admin_do("/fault", "{\"mode\": \"active_strings\"}");
	cr_assert_eq(pull(&res), 0, "%s", err);
	cr_assert_eq(res.dir->n_users, 25);
	cr_assert_not_null(user(res.dir, "alice"));
	cr_assert(user(res.dir, "alice")->active);
	cr_assert_str_eq(user(res.dir, "user000001")->gecos, "Renamed Person");
	cr_assert_not(user(res.dir, "user000002")->active);
	cr_assert_null(user(res.dir, "user000000"));
	directory_free(res.dir);
}

/* Issue 3: ids derived without uidNumber are identical on two hosts fed the
 * same users in a different order. */
Test(scimpull, derived_ids_identical_for_reversed_server_order)
{
	struct scim_pull_result a, b;
	struct json_object *users, *rev;
	size_t n;

	admin_do("/generate", "{\"users\": 40, \"groups\": 5, \"posix\": false}");
	cr_assert_eq(pull(&a), 0, "%s", err);
	users = admin("/users", NULL);
	n = json_object_array_length(users);
	rev = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(rev, json_object_get(json_object_array_get_idx(users, n - 1 - i)));
	struct json_object *body = json_object_new_object();
	json_object_object_add(body, "users", rev);
	admin_do("/users", json_object_to_json_string(body));
	json_object_put(body);
	json_object_put(users);
	cr_assert_eq(pull(&b), 0, "%s", err);

	cr_assert_eq(a.dir->n_users, 40);
	cr_assert_eq(b.dir->n_users, 40);
	for (size_t i = 0; i < 40; i++) {
		cr_assert_str_eq(a.dir->users[i].id, b.dir->users[i].id);
		cr_assert_eq(a.dir->users[i].uid, b.dir->users[i].uid);
		cr_assert(a.dir->users[i].uid >= SCIM_DEFAULT_ID_MIN && a.dir->users[i].uid <= SCIM_DEFAULT_ID_MAX);
	}
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(a.dir->groups[i].gid, b.dir->groups[i].gid);
	directory_free(a.dir);
	directory_free(b.dir);
}

/* ---- issue 9: one pull is one snapshot ---- */

#define FIRST_USER "00000000-0000-4000-8000-000000000000"

/* A user deleted between pages 1 and 2: page 2 starts one later, and
 * user000010 (the first of page 2, still active) would be missed. The pull
 * is read again and the second pass is one consistent snapshot. */
Test(scimpull, user_deleted_between_pages_is_read_again)
{
	struct scim_pull_result res;

	admin_do("/fault", "{\"mode\": \"churn\", \"op\": \"delete\", \"page\": 1, \"pulls\": 1}");
	cr_assert_eq(pull(&res), 0, "%s", err);
	cr_assert_eq(res.attempts, 2);
	cr_assert_eq(res.dir->n_users, 24);
	cr_assert_null(user(res.dir, "user000000"), "the deleted user is gone");
	cr_assert_not_null(user(res.dir, "user000010"), "the shifted user is not missed");
	/* spconfig + 3 user pages + 3 user pages + 1 group page (the first
	 * pass stops at its inconsistent page 2) */
	cr_assert_eq(res.requests, 1 + 2 + 3 + 1);
	directory_free(res.dir);
}

Test(scimpull, directory_changing_in_every_pass_is_rejected_whole)
{
	admin_do("/fault", "{\"mode\": \"churn\", \"op\": \"delete\", \"page\": 2, \"pulls\": 4, \"id\": \"" FIRST_USER
		 "\"}");
	pull_fails(-ESTALE, "/Users: the directory changed during the pull: totalResults 25 on page 1, 24 on page 3"
			    " (4 pulls in a row, none consistent)");
}

Test(scimpull, attempts_are_bounded_by_the_option)
{
	struct scim_pull_opts o = opts();
	struct scim_pull_result res;

	admin_do("/fault", "{\"mode\": \"churn\", \"op\": \"insert\", \"pulls\": 2}");
	o.attempts = 2;
	cr_assert_eq(scim_pull(&o, &res, err, sizeof(err)), -ESTALE);
	cr_assert_eq(res.attempts, 2);
	cr_assert_null(res.dir);
	cr_assert_str_eq(err, "/Users: the directory changed during the pull: totalResults 25 on page 1, 26 on page 2"
			      " (2 pulls in a row, none consistent)");
	/* the server holds still now: the next pull is consistent and has
	 * the inserted user */
	cr_assert_eq(scim_pull(&o, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.attempts, 1);
	cr_assert_eq(res.dir->n_users, 26);
	cr_assert_not_null(user(res.dir, "user900000"));
	directory_free(res.dir);
}

/* Same total, another order: one user is seen twice, another never. */
Test(scimpull, reorder_between_pages_is_caught_by_the_distinct_count)
{
	struct scim_pull_result res;

	admin_do("/fault", "{\"mode\": \"churn\", \"op\": \"reorder\", \"page\": 1, \"pulls\": 4}");
	pull_fails(-ESTALE, "/Users: partial result: 24 distinct resources but totalResults 25"
			    " (4 pulls in a row, none consistent)");
	admin_do("/fault", "{\"mode\": \"churn\", \"op\": \"reorder\", \"page\": 1, \"pulls\": 3}");
	cr_assert_eq(pull(&res), 0, "%s", err);
	cr_assert_eq(res.attempts, 4);
	cr_assert_eq(res.dir->n_users, 25);
	directory_free(res.dir);
}

Test(scimpull, groups_pages_must_be_one_snapshot_too)
{
	struct scim_pull_result res;

	admin_do("/generate", "{\"users\": 25, \"groups\": 15, \"members_per_group\": 2, \"posix\": true}");
	admin_do("/fault", "{\"mode\": \"churn\", \"op\": \"delete\", \"pulls\": 4, \"paths\": [\"/Groups\"]}");
	pull_fails(-ESTALE, "/Groups: the directory changed during the pull: totalResults 15 on page 1, 14 on page 2"
			    " (4 pulls in a row, none consistent)");
	admin_do("/fault", "{\"mode\": \"churn\", \"op\": \"delete\", \"pulls\": 1, \"paths\": [\"/Groups\"]}");
	cr_assert_eq(pull(&res), 0, "%s", err);
	cr_assert_eq(res.attempts, 2);
	/* the first fault left 14, this one deleted one more for good */
	cr_assert_eq(res.dir->n_groups, 13);
	directory_free(res.dir);
}

/* ---- issue 9: names in any case (RFC 7643 section 2.1) ---- */

Test(scimpull, every_attribute_name_in_another_case)
{
	const char *how[] = { "swap", "upper", "lower" };

	admin_do("/op", "{\"op\": \"deactivate\", \"id\": \"3c6ef362-0000-4000-8000-000000000002\"}");
	for (size_t i = 0; i < 3; i++) {
		struct scim_pull_result res;
		char f[128];

		snprintf(f, sizeof(f), "{\"mode\": \"mixed_case\", \"case\": \"%s\"}", how[i]);
		admin_do("/fault", f);
		cr_assert_eq(pull(&res), 0, "%s: %s", how[i], err);
		cr_assert_eq(res.dir->n_users, 25, "%s", how[i]);
		cr_assert_eq(res.dir->n_refused, 0, "%s: %s", how[i], res.dir->n_refused ? res.dir->refused[0].reason : "");
		cr_assert_eq(user(res.dir, "user000007")->uid, 100007);
		cr_assert_str_eq(user(res.dir, "user000007")->home, "/home/user000007");
		cr_assert_not(user(res.dir, "user000002")->active, "%s: a deactivated user stays inactive", how[i]);
		cr_assert(user(res.dir, "user000003")->active);
		cr_assert_eq(res.dir->groups[0].members.n, 4);
		cr_assert_eq(res.dir->groups[0].gid, 300000);
		directory_free(res.dir);
	}
}

/* Deleted from page 1 while another user is created at the end: the total
 * holds and the ids add up, yet user000010 slid onto page 1 and was never
 * seen. Before anyone is deprovisioned for being absent, the server is
 * asked for her (GET /Users/<id>): she is there, so the pass is not a
 * snapshot. The one really deleted answers 404 and goes. */
Test(scimpull, absent_users_are_confirmed_gone_by_id)
{
	struct scim_pull_opts o = opts();
	struct scim_pull_result first, res;
	struct scim_prev prev;
	struct json_object *log;
	bool asked = false;

	cr_assert_eq(pull(&first), 0, "%s", err);
	cr_assert_eq(scim_prev_collect(first.dir, &prev), 0);
	o.prev = prev.v;
	o.n_prev = prev.n;

	admin_do("/fault", "{\"mode\": \"churn\", \"op\": \"swap\", \"page\": 1, \"pulls\": 4}");
	cr_assert_eq(scim_pull(&o, &res, err, sizeof(err)), -ESTALE);
	cr_assert_null(res.dir);
	cr_assert_str_eq(err, "/Users: id 2e2ac0ea-0000-4000-8000-000000000010 was on no page, but the server still"
			      " has it (4 pulls in a row, none consistent)");

	admin_do("/generate", "{\"users\": 25, \"groups\": 3, \"members_per_group\": 4, \"posix\": true}");
	admin_do("/log/clear", "{}");
	admin_do("/fault", "{\"mode\": \"churn\", \"op\": \"swap\", \"page\": 1, \"pulls\": 1}");
	cr_assert_eq(scim_pull(&o, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.attempts, 2);
	cr_assert_eq(res.dir->n_users, 25);
	cr_assert_null(user(res.dir, "user000000"));
	cr_assert_not_null(user(res.dir, "user000010"));
	cr_assert_not_null(user(res.dir, "user900001"));
	log = server_log();
	for (size_t i = 0; i < json_object_array_length(log); i++)
		asked |= strcmp(log_field(log, i, "path"), "/scim/v2/Users/00000000-0000-4000-8000-000000000000") == 0;
	cr_assert(asked, "the deleted user was confirmed gone by id");
	json_object_put(log);
	directory_free(res.dir);
	scim_prev_free(&prev);
	directory_free(first.dir);
}

/* Only absent ones are asked for, and a server error there fails the pull. */
Test(scimpull, confirming_by_id_fails_whole_on_a_server_error)
{
	struct scim_pull_opts o = opts();
	struct scim_pull_result first, res;
	struct scim_prev prev;

	cr_assert_eq(pull(&first), 0, "%s", err);
	cr_assert_eq(scim_prev_collect(first.dir, &prev), 0);
	o.prev = prev.v;
	o.n_prev = prev.n;
	cr_assert_eq(scim_pull(&o, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(res.requests, 5, "nobody absent: nobody asked for");
	directory_free(res.dir);

	admin_do("/op", "{\"op\": \"delete_user\", \"id\": \"" FIRST_USER "\"}");
	admin_do("/fault", "{\"mode\": \"http500\", \"paths\": [\"/Users/\"]}");
	cr_assert_eq(scim_pull(&o, &res, err, sizeof(err)), -EPROTO);
	cr_assert_null(res.dir);
	cr_assert_not_null(strstr(err, "/Users/" FIRST_USER), "%s", err);
	scim_prev_free(&prev);
	directory_free(first.dir);
}

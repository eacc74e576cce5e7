/* SPDX-License-Identifier: MIT */
/*
 * provd/sync/syncjob.c: one whole pull against the test directory server, as
 * the sync worker runs it. DESIGN invariant 4: a pull is applied (and only
 * then persisted) or refused whole, and says why; a 304 or an unchanged
 * directory writes nothing; failover takes the next URL; SCIM snapshots
 * get the next serial and are cached as a prov document.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/cache.h"
#include "dirserver_fixture.h"
#include "source/docparse.h"
#include "admit/snapshot.h"
#include "sync/syncjob.h"

static char tmp[64], state_dir[96], token_path[96], doc_url[160];

static void setup(void)
{
	int fd;

	fetch_global_init();
	server_start();
	admin_do("/config", "{\"token\": \"" TOKEN "\", \"max_page\": 5}");
	snprintf(tmp, sizeof(tmp), "/tmp/prov-syncjob.XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
	snprintf(state_dir, sizeof(state_dir), "%s/state", tmp);
	snprintf(token_path, sizeof(token_path), "%s/token", tmp);
	fd = open(token_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, TOKEN "\n", strlen(TOKEN) + 1), (ssize_t)strlen(TOKEN) + 1);
	close(fd);
	snprintf(doc_url, sizeof(doc_url), "https://127.0.0.1:%d/directory.json", port_https);
}

static void teardown(void)
{
	char cmd[160];

	server_stop();
	fetch_global_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(syncjob, .init = setup, .fini = teardown, .timeout = 60);

static void input(struct syncjob_in *in, enum source_type type, const char *u)
{
	memset(in, 0, sizeof(*in));
	cr_assert_eq(config_defaults(&in->cfg), 0);
	in->cfg.source_type = type;
	cr_assert_eq(dir_strv_push(&in->cfg.urls, u), 0);
	free(in->cfg.token_file);
	in->cfg.token_file = strdup(token_path);
	in->cfg.ca_file = strdup(CERTS "/ca.pem");
	free(in->cfg.state_dir);
	in->cfg.state_dir = strdup(state_dir);
	in->cfg.connect_timeout_ms = 2000;
	in->cfg.timeout_ms = 5000;
	in->now = 1795000000;
}

static char *doc_of(unsigned serial, unsigned n_users)
{
	size_t cap = 128 + n_users * 96, len = 0;
	char *d = malloc(cap);

	len += (size_t)snprintf(d, cap, "{\"prov_directory\": 1, \"serial\": %u, \"users\": [", serial);
	for (unsigned i = 0; i < n_users; i++)
		len += (size_t)snprintf(d + len, cap - len, "%s{\"id\": \"u%u\", \"name\": \"user%03u\", \"uid\": %u}",
					i ? ", " : "", i, i, 120000 + i);
	snprintf(d + len, cap - len, "]}");
	return d;
}

static void serve_doc(const char *doc)
{
	admin_do("/document", doc);
}

/* The served snapshot a job compares against. */
static struct directory *built(const struct syncjob_in *in, const char *doc)
{
	struct directory *d = NULL;
	char err[256];

	cr_assert_eq(snapshot_build(&in->cfg, doc, strlen(doc), &d, err, sizeof(err)), 0, "%s", err);
	return d;
}

static bool cache_exists(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/%s", state_dir, CACHE_FILE_NAME);
	return access(p, F_OK) == 0;
}

Test(syncjob, document_applied_and_cached_as_the_exact_bytes)
{
	struct syncjob_in in;
	struct syncjob_out out;
	struct cache_info info;
	char *doc = doc_of(5, 10), *cached = NULL, err[256];
	size_t len;

	serve_doc(doc);
	input(&in, SOURCE_DOCUMENT, doc_url);
	syncjob_run(&in, &out);
	cr_assert_eq(out.result, SYNCJOB_APPLY, "%s", out.reason);
	cr_expect_eq(out.dir->n_users, 10);
	cr_expect(out.cache_written, "%s", out.cache_error);
	cr_expect_eq(out.plan.users_added.n, 10);
	cr_expect(out.val_changed);
	cr_expect_not_null(out.val.etag, "the ETag is kept for the next pull");
	cr_expect_str_eq(out.val.url, doc_url);
	cr_assert_eq(cache_read(state_dir, &cached, &len, &info, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(len, strlen(doc));
	cr_expect_eq(memcmp(cached, doc, len), 0);
	cr_expect_eq(info.serial, 5);
	free(cached);
	syncjob_out_free(&out);
	syncjob_in_free(&in);
	free(doc);
}

Test(syncjob, not_modified_writes_nothing)
{
	struct syncjob_in in;
	struct syncjob_out first, out;
	struct directory *old;
	char *doc = doc_of(5, 3);
	struct json_object *log;

	serve_doc(doc);
	input(&in, SOURCE_DOCUMENT, doc_url);
	in.cfg.state_dir[strlen(in.cfg.state_dir) - 1] = 'X'; /* the first pull's cache goes elsewhere */
	syncjob_run(&in, &first);
	cr_assert_eq(first.result, SYNCJOB_APPLY, "%s", first.reason);
	syncjob_in_free(&in);

	input(&in, SOURCE_DOCUMENT, doc_url);
	old = built(&in, doc);
	in.old = old;
	in.old_doc = doc;
	in.old_len = strlen(doc);
	cr_assert_eq(syncstate_copy(&first.val, &in.val), 0);
	in.verify_val = true;
	syncjob_run(&in, &out);
	cr_assert_eq(out.result, SYNCJOB_UNCHANGED, "%s", out.reason);
	cr_expect(out.not_modified);
	cr_expect_not(cache_exists(), "a 304 writes no cache");
	log = server_log();
	cr_expect_str_eq(log_field(log, json_object_array_length(log) - 1, "if_none_match"), first.val.etag);
	json_object_put(log);
	syncjob_out_free(&out);
	syncjob_out_free(&first);
	syncjob_in_free(&in);
	directory_free(old);
	free(doc);
}

Test(syncjob, validators_of_other_bytes_are_dropped_not_sent)
{
	struct syncjob_in in;
	struct syncjob_out out;
	struct directory *old;
	char *doc = doc_of(5, 3);
	struct json_object *log;

	serve_doc(doc);
	input(&in, SOURCE_DOCUMENT, doc_url);
	old = built(&in, doc);
	in.old = old;
	in.old_doc = doc;
	in.old_len = strlen(doc);
	/* sync.state says the cache held other bytes (a crash, an edit) */
	cr_assert_eq(syncstate_set_validators(&in.val, doc_url, "\"stale-etag\"", NULL, 999, 1), 0);
	in.verify_val = true;
	syncjob_run(&in, &out);
	cr_assert_eq(out.result, SYNCJOB_UNCHANGED, "%s", out.reason);
	cr_expect_not(out.not_modified, "a full GET, found the same bytes");
	cr_expect(out.val_changed, "and learned the right ETag");
	log = server_log();
	cr_expect_null(log_field(log, json_object_array_length(log) - 1, "if_none_match"));
	json_object_put(log);
	cr_expect_not(cache_exists());
	syncjob_out_free(&out);
	syncjob_in_free(&in);
	directory_free(old);
	free(doc);
}

Test(syncjob, replayed_serial_rejected_and_nothing_written)
{
	struct syncjob_in in;
	struct syncjob_out out;
	struct directory *old;
	char *now = doc_of(6, 3), *replay = doc_of(5, 4);

	serve_doc(replay);
	input(&in, SOURCE_DOCUMENT, doc_url);
	old = built(&in, now);
	in.old = old;
	in.old_doc = now;
	in.old_len = strlen(now);
	syncjob_run(&in, &out);
	cr_expect_eq(out.result, SYNCJOB_REJECTED);
	cr_expect(strstr(out.reason, "serial 5 is older than the current 6"), "%s", out.reason);
	cr_expect_not(out.transient, "a replay does not get better by retrying soon");
	cr_expect_null(out.dir);
	cr_expect_not(cache_exists());
	syncjob_out_free(&out);
	syncjob_in_free(&in);
	directory_free(old);
	free(now);
	free(replay);
}

/* Issue 10: another source's served directory (a host pointed at a new
 * directory): its serial says nothing about the new one's, which may
 * start again at 1; the deprovisioning guard still compares the users. */
Test(syncjob, new_source_not_compared_with_the_old_serial)
{
	struct syncjob_in in;
	struct syncjob_out out;
	struct directory *old;
	char *now = doc_of(40, 3), *other = doc_of(1, 4);

	serve_doc(other);
	input(&in, SOURCE_DOCUMENT, doc_url);
	old = built(&in, now);
	in.old = old;
	in.old_doc = now;
	in.old_len = strlen(now);
	in.new_source = true;
	syncjob_run(&in, &out);
	cr_expect_eq(out.result, SYNCJOB_APPLY, "%s", out.reason);
	cr_expect(out.cache_written);
	syncjob_out_free(&out);
	syncjob_in_free(&in);
	directory_free(old);
	free(now);
	free(other);
}

Test(syncjob, new_source_still_has_the_deprovisioning_guard)
{
	struct syncjob_in in;
	struct syncjob_out out;
	struct directory *old;
	char *now = doc_of(40, 20), *other = doc_of(1, 2);

	serve_doc(other);
	input(&in, SOURCE_DOCUMENT, doc_url);
	old = built(&in, now);
	in.old = old;
	in.old_doc = now;
	in.old_len = strlen(now);
	in.new_source = true;
	syncjob_run(&in, &out);
	cr_expect_eq(out.result, SYNCJOB_REJECTED);
	cr_expect(strstr(out.reason, "deprovision"), "%s", out.reason);
	cr_expect_not(cache_exists());
	syncjob_out_free(&out);
	in.force = true;
	syncjob_run(&in, &out);
	cr_expect_eq(out.result, SYNCJOB_APPLY, "--force accepts it: %s", out.reason);
	syncjob_out_free(&out);
	syncjob_in_free(&in);
	directory_free(old);
	free(now);
	free(other);
}

/* Issue 9 section 7: a file:// document gets the guards an https:// one
 * does - the same serial with other bytes is refused. */
Test(syncjob, file_document_same_serial_other_content_rejected)
{
	struct syncjob_in in;
	struct syncjob_out out;
	struct directory *old;
	char *now = doc_of(6, 3), *reused = doc_of(6, 4), path[128], furl[160];
	int fd;

	snprintf(path, sizeof(path), "%s/doc.json", tmp);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, reused, strlen(reused)), (ssize_t)strlen(reused));
	close(fd);
	snprintf(furl, sizeof(furl), "file://%s", path);
	input(&in, SOURCE_DOCUMENT, furl);
	old = built(&in, now);
	in.old = old;
	in.old_doc = now;
	in.old_len = strlen(now);
	syncjob_run(&in, &out);
	cr_expect_eq(out.result, SYNCJOB_REJECTED);
	cr_expect(strstr(out.reason, "serial 6 reused with different content"), "%s", out.reason);
	cr_expect_not(cache_exists());
	syncjob_out_free(&out);
	syncjob_in_free(&in);
	directory_free(old);
	free(now);
	free(reused);
}

Test(syncjob, garbage_rejected_whole_and_retried)
{
	struct syncjob_in in;
	struct syncjob_out out;

	serve_doc("{\"prov_directory\": 1, \"serial\": 2, \"users\": [ {,,, ");
	input(&in, SOURCE_DOCUMENT, doc_url);
	syncjob_run(&in, &out);
	cr_expect_eq(out.result, SYNCJOB_REJECTED);
	cr_expect(strstr(out.reason, "malformed document"), "%s", out.reason);
	cr_expect(out.transient);
	cr_expect_not(cache_exists());
	syncjob_out_free(&out);
	syncjob_in_free(&in);
}

Test(syncjob, failover_to_the_next_url)
{
	struct syncjob_in in;
	struct syncjob_out out;
	char *doc = doc_of(1, 2);

	serve_doc(doc);
	input(&in, SOURCE_DOCUMENT, "https://127.0.0.1:1/directory.json");
	cr_assert_eq(dir_strv_push(&in.cfg.urls, doc_url), 0);
	syncjob_run(&in, &out);
	cr_assert_eq(out.result, SYNCJOB_APPLY, "%s", out.reason);
	cr_expect_str_eq(out.url, doc_url);
	cr_expect_str_eq(out.reason, "", "the first URL's failure is not the outcome");
	syncjob_out_free(&out);
	syncjob_in_free(&in);
	free(doc);
}

Test(syncjob, all_urls_failing_keeps_the_longest_retry_after)
{
	struct syncjob_in in;
	struct syncjob_out out;
	char url2[160];

	admin_do("/fault", "{\"mode\": \"http429\", \"retry_after\": 90}");
	input(&in, SOURCE_DOCUMENT, "https://127.0.0.1:1/directory.json");
	snprintf(url2, sizeof(url2), "%s", doc_url);
	cr_assert_eq(dir_strv_push(&in.cfg.urls, url2), 0);
	syncjob_run(&in, &out);
	cr_expect_eq(out.result, SYNCJOB_FAILED);
	cr_expect(out.transient);
	cr_expect_eq(out.retry_after_s, 90);
	cr_expect(strstr(out.reason, "127.0.0.1:1") && strstr(out.reason, "HTTP 429"), "both named: %s", out.reason);
	syncjob_out_free(&out);
	syncjob_in_free(&in);
}

Test(syncjob, refused_token_is_an_alert_not_a_retry)
{
	struct syncjob_in in;
	struct syncjob_out out;

	admin_do("/fault", "{\"mode\": \"forbidden\"}");
	input(&in, SOURCE_DOCUMENT, doc_url);
	syncjob_run(&in, &out);
	cr_expect_eq(out.result, SYNCJOB_FAILED);
	cr_expect(out.auth);
	cr_expect_not(out.transient);
	cr_expect_null(strstr(out.reason, TOKEN), "never the token: %s", out.reason);
	syncjob_out_free(&out);
	syncjob_in_free(&in);
}

static char scim_url[160];

static void scim_input(struct syncjob_in *in)
{
	snprintf(scim_url, sizeof(scim_url), "https://127.0.0.1:%d/scim/v2", port_https);
	input(in, SOURCE_SCIM, scim_url);
}

Test(syncjob, scim_applied_then_unchanged)
{
	struct syncjob_in in;
	struct syncjob_out out, again;
	struct directory *back = NULL;
	char err[256];

	admin_do("/generate", "{\"users\": 12, \"groups\": 2, \"members_per_group\": 3, \"posix\": false}");
	scim_input(&in);
	in.cfg.scim_page_size = 5;
	syncjob_run(&in, &out);
	cr_assert_eq(out.result, SYNCJOB_APPLY, "%s", out.reason);
	cr_expect_eq(out.dir->n_users, 12);
	cr_expect_eq(out.dir->serial, 1, "a first SCIM snapshot is serial 1");
	cr_expect_eq(out.dir->generated, in.now);
	cr_expect(out.cache_written, "%s", out.cache_error);
	cr_expect_gt(out.requests, 4, "paged: %u requests", out.requests);
	/* What is cached reads back as the same directory. */
	cr_assert_eq(docparse(out.doc, out.doc_len, &back, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(back->n_users, 12);
	cr_expect_eq(back->serial, 1);
	for (size_t i = 0; i < back->n_users; i++)
		cr_expect_eq(back->users[i].uid, out.dir->users[i].uid);
	directory_free(back);

	in.old = out.dir;
	in.old_doc = out.doc;
	in.old_len = out.doc_len;
	syncjob_run(&in, &again);
	cr_expect_eq(again.result, SYNCJOB_UNCHANGED, "%s", again.reason);
	syncjob_out_free(&again);
	syncjob_out_free(&out);
	syncjob_in_free(&in);
}

Test(syncjob, scim_mass_deprovisioning_needs_force)
{
	struct syncjob_in in;
	struct syncjob_out out, refused, forced;

	admin_do("/generate", "{\"users\": 20, \"groups\": 0, \"posix\": true}");
	scim_input(&in);
	syncjob_run(&in, &out);
	cr_assert_eq(out.result, SYNCJOB_APPLY, "%s", out.reason);
	admin_do("/generate", "{\"users\": 10, \"groups\": 0, \"posix\": true}");
	in.old = out.dir;
	in.old_doc = out.doc;
	in.old_len = out.doc_len;
	syncjob_run(&in, &refused);
	cr_expect_eq(refused.result, SYNCJOB_REJECTED);
	cr_expect(strstr(refused.reason, "would deprovision 10 of 20 active users"), "%s", refused.reason);
	in.force = true;
	syncjob_run(&in, &forced);
	cr_assert_eq(forced.result, SYNCJOB_APPLY, "%s", forced.reason);
	cr_expect(forced.plan.forced);
	cr_expect_eq(forced.plan.users_deprovisioned.n, 10);
	cr_expect_eq(forced.dir->serial, 2, "the served serial + 1");
	syncjob_out_free(&forced);
	syncjob_out_free(&refused);
	syncjob_out_free(&out);
	syncjob_in_free(&in);
}

Test(syncjob, scim_without_a_token_file_fails_clearly)
{
	struct syncjob_in in;
	struct syncjob_out out;

	admin_do("/generate", "{\"users\": 2}");
	scim_input(&in);
	unlink(token_path);
	syncjob_run(&in, &out);
	cr_expect_eq(out.result, SYNCJOB_FAILED);
	cr_expect(strstr(out.reason, token_path), "names the file: %s", out.reason);
	cr_expect_eq(out.requests, 0, "nothing sent without a token");
	syncjob_out_free(&out);
	syncjob_in_free(&in);
}

static void take_marks(struct syncjob_in *in, struct syncjob_out *out)
{
	free(in->marks);
	in->marks = out->marks;
	in->n_marks = out->n_marks;
	out->marks = NULL;
}

/* SCIM has no ETag for a list: a page that comes back byte for byte as
 * last time is not parsed again, and a directory whose pages all did is
 * unchanged at the cost of the download. A change on a late page still
 * shows: the pages kept before it are parsed then. */
Test(syncjob, scim_same_pages_are_not_parsed_and_a_late_change_still_shows)
{
	struct syncjob_in in;
	struct syncjob_out first, same, changed;
	struct json_object *users;
	const char *last_id;
	char body[256];

	admin_do("/generate", "{\"users\": 12, \"groups\": 2, \"members_per_group\": 3, \"posix\": true}");
	scim_input(&in);
	in.cfg.scim_page_size = 5;
	syncjob_run(&in, &first);
	cr_assert_eq(first.result, SYNCJOB_APPLY, "%s", first.reason);
	cr_expect_eq(first.n_marks, 4, "3 pages of users, 1 of groups");
	in.old = first.dir;
	in.old_doc = first.doc;
	in.old_len = first.doc_len;
	take_marks(&in, &first);

	syncjob_run(&in, &same);
	cr_expect_eq(same.result, SYNCJOB_UNCHANGED, "%s", same.reason);
	cr_expect(same.not_modified, "recognised by its pages");
	cr_expect_null(same.dir);
	cr_expect_eq(same.n_marks, 4);

	users = admin("/users", NULL);
	last_id = json_object_get_string(json_object_object_get(json_object_array_get_idx(users, 11), "id"));
	snprintf(body, sizeof(body), "{\"op\": \"patch_user\", \"id\": \"%s\", \"set\": {\"displayName\": \"Late\"}}",
		 last_id);
	json_object_put(users);
	admin_do("/op", body);
	syncjob_run(&in, &changed);
	cr_assert_eq(changed.result, SYNCJOB_APPLY, "%s", changed.reason);
	cr_expect_eq(changed.plan.users_changed.n, 1);
	cr_expect_eq(changed.plan.users_added.n, 0, "the kept pages were read: nobody looks new");
	cr_expect_eq(changed.plan.users_deprovisioned.n, 0, "nor gone");
	cr_expect_eq(changed.dir->n_users, 12);
	cr_expect_str_eq(directory_user_by_name(changed.dir, "user000011")->gecos, "Late");
	syncjob_out_free(&changed);
	syncjob_out_free(&same);
	syncjob_out_free(&first);
	syncjob_in_free(&in);
}

/* Issue 9 §3: a pull whose only news is a refused entry (same serial,
 * nothing served changes: a NOOP plan, as every SCIM pull without a
 * change is) is applied all the same, so it is logged and shown; the
 * established entry is unchanged; the same pull again is unchanged. */
Test(syncjob, refusal_only_news_is_applied_and_the_established_entry_stays)
{
	static const char *const before = "{\"prov_directory\": 1, \"serial\": 7, \"users\": ["
					  "{\"id\": \"a\", \"name\": \"alice\", \"uid\": 120001}]}";
	static const char *const after = "{\"prov_directory\": 1, \"serial\": 7, \"users\": ["
					 "{\"id\": \"a\", \"name\": \"alice\", \"uid\": 120001},"
					 "{\"id\": \"A\", \"name\": \"ALICE\", \"uid\": 120002}]}";
	struct syncjob_in in;
	struct syncjob_out out;
	struct directory *old;

	serve_doc(after);
	input(&in, SOURCE_DOCUMENT, doc_url);
	old = built(&in, before);
	in.old = old;
	in.old_doc = before;
	in.old_len = strlen(before);
	syncjob_run(&in, &out);
	cr_assert_eq(out.result, SYNCJOB_APPLY, "%s", out.reason);
	cr_expect(out.refusals_only);
	cr_expect_not_null(directory_user_by_name(out.dir, "alice"), "alice stays");
	cr_expect_null(directory_user_by_name(out.dir, "ALICE"));
	cr_assert_eq(directory_count_outcome(out.dir, DIR_CONFLICT), 1);
	cr_expect(strstr(out.dir->refused[0].reason, "user alice's, served before") != NULL, "%s",
		  out.dir->refused[0].reason);

	/* Served now: the same document again is no news. */
	in.old = out.dir;
	in.old_doc = after;
	in.old_len = strlen(after);
	{
		struct syncjob_out again;

		syncjob_run(&in, &again);
		cr_expect_eq(again.result, SYNCJOB_UNCHANGED, "%s", again.reason);
		syncjob_out_free(&again);
	}
	syncjob_out_free(&out);
	syncjob_in_free(&in);
	directory_free(old);
}

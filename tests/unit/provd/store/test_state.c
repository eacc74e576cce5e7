/* SPDX-License-Identifier: MIT */
/* Daemon state: applying documents (replay protection, DESIGN §2), the
 * cache as the start-up source and replay floor (invariant 4), reloads. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/cache.h"
#include "admit/snapshot.h"
#include "runtime_fixture.h"

static char dir[64], statedir[128], conf[128], docpath[128];
static char err[512];
static struct prov_state st;
static bool st_live;

static void setup(void)
{
	fixture_quiet_log();
	strcpy(dir, "/tmp/prov-test-state-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(statedir, sizeof(statedir), "%s/state", dir);
	snprintf(conf, sizeof(conf), "%s/provd.conf", dir);
	snprintf(docpath, sizeof(docpath), "%s/directory.json", dir);
	st_live = false;
}

static void teardown(void)
{
	if (st_live)
		state_free(&st);
	fixture_rm_rf(dir);
}

TestSuite(state, .init = setup, .fini = teardown);

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* A config with the fixture account files, our state dir and doc url. */
static void write_conf(const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "[directory]\nurl = file://%s\n[accounts]\npasswd_file = " RT_FIX "/passwd\n"
		 "group_file = " RT_FIX "/group\nshells_file = " RT_FIX "/shells\n%s"
		 "[paths]\nstate_dir = %s\nruntime_dir = %s/run\n",
		 docpath, extra ? extra : "", statedir, dir);
	write_file(conf, text, 0644);
}

static void copy_fixture(const char *name)
{
	size_t len;
	char *doc = fixture_read(name, &len);

	write_file(docpath, doc, 0644);
	free(doc);
}

static void init_state(void)
{
	struct prov_config c;

	cr_assert_eq(config_load(conf, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(state_init(&st, conf, false, &c), 0);
	st_live = true;
}

static char *read_fixture(const char *name, size_t *len)
{
	return fixture_read(name, len);
}

/* Serves the fixture as the sync would have pulled it from docpath. */
static void serve_fixture(void)
{
	size_t len;
	char *doc = read_fixture(RT_FIX "/directory.json", &len), origin[200];

	snprintf(origin, sizeof(origin), "file://%s", docpath);
	cr_assert_eq(state_apply_document(&st, doc, len, origin, 0, err, sizeof(err)), 0, "%s", err);
	free(doc);
}

static uint64_t cached_serial(void)
{
	struct cache_info info;
	char *doc = NULL;
	size_t len;

	cr_assert_eq(cache_read(statedir, &doc, &len, &info, err, sizeof(err)), 0, "%s", err);
	free(doc);
	return info.serial;
}

Test(state, apply_serves_and_persists)
{
	size_t len;
	char *doc = read_fixture(RT_FIX "/directory.json", &len);
	char *cached = NULL;
	size_t clen;

	write_conf(NULL);
	init_state();
	cr_assert_eq(state_apply_document(&st, doc, len, "test", 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(st.dir);
	cr_assert_eq(st.dir->serial, 7);
	cr_assert_str_eq(st.origin, "test");
	cr_assert(st.cache_in_sync);
	/* the cache holds the exact bytes */
	cr_assert_eq(cache_read(statedir, &cached, &clen, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(clen, len);
	cr_assert_eq(memcmp(cached, doc, len), 0);
	free(cached);
	/* the same bytes again: nothing to do */
	cr_assert_eq(state_apply_document(&st, doc, len, "test", 0, err, sizeof(err)), 1);
	free(doc);
}

/* DESIGN §2: a replayed (older) document never brings back what a newer
 * one removed. The served snapshot and the cache stay. */
Test(state, older_serial_refused)
{
	size_t l9, l3;
	char *d9 = read_fixture(RT_FIX "/directory-serial9.json", &l9);
	char *d3 = read_fixture(RT_FIX "/directory-serial3.json", &l3);

	write_conf(NULL);
	init_state();
	cr_assert_eq(state_apply_document(&st, d9, l9, "new", 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(state_apply_document(&st, d3, l3, "old", 0, err, sizeof(err)), -ESTALE);
	cr_assert_not_null(strstr(err, "serial 3 is older than the served 9"), "%s", err);
	cr_assert_eq(st.dir->serial, 9);
	cr_assert_str_eq(st.origin, "new");
	cr_assert_eq(cached_serial(), 9);
	free(d9);
	free(d3);
}

Test(state, malformed_document_keeps_served)
{
	size_t len;
	char *doc = read_fixture(RT_FIX "/directory.json", &len);

	write_conf(NULL);
	init_state();
	cr_assert_eq(state_apply_document(&st, doc, len, "good", 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_lt(state_apply_document(&st, "{\"prov_directory\": 1, \"users\": [", 31, "bad", 0, err, sizeof(err)), 0);
	cr_assert_eq(st.dir->serial, 7);
	cr_assert_str_eq(st.origin, "good");
	cr_assert_eq(cached_serial(), 7);
	free(doc);
}

Test(state, no_cache_write_when_asked)
{
	size_t len;
	char *doc = read_fixture(RT_FIX "/directory.json", &len), *c = NULL;
	size_t clen;

	write_conf(NULL);
	init_state();
	cr_assert_eq(state_apply_document(&st, doc, len, "cache", APPLY_NO_CACHE, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cache_read(statedir, &c, &clen, NULL, err, sizeof(err)), -ENOENT);
	free(doc);
}

/* Start-up: the cache is served at once; a file:// source is not read
 * here but pulled by the sync worker (sync.c), which applies every guard
 * to it (serial, reuse, mass deprovisioning: issue 9 section 7). */
Test(state, initial_load_serves_cache_file_left_to_sync)
{
	size_t l9;
	char *d9 = read_fixture(RT_FIX "/directory-serial9.json", &l9);

	cr_assert_eq(cache_write(statedir, d9, l9, 9, err, sizeof(err)), 0, "%s", err);
	copy_fixture(RT_FIX "/directory-serial3.json");
	write_conf(NULL);
	init_state();
	cr_assert_eq(state_load_source(&st, 0), STATE_SOURCE_ASYNC, "file:// goes through the sync");
	state_load_initial(&st);
	cr_assert_not_null(st.dir);
	cr_assert_eq(st.dir->serial, 9);
	cr_assert_str_eq(st.origin, "cache");
	cr_assert_str_eq(st.last_error, "");
	cr_assert_not_null(strstr(st.cache_state, "loaded (serial 9"), "%s", st.cache_state);
	cr_assert_eq(cached_serial(), 9);
	cr_assert_gt(st.last_ok, 0, "from the cache's saved_at");
	free(d9);
}

/* A corrupt cache is refused with a reason; nothing is served until the
 * sync's first pull. */
Test(state, initial_load_corrupt_cache)
{
	int fd;
	char path[200];

	cr_assert_eq(mkdir(statedir, 0700), 0);
	snprintf(path, sizeof(path), "%s/" CACHE_FILE_NAME, statedir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	cr_assert_eq(write(fd, "PROVCACH garbage garbage garbage garbage garbage garbage", 56), 56);
	close(fd);
	copy_fixture(RT_FIX "/directory.json");
	write_conf(NULL);
	init_state();
	state_load_initial(&st);
	cr_assert_null(st.dir);
	cr_assert_not_null(strstr(st.cache_state, "refused"), "%s", st.cache_state);
	cr_assert_not_null(strstr(st.last_error, "cache refused"), "%s", st.last_error);
}

/* Nothing cached: still runs, serves nothing. */
Test(state, initial_load_nothing)
{
	write_conf(NULL);
	init_state();
	state_load_initial(&st);
	cr_assert_null(st.dir);
	cr_assert_str_eq(st.cache_state, "none");
}

static void write_conf_urls(const char *url_line)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "[directory]\n%s\n[accounts]\npasswd_file = " RT_FIX "/passwd\ngroup_file = " RT_FIX "/group\n"
		 "shells_file = " RT_FIX "/shells\n[paths]\nstate_dir = %s\n",
		 url_line, statedir);
	write_file(conf, text, 0644);
}

/* Issue 10: no url, no directory. Not the demo, not even a cache left by
 * a source configured before: provd serves nobody and writes nothing. */
Test(state, unconfigured_serves_nobody_and_caches_nothing)
{
	size_t l9;
	char *d9 = read_fixture(RT_FIX "/directory-serial9.json", &l9);
	struct stat sb;
	char path[200];

	cr_assert_eq(cache_write(statedir, d9, l9, 9, err, sizeof(err)), 0, "%s", err);
	write_conf_urls("");
	init_state();
	cr_assert_eq(state_load_source(&st, 0), STATE_SOURCE_NONE);
	state_load_initial(&st);
	cr_assert_null(st.dir, "the old cache is not served without a source");
	cr_assert_not_null(strstr(st.cache_state, "no source configured"), "%s", st.cache_state);
	cr_assert_eq(cached_serial(), 9, "and it is left as it was");
	snprintf(path, sizeof(path), "%s/sync.state", statedir);
	cr_assert_neq(stat(path, &sb), 0);
	free(d9);
}

/* url = demo: asks for the embedded demo: served, never cached. */
Test(state, demo_url_serves_demo_never_cached)
{
	char *c = NULL;
	size_t clen;

	write_conf_urls("url = demo:");
	init_state();
	state_load_initial(&st);
	cr_assert_not_null(st.dir);
	cr_assert_str_eq(st.origin, "embedded demo");
	cr_assert_not_null(directory_user_by_name(st.dir, "alice"));
	cr_assert_not(state_is_stale(&st, (int64_t)time(NULL)));
	cr_assert_eq(cache_read(statedir, &c, &clen, NULL, err, sizeof(err)), -ENOENT, "the demo is never cached");
	cr_assert_eq(state_reload(&st), 0);
	cr_assert_not_null(st.dir);
	cr_assert_eq(cache_read(statedir, &c, &clen, NULL, err, sizeof(err)), -ENOENT, "not by a reload either");
}

/* From the demo to a real source by a reload: the demo goes at once, so
 * the first pull of the real source is neither compared with it nor
 * guarded against "deprovisioning" the demo users. */
Test(state, reload_from_demo_to_a_source_drops_the_demo)
{
	write_conf_urls("url = demo:");
	init_state();
	state_load_initial(&st);
	cr_assert_not_null(st.dir);
	copy_fixture(RT_FIX "/directory.json");
	write_conf(NULL);
	cr_assert_eq(state_reload(&st), 0);
	cr_assert_null(st.dir, "nothing served until the sync's first pull");
}

/* A cache an older provd wrote from the embedded demo (no url) is neither
 * served nor a serial floor for the real directory configured now. */
Test(state, cache_holding_the_demo_is_ignored)
{
	size_t len;
	const char *demo = demo_document(&len);

	cr_assert_eq(cache_write(statedir, demo, len, 1, err, sizeof(err)), 0, "%s", err);
	copy_fixture(RT_FIX "/directory.json");
	write_conf(NULL);
	init_state();
	state_load_initial(&st);
	cr_assert_null(st.dir);
	cr_assert_not_null(strstr(st.cache_state, "embedded demo"), "%s", st.cache_state);
}

/* A reload that removes the url stops serving (issue 10). */
Test(state, reload_to_unconfigured_serves_nobody)
{
	size_t len;
	char *doc = read_fixture(RT_FIX "/directory.json", &len);

	write_conf(NULL);
	init_state();
	cr_assert_eq(state_apply_document(&st, doc, len, "t", 0, err, sizeof(err)), 0, "%s", err);
	write_conf_urls("");
	cr_assert_eq(state_reload(&st), 0);
	cr_assert_null(st.dir);
	free(doc);
}

/* SIGHUP with a broken config: the running one stays, and says why. */
Test(state, reload_invalid_config_kept)
{
	write_conf(NULL);
	init_state();
	serve_fixture();
	write_file(conf, "[server]\nmax_clients = lots\n", 0644);
	cr_assert_lt(state_reload(&st), 0);
	cr_assert_eq(st.cfg.max_clients, 1024);
	cr_assert_not_null(strstr(st.cfg.passwd_file, "fixtures"));
	cr_assert_not_null(strstr(st.last_error, "reload refused"), "%s", st.last_error);
	cr_assert_not_null(strstr(st.last_error, ":2: max_clients"), "%s", st.last_error);
	cr_assert_not_null(directory_user_by_name(st.dir, "alice"));
}

/* SIGHUP with a new valid config re-admits the directory under it. */
Test(state, reload_applies_new_rules)
{
	copy_fixture(RT_FIX "/directory.json");
	write_conf(NULL);
	init_state();
	serve_fixture();
	cr_assert_not_null(directory_user_by_name(st.dir, "alice"));
	write_conf("min_id = 20002\n");
	cr_assert_eq(state_reload(&st), 0, "%s", st.last_error);
	cr_assert_eq(st.cfg.min_id, 20002);
	cr_assert_null(directory_user_by_name(st.dir, "alice"), "uid 20001 is now below min_id");
	cr_assert_not_null(directory_user_by_name(st.dir, "bob"));
}

/* ... also when the source has gone away meanwhile. */
Test(state, reload_readmits_when_source_gone)
{
	copy_fixture(RT_FIX "/directory.json");
	write_conf(NULL);
	init_state();
	serve_fixture();
	unlink(docpath);
	write_conf("min_id = 20002\n");
	cr_assert_eq(state_reload(&st), 0, "the sync pulls the file later");
	cr_assert_not_null(st.dir);
	cr_assert_null(directory_user_by_name(st.dir, "alice"));
	cr_assert_not_null(directory_user_by_name(st.dir, "bob"));
}

/* The runtime_dir in use stays until a restart (the sockets are bound). */
Test(state, reload_keeps_runtime_dir)
{
	char *before;

	write_conf(NULL);
	init_state();
	before = strdup(st.cfg.runtime_dir);
	write_file(conf, "[paths]\nruntime_dir = /run/elsewhere\n", 0644);
	state_reload(&st);
	cr_assert_str_eq(st.cfg.runtime_dir, before);
	free(before);
}

Test(state, stale_past_not_after)
{
	static const char doc[] = "{\"prov_directory\": 1, \"serial\": 1, \"not_after\": \"2001-01-01T00:00:00Z\","
				  " \"users\": [], \"groups\": []}";

	write_conf(NULL);
	init_state();
	cr_assert_eq(state_apply_document(&st, doc, sizeof(doc) - 1, "t", 0, err, sizeof(err)), 0, "%s", err);
	cr_assert(state_is_stale(&st, (int64_t)time(NULL)));
	st.last_ok = 978307100; /* confirmed by its source just before: only not_after counts */
	cr_assert(!state_is_stale(&st, 978307199), "one second before not_after");
}

/* DESIGN invariant 5: not confirmed by its source for offline_grace, the
 * directory is stale (issue 3); the embedded demo never is by age. */
Test(state, stale_past_offline_grace)
{
	static const char doc[] = "{\"prov_directory\": 1, \"serial\": 1, \"users\": []}";
	char why[256];

	write_conf(NULL);
	init_state();
	cr_assert_eq(state_apply_document(&st, doc, sizeof(doc) - 1, "t", 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_gt(st.cfg.urls.n, 0);
	st.cfg.offline_grace_s = 3600;
	st.last_ok = 1000000;
	cr_expect_not(state_is_stale(&st, 1000000 + 3599));
	cr_expect(state_is_stale(&st, 1000000 + 3600));
	state_stale_reason(&st, 1000000 + 3600, why, sizeof(why));
	cr_expect_str_eq(why, "not confirmed by its source for 3600 s (offline_grace 3600 s)");
	st.last_ok = 0;
	cr_expect(state_is_stale(&st, 1000000), "never confirmed: stale (fails closed)");
	dir_strv_free(&st.cfg.urls);
	cr_expect_not(state_is_stale(&st, 1000000), "no source configured: not stale by age");
}

Test(state, summary)
{
	char buf[512];

	write_conf(NULL);
	init_state();
	state_summary(&st, buf, sizeof(buf));
	cr_assert_str_eq(buf, "no directory loaded");
	serve_fixture();
	state_summary(&st, buf, sizeof(buf));
	cr_assert_not_null(strstr(buf, "serving 3 users, 5 groups (serial 7 from file://"), "%s", buf);
}

/* SPDX-License-Identifier: MIT */
/*
 * source.c: which source the config names (none: unconfigured; the
 * embedded demo only when asked for; file:// sources), the source
 * identity kept beside the cache (issue 10), and what it reports about a
 * URL, its origin and its errors, never showing the URL's userinfo or
 * query (issue 8 section 4).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admit/snapshot.h"
#include "source/source.h"

static struct prov_config cfg;
static char err[256];

static void setup(void)
{
	cr_assert_eq(config_defaults(&cfg), 0);
}

static void teardown(void)
{
	config_free(&cfg);
}

TestSuite(source, .init = setup, .fini = teardown);

static void urls(const char *a, const char *b)
{
	dir_strv_free(&cfg.urls);
	if (a)
		cr_assert_eq(dir_strv_push(&cfg.urls, a), 0);
	if (b)
		cr_assert_eq(dir_strv_push(&cfg.urls, b), 0);
}

static void id_of(const char *a, const char *b, char *ret)
{
	urls(a, b);
	source_identity(&cfg, ret, SOURCE_IDENTITY_MAX);
}

Test(source, no_url_is_unconfigured_and_fetches_nothing)
{
	char *doc = NULL, origin[64];
	size_t len = 0;

	cr_assert_not(source_is_configured(&cfg));
	cr_assert_not(source_is_demo(&cfg), "no url is not the demo");
	cr_assert_eq(source_fetch(&cfg, &doc, &len, origin, sizeof(origin), err, sizeof(err)), -ENOENT);
	cr_assert_null(doc);
	cr_assert_not_null(strstr(err, "no directory source configured"), "%s", err);
}

Test(source, demo_only_when_asked_for)
{
	char *doc = NULL, origin[64];
	size_t len = 0, dlen;
	const char *demo = demo_document(&dlen);

	urls("demo:", NULL);
	cr_assert(source_is_demo(&cfg));
	cr_assert(source_is_configured(&cfg));
	cr_assert_not(source_is_file(&cfg));
	cr_assert_eq(source_fetch(&cfg, &doc, &len, origin, sizeof(origin), err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(len, dlen);
	cr_assert_eq(memcmp(doc, demo, len), 0);
	cr_assert_str_eq(origin, "embedded demo");
	free(doc);
}

Test(source, file_sources)
{
	urls("file:///srv/a.json", "file:///srv/b.json");
	cr_assert(source_is_file(&cfg));
	urls("file:///srv/a.json", "https://dir.example.com/d.json");
	cr_assert_not(source_is_file(&cfg), "one network URL makes it a network source");
}

Test(source, identity_names_the_directory_not_its_secrets)
{
	char a[SOURCE_IDENTITY_MAX], b[SOURCE_IDENTITY_MAX], c[SOURCE_IDENTITY_MAX];

	id_of("https://dir.example.com/prov/d.json", NULL, a);
	cr_assert_eq(strncmp(a, "document:", 9), 0, "%s", a);
	cr_assert_eq(strlen(a), 9 + 16, "%s", a);
	id_of("https://user:s3cret@dir.example.com/prov/d.json?token=abc#x", NULL, b);
	cr_assert_str_eq(a, b, "userinfo, query and fragment are not part of it");
	cr_assert_null(strstr(b, "s3cret"));
	id_of("https://dir.example.com/prov/other.json", NULL, c);
	cr_assert_str_neq(a, c, "another path is another directory");
	id_of("https://mirror.example.com/prov/d.json", NULL, c);
	cr_assert_str_neq(a, c, "another host too");
	id_of("https://dir.example.com/prov/d.json", "https://mirror.example.com/prov/d.json", c);
	cr_assert_str_neq(a, c, "another list of URLs too");
	cfg.source_type = SOURCE_SCIM;
	id_of("https://dir.example.com/prov/d.json", NULL, c);
	cr_assert_eq(strncmp(c, "scim:", 5), 0, "%s", c);
	id_of(NULL, NULL, c);
	cr_assert_str_eq(c, "", "unconfigured: no identity");
}

/* Moved from the state tests: whoever can write the document decides who
 * logs in, so one anyone can write is refused. */
Test(source, writable_file_refused)
{
	char dir[] = "/tmp/prov-test-source-XXXXXX", path[64], *doc = NULL;
	size_t len;
	int fd;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d.json", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "{}", 2), 2);
	close(fd);
	cr_assert_eq(chmod(path, 0666), 0);
	cr_assert_lt(source_read_file(path, &doc, &len, err, sizeof(err)), 0);
	cr_assert_not_null(strstr(err, "writable by group or others"), "%s", err);
	unlink(path);
	rmdir(dir);
}

Test(source, error_never_shows_url_credentials)
{
	char origin[256] = "", errbuf[512] = "";
	char *doc = NULL;
	size_t len = 0;

	cr_assert_eq(dir_strv_push(&cfg.urls, "https://bob:PW-SECRET@dir.example/d.json?X-Amz-Signature=Q-SECRET"), 0);
	cr_assert_eq(source_fetch(&cfg, &doc, &len, origin, sizeof(origin), errbuf, sizeof(errbuf)), -EOPNOTSUPP);
	cr_assert_null(strstr(errbuf, "SECRET"), "%s", errbuf);
	cr_assert_not_null(strstr(errbuf, "https://***@dir.example/d.json?***"), "%s", errbuf);
}

Test(source, failover_origin_is_redacted)
{
	char path[] = "/tmp/prov-source-XXXXXX", url[128], origin[256] = "", errbuf[512] = "";
	const char *text = "{\"prov_directory\": 1, \"serial\": 1, \"users\": []}";
	char *doc = NULL;
	size_t len = 0;
	int fd = mkstemp(path);

	if (geteuid() != 0)
		cr_skip_test("source files must be root's");
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cr_assert_eq(chmod(path, 0644), 0);
	snprintf(url, sizeof(url), "file://%s", path);
	cr_assert_eq(dir_strv_push(&cfg.urls, "https://u:PW-SECRET@down.example/x?sig=Q-SECRET"), 0);
	cr_assert_eq(dir_strv_push(&cfg.urls, url), 0);
	cr_assert_eq(source_fetch(&cfg, &doc, &len, origin, sizeof(origin), errbuf, sizeof(errbuf)), 0, "%s", errbuf);
	cr_assert_str_eq(origin, url);
	cr_assert_str_eq(doc, text);
	free(doc);
	unlink(path);
}

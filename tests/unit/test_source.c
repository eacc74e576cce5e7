/* SPDX-License-Identifier: MIT */
/*
 * source.c (file:// and the embedded demo): what it reports about a URL,
 * its origin and its errors, never shows the URL's userinfo or query
 * (issue 8 §4).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "source.h"

static struct prov_config cfg;

static void setup(void)
{
	cr_assert_eq(config_defaults(&cfg), 0);
}

static void teardown(void)
{
	config_free(&cfg);
}

TestSuite(source, .init = setup, .fini = teardown);

Test(source, embedded_demo_without_url)
{
	char origin[256], err[256] = "";
	char *doc = NULL;
	size_t len = 0;

	cr_assert_eq(source_fetch(&cfg, &doc, &len, origin, sizeof(origin), err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(origin, "embedded demo");
	cr_assert_gt(len, 0);
	free(doc);
}

Test(source, error_never_shows_url_credentials)
{
	char origin[256] = "", err[512] = "";
	char *doc = NULL;
	size_t len = 0;

	cr_assert_eq(dir_strv_push(&cfg.urls, "https://bob:PW-SECRET@dir.example/d.json?X-Amz-Signature=Q-SECRET"), 0);
	cr_assert_eq(source_fetch(&cfg, &doc, &len, origin, sizeof(origin), err, sizeof(err)), -EOPNOTSUPP);
	cr_assert_null(strstr(err, "SECRET"), "%s", err);
	cr_assert_not_null(strstr(err, "https://***@dir.example/d.json?***"), "%s", err);
}

Test(source, failover_origin_is_redacted)
{
	char path[] = "/tmp/prov-source-XXXXXX", url[128], origin[256] = "", err[512] = "";
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
	cr_assert_eq(source_fetch(&cfg, &doc, &len, origin, sizeof(origin), err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(origin, url);
	cr_assert_str_eq(doc, text);
	free(doc);
	unlink(path);
}

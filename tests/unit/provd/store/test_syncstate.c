/* SPDX-License-Identifier: MIT */
/*
 * provd/store/syncstate.c: <state_dir>/sync.state, what a restart must not lose
 * (when the source last confirmed the directory: DESIGN invariant 5) and
 * the validators that make an unchanged directory cost one 304. A file
 * provd cannot trust is refused, never half-used.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/syncstate.h"

static char dir[64];
static char path[128];
static char err[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/prov-syncstate.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, SYNCSTATE_FILE_NAME);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

TestSuite(syncstate, .init = setup, .fini = teardown);

static void put(const char *content, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	chmod(path, mode);
}

Test(syncstate, round_trip_keeps_last_ok_and_validators)
{
	struct syncstate s = { .last_ok = 1795646556 }, r;
	struct stat st;

	cr_assert_eq(syncstate_set_validators(&s, "https://dir.example/directory.json", "\"abc\"",
					      "Wed, 25 Nov 2026 22:42:43 GMT", 11299, 2652456674u), 0);
	cr_assert_eq(syncstate_write(dir, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(syncstate_read(dir, &r, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(r.last_ok, 1795646556);
	cr_expect_str_eq(r.url, "https://dir.example/directory.json");
	cr_expect_str_eq(r.etag, "\"abc\"");
	cr_expect_str_eq(r.last_modified, "Wed, 25 Nov 2026 22:42:43 GMT");
	cr_expect_eq(r.doc_len, 11299);
	cr_expect_eq(r.doc_crc, 2652456674u);
	syncstate_free(&r);
	syncstate_free(&s);
}

/* The identity of the cache's source (issue 10) survives a restart. */
Test(syncstate, source_identity_round_trips)
{
	struct syncstate s = { .last_ok = 5 }, r, c;

	snprintf(s.source, sizeof(s.source), "document:0123456789abcdef");
	cr_assert_eq(syncstate_write(dir, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(syncstate_read(dir, &r, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(r.source, "document:0123456789abcdef");
	cr_assert_eq(syncstate_copy(&r, &c), 0);
	cr_expect_str_eq(c.source, "document:0123456789abcdef");
	syncstate_free(&r);
	syncstate_free(&c);
	put("prov-sync 1\nlast_ok 5\nsource has a space\n", 0600);
	cr_expect_lt(syncstate_read(dir, &r, err, sizeof(err)), 0, "a malformed identity refuses the file");
	put("prov-sync 1\nlast_ok 5\n", 0600);
	cr_assert_eq(syncstate_read(dir, &r, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(r.source, "", "an older provd's file: unknown source");
	syncstate_free(&r);
}

Test(syncstate, clearing_validators_keeps_last_ok)
{
	struct syncstate s = { .last_ok = 42 }, r;

	cr_assert_eq(syncstate_set_validators(&s, "https://a/d.json", "\"e\"", NULL, 1, 2), 0);
	cr_assert_eq(syncstate_set_validators(&s, NULL, NULL, NULL, 0, 0), 0);
	cr_assert_eq(syncstate_write(dir, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(syncstate_read(dir, &r, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(r.last_ok, 42);
	cr_expect_null(r.url);
	cr_expect_null(r.etag);
	syncstate_free(&r);
	syncstate_free(&s);
}

Test(syncstate, no_file_is_an_empty_state)
{
	struct syncstate r = { .last_ok = 9 };

	cr_assert_eq(syncstate_read(dir, &r, err, sizeof(err)), 0);
	cr_expect_eq(r.last_ok, 0);
	cr_expect_null(r.url);
}

Test(syncstate, a_file_others_can_write_is_refused)
{
	struct syncstate r;

	put("prov-sync 1\nlast_ok 4102444800\n", 0666);
	cr_expect_eq(syncstate_read(dir, &r, err, sizeof(err)), -EPERM);
	cr_expect(strstr(err, "writable only by it"), "%s", err);
}

Test(syncstate, a_symlink_is_refused)
{
	struct syncstate r;
	char target[160];

	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	put("prov-sync 1\nlast_ok 4102444800\n", 0600);
	cr_assert_eq(rename(path, target), 0);
	cr_assert_eq(symlink(target, path), 0);
	cr_expect_eq(syncstate_read(dir, &r, err, sizeof(err)), -ELOOP);
	unlink(target);
}

Test(syncstate, malformed_files_are_refused_whole)
{
	static const char *const bad[] = {
		"",
		"prov-sync 2\nlast_ok 1\n",
		"prov-sync 1\nlast_ok -5\n",
		"prov-sync 1\nlast_ok 12x\n",
		"prov-sync 1\nlast_ok\n",
		"prov-sync 1\netag \"a\"\netag \"b\"\n",
		"prov-sync 1\netag a\x01b\n",
		"prov-sync 1\ndoc_crc 4294967296\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct syncstate r = { 0 };

		put(bad[i], 0600);
		cr_expect_eq(syncstate_read(dir, &r, err, sizeof(err)), -EBADMSG, "accepted: %s", bad[i]);
		cr_expect_null(r.etag);
	}
}

Test(syncstate, unknown_keys_of_a_newer_provd_are_ignored)
{
	struct syncstate r;

	put("prov-sync 1\nlast_ok 7\nsomething_new whatever it is\n", 0600);
	cr_assert_eq(syncstate_read(dir, &r, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(r.last_ok, 7);
	syncstate_free(&r);
}

Test(syncstate, a_validator_with_a_control_byte_is_never_written)
{
	struct syncstate s = { .last_ok = 3 }, r;

	/* It would be sent back as a header: drop the validators, keep the rest. */
	cr_assert_eq(syncstate_set_validators(&s, "https://a/d", "\"x\r\nInjected: 1\"", NULL, 1, 1), 0);
	cr_assert_eq(syncstate_write(dir, &s, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(syncstate_read(dir, &r, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(r.last_ok, 3);
	cr_expect_null(r.etag);
	cr_expect_null(r.url);
	syncstate_free(&r);
	syncstate_free(&s);
}

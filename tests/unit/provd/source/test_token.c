/* SPDX-License-Identifier: MIT */
/* The bearer token file: owner, mode, content checks; never echoed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/token.h"

static char dir[] = "/tmp/prov-token-XXXXXX";
static char path[256], err[512];

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(token, .init = setup, .fini = teardown);

static void put(const char *content, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, len), (ssize_t)len);
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void refused(int want, const char *want_err)
{
	char *t = (char *)0x1;

	err[0] = '\0';
	cr_assert_eq(token_load(path, &t, err, sizeof(err)), want, "%s", err);
	cr_assert_eq(t, (char *)0x1, "output written on error");
	if (want_err) {
		char full[600];

		/* want_err is what follows "token file <path>" */
		snprintf(full, sizeof(full), "token file %s%s", path, want_err);
		cr_assert_str_eq(err, full);
	}
	cr_assert_null(strstr(err, "s3cr3t"), "content in the message: %s", err);
}

Test(token, good_file_trimmed)
{
	char *t = NULL;

	put("  s3cr3t-abc.DEF_123~/+=\r\n", 26, 0600);
	cr_assert_eq(token_load(path, &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(t, "s3cr3t-abc.DEF_123~/+=");
	token_free(t);
	put("s3cr3t", 6, 0400);
	cr_assert_eq(token_load(path, &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(t, "s3cr3t");
	token_free(t);
	token_free(NULL);
}

Test(token, readable_by_others_refused)
{
	put("s3cr3t\n", 7, 0644);
	refused(-EPERM, " has mode 0644: group and others must have no access (chmod 600)");
	put("s3cr3t\n", 7, 0640);
	refused(-EPERM, NULL);
	put("s3cr3t\n", 7, 0602);
	refused(-EPERM, NULL);
}

Test(token, owned_by_someone_else_refused)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to chown");
	put("s3cr3t\n", 7, 0600);
	cr_assert_eq(chown(path, 1234, 1234), 0);
	refused(-EPERM, " is owned by uid 1234, not root");
}

Test(token, symlink_directory_missing_refused)
{
	char target[300];

	snprintf(target, sizeof(target), "%s/real", dir);
	put("s3cr3t", 6, 0600);
	cr_assert_eq(rename(path, target), 0);
	cr_assert_eq(symlink(target, path), 0);
	refused(-ELOOP, " is a symlink");
	unlink(path);
	refused(-ENOENT, ": No such file or directory");
	cr_assert_eq(mkdir(path, 0700), 0);
	refused(-EINVAL, " is not a regular file");
}

Test(token, bad_content_refused)
{
	char big[TOKEN_MAX_BYTES + 10];

	put("\n \r\n", 4, 0600);
	refused(-EINVAL, " is empty");
	put("", 0, 0600);
	refused(-EINVAL, " is empty");
	put("s3cr3t with space", 17, 0600);
	refused(-EINVAL, " holds a byte a token cannot have (space, control or non-ASCII) at offset 6");
	put("s3cr3t\nX-Injected: 1", 20, 0600);
	refused(-EINVAL, NULL);
	put("s3cr3t\0x", 8, 0600);
	refused(-EINVAL, NULL);
	put("s3cr3t\xc3\xa9", 8, 0600);
	refused(-EINVAL, NULL);
	memset(big, 'a', sizeof(big));
	put(big, sizeof(big), 0600);
	refused(-EINVAL, " is larger than 4096 bytes");
	put(big, TOKEN_MAX_BYTES, 0600);
	char *t;
	cr_assert_eq(token_load(path, &t, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(strlen(t), TOKEN_MAX_BYTES);
	token_free(t);
}

Test(token, rotation_is_picked_up_by_the_next_load)
{
	char *t;

	put("first", 5, 0600);
	cr_assert_eq(token_load(path, &t, err, sizeof(err)), 0);
	cr_assert_str_eq(t, "first");
	token_free(t);
	put("second", 6, 0600);
	cr_assert_eq(token_load(path, &t, err, sizeof(err)), 0);
	cr_assert_str_eq(t, "second");
	token_free(t);
}

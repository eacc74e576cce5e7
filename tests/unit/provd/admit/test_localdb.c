/* SPDX-License-Identifier: MIT */
/* provd/admit/localdb.c: the host's own accounts, read from the files, not NSS. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admit/localdb.h"

#define LOCAL FIXTURES_DIR "/local/"

static struct localdb *load_fixture(void)
{
	struct localdb *db = NULL;
	char err[256] = "";

	cr_assert_eq(localdb_load(LOCAL "passwd", LOCAL "group", &db, err, sizeof(err)), 0, "%s", err);
	return db;
}

Test(localdb, invariant1_reads_local_users_and_ids)
{
	struct localdb *db = load_fixture();

	cr_expect(localdb_has_user(db, "root"));
	cr_expect(localdb_has_user(db, "localadmin"));
	cr_expect(localdb_has_user(db, "svc-backup"));
	cr_expect(localdb_has_user(db, "nobody"));
	cr_expect(localdb_has_uid(db, 0));
	cr_expect(localdb_has_uid(db, 1000));
	cr_expect(localdb_has_uid(db, 21000));
	cr_expect(localdb_has_uid(db, 65534));
	cr_expect_not(localdb_has_user(db, "alice"));
	cr_expect_not(localdb_has_uid(db, 20001));
	cr_expect_not(localdb_has_user(db, "Root"), "exact lookup");
	cr_expect(localdb_has_user_nocase(db, "Root"));
	cr_expect(localdb_has_user_nocase(db, "LOCALADMIN"));
	cr_expect_not(localdb_has_user_nocase(db, "alice"));
	cr_expect(localdb_has_home(db, "/home/localadmin"));
	cr_expect(localdb_has_home(db, "/root"));
	cr_expect_not(localdb_has_home(db, "/home/alice"));
	localdb_free(db);
}

Test(localdb, invariant1_reads_local_groups_and_gids)
{
	struct localdb *db = load_fixture();

	cr_expect(localdb_has_group(db, "sudo"));
	cr_expect(localdb_has_group(db, "adm"));
	cr_expect(localdb_has_group(db, "docker"));
	cr_expect(localdb_has_group(db, "backupops"));
	cr_expect(localdb_has_gid(db, 27));
	cr_expect(localdb_has_gid(db, 999));
	cr_expect(localdb_has_gid(db, 25000));
	cr_expect(localdb_has_group_nocase(db, "Docker"));
	cr_expect_not(localdb_has_group(db, "ops"));
	cr_expect_not(localdb_has_gid(db, 30001));
	cr_expect_not(localdb_has_user(db, "docker"), "a group is not a user");
	localdb_free(db);
}

Test(localdb, odd_lines)
{
	struct localdb *db = load_fixture();

	/* Indented line: glibc skips the blanks, so must we. */
	cr_expect(localdb_has_user(db, "indented"));
	cr_expect(localdb_has_uid(db, 21001));
	/* A line with a non-numeric uid still reserves its name. */
	cr_expect(localdb_has_user(db, "brokenuid"));
	cr_expect(localdb_has_user(db, "shortline"));
	/* NIS compat lines are not accounts, except "+name", which makes the
	 * NIS user name one of this host's (so prov must not shadow it). */
	cr_expect(localdb_has_user(db, "nisuser"));
	cr_expect_not(localdb_has_user(db, "+nisuser"));
	cr_expect_not(localdb_has_user(db, "+@nisusers"));
	cr_expect_not(localdb_has_user(db, "@nisusers"));
	cr_expect_not(localdb_has_user(db, "-nisblocked"));
	cr_expect_not(localdb_has_user(db, "nisusers"));
	cr_expect_not(localdb_has_user(db, "+"));
	cr_expect_not(localdb_has_group(db, "+@nisgroup"));
	cr_expect_not(localdb_has_user(db, ""));
	cr_expect_not(localdb_has_user(db, "# an indented comment and blank lines are skipped"));
	localdb_free(db);
}

Test(localdb, missing_file_is_an_error)
{
	struct localdb *db = NULL;
	char err[256] = "";

	cr_expect_eq(localdb_load(LOCAL "no-such-passwd", LOCAL "group", &db, err, sizeof(err)), -ENOENT);
	cr_expect_null(db);
	cr_expect(strstr(err, "no-such-passwd") != NULL, "%s", err);
	cr_expect_eq(localdb_load(LOCAL "passwd", LOCAL "no-such-group", &db, err, sizeof(err)), -ENOENT);
	cr_expect_null(db);
}

Test(localdb, nul_byte_in_file_is_an_error)
{
	char path[] = "/tmp/prov-test-passwd-XXXXXX";
	static const char content[] = "alice:x:20001:20001::/home/alice:/bin/sh\nroot\0:x:0:0::/root:/bin/sh\n";
	struct localdb *db = NULL;
	char err[256] = "";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, content, sizeof(content) - 1), (ssize_t)sizeof(content) - 1);
	close(fd);
	cr_expect_eq(localdb_load(path, LOCAL "group", &db, err, sizeof(err)), -EBADMSG);
	cr_expect_null(db);
	unlink(path);
}

Test(localdb, shells)
{
	struct dir_strv sh = { 0 };

	cr_assert_eq(shells_load(LOCAL "shells", &sh), 0);
	cr_expect(dir_strv_contains(&sh, "/bin/bash"));
	cr_expect(dir_strv_contains(&sh, "/bin/dash"), "comment after the path is cut");
	cr_expect(dir_strv_contains(&sh, "/usr/bin/dash"), "leading blanks are skipped");
	cr_expect_not(dir_strv_contains(&sh, "not-a-path"));
	cr_expect_not(dir_strv_contains(&sh, "/usr/sbin/nologin"));
	cr_expect_not(dir_strv_contains(&sh, "/bin/zsh"));
	cr_expect_eq(sh.n, 6);
	dir_strv_free(&sh);
	cr_expect_eq(shells_load(LOCAL "no-such-shells", &sh), -ENOENT);
	cr_expect_null(sh.v, "untouched on error");
}

/* SPDX-License-Identifier: MIT */
/*
 * pam_prov's "local user?" check (pam_prov/localuser.c), DESIGN invariant
 * 6: local users are never affected by prov, so this must answer from the
 * passwd file alone, exactly. Compiled in directly (pure libc), like
 * test_pam_options.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../../pam_prov/localuser.c"

static char PATH[64];

static void setup(void)
{
	int fd;
	FILE *f;

	snprintf(PATH, sizeof(PATH), "/tmp/prov-passwd.XXXXXX");
	fd = mkstemp(PATH);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	fputs("root:x:0:0:root:/root:/bin/bash\n"
	      "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	      "+nisuser::::::\n"
	      "-blocked:x:::::\n"
	      "+\n"
	      "\n"
	      "no-colon-line\n"
	      "lastline:x:1001:1001::/home/lastline:/bin/sh", f); /* no final newline */
	fclose(f);
}

static void teardown(void)
{
	unlink(PATH);
}

TestSuite(pam_localuser, .init = setup, .fini = teardown);

Test(pam_localuser, invariant6_local_users_found)
{
	cr_assert_eq(pam_prov_local_user(PATH, "root"), 1);
	cr_assert_eq(pam_prov_local_user(PATH, "daemon"), 1);
	cr_assert_eq(pam_prov_local_user(PATH, "lastline"), 1);
}

Test(pam_localuser, others_not_found)
{
	cr_assert_eq(pam_prov_local_user(PATH, "alice"), 0);
	cr_assert_eq(pam_prov_local_user(PATH, "roo"), 0);   /* prefix */
	cr_assert_eq(pam_prov_local_user(PATH, "rooty"), 0); /* longer */
	cr_assert_eq(pam_prov_local_user(PATH, "Root"), 0);  /* case */
	cr_assert_eq(pam_prov_local_user(PATH, ""), 0);
	cr_assert_eq(pam_prov_local_user(PATH, "no-colon-line"), 0);
}

Test(pam_localuser, nis_compat_lines_are_not_local)
{
	cr_assert_eq(pam_prov_local_user(PATH, "nisuser"), 0);
	cr_assert_eq(pam_prov_local_user(PATH, "blocked"), 0);
	cr_assert_eq(pam_prov_local_user(PATH, "+nisuser"), 1); /* the literal line, as written */
}

Test(pam_localuser, unreadable_file_is_an_error)
{
	cr_assert_eq(pam_prov_local_user("/nonexistent/passwd", "root"), -ENOENT);
}

Test(pam_localuser, real_passwd_has_root)
{
	cr_assert_eq(pam_prov_local_user(PAM_PROV_PASSWD_FILE, "root"), 1);
}

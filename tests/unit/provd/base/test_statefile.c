/* SPDX-License-Identifier: MIT */
/*
 * A state file replaced whole (provd/base/statefile.c): the new content or
 * the old one, never a mix; 0600 in a 0700 directory made when missing; no
 * temp file left behind; a symlink planted at the temp name not followed.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/statefile.h"
#include "runtime_fixture.h"

static char dir[64], sub[96];

static void setup(void)
{
	strcpy(dir, "/tmp/prov-test-statefile-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/state", dir);
}

static void teardown(void)
{
	fixture_rm_rf(dir);
}

TestSuite(statefile, .init = setup, .fini = teardown);

static int fill_text(FILE *f, void *arg)
{
	return fputs(arg, f) < 0 ? -EIO : 0;
}

static int fill_half_then_fail(FILE *f, void *arg)
{
	(void)arg;
	fputs("half a fi", f);
	return -ENOSPC;
}

static const char *content(const char *name)
{
	static char buf[256];
	char path[160];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", sub, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int entries(const char *d)
{
	char cmd[200];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", d);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_eq(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

Test(statefile, writes_the_file_0600_in_a_new_0700_directory)
{
	struct stat st;
	char path[160];

	cr_assert_eq(statefile_replace(sub, "ledger", fill_text, "one\n"), 0);
	cr_assert_str_eq(content("ledger"), "one\n");
	snprintf(path, sizeof(path), "%s/ledger", sub);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert_eq(stat(sub, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700);
	cr_assert_eq(entries(sub), 1, "no temp file left");
}

Test(statefile, replaces_whole)
{
	cr_assert_eq(statefile_replace(sub, "ledger", fill_text, "one\ntwo\nthree\n"), 0);
	cr_assert_eq(statefile_replace(sub, "ledger", fill_text, "four\n"), 0);
	cr_assert_str_eq(content("ledger"), "four\n");
	cr_assert_eq(entries(sub), 1);
}

Test(statefile, a_failed_fill_keeps_the_old_file)
{
	cr_assert_eq(statefile_replace(sub, "ledger", fill_text, "old\n"), 0);
	cr_assert_eq(statefile_replace(sub, "ledger", fill_half_then_fail, NULL), -ENOSPC);
	cr_assert_str_eq(content("ledger"), "old\n");
	cr_assert_eq(entries(sub), 1, "the temp file is removed");
}

Test(statefile, a_symlink_at_the_temp_name_is_not_followed)
{
	char tmp[200], victim[160];

	cr_assert_eq(mkdir(sub, 0700), 0);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(tmp, sizeof(tmp), "%s/.ledger.tmp.%d", sub, (int)getpid());
	cr_assert_eq(symlink(victim, tmp), 0);
	cr_assert_eq(statefile_replace(sub, "ledger", fill_text, "x\n"), -ELOOP);
	cr_assert_eq(access(victim, F_OK), -1, "nothing written through the link");
	cr_assert_null(content("ledger"));
}

Test(statefile, a_name_too_long_is_refused)
{
	char name[5000];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	cr_assert_eq(statefile_replace(sub, name, fill_text, "x\n"), -ENAMETOOLONG);
}

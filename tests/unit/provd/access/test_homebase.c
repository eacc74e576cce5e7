/* SPDX-License-Identifier: MIT */
/*
 * Opening home_base (provd/access/homebase.c), issue 8 §3: root's own symlinks
 * (/home -> var/home) are followed; a link or a directory on the way that
 * someone else owns or could swap is refused. Everything happens in a temp
 * dir under /tmp (sticky, root-owned: allowed on the way); the tests chown,
 * so they need root and skip otherwise.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/homebase.h"

#define UID 4242
#define GID 4343

static char T[64];

static const char *P(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;
	char *p = buf[i++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", T, rel);
	return p;
}

static void setup(void)
{
	if (geteuid() != 0)
		return;
	umask(022);
	snprintf(T, sizeof(T), "/tmp/prov-homebase.XXXXXX");
	cr_assert_not_null(mkdtemp(T));
	cr_assert_eq(chmod(T, 0755), 0);
	cr_assert_eq(mkdir(P("var"), 0755), 0);
	cr_assert_eq(mkdir(P("var/home"), 0755), 0);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	if (!T[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", T);
}

TestSuite(homebase, .init = setup, .fini = teardown);

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (chown)");
}

/* homebase_open(base) succeeds and lands on the directory want. */
static void assert_opens_at(const char *base, const char *want)
{
	struct stat a, b;
	int fd = -1;

	cr_assert_eq(homebase_open(base, &fd), 0, "%s", base);
	cr_assert_eq(fstat(fd, &a), 0);
	cr_assert_eq(stat(want, &b), 0);
	cr_assert(a.st_dev == b.st_dev && a.st_ino == b.st_ino, "%s did not land on %s", base, want);
	close(fd);
}

static void assert_refused(const char *base, int err)
{
	int fd = -1;

	cr_assert_eq(homebase_open(base, &fd), err, "%s", base);
	cr_assert_eq(fd, -1, "no fd on failure");
}

Test(homebase, plain_directory)
{
	need_root();
	assert_opens_at(P("var/home"), P("var/home"));
	assert_opens_at(P("var//home/"), P("var/home"));
	assert_opens_at(P("var/./home"), P("var/home"));
}

Test(homebase, root_relative_symlink_like_ostree)
{
	need_root();
	cr_assert_eq(symlink("var/home", P("home")), 0);
	assert_opens_at(P("home"), P("var/home"));
}

Test(homebase, root_absolute_symlink_and_chain)
{
	need_root();
	cr_assert_eq(symlink(P("var/home"), P("abs")), 0);
	cr_assert_eq(symlink("abs", P("chain")), 0);
	assert_opens_at(P("abs"), P("var/home"));
	assert_opens_at(P("chain"), P("var/home"));
}

Test(homebase, symlink_target_with_dotdot)
{
	need_root();
	cr_assert_eq(mkdir(P("etc"), 0755), 0);
	cr_assert_eq(symlink("../var/home", P("etc/home")), 0);
	assert_opens_at(P("etc/home"), P("var/home"));
}

Test(homebase, symlink_in_the_middle)
{
	need_root();
	cr_assert_eq(mkdir(P("var/home/team"), 0755), 0);
	cr_assert_eq(symlink("var/home", P("home")), 0);
	assert_opens_at(P("home/team"), P("var/home/team"));
}

Test(homebase, user_owned_symlink_refused)
{
	need_root();
	cr_assert_eq(symlink("var/home", P("home")), 0);
	cr_assert_eq(lchown(P("home"), UID, GID), 0);
	assert_refused(P("home"), -EPERM);
}

Test(homebase, user_owned_symlink_in_the_middle_refused)
{
	need_root();
	cr_assert_eq(mkdir(P("var/home/team"), 0755), 0);
	cr_assert_eq(symlink("var/home", P("home")), 0);
	cr_assert_eq(lchown(P("home"), UID, GID), 0);
	assert_refused(P("home/team"), -EPERM);
}

Test(homebase, root_symlink_in_a_writable_directory_refused)
{
	need_root();
	cr_assert_eq(mkdir(P("open"), 0755), 0);
	cr_assert_eq(chmod(P("open"), 0777), 0);
	cr_assert_eq(symlink("../var/home", P("open/home")), 0);
	assert_refused(P("open/home"), -EPERM);
	/* group-writable is as bad as world-writable */
	cr_assert_eq(chmod(P("open"), 0775), 0);
	assert_refused(P("open/home"), -EPERM);
}

Test(homebase, root_symlink_in_a_sticky_directory_followed)
{
	need_root();
	cr_assert_eq(mkdir(P("sticky"), 0755), 0);
	cr_assert_eq(chmod(P("sticky"), 01777), 0);
	cr_assert_eq(symlink("../var/home", P("sticky/home")), 0);
	assert_opens_at(P("sticky/home"), P("var/home"));
	/* ... but not a user's link there: its owner may swap it */
	cr_assert_eq(lchown(P("sticky/home"), UID, GID), 0);
	assert_refused(P("sticky/home"), -EPERM);
}

Test(homebase, user_owned_directory_on_the_way_refused)
{
	need_root();
	cr_assert_eq(chown(P("var"), UID, GID), 0);
	assert_refused(P("var/home"), -EPERM);
}

Test(homebase, link_target_owned_by_a_user_refused)
{
	need_root();
	cr_assert_eq(mkdir(P("theirs"), 0755), 0);
	cr_assert_eq(chown(P("theirs"), UID, GID), 0);
	cr_assert_eq(symlink("theirs", P("home")), 0);
	assert_refused(P("home"), -EPERM);
}

Test(homebase, writable_base_refused_even_sticky)
{
	need_root();
	cr_assert_eq(chmod(P("var/home"), 01777), 0);
	assert_refused(P("var/home"), -EPERM);
	cr_assert_eq(symlink("var/home", P("home")), 0);
	assert_refused(P("home"), -EPERM);
}

Test(homebase, symlink_loop_refused)
{
	need_root();
	cr_assert_eq(symlink("b", P("a")), 0);
	cr_assert_eq(symlink("a", P("b")), 0);
	assert_refused(P("a"), -ELOOP);
}

Test(homebase, not_a_directory_refused)
{
	int fd;

	need_root();
	fd = open(P("file"), O_CREAT | O_WRONLY, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	assert_refused(P("file"), -ENOTDIR);
	cr_assert_eq(symlink("file", P("filelink")), 0);
	assert_refused(P("filelink"), -ENOTDIR);
}

Test(homebase, missing_and_relative_refused)
{
	need_root();
	assert_refused(P("nothing"), -ENOENT);
	assert_refused("var/home", -EINVAL);
	assert_refused("", -EINVAL);
}

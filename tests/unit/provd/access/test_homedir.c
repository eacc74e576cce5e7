/* SPDX-License-Identifier: MIT */
/*
 * Just-in-time homes (provd/access/homedir.c), DESIGN invariant 8: made from skel
 * with the user's ownership and a private mode, never touching an existing
 * home, never following a symlink planted at or above it or inside skel,
 * and made once when two logins race. Everything happens in a temp dir; the
 * tests chown, so they need root (CI runs them as root) and skip otherwise.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "access/homedir.h"

#define UID 4242
#define GID 4343

static char T[64];     /* the temp dir */
static char BASE[128]; /* T/home */
static char SKEL[128]; /* T/skel */

/* T/rel, in one of four rotating buffers (a call can take a few). */
static const char *P(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;
	char *p = buf[i++ % 4];

	snprintf(p, PATH_MAX, "%s/%s", T, rel);
	return p;
}

static void write_file(const char *p, const char *content, mode_t mode)
{
	FILE *f = fopen(p, "w");

	cr_assert_not_null(f, "fopen %s: %s", p, strerror(errno));
	fputs(content, f);
	fclose(f);
	cr_assert_eq(chmod(p, mode), 0);
}

static void read_file(const char *p, char *buf, size_t sz)
{
	FILE *f = fopen(p, "r");
	size_t n;

	cr_assert_not_null(f, "fopen %s: %s", p, strerror(errno));
	n = fread(buf, 1, sz - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void rm_rf(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
}

static void setup(void)
{
	if (geteuid() != 0)
		return;
	umask(022);
	snprintf(T, sizeof(T), "/tmp/prov-homedir.XXXXXX");
	cr_assert_not_null(mkdtemp(T));
	cr_assert_eq(chmod(T, 0755), 0);
	snprintf(BASE, sizeof(BASE), "%s/home", T);
	snprintf(SKEL, sizeof(SKEL), "%s/skel", T);
	cr_assert_eq(mkdir(BASE, 0755), 0);
	cr_assert_eq(mkdir(SKEL, 0755), 0);
	write_file(P("skel/.profile"), "# profile\n", 0644);
	write_file(P("skel/.bashrc"), "# bashrc\n", 0640);
	write_file(P("skel/suid"), "#!/bin/sh\n", 04755);
	cr_assert_eq(mkdir(P("skel/.config"), 0750), 0);
	write_file(P("skel/.config/app.conf"), "key=value\n", 0600);
	cr_assert_eq(symlink("/etc/shadow", P("skel/abs-link")), 0);
	cr_assert_eq(symlink(".profile", P("skel/rel-link")), 0);
	cr_assert_eq(mkfifo(P("skel/fifo"), 0644), 0);
	/* A directory outside skel that a symlink in skel points to: its
	 * contents must never be copied. */
	cr_assert_eq(mkdir(P("secret"), 0700), 0);
	write_file(P("secret/key"), "secret\n", 0600);
	cr_assert_eq(symlink(P("secret"), P("skel/dir-link")), 0);
}

static void teardown(void)
{
	if (T[0])
		rm_rf(T);
}

TestSuite(homedir, .init = setup, .fini = teardown);

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (chown)");
}

static struct homedir_spec spec(const char *home)
{
	struct homedir_spec s = { .base = BASE, .home = home, .skel = SKEL, .uid = UID, .gid = GID,
				  .mode = 0700 };
	return s;
}

static void assert_owner_mode(const char *p, uid_t uid, gid_t gid, mode_t mode)
{
	struct stat st;

	cr_assert_eq(lstat(p, &st), 0, "lstat %s: %s", p, strerror(errno));
	cr_assert_eq(st.st_uid, uid, "%s: uid %u", p, (unsigned)st.st_uid);
	cr_assert_eq(st.st_gid, gid, "%s: gid %u", p, (unsigned)st.st_gid);
	cr_assert_eq(st.st_mode & 07777, mode, "%s: mode %o", p, (unsigned)(st.st_mode & 07777));
}

static int count_entries(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

static bool exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

Test(homedir, invariant8_created_from_skel_owner_and_mode)
{
	struct homedir_spec s;
	char buf[256], home[PATH_MAX];
	bool created = false;

	need_root();
	snprintf(home, sizeof(home), "%s/alice", BASE);
	s = spec(home);
	cr_assert_eq(homedir_create(&s, &created), 0);
	cr_assert(created);
	assert_owner_mode(P("home/alice"), UID, GID, 0700);
	assert_owner_mode(P("home/alice/.profile"), UID, GID, 0644);
	assert_owner_mode(P("home/alice/.bashrc"), UID, GID, 0640);
	assert_owner_mode(P("home/alice/.config"), UID, GID, 0750);
	assert_owner_mode(P("home/alice/.config/app.conf"), UID, GID, 0600);
	/* set-id bits are not carried into a user's home */
	assert_owner_mode(P("home/alice/suid"), UID, GID, 0755);
	read_file(P("home/alice/.profile"), buf, sizeof(buf));
	cr_assert_str_eq(buf, "# profile\n");
	read_file(P("home/alice/.config/app.conf"), buf, sizeof(buf));
	cr_assert_str_eq(buf, "key=value\n");
	/* fifos are skipped */
	cr_assert_not(exists(P("home/alice/fifo")));
	/* no temporary directory left behind */
	cr_assert_eq(count_entries(BASE, ".prov-home"), 0);
	cr_assert_eq(count_entries(BASE, ""), 3); /* ".", "..", "alice" */
}

Test(homedir, invariant8_symlink_in_skel_copied_as_symlink)
{
	char home[PATH_MAX], target[PATH_MAX];
	struct homedir_spec s;
	bool created;
	struct stat st;
	ssize_t n;

	need_root();
	snprintf(home, sizeof(home), "%s/alice", BASE);
	s = spec(home);
	cr_assert_eq(homedir_create(&s, &created), 0);

	cr_assert_eq(lstat(P("home/alice/abs-link"), &st), 0);
	cr_assert(S_ISLNK(st.st_mode));
	cr_assert_eq(st.st_uid, UID);
	cr_assert_eq(st.st_gid, GID);
	n = readlink(P("home/alice/abs-link"), target, sizeof(target) - 1);
	cr_assert_eq(n, (ssize_t)strlen("/etc/shadow"));
	target[n] = '\0';
	cr_assert_str_eq(target, "/etc/shadow");

	cr_assert_eq(lstat(P("home/alice/rel-link"), &st), 0);
	cr_assert(S_ISLNK(st.st_mode));

	/* a symlink to a directory: copied as the link, its target's
	 * contents never read */
	cr_assert_eq(lstat(P("home/alice/dir-link"), &st), 0);
	cr_assert(S_ISLNK(st.st_mode));
	cr_assert_eq(st.st_uid, UID);
	/* and the target itself keeps its owner */
	assert_owner_mode(P("secret"), 0, 0, 0700);
	assert_owner_mode(P("secret/key"), 0, 0, 0600);
	/* /etc/shadow was not chowned through the link */
	cr_assert_eq(stat("/etc/shadow", &st), 0);
	cr_assert_neq(st.st_uid, UID);
}

Test(homedir, invariant8_existing_home_left_alone)
{
	char home[PATH_MAX];
	struct homedir_spec s;
	bool created = true;

	need_root();
	cr_assert_eq(mkdir(P("home/bob"), 0751), 0);
	cr_assert_eq(chmod(P("home/bob"), 0751), 0);
	write_file(P("home/bob/keep"), "mine\n", 0604);
	snprintf(home, sizeof(home), "%s/bob", BASE);
	s = spec(home);
	cr_assert_eq(homedir_create(&s, &created), 0);
	cr_assert_not(created);
	assert_owner_mode(P("home/bob"), 0, 0, 0751);
	assert_owner_mode(P("home/bob/keep"), 0, 0, 0604);
	cr_assert_not(exists(P("home/bob/.profile")));
	cr_assert_eq(count_entries(P("home/bob"), ""), 3);
}

Test(homedir, invariant8_symlink_at_home_path_not_followed)
{
	char home[PATH_MAX];
	struct homedir_spec s;
	bool created = true;
	struct stat st;

	need_root();
	cr_assert_eq(mkdir(P("target"), 0755), 0);
	cr_assert_eq(symlink(P("target"), P("home/carol")), 0);
	snprintf(home, sizeof(home), "%s/carol", BASE);
	s = spec(home);
	cr_assert_eq(homedir_create(&s, &created), -ELOOP);
	/* the link is still a link, the target untouched */
	cr_assert_eq(lstat(P("home/carol"), &st), 0);
	cr_assert(S_ISLNK(st.st_mode));
	assert_owner_mode(P("target"), 0, 0, 0755);
	cr_assert_eq(count_entries(P("target"), ""), 2);
	cr_assert_eq(count_entries(BASE, ".prov-home"), 0);
}

Test(homedir, invariant8_dangling_symlink_at_home_path_not_followed)
{
	char home[PATH_MAX];
	struct homedir_spec s;
	bool created;

	need_root();
	cr_assert_eq(symlink(P("not-there"), P("home/carol")), 0);
	snprintf(home, sizeof(home), "%s/carol", BASE);
	s = spec(home);
	cr_assert_eq(homedir_create(&s, &created), -ELOOP);
	cr_assert_not(exists(P("not-there")));
}

Test(homedir, file_at_home_path_left_alone)
{
	char home[PATH_MAX], buf[64];
	struct homedir_spec s;
	bool created;

	need_root();
	write_file(P("home/dave"), "not a dir\n", 0644);
	snprintf(home, sizeof(home), "%s/dave", BASE);
	s = spec(home);
	cr_assert_eq(homedir_create(&s, &created), -ENOTDIR);
	read_file(P("home/dave"), buf, sizeof(buf));
	cr_assert_str_eq(buf, "not a dir\n");
	assert_owner_mode(P("home/dave"), 0, 0, 0644);
}

/* Issue 8 §3: /home -> var/home (ostree) is root's own link: the home is
 * made under the resolved base, the walk below it still follows nothing. */
Test(homedir, root_owned_symlink_at_base_followed)
{
	char base[256], home[PATH_MAX];
	struct homedir_spec s;
	bool created;

	need_root();
	snprintf(base, sizeof(base), "%s/homelink", T);
	cr_assert_eq(symlink("home", base), 0);
	snprintf(home, sizeof(home), "%s/alice", base);
	s = spec(home);
	s.base = base;
	cr_assert_eq(homedir_create(&s, &created), 0);
	cr_assert(created);
	assert_owner_mode(P("home/alice"), UID, GID, 0700);
	cr_assert(exists(P("home/alice/.profile")));
}

/* A link at the base that a user made (or could replace) is refused. */
Test(homedir, invariant8_user_symlink_at_base_not_followed)
{
	char base[256], home[PATH_MAX];
	struct homedir_spec s;
	bool created;

	need_root();
	snprintf(base, sizeof(base), "%s/homelink", T);
	cr_assert_eq(symlink(BASE, base), 0);
	cr_assert_eq(lchown(base, UID, GID), 0);
	snprintf(home, sizeof(home), "%s/alice", base);
	s = spec(home);
	s.base = base;
	cr_assert_eq(homedir_create(&s, &created), -EPERM);
	cr_assert_eq(count_entries(BASE, ""), 2);
}

Test(homedir, invariant8_symlink_inside_base_not_followed)
{
	char home[PATH_MAX];
	struct homedir_spec s;
	bool created;

	need_root();
	cr_assert_eq(mkdir(P("elsewhere"), 0755), 0);
	cr_assert_eq(symlink(P("elsewhere"), P("home/team")), 0);
	snprintf(home, sizeof(home), "%s/team/alice", BASE);
	s = spec(home);
	cr_assert_eq(homedir_create(&s, &created), -ELOOP);
	cr_assert_eq(count_entries(P("elsewhere"), ""), 2);
}

Test(homedir, nested_home_creates_root_owned_parents)
{
	char home[PATH_MAX];
	struct homedir_spec s;
	bool created;

	need_root();
	umask(077); /* the parents get 0755 whatever the umask */
	snprintf(home, sizeof(home), "%s/team/sub/erin", BASE);
	s = spec(home);
	cr_assert_eq(homedir_create(&s, &created), 0);
	cr_assert(created);
	assert_owner_mode(P("home/team"), 0, 0, 0755);
	assert_owner_mode(P("home/team/sub"), 0, 0, 0755);
	assert_owner_mode(P("home/team/sub/erin"), UID, GID, 0700);
	cr_assert(exists(P("home/team/sub/erin/.profile")));
}

Test(homedir, user_writable_parent_refused)
{
	char home[PATH_MAX];
	struct homedir_spec s;
	bool created;

	need_root();
	cr_assert_eq(mkdir(P("home/team"), 0755), 0);
	cr_assert_eq(chown(P("home/team"), UID, GID), 0);
	snprintf(home, sizeof(home), "%s/team/alice", BASE);
	s = spec(home);
	cr_assert_eq(homedir_create(&s, &created), -EPERM);
	cr_assert_not(exists(P("home/team/alice")));
}

Test(homedir, world_writable_base_refused)
{
	char home[PATH_MAX];
	struct homedir_spec s;
	bool created;

	need_root();
	cr_assert_eq(chmod(BASE, 01777), 0);
	snprintf(home, sizeof(home), "%s/alice", BASE);
	s = spec(home);
	cr_assert_eq(homedir_create(&s, &created), -EPERM);
	cr_assert_not(exists(P("home/alice")));
}

Test(homedir, home_must_be_strictly_below_base)
{
	/* each: below BASE (prefix it) or not, and the rest */
	static const struct {
		bool below;
		const char *rest;
	} bad[] = {
		{ false, "/etc/alice" }, { true, "" }, { true, "/" }, { true, "/../etc" },
		{ true, "/./alice" }, { true, "//alice" }, { true, "/alice/" }, { true, "/a/../b" },
		{ true, "x/alice" }, { false, "relative/alice" }, { false, "" },
	};
	char home[PATH_MAX];
	struct homedir_spec s;
	bool created;
	size_t i;

	need_root();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(home, sizeof(home), "%s%s", bad[i].below ? BASE : "", bad[i].rest);
		s = spec(home);
		cr_assert_eq(homedir_create(&s, &created), -EINVAL, "home \"%s\" accepted", home);
	}
	s = spec(NULL);
	cr_assert_eq(homedir_create(&s, &created), -EINVAL);
	cr_assert_eq(count_entries(BASE, ""), 2);
}

Test(homedir, base_with_trailing_slash)
{
	char base[256], home[PATH_MAX];
	struct homedir_spec s;
	bool created;

	need_root();
	snprintf(base, sizeof(base), "%s/", BASE);
	snprintf(home, sizeof(home), "%s/alice", BASE);
	s = spec(home);
	s.base = base;
	cr_assert_eq(homedir_create(&s, &created), 0);
	cr_assert(created);
}

Test(homedir, symlinked_skel_refused)
{
	char skel[256], home[PATH_MAX];
	struct homedir_spec s;
	bool created;

	need_root();
	snprintf(skel, sizeof(skel), "%s/skel-link", T);
	cr_assert_eq(symlink(SKEL, skel), 0);
	snprintf(home, sizeof(home), "%s/alice", BASE);
	s = spec(home);
	s.skel = skel;
	cr_assert_eq(homedir_create(&s, &created), -ELOOP);
	cr_assert_eq(count_entries(BASE, ""), 2);
}

Test(homedir, missing_skel_gives_empty_home)
{
	char skel[256], home[PATH_MAX];
	struct homedir_spec s;
	bool created;

	need_root();
	snprintf(skel, sizeof(skel), "%s/no-skel", T);
	snprintf(home, sizeof(home), "%s/alice", BASE);
	s = spec(home);
	s.skel = skel;
	cr_assert_eq(homedir_create(&s, &created), 0);
	cr_assert(created);
	assert_owner_mode(P("home/alice"), UID, GID, 0700);
	cr_assert_eq(count_entries(P("home/alice"), ""), 2);
	s.skel = NULL;
	snprintf(home, sizeof(home), "%s/bob", BASE);
	s.home = home;
	cr_assert_eq(homedir_create(&s, &created), 0);
	cr_assert_eq(count_entries(P("home/bob"), ""), 2);
}

Test(homedir, mode_is_exact_whatever_the_umask)
{
	char home[PATH_MAX];
	struct homedir_spec s;
	bool created;

	need_root();
	umask(0777);
	snprintf(home, sizeof(home), "%s/alice", BASE);
	s = spec(home);
	s.mode = 0750;
	cr_assert_eq(homedir_create(&s, &created), 0);
	assert_owner_mode(P("home/alice"), UID, GID, 0750);
	assert_owner_mode(P("home/alice/.profile"), UID, GID, 0644);
}

#define RACERS 4
#define ROUNDS 25

/* Each racer waits at the barrier (a pipe the parent closes), then
 * creates; exit status 10 = created, 11 = found it made, 1 = error. */
static pid_t racer(const int barrier[2], const char *home)
{
	pid_t pid = fork();

	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct homedir_spec s = spec(home);
		bool created = false;
		char c;

		close(barrier[1]); /* else no racer ever sees the EOF */
		alarm(30);         /* never outlive a stuck test */
		(void)!read(barrier[0], &c, 1);
		_exit(homedir_create(&s, &created) == 0 ? (created ? 10 : 11) : 1);
	}
	return pid;
}

Test(homedir, invariant8_concurrent_logins_create_once)
{
	int round;

	need_root();
	for (round = 0; round < ROUNDS; round++) {
		char home[PATH_MAX], name[32], rel[64];
		int pfd[2], i, created = 0, found = 0, failed = 0;
		pid_t pids[RACERS];

		snprintf(name, sizeof(name), "racer%d", round);
		snprintf(home, sizeof(home), "%s/%s", BASE, name);
		cr_assert_eq(pipe(pfd), 0);
		for (i = 0; i < RACERS; i++)
			pids[i] = racer(pfd, home);
		close(pfd[0]);
		close(pfd[1]); /* go */
		for (i = 0; i < RACERS; i++) {
			int status = 0;

			if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status)) {
				failed++;
				continue;
			}
			created += WEXITSTATUS(status) == 10;
			found += WEXITSTATUS(status) == 11;
			failed += WEXITSTATUS(status) == 1;
		}
		cr_assert_eq(failed, 0, "round %d: %d racers failed", round, failed);
		cr_assert_eq(created, 1, "round %d: created %d times", round, created);
		cr_assert_eq(found, RACERS - 1);
		snprintf(rel, sizeof(rel), "home/%s", name);
		assert_owner_mode(P(rel), UID, GID, 0700);
		snprintf(rel, sizeof(rel), "home/%s/.config/app.conf", name);
		cr_assert(exists(P(rel)));
	}
	cr_assert_eq(count_entries(BASE, ".prov-home"), 0);
	cr_assert_eq(count_entries(BASE, "racer"), ROUNDS);
}

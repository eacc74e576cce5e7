/* SPDX-License-Identifier: MIT */
/*
 * Deprovisioning that bites (provd/access/sessions.c, DESIGN invariant 3): when a
 * user loses access (deactivated, removed, grant expired), the processes
 * of her sessions get SIGHUP, and SIGKILL after the grace; users who keep
 * access are left alone; a stale directory ends nothing; nscd is told to
 * forget after every change. Real child processes running as uids no one
 * else uses (derived from the test process's pid, so that two runs of this
 * test at once, e.g. two build trees on one machine, never signal each
 * other's children), in this PID namespace's /proc.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime_fixture.h"
#include "access/sessions.h"

static uint32_t UID_ALICE, UID_BOB, UID_DAVE;
/* dave's grant: 2031-01-01T00:00:00Z */
#define DAVE_UNTIL 1924992000

static struct prov_state st;
static struct sessions *ss;
static char dir[64], nscd_sock[128], nscd_bin[128], nscd_log[128];
static pid_t kids[8];
static int n_kids;

static const char *doc(unsigned serial, bool alice_active, bool with_bob)
{
	static char buf[2048];
	char bob[64];

	snprintf(bob, sizeof(bob), ", {\"name\": \"bob\", \"uid\": %u}", UID_BOB);

	snprintf(buf, sizeof(buf),
		 "{\"prov_directory\": 1, \"serial\": %u,"
		 " \"users\": ["
		 "  {\"name\": \"alice\", \"uid\": %u, \"active\": %s}%s"
		 "  ,{\"name\": \"dave\", \"uid\": %u}],"
		 " \"bindings\": ["
		 "  {\"name\": \"all\", \"users\": [\"alice\", \"bob\"], \"grants\": [\"login\"]},"
		 "  {\"name\": \"dave-oncall\", \"users\": [\"dave\"], \"grants\": [\"login\"],"
		 "   \"not_after\": \"2031-01-01T00:00:00Z\"}]}",
		 serial, UID_ALICE, alice_active ? "true" : "false",
		 with_bob ? bob : "", UID_DAVE);
	return buf;
}

static void apply(const char *text)
{
	char err[512];
	int r = state_apply_document(&st, text, strlen(text), "test", 0, err, sizeof(err));

	cr_assert_eq(r, 0, "%s", err);
}

static void need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root (processes of other uids)");
}

static void setup(void)
{
	struct sessions_env env;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	FILE *f;
	int fd;

	fixture_quiet_log();
	UID_ALICE = 100000000u + (uint32_t)getpid() * 4; /* pid_max <= 2^22 */
	UID_BOB = UID_ALICE + 1;
	UID_DAVE = UID_ALICE + 2;
	strcpy(dir, "/tmp/prov-test-sessions-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(chmod(dir, 0755), 0);
	fixture_state(&st, dir, NULL, 0);
	/* A fake nscd that records how it was called, and a socket where
	 * nscd's would be: provd runs "nscd -i" only when nscd runs. */
	snprintf(nscd_sock, sizeof(nscd_sock), "%s/nscd.socket", dir);
	snprintf(nscd_bin, sizeof(nscd_bin), "%s/nscd", dir);
	snprintf(nscd_log, sizeof(nscd_log), "%s/nscd.log", dir);
	f = fopen(nscd_bin, "w");
	cr_assert_not_null(f);
	fprintf(f, "#!/bin/sh\necho \"$*\" >> %s\n", nscd_log);
	fclose(f);
	cr_assert_eq(chmod(nscd_bin, 0755), 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_lt(strlen(nscd_sock), sizeof(sa.sun_path));
	memcpy(sa.sun_path, nscd_sock, strlen(nscd_sock) + 1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	env = (struct sessions_env){
		.proc_dir = "/proc",
		.nscd_socket = nscd_sock,
		.nscd_binary = nscd_bin,
		.logind_probe = "/nonexistent/seats",
		.grace_s = 2,
	};
	cr_assert_eq(sessions_new(&st, &env, &ss), 0);
	n_kids = 0;
}

static void teardown(void)
{
	int i;

	for (i = 0; i < n_kids; i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
	}
	sessions_free(ss);
	state_free(&st);
	fixture_rm_rf(dir);
}

TestSuite(sessions, .init = setup, .fini = teardown, .timeout = 30);

/* A "session": a child running as uid (ignoring SIGHUP when asked). */
static int spawn_as(uid_t uid, bool ignore_hup)
{
	int p[2];
	char c;
	pid_t pid;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[0]);
		if (ignore_hup)
			signal(SIGHUP, SIG_IGN);
		if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(2);
		close(p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &c, 1), 1, "child could not become uid %u", uid);
	close(p[0]);
	kids[n_kids] = pid;
	return n_kids++;
}

/* The signal that ended kid k within ms milliseconds, 0 if it still runs. */
static int ended_within(int k, int ms)
{
	int status, i;

	for (i = 0; i < ms / 10; i++) {
		pid_t r = waitpid(kids[k], &status, WNOHANG);

		if (r == kids[k]) {
			kids[k] = -1;
			return WIFSIGNALED(status) ? WTERMSIG(status) : 1000 + WEXITSTATUS(status);
		}
		usleep(10000);
	}
	return 0;
}

/* How kid k ended: generous, a loaded CI machine may be slow to deliver. */
static int ended_by(int k)
{
	return ended_within(k, 5000);
}

/* Kid k is alive (checked over a short while: a signal sent already would
 * have ended it by then). */
static bool still_running(int k)
{
	int how = ended_within(k, 300);

	if (how)
		fprintf(stderr, "kid %d ended: %s %d\n", k, how >= 1000 ? "exit" : "signal", how % 1000);
	return how == 0;
}

static bool nscd_called(const char *args)
{
	char line[128];
	bool found = false;
	FILE *f = fopen(nscd_log, "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strncmp(line, args, strlen(args)) == 0;
	fclose(f);
	return found;
}

Test(sessions, invariant3_deactivated_user_sessions_end)
{
	int a, b;

	need_root();
	apply(doc(1, true, true));
	a = spawn_as(UID_ALICE, false);
	b = spawn_as(UID_BOB, false);
	apply(doc(2, false, true)); /* alice deactivated: the hook runs */
	cr_assert_eq(ended_by(a), SIGHUP);
	cr_assert(still_running(b), "bob keeps his access and his session");
	sessions_drain(ss);
	cr_assert(nscd_called("-i passwd"));
	cr_assert(nscd_called("-i group"));
}

Test(sessions, invariant3_removed_user_sessions_end)
{
	int b;

	need_root();
	apply(doc(1, true, true));
	b = spawn_as(UID_BOB, false);
	apply(doc(2, true, false));
	cr_assert_eq(ended_by(b), SIGHUP);
}

/* The clock alone: the timer wakes at the grant's not_after; what ignores
 * SIGHUP gets SIGKILL after the grace. */
Test(sessions, invariant3_expired_grant_sessions_end_and_stragglers_are_killed)
{
	int d;

	need_root();
	apply(doc(1, true, true));
	cr_assert_eq(sessions_next_wakeup(ss), DAVE_UNTIL);
	d = spawn_as(UID_DAVE, true);
	sessions_tick(ss, DAVE_UNTIL - 1);
	cr_assert(still_running(d), "one second before: still allowed");
	sessions_tick(ss, DAVE_UNTIL);
	cr_assert(still_running(d), "SIGHUP ignored");
	cr_assert_eq(sessions_next_wakeup(ss), DAVE_UNTIL + 2, "the end of the grace");
	sessions_tick(ss, DAVE_UNTIL + 2);
	cr_assert_eq(ended_by(d), SIGKILL);
}

/* Given back before the grace is over: no SIGKILL. */
Test(sessions, access_given_back_cancels_the_kill)
{
	int a;

	need_root();
	apply(doc(1, true, true));
	a = spawn_as(UID_ALICE, true);
	apply(doc(2, false, true));
	cr_assert(still_running(a));
	apply(doc(3, true, true));
	sessions_tick(ss, (int64_t)time(NULL) + 5);
	cr_assert(still_running(a), "alice is allowed again: her session stays");
}

Test(sessions, end_sessions_no_leaves_them_running)
{
	int a;

	need_root();
	st.cfg.end_sessions = false;
	apply(doc(1, true, true));
	a = spawn_as(UID_ALICE, false);
	apply(doc(2, false, true));
	cr_assert(still_running(a));
}

/* Offline past offline_grace is not a deprovisioning. */
Test(sessions, invariant5_stale_directory_ends_nothing)
{
	int64_t now = (int64_t)time(NULL);
	int a;

	need_root();
	cr_assert_eq(dir_strv_push(&st.cfg.urls, "https://dir.example.com/d.json"), 0);
	st.last_ok = now;
	apply(doc(1, true, true));
	a = spawn_as(UID_ALICE, false);
	st.last_ok = now - 8 * 86400;
	sessions_tick(ss, now);
	cr_assert(still_running(a), "stale: left alone");
	/* the directory comes back without her: that one is a revocation */
	st.last_ok = now;
	apply(doc(2, false, true));
	cr_assert_eq(ended_by(a), SIGHUP);
}

/* Without nscd running, it is not called. */
Test(sessions, nscd_not_running_not_called)
{
	cr_assert_eq(unlink(nscd_sock), 0);
	apply(doc(1, true, true));
	sessions_drain(ss);
	cr_assert_not(nscd_called("-i"));
}

Test(sessions, signal_uid_refuses_root_and_counts)
{
	unsigned n = 99;
	int a;

	cr_assert_eq(sessions_signal_uid("/proc", 0, SIGHUP, &n), -EPERM);
	need_root();
	a = spawn_as(UID_ALICE, true);
	cr_assert_eq(sessions_signal_uid("/proc", UID_ALICE, SIGHUP, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert(still_running(a));
	cr_assert_eq(sessions_signal_uid("/proc", UID_ALICE, SIGKILL, &n), 0);
	cr_assert_eq(n, 1);
	cr_assert_eq(ended_by(a), SIGKILL);
	cr_assert_eq(sessions_signal_uid("/nonexistent", UID_ALICE, SIGHUP, &n), -ENOENT);
}

/* ren's document with ids: NAME is his login name, ID his stable id. */
static const char *doc_ids(unsigned serial, const char *name, const char *id, uint32_t uid)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf),
		 "{\"prov_directory\": 1, \"serial\": %u,"
		 " \"users\": [{\"id\": \"%s\", \"name\": \"%s\", \"uid\": %u},"
		 "            {\"id\": \"u-bob\", \"name\": \"bob\", \"uid\": %u}],"
		 " \"bindings\": [{\"name\": \"all\", \"users\": [\"%s\", \"bob\"], \"grants\": [\"login\"]}]}",
		 serial, id, name, uid, UID_BOB, name);
	return buf;
}

/* A rename (same id, same uid) is not a removal: no signal at all (the
 * kid dies of the first SIGHUP it gets). */
Test(sessions, rename_is_not_a_removal)
{
	int r;

	need_root();
	apply(doc_ids(1, "ren", "u-ren", UID_ALICE));
	r = spawn_as(UID_ALICE, false);
	apply(doc_ids(2, "ren2", "u-ren", UID_ALICE));
	sessions_drain(ss);
	cr_assert(still_running(r), "renamed: his session stays");
	/* and the new name is who is tracked: taking his access away ends it */
	apply(doc_ids(3, "ren3", "u-other", UID_DAVE));
	cr_assert_eq(ended_by(r), SIGHUP, "another identity under a new name: ren is gone");
}

/* The same name for a new identity (another id, another uid) is a removal
 * of the old one. */
Test(sessions, same_name_new_identity_ends_the_old_one)
{
	int r;

	need_root();
	apply(doc_ids(1, "ren", "u-ren", UID_ALICE));
	r = spawn_as(UID_ALICE, false);
	apply(doc_ids(2, "ren", "u-ren-new", UID_DAVE));
	cr_assert_eq(ended_by(r), SIGHUP);
}

/* Issue 9: alice with id id, at uid, allowed to log in. */
static const char *alice_doc(unsigned serial, const char *id, uint32_t uid)
{
	static char buf[512];

	snprintf(buf, sizeof(buf),
		 "{\"prov_directory\": 1, \"serial\": %u, \"users\": [{\"name\": \"alice\", \"id\": \"%s\", \"uid\": %u}],"
		 " \"bindings\": [{\"name\": \"all\", \"users\": [\"alice\"], \"grants\": [\"login\"]}]}",
		 serial, id, uid);
	return buf;
}

/* Deleted and re-created at the source: a new id under the same name is
 * another identity; what runs under the old one's uid is ended. */
Test(sessions, recreated_user_is_a_new_identity_old_sessions_end)
{
	int a;

	need_root();
	apply(alice_doc(1, "alice-1", UID_ALICE));
	a = spawn_as(UID_ALICE, false);
	apply(alice_doc(2, "alice-2", UID_BOB));
	cr_assert_eq(ended_by(a), SIGHUP);
}

/* The same identity renumbered keeps her sessions. */
Test(sessions, renumbered_user_keeps_her_sessions)
{
	int a;

	need_root();
	apply(alice_doc(1, "alice-1", UID_ALICE));
	a = spawn_as(UID_ALICE, false);
	apply(alice_doc(2, "alice-1", UID_BOB));
	cr_assert(still_running(a));
}

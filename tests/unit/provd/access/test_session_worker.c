/* SPDX-License-Identifier: MIT */
/*
 * The slow half of deprovisioning runs off the loop (provd/access/session_worker.c,
 * issue 8 §2): handing a job over never waits for it, jobs queued while the
 * worker is busy are coalesced, and what is queued is done before the
 * worker goes. A fake nscd that blocks until the test lets it go stands in
 * for a slow one: if handing over waited for it, the test would block in
 * the hand-over and the fake would be killed at its timeout.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime_fixture.h"
#include "access/session_worker.h"

static char dir[64], sock[128], bin[128], nscd_log[128], go[128], started[128];
static struct session_worker *w;
static pid_t kid = -1;

static void setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sessions_env env;
	FILE *f;
	int fd;

	fixture_quiet_log();
	strcpy(dir, "/tmp/prov-test-worker-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/nscd.socket", dir);
	snprintf(bin, sizeof(bin), "%s/nscd", dir);
	snprintf(nscd_log, sizeof(nscd_log), "%s/nscd.log", dir);
	snprintf(go, sizeof(go), "%s/go", dir);
	snprintf(started, sizeof(started), "%s/started", dir);
	f = fopen(bin, "w");
	cr_assert_not_null(f);
	/* Blocks until "go" exists (at most ~1.5 s, under run_wait's 2 s). */
	fprintf(f, "#!/bin/sh\n: > %s\ni=0\nwhile [ ! -e %s ] && [ $i -lt 30 ]; do sleep 0.05; i=$((i+1)); done\n"
		   "echo \"$*\" >> %s\n",
		started, go, nscd_log);
	fclose(f);
	cr_assert_eq(chmod(bin, 0755), 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	env = (struct sessions_env){
		.proc_dir = "/proc",
		.nscd_socket = sock,
		.nscd_binary = bin,
		.logind_probe = "/nonexistent/seats",
		.grace_s = 2,
	};
	cr_assert_eq(session_worker_new(&env, &w), 0);
}

static void teardown(void)
{
	session_worker_free(w);
	if (kid > 0) {
		kill(kid, SIGKILL);
		waitpid(kid, NULL, 0);
	}
	fixture_rm_rf(dir);
}

TestSuite(session_worker, .init = setup, .fini = teardown, .timeout = 30);

static int count_lines(const char *path)
{
	char line[128];
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

static void wait_exists(const char *path)
{
	int i;

	for (i = 0; i < 500 && access(path, F_OK) < 0; i++)
		usleep(10000);
	cr_assert_eq(access(path, F_OK), 0, "%s never appeared", path);
}

/* A child running as uid (a "session"), default SIGHUP action. */
static void spawn_as(uid_t uid)
{
	int p[2];
	char c;

	cr_assert_eq(pipe(p), 0);
	kid = fork();
	cr_assert_geq(kid, 0);
	if (kid == 0) {
		close(p[0]);
		if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &c, 1), 1);
	close(p[0]);
}

Test(session_worker, hand_over_returns_while_nscd_is_slow_and_jobs_coalesce)
{
	uint32_t uid = 100000000u + (uint32_t)getpid() * 4 + 3;
	int status, i;

	if (geteuid() != 0)
		cr_skip_test("needs root (a process of another uid)");
	spawn_as(uid);
	session_worker_invalidate_nscd(w);
	wait_exists(started); /* the worker is inside the slow nscd now */
	/* None of these may wait for it. */
	for (i = 0; i < 5; i++)
		session_worker_invalidate_nscd(w);
	session_worker_end(w, uid, "alice");
	session_worker_end(w, uid, "alice");
	session_worker_kill(w, uid);
	session_worker_kill(w, uid);
	cr_assert_eq(count_lines(nscd_log), 0, "nscd still blocked: nothing was waited for");
	cr_assert_eq(waitpid(kid, &status, WNOHANG), 0, "the end is queued behind nscd, not done yet");
	cr_assert_eq(close(open(go, O_CREAT | O_WRONLY, 0644)), 0);
	session_worker_drain(w);
	/* first nscd, then one more nscd + one end + one kill */
	cr_assert_eq(session_worker_done(w), 4);
	cr_assert_eq(count_lines(nscd_log), 4, "-i passwd, -i group, twice");
	cr_assert_eq(waitpid(kid, &status, 0), kid);
	kid = -1;
	cr_assert(WIFSIGNALED(status));
	cr_assert_eq(WTERMSIG(status), SIGHUP, "the end (SIGHUP) ran before the kill");
}

/* Freeing the worker does what was queued first. */
Test(session_worker, free_finishes_the_queue)
{
	session_worker_invalidate_nscd(w);
	wait_exists(started);
	session_worker_invalidate_nscd(w);
	cr_assert_eq(close(open(go, O_CREAT | O_WRONLY, 0644)), 0);
	session_worker_free(w);
	w = NULL;
	cr_assert_eq(count_lines(nscd_log), 4);
}

/* Without nscd's socket nothing is run, and the request still counts. */
Test(session_worker, no_nscd_socket_nothing_run)
{
	cr_assert_eq(unlink(sock), 0);
	session_worker_invalidate_nscd(w);
	session_worker_drain(w);
	cr_assert_eq(session_worker_done(w), 1);
	cr_assert_eq(access(started, F_OK), -1);
}

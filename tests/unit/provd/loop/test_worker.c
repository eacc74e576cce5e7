/* SPDX-License-Identifier: MIT */
/* The worker thread (provd/loop/worker.c) behind a real server loop: jobs run
 * off the loop and are finished in it, in order; stopping drops the rest. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime_fixture.h"
#include "loop/server.h"
#include "loop/worker.h"

static struct prov_state st;
static struct server *srv;
static char dir[64];

struct rec {
	pthread_t ran_in;
	int order;
	bool done_with_server;
	bool done;
};

static int finished;

static void setup(void)
{
	char rt[96], err[256];

	fixture_quiet_log();
	strcpy(dir, "/tmp/prov-test-worker-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(rt, sizeof(rt), "%s/run", dir);
	fixture_state(&st, dir, NULL, 0);
	fixture_set(&st.cfg.runtime_dir, rt);
	cr_assert_eq(server_new(&st, &srv, err, sizeof(err)), 0, "%s", err);
	finished = 0;
}

static void teardown(void)
{
	server_free(srv);
	state_free(&st);
	fixture_rm_rf(dir);
}

TestSuite(worker, .init = setup, .fini = teardown, .timeout = 30);

static void run(void *arg)
{
	struct rec *r = arg;

	r->ran_in = pthread_self();
	usleep(10000);
}

static void done(struct server *s, void *arg)
{
	struct rec *r = arg;

	r->done = true;
	r->done_with_server = s != NULL;
	r->order = ++finished;
	if (s && finished == 3)
		server_stop(s);
}

Test(worker, runs_off_the_loop_and_finishes_in_it_in_order)
{
	struct rec r[3] = { 0 };
	int i;

	cr_assert(worker_running(), "server_new() starts it");
	for (i = 0; i < 3; i++)
		cr_assert_eq(worker_submit(run, done, &r[i]), 0);
	cr_assert_eq(server_run(srv), 0);
	for (i = 0; i < 3; i++) {
		cr_assert(r[i].done);
		cr_assert(r[i].done_with_server);
		cr_assert_eq(r[i].order, i + 1);
		cr_assert_not(pthread_equal(r[i].ran_in, pthread_self()), "ran in the worker thread");
	}
}

static int gate[2];

static void run_blocked(void *arg)
{
	char c;

	(void)arg;
	cr_assert_eq(read(gate[0], &c, 1), 1);
}

Test(worker, stop_drops_what_is_left)
{
	struct rec a = { 0 }, b = { 0 };

	cr_assert_eq(pipe(gate), 0);
	cr_assert_eq(worker_submit(run_blocked, done, &a), 0);
	cr_assert_eq(worker_submit(run, done, &b), 0);
	usleep(20000);
	cr_assert_eq(write(gate[1], "x", 1), 1);
	worker_stop();
	cr_assert_not(worker_running());
	cr_assert(a.done && b.done, "every job is given back");
	cr_assert_not(b.done_with_server, "not answered while stopping");
	cr_assert_eq(worker_submit(run, done, &b), -ENOTCONN, "the caller does the work itself");
}

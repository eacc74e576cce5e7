/* SPDX-License-Identifier: MIT */
/* A provd server (config, state, server loop; main() minus argument
 * parsing) running in a child process on a temp runtime_dir, for tests
 * that talk to it over real sockets. Every test stops its child by pid in
 * its teardown, also when it fails. */
#ifndef PROV_TEST_SERVER_FIXTURE_H
#define PROV_TEST_SERVER_FIXTURE_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime_fixture.h"
#include "loop/server.h"
#include "sync/sync.h"

#define TIMEOUT_MS 1000 /* client_timeout of the server under test */

static char dir[40], conf[64], docpath[64], sock[80], psock[96], rundir[56];
static pid_t child = -1;
/* Set by a test before start_server(): */
static int activation_fd = -1; /* a listening socket handed over as systemd would (fd 3) */
static rlim_t child_nofile;     /* descriptors the child may open once serving; 0 = no limit */
static unsigned conf_per_uid;   /* max_clients_per_uid for write_conf(); 0 = the default */
static size_t child_pinned_max; /* server_set_pinned_max() in the child; 0 = the default */
static char conf_extra[512];    /* appended to write_conf()'s text (more sections) */
static struct rlimit child_rlimit; /* RLIMIT_NOFILE set before server_new(); rlim_max 0 = as is */

static inline void write_file(const char *path, const char *text, size_t len)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	cr_assert_eq(fchmod(fd, 0644), 0);
	close(fd);
}

static inline void copy_doc(const char *fixture)
{
	size_t len;
	char *doc = fixture_read(fixture, &len);

	write_file(docpath, doc, len);
	free(doc);
}

static inline void write_conf(unsigned max_clients)
{
	char text[2560];

	snprintf(text, sizeof(text),
		 "[directory]\nurl = file://%s\n[accounts]\npasswd_file = " RT_FIX "/passwd\n"
		 "group_file = " RT_FIX "/group\nshells_file = " RT_FIX "/shells\n"
		 "[paths]\nstate_dir = %s/state\nruntime_dir = %s\n"
		 "[server]\nclient_timeout = %u\nmax_clients = %u\nmax_clients_per_uid = %u\n",
		 docpath, dir, rundir, TIMEOUT_MS, max_clients, conf_per_uid ? conf_per_uid : 64);
	strncat(text, conf_extra, sizeof(text) - strlen(text) - 1);
	write_file(conf, text, strlen(text));
}

static inline void srv_setup(const char *prefix)
{
	fixture_quiet_log();
	snprintf(dir, sizeof(dir), "/tmp/%s-XXXXXX", prefix);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/provd.conf", dir);
	snprintf(docpath, sizeof(docpath), "%s/directory.json", dir);
	snprintf(rundir, sizeof(rundir), "%s/run", dir);
	snprintf(sock, sizeof(sock), "%s/socket", rundir);
	snprintf(psock, sizeof(psock), "%s/private/socket", rundir);
	copy_doc(RT_FIX "/directory.json");
	write_conf(1024);
	child = -1;
	activation_fd = -1;
	child_nofile = 0;
	conf_per_uid = 0;
	child_pinned_max = 0;
	conf_extra[0] = '\0';
	child_rlimit.rlim_cur = child_rlimit.rlim_max = 0;
}

static inline void stop_child(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
}

static inline void srv_teardown(void)
{
	stop_child();
	fixture_rm_rf(dir);
}

/* The daemon, minus main(): config, state, server, load, serve. */
static inline void run_server(int ready_fd)
{
	struct prov_config c;
	struct prov_state st;
	struct server *s;
	struct sync *sy = NULL;
	char err[512];
	int r;

	if (activation_fd >= 0) {
		char pid[16];

		/* sd_listen_fds(): LISTEN_PID must be ours, fds start at 3. */
		if (dup2(activation_fd, 3) < 0)
			_exit(14);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		setenv("LISTEN_PID", pid, 1);
		setenv("LISTEN_FDS", "1", 1);
	}
	if (config_load(conf, &c, err, sizeof(err)) < 0 || state_init(&st, conf, false, &c) < 0)
		_exit(10);
	if (child_rlimit.rlim_max && setrlimit(RLIMIT_NOFILE, &child_rlimit) < 0)
		_exit(16);
	r = server_new(&st, &s, err, sizeof(err));
	if (r < 0) {
		dprintf(ready_fd, "E%s", err);
		_exit(11);
	}
	state_load_initial(&st);
	/* file:// is pulled by the sync (every guard applies), before the
	 * first request as in provd. */
	if (sync_new(s, &st, &sy) < 0)
		_exit(16);
	if (child_pinned_max)
		server_set_pinned_max(s, child_pinned_max);
	if (child_nofile) {
		/* room for child_nofile more descriptors than are open now */
		int probe = dup(0);
		struct rlimit rl;

		close(probe);
		rl.rlim_cur = rl.rlim_max = (rlim_t)probe + child_nofile;
		if (probe < 0 || setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(15);
	}
	if (write(ready_fd, "R", 1) != 1)
		_exit(12);
	close(ready_fd);
	r = server_run(s);
	sync_free(sy);
	server_free(s);
	state_free(&st);
	_exit(r == 0 ? 0 : 13);
}

/* Starts the server child; returns 0 when it is serving, or -1 with the
 * error text it sent in msg. */
static inline int start_server_msg(char *msg, size_t msgsz)
{
	struct pollfd pfd;
	int p[2];
	ssize_t n;

	cr_assert_eq(pipe(p), 0);
	child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		close(p[0]);
		run_server(p[1]);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	cr_assert_eq(poll(&pfd, 1, 10000), 1, "server did not start");
	n = read(p[0], msg, msgsz - 1);
	close(p[0]);
	cr_assert_gt(n, 0);
	msg[n] = '\0';
	return msg[0] == 'R' ? 0 : -1;
}

static inline void start_server(void)
{
	char msg[600];

	cr_assert_eq(start_server_msg(msg, sizeof(msg)), 0, "server failed: %s", msg + 1);
}

#endif

/* SPDX-License-Identifier: MIT */
/* The event loop, end to end over real Unix sockets: provd's server runs in
 * a child process on a temp runtime_dir; the test is its client. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
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

#include "client.h"
#include "server_fixture.h"

static void setup(void)
{
	srv_setup("prov-test-server");
}

TestSuite(server, .init = setup, .fini = srv_teardown, .timeout = 60);

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A raw client: blocking socket with receive/send timeouts. */
static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect %s: %s", path, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static size_t build_name_req(uint8_t *buf, size_t cap, uint16_t type, const char *name)
{
	struct prov_writer w;

	prov_writer_init(&w, buf, cap);
	prov_writer_begin(&w);
	prov_put_str(&w, name, PROV_NAME_MAX);
	cr_assert_eq(prov_writer_finish(&w, type, 0), 0);
	return w.len;
}

static void send_all(int fd, const void *buf, size_t len)
{
	cr_assert_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Reads one reply; -1 on EOF/error/timeout. */
static int read_reply(int fd, struct prov_header *h, uint8_t *body, size_t cap)
{
	uint8_t hdr[PROV_HEADER_SIZE];
	size_t got = 0;

	while (got < sizeof(hdr)) {
		ssize_t n = recv(fd, hdr + got, sizeof(hdr) - got, 0);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	if (prov_header_decode(hdr, h) < 0 || h->body_len > cap)
		return -1;
	got = 0;
	while (got < h->body_len) {
		ssize_t n = recv(fd, body + got, h->body_len - got, 0);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* Waits until the server closes fd; returns how long that took (ms), or -1
 * if it did not within limit_ms. */
static int64_t wait_closed(int fd, int limit_ms)
{
	int64_t t0 = now_ms();
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	while (now_ms() - t0 < limit_ms) {
		if (poll(&pfd, 1, 50) == 1) {
			ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

			if (n == 0 || (n < 0 && errno == ECONNRESET))
				return now_ms() - t0;
		}
	}
	return -1;
}

static void expect_alice(const struct prov_header *h, const uint8_t *body)
{
	struct prov_passwd_rec p;
	struct prov_reader r;

	cr_assert_eq(h->status, PROV_ST_OK);
	prov_reader_init(&r, body, h->body_len);
	cr_assert_eq(prov_get_passwd(&r, &p), 0);
	cr_assert(prov_str_eq(&p.name, "alice"));
	cr_assert_eq(p.uid, 20001);
}

static void lookup_alice_ok(const char *path)
{
	uint8_t req[64], body[1024];
	struct prov_header h;
	size_t n = build_name_req(req, sizeof(req), PROV_OP_PW_BY_NAME, "alice");
	int fd = raw_connect(path);

	send_all(fd, req, n);
	cr_assert_eq(read_reply(fd, &h, body, sizeof(body)), 0);
	expect_alice(&h, body);
	close(fd);
}

Test(server, answers_with_prov_call)
{
	uint8_t req[64];
	struct prov_reply rep;
	size_t n = build_name_req(req, sizeof(req), PROV_OP_PW_BY_NAME, "alice");

	start_server();
	cr_assert_eq(prov_call(sock, 2000, req, n, &rep), 0);
	expect_alice(&rep.hdr, rep.body);
	prov_reply_free(&rep);
	n = build_name_req(req, sizeof(req), PROV_OP_PW_BY_NAME, "nosuch");
	cr_assert_eq(prov_call(sock, 2000, req, n, &rep), 0);
	cr_assert_eq(rep.hdr.status, PROV_ST_NOT_FOUND);
	prov_reply_free(&rep);
}

Test(server, socket_modes)
{
	struct stat st;
	char pdir[200];

	start_server();
	cr_assert_eq(lstat(sock, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0666);
	snprintf(pdir, sizeof(pdir), "%s/private", rundir);
	cr_assert_eq(lstat(pdir, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700);
	cr_assert_eq(lstat(psock, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600);
	lookup_alice_ok(psock);
}

#define N_CLIENTS 200

/* 200 clients connected at the same time, each with a request in flight,
 * all answered correctly. */
Test(server, concurrent_clients_raw)
{
	static int fds[N_CLIENTS];
	uint8_t req[64], body[1024];
	struct prov_header h;
	size_t n;
	int i;

	start_server();
	for (i = 0; i < N_CLIENTS; i++)
		fds[i] = raw_connect(sock);
	for (i = 0; i < N_CLIENTS; i++) {
		n = build_name_req(req, sizeof(req), i % 2 ? PROV_OP_PW_BY_NAME : PROV_OP_GR_BY_NAME,
				   i % 2 ? "alice" : "developers");
		send_all(fds[i], req, n);
	}
	for (i = N_CLIENTS - 1; i >= 0; i--) {
		cr_assert_eq(read_reply(fds[i], &h, body, sizeof(body)), 0, "client %d", i);
		if (i % 2) {
			expect_alice(&h, body);
		} else {
			struct prov_group_rec g;
			struct prov_reader r;

			cr_assert_eq(h.status, PROV_ST_OK);
			prov_reader_init(&r, body, h.body_len);
			cr_assert_eq(prov_get_group(&r, &g), 0);
			cr_assert_eq(g.gid, 30001);
		}
		close(fds[i]);
	}
}

static void *thread_lookup(void *arg)
{
	uint8_t req[64];
	struct prov_reply rep;
	size_t n = build_name_req(req, sizeof(req), PROV_OP_PW_BY_NAME, "alice");
	intptr_t bad = 0;
	int k;

	(void)arg;
	for (k = 0; k < 5; k++) {
		if (prov_call(sock, 5000, req, n, &rep) < 0) {
			bad++;
			continue;
		}
		if (rep.hdr.status != PROV_ST_OK || rep.body_len < 9 || memcmp(rep.body + 4, "alice", 5) != 0)
			bad++;
		prov_reply_free(&rep);
	}
	return (void *)bad;
}

/* 200 threads through the real client library, 5 lookups each. */
Test(server, concurrent_clients_prov_call)
{
	static pthread_t th[N_CLIENTS];
	intptr_t bad = 0;
	void *ret;
	int i;

	start_server();
	for (i = 0; i < N_CLIENTS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, thread_lookup, NULL), 0);
	for (i = 0; i < N_CLIENTS; i++) {
		pthread_join(th[i], &ret);
		bad += (intptr_t)ret;
	}
	cr_assert_eq(bad, 0, "%ld of %d lookups failed", (long)bad, N_CLIENTS * 5);
}

/* A client holding half a header stalls nobody, and is dropped once its
 * time is up. */
Test(server, slow_loris_does_not_stall_others)
{
	uint8_t req[64];
	int64_t t0, took;
	int loris;

	build_name_req(req, sizeof(req), PROV_OP_PW_BY_NAME, "alice");
	start_server();
	loris = raw_connect(sock);
	send_all(loris, req, 8);
	t0 = now_ms();
	lookup_alice_ok(sock);
	took = now_ms() - t0;
	cr_assert_lt(took, 300, "another client waited %lld ms", (long long)took);
	took = wait_closed(loris, 3 * TIMEOUT_MS);
	cr_assert_geq(took, 0, "the slow client was never dropped");
	cr_assert_lt(took, TIMEOUT_MS + 500, "dropped after %lld ms", (long long)took);
	close(loris);
	lookup_alice_ok(sock);
}

/* Trickling a byte at a time does not extend the deadline. */
Test(server, trickle_does_not_extend_deadline)
{
	uint8_t req[64];
	size_t n = build_name_req(req, sizeof(req), PROV_OP_PW_BY_NAME, "alice");
	int64_t t0 = 0;
	size_t i;
	int fd;

	start_server();
	fd = raw_connect(sock);
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		if (send(fd, req + i, 1, MSG_NOSIGNAL) != 1)
			break;
		if (wait_closed(fd, 150) >= 0)
			break;
	}
	cr_assert_lt(i, n, "the whole request trickled in over %lld ms", (long long)(now_ms() - t0));
	cr_assert_lt(now_ms() - t0, TIMEOUT_MS + 500);
	close(fd);
}

/* An idle connection (nothing sent at all) is dropped on time too. */
Test(server, idle_client_dropped)
{
	int fd;
	int64_t took;

	start_server();
	fd = raw_connect(sock);
	took = wait_closed(fd, 3 * TIMEOUT_MS);
	cr_assert_geq(took, TIMEOUT_MS - 100);
	cr_assert_lt(took, TIMEOUT_MS + 500);
	close(fd);
}

static void expect_dropped_after(const uint8_t hdr[PROV_HEADER_SIZE])
{
	uint8_t body[64];
	struct prov_header h;
	int fd;

	fd = raw_connect(sock);
	send_all(fd, hdr, PROV_HEADER_SIZE);
	cr_assert_eq(read_reply(fd, &h, body, sizeof(body)), -1, "no reply, the connection is closed");
	cr_assert_geq(wait_closed(fd, 500), 0);
	close(fd);
}

Test(server, oversized_and_bad_frames_dropped)
{
	uint8_t hdr[PROV_HEADER_SIZE];

	start_server();
	prov_header_encode(hdr, PROV_OP_PW_BY_NAME, 0, PROV_MAX_BODY + 1);
	expect_dropped_after(hdr);
	prov_header_encode(hdr, PROV_OP_PW_BY_NAME, 0, SERVER_REQUEST_MAX + 1);
	expect_dropped_after(hdr);
	prov_header_encode(hdr, PROV_OP_PW_BY_NAME, 0, 0xffffffffu);
	expect_dropped_after(hdr);
	prov_header_encode(hdr, PROV_OP_PW_BY_NAME, 0, 9);
	memcpy(hdr, "HTTP", 4); /* bad magic */
	expect_dropped_after(hdr);
	prov_header_encode(hdr, PROV_OP_PW_BY_NAME, 0, 9);
	hdr[4] = 2; /* a version we do not speak */
	expect_dropped_after(hdr);
	lookup_alice_ok(sock);
}

/* A malformed body inside a good frame is answered, not dropped. */
Test(server, bad_request_answered)
{
	uint8_t req[64], body[64];
	struct prov_header h;
	int fd;

	start_server();
	prov_header_encode(req, PROV_OP_PW_BY_UID, 0, 3);
	memset(req + PROV_HEADER_SIZE, 1, 3);
	fd = raw_connect(sock);
	send_all(fd, req, PROV_HEADER_SIZE + 3);
	cr_assert_eq(read_reply(fd, &h, body, sizeof(body)), 0);
	cr_assert_eq(h.status, PROV_ST_BAD_REQUEST);
	cr_assert_eq(h.type, PROV_OP_PW_BY_UID);
	close(fd);
}

/* Several requests on one connection, written at once, answered in order. */
Test(server, pipelined_requests)
{
	uint8_t req[256], body[1024];
	struct prov_header h;
	size_t n = 0;
	int fd, i;

	start_server();
	for (i = 0; i < 3; i++)
		n += build_name_req(req + n, sizeof(req) - n, PROV_OP_PW_BY_NAME, i == 1 ? "nosuch" : "alice");
	fd = raw_connect(sock);
	send_all(fd, req, n);
	cr_assert_eq(read_reply(fd, &h, body, sizeof(body)), 0);
	expect_alice(&h, body);
	cr_assert_eq(read_reply(fd, &h, body, sizeof(body)), 0);
	cr_assert_eq(h.status, PROV_ST_NOT_FOUND);
	cr_assert_eq(read_reply(fd, &h, body, sizeof(body)), 0);
	expect_alice(&h, body);
	close(fd);
}

/* Past max_clients a connection is closed at once (its caller fails fast);
 * once one leaves, new ones are served again. */
Test(server, max_clients)
{
	int fds[3], extra;
	int64_t took;

	write_conf(3);
	start_server();
	fds[0] = raw_connect(sock);
	fds[1] = raw_connect(sock);
	fds[2] = raw_connect(sock);
	extra = raw_connect(sock);
	took = wait_closed(extra, 500);
	cr_assert_geq(took, 0, "the fourth connection was not closed");
	cr_assert_lt(took, 300);
	close(extra);
	close(fds[0]);
	usleep(100000);
	lookup_alice_ok(sock);
	close(fds[1]);
	close(fds[2]);
}

static bool status_has_refusal(const char *path)
{
	uint8_t req[PROV_HEADER_SIZE];
	struct prov_reply rep;
	bool found;

	prov_header_encode(req, PROV_OP_STATUS, 0, 0);
	cr_assert_eq(prov_call(path, 2000, req, sizeof(req), &rep), 0);
	cr_assert_eq(rep.hdr.status, PROV_ST_OK);
	found = memmem(rep.body, rep.body_len, "refused.1", 9) != NULL;
	prov_reply_free(&rep);
	return found;
}

/* The private socket is told apart from the public one (SO_PEERCRED and
 * which listener accepted): refusal details only for root there. */
Test(server, private_socket_privilege)
{
	start_server();
	cr_assert(!status_has_refusal(sock));
	if (geteuid() == 0)
		cr_assert(status_has_refusal(psock));
	else
		cr_assert(!status_has_refusal(psock), "uid %u is not root", (unsigned)geteuid());
}

/* SIGTERM: a clean exit, and the sockets are gone. */
Test(server, sigterm_stops_cleanly)
{
	int status;
	int64_t t0;

	start_server();
	lookup_alice_ok(sock);
	t0 = now_ms();
	cr_assert_eq(kill(child, SIGTERM), 0);
	cr_assert_eq(waitpid(child, &status, 0), child);
	child = -1;
	cr_assert_lt(now_ms() - t0, 2000);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	cr_assert_eq(access(sock, F_OK), -1);
	cr_assert_eq(errno, ENOENT);
	cr_assert_eq(access(psock, F_OK), -1);
}

Test(server, sigint_stops_cleanly)
{
	int status;

	start_server();
	cr_assert_eq(kill(child, SIGINT), 0);
	cr_assert_eq(waitpid(child, &status, 0), child);
	child = -1;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(access(sock, F_OK), -1);
}

/* SIGHUP: a new document is read and served; a broken config is refused
 * and the server keeps serving. */
Test(server, sighup_reloads)
{
	uint8_t req[64];
	struct prov_reply rep;
	size_t n = build_name_req(req, sizeof(req), PROV_OP_PW_BY_NAME, "bob");
	int64_t t0;
	bool seen = false;

	start_server();
	copy_doc(RT_FIX "/directory-serial9.json");
	cr_assert_eq(kill(child, SIGHUP), 0);
	for (t0 = now_ms(); now_ms() - t0 < 3000 && !seen; usleep(20000)) {
		cr_assert_eq(prov_call(sock, 2000, req, n, &rep), 0);
		seen = rep.hdr.status == PROV_ST_OK && memmem(rep.body, rep.body_len, "Bob Builder", 11);
		prov_reply_free(&rep);
	}
	cr_assert(seen, "the reloaded document is not served");

	write_file(conf, "[server]\nbogus = 1\n", 19);
	cr_assert_eq(kill(child, SIGHUP), 0);
	usleep(200000);
	lookup_alice_ok(sock);
	cr_assert_eq(waitpid(child, NULL, WNOHANG), 0, "still running");
}

/* Another provd on the same sockets: the second one refuses to start. */
Test(server, refuses_to_steal_live_socket)
{
	char msg[600];
	pid_t first;

	start_server();
	first = child;
	cr_assert_eq(start_server_msg(msg, sizeof(msg)), -1);
	cr_assert_not_null(strstr(msg, "already serving"), "%s", msg);
	waitpid(child, NULL, 0);
	child = first;
	lookup_alice_ok(sock);
}

/* A stale socket file (no one listening) is replaced; anything else at
 * the socket path is never removed. */
Test(server, stale_socket_replaced_but_not_files)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[600];
	int fd;

	cr_assert_eq(mkdir(rundir, 0755), 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* bound, never listened: stale */
	start_server();
	lookup_alice_ok(sock);
	stop_child();

	write_file(sock, "precious", 8);
	cr_assert_eq(start_server_msg(msg, sizeof(msg)), -1);
	cr_assert_not_null(strstr(msg, "is not a socket"), "%s", msg);
	waitpid(child, NULL, 0);
	child = -1;
	cr_assert_eq(access(sock, F_OK), 0, "the regular file is still there");
}

/* A runtime_dir someone else could write is fixed to ours (0755). */
Test(server, runtime_dir_mode_enforced)
{
	struct stat st;

	cr_assert_eq(mkdir(rundir, 0777), 0);
	cr_assert_eq(chmod(rundir, 0777), 0);
	start_server();
	cr_assert_eq(stat(rundir, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0755);
}

/* Socket activation: a listener handed over by systemd (matched by path)
 * is used instead of a new one, and left in place at exit (it is
 * systemd's); the private one is still created. */
Test(server, socket_activation)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat before, after;
	int fd, status;

	cr_assert_eq(mkdir(rundir, 0755), 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 16), 0);
	cr_assert_eq(stat(sock, &before), 0);
	activation_fd = fd;
	start_server();
	lookup_alice_ok(sock);
	lookup_alice_ok(psock);
	cr_assert_eq(stat(sock, &after), 0);
	cr_assert_eq(after.st_ino, before.st_ino, "the socket was not re-created");
	cr_assert_eq(kill(child, SIGTERM), 0);
	cr_assert_eq(waitpid(child, &status, 0), child);
	child = -1;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(access(sock, F_OK), 0, "systemd's socket stays");
	cr_assert_eq(access(psock, F_OK), -1, "our own socket is removed");
	close(fd);
}

/* Out of descriptors: the server stops accepting instead of spinning or
 * failing, and every waiting client is served once others leave. */
Test(server, fd_exhaustion_pauses_accepting)
{
	static int fds[24];
	uint8_t req[64], body[1024];
	struct prov_header h;
	size_t n = build_name_req(req, sizeof(req), PROV_OP_PW_BY_NAME, "alice");
	int i;

	child_nofile = 4; /* ready_fd is still open: 3 clients at a time */
	start_server();
	for (i = 0; i < 24; i++) {
		fds[i] = raw_connect(sock);
		send_all(fds[i], req, n);
	}
	for (i = 0; i < 24; i++) {
		cr_assert_eq(read_reply(fds[i], &h, body, sizeof(body)), 0, "client %d", i);
		expect_alice(&h, body);
		close(fds[i]);
	}
	lookup_alice_ok(sock);
	cr_assert_eq(waitpid(child, NULL, WNOHANG), 0, "still running");
}

/* ---- budgets (DESIGN invariant 12) ---- */

/* Connects to path as uid (the peer credentials are taken at connect time,
 * so an effective uid for the connect() alone is enough). As a non-root
 * test run, only our own uid is possible. */
static int connect_as(const char *path, uid_t uid)
{
	int fd;

	if (geteuid() == uid)
		return raw_connect(path);
	cr_assert_eq(geteuid(), 0, "only root can connect as another uid");
	cr_assert_eq(seteuid(uid), 0);
	fd = raw_connect(path);
	cr_assert_eq(seteuid(0), 0);
	return fd;
}

/* A uid that is not root: nobody when we are root, else ourselves. */
static uid_t unprivileged_uid(void)
{
	return geteuid() == 0 ? 65534 : geteuid();
}

static void open_dir_for_others(void)
{
	/* mkdtemp made it 0700: let another uid reach the public socket */
	cr_assert_eq(chmod(dir, 0755), 0);
}

/* The public socket full does not refuse or delay the private one (PAM,
 * refresh): it has its own budget. Fails on a shared max_clients. */
Test(server, invariant12_private_socket_has_its_own_budget)
{
	int fds[3], extra, i;
	int64_t t0;

	write_conf(3);
	start_server();
	for (i = 0; i < 3; i++)
		fds[i] = raw_connect(sock);
	extra = raw_connect(sock);
	cr_assert_geq(wait_closed(extra, 500), 0, "the public socket is full");
	close(extra);
	t0 = now_ms();
	lookup_alice_ok(psock);
	cr_assert_lt(now_ms() - t0, 1000, "the private socket answered at once");
	for (i = 0; i < 3; i++)
		close(fds[i]);
}

/* One uid holds at most max_clients_per_uid public connections; the next
 * is closed at once, and someone else is still served. */
Test(server, invariant12_per_uid_budget)
{
	int fds[2], extra, i;
	uid_t u = unprivileged_uid();
	int64_t took;

	open_dir_for_others();
	conf_per_uid = 2;
	write_conf(1024);
	start_server();
	for (i = 0; i < 2; i++)
		fds[i] = connect_as(sock, u);
	extra = connect_as(sock, u);
	took = wait_closed(extra, 500);
	cr_assert_geq(took, 0, "the uid's third connection was not closed");
	cr_assert_lt(took, 300);
	close(extra);
	/* the held ones still work */
	{
		uint8_t req[64], body[1024];
		struct prov_header h;
		size_t n = build_name_req(req, sizeof(req), PROV_OP_PW_BY_NAME, "alice");

		send_all(fds[0], req, n);
		cr_assert_eq(read_reply(fds[0], &h, body, sizeof(body)), 0);
		expect_alice(&h, body);
	}
	if (geteuid() == 0) {
		int more[3];

		/* root is not counted; another uid has its own budget */
		for (i = 0; i < 3; i++)
			more[i] = raw_connect(sock);
		lookup_alice_ok(sock);
		for (i = 0; i < 3; i++)
			close(more[i]);
		extra = connect_as(sock, 1000);
		cr_assert_lt(wait_closed(extra, 300), 0, "uid 1000 was refused for nobody's connections");
		close(extra);
	}
	close(fds[1]);
	usleep(100000);
	extra = connect_as(sock, u);
	cr_assert_lt(wait_closed(extra, 300), 0, "a connection that left frees its place");
	close(extra);
	close(fds[0]);
}

/* An idle connection after a reply is on the deadline too. */
Test(server, invariant12_idle_after_reply_dropped)
{
	uint8_t req[64], body[1024];
	struct prov_header h;
	size_t n = build_name_req(req, sizeof(req), PROV_OP_PW_BY_NAME, "alice");
	int64_t took;
	int fd;

	start_server();
	fd = raw_connect(sock);
	send_all(fd, req, n);
	cr_assert_eq(read_reply(fd, &h, body, sizeof(body)), 0);
	took = wait_closed(fd, TIMEOUT_MS * 3);
	cr_assert_geq(took, TIMEOUT_MS - 200);
	close(fd);
}

/* Request bodies held by slow public clients are bounded in total: past
 * the budget a client is dropped, and small requests still go through. */
Test(server, invariant12_pinned_memory_budget)
{
	uint8_t hdr[PROV_HEADER_SIZE];
	int a, b;

	child_pinned_max = 100000;
	start_server();
	prov_header_encode(hdr, PROV_OP_PW_BY_NAME, 0, 60000);
	a = raw_connect(sock);
	send_all(a, hdr, sizeof(hdr));
	usleep(100000);
	b = raw_connect(sock);
	send_all(b, hdr, sizeof(hdr));
	cr_assert_geq(wait_closed(b, 500), 0, "the second 60 kB body was taken past the budget");
	cr_assert_lt(wait_closed(a, 200), 0, "the first one is within budget");
	lookup_alice_ok(sock);
	lookup_alice_ok(psock);
	close(a);
	close(b);
}

/* ---- slow work off the loop (DESIGN invariant 12) ---- */

static size_t build_login_req(uint8_t *buf, size_t cap, uint16_t type, const char *user)
{
	struct prov_writer w;

	prov_writer_init(&w, buf, cap);
	prov_writer_begin(&w);
	prov_put_str(&w, user, PROV_NAME_MAX);
	prov_put_str(&w, "sshd", PROV_SERVICE_MAX);
	prov_put_str(&w, "127.0.0.1", PROV_RHOST_MAX);
	prov_put_str(&w, "ssh", PROV_TTY_MAX);
	cr_assert_eq(prov_writer_finish(&w, type, 0), 0);
	return w.len;
}

/* A home whose skel copy takes a while is made on the worker thread: a
 * lookup sent after SESSION_OPEN is answered before it, and SESSION_OPEN
 * is still answered (ALLOW, home made) when the copy is done. Fails when
 * the loop makes the home itself: the lookup then waits for the copy. */
Test(server, invariant12_home_creation_does_not_block_lookups)
{
	static const char DOC[] =
		"{\"prov_directory\": 1, \"serial\": 1, \"users\": ["
		"{\"name\": \"alice\", \"uid\": 20001, \"gid\": 20001, \"gecos\": \"Alice A\", \"home\": \"%s/home/alice\","
		" \"shell\": \"/bin/bash\"},"
		"{\"name\": \"slow\", \"uid\": 20010, \"gid\": 20010, \"home\": \"%s/home/slow\", \"shell\": \"/bin/bash\"}],"
		" \"groups\": [], \"bindings\": [{\"name\": \"b\", \"users\": [\"slow\"], \"grants\": [\"login\"]}]}";
	char path[256], doc[1024], filler[4096];
	uint8_t req[512], body[2048];
	struct prov_header h;
	struct pollfd pfd;
	struct stat stt;
	size_t n;
	int pf, lf, i;

	if (geteuid() != 0)
		cr_skip_test("home creation needs root (chown)");
	snprintf(doc, sizeof(doc), DOC, dir, dir);
	write_file(docpath, doc, strlen(doc));
	snprintf(path, sizeof(path), "%s/home", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/skel", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
	memset(filler, 'x', sizeof(filler));
	for (i = 0; i < 2000; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/skel/f%04d", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		cr_assert_geq(fd, 0);
		cr_assert_eq(write(fd, filler, sizeof(filler)), (ssize_t)sizeof(filler));
		close(fd);
	}
	snprintf(conf_extra, sizeof(conf_extra), "[accounts]\nhome_base = %s/home\n[login]\nskel_dir = %s/skel\n", dir,
		 dir);
	write_conf(1024);
	start_server();

	pf = raw_connect(psock);
	{
		/* the copy may take a while on a busy machine */
		struct timeval tv = { .tv_sec = 50 };

		setsockopt(pf, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	n = build_login_req(req, sizeof(req), PROV_OP_SESSION_OPEN, "slow");
	send_all(pf, req, n);
	usleep(20000); /* the loop has taken SESSION_OPEN */
	lf = raw_connect(sock);
	n = build_name_req(req, sizeof(req), PROV_OP_PW_BY_NAME, "alice");
	send_all(lf, req, n);
	cr_assert_eq(read_reply(lf, &h, body, sizeof(body)), 0);
	expect_alice(&h, body);
	pfd = (struct pollfd){ .fd = pf, .events = POLLIN };
	cr_assert_eq(poll(&pfd, 1, 0), 0, "SESSION_OPEN was answered before the lookup: the loop copied skel");

	cr_assert_eq(read_reply(pf, &h, body, sizeof(body)), 0, "SESSION_OPEN answered once the home is made");
	cr_assert_eq(h.status, PROV_ST_OK);
	{
		struct prov_reader rd;

		prov_reader_init(&rd, body, h.body_len);
		cr_assert_eq(prov_get_u32(&rd), PROV_DECIDE_ALLOW);
	}
	snprintf(path, sizeof(path), "%s/home/slow/f1999", dir);
	cr_assert_eq(stat(path, &stt), 0, "the skel was copied");
	cr_assert_eq(stt.st_uid, 20010);
	/* the connection serves a next request */
	n = build_name_req(req, sizeof(req), PROV_OP_PW_BY_NAME, "alice");
	send_all(pf, req, n);
	cr_assert_eq(read_reply(pf, &h, body, sizeof(body)), 0);
	expect_alice(&h, body);
	close(lf);
	close(pf);
}

/* EMFILE never bites first (DESIGN invariant 12): provd raises its soft
 * descriptor limit to the hard one and serves at most what fits below it
 * next to the private budget and the reserve; past that a connection is
 * closed at once, and the private socket still answers. */
Test(server, invariant12_budgets_fit_the_descriptor_limit)
{
	enum { HARD = 400, FIT = HARD - SERVER_PRIVATE_MAX - SERVER_FD_RESERVE };
	static int fds[FIT];
	int i, extra;

	conf_per_uid = 1000; /* a non-root test run is not limited by that */
	write_conf(1024);
	child_rlimit.rlim_cur = 100; /* would allow only a few clients if kept */
	child_rlimit.rlim_max = HARD;
	start_server();
	for (i = 0; i < FIT; i++)
		fds[i] = raw_connect(sock);
	usleep(200000);
	for (i = 0; i < FIT; i += FIT / 8)
		cr_assert_lt(wait_closed(fds[i], 50), 0, "connection %d of %d was refused", i, FIT);
	extra = raw_connect(sock);
	cr_assert_geq(wait_closed(extra, 500), 0, "more than fits was accepted");
	close(extra);
	lookup_alice_ok(psock);
	for (i = 0; i < FIT; i++)
		close(fds[i]);
	cr_assert_eq(waitpid(child, NULL, WNOHANG), 0, "still running");
}

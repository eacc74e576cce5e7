/* SPDX-License-Identifier: MIT */
/*
 * common/client.c against a fake daemon: fail fast with no daemon, a hard
 * deadline with a hung one, every malformed reply refused, the peer check,
 * and the descriptor hygiene a library inside every process owes its host
 * (DESIGN invariants 6 and 9).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>

#include "client.h"
#include "fake_provd.h"

static struct fake_provd srv;

static void stop_server(void)
{
	fake_provd_stop(&srv);
}

TestSuite(client, .fini = stop_server, .timeout = 30);

/* A request frame: PW_BY_UID 20001. */
static size_t build_req(uint8_t *buf, size_t cap, uint16_t type)
{
	struct prov_writer w;

	prov_writer_init(&w, buf, cap);
	prov_writer_begin(&w);
	prov_put_u32(&w, 20001);
	cr_assert_eq(prov_writer_finish(&w, type, 0), 0);
	return w.len;
}

static int call(const char *path, int timeout_ms, struct prov_reply *rep)
{
	uint8_t req[64];
	size_t n = build_req(req, sizeof(req), PROV_OP_PW_BY_UID);

	return prov_call(path, timeout_ms, req, n, rep);
}

/* ---- handlers (run in the fake daemon) ---- */

static void h_echo(int fd, const struct prov_header *req, const uint8_t *body, void *arg)
{
	(void)arg;
	fake_reply(fd, req->type, PROV_ST_OK, body, req->body_len);
}

static void h_hang(int fd, const struct prov_header *req, const uint8_t *body, void *arg)
{
	(void)fd, (void)req, (void)body, (void)arg;
	for (;;)
		pause();
}

static void h_close(int fd, const struct prov_header *req, const uint8_t *body, void *arg)
{
	(void)fd, (void)req, (void)body, (void)arg;
}

/* Sends the raw bytes in arg (a struct raw) and closes. */
struct raw {
	uint8_t bytes[64];
	size_t len;
	int hang_after; /* keep the connection open and say nothing more */
};

static void h_raw(int fd, const struct prov_header *req, const uint8_t *body, void *arg)
{
	struct raw *r = arg;

	(void)req, (void)body;
	fake_send(fd, r->bytes, r->len);
	if (r->hang_after)
		for (;;)
			pause();
}

static struct raw raw_header(uint32_t magic, uint16_t version, uint16_t type, uint32_t status,
			     uint32_t body_len)
{
	struct raw r = { .len = PROV_HEADER_SIZE };

	memcpy(r.bytes, &magic, 4);
	memcpy(r.bytes + 4, &version, 2);
	memcpy(r.bytes + 6, &type, 2);
	memcpy(r.bytes + 8, &status, 4);
	memcpy(r.bytes + 12, &body_len, 4);
	return r;
}

static int call_raw(struct raw *r)
{
	struct prov_reply rep;
	int ret;

	cr_assert_eq(fake_provd_start(&srv, h_raw, r), 0);
	ret = call(srv.path, 500, &rep);
	if (ret == 0)
		prov_reply_free(&rep);
	return ret;
}

/* ---- daemon absent or unusable: fail fast ---- */

Test(client, no_daemon_fails_fast_with_enoent)
{
	struct prov_reply rep;
	int64_t t0 = fake_now_ms();

	cr_assert_eq(call("/tmp/prov-test-no-such-dir/socket", 1000, &rep), -ENOENT);
	cr_assert_lt(fake_now_ms() - t0, 50);
}

Test(client, socket_path_not_a_socket_is_refused)
{
	char path[] = "/tmp/prov-test-file.XXXXXX";
	struct prov_reply rep;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	cr_expect_eq(call(path, 1000, &rep), -ECONNREFUSED);
	unlink(path);
}

Test(client, bound_but_not_listening_is_refused_fast)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/prov-test.XXXXXX";
	struct prov_reply rep;
	int s;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/socket", dir);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_expect_eq(call(sa.sun_path, 1000, &rep), -ECONNREFUSED);
	close(s);
	unlink(sa.sun_path);
	rmdir(dir);
}

Test(client, path_too_long_is_einval)
{
	char path[200];
	struct prov_reply rep;

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	cr_expect_eq(call(path, 1000, &rep), -EINVAL);
	cr_expect_eq(call("", 1000, &rep), -EINVAL);
}

/* The listen backlog is full: a Unix connect says EAGAIN at once, and the
 * client gives up instead of adding to the pile. */
Test(client, full_backlog_fails_fast)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct prov_reply rep;
	int fds[64], n = 0, r;
	int64_t t0;

	cr_assert_eq(fake_provd_start_ex(&srv, FAKE_NO_ACCEPT, NULL, FAKE_SAME_UID, 0), 0);
	memcpy(sa.sun_path, srv.path, sizeof(srv.path));
	while (n < 64) {
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			cr_assert_eq(errno, EAGAIN);
			close(s);
			break;
		}
		fds[n++] = s;
	}
	cr_assert_lt(n, 64, "backlog never filled");
	t0 = fake_now_ms();
	r = call(srv.path, 1000, &rep);
	cr_expect_eq(r, -EAGAIN);
	cr_expect_lt(fake_now_ms() - t0, 50);
	while (n > 0)
		close(fds[--n]);
}

/* ---- daemon hung: bounded by the deadline ---- */

Test(client, daemon_that_never_answers_times_out_within_deadline)
{
	struct prov_reply rep;
	int64_t t0, dt;

	cr_assert_eq(fake_provd_start(&srv, h_hang, NULL), 0);
	t0 = fake_now_ms();
	cr_assert_eq(call(srv.path, 300, &rep), -ETIMEDOUT);
	dt = fake_now_ms() - t0;
	cr_expect_geq(dt, 299);
	cr_expect_lt(dt, 450);
}

Test(client, default_timeout_is_the_documented_bound)
{
	struct prov_reply rep;
	int64_t t0, dt;

	cr_assert_eq(PROV_CLIENT_TIMEOUT_MS, 1000);
	cr_assert_eq(fake_provd_start(&srv, h_hang, NULL), 0);
	t0 = fake_now_ms();
	cr_assert_eq(call(srv.path, PROV_CLIENT_TIMEOUT_MS, &rep), -ETIMEDOUT);
	dt = fake_now_ms() - t0;
	cr_expect_geq(dt, PROV_CLIENT_TIMEOUT_MS - 1);
	cr_expect_lt(dt, PROV_CLIENT_TIMEOUT_MS + 150);
}

/* Accepted into the backlog but never accept()ed (a SIGSTOPped provd). */
Test(client, daemon_that_never_accepts_times_out)
{
	struct prov_reply rep;
	int64_t t0 = fake_now_ms();

	cr_assert_eq(fake_provd_start(&srv, FAKE_NO_ACCEPT, NULL), 0);
	cr_assert_eq(call(srv.path, 200, &rep), -ETIMEDOUT);
	cr_expect_lt(fake_now_ms() - t0, 350);
}

/* The header promised 50 bytes, 10 came, then silence. */
Test(client, body_that_stops_half_way_times_out)
{
	struct raw r = raw_header(PROV_MAGIC, PROV_PROTO_VERSION, PROV_OP_PW_BY_UID, 0, 50);

	memset(r.bytes + r.len, 'a', 10);
	r.len += 10;
	r.hang_after = 1;
	cr_expect_eq(call_raw(&r), -ETIMEDOUT);
}

/* ---- well-formed replies ---- */

Test(client, round_trip_returns_the_reply)
{
	struct prov_reply rep;
	uint32_t v;

	cr_assert_eq(fake_provd_start(&srv, h_echo, NULL), 0);
	cr_assert_eq(call(srv.path, 1000, &rep), 0);
	cr_expect_eq(rep.hdr.type, PROV_OP_PW_BY_UID);
	cr_expect_eq(rep.hdr.status, PROV_ST_OK);
	cr_assert_eq(rep.body_len, 4);
	memcpy(&v, rep.body, 4);
	cr_expect_eq(v, 20001);
	prov_reply_free(&rep);
	cr_expect_null(rep.body);
}

static void h_empty_notfound(int fd, const struct prov_header *req, const uint8_t *body, void *arg)
{
	(void)body, (void)arg;
	fake_reply(fd, req->type, PROV_ST_NOT_FOUND, NULL, 0);
}

Test(client, empty_reply_body_is_null)
{
	struct prov_reply rep;

	cr_assert_eq(fake_provd_start(&srv, h_empty_notfound, NULL), 0);
	cr_assert_eq(call(srv.path, 1000, &rep), 0);
	cr_expect_eq(rep.hdr.status, PROV_ST_NOT_FOUND);
	cr_expect_eq(rep.body_len, 0);
	cr_expect_null(rep.body);
	prov_reply_free(&rep);
}

/* The largest body the protocol allows, dribbled out in pieces. */
static void h_max_body_slowly(int fd, const struct prov_header *req, const uint8_t *body,
			      void *arg)
{
	uint8_t h[PROV_HEADER_SIZE];
	uint8_t *big = malloc(PROV_MAX_BODY);
	size_t off = 0;

	(void)body, (void)arg;
	for (size_t i = 0; i < PROV_MAX_BODY; i++)
		big[i] = (uint8_t)(i * 7);
	prov_header_encode(h, req->type, PROV_ST_OK, PROV_MAX_BODY);
	fake_send(fd, h, 5);
	usleep(10000);
	fake_send(fd, h + 5, sizeof(h) - 5);
	while (off < PROV_MAX_BODY) {
		size_t n = PROV_MAX_BODY - off > 100000 ? 100000 : PROV_MAX_BODY - off;

		fake_send(fd, big + off, n);
		off += n;
		usleep(1000);
	}
	free(big);
}

Test(client, max_body_in_pieces_is_read_whole)
{
	struct prov_reply rep;

	cr_assert_eq(fake_provd_start(&srv, h_max_body_slowly, NULL), 0);
	cr_assert_eq(call(srv.path, 2000, &rep), 0);
	cr_assert_eq(rep.body_len, PROV_MAX_BODY);
	for (size_t i = 0; i < PROV_MAX_BODY; i += 4099)
		cr_assert_eq(rep.body[i], (uint8_t)(i * 7));
	cr_expect_eq(rep.body[PROV_MAX_BODY - 1], (uint8_t)((PROV_MAX_BODY - 1) * 7));
	prov_reply_free(&rep);
}

/* ---- malformed replies: an error, never a crash ---- */

Test(client, daemon_closing_without_answer_is_econnreset)
{
	struct prov_reply rep;

	cr_assert_eq(fake_provd_start(&srv, h_close, NULL), 0);
	cr_expect_eq(call(srv.path, 1000, &rep), -ECONNRESET);
}

Test(client, short_header_is_ebadmsg)
{
	struct raw r = raw_header(PROV_MAGIC, PROV_PROTO_VERSION, PROV_OP_PW_BY_UID, 0, 0);

	r.len = PROV_HEADER_SIZE - 1;
	cr_expect_eq(call_raw(&r), -EBADMSG);
}

Test(client, wrong_magic_is_eproto)
{
	struct raw r = raw_header(0x31565251u, PROV_PROTO_VERSION, PROV_OP_PW_BY_UID, 0, 0);

	cr_expect_eq(call_raw(&r), -EPROTO);
}

Test(client, wrong_version_is_eproto)
{
	struct raw r = raw_header(PROV_MAGIC, PROV_PROTO_VERSION + 1, PROV_OP_PW_BY_UID, 0, 0);

	cr_expect_eq(call_raw(&r), -EPROTO);
}

Test(client, oversized_body_len_is_ebadmsg_without_allocating)
{
	struct raw r = raw_header(PROV_MAGIC, PROV_PROTO_VERSION, PROV_OP_PW_BY_UID, 0,
				  PROV_MAX_BODY + 1);

	cr_expect_eq(call_raw(&r), -EBADMSG);
}

Test(client, huge_body_len_is_ebadmsg)
{
	struct raw r = raw_header(PROV_MAGIC, PROV_PROTO_VERSION, PROV_OP_PW_BY_UID, 0,
				  UINT32_MAX);

	cr_expect_eq(call_raw(&r), -EBADMSG);
}

Test(client, truncated_body_is_ebadmsg)
{
	struct raw r = raw_header(PROV_MAGIC, PROV_PROTO_VERSION, PROV_OP_PW_BY_UID, 0, 40);

	memset(r.bytes + r.len, 'x', 39);
	r.len += 39;
	cr_expect_eq(call_raw(&r), -EBADMSG);
}

Test(client, reply_to_another_request_type_is_eproto)
{
	struct raw r = raw_header(PROV_MAGIC, PROV_PROTO_VERSION, PROV_OP_PW_BY_NAME, 0, 0);

	cr_expect_eq(call_raw(&r), -EPROTO);
}

Test(client, garbage_is_refused)
{
	struct raw r = { .len = 64 };

	for (size_t i = 0; i < r.len; i++)
		r.bytes[i] = (uint8_t)(i * 37 + 11);
	cr_expect_eq(call_raw(&r), -EPROTO);
}

/* ---- who may answer ---- */

Test(client, daemon_not_root_nor_us_is_eperm)
{
	struct prov_reply rep;

	if (geteuid() != 0)
		cr_skip_test("needs root to listen as another uid");
	cr_assert_eq(fake_provd_start_ex(&srv, h_echo, NULL, 65534, 16), 0);
	cr_expect_eq(call(srv.path, 1000, &rep), -EPERM);
}

/* ---- the caller's process is left as it was ---- */

Test(client, errno_is_preserved)
{
	struct prov_reply rep;

	errno = 4242;
	cr_expect_eq(call("/tmp/prov-test-no-such-dir/socket", 1000, &rep), -ENOENT);
	cr_expect_eq(errno, 4242);

	cr_assert_eq(fake_provd_start(&srv, h_echo, NULL), 0);
	errno = 4243;
	cr_assert_eq(call(srv.path, 1000, &rep), 0);
	cr_expect_eq(errno, 4243);
	prov_reply_free(&rep);
}

Test(client, invalid_request_is_einval)
{
	uint8_t req[64];
	size_t n = build_req(req, sizeof(req), PROV_OP_PW_BY_UID);
	struct prov_reply rep;

	cr_expect_eq(prov_call("/nonexistent", 100, req, PROV_HEADER_SIZE - 1, &rep), -EINVAL);
	cr_expect_eq(prov_call("/nonexistent", 100, req, n + 1, &rep), -EINVAL);
	cr_expect_eq(prov_call("/nonexistent", -1, req, n, &rep), -EINVAL);
	req[0] ^= 1;
	cr_expect_eq(prov_call("/nonexistent", 100, req, n, &rep), -EINVAL);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own */
}

Test(client, no_descriptor_leaks_on_any_path)
{
	struct prov_reply rep;
	int before = count_fds();

	cr_assert_eq(call("/tmp/prov-test-no-such-dir/socket", 100, &rep), -ENOENT);
	cr_assert_eq(fake_provd_start(&srv, h_echo, NULL), 0);
	cr_assert_eq(call(srv.path, 1000, &rep), 0);
	prov_reply_free(&rep);
	fake_provd_stop(&srv);
	cr_assert_eq(fake_provd_start(&srv, h_hang, NULL), 0);
	cr_assert_eq(call(srv.path, 50, &rep), -ETIMEDOUT);
	cr_expect_eq(count_fds(), before);
}

/*
 * Descriptor hygiene, seen from the daemon's side through /proc: with fd 0
 * closed by the caller, the one socket prov_call opened must not land
 * on 0-2 and must be close-on-exec and non-blocking. The test records
 * which fds were open before (the fake daemon is forked after, so it sees
 * the record); the handler answers OK only if all of that holds.
 */
#define MAX_FD 4096
static bool open_before[MAX_FD];

static void record_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		long n = strtol(e->d_name, NULL, 10);

		if (e->d_name[0] != '.' && n >= 0 && n < MAX_FD && n != dirfd(d))
			open_before[n] = true;
	}
	closedir(d);
}

static unsigned long fd_flags(pid_t pid, long n)
{
	char p[64], line[128];
	unsigned long flags = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/fdinfo/%ld", (int)pid, n);
	f = fopen(p, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "flags: %lo", &flags) == 1)
			break;
	if (f)
		fclose(f);
	return flags;
}

static void h_inspect_client_fds(int fd, const struct prov_header *req, const uint8_t *body,
				 void *arg)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uint32_t status = PROV_ST_OK;
	int fresh = 0;
	char dir[64];
	struct dirent *e;
	DIR *d;

	(void)body, (void)arg;
	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)cred.pid);
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		long n = strtol(e->d_name, NULL, 10);
		unsigned long flags;
		char p[320], link[64];
		ssize_t l;

		if (e->d_name[0] == '.' || n < 0 || n >= MAX_FD || open_before[n])
			continue;
		/* Only sockets: a sanitizer runtime may open files meanwhile. */
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		l = readlink(p, link, sizeof(link) - 1);
		if (l < 7 || memcmp(link, "socket:", 7) != 0)
			continue;
		fresh++;
		flags = fd_flags(cred.pid, n);
		if (n <= 2 || !(flags & O_CLOEXEC) || !(flags & O_NONBLOCK))
			status = PROV_ST_INTERNAL;
	}
	if (d)
		closedir(d);
	if (fresh != 1)
		status = PROV_ST_UNAVAILABLE;
	fake_reply(fd, req->type, status, NULL, 0);
}

static void call_and_inspect(void)
{
	struct prov_reply rep;

	record_open_fds();
	cr_assert_eq(fake_provd_start(&srv, h_inspect_client_fds, NULL), 0);
	cr_assert_eq(call(srv.path, 1000, &rep), 0);
	cr_expect_eq(rep.hdr.status, PROV_ST_OK, "status %u (5: bad fd, 6: not exactly one new fd)",
		     rep.hdr.status);
	prov_reply_free(&rep);
}

Test(client, socket_is_cloexec_and_nonblocking)
{
	call_and_inspect();
}

Test(client, socket_never_lands_on_stdio)
{
	int saved = dup(0);

	close(0);
	call_and_inspect();
	dup2(saved, 0);
	close(saved);
}

/* A caller holding thousands of descriptors: the socket lands above
 * FD_SETSIZE, which poll() handles and select() would not. */
Test(client, works_with_descriptor_numbers_above_fd_setsize)
{
	struct rlimit rl;
	struct prov_reply rep;
	int fds[1100], n = 0;

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 2048) {
		rl.rlim_cur = rl.rlim_max < 2048 ? rl.rlim_max : 2048;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < 1200)
		cr_skip_test("RLIMIT_NOFILE too low");
	cr_assert_eq(fake_provd_start(&srv, h_echo, NULL), 0);
	while (n < 1100) {
		fds[n] = dup(2);
		cr_assert_geq(fds[n], 0);
		n++;
	}
	cr_assert_gt(fds[n - 1], 1024);
	cr_expect_eq(call(srv.path, 1000, &rep), 0);
	prov_reply_free(&rep);
	while (n > 0)
		close(fds[--n]);
}

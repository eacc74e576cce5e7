/* SPDX-License-Identifier: MIT */
/*
 * A local attacker's load on provd, and a stopwatch for the requests that
 * must not suffer from it (DESIGN invariant 12). Speaks the wire protocol
 * directly (common/client.h), as any local process can.
 *
 *   bench_load [-r RUNDIR] hold N [-i MS]
 *       holds N connections to the public socket, idle; every MS ms
 *       (default 100) reopens those provd closed. Runs until SIGTERM.
 *   bench_load [-r RUNDIR] loop KIND [NAME]
 *       asks the same costly public request in a loop until SIGTERM:
 *       sudo (GR_BY_NAME NAME, default prov-sudo), pwenum / grenum (a
 *       whole enumeration, page by page), initgroups (INITGROUPS NAME).
 *       Prints "loop KIND: N requests, F failed" when stopped.
 *   bench_load [-r RUNDIR] measure N REQ NAME [LABEL]
 *       times N requests, one at a time 5 ms apart, connect to last reply
 *       byte: REQ access (ACCESS_CHECK on the private socket, what
 *       pam_prov asks; root) or pw (PW_BY_NAME on the public socket, what
 *       getent asks). Prints "LABEL n=N p50=X p99=Y max=Z failed=F" (ms).
 *
 * Not a test: it asserts nothing (bench/run-load.sh and
 * tests/integration/test_load.sh use it).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "wire.h"

#define TIMEOUT_MS 5000

static const char *rundir = "/run/prov";
static volatile sig_atomic_t stop;

/* A positive decimal, or -1. */
static int num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return errno || *end || end == s || v < 0 || v > 1000000 ? -1 : (int)v;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sock_path(char *buf, size_t bufsz, bool private_socket)
{
	snprintf(buf, bufsz, "%s/%s", rundir, private_socket ? "private/socket" : "socket");
}

/* One request, one reply; 0 or -errno, *ret_status the reply's status. */
static int call(bool private_socket, uint16_t type, const char *name, const uint32_t *u32, uint32_t *ret_status,
		struct prov_reply *ret)
{
	uint8_t buf[1024];
	char path[300];
	struct prov_writer w;
	int r;

	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	if (name)
		prov_put_str(&w, name, PROV_NAME_MAX);
	if (type == PROV_OP_ACCESS_CHECK) {
		prov_put_str(&w, "bench", PROV_SERVICE_MAX);
		prov_put_str(&w, "", PROV_RHOST_MAX);
		prov_put_str(&w, "", PROV_TTY_MAX);
	}
	if (u32)
		prov_put_u32(&w, *u32);
	if (prov_writer_finish(&w, type, 0) < 0)
		return -EINVAL;
	sock_path(path, sizeof(path), private_socket);
	r = prov_call(path, TIMEOUT_MS, buf, w.len, ret);
	if (r == 0)
		*ret_status = ret->hdr.status;
	return r;
}

static int call_ok(bool private_socket, uint16_t type, const char *name, const uint32_t *u32)
{
	struct prov_reply rep;
	uint32_t status;
	int r = call(private_socket, type, name, u32, &status, &rep);

	if (r < 0)
		return r;
	prov_reply_free(&rep);
	return status == PROV_ST_OK ? 0 : -EPROTO;
}

/* A whole enumeration, page by page, as getent passwd does. */
static int enumerate(uint16_t type)
{
	uint32_t cursor = 0;

	while (cursor != PROV_ENUM_END) {
		struct prov_reply rep;
		struct prov_reader rd;
		uint32_t status;
		int r = call(false, type, NULL, &cursor, &status, &rep);

		if (r < 0)
			return r;
		if (status != PROV_ST_OK) {
			prov_reply_free(&rep);
			return -EPROTO;
		}
		prov_reader_init(&rd, rep.body, rep.body_len);
		cursor = prov_get_u32(&rd);
		prov_reply_free(&rep);
	}
	return 0;
}

static int raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	return rl.rlim_cur >= want ? 0 : -EMFILE;
}

static int open_idle(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	sock_path(sa.sun_path, sizeof(sa.sun_path), false);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS && errno != EAGAIN) {
		close(fd);
		return -1;
	}
	return fd;
}

static int do_hold(int n, int interval_ms)
{
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	unsigned long reopened = 0;
	int i;

	if ((!p && n > 0) || raise_nofile((rlim_t)n + 16) < 0) {
		fprintf(stderr, "bench_load: cannot hold %d descriptors\n", n);
		return 1;
	}
	for (i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = open_idle(), .events = POLLIN };
	while (!stop) {
		poll(p, (nfds_t)n, interval_ms);
		for (i = 0; i < n && !stop; i++) {
			char c;

			if (p[i].fd >= 0 && !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (p[i].fd >= 0 && recv(p[i].fd, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN)
				continue;
			if (p[i].fd >= 0)
				close(p[i].fd);
			p[i].fd = open_idle();
			p[i].revents = 0;
			reopened++;
		}
		usleep((useconds_t)interval_ms * 1000);
	}
	printf("hold %d: %lu reopened\n", n, reopened);
	return 0;
}

static int do_loop(const char *kind, const char *name)
{
	unsigned long n = 0, failed = 0;
	int last_err = 0;

	while (!stop) {
		int r;

		if (strcmp(kind, "sudo") == 0)
			r = call_ok(false, PROV_OP_GR_BY_NAME, name ? name : "prov-sudo", NULL);
		else if (strcmp(kind, "pwenum") == 0)
			r = enumerate(PROV_OP_PW_ENUM);
		else if (strcmp(kind, "grenum") == 0)
			r = enumerate(PROV_OP_GR_ENUM);
		else if (strcmp(kind, "initgroups") == 0)
			r = call_ok(false, PROV_OP_INITGROUPS, name ? name : "alice", NULL);
		else {
			fprintf(stderr, "bench_load: unknown loop kind %s\n", kind);
			return 2;
		}
		n++;
		if (r < 0) {
			failed++;
			last_err = r;
		}
	}
	printf("loop %s: %lu requests, %lu failed%s%s\n", kind, n, failed, failed ? ", last: " : "",
	       failed ? strerror(-last_err) : "");
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int do_measure(int n, const char *req, const char *name, const char *label)
{
	double *t = calloc((size_t)n, sizeof(*t));
	bool priv = strcmp(req, "access") == 0;
	int i, failed = 0;

	if (!t || n < 1 || (!priv && strcmp(req, "pw") != 0)) {
		fprintf(stderr, "bench_load: measure N access|pw NAME\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		double t0 = now_ms();
		int r = call_ok(priv, priv ? PROV_OP_ACCESS_CHECK : PROV_OP_PW_BY_NAME, name, NULL);

		t[i] = now_ms() - t0;
		failed += r < 0;
		usleep(5000);
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%s n=%d p50=%.2f p99=%.2f max=%.2f failed=%d\n", label ? label : req, n, t[n / 2],
	       t[(size_t)((n - 1) * 0.99)], t[n - 1], failed);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int i = 1;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (i + 1 < argc && strcmp(argv[i], "-r") == 0) {
		rundir = argv[i + 1];
		i += 2;
	}
	if (i < argc && strcmp(argv[i], "hold") == 0 && i + 1 < argc) {
		int interval = 100;

		if (i + 3 < argc && strcmp(argv[i + 2], "-i") == 0)
			interval = num(argv[i + 3]);
		if (num(argv[i + 1]) < 0)
			return 2;
		return do_hold(num(argv[i + 1]), interval > 0 ? interval : 100);
	}
	if (i < argc && strcmp(argv[i], "loop") == 0 && i + 1 < argc)
		return do_loop(argv[i + 1], i + 2 < argc ? argv[i + 2] : NULL);
	if (i < argc && strcmp(argv[i], "measure") == 0 && i + 3 < argc)
		return do_measure(num(argv[i + 1]), argv[i + 2], argv[i + 3], i + 4 < argc ? argv[i + 4] : NULL);
	fprintf(stderr, "usage: bench_load [-r RUNDIR] hold N [-i MS] | loop KIND [NAME] | measure N access|pw NAME [LABEL]\n");
	return 2;
}

/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for provd in the unit tests of the client and of nss_prov: a
 * forked child listening on a socket in a fresh temp dir, handing every
 * request to a handler that answers whatever the test wants, good frames
 * or hostile ones. The child dies with the test (PR_SET_PDEATHSIG) and is
 * also stopped by pid in fake_provd_stop().
 *
 * Header-only (static functions) because every tests/unit/test_*.c builds
 * into its own executable.
 */
#ifndef PROV_TEST_FAKE_PROVD_H
#define PROV_TEST_FAKE_PROVD_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"

/* Called in the child for each request; fd is the connection (closed by
 * the caller after it returns). body is body_len bytes, or NULL. */
typedef void (*fake_handler)(int fd, const struct prov_header *req, const uint8_t *body,
			     void *arg);

struct fake_provd {
	char dir[64];
	char path[108]; /* sun_path */
	pid_t pid;
};

#define FAKE_NO_ACCEPT ((fake_handler)NULL)
#define FAKE_SAME_UID ((uid_t)-1)

static inline int64_t fake_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void fake_send(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

static inline int fake_recv(int fd, void *p, size_t n)
{
	uint8_t *b = p;

	while (n > 0) {
		ssize_t r = recv(fd, b, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Sends a well-formed reply frame. */
static inline void fake_reply(int fd, uint16_t type, uint32_t status, const void *body,
			      size_t len)
{
	uint8_t h[PROV_HEADER_SIZE];

	prov_header_encode(h, type, status, (uint32_t)len);
	fake_send(fd, h, sizeof(h));
	if (len)
		fake_send(fd, body, len);
}

/* Sends the body a prov_writer built (header space included) as the reply
 * to req, with the given status. */
static inline void fake_reply_writer(int fd, const struct prov_header *req, uint32_t status,
				     struct prov_writer *w)
{
	if (prov_writer_finish(w, req->type, status) < 0) {
		fake_reply(fd, req->type, PROV_ST_INTERNAL, NULL, 0);
		return;
	}
	fake_send(fd, w->buf, w->len);
}

static inline void fake_serve(int lfd, fake_handler fn, void *arg)
{
	for (;;) {
		uint8_t hb[PROV_HEADER_SIZE];
		struct prov_header h;
		uint8_t *body = NULL;
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			continue;
		if (fake_recv(c, hb, sizeof(hb)) == 0 && prov_header_decode(hb, &h) == 0) {
			if (h.body_len)
				body = malloc(h.body_len);
			if (h.body_len == 0 || (body && fake_recv(c, body, h.body_len) == 0))
				fn(c, &h, body, arg);
			free(body);
		}
		close(c);
	}
}

/*
 * Starts the fake daemon. fn == FAKE_NO_ACCEPT: listen and never accept.
 * as_uid != FAKE_SAME_UID: listen() as that uid (root only), which is what
 * SO_PEERCRED reports to clients. backlog is passed to listen().
 * Returns 0 or -1.
 */
static inline int fake_provd_start_ex(struct fake_provd *f, fake_handler fn, void *arg,
				      uid_t as_uid, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pid_t parent = getpid();
	int lfd;

	memset(f, 0, sizeof(*f));
	f->pid = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/prov-test.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/socket", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);

	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -1;
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(lfd);
		return -1;
	}
	f->pid = fork();
	if (f->pid < 0) {
		close(lfd);
		return -1;
	}
	if (f->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		if (as_uid != FAKE_SAME_UID && setresuid(as_uid, as_uid, as_uid) < 0)
			_exit(1);
		if (listen(lfd, backlog) < 0)
			_exit(1);
		if (fn == FAKE_NO_ACCEPT)
			for (;;)
				pause();
		fake_serve(lfd, fn, arg);
		_exit(0);
	}
	close(lfd);
	/* connect() before listen() fails: wait until the child listens. */
	for (int i = 0; i < 500; i++) {
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int ok = s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0;

		if (s >= 0)
			close(s);
		if (ok)
			return 0;
		usleep(2000);
	}
	return -1;
}

static inline int fake_provd_start(struct fake_provd *f, fake_handler fn, void *arg)
{
	return fake_provd_start_ex(f, fn, arg, FAKE_SAME_UID, 64);
}

static inline void fake_provd_stop(struct fake_provd *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
		f->pid = -1;
	}
	if (f->path[0])
		unlink(f->path);
	if (f->dir[0])
		rmdir(f->dir);
	f->path[0] = f->dir[0] = '\0';
}

#endif

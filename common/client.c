/* SPDX-License-Identifier: MIT */
/*
 * One request, one reply, one deadline. This runs inside every process that
 * calls getpwnam(), so: no global state, no signals, no environment, no
 * logging, and the caller's errno comes back untouched.
 */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer; a wall clock
	 * step must not stretch or cut the deadline. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until the deadline. Returns 0 when the fd is
 * ready (or reports an error/hangup, which the next syscall will see). */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline - now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)(left > 60000 ? 60000 : left));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* A descriptor on 0-2 would be taken for stdin/stdout/stderr by a caller
 * that closed those; move it out of their way. */
static int fd_move_above_stdio(int fd)
{
	int nfd;

	if (fd > STDERR_FILENO)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	close(fd);
	return nfd < 0 ? -errno : nfd;
}

static int connect_to(const char *path, int64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t plen = strlen(path);
	socklen_t elen = sizeof(int);
	int fd, err = 0, r;

	if (plen == 0 || plen >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, plen + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	fd = fd_move_above_stdio(fd);
	if (fd < 0)
		return fd;

	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	/* EAGAIN: the listen backlog is full. provd is overloaded or hung;
	 * waiting would only add to the pile, so fail fast. */
	if (errno != EINPROGRESS && errno != EINTR) {
		r = -errno;
		goto fail;
	}
	r = wait_fd(fd, POLLOUT, deadline);
	if (r < 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) {
		r = -errno;
		goto fail;
	}
	if (err != 0) {
		r = -err;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return r;
}

/* Only root (provd) or ourselves may answer: an unprivileged user who got
 * a socket in place must not be able to feed us accounts. */
static int check_peer(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	if (len != sizeof(cred))
		return -EPERM;
	if (cred.uid != 0 && cred.uid != geteuid())
		return -EPERM;
	return 0;
}

static int send_all(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		int r;

		if (w >= 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		r = wait_fd(fd, POLLOUT, deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Reads exactly n bytes. A peer that closes before the first byte did not
 * answer (-ECONNRESET); one that closes half-way sent a broken frame. */
static int recv_all(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, p + got, n - got, 0);
		int w;

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0)
			return got == 0 ? -ECONNRESET : -EBADMSG;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		w = wait_fd(fd, POLLIN, deadline);
		if (w < 0)
			return w;
	}
	return 0;
}

static int exchange(int fd, uint16_t type, const void *req, size_t req_len, int64_t deadline,
		    struct prov_reply *ret)
{
	uint8_t hbuf[PROV_HEADER_SIZE];
	struct prov_header h;
	uint8_t *body = NULL;
	int r;

	r = check_peer(fd);
	if (r < 0)
		return r;
	r = send_all(fd, req, req_len, deadline);
	if (r < 0)
		return r;

	r = recv_all(fd, hbuf, sizeof(hbuf), deadline);
	if (r < 0)
		return r;
	r = prov_reply_header_decode(hbuf, &h);
	if (r < 0)
		return r == -EMSGSIZE ? -EBADMSG : -EPROTO;
	if (h.type != type)
		return -EPROTO;

	if (h.body_len > 0) {
		body = malloc(h.body_len);
		if (!body)
			return -ENOMEM;
		r = recv_all(fd, body, h.body_len, deadline);
		if (r < 0) {
			free(body);
			/* The header promised a body: EOF now is truncation. */
			return r == -ECONNRESET ? -EBADMSG : r;
		}
	}
	ret->hdr = h;
	ret->body = body;
	ret->body_len = h.body_len;
	return 0;
}

int prov_call(const char *socket_path, int timeout_ms, const void *req, size_t req_len,
	      struct prov_reply *ret)
{
	int saved_errno = errno;
	struct prov_header rh;
	int64_t deadline;
	int fd, r;

	if (!socket_path || !req || !ret || timeout_ms < 0 || req_len < PROV_HEADER_SIZE) {
		r = -EINVAL;
		goto out;
	}
	/* Refuse to send what provd would refuse: the caller built it. */
	r = prov_header_decode(req, &rh);
	if (r < 0 || rh.body_len != req_len - PROV_HEADER_SIZE) {
		r = -EINVAL;
		goto out;
	}

	deadline = now_ms() + timeout_ms;
	fd = connect_to(socket_path, deadline);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	r = exchange(fd, rh.type, req, req_len, deadline, ret);
	close(fd);
out:
	errno = saved_errno;
	return r;
}

void prov_reply_free(struct prov_reply *r)
{
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

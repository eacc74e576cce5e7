/* SPDX-License-Identifier: MIT */
/*
 * The client side of the socket: one request, one reply, within a deadline.
 * libc only, no global state, no signals: safe to call from any thread of
 * any process (it runs inside every process that calls getpwnam()).
 *
 * The descriptor is close-on-exec, never 0-2, waited on with poll() (so a
 * caller with thousands of open fds works), written with MSG_NOSIGNAL, and
 * closed before returning. The peer must be root or the caller's own euid
 * (checked with SO_PEERCRED), so a user cannot stand in for provd.
 */
#ifndef PROV_CLIENT_H
#define PROV_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* Default deadline of one exchange, connect to last reply byte. Chosen so a
 * hung provd costs `ls -l` or sshd at most this much per lookup. */
#define PROV_CLIENT_TIMEOUT_MS 1000

struct prov_reply {
	struct prov_header hdr;
	uint8_t *body;   /* malloc'ed, body_len bytes; NULL when empty */
	size_t body_len;
};

/*
 * Sends the frame req (header included, as built by prov_writer) and reads
 * one reply whose type must match. Returns 0 with *ret filled, or:
 *   -ENOENT / -ECONNREFUSED  no daemon listening (fail fast)
 *   -EAGAIN                  its listen backlog is full (fail fast too:
 *                            waiting would only add to the pile)
 *   -ETIMEDOUT               no complete reply within timeout_ms
 *   -EPERM                   the socket is not served by root (or us)
 *   -ECONNRESET              the daemon closed without answering
 *   -EPROTO                  wrong magic or version, or a reply to
 *                            another request type
 *   -EBADMSG                 body_len over PROV_MAX_BODY, or the frame
 *                            ends early
 *   -EINVAL                  req is not a well-formed frame, bad path
 *   other -errno             socket errors, -ENOMEM
 * The caller's errno is preserved. The body is not decoded here.
 */
int prov_call(const char *socket_path, int timeout_ms, const void *req, size_t req_len,
	      struct prov_reply *ret);

void prov_reply_free(struct prov_reply *r);

#endif

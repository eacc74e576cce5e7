/* SPDX-License-Identifier: MIT */
/* One connection of provd's loop (server_impl.h): its request read in
 * steps, dispatched, its reply written or deferred (server_reply()), its
 * deadline and its share of the pinned bytes. */
#include "loop/server_impl.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

uint64_t server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- the deadline list ---- */

static void list_remove(struct server *s, struct client *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		s->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		s->tail = c->prev;
	c->prev = c->next = NULL;
}

void server_list_append(struct server *s, struct client *c)
{
	c->prev = s->tail;
	c->next = NULL;
	if (s->tail)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
}

/* Starts a new wait (for a request, or for the client to take a reply). */
static void arm_deadline(struct server *s, struct client *c)
{
	c->deadline_ms = server_now_ms() + s->st->cfg.client_timeout_ms;
	list_remove(s, c);
	server_list_append(s, c);
}

/* ---- clients ---- */

static void deferred_remove(struct server *s, struct client *c)
{
	struct client **p;

	for (p = &s->deferred; *p; p = &(*p)->dnext)
		if (*p == c) {
			*p = c->dnext;
			break;
		}
	c->dnext = NULL;
}

/* ---- memory a client holds (DESIGN invariant 12) ---- */

/* A buffer of size bytes for c, counted. A public client is refused one
 * past SERVER_PINNED_MAX in total (it is dropped): many slow readers
 * cannot make provd hold unbounded replies. Root on the private socket is
 * never refused for it. Per connection there is at most one request body
 * (SERVER_REQUEST_MAX) and one unsent reply (DISPATCH_REPLY_CAP): a
 * client's next request is not read until its reply is out. */
static void *pin_alloc(struct server *s, struct client *c, size_t size)
{
	void *p;

	if (!c->peer.private_socket && s->pinned + size > s->pinned_max)
		return NULL;
	p = malloc(size);
	if (!p)
		return NULL;
	s->pinned += size;
	c->pinned += size;
	return p;
}

static void pin_free(struct server *s, struct client *c, void *p, size_t size)
{
	if (!p)
		return;
	free(p);
	s->pinned -= size;
	c->pinned -= size;
}

void server_client_close(struct server *s, struct client *c)
{
	int k = c->peer.private_socket ? 1 : 0;

	if (c->dead)
		return;
	c->dead = true;
	if (c->phase == CL_DEFERRED)
		deferred_remove(s, c);
	else
		list_remove(s, c);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->it.fd, NULL);
	close(c->it.fd);
	c->it.fd = -1;
	pin_free(s, c, c->body, c->hdr.body_len);
	c->body = NULL;
	pin_free(s, c, c->out, c->out_len);
	c->out = NULL;
	s->st->stats.clients--;
	s->n_clients[k]--;
	if (!c->peer.private_socket && c->peer.uid != 0)
		budget_put(&s->per_uid, c->peer.uid);
	/* Freed after the current batch of events, which may still name it. */
	c->next = s->graveyard;
	s->graveyard = c;
	if (s->paused)
		server_resume_listeners(s);
}

static int set_events(struct server *s, struct client *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = &c->it };

	return epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->it.fd, &ev) < 0 ? -errno : 0;
}

/* Sends what is left of the reply. 0 when all of it is out, -EAGAIN when
 * the client must drain first, other -errno: drop it. */
static int client_flush(struct client *c, const uint8_t *buf, size_t len, size_t *off)
{
	while (*off < len) {
		ssize_t n = send(c->it.fd, buf + *off, len - *off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno; /* -EAGAIN (== -EWOULDBLOCK) included */
		}
		*off += (size_t)n;
	}
	return 0;
}

static void reply_done(struct server *s, struct client *c)
{
	pin_free(s, c, c->out, c->out_len);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->phase = CL_HEADER;
	c->hdr_got = 0;
	arm_deadline(s, c);
}

/* Sends the reply frame in w (built in the shared scratch buffer) from
 * there; only a reply the socket cannot take at once is copied, so a slow
 * reader holds its own bytes, nobody else's. */
static void client_send(struct server *s, struct client *c, const struct prov_writer *w)
{
	size_t off = 0;
	int r;

	r = client_flush(c, w->buf, w->len, &off);
	if (r == 0) {
		reply_done(s, c);
		return;
	}
	if (r != -EAGAIN) {
		server_client_close(s, c);
		return;
	}
	c->out_len = w->len - off;
	c->out_off = 0;
	c->out = pin_alloc(s, c, c->out_len);
	if (!c->out) {
		s->st->stats.over_budget++;
		server_client_close(s, c);
		return;
	}
	memcpy(c->out, w->buf + off, c->out_len);
	c->phase = CL_WRITE;
	arm_deadline(s, c);
	if (set_events(s, c, EPOLLOUT) < 0)
		server_client_close(s, c);
}

/* A deferred request waits off the deadline list: its answer comes when a
 * pull ends, which has its own timeouts. Only a hang-up is watched. */
static void client_defer(struct server *s, struct client *c)
{
	list_remove(s, c);
	c->phase = CL_DEFERRED;
	c->dnext = s->deferred;
	s->deferred = c;
	if (set_events(s, c, EPOLLRDHUP) < 0)
		server_client_close(s, c);
}

/* A whole request is in: answer it. */
static void client_dispatch(struct server *s, struct client *c)
{
	struct prov_writer w;
	int status;

	prov_writer_init(&w, s->scratch, DISPATCH_REPLY_CAP);
	status = dispatch_request(s->st, &c->peer, &c->hdr, c->body, &w);
	pin_free(s, c, c->body, c->hdr.body_len);
	c->body = NULL;
	c->body_got = 0;
	if (status == DISPATCH_DEFERRED)
		client_defer(s, c);
	else
		client_send(s, c, &w);
}

int server_reply(struct server *s, uint64_t conn_id, uint16_t opcode, server_reply_fn fill, void *userdata)
{
	struct prov_writer w;
	struct client *c;
	int status;

	for (c = s->deferred; c; c = c->dnext)
		if (c->peer.conn_id == conn_id)
			break;
	if (!c)
		return -ENOENT; /* it hung up meanwhile */
	deferred_remove(s, c);
	c->phase = CL_HEADER;
	server_list_append(s, c);
	prov_writer_init(&w, s->scratch, DISPATCH_REPLY_CAP);
	prov_writer_begin(&w);
	status = fill(&w, userdata);
	if (status != PROV_ST_OK || w.err)
		prov_writer_begin(&w);
	if (status == PROV_ST_OK && w.err)
		status = PROV_ST_INTERNAL;
	prov_writer_finish(&w, opcode, (uint32_t)status);
	client_send(s, c, &w);
	/* client_send() leaves the events as they were unless it had to wait
	 * for EPOLLOUT: a client done with its reply reads requests again. */
	if (!c->dead && c->phase == CL_HEADER && set_events(s, c, EPOLLIN) < 0)
		server_client_close(s, c);
	return 0;
}

/* Said for anyone who sends garbage, so rate-limited per uid (log.h). */
static void client_bad_frame(struct server *s, struct client *c, const char *why)
{
	char uid[16], pid[16];

	s->st->stats.bad_frames++;
	if (log_peer_allowed(c->peer.uid)) {
		snprintf(uid, sizeof(uid), "%u", (unsigned)c->peer.uid);
		snprintf(pid, sizeof(pid), "%d", (int)c->peer.pid);
		log_event(LOG_NOTICE, "bad_frame",
			  LOG_FIELDS({ "PROV_PEER_UID", uid }, { "PROV_PEER_PID", pid }, { "PROV_REASON", why }),
			  "dropping client pid %s uid %s: %s", pid, uid, why);
	}
	server_client_close(s, c);
}

/* Reads as much of the current frame as is there; never more than the
 * frame, so a pipelined next request stays in the socket for later. */
static void client_readable(struct server *s, struct client *c)
{
	for (;;) {
		uint8_t *dst;
		size_t want;
		ssize_t n;

		if (c->phase == CL_HEADER) {
			dst = c->hdr_buf + c->hdr_got;
			want = PROV_HEADER_SIZE - c->hdr_got;
		} else {
			dst = c->body + c->body_got;
			want = c->hdr.body_len - c->body_got;
		}
		n = read(c->it.fd, dst, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				server_client_close(s, c);
			return;
		}
		if (n == 0) { /* the client is done (or gave up mid-frame) */
			server_client_close(s, c);
			return;
		}
		if (c->phase == CL_HEADER) {
			c->hdr_got += (size_t)n;
			if (c->hdr_got < PROV_HEADER_SIZE)
				continue;
			if (prov_header_decode(c->hdr_buf, &c->hdr) < 0) {
				client_bad_frame(s, c, "bad frame header");
				return;
			}
			if (c->hdr.body_len > SERVER_REQUEST_MAX) {
				client_bad_frame(s, c, "request body too large");
				return;
			}
			c->phase = CL_BODY;
			c->body_got = 0;
			if (c->hdr.body_len > 0) {
				c->body = pin_alloc(s, c, c->hdr.body_len);
				if (!c->body) {
					s->st->stats.over_budget++;
					c->hdr.body_len = 0; /* nothing pinned to give back */
					server_client_close(s, c);
					return;
				}
				continue;
			}
		} else {
			c->body_got += (size_t)n;
			if (c->body_got < c->hdr.body_len)
				continue;
		}
		client_dispatch(s, c);
		/* Serve one request per wake-up: a client pipelining many
		 * cannot monopolise the loop. Level-triggered epoll brings
		 * us back for the next one. */
		return;
	}
}

static void client_writable(struct server *s, struct client *c)
{
	int r = client_flush(c, c->out, c->out_len, &c->out_off);

	if (r == -EAGAIN)
		return;
	if (r < 0) {
		server_client_close(s, c);
		return;
	}
	reply_done(s, c);
	if (set_events(s, c, EPOLLIN) < 0)
		server_client_close(s, c);
}

void server_client_event(struct server *s, struct client *c, uint32_t events)
{
	if (c->dead)
		return;
	if (c->phase == CL_DEFERRED) {
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			server_client_close(s, c); /* gave up waiting: nobody to answer */
		return;
	}
	if (c->phase == CL_WRITE) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			client_writable(s, c);
		return;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		client_readable(s, c);
}


void server_expire_clients(struct server *s)
{
	uint64_t t = server_now_ms();

	while (s->head && s->head->deadline_ms <= t) {
		struct client *c = s->head;

		s->st->stats.timeouts++;
		log_msg(LOG_DEBUG, "dropping client pid %d uid %u: timed out", (int)c->peer.pid, (unsigned)c->peer.uid);
		server_client_close(s, c);
	}
}

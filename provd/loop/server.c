/* SPDX-License-Identifier: MIT */
#include "loop/server.h"

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

#include "loop/budget.h"
#include "loop/dispatch.h"
#include "loop/listen.h"
#include "base/log.h"
#include "wire.h"
#include "loop/worker.h"

#define MAX_EVENTS 64
#define REJECT_LOG_INTERVAL_MS 10000
#define PAUSE_RETRY_MS 200 /* out of descriptors: try accepting again after this */

enum item_kind {
	ITEM_LISTENER,
	ITEM_SIGNAL,
	ITEM_CLIENT,
	ITEM_WATCH,
};

/* Every epoll registration points at one of these, kind first. */
struct item {
	enum item_kind kind;
	int fd;
};

struct listener {
	struct item it; /* it.fd == sock.fd */
	struct listen_sock sock;
};

enum client_phase {
	CL_HEADER,
	CL_BODY,
	CL_WRITE,
	CL_DEFERRED, /* its handler answers later (server_reply()) */
};

struct client {
	struct item it;
	struct dispatch_peer peer;
	enum client_phase phase;
	uint8_t hdr_buf[PROV_HEADER_SIZE];
	size_t hdr_got;
	struct prov_header hdr;
	uint8_t *body;
	size_t body_got;
	uint8_t *out; /* the part of a reply not yet written */
	size_t out_len, out_off;
	uint64_t deadline_ms;
	struct client *prev, *next; /* ordered by deadline (all share one timeout) */
	struct client *dnext;       /* the deferred list, while CL_DEFERRED */
	size_t pinned; /* bytes of body and out, counted in server.pinned */
	bool dead;
};

struct watch {
	struct item it;
	server_watch_fn fn;
	void *userdata;
	struct watch *next;
	bool dead;
};

struct server {
	struct prov_state *st;
	int epfd;
	struct item sig;
	sigset_t old_mask;
	struct sigaction old_pipe;
	struct listener listeners[2]; /* [0] public, [1] private */
	bool paused;                  /* out of descriptors: listeners off */
	uint64_t paused_until;        /* ... until a client leaves or this time */
	unsigned n_clients[2];        /* connections per listener ([0] public) */
	unsigned max_public;          /* max_clients, lowered to fit RLIMIT_NOFILE */
	struct budget per_uid;        /* public connections per peer uid */
	size_t pinned;                /* request and reply bytes held, all clients */
	size_t pinned_max;            /* SERVER_PINNED_MAX */
	struct client *head, *tail;   /* live clients, earliest deadline first */
	struct client *graveyard;     /* closed during this batch, freed after it */
	struct client *deferred;      /* waiting for server_reply(), no deadline */
	uint64_t last_conn_id;
	struct watch *watches;
	int watchdog_fd;
	server_hook_fn reload_hook;
	void *reload_userdata;
	uint8_t *scratch; /* DISPATCH_REPLY_CAP bytes: every reply is built here */
	uint64_t last_reject_log_ms;
	bool stop;
};

static uint64_t now_ms(void)
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

static void list_append(struct server *s, struct client *c)
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
	c->deadline_ms = now_ms() + s->st->cfg.client_timeout_ms;
	list_remove(s, c);
	list_append(s, c);
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

static void resume_listeners(struct server *s)
{
	int i;

	for (i = 0; i < 2; i++)
		if (s->listeners[i].it.fd >= 0) {
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->listeners[i].it };

			epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->listeners[i].it.fd, &ev);
		}
	s->paused = false;
}

static void client_close(struct server *s, struct client *c)
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
		resume_listeners(s);
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
		client_close(s, c);
		return;
	}
	c->out_len = w->len - off;
	c->out_off = 0;
	c->out = pin_alloc(s, c, c->out_len);
	if (!c->out) {
		s->st->stats.over_budget++;
		client_close(s, c);
		return;
	}
	memcpy(c->out, w->buf + off, c->out_len);
	c->phase = CL_WRITE;
	arm_deadline(s, c);
	if (set_events(s, c, EPOLLOUT) < 0)
		client_close(s, c);
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
		client_close(s, c);
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
	list_append(s, c);
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
		client_close(s, c);
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
	client_close(s, c);
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
				client_close(s, c);
			return;
		}
		if (n == 0) { /* the client is done (or gave up mid-frame) */
			client_close(s, c);
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
					client_close(s, c);
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
		client_close(s, c);
		return;
	}
	reply_done(s, c);
	if (set_events(s, c, EPOLLIN) < 0)
		client_close(s, c);
}

static void client_event(struct server *s, struct client *c, uint32_t events)
{
	if (c->dead)
		return;
	if (c->phase == CL_DEFERRED) {
		if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			client_close(s, c); /* gave up waiting: nobody to answer */
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

static void log_rejected(struct server *s, bool private_socket)
{
	uint64_t t = now_ms();

	if (t - s->last_reject_log_ms < REJECT_LOG_INTERVAL_MS)
		return;
	s->last_reject_log_ms = t;
	log_event(LOG_WARNING, "clients_rejected", LOG_FIELDS({ "PROV_SOCKET", private_socket ? "private" : "public" }),
		  "%s socket full (%u connections): new connections are closed at once (%llu so far)",
		  private_socket ? "private" : "public", private_socket ? SERVER_PRIVATE_MAX : s->max_public,
		  (unsigned long long)s->st->stats.clients_rejected);
}

/* One uid over max_clients_per_uid: said per uid, rate-limited (log.h). */
static void log_over_uid(struct server *s, const struct ucred *cred)
{
	char uid[16], pid[16];

	if (!log_peer_allowed(cred->uid))
		return;
	snprintf(uid, sizeof(uid), "%u", (unsigned)cred->uid);
	snprintf(pid, sizeof(pid), "%d", (int)cred->pid);
	log_event(LOG_WARNING, "client_over_budget", LOG_FIELDS({ "PROV_PEER_UID", uid }, { "PROV_PEER_PID", pid }),
		  "peer uid %s (pid %s) holds max_clients_per_uid (%u) connections: new ones are closed at once", uid,
		  pid, s->st->cfg.max_clients_per_uid);
}

/* Out of descriptors (the budgets should keep this from happening): stop
 * accepting until a client leaves or PAUSE_RETRY_MS pass, instead of
 * spinning on a listener that stays readable. */
static void pause_listeners(struct server *s)
{
	int i;

	for (i = 0; i < 2; i++)
		if (s->listeners[i].it.fd >= 0) {
			struct epoll_event ev = { .events = 0, .data.ptr = &s->listeners[i].it };

			epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->listeners[i].it.fd, &ev);
		}
	s->paused = true;
	s->paused_until = now_ms() + PAUSE_RETRY_MS;
	log_msg(LOG_ERR, "out of file descriptors: not accepting for a moment");
}

/* The budgets of DESIGN invariant 12: the private socket has its own, so
 * public traffic never refuses or delays PAM; on the public socket one uid
 * (root aside) holds at most max_clients_per_uid. true: admitted and
 * counted. */
static bool admit_client(struct server *s, const struct listener *l, const struct ucred *cred)
{
	bool priv = l->sock.private_socket;
	int r;

	if (s->n_clients[priv ? 1 : 0] >= (priv ? SERVER_PRIVATE_MAX : s->max_public)) {
		s->st->stats.clients_rejected++;
		log_rejected(s, priv);
		return false;
	}
	if (!priv && cred->uid != 0) {
		r = budget_take(&s->per_uid, cred->uid);
		if (r < 0) {
			s->st->stats.clients_rejected++;
			if (r == -EUSERS)
				log_over_uid(s, cred);
			return false;
		}
	}
	s->n_clients[priv ? 1 : 0]++;
	return true;
}

static void unadmit_client(struct server *s, const struct listener *l, const struct ucred *cred)
{
	s->n_clients[l->sock.private_socket ? 1 : 0]--;
	if (!l->sock.private_socket && cred->uid != 0)
		budget_put(&s->per_uid, cred->uid);
}

static void accept_one(struct server *s, struct listener *l, int fd)
{
	struct epoll_event ev;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;

	/* Who is asking, as the kernel says: the basis of every privilege
	 * check (DESIGN invariant 7) and of the budgets. No credentials, no
	 * service. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred)) {
		close(fd);
		return;
	}
	if (!admit_client(s, l, &cred)) {
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		unadmit_client(s, l, &cred);
		close(fd);
		return;
	}
	c->it.kind = ITEM_CLIENT;
	c->it.fd = fd;
	c->peer.uid = cred.uid;
	c->peer.gid = cred.gid;
	c->peer.pid = cred.pid;
	c->peer.private_socket = l->sock.private_socket;
	c->peer.conn_id = ++s->last_conn_id;
	c->phase = CL_HEADER;
	ev.events = EPOLLIN;
	ev.data.ptr = &c->it;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		unadmit_client(s, l, &cred);
		close(fd);
		free(c);
		return;
	}
	s->st->stats.clients++;
	c->deadline_ms = now_ms() + s->st->cfg.client_timeout_ms;
	list_append(s, c);
	/* Its request is read when epoll says so, not at once: served here, a
	 * client could connect, be answered and reconnect many times within
	 * one batch of accepts, before the hang-ups of its earlier
	 * connections are seen, and run into its own max_clients_per_uid. */
}

static void listener_event(struct server *s, struct listener *l)
{
	int i;

	/* A bounded batch, so one busy socket cannot starve the other. */
	for (i = 0; i < 64; i++) {
		int fd = accept4(l->it.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				pause_listeners(s);
			return;
		}
		accept_one(s, l, fd);
	}
}

/* ---- signals, watches, timeouts ---- */

static void signal_event(struct server *s)
{
	struct signalfd_siginfo si;

	while (read(s->sig.fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_msg(LOG_NOTICE, "SIGHUP: reloading config and directory");
			state_reload(s->st);
			if (s->reload_hook)
				s->reload_hook(s, s->reload_userdata);
			break;
		case SIGTERM:
		case SIGINT:
			log_msg(LOG_NOTICE, "%s: stopping", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			s->stop = true;
			break;
		default:
			break;
		}
	}
}

static void expire_clients(struct server *s)
{
	uint64_t t = now_ms();

	while (s->head && s->head->deadline_ms <= t) {
		struct client *c = s->head;

		s->st->stats.timeouts++;
		log_msg(LOG_DEBUG, "dropping client pid %d uid %u: timed out", (int)c->peer.pid, (unsigned)c->peer.uid);
		client_close(s, c);
	}
}

static void reap(struct server *s)
{
	struct watch **pw = &s->watches;

	while (s->graveyard) {
		struct client *c = s->graveyard;

		s->graveyard = c->next;
		free(c);
	}
	while (*pw) {
		struct watch *w = *pw;

		if (w->dead) {
			*pw = w->next;
			free(w);
		} else {
			pw = &w->next;
		}
	}
}

static int next_timeout(struct server *s)
{
	uint64_t t = now_ms(), next = 0;

	if (s->head)
		next = s->head->deadline_ms;
	if (s->paused && (next == 0 || s->paused_until < next))
		next = s->paused_until;
	if (next == 0)
		return -1;
	return next <= t ? 0 : (int)(next - t);
}

int server_watch(struct server *s, int fd, uint32_t events, server_watch_fn fn, void *userdata)
{
	struct epoll_event ev;
	struct watch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->it.kind = ITEM_WATCH;
	w->it.fd = fd;
	w->fn = fn;
	w->userdata = userdata;
	ev.events = events;
	ev.data.ptr = &w->it;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;

		free(w);
		return r;
	}
	w->next = s->watches;
	s->watches = w;
	return 0;
}

int server_unwatch(struct server *s, int fd)
{
	struct watch *w;

	for (w = s->watches; w; w = w->next) {
		if (!w->dead && w->it.fd == fd) {
			epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
			w->dead = true; /* freed after the current batch */
			return 0;
		}
	}
	return -ENOENT;
}

static void watchdog_event(struct server *s, int fd, uint32_t events, void *userdata)
{
	uint64_t ticks;

	(void)s;
	(void)events;
	(void)userdata;
	if (read(fd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
		sd_notify(0, "WATCHDOG=1");
}

/* WATCHDOG=1 at half the interval the unit asks for: the loop itself pings,
 * so a wedged loop is exactly what systemd notices. */
static int setup_watchdog(struct server *s)
{
	struct itimerspec its = { 0 };
	uint64_t usec = 0;

	s->watchdog_fd = -1;
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	s->watchdog_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->watchdog_fd < 0)
		return -errno;
	usec /= 2;
	its.it_interval.tv_sec = (time_t)(usec / 1000000);
	its.it_interval.tv_nsec = (long)(usec % 1000000) * 1000;
	its.it_value = its.it_interval;
	if (timerfd_settime(s->watchdog_fd, 0, &its, NULL) < 0)
		return -errno;
	return server_watch(s, s->watchdog_fd, EPOLLIN, watchdog_event, NULL);
}

int server_run(struct server *s)
{
	struct epoll_event evs[MAX_EVENTS];

	while (!s->stop) {
		int n = epoll_wait(s->epfd, evs, MAX_EVENTS, next_timeout(s)), i;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			struct item *it = evs[i].data.ptr;

			switch (it->kind) {
			case ITEM_LISTENER:
				listener_event(s, (struct listener *)it);
				break;
			case ITEM_SIGNAL:
				signal_event(s);
				break;
			case ITEM_CLIENT:
				client_event(s, (struct client *)it, evs[i].events);
				break;
			case ITEM_WATCH: {
				struct watch *w = (struct watch *)it;

				if (!w->dead)
					w->fn(s, w->it.fd, evs[i].events, w->userdata);
				break;
			}
			}
		}
		expire_clients(s);
		if (s->paused && now_ms() >= s->paused_until)
			resume_listeners(s);
		log_peer_flush();
		reap(s);
	}
	return 0;
}

void server_stop(struct server *s)
{
	s->stop = true;
}

void server_set_reload_hook(struct server *s, server_hook_fn fn, void *userdata)
{
	s->reload_hook = fn;
	s->reload_userdata = userdata;
}

struct prov_state *server_state(struct server *s)
{
	return s->st;
}

void server_set_pinned_max(struct server *s, size_t bytes)
{
	s->pinned_max = bytes;
}

static int setup_sockets(struct server *s, char *err, size_t errsz)
{
	struct listen_sock socks[2];
	int k, r;

	r = listen_open(s->st->cfg.runtime_dir, socks, err, errsz);
	if (r < 0)
		return r;
	for (k = 0; k < 2; k++) {
		s->listeners[k].sock = socks[k];
		s->listeners[k].it.kind = ITEM_LISTENER;
		s->listeners[k].it.fd = socks[k].fd;
	}
	for (k = 0; k < 2; k++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->listeners[k].it };

		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, socks[k].fd, &ev) < 0) {
			r = -errno;
			snprintf(err, errsz, "epoll: %s", strerror(-r));
			return r;
		}
	}
	return 0;
}

static int setup_signals(struct server *s, char *err, size_t errsz)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct epoll_event ev;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &s->old_mask);
	sigaction(SIGPIPE, &ign, &s->old_pipe);
	s->sig.kind = ITEM_SIGNAL;
	s->sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sig.fd < 0) {
		int r = -errno;

		snprintf(err, errsz, "signalfd: %s", strerror(-r));
		return r;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = &s->sig;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sig.fd, &ev) < 0) {
		int r = -errno;

		snprintf(err, errsz, "epoll: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* EMFILE must never be the limit that bites (DESIGN invariant 12): the
 * soft descriptor limit goes up to the hard one (the unit sets LimitNOFILE),
 * and the public budget is lowered to fit under it next to the private
 * socket's budget and SERVER_FD_RESERVE for everything else. */
static void size_budgets(struct server *s)
{
	const struct prov_config *cfg = &s->st->cfg;
	struct rlimit rl;
	rlim_t avail;

	s->max_public = cfg->max_clients;
	budget_init(&s->per_uid, cfg->max_clients_per_uid);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = { .rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max };

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl.rlim_cur = rl.rlim_max;
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		return;
	avail = rl.rlim_cur > SERVER_PRIVATE_MAX + SERVER_FD_RESERVE ? rl.rlim_cur - SERVER_PRIVATE_MAX - SERVER_FD_RESERVE
								      : 1;
	if (avail >= s->max_public)
		return;
	s->max_public = (unsigned)avail;
	log_msg(LOG_WARNING,
		"descriptor limit %llu: serving at most %u public connections, not max_clients %u (raise LimitNOFILE)",
		(unsigned long long)rl.rlim_cur, s->max_public, cfg->max_clients);
}

int server_new(struct prov_state *st, struct server **ret, char *err, size_t errsz)
{
	struct server *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->st = st;
	s->sig.fd = -1;
	s->watchdog_fd = -1;
	s->listeners[0].it.fd = s->listeners[1].it.fd = -1;
	s->listeners[0].sock.fd = s->listeners[1].sock.fd = -1;
	size_budgets(s);
	s->pinned_max = SERVER_PINNED_MAX;
	s->scratch = malloc(DISPATCH_REPLY_CAP);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!s->scratch || s->epfd < 0) {
		r = s->scratch ? -errno : -ENOMEM;
		snprintf(err, errsz, "cannot set up the event loop: %s", strerror(-r));
		goto fail;
	}
	r = setup_signals(s, err, errsz);
	if (r < 0)
		goto fail;
	r = setup_sockets(s, err, errsz);
	if (r < 0)
		goto fail;
	r = setup_watchdog(s);
	if (r < 0) {
		snprintf(err, errsz, "watchdog: %s", strerror(-r));
		goto fail;
	}
	/* After setup_signals(): the thread inherits the blocked mask. */
	r = worker_start(s);
	if (r < 0)
		log_msg(LOG_WARNING, "no worker thread (%s): homes are created in the loop", strerror(-r));
	*ret = s;
	return 0;
fail:
	server_free(s);
	return r;
}

void server_free(struct server *s)
{
	int k;

	if (!s)
		return;
	if (worker_running())
		worker_stop(); /* before the watches go: it unwatches its own */
	while (s->head)
		client_close(s, s->head);
	while (s->deferred)
		client_close(s, s->deferred);
	for (k = 0; k < 2; k++)
		listen_close(&s->listeners[k].sock);
	while (s->watches) {
		s->watches->dead = true;
		reap(s);
	}
	if (s->watchdog_fd >= 0)
		close(s->watchdog_fd);
	reap(s);
	if (s->sig.fd >= 0) {
		close(s->sig.fd);
		sigaction(SIGPIPE, &s->old_pipe, NULL);
		sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
	}
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->scratch);
	budget_free(&s->per_uid);
	free(s);
}

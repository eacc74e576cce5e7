/* SPDX-License-Identifier: MIT */
/* New connections on the two listening sockets (server_impl.h): the
 * per-uid budget (budget.h), max_clients, pausing when out of descriptors. */
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

void server_resume_listeners(struct server *s)
{
	int i;

	for (i = 0; i < 2; i++)
		if (s->listeners[i].it.fd >= 0) {
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &s->listeners[i].it };

			epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->listeners[i].it.fd, &ev);
		}
	s->paused = false;
}

static void log_rejected(struct server *s, bool private_socket)
{
	uint64_t t = server_now_ms();

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
	s->paused_until = server_now_ms() + PAUSE_RETRY_MS;
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
	c->deadline_ms = server_now_ms() + s->st->cfg.client_timeout_ms;
	server_list_append(s, c);
	/* Its request is read when epoll says so, not at once: served here, a
	 * client could connect, be answered and reconnect many times within
	 * one batch of accepts, before the hang-ups of its earlier
	 * connections are seen, and run into its own max_clients_per_uid. */
}

void server_listener_event(struct server *s, struct listener *l)
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

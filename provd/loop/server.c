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
#include "loop/server_impl.h"

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
	uint64_t t = server_now_ms(), next = 0;

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
				server_listener_event(s, (struct listener *)it);
				break;
			case ITEM_SIGNAL:
				signal_event(s);
				break;
			case ITEM_CLIENT:
				server_client_event(s, (struct client *)it, evs[i].events);
				break;
			case ITEM_WATCH: {
				struct watch *w = (struct watch *)it;

				if (!w->dead)
					w->fn(s, w->it.fd, evs[i].events, w->userdata);
				break;
			}
			}
		}
		server_expire_clients(s);
		if (s->paused && server_now_ms() >= s->paused_until)
			server_resume_listeners(s);
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
		server_client_close(s, s->head);
	while (s->deferred)
		server_client_close(s, s->deferred);
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

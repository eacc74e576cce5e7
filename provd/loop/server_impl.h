/* SPDX-License-Identifier: MIT */
/*
 * What the files of provd's loop share (server.h is the interface): the
 * server and its clients, listeners and watches. server.c runs the loop
 * (signals, watches, timeouts, start and stop), client.c reads requests
 * and writes replies, accept.c takes connections within the budgets.
 */
#ifndef PROV_SERVER_IMPL_H
#define PROV_SERVER_IMPL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop/server.h"
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

/* Monotonic milliseconds. */
uint64_t server_now_ms(void);
/* client.c */
void server_list_append(struct server *s, struct client *c);
void server_client_close(struct server *s, struct client *c);
void server_client_event(struct server *s, struct client *c, uint32_t events);
void server_expire_clients(struct server *s);
/* accept.c */
void server_resume_listeners(struct server *s);
void server_listener_event(struct server *s, struct listener *l);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Stage loop (provd/loop/, in the order of provd/stages.txt) takes
 * connections on the two sockets and descriptors to watch. Gives one
 * thread that reads request frames, runs them through the dispatcher's
 * tables (dispatch.h) and writes the replies, and a worker thread for slow
 * jobs (worker.h).
 *
 * provd's event loop: one thread, epoll, non-blocking sockets.
 *
 * Two listening sockets (DESIGN §4, protocol.h):
 *   <runtime_dir>/socket           mode 0666, lookups for anyone
 *   <runtime_dir>/private/socket   in a 0700 directory, mode 0600: the only
 *                                  one that serves privileged requests
 * Handed over by systemd (socket activation) when it passes them, matched
 * by path; otherwise created, replacing only a stale socket file (never a
 * regular file or a symlink, never a socket another provd still answers on).
 *
 * Per connection: SO_PEERCRED read once at accept; a frame is read header
 * first, then body (a request body over SERVER_REQUEST_MAX, a bad magic or
 * version closes the connection); the reply is written without blocking
 * (EPOLLOUT for the rest); then the next request on the same connection.
 * Each request must arrive, and each reply be taken, within client_timeout
 * from the start of the wait for it: partial progress does not extend the
 * deadline, so a slow-loris client is dropped on time and never stalls
 * anyone (nothing here ever blocks). An idle connection between two
 * requests is on the same deadline. Past a budget (below), a new
 * connection is accepted and closed at once, so its client fails fast
 * instead of waiting.
 *
 * Signals arrive through a signalfd: SIGTERM and SIGINT stop the loop,
 * SIGHUP reloads (state_reload(), then the reload hook). SIGPIPE is ignored.
 * server_new() blocks those three in the calling thread: start any other
 * thread (a fetcher) after it, so the thread inherits the mask and a
 * SIGTERM always reaches the signalfd.
 */
#ifndef PROV_SERVER_H
#define PROV_SERVER_H

#include <stdint.h>

#include "store/state.h"
#include "wire.h"
#include "loop/watch.h"

/* No request needs more than a few hundred bytes (the largest, ACCESS_CHECK,
 * is four short strings); refusing big ones early bounds the memory a
 * hostile client can pin to this much per connection. */
#define SERVER_REQUEST_MAX (64u * 1024)

/*
 * Budgets (DESIGN invariant 12). The public socket serves at most
 * max_clients connections, at most max_clients_per_uid of them from one
 * peer uid (root is not counted). The private socket has its own
 * SERVER_PRIVATE_MAX: nothing on the public one can refuse or delay PAM.
 * Request bodies and unsent replies of public clients hold at most
 * SERVER_PINNED_MAX bytes in total (a client past it is dropped); one
 * connection holds at most one body (SERVER_REQUEST_MAX) and one reply
 * (DISPATCH_REPLY_CAP) since its next request is read only once its reply
 * is out. Descriptors: the soft RLIMIT_NOFILE is raised to the hard one at
 * start and max_clients lowered if it does not fit with SERVER_PRIVATE_MAX
 * and SERVER_FD_RESERVE (cache, config, fetches, homes, the journal).
 */
#define SERVER_PRIVATE_MAX 128u
#define SERVER_FD_RESERVE  64u
/* 64 MiB for the many small replies, plus two group replies of the largest
 * size (PROV_MAX_REPLY_BODY, 96 MiB: a group of 2^21 members): a group
 * record of an all-staff group is pinned whole while its reader drains it,
 * and two programs asking for it at once must not drop one of them. */
#define SERVER_PINNED_MAX  (256u * 1024 * 1024)

struct server;

typedef void (*server_hook_fn)(struct server *s, void *userdata);

/* Binds (or adopts) the sockets under st->cfg.runtime_dir and sets up the
 * signals. st must outlive the server. */
int server_new(struct prov_state *st, struct server **ret, char *err, size_t errsz);

/* Runs until SIGTERM/SIGINT or server_stop(). 0, or -errno if epoll fails. */
int server_run(struct server *s);

/* Makes server_run() return after the current iteration. */
void server_stop(struct server *s);

/* Closes every connection and socket, unlinks the sockets it created
 * (sockets passed by systemd are systemd's), restores the signal mask. */
void server_free(struct server *s);

/*
 * Answers a request whose handler returned DISPATCH_DEFERRED (dispatch.h):
 * fill appends the reply body and returns its status (a body is sent only
 * with PROV_ST_OK). 0, or -ENOENT when that connection is gone.
 */
typedef int (*server_reply_fn)(struct prov_writer *body, void *userdata);
int server_reply(struct server *s, uint64_t conn_id, uint16_t opcode, server_reply_fn fill, void *userdata);

/* Called after each SIGHUP reload (e.g. to reschedule a sync). */
void server_set_reload_hook(struct server *s, server_hook_fn fn, void *userdata);

struct prov_state *server_state(struct server *s);

/* Lowers SERVER_PINNED_MAX for this server (tests). */
void server_set_pinned_max(struct server *s, size_t bytes);

#endif

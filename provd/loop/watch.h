/* SPDX-License-Identifier: MIT */
/*
 * Extra descriptors served by provd's loop (server.h): a sync's timerfd,
 * the worker's eventfd, the sessions' and the mapped snapshot's timers.
 * Apart from server.h so the worker thread, which the server starts,
 * needs only this much of it (no include circle); server.c implements it.
 */
#ifndef PROV_WATCH_H
#define PROV_WATCH_H

#include <stdint.h>

struct server;

/* Extra descriptors served by the same loop (a sync's timerfd, an eventfd
 * from a fetch thread, ...). Called in the loop thread with the epoll
 * events that fired. */
typedef void (*server_watch_fn)(struct server *s, int fd, uint32_t events, void *userdata);

/* Watches fd in s's loop for events (EPOLLIN, ...): 0 or -errno. */
int server_watch(struct server *s, int fd, uint32_t events, server_watch_fn fn, void *userdata);
int server_unwatch(struct server *s, int fd);

#endif

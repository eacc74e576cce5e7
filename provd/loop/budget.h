/* SPDX-License-Identifier: MIT */
/*
 * Connections held per peer uid (DESIGN invariant 12): the public socket
 * takes at most max_clients_per_uid from one uid, so one local user cannot
 * fill max_clients and lock everyone else out of getent. The server counts
 * here at accept and close; root is never counted (it is the system).
 *
 * A small array of the uids connected now, searched linearly: far fewer
 * distinct uids than connections are ever connected, and an accept costs
 * one pass over them. Not thread-safe (provd's one loop thread uses it).
 */
#ifndef PROV_BUDGET_H
#define PROV_BUDGET_H

#include <stddef.h>
#include <sys/types.h>

struct budget_uid {
	uid_t uid;
	unsigned n;
};

struct budget {
	struct budget_uid *v; /* only uids with n > 0 */
	size_t n, cap;
	unsigned per_uid; /* 0 = no limit */
};

void budget_init(struct budget *b, unsigned per_uid);
void budget_free(struct budget *b);

/* One more connection for uid: 0, -EUSERS when uid already holds per_uid,
 * -ENOMEM. Nothing is counted on failure. */
int budget_take(struct budget *b, uid_t uid);

/* Gives back what budget_take() counted (a uid holding none: no-op). */
void budget_put(struct budget *b, uid_t uid);

/* Connections uid holds now. */
unsigned budget_held(const struct budget *b, uid_t uid);

#endif

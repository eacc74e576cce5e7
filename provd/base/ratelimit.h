/* SPDX-License-Identifier: MIT */
/*
 * A per-key (peer uid) budget of log lines: at most burst lines per
 * interval for one key; the rest are counted, and when that key's interval
 * is over one summary says how many were left out ("N more suppressed").
 * So an unprivileged user who floods provd with refused requests or bad
 * frames costs the journal about burst + 1 lines per interval, and cannot
 * push real audit events out of journald's own rate limit (DESIGN
 * invariant 12).
 *
 * Pure bookkeeping: the caller passes the clock (monotonic ms) and does
 * the logging, so every edge is unit-tested. At most RATELIMIT_KEYS keys
 * are tracked; a further key shares one overflow slot (key RATELIMIT_OTHER),
 * so many uids at once cannot grow the table either.
 */
#ifndef PROV_RATELIMIT_H
#define PROV_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_KEYS 64
#define RATELIMIT_OTHER UINT32_MAX

struct ratelimit_slot {
	uint32_t key;
	bool used;
	uint64_t window_start; /* ms */
	unsigned lines;        /* said in this window */
	unsigned long suppressed;
};

struct ratelimit {
	uint64_t interval_ms;
	unsigned burst;
	struct ratelimit_slot slots[RATELIMIT_KEYS + 1]; /* the last: RATELIMIT_OTHER */
};

void ratelimit_init(struct ratelimit *rl, uint64_t interval_ms, unsigned burst);

/* Called by ratelimit_allow() and ratelimit_flush() when a key's window
 * ended with lines left out: the caller says "N more suppressed". */
typedef void (*ratelimit_summary_fn)(uint32_t key, unsigned long suppressed, void *userdata);

/* May a line for key be said at now? Counts it either way. A window that
 * ended first reports its summary through fn (may be NULL). */
bool ratelimit_allow(struct ratelimit *rl, uint32_t key, uint64_t now, ratelimit_summary_fn fn, void *userdata);

/* Reports and closes every window that ended by now with lines left out,
 * so a flood that stops is still summed up (the loop calls it). */
void ratelimit_flush(struct ratelimit *rl, uint64_t now, ratelimit_summary_fn fn, void *userdata);

#endif

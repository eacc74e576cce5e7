/* SPDX-License-Identifier: MIT */
/*
 * When to try the directory next. Pure functions over a random source, so
 * the timing policy is unit-testable with a scripted source:
 *
 *  - after a failure: exponential backoff with full jitter, a uniform delay
 *    in [0, min(cap, base * 2^failures)], never less than a server's
 *    Retry-After, never more than the cap (nor than Retry-After when that is
 *    larger: the server asked for it);
 *  - after a success: the poll interval with +-jitter, so a fleet started at
 *    the same moment spreads its requests instead of stampeding the server.
 */
#ifndef PROV_BACKOFF_H
#define PROV_BACKOFF_H

#include <stdint.h>

/* Returns 64 uniformly random bits. */
struct rand_source {
	uint64_t (*next)(void *ctx);
	void *ctx;
};

/* A source backed by getrandom(2) (falls back to a time-seeded splitmix64
 * if the kernel has none): good enough for jitter, not for keys. */
extern const struct rand_source rand_source_system;

/* Uniform in [0, bound] inclusive, without modulo bias. */
uint64_t rand_uniform(const struct rand_source *r, uint64_t bound);

struct backoff_policy {
	uint64_t base_ms;      /* delay scale after the first failure, e.g. 1000 */
	uint64_t cap_ms;       /* upper bound of the backoff window, e.g. 600000 */
	uint64_t interval_ms;  /* poll interval after a success, e.g. 300000 */
	unsigned jitter_pct;   /* poll jitter, 0..100: interval +- pct% */
};

/* Delay before the next try after `failures` consecutive failures (>= 1).
 * retry_after_ms is what the server asked for (0 = nothing). */
uint64_t backoff_retry_ms(const struct backoff_policy *p, unsigned failures, uint64_t retry_after_ms,
			  const struct rand_source *r);

/* Delay before the next poll after a success. */
uint64_t backoff_poll_ms(const struct backoff_policy *p, const struct rand_source *r);

#endif

/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "sync/backoff.h"

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t system_next(void *ctx)
{
	static __thread uint64_t fallback_state;
	uint64_t v;

	(void)ctx;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	/* No entropy yet (early boot): jitter only needs hosts to differ a
	 * little, which time and pid give. */
	if (!fallback_state) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		fallback_state = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)getpid();
	}
	return splitmix64(&fallback_state);
}

const struct rand_source rand_source_system = { .next = system_next, .ctx = NULL };

uint64_t rand_uniform(const struct rand_source *r, uint64_t bound)
{
	uint64_t span, threshold, v;

	if (bound == UINT64_MAX)
		return r->next(r->ctx);
	span = bound + 1;
	/* 2^64 mod span values at the bottom would make the low results more
	 * likely: reject them so every value is equally likely. */
	threshold = (0 - span) % span;
	do {
		v = r->next(r->ctx);
	} while (v < threshold);
	return v % span;
}

uint64_t backoff_retry_ms(const struct backoff_policy *p, unsigned failures, uint64_t retry_after_ms,
			  const struct rand_source *r)
{
	uint64_t window = p->base_ms;
	uint64_t delay;

	if (failures == 0)
		failures = 1;
	/* base * 2^(failures-1), saturating at the cap. */
	for (unsigned i = 1; i < failures && window < p->cap_ms; i++)
		window = window > UINT64_MAX / 2 ? UINT64_MAX : window * 2;
	if (window > p->cap_ms)
		window = p->cap_ms;
	delay = rand_uniform(r, window);
	/* The server's Retry-After is a floor; honour it even above our cap
	 * (it knows its load better than we do). */
	if (delay < retry_after_ms)
		delay = retry_after_ms;
	return delay;
}

uint64_t backoff_poll_ms(const struct backoff_policy *p, const struct rand_source *r)
{
	unsigned pct = p->jitter_pct > 100 ? 100 : p->jitter_pct;
	uint64_t spread = p->interval_ms / 100 * pct + p->interval_ms % 100 * pct / 100;
	uint64_t low = p->interval_ms - spread;

	/* Uniform in [interval - spread, interval + spread]. */
	if (spread > (UINT64_MAX - p->interval_ms) / 2)
		return p->interval_ms;
	return low + rand_uniform(r, 2 * spread);
}

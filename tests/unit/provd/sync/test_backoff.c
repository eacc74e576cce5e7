/* SPDX-License-Identifier: MIT */
/* Retry and poll timing (issue 3: backoff with jitter, no fleet stampede). */
#include <criterion/criterion.h>
#include <stdint.h>

#include "sync/backoff.h"

/* A scripted random source: returns the values in order; running out is a
 * test failure (it would mean rand_uniform looped). */
struct script {
	const uint64_t *v;
	size_t n, i;
};

static uint64_t script_next(void *ctx)
{
	struct script *s = ctx;
	cr_assert_lt(s->i, s->n, "random script exhausted");
	return s->v[s->i++];
}

#define SOURCE(name, ...)                                                                    \
	const uint64_t name##_v[] = { __VA_ARGS__ };                                            \
	struct script name##_s = { name##_v, sizeof(name##_v) / sizeof(name##_v[0]), 0 };       \
	struct rand_source name = { script_next, &name##_s }

static const struct backoff_policy pol = {
	.base_ms = 1000,
	.cap_ms = 60000,
	.interval_ms = 300000,
	.jitter_pct = 10,
};

Test(backoff, full_jitter_window_doubles_per_failure)
{
	/* Each value is above the rejection threshold of its span (2^64 mod
	 * span: 16, 604, 2499, 1780), so value mod span is the delay. */
	SOURCE(top, 1000, 2000, 4001 + 4000, 8001 + 17);

	cr_assert_eq(backoff_retry_ms(&pol, 1, 0, &top), 1000);
	cr_assert_eq(backoff_retry_ms(&pol, 2, 0, &top), 2000);
	cr_assert_eq(backoff_retry_ms(&pol, 3, 0, &top), 4000);
	cr_assert_eq(backoff_retry_ms(&pol, 4, 0, &top), 17);
}

Test(backoff, window_is_capped)
{
	SOURCE(r, 59999, 60000, 60001);

	cr_assert_eq(backoff_retry_ms(&pol, 40, 0, &r), 59999);
	cr_assert_eq(backoff_retry_ms(&pol, 1000, 0, &r), 60000);
	cr_assert_eq(backoff_retry_ms(&pol, UINT32_MAX, 0, &r), 0, "60001 mod 60001 wraps to 0");
}

Test(backoff, delay_stays_inside_window_for_any_random_value)
{
	for (unsigned f = 1; f < 70; f++) {
		for (uint64_t v = 0; v < 5; v++) {
			SOURCE(r, UINT64_MAX - v, UINT64_MAX / 3 + v * 7919);
			uint64_t d = backoff_retry_ms(&pol, f, 0, &r);
			uint64_t win = f >= 7 ? 60000 : 1000ull << (f - 1);

			cr_assert_leq(d, win, "failures=%u delay=%lu", f, (unsigned long)d);
		}
	}
}

Test(backoff, retry_after_is_a_floor_even_above_the_cap)
{
	SOURCE(zero, 1001, 1001);

	cr_assert_eq(backoff_retry_ms(&pol, 1, 7000, &zero), 7000);
	cr_assert_eq(backoff_retry_ms(&pol, 1, 120000, &zero), 120000);
}

Test(backoff, poll_interval_jitter_bounds)
{
	/* span 60001; 2^64 mod 60001 = 59967 is the rejection threshold. */
	SOURCE(lo, 60001);
	SOURCE(hi, 60000);
	SOURCE(mid, 5, 60001 + 30000);

	cr_assert_eq(backoff_poll_ms(&pol, &lo), 270000);
	cr_assert_eq(backoff_poll_ms(&pol, &hi), 330000);
	cr_assert_eq(backoff_poll_ms(&pol, &mid), 300000);
}

Test(backoff, poll_without_jitter_is_exact)
{
	struct backoff_policy p = pol;
	SOURCE(r, 12345);

	p.jitter_pct = 0;
	cr_assert_eq(backoff_poll_ms(&p, &r), 300000);
}

Test(backoff, fleet_spreads_over_the_jitter_window)
{
	/* 1000 hosts with the system source: the polls must not all land in
	 * one second, and all must be inside the window. */
	uint64_t min = UINT64_MAX, max = 0;

	for (int i = 0; i < 1000; i++) {
		uint64_t d = backoff_poll_ms(&pol, &rand_source_system);

		cr_assert(d >= 270000 && d <= 330000);
		if (d < min)
			min = d;
		if (d > max)
			max = d;
	}
	cr_assert_gt(max - min, 30000, "spread %lu ms", (unsigned long)(max - min));
}

Test(backoff, rand_uniform_rejects_biased_values)
{
	/* span 3: 2^64 mod 3 == 1, so 0 is rejected and the next value used. */
	SOURCE(r, 0, 5);

	cr_assert_eq(rand_uniform(&r, 2), 5 % 3);
	SOURCE(full, 42);
	cr_assert_eq(rand_uniform(&full, UINT64_MAX), 42);
	SOURCE(z, 99);
	cr_assert_eq(rand_uniform(&z, 0), 0);
}

/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>

#include "base/ratelimit.h"

struct said {
	uint32_t key[8];
	unsigned long n[8];
	size_t count;
};

static void record(uint32_t key, unsigned long n, void *userdata)
{
	struct said *s = userdata;

	cr_assert_lt(s->count, 8);
	s->key[s->count] = key;
	s->n[s->count] = n;
	s->count++;
}

Test(ratelimit, burst_then_suppressed_then_one_summary)
{
	struct ratelimit rl;
	struct said s = { 0 };
	unsigned i, allowed = 0;

	ratelimit_init(&rl, 10000, 5);
	for (i = 0; i < 1000; i++)
		allowed += ratelimit_allow(&rl, 65534, 100 + i, record, &s);
	cr_assert_eq(allowed, 5, "only the burst passes within the interval");
	cr_assert_eq(s.count, 0, "no summary before the window ends");
	cr_assert(ratelimit_allow(&rl, 65534, 100 + 10000, record, &s), "a new window lets lines through again");
	cr_assert_eq(s.count, 1);
	cr_assert_eq(s.key[0], 65534);
	cr_assert_eq(s.n[0], 995, "the summary counts every line left out");
}

Test(ratelimit, uids_are_independent)
{
	struct ratelimit rl;
	unsigned i;

	ratelimit_init(&rl, 10000, 3);
	for (i = 0; i < 100; i++)
		ratelimit_allow(&rl, 65534, 1, NULL, NULL);
	cr_assert(ratelimit_allow(&rl, 1000, 2, NULL, NULL), "one uid's flood does not silence another");
	cr_assert(ratelimit_allow(&rl, 1001, 2, NULL, NULL));
}

Test(ratelimit, flush_sums_up_a_flood_that_stopped)
{
	struct ratelimit rl;
	struct said s = { 0 };
	unsigned i;

	ratelimit_init(&rl, 1000, 2);
	for (i = 0; i < 7; i++)
		ratelimit_allow(&rl, 7, 10, record, &s);
	ratelimit_flush(&rl, 500, record, &s);
	cr_assert_eq(s.count, 0, "the window is still open");
	ratelimit_flush(&rl, 1010, record, &s);
	cr_assert_eq(s.count, 1);
	cr_assert_eq(s.n[0], 5);
	ratelimit_flush(&rl, 5000, record, &s);
	cr_assert_eq(s.count, 1, "said once");
}

Test(ratelimit, many_keys_share_the_overflow_slot)
{
	struct ratelimit rl;
	struct said s = { 0 };
	unsigned i, allowed = 0;

	ratelimit_init(&rl, 10000, 1);
	for (i = 0; i < RATELIMIT_KEYS; i++)
		cr_assert(ratelimit_allow(&rl, 5000 + i, 1, record, &s));
	/* every further uid, in the same window: one line between them all */
	for (i = 0; i < 500; i++)
		allowed += ratelimit_allow(&rl, 90000 + i, 2, record, &s);
	cr_assert_eq(allowed, 1);
	ratelimit_flush(&rl, 20000, record, &s);
	cr_assert_eq(s.count, 1);
	cr_assert_eq(s.key[0], RATELIMIT_OTHER);
	cr_assert_eq(s.n[0], 499);
}

Test(ratelimit, clock_going_back_starts_over)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 10000, 1);
	cr_assert(ratelimit_allow(&rl, 1, 50000, NULL, NULL));
	cr_assert_not(ratelimit_allow(&rl, 1, 50001, NULL, NULL));
	cr_assert(ratelimit_allow(&rl, 1, 10, NULL, NULL));
}

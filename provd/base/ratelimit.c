/* SPDX-License-Identifier: MIT */
#include "base/ratelimit.h"

#include <string.h>

void ratelimit_init(struct ratelimit *rl, uint64_t interval_ms, unsigned burst)
{
	memset(rl, 0, sizeof(*rl));
	rl->interval_ms = interval_ms;
	rl->burst = burst;
	rl->slots[RATELIMIT_KEYS].key = RATELIMIT_OTHER;
	rl->slots[RATELIMIT_KEYS].used = true;
}

/* The key's slot, a free one (claimed), or a finished one with nothing to
 * report (reused), or the shared overflow slot. */
static struct ratelimit_slot *slot_for(struct ratelimit *rl, uint32_t key, uint64_t now)
{
	struct ratelimit_slot *free_slot = NULL;
	size_t i;

	for (i = 0; i < RATELIMIT_KEYS; i++) {
		struct ratelimit_slot *s = &rl->slots[i];

		if (s->used && s->key == key)
			return s;
		if (!free_slot && (!s->used || (now - s->window_start >= rl->interval_ms && s->suppressed == 0)))
			free_slot = s;
	}
	if (!free_slot)
		return &rl->slots[RATELIMIT_KEYS];
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->key = key;
	free_slot->window_start = now;
	return free_slot;
}

static void end_window(struct ratelimit *rl, struct ratelimit_slot *s, uint64_t now, ratelimit_summary_fn fn,
		       void *userdata)
{
	if (s->suppressed && fn)
		fn(s->key, s->suppressed, userdata);
	s->suppressed = 0;
	s->lines = 0;
	s->window_start = now;
	(void)rl;
}

bool ratelimit_allow(struct ratelimit *rl, uint32_t key, uint64_t now, ratelimit_summary_fn fn, void *userdata)
{
	struct ratelimit_slot *s = slot_for(rl, key, now);

	/* A clock that went back (it is monotonic, but be safe) starts over. */
	if (now < s->window_start || now - s->window_start >= rl->interval_ms)
		end_window(rl, s, now, fn, userdata);
	if (s->lines < rl->burst) {
		s->lines++;
		return true;
	}
	s->suppressed++;
	return false;
}

void ratelimit_flush(struct ratelimit *rl, uint64_t now, ratelimit_summary_fn fn, void *userdata)
{
	size_t i;

	for (i = 0; i <= RATELIMIT_KEYS; i++) {
		struct ratelimit_slot *s = &rl->slots[i];

		if (s->used && s->suppressed && (now < s->window_start || now - s->window_start >= rl->interval_ms))
			end_window(rl, s, now, fn, userdata);
	}
}

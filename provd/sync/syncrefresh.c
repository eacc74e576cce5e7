/* SPDX-License-Identifier: MIT */
/* REFRESH (sync.h): a pull now, answered when it is done, with what it
 * did; the requests waiting for a pull and what they are told. */
#include "sync/sync_impl.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int sync_waiters_add(struct waiters *w, uint64_t id)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 4;
		uint64_t *v = reallocarray(w->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n++] = id;
	return 0;
}

static int fill_report(struct prov_writer *w, void *userdata)
{
	const struct report *r = userdata;
	struct dispatch_pairs p;
	char t[32];

	dispatch_pairs_begin(&p, w);
	dispatch_pair(&p, "result", "%s", r->result);
	dispatch_pair(&p, "reason", "%s", r->reason[0] ? r->reason : "-");
	dispatch_pair(&p, "changes", "%s", r->changes[0] ? r->changes : "none");
	dispatch_pair(&p, "source", "%s", r->source[0] ? r->source : "-");
	dispatch_pair(&p, "not_modified", "%s", r->not_modified ? "yes" : "no");
	dispatch_pair(&p, "forced", "%s", r->forced ? "yes" : "no");
	dispatch_pair(&p, "serial", "%llu", (unsigned long long)r->serial);
	dispatch_pair(&p, "users", "%zu", r->users);
	dispatch_pair(&p, "groups", "%zu", r->groups);
	dispatch_pair(&p, "refused", "%zu", r->refused);
	dispatch_pair(&p, "corrected", "%zu", r->corrected);
	dispatch_pair(&p, "conflict", "%zu", r->conflict);
	dispatch_pair(&p, "requests", "%u", r->requests);
	dispatch_pair(&p, "bytes", "%zu", r->bytes);
	dispatch_pair(&p, "duration_ms", "%llu", (unsigned long long)r->duration_ms);
	log_fmt_time(r->next_try, t, sizeof(t));
	dispatch_pair(&p, "next_try", "%s", t);
	dispatch_pairs_end(&p);
	return PROV_ST_OK;
}

/* A waiter that could not be queued (out of memory). */
int sync_fill_busy(struct prov_writer *w, void *userdata)
{
	(void)w;
	(void)userdata;
	return PROV_ST_INTERNAL;
}

void sync_answer(struct sync *sy, struct waiters *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		server_reply(sy->srv, w->v[i], PROV_OP_REFRESH, fill_report, &sy->rep);
	w->n = 0;
}
static int h_refresh(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	struct prov_state *st = ctx->state;
	struct sync *sy = st->sync;
	uint32_t flags = prov_get_u32(req);
	bool force;
	char uid[16], pid[16];

	if (prov_reader_end(req) < 0 || (flags & ~PROV_REFRESH_FORCE))
		return PROV_ST_BAD_REQUEST;
	force = flags & PROV_REFRESH_FORCE;
	snprintf(uid, sizeof(uid), "%u", (unsigned)ctx->peer->uid);
	snprintf(pid, sizeof(pid), "%d", (int)ctx->peer->pid);
	log_event(LOG_NOTICE, "refresh_requested",
		  LOG_FIELDS({ "PROV_PEER_UID", uid }, { "PROV_PEER_PID", pid }, { "PROV_FORCE", force ? "yes" : "no" }),
		  "refresh%s requested by uid %s pid %s", force ? " --force" : "", uid, pid);
	if (!sy || !st->health.enabled) {
		bool demo = source_is_demo(&st->cfg);
		struct report r = { .result = demo ? "unchanged" : "unconfigured" };

		snprintf(r.reason, sizeof(r.reason), "%s",
			 demo ? "url = demo: the embedded demo is served, there is nothing to pull"
			      : "no directory source configured: set [directory] url in provd.conf");
		r.serial = st->dir ? st->dir->serial : 0;
		r.users = st->dir ? st->dir->n_users : 0;
		r.groups = st->dir ? st->dir->n_groups : 0;
		return fill_report(reply, &r);
	}
	if (sync_waiters_add(sy->job ? &sy->next : &sy->cur, ctx->peer->conn_id) < 0)
		return PROV_ST_INTERNAL;
	sync_kick(sy, force);
	return DISPATCH_DEFERRED;
}

static const struct dispatch_entry sync_entries[] = {
	{ PROV_OP_REFRESH, DISPATCH_ROOT, "REFRESH", h_refresh },
};

const struct dispatch_table sync_dispatch_table = DISPATCH_TABLE(sync_entries);

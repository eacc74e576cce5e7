/* SPDX-License-Identifier: MIT */
/* STATUS (status.h): what `provctl status` shows, as key/value pairs. */
#include "serve/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "serve/mappublish.h"
#include "source/source.h"
#include "urlredact.h"

static const char *kind_name(enum dir_entry_kind k)
{
	return k == DIR_KIND_USER ? "user" : k == DIR_KIND_GROUP ? "group" : "binding";
}

static void status_source(struct dispatch_pairs *p, const struct prov_state *st)
{
	const struct prov_config *c = &st->cfg;
	char buf[PROV_STATUS_STR_MAX + 1] = "";
	size_t i, len = 0;

	if (c->urls.n == 0) {
		dispatch_pair(p, "source", "none (set [directory] url)");
		return;
	}
	if (source_is_demo(c)) {
		dispatch_pair(p, "source", "embedded demo (url = demo:)");
		return;
	}
	for (i = 0; i < c->urls.n && len < sizeof(buf) - 1; i++) {
		int n = snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", c->urls.v[i]);

		if (n < 0)
			break;
		len += (size_t)n;
	}
	dispatch_pair(p, "source", "%s %s", c->source_type == SOURCE_SCIM ? "scim" : "document", buf);
	/* Signed documents (docsig.h): provctl doctor warns when https is not. */
	if (c->trusted_keys.n)
		dispatch_pair(p, "signatures", "required (%zu trusted keys, audience %s)", c->trusted_keys.n, c->audience);
	else
		dispatch_pair(p, "signatures", "not required");
}

/* Root on the private socket also sees each refused entry and its reason
 * (for "why can't alice log in"); anyone else only the counts, which is
 * no more than what the absence of an entry in getent already says. */
static void status_refusals(struct dispatch_pairs *p, const struct directory *d)
{
	size_t i;

	for (i = 0; i < d->n_refused; i++) {
		char key[32];

		if (p->n + 1 >= PROV_STATUS_PAIRS_MAX) {
			dispatch_pair(p, "refused.more", "%zu more", d->n_refused - i);
			return;
		}
		snprintf(key, sizeof(key), "refused.%zu", i + 1);
		dispatch_pair(p, key, "%s %s%s: %s", kind_name(d->refused[i].kind), d->refused[i].name ? d->refused[i].name : "?",
		     d->refused[i].outcome == DIR_CORRECTED  ? " (corrected, served)"
		     : d->refused[i].outcome == DIR_CONFLICT ? " (conflict, not served)"
							     : "",
		     d->refused[i].reason ? d->refused[i].reason : "?");
	}
}

/* The central sync's health (sync.h): is the source answering, since
 * when not, what the last pull did, when the next one is due. */
static void status_sync(struct dispatch_pairs *p, const struct prov_state *st, int64_t now)
{
	const struct prov_sync_health *h = &st->health;
	char t[40], why[256];

	if (state_is_stale(st, now)) {
		state_stale_reason(st, now, why, sizeof(why));
		dispatch_pair(p, "stale_reason", "%s", why);
	}
	if (st->dir && st->last_ok > 0)
		dispatch_pair(p, "last_ok_age", "%llds", (long long)(now - st->last_ok));
	dispatch_pair(p, "refresh_interval", "%us", st->cfg.refresh_interval_s);
	if (!h->enabled) {
		dispatch_pair(p, "sync", "%s",
		     source_is_demo(&st->cfg) ? "off (url = demo: the embedded demo is served)"
					      : "off (no directory source configured)");
		return;
	}
	log_fmt_time(h->failing_since, t, sizeof(t));
	if (h->failures)
		dispatch_pair(p, "sync", "failing since %s (%u in a row)%s%s", t, h->failures,
		     h->auth_failed ? "; ALERT: the source refused the token" : "", h->running ? "; pulling now" : "");
	else
		dispatch_pair(p, "sync", "%s", h->running ? "ok; pulling now" : h->pulls ? "ok" : "first pull pending");
	log_fmt_time(h->last_attempt, t, sizeof(t));
	dispatch_pair(p, "last_sync", "%s", t);
	dispatch_pair(p, "last_sync_result", "%s", h->pulls ? h->last_result : "-");
	dispatch_pair(p, "last_sync_source", "%s", h->last_source[0] ? h->last_source : "-");
	log_fmt_time(h->last_change_at, t, sizeof(t));
	dispatch_pair(p, "last_change", "%s%s%s", h->last_change[0] ? h->last_change : "-", h->last_change[0] ? " at " : "",
	     h->last_change[0] ? t : "");
	log_fmt_time(h->next_try, t, sizeof(t));
	if (h->next_try > 0)
		dispatch_pair(p, "next_sync", "%s (in %llds)", t, (long long)(h->next_try > now ? h->next_try - now : 0));
	else
		dispatch_pair(p, "next_sync", "%s", h->running ? "after the running pull" : "-");
}

/* The lookup snapshot: its generation, and whether nss_prov believes the
 * file now (mappublish.h checks it at each status). */
static void status_snapshot(struct dispatch_pairs *p, const struct prov_state *st)
{
	char snap[STATE_TEXT_MAX];

	dispatch_pair(p, "snapshot_generation", "%llu", (unsigned long long)mappub_generation(st->mappub));
	mappub_status(st->mappub, snap, sizeof(snap));
	dispatch_pair(p, "snapshot", "%s", snap);
}

static int h_status(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	const struct prov_state *st = ctx->state;
	const struct directory *d = st->dir;
	struct dispatch_pairs p;
	bool privileged = ctx->peer->private_socket && ctx->peer->uid == 0;
	char t[40];

	if (prov_reader_end(req) < 0)
		return PROV_ST_BAD_REQUEST;
	dispatch_pairs_begin(&p, reply);
	dispatch_pair(&p, "version", "%s", PROV_VERSION);
	dispatch_pair(&p, "host", "%s", st->cfg.host_name);
	dispatch_pair(&p, "state", "%s", d ? "serving" : source_is_configured(&st->cfg) ? "unavailable" : "unconfigured");
	status_source(&p, st);
	dispatch_pair(&p, "origin", "%s", d ? st->origin : "-");
	dispatch_pair(&p, "serial", "%llu", d ? (unsigned long long)d->serial : 0ull);
	log_fmt_time(d ? d->generated : 0, t, sizeof(t));
	dispatch_pair(&p, "generated", "%s", t);
	log_fmt_time(d ? d->not_after : 0, t, sizeof(t));
	dispatch_pair(&p, "not_after", "%s", t);
	dispatch_pair(&p, "stale", "%s", state_is_stale(st, ctx->now) ? "yes" : "no");
	log_fmt_time(d ? st->loaded_at : 0, t, sizeof(t));
	dispatch_pair(&p, "loaded_at", "%s", t);
	log_fmt_time(d ? st->last_ok : 0, t, sizeof(t));
	dispatch_pair(&p, "last_ok", "%s", t);
	status_sync(&p, st, ctx->now);
	dispatch_pair(&p, "users", "%zu", d ? d->n_users : 0);
	dispatch_pair(&p, "groups", "%zu", d ? d->n_groups : 0);
	dispatch_pair(&p, "bindings", "%zu", d ? d->n_bindings : 0);
	/* The three outcomes of admission (README "Validation rules"). */
	dispatch_pair(&p, "refused", "%zu", directory_count_outcome(d, DIR_REFUSED));
	dispatch_pair(&p, "corrected", "%zu", directory_count_outcome(d, DIR_CORRECTED));
	dispatch_pair(&p, "conflict", "%zu", directory_count_outcome(d, DIR_CONFLICT));
	/* For provctl doctor: whom the keys are for, which group sudoers needs. */
	dispatch_pair(&p, "keys_user", "%s", st->cfg.keys_user);
	dispatch_pair(&p, "sudo_group", "%s", st->cfg.sudo_group);
	dispatch_pair(&p, "sudo_gid", "%u", st->cfg.sudo_gid);
	dispatch_pair(&p, "cache", "%s", st->cache_state);
	status_snapshot(&p, st);
	dispatch_pair(&p, "last_error", "%s", st->last_error[0] ? st->last_error : "none");
	log_fmt_time(st->last_error_at, t, sizeof(t));
	dispatch_pair(&p, "last_error_at", "%s", t);
	log_fmt_time(st->started_at, t, sizeof(t));
	dispatch_pair(&p, "started_at", "%s", t);
	dispatch_pair(&p, "clients", "%u", st->stats.clients);
	dispatch_pair(&p, "requests", "%llu", (unsigned long long)st->stats.requests);
	dispatch_pair(&p, "denied", "%llu", (unsigned long long)st->stats.denied);
	dispatch_pair(&p, "dropped", "%llu", (unsigned long long)(st->stats.bad_frames + st->stats.timeouts + st->stats.over_budget));
	dispatch_pair(&p, "rejected", "%llu", (unsigned long long)st->stats.clients_rejected);
	if (privileged) {
		dispatch_pair(&p, "config", "%s", st->config_path);
		if (d)
			status_refusals(&p, d);
	}
	dispatch_pairs_end(&p);
	return dispatch_reply_status(reply);
}

static const struct dispatch_entry status_entries[] = {
	{ PROV_OP_STATUS, DISPATCH_ANY, "STATUS", h_status },
};

const struct dispatch_table dispatch_status_table = DISPATCH_TABLE(status_entries);

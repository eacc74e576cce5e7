/* SPDX-License-Identifier: MIT */
/* STATUS (status.h): what `provctl status` shows, as key/value pairs. */
#include "serve/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "serve/mappublish.h"
#include "source/source.h"
#include "urlredact.h"

/* STATUS pairs, counted into a placeholder at the start of the body. */
struct pairs {
	struct prov_writer *w;
	size_t head;
	uint32_t n;
};

static void __attribute__((format(printf, 3, 4))) pair(struct pairs *p, const char *key, const char *fmt, ...)
{
	char val[PROV_STATUS_STR_MAX + 1];
	va_list ap;

	if (p->n >= PROV_STATUS_PAIRS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	url_redact_inplace(val, sizeof(val)); /* sources, errors: never a URL's credential */
	prov_put_str(p->w, key, PROV_STATUS_STR_MAX);
	prov_put_str(p->w, val, PROV_STATUS_STR_MAX);
	p->n++;
}

static void fmt_time(int64_t t, char *buf, size_t bufsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm)) {
		snprintf(buf, bufsz, "-");
		return;
	}
	strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *kind_name(enum dir_entry_kind k)
{
	return k == DIR_KIND_USER ? "user" : k == DIR_KIND_GROUP ? "group" : "binding";
}

static void status_source(struct pairs *p, const struct prov_state *st)
{
	const struct prov_config *c = &st->cfg;
	char buf[PROV_STATUS_STR_MAX + 1] = "";
	size_t i, len = 0;

	if (c->urls.n == 0) {
		pair(p, "source", "none (set [directory] url)");
		return;
	}
	if (source_is_demo(c)) {
		pair(p, "source", "embedded demo (url = demo:)");
		return;
	}
	for (i = 0; i < c->urls.n && len < sizeof(buf) - 1; i++) {
		int n = snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", c->urls.v[i]);

		if (n < 0)
			break;
		len += (size_t)n;
	}
	pair(p, "source", "%s %s", c->source_type == SOURCE_SCIM ? "scim" : "document", buf);
	/* Signed documents (docsig.h): provctl doctor warns when https is not. */
	if (c->trusted_keys.n)
		pair(p, "signatures", "required (%zu trusted keys, audience %s)", c->trusted_keys.n, c->audience);
	else
		pair(p, "signatures", "not required");
}

/* Root on the private socket also sees each refused entry and its reason
 * (for "why can't alice log in"); anyone else only the counts, which is
 * no more than what the absence of an entry in getent already says. */
static void status_refusals(struct pairs *p, const struct directory *d)
{
	size_t i;

	for (i = 0; i < d->n_refused; i++) {
		char key[32];

		if (p->n + 1 >= PROV_STATUS_PAIRS_MAX) {
			pair(p, "refused.more", "%zu more", d->n_refused - i);
			return;
		}
		snprintf(key, sizeof(key), "refused.%zu", i + 1);
		pair(p, key, "%s %s%s: %s", kind_name(d->refused[i].kind), d->refused[i].name ? d->refused[i].name : "?",
		     d->refused[i].outcome == DIR_CORRECTED  ? " (corrected, served)"
		     : d->refused[i].outcome == DIR_CONFLICT ? " (conflict, not served)"
							     : "",
		     d->refused[i].reason ? d->refused[i].reason : "?");
	}
}

/* The central sync's health (sync.h): is the source answering, since
 * when not, what the last pull did, when the next one is due. */
static void status_sync(struct pairs *p, const struct prov_state *st, int64_t now)
{
	const struct prov_sync_health *h = &st->health;
	char t[40], why[256];

	if (state_is_stale(st, now)) {
		state_stale_reason(st, now, why, sizeof(why));
		pair(p, "stale_reason", "%s", why);
	}
	if (st->dir && st->last_ok > 0)
		pair(p, "last_ok_age", "%llds", (long long)(now - st->last_ok));
	pair(p, "refresh_interval", "%us", st->cfg.refresh_interval_s);
	if (!h->enabled) {
		pair(p, "sync", "%s",
		     source_is_demo(&st->cfg) ? "off (url = demo: the embedded demo is served)"
					      : "off (no directory source configured)");
		return;
	}
	fmt_time(h->failing_since, t, sizeof(t));
	if (h->failures)
		pair(p, "sync", "failing since %s (%u in a row)%s%s", t, h->failures,
		     h->auth_failed ? "; ALERT: the source refused the token" : "", h->running ? "; pulling now" : "");
	else
		pair(p, "sync", "%s", h->running ? "ok; pulling now" : h->pulls ? "ok" : "first pull pending");
	fmt_time(h->last_attempt, t, sizeof(t));
	pair(p, "last_sync", "%s", t);
	pair(p, "last_sync_result", "%s", h->pulls ? h->last_result : "-");
	pair(p, "last_sync_source", "%s", h->last_source[0] ? h->last_source : "-");
	fmt_time(h->last_change_at, t, sizeof(t));
	pair(p, "last_change", "%s%s%s", h->last_change[0] ? h->last_change : "-", h->last_change[0] ? " at " : "",
	     h->last_change[0] ? t : "");
	fmt_time(h->next_try, t, sizeof(t));
	if (h->next_try > 0)
		pair(p, "next_sync", "%s (in %llds)", t, (long long)(h->next_try > now ? h->next_try - now : 0));
	else
		pair(p, "next_sync", "%s", h->running ? "after the running pull" : "-");
}

/* The lookup snapshot: its generation, and whether nss_prov believes the
 * file now (mappublish.h checks it at each status). */
static void status_snapshot(struct pairs *p, const struct prov_state *st)
{
	char snap[STATE_TEXT_MAX];

	pair(p, "snapshot_generation", "%llu", (unsigned long long)mappub_generation(st->mappub));
	mappub_status(st->mappub, snap, sizeof(snap));
	pair(p, "snapshot", "%s", snap);
}

static int h_status(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	const struct prov_state *st = ctx->state;
	const struct directory *d = st->dir;
	struct pairs p = { .w = reply, .head = reply->len };
	bool privileged = ctx->peer->private_socket && ctx->peer->uid == 0;
	char t[40];

	if (prov_reader_end(req) < 0)
		return PROV_ST_BAD_REQUEST;
	prov_put_u32(reply, 0);
	pair(&p, "version", "%s", PROV_VERSION);
	pair(&p, "host", "%s", st->cfg.host_name);
	pair(&p, "state", "%s", d ? "serving" : source_is_configured(&st->cfg) ? "unavailable" : "unconfigured");
	status_source(&p, st);
	pair(&p, "origin", "%s", d ? st->origin : "-");
	pair(&p, "serial", "%llu", d ? (unsigned long long)d->serial : 0ull);
	fmt_time(d ? d->generated : 0, t, sizeof(t));
	pair(&p, "generated", "%s", t);
	fmt_time(d ? d->not_after : 0, t, sizeof(t));
	pair(&p, "not_after", "%s", t);
	pair(&p, "stale", "%s", state_is_stale(st, ctx->now) ? "yes" : "no");
	fmt_time(d ? st->loaded_at : 0, t, sizeof(t));
	pair(&p, "loaded_at", "%s", t);
	fmt_time(d ? st->last_ok : 0, t, sizeof(t));
	pair(&p, "last_ok", "%s", t);
	status_sync(&p, st, ctx->now);
	pair(&p, "users", "%zu", d ? d->n_users : 0);
	pair(&p, "groups", "%zu", d ? d->n_groups : 0);
	pair(&p, "bindings", "%zu", d ? d->n_bindings : 0);
	/* The three outcomes of admission (README "Validation rules"). */
	pair(&p, "refused", "%zu", directory_count_outcome(d, DIR_REFUSED));
	pair(&p, "corrected", "%zu", directory_count_outcome(d, DIR_CORRECTED));
	pair(&p, "conflict", "%zu", directory_count_outcome(d, DIR_CONFLICT));
	/* For provctl doctor: whom the keys are for, which group sudoers needs. */
	pair(&p, "keys_user", "%s", st->cfg.keys_user);
	pair(&p, "sudo_group", "%s", st->cfg.sudo_group);
	pair(&p, "sudo_gid", "%u", st->cfg.sudo_gid);
	pair(&p, "cache", "%s", st->cache_state);
	status_snapshot(&p, st);
	pair(&p, "last_error", "%s", st->last_error[0] ? st->last_error : "none");
	fmt_time(st->last_error_at, t, sizeof(t));
	pair(&p, "last_error_at", "%s", t);
	fmt_time(st->started_at, t, sizeof(t));
	pair(&p, "started_at", "%s", t);
	pair(&p, "clients", "%u", st->stats.clients);
	pair(&p, "requests", "%llu", (unsigned long long)st->stats.requests);
	pair(&p, "denied", "%llu", (unsigned long long)st->stats.denied);
	pair(&p, "dropped", "%llu", (unsigned long long)(st->stats.bad_frames + st->stats.timeouts + st->stats.over_budget));
	pair(&p, "rejected", "%llu", (unsigned long long)st->stats.clients_rejected);
	if (privileged) {
		pair(&p, "config", "%s", st->config_path);
		if (d)
			status_refusals(&p, d);
	}
	dispatch_patch_u32(reply, p.head, p.n);
	return dispatch_reply_status(reply);
}

static const struct dispatch_entry status_entries[] = {
	{ PROV_OP_STATUS, DISPATCH_ANY, "STATUS", h_status },
};

const struct dispatch_table dispatch_status_table = {
	status_entries,
	sizeof(status_entries) / sizeof(status_entries[0]),
};

/* SPDX-License-Identifier: MIT */
#include "loop/dispatch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "serve/cache_verify.h"
#include "base/log.h"
#include "access/login_handlers.h"
#include "serve/mappublish.h"
#include "store/removed.h"
#include "source/source.h"
#include "access/sudogroup.h"
#include "sync/sync.h"
#include "urlredact.h"

/* Every table provd serves; an area adds its own with one line here. */
static const struct dispatch_table *const dispatch_tables[] = {
	&dispatch_lookup_table,
	&login_dispatch_table, /* login_handlers.c: ACCESS_CHECK, SESSION_*, SSH_KEYS */
	&sync_dispatch_table,  /* sync.c: REFRESH */
	&cache_verify_dispatch_table, /* cache_verify.c: CACHE_VERIFY */
};

const struct dispatch_entry *dispatch_find(uint16_t opcode)
{
	size_t t, i;

	for (t = 0; t < sizeof(dispatch_tables) / sizeof(dispatch_tables[0]); t++)
		for (i = 0; i < dispatch_tables[t]->n; i++)
			if (dispatch_tables[t]->entries[i].opcode == opcode)
				return &dispatch_tables[t]->entries[i];
	return NULL;
}

int dispatch_get_name(struct prov_reader *req, char out[PROV_NAME_MAX + 1])
{
	struct prov_str s = prov_get_str(req, PROV_NAME_MAX);

	if (prov_reader_end(req) < 0 || s.len == 0)
		return -EBADMSG;
	return prov_str_copy(&s, out, PROV_NAME_MAX + 1);
}

/* Served as admitted: admit.c already gave inactive users a nologin shell. */
static void put_user(struct prov_writer *w, const struct dir_user *u)
{
	prov_put_passwd(w, u->name, u->uid, u->gid, u->gecos, u->home, u->shell);
}

/* A user removed from the directory, within deprovisioned_retention
 * (removed.h): served like a deactivated one, with nologin_shell. */
static const struct removed_user *removed_user(const struct dispatch_ctx *ctx, const char *name, uint32_t uid)
{
	const struct prov_state *st = ctx->state;

	return name ? removed_by_name(st->removed, name, ctx->now, st->cfg.deprovisioned_retention_s)
		    : removed_by_uid(st->removed, uid, ctx->now, st->cfg.deprovisioned_retention_s);
}

static void put_removed(struct prov_writer *w, const struct prov_config *cfg, const struct removed_user *r)
{
	prov_put_passwd(w, r->name, r->uid, r->gid, r->gecos, r->home, cfg->nologin_shell);
}

void dispatch_put_group(struct prov_writer *w, const struct dir_group *g)
{
	size_t i, n = g->members.n < PROV_GROUP_MEMBERS_MAX ? g->members.n : PROV_GROUP_MEMBERS_MAX;

	prov_put_str(w, g->name, PROV_NAME_MAX);
	prov_put_u32(w, g->gid);
	prov_put_u32(w, (uint32_t)n);
	for (i = 0; i < n; i++)
		prov_put_str(w, g->members.v[i], PROV_NAME_MAX);
}

/* A reply that could not be encoded is a bug or a record admit let through
 * that the wire refuses: never send half of it. */
static int put_status(const struct prov_writer *w)
{
	return w->err ? PROV_ST_INTERNAL : PROV_ST_OK;
}

static int h_pw_by_name(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	char name[PROV_NAME_MAX + 1];
	const struct dir_user *u;

	if (dispatch_get_name(req, name) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!ctx->state->dir)
		return PROV_ST_UNAVAILABLE;
	u = directory_user_by_name(ctx->state->dir, name);
	if (u) {
		put_user(reply, u);
	} else {
		const struct removed_user *r = removed_user(ctx, name, 0);

		if (!r)
			return PROV_ST_NOT_FOUND;
		put_removed(reply, &ctx->state->cfg, r);
	}
	return put_status(reply);
}

static int h_pw_by_uid(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	uint32_t uid = prov_get_u32(req);
	const struct dir_user *u;

	if (prov_reader_end(req) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!ctx->state->dir)
		return PROV_ST_UNAVAILABLE;
	u = directory_user_by_uid(ctx->state->dir, uid);
	if (u) {
		put_user(reply, u);
	} else {
		const struct removed_user *r = removed_user(ctx, NULL, uid);

		if (!r)
			return PROV_ST_NOT_FOUND;
		put_removed(reply, &ctx->state->cfg, r);
	}
	return put_status(reply);
}

static int h_gr_by_name(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	char name[PROV_NAME_MAX + 1];
	const struct dir_group *g;

	if (dispatch_get_name(req, name) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!ctx->state->dir)
		return PROV_ST_UNAVAILABLE;
	if (sudogroup_is_name(&ctx->state->cfg, name))
		return sudogroup_put(ctx, reply);
	g = directory_group_by_name(ctx->state->dir, name);
	if (!g)
		return PROV_ST_NOT_FOUND;
	dispatch_put_group(reply, g);
	return put_status(reply);
}

static int h_gr_by_gid(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	uint32_t gid = prov_get_u32(req);
	const struct dir_group *g;

	if (prov_reader_end(req) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!ctx->state->dir)
		return PROV_ST_UNAVAILABLE;
	if (sudogroup_is_gid(&ctx->state->cfg, gid))
		return sudogroup_put(ctx, reply);
	g = directory_group_by_gid(ctx->state->dir, gid);
	if (!g)
		return PROV_ST_NOT_FOUND;
	dispatch_put_group(reply, g);
	return put_status(reply);
}

/* glibc's initgroups adds the primary gid itself, so only the prov groups
 * that list the user are answered (member_gids never repeats the primary),
 * and the sudo group while she holds the grant (sudogroup.h). */
static int h_initgroups(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	char name[PROV_NAME_MAX + 1];
	const struct dir_user *u;
	size_t i, n;
	bool sudo;

	if (dispatch_get_name(req, name) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!ctx->state->dir)
		return PROV_ST_UNAVAILABLE;
	u = directory_user_by_name(ctx->state->dir, name);
	if (!u)
		return PROV_ST_NOT_FOUND;
	n = u->n_member_gids < PROV_GROUPS_PER_USER_MAX ? u->n_member_gids : PROV_GROUPS_PER_USER_MAX;
	sudo = n < PROV_GROUPS_PER_USER_MAX && sudogroup_has_member(ctx, u);
	prov_put_u32(reply, (uint32_t)n + (sudo ? 1 : 0));
	for (i = 0; i < n; i++)
		prov_put_u32(reply, u->member_gids[i]);
	if (sudo)
		prov_put_u32(reply, ctx->state->cfg.sudo_gid);
	return put_status(reply);
}

static void patch_u32(struct prov_writer *w, size_t off, uint32_t v)
{
	memcpy(w->buf + off, &v, sizeof(v));
}

/*
 * One enumeration page: u32 next, u32 n, n records. The cursor is an index
 * into the snapshot's array, so a page costs O(page). A snapshot swapped
 * between two pages may skip or repeat entries, which getent tolerates;
 * a cursor past the end is simply the end. A page stops early when the
 * next record would not fit PROV_MAX_BODY, so it always fits. The sudo
 * group, when served, is one more group after the directory's; users
 * removed within deprovisioned_retention come after the directory's users.
 */
/* Removed user j for enumeration; false when it is not to be listed. */
static bool put_removed_enum(const struct dispatch_ctx *ctx, struct prov_writer *w, size_t j)
{
	const struct prov_state *st = ctx->state;
	const struct removed_user *r = &st->removed->v[j];

	if (directory_user_by_name(st->dir, r->name) || directory_user_by_uid(st->dir, r->uid) ||
	    removed_user(ctx, r->name, 0) != r)
		return false;
	put_removed(w, &st->cfg, r);
	return true;
}

static int enum_page(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply, bool groups)
{
	uint32_t cursor = prov_get_u32(req), n = 0;
	const struct directory *d = ctx->state->dir;
	size_t total, i, head;

	if (prov_reader_end(req) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!d)
		return PROV_ST_UNAVAILABLE;
	total = groups ? d->n_groups : d->n_users + (ctx->state->removed ? ctx->state->removed->n : 0);
	if (groups && sudogroup_served(&ctx->state->cfg))
		total++;
	head = reply->len;
	prov_put_u32(reply, PROV_ENUM_END);
	prov_put_u32(reply, 0);
	if (reply->err)
		return PROV_ST_INTERNAL;
	for (i = cursor; i < total && n < PROV_ENUM_PAGE_MAX; i++) {
		size_t before = reply->len;
		bool over;

		if (groups && i == d->n_groups) {
			if (sudogroup_put(ctx, reply) != PROV_ST_OK && !reply->err) {
				reply->len = before; /* out of memory: leave it out */
				continue;
			}
		} else if (groups) {
			dispatch_put_group(reply, &d->groups[i]);
		} else if (i < d->n_users) {
			put_user(reply, &d->users[i]);
		} else if (!put_removed_enum(ctx, reply, i - d->n_users)) {
			continue; /* expired, or its name or uid is served again */
		}
		over = !reply->err && reply->len - PROV_HEADER_SIZE > PROV_MAX_BODY;
		if (reply->err == -EMSGSIZE || (over && (n > 0 || !groups))) {
			reply->len = before; /* does not fit: it opens the next page */
			reply->err = 0;
			break;
		}
		if (reply->err) {
			/* A record the wire refuses (admit should have): skip it
			 * rather than stall the enumeration on it. */
			reply->len = before;
			reply->err = 0;
			continue;
		}
		n++;
		if (over) {
			i++; /* a group too big for a page of its own kind: alone */
			break;
		}
	}
	if (i < total && n == 0 && i == cursor)
		return PROV_ST_INTERNAL; /* one record larger than a page: never loop the client */
	patch_u32(reply, head, i < total ? (uint32_t)i : PROV_ENUM_END);
	patch_u32(reply, head + 4, n);
	return PROV_ST_OK;
}

static int h_pw_enum(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	return enum_page(ctx, req, reply, false);
}

static int h_gr_enum(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	return enum_page(ctx, req, reply, true);
}

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
	patch_u32(reply, p.head, p.n);
	return put_status(reply);
}

static const struct dispatch_entry lookup_entries[] = {
	{ PROV_OP_PW_BY_NAME, DISPATCH_ANY, "PW_BY_NAME", h_pw_by_name },
	{ PROV_OP_PW_BY_UID, DISPATCH_ANY, "PW_BY_UID", h_pw_by_uid },
	{ PROV_OP_GR_BY_NAME, DISPATCH_ANY, "GR_BY_NAME", h_gr_by_name },
	{ PROV_OP_GR_BY_GID, DISPATCH_ANY, "GR_BY_GID", h_gr_by_gid },
	{ PROV_OP_INITGROUPS, DISPATCH_ANY, "INITGROUPS", h_initgroups },
	{ PROV_OP_PW_ENUM, DISPATCH_ANY, "PW_ENUM", h_pw_enum },
	{ PROV_OP_GR_ENUM, DISPATCH_ANY, "GR_ENUM", h_gr_enum },
	{ PROV_OP_STATUS, DISPATCH_ANY, "STATUS", h_status },
};

const struct dispatch_table dispatch_lookup_table = {
	lookup_entries,
	sizeof(lookup_entries) / sizeof(lookup_entries[0]),
};

/* Anyone can cause this line: rate-limited per peer uid (log.h). */
static void audit_denied(const struct dispatch_entry *e, const struct dispatch_peer *peer)
{
	char uid[16], pid[16];

	if (!log_peer_allowed(peer->uid))
		return;
	snprintf(uid, sizeof(uid), "%u", (unsigned)peer->uid);
	snprintf(pid, sizeof(pid), "%d", (int)peer->pid);
	log_event(LOG_WARNING, "request_denied",
		  LOG_FIELDS({ "PROV_REQUEST", e->name }, { "PROV_PEER_UID", uid }, { "PROV_PEER_PID", pid },
			     { "PROV_SOCKET", peer->private_socket ? "private" : "public" }),
		  "%s refused: peer uid %s pid %s on the %s socket is not root on the private socket", e->name, uid,
		  pid, peer->private_socket ? "private" : "public");
}

int dispatch_request(struct prov_state *st, const struct dispatch_peer *peer, const struct prov_header *hdr,
		     const uint8_t *body, struct prov_writer *w)
{
	const struct dispatch_entry *e = dispatch_find(hdr->type);
	struct dispatch_ctx ctx = { .state = st, .peer = peer, .now = (int64_t)time(NULL) };
	struct prov_reader req;
	int status;

	prov_writer_begin(w);
	st->stats.requests++;
	if (!e) {
		status = PROV_ST_UNSUPPORTED;
	} else if (e->who == DISPATCH_ROOT && !(peer->private_socket && peer->uid == 0)) {
		st->stats.denied++;
		audit_denied(e, peer);
		status = PROV_ST_DENIED;
	} else {
		prov_reader_init(&req, body, hdr->body_len);
		status = e->fn(&ctx, &req, w);
		if (status == DISPATCH_DEFERRED)
			return status; /* answered later with server_reply() */
		/* A handler that left bytes unread answered a request it did
		 * not fully understand. */
		if (status == PROV_ST_OK && prov_reader_end(&req) < 0)
			status = PROV_ST_BAD_REQUEST;
	}
	if (status != PROV_ST_OK)
		prov_writer_begin(w); /* non-OK replies carry no body */
	/* Only a group reply may pass PROV_MAX_BODY: clients refuse the rest. */
	if (w->len - PROV_HEADER_SIZE > prov_reply_body_max(hdr->type))
		w->err = -EMSGSIZE;
	if (prov_writer_finish(w, hdr->type, (uint32_t)status) < 0) {
		status = PROV_ST_INTERNAL;
		prov_writer_begin(w);
		prov_writer_finish(w, hdr->type, (uint32_t)status);
	}
	return status;
}

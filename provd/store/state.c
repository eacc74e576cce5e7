/* SPDX-License-Identifier: MIT */
#include "store/state.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "store/cache.h"
#include "base/log.h"
#include "store/removed.h"
#include "admit/snapshot.h"
#include "source/source.h"
#include "store/syncstate.h"

#define ERR_MAX 512

int state_init(struct prov_state *st, const char *config_path, bool config_optional, struct prov_config *cfg)
{
	memset(st, 0, sizeof(*st));
	st->config_path = strdup(config_path);
	if (!st->config_path)
		return -ENOMEM;
	st->config_optional = config_optional;
	st->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	st->started_at = (int64_t)time(NULL);
	snprintf(st->cache_state, sizeof(st->cache_state), "none");
	return 0;
}

void state_free(struct prov_state *st)
{
	/* A worker still reading (provd stopping in the middle of a pull)
	 * keeps what it pinned: the process exits right after this. */
	if (!st->pinned || st->pinned != st->dir) {
		directory_free(st->dir);
		free(st->doc);
	}
	if (!st->pinned || st->pinned != st->retired_dir) {
		directory_free(st->retired_dir);
		free(st->retired_doc);
	}
	free(st->config_path);
	config_free(&st->cfg);
	memset(st, 0, sizeof(*st));
}

int state_set_error(struct prov_state *st, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->last_error, sizeof(st->last_error), fmt, ap);
	va_end(ap);
	st->last_error_at = (int64_t)time(NULL);
	return r;
}

/* As login_freshness() (login_handlers.c) sees it: a source configured
 * but never confirmed counts as confirmed at the epoch (fails closed). */
static int64_t confirmed_at(const struct prov_state *st)
{
	return st->last_ok > 0 ? st->last_ok : 1;
}

bool state_is_stale(const struct prov_state *st, int64_t now)
{
	if (!st->dir)
		return false;
	if (st->dir->not_after > 0 && now >= st->dir->not_after)
		return true;
	return st->cfg.urls.n > 0 && st->cfg.offline_grace_s > 0 &&
	       now - confirmed_at(st) >= (int64_t)st->cfg.offline_grace_s;
}

void state_stale_reason(const struct prov_state *st, int64_t now, char *buf, size_t bufsz)
{
	if (!state_is_stale(st, now))
		snprintf(buf, bufsz, "%s", "");
	else if (st->dir->not_after > 0 && now >= st->dir->not_after)
		snprintf(buf, bufsz, "the directory's not_after has passed");
	else
		snprintf(buf, bufsz, "not confirmed by its source for %lld s (offline_grace %u s)",
			 (long long)(now - confirmed_at(st)), st->cfg.offline_grace_s);
}

static const char *kind_name(enum dir_entry_kind k)
{
	switch (k) {
	case DIR_KIND_USER:
		return "user";
	case DIR_KIND_GROUP:
		return "group";
	case DIR_KIND_BINDING:
		return "binding";
	}
	return "entry";
}

/* Each record of admission is audited once per snapshot built (DESIGN inv.
 * 1, 10), under the event of its outcome: entry_refused and entry_conflict
 * (not served), entry_corrected (served with the fix the reason names). */
static void log_refusals(const struct directory *d, const char *origin)
{
	size_t i;

	for (i = 0; i < d->n_refused; i++) {
		const struct dir_refusal *f = &d->refused[i];
		const char *outcome = dir_outcome_name(f->outcome);
		char event[32];

		snprintf(event, sizeof(event), "entry_%s", outcome);
		log_event(f->outcome == DIR_CORRECTED ? LOG_NOTICE : LOG_WARNING, event,
			  LOG_FIELDS({ "PROV_KIND", kind_name(f->kind) }, { "PROV_NAME", f->name },
				     { "PROV_OUTCOME", outcome }, { "PROV_REASON", f->reason },
				     { "PROV_ORIGIN", origin }),
			  "%s %s %s: %s", f->outcome == DIR_CORRECTED ? "corrected" : f->outcome == DIR_CONFLICT
											 ? "conflict, not serving"
											 : "refused",
			  kind_name(f->kind), f->name ? f->name : "?", f->reason ? f->reason : "?");
	}
}

void state_outcome_counts(const struct directory *d, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "%zu refused, %zu corrected, %zu conflict", directory_count_outcome(d, DIR_REFUSED),
		 directory_count_outcome(d, DIR_CORRECTED), directory_count_outcome(d, DIR_CONFLICT));
}

static void persist(struct prov_state *st)
{
	char err[ERR_MAX];
	int r;

	r = cache_write(st->cfg.state_dir, st->doc, st->doc_len, st->dir->serial, err, sizeof(err));
	if (r < 0) {
		snprintf(st->cache_state, sizeof(st->cache_state), "write failed: %s", err);
		log_event(LOG_ERR, "cache_write_failed", LOG_FIELDS({ "PROV_REASON", err }), "cache not written: %s",
			  err);
		state_set_error(st, r, "cache not written: %s", err);
		return;
	}
	st->cache_in_sync = true;
	snprintf(st->cache_state, sizeof(st->cache_state), "written (serial %llu)",
		 (unsigned long long)st->dir->serial);
}

/* A new snapshot is served: tell the login path (state.h on_change). */
static void changed(struct prov_state *st)
{
	/* on_change publishes itself, at its right moment (state.h). */
	if (st->on_change)
		st->on_change(st, st->on_change_data);
	else
		state_publish(st);
}

void state_publish(struct prov_state *st)
{
	if (st->on_publish)
		st->on_publish(st, st->on_publish_data);
}

/* The served snapshot is going: freed, or retired while a worker reads it. */
static void release_served(struct prov_state *st)
{
	st->generation++; /* what was derived from it is out of date (derived.h) */
	if (st->pinned && st->pinned == st->dir) {
		st->retired_dir = st->dir;
		st->retired_doc = st->doc;
	} else {
		directory_free(st->dir);
		free(st->doc);
	}
	st->dir = NULL;
	st->doc = NULL;
	st->doc_len = 0;
}

void state_pin(struct prov_state *st)
{
	st->pinned = st->dir;
}

void state_unpin(struct prov_state *st)
{
	st->pinned = NULL;
	directory_free(st->retired_dir);
	free(st->retired_doc);
	st->retired_dir = NULL;
	st->retired_doc = NULL;
}

/* Swaps nd in (taking it and a copy of doc); the old snapshot is released. */
static int install(struct prov_state *st, struct directory *nd, const char *doc, size_t len, const char *origin)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, doc, len);
	copy[len] = '\0';
	release_served(st);
	st->dir = nd;
	st->doc = copy;
	st->doc_len = len;
	st->loaded_at = (int64_t)time(NULL);
	snprintf(st->origin, sizeof(st->origin), "%s", origin);
	return 0;
}

int state_prior_of(const struct prov_state *st, struct prior_entry **ret, size_t *ret_n)
{
	struct prior_entry *v = NULL;
	size_t n = 0;
	int r = removed_prior(st->removed, &st->cfg, (int64_t)time(NULL), &v, &n);

	if (r < 0) {
		prior_entries_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int state_apply_document(struct prov_state *st, const char *doc, size_t len, const char *origin, unsigned flags,
			 char *err, size_t errsz)
{
	bool same_bytes = st->doc && len == st->doc_len && memcmp(doc, st->doc, len) == 0;
	struct directory *nd = NULL;
	struct prior_entry *known = NULL;
	size_t n_known = 0;
	char serial_s[32], counts[96];
	int r;

	if (same_bytes && !(flags & APPLY_REBUILD))
		return 1;
	r = state_prior_of(st, &known, &n_known);
	if (r == 0) {
		struct snapshot_prior prior = { st->dir, known, n_known };

		r = snapshot_build_prior(&st->cfg, &prior, doc, len, &nd, err, errsz);
	} else {
		snprintf(err, errsz, "out of memory");
	}
	prior_entries_free(known, n_known);
	if (r < 0)
		return r;
	if (st->dir && nd->serial < st->dir->serial) {
		snprintf(err, errsz, "serial %llu is older than the served %llu (replayed or rolled back?)",
			 (unsigned long long)nd->serial, (unsigned long long)st->dir->serial);
		directory_free(nd);
		return -ESTALE;
	}
	if (st->dir && !same_bytes && nd->serial == st->dir->serial && nd->serial != 0)
		log_event(LOG_WARNING, "serial_not_bumped", LOG_FIELDS({ "PROV_ORIGIN", origin }),
			  "%s changed without a new serial (%llu): applied, but publishers should bump it", origin,
			  (unsigned long long)nd->serial);
	log_refusals(nd, origin);
	r = install(st, nd, doc, len, origin);
	if (r < 0) {
		directory_free(nd);
		snprintf(err, errsz, "out of memory");
		return r;
	}
	if (!same_bytes)
		st->cache_in_sync = (flags & APPLY_NO_CACHE) != 0;
	snprintf(serial_s, sizeof(serial_s), "%llu", (unsigned long long)nd->serial);
	state_outcome_counts(nd, counts, sizeof(counts));
	log_event(LOG_NOTICE, "directory_loaded", LOG_FIELDS({ "PROV_ORIGIN", origin }, { "PROV_SERIAL", serial_s }),
		  "directory from %s: serial %s, %zu users, %zu groups, %zu bindings, %s", origin, serial_s,
		  nd->n_users, nd->n_groups, nd->n_bindings, counts);
	if (!st->cache_in_sync)
		persist(st);
	changed(st);
	return 0;
}

void state_install(struct prov_state *st, struct directory *nd, char *doc, size_t len, const char *origin,
		   bool cache_written)
{
	char serial_s[32], counts[96];

	log_refusals(nd, origin);
	release_served(st);
	st->dir = nd;
	st->doc = doc;
	st->doc_len = len;
	st->loaded_at = (int64_t)time(NULL);
	snprintf(st->origin, sizeof(st->origin), "%s", origin);
	snprintf(serial_s, sizeof(serial_s), "%llu", (unsigned long long)nd->serial);
	state_outcome_counts(nd, counts, sizeof(counts));
	log_event(LOG_NOTICE, "directory_loaded", LOG_FIELDS({ "PROV_ORIGIN", origin }, { "PROV_SERIAL", serial_s }),
		  "directory from %s: serial %s, %zu users, %zu groups, %zu bindings, %s", origin, serial_s,
		  nd->n_users, nd->n_groups, nd->n_bindings, counts);
	st->cache_in_sync = cache_written;
	if (cache_written)
		snprintf(st->cache_state, sizeof(st->cache_state), "written (serial %s)", serial_s);
	else
		persist(st);
	changed(st);
}

/* When the source last confirmed the cached directory: the cache's
 * saved_at is its last change; sync.state (syncstate.h) remembers the
 * pulls since that found it unchanged (a 304 rewrites no cache). */
static int64_t cache_confirmed_at(const struct prov_state *st, const struct cache_info *info)
{
	struct syncstate ss;
	int64_t t = info->saved_at;
	char err[256];

	if (syncstate_read(st->cfg.state_dir, &ss, err, sizeof(err)) == 0) {
		if (ss.last_ok > t && ss.last_ok <= (int64_t)time(NULL))
			t = ss.last_ok;
		syncstate_free(&ss);
	}
	return t;
}

static bool is_demo_document(const char *doc, size_t len)
{
	size_t dlen;
	const char *demo = demo_document(&dlen);

	return len == dlen && memcmp(doc, demo, len) == 0;
}

static void load_cache(struct prov_state *st)
{
	char err[ERR_MAX], berr[ERR_MAX], when[32];
	struct cache_info info;
	int64_t prev_ok;
	char *doc = NULL;
	size_t len = 0;
	struct tm tm;
	time_t t;
	int r;

	r = cache_read(st->cfg.state_dir, &doc, &len, &info, err, sizeof(err));
	if (r == -ENOENT) {
		snprintf(st->cache_state, sizeof(st->cache_state), "none");
		log_msg(LOG_INFO, "no cache in %s yet", st->cfg.state_dir);
		return;
	}
	if (r < 0) {
		snprintf(st->cache_state, sizeof(st->cache_state), "refused: %s", err);
		log_event(LOG_ERR, "cache_refused", LOG_FIELDS({ "PROV_REASON", err }), "cache %s/%s refused: %s",
			  st->cfg.state_dir, CACHE_FILE_NAME, err);
		state_set_error(st, r, "cache refused: %s", err);
		return;
	}
	if (is_demo_document(doc, len)) {
		/* Written by a provd that served the demo when no url was
		 * set: it must neither be served nor be a serial floor. */
		free(doc);
		snprintf(st->cache_state, sizeof(st->cache_state), "ignored: it holds the embedded demo directory");
		log_event(LOG_WARNING, "cache_refused", LOG_FIELDS({ "PROV_REASON", "holds the embedded demo" }),
			  "cache %s/%s holds the embedded demo directory (an older provd wrote it): ignored",
			  st->cfg.state_dir, CACHE_FILE_NAME);
		return;
	}
	/* Its age is known before it is served: the on_change hook judges
	 * freshness (sessions.c) while the cache goes in. */
	prev_ok = st->last_ok;
	st->last_ok = cache_confirmed_at(st, &info);
	r = state_apply_document(st, doc, len, "cache", APPLY_NO_CACHE, berr, sizeof(berr));
	free(doc);
	if (r < 0) {
		st->last_ok = prev_ok;
		snprintf(st->cache_state, sizeof(st->cache_state), "refused: %s", berr);
		log_event(LOG_ERR, "cache_refused", LOG_FIELDS({ "PROV_REASON", berr }), "cache %s/%s refused: %s",
			  st->cfg.state_dir, CACHE_FILE_NAME, berr);
		state_set_error(st, r, "cache refused: %s", berr);
		return;
	}
	st->cache_in_sync = true;
	st->last_ok = cache_confirmed_at(st, &info);
	t = (time_t)info.saved_at;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(st->cache_state, sizeof(st->cache_state), "loaded (serial %llu, saved %s)",
		 (unsigned long long)info.serial, when);
}

bool state_source_is_local(const struct prov_config *cfg)
{
	/* Only the embedded demo: file:// documents are pulled by the sync
	 * worker like any other source, so they get every guard (serial
	 * reuse, mass deprovisioning; issue 9 section 7). */
	return source_is_demo(cfg);
}

int state_load_source(struct prov_state *st, unsigned flags)
{
	char err[ERR_MAX], origin[STATE_TEXT_MAX];
	char *doc = NULL;
	size_t len = 0;
	int r;

	if (!source_is_configured(&st->cfg))
		return STATE_SOURCE_NONE;
	if (!state_source_is_local(&st->cfg))
		return STATE_SOURCE_ASYNC;
	/* The demo is served, never cached: it must not become a floor
	 * (serial) a real directory is compared with. */
	flags |= APPLY_NO_CACHE;

	r = source_fetch(&st->cfg, &doc, &len, origin, sizeof(origin), err, sizeof(err));
	if (r < 0) {
		log_event(LOG_ERR, "source_failed", LOG_FIELDS({ "PROV_REASON", err }), "directory source: %s", err);
		return state_set_error(st, r, "source: %s", err);
	}
	r = state_apply_document(st, doc, len, origin, flags, err, sizeof(err));
	free(doc);
	if (r == -ESTALE) {
		log_event(LOG_ERR, "replay_refused", LOG_FIELDS({ "PROV_ORIGIN", origin }, { "PROV_REASON", err }),
			  "document from %s refused, keeping the served one: %s", origin, err);
		return state_set_error(st, r, "%s refused: %s", origin, err);
	}
	if (r < 0) {
		log_event(LOG_ERR, "document_refused", LOG_FIELDS({ "PROV_ORIGIN", origin }, { "PROV_REASON", err }),
			  "document from %s refused, keeping the served one: %s", origin, err);
		return state_set_error(st, r, "%s refused: %s", origin, err);
	}
	if (r == 1)
		log_msg(LOG_INFO, "directory from %s unchanged", origin);
	/* Confirmed current just now (the demo is, by definition). */
	st->last_ok = (int64_t)time(NULL);
	snprintf(st->cache_state, sizeof(st->cache_state), "not used (embedded demo)");
	if (st->on_refresh) /* as sync.c's record_success() */
		st->on_refresh(st->mappub, (int64_t)time(NULL));
	/* A good load clears an earlier error: status shows the present. */
	st->last_error[0] = '\0';
	st->last_error_at = 0;
	return 0;
}

void state_load_initial(struct prov_state *st)
{
	if (!source_is_configured(&st->cfg)) {
		/* Nothing is served and no cache trusted: a cache is only as
		 * good as the source it came from, and none is named. */
		snprintf(st->cache_state, sizeof(st->cache_state), "not used (no source configured)");
		log_event(LOG_WARNING, "unconfigured", NULL,
			  "no directory source configured: serving no prov users; set [directory] url in %s "
			  "(url = demo: serves the embedded demo)",
			  st->config_path);
		return;
	}
	if (!state_source_is_local(&st->cfg))
		load_cache(st);
	if (state_load_source(st, 0) == STATE_SOURCE_ASYNC && !st->dir)
		log_msg(LOG_NOTICE, "no cache yet: prov users resolve once the first pull from %s succeeds",
			st->cfg.urls.v[0]);
	else if (!st->dir)
		log_event(LOG_CRIT, "no_directory", LOG_FIELDS({ "PROV_REASON", st->last_error }),
			  "no directory could be loaded: prov users do not resolve until one is (%s)",
			  st->last_error[0] ? st->last_error : "no reason recorded");
}

/* Keys whose change needs a restart: the sockets are already bound. */
static void warn_restart_keys(const struct prov_config *old, const struct prov_config *nc)
{
	if (strcmp(old->runtime_dir, nc->runtime_dir) != 0)
		log_msg(LOG_WARNING, "runtime_dir changed to %s: takes effect at the next restart", nc->runtime_dir);
}

int state_reload(struct prov_state *st)
{
	struct prov_config nc, old;
	char err[ERR_MAX];
	int r;

	r = config_load(st->config_path, &nc, err, sizeof(err));
	if (r == -ENOENT && st->config_optional)
		r = config_defaults(&nc);
	if (r < 0) {
		log_event(LOG_ERR, "config_refused", LOG_FIELDS({ "PROV_REASON", err }),
			  "reload: config not changed, the new one is invalid: %s", err);
		return state_set_error(st, r, "reload refused: %s", err);
	}
	warn_restart_keys(&st->cfg, &nc);
	/* Swap, keeping the runtime_dir in use: the sockets are bound there. */
	old = st->cfg;
	st->cfg = nc;
	free(st->cfg.runtime_dir);
	st->cfg.runtime_dir = old.runtime_dir;
	old.runtime_dir = NULL;
	config_free(&old);
	st->generation++;
	log_msg(LOG_NOTICE, "reloaded config %s", st->config_path);
	/* The new config may admit differently (min_id, home_base, the local
	 * files...), so the directory is always rebuilt with it. */
	r = state_load_source(st, APPLY_REBUILD);
	if (r == STATE_SOURCE_NONE && st->dir) {
		/* Serves nobody now; running sessions are left alone (a
		 * config slip must not end everyone's work). */
		log_event(LOG_WARNING, "unconfigured", NULL,
			  "reload: no directory source configured any more: prov users no longer resolve");
		release_served(st);
		snprintf(st->origin, sizeof(st->origin), "-");
		snprintf(st->cache_state, sizeof(st->cache_state), "not used (no source configured)");
		st->last_ok = 0;
	}
	if (r == STATE_SOURCE_ASYNC && st->dir && strcmp(st->origin, "embedded demo") == 0) {
		/* From the demo to a real source: the demo is no floor and no
		 * base to compare the first pull with; serve nobody until it. */
		log_msg(LOG_NOTICE, "reload: the embedded demo is no longer served");
		release_served(st);
		snprintf(st->origin, sizeof(st->origin), "-");
		st->last_ok = 0;
	}
	if ((r < 0 || r == STATE_SOURCE_ASYNC) && st->doc) {
		/* The source failed, or the sync pulls it later (the reload
		 * hook starts it): re-admit what we serve under the new rules. */
		char origin[STATE_TEXT_MAX];

		snprintf(origin, sizeof(origin), "%s", st->origin);
		if (state_apply_document(st, st->doc, st->doc_len, origin, APPLY_REBUILD | APPLY_NO_CACHE, err,
					 sizeof(err)) < 0)
			log_msg(LOG_ERR, "re-admitting the served directory failed: %s", err);
	}
	state_notify(st);
	return r < 0 ? r : 0;
}

void state_summary(const struct prov_state *st, char *buf, size_t bufsz)
{
	if (!st->dir) {
		snprintf(buf, bufsz, "no directory loaded%s%s", st->last_error[0] ? ": " : "",
			 st->health.pulls ? st->health.last_result : st->last_error);
		return;
	}
	/* The last pull says more than the last error once there is one. */
	if (st->health.pulls)
		snprintf(buf, bufsz, "serving %zu users, %zu groups (serial %llu from %s); last sync: %s",
			 st->dir->n_users, st->dir->n_groups, (unsigned long long)st->dir->serial, st->origin,
			 st->health.last_result);
	else
		snprintf(buf, bufsz, "serving %zu users, %zu groups (serial %llu from %s)%s%s", st->dir->n_users,
			 st->dir->n_groups, (unsigned long long)st->dir->serial, st->origin,
			 st->last_error[0] ? "; last error: " : "", st->last_error);
}

void state_notify(struct prov_state *st)
{
	char line[STATE_TEXT_MAX * 2], msg[STATE_TEXT_MAX * 2 + 32];

	state_summary(st, line, sizeof(line));
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", st->ready_sent ? "" : "READY=1\n", line);
	sd_notify(0, msg);
	st->ready_sent = true;
}

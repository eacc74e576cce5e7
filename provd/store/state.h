/* SPDX-License-Identifier: MIT */
/*
 * Stage store (provd/store/, in the order of provd/stages.txt) takes
 * snapshots ready to serve. Gives the served state (this header), the
 * on-disk cache (cache.h), what the sync remembers (syncstate.h), the
 * users removed within retention (removed.h).
 *
 * The daemon's state: the running config, the snapshot being served, where
 * it came from, the cache's health and the counters `provctl status` shows.
 *
 * All of it lives in provd's one event-loop thread. A new snapshot is built
 * completely before the pointer is swapped, so a request never sees half of
 * one (it runs between two swaps). Code that fetches in another thread must
 * hand its bytes to the loop (e.g. an eventfd watched with server_watch())
 * and call state_apply_document() from there.
 */
#ifndef PROV_STATE_H
#define PROV_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "model/directory.h"

#define STATE_TEXT_MAX 640

struct prov_stats {
	uint64_t requests;         /* frames answered */
	uint64_t denied;           /* privileged requests refused */
	uint64_t bad_frames;       /* connections dropped for a malformed frame */
	uint64_t timeouts;         /* connections dropped for being too slow */
	uint64_t clients_rejected; /* accepted and closed at once: max_clients */
	uint64_t over_budget;      /* dropped: the pinned-memory budget (server.h) */
	unsigned clients;          /* connections open now */
};

struct sync; /* sync.h */

/* How the pulls from the central directory go (sync.c writes it, status
 * and sd_notify read it). All unix seconds; 0 = never / not scheduled. */
struct prov_sync_health {
	bool enabled;             /* a source to pull (not the embedded demo) */
	bool running;             /* a pull is in progress */
	int64_t last_attempt;     /* when the last pull ended */
	int64_t failing_since;    /* first failure of the current run of failures */
	unsigned failures;        /* consecutive failed or rejected pulls */
	int64_t next_try;         /* when the next pull is due */
	bool auth_failed;         /* the source refused the token (401/403) */
	unsigned pulls;           /* pulls done since start */
	char last_result[STATE_TEXT_MAX]; /* "applied: ...", "unchanged", "rejected: ...", "failed: ..." */
	char last_source[STATE_TEXT_MAX]; /* the URL the last pull used (or tried last) */
	char last_change[STATE_TEXT_MAX]; /* the diff summary of the last applied pull */
	int64_t last_change_at;
};

struct prov_state {
	struct prov_config cfg;
	char *config_path;     /* the file cfg came from */
	bool config_optional;  /* the default path: a missing file means defaults */

	struct directory *dir; /* served snapshot; NULL = none (lookups: UNAVAILABLE) */
	uint64_t generation;   /* bumped at every swap of dir or cfg (derived.h) */
	char *doc;             /* the exact bytes dir was built from */
	size_t doc_len;
	char origin[STATE_TEXT_MAX];      /* "cache", "file:///srv/dir.json", "embedded demo" */
	int64_t loaded_at;                /* unix seconds dir was built */
	/* Unix seconds the served directory was last confirmed current by its
	 * source (a successful read or pull, "unchanged" and a 304 included);
	 * at start-up from the cache's saved_at, or the later last_ok that
	 * <state_dir>/sync.state remembers (syncstate.h); 0 = not tracked (the
	 * embedded demo: never stale by age). For offline_grace (DESIGN inv. 5). */
	int64_t last_ok;
	bool cache_in_sync;               /* the cache file holds doc */
	char cache_state[STATE_TEXT_MAX]; /* one line for status */
	char last_error[STATE_TEXT_MAX];  /* "" = none */
	int64_t last_error_at;
	int64_t started_at;
	bool ready_sent;

	struct sync *sync;            /* the pull driver; NULL when there is none */
	struct prov_sync_health health;
	/* A sync worker reads the served snapshot while the loop goes on: a
	 * swap meanwhile retires the pinned one instead of freeing it (see
	 * state_pin()). */
	const struct directory *pinned;
	struct directory *retired_dir;
	char *retired_doc;

	struct prov_stats stats;

	/* Called in the loop thread after every swap of the served snapshot
	 * (state_apply_document() applied something, a reload included):
	 * the login path ends the sessions of users who lost access and
	 * invalidates nscd (sessions.h). NULL = nothing to do. */
	void (*on_change)(struct prov_state *st, void *userdata);
	void *on_change_data;
	/* Users removed from the directory, still served for
	 * deprovisioned_retention (removed.h; owned by sessions.c). NULL =
	 * none. */
	struct removed_users *removed;
	/* Publishes the lookup snapshot (mappublish.h), whose status STATUS
	 * reports; NULL = none. Called through state_publish(): by on_change
	 * when there is one (after the removed users are brought up to date,
	 * before nscd is told to forget: a lookup in between must find the
	 * new snapshot), else right after the swap. */
	void (*on_publish)(struct prov_state *st, void *userdata);
	void *on_publish_data;
	struct mappub *mappub;
	/* Brings the lookup snapshot up to date when the source confirmed
	 * the served one (mappub_refresh(), installed by mappub_new()): the
	 * store comes before the stage that publishes it (provd/stages.txt),
	 * so it calls it through here. NULL = none. */
	void (*on_refresh)(struct mappub *m, int64_t now);
};

/* What admission must know about the past (prior.h) besides st->dir: the
 * id ledger's held entries and the retained removed users, as copies
 * (prior_entries_free()) a sync worker may keep. 0 or -ENOMEM. */
struct prior_entry;
int state_prior_of(const struct prov_state *st, struct prior_entry **ret, size_t *ret_n);

/* "2 refused, 1 corrected, 0 conflict": d's admission outcomes. */
void state_outcome_counts(const struct directory *d, char *buf, size_t bufsz);

/* Flags of state_apply_document(). */
#define APPLY_REBUILD 0x1u /* rebuild even if the bytes are unchanged (config changed) */
#define APPLY_NO_CACHE 0x2u /* do not write the cache (the bytes came from it) */

/* Takes ownership of cfg (moved in; the caller's copy must not be freed). */
int state_init(struct prov_state *st, const char *config_path, bool config_optional, struct prov_config *cfg);
void state_free(struct prov_state *st);

/*
 * Builds a snapshot from doc with the running config and, if it is
 * acceptable, serves it and persists it to the cache. Returns 1 when the
 * bytes are those already served (nothing done), 0 when applied, or:
 *   -ESTALE   its serial is lower than the one served: a replayed or
 *             rolled-back document never brings a removed user back
 *             (DESIGN §2). The served snapshot stays.
 *   -EBADMSG  malformed document (err says why); the served snapshot stays.
 * Every refused entry and the outcome are logged here, once.
 */
int state_apply_document(struct prov_state *st, const char *doc, size_t len, const char *origin, unsigned flags,
			 char *err, size_t errsz);

/* Start-up: the cache first (answers at once and sets the replay floor),
 * then the configured source. Never fails: what went wrong is logged and
 * kept in last_error / cache_state. */
void state_load_initial(struct prov_state *st);

/* Reads the configured source again and applies it: file:// and the
 * embedded demo. Network sources (http(s)://, scim) are pulled by the sync
 * worker (sync.h): for them it does nothing and returns STATE_SOURCE_ASYNC. */
#define STATE_SOURCE_ASYNC 2
/* ... and STATE_SOURCE_NONE when the config names no source at all. */
#define STATE_SOURCE_NONE 3
int state_load_source(struct prov_state *st, unsigned flags);

/* true when the configured source is read in the loop: only the embedded
 * demo (url = demo:); file:// is pulled by the sync worker. */
bool state_source_is_local(const struct prov_config *cfg);

/*
 * Serves nd, built and checked by a sync worker: takes nd and doc (its
 * exact bytes, malloc'ed) over, logs its refusals and the load. With
 * cache_written the worker already persisted doc; otherwise it is written
 * here. The snapshot served before is freed, or retired if pinned.
 */
void state_install(struct prov_state *st, struct directory *nd, char *doc, size_t len, const char *origin,
		   bool cache_written);

/* Pins the served snapshot and its bytes for a worker thread to read:
 * until state_unpin(), a swap retires them instead of freeing them. At
 * most one pin at a time. */
void state_pin(struct prov_state *st);
void state_unpin(struct prov_state *st);

/* SIGHUP: parse the config file again; if it is invalid keep the running
 * one and say why; otherwise swap it and rebuild the directory with it. */
int state_reload(struct prov_state *st);

/* Runs the on_publish hook, if any. */
void state_publish(struct prov_state *st);

/* Records an error for status (and returns r for convenience). */
int state_set_error(struct prov_state *st, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* true when the served directory is stale: past its own not_after, or
 * not confirmed by its source for offline_grace (DESIGN invariant 5; the
 * embedded demo is never stale by age). */
bool state_is_stale(const struct prov_state *st, int64_t now);
/* Why, in one line ("" when it is not). */
void state_stale_reason(const struct prov_state *st, int64_t now, char *buf, size_t bufsz);

/* Tells systemd (if it is listening) READY=1 the first time, and STATUS=. */
void state_notify(struct prov_state *st);

/* One line for sd_notify STATUS= and the start-up log. */
void state_summary(const struct prov_state *st, char *buf, size_t bufsz);

#endif

/* SPDX-License-Identifier: MIT */
/*
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
#include "directory.h"

#define STATE_TEXT_MAX 640

struct prov_stats {
	uint64_t requests;         /* frames answered */
	uint64_t denied;           /* privileged requests refused */
	uint64_t bad_frames;       /* connections dropped for a malformed frame */
	uint64_t timeouts;         /* connections dropped for being too slow */
	uint64_t clients_rejected; /* accepted and closed at once: max_clients */
	unsigned clients;          /* connections open now */
};

struct prov_state {
	struct prov_config cfg;
	char *config_path;     /* the file cfg came from */
	bool config_optional;  /* the default path: a missing file means defaults */

	struct directory *dir; /* served snapshot; NULL = none (lookups: UNAVAILABLE) */
	char *doc;             /* the exact bytes dir was built from */
	size_t doc_len;
	char origin[STATE_TEXT_MAX];      /* "cache", "file:///srv/dir.json", "embedded demo" */
	int64_t loaded_at;                /* unix seconds dir was built */
	/* Unix seconds the served directory was last confirmed current by its
	 * source (a successful read or pull, "unchanged" included); from the
	 * cache's saved_at when it comes from the cache; 0 = not tracked (the
	 * embedded demo: never stale by age). For offline_grace (DESIGN inv. 5). */
	int64_t last_ok;
	bool cache_in_sync;               /* the cache file holds doc */
	char cache_state[STATE_TEXT_MAX]; /* one line for status */
	char last_error[STATE_TEXT_MAX];  /* "" = none */
	int64_t last_error_at;
	int64_t started_at;
	bool ready_sent;

	struct prov_stats stats;
};

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

/* Reads the configured source again and applies it (file:// and the
 * embedded demo; network sources come with the sync code). */
int state_load_source(struct prov_state *st, unsigned flags);

/* SIGHUP: parse the config file again; if it is invalid keep the running
 * one and say why; otherwise swap it and rebuild the directory with it. */
int state_reload(struct prov_state *st);

/* Records an error for status (and returns r for convenience). */
int state_set_error(struct prov_state *st, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* true when the served document is past its own not_after. */
bool state_is_stale(const struct prov_state *st, int64_t now);

/* Tells systemd (if it is listening) READY=1 the first time, and STATUS=. */
void state_notify(struct prov_state *st);

/* One line for sd_notify STATUS= and the start-up log. */
void state_summary(const struct prov_state *st, char *buf, size_t bufsz);

#endif

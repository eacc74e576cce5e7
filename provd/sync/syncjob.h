/* SPDX-License-Identifier: MIT */
/*
 * One pull from the central directory, start to finish, as a sync worker
 * thread runs it: fetch (with failover over the configured URLs), parse,
 * admit, compare with the served snapshot (syncplan.h) and, when it is to
 * be applied, persist the new cache - everything but the swap, which only
 * the loop thread does (sync.h).
 *
 *   document: GET (If-None-Match / If-Modified-Since when the validators
 *             are those of the served document) -> 304: unchanged;
 *             200 -> the same bytes: unchanged; else docparse ->
 *             admit -> plan (serial checked) -> cache = the exact bytes.
 *   scim:     scim_pull (every page, all or nothing, ids kept from the
 *             served snapshot) -> admit -> plan (no serial: the new
 *             snapshot gets the served serial + 1) -> cache = docwrite of
 *             the admitted snapshot.
 *
 * Nothing here logs and nothing touches the daemon's state: the job reads
 * its inputs (a private config copy and the pinned served snapshot) and
 * fills its output, which the loop thread logs and applies. Never a token
 * in any output.
 */
#ifndef PROV_SYNCJOB_H
#define PROV_SYNCJOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "model/directory.h"
#include "source/fetch.h"
#include "admit/prior.h"
#include "source/scimpull.h"
#include "sync/syncplan.h"
#include "store/syncstate.h"

#define SYNCJOB_REASON_MAX 640

enum syncjob_result {
	SYNCJOB_APPLY,     /* a new snapshot to serve: dir, doc */
	SYNCJOB_UNCHANGED, /* the source confirmed the served directory */
	SYNCJOB_REJECTED,  /* an answer came, and it was refused whole */
	SYNCJOB_FAILED,    /* no usable answer (network, HTTP, TLS, token) */
};

struct syncjob_in {
	struct prov_config cfg;         /* owned: config_dup() of the running one */
	const struct directory *old;    /* the served snapshot (pinned); NULL = none */
	const char *old_doc;            /* its exact bytes (pinned) */
	size_t old_len;
	struct syncstate val;           /* owned: validators of old_doc, if any */
	bool verify_val;                /* check val's length and CRC against old_doc first */
	bool force;                     /* provctl refresh --force */
	bool new_source;                /* old came from another source: its serial is not compared */
	int64_t now;
	struct scim_page_mark *marks;   /* owned: the SCIM pages old came from (scimpull.h) */
	size_t n_marks;
	struct prior_entry *known;      /* owned: state_prior_of(), for admission */
	size_t n_known;
};

struct syncjob_out {
	enum syncjob_result result;
	int error;                      /* -errno of a failure, 0 otherwise */
	char reason[SYNCJOB_REASON_MAX]; /* one line for REJECTED / FAILED; a note otherwise */
	char url[1024];                 /* the URL that answered (or the last one tried) */
	bool not_modified;              /* the answer was a 304 */
	bool transient;                 /* worth a retry soon (backoff) */
	bool auth;                      /* the source refused the token: an operator must act */
	unsigned retry_after_s;         /* the server's Retry-After */

	struct directory *dir;          /* APPLY: the new snapshot (admitted, indexed) */
	char *doc;                      /* APPLY: its document bytes */
	size_t doc_len;
	bool cache_written;             /* APPLY: doc is already the on-disk cache */
	char cache_error[SYNCJOB_REASON_MAX]; /* APPLY: why it is not, "" otherwise */
	struct syncplan plan;           /* APPLY and plan rejections: what changes */
	bool have_plan;
	bool refusals_only;             /* APPLY: nothing served changes, only what is refused */

	struct syncstate val;           /* the validators to keep for the served document */
	bool val_changed;               /* val replaces the loop's copy */
	bool val_dropped;               /* the loop's validators do not match the served bytes */

	struct scim_page_mark *marks;   /* SCIM, APPLY and UNCHANGED: this pull's pages */
	size_t n_marks;

	unsigned requests;
	size_t bytes;
	uint64_t duration_ms;
};

/* Fills out (always; release it with syncjob_out_free()). */
void syncjob_run(const struct syncjob_in *in, struct syncjob_out *out);

/* Frees what out still owns (dir and doc unless taken: set them NULL). */
void syncjob_out_free(struct syncjob_out *out);
void syncjob_in_free(struct syncjob_in *in);

const char *syncjob_result_name(enum syncjob_result r);

/* The [scim] section of a config as the SCIM pager takes it: one mapping
 * for provd's pulls and prov-publish's alike. */
void syncjob_scim_options(const struct prov_config *c, struct scim_options *ret);

#endif

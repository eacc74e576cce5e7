/* SPDX-License-Identifier: MIT */
/*
 * "Would provd load its cache, and what is in it?" for `provctl cache
 * verify` (the root-only CACHE_VERIFY request) and `provd --verify-cache`
 * (offline, provd not running).
 *
 * The check is the start-up load minus the serving: cache_read() (owner,
 * mode, file type, magic, version, lengths, both CRCs), then
 * snapshot_build() with the given config (the document parses and is
 * admitted against this host's local files). Nothing served is touched,
 * nothing is written, nothing is logged: the caller decides what to say.
 *
 * The result is a list of "key: value" pairs, in this order (a pair is
 * left out when it does not apply):
 *
 *   result          valid | missing | refused
 *   reason          why not valid (cache.c's or the parser's one line)
 *   path            <state_dir>/directory.cache
 *   owner_uid       owner of the file    (when it exists)
 *   mode            e.g. 0600            (when it exists)
 *   size            file bytes           (when it exists)
 *   format_version  CACHE_FORMAT_VERSION (read passed)
 *   serial          header serial        (read passed)
 *   saved_at        RFC 3339 UTC         (read passed)
 *   payload_bytes   document bytes       (read passed)
 *   generated, not_after, users, groups, bindings, refused   (admitted)
 *   warning         the header and document serials differ (still loaded)
 *   served_serial   serial provd serves, "-" for none   (online only)
 *   matches_served  yes | no: the cache holds the served bytes (online only)
 */
#ifndef PROV_CACHE_VERIFY_H
#define PROV_CACHE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "model/directory.h"
#include "loop/dispatch.h"

#define CV_PAIRS_MAX 24
#define CV_KEY_MAX 32
#define CV_VALUE_MAX 512

enum cv_result {
	CV_VALID,   /* provd would load it */
	CV_MISSING, /* no cache (yet): not an error for provd */
	CV_REFUSED, /* provd would refuse it at start-up */
};

struct cv_pair {
	char key[CV_KEY_MAX];
	char value[CV_VALUE_MAX];
};

struct cache_verdict {
	enum cv_result result;
	size_t n;
	struct cv_pair pairs[CV_PAIRS_MAX];
};

/* What provd serves now, to compare the cache with; NULL when offline. */
struct cv_served {
	const struct directory *dir; /* NULL: nothing served */
	const char *doc;             /* the bytes dir was built from */
	size_t doc_len;
};

/*
 * Verifies <cfg->state_dir>/directory.cache; fills *ret in every case.
 * Returns 0 when valid, -ENOENT when there is none, another -errno when
 * provd would refuse it (ret says why), -ENOMEM if the check itself could
 * not run (ret->result is then CV_REFUSED with reason "out of memory").
 */
int cache_verify(const struct prov_config *cfg, const struct cv_served *served, struct cache_verdict *ret);

/* provd --verify-cache: verifies and prints the pairs to f, "key:" padded
 * to the longest key. Returns the process exit status: 0 valid, 1 not. */
int cache_verify_print(const struct prov_config *cfg, FILE *f);

/* CACHE_VERIFY (root, private socket): the pairs on the wire. */
extern const struct dispatch_table cache_verify_dispatch_table;

#endif

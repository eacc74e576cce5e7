/* SPDX-License-Identifier: MIT */
/*
 * prov-publish build: from the central directory to a signed document in
 * an output directory, with provd's own code for every step a host takes
 * too (docsig.h for the format):
 *
 *   sources  SCIM 2.0 (scim_pull, the same pager, consistency checks and
 *            derived ids as provd; ids kept from the previous output) and/or
 *            prov documents; role bindings from a bindings file (a prov
 *            document of bindings; any refused entry in it fails the build)
 *   admit    snapshot_admit() with the config's [accounts] rules
 *   guard    syncplan_compute() against the previous output: a pull that
 *            would deprovision more than max_deprovision_share is refused
 *            before anything is written (--force accepts it)
 *   serial   the document is written with the previous serial and times
 *            first: when that is byte for byte the previous output, nothing
 *            is written at all (every host keeps getting a 304); otherwise
 *            serial + 1, generated = now, not_after = now + validity
 *   write    <name>.sig (signatures of the new and the previous document),
 *            then <name>, each atomically (output.h)
 *
 * A document close to its not_after (less than half the validity left) is
 * renewed even when nothing else changed, so hosts never see it expire
 * while the publisher runs.
 */
#ifndef PROV_PUBLISH_BUILD_H
#define PROV_PUBLISH_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/directory.h"

#define BUILD_MAX_KEYS 4

struct build_opts {
	const char *config;         /* provd.conf syntax: [scim], [accounts], [directory]; NULL = defaults */
	const char *scim_url;       /* NULL = no SCIM source */
	const char *token_file;     /* NULL = the config's token_file */
	const char *ca_file;        /* NULL = the config's ca_file */
	struct dir_strv documents;  /* prov documents (local files) */
	struct dir_strv bindings;   /* bindings files */
	const char *out_dir;
	const char *name;           /* NULL = directory.json */
	const char *audience;       /* required */
	const char *keys[BUILD_MAX_KEYS]; /* private key files; the first is required */
	size_t n_keys;
	int64_t validity_s;         /* 0 = no not_after */
	bool force;                 /* past the deprovisioning guard */
	bool gzip;                  /* also write <name>.gz (output.h) */
	int64_t now;
};

struct build_result {
	bool written;       /* false: the output was already this directory */
	uint64_t serial;
	size_t n_users, n_groups, n_bindings, n_refused;
	size_t n_added, n_deprovisioned;
};

/* 0, or a negative errno with a one-line reason (nothing written). */
int build_run(const struct build_opts *o, struct build_result *ret, char *err, size_t errsz);

/* Moves every user, group and binding of src to the end of dst (src is
 * left empty). 0 or -ENOMEM (then dst holds part of them, src the rest). */
int build_merge(struct directory *dst, struct directory *src);

#endif

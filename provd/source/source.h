/* SPDX-License-Identifier: MIT */
/*
 * Stage source (provd/source/, in the order of provd/stages.txt) takes the
 * config's source (URLs, token, trusted keys) and the bytes servers send.
 * Gives document bytes (fetch.h, a file://, the embedded demo), verified
 * against their signatures (docsig.h), and RAW snapshots (docparse.h,
 * scim.h): parsed, not yet admitted.
 *
 * Where the directory document comes from, in this version: a file:// URL
 * read from disk, or the embedded demo document when provd.conf names no
 * URL. Network sources (https://, SCIM) belong to the sync code, which
 * fetches asynchronously and hands its bytes to state_apply_document().
 */
#ifndef PROV_SOURCE_H
#define PROV_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "source/source_read.h"

/* The URL that asks for the embedded demo directory, explicitly: it is
 * served, never cached, and never confirmed by anyone (scripts/demo.sh). */
#define SOURCE_DEMO_URL "demo:"

/* true when the config asks for the embedded demo (url = demo:). */
bool source_is_demo(const struct prov_config *cfg);

/* true when the config names a source at all. Without one provd serves
 * nobody and caches nothing ("unconfigured"). */
bool source_is_configured(const struct prov_config *cfg);

/* true when every URL is a file:// one (read without the network). */
bool source_is_file(const struct prov_config *cfg);

/*
 * Which directory the config points at, as a short printable string
 * ("document:<16 hex>"): a hash (FNV-1a 64) of the source type and the
 * URLs in order, each without its user:password@ and its ?query and
 * #fragment, which may carry secrets and do not name another directory.
 * Kept beside the cache (syncstate.h) so that pointing a host at another
 * directory is recognised. Not a security check: only "same or not".
 * ret needs SOURCE_IDENTITY_MAX bytes; "" when unconfigured.
 */
#define SOURCE_IDENTITY_MAX 40
void source_identity(const struct prov_config *cfg, char *ret, size_t retsz);

/*
 * Reads the document the config names: the first URL that can be read
 * (failover in list order), or a copy of the embedded demo for
 * url = demo:; -ENOENT when the config names no source. *ret_doc is malloc'ed and NUL-terminated; ret_origin says which
 * (the URL, or "embedded demo"). -EOPNOTSUPP for a source this build
 * cannot fetch by itself (https://, http://, type = scim).
 */
int source_fetch(const struct prov_config *cfg, char **ret_doc, size_t *ret_len, char *ret_origin, size_t originsz,
		 char *err, size_t errsz);

#endif

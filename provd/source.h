/* SPDX-License-Identifier: MIT */
/*
 * Where the directory document comes from, in this version: a file:// URL
 * read from disk, or the embedded demo document when provd.conf names no
 * URL. Network sources (https://, SCIM) belong to the sync code, which
 * fetches asynchronously and hands its bytes to state_apply_document().
 */
#ifndef PROV_SOURCE_H
#define PROV_SOURCE_H

#include <stddef.h>

#include "config.h"

/*
 * Reads the document the config names: the first URL that can be read
 * (failover in list order), or a copy of the embedded demo when there is
 * none. *ret_doc is malloc'ed and NUL-terminated; ret_origin says which
 * (the URL, or "embedded demo"). -EOPNOTSUPP for a source this build
 * cannot fetch by itself (https://, http://, type = scim).
 */
int source_fetch(const struct prov_config *cfg, char **ret_doc, size_t *ret_len, char *ret_origin, size_t originsz,
		 char *err, size_t errsz);

/*
 * Reads a local document file. It must be a regular file owned by root (or
 * provd's euid) and not writable by group or others: whoever can write it
 * decides who logs in here. At most DOC_MAX_BYTES.
 */
int source_read_file(const char *path, char **ret_doc, size_t *ret_len, char *err, size_t errsz);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * A local file that decides who logs in (a document, its .sig, a key
 * file), read the one safe way. Apart from source.c, which picks the
 * source, because docsig.c reads a .sig with it and source.c verifies
 * with docsig.c.
 */
#ifndef PROV_SOURCE_READ_H
#define PROV_SOURCE_READ_H

#include <stddef.h>

/*
 * Reads a local document file. It must be a regular file owned by root (or
 * provd's euid) and not writable by group or others: whoever can write it
 * decides who logs in here. At most DOC_MAX_BYTES.
 */
int source_read_file(const char *path, char **ret_doc, size_t *ret_len, char *err, size_t errsz);

#endif

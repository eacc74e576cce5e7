/* SPDX-License-Identifier: MIT */
/*
 * The demo directory document compiled into provd
 * (packaging/demo-directory.json, by demo_blob.S.in): the source of url =
 * demo:, served and never cached.
 */
#ifndef PROV_DEMO_H
#define PROV_DEMO_H

#include <stddef.h>

/* The document; *ret_len (when not NULL) gets its length in bytes. */
const char *demo_document(size_t *ret_len);

#endif

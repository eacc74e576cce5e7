/* SPDX-License-Identifier: MIT */
/*
 * prov's JSON directory document, format v1 (README "Directory document").
 * With the SCIM parser (scim.h), the only files of provd that see json-c:
 * docparse.c and docfield.c (docparse_impl.h).
 */
#ifndef PROV_DOCPARSE_H
#define PROV_DOCPARSE_H

#include <stddef.h>

#include "model/directory.h"

#define DOC_FORMAT_VERSION 1
/* A document of 1,000,000 users with a group of all of them (issue 9 §6)
 * is a few hundred MiB; a download is also bounded by [directory] max_bytes. */
#define DOC_MAX_BYTES (512u << 20)

/*
 * Parses len bytes of buf into a raw snapshot: not yet admitted, not indexed.
 * The document as a whole must be well-formed (valid JSON, an object with
 * "prov_directory": 1, arrays where arrays belong, not over DOC_MAX_BYTES):
 * otherwise -EBADMSG and a one-line reason in err. A single entry of the
 * wrong shape (a string uid, a missing name) does not fail the document: it
 * becomes a refusal in the snapshot and is skipped.
 */
int docparse(const char *buf, size_t len, struct directory **ret, char *err, size_t errsz);

/* The lean way docparse() tries first (docscan.h): each entry parsed on its
 * own, never a tree of the whole document. 0, -ENOMEM, or -EAGAIN when it
 * leaves the document to the plain way (anything unusual, every error).
 * Declared for the tests that check both ways agree. */
int docparse_pieces(const char *buf, size_t len, struct directory **ret);

#endif

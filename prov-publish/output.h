/* SPDX-License-Identifier: MIT */
/*
 * The output directory prov-publish writes and a web server, object store
 * or CDN serves: <name> (the document) and <name>.sig (its signature).
 *
 * Each file is replaced atomically (a temporary file in the same
 * directory, fsync, rename, fsync of the directory), so a server never
 * serves half a file. The signature goes first and also carries a
 * signature of the document it replaces: a host that fetches during the
 * switch gets the old document or the new one, and either verifies
 * against the new .sig (docsig.h: one valid line by a trusted key is
 * enough). The old document cannot come back through this: its serial is
 * lower, which hosts refuse.
 */
#ifndef PROV_PUBLISH_OUTPUT_H
#define PROV_PUBLISH_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

/* The previous output: -ENOENT when there is none yet. */
int output_read(const char *dir, const char *name, char **ret_doc, size_t *ret_len, char *err, size_t errsz);

/* Writes <dir>/<name>.sig, then (gzip) <dir>/<name>.gz, the document
 * gzip-compressed for servers that serve a pre-compressed copy (nginx's
 * gzip_static, an object with Content-Encoding: gzip), then <dir>/<name>;
 * all mode 0644. */
int output_write(const char *dir, const char *name, const char *doc, size_t len, const char *sig, size_t siglen,
		 bool gzip, char *err, size_t errsz);

/* doc gzip-compressed (deterministic: no name, no time in the header). */
int output_gzip(const char *doc, size_t len, char **ret, size_t *ret_len);

#endif

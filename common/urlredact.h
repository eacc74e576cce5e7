/* SPDX-License-Identifier: MIT */
/*
 * The one redaction of URLs (issue 8 §4). A URL's userinfo
 * (https://user:password@host/) and its query string (presigned
 * object-store URLs carry their signature there: ?X-Amz-Signature=...)
 * are credentials. Every text provd shows (journal lines and fields,
 * provctl status and refresh replies in any format, error texts including
 * libcurl's) passes through url_redact_text(), so in a URL inside it
 *   the userinfo "alice:pw@" becomes "***@",
 *   the query "?X-Amz-Signature=..." becomes "?***",
 *   a fragment "#..." becomes "#***";
 * scheme, host, port and path are kept: they say which source, and are no
 * secret.
 *
 * A URL is found by its "://" and runs until white space, a quote, '<',
 * '>', '`', a control byte or the end of the text. Being generous about
 * where a URL ends only hides more, never less. libc only.
 */
#ifndef PROV_URLREDACT_H
#define PROV_URLREDACT_H

#include <stddef.h>

/* Copies in to out (outsz > 0) with every URL in it redacted. Always
 * NUL-terminates; cut to fit (a cut never shows a secret: secrets are
 * replaced before they would be copied). in and out must not overlap. */
void url_redact_text(const char *in, char *out, size_t outsz);

/* In place, for a buffer that already holds a text (buf of size bufsz). */
void url_redact_inplace(char *buf, size_t bufsz);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The caller's error text buffer: library code explains a refusal in a
 * char buffer the caller passes (err, errsz) and logs once, so every
 * parser and loader fills it the same way.
 */
#ifndef PROV_ERRBUF_H
#define PROV_ERRBUF_H

#include <stddef.h>

/* Formats into err (truncated to errsz); does nothing when err is NULL or
 * errsz is 0, so callers that do not want the text may pass neither. */
void errbuf_set(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Same as errbuf_set, then returns r, so a refusal is one statement:
 * return errbuf_fail(-EINVAL, err, errsz, "..."). */
int errbuf_fail(int r, char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif

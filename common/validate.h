/* SPDX-License-Identifier: MIT */
/*
 * Field validation for everything that reaches a consumer (DESIGN
 * invariant 2). libc only. Each check returns NULL when the value is
 * acceptable, or a short static reason ("contains ':'") for the audit line.
 */
#ifndef PROV_VALIDATE_H
#define PROV_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/* Login and group names: 1..PROV_NAME_MAX bytes of [A-Za-z0-9_.-], first
 * character a letter or '_' (so never numeric-looking: "0", "0day", "0x0";
 * never an option or a hidden file: "-x", ".x"). No '$' (Samba machine
 * accounts are not served). */
const char *validate_name(const char *s);

/* GECOS: <= PROV_GECOS_MAX bytes, valid UTF-8, no ':' and no control
 * characters (newline, NUL, DEL, C0 and C1), no U+2028/U+2029 and no
 * bidirectional overrides or isolates. '/' and ',' are allowed. */
const char *validate_gecos(const char *s);

/* An absolute, normalised path: starts with '/', no empty, "." or ".."
 * components, no trailing '/', no ':' or control characters (same set as
 * GECOS), valid UTF-8, <= PROV_PATH_MAX bytes. "/" itself passes. */
const char *validate_path(const char *s);

/* A home: validate_path() and strictly below base (never base itself, never
 * "/"). base must itself pass validate_path(). */
const char *validate_home(const char *s, const char *base);

/* len bytes of s are well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);

/* Copies s into out (size outsz) with every byte that is not printable
 * ASCII replaced by '?', cut to fit (a cut value ends in "..."): for putting
 * hostile names in logs. */
void sanitize_for_log(const char *s, char *out, size_t outsz);

#endif

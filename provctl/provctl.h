/* SPDX-License-Identifier: MIT */
/*
 * provctl: the operator's client of provd's socket protocol.
 *
 * A subcommand is one entry of the table in provctl.c and a function
 * `int cmd_x(struct ctl *c, int argc, char **argv)` (argv[0] is the
 * subcommand) returning a CTL_* exit code. Errors are one line on stderr,
 * printed with ctl_err(); ctl_call() prints its own.
 */
#ifndef PROVCTL_H
#define PROVCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "json.h"
#include "wire.h"

/* Exit codes (documented in --help). */
enum {
	CTL_OK = 0,
	CTL_NOT_FOUND = 1,
	CTL_USAGE = 2,
	CTL_UNREACHABLE = 3,
	CTL_ERROR = 4,
};

#define CTL_TIMEOUT_MS 5000
/* Largest request provctl builds (names and a few strings). */
#define CTL_REQUEST_MAX 4096

struct ctl {
	const char *socket; /* --socket, or NULL: private socket for root, else public */
	bool json;
	int timeout_ms;
};

void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Sends the frame w (built with prov_writer_begin/finish) and reads the
 * reply. Returns CTL_OK with *ret filled (status OK), CTL_NOT_FOUND for
 * PROV_ST_NOT_FOUND (nothing printed: the caller knows what was missing),
 * or another CTL_* code after printing why.
 */
int ctl_call(struct ctl *c, const struct prov_writer *w, struct prov_reply *ret);

/* One request whose body is a single string (a name). */
int ctl_call_str(struct ctl *c, uint16_t type, const char *s, size_t max, struct prov_reply *ret);
int ctl_call_u32(struct ctl *c, uint16_t type, uint32_t v, struct prov_reply *ret);

/* Human output: "key:" padded to width, then the value with control
 * characters shown as '?'. */
void ctl_print_kv(int width, const char *key, const char *value);

/* Replies of "key: value" pairs (pairs.c): STATUS, REFRESH, CACHE_VERIFY.
 * ctl_read_pairs() decodes the whole body (keys and vals point into rep,
 * PROV_STATUS_PAIRS_MAX each) or returns -EBADMSG; ctl_print_pairs()
 * prints them aligned, or as one JSON object (digit-only values as
 * numbers); ctl_pair_value() is the value of key, or NULL. */
int ctl_read_pairs(const struct prov_reply *rep, struct prov_str *keys, struct prov_str *vals, uint32_t *ret_n);
void ctl_print_pairs(const struct ctl *c, const struct prov_str *keys, const struct prov_str *vals, uint32_t n);
const struct prov_str *ctl_pair_value(const struct prov_str *keys, const struct prov_str *vals, uint32_t n,
				      const char *key);
/* A string from provd as is, but control characters shown as '?' so a
 * hostile value cannot drive the terminal. */
void ctl_print_str(const struct prov_str *s);

int cmd_status(struct ctl *c, int argc, char **argv);
int cmd_user(struct ctl *c, int argc, char **argv);
int cmd_group(struct ctl *c, int argc, char **argv);
int cmd_check(struct ctl *c, int argc, char **argv); /* access.c */
int cmd_keys(struct ctl *c, int argc, char **argv);  /* access.c */
int cmd_doctor(struct ctl *c, int argc, char **argv); /* doctor.c */
int cmd_refresh(struct ctl *c, int argc, char **argv); /* refresh.c */
int cmd_cache(struct ctl *c, int argc, char **argv);   /* cache_verify.c */

#endif

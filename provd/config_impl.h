/* SPDX-License-Identifier: MIT */
/*
 * What the files of the config share (config.h is the interface).
 * config.c has the table of keys and reads provd.conf line by line,
 * config_values.c checks and stores one value by the kind of its key,
 * config_defaults.c gives the defaults and frees a config.
 */
#ifndef PROV_CONFIG_IMPL_H
#define PROV_CONFIG_IMPL_H

#include <stddef.h>

#include "config.h"
#include "prov/protocol.h"
#include "base/docsig_key.h"
#include "urlredact.h"
#include "validate.h"

#define CONFIG_LINE_MAX 4096
#define CONFIG_FILE_MAX (1u << 20)

enum key_kind {
	K_SOURCE,   /* document | scim */
	K_URLS,     /* list of file:// http:// https:// URLs */
	K_PATH,     /* one absolute, normalised path */
	K_DUR_S,    /* duration, plain number = seconds, stored in seconds */
	K_DUR_MS,   /* duration, plain number = milliseconds, stored in ms */
	K_HOSTNAME, /* a host name */
	K_LABELS,   /* list of key=value */
	K_NAMES,    /* list of group names */
	K_NAME,     /* one group name */
	K_ID,       /* uint32 uid/gid */
	K_UINT,     /* unsigned count */
	K_BOOL,     /* yes | no (also true/false, on/off, 1/0) */
	K_MODE,     /* octal permission bits, at most 0755 */
	K_PCT,      /* a share: "10%" or "10", stored as a percentage */
	K_SIZE,     /* bytes, with an optional K, M or G suffix (binary: 1K = 1024) */
	K_RANGE,    /* "min-max" of uint32 ids, into a struct prov_id_range */
	K_TEXT,     /* one word of printable ASCII (a schema URN, an attribute name) */
	K_KEYS,     /* list of ed25519:<base64> public keys or key file paths (docsig.h) */
	K_KEYOPTS,  /* none | restrict, into a bool (restrict = true) */
};

struct key_def {
	const char *section;
	const char *key;
	enum key_kind kind;
	size_t offset;
	unsigned long long min, max; /* numbers and durations (in the stored unit) */
};

#define F(field) offsetof(struct prov_config, field)
#define DAY_S (24ull * 3600)

/* The parser's state for one file (config.c). */
struct parse;

/* "path:line: message" into the caller's error buffer; -EINVAL. */
int config_fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int config_set_str(char **slot, const char *v);
int config_set_hostname(char **slot);
int config_apply(struct parse *p, struct prov_config *c, const struct key_def *k, char *v);

#endif

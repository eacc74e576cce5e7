/* SPDX-License-Identifier: MIT */
/*
 * prov-publish verify FILE: the check a host makes, before publishing or
 * to debug a refusal: FILE.sig verifies FILE with one of the given public
 * keys, FILE parses as a directory document, and (when given) its audience
 * is the expected one and its not_after has not passed.
 */
#ifndef PROV_PUBLISH_VERIFY_H
#define PROV_PUBLISH_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "model/directory.h"

struct verify_opts {
	const char *file;
	struct dir_strv keys;   /* trusted_keys items: ed25519:... or .pub files */
	const char *audience;   /* NULL = any */
	int64_t now;
};

struct verify_result {
	char key_id[17];
	uint64_t serial;
	int64_t not_after;
	size_t n_users, n_groups, n_bindings;
	char audience[128];
};

int verify_run(const struct verify_opts *o, struct verify_result *ret, char *err, size_t errsz);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * What the files of the document parser share (docparse.h is the
 * interface): docparse.c reads the document and its entries, docfield.c
 * reads one typed field of an entry (strings, numbers, booleans, lists,
 * times).
 */
#ifndef PROV_DOCPARSE_IMPL_H
#define PROV_DOCPARSE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "source/docparse.h"
#include "source/docscan.h"
#include "base/errbuf.h"

/* Real documents nest 4 deep (root, users, user, ssh_keys); 16 leaves room
 * for unknown future keys and stops a 10,000-deep document at once. */
#define DOC_MAX_DEPTH 16

#define WHY_MAX 160

/* Result of reading one field of an entry. */
enum field {
	F_OK,     /* present and well-formed */
	F_ABSENT, /* absent or null */
	F_BAD,    /* wrong shape: why says how */
	F_NOMEM,
};

const char *doc_type_name(struct json_object *o);
struct json_object *doc_field_get(struct json_object *o, const char *key);
enum field doc_get_str(struct json_object *o, const char *key, char **ret, char *why);
enum field doc_get_u64(struct json_object *o, const char *key, uint64_t max, uint64_t *ret, char *why);
enum field doc_get_u32(struct json_object *o, const char *key, uint32_t *ret, char *why);
enum field doc_get_bool(struct json_object *o, const char *key, bool *ret, char *why);
enum field doc_get_strv(struct json_object *o, const char *key, struct dir_strv *ret, char *why);
enum field doc_get_time(struct json_object *o, const char *key, int64_t *ret, char *why);

#endif

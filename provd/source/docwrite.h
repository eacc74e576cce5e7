/* SPDX-License-Identifier: MIT */
/*
 * A snapshot back to prov's JSON directory document, format v1, so a SCIM
 * sync is cached in the same format as a fetched document and goes through
 * the same parser and admission at start-up.
 *
 * docparse(docwrite(d)) gives back every field of every user, group and
 * binding of d (refusals are not written: admission recomputes them).
 * The output is deterministic (entries in model order, one per line, keys
 * in a fixed order), so the same snapshot always gives the same bytes and
 * an unchanged directory needs no cache rewrite.
 */
#ifndef PROV_DOCWRITE_H
#define PROV_DOCWRITE_H

#include <stddef.h>

#include "model/directory.h"

/*
 * *ret_buf is malloc'ed and NUL-terminated (the NUL not counted in
 * *ret_len). -EILSEQ (reason in err) when a string is not valid UTF-8 or a
 * required field (a name) is missing: JSON cannot carry it faithfully;
 * -ENOMEM.
 */
int docwrite(const struct directory *d, char **ret_buf, size_t *ret_len, char *err, size_t errsz);

#endif

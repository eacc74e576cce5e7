/* SPDX-License-Identifier: MIT */
/*
 * A lean first pass over a directory document, so a big one (100,000
 * users: 25 MB of JSON) never becomes one json-c tree of ten times its
 * size: docparse.c parses each entry of "users", "groups" and "bindings"
 * on its own (one small tree at a time) and the rest of the document, the
 * skeleton, as a whole.
 *
 * The scan only finds where things are; it does not judge them. It gives
 * up (-EINVAL) on anything it does not plainly understand - an escape in a
 * top-level key, a key given twice, a byte out of place, a value cut
 * short - and docparse.c then parses the document the plain way, which
 * says precisely what is wrong. So this file decides nothing about what a
 * document means; json-c still reads every byte of it.
 *
 * No json-c here.
 */
#ifndef PROV_DOCSCAN_H
#define PROV_DOCSCAN_H

#include <stddef.h>

/* The byte ranges [start, end) of the elements of one top-level array. */
struct docscan_array {
	size_t *start, *end;
	size_t n;
	int present; /* the key was there, with an array value */
};

struct docscan {
	/* The document with those arrays emptied ("users": []): what is left
	 * to read as a whole. NUL-terminated. */
	char *skeleton;
	size_t skeleton_len;
	struct docscan_array arrays[3]; /* in the order of keys[] */
};

/*
 * keys: the three top-level keys whose arrays are split, e.g. "users",
 * "groups", "bindings". 0 with *ret filled; -EINVAL when the document is
 * not one the scan plainly understands (parse it the plain way); -ENOMEM.
 */
int docscan(const char *buf, size_t len, const char *const keys[3], struct docscan *ret);
void docscan_free(struct docscan *s);

#endif

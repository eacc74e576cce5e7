/* SPDX-License-Identifier: MIT */
/*
 * Differential libFuzzer target for docscan.c: a document read in pieces
 * (docparse_pieces(), one small json-c tree per entry) must mean exactly
 * what the same document read whole means. The "whole" reading is forced
 * by a first key written with an escape, {"\u0078": 0, ...}, which the scan
 * never accepts and the parser ignores (an unknown key). Any difference in
 * outcome or content aborts.
 *
 * Seed corpus: tests/fuzz/corpus/docparse/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/docparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int strv_eq(const struct dir_strv *a, const struct dir_strv *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

static int same(const struct directory *a, const struct directory *b)
{
	if (a->serial != b->serial || a->not_after != b->not_after || a->generated != b->generated ||
	    a->n_users != b->n_users || a->n_groups != b->n_groups || a->n_bindings != b->n_bindings ||
	    a->n_refused != b->n_refused)
		return 0;
	for (size_t i = 0; i < a->n_users; i++) {
		const struct dir_user *x = &a->users[i], *y = &b->users[i];

		if (!str_eq(x->id, y->id) || !str_eq(x->name, y->name) || x->uid != y->uid || x->gid != y->gid ||
		    !str_eq(x->gecos, y->gecos) || !str_eq(x->home, y->home) || !str_eq(x->shell, y->shell) ||
		    x->active != y->active || !strv_eq(&x->ssh_keys, &y->ssh_keys))
			return 0;
	}
	for (size_t i = 0; i < a->n_groups; i++)
		if (!str_eq(a->groups[i].id, b->groups[i].id) || !str_eq(a->groups[i].name, b->groups[i].name) ||
		    a->groups[i].gid != b->groups[i].gid || !strv_eq(&a->groups[i].members, &b->groups[i].members))
			return 0;
	for (size_t i = 0; i < a->n_bindings; i++) {
		const struct dir_binding *x = &a->bindings[i], *y = &b->bindings[i];

		if (!str_eq(x->name, y->name) || x->grants != y->grants || x->not_after != y->not_after ||
		    !strv_eq(&x->users, &y->users) || !strv_eq(&x->groups, &y->groups) ||
		    !strv_eq(&x->hosts, &y->hosts) || !strv_eq(&x->labels, &y->labels))
			return 0;
	}
	for (size_t i = 0; i < a->n_refused; i++)
		if (a->refused[i].kind != b->refused[i].kind || !str_eq(a->refused[i].name, b->refused[i].name) ||
		    !str_eq(a->refused[i].reason, b->refused[i].reason))
			return 0;
	return 1;
}

/* The same document with an ignored, escaped first key; NULL when the
 * input does not start like an object. */
static char *whole_variant(const char *doc, size_t len, size_t *ret_len)
{
	static const char key[] = "\"\\u0078\": 0";
	size_t i = 0, j;
	char *v;

	while (i < len && strchr(" \t\r\n", doc[i]) && doc[i])
		i++;
	if (i >= len || doc[i] != '{')
		return NULL;
	for (j = i + 1; j < len && strchr(" \t\r\n", doc[j]) && doc[j]; j++)
		;
	v = malloc(len + sizeof(key) + 2);
	if (!v)
		return NULL;
	memcpy(v, doc, i + 1);
	memcpy(v + i + 1, key, sizeof(key) - 1);
	*ret_len = i + 1 + sizeof(key) - 1;
	if (j < len && doc[j] != '}')
		v[(*ret_len)++] = ',';
	memcpy(v + *ret_len, doc + i + 1, len - i - 1);
	*ret_len += len - i - 1;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct directory *a = NULL, *b = NULL;
	const char *doc = (const char *)data;
	char err[256], *v;
	size_t vlen;
	int ra, rb;

	ra = docparse_pieces(doc, size, &a);
	if (ra != 0) {
		directory_free(a);
		return 0; /* left to the plain way: nothing to compare */
	}
	v = whole_variant(doc, size, &vlen);
	if (!v)
		abort(); /* the scan accepted something that is no object */
	rb = docparse(v, vlen, &b, err, sizeof(err));
	if (rb != 0 || !same(a, b)) {
		fprintf(stderr, "pieces and whole differ (%d: %s)\n", rb, err);
		abort();
	}
	directory_free(a);
	directory_free(b);
	free(v);
	return 0;
}

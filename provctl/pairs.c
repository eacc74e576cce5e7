/* SPDX-License-Identifier: MIT */
/*
 * Replies made of "key: value" pairs (u32 n, n x (str key, str value)):
 * STATUS, REFRESH, CACHE_VERIFY. Decoded whole before anything is printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "prov/protocol.h"
#include "provctl.h"

int ctl_read_pairs(const struct prov_reply *rep, struct prov_str *keys, struct prov_str *vals, uint32_t *ret_n)
{
	struct prov_reader r;
	uint32_t n, i;

	prov_reader_init(&r, rep->body, rep->body_len);
	n = prov_get_u32(&r);
	if (n > PROV_STATUS_PAIRS_MAX)
		return -EBADMSG;
	for (i = 0; i < n && !r.err; i++) {
		keys[i] = prov_get_str(&r, PROV_STATUS_STR_MAX);
		vals[i] = prov_get_str(&r, PROV_STATUS_STR_MAX);
	}
	if (prov_reader_end(&r) < 0)
		return -EBADMSG;
	*ret_n = n;
	return 0;
}

/* Digits only, short enough to be exact in a JSON reader's double, no
 * leading zero (a mode like "0600" stays a string). */
static bool is_number(const struct prov_str *v)
{
	uint32_t i;

	if (v->len == 0 || v->len > 15 || (v->len > 1 && v->ptr[0] == '0'))
		return false;
	for (i = 0; i < v->len; i++)
		if (v->ptr[i] < '0' || v->ptr[i] > '9')
			return false;
	return true;
}

void ctl_print_str(const struct prov_str *s)
{
	uint32_t i;

	for (i = 0; i < s->len; i++) {
		unsigned char ch = (unsigned char)s->ptr[i];

		putchar(ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
}

void ctl_print_pairs(const struct ctl *c, const struct prov_str *keys, const struct prov_str *vals, uint32_t n)
{
	char key[PROV_STATUS_STR_MAX + 1], num[16];
	uint32_t i, width = 0;
	struct json j;

	if (c->json) {
		json_init(&j, stdout);
		json_begin_object(&j);
		for (i = 0; i < n; i++) {
			prov_str_copy(&keys[i], key, sizeof(key));
			json_key(&j, key);
			if (is_number(&vals[i])) {
				prov_str_copy(&vals[i], num, sizeof(num));
				json_uint(&j, strtoull(num, NULL, 10));
			} else {
				json_string_len(&j, vals[i].ptr, vals[i].len);
			}
		}
		json_end_object(&j);
		json_finish(&j);
		return;
	}
	for (i = 0; i < n; i++)
		if (keys[i].len > width)
			width = keys[i].len;
	for (i = 0; i < n; i++) {
		ctl_print_str(&keys[i]);
		printf(":%*s ", (int)(width - keys[i].len), "");
		ctl_print_str(&vals[i]);
		putchar('\n');
	}
}

const struct prov_str *ctl_pair_value(const struct prov_str *keys, const struct prov_str *vals, uint32_t n,
				      const char *key)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (prov_str_eq(&keys[i], key))
			return &vals[i];
	return NULL;
}

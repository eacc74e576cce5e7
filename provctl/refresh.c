/* SPDX-License-Identifier: MIT */
/*
 * provctl refresh [--force]: asks provd (root, private socket) to pull the
 * directory now and waits for the result: applied, unchanged, rejected
 * (malformed, partial, suspicious: the served directory is kept) or failed
 * (unreachable, refused token, ...). --force accepts a directory that the
 * deprovisioning guard (max_deprovision_share) refused.
 *
 * Exit status: 0 when applied or unchanged, 4 when rejected or failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov/protocol.h"
#include "provctl.h"

/* A pull may page through a big directory: wait longer than for a lookup
 * unless --timeout says otherwise. */
#define REFRESH_TIMEOUT_MS 600000

static void print_value(const struct prov_str *s)
{
	uint32_t i;

	for (i = 0; i < s->len; i++) {
		unsigned char ch = (unsigned char)s->ptr[i];

		putchar(ch < 0x20 || ch == 0x7f ? '?' : ch);
	}
}

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

static void print_pairs(const struct ctl *c, const struct prov_str *keys, const struct prov_str *vals, uint32_t n)
{
	char key[PROV_STATUS_STR_MAX + 1], num[16];
	int width = 0;
	uint32_t i;

	if (c->json) {
		struct json j;

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
		if ((int)keys[i].len > width)
			width = (int)keys[i].len;
	for (i = 0; i < n; i++) {
		print_value(&keys[i]);
		printf(":%*s ", width - (int)keys[i].len, "");
		print_value(&vals[i]);
		putchar('\n');
	}
}

int cmd_refresh(struct ctl *c, int argc, char **argv)
{
	struct prov_str keys[PROV_STATUS_PAIRS_MAX], vals[PROV_STATUS_PAIRS_MAX];
	uint8_t buf[PROV_HEADER_SIZE + 4];
	struct prov_writer w;
	struct prov_reply rep;
	struct prov_reader r;
	uint32_t flags = 0, n, i;
	bool ok = false;
	int rc;

	if (argc == 2 && strcmp(argv[1], "--force") == 0) {
		flags |= PROV_REFRESH_FORCE;
	} else if (argc != 1) {
		ctl_err("usage: provctl refresh [--force]");
		return CTL_USAGE;
	}
	if (c->timeout_ms == CTL_TIMEOUT_MS)
		c->timeout_ms = REFRESH_TIMEOUT_MS;
	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	prov_put_u32(&w, flags);
	prov_writer_finish(&w, PROV_OP_REFRESH, 0);
	rc = ctl_call(c, &w, &rep);
	if (rc == CTL_NOT_FOUND) {
		ctl_err("provd answered REFRESH with not-found");
		return CTL_ERROR;
	}
	if (rc != CTL_OK)
		return rc;
	prov_reader_init(&r, rep.body, rep.body_len);
	n = prov_get_u32(&r);
	if (n > PROV_STATUS_PAIRS_MAX)
		r.err = -1;
	for (i = 0; i < n && !r.err; i++) {
		keys[i] = prov_get_str(&r, PROV_STATUS_STR_MAX);
		vals[i] = prov_get_str(&r, PROV_STATUS_STR_MAX);
		if (prov_str_eq(&keys[i], "result"))
			ok = prov_str_eq(&vals[i], "applied") || prov_str_eq(&vals[i], "unchanged");
	}
	if (prov_reader_end(&r) < 0) {
		ctl_err("malformed REFRESH reply from provd");
		prov_reply_free(&rep);
		return CTL_ERROR;
	}
	print_pairs(c, keys, vals, n);
	prov_reply_free(&rep);
	return ok ? CTL_OK : CTL_ERROR;
}

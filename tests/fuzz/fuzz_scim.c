/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the SCIM response parser (scim.c): any bytes as a
 * /Users or /Groups ListResponse page, then the snapshot is built and must
 * survive a docwrite/docparse round trip with the same entries (a cached
 * SCIM sync must always be loadable). Also /ServiceProviderConfig.
 *
 * The first byte picks the kind; the rest is the page.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/docparse.h"
#include "source/docwrite.h"
#include "source/scim.h"

static void roundtrip(const struct directory *d)
{
	struct directory *back = NULL;
	char err[256], *buf = NULL;
	size_t len;

	if (docwrite(d, &buf, &len, err, sizeof(err)) < 0) {
		fprintf(stderr, "docwrite: %s\n", err);
		abort();
	}
	if (docparse(buf, len, &back, err, sizeof(err)) < 0) {
		fprintf(stderr, "docparse of docwrite output: %s\n", err);
		abort();
	}
	if (back->n_users != d->n_users || back->n_groups != d->n_groups || back->n_refused != 0)
		abort();
	for (size_t i = 0; i < d->n_users; i++)
		if (strcmp(back->users[i].name, d->users[i].name) != 0 || back->users[i].uid != d->users[i].uid ||
		    back->users[i].active != d->users[i].active)
			abort();
	directory_free(back);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scim_options o = { .id_min = 1000, .id_max = 1100, .strip_domain = (size && (data[0] & 4)) };
	struct scim_spconfig c;
	struct scim_sync *s;
	struct scim_page pg;
	struct scim_pager pager;
	struct directory *d = NULL;
	char err[256];
	enum scim_kind kind;

	if (size < 1)
		return 0;
	kind = (data[0] & 1) ? SCIM_GROUPS : SCIM_USERS;
	data++;
	size--;
	(void)scim_parse_spconfig((const char *)data, size, &c, err, sizeof(err));
	if (scim_sync_new(&o, &s) < 0)
		return 0;
	if (scim_sync_add_page(s, kind, 1, (const char *)data, size, &pg, err, sizeof(err)) == 0) {
		scim_pager_init(&pager);
		(void)scim_pager_advance(&pager, &pg, err, sizeof(err));
		/* the same page twice: everything is a duplicate now */
		if (scim_sync_add_page(s, kind, 1, (const char *)data, size, &pg, err, sizeof(err)) != 0 || pg.n_new)
			abort();
		if (scim_sync_finish(s, NULL, 0, &d, err, sizeof(err)) == 0) {
			roundtrip(d);
			directory_free(d);
		}
	}
	scim_sync_free(s);
	return 0;
}

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
#include <string.h>

#include "prov/protocol.h"
#include "provctl.h"

/* A pull may page through a big directory: wait longer than for a lookup
 * unless --timeout says otherwise. */
#define REFRESH_TIMEOUT_MS 600000

int cmd_refresh(struct ctl *c, int argc, char **argv)
{
	struct prov_str keys[PROV_STATUS_PAIRS_MAX], vals[PROV_STATUS_PAIRS_MAX];
	uint8_t buf[PROV_HEADER_SIZE + 4];
	struct prov_writer w;
	struct prov_reply rep;
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
	if (ctl_read_pairs(&rep, keys, vals, &n) < 0) {
		ctl_err("malformed REFRESH reply from provd");
		prov_reply_free(&rep);
		return CTL_ERROR;
	}
	/* Exit 0 only when provd applied the pull or found nothing new. */
	for (i = 0; i < n; i++)
		if (prov_str_eq(&keys[i], "result"))
			ok = prov_str_eq(&vals[i], "applied") || prov_str_eq(&vals[i], "unchanged");
	ctl_print_pairs(c, keys, vals, n);
	prov_reply_free(&rep);
	return ok ? CTL_OK : CTL_ERROR;
}

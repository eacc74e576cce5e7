/* SPDX-License-Identifier: MIT */
/*
 * provctl cache verify: asks provd (root, private socket) to check its
 * on-disk cache as a start-up load would, and prints what it found
 * (provd/serve/cache_verify.h lists the pairs).
 *
 * Exit status: 0 valid, 1 no cache yet, 4 refused (the reason is printed
 * with the rest, and once more as the one-line error), 3 provd unreachable.
 * Offline, with provd stopped: provd --verify-cache.
 */
#include <stdio.h>
#include <string.h>

#include "prov/protocol.h"
#include "provctl.h"

/* A value from the socket as one printable line. */
static const char *one_line(const struct prov_str *s, char *buf, size_t bufsz)
{
	size_t i;

	if (!s || prov_str_copy(s, buf, bufsz) < 0)
		return "?";
	for (i = 0; buf[i]; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return buf;
}

/* The published lookup snapshot (provd >= issue 12 reports it): one that
 * is there but damaged or not to be believed is an error, since lookups
 * then depend on provd again; none at all is not (nothing served yet). */
static int snapshot_verdict(const struct prov_str *snap)
{
	char line[512];

	if (!snap || (snap->len >= 5 && memcmp(snap->ptr, "valid", 5) == 0) ||
	    (snap->len >= 7 && memcmp(snap->ptr, "missing", 7) == 0))
		return CTL_OK;
	ctl_err("lookup snapshot: %s", one_line(snap, line, sizeof(line)));
	return CTL_ERROR;
}

static int verify(struct ctl *c)
{
	struct prov_str keys[PROV_STATUS_PAIRS_MAX], vals[PROV_STATUS_PAIRS_MAX];
	const struct prov_str *result;
	char line[PROV_STATUS_STR_MAX + 1];
	uint8_t buf[PROV_HEADER_SIZE];
	struct prov_writer w;
	struct prov_reply rep;
	uint32_t n = 0;
	int rc;

	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	prov_writer_finish(&w, PROV_OP_CACHE_VERIFY, 0);
	rc = ctl_call(c, &w, &rep);
	if (rc == CTL_NOT_FOUND) {
		ctl_err("provd answered CACHE_VERIFY with not-found");
		return CTL_ERROR;
	}
	if (rc != CTL_OK)
		return rc;
	if (ctl_read_pairs(&rep, keys, vals, &n) < 0 || !(result = ctl_pair_value(keys, vals, n, "result"))) {
		ctl_err("malformed CACHE_VERIFY reply from provd");
		prov_reply_free(&rep);
		return CTL_ERROR;
	}
	ctl_print_pairs(c, keys, vals, n);
	if (prov_str_eq(result, "valid")) {
		rc = snapshot_verdict(ctl_pair_value(keys, vals, n, "snapshot"));
	} else if (prov_str_eq(result, "missing")) {
		ctl_err("no cache at %s (provd has not saved a directory yet)",
			one_line(ctl_pair_value(keys, vals, n, "path"), line, sizeof(line)));
		rc = CTL_NOT_FOUND;
	} else {
		ctl_err("cache refused: %s", one_line(ctl_pair_value(keys, vals, n, "reason"), line, sizeof(line)));
		rc = CTL_ERROR;
	}
	prov_reply_free(&rep);
	return rc;
}

int cmd_cache(struct ctl *c, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "verify") == 0)
		return verify(c);
	ctl_err("usage: provctl cache verify");
	return CTL_USAGE;
}

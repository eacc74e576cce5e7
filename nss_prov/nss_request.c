/* SPDX-License-Identifier: MIT */
/*
 * Builds a request, runs one exchange with provd, and maps what came back
 * (or did not) onto the NSS status the entry points return.
 */
#include "nss_prov.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Header + the largest request body the module sends (one name). */
#define REQ_BUF_SIZE (PROV_HEADER_SIZE + 4 + PROV_NAME_MAX)

enum nss_status prov_nss_unavail(int *errnop)
{
	*errnop = ENOENT;
	return NSS_STATUS_UNAVAIL;
}

static enum nss_status notfound(int *errnop)
{
	*errnop = ENOENT;
	return NSS_STATUS_NOTFOUND;
}

static enum nss_status call(const char *socket_path, const struct prov_writer *w,
			    struct prov_reply *ret, int *errnop)
{
	struct prov_reply rep;

	if (prov_call(socket_path, PROV_CLIENT_TIMEOUT_MS, w->buf, w->len, &rep) < 0)
		return prov_nss_unavail(errnop);
	/* The protocol says a non-OK reply has an empty body; a daemon that
	 * breaks that is not one we trust with the rest either. */
	if (rep.hdr.status != PROV_ST_OK && rep.body_len != 0) {
		prov_reply_free(&rep);
		return prov_nss_unavail(errnop);
	}
	switch (rep.hdr.status) {
	case PROV_ST_OK:
		*ret = rep;
		return NSS_STATUS_SUCCESS;
	case PROV_ST_NOT_FOUND:
		return notfound(errnop);
	default:
		return prov_nss_unavail(errnop);
	}
}

/* provd sets PROV_NSS_BYPASS_ENV so that neither it nor anything it spawns
 * can ask itself through NSS (a deadlock at best). secure_getenv: inside a
 * setuid program (su, sudo) the environment is the caller's, who must not
 * be able to hide a prov group membership that sudoers might deny on. */
static bool bypassed(void)
{
	return secure_getenv(PROV_NSS_BYPASS_ENV) != NULL;
}

enum nss_status prov_nss_ask_name(const char *socket_path, uint16_t op, const char *name,
				  struct prov_reply *ret, int *errnop)
{
	uint8_t buf[REQ_BUF_SIZE];
	struct prov_writer w;
	size_t len;

	if (bypassed())
		return prov_nss_unavail(errnop);
	/* No prov entry can carry such a name: no need to ask. */
	len = name ? strlen(name) : 0;
	if (len == 0 || len > PROV_NAME_MAX)
		return notfound(errnop);

	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	prov_put_bytes(&w, name, len, PROV_NAME_MAX);
	if (prov_writer_finish(&w, op, 0) < 0)
		return prov_nss_unavail(errnop);
	return call(socket_path, &w, ret, errnop);
}

enum nss_status prov_nss_ask_u32(const char *socket_path, uint16_t op, uint32_t value,
				 struct prov_reply *ret, int *errnop)
{
	uint8_t buf[REQ_BUF_SIZE];
	struct prov_writer w;

	if (bypassed())
		return prov_nss_unavail(errnop);

	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	prov_put_u32(&w, value);
	if (prov_writer_finish(&w, op, 0) < 0)
		return prov_nss_unavail(errnop);
	return call(socket_path, &w, ret, errnop);
}

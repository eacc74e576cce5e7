/* SPDX-License-Identifier: MIT */
/* group lookups by name and by gid. */
#include "nss_prov.h"
#include "mapread.h"

#include <errno.h>

/* A reply body must be exactly one group record, and the one we asked
 * for: a daemon answering "dev" to a question about "ops" is refused. */
enum nss_status prov_nss_group_reply(const struct prov_reply *rep, const char *name, gid_t gid,
				     struct group *gr, char *buf, size_t buflen, int *errnop)
{
	struct prov_group_rec g;
	struct prov_reader rd;

	prov_reader_init(&rd, rep->body, rep->body_len);
	if (prov_get_group(&rd, &g) < 0 || prov_reader_end(&rd) < 0)
		return prov_nss_unavail(errnop);
	if (name ? !prov_str_eq(&g.name, name) : g.gid != gid)
		return prov_nss_unavail(errnop);
	return prov_nss_put_group(&g, gr, buf, buflen, errnop);
}

enum nss_status prov_nss_getgrnam(const char *socket_path, const char *name, struct group *gr,
				  char *buf, size_t buflen, int *errnop)
{
	struct prov_reply rep;
	enum nss_status st;

	st = prov_nss_ask_name(socket_path, PROV_OP_GR_BY_NAME, name, &rep, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	st = prov_nss_group_reply(&rep, name, 0, gr, buf, buflen, errnop);
	prov_reply_free(&rep);
	return st;
}

enum nss_status prov_nss_getgrgid(const char *socket_path, gid_t gid, struct group *gr,
				  char *buf, size_t buflen, int *errnop)
{
	struct prov_reply rep;
	enum nss_status st;

	/* prov never serves these: answer without a round trip. */
	if (!prov_nss_id_ok(gid)) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	st = prov_nss_ask_u32(socket_path, PROV_OP_GR_BY_GID, gid, &rep, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	st = prov_nss_group_reply(&rep, NULL, gid, gr, buf, buflen, errnop);
	prov_reply_free(&rep);
	return st;
}

enum nss_status _nss_prov_getgrnam_r(const char *name, struct group *gr, char *buf,
				     size_t buflen, int *errnop)
{
	return prov_map_getgrnam(prov_mapsrc_default(), PROV_SOCKET_PATH, name, gr, buf, buflen, errnop);
}

enum nss_status _nss_prov_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t buflen,
				     int *errnop)
{
	return prov_map_getgrgid(prov_mapsrc_default(), PROV_SOCKET_PATH, gid, gr, buf, buflen, errnop);
}

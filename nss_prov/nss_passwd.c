/* SPDX-License-Identifier: MIT */
/* passwd lookups by name and by uid. */
#include "nss_prov.h"
#include "mapread.h"

#include <errno.h>

/* A reply body must be exactly one passwd record, and the one we asked
 * for: a daemon answering "bob" to a question about "alice" is refused. */
enum nss_status prov_nss_passwd_reply(const struct prov_reply *rep, const char *name, uid_t uid,
				      struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	struct prov_passwd_rec p;
	struct prov_reader rd;

	prov_reader_init(&rd, rep->body, rep->body_len);
	if (prov_get_passwd(&rd, &p) < 0 || prov_reader_end(&rd) < 0)
		return prov_nss_unavail(errnop);
	if (name ? !prov_str_eq(&p.name, name) : p.uid != uid)
		return prov_nss_unavail(errnop);
	return prov_nss_put_passwd(&p, pw, buf, buflen, errnop);
}

enum nss_status prov_nss_getpwnam(const char *socket_path, const char *name, struct passwd *pw,
				  char *buf, size_t buflen, int *errnop)
{
	struct prov_reply rep;
	enum nss_status st;

	st = prov_nss_ask_name(socket_path, PROV_OP_PW_BY_NAME, name, &rep, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	st = prov_nss_passwd_reply(&rep, name, 0, pw, buf, buflen, errnop);
	prov_reply_free(&rep);
	return st;
}

enum nss_status prov_nss_getpwuid(const char *socket_path, uid_t uid, struct passwd *pw,
				  char *buf, size_t buflen, int *errnop)
{
	struct prov_reply rep;
	enum nss_status st;

	/* prov never serves these: answer without a round trip. */
	if (!prov_nss_id_ok(uid)) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	st = prov_nss_ask_u32(socket_path, PROV_OP_PW_BY_UID, uid, &rep, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	st = prov_nss_passwd_reply(&rep, NULL, uid, pw, buf, buflen, errnop);
	prov_reply_free(&rep);
	return st;
}

enum nss_status _nss_prov_getpwnam_r(const char *name, struct passwd *pw, char *buf,
				     size_t buflen, int *errnop)
{
	return prov_map_getpwnam(prov_mapsrc_default(), PROV_SOCKET_PATH, name, pw, buf, buflen, errnop);
}

enum nss_status _nss_prov_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
				     int *errnop)
{
	return prov_map_getpwuid(prov_mapsrc_default(), PROV_SOCKET_PATH, uid, pw, buf, buflen, errnop);
}

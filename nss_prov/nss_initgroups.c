/* SPDX-License-Identifier: MIT */
/*
 * initgroups_dyn: the supplementary groups of a user, appended to the
 * array glibc is collecting from every source (files first, usually).
 */
#include "nss_prov.h"
#include "mapread.h"

#include <errno.h>
#include <stdlib.h>

static bool already_listed(const gid_t *groups, long int n, gid_t gid)
{
	long int i;

	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* Makes room for one more gid. Returns 0, -ENOSPC when limit is reached
 * (not an error: glibc asked for at most that many), or -ENOMEM. */
static int grow(long int *size, gid_t **groupsp, long int limit)
{
	long int nsize;
	gid_t *n;

	if (limit > 0 && *size >= limit)
		return -ENOSPC;
	nsize = *size > 0 ? *size * 2 : 16;
	if (limit > 0 && nsize > limit)
		nsize = limit;
	n = realloc(*groupsp, (size_t)nsize * sizeof(gid_t));
	if (!n)
		return -ENOMEM;
	*groupsp = n;
	*size = nsize;
	return 0;
}

/* The reply is checked whole before the first gid is appended, so a
 * malformed or unsafe answer leaves glibc's array exactly as it was. */
static int check_reply(const struct prov_reply *rep)
{
	struct prov_reader rd;
	uint32_t n, i;

	prov_reader_init(&rd, rep->body, rep->body_len);
	n = prov_get_u32(&rd);
	if (rd.err || n > PROV_GROUPS_PER_USER_MAX)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		uint32_t gid = prov_get_u32(&rd);

		if (rd.err)
			return rd.err;
		/* gid 0 would make the user a member of root's group. */
		if (!prov_nss_id_ok(gid))
			return -EBADMSG;
	}
	return prov_reader_end(&rd);
}

enum nss_status prov_nss_initgroups_reply(const struct prov_reply *rep, gid_t group,
					  long int *start, long int *size, gid_t **groupsp,
					  long int limit, int *errnop)
{
	struct prov_reader rd;
	uint32_t n, i;

	if (check_reply(rep) < 0)
		return prov_nss_unavail(errnop);

	prov_reader_init(&rd, rep->body, rep->body_len);
	n = prov_get_u32(&rd);
	for (i = 0; i < n; i++) {
		gid_t gid = prov_get_u32(&rd);
		int r;

		/* The primary group is the caller's to add, not ours. */
		if (gid == group || already_listed(*groupsp, *start, gid))
			continue;
		if (*start == *size) {
			r = grow(size, groupsp, limit);
			if (r == -ENOSPC)
				break;
			if (r < 0) {
				*errnop = ENOMEM;
				return NSS_STATUS_TRYAGAIN;
			}
		}
		(*groupsp)[(*start)++] = gid;
	}
	return NSS_STATUS_SUCCESS;
}

enum nss_status prov_nss_initgroups(const char *socket_path, const char *user, gid_t group,
				    long int *start, long int *size, gid_t **groupsp,
				    long int limit, int *errnop)
{
	struct prov_reply rep;
	enum nss_status st;

	st = prov_nss_ask_name(socket_path, PROV_OP_INITGROUPS, user, &rep, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	st = prov_nss_initgroups_reply(&rep, group, start, size, groupsp, limit, errnop);
	prov_reply_free(&rep);
	return st;
}

enum nss_status _nss_prov_initgroups_dyn(const char *user, gid_t group, long int *start,
					 long int *size, gid_t **groupsp, long int limit,
					 int *errnop)
{
	return prov_map_initgroups(prov_mapsrc_default(), PROV_SOCKET_PATH, user, group, start, size,
				   groupsp, limit, errnop);
}

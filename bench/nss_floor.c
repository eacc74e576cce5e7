/* SPDX-License-Identifier: MIT */
/*
 * libnss_benchfloor.so.2: the cheapest NSS source there can be, for
 * bench/run-nss.sh only (never installed). It answers from no data at all:
 * the names and ids of tests/integration/gen_directory.py are computed,
 * user%05d <-> uid 100000 + i (and alice <-> 20001), with the same gecos,
 * home and shell as the generated users. Whatever a lookup through it costs
 * is glibc's NSS dispatch (nsswitch.conf reload check, the module's lock,
 * the function lookup) plus a few dozen instructions: the floor under any
 * NSS module on this glibc, measured in the same run as prov and nscd
 * (which glibc consults before the dispatch, so it does not pay it).
 */
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#define FLOOR_EXPORT __attribute__((visibility("default")))
#define UID_BASE     100000u
#define N_MAX        99999u

FLOOR_EXPORT enum nss_status _nss_benchfloor_getpwnam_r(const char *name, struct passwd *pw, char *buf,
							size_t buflen, int *errnop);
FLOOR_EXPORT enum nss_status _nss_benchfloor_getpwuid_r(uid_t uid, struct passwd *pw, char *buf,
							size_t buflen, int *errnop);
FLOOR_EXPORT enum nss_status _nss_benchfloor_initgroups_dyn(const char *user, gid_t group, long int *start,
							    long int *size, gid_t **groupsp, long int limit,
							    int *errnop);

/* user%05d -> i, alice -> 0; -1 otherwise. */
static long user_index(const char *name)
{
	unsigned long i = 0;
	int k;

	if (strcmp(name, "alice") == 0)
		return 0;
	if (strncmp(name, "user", 4) != 0 || strlen(name) != 9)
		return -1;
	for (k = 4; k < 9; k++) {
		if (name[k] < '0' || name[k] > '9')
			return -1;
		i = i * 10 + (unsigned long)(name[k] - '0');
	}
	return i >= 1 && i <= N_MAX ? (long)i : -1;
}

/* Appends s and its NUL at *p; false when it does not fit before end. */
static bool put(char **p, const char *end, const char *s, size_t len)
{
	if ((size_t)(end - *p) < len + 1)
		return false;
	memcpy(*p, s, len);
	(*p)[len] = '\0';
	*p += len + 1;
	return true;
}

/* The generated user i (0: alice), without printf: a few dozen
 * instructions, so that the floor is glibc's and not this module's. */
static enum nss_status fill(long i, struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	char name[10] = "user00000", gecos[16] = "Test User ", home[16] = "/home/";
	const char *end = buf + buflen;
	char *p = buf;
	size_t gl = 10;
	long v;
	int k;

	if (i == 0) {
		memcpy(name, "alice", 6);
		memcpy(gecos, "Alice Liddell", 14);
		gl = 13;
	} else {
		for (v = i, k = 8; k >= 4; k--, v /= 10)
			name[k] = (char)('0' + v % 10);
		for (k = 4; k < 8 && name[k] == '0'; k++)
			;
		memcpy(gecos + 10, name + k, (size_t)(9 - k));
		gl = 10 + (size_t)(9 - k);
	}
	memcpy(home + 6, name, strlen(name) + 1);
	pw->pw_name = p;
	if (!put(&p, end, name, strlen(name)))
		goto erange;
	pw->pw_passwd = p;
	if (!put(&p, end, "*", 1))
		goto erange;
	pw->pw_gecos = p;
	if (!put(&p, end, gecos, gl))
		goto erange;
	pw->pw_dir = p;
	if (!put(&p, end, home, strlen(home)))
		goto erange;
	pw->pw_shell = p;
	if (!put(&p, end, "/bin/sh", 7))
		goto erange;
	pw->pw_uid = pw->pw_gid = i == 0 ? 20001u : UID_BASE + (uid_t)i;
	return NSS_STATUS_SUCCESS;
erange:
	*errnop = ERANGE;
	return NSS_STATUS_TRYAGAIN;
}

FLOOR_EXPORT enum nss_status _nss_benchfloor_getpwnam_r(const char *name, struct passwd *pw, char *buf,
							size_t buflen, int *errnop)
{
	long i = user_index(name);

	if (i < 0) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	return fill(i, pw, buf, buflen, errnop);
}

FLOOR_EXPORT enum nss_status _nss_benchfloor_getpwuid_r(uid_t uid, struct passwd *pw, char *buf,
							size_t buflen, int *errnop)
{
	if (uid == 20001u)
		return fill(0, pw, buf, buflen, errnop);
	if (uid <= UID_BASE || uid > UID_BASE + N_MAX) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	return fill((long)(uid - UID_BASE), pw, buf, buflen, errnop);
}

/* getgrouplist: a generated user's only group is her private one, which
 * is her primary gid: nothing to add. */
FLOOR_EXPORT enum nss_status _nss_benchfloor_initgroups_dyn(const char *user, gid_t group, long int *start,
							    long int *size, gid_t **groupsp, long int limit,
							    int *errnop)
{
	(void)group;
	(void)start;
	(void)size;
	(void)groupsp;
	(void)limit;
	if (user_index(user) < 0) {
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	}
	return NSS_STATUS_SUCCESS;
}

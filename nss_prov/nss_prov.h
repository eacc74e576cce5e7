/* SPDX-License-Identifier: MIT */
/*
 * nss_prov internals. The glibc entry points (_nss_prov_*) are thin
 * wrappers that pass PROV_SOCKET_PATH to the prov_nss_* functions below;
 * those take the socket path as a parameter so the unit tests can point
 * them at a fake server in a temp dir.
 *
 * Status and errno, for every function here and every entry point:
 *   found                          NSS_STATUS_SUCCESS    *errnop untouched
 *   provd says "not a prov entry"  NSS_STATUS_NOTFOUND   *errnop = ENOENT
 *   end of an enumeration          NSS_STATUS_NOTFOUND   *errnop = ENOENT
 *   caller's buffer too small      NSS_STATUS_TRYAGAIN   *errnop = ERANGE
 *                                  (nothing written: glibc retries bigger)
 *   out of memory                  NSS_STATUS_TRYAGAIN   *errnop = ENOMEM
 *   provd absent, hung past the    NSS_STATUS_UNAVAIL    *errnop = ENOENT
 *   deadline, or answering with
 *   anything malformed or unsafe
 *
 * UNAVAIL is glibc's status for "this source cannot answer" (sssd's client
 * returns it with no socket, errno left at ENOENT from connect()):
 * nsswitch.conf's default action moves on to the next source. glibc's
 * getpwnam_r() returns *errnop for it, and ENOENT is one of the values
 * POSIX lets mean "no such entry", so sshd, sudo or ls treat a user of a
 * stopped provd as unknown instead of failing hard (EAGAIN or ETIMEDOUT
 * would make some of them log errors or retry). The one bound: a single
 * call returns within PROV_CLIENT_TIMEOUT_MS (1 s) plus scheduling.
 */
#ifndef PROV_NSS_PROV_H
#define PROV_NSS_PROV_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "client.h"
#include "wire.h"

/* Everything else in the module is hidden; the version script agrees. */
#define PROV_NSS_EXPORT __attribute__((visibility("default")))

/* nss_request.c: one exchange with provd, mapped onto an NSS status.
 * On SUCCESS *ret holds the reply (free it with prov_reply_free). */
enum nss_status prov_nss_ask_name(const char *socket_path, uint16_t op, const char *name,
				  struct prov_reply *ret, int *errnop);
enum nss_status prov_nss_ask_u32(const char *socket_path, uint16_t op, uint32_t value,
				 struct prov_reply *ret, int *errnop);
enum nss_status prov_nss_unavail(int *errnop);

/* nss_check.c: what the module refuses to hand to a consumer even if
 * provd sent it (defence in depth for DESIGN invariants 1 and 2). */
bool prov_nss_passwd_ok(const struct prov_passwd_rec *p);
bool prov_nss_group_ok(const struct prov_group_rec *g);
bool prov_nss_id_ok(uint32_t id);

/* nss_pack.c: two passes, measure then copy. -ERANGE leaves pw/gr and
 * buf untouched. */
int prov_pack_passwd(const struct prov_passwd_rec *p, struct passwd *pw, char *buf, size_t buflen);
int prov_pack_group(const struct prov_group_rec *g, struct group *gr, char *buf, size_t buflen);

/* Check a decoded record, then pack it: SUCCESS, TRYAGAIN/ERANGE, or
 * UNAVAIL for a record the module refuses. */
enum nss_status prov_nss_put_passwd(const struct prov_passwd_rec *p, struct passwd *pw,
				    char *buf, size_t buflen, int *errnop);
enum nss_status prov_nss_put_group(const struct prov_group_rec *g, struct group *gr,
				   char *buf, size_t buflen, int *errnop);

/* The same, with the checks skipped when *checked (a record already
 * checked in the same mapping: mapview.h's seen bits); *checked is set
 * when they pass. */
enum nss_status prov_nss_put_passwd_once(const struct prov_passwd_rec *p, bool *checked, struct passwd *pw,
					 char *buf, size_t buflen, int *errnop);
enum nss_status prov_nss_put_group_once(const struct prov_group_rec *g, const uint8_t *lens, bool *checked,
					struct group *gr, char *buf, size_t buflen, int *errnop);
/* prov_pack_group, given each member's length in lens (n_members bytes,
 * as the record holds them; NULL: read from the record): the copy then
 * needs no load that waits for the previous member's. */
int prov_pack_group_lens(const struct prov_group_rec *g, const uint8_t *lens, struct group *gr, char *buf,
			 size_t buflen);

/* nss_passwd.c, nss_group.c, nss_initgroups.c */
enum nss_status prov_nss_getpwnam(const char *socket_path, const char *name, struct passwd *pw,
				  char *buf, size_t buflen, int *errnop);
enum nss_status prov_nss_getpwuid(const char *socket_path, uid_t uid, struct passwd *pw,
				  char *buf, size_t buflen, int *errnop);
enum nss_status prov_nss_getgrnam(const char *socket_path, const char *name, struct group *gr,
				  char *buf, size_t buflen, int *errnop);
enum nss_status prov_nss_getgrgid(const char *socket_path, gid_t gid, struct group *gr,
				  char *buf, size_t buflen, int *errnop);
/* The reply half of the lookups: decode, check it is what was asked
 * (name, or uid/gid when name is NULL), pack. Split out for the fuzzer. */
enum nss_status prov_nss_passwd_reply(const struct prov_reply *rep, const char *name, uid_t uid,
				      struct passwd *pw, char *buf, size_t buflen, int *errnop);
enum nss_status prov_nss_group_reply(const struct prov_reply *rep, const char *name, gid_t gid,
				     struct group *gr, char *buf, size_t buflen, int *errnop);
enum nss_status prov_nss_initgroups_reply(const struct prov_reply *rep, gid_t group,
					  long int *start, long int *size, gid_t **groupsp,
					  long int limit, int *errnop);
enum nss_status prov_nss_initgroups(const char *socket_path, const char *user, gid_t group,
				    long int *start, long int *size, gid_t **groupsp,
				    long int limit, int *errnop);

/* nss_enum.c: one enumeration in progress. The entry points keep one per
 * database, behind a mutex; tests make their own. */
struct prov_enum {
	uint16_t op;             /* PROV_OP_PW_ENUM or PROV_OP_GR_ENUM */
	struct prov_reply page;  /* the current page, as received */
	struct prov_reader rd;   /* positioned at the next unread entry */
	uint32_t left;           /* entries of the page not handed out yet */
	uint32_t next;           /* cursor of the page after it */
	bool have_page;
};

void prov_enum_init(struct prov_enum *e, uint16_t op);
void prov_enum_reset(struct prov_enum *e);
enum nss_status prov_enum_take_page(struct prov_enum *e, uint32_t cursor, struct prov_reply *rep,
				    int *errnop);
enum nss_status prov_enum_getpw(struct prov_enum *e, const char *socket_path, struct passwd *pw,
				char *buf, size_t buflen, int *errnop);
enum nss_status prov_enum_getgr(struct prov_enum *e, const char *socket_path, struct group *gr,
				char *buf, size_t buflen, int *errnop);

/* The glibc entry points (prototypes as glibc's nss module interface). */
PROV_NSS_EXPORT enum nss_status _nss_prov_getpwnam_r(const char *name, struct passwd *pw,
						     char *buf, size_t buflen, int *errnop);
PROV_NSS_EXPORT enum nss_status _nss_prov_getpwuid_r(uid_t uid, struct passwd *pw, char *buf,
						     size_t buflen, int *errnop);
PROV_NSS_EXPORT enum nss_status _nss_prov_getgrnam_r(const char *name, struct group *gr,
						     char *buf, size_t buflen, int *errnop);
PROV_NSS_EXPORT enum nss_status _nss_prov_getgrgid_r(gid_t gid, struct group *gr, char *buf,
						     size_t buflen, int *errnop);
PROV_NSS_EXPORT enum nss_status _nss_prov_initgroups_dyn(const char *user, gid_t group,
							 long int *start, long int *size,
							 gid_t **groupsp, long int limit,
							 int *errnop);
PROV_NSS_EXPORT enum nss_status _nss_prov_setpwent(int stayopen);
PROV_NSS_EXPORT enum nss_status _nss_prov_getpwent_r(struct passwd *pw, char *buf, size_t buflen,
						     int *errnop);
PROV_NSS_EXPORT enum nss_status _nss_prov_endpwent(void);
PROV_NSS_EXPORT enum nss_status _nss_prov_setgrent(int stayopen);
PROV_NSS_EXPORT enum nss_status _nss_prov_getgrent_r(struct group *gr, char *buf, size_t buflen,
						     int *errnop);
PROV_NSS_EXPORT enum nss_status _nss_prov_endgrent(void);

#endif

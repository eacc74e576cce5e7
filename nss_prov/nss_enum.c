/* SPDX-License-Identifier: MIT */
/*
 * Enumeration (getpwent/getgrent): pages fetched with PW_ENUM/GR_ENUM and
 * handed out one entry per call. The page is plain memory and every fetch
 * opens and closes its own connection, so a fork() in between leaves the
 * child nothing to share with its parent.
 */
#include "nss_prov.h"
#include "mapread.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

void prov_enum_init(struct prov_enum *e, uint16_t op)
{
	memset(e, 0, sizeof(*e));
	e->op = op;
}

void prov_enum_reset(struct prov_enum *e)
{
	prov_reply_free(&e->page);
	prov_enum_init(e, e->op);
}

/*
 * Checks a page reply to the request for cursor and makes it the current
 * page, taking ownership of rep's body (freed here if refused). A page
 * body is "u32 next, u32 n, n x record"; the records are decoded one at a
 * time, as handed out.
 */
enum nss_status prov_enum_take_page(struct prov_enum *e, uint32_t cursor, struct prov_reply *rep,
				    int *errnop)
{
	struct prov_reader rd;
	uint32_t next, n;

	prov_reader_init(&rd, rep->body, rep->body_len);
	next = prov_get_u32(&rd);
	n = prov_get_u32(&rd);
	/* Cursors only move forward, and an empty page ends the walk: either
	 * rule broken would let a daemon keep us enumerating forever. */
	if (rd.err || n > PROV_ENUM_PAGE_MAX || (next != PROV_ENUM_END && next <= cursor) ||
	    (n == 0 && next != PROV_ENUM_END)) {
		prov_reply_free(rep);
		return prov_nss_unavail(errnop);
	}
	prov_reply_free(&e->page);
	e->page = *rep;
	e->rd = rd;
	e->left = n;
	e->next = next;
	e->have_page = true;
	return NSS_STATUS_SUCCESS;
}

static enum nss_status fetch(struct prov_enum *e, const char *socket_path, uint32_t cursor,
			     int *errnop)
{
	struct prov_reply rep;
	enum nss_status st;

	st = prov_nss_ask_u32(socket_path, e->op, cursor, &rep, errnop);
	if (st == NSS_STATUS_NOTFOUND)
		return prov_nss_unavail(errnop); /* not an answer to an enumeration */
	if (st != NSS_STATUS_SUCCESS)
		return st;
	return prov_enum_take_page(e, cursor, &rep, errnop);
}

/* Makes sure an unread entry is at e->rd, fetching pages as needed, and
 * copies e->rd to *ret_rd to decode it from (advance() then consumes it).
 * NOTFOUND/ENOENT at the end of the walk. */
static enum nss_status ready(struct prov_enum *e, const char *socket_path, struct prov_reader *ret_rd,
			     int *errnop)
{
	enum nss_status st;

	if (!e->have_page) {
		st = fetch(e, socket_path, 0, errnop);
		if (st != NSS_STATUS_SUCCESS)
			return st;
	}
	while (e->left == 0) {
		/* A page must hold exactly the records it announced. */
		if (prov_reader_end(&e->rd) < 0)
			return prov_nss_unavail(errnop);
		if (e->next == PROV_ENUM_END) {
			*errnop = ENOENT;
			return NSS_STATUS_NOTFOUND;
		}
		st = fetch(e, socket_path, e->next, errnop);
		if (st != NSS_STATUS_SUCCESS)
			return st;
	}
	*ret_rd = e->rd;
	return NSS_STATUS_SUCCESS;
}

/* Moves past the entry decoded up to rd once st says the caller got it. */
static enum nss_status advance(struct prov_enum *e, const struct prov_reader *rd, enum nss_status st)
{
	if (st == NSS_STATUS_SUCCESS) {
		e->rd = *rd;
		e->left--;
	}
	return st;
}

/* On ERANGE the reader is not advanced: the next call, with the bigger
 * buffer glibc retries with, gets the same entry. */
enum nss_status prov_enum_getpw(struct prov_enum *e, const char *socket_path, struct passwd *pw,
				char *buf, size_t buflen, int *errnop)
{
	struct prov_passwd_rec p;
	struct prov_reader rd;
	enum nss_status st;

	st = ready(e, socket_path, &rd, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	if (prov_get_passwd(&rd, &p) < 0)
		return prov_nss_unavail(errnop);
	return advance(e, &rd, prov_nss_put_passwd(&p, pw, buf, buflen, errnop));
}

enum nss_status prov_enum_getgr(struct prov_enum *e, const char *socket_path, struct group *gr,
				char *buf, size_t buflen, int *errnop)
{
	struct prov_group_rec g;
	struct prov_reader rd;
	enum nss_status st;

	st = ready(e, socket_path, &rd, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	if (prov_get_group(&rd, &g) < 0)
		return prov_nss_unavail(errnop);
	return advance(e, &rd, prov_nss_put_group(&g, gr, buf, buflen, errnop));
}

/*
 * The process-wide enumerations behind the entry points: from the lookup
 * snapshot when there is one to believe (mapread.h), else the socket. glibc already
 * serialises set/get/end*ent under its own lock; the mutex is for callers
 * that reach the entry points another way. pthread_mutex_* live in libc
 * since glibc 2.34, so this adds no libpthread dependency.
 */
static pthread_mutex_t pw_lock = PTHREAD_MUTEX_INITIALIZER;
static struct prov_mapenum pw_enum = { .sock = { .op = PROV_OP_PW_ENUM } };
static pthread_mutex_t gr_lock = PTHREAD_MUTEX_INITIALIZER;
static struct prov_mapenum gr_enum = { .sock = { .op = PROV_OP_GR_ENUM } };

static enum nss_status reset_locked(pthread_mutex_t *lock, struct prov_mapenum *e)
{
	pthread_mutex_lock(lock);
	prov_mapenum_reset(e);
	pthread_mutex_unlock(lock);
	return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_prov_setpwent(int stayopen)
{
	(void)stayopen; /* nothing is kept open between calls */
	return reset_locked(&pw_lock, &pw_enum);
}

enum nss_status _nss_prov_getpwent_r(struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	enum nss_status st;

	pthread_mutex_lock(&pw_lock);
	st = prov_mapenum_getpw(&pw_enum, prov_mapsrc_default(), PROV_SOCKET_PATH, pw, buf, buflen, errnop);
	pthread_mutex_unlock(&pw_lock);
	return st;
}

enum nss_status _nss_prov_endpwent(void)
{
	return reset_locked(&pw_lock, &pw_enum);
}

enum nss_status _nss_prov_setgrent(int stayopen)
{
	(void)stayopen;
	return reset_locked(&gr_lock, &gr_enum);
}

enum nss_status _nss_prov_getgrent_r(struct group *gr, char *buf, size_t buflen, int *errnop)
{
	enum nss_status st;

	pthread_mutex_lock(&gr_lock);
	st = prov_mapenum_getgr(&gr_enum, prov_mapsrc_default(), PROV_SOCKET_PATH, gr, buf, buflen, errnop);
	pthread_mutex_unlock(&gr_lock);
	return st;
}

enum nss_status _nss_prov_endgrent(void)
{
	return reset_locked(&gr_lock, &gr_enum);
}

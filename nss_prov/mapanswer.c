/* SPDX-License-Identifier: MIT */
/*
 * Answering from the lookup snapshot. A record found is the exact body
 * the socket would have sent, so it goes through the same checks and the
 * same two-pass packing (nss_pack.c) as a socket reply; ERANGE leaves the
 * caller's buffer untouched and glibc retries bigger. Anything the view
 * calls damaged (-EBADMSG) sends the question to the socket instead.
 */
#include "mapread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static enum nss_status notfound(int *errnop)
{
	*errnop = ENOENT;
	return NSS_STATUS_NOTFOUND;
}

/* As prov_nss_ask_*: provd and what it spawns never use the module. */
static bool bypassed(void)
{
	return secure_getenv(PROV_NSS_BYPASS_ENV) != NULL;
}

/* The length of a name a prov entry can have; 0 when none can. */
static size_t name_len(const char *name)
{
	size_t len = name ? strnlen(name, PROV_NAME_MAX + 1) : 0;

	return len > PROV_NAME_MAX ? 0 : len;
}

/* A user from the snapshot: the checks of nss_check.c run once per
 * record and mapping, then only the copy. -ENOENT / -EBADMSG as mapview. */
static int map_user(struct prov_map *m, enum prov_map_index idx, const char *name, size_t len, uint32_t id,
		    struct passwd *pw, char *buf, size_t buflen, int *errnop, enum nss_status *ret)
{
	struct prov_map_user u;
	struct prov_map_hit hit;
	bool checked;
	int r;

	r = prov_map_lookup_seen(&m->view, m->seen, idx, name, len, id, &u, NULL, &hit);
	if (r < 0)
		return r;
	checked = hit.seen;
	*ret = prov_nss_put_passwd_once(&u.pw, &checked, pw, buf, buflen, errnop);
	if (checked)
		prov_map_mark_seen(&m->view, m->seen, &hit);
	return 0;
}

static const struct prov_map_lens *find_lens(const struct prov_map *m, const uint8_t *members, uint32_t n)
{
	const struct prov_map_lens *l = __atomic_load_n(&m->lens, __ATOMIC_ACQUIRE);

	for (; l; l = l->next)
		if (l->members == members && l->n == n)
			return l;
	return NULL;
}

/* The member lengths of a checked group, built once per mapping; NULL
 * when the group is small, a name does not fit a byte, or memory is out
 * (the copy then reads the length words: slower, as right). */
static const struct prov_map_lens *group_lens(struct prov_map *m, const struct prov_group_rec *g)
{
	const uint8_t *p = g->members.buf + g->members.off, *end = g->members.buf + g->members.len;
	const struct prov_map_lens *have;
	struct prov_map_lens *l, *head;
	uint32_t i, len;

	if (g->n_members < PROV_MAP_LENS_MIN || g->members.off > g->members.len)
		return NULL;
	have = find_lens(m, p, g->n_members);
	if (have)
		return have;
	l = malloc(sizeof(*l) + g->n_members);
	if (!l)
		return NULL;
	l->members = p;
	l->n = g->n_members;
	for (i = 0; i < g->n_members; i++) {
		if (end - p < 4)
			break;
		memcpy(&len, p, 4);
		if (len > 255 || len > (size_t)(end - p - 4))
			break;
		l->len[i] = (uint8_t)len;
		p += 4 + len;
	}
	if (i != g->n_members || p != end) {
		free(l);
		return NULL;
	}
	head = __atomic_load_n(&m->lens, __ATOMIC_ACQUIRE);
	do {
		l->next = head;
	} while (!__atomic_compare_exchange_n(&m->lens, &head, l, false, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE));
	return l;
}

static int map_group(struct prov_map *m, enum prov_map_index idx, const char *name, size_t len, uint32_t id,
		     struct group *gr, char *buf, size_t buflen, int *errnop, enum nss_status *ret)
{
	const struct prov_map_lens *lens;
	struct prov_group_rec g;
	struct prov_map_hit hit;
	bool checked;
	int r;

	r = prov_map_lookup_seen(&m->view, m->seen, idx, name, len, id, NULL, &g, &hit);
	if (r < 0)
		return r;
	checked = hit.seen;
	if (!checked && !prov_nss_group_ok(&g)) {
		*ret = prov_nss_unavail(errnop);
		return 0;
	}
	checked = true;
	prov_map_mark_seen(&m->view, m->seen, &hit);
	lens = group_lens(m, &g);
	*ret = prov_nss_put_group_once(&g, lens ? lens->len : NULL, &checked, gr, buf, buflen, errnop);
	return 0;
}

enum nss_status prov_map_getpwnam(struct prov_mapsrc *src, const char *socket_path, const char *name,
				  struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	size_t len = name_len(name);
	enum nss_status st;
	struct prov_map *m;
	int r;

	if (bypassed())
		return prov_nss_unavail(errnop);
	if (len == 0)
		return notfound(errnop);
	m = prov_map_current(src);
	if (!m)
		return prov_nss_getpwnam(socket_path, name, pw, buf, buflen, errnop);
	r = map_user(m, PROV_MAP_PW_NAME, name, len, 0, pw, buf, buflen, errnop, &st);
	if (r == -ENOENT)
		return notfound(errnop);
	if (r < 0)
		return prov_nss_getpwnam(socket_path, name, pw, buf, buflen, errnop);
	return st;
}

enum nss_status prov_map_getpwuid(struct prov_mapsrc *src, const char *socket_path, uid_t uid,
				  struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	enum nss_status st;
	struct prov_map *m;
	int r;

	if (bypassed())
		return prov_nss_unavail(errnop);
	if (!prov_nss_id_ok(uid))
		return notfound(errnop);
	m = prov_map_current(src);
	if (!m)
		return prov_nss_getpwuid(socket_path, uid, pw, buf, buflen, errnop);
	r = map_user(m, PROV_MAP_PW_UID, NULL, 0, uid, pw, buf, buflen, errnop, &st);
	if (r == -ENOENT)
		return notfound(errnop);
	if (r < 0)
		return prov_nss_getpwuid(socket_path, uid, pw, buf, buflen, errnop);
	return st;
}

enum nss_status prov_map_getgrnam(struct prov_mapsrc *src, const char *socket_path, const char *name,
				  struct group *gr, char *buf, size_t buflen, int *errnop)
{
	size_t len = name_len(name);
	enum nss_status st;
	struct prov_map *m;
	int r;

	if (bypassed())
		return prov_nss_unavail(errnop);
	if (len == 0)
		return notfound(errnop);
	m = prov_map_current(src);
	if (!m)
		return prov_nss_getgrnam(socket_path, name, gr, buf, buflen, errnop);
	r = map_group(m, PROV_MAP_GR_NAME, name, len, 0, gr, buf, buflen, errnop, &st);
	if (r == -ENOENT)
		return notfound(errnop);
	if (r < 0)
		return prov_nss_getgrnam(socket_path, name, gr, buf, buflen, errnop);
	return st;
}

enum nss_status prov_map_getgrgid(struct prov_mapsrc *src, const char *socket_path, gid_t gid,
				  struct group *gr, char *buf, size_t buflen, int *errnop)
{
	enum nss_status st;
	struct prov_map *m;
	int r;

	if (bypassed())
		return prov_nss_unavail(errnop);
	if (!prov_nss_id_ok(gid))
		return notfound(errnop);
	m = prov_map_current(src);
	if (!m)
		return prov_nss_getgrgid(socket_path, gid, gr, buf, buflen, errnop);
	r = map_group(m, PROV_MAP_GR_GID, NULL, 0, gid, gr, buf, buflen, errnop, &st);
	if (r == -ENOENT)
		return notfound(errnop);
	if (r < 0)
		return prov_nss_getgrgid(socket_path, gid, gr, buf, buflen, errnop);
	return st;
}

enum nss_status prov_map_initgroups(struct prov_mapsrc *src, const char *socket_path, const char *user,
				    gid_t group, long int *start, long int *size, gid_t **groupsp,
				    long int limit, int *errnop)
{
	size_t len = name_len(user);
	struct prov_map_user u;
	struct prov_map_hit hit;
	struct prov_reply rep;
	struct prov_map *m;
	int r;

	if (bypassed())
		return prov_nss_unavail(errnop);
	if (len == 0)
		return notfound(errnop);
	m = prov_map_current(src);
	if (!m)
		return prov_nss_initgroups(socket_path, user, group, start, size, groupsp, limit, errnop);
	r = prov_map_lookup_seen(&m->view, m->seen, PROV_MAP_PW_NAME, user, len, 0, &u, NULL, &hit);
	/* Answering initgroups never needed the passwd checks; they run
	 * here only so that the next lookups of this user are quick. */
	if (r == 0 && !hit.seen && prov_nss_passwd_ok(&u.pw))
		prov_map_mark_seen(&m->view, m->seen, &hit);
	if (r == -ENOENT || (r == 0 && u.ig_status == PROV_ST_NOT_FOUND))
		return notfound(errnop);
	if (r < 0)
		return prov_nss_initgroups(socket_path, user, group, start, size, groupsp, limit, errnop);
	/* The stored INITGROUPS body, read in place like a reply. */
	memset(&rep, 0, sizeof(rep));
	rep.body = (uint8_t *)(uintptr_t)u.ig_body;
	rep.body_len = u.ig_len;
	return prov_nss_initgroups_reply(&rep, group, start, size, groupsp, limit, errnop);
}

void prov_mapenum_init(struct prov_mapenum *e, uint16_t op)
{
	memset(e, 0, sizeof(*e));
	prov_enum_init(&e->sock, op);
}

void prov_mapenum_reset(struct prov_mapenum *e)
{
	uint16_t op = e->sock.op;

	prov_map_drop(e->map);
	prov_enum_reset(&e->sock);
	prov_mapenum_init(e, op);
}

/* The first call picks the source of the whole walk: a snapshot whose
 * section checks whole, else the socket. */
static void start(struct prov_mapenum *e, struct prov_mapsrc *src, bool groups)
{
	e->started = true;
	if (bypassed())
		return; /* the socket walk answers UNAVAIL, as before */
	e->map = prov_map_hold(src);
	if (e->map && (groups ? prov_map_verify_groups(&e->map->view) : prov_map_verify_users(&e->map->view)) < 0) {
		prov_map_drop(e->map);
		e->map = NULL;
	}
}

enum nss_status prov_mapenum_getpw(struct prov_mapenum *e, struct prov_mapsrc *src, const char *socket_path,
				   struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	struct prov_map_user u;
	enum nss_status st;
	uint32_t next;
	int r;

	if (!e->started)
		start(e, src, false);
	if (!e->map)
		return prov_enum_getpw(&e->sock, socket_path, pw, buf, buflen, errnop);
	next = e->cursor;
	r = prov_map_next_user_verified(&e->map->view, &next, &u);
	if (r == -ENOENT)
		return notfound(errnop);
	if (r < 0)
		return prov_nss_unavail(errnop);
	st = prov_nss_put_passwd(&u.pw, pw, buf, buflen, errnop);
	if (st == NSS_STATUS_SUCCESS)
		e->cursor = next; /* on ERANGE the same entry comes again */
	return st;
}

enum nss_status prov_mapenum_getgr(struct prov_mapenum *e, struct prov_mapsrc *src, const char *socket_path,
				   struct group *gr, char *buf, size_t buflen, int *errnop)
{
	struct prov_group_rec g;
	enum nss_status st;
	uint32_t next;
	int r;

	if (!e->started)
		start(e, src, true);
	if (!e->map)
		return prov_enum_getgr(&e->sock, socket_path, gr, buf, buflen, errnop);
	next = e->cursor;
	r = prov_map_next_group_verified(&e->map->view, &next, &g);
	if (r == -ENOENT)
		return notfound(errnop);
	if (r < 0)
		return prov_nss_unavail(errnop);
	st = prov_nss_put_group(&g, gr, buf, buflen, errnop);
	if (st == NSS_STATUS_SUCCESS)
		e->cursor = next;
	return st;
}

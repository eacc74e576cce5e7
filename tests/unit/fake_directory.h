/* SPDX-License-Identifier: MIT */
/*
 * A fake provd directory for the nss_prov unit tests, served through
 * fake_provd.h: users "user<i>" (uid 20000+i, gid 20000+i, home
 * /home/user<i>, shell /bin/bash) and groups "group<i>" (gid 30000+i,
 * members user0..user<i % 5 - 1>), answering the lookup, initgroups and
 * enumeration requests the way include/prov/protocol.h says, or breaking
 * them in one chosen way (fault) to see the module refuse.
 */
#ifndef PROV_TEST_FAKE_DIRECTORY_H
#define PROV_TEST_FAKE_DIRECTORY_H

#include "fake_provd.h"

enum fake_fault {
	FAULT_NONE,
	FAULT_OTHER_RECORD,     /* answer with the next user/group instead */
	FAULT_TRAILING_BYTE,    /* one byte after the record */
	FAULT_ID_ZERO,          /* uid/gid 0 in the record (gid 0 in initgroups) */
	FAULT_COLON,            /* ':' in gecos / a member name */
	FAULT_STATUS_WITH_BODY, /* NOT_FOUND with a non-empty body */
	FAULT_INTERNAL,         /* status INTERNAL */
	FAULT_CURSOR_BACK,      /* enumeration: next cursor does not advance */
	FAULT_EMPTY_NOT_END,    /* enumeration: empty page, but not the end */
	FAULT_PAGE_SHORT,       /* enumeration: n one more than sent */
	FAULT_PAGE_OVER_MAX,    /* enumeration: n > PROV_ENUM_PAGE_MAX */
	FAULT_TOO_MANY_GIDS,    /* initgroups: n > PROV_GROUPS_PER_USER_MAX */
	FAULT_EMPTY_OK,         /* status OK with an empty body */
};

struct fake_dir {
	uint32_t n_users;
	uint32_t n_groups;
	uint32_t page; /* enumeration page size */
	enum fake_fault fault;
};

static inline void fake_dir_put_user(struct prov_writer *w, const struct fake_dir *d, uint32_t i)
{
	char name[32], home[64];

	snprintf(name, sizeof(name), "user%u", i);
	snprintf(home, sizeof(home), "/home/user%u", i);
	prov_put_passwd(w, name, d->fault == FAULT_ID_ZERO ? 0 : 20000 + i, 20000 + i,
			d->fault == FAULT_COLON ? "User:Colon" : "Test User", home, "/bin/bash");
}

static inline void fake_dir_put_group(struct prov_writer *w, const struct fake_dir *d, uint32_t i)
{
	char name[32];
	uint32_t n = i % 5;

	snprintf(name, sizeof(name), "group%u", i);
	prov_put_str(w, name, PROV_NAME_MAX);
	prov_put_u32(w, d->fault == FAULT_ID_ZERO ? 0 : 30000 + i);
	prov_put_u32(w, n);
	for (uint32_t m = 0; m < n; m++) {
		snprintf(name, sizeof(name), d->fault == FAULT_COLON ? "user:%u" : "user%u", m);
		prov_put_str(w, name, PROV_NAME_MAX);
	}
}

/* "user17" -> 17 when prefix is "user"; -1 otherwise. */
static inline long fake_dir_index(const struct prov_str *s, const char *prefix)
{
	size_t pl = strlen(prefix);
	char tmp[PROV_NAME_MAX + 1];
	char *end;
	long v;

	if (s->len <= pl || s->len > PROV_NAME_MAX || memcmp(s->ptr, prefix, pl) != 0)
		return -1;
	memcpy(tmp, s->ptr + pl, s->len - pl);
	tmp[s->len - pl] = '\0';
	v = strtol(tmp, &end, 10);
	return *end == '\0' && v >= 0 ? v : -1;
}

/* Finds the entry asked for; -1 when it is not in the directory. */
static inline long fake_dir_lookup(const struct fake_dir *d, const struct prov_header *req,
				   struct prov_reader *r)
{
	long i = -1;

	switch (req->type) {
	case PROV_OP_PW_BY_NAME:
	case PROV_OP_INITGROUPS: {
		struct prov_str s = prov_get_str(r, PROV_NAME_MAX);

		i = fake_dir_index(&s, "user");
		return i >= 0 && (uint32_t)i < d->n_users ? i : -1;
	}
	case PROV_OP_GR_BY_NAME: {
		struct prov_str s = prov_get_str(r, PROV_NAME_MAX);

		i = fake_dir_index(&s, "group");
		return i >= 0 && (uint32_t)i < d->n_groups ? i : -1;
	}
	case PROV_OP_PW_BY_UID:
		i = (long)prov_get_u32(r) - 20000;
		return i >= 0 && (uint32_t)i < d->n_users ? i : -1;
	case PROV_OP_GR_BY_GID:
		i = (long)prov_get_u32(r) - 30000;
		return i >= 0 && (uint32_t)i < d->n_groups ? i : -1;
	}
	return -1;
}

static inline void fake_dir_enum(struct prov_writer *w, const struct fake_dir *d, uint16_t op,
				 uint32_t cursor)
{
	uint32_t total = op == PROV_OP_PW_ENUM ? d->n_users : d->n_groups;
	uint32_t n = 0, next, i;

	if (cursor < total)
		n = total - cursor < d->page ? total - cursor : d->page;
	next = cursor + n < total ? cursor + n : PROV_ENUM_END;
	if (d->fault == FAULT_CURSOR_BACK && next != PROV_ENUM_END)
		next = cursor;
	if (d->fault == FAULT_EMPTY_NOT_END) {
		n = 0;
		next = cursor + 1;
	}
	prov_put_u32(w, next);
	if (d->fault == FAULT_PAGE_OVER_MAX)
		prov_put_u32(w, PROV_ENUM_PAGE_MAX + 1);
	else
		prov_put_u32(w, d->fault == FAULT_PAGE_SHORT ? n + 1 : n);
	for (i = cursor; i < cursor + n; i++) {
		if (op == PROV_OP_PW_ENUM)
			fake_dir_put_user(w, d, i);
		else
			fake_dir_put_group(w, d, i);
	}
}

static inline void fake_dir_handler(int fd, const struct prov_header *req, const uint8_t *body,
				    void *arg)
{
	static uint8_t out[PROV_HEADER_SIZE + PROV_MAX_BODY];
	const struct fake_dir *d = arg;
	struct prov_writer w;
	struct prov_reader r;
	long i;

	if (d->fault == FAULT_INTERNAL) {
		fake_reply(fd, req->type, PROV_ST_INTERNAL, NULL, 0);
		return;
	}
	if (d->fault == FAULT_EMPTY_OK) {
		fake_reply(fd, req->type, PROV_ST_OK, NULL, 0);
		return;
	}
	prov_reader_init(&r, body, req->body_len);
	prov_writer_init(&w, out, sizeof(out));
	prov_writer_begin(&w);

	if (req->type == PROV_OP_PW_ENUM || req->type == PROV_OP_GR_ENUM) {
		fake_dir_enum(&w, d, req->type, prov_get_u32(&r));
		fake_reply_writer(fd, req, PROV_ST_OK, &w);
		return;
	}
	i = fake_dir_lookup(d, req, &r);
	if (prov_reader_end(&r) < 0) {
		fake_reply(fd, req->type, PROV_ST_BAD_REQUEST, NULL, 0);
		return;
	}
	if (i < 0) {
		if (d->fault == FAULT_STATUS_WITH_BODY) {
			prov_put_u32(&w, 0);
			fake_reply_writer(fd, req, PROV_ST_NOT_FOUND, &w);
			return;
		}
		fake_reply(fd, req->type, PROV_ST_NOT_FOUND, NULL, 0);
		return;
	}
	if (d->fault == FAULT_OTHER_RECORD)
		i++;
	switch (req->type) {
	case PROV_OP_PW_BY_NAME:
	case PROV_OP_PW_BY_UID:
		fake_dir_put_user(&w, d, (uint32_t)i);
		break;
	case PROV_OP_GR_BY_NAME:
	case PROV_OP_GR_BY_GID:
		fake_dir_put_group(&w, d, (uint32_t)i);
		break;
	case PROV_OP_INITGROUPS: {
		/* user<i> is in group<g> for every g with g % 5 > i, plus
		 * its own primary gid (which the module must skip) and one
		 * duplicate (which it must drop). */
		uint32_t gids[64], n = 0, g;

		gids[n++] = 20000 + (uint32_t)i;
		for (g = 0; g < d->n_groups && n < 60; g++)
			if (g % 5 > (uint32_t)i)
				gids[n++] = 30000 + g;
		if (n > 1)
			gids[n++] = gids[1];
		if (d->fault == FAULT_ID_ZERO)
			gids[n++] = 0;
		prov_put_u32(&w, d->fault == FAULT_TOO_MANY_GIDS ? PROV_GROUPS_PER_USER_MAX + 1 : n);
		for (g = 0; g < n; g++)
			prov_put_u32(&w, gids[g]);
		break;
	}
	default:
		fake_reply(fd, req->type, PROV_ST_UNSUPPORTED, NULL, 0);
		return;
	}
	if (d->fault == FAULT_TRAILING_BYTE)
		prov_put_u32(&w, 0);
	fake_reply_writer(fd, req, PROV_ST_OK, &w);
}

#endif

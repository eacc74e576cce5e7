/* SPDX-License-Identifier: MIT */
#include "wire.h"

#include <errno.h>
#include <string.h>

void prov_header_encode(uint8_t out[PROV_HEADER_SIZE], uint16_t type, uint32_t status, uint32_t body_len)
{
	uint32_t magic = PROV_MAGIC;
	uint16_t version = PROV_PROTO_VERSION;

	memcpy(out, &magic, 4);
	memcpy(out + 4, &version, 2);
	memcpy(out + 6, &type, 2);
	memcpy(out + 8, &status, 4);
	memcpy(out + 12, &body_len, 4);
}

int prov_header_decode(const uint8_t in[PROV_HEADER_SIZE], struct prov_header *ret)
{
	struct prov_header h;
	uint32_t magic;

	memcpy(&magic, in, 4);
	memcpy(&h.version, in + 4, 2);
	memcpy(&h.type, in + 6, 2);
	memcpy(&h.status, in + 8, 4);
	memcpy(&h.body_len, in + 12, 4);
	if (magic != PROV_MAGIC || h.version != PROV_PROTO_VERSION)
		return -EPROTO;
	if (h.body_len > PROV_MAX_BODY)
		return -EMSGSIZE;
	*ret = h;
	return 0;
}

uint32_t prov_reply_body_max(uint16_t type)
{
	if (type == PROV_OP_GR_BY_NAME || type == PROV_OP_GR_BY_GID || type == PROV_OP_GR_ENUM)
		return PROV_MAX_REPLY_BODY;
	return PROV_MAX_BODY;
}

int prov_reply_header_decode(const uint8_t in[PROV_HEADER_SIZE], struct prov_header *ret)
{
	struct prov_header h;
	uint8_t tmp[PROV_HEADER_SIZE];
	uint32_t body;
	int r;

	/* The header checks of a request, with the body length of this
	 * reply type's limit instead. */
	memcpy(tmp, in, sizeof(tmp));
	memcpy(&body, in + 12, 4);
	memset(tmp + 12, 0, 4);
	r = prov_header_decode(tmp, &h);
	if (r < 0)
		return r;
	if (body > prov_reply_body_max(h.type))
		return -EMSGSIZE;
	h.body_len = body;
	*ret = h;
	return 0;
}

void prov_writer_init(struct prov_writer *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

static void put_raw(struct prov_writer *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (n > w->cap - w->len) {
		w->err = -EMSGSIZE;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void prov_writer_begin(struct prov_writer *w)
{
	static const uint8_t zero[PROV_HEADER_SIZE];

	w->len = 0;
	w->err = 0;
	put_raw(w, zero, sizeof(zero));
}

int prov_writer_finish(struct prov_writer *w, uint16_t type, uint32_t status)
{
	size_t body;

	if (w->err)
		return w->err;
	if (w->len < PROV_HEADER_SIZE)
		return -EINVAL;
	body = w->len - PROV_HEADER_SIZE;
	if (body > PROV_MAX_REPLY_BODY)
		return -EMSGSIZE;
	prov_header_encode(w->buf, type, status, (uint32_t)body);
	return 0;
}

void prov_put_u32(struct prov_writer *w, uint32_t v)
{
	put_raw(w, &v, sizeof(v));
}

void prov_put_u64(struct prov_writer *w, uint64_t v)
{
	put_raw(w, &v, sizeof(v));
}

void prov_put_bytes(struct prov_writer *w, const char *s, size_t len, size_t max)
{
	if (w->err)
		return;
	/* Never put on the wire what the other side must refuse. */
	if (len > max || (len > 0 && memchr(s, '\0', len))) {
		w->err = -EINVAL;
		return;
	}
	prov_put_u32(w, (uint32_t)len);
	put_raw(w, s, len);
}

void prov_put_str(struct prov_writer *w, const char *s, size_t max)
{
	prov_put_bytes(w, s ? s : "", s ? strlen(s) : 0, max);
}

void prov_put_passwd(struct prov_writer *w, const char *name, uint32_t uid, uint32_t gid,
		     const char *gecos, const char *home, const char *shell)
{
	prov_put_str(w, name, PROV_NAME_MAX);
	prov_put_u32(w, uid);
	prov_put_u32(w, gid);
	prov_put_str(w, gecos, PROV_GECOS_MAX);
	prov_put_str(w, home, PROV_PATH_MAX);
	prov_put_str(w, shell, PROV_PATH_MAX);
}

void prov_reader_init(struct prov_reader *r, const void *body, size_t len)
{
	r->buf = body;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

static int get_raw(struct prov_reader *r, void *p, size_t n)
{
	if (r->err)
		return r->err;
	if (n > r->len - r->off) {
		r->err = -EBADMSG;
		return r->err;
	}
	memcpy(p, r->buf + r->off, n);
	r->off += n;
	return 0;
}

uint32_t prov_get_u32(struct prov_reader *r)
{
	uint32_t v = 0;

	if (get_raw(r, &v, sizeof(v)) < 0)
		return 0;
	return v;
}

uint64_t prov_get_u64(struct prov_reader *r)
{
	uint64_t v = 0;

	if (get_raw(r, &v, sizeof(v)) < 0)
		return 0;
	return v;
}

struct prov_str prov_get_str(struct prov_reader *r, size_t max)
{
	struct prov_str s = { "", 0 };
	uint32_t len = prov_get_u32(r);

	if (r->err)
		return s;
	if (len > max || len > r->len - r->off) {
		r->err = -EBADMSG;
		return s;
	}
	if (len > 0 && memchr(r->buf + r->off, '\0', len)) {
		r->err = -EBADMSG;
		return s;
	}
	s.ptr = (const char *)r->buf + r->off;
	s.len = len;
	r->off += len;
	return s;
}

int prov_reader_end(const struct prov_reader *r)
{
	if (r->err)
		return r->err;
	return r->off == r->len ? 0 : -EBADMSG;
}

int prov_get_passwd(struct prov_reader *r, struct prov_passwd_rec *ret)
{
	struct prov_passwd_rec p;

	p.name = prov_get_str(r, PROV_NAME_MAX);
	p.uid = prov_get_u32(r);
	p.gid = prov_get_u32(r);
	p.gecos = prov_get_str(r, PROV_GECOS_MAX);
	p.home = prov_get_str(r, PROV_PATH_MAX);
	p.shell = prov_get_str(r, PROV_PATH_MAX);
	if (r->err)
		return r->err;
	if (p.name.len == 0) {
		return -EBADMSG;
	}
	*ret = p;
	return 0;
}

int prov_get_group(struct prov_reader *r, struct prov_group_rec *ret)
{
	struct prov_group_rec g;
	uint32_t i;

	g.name = prov_get_str(r, PROV_NAME_MAX);
	g.gid = prov_get_u32(r);
	g.n_members = prov_get_u32(r);
	if (r->err)
		return r->err;
	if (g.name.len == 0 || g.n_members > PROV_GROUP_MEMBERS_MAX)
		return -EBADMSG;
	/* Walk every member once now, so that a record is either valid as a
	 * whole or refused before the caller sees any of it. */
	g.members = *r;
	for (i = 0; i < g.n_members; i++) {
		struct prov_str m = prov_get_str(r, PROV_NAME_MAX);

		if (r->err)
			return r->err;
		if (m.len == 0)
			return -EBADMSG;
	}
	g.members.len = r->off; /* the member walk stops where the record ends */
	*ret = g;
	return 0;
}

int prov_group_next_member(struct prov_group_rec *g, struct prov_str *ret)
{
	struct prov_str m;

	if (g->members.off >= g->members.len)
		return -ENOENT;
	m = prov_get_str(&g->members, PROV_NAME_MAX);
	if (g->members.err)
		return g->members.err;
	*ret = m;
	return 0;
}

int prov_str_copy(const struct prov_str *s, char *dst, size_t dstsz)
{
	if (dstsz == 0 || s->len > dstsz - 1)
		return -ERANGE;
	memcpy(dst, s->ptr, s->len);
	dst[s->len] = '\0';
	return 0;
}

int prov_str_eq(const struct prov_str *s, const char *cstr)
{
	size_t n = strlen(cstr);

	return n == s->len && memcmp(s->ptr, cstr, n) == 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The module's own last look at a record before it reaches a consumer.
 * provd already validates everything (DESIGN invariants 1 and 2); this is
 * the cheap second lock, so that a broken or impersonated daemon still
 * cannot hand out root or a line that splits a passwd entry in two.
 */
#include "nss_prov.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* Bytes that would corrupt a passwd(5)/group(5) line or a terminal:
 * ':' splits fields, control characters split lines or hide text. A name
 * additionally must not contain ',' (the member list separator of
 * group(5)) or '/'. One table look-up per byte: a 100,000-member group is
 * checked in one pass over its names. */
#define BAD_FIELD 1u
#define BAD_NAME  2u

/* Control characters, ':' and DEL are bad anywhere (3 = BAD_FIELD | BAD_NAME). */
static const unsigned char bad_table[256] = {
	[0x00] = 3, [0x01] = 3, [0x02] = 3, [0x03] = 3, [0x04] = 3, [0x05] = 3, [0x06] = 3, [0x07] = 3,
	[0x08] = 3, [0x09] = 3, [0x0a] = 3, [0x0b] = 3, [0x0c] = 3, [0x0d] = 3, [0x0e] = 3, [0x0f] = 3,
	[0x10] = 3, [0x11] = 3, [0x12] = 3, [0x13] = 3, [0x14] = 3, [0x15] = 3, [0x16] = 3, [0x17] = 3,
	[0x18] = 3, [0x19] = 3, [0x1a] = 3, [0x1b] = 3, [0x1c] = 3, [0x1d] = 3, [0x1e] = 3, [0x1f] = 3,
	[':'] = BAD_FIELD | BAD_NAME, [0x7f] = BAD_FIELD | BAD_NAME, [','] = BAD_NAME, ['/'] = BAD_NAME,
};

static bool clean(const struct prov_str *s, unsigned char bad)
{
	uint32_t i;

	for (i = 0; i < s->len; i++)
		if (bad_table[(unsigned char)s->ptr[i]] & bad)
			return false;
	return true;
}

static bool field_ok(const struct prov_str *s)
{
	return clean(s, BAD_FIELD);
}

/* A name additionally must not be empty. */
static bool name_ok(const struct prov_str *s)
{
	return s->len != 0 && clean(s, BAD_NAME);
}

/* 0 is root; (uid_t)-1 means "no change" to chown() and setreuid(). */
bool prov_nss_id_ok(uint32_t id)
{
	return id != 0 && id != UINT32_MAX;
}

bool prov_nss_passwd_ok(const struct prov_passwd_rec *p)
{
	return name_ok(&p->name) && prov_nss_id_ok(p->uid) && prov_nss_id_ok(p->gid) &&
	       field_ok(&p->gecos) && field_ok(&p->home) && field_ok(&p->shell);
}

/* The members are walked here directly (length word, bytes), not with
 * prov_group_next_member(): the decoder already refused NULs (and a NUL
 * is a control character to the table anyway), so only the bounds are
 * checked again, not every byte twice. */
bool prov_nss_group_ok(const struct prov_group_rec *g)
{
	const uint8_t *p, *end;
	struct prov_str m;
	uint32_t i, len;

	if (!name_ok(&g->name) || !prov_nss_id_ok(g->gid))
		return false;
	if (g->members.off > g->members.len)
		return false;
	p = g->members.buf + g->members.off;
	end = g->members.buf + g->members.len;
	for (i = 0; i < g->n_members; i++) {
		if (end - p < 4)
			return false;
		memcpy(&len, p, 4);
		p += 4;
		if (len > (size_t)(end - p))
			return false;
		m.ptr = (const char *)p;
		m.len = len;
		if (!name_ok(&m))
			return false;
		p += len;
	}
	return p == end;
}

/* SPDX-License-Identifier: MIT */
/*
 * The module's own last look at a record before it reaches a consumer.
 * provd already validates everything (DESIGN invariants 1 and 2); this is
 * the cheap second lock, so that a broken or impersonated daemon still
 * cannot hand out root or a line that splits a passwd entry in two.
 */
#include "nss_prov.h"

#include <errno.h>

/* Bytes that would corrupt a passwd(5)/group(5) line or a terminal:
 * ':' splits fields, control characters split lines or hide text. */
static bool field_ok(const struct prov_str *s)
{
	uint32_t i;

	for (i = 0; i < s->len; i++) {
		unsigned char c = (unsigned char)s->ptr[i];

		if (c == ':' || c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

/* A name additionally must not be empty or contain ',' (the member list
 * separator of group(5)) or '/'. */
static bool name_ok(const struct prov_str *s)
{
	uint32_t i;

	if (s->len == 0 || !field_ok(s))
		return false;
	for (i = 0; i < s->len; i++)
		if (s->ptr[i] == ',' || s->ptr[i] == '/')
			return false;
	return true;
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

bool prov_nss_group_ok(const struct prov_group_rec *g)
{
	struct prov_group_rec walk = *g;
	struct prov_str m;
	int r;

	if (!name_ok(&g->name) || !prov_nss_id_ok(g->gid))
		return false;
	while ((r = prov_group_next_member(&walk, &m)) == 0)
		if (!name_ok(&m))
			return false;
	return r == -ENOENT;
}

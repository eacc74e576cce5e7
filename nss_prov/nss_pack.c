/* SPDX-License-Identifier: MIT */
/*
 * Packing a record into the caller's buffer, in two passes: first measure
 * everything, and if it does not fit fail with -ERANGE before writing a
 * byte (glibc then retries with a bigger buffer); then copy.
 */
#include "nss_prov.h"

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

/* gr_passwd: "x", as group(5) lines without a gshadow password have. */
static const struct prov_str no_passwd = { "x", 1 };
/* A prov user has no password anywhere, so not "x" (which tells pam_unix to
 * look in shadow, where it finds nothing and fails the account stack of a
 * stock Debian/RHEL PAM config before pam_prov is asked) but "*": no
 * password, no shadow lookup, as sssd serves it. */
static const struct prov_str no_user_passwd = { "*", 1 };

/* Hands out consecutive pieces of the caller's buffer. Only used once the
 * measuring pass proved everything fits. */
struct arena {
	char *p;
};

static char *arena_str(struct arena *a, const struct prov_str *s)
{
	char *d = a->p;

	memcpy(d, s->ptr, s->len);
	d[s->len] = '\0';
	a->p += s->len + 1;
	return d;
}

int prov_pack_passwd(const struct prov_passwd_rec *p, struct passwd *pw, char *buf, size_t buflen)
{
	struct arena a = { buf };
	size_t need;

	need = (size_t)p->name.len + 1 + no_user_passwd.len + 1 + p->gecos.len + 1 + p->home.len + 1 +
	       p->shell.len + 1;
	if (need > buflen)
		return -ERANGE;

	pw->pw_name = arena_str(&a, &p->name);
	pw->pw_passwd = arena_str(&a, &no_user_passwd);
	pw->pw_uid = p->uid;
	pw->pw_gid = p->gid;
	pw->pw_gecos = arena_str(&a, &p->gecos);
	pw->pw_dir = arena_str(&a, &p->home);
	pw->pw_shell = arena_str(&a, &p->shell);
	return 0;
}

/* Bytes to skip so that buf + pad is aligned for a char * array. */
static size_t ptr_pad(const char *buf)
{
	size_t mis = (uintptr_t)buf % alignof(char *);

	return mis ? alignof(char *) - mis : 0;
}

/*
 * The quick way, when the buffer has room for the member strings as the
 * record holds them (u32 length, bytes; 3 bytes a member more than the
 * packed way): one memcpy of all of them, then each member's NUL goes on
 * the first byte of the next one's length, after that length was read.
 * The lengths are read from the record (src), which stays as it was. A
 * 100,000-member group is a 1 MB copy and a loop of a few instructions
 * per member, not a bounds-checked read and a copy per member. members is
 * a walk prov_get_group() or mapview.c accepted, at the first member.
 */
static int pack_members_joined(const struct prov_group_rec *g, const uint8_t *lens, char **mem, char *dst)
{
	const uint8_t *src = g->members.buf + g->members.off;
	size_t blob = g->members.len - g->members.off, at = 0;
	uint32_t i, len;

	memcpy(dst, src, blob);
	dst[blob] = '\0';
	if (lens) {
		/* at only grows by what lens says; checked against blob once,
		 * at the end, before anyone sees mem (the NULs it wrote stay
		 * inside dst: each is at a sum of lengths, and a sum past blob
		 * is caught at the member where it first passes it). */
		for (i = 0; i < g->n_members; i++) {
			mem[i] = dst + at + 4;
			at += 4 + (size_t)lens[i];
			if (at > blob)
				return -EINVAL;
			dst[at] = '\0';
		}
		mem[i] = NULL;
		return at == blob ? 0 : -EINVAL;
	}
	for (i = 0; i < g->n_members; i++) {
		if (blob - at < 4)
			return -EINVAL;
		memcpy(&len, src + at, 4); /* dst's first byte is a NUL by now */
		if (len > blob - at - 4)
			return -EINVAL;
		mem[i] = dst + at + 4;
		at += 4 + (size_t)len;
		dst[at] = '\0'; /* the next length's first byte, already read */
	}
	mem[i] = NULL;
	return at == blob ? 0 : -EINVAL;
}

/* One member at a time into exactly the room it needs; exactly
 * n_members of them, or the record is refused. */
static int pack_members_packed(const struct prov_group_rec *g, char **mem, struct arena *a)
{
	struct prov_group_rec walk = *g;
	struct prov_str m;
	uint32_t i = 0;

	while (i < g->n_members && prov_group_next_member(&walk, &m) == 0)
		mem[i++] = arena_str(a, &m);
	mem[i] = NULL;
	return i == g->n_members && walk.members.off == walk.members.len ? 0 : -EINVAL;
}

int prov_pack_group(const struct prov_group_rec *g, struct group *gr, char *buf, size_t buflen)
{
	return prov_pack_group_lens(g, NULL, gr, buf, buflen);
}

int prov_pack_group_lens(const struct prov_group_rec *g, const uint8_t *lens, struct group *gr, char *buf,
			 size_t buflen)
{
	size_t pad = ptr_pad(buf), blob, strings, head, need, joined;
	struct arena a;
	char **mem;
	int r = 0;

	/* The sizes follow from the record: every member is a u32 length
	 * and its bytes (prov_get_group() walked them all). n_members <=
	 * PROV_GROUP_MEMBERS_MAX and each string <= PROV_NAME_MAX, so
	 * none of this can overflow a size_t. */
	if (g->members.off > g->members.len)
		return -EINVAL;
	blob = g->members.len - g->members.off;
	if (blob < (size_t)g->n_members * 4)
		return -EINVAL;
	strings = blob - (size_t)g->n_members * 4 + g->n_members; /* + a NUL each */
	head = pad + ((size_t)g->n_members + 1) * sizeof(char *);
	need = head + strings + g->name.len + 1 + no_passwd.len + 1;
	joined = need - strings + blob + 1;
	if (need > buflen)
		return -ERANGE;

	mem = (char **)(void *)(buf + pad);
	a.p = buf + head;
	if (joined <= buflen) {
		r = pack_members_joined(g, lens, mem, a.p);
		a.p += blob + 1;
	} else {
		r = pack_members_packed(g, mem, &a);
	}
	if (r < 0)
		return r;
	gr->gr_name = arena_str(&a, &g->name);
	gr->gr_passwd = arena_str(&a, &no_passwd);
	gr->gr_gid = g->gid;
	gr->gr_mem = mem;
	return 0;
}

/* What packing means for the caller: ERANGE asks glibc for a bigger
 * buffer; a record we refuse makes the whole answer unusable. */
static enum nss_status pack_status(int r, int *errnop)
{
	if (r == 0)
		return NSS_STATUS_SUCCESS;
	if (r == -ERANGE) {
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	}
	return prov_nss_unavail(errnop);
}

enum nss_status prov_nss_put_passwd_once(const struct prov_passwd_rec *p, bool *checked, struct passwd *pw,
					 char *buf, size_t buflen, int *errnop)
{
	if (!*checked) {
		if (!prov_nss_passwd_ok(p))
			return prov_nss_unavail(errnop);
		*checked = true;
	}
	return pack_status(prov_pack_passwd(p, pw, buf, buflen), errnop);
}

enum nss_status prov_nss_put_group_once(const struct prov_group_rec *g, const uint8_t *lens, bool *checked,
					struct group *gr, char *buf, size_t buflen, int *errnop)
{
	if (!*checked) {
		if (!prov_nss_group_ok(g))
			return prov_nss_unavail(errnop);
		*checked = true;
	}
	return pack_status(prov_pack_group_lens(g, lens, gr, buf, buflen), errnop);
}

enum nss_status prov_nss_put_passwd(const struct prov_passwd_rec *p, struct passwd *pw,
				    char *buf, size_t buflen, int *errnop)
{
	if (!prov_nss_passwd_ok(p))
		return prov_nss_unavail(errnop);
	return pack_status(prov_pack_passwd(p, pw, buf, buflen), errnop);
}

enum nss_status prov_nss_put_group(const struct prov_group_rec *g, struct group *gr,
				   char *buf, size_t buflen, int *errnop)
{
	if (!prov_nss_group_ok(g))
		return prov_nss_unavail(errnop);
	return pack_status(prov_pack_group(g, gr, buf, buflen), errnop);
}

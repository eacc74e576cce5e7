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

int prov_pack_group(const struct prov_group_rec *g, struct group *gr, char *buf, size_t buflen)
{
	struct prov_group_rec walk = *g;
	struct arena a;
	struct prov_str m;
	size_t need, pad = ptr_pad(buf), i = 0, n = 0;
	char **mem;

	/* Pass 1: the member pointer array (NULL-terminated) first, aligned,
	 * then every string. n_members <= PROV_GROUP_MEMBERS_MAX and each
	 * string <= PROV_NAME_MAX, so none of this can overflow a size_t. */
	need = pad + ((size_t)g->n_members + 1) * sizeof(char *) + g->name.len + 1 +
	       no_passwd.len + 1;
	while (prov_group_next_member(&walk, &m) == 0) {
		need += (size_t)m.len + 1;
		n++;
	}
	/* The decoder guarantees this; the array size below relies on it. */
	if (n != g->n_members)
		return -EINVAL;
	if (need > buflen)
		return -ERANGE;

	/* Pass 2 */
	mem = (char **)(void *)(buf + pad);
	a.p = (char *)(mem + g->n_members + 1);
	walk = *g;
	while (i < n && prov_group_next_member(&walk, &m) == 0)
		mem[i++] = arena_str(&a, &m);
	mem[i] = NULL;
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

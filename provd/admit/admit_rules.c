/* SPDX-License-Identifier: MIT */
/* Admission step 1 (admit.c): the rules each user, group and binding
 * must pass on its own: names, ids, text fields, local accounts. */
#include "admit/admit_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* 1..max bytes of printable ASCII, no space: central ids (UUIDs, URNs, IdP
 * keys), binding names, host globs and labels. */
static const char *check_token(const char *s, size_t max)
{
	size_t len;

	if (!s)
		return "is missing";
	len = strlen(s);
	if (len == 0)
		return "is empty";
	if (len > max)
		return "is too long";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return "contains a space, a control character or a non-ASCII byte";
	return NULL;
}

/*
 * Ids that are never served (DESIGN invariant 1): root, the overflow and
 * "nobody" ids, (uint16_t)-1 and (uid_t)-1 (which mean "no change" to
 * chown and setreuid), anything outside [min_id, max_id].
 */
static int check_id(struct verdicts *v, size_t i, const char *what, uint32_t id, bool local,
		    const struct admit_policy *p)
{
	if (id == 0)
		return admit_refuse(v, i, "%s 0 is reserved (root)", what);
	if (id == 65534)
		return admit_refuse(v, i, "%s 65534 is reserved (nobody)", what);
	if (id == 65535)
		return admit_refuse(v, i, "%s 65535 is reserved ((uint16_t)-1)", what);
	if (id == UINT32_MAX)
		return admit_refuse(v, i, "%s 4294967295 is reserved ((%s_t)-1)", what, what);
	if (id < p->min_id)
		return admit_refuse(v, i, "%s %u is below min_id %u", what, id, p->min_id);
	if (id > p->max_id)
		return admit_refuse(v, i, "%s %u is above max_id %u", what, id, p->max_id);
	if (local)
		return admit_refuse(v, i, "%s %u exists in the local %s file", what, id,
			      strcmp(what, "uid") == 0 ? "passwd" : "group");
	return 0;
}

/* The sudo group is provd's own (admit.h): nobody may take its name or gid. */
static int check_reserved(struct verdicts *v, size_t i, const char *name, const uint32_t *gid,
			  const struct admit_policy *p)
{
	if (p->reserved_group && name && strcasecmp(name, p->reserved_group) == 0)
		return admit_refuse(v, i, "name is reserved for the sudo group");
	if (p->reserved_gid && gid && *gid == p->reserved_gid)
		return admit_refuse(v, i, "gid %u is reserved for the sudo group", *gid);
	return 0;
}

/* A name must not be a local user's or group's, in any case. */
static int check_local_name(struct verdicts *v, size_t i, const char *name, const struct localdb *local)
{
	if (localdb_has_user(local, name))
		return admit_refuse(v, i, "name is a local account's");
	if (localdb_has_group(local, name))
		return admit_refuse(v, i, "name is a local group's");
	if (localdb_has_user_nocase(local, name))
		return admit_refuse(v, i, "name is a local account's (compared ignoring case)");
	if (localdb_has_group_nocase(local, name))
		return admit_refuse(v, i, "name is a local group's (compared ignoring case)");
	return 0;
}

static int user_home(struct dir_user *u, struct verdicts *v, size_t i, const struct admit_policy *p)
{
	const char *why;

	if (!u->home) {
		char buf[PROV_PATH_MAX + 2];
		int n = snprintf(buf, sizeof(buf), "%s/%s", p->home_base, u->name);

		if (n < 0 || (size_t)n >= sizeof(buf))
			return admit_refuse(v, i, "default home would be longer than %u bytes", PROV_PATH_MAX);
		u->home = strdup(buf);
		if (!u->home)
			return -ENOMEM;
	}
	why = validate_home(u->home, p->home_base);
	if (why)
		return admit_refuse(v, i, "home %s", why);
	if (localdb_has_home(p->local, u->home))
		return admit_refuse(v, i, "home is a local account's home");
	return 0;
}

/* Step 1 for users and groups alike: the name, then the central id. */
static int check_name_and_id(struct verdicts *v, size_t i, const char *name, const char *id,
			     const struct admit_policy *p)
{
	const char *why;
	int r;

	why = validate_name(name);
	if (why)
		return admit_refuse(v, i, "name %s", why);
	r = check_local_name(v, i, name, p->local);
	if (r < 0 || v->why[i])
		return r;
	why = check_token(id, ADMIT_TOKEN_MAX);
	if (why)
		return admit_refuse(v, i, "id %s", why);
	return 0;
}

/* Step 1 for a user's primary gid or a group's gid. */
static int check_gid(struct verdicts *v, size_t i, const char *name, uint32_t gid, const struct admit_policy *p)
{
	int r = check_id(v, i, "gid", gid, localdb_has_gid(p->local, gid), p);

	if (r < 0 || v->why[i])
		return r;
	return check_reserved(v, i, name, &gid, p);
}

/* Step 1 for one user. Stops at the first problem (later checks may rely on
 * a valid name). */
int admit_check_user(struct dir_user *u, struct verdicts *v, size_t i, const struct admit_policy *p)
{
	const char *why;
	int r;

	r = check_name_and_id(v, i, u->name, u->id, p);
	if (r < 0 || v->why[i])
		return r;
	r = check_id(v, i, "uid", u->uid, localdb_has_uid(p->local, u->uid), p);
	if (r < 0 || v->why[i])
		return r;
	r = check_gid(v, i, u->name, u->gid, p);
	if (r < 0 || v->why[i])
		return r;
	if (u->gecos) {
		why = validate_gecos(u->gecos);
		if (why)
			return admit_refuse(v, i, "gecos %s", why);
	}
	if (u->shell) {
		why = validate_path(u->shell);
		if (why)
			return admit_refuse(v, i, "shell %s", why);
	}
	return user_home(u, v, i, p);
}


/* A group named like a user must be that user's private group. */
static int check_group_vs_users(const struct directory *d, struct verdicts *v, size_t i,
				const struct nametab *served_fold, const struct nametab *refused_fold)
{
	const struct dir_group *g = &d->groups[i];
	const struct dir_user *u;
	uint32_t ui;

	if (nametab_get(refused_fold, g->name, NULL))
		return admit_refuse(v, i, "name is a refused user's");
	if (!nametab_get(served_fold, g->name, &ui))
		return 0;
	u = &d->users[ui];
	if (strcmp(u->name, g->name) != 0)
		return admit_refuse(v, i, "name differs only in case from user %s's", u->name);
	if (u->gid != g->gid)
		return admit_refuse(v, i, "name is user %s's, but gid %u is not the user's primary gid %u", u->name, g->gid,
			      u->gid);
	return 0;
}

int admit_check_group(const struct directory *d, struct verdicts *v, size_t i, const struct admit_policy *p,
		       const struct nametab *served_fold, const struct nametab *refused_fold)
{
	const struct dir_group *g = &d->groups[i];
	int r;

	r = check_name_and_id(v, i, g->name, g->id, p);
	if (r < 0 || v->why[i])
		return r;
	r = check_gid(v, i, g->name, g->gid, p);
	if (r < 0 || v->why[i])
		return r;
	/* snapshot.c rejects such a directory whole before admission; a
	 * caller that did not check gets an error, never a silent drop. */
	if (g->members.n > PROV_GROUP_MEMBERS_MAX)
		return -E2BIG;
	return check_group_vs_users(d, v, i, served_fold, refused_fold);
}

/* "key=value": a non-empty key, then '='. */
static const char *check_label(const char *s)
{
	const char *why = check_token(s, ADMIT_TOKEN_MAX);
	const char *eq;

	if (why)
		return why;
	eq = strchr(s, '=');
	if (!eq || eq == s)
		return "is not key=value";
	return NULL;
}

int admit_check_binding(const struct dir_binding *b, struct verdicts *v, size_t i)
{
	const char *why = check_token(b->name, ADMIT_TOKEN_MAX);

	if (why)
		return admit_refuse(v, i, "name %s", why);
	for (size_t k = 0; k < b->hosts.n; k++) {
		why = check_token(b->hosts.v[k], ADMIT_TOKEN_MAX);
		if (why)
			return admit_refuse(v, i, "hosts[%zu] %s", k, why);
	}
	for (size_t k = 0; k < b->labels.n; k++) {
		why = check_label(b->labels.v[k]);
		if (why)
			return admit_refuse(v, i, "labels[%zu] %s", k, why);
	}
	if (b->users.n == 0 && b->groups.n == 0)
		return admit_refuse(v, i, "names no users and no groups");
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Admission: the local safety rules (DESIGN invariants 1 and 2) that stand
 * between what a directory says and what this host serves.
 *
 * Each kind of entry (users, then groups, then bindings, since each refers
 * to the one before) goes through the same four steps:
 *   1. per-entry rules (name, ids, text fields, local accounts);
 *   2. cross-entry rules (outcome conflict): when a new or changed entry
 *      collides with one served before (prior.h) on its name (ignoring
 *      case), id, uid/gid or home, the established one keeps being served
 *      and only the newcomer is refused: a writer of one entry (or of a
 *      self-service field) cannot take somebody else's account down. When
 *      none of them was served before, all are refused, never "first one
 *      wins", so the result does not depend on the order of the source.
 *      A uid/gid still held by an identity that went (retention,
 *      id_quarantine) is refused to any other identity;
 *   3. every refused entry is recorded with its first reason and removed;
 *   4. corrections on what is left (default shell, dropped members), each
 *      recorded as a note.
 * Duplicates are looked for among all entries that reached admission, the
 * ones refused in step 1 included: two entries named "alice" mean the source
 * is confused about alice, whichever of the two is broken.
 *
 * Decisions worth knowing:
 *  - Names are compared to local users and groups, and to each other,
 *    ignoring ASCII case. glibc matches exactly, but "Root" next to "root"
 *    or "Alice" next to "alice" only serves to confuse a person reading
 *    ls -l or a log; refusing costs nothing legitimate.
 *  - A prov user may not take the name of a local group (e.g. "sudo",
 *    "docker") nor a prov group the name of a local user: a
 *    "chown docker:docker" must mean what the admin thinks.
 *  - A prov group named like a served user must be that user's private
 *    group (same name, gid = the user's primary gid); a group named like a
 *    refused user is refused with it.
 *  - Group members and binding subjects are kept only when they are served
 *    prov users or groups: the directory cannot add a local account to a
 *    prov group (and so give it a prov grant).
 *  - An explicit shell not in /etc/shells is replaced by default_shell with
 *    a note (as SSSD's fallback shell does), except that a shell meant to
 *    refuse logins (.../nologin, .../false, .../true) becomes
 *    /usr/sbin/nologin: a fallback must never grant a shell. A shell that is
 *    not even a clean absolute path is hostile and refuses the user.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "admit/admit.h"
#include "model/hashtab.h"
#include "prov/protocol.h"
#include "admit/sshkey.h"
#include "validate.h"
#include "admit/admit_impl.h"

static int verdicts_init(struct verdicts *v, size_t n)
{
	v->n = n;
	v->why = calloc(n ? n : 1, sizeof(*v->why));
	v->how = calloc(n ? n : 1, sizeof(*v->how));
	return v->why && v->how ? 0 : -ENOMEM;
}

static void verdicts_free(struct verdicts *v)
{
	free(v->how);
	v->how = NULL;
	if (!v->why)
		return;
	for (size_t i = 0; i < v->n; i++)
		free(v->why[i]);
	free(v->why);
	v->why = NULL;
}

/* printf-style (clang's -Wformat-nonliteral in the fuzz build wants it said) */
static int __attribute__((format(printf, 4, 0)))
verdict(struct verdicts *v, size_t i, enum dir_outcome how, const char *fmt, va_list ap)
{
	char buf[PROV_REASON_MAX];

	if (v->why[i])
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	v->why[i] = strdup(buf);
	v->how[i] = how;
	return v->why[i] ? 0 : -ENOMEM;
}

/* Records why entry i is refused, unless it already has a reason. */
int admit_refuse(struct verdicts *v, size_t i, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = verdict(v, i, DIR_REFUSED, fmt, ap);
	va_end(ap);
	return r;
}

/* The same for a collision with another entry (outcome conflict). */
int admit_conflict(struct verdicts *v, size_t i, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = verdict(v, i, DIR_CONFLICT, fmt, ap);
	va_end(ap);
	return r;
}

const char *admit_entry_name(const struct directory *d, enum dir_entry_kind kind, size_t i)
{
	const char *name = NULL;

	if (kind == DIR_KIND_USER)
		name = d->users[i].name;
	else if (kind == DIR_KIND_GROUP)
		name = d->groups[i].name;
	else
		name = d->bindings[i].name;
	return name ? name : "(no name)";
}

/* Step 3: record each refusal and remove the refused entries. */
static int settle(struct directory *d, enum dir_entry_kind kind, struct verdicts *v)
{
	bool *keep = calloc(v->n ? v->n : 1, sizeof(*keep));
	int r = 0;

	if (!keep)
		return -ENOMEM;
	for (size_t i = 0; i < v->n; i++) {
		keep[i] = !v->why[i];
		if (v->why[i] && r == 0 && v->how[i] == DIR_CONFLICT)
			r = directory_add_conflict(d, kind, admit_entry_name(d, kind, i), v->why[i]);
		else if (v->why[i] && r == 0)
			r = directory_add_refusal(d, kind, admit_entry_name(d, kind, i), v->why[i]);
	}
	if (r == 0) {
		if (kind == DIR_KIND_USER)
			directory_filter_users(d, keep);
		else if (kind == DIR_KIND_GROUP)
			directory_filter_groups(d, keep);
		else
			directory_filter_bindings(d, keep);
	}
	free(keep);
	return r;
}

/* Users; the names of the refused ones are copied to refused_names, so
 * groups named after them can be refused too. */
static int admit_users(struct directory *d, const struct admit_policy *p, const struct prior *pr,
		       struct dir_strv *refused_names)
{
	struct verdicts v = { 0 };
	int r = verdicts_init(&v, d->n_users);

	for (size_t i = 0; r == 0 && i < d->n_users; i++)
		r = admit_check_user(&d->users[i], &v, i, p);
	if (r == 0)
		r = admit_entry_duplicates(d, DIR_KIND_USER, pr, &v);
	for (size_t i = 0; r == 0 && i < d->n_users; i++)
		if (v.why[i] && d->users[i].name)
			r = dir_strv_push(refused_names, d->users[i].name);
	if (r == 0)
		r = settle(d, DIR_KIND_USER, &v);
	if (r == 0)
		r = admit_user_corrections(d, p);
	verdicts_free(&v);
	return r;
}

static int admit_groups(struct directory *d, const struct admit_policy *p, const struct prior *pr,
			const struct dir_strv *refused_users)
{
	struct nametab served_fold, served, refused_fold;
	struct verdicts v = { 0 };
	int r;

	memset(&served_fold, 0, sizeof(served_fold));
	memset(&served, 0, sizeof(served));
	memset(&refused_fold, 0, sizeof(refused_fold));
	r = admit_user_table(d, &served_fold, true);
	if (r == 0)
		r = admit_name_table(&refused_fold, (const char *const *)refused_users->v, refused_users->n, true);
	if (r == 0)
		r = verdicts_init(&v, d->n_groups);
	if (r < 0)
		goto out;
	for (size_t i = 0; r == 0 && i < d->n_groups; i++)
		r = admit_check_group(d, &v, i, p, &served_fold, &refused_fold);
	if (r == 0)
		r = admit_entry_duplicates(d, DIR_KIND_GROUP, pr, &v);
	if (r == 0)
		r = settle(d, DIR_KIND_GROUP, &v);
	verdicts_free(&v);
	if (r == 0)
		r = admit_user_table(d, &served, false);
	if (r == 0)
		r = admit_group_members(d, &served);
out:
	nametab_free(&served_fold);
	nametab_free(&served);
	nametab_free(&refused_fold);
	return r;
}

static int admit_bindings(struct directory *d)
{
	struct nametab users, groups;
	struct verdicts v = { 0 };
	const char **names;
	int r;

	memset(&users, 0, sizeof(users));
	memset(&groups, 0, sizeof(groups));
	r = verdicts_init(&v, d->n_bindings);
	for (size_t i = 0; r == 0 && i < d->n_bindings; i++)
		r = admit_check_binding(&d->bindings[i], &v, i);
	names = calloc(v.n ? v.n : 1, sizeof(*names));
	if (!names && r == 0)
		r = -ENOMEM;
	if (r == 0) {
		struct dup_ctx c = { .d = d, .kind = DIR_KIND_BINDING, .v = &v };
		uint32_t *leader = calloc(v.n ? v.n : 1, sizeof(*leader));

		for (size_t i = 0; i < v.n; i++)
			names[i] = d->bindings[i].name;
		r = leader ? admit_str_leaders(names, v.n, false, leader) : -ENOMEM;
		if (r == 0)
			r = admit_resolve(&c, DUP_NAME, leader);
		free(leader);
	}
	free(names);
	if (r == 0)
		r = settle(d, DIR_KIND_BINDING, &v);
	verdicts_free(&v);
	if (r < 0)
		return r;

	r = admit_user_table(d, &users, false);
	if (r == 0)
		r = admit_group_table(d, &groups);
	if (r == 0)
		r = verdicts_init(&v, d->n_bindings);
	if (r == 0) {
		r = admit_binding_subjects(d, &v, &users, &groups);
		if (r == 0)
			r = settle(d, DIR_KIND_BINDING, &v);
		verdicts_free(&v);
	}
	nametab_free(&users);
	nametab_free(&groups);
	return r;
}

static bool policy_valid(const struct admit_policy *p)
{
	return p && p->local && p->home_base && !validate_path(p->home_base) && strcmp(p->home_base, "/") != 0 &&
	       p->default_shell && !validate_path(p->default_shell) && strcmp(p->default_shell, "/") != 0;
}

int admit_directory(struct directory *d, const struct admit_policy *p)
{
	struct dir_strv refused_users = { 0 };
	struct prior pr;
	int r;

	/* A home_base of "/" would make /etc a valid home. */
	if (!d || !policy_valid(p))
		return -EINVAL;
	r = prior_build(&pr, p->prev, p->known, p->n_known);
	if (r < 0)
		return r;
	r = admit_users(d, p, &pr, &refused_users);
	if (r == 0)
		r = admit_groups(d, p, &pr, &refused_users);
	if (r == 0)
		r = admit_bindings(d);
	dir_strv_free(&refused_users);
	prior_free(&pr);
	return r;
}

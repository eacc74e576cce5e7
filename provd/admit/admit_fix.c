/* SPDX-License-Identifier: MIT */
/* Admission step 4 (admit.c): corrections on what is left (shells, keys,
 * members and subjects not served), each recorded as a note. */
#include "admit/admit_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A shell that exists to refuse a login: /usr/sbin/nologin, /bin/false,
 * /bin/true (none of them is in Debian's /etc/shells). */
static bool refuses_login(const char *shell)
{
	const char *base = strrchr(shell, '/');

	base = base ? base + 1 : shell;
	return strcmp(base, "nologin") == 0 || strcmp(base, "false") == 0 || strcmp(base, "true") == 0;
}

/*
 * A login shell must be listed in /etc/shells; otherwise serve the default
 * and say so. The fallback must never turn a shell the directory chose to
 * refuse logins (nologin, false) into a working one: those are served as
 * nologin. Inactive users get nologin whatever the directory says.
 */
static int user_shell(struct directory *d, size_t i, const struct admit_policy *p)
{
	struct dir_user *u = &d->users[i];
	const char *want = NULL;
	char note[PROV_REASON_MAX];
	int r = 0;

	if (!u->active)
		want = p->nologin_shell ? p->nologin_shell : ADMIT_NOLOGIN_SHELL;
	else if (!u->shell)
		want = p->default_shell;
	else if (p->shells && dir_strv_contains(p->shells, u->shell))
		want = NULL; /* served as given */
	else if (refuses_login(u->shell))
		want = p->nologin_shell ? p->nologin_shell : ADMIT_NOLOGIN_SHELL;
	else {
		snprintf(note, sizeof(note), "shell %s is not in /etc/shells: serving %s", u->shell,
			 p->default_shell);
		r = directory_add_note(d, DIR_KIND_USER, u->name, note);
		want = p->default_shell;
	}
	if (r < 0 || !want)
		return r;
	free(u->shell);
	u->shell = strdup(want);
	return u->shell ? 0 : -ENOMEM;
}

/* Drops key k of user u (outcome corrected, the reason named): a key
 * sshkey_check() (sshkey.c) does not accept as a plain key is dropped,
 * the user's other keys staying served. The caller frees the string. */
static int drop_key(struct directory *d, const struct dir_user *u, size_t k, const char *why)
{
	char note[PROV_REASON_MAX];

	snprintf(note, sizeof(note), "ssh_keys[%zu] %s: dropped", k, why);
	return directory_add_note(d, DIR_KIND_USER, u->name, note);
}

static int user_keys(struct directory *d, size_t i, const struct admit_policy *p)
{
	enum sshkey_options opts = p->key_options_restrict ? SSHKEY_OPTIONS_RESTRICT : SSHKEY_OPTIONS_NONE;
	struct dir_user *u = &d->users[i];
	size_t out = 0;
	int r = 0;

	for (size_t k = 0; k < u->ssh_keys.n; k++) {
		const char *why = sshkey_check(u->ssh_keys.v[k], opts);

		if (!why && out >= PROV_SSH_KEYS_MAX)
			why = "is over the limit of 64 keys";
		if (!why) {
			u->ssh_keys.v[out++] = u->ssh_keys.v[k];
			continue;
		}
		if (r == 0)
			r = drop_key(d, u, k, why);
		free(u->ssh_keys.v[k]);
	}
	u->ssh_keys.n = out;
	return r;
}

/* Step 4 for users. */
int admit_user_corrections(struct directory *d, const struct admit_policy *p)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < d->n_users; i++) {
		struct dir_user *u = &d->users[i];

		if (!u->gecos) {
			u->gecos = strdup("");
			if (!u->gecos)
				return -ENOMEM;
		}
		r = user_shell(d, i, p);
		if (r == 0)
			r = user_keys(d, i, p);
	}
	return r;
}

/*
 * Keeps the names of sv that are in served (once each) and frees the rest;
 * *ret_dropped counts what went, *ret_first names the first dropped (a
 * pointer into a string that has been freed is never returned: it is copied
 * into first, size firstsz).
 */
static int keep_served(struct dir_strv *sv, const struct nametab *served, size_t *ret_dropped, char *first,
		       size_t firstsz)
{
	struct nametab seen;
	size_t out = 0, dropped = 0;
	int r = nametab_init(&seen, sv->n, false);

	if (r < 0)
		return r;
	first[0] = '\0';
	for (size_t k = 0; k < sv->n; k++) {
		char *s = sv->v[k];
		int pr = -EEXIST;

		if (nametab_get(served, s, NULL)) {
			pr = nametab_put(&seen, s, 0, NULL);
			if (pr == -ENOMEM) {
				r = pr;
				sv->v[out++] = s; /* keep it owned; the caller drops d */
				continue;
			}
			if (pr == 0) {
				sv->v[out++] = s;
				continue;
			}
			free(s); /* a repeat of a served name: not worth a note */
			continue;
		}
		if (dropped++ == 0)
			snprintf(first, firstsz, "%s", s);
		free(s);
	}
	sv->n = out;
	nametab_free(&seen);
	*ret_dropped = dropped;
	return r;
}

/* Step 4 for groups: members are served users only. */
int admit_group_members(struct directory *d, const struct nametab *served_users)
{
	for (size_t i = 0; i < d->n_groups; i++) {
		struct dir_group *g = &d->groups[i];
		char first[PROV_NAME_MAX * 2], note[PROV_REASON_MAX];
		size_t dropped;
		int r = keep_served(&g->members, served_users, &dropped, first, sizeof(first));

		if (r == 0 && dropped > 0) {
			snprintf(note, sizeof(note), "%zu member(s) dropped: not served prov users (first: %s)",
				 dropped, first);
			r = directory_add_note(d, DIR_KIND_GROUP, g->name, note);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int admit_name_table(struct nametab *t, const char *const *names, size_t n, bool fold)
{
	int r = nametab_init(t, n, fold);

	for (size_t i = 0; r == 0 && i < n; i++) {
		r = nametab_put(t, names[i], (uint32_t)i, NULL);
		if (r == -EEXIST)
			r = 0;
	}
	return r;
}

/* The served users' names, by exact name or folded. */
int admit_user_table(const struct directory *d, struct nametab *t, bool fold)
{
	const char **names = calloc(d->n_users ? d->n_users : 1, sizeof(*names));
	int r;

	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_users; i++)
		names[i] = d->users[i].name;
	r = admit_name_table(t, names, d->n_users, fold);
	free(names);
	return r;
}

int admit_group_table(const struct directory *d, struct nametab *t)
{
	const char **names = calloc(d->n_groups ? d->n_groups : 1, sizeof(*names));
	int r;

	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_groups; i++)
		names[i] = d->groups[i].name;
	r = admit_name_table(t, names, d->n_groups, false);
	free(names);
	return r;
}

/* Step 4 for bindings: subjects are served users and groups only. A
 * binding left with no subject is refused (an empty subject list must
 * never be read as "everyone"). */
int admit_binding_subjects(struct directory *d, struct verdicts *v, const struct nametab *users,
			    const struct nametab *groups)
{
	for (size_t i = 0; i < d->n_bindings; i++) {
		struct dir_binding *b = &d->bindings[i];
		char fu[PROV_NAME_MAX * 2], fg[PROV_NAME_MAX * 2], note[PROV_REASON_MAX];
		size_t du, dg;
		int r = keep_served(&b->users, users, &du, fu, sizeof(fu));

		if (r == 0)
			r = keep_served(&b->groups, groups, &dg, fg, sizeof(fg));
		if (r < 0)
			return r;
		if (du + dg == 0)
			continue;
		snprintf(note, sizeof(note), "%zu user(s) and %zu group(s) dropped: not served by prov (first: %s)", du,
			 dg, du ? fu : fg);
		if (b->users.n == 0 && b->groups.n == 0)
			r = admit_refuse(v, i, "no served user or group left: %s", note);
		else
			r = directory_add_note(d, DIR_KIND_BINDING, b->name, note);
		if (r < 0)
			return r;
	}
	return 0;
}

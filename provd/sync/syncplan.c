/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/hashtab.h"
#include "sync/syncplan.h"

static const char *key_of(const char *id, const char *name)
{
	return id && id[0] ? id : name ? name : "";
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Ordered: a reordered key list is a change, which is harmless. */
static bool strv_eq(const struct dir_strv *a, const struct dir_strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static int strv_subset(const struct dir_strv *a, const struct dir_strv *b, bool *ret)
{
	struct nametab t;

	*ret = true;
	if (b->n <= 16) {
		for (size_t i = 0; i < a->n && *ret; i++)
			*ret = dir_strv_contains(b, a->v[i]);
		return 0;
	}
	if (nametab_init(&t, b->n, false) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++)
		if (nametab_put(&t, b->v[i], 0, NULL) == -ENOMEM) {
			nametab_free(&t);
			return -ENOMEM;
		}
	for (size_t i = 0; i < a->n && *ret; i++)
		*ret = nametab_get(&t, a->v[i], NULL);
	nametab_free(&t);
	return 0;
}

/* Unordered: membership is a set. */
static int set_eq(const struct dir_strv *a, const struct dir_strv *b, bool *ret)
{
	int r;

	*ret = false;
	if (a->n != b->n)
		return 0;
	r = strv_subset(a, b, ret);
	if (r == 0 && *ret)
		r = strv_subset(b, a, ret);
	return r;
}

static int list_add(struct syncplan_list *l, const struct syncplan_entry *e)
{
	/* grow at 8, 16, 32, ... */
	if (l->n == 0 || (l->n >= 8 && (l->n & (l->n - 1)) == 0)) {
		size_t cap = l->n < 8 ? 8 : l->n * 2;
		struct syncplan_entry *v = reallocarray(l->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
	}
	l->v[l->n++] = *e;
	return 0;
}

typedef const char *(*key_fn)(const struct directory *d, size_t i);

static const char *user_key(const struct directory *d, size_t i)
{
	return key_of(d->users[i].id, d->users[i].name);
}

static const char *group_key(const struct directory *d, size_t i)
{
	return key_of(d->groups[i].id, d->groups[i].name);
}

static const char *binding_key(const struct directory *d, size_t i)
{
	return d->bindings[i].name;
}

/* An index of n entries by key; a key given twice keeps the first. */
static int build_index(struct nametab *t, const struct directory *d, size_t n, key_fn key)
{
	int r = nametab_init(t, n, false);

	for (size_t i = 0; r == 0 && i < n; i++) {
		r = nametab_put(t, key(d, i), (uint32_t)i, NULL);
		if (r == -EEXIST)
			r = 0;
	}
	return r;
}

/* The old entries by key, and which of them the candidate still has. */
struct old_index {
	struct nametab tab;
	bool *seen;
};

static int old_index_init(struct old_index *x, const struct directory *old, size_t n, key_fn key)
{
	int r;

	x->seen = calloc(n + 1, sizeof(*x->seen));
	if (!x->seen)
		return -ENOMEM;
	r = build_index(&x->tab, old, n, key);
	if (r < 0) {
		nametab_free(&x->tab);
		free(x->seen);
	}
	return r;
}

static void old_index_free(struct old_index *x)
{
	nametab_free(&x->tab);
	free(x->seen);
}

/* The old entry under key, marked as still there. */
static bool old_index_find(struct old_index *x, const char *key, uint32_t *ret_i)
{
	if (!nametab_get(&x->tab, key, ret_i))
		return false;
	x->seen[*ret_i] = true;
	return true;
}

static unsigned user_fields(const struct dir_user *o, const struct dir_user *n)
{
	unsigned f = 0;

	if (!str_eq(o->name, n->name))
		f |= SYNC_F_NAME;
	if (o->uid != n->uid)
		f |= SYNC_F_UID;
	if (o->gid != n->gid)
		f |= SYNC_F_GID;
	if (!str_eq(o->gecos, n->gecos))
		f |= SYNC_F_GECOS;
	if (!str_eq(o->home, n->home))
		f |= SYNC_F_HOME;
	if (!str_eq(o->shell, n->shell))
		f |= SYNC_F_SHELL;
	if (!strv_eq(&o->ssh_keys, &n->ssh_keys))
		f |= SYNC_F_SSH_KEYS;
	if (!o->active && n->active)
		f |= SYNC_F_REACTIVATED;
	return f;
}

static int diff_users(const struct directory *old, const struct directory *cand, struct syncplan *p)
{
	struct old_index x;
	int r = old_index_init(&x, old, old->n_users, user_key);

	if (r < 0)
		return r;
	for (size_t k = 0; r == 0 && k < cand->n_users; k++) {
		const struct dir_user *n = &cand->users[k], *o;
		struct syncplan_entry e = { .id = key_of(n->id, n->name), .name = n->name };
		uint32_t i;

		if (!old_index_find(&x, e.id, &i)) {
			r = list_add(&p->users_added, &e);
			continue;
		}
		o = &old->users[i];
		if (o->active && !n->active) {
			e.why = SYNCPLAN_INACTIVE;
			r = list_add(&p->users_deprovisioned, &e);
			continue;
		}
		e.fields = user_fields(o, n);
		if (e.fields & SYNC_F_NAME)
			e.old_name = o->name;
		if (e.fields)
			r = list_add(&p->users_changed, &e);
	}
	for (size_t i = 0; r == 0 && i < old->n_users; i++) {
		const struct dir_user *o = &old->users[i];
		struct syncplan_entry e = { .id = key_of(o->id, o->name), .name = o->name, .why = SYNCPLAN_REMOVED };

		if (o->active)
			p->old_active++;
		if (x.seen[i])
			continue;
		r = list_add(o->active ? &p->users_deprovisioned : &p->users_purged, &e);
	}
	old_index_free(&x);
	return r;
}

static int diff_groups(const struct directory *old, const struct directory *cand, struct syncplan *p)
{
	struct old_index x;
	bool same;
	int r = old_index_init(&x, old, old->n_groups, group_key);

	if (r < 0)
		return r;
	for (size_t k = 0; r == 0 && k < cand->n_groups; k++) {
		const struct dir_group *n = &cand->groups[k], *o;
		struct syncplan_entry e = { .id = key_of(n->id, n->name), .name = n->name };
		uint32_t i;

		if (!old_index_find(&x, e.id, &i)) {
			r = list_add(&p->groups_added, &e);
			continue;
		}
		o = &old->groups[i];
		if (!str_eq(o->name, n->name)) {
			e.fields |= SYNC_F_NAME;
			e.old_name = o->name;
		}
		if (o->gid != n->gid)
			e.fields |= SYNC_F_GID;
		r = set_eq(&o->members, &n->members, &same);
		if (r == 0 && !same)
			e.fields |= SYNC_F_MEMBERS;
		if (r == 0 && e.fields)
			r = list_add(&p->groups_changed, &e);
	}
	for (size_t i = 0; r == 0 && i < old->n_groups; i++) {
		struct syncplan_entry e = { .id = key_of(old->groups[i].id, old->groups[i].name),
					    .name = old->groups[i].name };

		if (!x.seen[i])
			r = list_add(&p->groups_removed, &e);
	}
	old_index_free(&x);
	return r;
}

static int binding_fields(const struct dir_binding *o, const struct dir_binding *n, unsigned *ret)
{
	bool a, b;
	int r;

	*ret = 0;
	r = set_eq(&o->users, &n->users, &a);
	if (r == 0)
		r = set_eq(&o->groups, &n->groups, &b);
	if (r < 0)
		return r;
	if (!a || !b)
		*ret |= SYNC_F_MEMBERS;
	r = set_eq(&o->hosts, &n->hosts, &a);
	if (r == 0)
		r = set_eq(&o->labels, &n->labels, &b);
	if (r < 0)
		return r;
	if (!a || !b)
		*ret |= SYNC_F_SCOPE;
	if (o->grants != n->grants)
		*ret |= SYNC_F_GRANTS;
	if (o->not_after != n->not_after)
		*ret |= SYNC_F_EXPIRY;
	return 0;
}

static int diff_bindings(const struct directory *old, const struct directory *cand, struct syncplan *p)
{
	struct old_index x;
	int r = old_index_init(&x, old, old->n_bindings, binding_key);

	if (r < 0)
		return r;
	for (size_t k = 0; r == 0 && k < cand->n_bindings; k++) {
		const struct dir_binding *n = &cand->bindings[k];
		struct syncplan_entry e = { .id = n->name, .name = n->name };
		uint32_t i;

		if (!old_index_find(&x, n->name, &i)) {
			r = list_add(&p->bindings_added, &e);
			continue;
		}
		r = binding_fields(&old->bindings[i], n, &e.fields);
		if (r == 0 && e.fields)
			r = list_add(&p->bindings_changed, &e);
	}
	for (size_t i = 0; r == 0 && i < old->n_bindings; i++) {
		struct syncplan_entry e = { .id = old->bindings[i].name, .name = old->bindings[i].name };

		if (!x.seen[i])
			r = list_add(&p->bindings_removed, &e);
	}
	old_index_free(&x);
	return r;
}

static bool nothing_changed(const struct syncplan *p)
{
	return !p->users_added.n && !p->users_changed.n && !p->users_deprovisioned.n && !p->users_purged.n &&
	       !p->groups_added.n && !p->groups_changed.n && !p->groups_removed.n && !p->bindings_added.n &&
	       !p->bindings_changed.n && !p->bindings_removed.n;
}

/* The mass-deprovisioning guard; a reason when the candidate is suspicious. */
static bool suspicious(const struct directory *cand, const struct syncplan *p, const struct syncplan_policy *pol,
		       char *why, size_t whysz)
{
	size_t n = p->users_deprovisioned.n;

	if (cand->n_users == 0 && p->old_active > 0) {
		snprintf(why, whysz, "the new directory has no users, %zu are active now", p->old_active);
		return true;
	}
	if (n > pol->deprovision_floor && (double)n > pol->max_deprovision_share * (double)p->old_active) {
		snprintf(why, whysz, "it would deprovision %zu of %zu active users (%.0f%%), over the limit of %.0f%%",
			 n, p->old_active, 100.0 * (double)n / (double)p->old_active,
			 100.0 * pol->max_deprovision_share);
		return true;
	}
	return false;
}

int syncplan_compute(const struct directory *old, const char *old_bytes, size_t old_len,
		     const struct directory *cand, const char *new_bytes, size_t new_len,
		     const struct syncplan_policy *pol, struct syncplan *ret)
{
	static const struct directory empty; /* no old directory: everything is added */
	struct syncplan p = { .verdict = SYNCPLAN_APPLY };
	const struct directory *base = old ? old : &empty;
	bool same_serial = false;
	char why[200];
	int r;

	p.stale = cand->not_after != 0 && cand->not_after <= pol->now;
	if (old && pol->check_serial) {
		if (cand->serial < old->serial) {
			p.verdict = SYNCPLAN_REJECT;
			snprintf(p.reason, sizeof(p.reason),
				 "serial %" PRIu64 " is older than the current %" PRIu64 " (a replayed document?)",
				 cand->serial, old->serial);
			goto done;
		}
		if (cand->serial == old->serial) {
			if (old_bytes && new_bytes) {
				if (old_len == new_len && memcmp(old_bytes, new_bytes, new_len) == 0) {
					p.verdict = SYNCPLAN_NOOP;
					goto done;
				}
				p.verdict = SYNCPLAN_REJECT;
				snprintf(p.reason, sizeof(p.reason),
					 "serial %" PRIu64 " reused with different content", cand->serial);
				goto done;
			}
			same_serial = true;
		}
	}
	r = diff_users(base, cand, &p);
	if (r == 0)
		r = diff_groups(base, cand, &p);
	if (r == 0)
		r = diff_bindings(base, cand, &p);
	if (r < 0) {
		syncplan_free(&p);
		return r;
	}
	if (!old)
		goto done;
	/* Without serial checks (SCIM) the serial is the caller's own
	 * counter: an unchanged directory is a no-op whatever it says. */
	if (nothing_changed(&p) && (!pol->check_serial || old->serial == cand->serial) &&
	    old->not_after == cand->not_after) {
		p.verdict = SYNCPLAN_NOOP;
		goto done;
	}
	if (same_serial) {
		p.verdict = SYNCPLAN_REJECT;
		snprintf(p.reason, sizeof(p.reason), "serial %" PRIu64 " reused with different content", cand->serial);
		goto done;
	}
	if (suspicious(cand, &p, pol, why, sizeof(why))) {
		if (pol->force) {
			p.forced = true;
		} else {
			p.verdict = SYNCPLAN_REJECT;
			snprintf(p.reason, sizeof(p.reason), "suspicious: %s; provctl refresh --force accepts it", why);
		}
	}
done:
	*ret = p;
	return 0;
}

void syncplan_free(struct syncplan *p)
{
	struct syncplan_list *lists[] = {
		&p->users_added,    &p->users_changed,  &p->users_deprovisioned, &p->users_purged,
		&p->groups_added,   &p->groups_changed, &p->groups_removed,      &p->bindings_added,
		&p->bindings_changed, &p->bindings_removed,
	};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		free(lists[i]->v);
		lists[i]->v = NULL;
		lists[i]->n = 0;
	}
}

void syncplan_fields_str(unsigned fields, char *buf, size_t bufsz)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ SYNC_F_NAME, "name" },       { SYNC_F_UID, "uid" },     { SYNC_F_GID, "gid" },
		{ SYNC_F_GECOS, "gecos" },     { SYNC_F_HOME, "home" },   { SYNC_F_SHELL, "shell" },
		{ SYNC_F_SSH_KEYS, "ssh_keys" }, { SYNC_F_REACTIVATED, "reactivated" },
		{ SYNC_F_MEMBERS, "members" }, { SYNC_F_SCOPE, "scope" }, { SYNC_F_GRANTS, "grants" },
		{ SYNC_F_EXPIRY, "not_after" },
	};
	size_t len = 0;

	if (bufsz == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int n;

		if (!(fields & names[i].bit))
			continue;
		n = snprintf(buf + len, bufsz - len, "%s%s", len ? "," : "", names[i].name);
		if (n < 0 || (size_t)n >= bufsz - len)
			return;
		len += (size_t)n;
	}
}

void syncplan_summary(const struct syncplan *p, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz,
		 "users +%zu ~%zu -%zu deprovisioned (-%zu inactive removed), groups +%zu ~%zu -%zu, "
		 "bindings +%zu ~%zu -%zu",
		 p->users_added.n, p->users_changed.n, p->users_deprovisioned.n, p->users_purged.n, p->groups_added.n,
		 p->groups_changed.n, p->groups_removed.n, p->bindings_added.n, p->bindings_changed.n,
		 p->bindings_removed.n);
}

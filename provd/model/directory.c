/* SPDX-License-Identifier: MIT */
/*
 * The directory snapshot: growable entry arrays while it is built, then four
 * hash indexes (user by name and uid, group by name and gid) and each user's
 * supplementary gids, after which it is read-only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/directory.h"
#include "model/hashtab.h"
#include "prov/protocol.h"
#include "validate.h"

struct dir_index {
	struct nametab user_by_name;
	struct idtab user_by_uid;
	struct nametab group_by_name;
	struct idtab group_by_gid;
};

/*
 * Arrays grow by doubling without a stored capacity: the capacity of an
 * array of n entries is at least cap_for(n), which only changes when n is 0
 * or a power of two >= 8, and that is exactly when we grow. Removing entries
 * leaves a larger allocation than cap_for(n) requires, which is harmless.
 */
static int grow_for_one_more(void **arr, size_t n, size_t elem)
{
	size_t cap;
	void *p;

	if (n != 0 && (n < 8 || (n & (n - 1)) != 0))
		return 0;
	cap = n == 0 ? 8 : n * 2;
	p = reallocarray(*arr, cap, elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

struct directory *directory_new(void)
{
	return calloc(1, sizeof(struct directory));
}

static void user_clear(struct dir_user *u)
{
	free(u->id);
	free(u->name);
	free(u->gecos);
	free(u->home);
	free(u->shell);
	dir_strv_free(&u->ssh_keys);
	free(u->member_gids);
	memset(u, 0, sizeof(*u));
}

static void group_clear(struct dir_group *g)
{
	free(g->id);
	free(g->name);
	dir_strv_free(&g->members);
	memset(g, 0, sizeof(*g));
}

static void binding_clear(struct dir_binding *b)
{
	free(b->name);
	dir_strv_free(&b->users);
	dir_strv_free(&b->groups);
	dir_strv_free(&b->hosts);
	dir_strv_free(&b->labels);
	memset(b, 0, sizeof(*b));
}

static void index_free(struct directory *d)
{
	if (!d->index)
		return;
	nametab_free(&d->index->user_by_name);
	idtab_free(&d->index->user_by_uid);
	nametab_free(&d->index->group_by_name);
	idtab_free(&d->index->group_by_gid);
	free(d->index);
	d->index = NULL;
	for (size_t i = 0; i < d->n_users; i++) {
		free(d->users[i].member_gids);
		d->users[i].member_gids = NULL;
		d->users[i].n_member_gids = 0;
	}
}

void directory_free(struct directory *d)
{
	if (!d)
		return;
	index_free(d);
	for (size_t i = 0; i < d->n_users; i++)
		user_clear(&d->users[i]);
	for (size_t i = 0; i < d->n_groups; i++)
		group_clear(&d->groups[i]);
	for (size_t i = 0; i < d->n_bindings; i++)
		binding_clear(&d->bindings[i]);
	for (size_t i = 0; i < d->n_refused; i++) {
		free(d->refused[i].name);
		free(d->refused[i].reason);
	}
	free(d->users);
	free(d->groups);
	free(d->bindings);
	free(d->refused);
	free(d->audience);
	free(d);
}

struct dir_user *directory_add_user(struct directory *d)
{
	if (grow_for_one_more((void **)&d->users, d->n_users, sizeof(*d->users)) < 0)
		return NULL;
	memset(&d->users[d->n_users], 0, sizeof(*d->users));
	return &d->users[d->n_users++];
}

struct dir_group *directory_add_group(struct directory *d)
{
	if (grow_for_one_more((void **)&d->groups, d->n_groups, sizeof(*d->groups)) < 0)
		return NULL;
	memset(&d->groups[d->n_groups], 0, sizeof(*d->groups));
	return &d->groups[d->n_groups++];
}

struct dir_binding *directory_add_binding(struct directory *d)
{
	if (grow_for_one_more((void **)&d->bindings, d->n_bindings, sizeof(*d->bindings)) < 0)
		return NULL;
	memset(&d->bindings[d->n_bindings], 0, sizeof(*d->bindings));
	return &d->bindings[d->n_bindings++];
}

static int add_refusal(struct directory *d, enum dir_entry_kind kind, const char *name, const char *reason,
		       enum dir_outcome outcome)
{
	char name_buf[PROV_NAME_MAX * 4], reason_buf[PROV_REASON_MAX];
	struct dir_refusal *r;

	if (grow_for_one_more((void **)&d->refused, d->n_refused, sizeof(*d->refused)) < 0)
		return -ENOMEM;
	sanitize_for_log(name ? name : "", name_buf, sizeof(name_buf));
	sanitize_for_log(reason ? reason : "", reason_buf, sizeof(reason_buf));
	r = &d->refused[d->n_refused];
	r->kind = kind;
	r->outcome = outcome;
	r->corrected = outcome == DIR_CORRECTED;
	r->name = strdup(name_buf);
	r->reason = strdup(reason_buf);
	if (!r->name || !r->reason) {
		free(r->name);
		free(r->reason);
		return -ENOMEM;
	}
	d->n_refused++;
	return 0;
}

int directory_add_refusal(struct directory *d, enum dir_entry_kind kind, const char *name, const char *reason)
{
	return add_refusal(d, kind, name, reason, DIR_REFUSED);
}

int directory_add_note(struct directory *d, enum dir_entry_kind kind, const char *name, const char *reason)
{
	return add_refusal(d, kind, name, reason, DIR_CORRECTED);
}

int directory_add_conflict(struct directory *d, enum dir_entry_kind kind, const char *name, const char *reason)
{
	return add_refusal(d, kind, name, reason, DIR_CONFLICT);
}

size_t directory_count_outcome(const struct directory *d, enum dir_outcome o)
{
	size_t n = 0;

	for (size_t i = 0; d && i < d->n_refused; i++)
		n += d->refused[i].outcome == o;
	return n;
}

const char *dir_outcome_name(enum dir_outcome o)
{
	switch (o) {
	case DIR_REFUSED:
		return "refused";
	case DIR_CORRECTED:
		return "corrected";
	case DIR_CONFLICT:
		return "conflict";
	}
	return "refused";
}

static int cmp_refusal(const void *pa, const void *pb)
{
	const struct dir_refusal *a = *(const struct dir_refusal *const *)pa;
	const struct dir_refusal *b = *(const struct dir_refusal *const *)pb;
	int c;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->outcome != b->outcome)
		return a->outcome < b->outcome ? -1 : 1;
	c = strcmp(a->name, b->name);
	return c ? c : strcmp(a->reason, b->reason);
}

/* The records of d, sorted (NULL on ENOMEM). */
static const struct dir_refusal **sorted_refusals(const struct directory *d)
{
	const struct dir_refusal **v = calloc(d->n_refused ? d->n_refused : 1, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < d->n_refused; i++)
		v[i] = &d->refused[i];
	qsort(v, d->n_refused, sizeof(*v), cmp_refusal);
	return v;
}

bool directory_same_refusals(const struct directory *a, const struct directory *b)
{
	const struct dir_refusal **va, **vb;
	size_t na = a ? a->n_refused : 0, nb = b ? b->n_refused : 0;
	bool same = true;

	if (na != nb)
		return false;
	if (na == 0)
		return true;
	va = sorted_refusals(a);
	vb = sorted_refusals(b);
	same = va && vb;
	for (size_t i = 0; same && i < na; i++)
		same = cmp_refusal(&va[i], &vb[i]) == 0;
	free(va);
	free(vb);
	return same;
}

void directory_remove_user(struct directory *d, size_t i)
{
	if (i >= d->n_users)
		return;
	index_free(d); /* positions move: an index would go stale */
	user_clear(&d->users[i]);
	memmove(&d->users[i], &d->users[i + 1], (d->n_users - i - 1) * sizeof(*d->users));
	d->n_users--;
}

void directory_remove_group(struct directory *d, size_t i)
{
	if (i >= d->n_groups)
		return;
	index_free(d); /* positions move: an index would go stale */
	group_clear(&d->groups[i]);
	memmove(&d->groups[i], &d->groups[i + 1], (d->n_groups - i - 1) * sizeof(*d->groups));
	d->n_groups--;
}

void directory_remove_binding(struct directory *d, size_t i)
{
	if (i >= d->n_bindings)
		return;
	index_free(d); /* positions move: an index would go stale */
	binding_clear(&d->bindings[i]);
	memmove(&d->bindings[i], &d->bindings[i + 1], (d->n_bindings - i - 1) * sizeof(*d->bindings));
	d->n_bindings--;
}

void directory_filter_users(struct directory *d, const bool *keep)
{
	size_t out = 0;

	index_free(d);
	for (size_t i = 0; i < d->n_users; i++) {
		if (!keep[i])
			user_clear(&d->users[i]);
		else
			d->users[out++] = d->users[i];
	}
	d->n_users = out;
}

void directory_filter_groups(struct directory *d, const bool *keep)
{
	size_t out = 0;

	index_free(d);
	for (size_t i = 0; i < d->n_groups; i++) {
		if (!keep[i])
			group_clear(&d->groups[i]);
		else
			d->groups[out++] = d->groups[i];
	}
	d->n_groups = out;
}

void directory_filter_bindings(struct directory *d, const bool *keep)
{
	size_t out = 0;

	index_free(d);
	for (size_t i = 0; i < d->n_bindings; i++) {
		if (!keep[i])
			binding_clear(&d->bindings[i]);
		else
			d->bindings[out++] = d->bindings[i];
	}
	d->n_bindings = out;
}

int dir_strv_push(struct dir_strv *sv, const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		return -ENOMEM;
	if (grow_for_one_more((void **)&sv->v, sv->n, sizeof(*sv->v)) < 0) {
		free(copy);
		return -ENOMEM;
	}
	sv->v[sv->n++] = copy;
	return 0;
}

void dir_strv_free(struct dir_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

bool dir_strv_contains(const struct dir_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/*
 * Each user's supplementary gids, from the groups that list them: a count
 * pass, one allocation per user, a fill pass, then sort and drop repeats
 * (a member listed twice, two groups with one gid). O(members log members).
 */
static int build_member_gids(struct directory *d)
{
	size_t *count = calloc(d->n_users ? d->n_users : 1, sizeof(*count));
	int r = -ENOMEM;

	if (!count)
		return -ENOMEM;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t g = 0; g < d->n_groups; g++) {
			const struct dir_group *grp = &d->groups[g];

			for (size_t m = 0; m < grp->members.n; m++) {
				struct dir_user *u;
				uint32_t ui;

				if (!nametab_get(&d->index->user_by_name, grp->members.v[m], &ui))
					continue;
				u = &d->users[ui];
				if (u->gid == grp->gid)
					continue;
				if (pass == 0)
					count[ui]++;
				else
					u->member_gids[u->n_member_gids++] = grp->gid;
			}
		}
		if (pass == 1)
			break;
		for (size_t i = 0; i < d->n_users; i++) {
			if (count[i] == 0)
				continue;
			d->users[i].member_gids = calloc(count[i], sizeof(uint32_t));
			if (!d->users[i].member_gids)
				goto out;
		}
	}
	for (size_t i = 0; i < d->n_users; i++) {
		struct dir_user *u = &d->users[i];
		size_t out = 0;

		if (u->n_member_gids == 0)
			continue;
		qsort(u->member_gids, u->n_member_gids, sizeof(uint32_t), cmp_u32);
		for (size_t k = 0; k < u->n_member_gids; k++)
			if (out == 0 || u->member_gids[out - 1] != u->member_gids[k])
				u->member_gids[out++] = u->member_gids[k];
		u->n_member_gids = out;
	}
	r = 0;
out:
	free(count);
	return r;
}

int directory_index(struct directory *d)
{
	struct dir_index *ix;
	int r;

	/* Values are uint32_t array positions. */
	if (d->n_users > UINT32_MAX || d->n_groups > UINT32_MAX)
		return -E2BIG;
	index_free(d);
	ix = calloc(1, sizeof(*ix));
	if (!ix)
		return -ENOMEM;
	d->index = ix;
	r = nametab_init(&ix->user_by_name, d->n_users, false);
	if (r == 0)
		r = idtab_init(&ix->user_by_uid, d->n_users);
	if (r == 0)
		r = nametab_init(&ix->group_by_name, d->n_groups, false);
	if (r == 0)
		r = idtab_init(&ix->group_by_gid, d->n_groups);
	/* A raw, unadmitted snapshot may hold entries without a name: they are
	 * simply not reachable by name. */
	for (size_t i = 0; r == 0 && i < d->n_users; i++) {
		if (!d->users[i].name)
			continue;
		r = nametab_put(&ix->user_by_name, d->users[i].name, (uint32_t)i, NULL);
		if (r == -EEXIST)
			r = 0;
		if (r == 0)
			r = idtab_put(&ix->user_by_uid, d->users[i].uid, (uint32_t)i, NULL);
		if (r == -EEXIST)
			r = 0;
	}
	for (size_t i = 0; r == 0 && i < d->n_groups; i++) {
		if (!d->groups[i].name)
			continue;
		r = nametab_put(&ix->group_by_name, d->groups[i].name, (uint32_t)i, NULL);
		if (r == -EEXIST)
			r = 0;
		if (r == 0)
			r = idtab_put(&ix->group_by_gid, d->groups[i].gid, (uint32_t)i, NULL);
		if (r == -EEXIST)
			r = 0;
	}
	if (r == 0)
		r = build_member_gids(d);
	if (r < 0)
		index_free(d);
	return r;
}

const struct dir_user *directory_user_by_name(const struct directory *d, const char *name)
{
	uint32_t i;

	if (!d->index || !nametab_get(&d->index->user_by_name, name, &i))
		return NULL;
	return &d->users[i];
}

const struct dir_user *directory_user_by_uid(const struct directory *d, uint32_t uid)
{
	uint32_t i;

	if (!d->index || !idtab_get(&d->index->user_by_uid, uid, &i))
		return NULL;
	return &d->users[i];
}

const struct dir_group *directory_group_by_name(const struct directory *d, const char *name)
{
	uint32_t i;

	if (!d->index || !nametab_get(&d->index->group_by_name, name, &i))
		return NULL;
	return &d->groups[i];
}

const struct dir_group *directory_group_by_gid(const struct directory *d, uint32_t gid)
{
	uint32_t i;

	if (!d->index || !idtab_get(&d->index->group_by_gid, gid, &i))
		return NULL;
	return &d->groups[i];
}

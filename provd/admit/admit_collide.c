/* SPDX-License-Identifier: MIT */
/*
 * Admission step 2 (admit.c): entries that collide on a name (ignoring
 * case), an id, a uid/gid or a home, decided with what was served before
 * (prior.h), and uids/gids still held for an identity that went.
 */
#include "admit/admit_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *dup_id(const struct dup_ctx *c, size_t i)
{
	return c->kind == DIR_KIND_USER ? c->d->users[i].id : c->d->groups[i].id;
}

static const char *dup_name(const struct dup_ctx *c, size_t i)
{
	return admit_entry_name(c->d, c->kind, i);
}

static uint32_t dup_num(const struct dup_ctx *c, size_t i)
{
	return c->kind == DIR_KIND_USER ? c->d->users[i].uid : c->d->groups[i].gid;
}

static const char *kind_word(enum dir_entry_kind kind)
{
	return kind == DIR_KIND_USER ? "user" : kind == DIR_KIND_GROUP ? "group" : "binding";
}

/* Was entry i served before (same stable id) with this same key value? */
static bool established(const struct dup_ctx *c, size_t i, enum dup_key k)
{
	const struct prior_entry *e;
	const char *name;

	if (c->kind == DIR_KIND_BINDING)
		return false; /* bindings have no stable id: all twins refused */
	e = prior_live(c->pr, c->kind, dup_id(c, i));
	name = c->kind == DIR_KIND_USER ? c->d->users[i].name : c->d->groups[i].name;
	if (!e || !e->name || !name)
		return false;
	switch (k) {
	case DUP_NAME:
		return strcasecmp(e->name, name) == 0;
	case DUP_ID:
		return strcmp(e->name, name) == 0; /* the same id: the one that kept its name */
	case DUP_NUM:
		return e->num == dup_num(c, i);
	case DUP_HOME:
		return e->home && c->d->users[i].home && strcmp(e->home, c->d->users[i].home) == 0;
	}
	return false;
}

/* "name", "id", "uid 20160", "home /home/bob": what two entries share. */
static void dup_what(const struct dup_ctx *c, size_t i, enum dup_key k, char *buf, size_t bufsz)
{
	if (k == DUP_NAME)
		snprintf(buf, bufsz, "name");
	else if (k == DUP_ID)
		snprintf(buf, bufsz, "id");
	else if (k == DUP_NUM)
		snprintf(buf, bufsz, "%s %u", c->kind == DIR_KIND_USER ? "uid" : "gid", dup_num(c, i));
	else
		snprintf(buf, bufsz, "home");
}

/*
 * leader[i]: the first entry with entry i's key value (i itself for the
 * first), DUP_NONE for no key. In every set of two or more, the
 * established member (at most one: what was served had no collisions)
 * keeps being served and the others are refused naming it; without one,
 * all are refused.
 */
int admit_resolve(struct dup_ctx *c, enum dup_key k, const uint32_t *leader)
{
	size_t n = c->v->n;
	uint32_t *est = malloc((n ? n : 1) * sizeof(*est)), *second = malloc((n ? n : 1) * sizeof(*second));
	uint32_t *count = calloc(n ? n : 1, sizeof(*count));
	const char *fold = k == DUP_NAME && c->kind != DIR_KIND_BINDING ? " (compared ignoring case)" : "";
	char what[PROV_PATH_MAX + 16];
	int r = 0;

	if (!est || !second || !count) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		est[i] = second[i] = DUP_NONE;
	for (size_t i = 0; i < n; i++) {
		uint32_t l = leader[i];

		if (l == DUP_NONE)
			continue;
		count[l]++;
		if (l != i && second[l] == DUP_NONE)
			second[l] = (uint32_t)i;
		if (est[l] == DUP_NONE && established(c, i, k))
			est[l] = (uint32_t)i;
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		uint32_t l = leader[i];

		if (l == DUP_NONE || count[l] < 2 || est[l] == i)
			continue;
		dup_what(c, i, k, what, sizeof(what));
		if (est[l] != DUP_NONE)
			r = admit_conflict(c->v, i, "%s is also another entry's%s: %s %s's, served before, who keeps it", what,
				     fold, kind_word(c->kind), dup_name(c, est[l]));
		else
			r = admit_conflict(c->v, i, "%s is also another entry's%s: %s %s's; neither was served before", what,
				     fold, kind_word(c->kind), dup_name(c, l == i ? second[l] : l));
	}
out:
	free(est);
	free(second);
	free(count);
	return r;
}

/* leader[] for string keys (keys[i] NULL = no key). */
int admit_str_leaders(const char *const *keys, size_t n, bool fold, uint32_t *leader)
{
	struct nametab t;
	int r = nametab_init(&t, n, fold);

	for (size_t i = 0; r == 0 && i < n; i++) {
		uint32_t first;

		leader[i] = DUP_NONE;
		if (!keys[i])
			continue;
		r = nametab_put(&t, keys[i], (uint32_t)i, &first);
		leader[i] = r == -EEXIST ? first : (uint32_t)i;
		if (r == -EEXIST)
			r = 0;
	}
	nametab_free(&t);
	return r;
}

static int num_leaders(const uint32_t *ids, size_t n, uint32_t *leader)
{
	struct idtab t;
	int r = idtab_init(&t, n);

	for (size_t i = 0; r == 0 && i < n; i++) {
		uint32_t first;

		r = idtab_put(&t, ids[i], (uint32_t)i, &first);
		leader[i] = r == -EEXIST ? first : (uint32_t)i;
		if (r == -EEXIST)
			r = 0;
	}
	idtab_free(&t);
	return r;
}

/* A uid/gid that another identity held (DESIGN invariant 14): the prior
 * says who; when that identity is in this directory with the same id the
 * collision rule above has decided already. cand_ids: this directory's
 * stable ids -> index. */
static int check_held(struct dup_ctx *c, size_t i, const struct nametab *cand_ids)
{
	const struct prior_entry *e = prior_by_num(c->pr, c->kind, dup_num(c, i));
	const char *what = c->kind == DIR_KIND_USER ? "uid" : "gid";
	char when[64];
	uint32_t j;

	if (!e || prior_same_identity(e, dup_id(c, i), dup_name(c, i)))
		return 0;
	if (e->id && nametab_get(cand_ids, e->id, &j) && dup_num(c, j) == e->num)
		return 0;
	if (e->gone_at > 0) {
		time_t t = (time_t)e->gone_at;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "gone since %Y-%m-%dT%H:%M:%SZ", &tm);
	} else {
		snprintf(when, sizeof(when), "gone with this pull");
	}
	return admit_conflict(c->v, i,
			"%s %u belonged to %s %s (%s): held for that identity during retention and id_quarantine",
			what, e->num, kind_word(c->kind), e->name ? e->name : "?", when);
}

static int held_ids(struct dup_ctx *c)
{
	struct nametab ids;
	int r = nametab_init(&ids, c->v->n, false);

	for (size_t i = 0; r == 0 && i < c->v->n; i++) {
		const char *id = dup_id(c, i);

		if (id && nametab_put(&ids, id, (uint32_t)i, NULL) == -ENOMEM)
			r = -ENOMEM;
	}
	for (size_t i = 0; r == 0 && i < c->v->n; i++)
		if (!c->v->why[i])
			r = check_held(c, i, &ids);
	nametab_free(&ids);
	return r;
}

/*
 * Step 2, for users or groups: names (ignoring case), central ids and
 * uids/gids over all entries; for users also homes, over the entries still
 * in (a refused entry's home was never derived); then ids held by an
 * identity that went.
 */
int admit_entry_duplicates(const struct directory *d, enum dir_entry_kind kind, const struct prior *pr,
			    struct verdicts *v)
{
	struct dup_ctx c = { .d = d, .kind = kind, .pr = pr, .v = v };
	bool users = kind == DIR_KIND_USER;
	const char **keys = calloc(v->n ? v->n : 1, sizeof(*keys));
	uint32_t *ids = calloc(v->n ? v->n : 1, sizeof(*ids));
	uint32_t *leader = calloc(v->n ? v->n : 1, sizeof(*leader));
	int r = -ENOMEM;

	if (!keys || !ids || !leader)
		goto out;
	for (size_t i = 0; i < v->n; i++)
		keys[i] = users ? d->users[i].name : d->groups[i].name;
	r = admit_str_leaders(keys, v->n, true, leader);
	if (r == 0)
		r = admit_resolve(&c, DUP_NAME, leader);
	for (size_t i = 0; i < v->n; i++)
		keys[i] = users ? d->users[i].id : d->groups[i].id;
	if (r == 0)
		r = admit_str_leaders(keys, v->n, false, leader);
	if (r == 0)
		r = admit_resolve(&c, DUP_ID, leader);
	for (size_t i = 0; i < v->n; i++)
		ids[i] = users ? d->users[i].uid : d->groups[i].gid;
	if (r == 0)
		r = num_leaders(ids, v->n, leader);
	if (r == 0)
		r = admit_resolve(&c, DUP_NUM, leader);
	if (users) {
		for (size_t i = 0; i < v->n; i++)
			keys[i] = v->why[i] ? NULL : d->users[i].home;
		if (r == 0)
			r = admit_str_leaders(keys, v->n, false, leader);
		if (r == 0)
			r = admit_resolve(&c, DUP_HOME, leader);
	}
	if (r == 0)
		r = held_ids(&c);
out:
	free(keys);
	free(ids);
	free(leader);
	return r;
}

/* SPDX-License-Identifier: MIT */
#include "admit/idledger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/hashtab.h"
#include "base/log.h"
#include "base/statefile.h"
#include "validate.h"

#define LEDGER_FILE_MAX (256u << 20)
#define LEDGER_LINE_MAX 1024
#define LEDGER_TOKEN_MAX 255u

static void entry_clear(struct idledger_entry *e)
{
	free(e->name);
	free(e->home);
	free(e->id);
	memset(e, 0, sizeof(*e));
}

static void entries_free(struct idledger_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		entry_clear(&v[i]);
	free(v);
}

/* Appends a copy; capacity is the next power of two. */
static int push(struct idledger_entry **v, size_t *n, enum dir_entry_kind kind, uint32_t num, int64_t gone_at,
		const char *name, const char *home, const char *id)
{
	struct idledger_entry e = { .kind = kind, .num = num, .gone_at = gone_at };

	if (*n == 0 || (*n & (*n - 1)) == 0) {
		struct idledger_entry *nv = realloc(*v, (*n ? *n * 2 : 1) * sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
	}
	e.name = strdup(name);
	e.home = home ? strdup(home) : NULL;
	e.id = strdup(id);
	if (!e.name || !e.id || (home && !e.home)) {
		entry_clear(&e);
		return -ENOMEM;
	}
	(*v)[(*n)++] = e;
	return 0;
}

/* A stable id as admission lets it through: 1..255 printable ASCII, no space. */
static bool token_ok(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > LEDGER_TOKEN_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static int parse_num(const char *s, unsigned long long max, unsigned long long *ret)
{
	unsigned long long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (unsigned)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*ret = v;
	return 0;
}

static int parse_line(char *line, struct idledger *l)
{
	unsigned long long num, at;
	char *f[6], *rest = line;
	bool user;

	for (size_t i = 0; i < 6; i++) {
		f[i] = strsep(&rest, "\t");
		if (!f[i])
			return -EBADMSG;
	}
	user = strcmp(f[0], "u") == 0;
	if (rest || (!user && strcmp(f[0], "g") != 0) || parse_num(f[1], UINT32_MAX - 1, &num) < 0 || num == 0 ||
	    parse_num(f[2], INT64_MAX, &at) < 0 || validate_name(f[3]) || !token_ok(f[5]))
		return -EBADMSG;
	if (strcmp(f[4], "-") != 0 && validate_path(f[4]))
		return -EBADMSG;
	return push(&l->v, &l->n, user ? DIR_KIND_USER : DIR_KIND_GROUP, (uint32_t)num, (int64_t)at, f[3],
		    strcmp(f[4], "-") == 0 ? NULL : f[4], f[5]);
}

static int load(struct idledger *l, const char *path, char *why, size_t whysz)
{
	char line[LEDGER_LINE_MAX + 2];
	unsigned lineno = 0;
	struct stat st;
	FILE *f;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) || st.st_size > LEDGER_FILE_MAX) {
		snprintf(why, whysz, "not a regular file owned by root without group/other write, or too big");
		close(fd);
		return -EPERM;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -errno;
	}
	while (r == 0 && fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		lineno++;
		if (len == 0 || line[len - 1] != '\n') {
			snprintf(why, whysz, "line %u is too long or not terminated", lineno);
			r = -EBADMSG;
			break;
		}
		line[len - 1] = '\0';
		r = parse_line(line, l);
		if (r == -EBADMSG)
			snprintf(why, whysz, "line %u is malformed", lineno);
	}
	fclose(f);
	return r;
}

static int write_entries(FILE *f, void *arg)
{
	const struct idledger *l = arg;

	for (size_t i = 0; i < l->n; i++) {
		const struct idledger_entry *e = &l->v[i];

		if (fprintf(f, "%c\t%u\t%lld\t%s\t%s\t%s\n", e->kind == DIR_KIND_USER ? 'u' : 'g', e->num,
			    (long long)e->gone_at, e->name, e->home ? e->home : "-", e->id) < 0)
			return -EIO;
	}
	return 0;
}

static int persist(const struct idledger *l)
{
	return statefile_replace(l->state_dir, IDLEDGER_FILE_NAME, write_entries, (void *)l);
}

int idledger_open(const char *state_dir, struct idledger **ret)
{
	struct idledger *l = calloc(1, sizeof(*l));
	char path[4096], why[256] = "";
	int r;

	if (!l)
		return -ENOMEM;
	l->state_dir = strdup(state_dir);
	if (!l->state_dir) {
		free(l);
		return -ENOMEM;
	}
	snprintf(path, sizeof(path), "%s/%s", state_dir, IDLEDGER_FILE_NAME);
	r = load(l, path, why, sizeof(why));
	if (r < 0 && r != -ENOENT) {
		log_event(LOG_ERR, "id_ledger_refused", LOG_FIELDS({ "PROV_REASON", why[0] ? why : strerror(-r) }),
			  "%s refused (%s): ids of identities that went are not held until it is rewritten", path,
			  why[0] ? why : strerror(-r));
		entries_free(l->v, l->n);
		l->v = NULL;
		l->n = 0;
		if (r == -ENOMEM) {
			idledger_free(l);
			return r;
		}
	}
	*ret = l;
	return 0;
}

void idledger_free(struct idledger *l)
{
	if (!l)
		return;
	entries_free(l->v, l->n);
	free(l->state_dir);
	free(l);
}

/* "u<num>:<id>": one key per (kind, number, identity). Freed by the caller. */
static char *entry_key(enum dir_entry_kind kind, uint32_t num, const char *id)
{
	char *k = NULL;

	if (asprintf(&k, "%c%u:%s", kind == DIR_KIND_USER ? 'u' : 'g', num, id) < 0)
		return NULL;
	return k;
}

struct served {
	char **keys;
	size_t n;
	struct nametab tab;
};

static void served_free(struct served *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->keys[i]);
	free(s->keys);
	nametab_free(&s->tab);
}

static int served_add(struct served *s, enum dir_entry_kind kind, uint32_t num, const char *id)
{
	char *k;

	if (!id)
		return 0;
	k = entry_key(kind, num, id);
	if (!k)
		return -ENOMEM;
	s->keys[s->n++] = k;
	return nametab_put(&s->tab, k, 0, NULL) == -ENOMEM ? -ENOMEM : 0;
}

/* The (kind, num, id) keys of everything d serves. */
static int served_of(const struct directory *d, struct served *s)
{
	size_t cap = d->n_users + d->n_groups;
	int r;

	memset(s, 0, sizeof(*s));
	s->keys = calloc(cap ? cap : 1, sizeof(*s->keys));
	if (!s->keys)
		return -ENOMEM;
	r = nametab_init(&s->tab, cap, false);
	for (size_t i = 0; r == 0 && i < d->n_users; i++)
		r = served_add(s, DIR_KIND_USER, d->users[i].uid, d->users[i].id);
	for (size_t i = 0; r == 0 && i < d->n_groups; i++)
		r = served_add(s, DIR_KIND_GROUP, d->groups[i].gid, d->groups[i].id);
	return r;
}

/* Rebuilds the ledger: d's entries served, the rest going or gone. */
static int rebuild(struct idledger *l, const struct directory *d, const struct served *s, int64_t now,
		   uint32_t hold_s, bool *changed)
{
	struct idledger_entry *nv = NULL;
	size_t nn = 0;
	int r = 0;

	for (size_t i = 0; r == 0 && i < l->n; i++) {
		const struct idledger_entry *e = &l->v[i];
		char *k = entry_key(e->kind, e->num, e->id);
		bool live = k && nametab_get(&s->tab, k, NULL);
		int64_t gone = live ? 0 : e->gone_at ? e->gone_at : now;

		free(k);
		if (!live && now - gone >= (int64_t)hold_s) {
			*changed = true;
			continue;
		}
		if (live != (e->gone_at == 0))
			*changed = true;
		if (live)
			continue; /* written below with d's name and home */
		r = push(&nv, &nn, e->kind, e->num, gone, e->name, e->home, e->id);
	}
	for (size_t i = 0; r == 0 && i < d->n_users; i++) {
		const struct dir_user *u = &d->users[i];

		if (u->id)
			r = push(&nv, &nn, DIR_KIND_USER, u->uid, 0, u->name, u->home, u->id);
	}
	for (size_t i = 0; r == 0 && i < d->n_groups; i++) {
		const struct dir_group *g = &d->groups[i];

		if (g->id)
			r = push(&nv, &nn, DIR_KIND_GROUP, g->gid, 0, g->name, NULL, g->id);
	}
	if (r < 0) {
		entries_free(nv, nn);
		return r;
	}
	/* Served entries that are new, renamed or moved home. */
	if (!*changed && nn != l->n)
		*changed = true;
	for (size_t i = 0; !*changed && i < nn; i++)
		*changed = nv[i].kind != l->v[i].kind || nv[i].num != l->v[i].num ||
			   nv[i].gone_at != l->v[i].gone_at || strcmp(nv[i].id, l->v[i].id) != 0 ||
			   strcmp(nv[i].name, l->v[i].name) != 0 || !nv[i].home != !l->v[i].home ||
			   (nv[i].home && strcmp(nv[i].home, l->v[i].home) != 0);
	entries_free(l->v, l->n);
	l->v = nv;
	l->n = nn;
	return 0;
}

int idledger_update(struct idledger *l, const struct directory *d, int64_t now, uint32_t hold_s)
{
	struct served s;
	bool changed = false;
	int r;

	if (!l || !d)
		return 0;
	r = served_of(d, &s);
	if (r == 0)
		r = rebuild(l, d, &s, now, hold_s, &changed);
	served_free(&s);
	if (r < 0 || !changed)
		return r;
	r = persist(l);
	if (r < 0)
		log_event(LOG_ERR, "id_ledger_not_written", LOG_FIELDS({ "PROV_REASON", strerror(-r) }),
			  "%s/%s not written (%s): ids of identities that went are held until the next restart only",
			  l->state_dir, IDLEDGER_FILE_NAME, strerror(-r));
	return 0;
}

int idledger_held(const struct idledger *l, int64_t now, uint32_t hold_s, struct prior_entry **v, size_t *n)
{
	for (size_t i = 0; l && i < l->n; i++) {
		const struct idledger_entry *e = &l->v[i];
		int r;

		if (e->gone_at > 0 && now - e->gone_at >= (int64_t)hold_s)
			continue;
		r = prior_entries_push(v, n,
				       &(struct prior_entry){ e->kind, e->id, e->name, e->home, e->num, e->gone_at });
		if (r < 0)
			return r;
	}
	return 0;
}

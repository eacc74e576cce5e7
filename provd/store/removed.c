/* SPDX-License-Identifier: MIT */
#include "store/removed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admit/localdb.h"
#include "base/log.h"
#include "base/statefile.h"
#include "model/hashtab.h"
#include "source/source.h"
#include "validate.h"

#define REMOVED_FILE_MAX (16u << 20)
#define REMOVED_LINE_MAX 1024

static void user_clear(struct removed_user *u)
{
	free(u->id);
	free(u->name);
	free(u->gecos);
	free(u->home);
	memset(u, 0, sizeof(*u));
}

static void users_free(struct removed_user *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		user_clear(&v[i]);
	free(v);
}

static int user_set(struct removed_user *u, const char *name, const char *gecos, const char *home, uint32_t uid,
		    uint32_t gid, int64_t at)
{
	u->name = strdup(name);
	u->gecos = strdup(gecos ? gecos : "");
	u->home = strdup(home ? home : "/");
	u->uid = uid;
	u->gid = gid;
	u->removed_at = at;
	if (!u->name || !u->gecos || !u->home) {
		user_clear(u);
		return -ENOMEM;
	}
	return 0;
}

static int push(struct removed_user **v, size_t *n, const struct removed_user *src, int64_t at)
{
	struct removed_user *nv = realloc(*v, (*n + 1) * sizeof(**v));
	int r;

	if (!nv)
		return -ENOMEM;
	*v = nv;
	memset(&nv[*n], 0, sizeof(nv[*n]));
	r = user_set(&nv[*n], src->name, src->gecos, src->home, src->uid, src->gid, at);
	if (r == 0)
		(*n)++;
	return r;
}

/* --- the file --- */

static int parse_u64(const char *s, unsigned long long max, unsigned long long *ret)
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

/* "name:uid:gid:removed_at:gecos:home" -> u; every field checked. */
static int parse_line(char *line, struct removed_user *u)
{
	unsigned long long uid, gid, at;
	char *f[6], *rest = line;
	size_t i;

	/* strsep, not strtok: an empty gecos is an empty field. */
	for (i = 0; i < 6; i++) {
		f[i] = strsep(&rest, ":");
		if (!f[i])
			return -EBADMSG;
	}
	if (rest || validate_name(f[0]) || validate_gecos(f[4]) || validate_path(f[5]) ||
	    parse_u64(f[1], UINT32_MAX - 1, &uid) < 0 || parse_u64(f[2], UINT32_MAX - 1, &gid) < 0 ||
	    parse_u64(f[3], INT64_MAX, &at) < 0 || uid == 0 || gid == 0)
		return -EBADMSG;
	return user_set(u, f[0], f[4], f[5], (uint32_t)uid, (uint32_t)gid, (int64_t)at);
}

static int load(struct removed_users *r, const char *path, char *why, size_t whysz)
{
	char line[REMOVED_LINE_MAX + 2];
	unsigned lineno = 0;
	struct stat st;
	FILE *f;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) || st.st_size > REMOVED_FILE_MAX) {
		snprintf(why, whysz, "not a regular file owned by root without group/other write, or too big");
		close(fd);
		return -EPERM;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -errno;
	}
	while (ret == 0 && fgets(line, sizeof(line), f)) {
		struct removed_user u = { 0 };
		size_t len = strlen(line);

		lineno++;
		if (len == 0 || line[len - 1] != '\n') {
			snprintf(why, whysz, "line %u is too long or not terminated", lineno);
			ret = -EBADMSG;
			break;
		}
		line[len - 1] = '\0';
		ret = parse_line(line, &u);
		if (ret == -EBADMSG)
			snprintf(why, whysz, "line %u is malformed", lineno);
		if (ret == 0) {
			ret = push(&r->v, &r->n, &u, u.removed_at);
			user_clear(&u);
		}
	}
	fclose(f);
	return ret;
}

/* "name:uid:gid:removed_at:gecos:home", one user a line. */
static int write_users(FILE *f, void *arg)
{
	const struct removed_users *r = arg;

	for (size_t i = 0; i < r->n; i++) {
		const struct removed_user *u = &r->v[i];
		int n = fprintf(f, "%s:%u:%u:%lld:%s:%s\n", u->name, u->uid, u->gid, (long long)u->removed_at,
				u->gecos, u->home);

		if (n < 0)
			return -EIO;
		if (n > REMOVED_LINE_MAX)
			return -E2BIG; /* the reader would refuse the file */
	}
	return 0;
}

static int persist(const struct removed_users *r)
{
	return statefile_replace(r->state_dir, REMOVED_FILE_NAME, write_users, (void *)r);
}

int removed_open(const char *state_dir, struct removed_users **ret)
{
	struct removed_users *r = calloc(1, sizeof(*r));
	char path[4096], why[256] = "";
	int e;

	if (!r)
		return -ENOMEM;
	r->state_dir = strdup(state_dir);
	if (!r->state_dir) {
		free(r);
		return -ENOMEM;
	}
	e = idledger_open(state_dir, &r->ledger);
	if (e < 0) {
		removed_free(r);
		return e;
	}
	snprintf(path, sizeof(path), "%s/%s", state_dir, REMOVED_FILE_NAME);
	e = load(r, path, why, sizeof(why));
	if (e < 0 && e != -ENOENT) {
		log_event(LOG_ERR, "removed_users_refused", LOG_FIELDS({ "PROV_REASON", why[0] ? why : strerror(-e) }),
			  "%s refused (%s): users removed earlier no longer resolve", path, why[0] ? why : strerror(-e));
		users_free(r->v, r->n);
		r->v = NULL;
		r->n = 0;
		if (e == -ENOMEM) {
			removed_free(r);
			return e;
		}
	}
	*ret = r;
	return 0;
}

void removed_free(struct removed_users *r)
{
	if (!r)
		return;
	users_free(r->v, r->n);
	users_free(r->known, r->n_known);
	idledger_free(r->ledger);
	free(r->state_dir);
	free(r);
}

/* --- after a swap --- */

static bool listed(const struct removed_users *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0)
			return true;
	return false;
}

/* "<what> <name> (uid <uid>): <why>" */
static void audit(int prio, const char *event, const struct removed_user *u, const char *what, const char *why)
{
	char uid[16];

	snprintf(uid, sizeof(uid), "%u", u->uid);
	log_event(prio, event, LOG_FIELDS({ "PROV_USER", u->name }, { "PROV_UID", uid }, { "PROV_REASON", why }),
		  "%s %s (uid %s): %s", what, u->name, uid, why);
}

/* d's users by stable id (keys borrowed from d, alive for the call). */
static int ids_of(const struct directory *d, struct nametab *ret)
{
	int e = nametab_init(ret, d->n_users, false);

	for (size_t i = 0; e == 0 && i < d->n_users; i++)
		if (d->users[i].id) {
			e = nametab_put(ret, d->users[i].id, (uint32_t)i, NULL);
			if (e == -EEXIST)
				e = 0;
		}
	if (e < 0)
		nametab_free(ret);
	return e;
}

/* Step 1: who of the previous snapshot is gone from d. A name that is
 * gone while its stable id is still served is a rename, not a removal:
 * the old name must not keep resolving beside the new one with the same
 * uid (two passwd entries would share it). */
static int record_gone(struct removed_users *r, const struct directory *d, const struct prov_config *cfg,
		       int64_t now, bool *changed)
{
	struct nametab ids;
	size_t i;
	int e;

	if (cfg->deprovisioned_retention_s == 0)
		return 0;
	e = ids_of(d, &ids);
	if (e < 0)
		return e;
	for (i = 0; i < r->n_known; i++) {
		const struct removed_user *k = &r->known[i];

		if (directory_user_by_name(d, k->name) || listed(r, k->name) ||
		    (k->id && nametab_get(&ids, k->id, NULL)))
			continue;
		e = push(&r->v, &r->n, k, now);
		if (e < 0)
			break;
		*changed = true;
		audit(LOG_NOTICE, "user_removed", k, "removed from the directory:",
		      "keeps resolving with nologin_shell for deprovisioned_retention");
	}
	nametab_free(&ids);
	return e < 0 ? e : 0;
}

/* Step 2: who leaves the list. */
static void prune(struct removed_users *r, const struct directory *d, const struct prov_config *cfg, int64_t now,
		  const struct localdb *local, bool *changed)
{
	size_t i = 0;

	while (i < r->n) {
		struct removed_user *u = &r->v[i];
		const char *why = NULL;

		if (directory_user_by_name(d, u->name))
			why = "back in the directory";
		else if (now - u->removed_at >= (int64_t)cfg->deprovisioned_retention_s)
			why = "past deprovisioned_retention";
		else if (local && (localdb_has_user(local, u->name) || localdb_has_uid(local, u->uid)))
			why = "a local account has its name or uid now";
		else if (directory_user_by_uid(d, u->uid))
			/* Its identity is back under another name (the id ledger
			 * gives a held uid to no one else): two passwd entries
			 * must not share the uid. */
			why = "its uid is served again, to a directory user";
		if (!why) {
			i++;
			continue;
		}
		audit(LOG_INFO, "removed_user_forgotten", u, "no longer serving removed user", why);
		user_clear(u);
		r->v[i] = r->v[--r->n];
		*changed = true;
	}
}

static int remember(struct removed_users *r, const struct directory *d)
{
	struct removed_user *v = calloc(d->n_users ? d->n_users : 1, sizeof(*v));
	size_t i;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < d->n_users; i++) {
		const struct dir_user *u = &d->users[i];

		if (user_set(&v[i], u->name, u->gecos, u->home, u->uid, u->gid, 0) < 0 ||
		    (u->id && !(v[i].id = strdup(u->id)))) {
			users_free(v, i + 1);
			return -ENOMEM;
		}
	}
	users_free(r->known, r->n_known);
	r->known = v;
	r->n_known = d->n_users;
	return 0;
}

int removed_update(struct removed_users *r, const struct directory *d, const struct prov_config *cfg, int64_t now)
{
	struct localdb *local = NULL;
	bool changed = false;
	char err[256];
	int e;

	/* The embedded demo (url = demo:) leaves nothing in state_dir: no
	 * held ids or removed users a real directory would meet later. */
	if (!d || source_is_demo(cfg))
		return 0;
	e = record_gone(r, d, cfg, now, &changed);
	if (e < 0)
		return e;
	if (r->n > 0 && localdb_load(cfg->passwd_file, cfg->group_file, &local, err, sizeof(err)) < 0)
		log_msg(LOG_WARNING, "removed users: cannot read the local account files (%s)", err);
	prune(r, d, cfg, now, local, &changed);
	localdb_free(local);
	e = remember(r, d);
	if (e == 0)
		e = idledger_update(r->ledger, d, now, removed_hold_s(cfg));
	if (e < 0)
		return e;
	if (changed) {
		e = persist(r);
		if (e < 0)
			log_event(LOG_ERR, "removed_users_not_written", LOG_FIELDS({ "PROV_REASON", strerror(-e) }),
				  "%s/%s not written (%s): removed users are forgotten at the next restart",
				  r->state_dir, REMOVED_FILE_NAME, strerror(-e));
	}
	return 0;
}

uint32_t removed_hold_s(const struct prov_config *cfg)
{
	return cfg->id_quarantine_s > cfg->deprovisioned_retention_s ? cfg->id_quarantine_s
								      : cfg->deprovisioned_retention_s;
}

int removed_prior(const struct removed_users *r, const struct prov_config *cfg, int64_t now, struct prior_entry **v,
		  size_t *n)
{
	int e;

	if (!r)
		return 0;
	e = idledger_held(r->ledger, now, removed_hold_s(cfg), v, n);
	for (size_t i = 0; e == 0 && i < r->n; i++) {
		const struct removed_user *u = &r->v[i];

		if (now - u->removed_at >= (int64_t)cfg->deprovisioned_retention_s)
			continue;
		e = prior_entries_push(v, n,
				       &(struct prior_entry){ DIR_KIND_USER, NULL, u->name, u->home, u->uid,
							      u->removed_at > 0 ? u->removed_at : 1 });
	}
	return e;
}

static bool in_retention(const struct removed_user *u, int64_t now, uint32_t retention_s)
{
	return now - u->removed_at < (int64_t)retention_s;
}

const struct removed_user *removed_by_name(const struct removed_users *r, const char *name, int64_t now,
					   uint32_t retention_s)
{
	size_t i;

	for (i = 0; r && name && i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0 && in_retention(&r->v[i], now, retention_s))
			return &r->v[i];
	return NULL;
}

const struct removed_user *removed_by_uid(const struct removed_users *r, uint32_t uid, int64_t now,
					  uint32_t retention_s)
{
	size_t i;

	for (i = 0; r && i < r->n; i++)
		if (r->v[i].uid == uid && in_retention(&r->v[i], now, retention_s))
			return &r->v[i];
	return NULL;
}

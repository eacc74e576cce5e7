/* SPDX-License-Identifier: MIT */
#include "access/sudogroup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "access/decision.h"
#include "access/derived.h"
#include "admit/localdb.h"
#include "base/log.h"
#include "access/login.h"

/* The last verdict on the local files, valid while group_file, the name
 * and the gid are the same (provd runs one thread: no lock). */
static struct {
	bool valid;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	char name[PROV_NAME_MAX + 1];
	uint32_t gid;
	bool served;
} verdict;

bool sudogroup_is_name(const struct prov_config *cfg, const char *name)
{
	return cfg->sudo_group && name && strcmp(cfg->sudo_group, name) == 0;
}

bool sudogroup_is_gid(const struct prov_config *cfg, uint32_t gid)
{
	return cfg->sudo_gid != 0 && gid == cfg->sudo_gid;
}

static bool verdict_current(const struct prov_config *cfg, const struct stat *s)
{
	return verdict.valid && verdict.dev == s->st_dev && verdict.ino == s->st_ino && verdict.size == s->st_size &&
	       verdict.mtime.tv_sec == s->st_mtim.tv_sec && verdict.mtime.tv_nsec == s->st_mtim.tv_nsec &&
	       verdict.gid == cfg->sudo_gid && strcmp(verdict.name, cfg->sudo_group) == 0;
}

/* Reads the local files: NULL when the group may be served, else why not. */
static const char *local_conflict(const struct prov_config *cfg, char *err, size_t errsz)
{
	struct localdb *db = NULL;
	const char *why = NULL;

	if (localdb_load(cfg->passwd_file, cfg->group_file, &db, err, errsz) < 0)
		return err; /* cannot tell what it would shadow: do not serve */
	if (localdb_has_group(db, cfg->sudo_group) || localdb_has_group_nocase(db, cfg->sudo_group))
		why = "a local group has its name";
	else if (localdb_has_gid(db, cfg->sudo_gid))
		why = "a local group has its gid";
	localdb_free(db);
	return why;
}

bool sudogroup_served(const struct prov_config *cfg)
{
	static bool logged; /* the warning is said once per change of verdict */
	char err[256], gid[16];
	const char *why;
	struct stat s;
	bool have_stat;

	if (!cfg->sudo_group || cfg->sudo_gid == 0 || strlen(cfg->sudo_group) > PROV_NAME_MAX)
		return false;
	have_stat = stat(cfg->group_file, &s) == 0;
	if (have_stat && verdict_current(cfg, &s))
		return verdict.served;
	why = local_conflict(cfg, err, sizeof(err));
	if (why && !logged) {
		snprintf(gid, sizeof(gid), "%u", cfg->sudo_gid);
		log_event(LOG_WARNING, "sudo_group_not_served",
			  LOG_FIELDS({ "PROV_GROUP", cfg->sudo_group }, { "PROV_GID", gid }, { "PROV_REASON", why }),
			  "sudo group %s (gid %s) not served: %s (local accounts win; change sudo_group/sudo_gid)",
			  cfg->sudo_group, gid, why);
	}
	logged = why != NULL;
	memset(&verdict, 0, sizeof(verdict));
	if (have_stat) {
		verdict.valid = true;
		verdict.dev = s.st_dev;
		verdict.ino = s.st_ino;
		verdict.size = s.st_size;
		verdict.mtime = s.st_mtim;
	}
	snprintf(verdict.name, sizeof(verdict.name), "%s", cfg->sudo_group);
	verdict.gid = cfg->sudo_gid;
	verdict.served = !why;
	return verdict.served;
}

/* Nobody while the directory is stale (DESIGN invariant 5): checked per
 * request, since last_ok moves with every pull (derived.h). */
static bool stale(const struct dispatch_ctx *ctx)
{
	struct decision_freshness fresh;

	login_freshness(ctx->state, &fresh);
	return decision_is_stale(ctx->state->dir, &fresh, ctx->now);
}

int sudogroup_put(const struct dispatch_ctx *ctx, struct prov_writer *w)
{
	const struct prov_state *st = ctx->state;
	const struct derived_sudo *ds;
	size_t i, n;

	if (!st->dir)
		return PROV_ST_UNAVAILABLE;
	if (!sudogroup_served(&st->cfg))
		return PROV_ST_NOT_FOUND;
	ds = derived_sudo(st, ctx->now);
	if (!ds)
		return PROV_ST_INTERNAL;
	n = stale(ctx) ? 0 : ds->n;
	if (n > PROV_GROUP_MEMBERS_MAX)
		n = PROV_GROUP_MEMBERS_MAX;
	prov_put_str(w, st->cfg.sudo_group, PROV_NAME_MAX);
	prov_put_u32(w, st->cfg.sudo_gid);
	prov_put_u32(w, (uint32_t)n);
	for (i = 0; i < n; i++)
		prov_put_str(w, st->dir->users[ds->idx[i]].name, PROV_NAME_MAX);
	return w->err ? PROV_ST_INTERNAL : PROV_ST_OK;
}

bool sudogroup_has_member(const struct dispatch_ctx *ctx, const struct dir_user *u)
{
	const struct prov_state *st = ctx->state;

	/* The grant first: for most users there is none, and the local files
	 * need not be looked at. */
	return !stale(ctx) && derived_sudo_has(derived_sudo(st, ctx->now), u) && sudogroup_served(&st->cfg);
}

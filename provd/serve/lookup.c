/* SPDX-License-Identifier: MIT */
/*
 * The lookups nss_prov asks (lookup.h): passwd and group by name and by
 * id, initgroups, the enumerations; the removed users within retention and
 * the sudo group are served next to the directory's.
 */
#include "serve/lookup.h"

#include <errno.h>
#include <string.h>

#include "access/sudogroup.h"
#include "store/removed.h"

/* Served as admitted: admit.c already gave inactive users a nologin shell. */
static void put_user(struct prov_writer *w, const struct dir_user *u)
{
	prov_put_passwd(w, u->name, u->uid, u->gid, u->gecos, u->home, u->shell);
}

/* A user removed from the directory, within deprovisioned_retention
 * (removed.h): served like a deactivated one, with nologin_shell. */
static const struct removed_user *removed_user(const struct dispatch_ctx *ctx, const char *name, uint32_t uid)
{
	const struct prov_state *st = ctx->state;

	return name ? removed_by_name(st->removed, name, ctx->now, st->cfg.deprovisioned_retention_s)
		    : removed_by_uid(st->removed, uid, ctx->now, st->cfg.deprovisioned_retention_s);
}

static void put_removed(struct prov_writer *w, const struct prov_config *cfg, const struct removed_user *r)
{
	prov_put_passwd(w, r->name, r->uid, r->gid, r->gecos, r->home, cfg->nologin_shell);
}

static int h_pw_by_name(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	char name[PROV_NAME_MAX + 1];
	const struct dir_user *u;

	if (dispatch_get_name(req, name) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!ctx->state->dir)
		return PROV_ST_UNAVAILABLE;
	u = directory_user_by_name(ctx->state->dir, name);
	if (u) {
		put_user(reply, u);
	} else {
		const struct removed_user *r = removed_user(ctx, name, 0);

		if (!r)
			return PROV_ST_NOT_FOUND;
		put_removed(reply, &ctx->state->cfg, r);
	}
	return dispatch_reply_status(reply);
}

static int h_pw_by_uid(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	uint32_t uid = prov_get_u32(req);
	const struct dir_user *u;

	if (prov_reader_end(req) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!ctx->state->dir)
		return PROV_ST_UNAVAILABLE;
	u = directory_user_by_uid(ctx->state->dir, uid);
	if (u) {
		put_user(reply, u);
	} else {
		const struct removed_user *r = removed_user(ctx, NULL, uid);

		if (!r)
			return PROV_ST_NOT_FOUND;
		put_removed(reply, &ctx->state->cfg, r);
	}
	return dispatch_reply_status(reply);
}

static int h_gr_by_name(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	char name[PROV_NAME_MAX + 1];
	const struct dir_group *g;

	if (dispatch_get_name(req, name) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!ctx->state->dir)
		return PROV_ST_UNAVAILABLE;
	if (sudogroup_is_name(&ctx->state->cfg, name))
		return sudogroup_put(ctx, reply);
	g = directory_group_by_name(ctx->state->dir, name);
	if (!g)
		return PROV_ST_NOT_FOUND;
	dispatch_put_group(reply, g);
	return dispatch_reply_status(reply);
}

static int h_gr_by_gid(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	uint32_t gid = prov_get_u32(req);
	const struct dir_group *g;

	if (prov_reader_end(req) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!ctx->state->dir)
		return PROV_ST_UNAVAILABLE;
	if (sudogroup_is_gid(&ctx->state->cfg, gid))
		return sudogroup_put(ctx, reply);
	g = directory_group_by_gid(ctx->state->dir, gid);
	if (!g)
		return PROV_ST_NOT_FOUND;
	dispatch_put_group(reply, g);
	return dispatch_reply_status(reply);
}

/* glibc's initgroups adds the primary gid itself, so only the prov groups
 * that list the user are answered (member_gids never repeats the primary),
 * and the sudo group while she holds the grant (sudogroup.h). */
static int h_initgroups(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	char name[PROV_NAME_MAX + 1];
	const struct dir_user *u;
	size_t i, n;
	bool sudo;

	if (dispatch_get_name(req, name) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!ctx->state->dir)
		return PROV_ST_UNAVAILABLE;
	u = directory_user_by_name(ctx->state->dir, name);
	if (!u)
		return PROV_ST_NOT_FOUND;
	n = u->n_member_gids < PROV_GROUPS_PER_USER_MAX ? u->n_member_gids : PROV_GROUPS_PER_USER_MAX;
	sudo = n < PROV_GROUPS_PER_USER_MAX && sudogroup_has_member(ctx, u);
	prov_put_u32(reply, (uint32_t)n + (sudo ? 1 : 0));
	for (i = 0; i < n; i++)
		prov_put_u32(reply, u->member_gids[i]);
	if (sudo)
		prov_put_u32(reply, ctx->state->cfg.sudo_gid);
	return dispatch_reply_status(reply);
}

/*
 * One enumeration page: u32 next, u32 n, n records. The cursor is an index
 * into the snapshot's array, so a page costs O(page). A snapshot swapped
 * between two pages may skip or repeat entries, which getent tolerates;
 * a cursor past the end is simply the end. A page stops early when the
 * next record would not fit PROV_MAX_BODY, so it always fits. The sudo
 * group, when served, is one more group after the directory's; users
 * removed within deprovisioned_retention come after the directory's users.
 */
/* Removed user j for enumeration; false when it is not to be listed. */
static bool put_removed_enum(const struct dispatch_ctx *ctx, struct prov_writer *w, size_t j)
{
	const struct prov_state *st = ctx->state;
	const struct removed_user *r = &st->removed->v[j];

	if (directory_user_by_name(st->dir, r->name) || directory_user_by_uid(st->dir, r->uid) ||
	    removed_user(ctx, r->name, 0) != r)
		return false;
	put_removed(w, &st->cfg, r);
	return true;
}

static int enum_page(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply, bool groups)
{
	uint32_t cursor = prov_get_u32(req), n = 0;
	const struct directory *d = ctx->state->dir;
	size_t total, i, head;

	if (prov_reader_end(req) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!d)
		return PROV_ST_UNAVAILABLE;
	total = groups ? d->n_groups : d->n_users + (ctx->state->removed ? ctx->state->removed->n : 0);
	if (groups && sudogroup_served(&ctx->state->cfg))
		total++;
	head = reply->len;
	prov_put_u32(reply, PROV_ENUM_END);
	prov_put_u32(reply, 0);
	if (reply->err)
		return PROV_ST_INTERNAL;
	for (i = cursor; i < total && n < PROV_ENUM_PAGE_MAX; i++) {
		size_t before = reply->len;
		bool over;

		if (groups && i == d->n_groups) {
			if (sudogroup_put(ctx, reply) != PROV_ST_OK && !reply->err) {
				reply->len = before; /* out of memory: leave it out */
				continue;
			}
		} else if (groups) {
			dispatch_put_group(reply, &d->groups[i]);
		} else if (i < d->n_users) {
			put_user(reply, &d->users[i]);
		} else if (!put_removed_enum(ctx, reply, i - d->n_users)) {
			continue; /* expired, or its name or uid is served again */
		}
		over = !reply->err && reply->len - PROV_HEADER_SIZE > PROV_MAX_BODY;
		if (reply->err == -EMSGSIZE || (over && (n > 0 || !groups))) {
			reply->len = before; /* does not fit: it opens the next page */
			reply->err = 0;
			break;
		}
		if (reply->err) {
			/* A record the wire refuses (admit should have): skip it
			 * rather than stall the enumeration on it. */
			reply->len = before;
			reply->err = 0;
			continue;
		}
		n++;
		if (over) {
			i++; /* a group too big for a page of its own kind: alone */
			break;
		}
	}
	if (i < total && n == 0 && i == cursor)
		return PROV_ST_INTERNAL; /* one record larger than a page: never loop the client */
	dispatch_patch_u32(reply, head, i < total ? (uint32_t)i : PROV_ENUM_END);
	dispatch_patch_u32(reply, head + 4, n);
	return PROV_ST_OK;
}

static int h_pw_enum(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	return enum_page(ctx, req, reply, false);
}

static int h_gr_enum(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	return enum_page(ctx, req, reply, true);
}

static const struct dispatch_entry lookup_entries[] = {
	{ PROV_OP_PW_BY_NAME, DISPATCH_ANY, "PW_BY_NAME", h_pw_by_name },
	{ PROV_OP_PW_BY_UID, DISPATCH_ANY, "PW_BY_UID", h_pw_by_uid },
	{ PROV_OP_GR_BY_NAME, DISPATCH_ANY, "GR_BY_NAME", h_gr_by_name },
	{ PROV_OP_GR_BY_GID, DISPATCH_ANY, "GR_BY_GID", h_gr_by_gid },
	{ PROV_OP_INITGROUPS, DISPATCH_ANY, "INITGROUPS", h_initgroups },
	{ PROV_OP_PW_ENUM, DISPATCH_ANY, "PW_ENUM", h_pw_enum },
	{ PROV_OP_GR_ENUM, DISPATCH_ANY, "GR_ENUM", h_gr_enum },
};

const struct dispatch_table dispatch_lookup_table = DISPATCH_TABLE(lookup_entries);

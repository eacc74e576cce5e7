/* SPDX-License-Identifier: MIT */
/*
 * SCIM pages into a raw snapshot (see scim.h for the mapping).
 *
 * Resources are first read into records (one per distinct id), because
 * group members can only be resolved, names checked for case conflicts and
 * ids derived once every page is in. scim_sync_finish() (scim_build.c)
 * then builds the snapshot from the records, sorted by id.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "base/errbuf.h"
#include "model/hashtab.h"
#include "source/scim.h"
#include "source/scimattr.h"
#include "source/scimupg.h"
#include "validate.h"
#include "source/scim_impl.h"

static const char *or_default(const char *v, const char *def)
{
	return v && v[0] ? v : def;
}

int scim_sync_new(const struct scim_options *o, struct scim_sync **ret)
{
	struct scim_sync *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	if (o)
		s->o = *o;
	s->o.user_urn = or_default(s->o.user_urn, SCIM_DEFAULT_USER_URN);
	s->o.group_urn = or_default(s->o.group_urn, SCIM_DEFAULT_GROUP_URN);
	s->o.attr_uid = or_default(s->o.attr_uid, "uidNumber");
	s->o.attr_gid = or_default(s->o.attr_gid, "gidNumber");
	s->o.attr_shell = or_default(s->o.attr_shell, "loginShell");
	s->o.attr_home = or_default(s->o.attr_home, "homeDirectory");
	s->o.attr_gecos = or_default(s->o.attr_gecos, "gecos");
	s->o.attr_keys = or_default(s->o.attr_keys, "sshPublicKey");
	if (s->o.id_min == 0 && s->o.id_max == 0) {
		s->o.id_min = SCIM_DEFAULT_ID_MIN;
		s->o.id_max = SCIM_DEFAULT_ID_MAX;
	}
	s->out = directory_new();
	if (!s->out || nametab_init(&s->user_ids, 0, false) < 0 || nametab_init(&s->group_ids, 0, false) < 0) {
		scim_sync_free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

static void user_rec_free(struct user_rec *u)
{
	free(u->id);
	free(u->name);
	free(u->gecos);
	free(u->home);
	free(u->shell);
	dir_strv_free(&u->keys);
	free(u->refused);
}

static void group_rec_free(struct group_rec *g)
{
	free(g->id);
	free(g->name);
	dir_strv_free(&g->member_ids);
	free(g->refused);
}

void scim_sync_free(struct scim_sync *s)
{
	if (!s)
		return;
	nametab_free(&s->user_ids);
	nametab_free(&s->group_ids);
	for (size_t i = 0; i < s->n_users; i++)
		user_rec_free(&s->users[i]);
	for (size_t i = 0; i < s->n_groups; i++)
		group_rec_free(&s->groups[i]);
	free(s->users);
	free(s->groups);
	directory_free(s->out);
	free(s);
}

size_t scim_sync_count(const struct scim_sync *s, enum scim_kind kind)
{
	return kind == SCIM_USERS ? s->n_users : s->n_groups;
}

bool scim_sync_seen(const struct scim_sync *s, enum scim_kind kind, const char *id)
{
	return nametab_get(kind == SCIM_USERS ? &s->user_ids : &s->group_ids, id, NULL);
}

/* ---- JSON helpers ------------------------------------------------------ */

int scim_parse_json(const char *buf, size_t len, const char *what, struct json_object **ret, char *err,
		      size_t errsz)
{
	struct json_tokener *tok;
	struct json_object *root;
	size_t end;

	if (len == 0) {
		errbuf_set(err, errsz, "%s: empty response", what);
		return -EBADMSG;
	}
	if (len > SCIM_MAX_PAGE_BYTES) {
		errbuf_set(err, errsz, "%s: %zu bytes, over the limit of %u", what, len, SCIM_MAX_PAGE_BYTES);
		return -EBADMSG;
	}
	if (memchr(buf, '\0', len)) {
		errbuf_set(err, errsz, "%s: NUL byte in the response", what);
		return -EBADMSG;
	}
	tok = json_tokener_new_ex(SCIM_MAX_DEPTH);
	if (!tok) {
		errbuf_set(err, errsz, "out of memory");
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (!root) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		if (e == json_tokener_continue)
			errbuf_set(err, errsz, "%s: truncated JSON at byte %zu", what, end);
		else if (e == json_tokener_error_depth)
			errbuf_set(err, errsz, "%s: nested deeper than %d levels", what, SCIM_MAX_DEPTH);
		else
			errbuf_set(err, errsz, "%s: invalid JSON at byte %zu: %s", what, end, json_tokener_error_desc(e));
		json_tokener_free(tok);
		return -EBADMSG;
	}
	json_tokener_free(tok);
	while (end < len && strchr(" \t\r\n", buf[end]))
		end++;
	if (end < len || !json_object_is_type(root, json_type_object)) {
		errbuf_set(err, errsz, end < len ? "%s: trailing data after the JSON" : "%s: not a JSON object", what);
		json_object_put(root);
		return -EBADMSG;
	}
	*ret = root;
	return 0;
}

/* o[key], or NULL when absent or null; the name compared ignoring case
 * (RFC 7643 section 2.1: "Active": false is "active": false). */
struct json_object *scim_get(struct json_object *o, const char *key)
{
	return scimattr_get(o, key);
}

/* A POSIX attribute: resource[urn][attr], or the flattened resource["urn:attr"]. */
struct json_object *scim_ext_get(struct json_object *res, const char *urn, const char *attr)
{
	struct json_object *ext = scim_get(res, urn), *v;
	char flat[512];

	if (ext && json_object_is_type(ext, json_type_object)) {
		v = scim_get(ext, attr);
		if (v)
			return v;
	}
	if ((size_t)snprintf(flat, sizeof(flat), "%s:%s", urn, attr) >= sizeof(flat))
		return NULL;
	return scim_get(res, flat);
}

/* A JSON string as a C string: "\u0000" inside would cut it short, and
 * json-c's UTF-8 check lets overlong forms through, which validate.c (and
 * so the cache writer) refuses. */
const char *scim_str_of(struct json_object *v)
{
	const char *s;
	size_t n;

	if (!v || !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (strlen(s) != n || !utf8_valid(s, n))
		return NULL;
	return s;
}

/* uidNumber/gidNumber: a JSON integer, or a decimal string (custom
 * attributes of some IdPs are strings). 0 means "absent" to the caller, so
 * an explicit 0 is refused here. */
int scim_id_of(struct json_object *v, const char *what, uint32_t *ret, char *why)
{
	uint64_t x = 0;

	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0 || json_object_get_uint64(v) > UINT32_MAX) {
			snprintf(why, WHY_MAX, "%s is out of range", what);
			return -EINVAL;
		}
		x = json_object_get_uint64(v);
	} else if (json_object_is_type(v, json_type_string)) {
		const char *s = scim_str_of(v);
		size_t n = s ? strlen(s) : 0;

		if (n == 0 || n > 10 || strspn(s, "0123456789") != n) {
			snprintf(why, WHY_MAX, "%s is not a decimal number", what);
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++)
			x = x * 10 + (uint64_t)(s[i] - '0');
		if (x > UINT32_MAX) {
			snprintf(why, WHY_MAX, "%s is out of range", what);
			return -EINVAL;
		}
	} else {
		snprintf(why, WHY_MAX, "%s must be an integer", what);
		return -EINVAL;
	}
	if (x == 0) {
		snprintf(why, WHY_MAX, "%s 0 is reserved", what);
		return -EINVAL;
	}
	*ret = (uint32_t)x;
	return 0;
}

/* ---- pages -------------------------------------------------------------- */

static void *grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return arr;
	while (c < need)
		c *= 2;
	p = reallocarray(arr, c, elem);
	if (!p)
		return NULL;
	memset((char *)p + *cap * elem, 0, (c - *cap) * elem);
	*cap = c;
	return p;
}

/* A refused resource still gets a record (with its reason) when it has an
 * id, so a later page cannot sneak in a second copy of it. */
static int add_resource(struct scim_sync *s, enum scim_kind kind, struct json_object *res, size_t idx,
			bool *ret_new)
{
	enum dir_entry_kind dk = kind == SCIM_USERS ? DIR_KIND_USER : DIR_KIND_GROUP;
	struct nametab *ids = kind == SCIM_USERS ? &s->user_ids : &s->group_ids;
	const char *id = json_object_is_type(res, json_type_object) ? scim_str_of(scim_get(res, "id")) : NULL;
	char why[WHY_MAX] = "", label[64];
	const char *dup;
	uint32_t slot;
	int r;

	*ret_new = false;
	if (!id || !id[0]) {
		const char *nm = json_object_is_type(res, json_type_object)
					 ? scim_str_of(scim_get(res, kind == SCIM_USERS ? "userName" : "displayName"))
					 : NULL;

		snprintf(label, sizeof(label), "resource #%zu", idx);
		return directory_add_refusal(s->out, dk, nm ? nm : label,
					     json_object_is_type(res, json_type_object)
						     ? "SCIM resource without a usable \"id\""
						     : "SCIM resource is not a JSON object");
	}
	if (nametab_get(ids, id, NULL))
		return 0; /* seen on an earlier page: pages shifted or overlap */
	dup = scimattr_duplicate(res, true);
	if (dup)
		snprintf(why, sizeof(why), "attribute \"%.64s\" is given twice (SCIM attribute names are "
			 "case-insensitive)", dup);
	if (kind == SCIM_USERS) {
		struct user_rec *u;

		u = grow(s->users, &s->cap_users, s->n_users + 1, sizeof(*s->users));
		if (!u)
			return -ENOMEM;
		s->users = u;
		u = &s->users[s->n_users];
		u->id = strdup(id);
		if (!u->id)
			return -ENOMEM;
		s->n_users++;
		r = dup ? -EINVAL : scim_user_fields(&s->o, res, u, why);
		if (r == -EINVAL) {
			u->refused = strdup(why);
			r = u->refused ? 0 : -ENOMEM;
		}
		slot = (uint32_t)(s->n_users - 1);
		if (nametab_put(ids, u->id, slot, NULL) == -ENOMEM)
			return -ENOMEM;
	} else {
		struct group_rec *g;

		g = grow(s->groups, &s->cap_groups, s->n_groups + 1, sizeof(*s->groups));
		if (!g)
			return -ENOMEM;
		s->groups = g;
		g = &s->groups[s->n_groups];
		g->id = strdup(id);
		if (!g->id)
			return -ENOMEM;
		s->n_groups++;
		r = dup ? -EINVAL : scim_group_fields(&s->o, res, g, why);
		if (r == -EINVAL) {
			g->refused = strdup(why);
			r = g->refused ? 0 : -ENOMEM;
		}
		slot = (uint32_t)(s->n_groups - 1);
		if (nametab_put(ids, g->id, slot, NULL) == -ENOMEM)
			return -ENOMEM;
	}
	if (r == -ENOMEM)
		return r;
	*ret_new = true;
	return 0;
}

static int get_count(struct json_object *root, const char *key, bool required, uint64_t *ret, char *err,
		     size_t errsz, const char *what)
{
	struct json_object *v = scim_get(root, key);

	if (!v) {
		if (required) {
			errbuf_set(err, errsz, "%s: no \"%s\": not a SCIM ListResponse", what, key);
			return -EBADMSG;
		}
		return 0;
	}
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
		errbuf_set(err, errsz, "%s: \"%s\" is not a non-negative integer", what, key);
		return -EBADMSG;
	}
	*ret = json_object_get_uint64(v);
	return 0;
}

int scim_sync_add_page(struct scim_sync *s, enum scim_kind kind, uint64_t requested_start, const char *buf,
		       size_t len, struct scim_page *ret_page, char *err, size_t errsz)
{
	const char *what = kind == SCIM_USERS ? "/Users page" : "/Groups page";
	struct scim_page pg = { .start = requested_start };
	struct json_object *root, *res;
	const char *dup;
	size_t n;
	int r;

	r = scim_parse_json(buf, len, what, &root, err, errsz);
	if (r < 0)
		return r;
	dup = scimattr_duplicate(root, false);
	if (dup) {
		errbuf_set(err, errsz, "%s: \"%.64s\" is given twice (SCIM attribute names are case-insensitive)",
			   what, dup);
		r = -EBADMSG;
		goto out;
	}
	r = get_count(root, "totalResults", true, &pg.total, err, errsz, what);
	if (r == 0)
		r = get_count(root, "startIndex", false, &pg.start, err, errsz, what);
	if (r < 0)
		goto out;
	res = scim_get(root, "Resources");
	if (res && !json_object_is_type(res, json_type_array)) {
		errbuf_set(err, errsz, "%s: \"Resources\" is not an array", what);
		r = -EBADMSG;
		goto out;
	}
	n = res ? json_object_array_length(res) : 0;
	/* The page as a whole is well-formed: keep its resources (one of
	 * the wrong shape is kept as a refusal). */
	pg.n_resources = n;
	for (size_t i = 0; i < n; i++) {
		bool fresh;

		r = add_resource(s, kind, json_object_array_get_idx(res, i), (size_t)(pg.start - 1 + i), &fresh);
		if (r < 0) {
			errbuf_set(err, errsz, "out of memory");
			goto out;
		}
		pg.n_new += fresh;
	}
	*ret_page = pg;
	r = 0;
out:
	json_object_put(root);
	return r;
}

/* ---- paging ------------------------------------------------------------- */

void scim_pager_init(struct scim_pager *p)
{
	memset(p, 0, sizeof(*p));
	p->next_start = 1;
}

int scim_pager_advance(struct scim_pager *p, const struct scim_page *pg, char *err, size_t errsz)
{
	if (p->done)
		return 0;
	if (pg->total > SCIM_MAX_RESOURCES) {
		errbuf_set(err, errsz, "totalResults %" PRIu64 " is over the limit of %u", pg->total, SCIM_MAX_RESOURCES);
		return -EBADMSG;
	}
	if (p->pages > 0 && pg->start <= p->last_start) {
		errbuf_set(err, errsz, "page did not advance (startIndex %" PRIu64 " after %" PRIu64 ")", pg->start,
			p->last_start);
		return -EBADMSG;
	}
	if (pg->start == 0) {
		errbuf_set(err, errsz, "startIndex 0 (SCIM counts from 1)");
		return -EBADMSG;
	}
	/* One pull is one snapshot only if every page describes the same
	 * list: a user deleted or created between two pages changes the total
	 * and shifts the pages after it, so someone else goes unseen. */
	if (p->pages > 0 && pg->total != p->total) {
		errbuf_set(err, errsz,
			"the directory changed during the pull: totalResults %" PRIu64 " on page 1, %" PRIu64
			" on page %u",
			p->total, pg->total, p->pages + 1);
		return -ESTALE;
	}
	p->pages++;
	p->last_start = pg->start;
	p->total = pg->total;
	p->collected += pg->n_new;
	if (pg->n_resources == 0) {
		if (p->collected < p->total) {
			errbuf_set(err, errsz,
				"page did not advance: empty page at startIndex %" PRIu64 " with %" PRIu64
				" of totalResults %" PRIu64 " collected",
				pg->start, p->collected, p->total);
			return -EBADMSG;
		}
		p->done = true;
	} else {
		/* What the server actually returned decides the next page,
		 * not itemsPerPage and not the count we asked for. */
		p->next_start = pg->start + pg->n_resources;
		if (p->next_start > p->total)
			p->done = true;
	}
	/* Same total, different list (reordered, or one deleted and one
	 * created between pages): the distinct ids do not add up. */
	if (p->done && p->collected != p->total) {
		errbuf_set(err, errsz, "partial result: %" PRIu64 " distinct resources but totalResults %" PRIu64,
			p->collected, p->total);
		return -ESTALE;
	}
	return 0;
}

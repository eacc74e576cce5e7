/* SPDX-License-Identifier: MIT */
/*
 * SCIM pages into a raw snapshot (see scim.h for the mapping).
 *
 * Resources are first read into records (one per distinct id), because
 * group members can only be resolved, names checked for case conflicts and
 * ids derived once every page is in. scim_sync_finish() then builds the
 * snapshot from the records, sorted by id.
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

/* Real pages nest about 6 deep (root, Resources, user, extension,
 * sshPublicKey, value); room for vendor extensions, and a 10,000-deep page
 * is stopped at once. */
#define SCIM_MAX_DEPTH 32
#define WHY_MAX 160

struct user_rec {
	char *id;
	char *name; /* login name (after strip_domain) */
	bool active;
	bool has_uid, has_gid;
	uint32_t uid, gid;
	char *gecos, *home, *shell;
	struct dir_strv keys;
	char *refused; /* reason; NULL = usable */
};

struct group_rec {
	char *id;
	char *name;
	bool has_gid;
	uint32_t gid;
	struct dir_strv member_ids;
	size_t skipped; /* members that are groups or malformed */
	char *refused;
};

struct scim_sync {
	struct scim_options o;
	struct user_rec *users;
	size_t n_users, cap_users;
	struct group_rec *groups;
	size_t n_groups, cap_groups;
	struct nametab user_ids, group_ids; /* id -> record index (dedupe) */
	struct directory *out; /* refusals gather here as pages come in */
};

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

static int parse_json(const char *buf, size_t len, const char *what, struct json_object **ret, char *err,
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
static struct json_object *get(struct json_object *o, const char *key)
{
	return scimattr_get(o, key);
}

/* A POSIX attribute: resource[urn][attr], or the flattened resource["urn:attr"]. */
static struct json_object *ext_get(struct json_object *res, const char *urn, const char *attr)
{
	struct json_object *ext = get(res, urn), *v;
	char flat[512];

	if (ext && json_object_is_type(ext, json_type_object)) {
		v = get(ext, attr);
		if (v)
			return v;
	}
	if ((size_t)snprintf(flat, sizeof(flat), "%s:%s", urn, attr) >= sizeof(flat))
		return NULL;
	return get(res, flat);
}

/* A JSON string as a C string: "\u0000" inside would cut it short, and
 * json-c's UTF-8 check lets overlong forms through, which validate.c (and
 * so the cache writer) refuses. */
static const char *str_of(struct json_object *v)
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
static int id_of(struct json_object *v, const char *what, uint32_t *ret, char *why)
{
	uint64_t x = 0;

	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0 || json_object_get_uint64(v) > UINT32_MAX) {
			snprintf(why, WHY_MAX, "%s is out of range", what);
			return -EINVAL;
		}
		x = json_object_get_uint64(v);
	} else if (json_object_is_type(v, json_type_string)) {
		const char *s = str_of(v);
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

/* ---- users -------------------------------------------------------------- */

/* Copies an optional string field; wrong type is an error. */
static int opt_str(struct json_object *v, const char *what, char **ret, char *why)
{
	const char *s;

	if (!v)
		return 0;
	s = str_of(v);
	if (!s) {
		snprintf(why, WHY_MAX, "%s must be a string (valid UTF-8, no NUL)", what);
		return -EINVAL;
	}
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int parse_active(struct json_object *v, bool *ret, char *why)
{
	const char *s;

	if (!v) {
		*ret = true;
		return 0;
	}
	if (json_object_is_type(v, json_type_boolean)) {
		*ret = json_object_get_boolean(v);
		return 0;
	}
	s = str_of(v);
	if (s && strcasecmp(s, "true") == 0) {
		*ret = true;
		return 0;
	}
	if (s && strcasecmp(s, "false") == 0) {
		*ret = false;
		return 0;
	}
	snprintf(why, WHY_MAX, "\"active\" is neither a boolean nor \"true\"/\"false\"");
	return -EINVAL;
}

/* sshPublicKey: "key", ["key", ...] or [{"value": "key"}, ...]. */
static int parse_keys(struct json_object *v, struct dir_strv *ret, char *why)
{
	size_t n;

	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_string)) {
		const char *s = str_of(v);

		if (!s) {
			snprintf(why, WHY_MAX, "ssh key is not valid UTF-8 or contains a NUL byte");
			return -EINVAL;
		}
		return dir_strv_push(ret, s);
	}
	if (!json_object_is_type(v, json_type_array)) {
		snprintf(why, WHY_MAX, "ssh keys must be a string or an array");
		return -EINVAL;
	}
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		const char *s = json_object_is_type(e, json_type_object) ? str_of(get(e, "value")) : str_of(e);
		int r;

		if (!s) {
			snprintf(why, WHY_MAX, "ssh key %zu is neither a string nor {\"value\": string}", i);
			return -EINVAL;
		}
		r = dir_strv_push(ret, s);
		if (r < 0)
			return r;
	}
	return 0;
}

/* "displayName", else name.formatted, else "givenName familyName". */
static int core_gecos(struct json_object *res, char **ret)
{
	struct json_object *name = get(res, "name");
	const char *s = str_of(get(res, "displayName")), *given, *family;

	if (!s && name)
		s = str_of(get(name, "formatted"));
	if (s) {
		*ret = strdup(s);
		return *ret ? 0 : -ENOMEM;
	}
	if (!name)
		return 0;
	given = str_of(get(name, "givenName"));
	family = str_of(get(name, "familyName"));
	if (!given && !family)
		return 0;
	if (asprintf(ret, "%s%s%s", given ? given : "", given && family ? " " : "", family ? family : "") < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int user_fields(const struct scim_options *o, struct json_object *res, struct user_rec *u, char *why)
{
	struct json_object *v;
	const char *login = str_of(get(res, "userName"));
	int r;

	if (!login || !login[0]) {
		snprintf(why, WHY_MAX, "\"userName\" is missing or not a string (valid UTF-8, no NUL)");
		return -EINVAL;
	}
	u->name = o->strip_domain && strchr(login, '@') ? strndup(login, (size_t)(strchr(login, '@') - login))
							 : strdup(login);
	if (!u->name)
		return -ENOMEM;
	if (!u->name[0]) {
		snprintf(why, WHY_MAX, "\"userName\" has an empty local part");
		return -EINVAL;
	}
	r = parse_active(get(res, "active"), &u->active, why);
	if (r < 0)
		return r;
	v = ext_get(res, o->user_urn, o->attr_uid);
	if (v) {
		r = id_of(v, o->attr_uid, &u->uid, why);
		if (r < 0)
			return r;
		u->has_uid = true;
	}
	v = ext_get(res, o->user_urn, o->attr_gid);
	if (v) {
		r = id_of(v, o->attr_gid, &u->gid, why);
		if (r < 0)
			return r;
		u->has_gid = true;
	}
	r = opt_str(ext_get(res, o->user_urn, o->attr_home), o->attr_home, &u->home, why);
	if (r == 0)
		r = opt_str(ext_get(res, o->user_urn, o->attr_shell), o->attr_shell, &u->shell, why);
	if (r == 0)
		r = opt_str(ext_get(res, o->user_urn, o->attr_gecos), o->attr_gecos, &u->gecos, why);
	if (r == 0 && !u->gecos)
		r = core_gecos(res, &u->gecos);
	if (r == 0)
		r = parse_keys(ext_get(res, o->user_urn, o->attr_keys), &u->keys, why);
	return r;
}

/* ---- groups ------------------------------------------------------------- */

static int group_fields(const struct scim_options *o, struct json_object *res, struct group_rec *g, char *why)
{
	struct json_object *v, *members;
	const char *name = str_of(get(res, "displayName"));
	size_t n;
	int r;

	if (!name || !name[0]) {
		snprintf(why, WHY_MAX, "\"displayName\" is missing or not a string (valid UTF-8, no NUL)");
		return -EINVAL;
	}
	g->name = strdup(name);
	if (!g->name)
		return -ENOMEM;
	v = ext_get(res, o->group_urn, o->attr_gid);
	if (v) {
		r = id_of(v, o->attr_gid, &g->gid, why);
		if (r < 0)
			return r;
		g->has_gid = true;
	}
	members = get(res, "members");
	if (!members)
		return 0;
	if (!json_object_is_type(members, json_type_array)) {
		snprintf(why, WHY_MAX, "\"members\" must be an array");
		return -EINVAL;
	}
	n = json_object_array_length(members);
	for (size_t i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(members, i);
		const char *id = json_object_is_type(m, json_type_object) ? str_of(get(m, "value")) : NULL;
		const char *type = json_object_is_type(m, json_type_object) ? str_of(get(m, "type")) : NULL;

		/* Nested groups are not expanded: membership stays one level,
		 * as in /etc/group. */
		if (!id || (type && strcasecmp(type, "Group") == 0)) {
			g->skipped++;
			continue;
		}
		r = dir_strv_push(&g->member_ids, id);
		if (r < 0)
			return r;
	}
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
	const char *id = json_object_is_type(res, json_type_object) ? str_of(get(res, "id")) : NULL;
	char why[WHY_MAX] = "", label[64];
	const char *dup;
	uint32_t slot;
	int r;

	*ret_new = false;
	if (!id || !id[0]) {
		const char *nm = json_object_is_type(res, json_type_object)
					 ? str_of(get(res, kind == SCIM_USERS ? "userName" : "displayName"))
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
		r = dup ? -EINVAL : user_fields(&s->o, res, u, why);
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
		r = dup ? -EINVAL : group_fields(&s->o, res, g, why);
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
	struct json_object *v = get(root, key);

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

	r = parse_json(buf, len, what, &root, err, errsz);
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
	res = get(root, "Resources");
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

/* ---- building the snapshot ---------------------------------------------- */

static int cmp_user_idx(const void *a, const void *b, void *ctx)
{
	const struct user_rec *u = ctx;

	return strcmp(u[*(const size_t *)a].id, u[*(const size_t *)b].id);
}

static int cmp_group_idx(const void *a, const void *b, void *ctx)
{
	const struct group_rec *g = ctx;

	return strcmp(g[*(const size_t *)a].id, g[*(const size_t *)b].id);
}

static size_t *sorted_order(void *recs, size_t n, int (*cmp)(const void *, const void *, void *))
{
	size_t *order = calloc(n ? n : 1, sizeof(*order));

	if (!order)
		return NULL;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), cmp, recs);
	return order;
}

struct id_keys {
	struct idmap_entry *e;
	char **keys;
	size_t n;
};

static void id_keys_free(struct id_keys *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->keys[i]);
	free(k->keys);
	free(k->e);
}

/* One idmap entry per usable user and group; user_slot/group_slot map
 * record index -> entry index. */
static int assign_ids(struct scim_sync *s, const struct idmap_prev *prev, size_t n_prev, size_t *user_slot,
		      size_t *group_slot, struct id_keys *k, char *err, size_t errsz)
{
	size_t total = s->n_users + s->n_groups;
	int r;

	k->e = calloc(total ? total : 1, sizeof(*k->e));
	k->keys = calloc(total ? total : 1, sizeof(*k->keys));
	if (!k->e || !k->keys)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_users; i++) {
		if (s->users[i].refused)
			continue;
		if (asprintf(&k->keys[k->n], "u:%s", s->users[i].id) < 0)
			return -ENOMEM;
		k->e[k->n] = (struct idmap_entry){ .key = k->keys[k->n], .fixed = s->users[i].uid };
		user_slot[i] = k->n++;
	}
	for (size_t i = 0; i < s->n_groups; i++) {
		if (s->groups[i].refused)
			continue;
		if (asprintf(&k->keys[k->n], "g:%s", s->groups[i].id) < 0)
			return -ENOMEM;
		k->e[k->n] = (struct idmap_entry){ .key = k->keys[k->n], .fixed = s->groups[i].gid };
		group_slot[i] = k->n++;
	}
	r = idmap_assign(k->e, k->n, prev, n_prev, s->o.id_min, s->o.id_max, err, errsz);
	return r;
}

/* The record's strings move into the snapshot (100,000 users should not
 * be held twice). The id string stays the key of s->user_ids: it now lives
 * in the snapshot, which outlives every lookup. */
static int emit_user(struct directory *d, struct user_rec *u, uint32_t uid, size_t *ret_index)
{
	struct dir_user *du = directory_add_user(d);

	if (!du)
		return -ENOMEM;
	du->uid = uid;
	du->gid = u->has_gid ? u->gid : uid;
	du->active = u->active;
	du->id = u->id;
	du->name = u->name;
	du->gecos = u->gecos;
	du->home = u->home;
	du->shell = u->shell;
	du->ssh_keys = u->keys;
	u->id = u->name = u->gecos = u->home = u->shell = NULL;
	memset(&u->keys, 0, sizeof(u->keys));
	*ret_index = d->n_users - 1;
	return 0;
}

static int emit_group(struct scim_sync *s, struct group_rec *g, uint32_t gid, const size_t *user_index)
{
	struct dir_group *dg = directory_add_group(s->out);
	size_t unresolved = g->skipped;
	struct nametab seen; /* a member listed twice is one member */
	int r;

	if (!dg || nametab_init(&seen, g->member_ids.n, false) < 0)
		return -ENOMEM;
	dg->gid = gid;
	dg->id = g->id;
	dg->name = g->name;
	g->id = g->name = NULL;
	r = 0;
	for (size_t i = 0; r == 0 && i < g->member_ids.n; i++) {
		const char *name;
		uint32_t ui;

		if (!nametab_get(&s->user_ids, g->member_ids.v[i], &ui)) {
			unresolved++;
			continue;
		}
		/* A refused user's refusal is already recorded. */
		if (s->users[ui].refused)
			continue;
		name = s->out->users[user_index[ui]].name;
		r = nametab_put(&seen, name, 0, NULL);
		if (r == -EEXIST) {
			r = 0;
			continue;
		}
		if (r == 0)
			r = dir_strv_push(&dg->members, name);
	}
	nametab_free(&seen);
	if (r == 0 && unresolved) {
		char why[WHY_MAX];

		snprintf(why, sizeof(why), "%zu members skipped (unknown user ids or nested groups)", unresolved);
		r = directory_add_note(s->out, DIR_KIND_GROUP, dg->name, why);
	}
	return r;
}

/* Users without a gidNumber get a group of their name (scimupg.h). */
static int private_groups(struct scim_sync *s, const size_t *uorder)
{
	bool *explicit_gid = calloc(s->out->n_users + 1, sizeof(*explicit_gid));
	size_t j = 0;
	int r;

	if (!explicit_gid)
		return -ENOMEM;
	/* the snapshot's users are the usable records, in uorder */
	for (size_t k = 0; k < s->n_users; k++)
		if (!s->users[uorder[k]].refused)
			explicit_gid[j++] = s->users[uorder[k]].has_gid;
	r = scimupg_add(s->out, explicit_gid);
	free(explicit_gid);
	return r;
}

int scim_sync_finish(struct scim_sync *s, const struct idmap_prev *prev, size_t n_prev, struct directory **ret,
		     char *err, size_t errsz)
{
	size_t *uorder = NULL, *gorder = NULL, *user_slot = NULL, *group_slot = NULL;
	struct id_keys keys = { 0 };
	int r = -ENOMEM;

	uorder = sorted_order(s->users, s->n_users, cmp_user_idx);
	gorder = sorted_order(s->groups, s->n_groups, cmp_group_idx);
	user_slot = calloc(s->n_users ? s->n_users : 1, sizeof(*user_slot));
	group_slot = calloc(s->n_groups ? s->n_groups : 1, sizeof(*group_slot));
	if (!uorder || !gorder || !user_slot || !group_slot)
		goto out;
	/* userNames differing only in case (SCIM compares them ignoring
	 * case) are left to admission, which folds case too and keeps the
	 * one served before (admit.h): refusing both here let anyone who
	 * can create a user take an established one down (issue 9 §3). */
	r = assign_ids(s, prev, n_prev, user_slot, group_slot, &keys, err, errsz);
	if (r == -ENOMEM)
		goto out;
	if (r < 0)
		goto fail;

	/* user_slot is reused: once a user's id is known, it holds the
	 * user's index in the snapshot. */
	for (size_t k = 0; r == 0 && k < s->n_users; k++) {
		struct user_rec *u = &s->users[uorder[k]];

		if (u->refused)
			r = directory_add_refusal(s->out, DIR_KIND_USER, u->name && u->name[0] ? u->name : u->id,
						  u->refused);
		else
			r = emit_user(s->out, u, keys.e[user_slot[uorder[k]]].id, &user_slot[uorder[k]]);
	}
	for (size_t k = 0; r == 0 && k < s->n_groups; k++) {
		struct group_rec *g = &s->groups[gorder[k]];

		if (g->refused)
			r = directory_add_refusal(s->out, DIR_KIND_GROUP, g->name ? g->name : g->id, g->refused);
		else
			r = emit_group(s, g, keys.e[group_slot[gorder[k]]].id, user_slot);
	}
	if (r == 0)
		r = private_groups(s, uorder);
	if (r < 0)
		goto out;
	*ret = s->out;
	s->out = NULL;
	r = 0;
	goto done;
out:
	errbuf_set(err, errsz, "out of memory");
fail:
	/* The snapshot is all or nothing: drop it. */
	directory_free(s->out);
	s->out = NULL;
done:
	id_keys_free(&keys);
	free(uorder);
	free(gorder);
	free(user_slot);
	free(group_slot);
	return r;
}

/* ---- the rest ----------------------------------------------------------- */

static bool supported(struct json_object *root, const char *key)
{
	struct json_object *o = get(root, key), *v = get(o, "supported");

	return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

int scim_parse_spconfig(const char *buf, size_t len, struct scim_spconfig *ret, char *err, size_t errsz)
{
	struct scim_spconfig c = { 0 };
	struct json_object *root, *v, *schemes;
	int r;

	r = parse_json(buf, len, "/ServiceProviderConfig", &root, err, errsz);
	if (r < 0)
		return r;
	c.filter = supported(root, "filter");
	v = get(get(root, "filter"), "maxResults");
	if (v && json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0)
		c.filter_max_results = json_object_get_uint64(v) > UINT32_MAX ? UINT32_MAX
									 : (uint32_t)json_object_get_uint64(v);
	c.etag = supported(root, "etag");
	c.sort = supported(root, "sort");
	c.patch = supported(root, "patch");
	schemes = get(root, "authenticationSchemes");
	if (schemes && json_object_is_type(schemes, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(schemes); i++) {
			const char *t = str_of(get(json_object_array_get_idx(schemes, i), "type"));

			if (t && strcasecmp(t, "oauthbearertoken") == 0)
				c.bearer = true;
		}
	}
	json_object_put(root);
	*ret = c;
	return 0;
}

int scim_page_url(const char *base, enum scim_kind kind, uint64_t start, uint32_t count, char **ret)
{
	size_t n = strlen(base);
	char *u;

	while (n > 0 && base[n - 1] == '/')
		n--;
	if (asprintf(&u, "%.*s/%s?startIndex=%" PRIu64 "&count=%" PRIu32, (int)n, base,
		     kind == SCIM_USERS ? "Users" : "Groups", start, count) < 0)
		return -ENOMEM;
	*ret = u;
	return 0;
}

int scim_resource_url(const char *base, enum scim_kind kind, const char *id, char **ret)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(base), len = strlen(id), k = 0;
	char *enc = malloc(len * 3 + 1), *u;
	int r;

	if (!enc)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)id[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~", c)) {
			enc[k++] = (char)c;
		} else {
			enc[k++] = '%';
			enc[k++] = hex[c >> 4];
			enc[k++] = hex[c & 15];
		}
	}
	enc[k] = '\0';
	while (n > 0 && base[n - 1] == '/')
		n--;
	r = asprintf(&u, "%.*s/%s/%s", (int)n, base, kind == SCIM_USERS ? "Users" : "Groups", enc);
	free(enc);
	if (r < 0)
		return -ENOMEM;
	*ret = u;
	return 0;
}

void scim_prev_free(struct scim_prev *p)
{
	for (size_t i = 0; i < p->n; i++)
		free((char *)p->v[i].key);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

int scim_prev_collect(const struct directory *d, struct scim_prev *ret)
{
	struct scim_prev p = { 0 };
	struct nametab user_ids; /* a group with a user's id is her private group */

	if (nametab_init(&user_ids, d->n_users, false) < 0)
		return -ENOMEM;
	p.v = calloc(d->n_users + d->n_groups + 1, sizeof(*p.v));
	if (!p.v)
		goto oom;
	for (size_t i = 0; i < d->n_users; i++) {
		char *k;

		if (!d->users[i].id)
			continue;
		if (asprintf(&k, "u:%s", d->users[i].id) < 0)
			goto oom;
		p.v[p.n++] = (struct idmap_prev){ .key = k, .id = d->users[i].uid };
		if (nametab_put(&user_ids, d->users[i].id, (uint32_t)i, NULL) == -ENOMEM)
			goto oom;
	}
	for (size_t i = 0; i < d->n_groups; i++) {
		const struct dir_group *g = &d->groups[i];
		uint32_t ui;
		char *k;

		if (!g->id)
			continue;
		/* A private group (her id, name and gid: scimupg.h) has its
		 * user's gid, not one of idmap's. A group that merely shares an
		 * id with a user (servers numbering each type from 1) is not. */
		if (nametab_get(&user_ids, g->id, &ui) && strcmp(d->users[ui].name, g->name) == 0 &&
		    d->users[ui].gid == g->gid)
			continue;
		if (asprintf(&k, "g:%s", g->id) < 0)
			goto oom;
		p.v[p.n++] = (struct idmap_prev){ .key = k, .id = g->gid };
	}
	nametab_free(&user_ids);
	*ret = p;
	return 0;
oom:
	nametab_free(&user_ids);
	scim_prev_free(&p);
	return -ENOMEM;
}

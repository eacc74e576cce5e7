/* SPDX-License-Identifier: MIT */
/* The attributes of one SCIM user or group resource into its record
 * (scim_impl.h), as scim.h maps them. */
#include "source/scim_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

/* ---- users -------------------------------------------------------------- */

/* Copies an optional string field; wrong type is an error. */
static int opt_str(struct json_object *v, const char *what, char **ret, char *why)
{
	const char *s;

	if (!v)
		return 0;
	s = scim_str_of(v);
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
	s = scim_str_of(v);
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
		const char *s = scim_str_of(v);

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
		const char *s = json_object_is_type(e, json_type_object) ? scim_str_of(scim_get(e, "value")) : scim_str_of(e);
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
	struct json_object *name = scim_get(res, "name");
	const char *s = scim_str_of(scim_get(res, "displayName")), *given, *family;

	if (!s && name)
		s = scim_str_of(scim_get(name, "formatted"));
	if (s) {
		*ret = strdup(s);
		return *ret ? 0 : -ENOMEM;
	}
	if (!name)
		return 0;
	given = scim_str_of(scim_get(name, "givenName"));
	family = scim_str_of(scim_get(name, "familyName"));
	if (!given && !family)
		return 0;
	if (asprintf(ret, "%s%s%s", given ? given : "", given && family ? " " : "", family ? family : "") < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

int scim_user_fields(const struct scim_options *o, struct json_object *res, struct user_rec *u, char *why)
{
	struct json_object *v;
	const char *login = scim_str_of(scim_get(res, "userName"));
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
	r = parse_active(scim_get(res, "active"), &u->active, why);
	if (r < 0)
		return r;
	v = scim_ext_get(res, o->user_urn, o->attr_uid);
	if (v) {
		r = scim_id_of(v, o->attr_uid, &u->uid, why);
		if (r < 0)
			return r;
		u->has_uid = true;
	}
	v = scim_ext_get(res, o->user_urn, o->attr_gid);
	if (v) {
		r = scim_id_of(v, o->attr_gid, &u->gid, why);
		if (r < 0)
			return r;
		u->has_gid = true;
	}
	r = opt_str(scim_ext_get(res, o->user_urn, o->attr_home), o->attr_home, &u->home, why);
	if (r == 0)
		r = opt_str(scim_ext_get(res, o->user_urn, o->attr_shell), o->attr_shell, &u->shell, why);
	if (r == 0)
		r = opt_str(scim_ext_get(res, o->user_urn, o->attr_gecos), o->attr_gecos, &u->gecos, why);
	if (r == 0 && !u->gecos)
		r = core_gecos(res, &u->gecos);
	if (r == 0)
		r = parse_keys(scim_ext_get(res, o->user_urn, o->attr_keys), &u->keys, why);
	return r;
}

/* ---- groups ------------------------------------------------------------- */

int scim_group_fields(const struct scim_options *o, struct json_object *res, struct group_rec *g, char *why)
{
	struct json_object *v, *members;
	const char *name = scim_str_of(scim_get(res, "displayName"));
	size_t n;
	int r;

	if (!name || !name[0]) {
		snprintf(why, WHY_MAX, "\"displayName\" is missing or not a string (valid UTF-8, no NUL)");
		return -EINVAL;
	}
	g->name = strdup(name);
	if (!g->name)
		return -ENOMEM;
	v = scim_ext_get(res, o->group_urn, o->attr_gid);
	if (v) {
		r = scim_id_of(v, o->attr_gid, &g->gid, why);
		if (r < 0)
			return r;
		g->has_gid = true;
	}
	members = scim_get(res, "members");
	if (!members)
		return 0;
	if (!json_object_is_type(members, json_type_array)) {
		snprintf(why, WHY_MAX, "\"members\" must be an array");
		return -EINVAL;
	}
	n = json_object_array_length(members);
	for (size_t i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(members, i);
		const char *id = json_object_is_type(m, json_type_object) ? scim_str_of(scim_get(m, "value")) : NULL;
		const char *type = json_object_is_type(m, json_type_object) ? scim_str_of(scim_get(m, "type")) : NULL;

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

/* SPDX-License-Identifier: MIT */
/*
 * What the files of the SCIM parser share (scim.h is the interface): the
 * records resources are read into, the pages being gathered, and the
 * JSON helpers. scim.c reads pages into records, scim_fields.c reads a
 * user's and a group's attributes, scim_build.c turns the records into a
 * snapshot, scim_service.c reads /ServiceProviderConfig and makes URLs.
 */
#ifndef PROV_SCIM_IMPL_H
#define PROV_SCIM_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

int scim_parse_json(const char *buf, size_t len, const char *what, struct json_object **ret, char *err,
		      size_t errsz);
struct json_object *scim_get(struct json_object *o, const char *key);
struct json_object *scim_ext_get(struct json_object *res, const char *urn, const char *attr);
const char *scim_str_of(struct json_object *v);
int scim_id_of(struct json_object *v, const char *what, uint32_t *ret, char *why);
int scim_user_fields(const struct scim_options *o, struct json_object *res, struct user_rec *u, char *why);
int scim_group_fields(const struct scim_options *o, struct json_object *res, struct group_rec *g, char *why);

#endif

/* SPDX-License-Identifier: MIT */
/* What provd asks of a SCIM service: its /ServiceProviderConfig, and
 * the URLs of pages and of one resource. */
#include "source/scim_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

static bool supported(struct json_object *root, const char *key)
{
	struct json_object *o = scim_get(root, key), *v = scim_get(o, "supported");

	return v && json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

int scim_parse_spconfig(const char *buf, size_t len, struct scim_spconfig *ret, char *err, size_t errsz)
{
	struct scim_spconfig c = { 0 };
	struct json_object *root, *v, *schemes;
	int r;

	r = scim_parse_json(buf, len, "/ServiceProviderConfig", &root, err, errsz);
	if (r < 0)
		return r;
	c.filter = supported(root, "filter");
	v = scim_get(scim_get(root, "filter"), "maxResults");
	if (v && json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0)
		c.filter_max_results = json_object_get_uint64(v) > UINT32_MAX ? UINT32_MAX
									 : (uint32_t)json_object_get_uint64(v);
	c.etag = supported(root, "etag");
	c.sort = supported(root, "sort");
	c.patch = supported(root, "patch");
	schemes = scim_get(root, "authenticationSchemes");
	if (schemes && json_object_is_type(schemes, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(schemes); i++) {
			const char *t = scim_str_of(scim_get(json_object_array_get_idx(schemes, i), "type"));

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

/* SPDX-License-Identifier: MIT */
/* Case-insensitive SCIM attribute names (RFC 7643 section 2.1, issue 9). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "source/scimattr.h"

static struct json_object *parse(const char *s)
{
	struct json_object *o = json_tokener_parse(s);

	cr_assert_not_null(o, "%s", s);
	return o;
}

Test(scimattr, names_compare_ignoring_case)
{
	struct json_object *o = parse("{\"Active\": false, \"USERNAME\": \"alice\", \"id\": \"x\", \"gone\": null}");

	cr_assert_not_null(scimattr_get(o, "active"));
	cr_assert_not(json_object_get_boolean(scimattr_get(o, "active")));
	cr_assert_str_eq(json_object_get_string(scimattr_get(o, "userName")), "alice");
	cr_assert_str_eq(json_object_get_string(scimattr_get(o, "ID")), "x");
	cr_assert_null(scimattr_get(o, "gone"), "null is absent");
	cr_assert_null(scimattr_get(o, "missing"));
	cr_assert_null(scimattr_get(NULL, "id"));
	json_object_put(o);
}

Test(scimattr, urns_compare_ignoring_case)
{
	struct json_object *o = parse("{\"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:POSIX:2.0:USER\": {\"UidNumber\": 7}}");
	struct json_object *ext = scimattr_get(o, "urn:ietf:params:scim:schemas:extension:posix:2.0:User");

	cr_assert_not_null(ext);
	cr_assert_eq(json_object_get_int(scimattr_get(ext, "uidNumber")), 7);
	json_object_put(o);
}

Test(scimattr, a_name_given_twice_in_two_spellings_is_found)
{
	struct json_object *o = parse("{\"active\": true, \"id\": \"a\", \"ACTIVE\": false}");

	cr_assert_not_null(scimattr_duplicate(o, false));
	cr_assert_eq(strcasecmp(scimattr_duplicate(o, false), "active"), 0);
	json_object_put(o);
	o = parse("{\"active\": true, \"userName\": \"a\"}");
	cr_assert_null(scimattr_duplicate(o, true));
	json_object_put(o);
}

Test(scimattr, nested_duplicates_found_only_when_asked)
{
	struct json_object *o = parse("{\"id\": \"a\", \"members\": [{\"value\": \"1\"}, {\"value\": \"2\", \"Value\": \"3\"}]}");

	cr_assert_null(scimattr_duplicate(o, false));
	cr_assert_str_eq(scimattr_duplicate(o, true), "Value");
	json_object_put(o);
	o = parse("{\"x\": {\"y\": {\"uidNumber\": 1, \"UIDNUMBER\": 2}}}");
	cr_assert_not_null(scimattr_duplicate(o, true));
	json_object_put(o);
}

Test(scimattr, many_keys_checked_by_sorting)
{
	char buf[8192];
	size_t n = 0;
	struct json_object *o;

	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{");
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\"key%03d\": %d,", i, i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\"zzz\": 1}");
	o = parse(buf);
	cr_assert_null(scimattr_duplicate(o, false));
	json_object_put(o);
	buf[n - 1] = '\0';
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ", \"KEY123\": 5}");
	o = parse(buf);
	cr_assert_not_null(scimattr_duplicate(o, false));
	cr_assert_eq(strcasecmp(scimattr_duplicate(o, false), "key123"), 0);
	json_object_put(o);
}

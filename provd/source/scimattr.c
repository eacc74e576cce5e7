/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "source/scimattr.h"

/* Objects of more keys than this are checked by sorting their names, not
 * pairwise (a hostile resource may have thousands). */
#define PAIRWISE_MAX 16

static unsigned char fold(char c)
{
	unsigned char x = (unsigned char)c;

	return x >= 'A' && x <= 'Z' ? (unsigned char)(x + ('a' - 'A')) : x;
}

/* ASCII case-insensitive order: attribute names are ASCII (RFC 7643
 * section 2.1 ATTRNAME), and this runs for every attribute of every
 * resource, so no locale tables. */
static int name_cmp(const char *a, const char *b)
{
	while (*a && fold(*a) == fold(*b)) {
		a++;
		b++;
	}
	return (int)fold(*a) - (int)fold(*b);
}

static bool same_name(const char *a, const char *b)
{
	return name_cmp(a, b) == 0;
}

struct json_object *scimattr_get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, key, &v)) {
		v = NULL;
		json_object_object_foreach(o, k, val)
		{
			if (same_name(k, key)) {
				v = val;
				break;
			}
		}
	}
	if (!v || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static int cmp_name(const void *a, const void *b)
{
	return name_cmp(*(const char *const *)a, *(const char *const *)b);
}

/* Duplicates among the names of o itself. */
static const char *dup_here(struct json_object *o)
{
	size_t n = (size_t)json_object_object_length(o), i = 0;
	const char *small[PAIRWISE_MAX], **names = small, *found = NULL;

	if (n < 2)
		return NULL;
	if (n > PAIRWISE_MAX) {
		names = malloc(n * sizeof(*names));
		if (!names)
			return NULL; /* no memory: the caller's next allocation fails too */
	}
	json_object_object_foreach(o, k, val)
	{
		(void)val;
		names[i++] = k;
	}
	if (n > PAIRWISE_MAX) {
		qsort(names, n, sizeof(*names), cmp_name);
		for (i = 1; i < n && !found; i++)
			if (same_name(names[i - 1], names[i]))
				found = names[i];
		free(names);
		return found;
	}
	for (i = 1; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (same_name(names[j], names[i]))
				return names[i];
	return NULL;
}

const char *scimattr_duplicate(struct json_object *o, bool nested)
{
	const char *d;

	if (json_object_is_type(o, json_type_array)) {
		size_t n = json_object_array_length(o);

		for (size_t i = 0; nested && i < n; i++) {
			d = scimattr_duplicate(json_object_array_get_idx(o, i), true);
			if (d)
				return d;
		}
		return NULL;
	}
	if (!json_object_is_type(o, json_type_object))
		return NULL;
	d = dup_here(o);
	if (d || !nested)
		return d;
	json_object_object_foreach(o, k, val)
	{
		(void)k;
		if (json_object_is_type(val, json_type_object) || json_object_is_type(val, json_type_array)) {
			d = scimattr_duplicate(val, true);
			if (d)
				return d;
		}
	}
	return NULL;
}

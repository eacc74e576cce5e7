/* SPDX-License-Identifier: MIT */
/* One typed field of a directory document's entry (docparse_impl.h):
 * present and well-formed, absent, or bad with a reason. */
#include "source/docparse_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

/* The field key of o, or NULL when it is absent or JSON null: an optional
 * field given as null means "not given". */
struct json_object *doc_field_get(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

/* A JSON string as a C string: one with "\u0000" inside cannot be one. */
static enum field str_value(struct json_object *v, const char *what, char **ret, char *why)
{
	const char *s;
	char *copy;
	int len;

	if (!json_object_is_type(v, json_type_string)) {
		snprintf(why, WHY_MAX, "%s must be a string, not %s", what, doc_type_name(v));
		return F_BAD;
	}
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (len < 0 || strlen(s) != (size_t)len) {
		snprintf(why, WHY_MAX, "%s contains a NUL byte", what);
		return F_BAD;
	}
	copy = strdup(s);
	if (!copy)
		return F_NOMEM;
	*ret = copy;
	return F_OK;
}

enum field doc_get_str(struct json_object *o, const char *key, char **ret, char *why)
{
	struct json_object *v = doc_field_get(o, key);
	char what[48];

	if (!v)
		return F_ABSENT;
	snprintf(what, sizeof(what), "\"%s\"", key);
	return str_value(v, what, ret, why);
}

enum field doc_get_u64(struct json_object *o, const char *key, uint64_t max, uint64_t *ret, char *why)
{
	struct json_object *v = doc_field_get(o, key);
	int64_t i;

	if (!v)
		return F_ABSENT;
	if (!json_object_is_type(v, json_type_int)) {
		snprintf(why, WHY_MAX, "\"%s\" must be an integer, not %s", key, doc_type_name(v));
		return F_BAD;
	}
	i = json_object_get_int64(v);
	if (i < 0) {
		snprintf(why, WHY_MAX, "\"%s\" is negative", key);
		return F_BAD;
	}
	/* Non-negative: json-c holds it as uint64 (saturated at UINT64_MAX). */
	if (json_object_get_uint64(v) > max) {
		snprintf(why, WHY_MAX, "\"%s\" is above %" PRIu64, key, max);
		return F_BAD;
	}
	*ret = json_object_get_uint64(v);
	return F_OK;
}

enum field doc_get_u32(struct json_object *o, const char *key, uint32_t *ret, char *why)
{
	uint64_t v;
	enum field f = doc_get_u64(o, key, UINT32_MAX, &v, why);

	if (f == F_OK)
		*ret = (uint32_t)v;
	return f;
}

enum field doc_get_bool(struct json_object *o, const char *key, bool *ret, char *why)
{
	struct json_object *v = doc_field_get(o, key);

	if (!v)
		return F_ABSENT;
	if (!json_object_is_type(v, json_type_boolean)) {
		snprintf(why, WHY_MAX, "\"%s\" must be true or false, not %s", key, doc_type_name(v));
		return F_BAD;
	}
	*ret = json_object_get_boolean(v);
	return F_OK;
}

enum field doc_get_strv(struct json_object *o, const char *key, struct dir_strv *ret, char *why)
{
	struct json_object *v = doc_field_get(o, key);
	size_t n;

	if (!v)
		return F_ABSENT;
	if (!json_object_is_type(v, json_type_array)) {
		snprintf(why, WHY_MAX, "\"%s\" must be an array of strings, not %s", key, doc_type_name(v));
		return F_BAD;
	}
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		enum field f;
		char what[64];
		char *s = NULL;

		if (!e) {
			snprintf(why, WHY_MAX, "\"%s\"[%zu] is null", key, i);
			return F_BAD;
		}
		snprintf(what, sizeof(what), "\"%s\"[%zu]", key, i);
		f = str_value(e, what, &s, why);
		if (f != F_OK)
			return f;
		if (dir_strv_push(ret, s) < 0) {
			free(s);
			return F_NOMEM;
		}
		free(s);
	}
	return F_OK;
}

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM), 'T' and
 * 'Z' in either case. Fractions are dropped (whole seconds are enough for
 * expiry). The time must be after 1970-01-01T00:00:00Z: 0 means "none" in
 * the model, and an expiry before 1970 is as good as "already expired".
 */
static bool parse_time(const char *s, int64_t *ret)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec, off = 0;
	struct tm tm = { 0 };
	const char *p;
	time_t t;

	if (strlen(s) < 20)
		return false;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return false;
	if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return false;
	if (d > mdays[mo - 1] + (mo == 2 && leap_year(y)))
		return false;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh = digits(p + 1, 2), om = oh < 0 ? -1 : digits(p + 4, 2);

		if (oh < 0 || oh > 23 || om < 0 || om > 59 || p[3] != ':')
			return false;
		off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return false;
	}
	if (*p)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	if ((int64_t)t - off <= 0)
		return false;
	*ret = (int64_t)t - off;
	return true;
}

enum field doc_get_time(struct json_object *o, const char *key, int64_t *ret, char *why)
{
	char *s = NULL;
	enum field f = doc_get_str(o, key, &s, why);
	bool ok;

	if (f != F_OK)
		return f;
	ok = parse_time(s, ret);
	free(s);
	if (!ok) {
		snprintf(why, WHY_MAX, "\"%s\" is not an RFC 3339 time after 1970 (YYYY-MM-DDTHH:MM:SSZ)", key);
		return F_BAD;
	}
	return F_OK;
}

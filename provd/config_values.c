/* SPDX-License-Identifier: MIT */
/* One provd.conf value, checked and stored by the kind of its key
 * (config_impl.h): numbers, durations, sizes, URLs, names, lists. */
#include "config_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Digits only (no sign, no space, no "0x": strtoull would accept those). */
static int parse_u64(const char *s, size_t n, unsigned long long *ret)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (ULLONG_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

/* "300", "5m", "1h", "7d", "250ms" to milliseconds; a plain number is in
 * plain_unit_ms. */
static int parse_duration_ms(const char *s, unsigned long long plain_unit_ms, unsigned long long *ret_ms)
{
	static const struct {
		const char *suffix;
		unsigned long long ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 } };
	unsigned long long v, mult = plain_unit_ms;
	size_t digits = strspn(s, "0123456789");
	const char *unit = s + digits;
	size_t i;
	int r;

	if (*unit) {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(unit, units[i].suffix) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		mult = units[i].ms;
	}
	r = parse_u64(s, digits, &v);
	if (r < 0)
		return r;
	if (v > ULLONG_MAX / mult)
		return -ERANGE;
	*ret_ms = v * mult;
	return 0;
}

static int check_url(const char *u, const char **why)
{
	if (strcmp(u, "demo:") == 0) /* the embedded demo, asked for explicitly (source.h) */
		return 0;
	if (strncmp(u, "file://", 7) == 0) {
		*why = validate_path(u + 7);
		return *why ? -EINVAL : 0;
	}
	if (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0) {
		const char *host = u + (u[4] == 's' ? 8 : 7);

		if (!*host || *host == '/') {
			*why = "no host";
			return -EINVAL;
		}
		return 0;
	}
	*why = "scheme must be file://, https:// or http:// (or demo: for the embedded demo)";
	return -EINVAL;
}

static const char *check_label(const char *l)
{
	const char *eq = strchr(l, '=');
	size_t i;

	if (!eq || eq == l)
		return "must be key=value";
	for (i = 0; l[i]; i++)
		if ((unsigned char)l[i] <= ' ' || (unsigned char)l[i] >= 0x7f)
			return "holds a control or non-ASCII character";
	if (strlen(l) > 255)
		return "longer than 255 bytes";
	return NULL;
}

static const char *check_hostname(const char *h)
{
	size_t i, n = strlen(h);

	if (n == 0 || n > 253)
		return "must be 1 to 253 characters";
	for (i = 0; i < n; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
		      (h[i] >= '0' && h[i] <= '9') || h[i] == '-' || h[i] == '.' || h[i] == '_'))
			return "may hold only letters, digits, '-', '.' and '_'";
	return NULL;
}

/* Splits a list value into sv, checking each item. URLs split on
 * whitespace only (a URL may hold a comma); other lists on whitespace and
 * commas. */
static int parse_list(struct parse *p, const struct key_def *k, char *v, struct dir_strv *sv)
{
	const char *seps = k->kind == K_URLS ? " \t" : " \t,";
	char *save = NULL, *item;
	const char *why;
	int r;

	if (!*v) { /* "key =" resets the list, e.g. to drop a default */
		dir_strv_free(sv);
		return 0;
	}
	for (item = strtok_r(v, seps, &save); item; item = strtok_r(NULL, seps, &save)) {
		why = NULL;
		if (k->kind == K_URLS)
			check_url(item, &why);
		else if (k->kind == K_LABELS)
			why = check_label(item);
		else if (k->kind == K_KEYS)
			why = docsig_check_spec(item);
		else
			why = validate_name(item);
		if (why) {
			char safe[128];

			sanitize_for_log(item, safe, sizeof(safe));
			return config_fail(p, "%s: invalid value '%s': %s", k->key, safe, why);
		}
		if (dir_strv_contains(sv, item))
			continue;
		r = dir_strv_push(sv, item);
		if (r < 0)
			return r;
	}
	return 0;
}

/* "65536", "512K", "64M", "1G" (also "64MiB"): binary multiples. */
static int parse_size(const char *s, unsigned long long *ret)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = { { "", 0 },      { "K", 10 },   { "M", 20 },   { "G", 30 },
		      { "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 } };
	size_t digits = strspn(s, "0123456789"), i;
	unsigned long long v;
	int r;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(s + digits, units[i].suffix) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return -EINVAL;
	r = parse_u64(s, digits, &v);
	if (r < 0)
		return r;
	if (v > (ULLONG_MAX >> units[i].shift))
		return -ERANGE;
	*ret = v << units[i].shift;
	return 0;
}

/* "200000-999999": two ids within the key's bounds, min <= max. */
static int parse_range(struct parse *p, const struct key_def *k, const char *v, struct prov_id_range *slot)
{
	const char *dash = strchr(v, '-');
	unsigned long long a, b;

	if (!dash || parse_u64(v, (size_t)(dash - v), &a) < 0 || parse_u64(dash + 1, strlen(dash + 1), &b) < 0)
		return config_fail(p, "%s: '%.64s' is not a range MIN-MAX (e.g. 200000-999999)", k->key, v);
	if (a < k->min || b > k->max || a > b)
		return config_fail(p, "%s: %s out of range (MIN <= MAX, both %llu..%llu)", k->key, v, k->min, k->max);
	slot->min = (uint32_t)a;
	slot->max = (uint32_t)b;
	return 0;
}

/* A schema URN, an attribute name, a key pin: one printable ASCII word. */
static const char *check_text(const char *v)
{
	size_t i;

	for (i = 0; v[i]; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f)
			return "holds a space, control or non-ASCII character";
	if (i > 1024)
		return "longer than 1024 bytes";
	return NULL;
}

static int parse_number(struct parse *p, const struct key_def *k, const char *v, void *slot)
{
	unsigned long long n, ms;
	int r;

	switch (k->kind) {
	case K_DUR_S:
		r = parse_duration_ms(v, 1000, &ms);
		if (r == 0 && ms % 1000)
			return config_fail(p, "%s: '%s' is not a whole number of seconds", k->key, v);
		n = ms / 1000;
		break;
	case K_DUR_MS:
		r = parse_duration_ms(v, 1, &n);
		break;
	case K_PCT: {
		size_t len = strlen(v);

		r = parse_u64(v, len && v[len - 1] == '%' ? len - 1 : len, &n);
		break;
	}
	case K_SIZE:
		r = parse_size(v, &n);
		break;
	default:
		r = parse_u64(v, strlen(v), &n);
		break;
	}
	if (r < 0)
		return config_fail(p, "%s: '%s' is not a %s", k->key, v,
			    k->kind == K_DUR_S || k->kind == K_DUR_MS ? "duration (e.g. 300, 5m, 1h, 7d)"
			    : k->kind == K_PCT			      ? "percentage (e.g. 10%)"
			    : k->kind == K_SIZE			      ? "size (e.g. 65536, 512K, 64M, 1G)"
								      : "non-negative decimal number");
	if (n < k->min || n > k->max)
		return config_fail(p, "%s: %s out of range (%llu..%llu%s)", k->key, v, k->min, k->max,
			    k->kind == K_DUR_S ? " seconds" : k->kind == K_DUR_MS ? " ms" : "");
	if (k->kind == K_ID)
		*(uint32_t *)slot = (uint32_t)n;
	else
		*(unsigned *)slot = (unsigned)n;
	return 0;
}

static int parse_bool(struct parse *p, const struct key_def *k, const char *v, bool *slot)
{
	static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*slot = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*slot = false;
			return 0;
		}
	}
	return config_fail(p, "%s: '%.32s' is not yes or no", k->key, v);
}

/* Octal digits ("0700" or "700"); a home that group or others could write
 * (or a set-id/sticky bit) is refused: someone else could plant files. */
static int parse_mode(struct parse *p, const struct key_def *k, const char *v, unsigned *slot)
{
	unsigned long m = 0;
	size_t i, n = strlen(v);

	if (n == 0 || n > 4 || strspn(v, "01234567") != n)
		return config_fail(p, "%s: '%.32s' is not an octal mode (e.g. 0700)", k->key, v);
	for (i = 0; i < n; i++)
		m = m * 8 + (unsigned long)(v[i] - '0');
	if (m & ~(unsigned long)k->max)
		return config_fail(p, "%s: %s allows more than %04llo (no write for group or others, no special bits)",
			    k->key, v, k->max);
	if (!(m & 0700))
		return config_fail(p, "%s: %s gives the owner no access", k->key, v);
	*slot = (unsigned)m;
	return 0;
}

int config_apply(struct parse *p, struct prov_config *c, const struct key_def *k, char *v)
{
	void *slot = (char *)c + k->offset;
	const char *why = NULL;

	if (!*v && k->kind == K_HOSTNAME)
		return config_set_hostname(slot); /* "name =": the kernel's, as by default */
	/* Keys whose default is "none": "key =" says so. */
	if (!*v && (k->offset == F(ca_file) || k->offset == F(pinned_pubkey) || k->offset == F(audience))) {
		free(*(char **)slot);
		*(char **)slot = NULL;
		return 0;
	}
	if (!*v && k->kind != K_URLS && k->kind != K_LABELS && k->kind != K_NAMES && k->kind != K_KEYS)
		return config_fail(p, "%s: empty value", k->key);

	switch (k->kind) {
	case K_SOURCE:
		if (strcmp(v, "document") == 0)
			*(enum source_type *)slot = SOURCE_DOCUMENT;
		else if (strcmp(v, "scim") == 0)
			*(enum source_type *)slot = SOURCE_SCIM;
		else
			return config_fail(p, "type: '%s' is not 'document' or 'scim'", v);
		return 0;
	case K_KEYOPTS:
		if (strcmp(v, "none") != 0 && strcmp(v, "restrict") != 0)
			return config_fail(p, "key_options: '%.32s' is not 'none' or 'restrict'", v);
		*(bool *)slot = strcmp(v, "restrict") == 0;
		return 0;
	case K_URLS:
	case K_LABELS:
	case K_NAMES:
	case K_KEYS:
		return parse_list(p, k, v, slot);
	case K_PATH:
		why = validate_path(v);
		break;
	case K_HOSTNAME:
		why = check_hostname(v);
		break;
	case K_NAME:
		why = validate_name(v);
		break;
	case K_DUR_S:
	case K_DUR_MS:
	case K_ID:
	case K_UINT:
	case K_PCT:
	case K_SIZE:
		return parse_number(p, k, v, slot);
	case K_BOOL:
		return parse_bool(p, k, v, slot);
	case K_MODE:
		return parse_mode(p, k, v, slot);
	case K_RANGE:
		return parse_range(p, k, v, slot);
	case K_TEXT:
		why = check_text(v);
		break;
	}
	if (why) {
		char safe[128];

		sanitize_for_log(v, safe, sizeof(safe));
		return config_fail(p, "%s: invalid value '%s': %s", k->key, safe, why);
	}
	return config_set_str(slot, v);
}

/* SPDX-License-Identifier: MIT */
/*
 * provd.conf parser. Strict on purpose: this file decides who may log in,
 * so a misspelt key or a value out of range is an error naming the file
 * and line, never silently ignored.
 *
 * Syntax: "[section]" lines, "key = value" lines, blank lines, and whole-line
 * comments starting with '#' or ';' (no trailing comments: a value may hold
 * '#'). Whitespace around keys and values is trimmed. A list key may be
 * given on several lines (they append); an empty value resets the list. A
 * scalar key may be given once per file.
 */
#include "config.h"

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

#include "prov/protocol.h"
#include "base/docsig_key.h"
#include "urlredact.h"
#include "validate.h"

#define CONFIG_LINE_MAX 4096
#define CONFIG_FILE_MAX (1u << 20)

enum key_kind {
	K_SOURCE,   /* document | scim */
	K_URLS,     /* list of file:// http:// https:// URLs */
	K_PATH,     /* one absolute, normalised path */
	K_DUR_S,    /* duration, plain number = seconds, stored in seconds */
	K_DUR_MS,   /* duration, plain number = milliseconds, stored in ms */
	K_HOSTNAME, /* a host name */
	K_LABELS,   /* list of key=value */
	K_NAMES,    /* list of group names */
	K_NAME,     /* one group name */
	K_ID,       /* uint32 uid/gid */
	K_UINT,     /* unsigned count */
	K_BOOL,     /* yes | no (also true/false, on/off, 1/0) */
	K_MODE,     /* octal permission bits, at most 0755 */
	K_PCT,      /* a share: "10%" or "10", stored as a percentage */
	K_SIZE,     /* bytes, with an optional K, M or G suffix (binary: 1K = 1024) */
	K_RANGE,    /* "min-max" of uint32 ids, into a struct prov_id_range */
	K_TEXT,     /* one word of printable ASCII (a schema URN, an attribute name) */
	K_KEYS,     /* list of ed25519:<base64> public keys or key file paths (docsig.h) */
	K_KEYOPTS,  /* none | restrict, into a bool (restrict = true) */
};

struct key_def {
	const char *section;
	const char *key;
	enum key_kind kind;
	size_t offset;
	unsigned long long min, max; /* numbers and durations (in the stored unit) */
};

#define F(field) offsetof(struct prov_config, field)
#define DAY_S (24ull * 3600)

/* Every key provd.conf knows. The README and packaging/provd.conf list the
 * same keys with their defaults; keep the three in step. */
static const struct key_def keys[] = {
	{ "directory", "type", K_SOURCE, F(source_type), 0, 0 },
	{ "directory", "url", K_URLS, F(urls), 0, 0 },
	{ "directory", "token_file", K_PATH, F(token_file), 0, 0 },
	{ "directory", "refresh_interval", K_DUR_S, F(refresh_interval_s), 10, 30 * DAY_S },
	{ "directory", "offline_grace", K_DUR_S, F(offline_grace_s), 60, 3650 * DAY_S },
	{ "directory", "ca_file", K_PATH, F(ca_file), 0, 0 },
	{ "directory", "pinned_pubkey", K_TEXT, F(pinned_pubkey), 0, 0 },
	{ "directory", "connect_timeout", K_DUR_MS, F(connect_timeout_ms), 100, 600000 },
	{ "directory", "timeout", K_DUR_MS, F(timeout_ms), 1000, 3600000 },
	{ "directory", "max_bytes", K_SIZE, F(max_bytes), 4096, 1u << 30 },
	{ "directory", "refresh_jitter", K_PCT, F(refresh_jitter_pct), 0, 50 },
	{ "directory", "retry_base", K_DUR_MS, F(retry_base_ms), 100, 3600000 },
	{ "directory", "retry_max", K_DUR_MS, F(retry_max_ms), 1000, 24 * 3600000u },
	{ "directory", "max_deprovision_share", K_PCT, F(max_deprovision_pct), 0, 100 },
	{ "directory", "deprovision_floor", K_UINT, F(deprovision_floor), 0, 1000000 },
	{ "directory", "trusted_keys", K_KEYS, F(trusted_keys), 0, 0 },
	{ "directory", "audience", K_TEXT, F(audience), 0, 0 },
	{ "scim", "user_schema", K_TEXT, F(scim_user_schema), 0, 0 },
	{ "scim", "group_schema", K_TEXT, F(scim_group_schema), 0, 0 },
	{ "scim", "attr_uid", K_TEXT, F(scim_attr_uid), 0, 0 },
	{ "scim", "attr_gid", K_TEXT, F(scim_attr_gid), 0, 0 },
	{ "scim", "attr_shell", K_TEXT, F(scim_attr_shell), 0, 0 },
	{ "scim", "attr_home", K_TEXT, F(scim_attr_home), 0, 0 },
	{ "scim", "attr_gecos", K_TEXT, F(scim_attr_gecos), 0, 0 },
	{ "scim", "attr_keys", K_TEXT, F(scim_attr_keys), 0, 0 },
	{ "scim", "strip_domain", K_BOOL, F(scim_strip_domain), 0, 0 },
	{ "scim", "id_range", K_RANGE, F(scim_id_range), 1, INT32_MAX },
	{ "scim", "page_size", K_UINT, F(scim_page_size), 1, 100000 },
	{ "host", "name", K_HOSTNAME, F(host_name), 0, 0 },
	{ "host", "labels", K_LABELS, F(host_labels), 0, 0 },
	{ "host", "login_groups", K_NAMES, F(login_groups), 0, 0 },
	{ "host", "sudo_groups", K_NAMES, F(sudo_groups), 0, 0 },
	{ "accounts", "min_id", K_ID, F(min_id), 1, INT32_MAX },
	{ "accounts", "max_id", K_ID, F(max_id), 1, INT32_MAX },
	{ "accounts", "home_base", K_PATH, F(home_base), 0, 0 },
	{ "accounts", "default_shell", K_PATH, F(default_shell), 0, 0 },
	{ "accounts", "shells_file", K_PATH, F(shells_file), 0, 0 },
	{ "accounts", "passwd_file", K_PATH, F(passwd_file), 0, 0 },
	{ "accounts", "group_file", K_PATH, F(group_file), 0, 0 },
	{ "accounts", "sudo_group", K_NAME, F(sudo_group), 0, 0 },
	{ "accounts", "sudo_gid", K_ID, F(sudo_gid), 1, INT32_MAX },
	{ "accounts", "id_quarantine", K_DUR_S, F(id_quarantine_s), 0, 3650 * DAY_S },
	{ "login", "skel_dir", K_PATH, F(skel_dir), 0, 0 },
	{ "login", "home_mode", K_MODE, F(home_mode), 0, 0755 },
	{ "login", "keys_user", K_NAME, F(keys_user), 0, 0 },
	{ "login", "end_sessions", K_BOOL, F(end_sessions), 0, 0 },
	{ "login", "deprovisioned_retention", K_DUR_S, F(deprovisioned_retention_s), 0, 3650 * DAY_S },
	{ "login", "nologin_shell", K_PATH, F(nologin_shell), 0, 0 },
	{ "login", "key_options", K_KEYOPTS, F(key_options_restrict), 0, 0 },
	{ "paths", "state_dir", K_PATH, F(state_dir), 0, 0 },
	{ "paths", "runtime_dir", K_PATH, F(runtime_dir), 0, 0 },
	{ "server", "client_timeout", K_DUR_MS, F(client_timeout_ms), 100, 600000 },
	{ "server", "max_clients", K_UINT, F(max_clients), 1, 65536 },
	{ "server", "max_clients_per_uid", K_UINT, F(max_clients_per_uid), 1, 65536 },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const sections[] = { "directory", "scim", "host", "accounts", "login", "paths", "server" };

/* Parser state for one file. */
struct parse {
	const char *path;
	unsigned line;
	const char *section; /* NULL before the first [section] */
	char *err;
	size_t errsz;
	unsigned char seen[N_KEYS];
};

static int __attribute__((format(printf, 2, 3))) fail(struct parse *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	url_redact_inplace(msg, sizeof(msg)); /* a bad url = line may hold a credential */
	if (p->line)
		snprintf(p->err, p->errsz, "%s:%u: %s", p->path, p->line, msg);
	else
		snprintf(p->err, p->errsz, "%s: %s", p->path, msg);
	return -EINVAL;
}

static int set_str(char **slot, const char *v)
{
	char *c = strdup(v);

	if (!c)
		return -ENOMEM;
	free(*slot);
	*slot = c;
	return 0;
}

static int set_hostname(char **slot)
{
	char host[HOST_NAME_MAX + 1] = "";

	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
		strcpy(host, "localhost");
	return set_str(slot, host);
}

int config_defaults(struct prov_config *cfg)
{
	struct prov_config c = { 0 };

	c.source_type = SOURCE_DOCUMENT;
	c.refresh_interval_s = 300;
	c.offline_grace_s = 7 * 24 * 3600;
	c.min_id = 1000;
	c.max_id = INT32_MAX;
	c.client_timeout_ms = 5000;
	c.max_clients = 1024;
	c.max_clients_per_uid = 64;
	c.sudo_gid = 29999;
	c.home_mode = 0700;
	c.end_sessions = true;
	c.deprovisioned_retention_s = 30 * 24 * 3600;
	c.id_quarantine_s = 365 * 24 * 3600;
	c.connect_timeout_ms = 10000;
	c.timeout_ms = 60000;
	c.max_bytes = 64u << 20;
	c.refresh_jitter_pct = 10;
	c.retry_base_ms = 1000;
	c.retry_max_ms = 600000;
	c.max_deprovision_pct = 10;
	c.deprovision_floor = 3;
	c.scim_id_range.min = 200000;
	c.scim_id_range.max = 999999;
	c.scim_page_size = 1000;
	if (set_str(&c.token_file, "/etc/prov/token") < 0 || set_hostname(&c.host_name) < 0 ||
	    set_str(&c.home_base, "/home") < 0 || set_str(&c.default_shell, "/bin/bash") < 0 ||
	    set_str(&c.shells_file, "/etc/shells") < 0 || set_str(&c.passwd_file, "/etc/passwd") < 0 ||
	    set_str(&c.group_file, "/etc/group") < 0 || set_str(&c.sudo_group, "prov-sudo") < 0 ||
	    set_str(&c.state_dir, "/var/lib/prov") < 0 || set_str(&c.runtime_dir, PROV_RUNTIME_DIR) < 0 ||
	    set_str(&c.skel_dir, "/etc/skel") < 0 || set_str(&c.keys_user, "_prov-keys") < 0 ||
	    set_str(&c.nologin_shell, "/usr/sbin/nologin") < 0 ||
	    set_str(&c.scim_user_schema, "urn:ietf:params:scim:schemas:extension:posix:2.0:User") < 0 ||
	    set_str(&c.scim_group_schema, "urn:ietf:params:scim:schemas:extension:posix:2.0:Group") < 0 ||
	    set_str(&c.scim_attr_uid, "uidNumber") < 0 || set_str(&c.scim_attr_gid, "gidNumber") < 0 ||
	    set_str(&c.scim_attr_shell, "loginShell") < 0 || set_str(&c.scim_attr_home, "homeDirectory") < 0 ||
	    set_str(&c.scim_attr_gecos, "gecos") < 0 || set_str(&c.scim_attr_keys, "sshPublicKey") < 0) {
		config_free(&c);
		return -ENOMEM;
	}
	*cfg = c;
	return 0;
}

void config_free(struct prov_config *cfg)
{
	if (!cfg)
		return;
	dir_strv_free(&cfg->urls);
	free(cfg->token_file);
	free(cfg->host_name);
	dir_strv_free(&cfg->host_labels);
	dir_strv_free(&cfg->login_groups);
	dir_strv_free(&cfg->sudo_groups);
	free(cfg->home_base);
	free(cfg->default_shell);
	free(cfg->shells_file);
	free(cfg->passwd_file);
	free(cfg->group_file);
	free(cfg->sudo_group);
	free(cfg->skel_dir);
	free(cfg->keys_user);
	free(cfg->nologin_shell);
	free(cfg->ca_file);
	free(cfg->pinned_pubkey);
	dir_strv_free(&cfg->trusted_keys);
	free(cfg->audience);
	free(cfg->scim_user_schema);
	free(cfg->scim_group_schema);
	free(cfg->scim_attr_uid);
	free(cfg->scim_attr_gid);
	free(cfg->scim_attr_shell);
	free(cfg->scim_attr_home);
	free(cfg->scim_attr_gecos);
	free(cfg->scim_attr_keys);
	free(cfg->state_dir);
	free(cfg->runtime_dir);
	memset(cfg, 0, sizeof(*cfg));
}

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
			return fail(p, "%s: invalid value '%s': %s", k->key, safe, why);
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
		return fail(p, "%s: '%.64s' is not a range MIN-MAX (e.g. 200000-999999)", k->key, v);
	if (a < k->min || b > k->max || a > b)
		return fail(p, "%s: %s out of range (MIN <= MAX, both %llu..%llu)", k->key, v, k->min, k->max);
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
			return fail(p, "%s: '%s' is not a whole number of seconds", k->key, v);
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
		return fail(p, "%s: '%s' is not a %s", k->key, v,
			    k->kind == K_DUR_S || k->kind == K_DUR_MS ? "duration (e.g. 300, 5m, 1h, 7d)"
			    : k->kind == K_PCT			      ? "percentage (e.g. 10%)"
			    : k->kind == K_SIZE			      ? "size (e.g. 65536, 512K, 64M, 1G)"
								      : "non-negative decimal number");
	if (n < k->min || n > k->max)
		return fail(p, "%s: %s out of range (%llu..%llu%s)", k->key, v, k->min, k->max,
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
	return fail(p, "%s: '%.32s' is not yes or no", k->key, v);
}

/* Octal digits ("0700" or "700"); a home that group or others could write
 * (or a set-id/sticky bit) is refused: someone else could plant files. */
static int parse_mode(struct parse *p, const struct key_def *k, const char *v, unsigned *slot)
{
	unsigned long m = 0;
	size_t i, n = strlen(v);

	if (n == 0 || n > 4 || strspn(v, "01234567") != n)
		return fail(p, "%s: '%.32s' is not an octal mode (e.g. 0700)", k->key, v);
	for (i = 0; i < n; i++)
		m = m * 8 + (unsigned long)(v[i] - '0');
	if (m & ~(unsigned long)k->max)
		return fail(p, "%s: %s allows more than %04llo (no write for group or others, no special bits)",
			    k->key, v, k->max);
	if (!(m & 0700))
		return fail(p, "%s: %s gives the owner no access", k->key, v);
	*slot = (unsigned)m;
	return 0;
}

static int apply(struct parse *p, struct prov_config *c, const struct key_def *k, char *v)
{
	void *slot = (char *)c + k->offset;
	const char *why = NULL;

	if (!*v && k->kind == K_HOSTNAME)
		return set_hostname(slot); /* "name =": the kernel's, as by default */
	/* Keys whose default is "none": "key =" says so. */
	if (!*v && (k->offset == F(ca_file) || k->offset == F(pinned_pubkey) || k->offset == F(audience))) {
		free(*(char **)slot);
		*(char **)slot = NULL;
		return 0;
	}
	if (!*v && k->kind != K_URLS && k->kind != K_LABELS && k->kind != K_NAMES && k->kind != K_KEYS)
		return fail(p, "%s: empty value", k->key);

	switch (k->kind) {
	case K_SOURCE:
		if (strcmp(v, "document") == 0)
			*(enum source_type *)slot = SOURCE_DOCUMENT;
		else if (strcmp(v, "scim") == 0)
			*(enum source_type *)slot = SOURCE_SCIM;
		else
			return fail(p, "type: '%s' is not 'document' or 'scim'", v);
		return 0;
	case K_KEYOPTS:
		if (strcmp(v, "none") != 0 && strcmp(v, "restrict") != 0)
			return fail(p, "key_options: '%.32s' is not 'none' or 'restrict'", v);
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
		return parse_number(p, k, v, slot);
	case K_BOOL:
		return parse_bool(p, k, v, slot);
	case K_MODE:
		return parse_mode(p, k, v, slot);
	case K_PCT:
	case K_SIZE:
		return parse_number(p, k, v, slot);
	case K_RANGE:
		return parse_range(p, k, v, slot);
	case K_TEXT:
		why = check_text(v);
		break;
	}
	if (why) {
		char safe[128];

		sanitize_for_log(v, safe, sizeof(safe));
		return fail(p, "%s: invalid value '%s': %s", k->key, safe, why);
	}
	return set_str(slot, v);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

static int parse_section(struct parse *p, char *s)
{
	size_t i, n = strlen(s);

	if (s[n - 1] != ']')
		return fail(p, "section header without closing ']'");
	s[n - 1] = '\0';
	s = trim(s + 1);
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (strcmp(s, sections[i]) == 0) {
			p->section = sections[i];
			return 0;
		}
	}
	{
		char safe[64];

		sanitize_for_log(s, safe, sizeof(safe));
		return fail(p, "unknown section [%s]", safe);
	}
}

static int parse_line(struct parse *p, struct prov_config *c, char *line)
{
	char *s = trim(line), *eq, *key, *val;
	size_t i;

	if (!*s || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return parse_section(p, s);
	eq = strchr(s, '=');
	if (!eq)
		return fail(p, "expected 'key = value' or '[section]'");
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (!p->section)
		return fail(p, "key '%.64s' outside of any [section]", key);
	for (i = 0; i < N_KEYS; i++) {
		if (strcmp(keys[i].section, p->section) || strcmp(keys[i].key, key))
			continue;
		if (p->seen[i] && keys[i].kind != K_URLS && keys[i].kind != K_LABELS && keys[i].kind != K_NAMES &&
		    keys[i].kind != K_KEYS)
			return fail(p, "%s: given twice in [%s]", key, p->section);
		p->seen[i] = 1;
		return apply(p, c, &keys[i], val);
	}
	{
		char safe[64];

		sanitize_for_log(key, safe, sizeof(safe));
		return fail(p, "unknown key '%s' in section [%s]", safe, p->section);
	}
}

/* Rules that span keys, checked once the whole file is read. */
static int check_whole(struct parse *p, const struct prov_config *c)
{
	size_t i, rlen = strlen(c->runtime_dir);

	p->line = 0;
	if (c->min_id > c->max_id)
		return fail(p, "min_id %u is above max_id %u", c->min_id, c->max_id);
	if (strcmp(c->home_base, "/") == 0)
		return fail(p, "home_base must not be /");
	if (c->sudo_gid == 65534)
		return fail(p, "sudo_gid must not be 65534 (nogroup)");
	/* <runtime_dir>/private/socket must fit in sockaddr_un.sun_path. */
	if (rlen + sizeof("/private/socket") > sizeof(((struct sockaddr_un *)0)->sun_path))
		return fail(p, "runtime_dir '%s' is too long for a socket path", c->runtime_dir);
	for (i = 0; i < c->urls.n; i++) {
		if (c->source_type == SOURCE_SCIM && (strncmp(c->urls.v[i], "file://", 7) == 0 ||
						      strcmp(c->urls.v[i], "demo:") == 0))
			return fail(p, "url %s: a scim source needs an http:// or https:// URL", c->urls.v[i]);
		if (strcmp(c->urls.v[i], "demo:") == 0 && c->urls.n > 1)
			return fail(p, "url demo: (the embedded demo) cannot be combined with other URLs");
	}
	if (c->source_type == SOURCE_SCIM && c->urls.n == 0)
		return fail(p, "type = scim needs a url");
	if (c->retry_base_ms > c->retry_max_ms)
		return fail(p, "retry_base %ums is above retry_max %ums", c->retry_base_ms, c->retry_max_ms);
	/* Derived ids outside min_id..max_id would all be refused by admission. */
	if (c->source_type == SOURCE_SCIM &&
	    (c->scim_id_range.min < c->min_id || c->scim_id_range.max > c->max_id))
		return fail(p, "id_range %u-%u must lie inside min_id..max_id (%u..%u)", c->scim_id_range.min,
			    c->scim_id_range.max, c->min_id, c->max_id);
	if (c->pinned_pubkey && strncmp(c->pinned_pubkey, "sha256//", 8) != 0 && validate_path(c->pinned_pubkey))
		return fail(p, "pinned_pubkey must be sha256//<base64> hashes or the absolute path of a key file");
	/* A key may sign for several fleets: the audience keeps one fleet's
	 * document off another's hosts. */
	if (c->trusted_keys.n && !c->audience)
		return fail(p, "trusted_keys needs an audience (the fleet name the documents are signed for)");
	if (c->trusted_keys.n && c->source_type == SOURCE_SCIM)
		return fail(p, "trusted_keys applies to type = document; a scim source is not signed");
	return 0;
}

/* A security configuration that someone else can write is not ours to
 * trust: it must be owned by root (or by the user provd runs as, which is
 * root in production) and not writable by group or others. */
static int check_file(struct parse *p, int fd)
{
	struct stat st;
	int r;

	if (fstat(fd, &st) < 0) {
		r = -errno;
		fail(p, "%s", strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode))
		return fail(p, "not a regular file");
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		fail(p, "owned by uid %u, not root", (unsigned)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		fail(p, "writable by group or others (mode %04o)", (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		fail(p, "larger than %u bytes", CONFIG_FILE_MAX);
		return -EFBIG;
	}
	return 0;
}

static int parse_stream(struct parse *p, FILE *f, struct prov_config *c)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;

	while ((n = getline(&line, &cap, f)) >= 0) {
		p->line++;
		if ((size_t)n > CONFIG_LINE_MAX) {
			r = fail(p, "line longer than %u bytes", CONFIG_LINE_MAX);
			break;
		}
		if (strlen(line) != (size_t)n) {
			r = fail(p, "NUL byte in line");
			break;
		}
		r = parse_line(p, c, line);
		if (r < 0)
			break;
	}
	if (r == 0 && ferror(f))
		r = fail(p, "read error");
	free(line);
	return r;
}

int config_load(const char *path, struct prov_config *ret_cfg, char *err, size_t errsz)
{
	struct parse p = { .path = path, .err = err, .errsz = errsz };
	struct prov_config c;
	FILE *f;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errsz, "%s: %s", path, strerror(-r));
		return r;
	}
	r = check_file(&p, fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	f = fdopen(fd, "r");
	if (!f) {
		r = -errno;
		close(fd);
		return r;
	}
	r = config_defaults(&c);
	if (r < 0) {
		fclose(f);
		return r;
	}
	r = parse_stream(&p, f, &c);
	fclose(f);
	if (r == 0)
		r = check_whole(&p, &c);
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(err, errsz, "%s: out of memory", path);
		config_free(&c);
		return r;
	}
	*ret_cfg = c;
	return 0;
}

static int dup_str(char **slot)
{
	if (!*slot)
		return 0;
	*slot = strdup(*slot);
	return *slot ? 0 : -ENOMEM;
}

static int dup_strv(struct dir_strv *slot)
{
	struct dir_strv src = *slot, copy = { 0 };
	size_t i;

	*slot = (struct dir_strv){ 0 };
	for (i = 0; i < src.n; i++)
		if (dir_strv_push(&copy, src.v[i]) < 0) {
			dir_strv_free(&copy);
			return -ENOMEM;
		}
	*slot = copy;
	return 0;
}

/* Driven by the keys table, so a key added there is copied too: every
 * pointer in the struct belongs to exactly one key. */
int config_dup(const struct prov_config *src, struct prov_config *ret)
{
	struct prov_config c = *src;
	size_t i;
	int r = 0;

	/* Clear every pointer first, so a failure half-way frees only copies. */
	for (i = 0; i < N_KEYS; i++) {
		void *slot = (char *)&c + keys[i].offset;

		if (keys[i].kind == K_URLS || keys[i].kind == K_LABELS || keys[i].kind == K_NAMES || keys[i].kind == K_KEYS)
			*(struct dir_strv *)slot = (struct dir_strv){ 0 };
		else if (keys[i].kind == K_PATH || keys[i].kind == K_HOSTNAME || keys[i].kind == K_NAME ||
			 keys[i].kind == K_TEXT)
			*(char **)slot = NULL;
	}
	for (i = 0; i < N_KEYS && r == 0; i++) {
		void *slot = (char *)&c + keys[i].offset;
		const void *from = (const char *)src + keys[i].offset;

		if (keys[i].kind == K_URLS || keys[i].kind == K_LABELS || keys[i].kind == K_NAMES || keys[i].kind == K_KEYS) {
			*(struct dir_strv *)slot = *(const struct dir_strv *)from;
			r = dup_strv(slot);
		} else if (keys[i].kind == K_PATH || keys[i].kind == K_HOSTNAME || keys[i].kind == K_NAME ||
			   keys[i].kind == K_TEXT) {
			*(char **)slot = *(char *const *)from;
			r = dup_str(slot);
			if (r < 0)
				*(char **)slot = NULL;
		}
	}
	if (r < 0) {
		config_free(&c);
		return r;
	}
	*ret = c;
	return 0;
}

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
#include "config_impl.h"

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

int config_fail(struct parse *p, const char *fmt, ...)
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
		return config_fail(p, "section header without closing ']'");
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
		return config_fail(p, "unknown section [%s]", safe);
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
		return config_fail(p, "expected 'key = value' or '[section]'");
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (!p->section)
		return config_fail(p, "key '%.64s' outside of any [section]", key);
	for (i = 0; i < N_KEYS; i++) {
		if (strcmp(keys[i].section, p->section) || strcmp(keys[i].key, key))
			continue;
		if (p->seen[i] && keys[i].kind != K_URLS && keys[i].kind != K_LABELS && keys[i].kind != K_NAMES &&
		    keys[i].kind != K_KEYS)
			return config_fail(p, "%s: given twice in [%s]", key, p->section);
		p->seen[i] = 1;
		return config_apply(p, c, &keys[i], val);
	}
	{
		char safe[64];

		sanitize_for_log(key, safe, sizeof(safe));
		return config_fail(p, "unknown key '%s' in section [%s]", safe, p->section);
	}
}

/* Rules that span keys, checked once the whole file is read. */
static int check_whole(struct parse *p, const struct prov_config *c)
{
	size_t i, rlen = strlen(c->runtime_dir);

	p->line = 0;
	if (c->min_id > c->max_id)
		return config_fail(p, "min_id %u is above max_id %u", c->min_id, c->max_id);
	if (strcmp(c->home_base, "/") == 0)
		return config_fail(p, "home_base must not be /");
	if (c->sudo_gid == 65534)
		return config_fail(p, "sudo_gid must not be 65534 (nogroup)");
	/* <runtime_dir>/private/socket must fit in sockaddr_un.sun_path. */
	if (rlen + sizeof("/private/socket") > sizeof(((struct sockaddr_un *)0)->sun_path))
		return config_fail(p, "runtime_dir '%s' is too long for a socket path", c->runtime_dir);
	for (i = 0; i < c->urls.n; i++) {
		if (c->source_type == SOURCE_SCIM && (strncmp(c->urls.v[i], "file://", 7) == 0 ||
						      strcmp(c->urls.v[i], "demo:") == 0))
			return config_fail(p, "url %s: a scim source needs an http:// or https:// URL", c->urls.v[i]);
		if (strcmp(c->urls.v[i], "demo:") == 0 && c->urls.n > 1)
			return config_fail(p, "url demo: (the embedded demo) cannot be combined with other URLs");
	}
	if (c->source_type == SOURCE_SCIM && c->urls.n == 0)
		return config_fail(p, "type = scim needs a url");
	if (c->retry_base_ms > c->retry_max_ms)
		return config_fail(p, "retry_base %ums is above retry_max %ums", c->retry_base_ms, c->retry_max_ms);
	/* Derived ids outside min_id..max_id would all be refused by admission. */
	if (c->source_type == SOURCE_SCIM &&
	    (c->scim_id_range.min < c->min_id || c->scim_id_range.max > c->max_id))
		return config_fail(p, "id_range %u-%u must lie inside min_id..max_id (%u..%u)", c->scim_id_range.min,
			    c->scim_id_range.max, c->min_id, c->max_id);
	if (c->pinned_pubkey && strncmp(c->pinned_pubkey, "sha256//", 8) != 0 && validate_path(c->pinned_pubkey))
		return config_fail(p, "pinned_pubkey must be sha256//<base64> hashes or the absolute path of a key file");
	/* A key may sign for several fleets: the audience keeps one fleet's
	 * document off another's hosts. */
	if (c->trusted_keys.n && !c->audience)
		return config_fail(p, "trusted_keys needs an audience (the fleet name the documents are signed for)");
	if (c->trusted_keys.n && c->source_type == SOURCE_SCIM)
		return config_fail(p, "trusted_keys applies to type = document; a scim source is not signed");
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
		config_fail(p, "%s", strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode))
		return config_fail(p, "not a regular file");
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		config_fail(p, "owned by uid %u, not root", (unsigned)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		config_fail(p, "writable by group or others (mode %04o)", (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		config_fail(p, "larger than %u bytes", CONFIG_FILE_MAX);
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
			r = config_fail(p, "line longer than %u bytes", CONFIG_LINE_MAX);
			break;
		}
		if (strlen(line) != (size_t)n) {
			r = config_fail(p, "NUL byte in line");
			break;
		}
		r = parse_line(p, c, line);
		if (r < 0)
			break;
	}
	if (r == 0 && ferror(f))
		r = config_fail(p, "read error");
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

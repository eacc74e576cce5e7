/* SPDX-License-Identifier: MIT */
/* provd.conf parsing: every key, durations, bad values, strictness. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define PACKAGED_CONF FIXTURES_DIR "/../../packaging/provd.conf"

static char tmpdir[64];
static char path[128];
static char err[512];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/prov-test-config-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/provd.conf", tmpdir);
	err[0] = '\0';
}

static void teardown(void)
{
	unlink(path);
	rmdir(tmpdir);
}

TestSuite(config, .init = setup, .fini = teardown);

static void write_conf_mode(const char *text, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void write_conf(const char *text)
{
	write_conf_mode(text, strlen(text), 0644);
}

/* Loads text; returns the result, cfg freed unless keep. */
static int load(const char *text, struct prov_config *cfg)
{
	write_conf(text);
	return config_load(path, cfg, err, sizeof(err));
}

static void expect_error(const char *text, const char *needle)
{
	struct prov_config cfg;
	int r = load(text, &cfg);

	cr_assert_eq(r, -EINVAL, "expected -EINVAL for:\n%s\ngot %d (%s)", text, r, err);
	cr_assert_not_null(strstr(err, needle), "error '%s' does not contain '%s'", err, needle);
	cr_assert_not_null(strstr(err, path), "error '%s' does not name the file", err);
}

Test(config, defaults)
{
	struct prov_config c;

	cr_assert_eq(config_defaults(&c), 0);
	cr_assert_eq(c.source_type, SOURCE_DOCUMENT);
	cr_assert_eq(c.urls.n, 0);
	cr_assert_str_eq(c.token_file, "/etc/prov/token");
	cr_assert_eq(c.refresh_interval_s, 300);
	cr_assert_eq(c.offline_grace_s, 7 * 86400);
	cr_assert_not_null(c.host_name);
	cr_assert_gt(strlen(c.host_name), 0);
	cr_assert_eq(c.host_labels.n, 0);
	cr_assert_eq(c.login_groups.n, 0);
	cr_assert_eq(c.sudo_groups.n, 0);
	cr_assert_eq(c.min_id, 1000);
	cr_assert_eq(c.max_id, 2147483647u);
	cr_assert_str_eq(c.home_base, "/home");
	cr_assert_str_eq(c.default_shell, "/bin/bash");
	cr_assert_str_eq(c.shells_file, "/etc/shells");
	cr_assert_str_eq(c.passwd_file, "/etc/passwd");
	cr_assert_str_eq(c.group_file, "/etc/group");
	cr_assert_str_eq(c.sudo_group, "prov-sudo");
	cr_assert_eq(c.sudo_gid, 29999);
	cr_assert_str_eq(c.skel_dir, "/etc/skel");
	cr_assert_eq(c.home_mode, 0700);
	cr_assert_str_eq(c.keys_user, "_prov-keys");
	cr_assert_eq(c.end_sessions, true);
	cr_assert_eq(c.deprovisioned_retention_s, 30 * 86400);
	cr_assert_str_eq(c.nologin_shell, "/usr/sbin/nologin");
	cr_assert_str_eq(c.state_dir, "/var/lib/prov");
	cr_assert_str_eq(c.runtime_dir, "/run/prov");
	cr_assert_eq(c.client_timeout_ms, 5000);
	cr_assert_eq(c.max_clients, 1024);
	cr_assert_eq(c.max_clients_per_uid, 64);
	config_free(&c);
}

Test(config, every_key)
{
	struct prov_config c;
	int r = config_load(FIXTURES_DIR "/config/full.conf", &c, err, sizeof(err));

	cr_assert_eq(r, 0, "%s", err);
	cr_assert_eq(c.source_type, SOURCE_DOCUMENT);
	cr_assert_eq(c.urls.n, 3);
	cr_assert_str_eq(c.urls.v[0], "file:///srv/prov/directory.json");
	cr_assert_str_eq(c.urls.v[1], "https://dir.example.com/prov.json");
	cr_assert_str_eq(c.urls.v[2], "https://mirror.example.com/prov.json");
	cr_assert_str_eq(c.token_file, "/etc/prov/other-token");
	cr_assert_eq(c.refresh_interval_s, 300);
	cr_assert_eq(c.offline_grace_s, 2 * 86400);
	cr_assert_str_eq(c.host_name, "web-01.example.com");
	cr_assert_eq(c.host_labels.n, 2);
	cr_assert_str_eq(c.host_labels.v[0], "role=web");
	cr_assert_str_eq(c.host_labels.v[1], "env=prod");
	cr_assert_eq(c.login_groups.n, 2);
	cr_assert_str_eq(c.login_groups.v[0], "ops");
	cr_assert_str_eq(c.login_groups.v[1], "dev");
	cr_assert_eq(c.sudo_groups.n, 1);
	cr_assert_str_eq(c.sudo_groups.v[0], "ops");
	cr_assert_eq(c.min_id, 5000);
	cr_assert_eq(c.max_id, 600000);
	cr_assert_str_eq(c.home_base, "/srv/home");
	cr_assert_str_eq(c.default_shell, "/bin/sh");
	cr_assert_str_eq(c.shells_file, "/etc/prov-shells");
	cr_assert_str_eq(c.passwd_file, "/etc/prov-passwd");
	cr_assert_str_eq(c.group_file, "/etc/prov-group");
	cr_assert_str_eq(c.sudo_group, "admins");
	cr_assert_eq(c.sudo_gid, 40000);
	cr_assert_str_eq(c.skel_dir, "/etc/prov-skel");
	cr_assert_eq(c.home_mode, 0750);
	cr_assert_str_eq(c.keys_user, "sshkeys");
	cr_assert_eq(c.end_sessions, false);
	cr_assert_eq(c.deprovisioned_retention_s, 7 * 86400);
	cr_assert_str_eq(c.nologin_shell, "/sbin/nologin");
	cr_assert_str_eq(c.state_dir, "/var/lib/prov-test");
	cr_assert_str_eq(c.runtime_dir, "/run/prov-test");
	cr_assert_eq(c.client_timeout_ms, 2000);
	cr_assert_eq(c.max_clients, 64);
	config_free(&c);
}

Test(config, scim_source)
{
	struct prov_config c;

	cr_assert_eq(load("[directory]\ntype = scim\nurl = https://idp.example.com/scim/v2\n", &c), 0, "%s", err);
	cr_assert_eq(c.source_type, SOURCE_SCIM);
	cr_assert_eq(c.urls.n, 1);
	config_free(&c);
	expect_error("[directory]\ntype = scim\n", "needs a url");
	expect_error("[directory]\ntype = scim\nurl = file:///x.json\n", "http");
	expect_error("[directory]\ntype = ldap\n", "'ldap'");
}

/* The config we ship loads and is exactly the defaults: its comments cannot
 * drift into settings. And it documents every key. */
Test(config, packaged_file_is_the_defaults)
{
	static const char *const keys[] = {
		"type", "url", "token_file", "refresh_interval", "offline_grace", "name", "labels",
		"login_groups", "sudo_groups", "min_id", "max_id", "home_base", "default_shell",
		"shells_file", "passwd_file", "group_file", "sudo_group", "sudo_gid", "skel_dir", "home_mode",
		"keys_user", "end_sessions", "deprovisioned_retention", "nologin_shell", "state_dir", "runtime_dir",
		"client_timeout", "max_clients", "key_options",
		"max_clients_per_uid", /* issue 8 */
		/* the sync (issue 3) */
		"ca_file", "pinned_pubkey", "connect_timeout", "timeout", "max_bytes", "refresh_jitter", "retry_base",
		"retry_max", "max_deprovision_share", "deprovision_floor", "user_schema", "group_schema", "attr_uid",
		"attr_gid", "attr_shell", "attr_home", "attr_gecos", "attr_keys", "strip_domain", "id_range",
		"page_size",
		/* signed documents (issue 13) */
		"trusted_keys", "audience",
	};
	struct prov_config c, d;
	char text[16384], needle[64];
	FILE *f;
	size_t n, i;

	cr_assert_eq(config_load(PACKAGED_CONF, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(config_defaults(&d), 0);
	cr_assert_eq(c.urls.n, d.urls.n);
	cr_assert_eq(c.refresh_interval_s, d.refresh_interval_s);
	cr_assert_eq(c.offline_grace_s, d.offline_grace_s);
	cr_assert_eq(c.min_id, d.min_id);
	cr_assert_eq(c.max_id, d.max_id);
	cr_assert_str_eq(c.state_dir, d.state_dir);
	cr_assert_str_eq(c.runtime_dir, d.runtime_dir);
	cr_assert_eq(c.client_timeout_ms, d.client_timeout_ms);
	cr_assert_eq(c.max_clients, d.max_clients);
	cr_assert_eq(c.max_clients_per_uid, d.max_clients_per_uid);
	config_free(&c);
	config_free(&d);

	f = fopen(PACKAGED_CONF, "r");
	cr_assert_not_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(needle, sizeof(needle), "\n#%s =", keys[i]);
		cr_expect_not_null(strstr(text, needle), "packaging/provd.conf does not document '%s'", keys[i]);
	}
}

static void expect_same_strv(const struct dir_strv *a, const struct dir_strv *b)
{
	size_t i;

	cr_assert_eq(a->n, b->n);
	for (i = 0; i < a->n; i++)
		cr_assert_str_eq(a->v[i], b->v[i]);
}

/* Uncommenting every "#key = value" line of the packaged file changes
 * nothing: the comments tell the truth about the defaults. */
Test(config, packaged_defaults_are_true)
{
	struct prov_config c, d;
	char line[1024], text[16384] = "";
	FILE *f = fopen(PACKAGED_CONF, "r");
	int uncommented = 0;

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		size_t k = strspn(line + 1, "abcdefghijklmnopqrstuvwxyz_");

		if (line[0] == '#' && k > 0 && strncmp(line + 1 + k, " =", 2) == 0) {
			strcat(text, line + 1);
			uncommented++;
		} else {
			strcat(text, line);
		}
	}
	fclose(f);
	cr_assert_eq(uncommented, 54, "one line per key");
	cr_assert_eq(load(text, &c), 0, "%s", err);
	cr_assert_eq(config_defaults(&d), 0);
	cr_assert_eq(c.source_type, d.source_type);
	expect_same_strv(&c.urls, &d.urls);
	cr_assert_str_eq(c.token_file, d.token_file);
	cr_assert_eq(c.refresh_interval_s, d.refresh_interval_s);
	cr_assert_eq(c.offline_grace_s, d.offline_grace_s);
	cr_assert_str_eq(c.host_name, d.host_name);
	expect_same_strv(&c.host_labels, &d.host_labels);
	expect_same_strv(&c.login_groups, &d.login_groups);
	expect_same_strv(&c.sudo_groups, &d.sudo_groups);
	cr_assert_eq(c.min_id, d.min_id);
	cr_assert_eq(c.max_id, d.max_id);
	cr_assert_str_eq(c.home_base, d.home_base);
	cr_assert_str_eq(c.default_shell, d.default_shell);
	cr_assert_str_eq(c.shells_file, d.shells_file);
	cr_assert_str_eq(c.passwd_file, d.passwd_file);
	cr_assert_str_eq(c.group_file, d.group_file);
	cr_assert_str_eq(c.sudo_group, d.sudo_group);
	cr_assert_eq(c.sudo_gid, d.sudo_gid);
	cr_assert_str_eq(c.skel_dir, d.skel_dir);
	cr_assert_eq(c.home_mode, d.home_mode);
	cr_assert_str_eq(c.keys_user, d.keys_user);
	cr_assert_eq(c.end_sessions, d.end_sessions);
	cr_assert_eq(c.deprovisioned_retention_s, d.deprovisioned_retention_s);
	cr_assert_str_eq(c.nologin_shell, d.nologin_shell);
	cr_assert_str_eq(c.state_dir, d.state_dir);
	cr_assert_str_eq(c.runtime_dir, d.runtime_dir);
	cr_assert_eq(c.client_timeout_ms, d.client_timeout_ms);
	cr_assert_eq(c.max_clients, d.max_clients);
	cr_assert_null(c.ca_file);
	cr_assert_null(c.pinned_pubkey);
	cr_assert_eq(c.connect_timeout_ms, d.connect_timeout_ms);
	cr_assert_eq(c.timeout_ms, d.timeout_ms);
	cr_assert_eq(c.max_bytes, d.max_bytes);
	cr_assert_eq(c.refresh_jitter_pct, d.refresh_jitter_pct);
	cr_assert_eq(c.retry_base_ms, d.retry_base_ms);
	cr_assert_eq(c.retry_max_ms, d.retry_max_ms);
	cr_assert_eq(c.max_deprovision_pct, d.max_deprovision_pct);
	cr_assert_eq(c.deprovision_floor, d.deprovision_floor);
	cr_assert_str_eq(c.scim_user_schema, d.scim_user_schema);
	cr_assert_str_eq(c.scim_group_schema, d.scim_group_schema);
	cr_assert_str_eq(c.scim_attr_uid, d.scim_attr_uid);
	cr_assert_str_eq(c.scim_attr_gid, d.scim_attr_gid);
	cr_assert_str_eq(c.scim_attr_shell, d.scim_attr_shell);
	cr_assert_str_eq(c.scim_attr_home, d.scim_attr_home);
	cr_assert_str_eq(c.scim_attr_gecos, d.scim_attr_gecos);
	cr_assert_str_eq(c.scim_attr_keys, d.scim_attr_keys);
	cr_assert_eq(c.scim_strip_domain, d.scim_strip_domain);
	cr_assert_eq(c.scim_id_range.min, d.scim_id_range.min);
	cr_assert_eq(c.scim_id_range.max, d.scim_id_range.max);
	cr_assert_eq(c.scim_page_size, d.scim_page_size);
	cr_assert_eq(c.trusted_keys.n, 0);
	cr_assert_null(c.audience);
	config_free(&c);
	config_free(&d);
}

Test(config, durations)
{
	static const struct {
		const char *text;
		unsigned refresh, grace, timeout_ms;
	} ok[] = {
		{ "refresh_interval = 300\noffline_grace = 3600\n", 300, 3600, 5000 },
		{ "refresh_interval = 5m\noffline_grace = 1h\n", 300, 3600, 5000 },
		{ "refresh_interval = 90s\noffline_grace = 7d\n", 90, 604800, 5000 },
		{ "refresh_interval = 1h\noffline_grace = 60s\n", 3600, 60, 5000 },
		{ "refresh_interval = 10\noffline_grace = 3650d\n", 10, 3650u * 86400, 5000 },
		{ "refresh_interval = 120000ms\n", 120, 604800, 5000 },
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char text[256];
		struct prov_config c;

		snprintf(text, sizeof(text), "[directory]\n%s", ok[i].text);
		cr_assert_eq(load(text, &c), 0, "%s: %s", ok[i].text, err);
		cr_expect_eq(c.refresh_interval_s, ok[i].refresh, "%s", ok[i].text);
		cr_expect_eq(c.offline_grace_s, ok[i].grace, "%s", ok[i].text);
		config_free(&c);
	}
	{
		struct prov_config c;

		cr_assert_eq(load("[server]\nclient_timeout = 250ms\n", &c), 0, "%s", err);
		cr_expect_eq(c.client_timeout_ms, 250);
		config_free(&c);
		cr_assert_eq(load("[server]\nclient_timeout = 1500\n", &c), 0, "%s", err);
		cr_expect_eq(c.client_timeout_ms, 1500, "a plain client_timeout is milliseconds");
		config_free(&c);
		cr_assert_eq(load("[server]\nclient_timeout = 1m\n", &c), 0, "%s", err);
		cr_expect_eq(c.client_timeout_ms, 60000);
		config_free(&c);
	}
}

Test(config, bad_durations)
{
	expect_error("[directory]\nrefresh_interval = 5x\n", "refresh_interval");
	expect_error("[directory]\nrefresh_interval = -5\n", "duration");
	expect_error("[directory]\nrefresh_interval = 1.5h\n", "duration");
	expect_error("[directory]\nrefresh_interval = 5 m\n", "duration");
	expect_error("[directory]\nrefresh_interval = m\n", "duration");
	expect_error("[directory]\nrefresh_interval = 0x10\n", "duration");
	expect_error("[directory]\nrefresh_interval = 99999999999999999999999d\n", "duration");
	expect_error("[directory]\nrefresh_interval = 18446744073709551615d\n", "duration");
	expect_error("[directory]\nrefresh_interval = 1500ms\n", "whole number of seconds");
	expect_error("[directory]\nrefresh_interval = 5\n", "out of range");
	expect_error("[directory]\nrefresh_interval = 31d\n", "out of range");
	expect_error("[directory]\noffline_grace = 0\n", "out of range");
	expect_error("[server]\nclient_timeout = 99\n", "out of range");
	expect_error("[server]\nclient_timeout = 11m\n", "out of range");
	expect_error("[directory]\nrefresh_interval =\n", "empty value");
}

Test(config, bad_numbers)
{
	expect_error("[accounts]\nmin_id = 0\n", "out of range");
	expect_error("[accounts]\nmin_id = abc\n", "min_id");
	expect_error("[accounts]\nmin_id = 0x10\n", "decimal");
	expect_error("[accounts]\nmin_id = +5\n", "decimal");
	expect_error("[accounts]\nmin_id = -1\n", "decimal");
	expect_error("[accounts]\nmin_id = 1000 2000\n", "decimal");
	expect_error("[accounts]\nmax_id = 4294967296\n", "out of range");
	expect_error("[accounts]\nmax_id = 2147483648\n", "out of range");
	expect_error("[accounts]\nmin_id = 5000\nmax_id = 4000\n", "min_id 5000 is above max_id 4000");
	expect_error("[server]\nmax_clients = 0\n", "out of range");
	expect_error("[server]\nmax_clients = 65537\n", "out of range");
	expect_error("[server]\nmax_clients = 5k\n", "decimal");
}

Test(config, unknown_key_names_file_and_line)
{
	struct prov_config c;
	char want[256];
	int r = config_load(FIXTURES_DIR "/config/typo.conf", &c, err, sizeof(err));

	cr_assert_eq(r, -EINVAL);
	snprintf(want, sizeof(want), "%s:5: unknown key 'max_client' in section [server]", FIXTURES_DIR "/config/typo.conf");
	cr_assert_str_eq(err, want);
}

Test(config, strict_syntax)
{
	expect_error("[directory]\ntype = document\n[directori]\n", ":3: unknown section [directori]");
	expect_error("type = document\n", ":1: key 'type' outside of any [section]");
	expect_error("[host]\nname\n", ":2: expected 'key = value'");
	expect_error("[host\nname = a\n", "without closing ']'");
	expect_error("[server]\nmax_clients = 5\nmax_clients = 6\n", ":3: max_clients: given twice");
	expect_error("[accounts]\nmin_id = 1000\n[server]\nmin_id = 1000\n", ":4: unknown key 'min_id' in section [server]");
	expect_error("[host]\nName = x\n", "unknown key 'Name'");
}

Test(config, comments_whitespace_crlf)
{
	struct prov_config c;

	cr_assert_eq(load("# comment\n; another\n\n   [ server ]   \r\n\tmax_clients\t=\t 77  \r\n"
			  "  # indented comment\n",
			  &c),
		     0, "%s", err);
	cr_assert_eq(c.max_clients, 77);
	config_free(&c);
}

Test(config, nul_byte_refused)
{
	struct prov_config c;
	static const char text[] = "[server]\nmax_clients = 7\0 8\n";

	write_conf_mode(text, sizeof(text) - 1, 0644);
	cr_assert_eq(config_load(path, &c, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, ":2: NUL byte"), "%s", err);
}

Test(config, long_line_refused)
{
	struct prov_config c;
	char *text = malloc(10000);

	strcpy(text, "[host]\nname = ");
	memset(text + strlen(text), 'a', 5000);
	strcpy(text + 14 + 5000, "\n");
	cr_assert_eq(load(text, &c), -EINVAL);
	cr_assert_not_null(strstr(err, ":2: line longer than"), "%s", err);
	free(text);
}

Test(config, lists_append_reset_dedupe)
{
	struct prov_config c;

	cr_assert_eq(load("[host]\nlogin_groups = a, b\nlogin_groups = c b\nsudo_groups = x\nsudo_groups =\n"
			  "labels = k=v,,  j=w=z\n",
			  &c),
		     0, "%s", err);
	cr_assert_eq(c.login_groups.n, 3);
	cr_assert_str_eq(c.login_groups.v[2], "c");
	cr_assert_eq(c.sudo_groups.n, 0, "an empty value resets a list");
	cr_assert_eq(c.host_labels.n, 2);
	cr_assert_str_eq(c.host_labels.v[1], "j=w=z");
	config_free(&c);
}

Test(config, bad_list_items)
{
	expect_error("[host]\nlabels = novalue\n", "key=value");
	expect_error("[host]\nlabels = =v\n", "key=value");
	expect_error("[host]\nlogin_groups = ops -bad\n", "'-bad'");
	expect_error("[host]\nlogin_groups = a:b\n", "'a:b'");
	expect_error("[directory]\nurl = ftp://x/y\n", "scheme");
	expect_error("[directory]\nurl = file://relative/path\n", "url");
	expect_error("[directory]\nurl = file:///a/../b\n", "url");
	expect_error("[directory]\nurl = https://\n", "no host");
}

Test(config, bad_paths_and_names)
{
	expect_error("[paths]\nstate_dir = var/lib/prov\n", "state_dir");
	expect_error("[paths]\nstate_dir = /var/lib/../prov\n", "state_dir");
	expect_error("[accounts]\nhome_base = /\n", "home_base");
	expect_error("[accounts]\nsudo_group = 0day\n", "sudo_group");
	expect_error("[host]\nname = bad host\n", "name");
	expect_error("[paths]\nruntime_dir = /"
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		     "too long for a socket path");
}

Test(config, missing_file)
{
	struct prov_config c;

	cr_assert_eq(config_load("/nonexistent/provd.conf", &c, err, sizeof(err)), -ENOENT);
	cr_assert_not_null(strstr(err, "/nonexistent/provd.conf"), "%s", err);
}

/* A config others can write is not trusted (it decides who logs in). */
Test(config, writable_by_others_refused)
{
	struct prov_config c;
	static const char text[] = "[server]\nmax_clients = 5\n";

	write_conf_mode(text, sizeof(text) - 1, 0666);
	cr_assert_eq(config_load(path, &c, err, sizeof(err)), -EPERM);
	cr_assert_not_null(strstr(err, "writable by group or others"), "%s", err);
	write_conf_mode(text, sizeof(text) - 1, 0620);
	cr_assert_eq(config_load(path, &c, err, sizeof(err)), -EPERM);
}

Test(config, directory_is_not_a_config)
{
	struct prov_config c;

	cr_assert_eq(config_load(tmpdir, &c, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, "not a regular file"), "%s", err);
}

/* On error the caller's struct is not touched (reload keeps the old one). */
Test(config, untouched_on_error)
{
	struct prov_config c, before;

	memset(&c, 0x5a, sizeof(c));
	before = c;
	cr_assert_eq(load("[server]\nmax_clients = 10\nbogus = 1\n", &c), -EINVAL);
	cr_assert_eq(memcmp(&c, &before, sizeof(c)), 0);
}

/* The [login] keys: booleans, octal modes that never open a home to
 * others, the retention of removed users, the sudo group's gid. */
Test(config, login_keys)
{
	struct prov_config c;

	cr_assert_eq(load("[login]\nend_sessions = off\nhome_mode = 700\ndeprovisioned_retention = 0\n", &c), 0, "%s",
		     err);
	cr_assert_eq(c.end_sessions, false);
	cr_assert_eq(c.home_mode, 0700);
	cr_assert_eq(c.deprovisioned_retention_s, 0);
	config_free(&c);
	cr_assert_eq(load("[login]\nend_sessions = true\nhome_mode = 0755\n", &c), 0, "%s", err);
	cr_assert_eq(c.end_sessions, true);
	cr_assert_eq(c.home_mode, 0755);
	config_free(&c);
	expect_error("[login]\nend_sessions = maybe\n", "not yes or no");
	/* issue 9 §5: SSH key options */
	cr_assert_eq(load("[login]\nend_sessions = on\n", &c), 0, "%s", err);
	cr_assert_eq(c.key_options_restrict, false, "default: no options");
	config_free(&c);
	cr_assert_eq(load("[login]\nkey_options = restrict\n", &c), 0, "%s", err);
	cr_assert_eq(c.key_options_restrict, true);
	config_free(&c);
	cr_assert_eq(load("[login]\nkey_options = none\n", &c), 0, "%s", err);
	cr_assert_eq(c.key_options_restrict, false);
	config_free(&c);
	expect_error("[login]\nkey_options = all\n", "not 'none' or 'restrict'");
	expect_error("[login]\nkey_options = command\n", "not 'none' or 'restrict'");
	expect_error("[login]\nend_sessions = Yes please\n", "not yes or no");
	expect_error("[login]\nhome_mode = 0770\n", "no write for group or others");
	expect_error("[login]\nhome_mode = 0702\n", "no write for group or others");
	expect_error("[login]\nhome_mode = 4700\n", "no write for group or others");
	expect_error("[login]\nhome_mode = 0050\n", "gives the owner no access");
	expect_error("[login]\nhome_mode = 0800\n", "not an octal mode");
	expect_error("[login]\nhome_mode = -700\n", "not an octal mode");
	expect_error("[login]\nhome_mode = 07000\n", "not an octal mode");
	expect_error("[login]\nskel_dir = etc/skel\n", "skel_dir");
	expect_error("[login]\nkeys_user = 1keys\n", "keys_user");
	expect_error("[login]\nnologin_shell = /usr/sbin/../nologin\n", "nologin_shell");
	expect_error("[login]\ndeprovisioned_retention = 3651d\n", "out of range");
	expect_error("[accounts]\nsudo_gid = 0\n", "out of range");
	expect_error("[accounts]\nsudo_gid = 65534\n", "65534");
	expect_error("[login]\nsudo_gid = 30000\n", "unknown key");
}

/* The sync's keys (issue 3): every one parsed into its field, with the
 * documented defaults when absent. */
Test(config, sync_keys)
{
	struct prov_config c;

	cr_assert_eq(load("[directory]\n", &c), 0, "%s", err);
	cr_expect_null(c.ca_file);
	cr_expect_null(c.pinned_pubkey);
	cr_expect_eq(c.connect_timeout_ms, 10000);
	cr_expect_eq(c.timeout_ms, 60000);
	cr_expect_eq(c.max_bytes, 64u << 20);
	cr_expect_eq(c.refresh_jitter_pct, 10);
	cr_expect_eq(c.retry_base_ms, 1000);
	cr_expect_eq(c.retry_max_ms, 600000);
	cr_expect_eq(c.max_deprovision_pct, 10);
	cr_expect_eq(c.deprovision_floor, 3);
	cr_expect_str_eq(c.scim_user_schema, "urn:ietf:params:scim:schemas:extension:posix:2.0:User");
	cr_expect_str_eq(c.scim_attr_keys, "sshPublicKey");
	cr_expect_eq(c.scim_id_range.min, 200000);
	cr_expect_eq(c.scim_id_range.max, 999999);
	cr_expect_eq(c.scim_page_size, 1000);
	config_free(&c);

	cr_assert_eq(load("[directory]\ntype = scim\nurl = https://idp.example/scim/v2\n"
			  "ca_file = /etc/prov/ca.pem\npinned_pubkey = sha256//AAAA;sha256//BBBB\n"
			  "connect_timeout = 2s\ntimeout = 90s\nmax_bytes = 512K\nrefresh_jitter = 25%\n"
			  "retry_base = 500ms\nretry_max = 1h\nmax_deprovision_share = 5\ndeprovision_floor = 0\n"
			  "[scim]\nuser_schema = urn:ietf:params:scim:schemas:oracle:idcs:extension:posix:User\n"
			  "attr_uid = uid_number\nstrip_domain = yes\nid_range = 300000-300999\npage_size = 200\n",
			  &c),
		     0, "%s", err);
	cr_expect_eq(c.source_type, SOURCE_SCIM);
	cr_expect_str_eq(c.ca_file, "/etc/prov/ca.pem");
	cr_expect_str_eq(c.pinned_pubkey, "sha256//AAAA;sha256//BBBB");
	cr_expect_eq(c.connect_timeout_ms, 2000);
	cr_expect_eq(c.timeout_ms, 90000);
	cr_expect_eq(c.max_bytes, 512u << 10);
	cr_expect_eq(c.refresh_jitter_pct, 25);
	cr_expect_eq(c.retry_base_ms, 500);
	cr_expect_eq(c.retry_max_ms, 3600000);
	cr_expect_eq(c.max_deprovision_pct, 5);
	cr_expect_eq(c.deprovision_floor, 0);
	cr_expect_str_eq(c.scim_user_schema, "urn:ietf:params:scim:schemas:oracle:idcs:extension:posix:User");
	cr_expect_str_eq(c.scim_attr_uid, "uid_number");
	cr_expect_eq(c.scim_strip_domain, true);
	cr_expect_eq(c.scim_id_range.min, 300000);
	cr_expect_eq(c.scim_id_range.max, 300999);
	cr_expect_eq(c.scim_page_size, 200);
	config_free(&c);
}

Test(config, bad_sync_values)
{
	expect_error("[directory]\nrefresh_jitter = 60%\n", "refresh_jitter: 60% out of range");
	expect_error("[directory]\nmax_deprovision_share = 10%%\n", "not a percentage");
	expect_error("[directory]\nmax_bytes = 64X\n", "not a size");
	expect_error("[directory]\nmax_bytes = 2G\n", "out of range");
	expect_error("[directory]\ntimeout = 0\n", "out of range");
	expect_error("[directory]\nretry_base = 30m\nretry_max = 10m\n", "retry_base 1800000ms is above retry_max 600000ms");
	expect_error("[directory]\npinned_pubkey = md5//xx\n", "pinned_pubkey must be sha256");
	expect_error("[scim]\nattr_uid = uid number\n", "holds a space");
	expect_error("[scim]\nid_range = 9-3\n", "id_range: 9-3 out of range");
	expect_error("[scim]\nid_range = 300000\n", "not a range MIN-MAX");
	expect_error("[scim]\npage_size = 0\n", "out of range");
	expect_error("[directory]\ntype = scim\nurl = https://i/s\n[scim]\nid_range = 100-200000\n",
		     "id_range 100-200000 must lie inside min_id..max_id");
}

Test(config, empty_ca_file_means_the_system_store)
{
	struct prov_config c;

	cr_assert_eq(load("[directory]\nca_file =\npinned_pubkey =\n", &c), 0, "%s", err);
	cr_expect_null(c.ca_file);
	cr_expect_null(c.pinned_pubkey);
	config_free(&c);
}

/* A sync worker's copy must survive the original being freed (a SIGHUP
 * while a pull runs). */
Test(config, dup_is_deep)
{
	struct prov_config c, d;

	cr_assert_eq(load("[directory]\nurl = https://a/d.json https://b/d.json\nca_file = /etc/ca.pem\n"
			  "[host]\nlabels = env=prod\nlogin_groups = ops\n",
			  &c),
		     0, "%s", err);
	cr_assert_eq(config_dup(&c, &d), 0);
	cr_expect_neq(d.urls.v, c.urls.v);
	cr_expect_neq(d.ca_file, c.ca_file);
	cr_expect_neq(d.state_dir, c.state_dir);
	config_free(&c);
	memset(&c, 0x5a, sizeof(c));
	cr_expect_eq(d.urls.n, 2);
	cr_expect_str_eq(d.urls.v[1], "https://b/d.json");
	cr_expect_str_eq(d.ca_file, "/etc/ca.pem");
	cr_expect_str_eq(d.host_labels.v[0], "env=prod");
	cr_expect_str_eq(d.login_groups.v[0], "ops");
	cr_expect_str_eq(d.state_dir, "/var/lib/prov");
	cr_expect_str_eq(d.scim_attr_home, "homeDirectory");
	cr_expect_eq(d.offline_grace_s, 7 * 86400);
	config_free(&d);
}

#define KEY_A "ed25519:BDkfMc9QnfXYcvANY0pRnN50qMOhToJM8MmjQ4/Gocg="
#define KEY_B "ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

/* Signed documents (issue 13): several keys over several lines, key files,
 * and an audience that must come with them. */
Test(config, trusted_keys_and_audience)
{
	struct prov_config c, d;

	cr_assert_eq(load("[directory]\nurl = https://cdn.example/d.json\ntrusted_keys = " KEY_A
			  "\ntrusted_keys = " KEY_B ", /etc/prov/publish.pub\naudience = prod-eu\n",
			  &c),
		     0, "%s", err);
	cr_assert_eq(c.trusted_keys.n, 3);
	cr_assert_str_eq(c.trusted_keys.v[0], KEY_A);
	cr_assert_str_eq(c.trusted_keys.v[2], "/etc/prov/publish.pub");
	cr_assert_str_eq(c.audience, "prod-eu");
	cr_assert_eq(config_dup(&c, &d), 0);
	cr_assert_eq(d.trusted_keys.n, 3);
	cr_assert_neq(d.trusted_keys.v[1], c.trusted_keys.v[1]);
	cr_assert_str_eq(d.audience, "prod-eu");
	config_free(&c);
	config_free(&d);
	expect_error("[directory]\ntrusted_keys = " KEY_A "\n", "needs an audience");
	expect_error("[directory]\ntrusted_keys = ed25519:AAAA\naudience = x\n", "44 characters");
	expect_error("[directory]\ntrusted_keys = relative.pub\naudience = x\n", "absolute path");
	expect_error("[directory]\ntype = scim\nurl = https://x/scim\ntrusted_keys = " KEY_A "\naudience = x\n",
		     "type = document");
}

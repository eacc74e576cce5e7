/* SPDX-License-Identifier: MIT */
/* A config's defaults (provd.conf(5)) and freeing one (config_impl.h). */
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

int config_set_str(char **slot, const char *v)
{
	char *c = strdup(v);

	if (!c)
		return -ENOMEM;
	free(*slot);
	*slot = c;
	return 0;
}

int config_set_hostname(char **slot)
{
	char host[HOST_NAME_MAX + 1] = "";

	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
		strcpy(host, "localhost");
	return config_set_str(slot, host);
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
	if (config_set_str(&c.token_file, "/etc/prov/token") < 0 || config_set_hostname(&c.host_name) < 0 ||
	    config_set_str(&c.home_base, "/home") < 0 || config_set_str(&c.default_shell, "/bin/bash") < 0 ||
	    config_set_str(&c.shells_file, "/etc/shells") < 0 || config_set_str(&c.passwd_file, "/etc/passwd") < 0 ||
	    config_set_str(&c.group_file, "/etc/group") < 0 || config_set_str(&c.sudo_group, "prov-sudo") < 0 ||
	    config_set_str(&c.state_dir, "/var/lib/prov") < 0 || config_set_str(&c.runtime_dir, PROV_RUNTIME_DIR) < 0 ||
	    config_set_str(&c.skel_dir, "/etc/skel") < 0 || config_set_str(&c.keys_user, "_prov-keys") < 0 ||
	    config_set_str(&c.nologin_shell, "/usr/sbin/nologin") < 0 ||
	    config_set_str(&c.scim_user_schema, "urn:ietf:params:scim:schemas:extension:posix:2.0:User") < 0 ||
	    config_set_str(&c.scim_group_schema, "urn:ietf:params:scim:schemas:extension:posix:2.0:Group") < 0 ||
	    config_set_str(&c.scim_attr_uid, "uidNumber") < 0 || config_set_str(&c.scim_attr_gid, "gidNumber") < 0 ||
	    config_set_str(&c.scim_attr_shell, "loginShell") < 0 || config_set_str(&c.scim_attr_home, "homeDirectory") < 0 ||
	    config_set_str(&c.scim_attr_gecos, "gecos") < 0 || config_set_str(&c.scim_attr_keys, "sshPublicKey") < 0) {
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

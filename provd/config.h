/* SPDX-License-Identifier: MIT */
/*
 * provd.conf: an INI file (documented in provd.conf(5) and the README).
 * Parsed once into this struct; a reload parses a new one and swaps it only
 * if it is valid as a whole.
 */
#ifndef PROV_CONFIG_H
#define PROV_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "model/directory.h"

#define PROV_DEFAULT_CONFIG "/etc/prov/provd.conf"

enum source_type {
	SOURCE_DOCUMENT, /* prov's JSON directory document */
	SOURCE_SCIM,     /* SCIM 2.0 service */
};

struct prov_id_range {
	uint32_t min, max; /* inclusive */
};

struct prov_config {
	/* [directory] */
	enum source_type source_type;   /* type = document | scim */
	struct dir_strv urls;           /* url = ...; several for failover; empty = unconfigured (serves nobody); "demo:" = the embedded demo */
	char *token_file;               /* token_file = /etc/prov/token */
	unsigned refresh_interval_s;    /* refresh_interval = 300 (s, or 5m, 1h, 1d) */
	unsigned offline_grace_s;       /* offline_grace = 7d */
	/* The sync (provd/sync/sync.h). HTTP(S) only: */
	char *ca_file;                  /* ca_file = (none: the system trust store) PEM CA bundle */
	char *pinned_pubkey;            /* pinned_pubkey = (none) sha256//<base64>[;sha256//...] or a key file */
	unsigned connect_timeout_ms;    /* connect_timeout = 10s */
	unsigned timeout_ms;            /* timeout = 60s, per request (a SCIM page, a document) */
	unsigned max_bytes;             /* max_bytes = 64M, per response, after decompression (K, M, G suffixes) */
	unsigned refresh_jitter_pct;    /* refresh_jitter = 10% (refresh_interval +- this) */
	unsigned retry_base_ms;         /* retry_base = 1s (first retry window after a failure) */
	unsigned retry_max_ms;          /* retry_max = 10m (retry windows double up to this) */
	/* Applying a pull: */
	unsigned max_deprovision_pct;   /* max_deprovision_share = 10% of active users in one pull */
	unsigned deprovision_floor;     /* deprovision_floor = 3 (always allowed, whatever the share) */
	/* Signed documents (docsig.h): */
	struct dir_strv trusted_keys;   /* trusted_keys = (none) ed25519:<base64> keys or key files; any one may sign */
	char *audience;                 /* audience = (none) the fleet name a document must carry */

	/* [scim] (type = scim) */
	char *scim_user_schema;         /* user_schema = urn:ietf:params:scim:schemas:extension:posix:2.0:User */
	char *scim_group_schema;        /* group_schema = urn:ietf:params:scim:schemas:extension:posix:2.0:Group */
	char *scim_attr_uid;            /* attr_uid = uidNumber */
	char *scim_attr_gid;            /* attr_gid = gidNumber */
	char *scim_attr_shell;          /* attr_shell = loginShell */
	char *scim_attr_home;           /* attr_home = homeDirectory */
	char *scim_attr_gecos;          /* attr_gecos = gecos */
	char *scim_attr_keys;           /* attr_keys = sshPublicKey */
	bool scim_strip_domain;         /* strip_domain = no (userName a@b.c -> login a) */
	struct prov_id_range scim_id_range; /* id_range = 200000-999999 (derived uids/gids; inside min_id..max_id) */
	unsigned scim_page_size;        /* page_size = 1000 (count asked per page; the server may cap it) */

	/* [host] */
	char *host_name;                /* name = (default: gethostname()) */
	struct dir_strv host_labels;    /* labels = role=web env=prod */
	struct dir_strv login_groups;   /* login_groups = ops dev */
	struct dir_strv sudo_groups;    /* sudo_groups = ops */

	/* [accounts] */
	uint32_t min_id;                /* min_id = 1000 */
	uint32_t max_id;                /* max_id = 2147483647 */
	char *home_base;                /* home_base = /home */
	char *default_shell;            /* default_shell = /bin/bash */
	char *shells_file;              /* shells_file = /etc/shells */
	char *passwd_file;              /* passwd_file = /etc/passwd (local accounts) */
	char *group_file;               /* group_file = /etc/group (local groups) */
	char *sudo_group;               /* sudo_group = prov-sudo */
	uint32_t sudo_gid;              /* sudo_gid = 29999 */
	unsigned id_quarantine_s;       /* id_quarantine = 365d (ids of identities that went) */

	/* [login] (the login path: provd/access/login_handlers.h, sessions.h) */
	char *skel_dir;                 /* skel_dir = /etc/skel */
	unsigned home_mode;             /* home_mode = 0700 (octal, no group/other write) */
	char *keys_user;                /* keys_user = _prov-keys (AuthorizedKeysCommandUser) */
	bool end_sessions;              /* end_sessions = yes */
	unsigned deprovisioned_retention_s; /* deprovisioned_retention = 30d */
	char *nologin_shell;            /* nologin_shell = /usr/sbin/nologin */
	bool key_options_restrict;      /* key_options = none | restrict (sshkey.h) */

	/* [paths] */
	char *state_dir;                /* state_dir = /var/lib/prov */
	char *runtime_dir;              /* runtime_dir = /run/prov */

	/* [server] */
	unsigned client_timeout_ms;     /* client_timeout = 5000 (ms) */
	unsigned max_clients;           /* max_clients = 1024 */
	unsigned max_clients_per_uid;   /* max_clients_per_uid = 64 (public socket, root exempt) */
};

/* Fills cfg with the built-in defaults (all strings allocated). */
int config_defaults(struct prov_config *cfg);

/* Parses path over the defaults. On error returns -errno (-EINVAL for a
 * syntax or value error) and writes a one-line message naming the file, the
 * line and the key into err; cfg is left untouched. */
int config_load(const char *path, struct prov_config *ret_cfg, char *err, size_t errsz);

void config_free(struct prov_config *cfg);

/* A deep copy (every string and list duplicated), e.g. for a sync worker
 * that must not see a SIGHUP swap the running config. 0 or -ENOMEM. */
int config_dup(const struct prov_config *src, struct prov_config *ret);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Document bytes to a served snapshot: parse, read the local account files,
 * admit, index. Every way a directory enters provd (a pull, the on-disk
 * cache, the embedded demo) comes through here, so the same rules apply.
 */
#include <errno.h>
#include <string.h>

#include "admit/admit.h"
#include "source/docparse.h"
#include "base/errbuf.h"
#include "admit/localdb.h"
#include "prov/protocol.h"
#include "admit/snapshot.h"

int snapshot_build(const struct prov_config *cfg, const char *doc, size_t len, struct directory **ret, char *err,
		   size_t errsz)
{
	return snapshot_build_prior(cfg, NULL, doc, len, ret, err, errsz);
}

int snapshot_admit(const struct prov_config *cfg, struct directory *d, struct directory **ret, char *err,
		   size_t errsz)
{
	return snapshot_admit_prior(cfg, NULL, d, ret, err, errsz);
}

int snapshot_build_prior(const struct prov_config *cfg, const struct snapshot_prior *prior, const char *doc,
			 size_t len, struct directory **ret, char *err, size_t errsz)
{
	struct directory *d = NULL;
	int r;

	r = docparse(doc, len, &d, err, errsz);
	if (r < 0)
		return r;
	return snapshot_admit_prior(cfg, prior, d, ret, err, errsz);
}

/* Limits that no entry may pass without rejecting the whole pull: serving
 * a group without some of its members would silently take a grant away
 * from them (issue 9 §6), refusing it would take it from all. */
static int check_limits(const struct directory *d, char *err, size_t errsz)
{
	for (size_t i = 0; i < d->n_groups; i++)
		if (d->groups[i].members.n > PROV_GROUP_MEMBERS_MAX) {
			errbuf_set(err, errsz,
				   "group %.64s has %zu members, over the limit of %u: the whole directory is "
				   "rejected rather than serve it without some of them",
				   d->groups[i].name ? d->groups[i].name : "?", d->groups[i].members.n,
				   PROV_GROUP_MEMBERS_MAX);
			return -E2BIG;
		}
	return 0;
}

int snapshot_admit_prior(const struct prov_config *cfg, const struct snapshot_prior *prior, struct directory *d,
			 struct directory **ret, char *err, size_t errsz)
{
	struct dir_strv shells = { 0 };
	struct localdb *local = NULL;
	struct admit_policy policy;
	int r;

	r = check_limits(d, err, errsz);
	if (r < 0)
		goto out;
	r = localdb_load(cfg->passwd_file, cfg->group_file, &local, err, errsz);
	if (r < 0)
		goto out;
	/* Without a shells file no explicit shell is trusted: every user gets
	 * default_shell (with a note). Any other error is an error. */
	r = shells_load(cfg->shells_file, &shells);
	if (r == -ENOENT) {
		r = 0;
	} else if (r < 0) {
		errbuf_set(err, errsz, "cannot read %s: %s", cfg->shells_file, strerror(-r));
		goto out;
	}
	policy = (struct admit_policy){
		.min_id = cfg->min_id,
		.max_id = cfg->max_id,
		.key_options_restrict = cfg->key_options_restrict,
		.home_base = cfg->home_base,
		.default_shell = cfg->default_shell,
		.nologin_shell = cfg->nologin_shell,
		.reserved_group = cfg->sudo_group,
		.reserved_gid = cfg->sudo_gid,
		.shells = &shells,
		.local = local,
		.prev = prior ? prior->prev : NULL,
		.known = prior ? prior->known : NULL,
		.n_known = prior ? prior->n_known : 0,
	};
	r = admit_directory(d, &policy);
	if (r == -EINVAL) {
		errbuf_set(err, errsz, "invalid account policy: home_base and default_shell must be absolute paths");
		goto out;
	}
	if (r == 0)
		r = directory_index(d);
	if (r < 0) {
		errbuf_set(err, errsz, "cannot build the directory: %s", strerror(-r));
		goto out;
	}
	*ret = d;
	d = NULL;
out:
	directory_free(d);
	localdb_free(local);
	dir_strv_free(&shells);
	return r;
}

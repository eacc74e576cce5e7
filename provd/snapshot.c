/* SPDX-License-Identifier: MIT */
/*
 * Document bytes to a served snapshot: parse, read the local account files,
 * admit, index. Every way a directory enters provd (a pull, the on-disk
 * cache, the embedded demo) comes through here, so the same rules apply.
 */
#include <errno.h>
#include <string.h>

#include "admit.h"
#include "docparse.h"
#include "errbuf.h"
#include "localdb.h"
#include "snapshot.h"

/* Linker symbols around the embedded packaging/demo-directory.json
 * (provd/demo_blob.S.in). */
extern const char prov_demo_doc_start[], prov_demo_doc_end[];

const char *demo_document(size_t *ret_len)
{
	if (ret_len)
		*ret_len = (size_t)(prov_demo_doc_end - prov_demo_doc_start);
	return prov_demo_doc_start;
}

int snapshot_build(const struct prov_config *cfg, const char *doc, size_t len, struct directory **ret, char *err,
		   size_t errsz)
{
	struct directory *d = NULL;
	int r;

	r = docparse(doc, len, &d, err, errsz);
	if (r < 0)
		return r;
	return snapshot_admit(cfg, d, ret, err, errsz);
}

int snapshot_admit(const struct prov_config *cfg, struct directory *d, struct directory **ret, char *err,
		   size_t errsz)
{
	struct dir_strv shells = { 0 };
	struct localdb *local = NULL;
	struct admit_policy policy;
	int r;

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

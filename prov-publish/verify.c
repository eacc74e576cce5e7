/* SPDX-License-Identifier: MIT */
#include "verify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/docparse.h"
#include "source/docsig.h"
#include "base/errbuf.h"
#include "output.h"

/* Reads path with no ownership rules: the operator points at the file. */
static int read_whole(const char *path, char **ret, size_t *ret_len, char *err, size_t errsz)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (!slash)
		return output_read(".", path, ret, ret_len, err, errsz);
	if ((size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return output_read(slash == path ? "/" : dir, slash + 1, ret, ret_len, err, errsz);
}

int verify_run(const struct verify_opts *o, struct verify_result *ret, char *err, size_t errsz)
{
	struct prov_config cfg = { .trusted_keys = o->keys, .audience = (char *)o->audience };
	struct docsig_keyring kr = { 0 };
	struct verify_result res = { 0 };
	struct directory *d = NULL;
	char sigpath[4096], why[512], *doc = NULL, *sig = NULL;
	size_t len = 0, siglen = 0;
	int r;

	if (!o->keys.n) {
		errbuf_set(err, errsz, "verify needs at least one --key (a public key or .pub file)");
		return -EINVAL;
	}
	if ((size_t)snprintf(sigpath, sizeof(sigpath), "%s.sig", o->file) >= sizeof(sigpath))
		return -ENAMETOOLONG;
	r = docsig_keyring_load(&o->keys, &kr, why, sizeof(why));
	if (r == 0)
		r = read_whole(o->file, &doc, &len, why, sizeof(why));
	if (r == 0)
		r = read_whole(sigpath, &sig, &siglen, why, sizeof(why));
	if (r == 0)
		r = docsig_verify(&kr, doc, len, sig, siglen, res.key_id, why, sizeof(why));
	if (r == 0)
		r = docparse(doc, len, &d, why, sizeof(why));
	if (r == 0)
		r = docsig_check_document(&cfg, d, o->now, why, sizeof(why));
	if (r < 0) {
		errbuf_set(err, errsz, "%s: %s", o->file, why);
		goto out;
	}
	res.serial = d->serial;
	res.not_after = d->not_after;
	res.n_users = d->n_users;
	res.n_groups = d->n_groups;
	res.n_bindings = d->n_bindings;
	snprintf(res.audience, sizeof(res.audience), "%s", d->audience ? d->audience : "");
	*ret = res;
out:
	directory_free(d);
	free(doc);
	free(sig);
	docsig_keyring_free(&kr);
	return r;
}

/* SPDX-License-Identifier: MIT */
#include "sources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/docparse.h"
#include "base/errbuf.h"
#include "source/scim.h"
#include "source/scimpull.h"
#include "source/source.h"
#include "sync/syncjob.h"
#include "source/token.h"

int sources_scim(const struct prov_config *cfg, const char *url, const struct directory *prev,
		 struct directory **ret, char *err, size_t errsz)
{
	struct scim_prev ids = { 0 };
	struct scim_pull_result res = { 0 };
	struct scim_options so;
	char why[512], *token = NULL;
	int r;

	if (!cfg->token_file) {
		errbuf_set(err, errsz, "a SCIM source needs a token file (--token-file or [directory] token_file)");
		return -ENOENT;
	}
	r = token_load(cfg->token_file, &token, why, sizeof(why));
	if (r < 0) {
		errbuf_set(err, errsz, "%s", why);
		return r;
	}
	if (prev && scim_prev_collect(prev, &ids) < 0) {
		token_free(token);
		return -ENOMEM;
	}
	syncjob_scim_options(cfg, &so);
	struct scim_pull_opts o = {
		.base_url = url,
		.http = {
			.token = token,
			.ca_file = cfg->ca_file,
			.pinned_pubkey = cfg->pinned_pubkey,
			.connect_timeout_ms = cfg->connect_timeout_ms,
			.total_timeout_ms = cfg->timeout_ms,
			.max_bytes = cfg->max_bytes,
		},
		.page_size = cfg->scim_page_size,
		.scim = &so,
		.prev = ids.v,
		.n_prev = ids.n,
	};
	r = scim_pull(&o, &res, why, sizeof(why));
	token_free(token);
	scim_prev_free(&ids);
	if (r < 0) {
		errbuf_set(err, errsz, "SCIM %s: %s", url, why);
		scim_pull_result_free(&res);
		return r;
	}
	*ret = res.dir;
	res.dir = NULL;
	scim_pull_result_free(&res);
	return *ret ? 0 : -EIO;
}

int sources_document(const char *path, bool strict, struct directory **ret, char *err, size_t errsz)
{
	struct directory *d = NULL;
	char why[512], *buf = NULL;
	size_t len = 0;
	int r;

	r = source_read_file(path, &buf, &len, why, sizeof(why));
	if (r == 0)
		r = docparse(buf, len, &d, why, sizeof(why));
	free(buf);
	if (r < 0) {
		errbuf_set(err, errsz, "%s: %s", path, why);
		return r;
	}
	if (strict && d->n_refused) {
		errbuf_set(err, errsz, "%s: %s %s: %s", path,
			   d->refused[0].kind == DIR_KIND_BINDING ? "binding"
			   : d->refused[0].kind == DIR_KIND_USER  ? "user"
								  : "group",
			   d->refused[0].name ? d->refused[0].name : "?",
			   d->refused[0].reason ? d->refused[0].reason : "refused");
		directory_free(d);
		return -EINVAL;
	}
	*ret = d;
	return 0;
}

/* SPDX-License-Identifier: MIT */
#include "build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "source/docparse.h"
#include "source/docsig.h"
#include "source/docwrite.h"
#include "base/errbuf.h"
#include "keys.h"
#include "output.h"
#include "admit/snapshot.h"
#include "sources.h"
#include "sync/syncplan.h"

#define DEFAULT_NAME "directory.json"
#define SIG_LINE_MAX 160

int build_merge(struct directory *dst, struct directory *src)
{
	size_t i;

	for (i = 0; i < src->n_users; i++) {
		struct dir_user *u = directory_add_user(dst);

		if (!u)
			goto nomem;
		*u = src->users[i];
		memset(&src->users[i], 0, sizeof(src->users[i]));
	}
	for (i = 0; i < src->n_groups; i++) {
		struct dir_group *g = directory_add_group(dst);

		if (!g)
			goto nomem;
		*g = src->groups[i];
		memset(&src->groups[i], 0, sizeof(src->groups[i]));
	}
	for (i = 0; i < src->n_bindings; i++) {
		struct dir_binding *b = directory_add_binding(dst);

		if (!b)
			goto nomem;
		*b = src->bindings[i];
		memset(&src->bindings[i], 0, sizeof(src->bindings[i]));
	}
	return 0;
nomem:
	return -ENOMEM;
}

/* The publisher's own /etc/passwd says nothing about the hosts': unless a
 * config names account files, none are assumed local. */
static int load_config(const struct build_opts *o, struct prov_config *ret, char *err, size_t errsz)
{
	struct prov_config c;
	int r;

	if (o->config) {
		r = config_load(o->config, &c, err, errsz);
	} else {
		r = config_defaults(&c);
		if (r == 0) {
			free(c.passwd_file);
			free(c.group_file);
			c.passwd_file = strdup("/dev/null");
			c.group_file = strdup("/dev/null");
			if (!c.passwd_file || !c.group_file)
				r = -ENOMEM;
		}
	}
	if (r < 0)
		return r;
	if ((o->token_file && (free(c.token_file), !(c.token_file = strdup(o->token_file)))) ||
	    (o->ca_file && (free(c.ca_file), !(c.ca_file = strdup(o->ca_file))))) {
		config_free(&c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

/* Every source, merged into one raw snapshot. */
static int gather(const struct build_opts *o, const struct prov_config *cfg, const struct directory *prev,
		  struct directory **ret, char *err, size_t errsz)
{
	struct directory *all = directory_new(), *one = NULL;
	size_t i;
	int r = 0;

	if (!all)
		return -ENOMEM;
	if (o->scim_url)
		r = sources_scim(cfg, o->scim_url, prev, &one, err, errsz);
	if (r == 0 && one) {
		r = build_merge(all, one);
		directory_free(one);
		one = NULL;
	}
	for (i = 0; r == 0 && i < o->documents.n + o->bindings.n; i++) {
		bool strict = i >= o->documents.n;
		const char *path = strict ? o->bindings.v[i - o->documents.n] : o->documents.v[i];

		r = sources_document(path, strict, &one, err, errsz);
		if (r == 0)
			r = build_merge(all, one);
		directory_free(one);
		one = NULL;
	}
	if (r == -ENOMEM)
		errbuf_set(err, errsz, "out of memory");
	if (r < 0) {
		directory_free(all);
		return r;
	}
	*ret = all;
	return 0;
}

/* The previous output, admitted like a host admits it: the base for the
 * guard, for kept SCIM ids, and for the serial. */
static int load_previous(const struct build_opts *o, const struct prov_config *cfg, char **ret_doc,
			 size_t *ret_len, struct directory **ret, char *err, size_t errsz)
{
	char why[512];
	int r;

	*ret_doc = NULL;
	*ret = NULL;
	r = output_read(o->out_dir, o->name ? o->name : DEFAULT_NAME, ret_doc, ret_len, why, sizeof(why));
	if (r == -ENOENT)
		return 0;
	if (r == 0)
		r = snapshot_build(cfg, *ret_doc, *ret_len, ret, why, sizeof(why));
	if (r < 0) {
		free(*ret_doc);
		*ret_doc = NULL;
		errbuf_set(err, errsz, "previous output unusable (move it away to start over): %s", why);
	}
	return r;
}

static int guard(const struct build_opts *o, const struct prov_config *cfg, const struct directory *prev,
		 const struct directory *cand, struct build_result *res, char *err, size_t errsz)
{
	struct syncplan_policy pol = {
		.max_deprovision_share = cfg->max_deprovision_pct / 100.0,
		.deprovision_floor = cfg->deprovision_floor,
		.force = o->force,
		.check_serial = false,
		.now = o->now,
	};
	struct syncplan plan;
	int r;

	r = syncplan_compute(prev, NULL, 0, cand, NULL, 0, &pol, &plan);
	if (r < 0)
		return r;
	res->n_added = plan.users_added.n;
	res->n_deprovisioned = plan.users_deprovisioned.n;
	if (plan.verdict == SYNCPLAN_REJECT) {
		errbuf_set(err, errsz, "refused, nothing published: %s", plan.reason);
		r = -EPERM;
	}
	syncplan_free(&plan);
	return r;
}

static bool needs_renewal(const struct directory *prev, const struct build_opts *o)
{
	if (!o->validity_s)
		return prev->not_after != 0;
	return prev->not_after == 0 || prev->not_after - o->now < o->validity_s / 2;
}

/* Signature lines of every key over doc (and over prev_doc, if any). */
static int sign_all(struct pub_key *const *keys, size_t n_keys, const char *doc, size_t len, const char *prev_doc,
		    size_t prev_len, char **ret, size_t *ret_len)
{
	size_t cap = 2 * n_keys * SIG_LINE_MAX + 1, used = 0;
	char *buf = malloc(cap);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (size_t pass = 0; pass < 2 && r == 0; pass++) {
		const char *d = pass ? prev_doc : doc;
		size_t l = pass ? prev_len : len;

		if (!d)
			continue;
		for (size_t i = 0; i < n_keys && r == 0; i++) {
			r = pubkeys_sign_line(keys[i], d, l, buf + used, cap - used);
			used += strlen(buf + used);
		}
	}
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = used;
	return 0;
}

struct build_ctx {
	struct prov_config cfg;
	struct pub_key *keys[BUILD_MAX_KEYS];
	size_t n_keys;
	char *prev_doc, *doc, *sig;
	size_t prev_len, len, siglen;
	struct directory *prev, *cand;
};

static void ctx_free(struct build_ctx *c)
{
	for (size_t i = 0; i < c->n_keys; i++)
		pubkeys_free(c->keys[i]);
	free(c->prev_doc);
	free(c->doc);
	free(c->sig);
	directory_free(c->prev);
	directory_free(c->cand);
	config_free(&c->cfg);
}

static int write_doc(struct build_ctx *c, char *err, size_t errsz)
{
	char why[256];
	int r;

	free(c->doc);
	c->doc = NULL;
	r = docwrite(c->cand, &c->doc, &c->len, why, sizeof(why));
	if (r < 0)
		errbuf_set(err, errsz, "cannot write the document: %s", why);
	return r;
}

static int prepare(const struct build_opts *o, struct build_ctx *c, char *err, size_t errsz)
{
	struct directory *raw = NULL;
	char why[512];
	int r;

	if (!o->audience || !o->out_dir || !o->n_keys) {
		errbuf_set(err, errsz, "build needs --audience, --out and --key");
		return -EINVAL;
	}
	r = load_config(o, &c->cfg, err, errsz);
	for (size_t i = 0; r == 0 && i < o->n_keys; i++) {
		r = pubkeys_load(o->keys[i], &c->keys[i], err, errsz);
		if (r == 0)
			c->n_keys++;
	}
	if (r == 0)
		r = load_previous(o, &c->cfg, &c->prev_doc, &c->prev_len, &c->prev, err, errsz);
	if (r == 0)
		r = gather(o, &c->cfg, c->prev, &raw, err, errsz);
	if (r < 0)
		return r;
	raw->audience = strdup(o->audience);
	if (!raw->audience) {
		directory_free(raw);
		return -ENOMEM;
	}
	r = snapshot_admit(&c->cfg, raw, &c->cand, why, sizeof(why));
	if (r < 0) {
		errbuf_set(err, errsz, "cannot admit the directory: %s", why);
		return r;
	}
	/* What the hosts would refuse is not published: say so once here. */
	for (size_t i = 0; i < c->cand->n_refused; i++) {
		const struct dir_refusal *f = &c->cand->refused[i];

		fprintf(stderr, "prov-publish: %s %s %s: %s\n", f->corrected ? "note:" : "warning:",
			f->kind == DIR_KIND_USER ? "user" : f->kind == DIR_KIND_GROUP ? "group" : "binding",
			f->name ? f->name : "?", f->reason ? f->reason : "?");
	}
	return 0;
}

int build_run(const struct build_opts *o, struct build_result *ret, char *err, size_t errsz)
{
	struct build_ctx c = { 0 };
	struct build_result res = { 0 };
	int r;

	r = prepare(o, &c, err, errsz);
	if (r == 0)
		r = guard(o, &c.cfg, c.prev, c.cand, &res, err, errsz);
	if (r < 0)
		goto out;
	/* First as the previous output was made: equal bytes, nothing to do. */
	c.cand->serial = c.prev ? c.prev->serial : 0;
	c.cand->generated = c.prev ? c.prev->generated : 0;
	c.cand->not_after = c.prev ? c.prev->not_after : 0;
	r = write_doc(&c, err, errsz);
	if (r < 0)
		goto out;
	if (!c.prev || c.len != c.prev_len || memcmp(c.doc, c.prev_doc, c.len) != 0 || needs_renewal(c.prev, o)) {
		if (c.prev && c.prev->serial >= UINT64_MAX - 2) {
			errbuf_set(err, errsz, "the serial is exhausted");
			r = -EOVERFLOW;
			goto out;
		}
		c.cand->serial = c.prev ? c.prev->serial + 1 : 1;
		c.cand->generated = o->now;
		c.cand->not_after = o->validity_s ? o->now + o->validity_s : 0;
		r = write_doc(&c, err, errsz);
		if (r == 0)
			r = sign_all(c.keys, c.n_keys, c.doc, c.len, c.prev_doc, c.prev_len, &c.sig, &c.siglen);
		if (r == 0)
			r = output_write(o->out_dir, o->name ? o->name : DEFAULT_NAME, c.doc, c.len, c.sig, c.siglen,
					 o->gzip, err, errsz);
		if (r < 0)
			goto out;
		res.written = true;
	}
	res.serial = c.cand->serial;
	res.n_users = c.cand->n_users;
	res.n_groups = c.cand->n_groups;
	res.n_bindings = c.cand->n_bindings;
	res.n_refused = c.cand->n_refused;
	*ret = res;
out:
	if (r == -ENOMEM && err && !err[0])
		errbuf_set(err, errsz, "out of memory");
	ctx_free(&c);
	return r;
}

/* SPDX-License-Identifier: MIT */
/*
 * prov-publish: the central side of signed directory documents (issue 13).
 * A fleet runs "build" from a timer or CI and serves the output directory
 * from any web server, object store or CDN; provd on every host verifies
 * what it fetches (docsig.h). See prov-publish(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "build.h"
#include "source/fetch.h"
#include "keys.h"
#include "verify.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: prov-publish keygen PREFIX\n"
		   "       prov-publish build --out DIR --key FILE --audience NAME\n"
		   "                          [--scim URL] [--token-file FILE] [--ca-file FILE]\n"
		   "                          [--document FILE]... [--bindings FILE]... [--config FILE]\n"
		   "                          [--name NAME] [--validity DURATION] [--gzip] [--force]\n"
		   "       prov-publish verify FILE --key PUBKEY|FILE [--key ...] [--audience NAME]\n");
}

/* "3600", "90s", "30m", "12h", "7d"; 0 is allowed (no not_after). */
static int parse_duration(const char *s, int64_t *ret)
{
	static const struct {
		char c;
		int64_t mul;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	char *end = NULL;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0 || v > 3650LL * 86400)
		return -EINVAL;
	if (*end == '\0') {
		*ret = v;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (end[0] == units[i].c && end[1] == '\0' && v <= 3650LL * 86400 / units[i].mul) {
			*ret = v * units[i].mul;
			return 0;
		}
	return -EINVAL;
}

static int cmd_keygen(int argc, char **argv)
{
	char pub[128], err[512] = "";

	if (argc != 2) {
		usage(stderr);
		return 2;
	}
	if (pubkeys_generate(argv[1], pub, sizeof(pub), err, sizeof(err)) < 0) {
		fprintf(stderr, "prov-publish keygen: %s\n", err);
		return 1;
	}
	fprintf(stderr, "wrote %s.key (private, 0600) and %s.pub; put this in provd.conf [directory]:\n", argv[1],
		argv[1]);
	printf("trusted_keys = %s\n", pub);
	return 0;
}

enum { O_OUT = 256, O_KEY, O_AUD, O_SCIM, O_TOKEN, O_CA, O_DOC, O_BIND, O_CONFIG, O_NAME, O_VALID, O_FORCE, O_GZIP };

static const struct option build_options[] = {
	{ "out", required_argument, NULL, O_OUT },
	{ "key", required_argument, NULL, O_KEY },
	{ "audience", required_argument, NULL, O_AUD },
	{ "scim", required_argument, NULL, O_SCIM },
	{ "token-file", required_argument, NULL, O_TOKEN },
	{ "ca-file", required_argument, NULL, O_CA },
	{ "document", required_argument, NULL, O_DOC },
	{ "bindings", required_argument, NULL, O_BIND },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "name", required_argument, NULL, O_NAME },
	{ "validity", required_argument, NULL, O_VALID },
	{ "force", no_argument, NULL, O_FORCE },
	{ "gzip", no_argument, NULL, O_GZIP },
	{ NULL, 0, NULL, 0 },
};

static int build_arg(struct build_opts *o, int c, const char *arg)
{
	switch (c) {
	case O_OUT: o->out_dir = arg; return 0;
	case O_AUD: o->audience = arg; return 0;
	case O_SCIM: o->scim_url = arg; return 0;
	case O_TOKEN: o->token_file = arg; return 0;
	case O_CA: o->ca_file = arg; return 0;
	case O_CONFIG: o->config = arg; return 0;
	case O_NAME: o->name = arg; return 0;
	case O_FORCE: o->force = true; return 0;
	case O_GZIP: o->gzip = true; return 0;
	case O_DOC: return dir_strv_push(&o->documents, arg);
	case O_BIND: return dir_strv_push(&o->bindings, arg);
	case O_VALID: return parse_duration(arg, &o->validity_s);
	case O_KEY:
		if (o->n_keys == BUILD_MAX_KEYS)
			return -E2BIG;
		o->keys[o->n_keys++] = arg;
		return 0;
	}
	return -EINVAL;
}

static int cmd_build(int argc, char **argv)
{
	struct build_opts o = { .validity_s = 7 * 86400, .now = (int64_t)time(NULL) };
	struct build_result res;
	char err[1024] = "";
	int c, r = 0;

	optind = 1;
	while (r == 0 && (c = getopt_long(argc, argv, "", build_options, NULL)) != -1)
		r = c == '?' ? -EINVAL : build_arg(&o, c, optarg);
	if (r < 0 || optind != argc || (!o.scim_url && !o.documents.n && !o.bindings.n)) {
		if (r == 0)
			fprintf(stderr, "prov-publish build: name a source (--scim, --document or --bindings)\n");
		usage(stderr);
		r = 2;
		goto out;
	}
	r = build_run(&o, &res, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "prov-publish build: %s\n", err);
		r = 1;
		goto out;
	}
	printf("%s serial %llu: %zu users, %zu groups, %zu bindings (%zu added, %zu deprovisioned)\n",
	       res.written ? "published" : "unchanged", (unsigned long long)res.serial, res.n_users, res.n_groups,
	       res.n_bindings, res.n_added, res.n_deprovisioned);
	r = 0;
out:
	dir_strv_free(&o.documents);
	dir_strv_free(&o.bindings);
	return r;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "audience", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_opts o = { .now = (int64_t)time(NULL) };
	struct verify_result res;
	char err[1024] = "";
	int c, r = 0;

	optind = 1;
	while (r == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k')
			r = dir_strv_push(&o.keys, optarg);
		else if (c == 'a')
			o.audience = optarg;
		else
			r = -EINVAL;
	}
	if (r < 0 || optind != argc - 1) {
		usage(stderr);
		dir_strv_free(&o.keys);
		return 2;
	}
	o.file = argv[optind];
	r = verify_run(&o, &res, err, sizeof(err));
	dir_strv_free(&o.keys);
	if (r < 0) {
		fprintf(stderr, "prov-publish verify: %s\n", err);
		return 1;
	}
	printf("ok: serial %llu, audience %s, signed by key %s, %zu users, %zu groups, %zu bindings\n",
	       (unsigned long long)res.serial, res.audience[0] ? res.audience : "(none)", res.key_id, res.n_users,
	       res.n_groups, res.n_bindings);
	return 0;
}

int main(int argc, char **argv)
{
	int r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("prov-publish %s\n", PROV_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "build") != 0) {
		usage(stderr);
		return 2;
	}
	if (fetch_global_init() < 0) {
		fprintf(stderr, "prov-publish: cannot initialise libcurl\n");
		return 1;
	}
	r = cmd_build(argc - 1, argv + 1);
	fetch_global_cleanup();
	return r;
}

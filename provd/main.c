/* SPDX-License-Identifier: MIT */
/*
 * provd: config -> sockets -> directory (cache, then source) -> ready ->
 * loop -> teardown. Runs in the foreground (systemd Type=notify style).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "serve/cache_verify.h"
#include "config.h"
#include "source/fetch.h"
#include "base/log.h"
#include "prov/protocol.h"
#include "loop/server.h"
#include "access/sessions.h"
#include "serve/mappublish.h"
#include "admit/snapshot.h"
#include "source/docsig.h"
#include "source/source.h"
#include "store/state.h"
#include "sync/sync.h"

struct options {
	const char *config_path;
	bool config_given;
	bool check_config;
	bool verify_cache;
	bool debug;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: provd [options]\n"
		"  -c, --config PATH    config file (default " PROV_DEFAULT_CONFIG ")\n"
		"      --check-config   validate the config and a file:// (or demo:) directory, print \"ok\" or the error\n"
		"      --verify-cache   check the on-disk cache as provd would load it (provd need not run)\n"
		"      --foreground     run in the foreground (the default; provd never daemonizes itself)\n"
		"  -d, --debug          log debug messages too\n"
		"      --version        print the version\n"
		"  -h, --help           this text\n");
}

/* 0 to go on, 1 to exit 0 (--help, --version), -EINVAL on a usage error. */
static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_CHECK = 256, OPT_FOREGROUND, OPT_VERSION, OPT_VERIFY_CACHE };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "verify-cache", no_argument, NULL, OPT_VERIFY_CACHE },
		{ "foreground", no_argument, NULL, OPT_FOREGROUND },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->config_path = PROV_DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:dh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config_path = optarg;
			o->config_given = true;
			break;
		case OPT_CHECK:
			o->check_config = true;
			break;
		case OPT_VERIFY_CACHE:
			o->verify_cache = true;
			break;
		case OPT_FOREGROUND:
			break;
		case 'd':
			o->debug = true;
			break;
		case OPT_VERSION:
			printf("provd %s\n", PROV_VERSION);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "provd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* The default path may be absent (defaults apply); a path given with -c
 * must exist. */
static int load_config(const struct options *o, struct prov_config *ret, char *err, size_t errsz)
{
	int r = config_load(o->config_path, ret, err, errsz);

	if (r == -ENOENT && !o->config_given) {
		snprintf(err, errsz, "%s not found: using the built-in defaults", o->config_path);
		return config_defaults(ret) < 0 ? -ENOMEM : 1;
	}
	return r;
}

/* --check-config: the config, and the directory it names when that can be
 * read without the network. Refused entries are warnings, not failures:
 * provd serves the rest. */
static int check_config(const struct options *o)
{
	struct directory *d = NULL;
	struct prov_config cfg;
	char err[512], origin[256];
	char *doc = NULL;
	size_t len = 0, i;
	int r;

	r = load_config(o, &cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_FAILURE;
	}
	if (r == 1)
		fprintf(stderr, "note: %s\n", err);
	/* Key files are read at every pull; a bad one is better found now. */
	if (docsig_required(&cfg)) {
		struct docsig_keyring kr;

		r = docsig_keyring_load(&cfg.trusted_keys, &kr, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "%s\n", err);
			config_free(&cfg);
			return EXIT_FAILURE;
		}
		docsig_keyring_free(&kr);
	}
	if (!source_is_configured(&cfg)) {
		fprintf(stderr, "note: no directory source configured ([directory] url): provd will serve nobody\n");
		goto ok;
	}
	if (!source_is_file(&cfg) && !source_is_demo(&cfg)) {
		r = sync_check_token(&cfg, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "%s\n", err);
			config_free(&cfg);
			return EXIT_FAILURE;
		}
		fprintf(stderr, "note: network source not fetched by --check-config\n");
		goto ok;
	}
	r = source_fetch(&cfg, &doc, &len, origin, sizeof(origin), err, sizeof(err));
	if (r == 0)
		r = snapshot_build(&cfg, doc, len, &d, err, sizeof(err));
	free(doc);
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		config_free(&cfg);
		return EXIT_FAILURE;
	}
	for (i = 0; i < d->n_refused; i++) {
		const struct dir_refusal *f = &d->refused[i];

		fprintf(stderr, "warning: %s: %s %s refused: %s\n", origin,
			f->kind == DIR_KIND_USER ? "user" : f->kind == DIR_KIND_GROUP ? "group" : "binding",
			f->name ? f->name : "?", f->reason ? f->reason : "?");
	}
	directory_free(d);
ok:
	config_free(&cfg);
	printf("ok\n");
	return EXIT_SUCCESS;
}

/* --verify-cache: cache_verify.h, with the state_dir and admission rules
 * of the config a running provd would use. */
static int verify_cache(const struct options *o)
{
	struct prov_config cfg;
	char err[512];
	int r;

	r = load_config(o, &cfg, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_FAILURE;
	}
	if (r == 1)
		fprintf(stderr, "note: %s\n", err);
	r = cache_verify_print(&cfg, stdout);
	config_free(&cfg);
	return r;
}

int main(int argc, char **argv)
{
	struct server *srv = NULL;
	struct sessions *sessions = NULL;
	struct mappub *mappub = NULL;
	struct sync *sync = NULL;
	struct prov_config cfg;
	struct prov_state st;
	struct options o = { 0 };
	char err[512], summary[512];
	int r;

	/* First of all: provd must never resolve a name through nss_prov,
	 * which would ask provd itself (DESIGN invariant 9). Anything that
	 * looks up a user from here on (libcurl, libsystemd) sees this. */
	if (setenv(PROV_NSS_BYPASS_ENV, "1", 1) < 0)
		return EXIT_FAILURE;

	r = parse_args(argc, argv, &o);
	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : 2;
	log_init(LOG_TARGET_AUTO, o.debug ? LOG_DEBUG : LOG_INFO);
	if (o.check_config)
		return check_config(&o);
	if (o.verify_cache)
		return verify_cache(&o);

	r = load_config(&o, &cfg, err, sizeof(err));
	if (r < 0) {
		log_msg(LOG_ERR, "config: %s", err);
		return EXIT_FAILURE;
	}
	if (r == 1)
		log_msg(LOG_NOTICE, "%s", err);
	/* A token anyone could read or replace is refused before anything
	 * is served (issue 3); a missing one only for SCIM. */
	r = sync_check_token(&cfg, err, sizeof(err));
	if (r < 0) {
		log_msg(LOG_ERR, "cannot use the directory token: %s", err);
		config_free(&cfg);
		return EXIT_FAILURE;
	}
	/* Before any thread exists (libcurl's rule). */
	if (fetch_global_init() < 0) {
		log_msg(LOG_ERR, "cannot initialise libcurl");
		config_free(&cfg);
		return EXIT_FAILURE;
	}
	if (state_init(&st, o.config_path, !o.config_given, &cfg) < 0) {
		config_free(&cfg);
		return EXIT_FAILURE;
	}

	/* Sockets before the directory: a second provd stops here, before it
	 * could touch the first one's cache. */
	r = server_new(&st, &srv, err, sizeof(err));
	if (r < 0) {
		log_msg(LOG_ERR, "cannot serve: %s", err);
		state_free(&st);
		return EXIT_FAILURE;
	}
	/* Before the first directory goes in: the login path learns who may
	 * log in from it, and ends sessions when a later one takes that away
	 * (or a grant's not_after passes). */
	r = sessions_new(&st, NULL, &sessions);
	if (r == 0)
		r = sessions_attach(sessions, srv);
	if (r < 0) {
		log_msg(LOG_ERR, "cannot watch for revoked access: %s", strerror(-r));
		sessions_free(sessions);
		server_free(srv);
		state_free(&st);
		return EXIT_FAILURE;
	}
	/* Before the first directory too: the cache loaded next is published
	 * for nss_prov before READY. Without it lookups use the socket. */
	r = mappub_new(&st, srv, &mappub);
	if (r < 0)
		log_msg(LOG_ERR, "cannot publish lookup snapshots (lookups use the socket): %s", strerror(-r));
	state_load_initial(&st);
	if (!st.dir)
		mappub_withdraw(mappub);
	else
		mappub_refresh(mappub, (int64_t)time(NULL)); /* last_ok is final now: before READY */
	/* After the sockets: the pull worker inherits their signal mask. */
	r = sync_new(srv, &st, &sync);
	if (r < 0) {
		log_msg(LOG_ERR, "cannot set up the sync: %s", strerror(-r));
		mappub_free(mappub);
		sessions_free(sessions);
		server_free(srv);
		state_free(&st);
		return EXIT_FAILURE;
	}
	state_notify(&st);
	state_summary(&st, summary, sizeof(summary));
	log_msg(LOG_NOTICE, "provd %s ready: %s", PROV_VERSION, summary);

	r = server_run(srv);
	if (r < 0)
		log_msg(LOG_ERR, "event loop failed: %s", strerror(-r));
	sd_notify(0, "STOPPING=1");
	sync_free(sync);
	mappub_free(mappub);
	sessions_free(sessions);
	server_free(srv);
	state_free(&st);
	log_msg(LOG_INFO, "stopped");
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

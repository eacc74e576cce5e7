/* SPDX-License-Identifier: MIT */
#include "source/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "source/docparse.h"
#include "source/docsig.h"
#include "source/demo.h"
#include "urlredact.h"

bool source_is_demo(const struct prov_config *cfg)
{
	return cfg->urls.n == 1 && strcmp(cfg->urls.v[0], SOURCE_DEMO_URL) == 0;
}

bool source_is_configured(const struct prov_config *cfg)
{
	return cfg->urls.n > 0;
}

bool source_is_file(const struct prov_config *cfg)
{
	size_t i;

	if (cfg->source_type != SOURCE_DOCUMENT || cfg->urls.n == 0)
		return false;
	for (i = 0; i < cfg->urls.n; i++)
		if (strncmp(cfg->urls.v[i], "file://", 7) != 0)
			return false;
	return true;
}

static uint64_t fnv1a(uint64_t h, const char *p, size_t n)
{
	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* scheme://[userinfo@]host[:port]/path[?query][#fragment]: hashes all but
 * the userinfo, the query and the fragment. */
static uint64_t hash_url(uint64_t h, const char *u)
{
	const char *auth = strstr(u, "://"), *end, *at;
	size_t n;

	if (!auth)
		return fnv1a(h, u, strlen(u));
	auth += 3;
	h = fnv1a(h, u, (size_t)(auth - u));
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	/* the last '@' of the authority ends the userinfo */
	while (at && memchr(at + 1, '@', (size_t)(end - at - 1)))
		at = memchr(at + 1, '@', (size_t)(end - at - 1));
	if (at)
		auth = at + 1;
	n = strcspn(auth, "?#");
	return fnv1a(h, auth, n);
}

void source_identity(const struct prov_config *cfg, char *ret, size_t retsz)
{
	const char *type = cfg->source_type == SOURCE_SCIM ? "scim" : "document";
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	if (!source_is_configured(cfg)) {
		snprintf(ret, retsz, "%s", "");
		return;
	}
	h = fnv1a(h, type, strlen(type));
	for (i = 0; i < cfg->urls.n; i++) {
		h = fnv1a(h, "\n", 1);
		h = hash_url(h, cfg->urls.v[i]);
	}
	snprintf(ret, retsz, "%s:%016llx", type, (unsigned long long)h);
}

static int fetch_url(const struct prov_config *cfg, const char *url, char **ret_doc, size_t *ret_len, char *err,
		     size_t errsz)
{
	if (cfg->source_type == SOURCE_DOCUMENT && strncmp(url, "file://", 7) == 0) {
		int r = source_read_file(url + 7, ret_doc, ret_len, err, errsz);

		/* With trusted keys, a local file is signed like any other. */
		if (r == 0 && (r = docsig_check_file(cfg, url + 7, *ret_doc, *ret_len, time(NULL), err, errsz)) < 0) {
			free(*ret_doc);
			*ret_doc = NULL;
		}
		return r;
	}
	snprintf(err, errsz, "%s: %s sources are not supported by this build yet", url,
		 cfg->source_type == SOURCE_SCIM ? "scim" : "network");
	return -EOPNOTSUPP;
}

int source_fetch(const struct prov_config *cfg, char **ret_doc, size_t *ret_len, char *ret_origin, size_t originsz,
		 char *err, size_t errsz)
{
	size_t i, len;
	int r = -ENOENT;

	if (cfg->urls.n == 0) {
		snprintf(err, errsz, "no directory source configured ([directory] url)");
		return -ENOENT;
	}
	if (source_is_demo(cfg)) {
		const char *demo = demo_document(&len);
		char *copy = malloc(len + 1);

		if (!copy) {
			snprintf(err, errsz, "out of memory");
			return -ENOMEM;
		}
		memcpy(copy, demo, len);
		copy[len] = '\0';
		*ret_doc = copy;
		*ret_len = len;
		snprintf(ret_origin, originsz, "embedded demo");
		return 0;
	}
	/* Failover: the first URL that answers wins; the error reported is
	 * the last one's (each is in the log through the caller). */
	for (i = 0; i < cfg->urls.n; i++) {
		r = fetch_url(cfg, cfg->urls.v[i], ret_doc, ret_len, err, errsz);
		if (r == 0) {
			/* The origin is shown (status, log): never a URL's
			 * credentials (urlredact.h). */
			url_redact_text(cfg->urls.v[i], ret_origin, originsz);
			return 0;
		}
	}
	url_redact_inplace(err, errsz);
	return r;
}

/* SPDX-License-Identifier: MIT */
/*
 * Where prov-publish reads the directory from (build.h): a SCIM service
 * through provd's own scim_pull(), and prov documents / bindings files
 * through provd's own docparse().
 */
#ifndef PROV_PUBLISH_SOURCES_H
#define PROV_PUBLISH_SOURCES_H

#include <stdbool.h>

#include "config.h"
#include "model/directory.h"

/* One complete SCIM pull (all pages or nothing) into a raw snapshot. ids
 * given earlier (prev: the previous output) are kept. */
int sources_scim(const struct prov_config *cfg, const char *url, const struct directory *prev,
		 struct directory **ret, char *err, size_t errsz);

/* A prov document file. strict: an entry of the wrong shape fails it (a
 * bindings file is the publisher's own: a typo must not drop a grant). */
int sources_document(const char *path, bool strict, struct directory **ret, char *err, size_t errsz);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Stage admit (provd/admit/, in the order of provd/stages.txt) takes
 * document bytes or a raw snapshot, the host's own account files
 * (localdb.h) and what this host served before (prior.h, idledger.h).
 * Gives a snapshot ready to serve: admitted (admit.h), with its refusals
 * and notes, and indexed.
 *
 * From document bytes to a snapshot ready to serve: parse, read the local
 * account files, admit, index. Used for a fresh pull, for the on-disk cache
 * at start-up, and for the embedded demo document alike, so the same rules
 * apply to every path a directory can take into provd.
 */
#ifndef PROV_SNAPSHOT_H
#define PROV_SNAPSHOT_H

#include <stddef.h>

#include "config.h"
#include "source/demo.h"
#include "model/directory.h"

int snapshot_build(const struct prov_config *cfg, const char *doc, size_t len, struct directory **ret,
		   char *err, size_t errsz);

/* The same for a directory already parsed (a SCIM pull): admits and
 * indexes raw, which it takes over (freed on error). *ret is raw itself on
 * success; the document bytes never exist, which keeps a big pull from
 * holding a parse tree, the model and a JSON copy at once. */
int snapshot_admit(const struct prov_config *cfg, struct directory *raw, struct directory **ret, char *err,
		   size_t errsz);

/* What was served before (prior.h), for the collision rules: prev is the
 * snapshot served now (NULL at start-up), known the id ledger's held
 * entries and the retained removed users (removed_prior()). */
struct snapshot_prior {
	const struct directory *prev;
	const struct prior_entry *known;
	size_t n_known;
};

/* snapshot_build() / snapshot_admit() with a prior (NULL = none: every
 * collision refuses all its entries). */
int snapshot_build_prior(const struct prov_config *cfg, const struct snapshot_prior *prior, const char *doc,
			 size_t len, struct directory **ret, char *err, size_t errsz);
int snapshot_admit_prior(const struct prov_config *cfg, const struct snapshot_prior *prior, struct directory *raw,
			 struct directory **ret, char *err, size_t errsz);

#endif

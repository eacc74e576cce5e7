/* SPDX-License-Identifier: MIT */
/*
 * Replacing a small file of provd's state (the id ledger, the removed-user
 * list) so that a crash or power loss leaves the old file or the new one,
 * never a mix: a temp file in the same directory, fsync, rename over the
 * old name, fsync of the directory (the rename is durable only then).
 */
#ifndef PROV_STATEFILE_H
#define PROV_STATEFILE_H

#include <stdio.h>

/* Writes dir/name (mode 0600; dir made 0700 if missing) with what fill
 * writes to f (0, or -errno to give up: the old file stays). The temp file
 * is dir/.name.tmp.<pid>, opened without following a symlink; it is gone
 * whatever happens. 0 or -errno. */
int statefile_replace(const char *dir, const char *name, int (*fill)(FILE *f, void *arg), void *arg);

#endif

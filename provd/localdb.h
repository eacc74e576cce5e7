/* SPDX-License-Identifier: MIT */
/*
 * The host's own accounts, read straight from the files (never through NSS:
 * provd must not resolve names through its own module). Local accounts win
 * (DESIGN invariant 1), so admit.c asks this set before serving anything.
 */
#ifndef PROV_LOCALDB_H
#define PROV_LOCALDB_H

#include <stdbool.h>
#include <stdint.h>

#include "directory.h"

struct localdb;

/* Reads passwd_path and group_path (colon-separated files). A missing file
 * is an error: without it provd cannot know what it must not shadow. */
int localdb_load(const char *passwd_path, const char *group_path, struct localdb **ret, char *err, size_t errsz);
void localdb_free(struct localdb *db);

bool localdb_has_user(const struct localdb *db, const char *name);
bool localdb_has_uid(const struct localdb *db, uint32_t uid);
bool localdb_has_group(const struct localdb *db, const char *name);
bool localdb_has_gid(const struct localdb *db, uint32_t gid);

/* Reads /etc/shells-style file: one absolute path per line, '#' comments. */
int shells_load(const char *path, struct dir_strv *ret);

#endif

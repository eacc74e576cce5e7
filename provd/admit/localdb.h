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

#include "model/directory.h"

struct localdb;

/* Reads passwd_path and group_path (colon-separated files). A missing file
 * is an error: without it provd cannot know what it must not shadow.
 * Blank lines and '#' comments are skipped, and so are the NIS compat
 * lines "+", "+@netgroup" and "-..."; "+name" reserves name. A line whose id
 * field is not a number still contributes its name (refusing too much is
 * safe; shadowing is not). */
int localdb_load(const char *passwd_path, const char *group_path, struct localdb **ret, char *err, size_t errsz);
void localdb_free(struct localdb *db);

bool localdb_has_user(const struct localdb *db, const char *name);
bool localdb_has_uid(const struct localdb *db, uint32_t uid);
bool localdb_has_group(const struct localdb *db, const char *name);
bool localdb_has_gid(const struct localdb *db, uint32_t gid);

/* Same as has_user/has_group, ignoring ASCII case ("Root" finds "root"). */
bool localdb_has_user_nocase(const struct localdb *db, const char *name);
bool localdb_has_group_nocase(const struct localdb *db, const char *name);

/* A local account's home directory is exactly path. */
bool localdb_has_home(const struct localdb *db, const char *path);

/* Reads /etc/shells-style file: one absolute path per line, '#' comments,
 * surrounding white space ignored. *ret is written only on success. */
int shells_load(const char *path, struct dir_strv *ret);

#endif

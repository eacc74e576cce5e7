/* SPDX-License-Identifier: MIT */
/*
 * The sudo group (provd.conf [accounts] sudo_group, sudo_gid; default
 * prov-sudo, gid 29999), served by nss_prov next to the directory's groups
 * and granted by packaging/sudoers/prov. Its members are exactly the active
 * users with a sudo grant in force on this host now (decision.h).
 *
 * The members are derived once per served snapshot (derived.h) and again
 * at the first request at or after the earliest not_after they depend on:
 * a grant that expires is out of the group the very second it expires,
 * with no sync and no timer (DESIGN invariant 3: "sudo is gone at the same
 * time"), and a lookup costs O(members), an initgroups O(1) (DESIGN
 * invariant 12: no local user can make provd slow by asking).
 *
 * Local accounts win (DESIGN invariant 1): when group_file has a group of
 * that name (in any case) or that gid, the group is not served at all and
 * a warning says why. The directory cannot take its name or gid either
 * (admit.h reserved_group/reserved_gid refuses such entries).
 */
#ifndef PROV_SUDOGROUP_H
#define PROV_SUDOGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "loop/dispatch.h"

/* true when the sudo group may be served: its name and gid are not in the
 * local group file. The verdict is cached until group_file changes (its
 * inode, size or mtime), and logged when it turns to "not served". */
bool sudogroup_served(const struct prov_config *cfg);

bool sudogroup_is_name(const struct prov_config *cfg, const char *name);
bool sudogroup_is_gid(const struct prov_config *cfg, uint32_t gid);

/* The group record (name, gid, members now) for ctx's state. PROV_ST_OK,
 * PROV_ST_NOT_FOUND when it is not served, PROV_ST_UNAVAILABLE without a
 * directory, PROV_ST_INTERNAL when out of memory or the record does not
 * fit. */
int sudogroup_put(const struct dispatch_ctx *ctx, struct prov_writer *w);

/* u belongs to the sudo group now (and the group is served). */
bool sudogroup_has_member(const struct dispatch_ctx *ctx, const struct dir_user *u);

#endif

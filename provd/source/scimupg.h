/* SPDX-License-Identifier: MIT */
/*
 * User private groups for SCIM users without a gidNumber (issue 9), as
 * useradd's USERGROUPS makes them: a group of the user's name whose gid is
 * the user's primary gid (her derived uid, see scim.h), with no members
 * (the primary gid needs none). Without it `id`, `ls -l` and `ps` show a
 * bare number for every such user.
 *
 * A private group is made only where it cannot be mistaken for anything
 * else; otherwise the user is served with her number alone and a note
 * says why:
 *  - a directory group has her name (ignoring case) or her SCIM id: the
 *    directory's group is the one that counts (admission then refuses it
 *    unless it is her private group already, admit.c: a group of her exact
 *    name and gid is, and then needs no note);
 *  - a directory group has her gid: that group is her primary group;
 *  - another user's explicit gidNumber is her gid: that user's primary
 *    group must not be named after her (unless that user claims her uid
 *    too: admission refuses one of the two, and keeps an established
 *    user's group, admit.h).
 * A local group of her name or gid is left to admission (local accounts
 * win, DESIGN invariant 1): the private group is refused there, and with a
 * local gid the user too.
 *
 * The group's id is the user's SCIM id: the group is part of her identity
 * and goes with it (a user re-created under a new id gets a new group).
 */
#ifndef PROV_SCIMUPG_H
#define PROV_SCIMUPG_H

#include <stdbool.h>

#include "model/directory.h"

/*
 * Appends the private groups to d (a raw SCIM snapshot: users, then the
 * directory's groups), in user order. explicit_gid[i] tells whether user
 * i's gid came from the directory (such users get none). 0 or -ENOMEM.
 */
int scimupg_add(struct directory *d, const bool *explicit_gid);

#endif

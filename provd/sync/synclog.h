/* SPDX-License-Identifier: MIT */
/*
 * The journal side of an applied pull (DESIGN invariant 10): one audit
 * event per user, group and binding that changed, with structured fields,
 * and one summary event. Events:
 *
 *   user_added, user_changed (PROV_FIELDS: "uid,shell,..."; PROV_OLD_NAME
 *   on a rename), user_deprovisioned (PROV_REASON: inactive | removed),
 *   user_removed (was inactive already), group_added, group_changed,
 *   group_removed, binding_added, binding_changed, binding_removed,
 *   directory_synced (the counts).
 *
 * Every event carries PROV_ORIGIN (the URL) and the entry's PROV_USER /
 * PROV_GROUP / PROV_BINDING and PROV_ID. The first directory a host ever
 * gets is summarised only: it is not a change to anything.
 */
#ifndef PROV_SYNCLOG_H
#define PROV_SYNCLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/syncplan.h"

void synclog_plan(const struct syncplan *plan, const char *origin, bool first);

#endif

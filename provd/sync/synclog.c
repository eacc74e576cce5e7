/* SPDX-License-Identifier: MIT */
#include "sync/synclog.h"

#include <stdio.h>
#include <time.h>

#include "base/log.h"

/* kind: "user", "group", "binding"; field: its PROV_ key. */
static void log_list(const struct syncplan_list *l, const char *event, const char *kind, const char *field,
		     const char *what, const char *origin)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct syncplan_entry *e = &l->v[i];
		char fields[128] = "";

		if (e->fields)
			syncplan_fields_str(e->fields, fields, sizeof(fields));
		log_event(LOG_NOTICE, event,
			  LOG_FIELDS({ field, e->name }, { "PROV_ID", e->id }, { "PROV_ORIGIN", origin },
				     { "PROV_FIELDS", e->fields ? fields : NULL }, { "PROV_OLD_NAME", e->old_name }),
			  "%s %s %s%s%s%s%s", kind, e->name ? e->name : "?", what, e->fields ? " (" : "",
			  e->fields ? fields : "", e->fields ? ")" : "", e->old_name ? ", renamed" : "");
	}
}

static void log_deprovisioned(const struct syncplan_list *l, const char *origin)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct syncplan_entry *e = &l->v[i];
		const char *why = e->why == SYNCPLAN_INACTIVE ? "inactive" : "removed";

		log_event(LOG_NOTICE, "user_deprovisioned",
			  LOG_FIELDS({ "PROV_USER", e->name }, { "PROV_ID", e->id }, { "PROV_ORIGIN", origin },
				     { "PROV_REASON", why }),
			  "user %s deprovisioned (%s in the directory)", e->name ? e->name : "?",
			  e->why == SYNCPLAN_INACTIVE ? "made inactive" : "removed");
	}
}

void synclog_plan(const struct syncplan *p, const char *origin, bool first)
{
	char summary[256], n[5][24];

	if (!first) {
		log_list(&p->users_added, "user_added", "user", "PROV_USER", "added", origin);
		log_list(&p->users_changed, "user_changed", "user", "PROV_USER", "changed", origin);
		log_deprovisioned(&p->users_deprovisioned, origin);
		log_list(&p->users_purged, "user_removed", "user", "PROV_USER", "removed (was inactive)", origin);
		log_list(&p->groups_added, "group_added", "group", "PROV_GROUP", "added", origin);
		log_list(&p->groups_changed, "group_changed", "group", "PROV_GROUP", "changed", origin);
		log_list(&p->groups_removed, "group_removed", "group", "PROV_GROUP", "removed", origin);
		log_list(&p->bindings_added, "binding_added", "binding", "PROV_BINDING", "added", origin);
		log_list(&p->bindings_changed, "binding_changed", "binding", "PROV_BINDING", "changed", origin);
		log_list(&p->bindings_removed, "binding_removed", "binding", "PROV_BINDING", "removed", origin);
	}
	syncplan_summary(p, summary, sizeof(summary));
	snprintf(n[0], sizeof(n[0]), "%zu", p->users_added.n);
	snprintf(n[1], sizeof(n[1]), "%zu", p->users_changed.n);
	snprintf(n[2], sizeof(n[2]), "%zu", p->users_deprovisioned.n);
	snprintf(n[3], sizeof(n[3]), "%zu", p->users_purged.n);
	snprintf(n[4], sizeof(n[4]), "%zu",
		 p->groups_added.n + p->groups_changed.n + p->groups_removed.n + p->bindings_added.n +
			 p->bindings_changed.n + p->bindings_removed.n);
	log_event(LOG_NOTICE, "directory_synced",
		  LOG_FIELDS({ "PROV_ORIGIN", origin }, { "PROV_USERS_ADDED", n[0] }, { "PROV_USERS_CHANGED", n[1] },
			     { "PROV_USERS_DEPROVISIONED", n[2] }, { "PROV_USERS_REMOVED", n[3] },
			     { "PROV_GROUPS_BINDINGS_CHANGED", n[4] }, { "PROV_FORCED", p->forced ? "yes" : "no" }),
		  "%s from %s: %s", first ? "first directory" : "directory changes applied", origin, summary);
}

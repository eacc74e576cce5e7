/* SPDX-License-Identifier: MIT */
/*
 * Every request provd answers, as the tables of the stages that answer
 * them (dispatch.h). A new request: its opcode in include/prov/protocol.h,
 * its handler in the table of the stage it belongs to, and, for a new
 * table, one line here. At the top of provd/ with main.c because it names
 * every stage, and the dispatcher (loop/) comes before all of them.
 */
#include "loop/dispatch.h"

#include "access/login_handlers.h"
#include "serve/cache_verify.h"
#include "serve/lookup.h"
#include "serve/status.h"
#include "sync/sync.h"

const struct dispatch_table *const dispatch_tables[] = {
	&dispatch_lookup_table, /* serve/lookup.c: PW_*, GR_*, INITGROUPS */
	&dispatch_status_table, /* serve/status.c: STATUS */
	&login_dispatch_table, /* access/login_handlers.c: ACCESS_CHECK, SESSION_*, SSH_KEYS */
	&sync_dispatch_table,  /* sync/sync.c: REFRESH */
	&cache_verify_dispatch_table, /* serve/cache_verify.c: CACHE_VERIFY */
};

const size_t dispatch_ntables = sizeof(dispatch_tables) / sizeof(dispatch_tables[0]);

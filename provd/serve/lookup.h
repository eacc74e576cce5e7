/* SPDX-License-Identifier: MIT */
/*
 * Stage serve (provd/serve/, in the order of provd/stages.txt) takes the
 * served state and the access stage. Gives the answers to the lookups
 * (this header) and STATUS (status.h), the mapped snapshot nss_prov reads
 * without asking (mapwrite.h, mappublish.h), CACHE_VERIFY
 * (cache_verify.h).
 *
 * The lookups nss_prov asks over the public socket (protocol.h opcodes
 * PW_BY_NAME .. GR_ENUM), answered from the served snapshot, with the
 * users removed within deprovisioned_retention (removed.h) and the sudo
 * group (sudogroup.h) next to the directory's. The mapped snapshot
 * (mapwrite.h) is built by asking these same handlers.
 */
#ifndef PROV_LOOKUP_H
#define PROV_LOOKUP_H

#include "loop/dispatch.h"

extern const struct dispatch_table dispatch_lookup_table;

#endif

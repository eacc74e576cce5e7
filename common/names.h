/* SPDX-License-Identifier: MIT */
/*
 * Names for protocol values, the same in provd's journal and audit fields
 * and in provctl's output, so an operator can match one to the other.
 */
#ifndef PROV_NAMES_H
#define PROV_NAMES_H

#include <stdint.h>

/* "allow", "unknown", "expired", "no_grant", "stale" for the
 * PROV_DECIDE_* values; "invalid" for anything else (a value off the wire
 * is not trusted to be one of them). */
const char *prov_decision_name(uint32_t d);

#endif

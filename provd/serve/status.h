/* SPDX-License-Identifier: MIT */
/*
 * STATUS (any peer): what `provctl status` prints, as key/value pairs:
 * the source, the served snapshot and its age, the sync's health, the
 * mapped snapshot, the counters, the last error.
 */
#ifndef PROV_STATUS_H
#define PROV_STATUS_H

#include "loop/dispatch.h"

extern const struct dispatch_table dispatch_status_table;

#endif

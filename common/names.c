/* SPDX-License-Identifier: MIT */
#include "names.h"

#include "prov/protocol.h"

const char *prov_decision_name(uint32_t d)
{
	switch (d) {
	case PROV_DECIDE_ALLOW:
		return "allow";
	case PROV_DECIDE_UNKNOWN:
		return "unknown";
	case PROV_DECIDE_EXPIRED:
		return "expired";
	case PROV_DECIDE_NO_GRANT:
		return "no_grant";
	case PROV_DECIDE_STALE:
		return "stale";
	}
	return "invalid";
}

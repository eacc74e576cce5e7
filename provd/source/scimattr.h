/* SPDX-License-Identifier: MIT */
/*
 * SCIM attribute access as RFC 7643 section 2.1 says it works: attribute
 * names, the schema URNs of extensions included, are case-insensitive. A
 * server may send "Active", "USERNAME" or "totalresults"; reading only the
 * spelling of the RFC's examples would, for "Active": false, leave a
 * deactivated user active.
 *
 * Case-insensitive names make "active": true next to "ACTIVE": false one
 * attribute given twice. Which one a server meant cannot be known, so such
 * an object is ambiguous: scimattr_duplicate() finds it, and the caller
 * refuses the resource (or the page) instead of guessing.
 *
 * A helper of scim.c, the one other file (with docparse.c) that sees json-c.
 */
#ifndef PROV_SCIMATTR_H
#define PROV_SCIMATTR_H

#include <stdbool.h>

#include <json-c/json.h>

/* o[key], names compared ignoring ASCII case; NULL when o is not an
 * object, or the attribute is absent or null. The exact spelling is tried
 * first (one hash lookup: what well-behaved servers send). */
struct json_object *scimattr_get(struct json_object *o, const char *key);

/* A name that appears twice in o ignoring case (the second spelling seen),
 * or NULL. With nested, objects inside o (also inside arrays) are checked
 * too. The pointer is into o. */
const char *scimattr_duplicate(struct json_object *o, bool nested);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * SCIM 2.0 (RFC 7643/7644) ListResponse pages of /Users and /Groups into a
 * RAW directory snapshot (not admitted, not indexed): the caller runs the
 * same admission as for any document before serving it.
 *
 * How SCIM maps onto the model (attribute names, extension URNs and the
 * configured attribute names compared ignoring case, RFC 7643 section 2.1;
 * a resource naming one attribute twice in two spellings is refused, a
 * page doing so is malformed: see scimattr.h):
 *  - login name: userName (SCIM compares it case-insensitively, so two
 *    users whose names differ only in case are a conflict, decided by
 *    admission: the one served before stays, else both are refused);
 *    with strip_domain, "alice@example.com" gives "alice";
 *  - active: a boolean, or the strings "true"/"false" in any case (one
 *    major IdP sends "False"); absent means active;
 *  - POSIX attributes from a schema extension, looked up as the object
 *    resource[urn][attr] or the flattened key resource["urn:attr"]:
 *    uidNumber, gidNumber, loginShell, homeDirectory, gecos, sshPublicKey
 *    (a string, an array of strings, or SCIM multi-valued [{"value": ..}]);
 *    uidNumber/gidNumber may be a JSON integer or a decimal string;
 *  - gecos: the extension's gecos, else displayName, else name.formatted,
 *    else "givenName familyName";
 *  - uid without uidNumber, group gid without gidNumber: derived with
 *    idmap (keys "u:<id>" and "g:<id>"); a user's primary gid without
 *    gidNumber is its uid, and a user private group of her name and that
 *    gid is added where it collides with nothing (scimupg.h);
 *  - groups: displayName is the name; members are resolved by SCIM id
 *    ("value") to login names; nested groups and unknown ids are skipped
 *    (with a note).
 * Users and groups come out sorted by SCIM id, so the same directory gives
 * the same snapshot (and the same cache bytes) whatever the page order.
 *
 * The only file of provd besides docparse.c that sees json-c.
 */
#ifndef PROV_SCIM_H
#define PROV_SCIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/directory.h"
#include "source/idmap.h"

/* Defaults, following the naming RFC 7643 uses for extensions (as
 * Microsoft Entra's custom extensions do); Oracle IDCS users set
 * "urn:ietf:params:scim:schemas:oracle:idcs:extension:posix:User". */
#define SCIM_DEFAULT_USER_URN "urn:ietf:params:scim:schemas:extension:posix:2.0:User"
#define SCIM_DEFAULT_GROUP_URN "urn:ietf:params:scim:schemas:extension:posix:2.0:Group"
#define SCIM_DEFAULT_ID_MIN 200000u
#define SCIM_DEFAULT_ID_MAX 999999u
/* A directory claiming more is refused (and a broken server cannot make
 * us page forever). */
#define SCIM_MAX_RESOURCES 2000000u
#define SCIM_MAX_PAGE_BYTES (64u << 20)

struct scim_options {
	const char *user_urn;    /* NULL = SCIM_DEFAULT_USER_URN */
	const char *group_urn;   /* NULL = SCIM_DEFAULT_GROUP_URN */
	const char *attr_uid;    /* NULL = "uidNumber" */
	const char *attr_gid;    /* NULL = "gidNumber" */
	const char *attr_shell;  /* NULL = "loginShell" */
	const char *attr_home;   /* NULL = "homeDirectory" */
	const char *attr_gecos;  /* NULL = "gecos" */
	const char *attr_keys;   /* NULL = "sshPublicKey" */
	bool strip_domain;       /* userName "a@b" -> login "a" */
	uint32_t id_min, id_max; /* derivation range; 0,0 = the defaults */
};

enum scim_kind {
	SCIM_USERS,
	SCIM_GROUPS,
};

/* What one page said, for the pager. */
struct scim_page {
	uint64_t total;        /* totalResults */
	uint64_t start;        /* startIndex as echoed, else as requested */
	size_t n_resources;    /* entries in Resources */
	size_t n_new;          /* of them, ids not seen on earlier pages */
};

struct scim_sync; /* collects pages of one pull */

int scim_sync_new(const struct scim_options *o, struct scim_sync **ret);
void scim_sync_free(struct scim_sync *s);

/*
 * Parses one ListResponse (len bytes) that answered a request for
 * requested_start. A page that is not a ListResponse (not JSON, no
 * totalResults, Resources not an array, ...) is -EBADMSG with the reason in
 * err, and nothing of it is kept. A single resource of the wrong shape
 * becomes a refusal (its user is then absent: deprovisioned, never
 * half-read). Resources whose id was already seen are skipped (pages that
 * shift or overlap).
 */
int scim_sync_add_page(struct scim_sync *s, enum scim_kind kind, uint64_t requested_start, const char *buf,
		       size_t len, struct scim_page *ret_page, char *err, size_t errsz);

/* Number of distinct resources of a kind collected so far. */
size_t scim_sync_count(const struct scim_sync *s, enum scim_kind kind);

/* Whether a resource of that id was on a page (refused ones included). */
bool scim_sync_seen(const struct scim_sync *s, enum scim_kind kind, const char *id);

/*
 * Builds the raw directory from everything collected: conflicts refused,
 * members resolved, ids derived (prev: the assignments of the last good
 * snapshot, see scim_prev_collect()). Call it once; afterwards s can only
 * be freed. -ENOSPC when the id range is full (err says so).
 */
int scim_sync_finish(struct scim_sync *s, const struct idmap_prev *prev, size_t n_prev, struct directory **ret,
		     char *err, size_t errsz);

/*
 * The paging decision, pure. After each page, scim_pager_advance() either
 * sets done, or next_start (the startIndex to ask for next, 1-based). It
 * copes with servers returning fewer than asked or ignoring count (next =
 * start + resources actually returned). Errors (-EBADMSG, reason in err):
 * a page that does not advance (the same or a lower startIndex again, or an
 * empty page before totalResults is reached), totalResults over
 * SCIM_MAX_RESOURCES. -ESTALE when the pages are not one snapshot: a page
 * whose totalResults is not the first page's, or at the end a count of
 * distinct ids that is not totalResults (partial result: the list shifted
 * under us). The caller reads the directory again for -ESTALE.
 */
struct scim_pager {
	uint64_t next_start;
	uint64_t last_start; /* 0 before the first page */
	uint64_t total;
	uint64_t collected;
	unsigned pages;
	bool done;
};

void scim_pager_init(struct scim_pager *p);
int scim_pager_advance(struct scim_pager *p, const struct scim_page *pg, char *err, size_t errsz);

/* What /ServiceProviderConfig says (RFC 7643 section 5). */
struct scim_spconfig {
	bool filter;
	uint32_t filter_max_results; /* 0 = not said */
	bool etag;
	bool sort;
	bool patch;
	bool bearer;                 /* an "oauthbearertoken" scheme is listed */
};

int scim_parse_spconfig(const char *buf, size_t len, struct scim_spconfig *ret, char *err, size_t errsz);

/* base + "/Users?startIndex=S&count=C" (or /Groups); base may end in '/'. */
int scim_page_url(const char *base, enum scim_kind kind, uint64_t start, uint32_t count, char **ret);

/* base + "/Users/<id>" (or /Groups), the id percent-encoded but for
 * RFC 3986's unreserved characters. */
int scim_resource_url(const char *base, enum scim_kind kind, const char *id, char **ret);

/* The id assignments of a snapshot, keyed as scim_sync_finish() expects
 * ("u:<id>" -> uid, "g:<id>" -> gid), for entries that have an id. */
struct scim_prev {
	struct idmap_prev *v;
	size_t n;
};

int scim_prev_collect(const struct directory *d, struct scim_prev *ret);
void scim_prev_free(struct scim_prev *p);

#endif

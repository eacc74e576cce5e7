/* SPDX-License-Identifier: MIT */
/*
 * Stage access (provd/access/, in the order of provd/stages.txt) takes the
 * served state. Gives access decisions (this header), the sudo group
 * (sudogroup.h), just-in-time homes (homedir.h), the end of the sessions
 * of users who lose access (sessions.h), and answers ACCESS_CHECK,
 * SESSION_OPEN, SESSION_CLOSE and SSH_KEYS (login_handlers.h).
 *
 * The access decision: may this user start a session on this host now?
 *
 * A pure function of its inputs (snapshot, host, request, clock, freshness):
 * no I/O, no logging, no global state, so every branch is unit-tested and
 * the same answer comes out for PAM, the SSH keys helper and provctl.
 *
 * Rules, in the order they are applied:
 *  1. The user is not in the snapshot          -> UNKNOWN (not a prov user;
 *     the PAM stack goes on to the host's own modules).
 *  2. The user is inactive in the directory     -> EXPIRED.
 *  3. The directory is stale                    -> STALE: it was last
 *     confirmed offline_grace or longer ago (DESIGN invariant 5), or the
 *     document's own not_after has been reached (same edge as expiry).
 *  4. A login grant in force on this host       -> ALLOW.
 *  5. A login grant that would match this host but whose not_after has
 *     passed                                    -> EXPIRED.
 *  6. Otherwise                                 -> NO_GRANT.
 *
 * A binding applies to a user named in its "users", or a member of one of
 * its "groups" (membership = listed as a member, or primary gid), on a host
 * whose name matches one of its "hosts" globs (fnmatch(3), no flags; empty =
 * any host) and that carries every one of its "labels" ("key=value", exact
 * string match; empty = any host).
 *
 * Expiry is checked against the host's own clock, so it holds offline: a
 * grant is in force while now < not_after. At exactly not_after it has
 * expired (a grant "until 2026-12-01T00:00:00Z" is over at that instant).
 *
 * The host's own provd.conf adds two implicit bindings for itself:
 * login_groups (login grant) and sudo_groups (sudo grant), never expiring.
 * A sudo grant does not imply a login grant, for bindings and host config
 * alike: list a group in both when it should have both. Groups named there
 * are prov groups; a local group of the same name cannot exist in the
 * snapshot (DESIGN invariant 1), so it never matches.
 */
#ifndef PROV_DECISION_H
#define PROV_DECISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/directory.h"
#include "prov/protocol.h"

/* Names reported as the "binding" of a grant that comes from provd.conf. */
#define DECISION_HOST_LOGIN_BINDING "provd.conf login_groups"
#define DECISION_HOST_SUDO_BINDING  "provd.conf sudo_groups"

/* This host, as provd.conf describes it. Borrowed pointers. */
struct decision_host {
	const char *name;                   /* host name matched against globs */
	const struct dir_strv *labels;      /* "key=value"; NULL = none */
	const struct dir_strv *login_groups; /* NULL = none */
	const struct dir_strv *sudo_groups;  /* NULL = none */
};

/* How fresh the snapshot is. */
struct decision_freshness {
	int64_t last_ok;          /* unix s the directory was last confirmed current
				   * (successful pull, 304 included); 0 = not tracked
				   * (embedded demo, no source): never stale by age */
	uint32_t offline_grace_s; /* 0 = no limit */
};

struct decision_request {
	const char *user;
	const char *service; /* PAM service; NULL = "" (only for the audit) */
	const char *rhost;
	const char *tty;
	int64_t now;         /* unix seconds, the host's clock */
};

struct decision {
	enum prov_decision decision;
	unsigned grants;           /* DIR_GRANT_* in force now (0 unless ALLOW-able) */
	/* Name of the binding that gave the login (resp. sudo) grant, or of
	 * the expired one for EXPIRED; NULL when none. Points into the
	 * snapshot (or is a DECISION_HOST_* constant): valid while the
	 * snapshot is. */
	const char *login_binding;
	const char *sudo_binding;
	const struct dir_user *user; /* NULL for UNKNOWN; points into the snapshot */
	size_t examined;             /* bindings looked at (cost, DESIGN invariant 12) */
	char reason[PROV_REASON_MAX + 1]; /* one line, printable ASCII */
};

/* Decides for req on host against the indexed snapshot d (NULL = no
 * directory loaded: every user is UNKNOWN). Always fills *ret. */
void decision_decide(const struct directory *d, const struct decision_host *host,
		     const struct decision_freshness *fresh, const struct decision_request *req,
		     struct decision *ret);

/*
 * The bindings whose subject ("users", "groups": the rule above) includes
 * one user: indexes into d->bindings, ascending. derived.c computes them
 * once per snapshot (derived_grants()) so a check costs the user's own
 * bindings, not every name in every binding.
 */
struct decision_scope {
	const size_t *idx;
	size_t n;
};

/* decision_decide(), looking only at scope's bindings, which must be
 * req->user's (above): host, not_after and grant kind are still evaluated
 * here, per request, so expiry stays exact to the second. scope NULL =
 * every binding (the full scan). */
void decision_decide_scoped(const struct directory *d, const struct decision_host *host,
			    const struct decision_freshness *fresh, const struct decision_request *req,
			    const struct decision_scope *scope, struct decision *ret);

/* true when the snapshot is stale at now (rule 3 above). */
bool decision_is_stale(const struct directory *d, const struct decision_freshness *fresh, int64_t now);

/*
 * The members of the sudo group now: login names (copied, in snapshot
 * order) of the active users with a sudo grant in force on this host, none
 * while the snapshot is stale. 0 or -ENOMEM (*ret untouched then); the
 * caller frees with dir_strv_free().
 */
int decision_sudo_members(const struct directory *d, const struct decision_host *host,
			  const struct decision_freshness *fresh, int64_t now, struct dir_strv *ret);

/* true when u (a user of d) is a member of the sudo group now: the same
 * rule as decision_sudo_members(), for one user (initgroups). */
bool decision_user_has_sudo(const struct directory *d, const struct decision_host *host,
			    const struct decision_freshness *fresh, const struct dir_user *u, int64_t now);

/*
 * The next instant after now at which a decision can change by the clock
 * alone (the earliest binding or document not_after > now, or the instant
 * the snapshot turns stale), 0 when none: provd re-derives the sudo group
 * and ends sessions at that time, not only at the next sync.
 */
int64_t decision_next_change(const struct directory *d, const struct decision_freshness *fresh, int64_t now);

#endif

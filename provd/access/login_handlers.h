/* SPDX-License-Identifier: MIT */
/*
 * The login path's requests (protocol.h opcodes 16-19), served through
 * dispatch.h's tables: &login_dispatch_table is in provd/requests.c.
 *
 *   ACCESS_CHECK   any peer, but an unprivileged peer only about itself
 *                  (DESIGN invariant 7: whether and why someone may log in
 *                  here is more than getent shows). sshd, login and su run
 *                  the PAM account stack as root; a screen locker running
 *                  as the user asks about that same user.
 *   SESSION_OPEN   root on the private socket: the decision again (the
 *                  session may come from a stack whose account phase did
 *                  not ask us) and, when allowed, the just-in-time home.
 *                  The home is made on the worker thread (worker.h) and
 *                  the reply sent when it is there: a slow skel copy never
 *                  holds up the loop (DESIGN invariant 12).
 *   SESSION_CLOSE  root on the private socket: audit only.
 *   SSH_KEYS       root, the keys reader (sshd's AuthorizedKeysCommandUser,
 *                  provd.conf keys_user) or the user itself: the user's
 *                  keys while she may log in here, an empty list otherwise.
 *
 * Every decision is audited (DESIGN invariant 10) with PROV_USER,
 * PROV_SERVICE, PROV_RHOST, PROV_TTY, PROV_DECISION, PROV_REASON,
 * PROV_BINDING and the peer.
 */
#ifndef PROV_LOGIN_HANDLERS_H
#define PROV_LOGIN_HANDLERS_H

#include <sys/types.h>

#include "access/decision.h"
#include "access/login.h"
#include "loop/dispatch.h"

extern const struct dispatch_table login_dispatch_table;

/* provd.conf [login]: skel_dir and home_mode shape the JIT home; keys_user
 * is the local user sshd runs the AuthorizedKeysCommand as (packaging/sshd,
 * created by the package): provd looks its uid up in passwd_file, never
 * through NSS. */

/* The decision for user on this host now, with the running config and
 * snapshot: shared by the handlers (and usable by a future "why" request). */

void login_decide(const struct dispatch_ctx *ctx, const char *user, const char *service, const char *rhost,
		  const char *tty, struct decision *ret);

/* The uid of name in a passwd-format file: 0 and *ret_uid, -ENOENT when
 * absent, other -errno when unreadable or the entry is malformed. */
int login_local_uid(const char *passwd_file, const char *name, uid_t *ret_uid);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * pam_prov internals. pam_prov.so is a thin client of provd: the decision,
 * the home creation and the audit all happen there (see provd/access/decision.h
 * and provd/access/homedir.h for why). The module only asks, maps the answer onto
 * a PAM return code, and tells the user why when it says no.
 *
 * Module types: account and session. auth, setcred and chauthtok are not
 * exported: prov does not authenticate (sshd keys, pam_unix, ... do), and
 * a stack that names pam_prov.so for them is a configuration mistake that
 * libpam then reports loudly instead of a module silently ignoring it.
 *
 * Options (parsed once per call into struct pam_prov_opts):
 *   debug        log every step with pam_syslog at LOG_DEBUG
 *   socket=PATH  provd's socket (default: the private, root-only socket
 *                when running as root, else the public one, on which
 *                provd answers a user only about herself)
 *   timeout=MS   deadline of one exchange with provd, 1..60000 ms
 *                (default PROV_CLIENT_TIMEOUT_MS)
 * Unknown or invalid options are logged and ignored.
 *
 * account (pam_sm_acct_mgmt):
 *   user in the local passwd file            PAM_USER_UNKNOWN (never asks
 *                                            provd: local users are never
 *                                            affected by prov, invariant 6)
 *   provd: ALLOW                             PAM_SUCCESS
 *   provd: UNKNOWN (not a prov user)         PAM_USER_UNKNOWN
 *   provd: EXPIRED (inactive, grant expired) PAM_ACCT_EXPIRED
 *   provd: NO_GRANT                          PAM_PERM_DENIED
 *   provd: STALE (past offline_grace)        PAM_PERM_DENIED: like NO_GRANT
 *                                            it is a refusal of this
 *                                            account here, not a failed
 *                                            authentication (AUTH_ERR)
 *   provd unreachable, hung past the deadline, no directory loaded, a
 *   malformed or refused answer              PAM_PERM_DENIED (fail closed).
 *     Not AUTHINFO_UNAVAIL: stacks generated for sssd-like modules often
 *     say authinfo_unavail=ignore, which would let the user in.
 *   Denials are shown to the user as one line (pam_error) unless
 *   PAM_SILENT, and logged with pam_syslog.
 *   A user not in the local files is treated as a prov user while provd
 *   cannot answer: on a host that also gets users from elsewhere (LDAP,
 *   sssd), put that module's account line first or those users are
 *   refused while provd is down.
 *
 * session (pam_sm_open_session / pam_sm_close_session):
 *   local user, or provd says not a prov user  PAM_IGNORE (the stack goes
 *                                              on as if we were not there)
 *   open: ALLOW and the home exists/was made   PAM_SUCCESS
 *   open: denied (EXPIRED, NO_GRANT, STALE)    PAM_PERM_DENIED
 *   open: provd unreachable or failed (e.g.
 *         the home could not be made safely)   PAM_SESSION_ERR
 *   close: audited                             PAM_SUCCESS
 *   close: provd unreachable                   PAM_IGNORE (logged: the
 *                                              session is over anyway)
 */
#ifndef PROV_PAM_PROV_H
#define PROV_PAM_PROV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include <security/pam_modules.h>

#include "prov/protocol.h"

#define PAM_PROV_EXPORT __attribute__((visibility("default")))

/* The only local account database pam_prov trusts to say "not ours". */
#define PAM_PROV_PASSWD_FILE "/etc/passwd"

#define PAM_PROV_TIMEOUT_MAX_MS 60000

struct pam_prov_opts {
	bool debug;
	char socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int timeout_ms;
};

/* options.c. Called for each option that is unknown or has a bad value. */
typedef void (*pam_prov_warn_fn)(void *arg, const char *option, const char *why);

/* Fills ret with the defaults for euid, then applies argv. Never fails:
 * a bad option is reported through warn (may be NULL) and ignored. */
void pam_prov_parse_options(int argc, const char **argv, uid_t euid, struct pam_prov_opts *ret,
			    pam_prov_warn_fn warn, void *arg);

/* The same, reporting through pam_syslog. */
void pam_prov_options(pam_handle_t *pamh, int argc, const char **argv, struct pam_prov_opts *ret);

/* localuser.c: 1 when name is in the local passwd file at path, 0 when
 * not, -errno when the file cannot be read. Reads the file itself, never
 * through NSS (which would ask nss_prov). */
int pam_prov_local_user(const char *path, const char *name);

/* request.c: one exchange about the PAM handle's user. */
struct pam_prov_answer {
	uint32_t status;                  /* enum prov_status */
	uint32_t decision;                /* enum prov_decision, when status OK and the op has one */
	char reason[PROV_REASON_MAX + 1]; /* printable ASCII, "" when none */
};

/* The user of the handle, or NULL (logged) when there is none or it cannot
 * be a prov name. */
const char *pam_prov_user(pam_handle_t *pamh, const struct pam_prov_opts *o);

/* Sends op (ACCESS_CHECK, SESSION_OPEN or SESSION_CLOSE) for user with
 * the handle's service, rhost and tty. 0 with *ret filled, or the -errno
 * of prov_call / -EBADMSG for a malformed reply. */
int pam_prov_ask(pam_handle_t *pamh, const struct pam_prov_opts *o, uint16_t op, const char *user,
		 struct pam_prov_answer *ret);

/* One line to the user through the conversation, unless PAM_SILENT. */
void pam_prov_tell(pam_handle_t *pamh, int flags, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* account.c and session.c */
int pam_prov_account(pam_handle_t *pamh, int flags, const struct pam_prov_opts *o);
int pam_prov_open_session(pam_handle_t *pamh, int flags, const struct pam_prov_opts *o);
int pam_prov_close_session(pam_handle_t *pamh, int flags, const struct pam_prov_opts *o);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * pam_sm_open_session / pam_sm_close_session. Opening asks provd to decide
 * again and to create the home just in time (provd does it, as root, out of
 * this process: provd/access/homedir.h says why); closing is audited there.
 * Mapping in pam_prov.h.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "pam_prov.h"

static bool is_local(pam_handle_t *pamh, const struct pam_prov_opts *o, const char *user)
{
	int r = pam_prov_local_user(PAM_PROV_PASSWD_FILE, user);

	if (r > 0 && o->debug)
		pam_syslog(pamh, LOG_DEBUG, "%s is a local user: not ours", user);
	return r > 0;
}

static const char *call_error(int r)
{
	if (r == -ETIMEDOUT)
		return "did not answer in time";
	if (r == -ENOENT || r == -ECONNREFUSED)
		return "is not running";
	return "gave no usable answer";
}

static int open_failed(pam_handle_t *pamh, int flags, const char *user, const char *why)
{
	pam_syslog(pamh, LOG_ERR, "cannot open a session for %s: provd %s", user, why);
	pam_prov_tell(pamh, flags, "Cannot open your session: the access service %s.", why);
	return PAM_SESSION_ERR;
}

int pam_prov_open_session(pam_handle_t *pamh, int flags, const struct pam_prov_opts *o)
{
	struct pam_prov_answer a;
	const char *user;
	int r;

	user = pam_prov_user(pamh, o);
	if (!user || is_local(pamh, o, user))
		return PAM_IGNORE;
	r = pam_prov_ask(pamh, o, PROV_OP_SESSION_OPEN, user, &a);
	if (r < 0)
		return open_failed(pamh, flags, user, call_error(r));
	if (a.status == PROV_ST_NOT_FOUND)
		return PAM_IGNORE;
	if (a.status != PROV_ST_OK)
		return open_failed(pamh, flags, user,
				   a.status == PROV_ST_INTERNAL ? "could not prepare it (see its log)"
				   : a.status == PROV_ST_DENIED ? "refused this caller"
				   : "has no directory loaded");
	switch (a.decision) {
	case PROV_DECIDE_ALLOW:
		if (o->debug)
			pam_syslog(pamh, LOG_DEBUG, "session for %s: %s", user, a.reason);
		return PAM_SUCCESS;
	case PROV_DECIDE_UNKNOWN:
		return PAM_IGNORE;
	default:
		pam_syslog(pamh, LOG_NOTICE, "session refused for %s: %s", user, a.reason);
		pam_prov_tell(pamh, flags, "Access denied: %s.", a.reason);
		return PAM_PERM_DENIED;
	}
}

int pam_prov_close_session(pam_handle_t *pamh, int flags, const struct pam_prov_opts *o)
{
	struct pam_prov_answer a;
	const char *user;
	int r;

	(void)flags;
	user = pam_prov_user(pamh, o);
	if (!user || is_local(pamh, o, user))
		return PAM_IGNORE;
	r = pam_prov_ask(pamh, o, PROV_OP_SESSION_CLOSE, user, &a);
	if (r < 0) {
		pam_syslog(pamh, LOG_WARNING, "session close of %s not audited: provd %s", user, call_error(r));
		return PAM_IGNORE;
	}
	if (a.status == PROV_ST_OK)
		return PAM_SUCCESS;
	if (a.status != PROV_ST_NOT_FOUND)
		pam_syslog(pamh, LOG_WARNING, "session close of %s not audited: provd status %u", user,
			   (unsigned)a.status);
	return PAM_IGNORE;
}

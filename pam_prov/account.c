/* SPDX-License-Identifier: MIT */
/* pam_sm_acct_mgmt: may this user log in here now? Mapping in pam_prov.h. */
#include <errno.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "pam_prov.h"

/* 1 when the user is local (not ours, provd never asked); logged in debug. */
static int is_local(pam_handle_t *pamh, const struct pam_prov_opts *o, const char *user)
{
	int r = pam_prov_local_user(PAM_PROV_PASSWD_FILE, user);

	if (r < 0)
		pam_syslog(pamh, LOG_WARNING, "cannot read %s (%s): asking provd about %s",
			   PAM_PROV_PASSWD_FILE, strerror(-r), user);
	else if (r > 0 && o->debug)
		pam_syslog(pamh, LOG_DEBUG, "%s is a local user: not ours", user);
	return r > 0;
}

static int map_decision(uint32_t decision)
{
	switch (decision) {
	case PROV_DECIDE_ALLOW:
		return PAM_SUCCESS;
	case PROV_DECIDE_UNKNOWN:
		return PAM_USER_UNKNOWN;
	case PROV_DECIDE_EXPIRED:
		return PAM_ACCT_EXPIRED;
	case PROV_DECIDE_NO_GRANT:
	case PROV_DECIDE_STALE:
	default: /* a decision this module does not know: fail closed */
		return PAM_PERM_DENIED;
	}
}

/* provd could not give an answer: fail closed for a (possible) prov user. */
static int unavailable(pam_handle_t *pamh, int flags, const char *user, const char *why)
{
	pam_syslog(pamh, LOG_ERR, "denying %s: provd %s", user, why);
	pam_prov_tell(pamh, flags, "Access denied: the access service is not available (%s).", why);
	return PAM_PERM_DENIED;
}

static int status_to_pam(pam_handle_t *pamh, int flags, const char *user, uint32_t status)
{
	switch (status) {
	case PROV_ST_NOT_FOUND:
		return PAM_USER_UNKNOWN;
	case PROV_ST_UNAVAILABLE:
		return unavailable(pamh, flags, user, "has no directory loaded");
	case PROV_ST_DENIED:
		return unavailable(pamh, flags, user, "refused to answer this caller");
	default:
		return unavailable(pamh, flags, user, "could not answer");
	}
}

int pam_prov_account(pam_handle_t *pamh, int flags, const struct pam_prov_opts *o)
{
	struct pam_prov_answer a;
	const char *user;
	int r, ret;

	user = pam_prov_user(pamh, o);
	if (!user || is_local(pamh, o, user))
		return PAM_USER_UNKNOWN;
	r = pam_prov_ask(pamh, o, PROV_OP_ACCESS_CHECK, user, &a);
	if (r < 0)
		return unavailable(pamh, flags, user, r == -ETIMEDOUT ? "did not answer in time"
						     : r == -ENOENT || r == -ECONNREFUSED ? "is not running"
						     : "gave no usable answer");
	if (a.status != PROV_ST_OK)
		return status_to_pam(pamh, flags, user, a.status);
	ret = map_decision(a.decision);
	if (ret == PAM_SUCCESS || ret == PAM_USER_UNKNOWN) {
		if (o->debug)
			pam_syslog(pamh, LOG_DEBUG, "%s: %s", user, a.reason);
		return ret;
	}
	pam_syslog(pamh, LOG_NOTICE, "access denied for %s: %s", user, a.reason);
	pam_prov_tell(pamh, flags, "Access denied: %s.", a.reason);
	return ret;
}

/* SPDX-License-Identifier: MIT */
/*
 * The PAM entry points: parse the options, delegate. Everything is in
 * pam_prov.h (what each returns and why) and in account.c / session.c.
 */
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "pam_prov.h"

static void warn_syslog(void *arg, const char *option, const char *why)
{
	pam_syslog(arg, LOG_ERR, "ignoring option \"%s\": %s", option, why);
}

void pam_prov_options(pam_handle_t *pamh, int argc, const char **argv, struct pam_prov_opts *ret)
{
	pam_prov_parse_options(argc, argv, geteuid(), ret, warn_syslog, pamh);
}

PAM_PROV_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pam_prov_opts o;

	pam_prov_options(pamh, argc, argv, &o);
	return pam_prov_account(pamh, flags, &o);
}

PAM_PROV_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pam_prov_opts o;

	pam_prov_options(pamh, argc, argv, &o);
	return pam_prov_open_session(pamh, flags, &o);
}

PAM_PROV_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pam_prov_opts o;

	pam_prov_options(pamh, argc, argv, &o);
	return pam_prov_close_session(pamh, flags, &o);
}

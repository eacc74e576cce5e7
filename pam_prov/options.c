/* SPDX-License-Identifier: MIT */
/* Module options, parsed once per call into named fields (pam_prov.h). */
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "pam_prov.h"

static const char *opt_value(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return strncmp(arg, name, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

/* Decimal digits only, 1..PAM_PROV_TIMEOUT_MAX_MS: no sign, no blanks, no
 * "0x", no trailing junk (strtoul alone would take all of those). */
static int parse_timeout(const char *s, int *ret)
{
	unsigned long v;
	char *end;

	if (s[0] < '0' || s[0] > '9' || strlen(s) > 5)
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v == 0 || v > PAM_PROV_TIMEOUT_MAX_MS)
		return -1;
	*ret = (int)v;
	return 0;
}

static const char *check_socket(const char *s, size_t cap)
{
	if (s[0] != '/')
		return "must be an absolute path";
	if (strlen(s) >= cap)
		return "too long for a socket path";
	return NULL;
}

static void warn_opt(pam_prov_warn_fn warn, void *arg, const char *option, const char *why)
{
	if (warn)
		warn(arg, option, why);
}

void pam_prov_parse_options(int argc, const char **argv, uid_t euid, struct pam_prov_opts *ret,
			    pam_prov_warn_fn warn, void *arg)
{
	struct pam_prov_opts o = { .debug = false, .timeout_ms = PROV_CLIENT_TIMEOUT_MS };
	const char *v, *why;
	int i;

	/* Root talks to the private socket (the only one serving SESSION_*);
	 * anyone else may only ask about itself, on the public one. */
	strcpy(o.socket, euid == 0 ? PROV_PRIV_SOCKET : PROV_SOCKET_PATH);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!a)
			continue;
		if (strcmp(a, "debug") == 0) {
			o.debug = true;
		} else if ((v = opt_value(a, "socket"))) {
			why = check_socket(v, sizeof(o.socket));
			if (why)
				warn_opt(warn, arg, a, why);
			else
				strcpy(o.socket, v);
		} else if ((v = opt_value(a, "timeout"))) {
			if (parse_timeout(v, &o.timeout_ms) < 0)
				warn_opt(warn, arg, a, "must be a number of milliseconds, 1 to 60000");
		} else {
			warn_opt(warn, arg, a, "unknown option");
		}
	}
	*ret = o;
}

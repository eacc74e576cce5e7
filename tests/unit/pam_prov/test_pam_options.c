/* SPDX-License-Identifier: MIT */
/*
 * pam_prov's option parser (pam_prov/options.c). The module is a MODULE
 * library the unit tests cannot link, and the parser is pure libc, so its
 * one source file is compiled into this test directly.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../../pam_prov/options.c"

struct warnings {
	int n;
	char last_opt[128];
	char last_why[128];
};

static void record(void *arg, const char *option, const char *why)
{
	struct warnings *w = arg;

	w->n++;
	snprintf(w->last_opt, sizeof(w->last_opt), "%s", option);
	snprintf(w->last_why, sizeof(w->last_why), "%s", why);
}

static struct pam_prov_opts parse(int argc, const char **argv, uid_t euid, struct warnings *w)
{
	struct pam_prov_opts o;

	memset(&o, 0xa5, sizeof(o));
	memset(w, 0, sizeof(*w));
	pam_prov_parse_options(argc, argv, euid, &o, record, w);
	return o;
}

Test(pam_options, defaults_for_root_use_private_socket)
{
	struct warnings w;
	struct pam_prov_opts o = parse(0, NULL, 0, &w);

	cr_assert_not(o.debug);
	cr_assert_str_eq(o.socket, PROV_PRIV_SOCKET);
	cr_assert_eq(o.timeout_ms, PROV_CLIENT_TIMEOUT_MS);
	cr_assert_eq(w.n, 0);
}

Test(pam_options, invariant7_defaults_for_users_use_public_socket)
{
	struct warnings w;
	struct pam_prov_opts o = parse(0, NULL, 1000, &w);

	cr_assert_str_eq(o.socket, PROV_SOCKET_PATH);
}

Test(pam_options, all_known_options)
{
	const char *argv[] = { "debug", "socket=/tmp/x/sock", "timeout=250" };
	struct warnings w;
	struct pam_prov_opts o = parse(3, argv, 0, &w);

	cr_assert(o.debug);
	cr_assert_str_eq(o.socket, "/tmp/x/sock");
	cr_assert_eq(o.timeout_ms, 250);
	cr_assert_eq(w.n, 0);
}

Test(pam_options, timeout_bounds)
{
	const char *lo[] = { "timeout=1" }, *hi[] = { "timeout=60000" };
	struct warnings w;

	cr_assert_eq(parse(1, lo, 0, &w).timeout_ms, 1);
	cr_assert_eq(parse(1, hi, 0, &w).timeout_ms, 60000);
	cr_assert_eq(w.n, 0);
}

Test(pam_options, bad_timeouts_ignored_and_reported)
{
	static const char *bad[] = {
		"timeout=", "timeout=0", "timeout=60001", "timeout=-5", "timeout=+5", "timeout= 5",
		"timeout=5ms", "timeout=0x10", "timeout=99999999999999999999", "timeout=1e3", "timeout=abc",
	};
	struct warnings w;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[] = { bad[i] };
		struct pam_prov_opts o = parse(1, argv, 0, &w);

		cr_assert_eq(o.timeout_ms, PROV_CLIENT_TIMEOUT_MS, "%s accepted", bad[i]);
		cr_assert_eq(w.n, 1, "%s not reported", bad[i]);
		cr_assert_str_eq(w.last_opt, bad[i]);
		cr_assert_str_eq(w.last_why, "must be a number of milliseconds, 1 to 60000");
	}
}

Test(pam_options, bad_sockets_ignored_and_reported)
{
	char longpath[200] = "socket=/";
	const char *rel[] = { "socket=relative/sock" }, *empty[] = { "socket=" }, *lng[] = { longpath };
	struct warnings w;
	struct pam_prov_opts o;

	o = parse(1, rel, 0, &w);
	cr_assert_str_eq(o.socket, PROV_PRIV_SOCKET);
	cr_assert_str_eq(w.last_why, "must be an absolute path");
	o = parse(1, empty, 0, &w);
	cr_assert_str_eq(o.socket, PROV_PRIV_SOCKET);
	cr_assert_eq(w.n, 1);
	memset(longpath + 8, 'a', 150);
	longpath[158] = '\0';
	o = parse(1, lng, 0, &w);
	cr_assert_str_eq(o.socket, PROV_PRIV_SOCKET);
	cr_assert_str_eq(w.last_why, "too long for a socket path");
	/* the longest that fits sun_path is taken */
	memset(longpath, 0, sizeof(longpath));
	strcpy(longpath, "socket=/");
	memset(longpath + 8, 'b', sizeof(o.socket) - 2);
	o = parse(1, lng, 0, &w);
	cr_assert_eq(w.n, 0);
	cr_assert_eq(strlen(o.socket), sizeof(o.socket) - 1);
}

Test(pam_options, unknown_options_ignored_and_reported)
{
	const char *argv[] = { "bogus", "debug", "Debug", "socket", "timeout", "debug=1", "use_first_pass" };
	struct warnings w;
	struct pam_prov_opts o = parse(7, argv, 0, &w);

	cr_assert(o.debug);
	cr_assert_eq(w.n, 6);
	cr_assert_str_eq(w.last_opt, "use_first_pass");
	cr_assert_str_eq(w.last_why, "unknown option");
	cr_assert_str_eq(o.socket, PROV_PRIV_SOCKET);
	cr_assert_eq(o.timeout_ms, PROV_CLIENT_TIMEOUT_MS);
}

Test(pam_options, later_option_wins_and_null_args_skipped)
{
	const char *argv[] = { "timeout=100", NULL, "timeout=200", "socket=/a", "socket=/b" };
	struct warnings w;
	struct pam_prov_opts o = parse(5, argv, 0, &w);

	cr_assert_eq(o.timeout_ms, 200);
	cr_assert_str_eq(o.socket, "/b");
	cr_assert_eq(w.n, 0);
}

Test(pam_options, no_warn_callback_is_fine)
{
	const char *argv[] = { "bogus", "timeout=x" };
	struct pam_prov_opts o;

	pam_prov_parse_options(2, argv, 0, &o, NULL, NULL);
	cr_assert_eq(o.timeout_ms, PROV_CLIENT_TIMEOUT_MS);
}

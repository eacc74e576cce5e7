/* SPDX-License-Identifier: MIT */
/* The log API: the stderr line format, structured fields, and that a
 * hostile value can never forge a second line (DESIGN invariant 10). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

static char path[64];
static int saved_stderr = -1;

static void setup(void)
{
	int fd;

	strcpy(path, "/tmp/prov-test-log-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	saved_stderr = dup(STDERR_FILENO);
	cr_assert_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	log_init(LOG_TARGET_STDERR, LOG_INFO);
}

static void teardown(void)
{
	if (saved_stderr >= 0) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
	}
	unlink(path);
}

TestSuite(log, .init = setup, .fini = teardown);

static char *captured(void)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(log, message_line)
{
	char want[128];

	log_msg(LOG_WARNING, "cache %s refused: %s", "/var/lib/prov/directory.cache", "CRC mismatch");
	snprintf(want, sizeof(want), "provd[%d]: <warning>: cache /var/lib/prov/directory.cache refused: CRC mismatch\n",
		 (int)getpid());
	cr_assert_str_eq(captured(), want);
}

Test(log, event_fields)
{
	char want[256];

	log_event(LOG_NOTICE, "entry_refused", LOG_FIELDS({ "PROV_USER", "toor" }, { "PROV_REASON", "uid 0" }),
		  "refused user %s", "toor");
	snprintf(want, sizeof(want),
		 "provd[%d]: <notice>: refused user toor (PROV_EVENT=entry_refused PROV_USER=toor PROV_REASON=uid 0)\n",
		 (int)getpid());
	cr_assert_str_eq(captured(), want);
}

/* Invariant 10 / 2: a name with a newline or escape cannot forge a line
 * or reach the terminal raw, neither in the message nor in a field. */
Test(log, hostile_values_sanitised)
{
	const char *evil = "mallory\nprovd[1]: <info>: all good\x1b[2J";
	char *out;

	log_event(LOG_WARNING, "entry_refused", LOG_FIELDS({ "PROV_USER", evil }), "refused user %s", evil);
	out = captured();
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "exactly one line: %s", out);
	cr_assert_null(strchr(out, '\x1b'));
	cr_assert_not_null(strstr(out, "refused user mallory?provd[1]: <info>: all good?[2J"), "%s", out);
	cr_assert_not_null(strstr(out, "PROV_USER=mallory?provd"), "%s", out);
}

Test(log, bad_field_keys_and_null_values_skipped)
{
	char want[256];

	log_event(LOG_ERR, "e", LOG_FIELDS({ "lower", "x" }, { "_TRUSTED", "y" }, { "PROV_OK", NULL }, { "PROV_B", "b" }),
		  "m");
	snprintf(want, sizeof(want), "provd[%d]: <err>: m (PROV_EVENT=e PROV_B=b)\n", (int)getpid());
	cr_assert_str_eq(captured(), want);
}

Test(log, priority_filter)
{
	log_msg(LOG_DEBUG, "not shown");
	cr_assert_str_eq(captured(), "");
	log_init(LOG_TARGET_STDERR, LOG_DEBUG);
	log_msg(LOG_DEBUG, "shown");
	cr_assert_not_null(strstr(captured(), "<debug>: shown"));
}

Test(log, long_message_cut_not_overflowed)
{
	char *big = malloc(10000);
	char *out;

	memset(big, 'x', 9999);
	big[9999] = '\0';
	log_event(LOG_INFO, "big", LOG_FIELDS({ "PROV_V", big }), "%s", big);
	out = captured();
	cr_assert_lt(strlen(out), 4096);
	cr_assert_eq(out[strlen(out) - 1], '\n');
	free(big);
}

Test(log, env_selects_stderr)
{
	setenv("PROV_LOG", "stderr", 1);
	log_init(LOG_TARGET_AUTO, LOG_INFO);
	cr_assert_eq(log_target_get(), LOG_TARGET_STDERR);
	unsetenv("PROV_LOG");
}

/* Lines an unprivileged peer can cause (DESIGN invariant 12): a burst per
 * uid, then nothing for it, while root and other uids still pass. The
 * summary comes from ratelimit.c (test_ratelimit.c covers its edges). */
Test(log, invariant12_peer_lines_rate_limited_per_uid)
{
	unsigned i, passed = 0;

	for (i = 0; i < 100; i++)
		passed += log_peer_allowed(65534);
	cr_assert_eq(passed, LOG_PEER_BURST);
	cr_assert(log_peer_allowed(1000), "another uid has its own budget");
	for (i = 0; i < 100; i++)
		cr_assert(log_peer_allowed(0), "root is never limited");
	log_peer_flush(); /* within the interval: no summary yet */
	cr_assert_null(strstr(captured(), "suppressed"));
}

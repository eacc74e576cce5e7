/* SPDX-License-Identifier: MIT */
/* Fault points (faultpoint.h): a test build stops the whole process at
 * the point its PROV_FAULT_FILE names, and nowhere else. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/faultpoint.h"

static char path[64];

static void setup(void)
{
	int fd;

	strcpy(path, "/tmp/prov-test-fault-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "cache_synced\n", 13), 13);
	close(fd);
}

static void teardown(void)
{
	unlink(path);
}

TestSuite(faultpoint, .init = setup, .fini = teardown, .timeout = 20);

/* Runs fault_point(name) in a child with env set (or not); returns the
 * child's wait status as seen with WUNTRACED. */
static int run(const char *name, bool env)
{
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (env)
			setenv("PROV_FAULT_FILE", path, 1);
		else
			unsetenv("PROV_FAULT_FILE");
		fault_point(name);
		_exit(7);
	}
	cr_assert_eq(waitpid(pid, &status, WUNTRACED), pid);
	if (WIFSTOPPED(status)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return status;
}

Test(faultpoint, stops_at_the_named_point)
{
	int s = run("cache_synced", true);

	cr_assert(WIFSTOPPED(s), "status %x", s);
	cr_assert_eq(WSTOPSIG(s), SIGSTOP);
}

Test(faultpoint, passes_other_points)
{
	int s = run("cache_written", true);

	cr_assert(WIFEXITED(s) && WEXITSTATUS(s) == 7, "status %x", s);
	s = run("cache_synced_not", true);
	cr_assert(WIFEXITED(s) && WEXITSTATUS(s) == 7, "a prefix is not a match: status %x", s);
}

Test(faultpoint, inactive_without_the_environment)
{
	int s = run("cache_synced", false);

	cr_assert(WIFEXITED(s) && WEXITSTATUS(s) == 7, "status %x", s);
}

/* SPDX-License-Identifier: MIT */
/*
 * Named points where a test stops provd dead, to kill it at that exact
 * instruction rather than race it (tests/integration/test_sync_crash.sh:
 * SIGKILL between the cache's fsync and its rename, ...).
 *
 * Compiled in only when the tests are built (PROV_FAULT_HOOKS, set by
 * provd/CMakeLists.txt with PROV_BUILD_TESTS; the packages build without
 * them), and active only when the environment names a file
 * (PROV_FAULT_FILE, read with secure_getenv): at each point the file is
 * read, and when its first line is the point's name the whole process
 * stops (SIGSTOP: every thread, at once) for the test to see in
 * /proc/PID/stat and kill. Otherwise a point does nothing.
 */
#ifndef PROV_FAULTPOINT_H
#define PROV_FAULTPOINT_H

#ifdef PROV_FAULT_HOOKS
void fault_point(const char *name);
#else
static inline void fault_point(const char *name)
{
	(void)name;
}
#endif

#endif

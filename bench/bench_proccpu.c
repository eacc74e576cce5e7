/* SPDX-License-Identifier: MIT */
/*
 * bench_proccpu PID: the CPU time PID has used so far, all its threads
 * (ended ones included), in nanoseconds, from the kernel's process CPU
 * clock (clock_getcpuclockid). /proc/PID/stat counts in 10 ms ticks, too
 * coarse for a 304 that costs a few milliseconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	unsigned long pid;
	clockid_t clk;
	char *end;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_proccpu PID\n");
		return 2;
	}
	errno = 0;
	pid = strtoul(argv[1], &end, 10);
	if (errno || *end || !*argv[1] || pid == 0 || pid > 4194304) {
		fprintf(stderr, "bench_proccpu: '%s' is not a pid\n", argv[1]);
		return 2;
	}
	r = clock_getcpuclockid((pid_t)pid, &clk);
	if (r != 0 || clock_gettime(clk, &ts) < 0) {
		fprintf(stderr, "bench_proccpu: pid %lu: %s\n", pid, strerror(r ? r : errno));
		return 1;
	}
	printf("%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	return 0;
}

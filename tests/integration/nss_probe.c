/* SPDX-License-Identifier: MIT */
/*
 * nss_probe: drives glibc's NSS API the way real programs do, for the
 * integration tests (which run it inside a sandbox whose nsswitch.conf says
 * "passwd: files prov"). Each subcommand prints what it found and exits 0
 * only if every check held.
 *
 *   nss_probe erange NAME         getpwnam_r with every buffer size from 1 up:
 *                                 all too-small ones give ERANGE, the first
 *                                 big enough one gives the full entry
 *   nss_probe erange-group NAME   the same for getgrnam_r
 *   nss_probe threads N NAME...   N threads look the names up concurrently
 *   nss_probe fork NAME           look up, fork, look up in the child
 *   nss_probe loop N NAME         N lookups by name, uid, group, initgroups
 *                                 and one enumeration (for valgrind/ASan)
 *   nss_probe direct N NAME       N rounds of getpwnam_r, getpwuid_r, a miss
 *                                 and initgroups_dyn on libnss_prov.so.2
 *                                 itself (dlopen), without glibc's files
 *                                 source in between: for counting the
 *                                 module's own system calls (strace -c)
 *   nss_probe fds N NAME          opens N fds, then looks NAME up
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <nss.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int probe_erange_passwd(const char *name)
{
	struct passwd pw, *res;
	char *buf;
	size_t size;
	int r;

	for (size = 1; size < 65536; size++) {
		buf = malloc(size);
		if (!buf)
			return 1;
		res = NULL;
		r = getpwnam_r(name, &pw, buf, size, &res);
		if (r == ERANGE) {
			free(buf);
			continue;
		}
		if (r != 0 || !res || strcmp(pw.pw_name, name) != 0) {
			fprintf(stderr, "size %zu: r=%d res=%p\n", size, r, (void *)res);
			free(buf);
			return 1;
		}
		printf("%s:%s:%u:%u:%s:%s:%s first fits at %zu bytes\n", pw.pw_name, pw.pw_passwd,
		       pw.pw_uid, pw.pw_gid, pw.pw_gecos, pw.pw_dir, pw.pw_shell, size);
		free(buf);
		return 0;
	}
	return 1;
}

static int probe_erange_group(const char *name)
{
	struct group gr, *res;
	char *buf;
	size_t size, n;
	int r;

	for (size = 1; size < (1u << 20); size += (size < 4096 ? 1 : 64)) {
		buf = malloc(size);
		if (!buf)
			return 1;
		res = NULL;
		r = getgrnam_r(name, &gr, buf, size, &res);
		if (r == ERANGE) {
			free(buf);
			continue;
		}
		if (r != 0 || !res || strcmp(gr.gr_name, name) != 0) {
			fprintf(stderr, "size %zu: r=%d res=%p\n", size, r, (void *)res);
			free(buf);
			return 1;
		}
		for (n = 0; gr.gr_mem[n]; n++)
			;
		printf("%s:%u members=%zu first fits at %zu bytes\n", gr.gr_name, gr.gr_gid, n, size);
		free(buf);
		return 0;
	}
	return 1;
}

struct thread_job {
	char **names;
	int n_names;
	int failures;
};

static void *lookup_thread(void *arg)
{
	struct thread_job *job = arg;
	char buf[4096];
	struct passwd pw, *res;
	int i, round;

	for (round = 0; round < 50; round++) {
		for (i = 0; i < job->n_names; i++) {
			res = NULL;
			if (getpwnam_r(job->names[i], &pw, buf, sizeof(buf), &res) != 0 || !res ||
			    strcmp(pw.pw_name, job->names[i]) != 0)
				job->failures++;
		}
	}
	return NULL;
}

static int probe_threads(int n, char **names, int n_names)
{
	pthread_t *tids = calloc((size_t)n, sizeof(*tids));
	struct thread_job *jobs = calloc((size_t)n, sizeof(*jobs));
	int i, failures = 0;

	if (!tids || !jobs)
		return 1;
	for (i = 0; i < n; i++) {
		jobs[i] = (struct thread_job){ names, n_names, 0 };
		if (pthread_create(&tids[i], NULL, lookup_thread, &jobs[i]) != 0)
			return 1;
	}
	for (i = 0; i < n; i++) {
		pthread_join(tids[i], NULL);
		failures += jobs[i].failures;
	}
	printf("threads=%d lookups=%d failures=%d\n", n, n * n_names * 50, failures);
	free(tids);
	free(jobs);
	return failures != 0;
}

static int probe_fork(const char *name)
{
	struct passwd *pw = getpwnam(name);
	pid_t pid;
	int status;

	if (!pw)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		pw = getpwnam(name);
		_exit(pw && strcmp(pw->pw_name, name) == 0 ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	printf("fork: child lookup %s\n", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "failed");
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int probe_loop(int n, const char *name)
{
	int i, failures = 0, ngroups;
	gid_t groups[256];

	for (i = 0; i < n; i++) {
		struct passwd *pw = getpwnam(name);

		if (!pw || !getpwuid(pw->pw_uid)) {
			failures++;
			continue;
		}
		if (!getgrgid(pw->pw_gid))
			failures++;
		ngroups = 256;
		if (getgrouplist(name, pw->pw_gid, groups, &ngroups) < 0)
			failures++;
		if (getpwnam("no-such-user-anywhere") || getpwuid(4000000000u))
			failures++;
	}
	setpwent();
	for (i = 0; getpwent(); i++)
		;
	endpwent();
	setgrent();
	while (getgrent())
		;
	endgrent();
	printf("loop=%d enumerated=%d failures=%d\n", n, i, failures);
	return failures != 0;
}

typedef enum nss_status (*pwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*pwuid_fn)(uid_t, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*initgroups_fn)(const char *, gid_t, long int *, long int *, gid_t **, long int, int *);

static int probe_direct(int n, const char *name)
{
	void *h = dlopen("libnss_prov.so.2", RTLD_NOW);
	pwnam_fn pwnam;
	pwuid_fn pwuid;
	initgroups_fn ig;
	int i, failures = 0;

	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	pwnam = (pwnam_fn)dlsym(h, "_nss_prov_getpwnam_r");
	pwuid = (pwuid_fn)dlsym(h, "_nss_prov_getpwuid_r");
	ig = (initgroups_fn)dlsym(h, "_nss_prov_initgroups_dyn");
	if (!pwnam || !pwuid || !ig)
		return 1;
	for (i = 0; i < n; i++) {
		struct passwd pw;
		char buf[4096];
		long int start = 1, size = 64;
		gid_t *groups = malloc(64 * sizeof(gid_t));
		int err;

		if (!groups || pwnam(name, &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS ||
		    pwuid(pw.pw_uid, &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS ||
		    pwnam("no-such-user-anywhere", &pw, buf, sizeof(buf), &err) != NSS_STATUS_NOTFOUND ||
		    ig(name, pw.pw_gid, &start, &size, &groups, 0, &err) != NSS_STATUS_SUCCESS)
			failures++;
		free(groups);
	}
	printf("direct=%d failures=%d\n", n, failures);
	return failures != 0;
}

static int probe_fds(int n, const char *name)
{
	struct rlimit rl = { (rlim_t)n + 64, (rlim_t)n + 64 };
	int i;

	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1;
	for (i = 0; i < n; i++)
		if (open("/dev/null", O_RDONLY) < 0)
			return 1;
	return probe_loop(3, name);
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "direct") == 0)
		return probe_direct((int)strtol(argv[2], NULL, 10), argv[3]);
	if (argc >= 4 && strcmp(argv[1], "fds") == 0)
		return probe_fds((int)strtol(argv[2], NULL, 10), argv[3]);
	if (argc >= 3 && strcmp(argv[1], "erange") == 0)
		return probe_erange_passwd(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "erange-group") == 0)
		return probe_erange_group(argv[2]);
	if (argc >= 4 && strcmp(argv[1], "threads") == 0)
		return probe_threads((int)strtol(argv[2], NULL, 10), argv + 3, argc - 3);
	if (argc >= 3 && strcmp(argv[1], "fork") == 0)
		return probe_fork(argv[2]);
	if (argc >= 4 && strcmp(argv[1], "loop") == 0)
		return probe_loop((int)strtol(argv[2], NULL, 10), argv[3]);
	fprintf(stderr, "usage: nss_probe erange|erange-group|threads|fork|loop ...\n");
	return 2;
}

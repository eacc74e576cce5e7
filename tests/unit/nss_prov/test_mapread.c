/* SPDX-License-Identifier: MIT */
/* Mapping the lookup snapshot in nss_prov: re-mapping when provd
 * publishes, files it must not believe, 64 threads against 1,000
 * generations, fork, closed stdio and many open fds, the caller's errno
 * (DESIGN invariant 9). */
#include "mapread_fixture.h"

TestSuite(mapread, .init = setup, .fini = teardown);

Test(mapread, remaps_when_superseded)
{
	struct passwd pw;
	char buf[4096];
	int err;

	publish(10, 2, 1);
	cr_assert_eq(pwnam("mu3", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	cr_assert_str_eq(pw.pw_gecos, "gen 1 user 3");
	publish(10, 2, 2);
	cr_assert_eq(pwnam("mu3", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	cr_assert_str_eq(pw.pw_gecos, "gen 2 user 3");
	publish(5, 2, 3);
	cr_assert_eq(pwnam("mu7", &pw, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND, "removed in generation 3");
}

/* Files not to believe: the socket is asked instead (here: none, so
 * UNAVAIL, where a believed file would answer). */
static void expect_ignored(const char *why)
{
	struct prov_mapsrc *s2;
	struct passwd pw;
	char buf[4096];
	int err;

	cr_assert_eq(prov_mapsrc_new(path, geteuid(), &s2), 0);
	cr_assert_eq(prov_map_getpwnam(s2, NO_SOCKET, "mu1", &pw, buf, sizeof(buf), &err), NSS_STATUS_UNAVAIL, "%s",
		     why);
	cr_assert_eq(prov_map_getpwnam(s2, NO_SOCKET, "nobody-here", &pw, buf, sizeof(buf), &err),
		     NSS_STATUS_UNAVAIL, "%s: no authoritative miss either", why);
	prov_mapsrc_free(s2);
}

Test(mapread, ignores_writable_or_foreign_files)
{
	publish(10, 2, 1);
	cr_assert_eq(chmod(path, 0664), 0);
	expect_ignored("group-writable");
	cr_assert_eq(chmod(path, 0646), 0);
	expect_ignored("other-writable");
	cr_assert_eq(chmod(path, 0644), 0);
	if (geteuid() == 0) {
		cr_assert_eq(chown(path, 65534, 65534), 0);
		expect_ignored("not root's");
		cr_assert_eq(chown(path, 0, 0), 0);
	}
}

Test(mapread, ignores_damaged_files)
{
	FILE *f;

	publish(10, 2, 1);
	cr_assert_eq(truncate(path, 200), 0);
	expect_ignored("truncated");
	publish(10, 2, 2);
	f = fopen(path, "r+");
	cr_assert_not_null(f);
	fputs("XXXX", f); /* the magic */
	fclose(f);
	expect_ignored("bad magic");
	cr_assert_eq(unlink(path), 0);
	expect_ignored("absent");
}

/* Lines of /proc/self/maps that map needle. */
static unsigned count_mappings(const char *needle)
{
	char line[1024];
	unsigned n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

/* 64 threads look up, enumerate and call initgroups while 1,000
 * generations are published: every answer is one generation's exactly
 * (all of an entry, and all of a walk), and no mapping is leaked. */
#define N_THREADS 64
#define N_GENS 1000
#define C_USERS 12
#define C_GROUPS 3

static atomic_bool stop;
static atomic_uint bad[5]; /* pwnam, initgroups, enum entry, enum end, pwuid */
static atomic_ulong answers;

static bool entry_consistent(const struct passwd *pw, unsigned *ret_gen)
{
	unsigned gen, idx;
	char want[32];

	if (sscanf(pw->pw_gecos, "gen %u user %u", &gen, &idx) != 2)
		return false;
	snprintf(want, sizeof(want), "mu%u", idx);
	*ret_gen = gen;
	return strcmp(pw->pw_name, want) == 0 && pw->pw_uid == 40000 + idx;
}

/* initgroups of mu<i> in generation g: mg(i % C_GROUPS), plus
 * mg(g % C_GROUPS) when i == g % C_USERS, plus the sudo group for mu0. */
static bool groups_consistent(unsigned i, const gid_t *g, long n, unsigned gen_lo, unsigned gen_hi)
{
	unsigned gen;

	for (gen = gen_lo; gen <= gen_hi; gen++) {
		unsigned want = 1 + (i == gen % C_USERS && gen % C_GROUPS != i % C_GROUPS) + (i == 0);

		if ((long)want == n - 1 && (gid_t)g[1] == 60000 + i % C_GROUPS)
			return true;
	}
	return false;
}

static void *looker(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg, k = 0;
	char buf[4096];

	while (!atomic_load(&stop)) {
		struct passwd pw;
		unsigned i = (id + k++) % C_USERS, gen;
		char name[16];
		int err;

		snprintf(name, sizeof(name), "mu%u", i);
		if (k % 3 == 0) {
			enum nss_status s = prov_map_getpwnam(src, NO_SOCKET, name, &pw, buf, sizeof(buf), &err);

			if (s != NSS_STATUS_SUCCESS || !entry_consistent(&pw, &gen))
				atomic_fetch_add(&bad[0], 1);
		} else if (k % 3 == 1) {
			long int start = 1, size = 8;
			gid_t *g = malloc(8 * sizeof(gid_t));

			g[0] = 40000 + i;
			if (prov_map_initgroups(src, NO_SOCKET, name, 40000 + i, &start, &size, &g, 0, &err) !=
				    NSS_STATUS_SUCCESS ||
			    !groups_consistent(i, g, start, 0, N_GENS + 1))
				atomic_fetch_add(&bad[1], 1);
			free(g);
		} else if (k % 50 == 2) {
			struct prov_mapenum e;
			unsigned n = 0, first = 0;
			enum nss_status s;

			prov_mapenum_init(&e, PROV_OP_PW_ENUM);
			while ((s = prov_mapenum_getpw(&e, src, NO_SOCKET, &pw, buf, sizeof(buf), &err)) ==
			       NSS_STATUS_SUCCESS) {
				if (!entry_consistent(&pw, &gen) || (n && gen != first))
					atomic_fetch_add(&bad[2], 1);
				first = gen;
				n++;
			}
			if (s != NSS_STATUS_NOTFOUND || n != C_USERS)
				atomic_fetch_add(&bad[3], 1);
			prov_mapenum_reset(&e);
		} else {
			enum nss_status s = prov_map_getpwuid(src, NO_SOCKET, 40000 + i, &pw, buf, sizeof(buf), &err);

			if (s != NSS_STATUS_SUCCESS || !entry_consistent(&pw, &gen))
				atomic_fetch_add(&bad[4], 1);
		}
		atomic_fetch_add(&answers, 1);
		/* 64 lookers on 2 cores would otherwise starve the publisher
		 * (under ASan a generation then took 0.3 s): a short nap now
		 * and then keeps lookups racing each publish, not outrunning it. */
		if (k % 16 == 0)
			usleep(200);
	}
	return NULL;
}

Test(mapread, threads_against_a_thousand_generations, .timeout = 300)
{
	pthread_t t[N_THREADS];
	unsigned i, gen;
	char needle[128];

	publish(C_USERS, C_GROUPS, 1);
	atomic_store(&stop, false);
	for (i = 0; i < N_THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, looker, (void *)(uintptr_t)i), 0);
	for (gen = 2; gen <= N_GENS; gen++)
		publish(C_USERS, C_GROUPS, gen);
	atomic_store(&stop, true);
	for (i = 0; i < N_THREADS; i++)
		pthread_join(t[i], NULL);
	cr_log_info("%lu answers across %u generations", atomic_load(&answers), N_GENS);
	for (i = 0; i < 5; i++)
		cr_assert_eq(atomic_load(&bad[i]), 0, "%u answers of kind %u were not one generation's",
			     atomic_load(&bad[i]), i);
	/* Threads that ended released theirs: what is left is the source's
	 * one mapping (this thread did no lookup). */
	snprintf(needle, sizeof(needle), "%s", path);
	cr_assert_leq(count_mappings(needle), 1, "mappings left: %u", count_mappings(needle));
	prov_mapsrc_free(src);
	src = NULL;
	cr_assert_eq(count_mappings(needle), 0, "every mapping released");
	cr_assert_eq(prov_mapsrc_new(path, geteuid(), &src), 0);
}

/* Looked up in a child after fork(), with the parent's mapping, then
 * after a new generation. */
static int child_lookups(void)
{
	struct passwd pw;
	char buf[4096];
	int err;

	if (prov_map_getpwnam(src, NO_SOCKET, "mu2", &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS)
		return 10;
	if (strcmp(pw.pw_name, "mu2") != 0)
		return 11;
	if (prov_map_getpwnam(src, NO_SOCKET, "nobody-here", &pw, buf, sizeof(buf), &err) != NSS_STATUS_NOTFOUND)
		return 12;
	return 0;
}

static int wait_child(pid_t pid)
{
	int status;

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

Test(mapread, fork_then_lookups)
{
	struct passwd pw;
	char buf[4096];
	int err;
	pid_t pid;

	publish(10, 2, 1);
	cr_assert_eq(pwnam("mu1", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(child_lookups());
	cr_assert_eq(wait_child(pid), 0);
	publish(10, 2, 2);
	pid = fork();
	if (pid == 0) {
		if (prov_map_getpwnam(src, NO_SOCKET, "mu2", &pw, buf, sizeof(buf), &err) != NSS_STATUS_SUCCESS ||
		    strcmp(pw.pw_gecos, "gen 2 user 2") != 0)
			_exit(20);
		_exit(0);
	}
	cr_assert_eq(wait_child(pid), 0, "the child re-maps the new generation");
}

Test(mapread, closed_stdio)
{
	pid_t pid;

	publish(10, 2, 1);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct stat s;

		close(0);
		close(1);
		close(2);
		if (child_lookups() != 0)
			_exit(30);
		/* The module's open() got fd 0 and closed it again. */
		if (fstat(0, &s) == 0 || fstat(1, &s) == 0 || fstat(2, &s) == 0)
			_exit(31);
		_exit(0);
	}
	cr_assert_eq(wait_child(pid), 0);
}

Test(mapread, many_open_fds)
{
	pid_t pid;

	publish(10, 2, 1);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct rlimit rl = { 4096, 4096 };
		int i;

		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(40);
		for (i = 0; i < 1500; i++)
			if (open("/dev/null", O_RDONLY) < 0)
				_exit(41);
		_exit(child_lookups());
	}
	cr_assert_eq(wait_child(pid), 0);
}

/* The caller's errno survives a (re)map. */
Test(mapread, errno_preserved)
{
	struct passwd pw;
	char buf[4096];
	int err;

	publish(10, 2, 1);
	errno = 4242;
	cr_assert_eq(pwnam("mu1", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	cr_assert_eq(errno, 4242);
}

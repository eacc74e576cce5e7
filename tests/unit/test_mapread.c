/* SPDX-License-Identifier: MIT */
/* nss_prov answering from the mapped lookup snapshot: hits, misses,
 * initgroups and enumeration with no daemon at all, ERANGE, files it must
 * not believe, re-mapping when provd publishes, 64 threads against 1,000
 * generations, fork, closed stdio and many open fds (DESIGN invariant 9). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "map_fixture.h"
#include "mapread.h"

/* No daemon: an answer that needed the socket is UNAVAIL. */
#define NO_SOCKET "/nonexistent-prov-test/socket"

static struct prov_state st;
static char statedir[64], path[128];
static struct prov_mapsrc *src;

static void publish(unsigned n_users, unsigned n_groups, unsigned gen)
{
	struct mapimg img;
	char err[256];

	mf_apply(&st, n_users, n_groups, gen);
	mf_image(&st, gen, &img);
	cr_assert_eq(mapwrite_publish(statedir, &img, err, sizeof(err)), 0, "%s", err);
	mapimg_free(&img);
}

static void setup(void)
{
	fixture_quiet_log();
	strcpy(statedir, "/tmp/prov-test-mapread-XXXXXX");
	cr_assert_not_null(mkdtemp(statedir));
	snprintf(path, sizeof(path), "%s/" PROV_MAP_NAME, statedir);
	fixture_state(&st, statedir, NULL, 0);
	cr_assert_eq(prov_mapsrc_new(path, geteuid(), &src), 0);
}

static void teardown(void)
{
	prov_mapsrc_free(src);
	state_free(&st);
	fixture_rm_rf(statedir);
}

TestSuite(mapread, .init = setup, .fini = teardown);

static enum nss_status pwnam(const char *name, struct passwd *pw, char *buf, size_t n, int *err)
{
	return prov_map_getpwnam(src, NO_SOCKET, name, pw, buf, n, err);
}

Test(mapread, hits_and_misses_without_a_daemon)
{
	struct passwd pw;
	struct group gr;
	char buf[4096];
	int err = 0;

	publish(30, 4, 1);
	cr_assert_eq(pwnam("mu7", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	cr_assert_str_eq(pw.pw_name, "mu7");
	cr_assert_eq(pw.pw_uid, 40007);
	cr_assert_str_eq(pw.pw_gecos, "gen 1 user 7");
	cr_assert_str_eq(pw.pw_dir, "/home/mu7");
	cr_assert_str_eq(pw.pw_passwd, "*");
	cr_assert_eq(prov_map_getpwuid(src, NO_SOCKET, 40029, &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	cr_assert_str_eq(pw.pw_name, "mu29");
	cr_assert_eq(prov_map_getgrnam(src, NO_SOCKET, "mg2", &gr, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	cr_assert_eq(gr.gr_gid, 60002);
	cr_assert_str_eq(gr.gr_mem[0], "mu2");
	cr_assert_eq(prov_map_getgrgid(src, NO_SOCKET, 60003, &gr, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	cr_assert_str_eq(gr.gr_name, "mg3");
	/* Misses: authoritative, no socket needed (there is none). */
	err = 0;
	cr_assert_eq(pwnam("nobody-here", &pw, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND);
	cr_assert_eq(err, ENOENT);
	cr_assert_eq(prov_map_getpwuid(src, NO_SOCKET, 12345, &pw, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND);
	cr_assert_eq(prov_map_getgrnam(src, NO_SOCKET, "nogroup-here", &gr, buf, sizeof(buf), &err),
		     NSS_STATUS_NOTFOUND);
	cr_assert_eq(prov_map_getgrgid(src, NO_SOCKET, 12345, &gr, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND);
	cr_assert_eq(pwnam("localuser", &pw, buf, sizeof(buf), &err), NSS_STATUS_NOTFOUND, "local accounts win");
}

Test(mapread, initgroups_from_the_map)
{
	long int start = 1, size = 4;
	gid_t *groups = malloc(4 * sizeof(gid_t));
	int err = 0;

	publish(30, 4, 1);
	groups[0] = 40000; /* the primary, as glibc puts it first */
	cr_assert_eq(prov_map_initgroups(src, NO_SOCKET, "mu0", 40000, &start, &size, &groups, 0, &err),
		     NSS_STATUS_SUCCESS);
	/* mg0 (0 % 4) and the sudo group (mu0 holds the grant). */
	cr_assert_eq(start, 3);
	cr_assert_eq(groups[1], 60000);
	cr_assert_eq(groups[2], st.cfg.sudo_gid);
	start = 1;
	cr_assert_eq(prov_map_initgroups(src, NO_SOCKET, "stranger", 1, &start, &size, &groups, 0, &err),
		     NSS_STATUS_NOTFOUND);
	cr_assert_eq(start, 1);
	free(groups);
}

/* ERANGE: nothing written, glibc retries bigger and gets the entry. */
Test(mapread, erange_then_success)
{
	struct passwd pw;
	struct group gr;
	char small[8], buf[4096];
	int err = 0;

	publish(30, 4, 1);
	memset(small, 'Z', sizeof(small));
	cr_assert_eq(pwnam("mu7", &pw, small, sizeof(small), &err), NSS_STATUS_TRYAGAIN);
	cr_assert_eq(err, ERANGE);
	cr_assert_eq(small[0], 'Z', "nothing written on ERANGE");
	cr_assert_eq(prov_map_getgrnam(src, NO_SOCKET, "mg1", &gr, small, sizeof(small), &err), NSS_STATUS_TRYAGAIN);
	cr_assert_eq(err, ERANGE);
	cr_assert_eq(pwnam("mu7", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
}

static unsigned enum_all(struct prov_mapenum *e, unsigned gen_want, unsigned n, bool *ret_consistent)
{
	struct passwd pw;
	char buf[64];
	unsigned n0 = n;
	int err;
	enum nss_status s;
	char *big = malloc(4096);

	*ret_consistent = true;
	/* A small buffer first: every entry comes back after an ERANGE. */
	for (;;) {
		s = prov_mapenum_getpw(e, src, NO_SOCKET, &pw, buf, sizeof(buf), &err);
		if (s == NSS_STATUS_TRYAGAIN && err == ERANGE)
			s = prov_mapenum_getpw(e, src, NO_SOCKET, &pw, big, 4096, &err);
		if (s != NSS_STATUS_SUCCESS)
			break;
		{
			unsigned gen, idx;
			char want[16];

			if (sscanf(pw.pw_gecos, "gen %u user %u", &gen, &idx) != 2 || idx != n ||
			    (gen_want && gen != gen_want))
				*ret_consistent = false;
			if (gen_want == 0)
				gen_want = gen;
			snprintf(want, sizeof(want), "mu%u", n);
			if (strcmp(pw.pw_name, want) != 0)
				*ret_consistent = false;
		}
		n++;
	}
	free(big);
	cr_assert_eq(s, NSS_STATUS_NOTFOUND);
	return n - n0;
}

Test(mapread, enumeration_from_the_map)
{
	struct prov_mapenum e;
	struct group gr;
	char buf[8192];
	unsigned n = 0;
	bool ok;
	int err;

	publish(300, 4, 1);
	prov_mapenum_init(&e, PROV_OP_PW_ENUM);
	cr_assert_eq(enum_all(&e, 1, 0, &ok), 300);
	cr_assert(ok);
	prov_mapenum_reset(&e);
	prov_mapenum_init(&e, PROV_OP_GR_ENUM);
	while (prov_mapenum_getgr(&e, src, NO_SOCKET, &gr, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS)
		n++;
	cr_assert_eq(n, 5, "4 groups and the sudo group");
	prov_mapenum_reset(&e);
}

/* An enumeration keeps its generation to the end, even when provd
 * publishes a newer one half-way. */
Test(mapread, enumeration_keeps_its_generation)
{
	struct prov_mapenum e;
	struct passwd pw;
	char buf[4096];
	bool ok;
	int err;

	publish(40, 2, 1);
	prov_mapenum_init(&e, PROV_OP_PW_ENUM);
	cr_assert_eq(prov_mapenum_getpw(&e, src, NO_SOCKET, &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
	publish(40, 2, 2);
	cr_assert_str_eq(pw.pw_name, "mu0");
	cr_assert_eq(enum_all(&e, 1, 1, &ok), 39);
	cr_assert(ok, "the rest from generation 1");
	prov_mapenum_reset(&e);
	prov_mapenum_init(&e, PROV_OP_PW_ENUM);
	cr_assert_eq(enum_all(&e, 2, 0, &ok), 40);
	cr_assert(ok, "a new walk takes the new generation");
	prov_mapenum_reset(&e);
}

/* A new generation is seen by the next lookup, through the superseded
 * word of the one mapped. */
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

/* A corrupt record: that lookup goes to the socket, the others still
 * come from the map. */
Test(mapread, damaged_record_falls_back)
{
	struct passwd pw;
	char buf[4096];
	uint8_t *p;
	size_t len;
	int err;
	FILE *f;

	publish(10, 2, 1);
	f = fopen(path, "r+");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	p = malloc(len);
	fseek(f, 0, SEEK_SET);
	cr_assert_eq(fread(p, 1, len, f), len);
	{
		uint8_t *at = memmem(p, len, "gen 1 user 4", 12);

		cr_assert_not_null(at);
		at[0] = 'G';
		fseek(f, at - p, SEEK_SET);
		fputc('G', f);
	}
	fclose(f);
	free(p);
	cr_assert_eq(pwnam("mu4", &pw, buf, sizeof(buf), &err), NSS_STATUS_UNAVAIL, "the socket was asked");
	cr_assert_eq(pwnam("mu5", &pw, buf, sizeof(buf), &err), NSS_STATUS_SUCCESS);
}

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

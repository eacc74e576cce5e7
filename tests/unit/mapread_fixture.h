/* SPDX-License-Identifier: MIT */
/* Shared set-up of the nss_prov snapshot tests (test_mapread.c,
 * test_mapanswer.c): a state, provd's writer publishing into a temp dir,
 * and a snapshot source on it. No daemon anywhere: an answer that needed
 * the socket is UNAVAIL. */
#ifndef PROV_TEST_MAPREAD_FIXTURE_H
#define PROV_TEST_MAPREAD_FIXTURE_H
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

static inline void publish(unsigned n_users, unsigned n_groups, unsigned gen)
{
	struct mapimg img;
	char err[256];

	mf_apply(&st, n_users, n_groups, gen);
	mf_image(&st, gen, &img);
	cr_assert_eq(mapwrite_publish(statedir, &img, err, sizeof(err)), 0, "%s", err);
	mapimg_free(&img);
}

static inline void setup(void)
{
	fixture_quiet_log();
	strcpy(statedir, "/tmp/prov-test-mapread-XXXXXX");
	cr_assert_not_null(mkdtemp(statedir));
	snprintf(path, sizeof(path), "%s/" PROV_MAP_NAME, statedir);
	fixture_state(&st, statedir, NULL, 0);
	cr_assert_eq(prov_mapsrc_new(path, geteuid(), &src), 0);
}

static inline void teardown(void)
{
	prov_mapsrc_free(src);
	state_free(&st);
	fixture_rm_rf(statedir);
}


static inline enum nss_status pwnam(const char *name, struct passwd *pw, char *buf, size_t n, int *err)
{
	return prov_map_getpwnam(src, NO_SOCKET, name, pw, buf, n, err);
}

#endif

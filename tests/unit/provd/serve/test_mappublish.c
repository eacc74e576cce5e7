/* SPDX-License-Identifier: MIT */
/* When provd publishes the lookup snapshot and what it says about it:
 * after every applied directory (the on_publish hook), at the instant a
 * sudo grant expires (the timer's next change), and a status that tells
 * when nss_prov would ignore the file. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "map_fixture.h"
#include "serve/mappublish.h"
#include "mapview.h"
#include "store/removed.h"

static struct prov_state st;
static struct mappub *pub;
static char dir[64], path[128];

#define EXPIRY 1893456000 /* 2030-01-01T00:00:00Z */

static const char DOC[] =
	"{\"prov_directory\": 1, \"serial\": 5,"
	" \"users\": [{\"name\": \"dave\", \"uid\": 20004}, {\"name\": \"erin\", \"uid\": 20005}],"
	" \"bindings\": [{\"name\": \"dave-oncall\", \"users\": [\"dave\"], \"grants\": [\"sudo\"],"
	"   \"not_after\": \"2030-01-01T00:00:00Z\"}]}";

static void setup(void)
{
	fixture_quiet_log();
	strcpy(dir, "/tmp/prov-test-mappublish-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/" PROV_MAP_NAME, dir);
	fixture_state(&st, dir, NULL, 0);
	fixture_set(&st.cfg.runtime_dir, dir);
	cr_assert_eq(mappub_new(&st, NULL, &pub), 0);
}

static void teardown(void)
{
	mappub_free(pub);
	state_free(&st);
	fixture_rm_rf(dir);
}

TestSuite(mappublish, .init = setup, .fini = teardown);

static void apply(const char *doc)
{
	char err[512];
	int r = state_apply_document(&st, doc, strlen(doc), "test", APPLY_NO_CACHE, err, sizeof(err));

	cr_assert_eq(r, 0, "%d %s", r, err);
}

Test(mappublish, every_applied_directory_is_published)
{
	char line[512];
	struct stat s;

	cr_assert_eq(mappub_generation(pub), 0);
	mappub_status(pub, line, sizeof(line));
	cr_assert(strstr(line, "not published") != NULL, "%s", line);
	apply(DOC);
	cr_assert_eq(stat(path, &s), 0, "published by the hook");
	cr_assert_eq(mappub_generation(pub), 1);
	mappub_status(pub, line, sizeof(line));
	cr_assert(strstr(line, "generation 1, serial 5, 2 users") != NULL, "%s", line);
	mf_apply(&st, 7, 2, 6);
	cr_assert_eq(mappub_generation(pub), 2);
	cr_assert_eq(mappub_verify_file(path, line, sizeof(line)), 0, "%s", line);
	cr_assert(strstr(line, "valid: generation 2, serial 6, 7 users") != NULL, "%s", line);
}

/* provd checks its own file at each status: a file nss_prov would not
 * believe is reported, with why. */
Test(mappublish, status_says_when_nss_prov_ignores_the_file)
{
	char line[512];

	apply(DOC);
	cr_assert_eq(chmod(path, 0664), 0);
	mappub_status(pub, line, sizeof(line));
	cr_assert(strstr(line, "ignored by nss_prov") && strstr(line, "writable by group or others"), "%s", line);
	cr_assert_eq(mappub_verify_file(path, line, sizeof(line)), -EPERM);
	cr_assert_eq(chmod(path, 0644), 0);
	if (geteuid() == 0) {
		cr_assert_eq(chown(path, 1000, 1000), 0);
		mappub_status(pub, line, sizeof(line));
		cr_assert(strstr(line, "not owned by root") != NULL, "%s", line);
		cr_assert_eq(chown(path, 0, 0), 0);
	}
	mappub_status(pub, line, sizeof(line));
	cr_assert(strstr(line, "generation 1") != NULL, "%s", line);
}

Test(mappublish, verify_sees_damage_and_absence)
{
	char line[512];
	int fd;

	apply(DOC);
	fd = open(path, O_WRONLY);
	cr_assert_geq(fd, 0);
	/* A byte inside the last record's payload: the header still checks. */
	cr_assert_eq(pwrite(fd, "\xff", 1, PROV_MAP_HEADER_SIZE + 12), 1);
	close(fd);
	cr_assert_eq(mappub_verify_file(path, line, sizeof(line)), -EBADMSG, "%s", line);
	cr_assert(strstr(line, "damaged") != NULL, "%s", line);
	unlink(path);
	cr_assert_eq(mappub_verify_file(path, line, sizeof(line)), -ENOENT);
}

static unsigned sudo_members(int64_t now)
{
	struct mapwrite_meta meta = { 1, 1, now };
	struct prov_map_view v;
	struct prov_group_rec g;
	struct mapimg img;
	unsigned n;

	cr_assert_eq(mapwrite_build(&st, &meta, &img), 0);
	cr_assert_eq(prov_map_view_init(img.data, img.len, &v), 0);
	cr_assert_eq(prov_map_group_by_gid(&v, st.cfg.sudo_gid, &g), 0);
	n = g.n_members;
	mapimg_free(&img);
	return n;
}

/* A sudo grant that expires changes the sudo group's members with no
 * sync: that instant is the timer's next change, and a snapshot built at
 * it has the member gone (DESIGN invariant 3: sudo is gone at the same
 * time). */
Test(mappublish, sudo_expiry_is_a_publish_instant)
{
	apply(DOC);
	st.last_ok = 0; /* not tracked: never stale by age, only the grant ends */
	cr_assert_eq(mappub_next_change(&st, EXPIRY - 3600), EXPIRY);
	cr_assert_eq(sudo_members(EXPIRY - 1), 1, "dave, before");
	cr_assert_eq(sudo_members(EXPIRY), 0, "nobody, from the instant it expires");
	cr_assert_eq(mappub_next_change(&st, EXPIRY + 1), 0, "nothing left to expire");
}

/* A removed user's retention running out is an instant too. */
Test(mappublish, removed_user_retention_is_a_publish_instant)
{
	struct removed_user ru = { .name = (char *)"gone", .gecos = (char *)"", .home = (char *)"/home/gone", .uid = 20100, .gid = 20100,
				   .removed_at = EXPIRY - 100 };
	struct removed_users list = { .v = &ru, .n = 1 };
	struct removed_users *saved = st.removed;

	apply(DOC);
	st.last_ok = 0;
	st.removed = &list;
	st.cfg.deprovisioned_retention_s = 50;
	cr_assert_eq(mappub_next_change(&st, EXPIRY - 90), EXPIRY - 50);
	st.removed = saved;
}

/* last_ok moves after the swap (and with every pull that confirms the
 * directory, swap or not): a snapshot built while the directory looked
 * stale (no sudo members) is published again once it is not. */
Test(mappublish, refresh_follows_staleness)
{
	int64_t now = (int64_t)time(NULL);

	cr_assert_eq(dir_strv_push(&st.cfg.urls, "https://directory.invalid/doc"), 0);
	st.cfg.offline_grace_s = 3600;
	st.last_ok = 0; /* never confirmed: stale */
	apply(DOC);
	cr_assert_eq(mappub_generation(pub), 1);
	cr_assert_eq(sudo_members(now), 0, "stale: nobody has sudo");
	mappub_refresh(pub, now);
	cr_assert_eq(mappub_generation(pub), 1, "nothing changed: not published again");
	st.last_ok = now; /* a pull confirmed it */
	mappub_refresh(pub, now);
	cr_assert_eq(mappub_generation(pub), 2, "published again");
	cr_assert_eq(sudo_members(now), 1, "dave has sudo again");
	mappub_refresh(pub, now);
	cr_assert_eq(mappub_generation(pub), 2);
}

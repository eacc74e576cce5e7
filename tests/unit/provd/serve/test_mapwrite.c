/* SPDX-License-Identifier: MIT */
/* provd's writer of the lookup snapshot: the image says exactly what the
 * socket answers, and publishing swaps files atomically and marks the old
 * one superseded for the readers that have it mapped. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loop/dispatch.h"
#include "map_fixture.h"
#include "mapview.h"
#include "store/removed.h"

static struct prov_state st;
static char statedir[64];
static uint8_t *out;

static void setup(void)
{
	fixture_quiet_log();
	strcpy(statedir, "/tmp/prov-test-mapwrite-XXXXXX");
	cr_assert_not_null(mkdtemp(statedir));
	fixture_state(&st, statedir, NULL, 0);
	out = malloc(DISPATCH_REPLY_CAP);
	cr_assert_not_null(out);
}

static void teardown(void)
{
	state_free(&st);
	free(out);
	fixture_rm_rf(statedir);
}

TestSuite(mapwrite, .init = setup, .fini = teardown);

/* What the socket answers: status, and the body in *ret_body/len. */
static int sock(uint16_t op, const void *body, size_t len, const uint8_t **ret_body, size_t *ret_len)
{
	static const struct dispatch_peer anyone = { .uid = 1000, .gid = 1000, .pid = 1, .private_socket = false };
	struct prov_header h = { .version = PROV_PROTO_VERSION, .type = op, .body_len = (uint32_t)len };
	struct prov_header rh;
	struct prov_writer w;

	prov_writer_init(&w, out, DISPATCH_REPLY_CAP);
	dispatch_request(&st, &anyone, &h, body, &w);
	cr_assert_eq(prov_header_decode(out, &rh), 0);
	*ret_body = out + PROV_HEADER_SIZE;
	*ret_len = rh.body_len;
	return (int)rh.status;
}

static int sock_name(uint16_t op, const char *name, const uint8_t **ret_body, size_t *ret_len)
{
	uint8_t req[64];
	uint32_t n = (uint32_t)strlen(name);

	memcpy(req, &n, 4);
	memcpy(req + 4, name, n);
	return sock(op, req, 4 + n, ret_body, ret_len);
}

static int sock_id(uint16_t op, uint32_t id, const uint8_t **ret_body, size_t *ret_len)
{
	return sock(op, &id, 4, ret_body, ret_len);
}

/* Every user and group the socket knows is in the map with the same
 * bytes, by name and by id, with the same INITGROUPS answer. */
Test(mapwrite, image_is_the_socket_answers)
{
	struct prov_map_view v;
	struct mapimg img;
	unsigned i;

	mf_apply(&st, 50, 7, 3);
	mf_image(&st, 9, &img);
	cr_assert_eq(prov_map_view_init(img.data, img.len, &v), 0);
	cr_assert_eq(prov_map_verify_all(&v), 0);
	cr_assert_eq(v.generation, 9);
	cr_assert_eq(v.serial, 3);
	cr_assert_eq(v.start_id, 0x1234567890abcdefull);
	cr_assert_eq(v.n_users, 50);
	cr_assert_eq(v.n_groups, 8, "7 groups and the sudo group");
	for (i = 0; i < 50; i++) {
		struct prov_map_user u, byid;
		const uint8_t *body;
		size_t len;
		char name[16];

		snprintf(name, sizeof(name), "mu%u", i);
		cr_assert_eq(prov_map_user_by_name(&v, name, strlen(name), &u), 0, "%s", name);
		cr_assert_eq(sock_name(PROV_OP_PW_BY_NAME, name, &body, &len), PROV_ST_OK);
		cr_assert_eq(u.pw_len, len);
		cr_assert_eq(memcmp(u.pw_body, body, len), 0, "%s: the socket's bytes", name);
		cr_assert_eq(prov_map_user_by_uid(&v, 40000 + i, &byid), 0);
		cr_assert_eq(byid.pw_body, u.pw_body, "the same record by uid");
		cr_assert_eq(sock_name(PROV_OP_INITGROUPS, name, &body, &len), PROV_ST_OK);
		cr_assert_eq(u.ig_status, PROV_ST_OK);
		cr_assert_eq(u.ig_len, len);
		cr_assert_eq(memcmp(u.ig_body, body, len), 0, "%s: the socket's groups", name);
	}
	for (i = 0; i < 7; i++) {
		struct prov_group_rec g, byid;
		const uint8_t *body;
		size_t len;
		char name[16];

		snprintf(name, sizeof(name), "mg%u", i);
		cr_assert_eq(prov_map_group_by_name(&v, name, strlen(name), &g), 0, "%s", name);
		cr_assert_eq(sock_name(PROV_OP_GR_BY_NAME, name, &body, &len), PROV_ST_OK);
		cr_assert_eq((size_t)(g.members.buf + g.members.len - (const uint8_t *)g.name.ptr + 4), len);
		cr_assert_eq(memcmp(g.name.ptr - 4, body, len), 0, "%s: the socket's bytes", name);
		cr_assert_eq(prov_map_group_by_gid(&v, 60000 + i, &byid), 0);
		cr_assert_eq(byid.name.ptr, g.name.ptr);
	}
	mapimg_free(&img);
}

/* The sudo group with its members now, as GR_BY_NAME answers it. */
Test(mapwrite, sudo_group_with_members_now)
{
	struct prov_map_view v;
	struct prov_group_rec g;
	struct prov_str m;
	struct mapimg img;
	const uint8_t *body;
	size_t len;

	mf_apply(&st, 5, 2, 1);
	mf_image(&st, 1, &img);
	cr_assert_eq(prov_map_view_init(img.data, img.len, &v), 0);
	cr_assert_eq(prov_map_group_by_name(&v, st.cfg.sudo_group, strlen(st.cfg.sudo_group), &g), 0);
	cr_assert_eq(g.gid, st.cfg.sudo_gid);
	cr_assert_eq(g.n_members, 1);
	cr_assert_eq(prov_group_next_member(&g, &m), 0);
	cr_assert(prov_str_eq(&m, "mu0"));
	cr_assert_eq(sock_id(PROV_OP_GR_BY_GID, st.cfg.sudo_gid, &body, &len), PROV_ST_OK);
	cr_assert_eq(prov_map_group_by_gid(&v, st.cfg.sudo_gid, &g), 0);
	cr_assert_eq(memcmp(g.name.ptr - 4, body, len), 0);
	mapimg_free(&img);
}

/* Names and ids that are not there: an authoritative miss, as the
 * socket's NOT_FOUND. */
Test(mapwrite, misses)
{
	struct prov_map_view v;
	struct prov_map_user u;
	struct prov_group_rec g;
	struct mapimg img;
	const uint8_t *body;
	size_t len;

	mf_apply(&st, 20, 3, 1);
	mf_image(&st, 1, &img);
	cr_assert_eq(prov_map_view_init(img.data, img.len, &v), 0);
	cr_assert_eq(prov_map_user_by_name(&v, "nobody-here", 11, &u), -ENOENT);
	cr_assert_eq(sock_name(PROV_OP_PW_BY_NAME, "nobody-here", &body, &len), PROV_ST_NOT_FOUND);
	cr_assert_eq(prov_map_user_by_name(&v, "localuser", 9, &u), -ENOENT, "local accounts win");
	cr_assert_eq(prov_map_user_by_uid(&v, 39999, &u), -ENOENT);
	cr_assert_eq(prov_map_user_by_uid(&v, 0, &u), -ENOENT);
	cr_assert_eq(prov_map_group_by_name(&v, "mg3", 3, &g), -ENOENT);
	cr_assert_eq(prov_map_group_by_gid(&v, 60003, &g), -ENOENT);
	mapimg_free(&img);
}

/* Enumeration order is the socket's PW_ENUM order. */
Test(mapwrite, enumeration_order)
{
	struct prov_map_view v;
	struct prov_map_user u;
	struct mapimg img;
	uint32_t cursor = 0;
	unsigned n = 0;

	mf_apply(&st, 600, 3, 1); /* more than two enumeration pages */
	mf_image(&st, 1, &img);
	cr_assert_eq(prov_map_view_init(img.data, img.len, &v), 0);
	while (prov_map_next_user(&v, &cursor, &u) == 0) {
		char want[16];

		snprintf(want, sizeof(want), "mu%u", n++);
		cr_assert(prov_str_eq(&u.pw.name, want), "entry %u", n - 1);
	}
	cr_assert_eq(n, 600);
	mapimg_free(&img);
}

/* Nothing served: nothing to publish. */
Test(mapwrite, no_directory)
{
	struct mapwrite_meta meta = { 1, 1, 1 };
	struct mapimg img;

	cr_assert_eq(mapwrite_build(&st, &meta, &img), -ENODATA);
}

static void *map_path(const char *path, size_t *ret_size)
{
	struct stat s;
	void *p;
	int fd = open(path, O_RDONLY);

	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(fstat(fd, &s), 0);
	p = mmap(NULL, (size_t)s.st_size, PROT_READ, MAP_SHARED, fd, 0);
	cr_assert_neq(p, MAP_FAILED);
	close(fd);
	*ret_size = (size_t)s.st_size;
	return p;
}

/* A new generation renames over the old file; a reader that still has
 * the old one mapped sees its superseded word turn to 1 (one memory read)
 * and finds the new generation at the path. */
Test(mapwrite, publish_supersedes_the_mapped_file)
{
	char path[128], err[256];
	struct prov_map_view v1, v2;
	struct mapimg a, b;
	struct stat s;
	size_t s1, s2;
	void *m1, *m2;

	snprintf(path, sizeof(path), "%s/" PROV_MAP_NAME, statedir);
	mf_apply(&st, 10, 2, 1);
	mf_image(&st, 1, &a);
	cr_assert_eq(mapwrite_publish(statedir, &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat(path, &s), 0);
	cr_assert_eq(s.st_mode & 07777, 0644);
	cr_assert_eq(s.st_uid, geteuid());
	m1 = map_path(path, &s1);
	cr_assert_eq(prov_map_view_init(m1, s1, &v1), 0);
	cr_assert_not(prov_map_superseded(&v1));

	mf_apply(&st, 11, 2, 2);
	mf_image(&st, 2, &b);
	cr_assert_eq(mapwrite_publish(statedir, &b, err, sizeof(err)), 0, "%s", err);
	cr_assert(prov_map_superseded(&v1), "the mapped old file is marked");
	m2 = map_path(path, &s2);
	cr_assert_eq(prov_map_view_init(m2, s2, &v2), 0);
	cr_assert_eq(v2.generation, 2);
	cr_assert_eq(v2.n_users, 11);
	cr_assert_eq(prov_map_view_init(m1, s1, &v1), -ESTALE, "a superseded file is not opened again");
	munmap(m1, s1);
	munmap(m2, s2);
	mapimg_free(&a);
	mapimg_free(&b);
}

/* A publish that cannot write leaves the file in place as it was. */
Test(mapwrite, publish_failure_keeps_the_old_file)
{
	char err[256];
	struct mapimg a;

	mf_apply(&st, 3, 1, 1);
	mf_image(&st, 1, &a);
	cr_assert_lt(mapwrite_publish("/nonexistent-dir-for-prov", &a, err, sizeof(err)), 0);
	cr_assert(strstr(err, "/nonexistent-dir-for-prov") != NULL, "%s", err);
	mapimg_free(&a);
}

/* 100,000 users: built and published (the figure is the bench's; this
 * only proves it works at that size). */
Test(mapwrite, hundred_thousand_users, .timeout = 120)
{
	struct prov_map_view v;
	struct prov_map_user u;
	struct timespec t0, t1;
	struct mapimg img;
	char err[256];

	mf_apply(&st, 100000, 100, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mf_image(&st, 1, &img);
	cr_assert_eq(mapwrite_publish(statedir, &img, err, sizeof(err)), 0, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_log_info("100000 users: %zu bytes, built and published in %.1f ms", img.len,
		    (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	cr_assert_eq(prov_map_view_init(img.data, img.len, &v), 0);
	/* uids 65534 and 65535 are refused by admission, as on the socket */
	cr_assert_eq(v.n_users, st.dir->n_users, "%u users", v.n_users);
	cr_assert_geq(v.n_users, 99990);
	cr_assert_eq(prov_map_user_by_name(&v, "mu99999", 7, &u), 0);
	cr_assert_eq(u.pw.uid, 40000 + 99999);
	mapimg_free(&img);
}

/* A removed user whose uid a live user has now: PW_BY_NAME still answers
 * her (with nologin), PW_ENUM skips her, PW_BY_UID answers the live user.
 * The map says the same: by name only, not enumerated. */
Test(mapwrite, removed_user_with_a_reused_uid)
{
	struct removed_user ru = { .name = (char *)"gone", .gecos = (char *)"", .home = (char *)"/home/gone",
				   .uid = 40001, .gid = 40001, .removed_at = 1800000000 - 10 };
	struct removed_users list = { .v = &ru, .n = 1 };
	struct prov_map_view v;
	struct prov_map_user u;
	struct mapimg img;
	uint32_t cursor = 0;
	unsigned n = 0;

	mf_apply(&st, 3, 1, 1);
	st.removed = &list;
	mf_image(&st, 1, &img);
	cr_assert_eq(prov_map_view_init(img.data, img.len, &v), 0);
	cr_assert_eq(prov_map_verify_all(&v), 0);
	cr_assert_eq(prov_map_user_by_name(&v, "gone", 4, &u), 0);
	cr_assert_eq(u.flags, PROV_MAP_REC_LOOKUP_ONLY);
	cr_assert(prov_str_eq(&u.pw.shell, st.cfg.nologin_shell));
	cr_assert_eq(prov_map_user_by_uid(&v, 40001, &u), 0);
	cr_assert(prov_str_eq(&u.pw.name, "mu1"), "the uid answers the live user");
	while (prov_map_next_user(&v, &cursor, &u) == 0) {
		cr_assert_not(prov_str_eq(&u.pw.name, "gone"), "not enumerated");
		n++;
	}
	cr_assert_eq(n, 3);
	st.removed = NULL;
	mapimg_free(&img);
}

/* A provd with nothing to serve takes the previous snapshot away: gone
 * from the path, and marked for whoever has it mapped. */
Test(mapwrite, withdraw)
{
	char path[128], err[256];
	struct prov_map_view v;
	struct mapimg a;
	struct stat s;
	size_t sz;
	void *m;

	snprintf(path, sizeof(path), "%s/" PROV_MAP_NAME, statedir);
	mf_apply(&st, 3, 1, 1);
	mf_image(&st, 1, &a);
	cr_assert_eq(mapwrite_publish(statedir, &a, err, sizeof(err)), 0, "%s", err);
	m = map_path(path, &sz);
	cr_assert_eq(prov_map_view_init(m, sz, &v), 0);
	cr_assert_eq(mapwrite_withdraw(statedir), 0);
	cr_assert_neq(stat(path, &s), 0);
	cr_assert(prov_map_superseded(&v));
	cr_assert_eq(mapwrite_withdraw(statedir), 0, "nothing there: fine");
	munmap(m, sz);
	mapimg_free(&a);
}

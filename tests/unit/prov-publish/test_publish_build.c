/* SPDX-License-Identifier: MIT */
/* prov-publish build (prov-publish/build.c): the output is signed and
 * verifies; an unchanged directory leaves it byte for byte (and inode) as
 * it was; a change grows the serial by one; the deprovisioning guard
 * refuses before anything is written; a bad bindings file fails. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "source/docparse.h"
#include "source/docsig.h"
#include "keys.h"
#include "output.h"
#include "verify.h"

#include <zlib.h>

static char tmpdir[64], out[96], prefix[96], key[128], pub[128], users[128], binds[128], err[1024];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, 0644);
}

/* n active users u1..un, users listed in "active" off are inactive. */
static void write_users(int n, int inactive_from)
{
	char *buf = malloc(200 * (size_t)n + 200);
	size_t len;

	len = (size_t)sprintf(buf, "{\"prov_directory\": 1, \"serial\": 1, \"users\": [");
	for (int i = 1; i <= n; i++)
		len += (size_t)sprintf(buf + len, "%s{\"id\": \"id%d\", \"name\": \"u%d\", \"uid\": %d, \"active\": %s}",
				       i > 1 ? ", " : "", i, i, 30000 + i, i >= inactive_from ? "false" : "true");
	strcpy(buf + len, "], \"groups\": [{\"id\": \"g\", \"name\": \"ops\", \"gid\": 40000, \"members\": [\"u1\"]}]}");
	write_file(users, buf);
	free(buf);
}

static void setup(void)
{
	char pubtext[128];

	strcpy(tmpdir, "/tmp/prov-test-pubbuild-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(out, sizeof(out), "%s/out", tmpdir);
	cr_assert_eq(mkdir(out, 0755), 0);
	snprintf(prefix, sizeof(prefix), "%s/k", tmpdir);
	snprintf(key, sizeof(key), "%s.key", prefix);
	snprintf(pub, sizeof(pub), "%s.pub", prefix);
	snprintf(users, sizeof(users), "%s/users.json", tmpdir);
	snprintf(binds, sizeof(binds), "%s/bindings.json", tmpdir);
	cr_assert_eq(pubkeys_generate(prefix, pubtext, sizeof(pubtext), err, sizeof(err)), 0, "%s", err);
	write_file(binds, "{\"prov_directory\": 1, \"serial\": 0, \"bindings\": [{\"name\": \"ops-login\", "
			  "\"groups\": [\"ops\"], \"hosts\": [\"web-*\"], \"grants\": [\"login\", \"sudo\"]}]}");
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(publish_build, .init = setup, .fini = teardown);

static bool gzip_out;

static int build(int64_t now, bool force, struct build_result *res)
{
	struct build_opts o = {
		.out_dir = out,
		.audience = "prod",
		.keys = { key },
		.n_keys = 1,
		.validity_s = 7 * 86400,
		.force = force,
		.gzip = gzip_out,
		.now = now,
	};
	int r;

	cr_assert_eq(dir_strv_push(&o.documents, users), 0);
	cr_assert_eq(dir_strv_push(&o.bindings, binds), 0);
	err[0] = '\0';
	r = build_run(&o, res, err, sizeof(err));
	dir_strv_free(&o.documents);
	dir_strv_free(&o.bindings);
	return r;
}

static void file_id(const char *name, char *buf, size_t bufsz)
{
	char path[160];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", out, name);
	cr_assert_eq(stat(path, &st), 0);
	snprintf(buf, bufsz, "%lu %ld.%09ld %ld", (unsigned long)st.st_ino, (long)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec, (long)st.st_size);
}

static void verify_ok(uint64_t serial)
{
	struct verify_opts vo = { .audience = "prod", .now = 1800000000 };
	struct verify_result vr;
	char file[160];

	snprintf(file, sizeof(file), "%s/directory.json", out);
	vo.file = file;
	cr_assert_eq(dir_strv_push(&vo.keys, pub), 0);
	cr_assert_eq(verify_run(&vo, &vr, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(vr.serial, serial);
	cr_assert_str_eq(vr.audience, "prod");
	dir_strv_free(&vo.keys);
}

Test(publish_build, publish_unchanged_changed)
{
	struct build_result res;
	char id1[96], id2[96], sid1[96], sid2[96];

	write_users(20, 100);
	cr_assert_eq(build(1800000000, false, &res), 0, "%s", err);
	cr_assert(res.written);
	cr_assert_eq(res.serial, 1);
	cr_assert_eq(res.n_users, 20);
	cr_assert_eq(res.n_bindings, 1);
	verify_ok(1);
	file_id("directory.json", id1, sizeof(id1));
	file_id("directory.json.sig", sid1, sizeof(sid1));

	/* Unchanged an hour later: not a byte, not an inode touched. */
	cr_assert_eq(build(1800003600, false, &res), 0, "%s", err);
	cr_assert_not(res.written);
	cr_assert_eq(res.serial, 1);
	file_id("directory.json", id2, sizeof(id2));
	file_id("directory.json.sig", sid2, sizeof(sid2));
	cr_assert_str_eq(id1, id2);
	cr_assert_str_eq(sid1, sid2);

	/* One user deactivated: serial 2, and the .sig also covers serial 1
	 * (a host fetching during the switch still verifies). */
	write_users(20, 20);
	cr_assert_eq(build(1800007200, false, &res), 0, "%s", err);
	cr_assert(res.written);
	cr_assert_eq(res.serial, 2);
	cr_assert_eq(res.n_deprovisioned, 1);
	verify_ok(2);
	/* Written within the same second as serial 1, it still gets a later
	 * mtime: nginx's ETag (mtime and size) must change with the content. */
	{
		char path[160];
		struct stat st;
		long m1 = atol(strchr(id1, ' ') + 1);

		snprintf(path, sizeof(path), "%s/directory.json", out);
		cr_assert_eq(stat(path, &st), 0);
		cr_assert_gt(st.st_mtim.tv_sec, m1);
	}
	{
		char *sig = NULL;
		size_t len = 0;

		cr_assert_eq(output_read(out, "directory.json.sig", &sig, &len, err, sizeof(err)), 0);
		cr_assert_eq(len, 2 * (8 + 16 + 1 + 88 + 1), "two lines: %s", sig);
		free(sig);
	}
	/* Near its not_after, an unchanged directory is renewed. */
	cr_assert_eq(build(1800007200 + 5 * 86400, false, &res), 0, "%s", err);
	cr_assert(res.written);
	cr_assert_eq(res.serial, 3);
}

Test(publish_build, guard_refuses_mass_deprovisioning)
{
	struct build_result res;
	char id1[96], id2[96];

	write_users(100, 1000);
	cr_assert_eq(build(1800000000, false, &res), 0, "%s", err);
	file_id("directory.json", id1, sizeof(id1));
	/* 50 of 100 gone at once: refused, nothing written. */
	write_users(50, 1000);
	cr_assert_eq(build(1800000100, false, &res), -EPERM);
	cr_assert_not_null(strstr(err, "would deprovision 50 of 100"), "%s", err);
	file_id("directory.json", id2, sizeof(id2));
	cr_assert_str_eq(id1, id2);
	/* --force publishes it. */
	cr_assert_eq(build(1800000200, true, &res), 0, "%s", err);
	cr_assert_eq(res.serial, 2);
	cr_assert_eq(res.n_users, 50);
}

Test(publish_build, bad_bindings_file_fails)
{
	struct build_result res;
	char path[160];

	write_users(5, 100);
	write_file(binds, "{\"prov_directory\": 1, \"serial\": 0, \"bindings\": [{\"name\": \"x\", \"grants\": 5}]}");
	cr_assert_eq(build(1800000000, false, &res), -EINVAL);
	cr_assert_not_null(strstr(err, "bindings.json"), "%s", err);
	snprintf(path, sizeof(path), "%s/directory.json", out);
	cr_assert_neq(access(path, F_OK), 0, "nothing published");
}

Test(publish_build, merge_moves_everything)
{
	struct directory *a = directory_new(), *b = directory_new();

	cr_assert_not_null(directory_add_user(b));
	b->users[0].name = strdup("x");
	cr_assert_not_null(directory_add_binding(b));
	cr_assert_eq(build_merge(a, b), 0);
	cr_assert_eq(a->n_users, 1);
	cr_assert_str_eq(a->users[0].name, "x");
	cr_assert_null(b->users[0].name);
	directory_free(b);
	directory_free(a);
}

/* --gzip: <name>.gz is the document, compressed, byte for byte the same
 * on every run (so its ETag changes only with the document). */
Test(publish_build, gzip_copy)
{
	struct build_result res;
	char *doc = NULL, *gz = NULL, *plain;
	size_t len = 0, gzlen = 0;
	z_stream zs = { 0 };

	gzip_out = true;
	write_users(30, 100);
	cr_assert_eq(build(1800000000, false, &res), 0, "%s", err);
	cr_assert_eq(output_read(out, "directory.json", &doc, &len, err, sizeof(err)), 0);
	cr_assert_eq(output_read(out, "directory.json.gz", &gz, &gzlen, err, sizeof(err)), 0, "%s", err);
	cr_assert_lt(gzlen, len);
	plain = malloc(len + 1);
	cr_assert_eq(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)gz;
	zs.avail_in = (uInt)gzlen;
	zs.next_out = (Bytef *)plain;
	zs.avail_out = (uInt)len + 1;
	cr_assert_eq(inflate(&zs, Z_FINISH), Z_STREAM_END);
	cr_assert_eq(zs.total_out, len);
	cr_assert_eq(memcmp(plain, doc, len), 0);
	inflateEnd(&zs);
	{
		char *again = NULL;
		size_t alen = 0;

		cr_assert_eq(output_gzip(doc, len, &again, &alen), 0);
		cr_assert_eq(alen, gzlen);
		cr_assert_eq(memcmp(again, gz, gzlen), 0);
		free(again);
	}
	free(plain);
	free(doc);
	free(gz);
	gzip_out = false;
}

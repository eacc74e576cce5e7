/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the directory document path: docparse, then admit
 * against a fixed set of local accounts, index, look a few things up, free.
 * Any crash, leak, or sanitizer report is a bug; so is a served entry that
 * breaks the rules admission promises (checked below, abort() on failure).
 *
 * Seed corpus: tests/fuzz/corpus/docparse/ (copies of tests/fixtures/docs).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admit/admit.h"
#include "source/docparse.h"
#include "admit/localdb.h"
#include "validate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct localdb *local;
static struct dir_strv shells;
static struct admit_policy policy;

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(content, f) < 0 || fclose(f) != 0)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/prov-fuzz-XXXXXX", pw[64], gr[64];
	char err[256];

	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	snprintf(pw, sizeof(pw), "%s/passwd", dir);
	snprintf(gr, sizeof(gr), "%s/group", dir);
	write_file(pw, "root:x:0:0:root:/root:/bin/bash\n"
		       "localadmin:x:1000:1000::/home/localadmin:/bin/bash\n"
		       "svc:x:21000:21000::/home/svc:/usr/sbin/nologin\n");
	write_file(gr, "root:x:0:\nsudo:x:27:\ndocker:x:999:\nlocaladmin:x:1000:\nbackupops:x:25000:\n");
	if (localdb_load(pw, gr, &local, err, sizeof(err)) < 0)
		abort();
	unlink(pw);
	unlink(gr);
	rmdir(dir);
	if (dir_strv_push(&shells, "/bin/sh") < 0 || dir_strv_push(&shells, "/bin/bash") < 0)
		abort();
	policy = (struct admit_policy){
		.min_id = 1000,
		.max_id = 2147483647,
		.home_base = "/home",
		.default_shell = "/bin/bash",
		.shells = &shells,
		.local = local,
	};
	return 0;
}

/* What admission promises about everything it leaves in the snapshot. */
static void check_served(const struct directory *d)
{
	for (size_t i = 0; i < d->n_users; i++) {
		const struct dir_user *u = &d->users[i];

		if (!u->id || !u->gecos || !u->home || !u->shell || validate_name(u->name) ||
		    validate_gecos(u->gecos) || validate_home(u->home, "/home") || validate_path(u->shell))
			abort();
		if (u->uid < 1000 || u->uid == 65534 || u->uid > 2147483647 || localdb_has_uid(local, u->uid) ||
		    localdb_has_gid(local, u->gid) || localdb_has_user_nocase(local, u->name))
			abort();
		if (directory_user_by_name(d, u->name) != u || directory_user_by_uid(d, u->uid) != u)
			abort(); /* a duplicate got through */
	}
	for (size_t i = 0; i < d->n_groups; i++) {
		const struct dir_group *g = &d->groups[i];

		if (!g->id || validate_name(g->name) || localdb_has_gid(local, g->gid) ||
		    directory_group_by_gid(d, g->gid) != g)
			abort();
		for (size_t k = 0; k < g->members.n; k++)
			if (!directory_user_by_name(d, g->members.v[k]))
				abort();
	}
	for (size_t i = 0; i < d->n_bindings; i++)
		if (!d->bindings[i].name || d->bindings[i].users.n + d->bindings[i].groups.n == 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct directory *d = NULL;
	char err[256];

	if (docparse((const char *)data, size, &d, err, sizeof(err)) < 0)
		return 0;
	if (admit_directory(d, &policy) == 0 && directory_index(d) == 0) {
		check_served(d);
		(void)directory_user_by_name(d, "alice");
		(void)directory_group_by_gid(d, 30001);
	}
	directory_free(d);
	return 0;
}

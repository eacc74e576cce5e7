/* SPDX-License-Identifier: MIT */
/* prov-publish's keys (prov-publish/keys.c): keygen writes a private key
 * only its owner can read and never overwrites one; a readable key is
 * refused; what it signs verifies with provd's own docsig. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "source/docsig.h"
#include "keys.h"

static char tmpdir[64], prefix[96], keypath[128], pubpath[128], err[512];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/prov-test-pubkeys-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(prefix, sizeof(prefix), "%s/fleet", tmpdir);
	snprintf(keypath, sizeof(keypath), "%s.key", prefix);
	snprintf(pubpath, sizeof(pubpath), "%s.pub", prefix);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(publish_keys, .init = setup, .fini = teardown);

Test(publish_keys, keygen_sign_verify)
{
	char pub[128], line[256];
	struct docsig_keyring kr;
	struct dir_strv specs = { 0 };
	struct pub_key *k;
	struct stat st;
	static const char doc[] = "{\"prov_directory\": 1, \"serial\": 1}\n";

	umask(0);
	cr_assert_eq(pubkeys_generate(prefix, pub, sizeof(pub), err, sizeof(err)), 0, "%s", err);
	umask(022);
	cr_assert_eq(stat(keypath, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "private key mode %o", st.st_mode & 0777);
	cr_assert_eq(strncmp(pub, "ed25519:", 8), 0);
	/* Never over an existing key. */
	cr_assert_eq(pubkeys_generate(prefix, pub, sizeof(pub), err, sizeof(err)), -EEXIST);

	cr_assert_eq(pubkeys_load(keypath, &k, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(pubkeys_public(k), pub);
	cr_assert_eq(pubkeys_sign_line(k, doc, strlen(doc), line, sizeof(line)), 0);
	/* provd trusts the .pub file keygen wrote. */
	cr_assert_eq(dir_strv_push(&specs, pubpath), 0);
	cr_assert_eq(docsig_keyring_load(&specs, &kr, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(kr.v[0].id, pubkeys_id(k));
	cr_assert_eq(docsig_verify(&kr, doc, strlen(doc), line, strlen(line), NULL, err, sizeof(err)), 0, "%s", err);
	docsig_keyring_free(&kr);
	dir_strv_free(&specs);
	pubkeys_free(k);
}

Test(publish_keys, readable_key_refused)
{
	char pub[128];
	struct pub_key *k = NULL;

	cr_assert_eq(pubkeys_generate(prefix, pub, sizeof(pub), err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(chmod(keypath, 0640), 0);
	cr_assert_eq(pubkeys_load(keypath, &k, err, sizeof(err)), -EPERM);
	cr_assert_not_null(strstr(err, "chmod 600"), "%s", err);
	/* A public key file is not a private key. */
	cr_assert_eq(chmod(pubpath, 0600), 0);
	cr_assert_eq(pubkeys_load(pubpath, &k, err, sizeof(err)), -EINVAL);
	cr_assert_null(k);
}

/* SPDX-License-Identifier: MIT */
/* The .sig fetch next to a document (provd/source/docsig_fetch.c), through the
 * real fetch code over file:// URLs: no keys, no request; a good pair
 * verifies; another document's signature, a missing .sig and one over
 * DOCSIG_MAX_BYTES are refused with a reason naming the .sig. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "config.h"
#include "source/docsig.h"
#include "source/docsig_fetch.h"
#include "source/fetch.h"

static char tmpdir[64], docpath[96], sigpath[112], url[160], err[1024];
static struct prov_config cfg;
static EVP_PKEY *pkey;
static char keyid[DOCSIG_KEYID_LEN + 1];
static const char doc[] = "{\"prov_directory\": 1, \"serial\": 2, \"audience\": \"t\"}\n";

static void put(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void sign_into(const char *what, char *line, size_t linesz)
{
	uint8_t sig[DOCSIG_SIG_LEN];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	cr_assert_eq(EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey), 1);
	cr_assert_eq(EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)what, strlen(what)), 1);
	EVP_MD_CTX_free(ctx);
	cr_assert_eq(docsig_format_line(keyid, sig, line, linesz), 0);
}

static void setup(void)
{
	uint8_t raw[DOCSIG_KEY_LEN];
	size_t len = sizeof(raw);
	char pub[128];

	cr_assert_eq(fetch_global_init(), 0);
	strcpy(tmpdir, "/tmp/prov-test-docsigf-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	snprintf(docpath, sizeof(docpath), "%s/d.json", tmpdir);
	snprintf(sigpath, sizeof(sigpath), "%s.sig", docpath);
	snprintf(url, sizeof(url), "file://%s", docpath);
	put(docpath, doc, strlen(doc));
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	cr_assert_not_null(pkey);
	cr_assert_eq(EVP_PKEY_get_raw_public_key(pkey, raw, &len), 1);
	cr_assert_eq(docsig_key_id(raw, keyid), 0);
	cr_assert_eq(docsig_format_pubkey(raw, pub, sizeof(pub)), 0);
	memset(&cfg, 0, sizeof(cfg));
	cr_assert_eq(dir_strv_push(&cfg.trusted_keys, pub), 0);
	cfg.audience = "t";
}

static void teardown(void)
{
	char cmd[128];

	dir_strv_free(&cfg.trusted_keys);
	EVP_PKEY_free(pkey);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	cr_assert_eq(system(cmd), 0);
	fetch_global_cleanup();
}

TestSuite(docsig_fetch, .init = setup, .fini = teardown);

static int check(unsigned *requests)
{
	struct fetch_opts o = { .url = url };

	err[0] = '\0';
	return docsig_fetch_verify(&cfg, &o, doc, strlen(doc), requests, err, sizeof(err));
}

Test(docsig_fetch, no_keys_no_request)
{
	unsigned n = 0;

	dir_strv_free(&cfg.trusted_keys);
	cr_assert_eq(check(&n), 0);
	cr_assert_eq(n, 0);
}

Test(docsig_fetch, good_pair)
{
	char line[256];
	unsigned n = 0;

	sign_into(doc, line, sizeof(line));
	put(sigpath, line, strlen(line));
	cr_assert_eq(check(&n), 0, "%s", err);
	cr_assert_eq(n, 1);
}

Test(docsig_fetch, refusals_name_the_sig)
{
	char line[256], *big;
	unsigned n = 0;

	/* missing */
	cr_assert_eq(check(&n), -EBADMSG);
	cr_assert_not_null(strstr(err, "signature required"), "%s", err);
	cr_assert_not_null(strstr(err, "d.json.sig"), "%s", err);
	/* another document's signature */
	sign_into("{\"prov_directory\": 1, \"serial\": 1}\n", line, sizeof(line));
	put(sigpath, line, strlen(line));
	cr_assert_eq(check(&n), -EKEYREJECTED);
	cr_assert_not_null(strstr(err, "d.json.sig"), "%s", err);
	/* over the size limit: cut off, not read whole */
	big = malloc(1u << 20);
	memset(big, 'A', 1u << 20);
	put(sigpath, big, 1u << 20);
	free(big);
	cr_assert_eq(check(&n), -EBADMSG);
	cr_assert_not_null(strstr(err, "larger than"), "%s", err);
	cr_assert_eq(n, 3);
}

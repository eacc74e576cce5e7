/* SPDX-License-Identifier: MIT */
/* Detached Ed25519 signatures of directory documents (provd/source/docsig.c):
 * key and signature parsing, verification against a keyring, the audience
 * and expiry rules of a signed document, and the file:// check. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "config.h"
#include "source/docparse.h"
#include "source/docsig.h"

/* RFC 8032 section 7.1, test 1: the empty message. */
#define RFC_PUB "ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define RFC_ID "21fe31dfa154a261"
#define RFC_SIG "5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc+bRr0lv18FlbviRlUUFDjnoQCw=="

static char err[512];
static char tmpdir[64];

/* A fresh key pair of the test's own, through libcrypto. */
struct testkey {
	EVP_PKEY *pkey;
	struct docsig_key pub;
	char text[128];
};

static void testkey_new(struct testkey *k)
{
	uint8_t raw[DOCSIG_KEY_LEN];
	size_t len = sizeof(raw);

	k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	cr_assert_not_null(k->pkey);
	cr_assert_eq(EVP_PKEY_get_raw_public_key(k->pkey, raw, &len), 1);
	cr_assert_eq(docsig_format_pubkey(raw, k->text, sizeof(k->text)), 0);
	cr_assert_eq(docsig_parse_pubkey(k->text, strlen(k->text), &k->pub, err, sizeof(err)), 0, "%s", err);
}

static void sign_line(const struct testkey *k, const char *doc, size_t len, char *buf, size_t bufsz)
{
	uint8_t sig[DOCSIG_SIG_LEN];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	cr_assert_eq(EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey), 1);
	cr_assert_eq(EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)doc, len), 1);
	EVP_MD_CTX_free(ctx);
	cr_assert_eq(docsig_format_line(k->pub.id, sig, buf, bufsz), 0);
}

static void setup(void)
{
	strcpy(tmpdir, "/tmp/prov-test-docsig-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
	err[0] = '\0';
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(docsig, .init = setup, .fini = teardown);

Test(docsig, rfc8032_known_answer)
{
	struct docsig_keyring kr = { 0 };
	struct docsig_key k;
	char id[DOCSIG_KEYID_LEN + 1];

	cr_assert_eq(docsig_parse_pubkey(RFC_PUB, strlen(RFC_PUB), &k, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(k.id, RFC_ID);
	kr.v = &k;
	kr.n = 1;
	cr_assert_eq(docsig_verify(&kr, "", 0, "ed25519 " RFC_ID " " RFC_SIG "\n", strlen(RFC_SIG) + 26, id, err,
				   sizeof(err)),
		     0, "%s", err);
	cr_assert_str_eq(id, RFC_ID);
	/* The same signature over one byte more is not valid. */
	cr_assert_eq(docsig_verify(&kr, "x", 1, "ed25519 " RFC_ID " " RFC_SIG "\n", strlen(RFC_SIG) + 26, NULL, err,
				   sizeof(err)),
		     -EKEYREJECTED);
	cr_assert_not_null(strstr(err, "does not match"), "%s", err);
}

Test(docsig, pubkey_parsing_is_strict)
{
	static const char *const bad[] = {
		"",
		"ed25519:",
		"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",           /* no prefix */
		"ED25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",   /* case */
		"ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo",    /* no padding */
		"ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURp=",   /* not canonical */
		"ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo==",  /* too long */
		"ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaa*cHURo=",   /* bad char */
		"ed25519:11qYAYKxCrfVS/7Ty QHOg7hcvPapiMlrwIaaPcHURo=",   /* inner space */
		"ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo= x", /* trailing word */
	};
	struct docsig_key k;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(docsig_parse_pubkey(bad[i], strlen(bad[i]), &k, err, sizeof(err)), -EINVAL, "accepted '%s'",
			     bad[i]);
	/* Surrounding white space (a key file's newline) is fine. */
	cr_assert_eq(docsig_parse_pubkey("  " RFC_PUB "\n", strlen(RFC_PUB) + 3, &k, err, sizeof(err)), 0);
	cr_assert_null(docsig_check_spec(RFC_PUB));
	cr_assert_null(docsig_check_spec("/etc/prov/publish.pub"));
	cr_assert_not_null(docsig_check_spec("ed25519:AAAA"));
	cr_assert_not_null(docsig_check_spec("publish.pub"));
}

Test(docsig, tamper_matrix)
{
	static const char doc[] = "{\"prov_directory\": 1, \"serial\": 7}\n";
	static const char other[] = "{\"prov_directory\": 1, \"serial\": 8}\n";
	struct testkey a, b;
	struct docsig_keyring kr = { 0 };
	char line[256], two[512], changed[sizeof(doc)], big[DOCSIG_MAX_BYTES + 2];
	size_t len = sizeof(doc) - 1;

	testkey_new(&a);
	testkey_new(&b);
	kr.v = &a.pub;
	kr.n = 1;

	sign_line(&a, doc, len, line, sizeof(line));
	cr_assert_eq(docsig_verify(&kr, doc, len, line, strlen(line), NULL, err, sizeof(err)), 0, "%s", err);

	/* One byte of the document changed. */
	memcpy(changed, doc, sizeof(doc));
	changed[len - 3] = '9';
	cr_assert_eq(docsig_verify(&kr, changed, len, line, strlen(line), NULL, err, sizeof(err)), -EKEYREJECTED);
	/* One byte of the signature changed. */
	line[40] = line[40] == 'A' ? 'B' : 'A';
	cr_assert_neq(docsig_verify(&kr, doc, len, line, strlen(line), NULL, err, sizeof(err)), 0);
	/* A signature of another document. */
	sign_line(&a, other, len, line, sizeof(line));
	cr_assert_eq(docsig_verify(&kr, doc, len, line, strlen(line), NULL, err, sizeof(err)), -EKEYREJECTED);
	/* Signed by a key that is not trusted. */
	sign_line(&b, doc, len, line, sizeof(line));
	cr_assert_eq(docsig_verify(&kr, doc, len, line, strlen(line), NULL, err, sizeof(err)), -ENOKEY);
	cr_assert_not_null(strstr(err, "no signature by a trusted key"), "%s", err);
	/* Empty, too big, NUL, garbage. */
	cr_assert_eq(docsig_verify(&kr, doc, len, "", 0, NULL, err, sizeof(err)), -EBADMSG);
	cr_assert_not_null(strstr(err, "empty"), "%s", err);
	memset(big, 'A', sizeof(big));
	cr_assert_eq(docsig_verify(&kr, doc, len, big, sizeof(big), NULL, err, sizeof(err)), -EBADMSG);
	cr_assert_not_null(strstr(err, "over the limit"), "%s", err);
	cr_assert_eq(docsig_verify(&kr, doc, len, "ed25519\0", 8, NULL, err, sizeof(err)), -EBADMSG);
	cr_assert_eq(docsig_verify(&kr, doc, len, "hello\n", 6, NULL, err, sizeof(err)), -EBADMSG);

	/* An untrusted key's line first, then the trusted one: valid. */
	sign_line(&b, doc, len, two, sizeof(two));
	sign_line(&a, doc, len, two + strlen(two), sizeof(two) - strlen(two));
	cr_assert_eq(docsig_verify(&kr, doc, len, two, strlen(two), NULL, err, sizeof(err)), 0, "%s", err);
	/* A malformed line anywhere refuses the whole file. */
	strcat(two, "ed25519 zz\n");
	cr_assert_eq(docsig_verify(&kr, doc, len, two, strlen(two), NULL, err, sizeof(err)), -EBADMSG);
	EVP_PKEY_free(a.pkey);
	EVP_PKEY_free(b.pkey);
}

Test(docsig, line_limits_and_crlf)
{
	static const char doc[] = "{}";
	struct testkey a;
	struct docsig_keyring kr = { 0 };
	char line[256], many[256 * (DOCSIG_MAX_LINES + 1)] = "";

	testkey_new(&a);
	kr.v = &a.pub;
	kr.n = 1;
	sign_line(&a, doc, 2, line, sizeof(line));
	line[strlen(line) - 1] = '\0';
	strcat(line, "\r\n");
	cr_assert_eq(docsig_verify(&kr, doc, 2, line, strlen(line), NULL, err, sizeof(err)), 0, "%s", err);
	/* No final newline is fine too. */
	cr_assert_eq(docsig_verify(&kr, doc, 2, line, strlen(line) - 2, NULL, err, sizeof(err)), 0, "%s", err);
	for (int i = 0; i <= DOCSIG_MAX_LINES; i++)
		strcat(many, line);
	cr_assert_eq(docsig_verify(&kr, doc, 2, many, strlen(many), NULL, err, sizeof(err)), -EBADMSG);
	cr_assert_not_null(strstr(err, "more than"), "%s", err);
	EVP_PKEY_free(a.pkey);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
}

Test(docsig, keyring_inline_and_files)
{
	struct docsig_keyring kr;
	struct dir_strv specs = { 0 };
	char path[128];
	struct testkey a;

	testkey_new(&a);
	snprintf(path, sizeof(path), "%s/a.pub", tmpdir);
	write_file(path, a.text, 0644);
	cr_assert_eq(dir_strv_push(&specs, RFC_PUB), 0);
	cr_assert_eq(dir_strv_push(&specs, path), 0);
	cr_assert_eq(dir_strv_push(&specs, a.text), 0); /* the same key twice: once */
	cr_assert_eq(docsig_keyring_load(&specs, &kr, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(kr.n, 2);
	cr_assert_str_eq(kr.v[0].id, RFC_ID);
	cr_assert_str_eq(kr.v[1].id, a.pub.id);
	docsig_keyring_free(&kr);

	/* Whoever can write the key file decides who logs in: refused. */
	chmod(path, 0666);
	cr_assert_eq(docsig_keyring_load(&specs, &kr, err, sizeof(err)), -EPERM, "%s", err);
	write_file(path, "ssh-ed25519 AAAA\n", 0644);
	cr_assert_eq(docsig_keyring_load(&specs, &kr, err, sizeof(err)), -EINVAL);
	cr_assert_not_null(strstr(err, path), "%s", err);
	unlink(path);
	cr_assert_eq(docsig_keyring_load(&specs, &kr, err, sizeof(err)), -ENOENT);
	dir_strv_free(&specs);
	EVP_PKEY_free(a.pkey);
}

static struct directory *parse(const char *text)
{
	struct directory *d = NULL;

	cr_assert_eq(docparse(text, strlen(text), &d, err, sizeof(err)), 0, "%s", err);
	return d;
}

Test(docsig, audience_and_expiry)
{
	struct prov_config cfg = { 0 };
	struct directory *prod = parse("{\"prov_directory\": 1, \"serial\": 1, \"audience\": \"prod\", "
				       "\"not_after\": \"2030-01-01T00:00:00Z\"}");
	struct directory *none = parse("{\"prov_directory\": 1, \"serial\": 1}");
	int64_t before = 1700000000, after = 1900000000;

	cr_assert_str_eq(prod->audience, "prod");
	/* Nothing configured: anything goes, as before signatures. */
	cr_assert_eq(docsig_check_document(&cfg, prod, after, err, sizeof(err)), 0);
	cfg.audience = "prod";
	cr_assert_eq(docsig_check_document(&cfg, prod, before, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(docsig_check_document(&cfg, none, before, err, sizeof(err)), -EPERM);
	cfg.audience = "dev";
	cr_assert_eq(docsig_check_document(&cfg, prod, before, err, sizeof(err)), -EPERM);
	cr_assert_not_null(strstr(err, "audience \"prod\", this host accepts \"dev\""), "%s", err);
	/* Signed: an expired document is a replay. Unsigned: stale, as today. */
	cfg.audience = "prod";
	cr_assert_eq(docsig_check_document(&cfg, prod, after, err, sizeof(err)), 0);
	cr_assert_eq(dir_strv_push(&cfg.trusted_keys, RFC_PUB), 0);
	cr_assert_eq(docsig_check_document(&cfg, prod, after, err, sizeof(err)), -EPERM);
	cr_assert_not_null(strstr(err, "expired"), "%s", err);
	dir_strv_free(&cfg.trusted_keys);
	directory_free(prod);
	directory_free(none);
}

Test(docsig, audience_must_be_a_string)
{
	struct directory *d = NULL;
	const char *text = "{\"prov_directory\": 1, \"serial\": 1, \"audience\": 5}";

	cr_assert_eq(docparse(text, strlen(text), &d, err, sizeof(err)), -EBADMSG);
}

Test(docsig, local_file_check)
{
	struct prov_config cfg = { .audience = "prod" };
	struct testkey a;
	char doc[] = "{\"prov_directory\": 1, \"serial\": 3, \"audience\": \"prod\"}\n";
	char path[128], sigpath[160], line[256];

	testkey_new(&a);
	cr_assert_eq(dir_strv_push(&cfg.trusted_keys, a.text), 0);
	snprintf(path, sizeof(path), "%s/d.json", tmpdir);
	snprintf(sigpath, sizeof(sigpath), "%s.sig", path);
	write_file(path, doc, 0644);
	/* No .sig at all. */
	cr_assert_eq(docsig_check_file(&cfg, path, doc, strlen(doc), time(NULL), err, sizeof(err)), -ENOENT);
	cr_assert_not_null(strstr(err, "signature required"), "%s", err);
	sign_line(&a, doc, strlen(doc), line, sizeof(line));
	write_file(sigpath, line, 0644);
	cr_assert_eq(docsig_check_file(&cfg, path, doc, strlen(doc), time(NULL), err, sizeof(err)), 0, "%s", err);
	/* The right signature, the wrong audience for this host. */
	cfg.audience = "dev";
	cr_assert_eq(docsig_check_file(&cfg, path, doc, strlen(doc), time(NULL), err, sizeof(err)), -EPERM);
	cfg.audience = "prod";
	doc[30] = '4';
	cr_assert_eq(docsig_check_file(&cfg, path, doc, strlen(doc), time(NULL), err, sizeof(err)), -EKEYREJECTED);
	dir_strv_free(&cfg.trusted_keys);
	/* No keys: not checked at all. */
	cr_assert_eq(docsig_check_file(&cfg, path, doc, strlen(doc), time(NULL), err, sizeof(err)), 0);
	EVP_PKEY_free(a.pkey);
}

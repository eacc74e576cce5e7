/* SPDX-License-Identifier: MIT */
/* CACHE_VERIFY and provd --verify-cache: the on-disk cache is judged as a
 * start-up load would judge it (DESIGN invariant 4: a bad cache is
 * refused with a reason), the served snapshot is never touched, and only
 * root on the private socket may ask (invariant 7). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/cache.h"
#include "serve/cache_verify.h"
#include "loop/dispatch.h"
#include "runtime_fixture.h"

static struct prov_state st;
static uint8_t *out;
static char statedir[64], cachefile[128];
static char *doc;
static size_t doc_len;

/* The last CACHE_VERIFY reply's pairs. */
static char keys[CV_PAIRS_MAX][CV_KEY_MAX], vals[CV_PAIRS_MAX][CV_VALUE_MAX];
static uint32_t npairs;

static const struct dispatch_peer root_private = { .uid = 0, .gid = 0, .pid = 1, .private_socket = true };
static const struct dispatch_peer root_public = { .uid = 0, .gid = 0, .pid = 1, .private_socket = false };
static const struct dispatch_peer user_private = { .uid = 1000, .gid = 1000, .pid = 7, .private_socket = true };

/* A state serving the fixture directory; applying it wrote the cache. */
static void setup(void)
{
	fixture_quiet_log();
	strcpy(statedir, "/tmp/prov-test-cverify-XXXXXX");
	cr_assert_not_null(mkdtemp(statedir));
	snprintf(cachefile, sizeof(cachefile), "%s/" CACHE_FILE_NAME, statedir);
	doc = fixture_read(RT_FIX "/directory.json", &doc_len);
	fixture_state(&st, statedir, doc, doc_len);
	cr_assert(st.cache_in_sync, "the fixture state wrote its cache");
	out = malloc(DISPATCH_REPLY_CAP);
	cr_assert_not_null(out);
}

static void teardown(void)
{
	state_free(&st);
	free(out);
	free(doc);
	fixture_rm_rf(statedir);
}

TestSuite(cache_verify, .init = setup, .fini = teardown);

/* Sends CACHE_VERIFY with body as peer; on OK decodes the pairs. */
static int ask_body(const struct dispatch_peer *peer, const void *body, size_t len)
{
	struct prov_header h = { .version = PROV_PROTO_VERSION, .type = PROV_OP_CACHE_VERIFY, .body_len = (uint32_t)len };
	struct prov_header rh;
	struct prov_writer w;
	struct prov_reader r;
	uint32_t i;
	int status;

	prov_writer_init(&w, out, DISPATCH_REPLY_CAP);
	status = dispatch_request(&st, peer, &h, body, &w);
	cr_assert_eq(prov_header_decode(out, &rh), 0);
	cr_assert_eq(rh.type, PROV_OP_CACHE_VERIFY);
	cr_assert_eq(rh.status, (uint32_t)status);
	npairs = 0;
	if (status != PROV_ST_OK) {
		cr_assert_eq(rh.body_len, 0, "a non-OK reply has an empty body");
		return status;
	}
	prov_reader_init(&r, out + PROV_HEADER_SIZE, rh.body_len);
	npairs = prov_get_u32(&r);
	cr_assert_leq(npairs, CV_PAIRS_MAX);
	for (i = 0; i < npairs; i++) {
		struct prov_str k = prov_get_str(&r, PROV_STATUS_STR_MAX), v = prov_get_str(&r, PROV_STATUS_STR_MAX);

		cr_assert_eq(r.err, 0);
		cr_assert_eq(prov_str_copy(&k, keys[i], sizeof(keys[i])), 0);
		cr_assert_eq(prov_str_copy(&v, vals[i], sizeof(vals[i])), 0);
	}
	cr_assert_eq(prov_reader_end(&r), 0, "the reply is exactly n pairs");
	return status;
}

static int ask(const struct dispatch_peer *peer)
{
	return ask_body(peer, NULL, 0);
}

/* The value of key in the last reply, or NULL. */
static const char *val(const char *key)
{
	uint32_t i;

	for (i = 0; i < npairs; i++)
		if (strcmp(keys[i], key) == 0)
			return vals[i];
	return NULL;
}

static void expect(const char *key, const char *want)
{
	const char *got = val(key);

	cr_assert_not_null(got, "no '%s' pair", key);
	cr_assert_str_eq(got, want, "%s: got '%s', wanted '%s'", key, got, want);
}

static void expect_refused(const char *reason)
{
	cr_assert_eq(ask(&root_private), PROV_ST_OK, "a refused cache is an answer, not an error");
	cr_assert_str_eq(keys[0], "result", "the verdict comes first");
	expect("result", "refused");
	cr_assert_str_eq(keys[1], "reason");
	cr_assert_not_null(strstr(vals[1], reason), "reason '%s' lacks '%s'", vals[1], reason);
	expect("path", cachefile);
	cr_assert_null(val("users"), "no counts from a refused cache");
}

/* The served snapshot is the one from before, untouched. */
static void expect_served_untouched(const struct directory *before)
{
	cr_assert_eq(st.dir, before);
	cr_assert_eq(st.dir->serial, 7);
	cr_assert_not_null(directory_user_by_name(st.dir, "alice"));
}

static void flip_byte(long off)
{
	int fd = open(cachefile, O_RDWR);
	unsigned char c;

	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, &c, 1, off), 1);
	c ^= 0x01;
	cr_assert_eq(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

static long file_size(void)
{
	struct stat sb;

	cr_assert_eq(stat(cachefile, &sb), 0);
	return (long)sb.st_size;
}

Test(cache_verify, valid_cache_reports_what_it_holds)
{
	char size[32], payload[32], users[16], groups[16], bindings[16], refused[16], uid[16];

	cr_assert_eq(ask(&root_private), PROV_ST_OK);
	cr_assert_str_eq(keys[0], "result");
	expect("result", "valid");
	cr_assert_null(val("reason"), "a valid cache has no reason");
	expect("path", cachefile);
	snprintf(uid, sizeof(uid), "%u", (unsigned)geteuid());
	expect("owner_uid", uid);
	expect("mode", "0600");
	snprintf(size, sizeof(size), "%zu", CACHE_HEADER_SIZE + doc_len);
	expect("size", size);
	snprintf(payload, sizeof(payload), "%zu", doc_len);
	expect("payload_bytes", payload);
	expect("format_version", "1");
	expect("serial", "7");
	cr_assert_not_null(val("saved_at"));
	cr_assert_eq(strlen(val("saved_at")), 20, "RFC 3339 UTC: %s", val("saved_at"));
	expect("generated", "2026-11-20T00:00:00Z");
	expect("not_after", "2036-01-01T00:00:00Z");
	/* The same admission as the served snapshot: same counts. */
	snprintf(users, sizeof(users), "%zu", st.dir->n_users);
	snprintf(groups, sizeof(groups), "%zu", st.dir->n_groups);
	snprintf(bindings, sizeof(bindings), "%zu", st.dir->n_bindings);
	snprintf(refused, sizeof(refused), "%zu", st.dir->n_refused);
	expect("users", users);
	expect("groups", groups);
	expect("bindings", bindings);
	expect("refused", refused);
	expect("users", "3");
	expect("bindings", "1");
	cr_assert_null(val("warning"));
	expect("served_serial", "7");
	expect("matches_served", "yes");
}

/* Invariant 4: one flipped bit in the document is a refused cache. */
Test(cache_verify, bit_flipped_payload_is_refused)
{
	const struct directory *before = st.dir;

	char size[32];

	flip_byte(CACHE_HEADER_SIZE + 10);
	expect_refused("CRC mismatch");
	snprintf(size, sizeof(size), "%zu", CACHE_HEADER_SIZE + doc_len);
	expect("size", size);
	expect_served_untouched(before);
}

Test(cache_verify, bit_flipped_header_is_refused)
{
	const struct directory *before = st.dir;

	flip_byte(24); /* the serial */
	expect_refused("header CRC mismatch");
	cr_assert_null(val("serial"), "nothing from a header that failed its CRC");
	expect_served_untouched(before);
}

Test(cache_verify, truncated_cache_is_refused)
{
	const struct directory *before = st.dir;

	cr_assert_eq(truncate(cachefile, file_size() - 5), 0);
	expect_refused("truncated");
	expect_served_untouched(before);
	cr_assert_eq(truncate(cachefile, 20), 0);
	expect_refused("truncated: 20 bytes");
	expect("size", "20");
}

/* Anyone who could write it could make themselves a user here. */
Test(cache_verify, world_writable_cache_is_refused)
{
	const struct directory *before = st.dir;

	cr_assert_eq(chmod(cachefile, 0666), 0);
	expect_refused("writable by group or others (mode 0666)");
	expect("mode", "0666");
	expect_served_untouched(before);
}

Test(cache_verify, symlinked_cache_is_refused)
{
	char target[160];

	snprintf(target, sizeof(target), "%s/elsewhere", statedir);
	cr_assert_eq(rename(cachefile, target), 0);
	cr_assert_eq(symlink(target, cachefile), 0);
	expect_refused("symbolic link");
}

Test(cache_verify, missing_cache_is_missing_not_refused)
{
	cr_assert_eq(unlink(cachefile), 0);
	cr_assert_eq(ask(&root_private), PROV_ST_OK);
	expect("result", "missing");
	expect("reason", "no cache");
	expect("path", cachefile);
	cr_assert_null(val("owner_uid"));
	cr_assert_null(val("serial"));
	expect("served_serial", "7");
	expect("matches_served", "no");
}

/* Right CRCs around a document the parser refuses: the start-up load
 * would refuse it too. */
Test(cache_verify, unparsable_document_is_refused)
{
	static const char bad[] = "{\"prov_directory\": 2, \"serial\": 8}";
	char err[256];

	cr_assert_eq(cache_write(statedir, bad, sizeof(bad) - 1, 8, err, sizeof(err)), 0, "%s", err);
	expect_refused("document: ");
	expect("serial", "8");
	expect("format_version", "1");
	expect("matches_served", "no");
}

/* A valid cache that is not what is served (a failed write, an older
 * copy): still valid, but it says so. */
Test(cache_verify, older_cache_is_valid_but_not_the_served_one)
{
	size_t len;
	char *old = fixture_read(RT_FIX "/directory-serial3.json", &len);
	char err[256];

	cr_assert_eq(cache_write(statedir, old, len, 3, err, sizeof(err)), 0, "%s", err);
	free(old);
	cr_assert_eq(ask(&root_private), PROV_ST_OK);
	expect("result", "valid");
	expect("serial", "3");
	expect("served_serial", "7");
	expect("matches_served", "no");
}

/* The header's serial and the document's disagree: provd would load it
 * (and serve the document's), so it is valid, with a warning. */
Test(cache_verify, serial_mismatch_is_a_warning)
{
	char err[256];

	cr_assert_eq(cache_write(statedir, doc, doc_len, 99, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ask(&root_private), PROV_ST_OK);
	expect("result", "valid");
	expect("serial", "99");
	expect("warning", "header serial 99, document serial 7");
	expect("matches_served", "yes");
}

Test(cache_verify, nothing_served)
{
	state_free(&st);
	fixture_state(&st, statedir, NULL, 0);
	cr_assert_eq(ask(&root_private), PROV_ST_OK);
	expect("result", "valid");
	expect("served_serial", "-");
	expect("matches_served", "no");
}

/* Invariant 7: a privileged request. */
Test(cache_verify, only_root_on_the_private_socket)
{
	cr_assert_eq(ask(&user_private), PROV_ST_DENIED);
	cr_assert_eq(ask(&root_public), PROV_ST_DENIED);
	cr_assert_eq(st.stats.denied, 2);
}

Test(cache_verify, request_with_a_body_is_malformed)
{
	uint32_t junk = 1;

	cr_assert_eq(ask_body(&root_private, &junk, sizeof(junk)), PROV_ST_BAD_REQUEST);
}

/* provd --verify-cache: same pairs as text, exit 0 or 1. */
static int offline(char *buf, size_t bufsz)
{
	FILE *f = fmemopen(buf, bufsz, "w");
	int rc;

	cr_assert_not_null(f);
	rc = cache_verify_print(&st.cfg, f);
	fclose(f);
	return rc;
}

Test(cache_verify, offline_print)
{
	char buf[4096] = "";

	cr_assert_eq(offline(buf, sizeof(buf)), 0);
	cr_assert_eq(strncmp(buf, "result:         valid\n", 22), 0, "aligned to the longest key:\n%s", buf);
	cr_assert_not_null(strstr(buf, "\nserial:         7\n"), "%s", buf);
	cr_assert_not_null(strstr(buf, "\nusers:          3\n"), "%s", buf);
	cr_assert_null(strstr(buf, "served_serial"), "offline: nothing is served");

	flip_byte(CACHE_HEADER_SIZE);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(offline(buf, sizeof(buf)), 1);
	cr_assert_eq(strncmp(buf, "result:    refused\nreason:    CRC mismatch\n", 42), 0, "%s", buf);

	cr_assert_eq(unlink(cachefile), 0);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(offline(buf, sizeof(buf)), 1);
	cr_assert_eq(strncmp(buf, "result: missing\nreason: no cache\n", 33), 0, "%s", buf);
}

/* SPDX-License-Identifier: MIT */
/* The on-disk cache: round trip, and every way a cache file can be wrong
 * is refused with a clear reason (DESIGN invariant 4, issue 2). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/cache.h"

static char dir[64];
static char file[128];
static char err[512];

static const char doc[] = "{\"prov_directory\": 1, \"serial\": 42, \"users\": []}";

static void rm_rf(const char *d)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		cr_log_warn("cannot remove %s", d);
}

static void setup(void)
{
	strcpy(dir, "/tmp/prov-test-cache-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/" CACHE_FILE_NAME, dir);
	err[0] = '\0';
}

static void teardown(void)
{
	rm_rf(dir);
}

TestSuite(cache, .init = setup, .fini = teardown);

static void write_good(void)
{
	cr_assert_eq(cache_write(dir, doc, sizeof(doc) - 1, 42, err, sizeof(err)), 0, "%s", err);
}

static size_t read_file(char *buf, size_t cap)
{
	FILE *f = fopen(file, "rb");
	size_t n;

	cr_assert_not_null(f);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* Rewrites the cache file with raw bytes (keeping mode 0600). */
static void put_file(const char *buf, size_t n)
{
	int fd;

	unlink(file);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, buf, n), (ssize_t)n);
	close(fd);
}

static void expect_refused(int want, const char *reason)
{
	char *out = NULL;
	size_t len = 0;
	int r = cache_read(dir, &out, &len, NULL, err, sizeof(err));

	cr_assert_eq(r, want, "got %d (%s), wanted %d", r, err, want);
	cr_assert_null(out);
	cr_assert_not_null(strstr(err, reason), "reason '%s' does not contain '%s'", err, reason);
}

static int count_entries(void)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

Test(cache, crc32_known_values)
{
	/* The standard check value of CRC-32/ISO-HDLC. */
	cr_assert_eq(cache_crc32(0, "123456789", 9), 0xCBF43926u);
	cr_assert_eq(cache_crc32(0, "", 0), 0u);
	/* Incremental equals one-shot. */
	cr_assert_eq(cache_crc32(cache_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

Test(cache, round_trip)
{
	struct cache_info info;
	struct stat st;
	char *out = NULL;
	size_t len = 0;

	write_good();
	cr_assert_eq(cache_read(dir, &out, &len, &info, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(len, sizeof(doc) - 1);
	cr_assert_eq(memcmp(out, doc, len), 0);
	cr_assert_eq(out[len], '\0');
	cr_assert_eq(info.serial, 42);
	cr_assert_eq(info.payload_len, len);
	cr_assert_gt(info.saved_at, 0);
	free(out);
	cr_assert_eq(stat(file, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert_eq(st.st_size, CACHE_HEADER_SIZE + sizeof(doc) - 1);
}

Test(cache, header_layout)
{
	char buf[256];
	size_t n;

	write_good();
	n = read_file(buf, sizeof(buf));
	cr_assert_eq(n, CACHE_HEADER_SIZE + sizeof(doc) - 1);
	cr_assert_eq(memcmp(buf, "PROVCACH", 8), 0);
	cr_assert_eq((unsigned char)buf[8], CACHE_FORMAT_VERSION);
	cr_assert_eq((unsigned char)buf[24], 42, "serial, little-endian, at offset 24");
	cr_assert_eq(memcmp(buf + CACHE_HEADER_SIZE, doc, sizeof(doc) - 1), 0, "payload is the exact document");
}

Test(cache, empty_document_round_trips)
{
	char *out = NULL;
	size_t len = 99;

	cr_assert_eq(cache_write(dir, "", 0, 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cache_read(dir, &out, &len, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(len, 0);
	free(out);
}

Test(cache, missing_is_enoent)
{
	expect_refused(-ENOENT, "no cache");
}

Test(cache, missing_state_dir_is_enoent_and_created_on_write)
{
	char sub[128];
	char *out = NULL;
	size_t len;
	struct stat st;

	snprintf(sub, sizeof(sub), "%s/state", dir);
	cr_assert_eq(cache_read(sub, &out, &len, NULL, err, sizeof(err)), -ENOENT);
	cr_assert_eq(cache_write(sub, doc, sizeof(doc) - 1, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat(sub, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700);
	cr_assert_eq(cache_read(sub, &out, &len, NULL, err, sizeof(err)), 0, "%s", err);
	free(out);
}

Test(cache, truncated_refused)
{
	char buf[256];
	size_t n;

	write_good();
	n = read_file(buf, sizeof(buf));
	put_file(buf, n - 1);
	expect_refused(-EBADMSG, "truncated");
	put_file(buf, 20);
	expect_refused(-EBADMSG, "truncated");
	put_file(buf, 0);
	expect_refused(-EBADMSG, "truncated");
}

Test(cache, padded_refused)
{
	char buf[256];
	size_t n;

	write_good();
	n = read_file(buf, sizeof(buf));
	buf[n] = ' ';
	put_file(buf, n + 1);
	expect_refused(-EBADMSG, "padded");
}

/* Every single bit flip anywhere in the file is caught. */
Test(cache, every_bit_flip_refused)
{
	char buf[256], flipped[256];
	size_t n, i;
	int bit;

	write_good();
	n = read_file(buf, sizeof(buf));
	for (i = 0; i < n; i++) {
		for (bit = 0; bit < 8; bit++) {
			char *out = NULL;
			size_t len;
			int r;

			memcpy(flipped, buf, n);
			flipped[i] ^= (char)(1 << bit);
			put_file(flipped, n);
			r = cache_read(dir, &out, &len, NULL, err, sizeof(err));
			cr_assert_lt(r, 0, "flip of bit %d in byte %zu accepted", bit, i);
			cr_assert_null(out);
		}
	}
}

Test(cache, payload_bit_flip_says_crc)
{
	char buf[256];
	size_t n;

	write_good();
	n = read_file(buf, sizeof(buf));
	buf[CACHE_HEADER_SIZE + 5] ^= 0x10;
	put_file(buf, n);
	expect_refused(-EBADMSG, "CRC mismatch");
}

static void set_le32(char *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (char)(v >> (8 * i));
}

Test(cache, future_version_refused)
{
	char buf[256];
	size_t n;

	write_good();
	n = read_file(buf, sizeof(buf));
	set_le32(buf + 8, CACHE_FORMAT_VERSION + 1);
	set_le32(buf + 44, cache_crc32(0, buf, 44)); /* a well-formed newer file */
	put_file(buf, n);
	expect_refused(-EPROTONOSUPPORT, "newer than this provd understands");
}

Test(cache, bad_magic_refused)
{
	char buf[256];
	size_t n;

	write_good();
	n = read_file(buf, sizeof(buf));
	memcpy(buf, "PROVCACX", 8);
	put_file(buf, n);
	expect_refused(-EBADMSG, "bad magic");
}

Test(cache, world_writable_refused)
{
	write_good();
	cr_assert_eq(chmod(file, 0606), 0);
	expect_refused(-EPERM, "writable by group or others");
	cr_assert_eq(chmod(file, 0620), 0);
	expect_refused(-EPERM, "writable by group or others");
}

Test(cache, writable_state_dir_refused)
{
	write_good();
	cr_assert_eq(chmod(dir, 0777), 0);
	expect_refused(-EPERM, "state dir");
	cr_assert_eq(chmod(dir, 0700), 0);
}

/* Owned by someone other than root (or us, when the test runs unprivileged):
 * only testable as root, where chown to another uid works. */
Test(cache, not_owned_by_root_refused)
{
	if (geteuid() != 0) {
		cr_skip_test("needs root to chown");
		return;
	}
	write_good();
	cr_assert_eq(chown(file, 12345, 12345), 0);
	expect_refused(-EPERM, "owned by uid 12345, not root");
}

Test(cache, symlink_refused)
{
	char real[128];

	write_good();
	snprintf(real, sizeof(real), "%s/real", dir);
	cr_assert_eq(rename(file, real), 0);
	cr_assert_eq(symlink("real", file), 0);
	expect_refused(-ELOOP, "symbolic link");
}

Test(cache, fifo_refused_without_hanging)
{
	cr_assert_eq(mkfifo(file, 0600), 0);
	expect_refused(-EINVAL, "not a regular file");
}

Test(cache, directory_refused)
{
	cr_assert_eq(mkdir(file, 0700), 0);
	expect_refused(-EINVAL, "not a regular file");
}

/* An atomic write leaves the cache and nothing else. */
Test(cache, atomic_write_leaves_no_temp_file)
{
	write_good();
	write_good();
	cr_assert_eq(count_entries(), 1);
}

/* A crash between the write of the temp file and the rename: the old
 * cache is what is read, and the leftover is cleaned up at the next write. */
Test(cache, crash_before_rename_keeps_old_cache)
{
	char tmp[160], *out = NULL;
	size_t len;
	FILE *f;

	write_good();
	snprintf(tmp, sizeof(tmp), "%s/" CACHE_TMP_PREFIX "deadbeef00000000", dir);
	f = fopen(tmp, "w");
	cr_assert_not_null(f);
	fputs("PROVCACH half a new cache", f);
	fclose(f);
	cr_assert_eq(cache_read(dir, &out, &len, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(memcmp(out, doc, len), 0);
	free(out);
	cr_assert_eq(count_entries(), 2);
	cr_assert_eq(cache_write(dir, "{}", 2, 43, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(count_entries(), 1, "the stale temp file is removed by the next write");
}

/* A failed write (here: the target name is a directory, so the rename
 * fails) leaves the old state and no temp file. */
Test(cache, failed_write_leaves_nothing_behind)
{
	cr_assert_eq(mkdir(file, 0700), 0);
	cr_assert_lt(cache_write(dir, doc, sizeof(doc) - 1, 1, err, sizeof(err)), 0);
	cr_assert_not_null(strstr(err, "cannot write"), "%s", err);
	cr_assert_eq(count_entries(), 1);
}

Test(cache, oversized_refused_on_write)
{
	cr_assert_eq(cache_write(dir, doc, (size_t)CACHE_PAYLOAD_MAX + 1, 1, err, sizeof(err)), -EFBIG);
	cr_assert_eq(count_entries(), 0);
}

Test(cache, replaces_older_content)
{
	char *out = NULL;
	size_t len;
	struct cache_info info;

	write_good();
	cr_assert_eq(cache_write(dir, "{\"serial\": 43}", 14, 43, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cache_read(dir, &out, &len, &info, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(len, 14);
	cr_assert_eq(info.serial, 43);
	free(out);
}

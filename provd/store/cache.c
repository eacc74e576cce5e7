/* SPDX-License-Identifier: MIT */
#include "store/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/errbuf.h"
#include "base/faultpoint.h"

/* CRC-32, bit-reflected, computed a byte at a time from a 256-entry table
 * built on first use. The cache is read once at start-up and written once
 * per directory change, so speed hardly matters; the table keeps it simple. */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t cache_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i;

	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	for (i = 0; i < len; i++)
		crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Something only root (or we) can change; otherwise someone else could
 * plant a directory that makes them a user here. */
static const char *check_owner_mode(const struct stat *st)
{
	static char why[64];

	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(why, sizeof(why), "owned by uid %u, not root", (unsigned)st->st_uid);
		return why;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, sizeof(why), "writable by group or others (mode %04o)", (unsigned)(st->st_mode & 07777));
		return why;
	}
	return NULL;
}

static int open_state_dir(const char *state_dir, int create, char *err, size_t errsz)
{
	struct stat st;
	const char *why;
	int fd, r;

	fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
			return errbuf_fail(-errno, err, errsz, "cannot create %s: %s", state_dir, strerror(errno));
		fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return errbuf_fail(r, err, errsz, "no cache");
		return errbuf_fail(r, err, errsz, "state dir %s: %s", state_dir, strerror(-r));
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return errbuf_fail(r, err, errsz, "state dir %s: %s", state_dir, strerror(-r));
	}
	why = check_owner_mode(&st);
	if (why) {
		close(fd);
		return errbuf_fail(-EPERM, err, errsz, "state dir %s %s", state_dir, why);
	}
	return fd;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENODATA;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Temp files of a write that never reached its rename (a crash, a full
 * disk): never read, only removed. Only one provd uses a state dir. */
static void remove_stale_temps(int dfd)
{
	struct dirent *de;
	DIR *d;
	int fd = dup(dfd);

	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (strncmp(de->d_name, CACHE_TMP_PREFIX, strlen(CACHE_TMP_PREFIX)) == 0)
			unlinkat(dfd, de->d_name, 0);
	closedir(d);
}

static int create_temp(int dfd, char *name, size_t namesz)
{
	int attempt, fd;

	for (attempt = 0; attempt < 16; attempt++) {
		uint64_t rnd = 0;

		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
			rnd = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^ (uint64_t)attempt;
		snprintf(name, namesz, CACHE_TMP_PREFIX "%016llx", (unsigned long long)rnd);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
	}
	return -EEXIST;
}

static void make_header(uint8_t h[CACHE_HEADER_SIZE], const void *doc, size_t len, uint64_t serial)
{
	memset(h, 0, CACHE_HEADER_SIZE);
	memcpy(h, CACHE_MAGIC, 8);
	put_le(h + 8, CACHE_FORMAT_VERSION, 4);
	put_le(h + 12, CACHE_HEADER_SIZE, 4);
	put_le(h + 16, len, 8);
	put_le(h + 24, serial, 8);
	put_le(h + 32, (uint64_t)time(NULL), 8);
	put_le(h + 40, cache_crc32(0, doc, len), 4);
	put_le(h + 44, cache_crc32(0, h, 44), 4);
}

int cache_write(const char *state_dir, const void *doc, size_t len, uint64_t serial, char *err, size_t errsz)
{
	uint8_t hdr[CACHE_HEADER_SIZE];
	char tmp[64];
	int dfd, fd, r;

	if (len > CACHE_PAYLOAD_MAX)
		return errbuf_fail(-EFBIG, err, errsz, "document of %zu bytes is over the cache limit", len);
	dfd = open_state_dir(state_dir, 1, err, errsz);
	if (dfd < 0)
		return dfd;
	remove_stale_temps(dfd);
	fd = create_temp(dfd, tmp, sizeof(tmp));
	if (fd < 0) {
		r = fd;
		errbuf_fail(r, err, errsz, "cannot create a temp file in %s: %s", state_dir, strerror(-r));
		goto out_dir;
	}
	make_header(hdr, doc, len, serial);
	r = write_all(fd, hdr, sizeof(hdr));
	if (r == 0)
		r = write_all(fd, doc, len);
	fault_point("cache_written");
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	fault_point("cache_synced");
	if (r == 0 && renameat(dfd, tmp, dfd, CACHE_FILE_NAME) < 0)
		r = -errno;
	fault_point("cache_renamed");
	if (r < 0) {
		unlinkat(dfd, tmp, 0);
		errbuf_fail(r, err, errsz, "cannot write %s/%s: %s", state_dir, CACHE_FILE_NAME, strerror(-r));
		goto out_dir;
	}
	/* The rename is only durable once the directory entry is on disk. */
	if (fsync(dfd) < 0) {
		r = -errno;
		errbuf_fail(r, err, errsz, "fsync of %s: %s", state_dir, strerror(-r));
	}
out_dir:
	close(dfd);
	return r;
}

/* Checks the header; fills info. size is the file's size. */
static int check_header(const uint8_t h[CACHE_HEADER_SIZE], uint64_t size, struct cache_info *info, char *err,
			size_t errsz)
{
	uint32_t version, hsize;

	if (memcmp(h, CACHE_MAGIC, 8) != 0)
		return errbuf_fail(-EBADMSG, err, errsz, "not a prov cache (bad magic)");
	version = (uint32_t)get_le(h + 8, 4);
	if (version > CACHE_FORMAT_VERSION)
		return errbuf_fail(-EPROTONOSUPPORT, err, errsz,
				   "format version %u is newer than this provd understands (%u)", version,
				   CACHE_FORMAT_VERSION);
	if (version != CACHE_FORMAT_VERSION)
		return errbuf_fail(-EPROTONOSUPPORT, err, errsz, "unknown format version %u", version);
	if (cache_crc32(0, h, 44) != (uint32_t)get_le(h + 44, 4))
		return errbuf_fail(-EBADMSG, err, errsz, "header CRC mismatch");
	hsize = (uint32_t)get_le(h + 12, 4);
	if (hsize != CACHE_HEADER_SIZE)
		return errbuf_fail(-EBADMSG, err, errsz, "header size %u, expected %u", hsize, CACHE_HEADER_SIZE);
	info->payload_len = get_le(h + 16, 8);
	info->serial = get_le(h + 24, 8);
	info->saved_at = (int64_t)get_le(h + 32, 8);
	info->payload_crc = (uint32_t)get_le(h + 40, 4);
	if (info->payload_len > CACHE_PAYLOAD_MAX)
		return errbuf_fail(-EBADMSG, err, errsz, "payload length %llu over the limit",
				   (unsigned long long)info->payload_len);
	if (size != CACHE_HEADER_SIZE + info->payload_len)
		return errbuf_fail(-EBADMSG, err, errsz, "truncated or padded: %llu bytes, header says %llu",
				   (unsigned long long)size, (unsigned long long)(CACHE_HEADER_SIZE + info->payload_len));
	return 0;
}

static int open_cache_file(int dfd, struct stat *st, char *err, size_t errsz)
{
	const char *why;
	int fd, r;

	/* O_NONBLOCK: a FIFO planted in its place must not hang provd. */
	fd = openat(dfd, CACHE_FILE_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return errbuf_fail(r, err, errsz, "no cache");
		if (r == -ELOOP)
			return errbuf_fail(r, err, errsz, "is a symbolic link");
		return errbuf_fail(r, err, errsz, "%s", strerror(-r));
	}
	if (fstat(fd, st) < 0) {
		r = -errno;
		close(fd);
		return errbuf_fail(r, err, errsz, "%s", strerror(-r));
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return errbuf_fail(-EINVAL, err, errsz, "not a regular file");
	}
	why = check_owner_mode(st);
	if (why) {
		close(fd);
		return errbuf_fail(-EPERM, err, errsz, "%s", why);
	}
	if ((uint64_t)st->st_size < CACHE_HEADER_SIZE) {
		close(fd);
		return errbuf_fail(-EBADMSG, err, errsz, "truncated: %lld bytes", (long long)st->st_size);
	}
	if ((uint64_t)st->st_size > CACHE_HEADER_SIZE + (uint64_t)CACHE_PAYLOAD_MAX) {
		close(fd);
		return errbuf_fail(-EFBIG, err, errsz, "%lld bytes is over the limit", (long long)st->st_size);
	}
	return fd;
}

int cache_read(const char *state_dir, char **ret_doc, size_t *ret_len, struct cache_info *ret_info, char *err,
	       size_t errsz)
{
	uint8_t hdr[CACHE_HEADER_SIZE];
	struct cache_info info;
	struct stat st;
	char *doc = NULL;
	int dfd, fd, r;

	dfd = open_state_dir(state_dir, 0, err, errsz);
	if (dfd < 0)
		return dfd;
	fd = open_cache_file(dfd, &st, err, errsz);
	close(dfd);
	if (fd < 0)
		return fd;
	r = read_all(fd, hdr, sizeof(hdr));
	if (r < 0) {
		errbuf_fail(r, err, errsz, "read: %s", strerror(-r));
		goto out;
	}
	r = check_header(hdr, (uint64_t)st.st_size, &info, err, errsz);
	if (r < 0)
		goto out;
	doc = malloc(info.payload_len + 1);
	if (!doc) {
		r = errbuf_fail(-ENOMEM, err, errsz, "out of memory");
		goto out;
	}
	r = read_all(fd, doc, info.payload_len);
	if (r < 0) {
		errbuf_fail(r == -ENODATA ? -EBADMSG : r, err, errsz, "truncated while reading");
		r = r == -ENODATA ? -EBADMSG : r;
		goto out;
	}
	doc[info.payload_len] = '\0';
	if (cache_crc32(0, doc, info.payload_len) != info.payload_crc) {
		r = errbuf_fail(-EBADMSG, err, errsz, "CRC mismatch");
		goto out;
	}
	*ret_doc = doc;
	*ret_len = info.payload_len;
	if (ret_info)
		*ret_info = info;
	doc = NULL;
out:
	free(doc);
	close(fd);
	return r;
}

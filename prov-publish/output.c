/* SPDX-License-Identifier: MIT */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "source/docparse.h"
#include "base/errbuf.h"

static int path_of(const char *dir, const char *name, const char *suffix, char *buf, size_t bufsz)
{
	if ((size_t)snprintf(buf, bufsz, "%s/%s%s", dir, name, suffix) >= bufsz)
		return -ENAMETOOLONG;
	return 0;
}

int output_read(const char *dir, const char *name, char **ret_doc, size_t *ret_len, char *err, size_t errsz)
{
	char path[4096];
	struct stat st;
	char *buf;
	FILE *f;
	int r;

	if (path_of(dir, name, "", path, sizeof(path)) < 0) {
		errbuf_set(err, errsz, "%s/%s: path too long", dir, name);
		return -ENAMETOOLONG;
	}
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		errbuf_set(err, errsz, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)DOC_MAX_BYTES) {
		fclose(f);
		errbuf_set(err, errsz, "%s: not a regular file of at most %u bytes", path, DOC_MAX_BYTES);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		fclose(f);
		errbuf_set(err, errsz, "%s: short read", path);
		return -EIO;
	}
	fclose(f);
	buf[st.st_size] = '\0';
	*ret_doc = buf;
	*ret_len = (size_t)st.st_size;
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * nginx (and other static servers) make the ETag from the mtime in seconds
 * and the size: two documents of one size written within one second would
 * share it, and every host would get a 304 for the change. So the new file
 * gets an mtime past the old one's.
 */
static int newer_mtime(int fd, const char *path)
{
	struct stat old, cur;
	struct timespec ts[2];

	if (stat(path, &old) < 0 || fstat(fd, &cur) < 0 || cur.st_mtim.tv_sec > old.st_mtim.tv_sec)
		return 0;
	ts[0] = (struct timespec){ .tv_nsec = UTIME_OMIT };
	ts[1] = (struct timespec){ .tv_sec = old.st_mtim.tv_sec + 1 };
	return futimens(fd, ts) < 0 ? -errno : 0;
}

static int replace_file(const char *dir, const char *name, const char *suffix, const char *data, size_t len,
			char *err, size_t errsz)
{
	char path[4096], tmp[4096];
	int fd, r;

	if (path_of(dir, name, suffix, path, sizeof(path)) < 0 ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s%s.XXXXXX", dir, name, suffix) >= sizeof(tmp)) {
		errbuf_set(err, errsz, "%s/%s: path too long", dir, name);
		return -ENAMETOOLONG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		errbuf_set(err, errsz, "%s: %s", tmp, strerror(-r));
		return r;
	}
	r = write_all(fd, data, len);
	if (r == 0 && fchmod(fd, 0644) < 0)
		r = -errno;
	if (r == 0)
		r = newer_mtime(fd, path);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		errbuf_set(err, errsz, "%s: %s", path, strerror(-r));
	}
	return r;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int output_gzip(const char *doc, size_t len, char **ret, size_t *ret_len)
{
	z_stream zs = { 0 };
	size_t cap;
	char *buf;
	int zr;

	/* 15 + 16: a gzip wrapper; zlib writes mtime 0 and no name. */
	if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&zs, (uLong)len);
	buf = malloc(cap);
	if (!buf) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)(uintptr_t)doc;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)buf;
	zs.avail_out = (uInt)cap;
	zr = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	if (zr != Z_STREAM_END) {
		free(buf);
		return -EIO;
	}
	*ret = buf;
	*ret_len = zs.total_out;
	return 0;
}

int output_write(const char *dir, const char *name, const char *doc, size_t len, const char *sig, size_t siglen,
		 bool gzip, char *err, size_t errsz)
{
	int r = replace_file(dir, name, ".sig", sig, siglen, err, errsz);

	if (r == 0 && gzip) {
		char *gz = NULL;
		size_t gzlen = 0;

		r = output_gzip(doc, len, &gz, &gzlen);
		if (r < 0)
			errbuf_set(err, errsz, "cannot compress the document");
		else
			r = replace_file(dir, name, ".gz", gz, gzlen, err, errsz);
		free(gz);
	}
	if (r == 0)
		r = replace_file(dir, name, "", doc, len, err, errsz);
	sync_dir(dir);
	return r;
}

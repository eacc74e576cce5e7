/* SPDX-License-Identifier: MIT */
/* A local file that decides who logs in, read safely (source_read.h). */
#include "source/source_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/docparse.h"

int source_read_file(const char *path, char **ret_doc, size_t *ret_len, char *err, size_t errsz)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errsz, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, errsz, "%s: %s", path, strerror(-r));
		goto out;
	}
	r = -EPERM;
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		snprintf(err, errsz, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errsz, "%s: owned by uid %u, not root", path, (unsigned)st.st_uid);
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errsz, "%s: writable by group or others (mode %04o)", path,
			 (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if ((unsigned long long)st.st_size > DOC_MAX_BYTES) {
		r = -EFBIG;
		snprintf(err, errsz, "%s: %lld bytes is over the %u byte limit", path, (long long)st.st_size,
			 DOC_MAX_BYTES);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		snprintf(err, errsz, "%s: out of memory", path);
		goto out;
	}
	/* Read what the size said; a file that changes under us is read again
	 * at the next reload, never half-used: the parser refuses a cut one. */
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(err, errsz, "%s: %s", path, strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*ret_doc = buf;
	*ret_len = got;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/token.h"

void token_free(char *token)
{
	if (!token)
		return;
	explicit_bzero(token, strlen(token));
	free(token);
}

static int check_file(int fd, const char *path, char *err, size_t errsz)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int e = errno;

		snprintf(err, errsz, "token file %s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "token file %s is not a regular file", path);
		return -EINVAL;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errsz, "token file %s is owned by uid %u, not root", path, (unsigned)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & 077) {
		snprintf(err, errsz, "token file %s has mode %04o: group and others must have no access (chmod 600)",
			 path, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (st.st_size > TOKEN_MAX_BYTES) {
		snprintf(err, errsz, "token file %s is larger than %d bytes", path, TOKEN_MAX_BYTES);
		return -EINVAL;
	}
	return 0;
}

int token_load(const char *path, char **ret_token, char *err, size_t errsz)
{
	char buf[TOKEN_MAX_BYTES + 2];
	size_t len = 0, start = 0;
	char *tok;
	int fd, r;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;

		if (e == ELOOP)
			snprintf(err, errsz, "token file %s is a symlink", path);
		else
			snprintf(err, errsz, "token file %s: %s", path, strerror(e));
		return -e;
	}
	r = check_file(fd, path, err, errsz);
	/* Read to EOF (the size may change under us): at most one byte more
	 * than allowed, to notice a file that grew. */
	while (r == 0 && len < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			snprintf(err, errsz, "token file %s: %s", path, strerror(-r));
		}
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r == 0 && len > TOKEN_MAX_BYTES) {
		snprintf(err, errsz, "token file %s is larger than %d bytes", path, TOKEN_MAX_BYTES);
		r = -EINVAL;
	}
	while (r == 0 && len > 0 && strchr(" \t\r\n", buf[len - 1]) && buf[len - 1])
		len--;
	while (r == 0 && start < len && strchr(" \t\r\n", buf[start]) && buf[start])
		start++;
	if (r == 0 && start == len) {
		snprintf(err, errsz, "token file %s is empty", path);
		r = -EINVAL;
	}
	for (size_t i = start; r == 0 && i < len; i++) {
		if ((unsigned char)buf[i] <= 0x20 || (unsigned char)buf[i] >= 0x7f) {
			snprintf(err, errsz, "token file %s holds a byte a token cannot have (space, control or non-ASCII) "
				 "at offset %zu", path, i);
			r = -EINVAL;
		}
	}
	if (r == 0) {
		tok = strndup(buf + start, len - start);
		if (!tok) {
			snprintf(err, errsz, "out of memory");
			r = -ENOMEM;
		} else {
			*ret_token = tok;
		}
	}
	explicit_bzero(buf, sizeof(buf));
	return r;
}

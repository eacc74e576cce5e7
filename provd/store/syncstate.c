/* SPDX-License-Identifier: MIT */
#include "store/syncstate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/errbuf.h"

#define SYNCSTATE_MAGIC "prov-sync 1"
#define SYNCSTATE_FILE_MAX 16384
#define SYNCSTATE_TMP ".sync.state.tmp"

void syncstate_free(struct syncstate *s)
{
	free(s->url);
	free(s->etag);
	free(s->last_modified);
	memset(s, 0, sizeof(*s));
}

static int dup_or_null(const char *v, char **ret)
{
	*ret = NULL;
	if (!v)
		return 0;
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

int syncstate_set_validators(struct syncstate *s, const char *url, const char *etag, const char *last_modified,
			     uint64_t doc_len, uint32_t doc_crc)
{
	char *u, *e, *l;

	if (dup_or_null(url, &u) < 0)
		return -ENOMEM;
	if (dup_or_null(etag, &e) < 0) {
		free(u);
		return -ENOMEM;
	}
	if (dup_or_null(last_modified, &l) < 0) {
		free(u);
		free(e);
		return -ENOMEM;
	}
	free(s->url);
	free(s->etag);
	free(s->last_modified);
	s->url = u;
	s->etag = e;
	s->last_modified = l;
	s->doc_len = doc_len;
	s->doc_crc = doc_crc;
	return 0;
}

int syncstate_copy(const struct syncstate *src, struct syncstate *ret)
{
	struct syncstate c = { .last_ok = src->last_ok };
	int r;

	memcpy(c.source, src->source, sizeof(c.source));

	r = syncstate_set_validators(&c, src->url, src->etag, src->last_modified, src->doc_len, src->doc_crc);
	if (r < 0)
		return r;
	*ret = c;
	return 0;
}

/* What may be stored: what an HTTP header may carry back (printable ASCII,
 * spaces included: Last-Modified has them). */
static bool value_ok(const char *v)
{
	size_t n = 0;

	for (; *v; v++, n++)
		if ((unsigned char)*v < 0x20 || (unsigned char)*v > 0x7e)
			return false;
	return n > 0 && n <= SYNCSTATE_VALUE_MAX;
}

static int parse_u64(const char *v, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long x;

	if (!*v || *v == '-' || *v == '+' || *v == ' ')
		return -EINVAL;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end || x > max)
		return -EINVAL;
	*ret = x;
	return 0;
}

static int parse_line(struct syncstate *s, char *line)
{
	char *sp = strchr(line, ' '), **slot = NULL;
	const char *key = line, *v;
	uint64_t x;

	if (!sp)
		return -EINVAL;
	*sp = '\0';
	v = sp + 1;
	if (strcmp(key, "last_ok") == 0) {
		if (parse_u64(v, INT64_MAX, &x) < 0)
			return -EINVAL;
		s->last_ok = (int64_t)x;
		return 0;
	}
	if (strcmp(key, "doc_len") == 0)
		return parse_u64(v, UINT64_MAX, &s->doc_len);
	if (strcmp(key, "doc_crc") == 0) {
		if (parse_u64(v, UINT32_MAX, &x) < 0)
			return -EINVAL;
		s->doc_crc = (uint32_t)x;
		return 0;
	}
	if (strcmp(key, "source") == 0) {
		if (!value_ok(v) || strlen(v) >= sizeof(s->source) || strchr(v, ' '))
			return -EINVAL;
		memcpy(s->source, v, strlen(v) + 1);
		return 0;
	}
	if (strcmp(key, "url") == 0)
		slot = &s->url;
	else if (strcmp(key, "etag") == 0)
		slot = &s->etag;
	else if (strcmp(key, "last_modified") == 0)
		slot = &s->last_modified;
	else
		return 0; /* a newer provd's key: ignored */
	if (!value_ok(v) || *slot)
		return -EINVAL;
	*slot = strdup(v);
	return *slot ? 0 : -ENOMEM;
}

static int parse(char *buf, struct syncstate *ret)
{
	struct syncstate s = { 0 };
	char *save = NULL, *line;
	int r = 0;

	line = strtok_r(buf, "\n", &save);
	if (!line || strcmp(line, SYNCSTATE_MAGIC) != 0)
		return -EBADMSG;
	while (r == 0 && (line = strtok_r(NULL, "\n", &save)))
		r = parse_line(&s, line);
	if (r < 0) {
		syncstate_free(&s);
		return r == -ENOMEM ? r : -EBADMSG;
	}
	*ret = s;
	return 0;
}

int syncstate_read(const char *state_dir, struct syncstate *ret, char *err, size_t errsz)
{
	char path[4096], buf[SYNCSTATE_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd, r;

	memset(ret, 0, sizeof(*ret));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, SYNCSTATE_FILE_NAME) >= sizeof(path))
		return errbuf_fail(-ENAMETOOLONG, err, errsz, "state_dir path too long");
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		return errbuf_fail(r, err, errsz, "%s: %s", path, r == -ELOOP ? "is a symbolic link" : strerror(-r));
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return errbuf_fail(r, err, errsz, "%s: %s", path, strerror(-r));
	}
	/* Someone who could write it could stretch offline_grace. */
	if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		return errbuf_fail(-EPERM, err, errsz, "%s: not a regular file owned by root and writable only by it", path);
	}
	n = read(fd, buf, SYNCSTATE_FILE_MAX + 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return errbuf_fail(r, err, errsz, "%s: %s", path, strerror(-r));
	if (n > SYNCSTATE_FILE_MAX || memchr(buf, '\0', (size_t)n))
		return errbuf_fail(-EBADMSG, err, errsz, "%s: not a sync state file", path);
	buf[n] = '\0';
	r = parse(buf, ret);
	if (r < 0)
		return errbuf_fail(r, err, errsz, "%s: %s", path, r == -ENOMEM ? "out of memory" : "malformed");
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int format(const struct syncstate *s, char *buf, size_t bufsz)
{
	int n = snprintf(buf, bufsz, SYNCSTATE_MAGIC "\nlast_ok %lld\n", (long long)s->last_ok);
	size_t len;

	if (n < 0 || (size_t)n >= bufsz)
		return -E2BIG;
	len = (size_t)n;
	if (s->source[0] && value_ok(s->source)) {
		n = snprintf(buf + len, bufsz - len, "source %s\n", s->source);
		if (n < 0 || (size_t)n >= bufsz - len)
			return -E2BIG;
		len += (size_t)n;
	}
	if (s->url && value_ok(s->url) && (!s->etag || value_ok(s->etag)) &&
	    (!s->last_modified || value_ok(s->last_modified))) {
		n = snprintf(buf + len, bufsz - len, "url %s\n%s%s%s%s%s%sdoc_len %llu\ndoc_crc %u\n", s->url,
			     s->etag ? "etag " : "", s->etag ? s->etag : "", s->etag ? "\n" : "",
			     s->last_modified ? "last_modified " : "", s->last_modified ? s->last_modified : "",
			     s->last_modified ? "\n" : "", (unsigned long long)s->doc_len, s->doc_crc);
		if (n < 0 || (size_t)n >= bufsz - len)
			return -E2BIG;
		len += (size_t)n;
	}
	return (int)len;
}

int syncstate_write(const char *state_dir, const struct syncstate *s, char *err, size_t errsz)
{
	char path[4096], tmp[4096], buf[SYNCSTATE_FILE_MAX];
	int fd, len, r;

	len = format(s, buf, sizeof(buf));
	if (len < 0)
		return errbuf_fail(len, err, errsz, "sync state too long");
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir, SYNCSTATE_FILE_NAME) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/%s", state_dir, SYNCSTATE_TMP) >= sizeof(tmp))
		return errbuf_fail(-ENAMETOOLONG, err, errsz, "state_dir path too long");
	unlink(tmp);
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
		return errbuf_fail(-errno, err, errsz, "cannot create %s: %s", state_dir, strerror(errno));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		return errbuf_fail(r, err, errsz, "%s: %s", tmp, strerror(-r));
	}
	r = write_all(fd, buf, (size_t)len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	/* No fsync: losing this file only makes provd more careful (see
	 * syncstate.h); the cache itself is written durably. */
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return errbuf_fail(r, err, errsz, "%s: %s", path, strerror(-r));
	}
	return 0;
}

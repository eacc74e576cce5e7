/* SPDX-License-Identifier: MIT */
/* Just-in-time homes; the why and the safety rules are in homedir.h. */
#include "access/homedir.h"
#include "access/homebase.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A skel deeper than this is a loop or a mistake, not a skeleton. */
#define SKEL_MAX_DEPTH 32
#define TMP_ATTEMPTS 16

#define DIR_OPEN_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* openat() of a directory that never follows a symlink. With O_DIRECTORY
 * the kernel reports a symlink as ENOTDIR; say ELOOP for it, so a caller
 * (and the audit line) can tell "a symlink was planted here" apart. */
static int open_dir_nofollow(int parent, const char *name)
{
	struct stat st;
	int fd;

	fd = openat(parent, name, DIR_OPEN_FLAGS);
	if (fd >= 0)
		return fd;
	if (errno == ENOTDIR && fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return -ELOOP;
	return -errno;
}

/* A directory we walk through must be one no user can change under us. */
static int check_trusted_dir(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return -EPERM;
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return -EPERM;
	return 0;
}

static bool bad_component(const char *c, size_t len)
{
	return len == 0 || len > NAME_MAX || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.');
}

/* Returns the part of home below base ("alice", "team/alice"), or NULL when
 * home is not strictly below base or has an empty, "." or ".." component. */
static const char *home_below_base(const char *base, const char *home)
{
	size_t blen = strlen(base);
	const char *rel, *p;

	if (base[0] != '/' || home[0] != '/' || strlen(home) >= PATH_MAX)
		return NULL;
	while (blen > 1 && base[blen - 1] == '/')
		blen--;
	if (blen == 1) {
		rel = home + 1;
	} else {
		if (strncmp(home, base, blen) != 0 || home[blen] != '/')
			return NULL;
		rel = home + blen + 1;
	}
	for (p = rel;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (bad_component(p, len))
			return NULL;
		if (!slash)
			break;
		p = slash + 1;
	}
	return rel;
}

/* Opens (creating root:root 0755 if missing) the directory name below
 * parent, refusing symlinks and untrusted directories. */
static int open_parent_component(int parent, const char *name, int *ret_fd)
{
	bool made = false;
	int fd, r;

	fd = open_dir_nofollow(parent, name);
	if (fd == -ENOENT) {
		if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
			return -errno;
		made = true;
		fd = open_dir_nofollow(parent, name);
	}
	if (fd < 0)
		return fd;
	if (made) {
		struct stat st;

		/* Only fix the mode of what we made (umask), never chmod a
		 * directory someone else made at the same moment. */
		if (fstat(fd, &st) == 0 && st.st_uid == geteuid())
			(void)fchmod(fd, 0755);
	}
	r = check_trusted_dir(fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* Walks base/rel down to the home's parent. On success *ret_fd is the
 * parent and *ret_name the last component (pointing into rel). */
static int open_home_parent(const char *base, const char *rel, int *ret_fd, const char **ret_name)
{
	char comp[NAME_MAX + 1];
	const char *p = rel, *slash;
	int fd, r;

	/* The base may be reached through root's own symlinks (/home ->
	 * var/home); below it, nothing is followed. */
	r = homebase_open(base, &fd);
	if (r < 0)
		return r;
	while (r == 0 && (slash = strchr(p, '/'))) {
		int next = -1;

		memcpy(comp, p, (size_t)(slash - p));
		comp[slash - p] = '\0';
		r = open_parent_component(fd, comp, &next);
		close(fd);
		fd = next;
		p = slash + 1;
	}
	if (r < 0) {
		close_fd(&fd);
		return r;
	}
	*ret_fd = fd;
	*ret_name = p;
	return 0;
}

/* 0 with *ret_exists when nothing or a directory is at name; a symlink
 * there is -ELOOP, another file -ENOTDIR (either is left alone). */
static int probe_existing(int parent, const char *name, bool *ret_exists)
{
	struct stat st;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return -errno;
		*ret_exists = false;
		return 0;
	}
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*ret_exists = true;
	return 0;
}

static int copy_tree(int sfd, int dfd, const struct homedir_spec *s, int depth);

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int copy_data(int in, int out)
{
	char buf[16384];

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		int r;

		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		r = write_all(out, buf, (size_t)n);
		if (r < 0)
			return r;
	}
}

static int copy_file(int sfd, int dfd, const char *name, const struct homedir_spec *s)
{
	int in = -1, out = -1, r;
	struct stat st;

	/* O_NONBLOCK: should a fifo be swapped in after the type check, the
	 * open does not hang; the fstat below then refuses it. */
	in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (in < 0)
		return -errno;
	if (fstat(in, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = 0; /* changed under us into something we do not copy */
		goto out;
	}
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		r = -errno;
		goto out;
	}
	r = copy_data(in, out);
	if (r < 0)
		goto out;
	/* chown before chmod: chown clears set-id bits, and we drop them anyway. */
	if (fchown(out, s->uid, s->gid) < 0 || fchmod(out, st.st_mode & 0777) < 0)
		r = -errno;
out:
	close_fd(&in);
	close_fd(&out);
	return r;
}

static int copy_symlink(int sfd, int dfd, const char *name, const struct homedir_spec *s)
{
	char target[PATH_MAX];
	ssize_t n;

	n = readlinkat(sfd, name, target, sizeof(target));
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(target))
		return -ENAMETOOLONG;
	target[n] = '\0';
	if (symlinkat(target, dfd, name) < 0)
		return -errno;
	if (fchownat(dfd, name, s->uid, s->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

static int copy_dir(int sfd, int dfd, const char *name, const struct homedir_spec *s, int depth)
{
	int csfd = -1, cdfd = -1, r;
	struct stat st;

	if (depth >= SKEL_MAX_DEPTH)
		return -ELOOP;
	csfd = openat(sfd, name, DIR_OPEN_FLAGS);
	if (csfd < 0)
		return -errno;
	if (fstat(csfd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (mkdirat(dfd, name, 0700) < 0) {
		r = -errno;
		goto out;
	}
	cdfd = openat(dfd, name, DIR_OPEN_FLAGS);
	if (cdfd < 0) {
		r = -errno;
		goto out;
	}
	r = copy_tree(csfd, cdfd, s, depth + 1);
	if (r < 0)
		goto out;
	if (fchown(cdfd, s->uid, s->gid) < 0 || fchmod(cdfd, st.st_mode & 0777) < 0)
		r = -errno;
out:
	close_fd(&csfd);
	close_fd(&cdfd);
	return r;
}

static int copy_entry(int sfd, int dfd, const char *name, const struct homedir_spec *s, int depth)
{
	struct stat st;

	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode))
		return copy_dir(sfd, dfd, name, s, depth);
	if (S_ISREG(st.st_mode))
		return copy_file(sfd, dfd, name, s);
	if (S_ISLNK(st.st_mode))
		return copy_symlink(sfd, dfd, name, s);
	return 0; /* fifos, sockets, devices: not for a home */
}

/* Copies the contents of the directory sfd into the directory dfd. */
static int copy_tree(int sfd, int dfd, const struct homedir_spec *s, int depth)
{
	struct dirent *de;
	DIR *dir;
	int fd, r = 0;

	fd = fcntl(sfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		close(fd);
		return r;
	}
	while (r == 0) {
		errno = 0;
		de = readdir(dir);
		if (!de) {
			r = errno ? -errno : 0;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = copy_entry(sfd, dfd, de->d_name, s, depth);
	}
	closedir(dir);
	return r;
}

/* Removes name below parent and everything in it, following nothing. For
 * our own temporary copy after a failure or a lost race. */
static int remove_tree(int parent, const char *name, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int fd, r = 0;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(parent, name, 0) < 0 ? -errno : 0;
	if (depth >= SKEL_MAX_DEPTH + 2)
		return -ELOOP;
	fd = openat(parent, name, DIR_OPEN_FLAGS);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		close(fd);
		return r;
	}
	while ((de = readdir(dir))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (r == 0)
			r = remove_tree(dirfd(dir), de->d_name, depth + 1);
	}
	closedir(dir);
	if (r == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0)
		r = -errno;
	return r;
}

static int open_skel(const char *skel, int *ret_fd)
{
	int fd;

	*ret_fd = -1;
	if (!skel || !skel[0])
		return 0;
	fd = open_dir_nofollow(AT_FDCWD, skel);
	if (fd < 0) {
		/* A host without /etc/skel (a minimal container) still gets
		 * a home, just an empty one. */
		return fd == -ENOENT ? 0 : fd;
	}
	*ret_fd = fd;
	return 0;
}

/* Fills the new directory fd (still root-owned, 0700, reachable by nobody
 * else) and hands it to the user: contents first, the top last. */
static int populate(int fd, const struct homedir_spec *s)
{
	int sfd, r;

	r = open_skel(s->skel, &sfd);
	if (r < 0)
		return r;
	if (sfd >= 0) {
		r = copy_tree(sfd, fd, s, 0);
		close(sfd);
		if (r < 0)
			return r;
	}
	if (fchown(fd, s->uid, s->gid) < 0 || fchmod(fd, s->mode & 0777) < 0)
		return -errno;
	return 0;
}

/* Makes a uniquely named, root-owned 0700 directory in parent. */
static int make_tmp_dir(int parent, char *name, size_t namesz, int *ret_fd)
{
	static unsigned counter;
	struct timespec ts;
	int i, fd;

	for (i = 0; i < TMP_ATTEMPTS; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(name, namesz, ".prov-home.%ld.%lx.%x", (long)getpid(), (unsigned long)ts.tv_nsec,
			 counter++);
		if (mkdirat(parent, name, 0700) == 0)
			break;
		if (errno != EEXIST)
			return -errno;
	}
	if (i == TMP_ATTEMPTS)
		return -EEXIST;
	fd = openat(parent, name, DIR_OPEN_FLAGS);
	if (fd < 0) {
		int r = -errno;

		(void)unlinkat(parent, name, AT_REMOVEDIR);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* For file systems without RENAME_NOREPLACE: made in place, still once
 * (mkdirat fails with EEXIST for the second). */
static int create_in_place(int parent, const char *name, const struct homedir_spec *s, bool *ret_created)
{
	bool exists;
	int fd, r;

	if (mkdirat(parent, name, 0700) < 0) {
		if (errno != EEXIST)
			return -errno;
		r = probe_existing(parent, name, &exists);
		if (r < 0)
			return r;
		*ret_created = false;
		return 0;
	}
	fd = openat(parent, name, DIR_OPEN_FLAGS);
	if (fd < 0)
		return -errno;
	r = populate(fd, s);
	close(fd);
	if (r < 0) {
		(void)remove_tree(parent, name, 0);
		return r;
	}
	*ret_created = true;
	return 0;
}

static int create_home(int parent, const char *name, const struct homedir_spec *s, bool *ret_created)
{
	char tmp[64];
	bool exists;
	int fd = -1, r;

	r = make_tmp_dir(parent, tmp, sizeof(tmp), &fd);
	if (r < 0)
		return r;
	r = populate(fd, s);
	close(fd);
	if (r < 0)
		goto fail;
	if (renameat2(parent, tmp, parent, name, RENAME_NOREPLACE) == 0) {
		*ret_created = true;
		return 0;
	}
	r = -errno;
	(void)remove_tree(parent, tmp, 0);
	if (r == -EINVAL || r == -ENOSYS)
		return create_in_place(parent, name, s, ret_created);
	if (r != -EEXIST)
		return r;
	/* Somebody else made it a moment ago: theirs stands. */
	r = probe_existing(parent, name, &exists);
	if (r < 0)
		return r;
	*ret_created = false;
	return 0;
fail:
	(void)remove_tree(parent, tmp, 0);
	return r;
}

int homedir_create(const struct homedir_spec *s, bool *ret_created)
{
	const char *rel, *name;
	bool exists = false, created = false;
	int parent = -1, r;

	if (!s->base || !s->home)
		return -EINVAL;
	rel = home_below_base(s->base, s->home);
	if (!rel)
		return -EINVAL;
	r = open_home_parent(s->base, rel, &parent, &name);
	if (r < 0)
		return r;
	r = probe_existing(parent, name, &exists);
	if (r == 0 && !exists)
		r = create_home(parent, name, s, &created);
	close(parent);
	if (r < 0)
		return r;
	*ret_created = created;
	return 0;
}

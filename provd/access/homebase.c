/* SPDX-License-Identifier: MIT */
/* Resolving home_base through trusted symlinks only; the rule is in
 * homebase.h. */
#include "access/homebase.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* Where the resolution stands: the directory reached so far (fd and its
 * stat) and what is left to resolve below it. */
struct walk {
	int fd;
	struct stat st;
	char rest[PATH_MAX];
	size_t pos;
	unsigned links;
};

static bool owner_ok(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/* May we take entry (lstat'ed) out of directory dir? Only if nobody but
 * root could have put it there or could swap it. */
static int entry_trusted(const struct stat *dir, const struct stat *entry)
{
	if (!owner_ok(entry))
		return -EPERM;
	if ((dir->st_mode & (S_IWGRP | S_IWOTH)) && !(dir->st_mode & S_ISVTX))
		return -EPERM;
	return 0;
}

/* Moves the walk to fd (taking it over), whose stat is st. */
static void walk_move(struct walk *w, int fd, const struct stat *st)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
	w->st = *st;
}

static int open_checked(int at, const char *name, struct stat *ret_st)
{
	int fd = openat(at, name, DIR_FLAGS), r;

	if (fd < 0)
		/* O_NOFOLLOW|O_DIRECTORY on a symlink: it was swapped in
		 * after we looked (only its owner could): refuse it. */
		return errno == ENOTDIR ? -EPERM : -errno;
	if (fstat(fd, ret_st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int walk_to_root(struct walk *w)
{
	struct stat st;
	int fd = open_checked(AT_FDCWD, "/", &st);

	if (fd < 0)
		return fd;
	if (!owner_ok(&st)) {
		close(fd);
		return -EPERM;
	}
	walk_move(w, fd, &st);
	return 0;
}

/* Replaces what is left to resolve with target + "/" + the rest. */
static int splice_link(struct walk *w, const char *target)
{
	char next[PATH_MAX];
	int n = snprintf(next, sizeof(next), "%s/%s", target, w->rest + w->pos);

	if (n < 0 || (size_t)n >= sizeof(next))
		return -ENAMETOOLONG;
	memcpy(w->rest, next, (size_t)n + 1);
	w->pos = 0;
	return target[0] == '/' ? walk_to_root(w) : 0;
}

static int follow_link(struct walk *w, const char *name, const struct stat *st)
{
	char target[PATH_MAX];
	ssize_t n;
	int r;

	if (++w->links > HOMEBASE_MAX_LINKS)
		return -ELOOP;
	r = entry_trusted(&w->st, st);
	if (r < 0)
		return r;
	n = readlinkat(w->fd, name, target, sizeof(target));
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(target))
		return -ENAMETOOLONG;
	target[n] = '\0';
	return splice_link(w, target);
}

static int enter_dir(struct walk *w, const char *name, const struct stat *lst)
{
	struct stat st;
	int fd, r;

	r = entry_trusted(&w->st, lst);
	if (r < 0)
		return r;
	fd = open_checked(w->fd, name, &st);
	if (fd < 0)
		return fd;
	/* Still the directory we judged (not swapped between the two calls). */
	if (st.st_dev != lst->st_dev || st.st_ino != lst->st_ino) {
		close(fd);
		return -EPERM;
	}
	walk_move(w, fd, &st);
	return 0;
}

/* "..": the parent of a directory we trust. Its owner is checked like
 * any directory's; what we take from it next is checked against it. */
static int enter_parent(struct walk *w)
{
	struct stat st;
	int fd = open_checked(w->fd, "..", &st);

	if (fd < 0)
		return fd;
	if (!owner_ok(&st)) {
		close(fd);
		return -EPERM;
	}
	walk_move(w, fd, &st);
	return 0;
}

static int step(struct walk *w, const char *name)
{
	struct stat st;

	if (strcmp(name, ".") == 0)
		return 0;
	if (strcmp(name, "..") == 0)
		return enter_parent(w);
	if (fstatat(w->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return follow_link(w, name, &st);
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return enter_dir(w, name, &st);
}

/* Copies the next component into name; 0 when none is left, 1 when one
 * was taken. */
static int next_name(struct walk *w, char name[NAME_MAX + 1])
{
	const char *p = w->rest + w->pos, *end;
	size_t len;

	while (*p == '/')
		p++;
	if (!*p)
		return 0;
	end = strchrnul(p, '/');
	len = (size_t)(end - p);
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(name, p, len);
	name[len] = '\0';
	w->pos = (size_t)(end - w->rest);
	return 1;
}

int homebase_open(const char *base, int *ret_fd)
{
	struct walk w = { .fd = -1 };
	char name[NAME_MAX + 1];
	int r;

	if (!base || base[0] != '/')
		return -EINVAL;
	if (strlen(base) >= sizeof(w.rest))
		return -ENAMETOOLONG;
	strcpy(w.rest, base);
	r = walk_to_root(&w);
	while (r == 0 && (r = next_name(&w, name)) == 1)
		r = step(&w, name);
	/* The base itself: users must not be able to plant entries next to
	 * the homes, sticky bit or not. */
	if (r == 0 && (w.st.st_mode & (S_IWGRP | S_IWOTH)))
		r = -EPERM;
	if (r < 0) {
		if (w.fd >= 0)
			close(w.fd);
		return r;
	}
	*ret_fd = w.fd;
	return 0;
}

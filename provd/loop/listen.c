/* SPDX-License-Identifier: MIT */
#include "loop/listen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "base/log.h"

#define SOCKET_NAME "socket"
#define PRIVATE_DIR "private"

/* A directory we put a socket in must be ours alone to change. */
static int prepare_dir(const char *path, mode_t mode, char *err, size_t errsz)
{
	struct stat st;
	int fd;

	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		int r = -errno;

		snprintf(err, errsz, "cannot create %s: %s", path, strerror(-r));
		return r;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;

		snprintf(err, errsz, "%s: %s", path, r == -ELOOP || r == -ENOTDIR ? "not a directory" : strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || (st.st_uid != 0 && st.st_uid != geteuid())) {
		snprintf(err, errsz, "%s: not owned by root", path);
		close(fd);
		return -EPERM;
	}
	/* Whatever mode it had (a umask, an old install), it gets ours. */
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0) {
		int r = -errno;

		snprintf(err, errsz, "chmod %s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	close(fd);
	return 0;
}

/* Removes a socket file left by an earlier provd, but never anything else,
 * and never one a living provd still answers on. */
static int remove_stale(const char *path, const struct sockaddr_un *sa, char *err, size_t errsz)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errsz, "%s exists and is not a socket: refusing to replace it", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (r == 0) {
		snprintf(err, errsz, "%s: another provd is already serving it", path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		r = -errno;
		snprintf(err, errsz, "cannot remove stale %s: %s", path, strerror(-r));
		return r;
	}
	return 0;
}

static int bind_one(struct listen_sock *l, mode_t mode, char *err, size_t errsz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->path);
	r = remove_stale(l->path, &sa, err, errsz);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(l->path, mode) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		snprintf(err, errsz, "cannot listen on %s: %s", l->path, strerror(-r));
		close(fd);
		return r;
	}
	l->fd = fd;
	l->created = true;
	return 0;
}

/* systemd's sockets (provd.socket), matched by path; unknown ones closed. */
static void adopt_activated(struct listen_sock socks[2])
{
	int n = sd_listen_fds(1), i, k;

	for (i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		bool used = false;

		for (k = 0; k < 2; k++) {
			if (socks[k].fd < 0 &&
			    sd_is_socket_unix(fd, SOCK_STREAM, 1, socks[k].path, 0) > 0) {
				socks[k].fd = fd;
				socks[k].created = false;
				fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
				fcntl(fd, F_SETFD, FD_CLOEXEC);
				log_msg(LOG_INFO, "using %s from systemd", socks[k].path);
				used = true;
				break;
			}
		}
		if (!used) {
			log_msg(LOG_WARNING, "ignoring descriptor %d from systemd: not one of our sockets", fd);
			close(fd);
		}
	}
}

int listen_open(const char *runtime_dir, struct listen_sock socks[2], char *err, size_t errsz)
{
	char priv_dir[sizeof(socks[0].path)];
	int k, r;

	for (k = 0; k < 2; k++) {
		socks[k].fd = -1;
		socks[k].private_socket = k == 1;
		socks[k].created = false;
	}
	if (snprintf(socks[0].path, sizeof(socks[0].path), "%s/" SOCKET_NAME, runtime_dir) >=
		    (int)sizeof(socks[0].path) ||
	    snprintf(socks[1].path, sizeof(socks[1].path), "%s/" PRIVATE_DIR "/" SOCKET_NAME, runtime_dir) >=
		    (int)sizeof(socks[1].path)) {
		snprintf(err, errsz, "runtime_dir %s is too long for a socket path", runtime_dir);
		return -ENAMETOOLONG;
	}
	snprintf(priv_dir, sizeof(priv_dir), "%s/" PRIVATE_DIR, runtime_dir);
	adopt_activated(socks);
	if (socks[0].fd < 0 || socks[1].fd < 0) {
		r = prepare_dir(runtime_dir, 0755, err, errsz);
		if (r == 0)
			r = prepare_dir(priv_dir, 0700, err, errsz);
		if (r < 0)
			goto fail;
	}
	for (k = 0; k < 2; k++) {
		if (socks[k].fd >= 0)
			continue;
		r = bind_one(&socks[k], k == 0 ? 0666 : 0600, err, errsz);
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	listen_close(&socks[0]);
	listen_close(&socks[1]);
	return r;
}

void listen_close(struct listen_sock *l)
{
	if (l->fd < 0)
		return;
	close(l->fd);
	l->fd = -1;
	if (l->created)
		unlink(l->path);
	l->created = false;
}

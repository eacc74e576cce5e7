/* SPDX-License-Identifier: MIT */
/* Signalling every process of a uid through /proc and pidfds
 * (sessions_signal.h). */
#include "access/sessions_signal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_send_signal_(int fd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

/* Real and effective uid of a process from /proc/<pid>/status. */
static int proc_uids(int dirfd, const char *pid, uid_t *ret_ruid, uid_t *ret_euid)
{
	char path[64], buf[4096], *p;
	unsigned long r, e;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/status", pid);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strstr(buf, "\nUid:");
	if (!p || sscanf(p + 5, "%lu %lu", &r, &e) != 2)
		return -EBADMSG;
	*ret_ruid = (uid_t)r;
	*ret_euid = (uid_t)e;
	return 0;
}

static bool is_pid_name(const char *s)
{
	return s[0] >= '1' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s) && strlen(s) < 11;
}

int sessions_signal_uid(const char *proc_dir, uid_t uid, int sig, unsigned *ret_n)
{
	unsigned n = 0;
	struct dirent *de;
	int dirfd;
	DIR *d;

	if (uid == 0)
		return -EPERM;
	dirfd = open(proc_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		uid_t ruid, euid;
		pid_t pid;
		int pfd;

		if (!is_pid_name(de->d_name))
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (pid == 1 || pid == getpid())
			continue;
		/* The pidfd first, the uid after: if the pid was reused in
		 * between, the uid read is the new process's, and the
		 * pidfd refers to that same process. */
		pfd = pidfd_open_(pid);
		if (pfd < 0)
			continue; /* gone, or another pid namespace's */
		if (proc_uids(dirfd, de->d_name, &ruid, &euid) == 0 && (ruid == uid || euid == uid)) {
			if (pidfd_send_signal_(pfd, sig) == 0)
				n++;
			if (sig != SIGKILL)
				pidfd_send_signal_(pfd, SIGCONT);
		}
		close(pfd);
	}
	closedir(d);
	*ret_n = n;
	return 0;
}

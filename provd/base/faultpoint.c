/* SPDX-License-Identifier: MIT */
#include "base/faultpoint.h"

#ifdef PROV_FAULT_HOOKS
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fault_point(const char *name)
{
	const char *path = secure_getenv("PROV_FAULT_FILE");
	char buf[128];
	ssize_t n;
	int fd;

	if (!path)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, name) == 0)
		raise(SIGSTOP);
}
#endif

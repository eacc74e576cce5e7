/* SPDX-License-Identifier: MIT */
/*
 * provd's two listening sockets (protocol.h, DESIGN §4):
 *   <runtime_dir>/socket           mode 0666, runtime_dir 0755
 *   <runtime_dir>/private/socket   mode 0600 in a 0700 directory
 * taken from systemd when it passes them (socket activation, matched by
 * path; descriptors that match neither are closed), otherwise created. A
 * directory we create a socket in must be owned by root (or provd's euid)
 * and gets our mode whatever it had. An existing path is replaced only if
 * it is a socket nobody answers on: never a regular file or a symlink, and
 * never the socket of a provd that is still running.
 */
#ifndef PROV_LISTEN_H
#define PROV_LISTEN_H

#include <stdbool.h>
#include <sys/un.h>

struct listen_sock {
	int fd;               /* listening, non-blocking, close-on-exec; -1 = none */
	bool private_socket;
	bool created;         /* bound by us, so unlinked by listen_close() */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* socks[0] is the public socket, socks[1] the private one. On failure
 * nothing stays open or created, and err says why. */
int listen_open(const char *runtime_dir, struct listen_sock socks[2], char *err, size_t errsz);

/* Closes; removes the socket file only if we created it (systemd's stay). */
void listen_close(struct listen_sock *l);

#endif

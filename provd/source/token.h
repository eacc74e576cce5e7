/* SPDX-License-Identifier: MIT */
/*
 * The bearer token file (/etc/prov/token). Whoever can read it can read the
 * directory, and whoever can write it can point provd at another identity:
 * it must be a regular file (not a symlink) owned by root (or provd's own
 * euid), with no permission bits for group or others. Read it before every
 * sync, so a rotated token is used without a restart.
 *
 * Error messages name the file and the problem, never any of its content.
 */
#ifndef PROV_TOKEN_H
#define PROV_TOKEN_H

#include <stddef.h>

#define TOKEN_MAX_BYTES 4096

/*
 * *ret_token: the file's content without surrounding white space; printable
 * ASCII, no inner space (what an HTTP header can carry). -ENOENT, -ELOOP
 * (symlink), -EPERM (owner or mode), -EINVAL (empty, too long, bad bytes),
 * or another -errno from open/read; err says which.
 */
int token_load(const char *path, char **ret_token, char *err, size_t errsz);

/* Wipes and frees a token (NULL is fine). */
void token_free(char *token);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Which AuthorizedKeysCommand does sshd use? sshd takes the FIRST value it
 * reads for most keywords, and reads sshd_config top to bottom, expanding
 * each "Include" in place (its globs sorted, relative paths under
 * /etc/ssh), so a drop-in of another package that sorts before prov's
 * 10-prov.conf silently wins (issue 4). This is that reading, for when
 * `sshd -T` cannot be run (not installed, no host keys, not root), and to
 * name the file that set a conflicting value.
 *
 * Lines inside a "Match" block (up to the next "Match", or the end of the
 * file) are conditional: they are skipped (a value set only there is not
 * the global one); "Match all" is global again. Keywords are case-insensitive;
 * "keyword value" and "keyword=value" are both accepted; a value may be
 * double-quoted.
 */
#ifndef PROVCTL_SSHDCONF_H
#define PROVCTL_SSHDCONF_H

#include <stddef.h>

#define SSHDCONF_VALUE_MAX 1024
#define SSHDCONF_WHERE_MAX 1100

struct sshdconf_hit {
	char value[SSHDCONF_VALUE_MAX];  /* the rest of the line, trimmed, quotes kept */
	char where[SSHDCONF_WHERE_MAX];  /* "path:line" */
};

/*
 * The first global setting of keyword reached from path. 0 with *ret
 * filled, -ENOENT when it is set nowhere, -errno when path cannot be read.
 * Unreadable included files are skipped (sshd would fail on them; doctor
 * then reports what sshd -T says).
 */
int sshdconf_first(const char *path, const char *keyword, struct sshdconf_hit *ret);

#endif

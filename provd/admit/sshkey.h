/* SPDX-License-Identifier: MIT */
/*
 * SSH keys from the directory are keys (issue 9 §5). What provd hands to
 * sshd (provctl keys, sshd's AuthorizedKeysCommand) is read as
 * authorized_keys lines, where anything before the key type is options:
 * command="...", environment="LD_PRELOAD=...", permitopen=... would let
 * whoever writes the directory (or a self-service key field) run commands
 * or open tunnels as the user. So each key is parsed, and only
 *
 *   [options] type base64-blob [comment]
 *
 * passes, where
 *  - type is one of ssh-ed25519, ecdsa-sha2-nistp256/384/521,
 *    sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com, or
 *    ssh-rsa with a modulus of at least SSHKEY_RSA_MIN_BITS;
 *  - the blob is strict base64 and decodes to an SSH public key whose
 *    inner type string equals type, with the fields that type has (and
 *    no bytes after them): a key of the right size and shape;
 *  - the comment is anything printable (it is never interpreted);
 *  - options are refused (SSHKEY_OPTIONS_NONE, the default), or, with
 *    SSHKEY_OPTIONS_RESTRICT ([login] key_options = restrict), only the
 *    options that take rights away: restrict, no-pty, no-port-forwarding,
 *    no-agent-forwarding, no-X11-forwarding, no-user-rc, from="...",
 *    expiry-time="...". Never command=, environment=, permitopen=,
 *    permitlisten=, tunnel=, principals= or anything else.
 * The reasons returned are fixed texts: they never quote the key.
 */
#ifndef PROV_SSHKEY_H
#define PROV_SSHKEY_H

#include <stddef.h>

#define SSHKEY_RSA_MIN_BITS 2048

enum sshkey_options {
	SSHKEY_OPTIONS_NONE = 0, /* any option refuses the key */
	SSHKEY_OPTIONS_RESTRICT, /* restricting options only */
};

/* NULL when line is one acceptable key, else a short static reason
 * ("has an unknown key type"). line is NUL-terminated. */
const char *sshkey_check(const char *line, enum sshkey_options opts);

#endif

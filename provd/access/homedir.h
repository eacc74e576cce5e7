/* SPDX-License-Identifier: MIT */
/*
 * Just-in-time home directories (DESIGN invariant 8).
 *
 * Why provd and not pam_prov creates homes: creating a home is privileged,
 * touches the file system under paths that users can write next to, and can
 * be slow (a big /etc/skel, a network /home). Done in provd it runs in one
 * audited, hardened root process, out of the host process (sshd, login, su,
 * a display manager), the way pam_mkhomedir hands the work to its helper;
 * it behaves the same for every PAM service; and the PAM module stays a thin
 * libc + libpam client. The price: provd runs as root (it does: it answers
 * privileged requests), and provd.service's hardening must let it write
 * below home_base: no ProtectHome=yes/tmpfs; ProtectHome=read-only only
 * together with ReadWritePaths= naming the home base (and with
 * ProtectSystem=strict the same ReadWritePaths= entry).
 *
 * How it stays safe against symlink and race tricks:
 *  - The base is opened once by homebase_open() (homebase.h), which
 *    follows only root's own symlinks (/home -> var/home on ostree).
 *  - Every path below it is walked from an fd with openat(O_NOFOLLOW|O_DIRECTORY);
 *    the base and every directory between it and the home must be real
 *    directories owned by root (or the caller) and not writable by group
 *    or others, so no user can swap a component under us.
 *  - If anything already exists at the home path (directory, symlink, file)
 *    it is never touched: not chowned, not chmod'ed, not filled.
 *  - The home is built under a temporary name in the same parent (a
 *    root-owned 0700 directory nobody else can enter), every skel entry is
 *    created with O_CREAT|O_EXCL|O_NOFOLLOW or mkdirat/symlinkat and given
 *    to the user with fchown / fchownat(AT_SYMLINK_NOFOLLOW); the top
 *    directory is chowned last and renamed into place with
 *    renameat2(RENAME_NOREPLACE). Two logins at once therefore create it
 *    once, and nobody ever sees a half-filled home. The loser removes its
 *    copy.
 *  - Symlinks in skel are copied as symlinks (never followed); fifos,
 *    sockets and devices in skel are skipped; set-id bits are dropped.
 * Where the file system does not support RENAME_NOREPLACE (EINVAL), the
 * home is created in place with mkdirat (still created once, still never
 * following anything; only the "nobody sees it half-filled" property is
 * lost).
 */
#ifndef PROV_HOMEDIR_H
#define PROV_HOMEDIR_H

#include <stdbool.h>
#include <sys/types.h>

#define HOMEDIR_DEFAULT_SKEL "/etc/skel"
#define HOMEDIR_DEFAULT_MODE 0700

struct homedir_spec {
	const char *base;  /* the configured home base, absolute, e.g. "/home" */
	const char *home;  /* the user's home: must be strictly below base */
	const char *skel;  /* skeleton directory; NULL or "" = create empty */
	uid_t uid;
	gid_t gid;
	mode_t mode;       /* permission bits of the home itself (0700) */
};

/*
 * Creates s->home if nothing exists at that path. Returns 0 with
 * *ret_created true (made now) or false (a directory was already there,
 * left untouched), or:
 *   -EINVAL   home not strictly below base, or a bad component
 *   -ELOOP    a symlink at the home path (left untouched), or where a
 *             parent directory below the base or skel should be
 *   -ENOTDIR  another non-directory at the home path (left untouched), or
 *             a path component is not a directory
 *   -EPERM    base or a parent is not owned by root or is group/other
 *             writable, or the base is reached through a symlink or a
 *             directory that is not trusted (homebase.h: root's own
 *             symlinks, like /home -> var/home, are followed)
 *   other -errno from the file system (the temporary copy is removed).
 * Missing directories between base and the home's parent are created
 * root-owned, mode 0755.
 */
int homedir_create(const struct homedir_spec *s, bool *ret_created);

#endif

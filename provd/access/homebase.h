/* SPDX-License-Identifier: MIT */
/*
 * Opening the configured home base (home_base, e.g. "/home") as a trusted
 * directory fd, from which homedir.c walks down with no symlink at all.
 *
 * Why the base is resolved and not walked with O_NOFOLLOW like the rest:
 * on ostree-style systems (Fedora Silverblue/CoreOS, RHEL for Edge) /home
 * is a symlink to var/home. Such a link is the system's own: root made it,
 * in a directory only root can change, so following it cannot be turned
 * against us. A link that anyone else made or could replace can.
 *
 * The rule, applied to every step of the resolution from "/":
 *  - every directory on the way (before and after following a link) is
 *    owned by root (or provd's euid) ;
 *  - a directory may only be writable by group or others if it is sticky
 *    (like /tmp) and what we take from it is owned by root (or the euid):
 *    in a sticky directory only the entry's owner or the directory's owner
 *    may rename or remove it, so nobody else can swap it;
 *  - every symlink followed is owned by root (or the euid), in a directory
 *    that passes the rule above;
 *  - the resolved base itself is not writable by group or others (sticky
 *    or not: users could plant entries next to the homes).
 * Everything is checked on the fds we then use (openat, fstatat with
 * AT_SYMLINK_NOFOLLOW), so what was checked is what is used.
 */
#ifndef PROV_HOMEBASE_H
#define PROV_HOMEBASE_H

/* Symlinks followed at most, as the kernel's own limit (MAXSYMLINKS). */
#define HOMEBASE_MAX_LINKS 40

/*
 * Opens base (absolute) following only trusted symlinks. Returns 0 with
 * *ret_fd an O_DIRECTORY fd of the resolved base, or:
 *   -EINVAL   base is not absolute
 *   -ENAMETOOLONG  a name, a link or the path with links expanded is too long
 *   -EPERM    a directory, a symlink or the base is not trusted (above)
 *   -ELOOP    more than HOMEBASE_MAX_LINKS symlinks
 *   -ENOTDIR  a component is neither a directory nor a symlink
 *   other -errno from the file system (e.g. -ENOENT).
 */
int homebase_open(const char *base, int *ret_fd);

#endif

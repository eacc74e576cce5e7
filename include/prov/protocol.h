/* SPDX-License-Identifier: MIT */
/*
 * The prov wire protocol: the one contract between provd and its clients
 * (nss_prov, pam_prov, provctl, the SSH keys helper).
 *
 * Transport: a SOCK_STREAM Unix socket on the local host. Both ends run on
 * the same machine, so integers travel in host byte order.
 *
 * Every message, request or reply, is one frame:
 *
 *   offset size field
 *   0      4    magic     PROV_MAGIC ("PRV1" read as a little-endian u32)
 *   4      2    version   PROV_PROTO_VERSION
 *   6      2    type      request opcode; a reply repeats its request's opcode
 *   8      4    status    0 in requests; enum prov_status in replies
 *   12     4    body_len  bytes that follow the header, <= PROV_MAX_BODY
 *                         (<= PROV_MAX_REPLY_BODY for a group reply)
 *
 * A body is a sequence of fields, each one of:
 *   u32     4 bytes
 *   u64     8 bytes
 *   string  u32 length L (<= the limit of that field), then L bytes, no NUL
 *           inside and none after it. Decoders reject a string that holds a
 *           NUL byte or runs past the end of the body.
 *
 * A decoder must consume the body exactly: trailing bytes are an error.
 * Opcode numbers are never reused; a new request takes a new number.
 */
#ifndef PROV_PROTOCOL_H
#define PROV_PROTOCOL_H

#include <stdint.h>

#define PROV_MAGIC         0x31565250u /* "PRV1" */
#define PROV_PROTO_VERSION 1u
#define PROV_HEADER_SIZE   16u

/* Sockets (DESIGN §4). The public one answers lookups for anyone; the
 * private one lives in a root-only directory and is the only one that
 * accepts privileged requests (defence in depth on top of SO_PEERCRED). */
#define PROV_RUNTIME_DIR    "/run/prov"
#define PROV_SOCKET_PATH    PROV_RUNTIME_DIR "/socket"
#define PROV_PRIV_DIR       PROV_RUNTIME_DIR "/private"
#define PROV_PRIV_SOCKET    PROV_PRIV_DIR "/socket"

/* Set in provd's own environment: nss_prov answers UNAVAIL at once when it
 * sees it, so the daemon (or anything it spawns, libcurl included) can never
 * recurse into itself through NSS. */
#define PROV_NSS_BYPASS_ENV "PROV_NSS_BYPASS"

/* Hard limits. Both ends enforce them; anything larger is malformed. */
#define PROV_MAX_BODY        (1u << 20) /* 1 MiB per frame body: requests, most replies */
/* A group reply (GR_BY_NAME, GR_BY_GID, and a GR_ENUM page that holds one
 * group too big for PROV_MAX_BODY, alone) may be this big: an all-staff
 * group of PROV_GROUP_MEMBERS_MAX members of PROV_NAME_MAX bytes fits
 * (2^21 x 36 B = 72 MiB). Clients accept it for these opcodes only. */
#define PROV_MAX_REPLY_BODY  (96u << 20)
#define PROV_NAME_MAX        32u        /* login and group names */
#define PROV_GECOS_MAX       256u
#define PROV_PATH_MAX        255u       /* home, shell */
/* Members of one group. A directory group over it rejects the pull whole
 * (provd never serves a group without some of its members). */
#define PROV_GROUP_MEMBERS_MAX 2097152u
#define PROV_GROUPS_PER_USER_MAX 1024u  /* gids answered for initgroups */
#define PROV_ENUM_PAGE_MAX   4096u      /* entries per enumeration page (getent passwd of 100k users: 25 pages) */
#define PROV_STATUS_PAIRS_MAX 128u
#define PROV_STATUS_STR_MAX  1024u
#define PROV_SSH_KEY_MAX     16384u     /* one authorized_keys line */
#define PROV_SSH_KEYS_MAX    64u
#define PROV_REASON_MAX      256u       /* human-readable decision reason */
#define PROV_SERVICE_MAX     64u        /* PAM service name */
#define PROV_RHOST_MAX       255u
#define PROV_TTY_MAX         64u

/*
 * Request opcodes. "who" says which peers provd serves: any = anyone on the
 * public socket; root = peer uid 0 on the private socket only.
 *
 *   nr  name                who   request body            reply body (status OK)
 *   1   PW_BY_NAME          any   str name                passwd
 *   2   PW_BY_UID           any   u32 uid                 passwd
 *   3   GR_BY_NAME          any   str name                group
 *   4   GR_BY_GID           any   u32 gid                 group
 *   5   INITGROUPS          any   str name                u32 n, n x u32 gid
 *   6   PW_ENUM             any   u32 cursor              u32 next, u32 n, n x passwd
 *   7   GR_ENUM             any   u32 cursor              u32 next, u32 n, n x group
 *   8   STATUS              any   (empty)                 u32 n, n x (str key, str value)
 *   --- the login path and operations ---
 *   16  ACCESS_CHECK        any   str user, str service, str rhost, str tty
 *                                                         u32 decision, str reason
 *   17  SESSION_OPEN        root  str user, str service, str rhost, str tty
 *                                                         u32 decision, str reason
 *   18  SESSION_CLOSE       root  str user, str service, str rhost, str tty
 *                                                         (empty)
 *   19  SSH_KEYS            any   str user                u32 n, n x str key
 *   20  REFRESH             root  u32 flags (PROV_REFRESH_*)
 *                                                         u32 n, n x (str key, str value)
 *   21  CACHE_VERIFY        root  (empty)                 u32 n, n x (str key, str value)
 *       (checks the on-disk cache as a start-up load would, without
 *       touching what is served; the pairs are listed in provd/serve/cache_verify.h,
 *       "result" first: valid | missing | refused)
 *
 * Enumeration: cursor 0 starts; a reply's "next" is the cursor of the next
 * page, PROV_ENUM_END when there is none. A page holds at most
 * PROV_ENUM_PAGE_MAX entries and always fits PROV_MAX_BODY, except a GR_ENUM
 * page that holds one group alone (up to PROV_MAX_REPLY_BODY). "next" is always
 * greater than the cursor asked for, and only the last page may be empty:
 * clients refuse anything else, so a broken daemon cannot loop them forever.
 *
 * passwd record: str name, u32 uid, u32 gid, str gecos, str home, str shell
 * group record:  str name, u32 gid, u32 n, n x str member
 */
enum prov_opcode {
	PROV_OP_PW_BY_NAME = 1,
	PROV_OP_PW_BY_UID = 2,
	PROV_OP_GR_BY_NAME = 3,
	PROV_OP_GR_BY_GID = 4,
	PROV_OP_INITGROUPS = 5,
	PROV_OP_PW_ENUM = 6,
	PROV_OP_GR_ENUM = 7,
	PROV_OP_STATUS = 8,
	PROV_OP_ACCESS_CHECK = 16,
	PROV_OP_SESSION_OPEN = 17,
	PROV_OP_SESSION_CLOSE = 18,
	PROV_OP_SSH_KEYS = 19,
	PROV_OP_REFRESH = 20,
	PROV_OP_CACHE_VERIFY = 21,
};

#define PROV_ENUM_END UINT32_MAX

#define PROV_REFRESH_FORCE 0x1u

/* Reply status. A reply with a status other than OK has an empty body. */
enum prov_status {
	PROV_ST_OK = 0,
	PROV_ST_NOT_FOUND = 1,   /* not a prov user/group: not an error */
	PROV_ST_BAD_REQUEST = 2, /* malformed frame or body */
	PROV_ST_DENIED = 3,      /* peer is not allowed to ask this */
	PROV_ST_UNSUPPORTED = 4, /* unknown or not yet served opcode */
	PROV_ST_INTERNAL = 5,
	PROV_ST_UNAVAILABLE = 6, /* no usable directory loaded */
};

/* Decisions answered by ACCESS_CHECK and SESSION_OPEN. */
enum prov_decision {
	PROV_DECIDE_ALLOW = 0,
	PROV_DECIDE_UNKNOWN = 1,   /* not a prov user */
	PROV_DECIDE_EXPIRED = 2,   /* deprovisioned, inactive or grant expired */
	PROV_DECIDE_NO_GRANT = 3,  /* no login grant on this host */
	PROV_DECIDE_STALE = 4,     /* cache older than offline_grace */
};

#endif

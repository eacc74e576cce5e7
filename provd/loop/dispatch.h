/* SPDX-License-Identifier: MIT */
/*
 * From one request frame to one reply frame, through a table of
 * {opcode, who may ask, handler} (as SSSD and OpenSSH's monitor do).
 *
 * Adding requests from another area (the login path, sync): define a
 *
 *   const struct dispatch_table login_dispatch_table = DISPATCH_TABLE(entries);
 *
 * in your own file, declare it extern in your header, and add its address
 * to dispatch_tables[] in provd/requests.c (one line). The dispatcher does
 * the rest: the privilege check, decoding safety, status and audit of
 * denials. The list lives at the top of provd/, not here, because the
 * handlers come from later stages (provd/stages.txt) than this loop.
 *
 * A handler reads its request body from req (a reader over exactly the
 * body), validates ALL of it first (parse everything, then
 * `if (prov_reader_end(req) < 0) return PROV_ST_BAD_REQUEST;`), and only then
 * acts. On PROV_ST_OK it has appended the reply body to reply (whose header
 * space is already reserved); for any other status whatever it appended is
 * discarded and the reply carries an empty body. A handler never logs a
 * lookup miss (that is the normal case for local users); it logs decisions.
 */
#ifndef PROV_DISPATCH_H
#define PROV_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store/state.h"
#include "wire.h"

/* Who may ask. ROOT means: peer uid 0 AND on the private socket (defence
 * in depth: a root process reaching the public socket is still refused). */
enum dispatch_who {
	DISPATCH_ANY,
	DISPATCH_ROOT,
};

/* The peer, as SO_PEERCRED said at accept time. */
struct dispatch_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool private_socket;
	uint64_t conn_id; /* unique per connection: names it to server_reply() */
};

struct dispatch_ctx {
	struct prov_state *state;
	const struct dispatch_peer *peer;
	int64_t now; /* unix seconds, read once per request */
};

/* A handler that answers later (REFRESH answers when its pull is done)
 * returns this instead of a status, after keeping ctx->peer->conn_id. The
 * connection then waits, without a deadline, for server_reply() (server.h)
 * or its own hang-up; it sends no other request meanwhile. */
#define DISPATCH_DEFERRED (-1)

/* Returns an enum prov_status (or DISPATCH_DEFERRED). */
typedef int (*dispatch_fn)(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply);

struct dispatch_entry {
	uint16_t opcode;
	enum dispatch_who who;
	const char *name; /* for logs: "PW_BY_NAME" */
	dispatch_fn fn;
};

struct dispatch_table {
	const struct dispatch_entry *entries;
	size_t n;
};

/* A table of the entries of an array: DISPATCH_TABLE(my_entries). */
#define DISPATCH_TABLE(entries_) { (entries_), sizeof(entries_) / sizeof((entries_)[0]) }

/* Every table provd serves (provd/requests.c), and how many. */
extern const struct dispatch_table *const dispatch_tables[];
extern const size_t dispatch_ntables;

/* The capacity a reply buffer must have: any reply fits. */
#define DISPATCH_REPLY_CAP (PROV_HEADER_SIZE + PROV_MAX_REPLY_BODY)

/* NULL for an opcode nobody serves. */
const struct dispatch_entry *dispatch_find(uint16_t opcode);

/*
 * Answers one request (hdr already decoded and checked: magic, version,
 * body_len <= PROV_MAX_BODY). Writes a complete reply frame into w, which
 * must have DISPATCH_REPLY_CAP bytes. Returns the status sent, or
 * DISPATCH_DEFERRED (nothing to send now).
 */
int dispatch_request(struct prov_state *st, const struct dispatch_peer *peer, const struct prov_header *hdr,
		     const uint8_t *body, struct prov_writer *w);

/* Helpers for handlers. */

/* Reads one name field and checks the body ends there. Copies it into out
 * (PROV_NAME_MAX + 1 bytes). A name that cannot be a prov name (empty,
 * too long) is -EBADMSG. */
int dispatch_get_name(struct prov_reader *req, char out[PROV_NAME_MAX + 1]);

/* Writes a group record; at most PROV_GROUP_MEMBERS_MAX members. */
void dispatch_put_group(struct prov_writer *w, const struct dir_group *g);

/* A reply that could not be encoded is a bug or a record admit let through
 * that the wire refuses: never send half of it. PROV_ST_INTERNAL when w
 * failed, else PROV_ST_OK. */
int dispatch_reply_status(const struct prov_writer *w);

/* Key/value replies (STATUS, REFRESH): u32 n, then n x (str key, str
 * value). A value is cut to PROV_STATUS_STR_MAX and has any URL
 * credential redacted; pairs past PROV_STATUS_PAIRS_MAX are left out. */
struct dispatch_pairs {
	struct prov_writer *w;
	size_t head;
	uint32_t n;
};
void dispatch_pairs_begin(struct dispatch_pairs *p, struct prov_writer *w);
void dispatch_pair(struct dispatch_pairs *p, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void dispatch_pairs_end(struct dispatch_pairs *p);

/* Overwrites the u32 at off in w (a count reserved before the records). */
void dispatch_patch_u32(struct prov_writer *w, size_t off, uint32_t v);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Encoder and decoder for the frames of include/prov/protocol.h.
 * libc only: linked into nss_prov, pam_prov, provctl and provd alike.
 * Nothing here logs or allocates; every function returns 0 or -errno
 * (-EBADMSG for malformed input, -EMSGSIZE when the output does not fit).
 */
#ifndef PROV_WIRE_H
#define PROV_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "prov/protocol.h"

struct prov_header {
	uint16_t version;
	uint16_t type;
	uint32_t status;
	uint32_t body_len;
};

/* A string inside a received body: NOT NUL-terminated, points into it. */
struct prov_str {
	const char *ptr;
	uint32_t len;
};

/* Writes fields into a caller-owned buffer; the first failure sticks in
 * err and later puts are no-ops, so a caller checks once at the end. */
struct prov_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
};

/* Reads fields from a received body; same sticky-error rule. */
struct prov_reader {
	const uint8_t *buf;
	size_t len;
	size_t off;
	int err;
};

struct prov_passwd_rec {
	struct prov_str name;
	uint32_t uid;
	uint32_t gid;
	struct prov_str gecos;
	struct prov_str home;
	struct prov_str shell;
};

/* A group record as decoded: members are walked lazily with
 * prov_group_next_member() so no array has to be allocated. */
struct prov_group_rec {
	struct prov_str name;
	uint32_t gid;
	uint32_t n_members;
	struct prov_reader members; /* positioned at the first member */
};

/* Header */
void prov_header_encode(uint8_t out[PROV_HEADER_SIZE], uint16_t type, uint32_t status, uint32_t body_len);
int prov_header_decode(const uint8_t in[PROV_HEADER_SIZE], struct prov_header *ret);
/* The same for a reply: body_len may reach prov_reply_body_max(type). */
int prov_reply_header_decode(const uint8_t in[PROV_HEADER_SIZE], struct prov_header *ret);
uint32_t prov_reply_body_max(uint16_t type);

/* Writer: a frame is built by prov_writer_begin (reserves the header),
 * puts, then prov_writer_finish (fills the header). */
void prov_writer_init(struct prov_writer *w, void *buf, size_t cap);
void prov_writer_begin(struct prov_writer *w);
int prov_writer_finish(struct prov_writer *w, uint16_t type, uint32_t status);
void prov_put_u32(struct prov_writer *w, uint32_t v);
void prov_put_u64(struct prov_writer *w, uint64_t v);
void prov_put_bytes(struct prov_writer *w, const char *s, size_t len, size_t max);
void prov_put_str(struct prov_writer *w, const char *s, size_t max); /* NUL-terminated s */
void prov_put_passwd(struct prov_writer *w, const char *name, uint32_t uid, uint32_t gid,
		     const char *gecos, const char *home, const char *shell);

/* Reader */
void prov_reader_init(struct prov_reader *r, const void *body, size_t len);
uint32_t prov_get_u32(struct prov_reader *r);
uint64_t prov_get_u64(struct prov_reader *r);
struct prov_str prov_get_str(struct prov_reader *r, size_t max);
int prov_reader_end(const struct prov_reader *r); /* 0 iff no error and fully consumed */

int prov_get_passwd(struct prov_reader *r, struct prov_passwd_rec *ret);
int prov_get_group(struct prov_reader *r, struct prov_group_rec *ret);
/* Steps to the next member of a decoded group; -ENOENT after the last. */
int prov_group_next_member(struct prov_group_rec *g, struct prov_str *ret);

/* Copies s into dst (size dstsz) with a terminating NUL; -ERANGE if it
 * does not fit. */
int prov_str_copy(const struct prov_str *s, char *dst, size_t dstsz);
int prov_str_eq(const struct prov_str *s, const char *cstr);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * What the sync remembers across restarts besides the cache itself, in
 * <state_dir>/sync.state:
 *
 *  - last_ok: when the source last confirmed the served directory (a pull
 *    applied, unchanged, or a 304). The cache's own saved_at is only the
 *    last *change*: without this a host that got 304s for a week would
 *    look a week out of date after a restart (offline_grace, DESIGN
 *    invariant 5);
 *  - the validators of the document the cache holds (URL, ETag,
 *    Last-Modified), bound to that document by its length and CRC-32, so a
 *    restart still asks "If-None-Match" and an unchanged directory still
 *    costs one 304 - and validators never vouch for other bytes;
 *  - the identity of the source the cache came from (source.h
 *    source_identity(): a hash of the type and URLs, secrets left out), so
 *    a host pointed at another directory knows that the cached serial is
 *    another source's and must not be compared with the new one's.
 *
 * A small text file, one "key value" per line, written atomically (temp,
 * rename). Losing it is harmless: last_ok falls back to the cache's
 * saved_at and the next pull is unconditional. A file that is not ours
 * (wrong owner or mode, a symlink) or does not parse is ignored.
 */
#ifndef PROV_SYNCSTATE_H
#define PROV_SYNCSTATE_H

#include <stddef.h>
#include <stdint.h>

#define SYNCSTATE_FILE_NAME "sync.state"
#define SYNCSTATE_VALUE_MAX 1024
#define SYNCSTATE_SOURCE_MAX 40

struct syncstate {
	int64_t last_ok;   /* unix seconds; 0 = unknown */
	char *url;         /* the URL the validators came from; NULL = none */
	char *etag;        /* NULL = none */
	char *last_modified;
	uint64_t doc_len;  /* the document they describe */
	uint32_t doc_crc;
	char source[SYNCSTATE_SOURCE_MAX]; /* source_identity() of the cache's source; "" = unknown (older provd) */
};

/* 0 and *ret filled (all NULL/0 when there is no file: -ENOENT is not
 * returned); -EPERM, -EBADMSG (err says why) when the file is refused. */
int syncstate_read(const char *state_dir, struct syncstate *ret, char *err, size_t errsz);

/* Atomic replace. 0 or -errno with err set. */
int syncstate_write(const char *state_dir, const struct syncstate *s, char *err, size_t errsz);

void syncstate_free(struct syncstate *s);

/* Deep copy; 0 or -ENOMEM. */
int syncstate_copy(const struct syncstate *src, struct syncstate *ret);

/* Replaces the validators (copies; NULL clears). 0 or -ENOMEM. */
int syncstate_set_validators(struct syncstate *s, const char *url, const char *etag, const char *last_modified,
			     uint64_t doc_len, uint32_t doc_crc);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The last good directory, kept in <state_dir>/directory.cache so provd
 * answers at boot and while the central directory is unreachable.
 *
 * The cache holds the exact document bytes (not a digest of the parsed
 * model), so a load re-runs the same parser and admission rules as a fresh
 * pull, and a future detached signature can be verified again.
 *
 * File layout (little-endian, CACHE_HEADER_SIZE bytes of header):
 *
 *   offset size field
 *   0      8    magic        "PROVCACH"
 *   8      4    version      CACHE_FORMAT_VERSION
 *   12     4    header_size  CACHE_HEADER_SIZE (room for a longer header later)
 *   16     8    payload_len  bytes of document after the header
 *   24     8    serial       the document's serial (replay protection at load)
 *   32     8    saved_at     unix seconds of the write
 *   40     4    payload_crc  CRC-32 (IEEE 802.3) of the payload
 *   44     4    header_crc   CRC-32 of bytes 0..43
 *   48     ...  payload
 *
 * Writes are atomic (temp file, fsync, rename, fsync of the directory), so a
 * crash or power loss at any instant leaves either the old or the new cache
 * (DESIGN invariant 4). Reads trust nothing: see cache_read().
 */
#ifndef PROV_CACHE_H
#define PROV_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define CACHE_FILE_NAME "directory.cache"
#define CACHE_TMP_PREFIX ".directory.cache.tmp."
#define CACHE_MAGIC "PROVCACH"
#define CACHE_FORMAT_VERSION 1u
#define CACHE_HEADER_SIZE 48u
#define CACHE_PAYLOAD_MAX (512u << 20) /* = DOC_MAX_BYTES */

struct cache_info {
	uint64_t serial;
	int64_t saved_at;
	uint64_t payload_len;
	uint32_t payload_crc;
};

/* CRC-32 (reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF),
 * continuing from crc (pass 0 to start). */
uint32_t cache_crc32(uint32_t crc, const void *buf, size_t len);

/*
 * Writes doc atomically as <state_dir>/directory.cache, creating state_dir
 * (mode 0700) if it is missing. Leftover temp files of an earlier crash are
 * removed first. On failure the previous cache is untouched, no temp file
 * is left, and err holds a one-line reason.
 */
int cache_write(const char *state_dir, const void *doc, size_t len, uint64_t serial, char *err, size_t errsz);

/*
 * Reads and verifies <state_dir>/directory.cache. Refused (with -errno and
 * a one-line reason in err, "CRC mismatch", "owned by uid 1000, not root",
 * ...) unless: state_dir and the file are owned by root (or by provd's own
 * euid, which is root in production and the test user in unit tests) and
 * not writable by group or others; the file is a regular file reached
 * without following a symlink; its size is sane; magic, version, header
 * and payload length and both CRCs are right. A file of a newer format
 * version is refused with -EPROTONOSUPPORT, never guessed at.
 * -ENOENT (err "no cache") when there is none, which is not an error.
 * On success *ret_doc is malloc'ed (NUL-terminated for convenience).
 */
int cache_read(const char *state_dir, char **ret_doc, size_t *ret_len, struct cache_info *ret_info, char *err,
	       size_t errsz);

#endif

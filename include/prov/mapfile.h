/* SPDX-License-Identifier: MIT */
/*
 * The lookup snapshot: a file provd publishes under runtime_dir and
 * nss_prov maps read-only, so a lookup is answered from memory with no
 * system call and no daemon (DESIGN §6). This header is its one contract,
 * for the writer (provd/serve/mapwrite.c) and the reader (nss_prov/mapread.c).
 *
 * What it holds is provd's own answers, precomputed: every record is the
 * exact reply body the socket would send for it (include/prov/protocol.h
 * passwd, group and INITGROUPS bodies), so the module decodes, checks and
 * packs it with the same code as a socket reply, and a snapshot can never
 * say something the socket would not. Records are length-prefixed wire
 * strings (protocol.h); they carry no NUL of their own because the module
 * always copies them into the caller's buffer, where it adds one.
 *
 * Integers are fixed-width, little-endian (the only byte order prov
 * builds for: the wire is host order and mapfile.h refuses to compile
 * elsewhere). Offsets are from the start of the file. Everything is
 * 4-byte aligned.
 *
 * Header (PROV_MAP_HEADER_SIZE bytes at offset 0):
 *
 *   off size field
 *   0   4    magic          PROV_MAP_MAGIC ("PRM1")
 *   4   4    version        PROV_MAP_VERSION
 *   8   8    size           bytes of the whole file
 *   16  8    generation     provd's publish counter (starts at 1 per start)
 *   24  8    serial         the directory serial it was built from
 *   32  8    start_id       random per provd start: (start_id, generation)
 *                           names one snapshot across restarts
 *   40  4    superseded     0 while current; provd sets it to 1 after it
 *                           renamed a newer file into place (the only
 *                           byte provd ever changes in a published file)
 *   44  4    header_check   prov_map_check() of bytes 0..127 with bytes
 *                           40..47 (superseded, header_check) taken as 0
 *   48  4    n_users        passwd records
 *   52  4    n_groups       group records
 *   56  4    users_off      first passwd record
 *   60  4    users_end      one past the last one
 *   64  4    groups_off     first group record
 *   68  4    groups_end
 *   72  8    index[0]       passwd by name:  u32 offset, u32 n_slots
 *   80  8    index[1]       passwd by uid
 *   88  8    index[2]       group by name
 *   96  8    index[3]       group by gid
 *   104 8    published_at   unix seconds
 *   112 16   reserved       zero
 *
 * Record (in the users and groups sections, one after another, in the
 * order enumeration hands them out):
 *
 *   u32 len      payload bytes
 *   u32 check    prov_map_check() of the payload
 *   len bytes    payload, then zero padding to a multiple of 4
 *
 * passwd payload:
 *   u32 flags                 PROV_MAP_REC_LOOKUP_ONLY: answered by name
 *                             but not enumerated (a removed user whose uid
 *                             a live user has now: PW_ENUM skips her, PW_BY_NAME
 *                             still answers her)
 *   u32 pw_len, pw_len bytes  the PW_BY_NAME reply body (passwd record)
 *   u32 ig_status             PROV_ST_OK or PROV_ST_NOT_FOUND: what
 *                             INITGROUPS answers for this name
 *   rest of the payload       the INITGROUPS reply body (u32 n, n x gid;
 *                             empty when ig_status is NOT_FOUND)
 * group payload: the GR_BY_NAME reply body (group record).
 *
 * Index: n_slots (a power of two, more than the entries it holds) slots of
 * PROV_MAP_SLOT_SIZE bytes, open addressing with linear probing:
 *
 *   u32 hash     prov_map_hash_name() / prov_map_hash_id() of the key
 *   u32 off      the record's offset; 0 = empty slot (ends a probe)
 *   u32 check    prov_map_slot_check(hash, off)
 *
 * Every byte a lookup relies on is covered by a check: the header by
 * header_check, a slot by its own check word, a record by its check. A
 * lookup verifies what it touches, so a flipped bit anywhere is either
 * harmless (padding) or seen, and the module falls back to the socket
 * rather than answer from it. A key absent from a valid, current snapshot
 * is an authoritative miss.
 */
#ifndef PROV_MAPFILE_H
#define PROV_MAPFILE_H

#include <stdint.h>
#include <string.h>

#include "prov/protocol.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the lookup snapshot is little-endian and read in place"
#endif

#define PROV_MAP_NAME         "nss.map"
#define PROV_MAP_PATH         PROV_RUNTIME_DIR "/" PROV_MAP_NAME
#define PROV_MAP_MAGIC        0x314d5250u /* "PRM1" */
#define PROV_MAP_VERSION      1u
#define PROV_MAP_HEADER_SIZE  128u
#define PROV_MAP_SLOT_SIZE    12u
/* Larger files are refused by both ends (offsets are u32). */
#define PROV_MAP_MAX_SIZE     (1u << 30)

#define PROV_MAP_REC_LOOKUP_ONLY 0x1u

enum prov_map_index {
	PROV_MAP_PW_NAME = 0,
	PROV_MAP_PW_UID = 1,
	PROV_MAP_GR_NAME = 2,
	PROV_MAP_GR_GID = 3,
	PROV_MAP_N_INDEX = 4,
};

/* Header field offsets. */
#define PROV_MAPH_MAGIC        0u
#define PROV_MAPH_VERSION      4u
#define PROV_MAPH_SIZE         8u
#define PROV_MAPH_GENERATION   16u
#define PROV_MAPH_SERIAL       24u
#define PROV_MAPH_START_ID     32u
#define PROV_MAPH_SUPERSEDED   40u
#define PROV_MAPH_CHECK        44u
#define PROV_MAPH_N_USERS      48u
#define PROV_MAPH_N_GROUPS     52u
#define PROV_MAPH_USERS_OFF    56u
#define PROV_MAPH_USERS_END    60u
#define PROV_MAPH_GROUPS_OFF   64u
#define PROV_MAPH_GROUPS_END   68u
#define PROV_MAPH_INDEX        72u /* + 8 * enum prov_map_index */
#define PROV_MAPH_PUBLISHED_AT 104u

static inline uint32_t prov_map_rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t prov_map_rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A 32-bit finaliser (MurmurHash3's fmix32): every input bit moves about
 * half the output bits. */
static inline uint32_t prov_map_mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/*
 * Checks of records and the header: 8 bytes per step, each step a
 * bijection of the state for a given word, so any one changed word (one
 * flipped bit included) changes the 64-bit state, of which 32 bits are
 * kept. Not a defence against someone who can write the file (only root
 * can, and root can write whatever it likes): a guard against a torn or
 * damaged file being believed.
 */
static inline uint32_t prov_map_check(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
		p += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, p, len);
	h = (h ^ w ^ ((uint64_t)len << 56)) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 32;
	return (uint32_t)h;
}

/* FNV-1a, then mixed: names are short, this is a handful of cycles. */
static inline uint32_t prov_map_hash_name(const char *s, size_t len)
{
	uint32_t h = 0x811c9dc5u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 0x01000193u;
	}
	return prov_map_mix32(h);
}

static inline uint32_t prov_map_hash_id(uint32_t id)
{
	return prov_map_mix32(id ^ 0x5bd1e995u);
}

static inline uint32_t prov_map_slot_check(uint32_t hash, uint32_t off)
{
	return prov_map_mix32(prov_map_mix32(hash ^ 0xa5a5a5a5u) ^ off) ^ 0x3c6ef372u;
}

#endif

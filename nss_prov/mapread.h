/* SPDX-License-Identifier: MIT */
/*
 * nss_prov's side of the lookup snapshot (include/prov/mapfile.h): mapping
 * it (mapread.c) and answering from it (mapanswer.c), with the socket as
 * the fallback whenever there is no snapshot to believe.
 *
 * Mapping. A source is one snapshot path. Each thread keeps a reference
 * to the mapping it last used (pthread_getspecific: libc, no system
 * call); a lookup reads that mapping's superseded word, and while it is 0
 * uses it with no lock and no system call. When provd has published a
 * newer file (the word is 1), the thread takes a process-wide mutex, and
 * the first thread to get there opens, checks and maps the new file for
 * everyone; the others just take a reference. A mapping is unmapped when
 * its last reference goes: a thread's at its next lookup or its exit (the
 * key's destructor), an enumeration's at its end. So at most one mapping
 * per thread plus one per enumeration is alive, never one per generation.
 *
 * Opening checks, before a byte is believed: a regular file owned by root,
 * not group/other-writable, of a sane size (mapview.h), then the header
 * (magic, version, size, header check, not superseded). A file that fails
 * any of these is not used: the socket answers.
 *
 * fork(): pthread_atfork() holds the mutex across the fork, so the child
 * never inherits it locked; the child keeps the mappings (MAP_SHARED of a
 * read-only file stays valid in it) and the forking thread's reference.
 * Libc only: pthread_* are in libc since glibc 2.34.
 */
#ifndef PROV_NSS_MAPREAD_H
#define PROV_NSS_MAPREAD_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mapview.h"
#include "nss_prov.h"

struct prov_mapsrc;

/* A big group's member lengths, one byte each, in record order: found
 * once per mapping while the record was checked, so that copying it does
 * not read each member's length word where the previous member ended (a
 * chain of dependent loads: 7x slower for 100,000 members). Keyed by the
 * record's first member in the mapping. */
struct prov_map_lens {
	struct prov_map_lens *next;
	const uint8_t *members;
	uint32_t n;
	uint8_t len[];
};

/* Groups with fewer members are copied without (the chain is short). */
#define PROV_MAP_LENS_MIN 64u

/* One mapping, shared by the threads and enumerations referring to it. */
struct prov_map {
	struct prov_map_view view;
	void *base;
	size_t size;
	unsigned refs; /* under the process-wide mutex */
	/* Records already checked whole in this mapping (mapview.h's seen
	 * bits, shared by the threads); NULL: every lookup checks all. */
	uint64_t *seen;
	/* Pushed atomically, freed with the mapping. */
	struct prov_map_lens *lens;
};

/* The source of the entry points: PROV_MAP_PATH, owned by root. NULL only
 * when the process is out of thread keys (then: the socket). */
struct prov_mapsrc *prov_mapsrc_default(void);

/* Tests: a snapshot at path that must be owned by owner. Free only when
 * no other thread uses it any more (joined threads release theirs). */
int prov_mapsrc_new(const char *path, uid_t owner, struct prov_mapsrc **ret);
void prov_mapsrc_free(struct prov_mapsrc *src);

/* This thread's current mapping, valid until this thread's next call on
 * src; NULL when there is no snapshot to believe. src may be NULL. */
struct prov_map *prov_map_current(struct prov_mapsrc *src);

/* A reference of its own (for an enumeration, which may be continued by
 * another thread): NULL as above. prov_map_drop() releases it. */
struct prov_map *prov_map_hold(struct prov_mapsrc *src);
void prov_map_drop(struct prov_map *m);

/* mapanswer.c: the lookups, from the snapshot of src when there is one to
 * believe, else through socket_path (nss_prov.h's prov_nss_*). A name or
 * id absent from a believed snapshot is NOTFOUND with no round trip. */
enum nss_status prov_map_getpwnam(struct prov_mapsrc *src, const char *socket_path, const char *name,
				  struct passwd *pw, char *buf, size_t buflen, int *errnop);
enum nss_status prov_map_getpwuid(struct prov_mapsrc *src, const char *socket_path, uid_t uid,
				  struct passwd *pw, char *buf, size_t buflen, int *errnop);
enum nss_status prov_map_getgrnam(struct prov_mapsrc *src, const char *socket_path, const char *name,
				  struct group *gr, char *buf, size_t buflen, int *errnop);
enum nss_status prov_map_getgrgid(struct prov_mapsrc *src, const char *socket_path, gid_t gid,
				  struct group *gr, char *buf, size_t buflen, int *errnop);
enum nss_status prov_map_initgroups(struct prov_mapsrc *src, const char *socket_path, const char *user,
				    gid_t group, long int *start, long int *size, gid_t **groupsp,
				    long int limit, int *errnop);

/* An enumeration: from one snapshot, checked whole before its first entry
 * (so it never stops half-way), or through the socket when there is none. */
struct prov_mapenum {
	struct prov_map *map; /* held while the walk is on the snapshot */
	uint32_t cursor;
	bool started;
	struct prov_enum sock; /* the socket walk otherwise */
};

void prov_mapenum_init(struct prov_mapenum *e, uint16_t op);
void prov_mapenum_reset(struct prov_mapenum *e);
enum nss_status prov_mapenum_getpw(struct prov_mapenum *e, struct prov_mapsrc *src, const char *socket_path,
				   struct passwd *pw, char *buf, size_t buflen, int *errnop);
enum nss_status prov_mapenum_getgr(struct prov_mapenum *e, struct prov_mapsrc *src, const char *socket_path,
				   struct group *gr, char *buf, size_t buflen, int *errnop);

#endif

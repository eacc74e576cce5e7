/* SPDX-License-Identifier: MIT */
/*
 * Writing the lookup snapshot (include/prov/mapfile.h) that nss_prov maps.
 *
 * What goes in is what provd's own lookup handlers answer at that instant,
 * asked through the dispatch table as a client on the public socket would
 * be answered: every passwd record of a PW_ENUM walk (the removed users
 * within deprovisioned_retention included) with its INITGROUPS answer,
 * every group of a GR_ENUM walk (the sudo group with its members now
 * included). So the snapshot never says what the socket would not, and a
 * change to a handler reaches the snapshot with no second code path.
 *
 * Publishing is: write a new file under a temporary name in the runtime
 * directory (mode 0644), rename it over <dir>/nss.map (atomic: a reader
 * opens the old or the new one, never half of one), then set the old
 * file's superseded word with pwrite(), which every process that has it
 * mapped sees with its next lookup and re-maps. The old file is opened
 * before the rename, so it is the one that was in place (a restarted provd
 * supersedes its predecessor's file too). tmpfs: no fsync.
 */
#ifndef PROV_MAPWRITE_H
#define PROV_MAPWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "store/state.h"

struct mapimg {
	uint8_t *data; /* malloc'ed */
	size_t len;
	uint32_t n_users;
	uint32_t n_groups;
};

struct mapwrite_meta {
	uint64_t generation;
	uint64_t start_id;
	int64_t now; /* the instant the answers are for; also published_at */
};

/* Builds the image of st's answers at meta->now. 0, -ENOMEM, -EFBIG
 * (over PROV_MAP_MAX_SIZE), or -EBADMSG when a handler answered something
 * that does not decode (a bug: nothing is published). Needs st->dir. */
int mapwrite_build(struct prov_state *st, const struct mapwrite_meta *meta, struct mapimg *ret);
void mapimg_free(struct mapimg *img);

/* Publishes img as <dir>/nss.map (see above). 0 or -errno, err says
 * what failed. */
int mapwrite_publish(const char *dir, const struct mapimg *img, char *err, size_t errsz);

/* Takes <dir>/nss.map away: unlinked, then marked superseded, so mapped
 * readers re-open, find nothing and ask the socket. For a provd that
 * starts with nothing to serve (its cache refused): a snapshot of a state
 * it no longer vouches for must not keep answering. 0 or -errno. */
int mapwrite_withdraw(const char *dir);

#endif

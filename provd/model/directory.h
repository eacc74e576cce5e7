/* SPDX-License-Identifier: MIT */
/*
 * Stage model (provd/model/, in the order of provd/stages.txt) takes
 * nothing. Gives the type every later stage hands on: struct directory, a
 * snapshot of users, groups and bindings, with its indexes (hashtab.h).
 *
 * The directory model: one snapshot of users, groups and role bindings as
 * provd serves them. A snapshot is built (by a parser: docparse.c for prov's
 * JSON document, scim.c for SCIM), filtered by admit.c (DESIGN invariants
 * 1 and 2), indexed by directory_index(), and from then on never changes:
 * a sync builds a new snapshot and swaps the pointer, so a lookup never sees
 * half of one.
 *
 * Strings are heap-allocated and owned by the snapshot; directory_free()
 * releases everything.
 */
#ifndef PROV_DIRECTORY_H
#define PROV_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIR_GRANT_LOGIN 0x1u
#define DIR_GRANT_SUDO  0x2u

struct dir_strv {
	char **v;
	size_t n;
};

struct dir_user {
	char *id;    /* stable central id (document "id", SCIM id) */
	char *name;  /* login name */
	uint32_t uid;
	uint32_t gid; /* primary group */
	char *gecos;  /* never NULL after admit ("" when absent) */
	char *home;   /* never NULL after admit */
	char *shell;  /* never NULL after admit */
	struct dir_strv ssh_keys;
	bool active;
	/* Filled by directory_index(): gids of the prov groups that list this
	 * user as a member (the primary gid is not repeated here). */
	uint32_t *member_gids;
	size_t n_member_gids;
};

struct dir_group {
	char *id;
	char *name;
	uint32_t gid;
	struct dir_strv members; /* user login names; after admit only served users */
};

struct dir_binding {
	char *name;             /* for audit messages */
	struct dir_strv users;  /* login names */
	struct dir_strv groups; /* group names */
	struct dir_strv hosts;  /* fnmatch globs on the host name; empty = any */
	struct dir_strv labels; /* "key=value", all must match; empty = any */
	unsigned grants;        /* DIR_GRANT_* */
	int64_t not_after;      /* unix seconds; 0 = no expiry */
};

enum dir_entry_kind {
	DIR_KIND_USER,
	DIR_KIND_GROUP,
	DIR_KIND_BINDING,
};

/* What admission did with an entry it has something to say about (README
 * "Validation rules"). Each outcome has its own journal event and counter. */
enum dir_outcome {
	DIR_REFUSED = 0,   /* not served: the entry itself is bad */
	DIR_CORRECTED = 1, /* served, with the fix reason names */
	DIR_CONFLICT = 2,  /* not served: it collides with another entry */
};

/* An entry the admission rules refused: kept for status and audit. With
 * corrected set it is a note instead: the entry is served, but something in
 * it was replaced or dropped (a shell not in /etc/shells, an unknown group
 * member), and reason says what. corrected is outcome == DIR_CORRECTED,
 * kept for the readers that only ask "served or not". */
struct dir_refusal {
	enum dir_entry_kind kind;
	char *name;   /* as given (sanitised for printing: see validate.h) */
	char *reason; /* one line, e.g. "uid 0 is reserved" */
	bool corrected;
	enum dir_outcome outcome;
};

struct dir_index; /* private to directory.c */

struct directory {
	uint64_t serial;   /* only grows (DESIGN §2); 0 when the source has none */
	int64_t not_after; /* document expiry, unix seconds; 0 = none */
	int64_t generated; /* unix seconds the source says it was made; 0 = unknown */
	char *audience;    /* the fleet it is for (docsig.h); NULL = none */

	struct dir_user *users;
	size_t n_users;
	struct dir_group *groups;
	size_t n_groups;
	struct dir_binding *bindings;
	size_t n_bindings;

	struct dir_refusal *refused;
	size_t n_refused;

	struct dir_index *index; /* NULL until directory_index() */
};

struct directory *directory_new(void);
void directory_free(struct directory *d);

/* Append a zeroed entry and return it (NULL on ENOMEM). The arrays may move,
 * so pointers returned earlier are invalid after the next add. */
struct dir_user *directory_add_user(struct directory *d);
struct dir_group *directory_add_group(struct directory *d);
struct dir_binding *directory_add_binding(struct directory *d);
/* name and reason are copied through sanitize_for_log() (validate.h), so a
 * hostile name cannot break the log line it ends up in. */
int directory_add_refusal(struct directory *d, enum dir_entry_kind kind, const char *name, const char *reason);
/* The same, with corrected = true. */
int directory_add_note(struct directory *d, enum dir_entry_kind kind, const char *name, const char *reason);
/* The same, with outcome DIR_CONFLICT (not served). */
int directory_add_conflict(struct directory *d, enum dir_entry_kind kind, const char *name, const char *reason);

/* How many records of d have outcome o. */
size_t directory_count_outcome(const struct directory *d, enum dir_outcome o);
/* "refused", "corrected", "conflict" (also the journal event suffix). */
const char *dir_outcome_name(enum dir_outcome o);
/* True when a and b (either may be NULL: no records) hold the same records
 * (kind, name, reason, outcome), in any order: a pull whose only news is
 * in its refusals is news all the same. -ENOMEM is reported as false. */
bool directory_same_refusals(const struct directory *a, const struct directory *b);

/* Remove entry i, freeing its strings (order of the rest is kept). */
void directory_remove_user(struct directory *d, size_t i);
void directory_remove_group(struct directory *d, size_t i);
void directory_remove_binding(struct directory *d, size_t i);

/* Remove every entry i whose keep[i] is false, in one O(n) pass (order of
 * the rest is kept). keep has n_users (n_groups, n_bindings) elements. */
void directory_filter_users(struct directory *d, const bool *keep);
void directory_filter_groups(struct directory *d, const bool *keep);
void directory_filter_bindings(struct directory *d, const bool *keep);

int dir_strv_push(struct dir_strv *sv, const char *s); /* copies s; 0 or -ENOMEM */
void dir_strv_free(struct dir_strv *sv);
bool dir_strv_contains(const struct dir_strv *sv, const char *s);

/* Builds the hash indexes and member_gids (sorted ascending, no duplicates,
 * never the user's primary gid). Call after admit: should two entries share
 * a name or id anyway, lookups return the first. Calling it again rebuilds.
 * 0, -ENOMEM, or -E2BIG past 2^32 entries (then it is not indexed). */
int directory_index(struct directory *d);

/* O(1) lookups on an indexed snapshot; NULL when absent. */
const struct dir_user *directory_user_by_name(const struct directory *d, const char *name);
const struct dir_user *directory_user_by_uid(const struct directory *d, uint32_t uid);
const struct dir_group *directory_group_by_name(const struct directory *d, const char *name);
const struct dir_group *directory_group_by_gid(const struct directory *d, uint32_t gid);

#endif

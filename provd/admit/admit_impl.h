/* SPDX-License-Identifier: MIT */
/*
 * What the files of admission share (admit.h is the interface). admit.c
 * runs the four steps for users, groups and bindings and records the
 * verdicts; admit_rules.c is step 1 (per-entry rules), admit_collide.c
 * step 2 (collisions), admit_fix.c step 4 (corrections).
 */
#ifndef PROV_ADMIT_IMPL_H
#define PROV_ADMIT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admit/admit.h"
#include "model/hashtab.h"
#include "prov/protocol.h"
#include "admit/sshkey.h"
#include "validate.h"

/* Inactive users stay resolvable (file ownership) but cannot log in. */
#define ADMIT_NOLOGIN_SHELL "/usr/sbin/nologin"
/* Central ids, binding names, host globs and labels. */
#define ADMIT_TOKEN_MAX 255u

/* Per-entry verdicts of one kind: why[i] is NULL while entry i is fine. */
struct verdicts {
	char **why;
	enum dir_outcome *how; /* DIR_REFUSED or DIR_CONFLICT, for why[i] */
	size_t n;
};

/* Collisions (admit_collide.c). */
enum dup_key { DUP_NAME, DUP_ID, DUP_NUM, DUP_HOME };

#define DUP_NONE UINT32_MAX

struct dup_ctx {
	const struct directory *d;
	enum dir_entry_kind kind;
	const struct prior *pr;
	struct verdicts *v;
};

int admit_refuse(struct verdicts *v, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int admit_conflict(struct verdicts *v, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *admit_entry_name(const struct directory *d, enum dir_entry_kind kind, size_t i);
int admit_check_user(struct dir_user *u, struct verdicts *v, size_t i, const struct admit_policy *p);
int admit_check_group(const struct directory *d, struct verdicts *v, size_t i, const struct admit_policy *p,
		       const struct nametab *served_fold, const struct nametab *refused_fold);
int admit_check_binding(const struct dir_binding *b, struct verdicts *v, size_t i);
int admit_resolve(struct dup_ctx *c, enum dup_key k, const uint32_t *leader);
int admit_str_leaders(const char *const *keys, size_t n, bool fold, uint32_t *leader);
int admit_entry_duplicates(const struct directory *d, enum dir_entry_kind kind, const struct prior *pr,
			    struct verdicts *v);
int admit_user_corrections(struct directory *d, const struct admit_policy *p);
int admit_group_members(struct directory *d, const struct nametab *served_users);
int admit_name_table(struct nametab *t, const char *const *names, size_t n, bool fold);
int admit_user_table(const struct directory *d, struct nametab *t, bool fold);
int admit_group_table(const struct directory *d, struct nametab *t);
int admit_binding_subjects(struct directory *d, struct verdicts *v, const struct nametab *users,
			    const struct nametab *groups);

#endif

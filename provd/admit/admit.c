/* SPDX-License-Identifier: MIT */
/*
 * Admission: the local safety rules (DESIGN invariants 1 and 2) that stand
 * between what a directory says and what this host serves.
 *
 * Each kind of entry (users, then groups, then bindings, since each refers
 * to the one before) goes through the same four steps:
 *   1. per-entry rules (name, ids, text fields, local accounts);
 *   2. cross-entry rules (outcome conflict): when a new or changed entry
 *      collides with one served before (prior.h) on its name (ignoring
 *      case), id, uid/gid or home, the established one keeps being served
 *      and only the newcomer is refused: a writer of one entry (or of a
 *      self-service field) cannot take somebody else's account down. When
 *      none of them was served before, all are refused, never "first one
 *      wins", so the result does not depend on the order of the source.
 *      A uid/gid still held by an identity that went (retention,
 *      id_quarantine) is refused to any other identity;
 *   3. every refused entry is recorded with its first reason and removed;
 *   4. corrections on what is left (default shell, dropped members), each
 *      recorded as a note.
 * Duplicates are looked for among all entries that reached admission, the
 * ones refused in step 1 included: two entries named "alice" mean the source
 * is confused about alice, whichever of the two is broken.
 *
 * Decisions worth knowing:
 *  - Names are compared to local users and groups, and to each other,
 *    ignoring ASCII case. glibc matches exactly, but "Root" next to "root"
 *    or "Alice" next to "alice" only serves to confuse a person reading
 *    ls -l or a log; refusing costs nothing legitimate.
 *  - A prov user may not take the name of a local group (e.g. "sudo",
 *    "docker") nor a prov group the name of a local user: a
 *    "chown docker:docker" must mean what the admin thinks.
 *  - A prov group named like a served user must be that user's private
 *    group (same name, gid = the user's primary gid); a group named like a
 *    refused user is refused with it.
 *  - Group members and binding subjects are kept only when they are served
 *    prov users or groups: the directory cannot add a local account to a
 *    prov group (and so give it a prov grant).
 *  - An explicit shell not in /etc/shells is replaced by default_shell with
 *    a note (as SSSD's fallback shell does), except that a shell meant to
 *    refuse logins (.../nologin, .../false, .../true) becomes
 *    /usr/sbin/nologin: a fallback must never grant a shell. A shell that is
 *    not even a clean absolute path is hostile and refuses the user.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

static int verdicts_init(struct verdicts *v, size_t n)
{
	v->n = n;
	v->why = calloc(n ? n : 1, sizeof(*v->why));
	v->how = calloc(n ? n : 1, sizeof(*v->how));
	return v->why && v->how ? 0 : -ENOMEM;
}

static void verdicts_free(struct verdicts *v)
{
	free(v->how);
	v->how = NULL;
	if (!v->why)
		return;
	for (size_t i = 0; i < v->n; i++)
		free(v->why[i]);
	free(v->why);
	v->why = NULL;
}

/* printf-style (clang's -Wformat-nonliteral in the fuzz build wants it said) */
static int __attribute__((format(printf, 4, 0)))
verdict(struct verdicts *v, size_t i, enum dir_outcome how, const char *fmt, va_list ap)
{
	char buf[PROV_REASON_MAX];

	if (v->why[i])
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	v->why[i] = strdup(buf);
	v->how[i] = how;
	return v->why[i] ? 0 : -ENOMEM;
}

/* Records why entry i is refused, unless it already has a reason. */
static int refuse(struct verdicts *v, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(struct verdicts *v, size_t i, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = verdict(v, i, DIR_REFUSED, fmt, ap);
	va_end(ap);
	return r;
}

/* The same for a collision with another entry (outcome conflict). */
static int conflict(struct verdicts *v, size_t i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int conflict(struct verdicts *v, size_t i, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = verdict(v, i, DIR_CONFLICT, fmt, ap);
	va_end(ap);
	return r;
}

static const char *entry_name(const struct directory *d, enum dir_entry_kind kind, size_t i)
{
	const char *name = NULL;

	if (kind == DIR_KIND_USER)
		name = d->users[i].name;
	else if (kind == DIR_KIND_GROUP)
		name = d->groups[i].name;
	else
		name = d->bindings[i].name;
	return name ? name : "(no name)";
}

/* Step 3: record each refusal and remove the refused entries. */
static int settle(struct directory *d, enum dir_entry_kind kind, struct verdicts *v)
{
	bool *keep = calloc(v->n ? v->n : 1, sizeof(*keep));
	int r = 0;

	if (!keep)
		return -ENOMEM;
	for (size_t i = 0; i < v->n; i++) {
		keep[i] = !v->why[i];
		if (v->why[i] && r == 0 && v->how[i] == DIR_CONFLICT)
			r = directory_add_conflict(d, kind, entry_name(d, kind, i), v->why[i]);
		else if (v->why[i] && r == 0)
			r = directory_add_refusal(d, kind, entry_name(d, kind, i), v->why[i]);
	}
	if (r == 0) {
		if (kind == DIR_KIND_USER)
			directory_filter_users(d, keep);
		else if (kind == DIR_KIND_GROUP)
			directory_filter_groups(d, keep);
		else
			directory_filter_bindings(d, keep);
	}
	free(keep);
	return r;
}

/* 1..max bytes of printable ASCII, no space: central ids (UUIDs, URNs, IdP
 * keys), binding names, host globs and labels. */
static const char *check_token(const char *s, size_t max)
{
	size_t len;

	if (!s)
		return "is missing";
	len = strlen(s);
	if (len == 0)
		return "is empty";
	if (len > max)
		return "is too long";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return "contains a space, a control character or a non-ASCII byte";
	return NULL;
}

/*
 * Ids that are never served (DESIGN invariant 1): root, the overflow and
 * "nobody" ids, (uint16_t)-1 and (uid_t)-1 (which mean "no change" to
 * chown and setreuid), anything outside [min_id, max_id].
 */
static int check_id(struct verdicts *v, size_t i, const char *what, uint32_t id, bool local,
		    const struct admit_policy *p)
{
	if (id == 0)
		return refuse(v, i, "%s 0 is reserved (root)", what);
	if (id == 65534)
		return refuse(v, i, "%s 65534 is reserved (nobody)", what);
	if (id == 65535)
		return refuse(v, i, "%s 65535 is reserved ((uint16_t)-1)", what);
	if (id == UINT32_MAX)
		return refuse(v, i, "%s 4294967295 is reserved ((%s_t)-1)", what, what);
	if (id < p->min_id)
		return refuse(v, i, "%s %u is below min_id %u", what, id, p->min_id);
	if (id > p->max_id)
		return refuse(v, i, "%s %u is above max_id %u", what, id, p->max_id);
	if (local)
		return refuse(v, i, "%s %u exists in the local %s file", what, id,
			      strcmp(what, "uid") == 0 ? "passwd" : "group");
	return 0;
}

/* The sudo group is provd's own (admit.h): nobody may take its name or gid. */
static int check_reserved(struct verdicts *v, size_t i, const char *name, const uint32_t *gid,
			  const struct admit_policy *p)
{
	if (p->reserved_group && name && strcasecmp(name, p->reserved_group) == 0)
		return refuse(v, i, "name is reserved for the sudo group");
	if (p->reserved_gid && gid && *gid == p->reserved_gid)
		return refuse(v, i, "gid %u is reserved for the sudo group", *gid);
	return 0;
}

/* A name must not be a local user's or group's, in any case. */
static int check_local_name(struct verdicts *v, size_t i, const char *name, const struct localdb *local)
{
	if (localdb_has_user(local, name))
		return refuse(v, i, "name is a local account's");
	if (localdb_has_group(local, name))
		return refuse(v, i, "name is a local group's");
	if (localdb_has_user_nocase(local, name))
		return refuse(v, i, "name is a local account's (compared ignoring case)");
	if (localdb_has_group_nocase(local, name))
		return refuse(v, i, "name is a local group's (compared ignoring case)");
	return 0;
}

static int user_home(struct dir_user *u, struct verdicts *v, size_t i, const struct admit_policy *p)
{
	const char *why;

	if (!u->home) {
		char buf[PROV_PATH_MAX + 2];
		int n = snprintf(buf, sizeof(buf), "%s/%s", p->home_base, u->name);

		if (n < 0 || (size_t)n >= sizeof(buf))
			return refuse(v, i, "default home would be longer than %u bytes", PROV_PATH_MAX);
		u->home = strdup(buf);
		if (!u->home)
			return -ENOMEM;
	}
	why = validate_home(u->home, p->home_base);
	if (why)
		return refuse(v, i, "home %s", why);
	if (localdb_has_home(p->local, u->home))
		return refuse(v, i, "home is a local account's home");
	return 0;
}

/* Step 1 for users and groups alike: the name, then the central id. */
static int check_name_and_id(struct verdicts *v, size_t i, const char *name, const char *id,
			     const struct admit_policy *p)
{
	const char *why;
	int r;

	why = validate_name(name);
	if (why)
		return refuse(v, i, "name %s", why);
	r = check_local_name(v, i, name, p->local);
	if (r < 0 || v->why[i])
		return r;
	why = check_token(id, ADMIT_TOKEN_MAX);
	if (why)
		return refuse(v, i, "id %s", why);
	return 0;
}

/* Step 1 for a user's primary gid or a group's gid. */
static int check_gid(struct verdicts *v, size_t i, const char *name, uint32_t gid, const struct admit_policy *p)
{
	int r = check_id(v, i, "gid", gid, localdb_has_gid(p->local, gid), p);

	if (r < 0 || v->why[i])
		return r;
	return check_reserved(v, i, name, &gid, p);
}

/* Step 1 for one user. Stops at the first problem (later checks may rely on
 * a valid name). */
static int check_user(struct dir_user *u, struct verdicts *v, size_t i, const struct admit_policy *p)
{
	const char *why;
	int r;

	r = check_name_and_id(v, i, u->name, u->id, p);
	if (r < 0 || v->why[i])
		return r;
	r = check_id(v, i, "uid", u->uid, localdb_has_uid(p->local, u->uid), p);
	if (r < 0 || v->why[i])
		return r;
	r = check_gid(v, i, u->name, u->gid, p);
	if (r < 0 || v->why[i])
		return r;
	if (u->gecos) {
		why = validate_gecos(u->gecos);
		if (why)
			return refuse(v, i, "gecos %s", why);
	}
	if (u->shell) {
		why = validate_path(u->shell);
		if (why)
			return refuse(v, i, "shell %s", why);
	}
	return user_home(u, v, i, p);
}

/* ---- Step 2: collisions (admit.h), decided with what was served before ---- */

enum dup_key { DUP_NAME, DUP_ID, DUP_NUM, DUP_HOME };

#define DUP_NONE UINT32_MAX

struct dup_ctx {
	const struct directory *d;
	enum dir_entry_kind kind;
	const struct prior *pr;
	struct verdicts *v;
};

static const char *dup_id(const struct dup_ctx *c, size_t i)
{
	return c->kind == DIR_KIND_USER ? c->d->users[i].id : c->d->groups[i].id;
}

static const char *dup_name(const struct dup_ctx *c, size_t i)
{
	return entry_name(c->d, c->kind, i);
}

static uint32_t dup_num(const struct dup_ctx *c, size_t i)
{
	return c->kind == DIR_KIND_USER ? c->d->users[i].uid : c->d->groups[i].gid;
}

static const char *kind_word(enum dir_entry_kind kind)
{
	return kind == DIR_KIND_USER ? "user" : kind == DIR_KIND_GROUP ? "group" : "binding";
}

/* Was entry i served before (same stable id) with this same key value? */
static bool established(const struct dup_ctx *c, size_t i, enum dup_key k)
{
	const struct prior_entry *e;
	const char *name;

	if (c->kind == DIR_KIND_BINDING)
		return false; /* bindings have no stable id: all twins refused */
	e = prior_live(c->pr, c->kind, dup_id(c, i));
	name = c->kind == DIR_KIND_USER ? c->d->users[i].name : c->d->groups[i].name;
	if (!e || !e->name || !name)
		return false;
	switch (k) {
	case DUP_NAME:
		return strcasecmp(e->name, name) == 0;
	case DUP_ID:
		return strcmp(e->name, name) == 0; /* the same id: the one that kept its name */
	case DUP_NUM:
		return e->num == dup_num(c, i);
	case DUP_HOME:
		return e->home && c->d->users[i].home && strcmp(e->home, c->d->users[i].home) == 0;
	}
	return false;
}

/* "name", "id", "uid 20160", "home /home/bob": what two entries share. */
static void dup_what(const struct dup_ctx *c, size_t i, enum dup_key k, char *buf, size_t bufsz)
{
	if (k == DUP_NAME)
		snprintf(buf, bufsz, "name");
	else if (k == DUP_ID)
		snprintf(buf, bufsz, "id");
	else if (k == DUP_NUM)
		snprintf(buf, bufsz, "%s %u", c->kind == DIR_KIND_USER ? "uid" : "gid", dup_num(c, i));
	else
		snprintf(buf, bufsz, "home");
}

/*
 * leader[i]: the first entry with entry i's key value (i itself for the
 * first), DUP_NONE for no key. In every set of two or more, the
 * established member (at most one: what was served had no collisions)
 * keeps being served and the others are refused naming it; without one,
 * all are refused.
 */
static int resolve(struct dup_ctx *c, enum dup_key k, const uint32_t *leader)
{
	size_t n = c->v->n;
	uint32_t *est = malloc((n ? n : 1) * sizeof(*est)), *second = malloc((n ? n : 1) * sizeof(*second));
	uint32_t *count = calloc(n ? n : 1, sizeof(*count));
	const char *fold = k == DUP_NAME && c->kind != DIR_KIND_BINDING ? " (compared ignoring case)" : "";
	char what[PROV_PATH_MAX + 16];
	int r = 0;

	if (!est || !second || !count) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		est[i] = second[i] = DUP_NONE;
	for (size_t i = 0; i < n; i++) {
		uint32_t l = leader[i];

		if (l == DUP_NONE)
			continue;
		count[l]++;
		if (l != i && second[l] == DUP_NONE)
			second[l] = (uint32_t)i;
		if (est[l] == DUP_NONE && established(c, i, k))
			est[l] = (uint32_t)i;
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		uint32_t l = leader[i];

		if (l == DUP_NONE || count[l] < 2 || est[l] == i)
			continue;
		dup_what(c, i, k, what, sizeof(what));
		if (est[l] != DUP_NONE)
			r = conflict(c->v, i, "%s is also another entry's%s: %s %s's, served before, who keeps it", what,
				     fold, kind_word(c->kind), dup_name(c, est[l]));
		else
			r = conflict(c->v, i, "%s is also another entry's%s: %s %s's; neither was served before", what,
				     fold, kind_word(c->kind), dup_name(c, l == i ? second[l] : l));
	}
out:
	free(est);
	free(second);
	free(count);
	return r;
}

/* leader[] for string keys (keys[i] NULL = no key). */
static int str_leaders(const char *const *keys, size_t n, bool fold, uint32_t *leader)
{
	struct nametab t;
	int r = nametab_init(&t, n, fold);

	for (size_t i = 0; r == 0 && i < n; i++) {
		uint32_t first;

		leader[i] = DUP_NONE;
		if (!keys[i])
			continue;
		r = nametab_put(&t, keys[i], (uint32_t)i, &first);
		leader[i] = r == -EEXIST ? first : (uint32_t)i;
		if (r == -EEXIST)
			r = 0;
	}
	nametab_free(&t);
	return r;
}

static int num_leaders(const uint32_t *ids, size_t n, uint32_t *leader)
{
	struct idtab t;
	int r = idtab_init(&t, n);

	for (size_t i = 0; r == 0 && i < n; i++) {
		uint32_t first;

		r = idtab_put(&t, ids[i], (uint32_t)i, &first);
		leader[i] = r == -EEXIST ? first : (uint32_t)i;
		if (r == -EEXIST)
			r = 0;
	}
	idtab_free(&t);
	return r;
}

/* A uid/gid that another identity held (DESIGN invariant 14): the prior
 * says who; when that identity is in this directory with the same id the
 * collision rule above has decided already. cand_ids: this directory's
 * stable ids -> index. */
static int check_held(struct dup_ctx *c, size_t i, const struct nametab *cand_ids)
{
	const struct prior_entry *e = prior_by_num(c->pr, c->kind, dup_num(c, i));
	const char *what = c->kind == DIR_KIND_USER ? "uid" : "gid";
	char when[64];
	uint32_t j;

	if (!e || prior_same_identity(e, dup_id(c, i), dup_name(c, i)))
		return 0;
	if (e->id && nametab_get(cand_ids, e->id, &j) && dup_num(c, j) == e->num)
		return 0;
	if (e->gone_at > 0) {
		time_t t = (time_t)e->gone_at;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "gone since %Y-%m-%dT%H:%M:%SZ", &tm);
	} else {
		snprintf(when, sizeof(when), "gone with this pull");
	}
	return conflict(c->v, i,
			"%s %u belonged to %s %s (%s): held for that identity during retention and id_quarantine",
			what, e->num, kind_word(c->kind), e->name ? e->name : "?", when);
}

static int held_ids(struct dup_ctx *c)
{
	struct nametab ids;
	int r = nametab_init(&ids, c->v->n, false);

	for (size_t i = 0; r == 0 && i < c->v->n; i++) {
		const char *id = dup_id(c, i);

		if (id && nametab_put(&ids, id, (uint32_t)i, NULL) == -ENOMEM)
			r = -ENOMEM;
	}
	for (size_t i = 0; r == 0 && i < c->v->n; i++)
		if (!c->v->why[i])
			r = check_held(c, i, &ids);
	nametab_free(&ids);
	return r;
}

/*
 * Step 2, for users or groups: names (ignoring case), central ids and
 * uids/gids over all entries; for users also homes, over the entries still
 * in (a refused entry's home was never derived); then ids held by an
 * identity that went.
 */
static int entry_duplicates(const struct directory *d, enum dir_entry_kind kind, const struct prior *pr,
			    struct verdicts *v)
{
	struct dup_ctx c = { .d = d, .kind = kind, .pr = pr, .v = v };
	bool users = kind == DIR_KIND_USER;
	const char **keys = calloc(v->n ? v->n : 1, sizeof(*keys));
	uint32_t *ids = calloc(v->n ? v->n : 1, sizeof(*ids));
	uint32_t *leader = calloc(v->n ? v->n : 1, sizeof(*leader));
	int r = -ENOMEM;

	if (!keys || !ids || !leader)
		goto out;
	for (size_t i = 0; i < v->n; i++)
		keys[i] = users ? d->users[i].name : d->groups[i].name;
	r = str_leaders(keys, v->n, true, leader);
	if (r == 0)
		r = resolve(&c, DUP_NAME, leader);
	for (size_t i = 0; i < v->n; i++)
		keys[i] = users ? d->users[i].id : d->groups[i].id;
	if (r == 0)
		r = str_leaders(keys, v->n, false, leader);
	if (r == 0)
		r = resolve(&c, DUP_ID, leader);
	for (size_t i = 0; i < v->n; i++)
		ids[i] = users ? d->users[i].uid : d->groups[i].gid;
	if (r == 0)
		r = num_leaders(ids, v->n, leader);
	if (r == 0)
		r = resolve(&c, DUP_NUM, leader);
	if (users) {
		for (size_t i = 0; i < v->n; i++)
			keys[i] = v->why[i] ? NULL : d->users[i].home;
		if (r == 0)
			r = str_leaders(keys, v->n, false, leader);
		if (r == 0)
			r = resolve(&c, DUP_HOME, leader);
	}
	if (r == 0)
		r = held_ids(&c);
out:
	free(keys);
	free(ids);
	free(leader);
	return r;
}

/* A shell that exists to refuse a login: /usr/sbin/nologin, /bin/false,
 * /bin/true (none of them is in Debian's /etc/shells). */
static bool refuses_login(const char *shell)
{
	const char *base = strrchr(shell, '/');

	base = base ? base + 1 : shell;
	return strcmp(base, "nologin") == 0 || strcmp(base, "false") == 0 || strcmp(base, "true") == 0;
}

/*
 * A login shell must be listed in /etc/shells; otherwise serve the default
 * and say so. The fallback must never turn a shell the directory chose to
 * refuse logins (nologin, false) into a working one: those are served as
 * nologin. Inactive users get nologin whatever the directory says.
 */
static int user_shell(struct directory *d, size_t i, const struct admit_policy *p)
{
	struct dir_user *u = &d->users[i];
	const char *want = NULL;
	char note[PROV_REASON_MAX];
	int r = 0;

	if (!u->active)
		want = p->nologin_shell ? p->nologin_shell : ADMIT_NOLOGIN_SHELL;
	else if (!u->shell)
		want = p->default_shell;
	else if (p->shells && dir_strv_contains(p->shells, u->shell))
		want = NULL; /* served as given */
	else if (refuses_login(u->shell))
		want = p->nologin_shell ? p->nologin_shell : ADMIT_NOLOGIN_SHELL;
	else {
		snprintf(note, sizeof(note), "shell %s is not in /etc/shells: serving %s", u->shell,
			 p->default_shell);
		r = directory_add_note(d, DIR_KIND_USER, u->name, note);
		want = p->default_shell;
	}
	if (r < 0 || !want)
		return r;
	free(u->shell);
	u->shell = strdup(want);
	return u->shell ? 0 : -ENOMEM;
}

/* Drops key k of user u (outcome corrected, the reason named): a key
 * sshkey_check() (sshkey.c) does not accept as a plain key is dropped,
 * the user's other keys staying served. The caller frees the string. */
static int drop_key(struct directory *d, const struct dir_user *u, size_t k, const char *why)
{
	char note[PROV_REASON_MAX];

	snprintf(note, sizeof(note), "ssh_keys[%zu] %s: dropped", k, why);
	return directory_add_note(d, DIR_KIND_USER, u->name, note);
}

static int user_keys(struct directory *d, size_t i, const struct admit_policy *p)
{
	enum sshkey_options opts = p->key_options_restrict ? SSHKEY_OPTIONS_RESTRICT : SSHKEY_OPTIONS_NONE;
	struct dir_user *u = &d->users[i];
	size_t out = 0;
	int r = 0;

	for (size_t k = 0; k < u->ssh_keys.n; k++) {
		const char *why = sshkey_check(u->ssh_keys.v[k], opts);

		if (!why && out >= PROV_SSH_KEYS_MAX)
			why = "is over the limit of 64 keys";
		if (!why) {
			u->ssh_keys.v[out++] = u->ssh_keys.v[k];
			continue;
		}
		if (r == 0)
			r = drop_key(d, u, k, why);
		free(u->ssh_keys.v[k]);
	}
	u->ssh_keys.n = out;
	return r;
}

/* Step 4 for users. */
static int user_corrections(struct directory *d, const struct admit_policy *p)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < d->n_users; i++) {
		struct dir_user *u = &d->users[i];

		if (!u->gecos) {
			u->gecos = strdup("");
			if (!u->gecos)
				return -ENOMEM;
		}
		r = user_shell(d, i, p);
		if (r == 0)
			r = user_keys(d, i, p);
	}
	return r;
}

/* Users; the names of the refused ones are copied to refused_names, so
 * groups named after them can be refused too. */
static int admit_users(struct directory *d, const struct admit_policy *p, const struct prior *pr,
		       struct dir_strv *refused_names)
{
	struct verdicts v = { 0 };
	int r = verdicts_init(&v, d->n_users);

	for (size_t i = 0; r == 0 && i < d->n_users; i++)
		r = check_user(&d->users[i], &v, i, p);
	if (r == 0)
		r = entry_duplicates(d, DIR_KIND_USER, pr, &v);
	for (size_t i = 0; r == 0 && i < d->n_users; i++)
		if (v.why[i] && d->users[i].name)
			r = dir_strv_push(refused_names, d->users[i].name);
	if (r == 0)
		r = settle(d, DIR_KIND_USER, &v);
	if (r == 0)
		r = user_corrections(d, p);
	verdicts_free(&v);
	return r;
}

/* A group named like a user must be that user's private group. */
static int check_group_vs_users(const struct directory *d, struct verdicts *v, size_t i,
				const struct nametab *served_fold, const struct nametab *refused_fold)
{
	const struct dir_group *g = &d->groups[i];
	const struct dir_user *u;
	uint32_t ui;

	if (nametab_get(refused_fold, g->name, NULL))
		return refuse(v, i, "name is a refused user's");
	if (!nametab_get(served_fold, g->name, &ui))
		return 0;
	u = &d->users[ui];
	if (strcmp(u->name, g->name) != 0)
		return refuse(v, i, "name differs only in case from user %s's", u->name);
	if (u->gid != g->gid)
		return refuse(v, i, "name is user %s's, but gid %u is not the user's primary gid %u", u->name, g->gid,
			      u->gid);
	return 0;
}

static int check_group(const struct directory *d, struct verdicts *v, size_t i, const struct admit_policy *p,
		       const struct nametab *served_fold, const struct nametab *refused_fold)
{
	const struct dir_group *g = &d->groups[i];
	int r;

	r = check_name_and_id(v, i, g->name, g->id, p);
	if (r < 0 || v->why[i])
		return r;
	r = check_gid(v, i, g->name, g->gid, p);
	if (r < 0 || v->why[i])
		return r;
	/* snapshot.c rejects such a directory whole before admission; a
	 * caller that did not check gets an error, never a silent drop. */
	if (g->members.n > PROV_GROUP_MEMBERS_MAX)
		return -E2BIG;
	return check_group_vs_users(d, v, i, served_fold, refused_fold);
}

/*
 * Keeps the names of sv that are in served (once each) and frees the rest;
 * *ret_dropped counts what went, *ret_first names the first dropped (a
 * pointer into a string that has been freed is never returned: it is copied
 * into first, size firstsz).
 */
static int keep_served(struct dir_strv *sv, const struct nametab *served, size_t *ret_dropped, char *first,
		       size_t firstsz)
{
	struct nametab seen;
	size_t out = 0, dropped = 0;
	int r = nametab_init(&seen, sv->n, false);

	if (r < 0)
		return r;
	first[0] = '\0';
	for (size_t k = 0; k < sv->n; k++) {
		char *s = sv->v[k];
		int pr = -EEXIST;

		if (nametab_get(served, s, NULL)) {
			pr = nametab_put(&seen, s, 0, NULL);
			if (pr == -ENOMEM) {
				r = pr;
				sv->v[out++] = s; /* keep it owned; the caller drops d */
				continue;
			}
			if (pr == 0) {
				sv->v[out++] = s;
				continue;
			}
			free(s); /* a repeat of a served name: not worth a note */
			continue;
		}
		if (dropped++ == 0)
			snprintf(first, firstsz, "%s", s);
		free(s);
	}
	sv->n = out;
	nametab_free(&seen);
	*ret_dropped = dropped;
	return r;
}

/* Step 4 for groups: members are served users only. */
static int group_members(struct directory *d, const struct nametab *served_users)
{
	for (size_t i = 0; i < d->n_groups; i++) {
		struct dir_group *g = &d->groups[i];
		char first[PROV_NAME_MAX * 2], note[PROV_REASON_MAX];
		size_t dropped;
		int r = keep_served(&g->members, served_users, &dropped, first, sizeof(first));

		if (r == 0 && dropped > 0) {
			snprintf(note, sizeof(note), "%zu member(s) dropped: not served prov users (first: %s)",
				 dropped, first);
			r = directory_add_note(d, DIR_KIND_GROUP, g->name, note);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int name_table(struct nametab *t, const char *const *names, size_t n, bool fold)
{
	int r = nametab_init(t, n, fold);

	for (size_t i = 0; r == 0 && i < n; i++) {
		r = nametab_put(t, names[i], (uint32_t)i, NULL);
		if (r == -EEXIST)
			r = 0;
	}
	return r;
}

/* The served users' names, by exact name or folded. */
static int user_table(const struct directory *d, struct nametab *t, bool fold)
{
	const char **names = calloc(d->n_users ? d->n_users : 1, sizeof(*names));
	int r;

	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_users; i++)
		names[i] = d->users[i].name;
	r = name_table(t, names, d->n_users, fold);
	free(names);
	return r;
}

static int group_table(const struct directory *d, struct nametab *t)
{
	const char **names = calloc(d->n_groups ? d->n_groups : 1, sizeof(*names));
	int r;

	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_groups; i++)
		names[i] = d->groups[i].name;
	r = name_table(t, names, d->n_groups, false);
	free(names);
	return r;
}

static int admit_groups(struct directory *d, const struct admit_policy *p, const struct prior *pr,
			const struct dir_strv *refused_users)
{
	struct nametab served_fold, served, refused_fold;
	struct verdicts v = { 0 };
	int r;

	memset(&served_fold, 0, sizeof(served_fold));
	memset(&served, 0, sizeof(served));
	memset(&refused_fold, 0, sizeof(refused_fold));
	r = user_table(d, &served_fold, true);
	if (r == 0)
		r = name_table(&refused_fold, (const char *const *)refused_users->v, refused_users->n, true);
	if (r == 0)
		r = verdicts_init(&v, d->n_groups);
	if (r < 0)
		goto out;
	for (size_t i = 0; r == 0 && i < d->n_groups; i++)
		r = check_group(d, &v, i, p, &served_fold, &refused_fold);
	if (r == 0)
		r = entry_duplicates(d, DIR_KIND_GROUP, pr, &v);
	if (r == 0)
		r = settle(d, DIR_KIND_GROUP, &v);
	verdicts_free(&v);
	if (r == 0)
		r = user_table(d, &served, false);
	if (r == 0)
		r = group_members(d, &served);
out:
	nametab_free(&served_fold);
	nametab_free(&served);
	nametab_free(&refused_fold);
	return r;
}

/* "key=value": a non-empty key, then '='. */
static const char *check_label(const char *s)
{
	const char *why = check_token(s, ADMIT_TOKEN_MAX);
	const char *eq;

	if (why)
		return why;
	eq = strchr(s, '=');
	if (!eq || eq == s)
		return "is not key=value";
	return NULL;
}

static int check_binding(const struct dir_binding *b, struct verdicts *v, size_t i)
{
	const char *why = check_token(b->name, ADMIT_TOKEN_MAX);

	if (why)
		return refuse(v, i, "name %s", why);
	for (size_t k = 0; k < b->hosts.n; k++) {
		why = check_token(b->hosts.v[k], ADMIT_TOKEN_MAX);
		if (why)
			return refuse(v, i, "hosts[%zu] %s", k, why);
	}
	for (size_t k = 0; k < b->labels.n; k++) {
		why = check_label(b->labels.v[k]);
		if (why)
			return refuse(v, i, "labels[%zu] %s", k, why);
	}
	if (b->users.n == 0 && b->groups.n == 0)
		return refuse(v, i, "names no users and no groups");
	return 0;
}

/* Step 4 for bindings: subjects are served users and groups only. A
 * binding left with no subject is refused (an empty subject list must
 * never be read as "everyone"). */
static int binding_subjects(struct directory *d, struct verdicts *v, const struct nametab *users,
			    const struct nametab *groups)
{
	for (size_t i = 0; i < d->n_bindings; i++) {
		struct dir_binding *b = &d->bindings[i];
		char fu[PROV_NAME_MAX * 2], fg[PROV_NAME_MAX * 2], note[PROV_REASON_MAX];
		size_t du, dg;
		int r = keep_served(&b->users, users, &du, fu, sizeof(fu));

		if (r == 0)
			r = keep_served(&b->groups, groups, &dg, fg, sizeof(fg));
		if (r < 0)
			return r;
		if (du + dg == 0)
			continue;
		snprintf(note, sizeof(note), "%zu user(s) and %zu group(s) dropped: not served by prov (first: %s)", du,
			 dg, du ? fu : fg);
		if (b->users.n == 0 && b->groups.n == 0)
			r = refuse(v, i, "no served user or group left: %s", note);
		else
			r = directory_add_note(d, DIR_KIND_BINDING, b->name, note);
		if (r < 0)
			return r;
	}
	return 0;
}

static int admit_bindings(struct directory *d)
{
	struct nametab users, groups;
	struct verdicts v = { 0 };
	const char **names;
	int r;

	memset(&users, 0, sizeof(users));
	memset(&groups, 0, sizeof(groups));
	r = verdicts_init(&v, d->n_bindings);
	for (size_t i = 0; r == 0 && i < d->n_bindings; i++)
		r = check_binding(&d->bindings[i], &v, i);
	names = calloc(v.n ? v.n : 1, sizeof(*names));
	if (!names && r == 0)
		r = -ENOMEM;
	if (r == 0) {
		struct dup_ctx c = { .d = d, .kind = DIR_KIND_BINDING, .v = &v };
		uint32_t *leader = calloc(v.n ? v.n : 1, sizeof(*leader));

		for (size_t i = 0; i < v.n; i++)
			names[i] = d->bindings[i].name;
		r = leader ? str_leaders(names, v.n, false, leader) : -ENOMEM;
		if (r == 0)
			r = resolve(&c, DUP_NAME, leader);
		free(leader);
	}
	free(names);
	if (r == 0)
		r = settle(d, DIR_KIND_BINDING, &v);
	verdicts_free(&v);
	if (r < 0)
		return r;

	r = user_table(d, &users, false);
	if (r == 0)
		r = group_table(d, &groups);
	if (r == 0)
		r = verdicts_init(&v, d->n_bindings);
	if (r == 0) {
		r = binding_subjects(d, &v, &users, &groups);
		if (r == 0)
			r = settle(d, DIR_KIND_BINDING, &v);
		verdicts_free(&v);
	}
	nametab_free(&users);
	nametab_free(&groups);
	return r;
}

static bool policy_valid(const struct admit_policy *p)
{
	return p && p->local && p->home_base && !validate_path(p->home_base) && strcmp(p->home_base, "/") != 0 &&
	       p->default_shell && !validate_path(p->default_shell) && strcmp(p->default_shell, "/") != 0;
}

int admit_directory(struct directory *d, const struct admit_policy *p)
{
	struct dir_strv refused_users = { 0 };
	struct prior pr;
	int r;

	/* A home_base of "/" would make /etc a valid home. */
	if (!d || !policy_valid(p))
		return -EINVAL;
	r = prior_build(&pr, p->prev, p->known, p->n_known);
	if (r < 0)
		return r;
	r = admit_users(d, p, &pr, &refused_users);
	if (r == 0)
		r = admit_groups(d, p, &pr, &refused_users);
	if (r == 0)
		r = admit_bindings(d);
	dir_strv_free(&refused_users);
	prior_free(&pr);
	return r;
}

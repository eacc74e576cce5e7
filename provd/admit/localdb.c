/* SPDX-License-Identifier: MIT */
/*
 * The host's own accounts, straight from the colon-separated files. Only
 * what admission needs is kept: names (exact and case-folded), ids and
 * home directories, each in a hash table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errbuf.h"
#include "model/hashtab.h"
#include "admit/localdb.h"

struct localdb {
	struct dir_strv strings; /* owns every key the tables below borrow */
	struct nametab users, users_fold;
	struct nametab groups, groups_fold;
	struct nametab homes;
	struct idtab uids, gids;
};

void localdb_free(struct localdb *db)
{
	if (!db)
		return;
	nametab_free(&db->users);
	nametab_free(&db->users_fold);
	nametab_free(&db->groups);
	nametab_free(&db->groups_fold);
	nametab_free(&db->homes);
	idtab_free(&db->uids);
	idtab_free(&db->gids);
	dir_strv_free(&db->strings);
	free(db);
}

/* A decimal id: digits only, no sign, no leading white space, <= UINT32_MAX. */
static bool parse_id(const char *s, uint32_t *ret)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return false;
	*ret = (uint32_t)v;
	return true;
}

/* Splits line in place at ':' into at most max fields; returns how many. */
static size_t split_fields(char *line, char **fields, size_t max)
{
	size_t n = 0;

	while (n < max) {
		char *colon = strchr(line, ':');

		fields[n++] = line;
		if (!colon)
			break;
		*colon = '\0';
		line = colon + 1;
	}
	return n;
}

/* Keeps a copy of s and adds it to tab (a repeated key is fine). */
static int add_name(struct localdb *db, struct nametab *tab, const char *s)
{
	int r;

	if (nametab_get(tab, s, NULL))
		return 0;
	r = dir_strv_push(&db->strings, s);
	if (r < 0)
		return r;
	r = nametab_put(tab, db->strings.v[db->strings.n - 1], 0, NULL);
	return r == -EEXIST ? 0 : r;
}

static int add_id(struct idtab *tab, uint32_t id)
{
	int r = idtab_put(tab, id, 0, NULL);

	return r == -EEXIST ? 0 : r;
}

/* passwd: name:password:uid:gid:gecos:home:shell */
static int passwd_line(struct localdb *db, char *line)
{
	char *f[7];
	size_t n = split_fields(line, f, 7);
	uint32_t id;
	int r;

	r = add_name(db, &db->users, f[0]);
	if (r == 0)
		r = add_name(db, &db->users_fold, f[0]);
	if (r == 0 && n > 2 && parse_id(f[2], &id))
		r = add_id(&db->uids, id);
	if (r == 0 && n > 5 && f[5][0] != '\0')
		r = add_name(db, &db->homes, f[5]);
	return r;
}

/* group: name:password:gid:members */
static int group_line(struct localdb *db, char *line)
{
	char *f[4];
	size_t n = split_fields(line, f, 4);
	uint32_t id;
	int r;

	r = add_name(db, &db->groups, f[0]);
	if (r == 0)
		r = add_name(db, &db->groups_fold, f[0]);
	if (r == 0 && n > 2 && parse_id(f[2], &id))
		r = add_id(&db->gids, id);
	return r;
}

/*
 * true for lines that carry no account: blank, comment, no name, and the
 * NIS compat forms "+", "+@netgroup", "-name", "-@netgroup" (nothing we
 * could look up without NIS). Called after leading blanks are skipped
 * (glibc skips them too). "+name" is not skipped: see strip_compat().
 */
static bool skip_line(const char *p)
{
	return *p == '\0' || *p == '#' || *p == ':' || *p == '-' ||
	       (p[0] == '+' && (p[1] == '\0' || p[1] == ':' || p[1] == '@'));
}

/* "+alice:..." makes the NIS user alice part of this host's accounts under
 * "passwd: compat": keep the name reserved, as if alice were local. */
static char *strip_compat(char *p)
{
	return p[0] == '+' ? p + 1 : p;
}

static int read_file(struct localdb *db, const char *path, int (*one)(struct localdb *, char *), char *err,
		     size_t errsz)
{
	char *line = NULL, *p;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	int r = 0;

	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		errbuf_set(err, errsz, "cannot open %s: %s", path, strerror(-r));
		return r;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		/* A NUL inside a line would hide the rest of it from us but
		 * not necessarily from glibc: refuse such a file. */
		if (strlen(line) != (size_t)len) {
			errbuf_set(err, errsz, "%s: NUL byte in a line", path);
			r = -EBADMSG;
			break;
		}
		p = line + strspn(line, " \t");
		if (skip_line(p))
			continue;
		r = one(db, strip_compat(p));
		if (r < 0) {
			errbuf_set(err, errsz, "out of memory reading %s", path);
			break;
		}
	}
	if (r == 0 && ferror(f)) {
		r = -EIO;
		errbuf_set(err, errsz, "cannot read %s", path);
	}
	free(line);
	fclose(f);
	return r;
}

int localdb_load(const char *passwd_path, const char *group_path, struct localdb **ret, char *err, size_t errsz)
{
	struct localdb *db = calloc(1, sizeof(*db));
	int r;

	if (!db)
		return -ENOMEM;
	nametab_init(&db->users, 0, false);
	nametab_init(&db->users_fold, 0, true);
	nametab_init(&db->groups, 0, false);
	nametab_init(&db->groups_fold, 0, true);
	nametab_init(&db->homes, 0, false);
	idtab_init(&db->uids, 0);
	idtab_init(&db->gids, 0);
	r = read_file(db, passwd_path, passwd_line, err, errsz);
	if (r == 0)
		r = read_file(db, group_path, group_line, err, errsz);
	if (r < 0) {
		localdb_free(db);
		return r;
	}
	*ret = db;
	return 0;
}

bool localdb_has_user(const struct localdb *db, const char *name)
{
	return nametab_get(&db->users, name, NULL);
}

bool localdb_has_uid(const struct localdb *db, uint32_t uid)
{
	return idtab_get(&db->uids, uid, NULL);
}

bool localdb_has_group(const struct localdb *db, const char *name)
{
	return nametab_get(&db->groups, name, NULL);
}

bool localdb_has_gid(const struct localdb *db, uint32_t gid)
{
	return idtab_get(&db->gids, gid, NULL);
}

bool localdb_has_user_nocase(const struct localdb *db, const char *name)
{
	return nametab_get(&db->users_fold, name, NULL);
}

bool localdb_has_group_nocase(const struct localdb *db, const char *name)
{
	return nametab_get(&db->groups_fold, name, NULL);
}

bool localdb_has_home(const struct localdb *db, const char *path)
{
	return nametab_get(&db->homes, path, NULL);
}

int shells_load(const char *path, struct dir_strv *ret)
{
	struct dir_strv sv = { 0 };
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int r = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) >= 0) {
		char *p = line + strspn(line, " \t"), *end;

		end = p + strcspn(p, "#\r\n");
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
		if (p[0] != '/')
			continue;
		r = dir_strv_push(&sv, p);
		if (r < 0)
			break;
	}
	if (r == 0 && ferror(f))
		r = -EIO;
	free(line);
	fclose(f);
	if (r < 0) {
		dir_strv_free(&sv);
		return r;
	}
	*ret = sv;
	return 0;
}

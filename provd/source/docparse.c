/* SPDX-License-Identifier: MIT */
/*
 * prov's JSON directory document, format v1, into a raw snapshot.
 *
 * Two kinds of error, kept apart on purpose:
 *  - the document as a whole is unusable (not JSON, truncated, trailing
 *    bytes, too deep, too big, a NUL byte, not an object, wrong version,
 *    a top-level field of the wrong type): -EBADMSG, nothing is returned,
 *    so the caller keeps the snapshot it has (DESIGN invariant 4);
 *  - one entry has the wrong shape (a uid given as "1000" or 1000.5, a
 *    missing name, members that are not strings): that entry becomes a
 *    refusal and the rest of the document is still read.
 * Content rules (which names, which uids) are admit.c's, not this file's.
 *
 * json-c notes: integers are checked with json_object_is_type(json_type_int)
 * because json_object_get_int64() happily converts doubles, booleans and
 * strings; a number too large for 64 bits saturates in json-c, so an id is
 * range-checked and the serial's saturated value UINT64_MAX is refused. Of
 * duplicate keys in one object json-c keeps the last.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "source/docparse.h"
#include "source/docscan.h"
#include "base/errbuf.h"
#include "source/docparse_impl.h"

/* "line L, column C" (both from 1) of byte offset off. */
static void where(const char *buf, size_t len, size_t off, char *out, size_t outsz)
{
	size_t line = 1, col = 1;

	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(out, outsz, "line %zu, column %zu", line, col);
}

static bool is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

const char *doc_type_name(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a fraction";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "unknown";
}

/* The name to file a refusal under: the entry's name when it has a usable
 * one, else its position ("#3"). */
static void entry_label(struct json_object *o, size_t idx, char *out, size_t outsz)
{
	struct json_object *v = o ? doc_field_get(o, "name") : NULL;

	if (v && json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0 &&
	    strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v))
		snprintf(out, outsz, "%s", json_object_get_string(v));
	else
		snprintf(out, outsz, "#%zu", idx);
}

/* Accumulates the outcome of several field reads: the first problem wins. */
struct entry_state {
	enum field bad; /* F_OK, F_BAD or F_NOMEM */
	char why[WHY_MAX];
};

static void first_problem(struct entry_state *st, enum field f, const char *why)
{
	if (st->bad != F_OK || (f != F_BAD && f != F_NOMEM))
		return;
	st->bad = f;
	if (f == F_BAD)
		snprintf(st->why, sizeof(st->why), "%s", why);
}

/* Like first_problem(), for a field the entry cannot do without. */
static void required_problem(struct entry_state *st, enum field f, const char *key, const char *why)
{
	char missing[WHY_MAX];

	if (f != F_ABSENT) {
		first_problem(st, f, why);
		return;
	}
	snprintf(missing, sizeof(missing), "\"%s\" is missing", key);
	first_problem(st, F_BAD, missing);
}

static enum field user_fields(struct json_object *o, struct dir_user *u, struct entry_state *st)
{
	char why[WHY_MAX] = "";
	enum field f;
	uint32_t gid;

	f = doc_get_str(o, "name", &u->name, why);
	required_problem(st, f, "name", why);
	f = doc_get_u32(o, "uid", &u->uid, why);
	required_problem(st, f, "uid", why);
	f = doc_get_u32(o, "gid", &gid, why);
	first_problem(st, f, why);
	u->gid = f == F_OK ? gid : u->uid;
	first_problem(st, doc_get_str(o, "id", &u->id, why), why);
	first_problem(st, doc_get_str(o, "gecos", &u->gecos, why), why);
	first_problem(st, doc_get_str(o, "home", &u->home, why), why);
	first_problem(st, doc_get_str(o, "shell", &u->shell, why), why);
	u->active = true;
	first_problem(st, doc_get_bool(o, "active", &u->active, why), why);
	first_problem(st, doc_get_strv(o, "ssh_keys", &u->ssh_keys, why), why);
	if (st->bad == F_OK && !u->id) {
		u->id = strdup(u->name);
		if (!u->id)
			st->bad = F_NOMEM;
	}
	return st->bad;
}

static enum field group_fields(struct json_object *o, struct dir_group *g, struct entry_state *st)
{
	char why[WHY_MAX] = "";
	enum field f;

	f = doc_get_str(o, "name", &g->name, why);
	required_problem(st, f, "name", why);
	f = doc_get_u32(o, "gid", &g->gid, why);
	required_problem(st, f, "gid", why);
	first_problem(st, doc_get_str(o, "id", &g->id, why), why);
	first_problem(st, doc_get_strv(o, "members", &g->members, why), why);
	if (st->bad == F_OK && !g->id) {
		g->id = strdup(g->name);
		if (!g->id)
			st->bad = F_NOMEM;
	}
	return st->bad;
}

static enum field grants_field(struct json_object *o, unsigned *ret, struct entry_state *st)
{
	struct dir_strv sv = { 0 };
	char why[WHY_MAX] = "";
	enum field f = doc_get_strv(o, "grants", &sv, why);

	if (f != F_OK) {
		required_problem(st, f, "grants", why);
	} else {
		for (size_t i = 0; i < sv.n; i++) {
			if (strcmp(sv.v[i], "login") == 0) {
				*ret |= DIR_GRANT_LOGIN;
			} else if (strcmp(sv.v[i], "sudo") == 0) {
				*ret |= DIR_GRANT_SUDO;
			} else {
				snprintf(why, sizeof(why), "unknown grant \"%.40s\" (known: login, sudo)", sv.v[i]);
				first_problem(st, F_BAD, why);
				break;
			}
		}
	}
	dir_strv_free(&sv);
	return st->bad;
}

static enum field binding_fields(struct json_object *o, struct dir_binding *b, struct entry_state *st)
{
	char why[WHY_MAX] = "";
	enum field f;

	f = doc_get_str(o, "name", &b->name, why);
	required_problem(st, f, "name", why);
	first_problem(st, doc_get_strv(o, "users", &b->users, why), why);
	first_problem(st, doc_get_strv(o, "groups", &b->groups, why), why);
	first_problem(st, doc_get_strv(o, "hosts", &b->hosts, why), why);
	first_problem(st, doc_get_strv(o, "labels", &b->labels, why), why);
	grants_field(o, &b->grants, st);
	first_problem(st, doc_get_time(o, "not_after", &b->not_after, why), why);
	return st->bad;
}

static const char *const kind_key[] = {
	[DIR_KIND_USER] = "users",
	[DIR_KIND_GROUP] = "groups",
	[DIR_KIND_BINDING] = "bindings",
};

/* One entry: added to d, or refused and removed again. 0 or -ENOMEM. */
static int parse_entry(struct directory *d, enum dir_entry_kind kind, struct json_object *o, size_t idx)
{
	struct entry_state st = { .bad = F_OK };
	char label[64];
	enum field f;

	entry_label(o, idx, label, sizeof(label));
	if (!o || !json_object_is_type(o, json_type_object)) {
		char why[WHY_MAX];

		snprintf(why, sizeof(why), "%s[%zu] must be an object, not %s", kind_key[kind], idx,
			 o ? doc_type_name(o) : "null");
		return directory_add_refusal(d, kind, label, why);
	}
	switch (kind) {
	case DIR_KIND_USER: {
		struct dir_user *u = directory_add_user(d);

		if (!u)
			return -ENOMEM;
		f = user_fields(o, u, &st);
		if (f != F_OK)
			directory_remove_user(d, d->n_users - 1);
		break;
	}
	case DIR_KIND_GROUP: {
		struct dir_group *g = directory_add_group(d);

		if (!g)
			return -ENOMEM;
		f = group_fields(o, g, &st);
		if (f != F_OK)
			directory_remove_group(d, d->n_groups - 1);
		break;
	}
	case DIR_KIND_BINDING: {
		struct dir_binding *b = directory_add_binding(d);

		if (!b)
			return -ENOMEM;
		f = binding_fields(o, b, &st);
		if (f != F_OK)
			directory_remove_binding(d, d->n_bindings - 1);
		break;
	}
	default:
		return -EINVAL;
	}
	if (f == F_NOMEM)
		return -ENOMEM;
	if (f == F_BAD)
		return directory_add_refusal(d, kind, label, st.why);
	return 0;
}

static int parse_section(struct directory *d, struct json_object *root, enum dir_entry_kind kind, char *err,
			 size_t errsz)
{
	struct json_object *arr = doc_field_get(root, kind_key[kind]);
	size_t n;

	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array)) {
		errbuf_set(err, errsz, "\"%s\" must be an array, not %s", kind_key[kind], doc_type_name(arr));
		return -EBADMSG;
	}
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		int r = parse_entry(d, kind, json_object_array_get_idx(arr, i), i);

		if (r < 0) {
			errbuf_set(err, errsz, "out of memory reading \"%s\"", kind_key[kind]);
			return r;
		}
	}
	return 0;
}

/* The document's own fields: version, serial and times. */
static int parse_header(struct directory *d, struct json_object *root, char *err, size_t errsz)
{
	char why[WHY_MAX] = "";
	uint64_t version;
	enum field f;

	f = doc_get_u64(root, "prov_directory", UINT64_MAX, &version, why);
	if (f == F_ABSENT) {
		errbuf_set(err, errsz, "not a prov directory document: \"prov_directory\" is missing");
		return -EBADMSG;
	}
	if (f != F_OK) {
		errbuf_set(err, errsz, "%s", why);
		return -EBADMSG;
	}
	if (version != DOC_FORMAT_VERSION) {
		errbuf_set(err, errsz, "unsupported format version %" PRIu64 " (this provd reads version %d)", version,
			DOC_FORMAT_VERSION);
		return -EBADMSG;
	}
	/* UINT64_MAX is where json-c saturates a bigger number: refuse it
	 * rather than silently accept a serial no later document can beat. */
	f = doc_get_u64(root, "serial", UINT64_MAX - 1, &d->serial, why);
	if (f == F_ABSENT) {
		errbuf_set(err, errsz, "\"serial\" is missing");
		return -EBADMSG;
	}
	if (f == F_OK)
		f = doc_get_time(root, "generated", &d->generated, why);
	if (f == F_OK || f == F_ABSENT)
		f = doc_get_time(root, "not_after", &d->not_after, why);
	/* Which fleet a signed document is for (docsig.h). */
	if (f == F_OK || f == F_ABSENT)
		f = doc_get_str(root, "audience", &d->audience, why);
	if (f == F_BAD) {
		errbuf_set(err, errsz, "%s", why);
		return -EBADMSG;
	}
	return f == F_NOMEM ? -ENOMEM : 0;
}

/*
 * For a clearer message only: json-c's strict mode reports bytes after a
 * complete document as a bare "unexpected character". If a lenient parse
 * finds a whole value followed by something other than white space, say
 * "trailing data" instead. true when it did (err is set).
 */
static bool trailing_data(const char *buf, size_t len, char *err, size_t errsz)
{
	struct json_tokener *tok = json_tokener_new_ex(DOC_MAX_DEPTH);
	struct json_object *o;
	size_t i = len;
	char at[64];

	if (!tok)
		return false;
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (o)
		for (i = json_tokener_get_parse_end(tok); i < len && is_json_space(buf[i]); i++)
			;
	json_object_put(o);
	json_tokener_free(tok);
	if (i >= len)
		return false;
	where(buf, len, i, at, sizeof(at));
	errbuf_set(err, errsz, "%s: trailing data after the document", at);
	return true;
}

/* JSON text into a json-c object, or a one-line reason. */
static int parse_json(const char *buf, size_t len, struct json_object **ret, char *err, size_t errsz)
{
	struct json_tokener *tok;
	struct json_object *root;
	const char *nul;
	char at[64];
	size_t i, end;

	if (len == 0) {
		errbuf_set(err, errsz, "empty document");
		return -EBADMSG;
	}
	if (len > DOC_MAX_BYTES) {
		errbuf_set(err, errsz, "document is %zu bytes, over the limit of %u", len, DOC_MAX_BYTES);
		return -EBADMSG;
	}
	nul = memchr(buf, '\0', len);
	if (nul) {
		where(buf, len, (size_t)(nul - buf), at, sizeof(at));
		errbuf_set(err, errsz, "%s: NUL byte in the document", at);
		return -EBADMSG;
	}
	for (i = 0; i < len && is_json_space(buf[i]); i++)
		;
	if (i == len) {
		errbuf_set(err, errsz, "empty document (only white space)");
		return -EBADMSG;
	}
	if (buf[i] != '{') {
		where(buf, len, i, at, sizeof(at));
		errbuf_set(err, errsz, "%s: the document is not a JSON object", at);
		return -EBADMSG;
	}

	tok = json_tokener_new_ex(DOC_MAX_DEPTH);
	if (!tok) {
		errbuf_set(err, errsz, "out of memory");
		return -ENOMEM;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (!root) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		json_tokener_free(tok);
		if (trailing_data(buf, len, err, errsz))
			return -EBADMSG;
		where(buf, len, end, at, sizeof(at));
		if (e == json_tokener_continue)
			errbuf_set(err, errsz, "%s: truncated document (unexpected end of input)", at);
		else if (e == json_tokener_error_depth)
			errbuf_set(err, errsz, "%s: nested deeper than %d levels", at, DOC_MAX_DEPTH);
		else
			errbuf_set(err, errsz, "%s: invalid JSON: %s", at, json_tokener_error_desc(e));
		return -EBADMSG;
	}
	json_tokener_free(tok);
	/* Strict mode refuses trailing bytes itself; checked again here so
	 * that no json-c version or flag change lets them through. */
	for (i = end; i < len && is_json_space(buf[i]); i++)
		;
	if (i < len) {
		where(buf, len, i, at, sizeof(at));
		errbuf_set(err, errsz, "%s: trailing data after the document", at);
		json_object_put(root);
		return -EBADMSG;
	}
	*ret = root;
	return 0;
}

/* One piece of the document, strictly, all of it: NULL with *ok false when
 * it is not exactly one JSON value (JSON null is NULL with *ok true). */
static struct json_object *parse_piece(struct json_tokener *tok, const char *p, size_t n, bool *ok)
{
	struct json_object *o;

	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, p, (int)n);
	*ok = json_tokener_get_error(tok) == json_tokener_success && json_tokener_get_parse_end(tok) == n;
	if (!*ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/*
 * The lean way (docscan.h): the skeleton as one tree, then each entry as
 * its own small tree, freed before the next; peak memory is the model plus
 * one entry, not a tree of the whole document. -EAGAIN when anything is
 * off: the caller parses the plain way, whose messages say what.
 */
int docparse_pieces(const char *buf, size_t len, struct directory **ret)
{
	struct json_tokener *tok = NULL, *etok = NULL;
	struct json_object *root = NULL;
	struct directory *d = NULL;
	struct docscan sc;
	bool ok;
	int r;

	if (len == 0 || len > DOC_MAX_BYTES || memchr(buf, '\0', len))
		return -EAGAIN;
	r = docscan(buf, len, kind_key, &sc);
	if (r < 0)
		return r == -ENOMEM ? r : -EAGAIN;
	r = -ENOMEM;
	tok = json_tokener_new_ex(DOC_MAX_DEPTH);
	/* An entry sits two levels down (the root object, its array). */
	etok = json_tokener_new_ex(DOC_MAX_DEPTH - 2);
	d = directory_new();
	if (!tok || !etok || !d)
		goto out;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_tokener_set_flags(etok, JSON_TOKENER_STRICT);
	r = -EAGAIN;
	root = parse_piece(tok, sc.skeleton, sc.skeleton_len, &ok);
	if (!root || !json_object_is_type(root, json_type_object) || parse_header(d, root, NULL, 0) < 0)
		goto out;
	for (int k = DIR_KIND_USER; k <= DIR_KIND_BINDING; k++) {
		const struct docscan_array *a = &sc.arrays[k];

		if (!a->present) {
			if (parse_section(d, root, (enum dir_entry_kind)k, NULL, 0) < 0)
				goto out; /* not an array, or ENOMEM: the plain way tells */
			continue;
		}
		for (size_t i = 0; i < a->n; i++) {
			struct json_object *o = parse_piece(etok, buf + a->start[i], a->end[i] - a->start[i], &ok);
			int e;

			if (!ok)
				goto out;
			e = parse_entry(d, (enum dir_entry_kind)k, o, i);
			json_object_put(o);
			if (e < 0) {
				r = e;
				goto out;
			}
		}
	}
	*ret = d;
	d = NULL;
	r = 0;
out:
	json_object_put(root);
	if (tok)
		json_tokener_free(tok);
	if (etok)
		json_tokener_free(etok);
	directory_free(d);
	docscan_free(&sc);
	return r;
}

int docparse(const char *buf, size_t len, struct directory **ret, char *err, size_t errsz)
{
	struct json_object *root = NULL;
	struct directory *d;
	int r;

	if (!buf && len > 0)
		return -EINVAL;
	r = docparse_pieces(buf, len, ret);
	if (r == 0 || r == -ENOMEM) {
		if (r == -ENOMEM)
			errbuf_set(err, errsz, "out of memory");
		return r;
	}
	r = parse_json(buf, len, &root, err, errsz);
	if (r < 0)
		return r;
	d = directory_new();
	if (!d) {
		json_object_put(root);
		errbuf_set(err, errsz, "out of memory");
		return -ENOMEM;
	}
	r = parse_header(d, root, err, errsz);
	if (r == 0)
		r = parse_section(d, root, DIR_KIND_USER, err, errsz);
	if (r == 0)
		r = parse_section(d, root, DIR_KIND_GROUP, err, errsz);
	if (r == 0)
		r = parse_section(d, root, DIR_KIND_BINDING, err, errsz);
	json_object_put(root);
	if (r < 0) {
		directory_free(d);
		return r;
	}
	*ret = d;
	return 0;
}

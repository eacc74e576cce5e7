/* SPDX-License-Identifier: MIT */
/*
 * JSON is written by hand: the format is small and fixed, the output must
 * be byte-stable, and 100,000 users should not need a json-c tree first.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source/docparse.h"
#include "source/docwrite.h"
#include "validate.h"

/* The largest time RFC 3339's four-digit year can say. */
#define TIME_MAX_RFC3339 INT64_C(253402300799)

/* A growing output buffer; the first error sticks, later writes are no-ops. */
struct out {
	char *p;
	size_t len, cap;
	int err;
	char *why;
	size_t whysz;
};

static void reserve(struct out *o, size_t n)
{
	size_t cap;
	char *p;

	if (o->err || o->len + n + 1 <= o->cap)
		return;
	cap = o->cap ? o->cap : 65536;
	while (cap < o->len + n + 1)
		cap *= 2;
	p = realloc(o->p, cap);
	if (!p) {
		o->err = -ENOMEM;
		return;
	}
	o->p = p;
	o->cap = cap;
}

static void put(struct out *o, const char *s, size_t n)
{
	reserve(o, n);
	if (o->err)
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void printf_(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_(struct out *o, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		o->err = o->err ? o->err : -EOVERFLOW;
		return;
	}
	put(o, buf, (size_t)n);
}

static void fail(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->err)
		return;
	o->err = -EILSEQ;
	va_start(ap, fmt);
	vsnprintf(o->why, o->whysz, fmt, ap);
	va_end(ap);
}

/* A JSON string; what names the field for the error message. */
static void str(struct out *o, const char *s, const char *what)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(s), run = 0;

	if (!utf8_valid(s, n)) {
		fail(o, "%s is not valid UTF-8", what);
		return;
	}
	put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7] = { '\\', 0 };
		size_t el = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(o, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\t': esc[1] = 't'; break;
		case '\r': esc[1] = 'r'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			el = 6;
		}
		put(o, esc, el);
	}
	put(o, s + run, n - run);
	put(o, "\"", 1);
}

static void key(struct out *o, const char *k, bool *first)
{
	if (!*first)
		put(o, ", ", 2);
	*first = false;
	put(o, "\"", 1);
	puts_(o, k);
	put(o, "\": ", 3);
}

static void str_field(struct out *o, const char *k, const char *v, bool *first, const char *entry)
{
	char what[96];

	if (!v)
		return;
	snprintf(what, sizeof(what), "%s \"%s\"", entry, k);
	key(o, k, first);
	str(o, v, what);
}

static void strv_field(struct out *o, const char *k, const struct dir_strv *sv, bool *first, const char *entry)
{
	char what[96];

	snprintf(what, sizeof(what), "%s \"%s\"", entry, k);
	key(o, k, first);
	put(o, "[", 1);
	for (size_t i = 0; i < sv->n; i++) {
		if (i)
			put(o, ", ", 2);
		str(o, sv->v[i], what);
	}
	put(o, "]", 1);
}

/* Unix seconds as RFC 3339 UTC. The model's 0 means "none" (the caller
 * leaves the field out); a time before 1970 cannot be written as such, and
 * "already expired" must stay expired, so it becomes the first second. */
static void time_field(struct out *o, const char *k, int64_t t, bool *first)
{
	struct tm tm;
	time_t tt;
	char buf[32];

	if (t == 0)
		return;
	if (t < 0)
		t = 1;
	if (t > TIME_MAX_RFC3339)
		t = TIME_MAX_RFC3339;
	tt = (time_t)t;
	if (!gmtime_r(&tt, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		fail(o, "time %" PRId64 " cannot be written", t);
		return;
	}
	key(o, k, first);
	printf_(o, "\"%s\"", buf);
}

/* "user <id>" for error messages, printable whatever the id holds. */
static void label(char *out, size_t outsz, const char *kind, const char *id)
{
	char clean[32];

	sanitize_for_log(id ? id : "?", clean, sizeof(clean));
	snprintf(out, outsz, "%s %s", kind, clean);
}

static void user(struct out *o, const struct dir_user *u)
{
	bool first = true;
	char entry[48];

	if (!u->name) {
		fail(o, "a user has no name");
		return;
	}
	label(entry, sizeof(entry), "user", u->id);
	put(o, "    {", 5);
	str_field(o, "id", u->id, &first, entry);
	str_field(o, "name", u->name, &first, entry);
	key(o, "uid", &first);
	printf_(o, "%" PRIu32, u->uid);
	key(o, "gid", &first);
	printf_(o, "%" PRIu32, u->gid);
	str_field(o, "gecos", u->gecos, &first, entry);
	str_field(o, "home", u->home, &first, entry);
	str_field(o, "shell", u->shell, &first, entry);
	key(o, "active", &first);
	puts_(o, u->active ? "true" : "false");
	strv_field(o, "ssh_keys", &u->ssh_keys, &first, entry);
	put(o, "}", 1);
}

static void group(struct out *o, const struct dir_group *g)
{
	bool first = true;
	char entry[48];

	if (!g->name) {
		fail(o, "a group has no name");
		return;
	}
	label(entry, sizeof(entry), "group", g->id);
	put(o, "    {", 5);
	str_field(o, "id", g->id, &first, entry);
	str_field(o, "name", g->name, &first, entry);
	key(o, "gid", &first);
	printf_(o, "%" PRIu32, g->gid);
	strv_field(o, "members", &g->members, &first, entry);
	put(o, "}", 1);
}

static void binding(struct out *o, const struct dir_binding *b)
{
	bool first = true;
	char entry[48];

	if (!b->name) {
		fail(o, "a binding has no name");
		return;
	}
	label(entry, sizeof(entry), "binding", b->name);
	put(o, "    {", 5);
	str_field(o, "name", b->name, &first, entry);
	strv_field(o, "users", &b->users, &first, entry);
	strv_field(o, "groups", &b->groups, &first, entry);
	strv_field(o, "hosts", &b->hosts, &first, entry);
	strv_field(o, "labels", &b->labels, &first, entry);
	key(o, "grants", &first);
	put(o, "[", 1);
	if (b->grants & DIR_GRANT_LOGIN)
		puts_(o, "\"login\"");
	if (b->grants & DIR_GRANT_SUDO)
		puts_(o, b->grants & DIR_GRANT_LOGIN ? ", \"sudo\"" : "\"sudo\"");
	put(o, "]", 1);
	time_field(o, "not_after", b->not_after, &first);
	put(o, "}", 1);
}

#define SECTION(o, title, arr, n, fn)                         \
	do {                                                  \
		puts_(o, ",\n  \"" title "\": [");            \
		for (size_t i_ = 0; i_ < (n); i_++) {         \
			puts_(o, i_ ? ",\n" : "\n");          \
			fn(o, &(arr)[i_]);                    \
		}                                             \
		puts_(o, (n) ? "\n  ]" : "]");                \
	} while (0)

int docwrite(const struct directory *d, char **ret_buf, size_t *ret_len, char *err, size_t errsz)
{
	char why[256] = "";
	struct out o = { .why = why, .whysz = sizeof(why) };
	bool first = false; /* the version key comes first, by hand */

	printf_(&o, "{\n  \"prov_directory\": %d,\n  \"serial\": %" PRIu64, DOC_FORMAT_VERSION, d->serial);
	if (d->generated) {
		puts_(&o, ",\n  ");
		first = true;
		time_field(&o, "generated", d->generated, &first);
	}
	if (d->not_after) {
		puts_(&o, ",\n  ");
		first = true;
		time_field(&o, "not_after", d->not_after, &first);
	}
	if (d->audience) {
		puts_(&o, ",\n  \"audience\": ");
		str(&o, d->audience, "\"audience\"");
	}
	SECTION(&o, "users", d->users, d->n_users, user);
	SECTION(&o, "groups", d->groups, d->n_groups, group);
	SECTION(&o, "bindings", d->bindings, d->n_bindings, binding);
	puts_(&o, "\n}\n");
	if (o.err) {
		free(o.p);
		if (o.err == -ENOMEM)
			snprintf(err, errsz, "out of memory");
		else
			snprintf(err, errsz, "%s", why[0] ? why : "cannot write the document");
		return o.err;
	}
	*ret_buf = o.p;
	*ret_len = o.len;
	return 0;
}

/* SPDX-License-Identifier: MIT */
#include "serve/mapwrite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loop/dispatch.h"
#include "prov/mapfile.h"
#include "store/removed.h"

/* A growing image; the first failure sticks in err. */
struct buf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void buf_reserve(struct buf *b, size_t more)
{
	size_t ncap;
	uint8_t *n;

	if (b->err || b->len + more <= b->cap)
		return;
	if (b->len + more > PROV_MAP_MAX_SIZE) {
		b->err = -EFBIG;
		return;
	}
	ncap = b->cap ? b->cap : 1u << 16;
	while (ncap < b->len + more)
		ncap *= 2;
	n = realloc(b->p, ncap);
	if (!n) {
		b->err = -ENOMEM;
		return;
	}
	b->p = n;
	b->cap = ncap;
}

static void buf_put(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (b->err)
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void buf_u32(struct buf *b, uint32_t v)
{
	buf_put(b, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* One key of one record, for the indexes. */
struct entry {
	uint32_t off;
	uint32_t id;
	uint8_t name_len;
	char name[PROV_NAME_MAX];
};

struct entries {
	struct entry *v;
	size_t n, cap;
};

static int entries_push(struct entries *e, uint32_t off, const struct prov_str *name, uint32_t id)
{
	struct entry *x;

	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 1024;
		struct entry *n = realloc(e->v, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		e->v = n;
		e->cap = ncap;
	}
	if (name->len > PROV_NAME_MAX)
		return -EBADMSG;
	x = &e->v[e->n++];
	x->off = off;
	x->id = id;
	x->name_len = (uint8_t)name->len;
	memcpy(x->name, name->ptr, name->len);
	return 0;
}

/* The builder's state: the handlers are asked as an anonymous client of
 * the public socket (what every nss_prov caller is). */
struct build {
	struct dispatch_ctx ctx;
	struct dispatch_peer peer;
	uint8_t *page;    /* an enumeration page */
	uint8_t *scratch; /* one INITGROUPS reply */
	struct buf img;
	struct entries users, groups;
};

/* Runs the handler of op on the request body req, replying into out.
 * Returns its status; *ret_rd reads the reply body. */
static int ask(struct build *b, uint16_t op, const void *req, size_t req_len, uint8_t *out,
	       struct prov_reader *ret_rd)
{
	const struct dispatch_entry *e = dispatch_find(op);
	struct prov_reader rd;
	struct prov_writer w;
	int st;

	if (!e)
		return PROV_ST_UNSUPPORTED;
	prov_reader_init(&rd, req, req_len);
	prov_writer_init(&w, out, DISPATCH_REPLY_CAP);
	prov_writer_begin(&w);
	st = e->fn(&b->ctx, &rd, &w);
	if (st == PROV_ST_OK && w.err)
		st = PROV_ST_INTERNAL;
	prov_reader_init(ret_rd, out + PROV_HEADER_SIZE, st == PROV_ST_OK ? w.len - PROV_HEADER_SIZE : 0);
	return st;
}

/* Starts a record: reserves len and check; record_end() fills them. */
static size_t record_begin(struct buf *img)
{
	size_t at = img->len;

	buf_u32(img, 0);
	buf_u32(img, 0);
	return at;
}

static void record_end(struct buf *img, size_t at)
{
	static const uint8_t zero[4];
	uint32_t len;

	if (img->err)
		return;
	len = (uint32_t)(img->len - at - 8);
	put32(img->p + at, len);
	put32(img->p + at + 4, prov_map_check(img->p + at + 8, len));
	buf_put(img, zero, (4 - (len & 3u)) & 3u);
}

/* A passwd record and what INITGROUPS answers for its name. */
static int add_user(struct build *b, const uint8_t *pw, size_t pw_len, const struct prov_passwd_rec *p,
		    uint32_t flags)
{
	uint8_t req[4 + PROV_NAME_MAX];
	struct prov_reader ig;
	uint32_t nlen = p->name.len;
	size_t at;
	int st;

	memcpy(req, &nlen, 4);
	memcpy(req + 4, p->name.ptr, nlen);
	st = ask(b, PROV_OP_INITGROUPS, req, 4 + nlen, b->scratch, &ig);
	if (st != PROV_ST_OK && st != PROV_ST_NOT_FOUND)
		return -EBADMSG;
	if (entries_push(&b->users, (uint32_t)b->img.len, &p->name, p->uid) < 0)
		return -ENOMEM;
	at = record_begin(&b->img);
	buf_u32(&b->img, flags);
	buf_u32(&b->img, (uint32_t)pw_len);
	buf_put(&b->img, pw, pw_len);
	buf_u32(&b->img, (uint32_t)st);
	buf_put(&b->img, ig.buf, ig.len);
	record_end(&b->img, at);
	return b->img.err;
}

static int add_group(struct build *b, const uint8_t *gr, size_t gr_len, const struct prov_group_rec *g)
{
	size_t at;

	if (entries_push(&b->groups, (uint32_t)b->img.len, &g->name, g->gid) < 0)
		return -ENOMEM;
	at = record_begin(&b->img);
	buf_put(&b->img, gr, gr_len);
	record_end(&b->img, at);
	return b->img.err;
}

/* One page of records: hands each one, as its exact bytes, to add_*. */
static int take_page(struct build *b, struct prov_reader *rd, uint32_t n, bool groups)
{
	uint32_t i;
	int r;

	for (i = 0; i < n; i++) {
		const uint8_t *start = rd->buf + rd->off;
		struct prov_passwd_rec p;
		struct prov_group_rec g;

		r = groups ? prov_get_group(rd, &g) : prov_get_passwd(rd, &p);
		if (r < 0)
			return -EBADMSG;
		r = groups ? add_group(b, start, (size_t)(rd->buf + rd->off - start), &g)
			   : add_user(b, start, (size_t)(rd->buf + rd->off - start), &p, 0);
		if (r < 0)
			return r;
	}
	return prov_reader_end(rd) < 0 ? -EBADMSG : 0;
}

/* The whole PW_ENUM or GR_ENUM walk. A record too big for a page is one
 * the socket cannot hand out either: it is stepped over, as a client
 * would have to. */
static int walk(struct build *b, uint16_t op, bool groups)
{
	uint32_t cursor = 0;

	while (cursor != PROV_ENUM_END) {
		struct prov_reader rd;
		uint32_t next, n;
		int st, r;

		st = ask(b, op, &cursor, sizeof(cursor), b->page, &rd);
		if (st == PROV_ST_INTERNAL) {
			cursor++;
			continue;
		}
		if (st != PROV_ST_OK)
			return -EBADMSG;
		next = prov_get_u32(&rd);
		n = prov_get_u32(&rd);
		if (rd.err || (next != PROV_ENUM_END && next <= cursor))
			return -EBADMSG;
		r = take_page(b, &rd, n, groups);
		if (r < 0)
			return r;
		cursor = next;
	}
	return 0;
}

/* Removed users that PW_BY_NAME answers but PW_ENUM skips (a live user
 * has their uid now): in the map by name only, not enumerated. The
 * socket's own answer is taken, so the rules stay removed.c's. */
static int add_lookup_only(struct build *b)
{
	const struct prov_state *st = b->ctx.state;
	size_t i;

	for (i = 0; st->removed && i < st->removed->n; i++) {
		const struct removed_user *r = &st->removed->v[i];
		uint8_t req[4 + PROV_NAME_MAX];
		uint32_t nlen = (uint32_t)strlen(r->name);
		struct prov_passwd_rec p;
		struct prov_reader rd;
		int st_ok, e;

		if (nlen == 0 || nlen > PROV_NAME_MAX || !directory_user_by_uid(st->dir, r->uid) ||
		    directory_user_by_name(st->dir, r->name) ||
		    removed_by_name(st->removed, r->name, b->ctx.now, st->cfg.deprovisioned_retention_s) != r)
			continue;
		memcpy(req, &nlen, 4);
		memcpy(req + 4, r->name, nlen);
		st_ok = ask(b, PROV_OP_PW_BY_NAME, req, 4 + nlen, b->page, &rd);
		if (st_ok != PROV_ST_OK)
			continue;
		if (prov_get_passwd(&rd, &p) < 0 || prov_reader_end(&rd) < 0)
			return -EBADMSG;
		e = add_user(b, rd.buf, rd.len, &p, PROV_MAP_REC_LOOKUP_ONLY);
		if (e < 0)
			return e;
	}
	return 0;
}

static uint32_t slots_for(size_t n)
{
	uint32_t s = 2;

	while (s <= 2 * n)
		s *= 2;
	return s;
}

static bool same_key(const struct entry *a, const struct entry *x, bool by_name)
{
	if (!by_name)
		return a->id == x->id;
	return a->name_len == x->name_len && memcmp(a->name, x->name, a->name_len) == 0;
}

/* Appends one index over es; the first record of a key wins, as
 * directory_index() answers. */
static int add_index(struct build *b, const struct entries *es, bool by_name, uint8_t *desc_out)
{
	uint32_t n_slots = slots_for(es->n), mask = n_slots - 1, i;
	uint32_t *owner, base;
	size_t k;

	base = (uint32_t)b->img.len;
	buf_reserve(&b->img, (size_t)n_slots * PROV_MAP_SLOT_SIZE);
	owner = malloc((size_t)n_slots * sizeof(*owner));
	if (b->img.err || !owner) {
		free(owner);
		return b->img.err ? b->img.err : -ENOMEM;
	}
	for (i = 0; i < n_slots; i++) {
		uint8_t *s = b->img.p + base + (size_t)i * PROV_MAP_SLOT_SIZE;

		put32(s, 0);
		put32(s + 4, 0);
		put32(s + 8, prov_map_slot_check(0, 0));
		owner[i] = UINT32_MAX;
	}
	b->img.len += (size_t)n_slots * PROV_MAP_SLOT_SIZE;
	for (k = 0; k < es->n; k++) {
		const struct entry *x = &es->v[k];
		uint32_t h = by_name ? prov_map_hash_name(x->name, x->name_len) : prov_map_hash_id(x->id);
		bool dup = false;
		uint8_t *s;

		for (i = h & mask; owner[i] != UINT32_MAX; i = (i + 1) & mask)
			if (same_key(&es->v[owner[i]], x, by_name)) {
				dup = true;
				break;
			}
		if (dup)
			continue;
		owner[i] = (uint32_t)k;
		s = b->img.p + base + (size_t)i * PROV_MAP_SLOT_SIZE;
		put32(s, h);
		put32(s + 4, x->off);
		put32(s + 8, prov_map_slot_check(h, x->off));
	}
	free(owner);
	put32(desc_out, base);
	put32(desc_out + 4, n_slots);
	return 0;
}

static void fill_header(struct build *b, const struct mapwrite_meta *meta, uint32_t users_off, uint32_t users_end,
			uint32_t groups_end)
{
	uint8_t *h = b->img.p;
	uint8_t tmp[PROV_MAP_HEADER_SIZE];

	put32(h + PROV_MAPH_MAGIC, PROV_MAP_MAGIC);
	put32(h + PROV_MAPH_VERSION, PROV_MAP_VERSION);
	put64(h + PROV_MAPH_SIZE, b->img.len);
	put64(h + PROV_MAPH_GENERATION, meta->generation);
	put64(h + PROV_MAPH_SERIAL, b->ctx.state->dir->serial);
	put64(h + PROV_MAPH_START_ID, meta->start_id);
	put32(h + PROV_MAPH_N_USERS, (uint32_t)b->users.n);
	put32(h + PROV_MAPH_N_GROUPS, (uint32_t)b->groups.n);
	put32(h + PROV_MAPH_USERS_OFF, users_off);
	put32(h + PROV_MAPH_USERS_END, users_end);
	put32(h + PROV_MAPH_GROUPS_OFF, users_end);
	put32(h + PROV_MAPH_GROUPS_END, groups_end);
	put64(h + PROV_MAPH_PUBLISHED_AT, (uint64_t)meta->now);
	memcpy(tmp, h, sizeof(tmp));
	memset(tmp + PROV_MAPH_SUPERSEDED, 0, 8);
	put32(h + PROV_MAPH_CHECK, prov_map_check(tmp, sizeof(tmp)));
}

static int build_all(struct build *b, const struct mapwrite_meta *meta)
{
	uint32_t users_end, groups_end;
	int r, i;

	buf_reserve(&b->img, PROV_MAP_HEADER_SIZE);
	if (b->img.err)
		return b->img.err;
	memset(b->img.p, 0, PROV_MAP_HEADER_SIZE);
	b->img.len = PROV_MAP_HEADER_SIZE;
	r = walk(b, PROV_OP_PW_ENUM, false);
	if (r == 0)
		r = add_lookup_only(b);
	users_end = (uint32_t)b->img.len;
	if (r == 0)
		r = walk(b, PROV_OP_GR_ENUM, true);
	groups_end = (uint32_t)b->img.len;
	for (i = 0; r == 0 && i < PROV_MAP_N_INDEX; i++) {
		/* add_index() may move the image: the descriptor goes into
		 * the header only after it returns. */
		uint8_t desc[8];

		r = add_index(b, i < PROV_MAP_GR_NAME ? &b->users : &b->groups,
			      i == PROV_MAP_PW_NAME || i == PROV_MAP_GR_NAME, desc);
		if (r == 0)
			memcpy(b->img.p + PROV_MAPH_INDEX + 8 * i, desc, 8);
	}
	if (r < 0)
		return r;
	fill_header(b, meta, PROV_MAP_HEADER_SIZE, users_end, groups_end);
	return 0;
}

/* The two reply buffers, DISPATCH_REPLY_CAP bytes each (about 96 MiB, for
 * the biggest group), allocated once for the process and kept: taking and
 * returning 192 MiB at every generation cost a page-table round trip per
 * publish (and ~0.1 s under ASan). Publishing runs on provd's loop thread
 * only, so no lock. */
static int reply_buffers(uint8_t **ret_page, uint8_t **ret_scratch)
{
	static uint8_t *page, *scratch;

	if (!page)
		page = malloc(DISPATCH_REPLY_CAP);
	if (!scratch)
		scratch = malloc(DISPATCH_REPLY_CAP);
	if (!page || !scratch)
		return -ENOMEM;
	*ret_page = page;
	*ret_scratch = scratch;
	return 0;
}

int mapwrite_build(struct prov_state *st, const struct mapwrite_meta *meta, struct mapimg *ret)
{
	struct build b;
	int r;

	if (!st->dir)
		return -ENODATA;
	memset(&b, 0, sizeof(b));
	b.peer.uid = 65534;
	b.peer.gid = 65534;
	b.ctx.state = st;
	b.ctx.peer = &b.peer;
	b.ctx.now = meta->now;
	r = reply_buffers(&b.page, &b.scratch);
	if (r == 0)
		r = build_all(&b, meta);
	free(b.users.v);
	free(b.groups.v);
	if (r < 0) {
		free(b.img.p);
		return r;
	}
	ret->data = b.img.p;
	ret->len = b.img.len;
	ret->n_users = (uint32_t)b.users.n;
	ret->n_groups = (uint32_t)b.groups.n;
	return 0;
}

void mapimg_free(struct mapimg *img)
{
	free(img->data);
	img->data = NULL;
	img->len = 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The file in place now, opened for its superseded word; -1 when there is
 * none (or it is not a regular file: nothing to tell). */
static int open_current(const char *path)
{
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat s;

	if (fd < 0)
		return -1;
	if (fstat(fd, &s) < 0 || !S_ISREG(s.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int fail(int r, char *err, size_t errsz, const char *what, const char *path)
{
	snprintf(err, errsz, "%s %s: %s", what, path, strerror(-r));
	return r;
}

int mapwrite_withdraw(const char *dir)
{
	static const uint32_t one = 1;
	char path[4096];
	int fd, r = 0;

	if (snprintf(path, sizeof(path), "%s/" PROV_MAP_NAME, dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open_current(path);
	if (unlink(path) < 0 && errno != ENOENT)
		r = -errno;
	if (fd >= 0) {
		if (pwrite(fd, &one, sizeof(one), PROV_MAPH_SUPERSEDED) != (ssize_t)sizeof(one) && r == 0)
			r = -errno;
		close(fd);
	}
	return r;
}

int mapwrite_publish(const char *dir, const struct mapimg *img, char *err, size_t errsz)
{
	static const uint32_t one = 1;
	char path[4096], tmp[4096];
	int fd, old, r;

	if (snprintf(path, sizeof(path), "%s/" PROV_MAP_NAME, dir) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/." PROV_MAP_NAME ".%ld", dir, (long)getpid()) >= (int)sizeof(tmp))
		return fail(-ENAMETOOLONG, err, errsz, "cannot publish", dir);
	(void)unlink(tmp); /* left by a crash of this pid's predecessor */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail(-errno, err, errsz, "cannot create", tmp);
	r = write_all(fd, img->data, img->len);
	/* The umask may have taken bits away; 0644 is the contract. */
	if (r == 0 && fchmod(fd, 0644) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return fail(r, err, errsz, "cannot write", tmp);
	}
	old = open_current(path);
	if (rename(tmp, path) < 0) {
		r = -errno;
		(void)unlink(tmp);
		if (old >= 0)
			close(old);
		return fail(r, err, errsz, "cannot rename into", path);
	}
	if (old >= 0) {
		/* After the rename: a reader that sees the word re-opens the
		 * path and finds the new file there. */
		if (pwrite(old, &one, sizeof(one), PROV_MAPH_SUPERSEDED) != (ssize_t)sizeof(one))
			r = fail(-errno, err, errsz, "cannot mark superseded", path);
		close(old);
	}
	return r;
}

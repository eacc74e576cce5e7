/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for everything that decodes bytes from the socket:
 * the frame header, passwd and group records, status pairs, initgroups
 * lists and enumeration pages, and the nss_prov path that turns them into
 * what a getpwnam() caller receives (packing into a small and a large
 * buffer, at an aligned and a misaligned address).
 *
 * An input is treated as a whole reply frame (header + body) when its
 * header decodes, and as a bare body otherwise, so the corpus can hold
 * either. Any crash, sanitizer report or failed consistency check (trap)
 * is a bug.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nss_prov.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NO_DAEMON "/nonexistent/prov-fuzz/socket"

static void check(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* A packed string must be exactly the decoded one. */
static void check_str(const char *packed, const struct prov_str *s)
{
	check(strlen(packed) == s->len && memcmp(packed, s->ptr, s->len) == 0);
}

static void status_pairs(const uint8_t *body, size_t len)
{
	struct prov_reader r;
	uint32_t n, i;

	prov_reader_init(&r, body, len);
	n = prov_get_u32(&r);
	if (r.err || n > PROV_STATUS_PAIRS_MAX)
		return;
	for (i = 0; i < n && !r.err; i++) {
		struct prov_str k = prov_get_str(&r, PROV_STATUS_STR_MAX);
		struct prov_str v = prov_get_str(&r, PROV_STATUS_STR_MAX);

		if (!r.err)
			check(k.len <= PROV_STATUS_STR_MAX && v.len <= PROV_STATUS_STR_MAX &&
			      !memchr(k.ptr, 0, k.len) && !memchr(v.ptr, 0, v.len));
	}
	(void)prov_reader_end(&r);
}

static void passwd_record(const struct prov_reply *rep)
{
	static alignas(char *) char big[4096 + 8];
	char small[48];
	struct prov_passwd_rec p;
	struct prov_reader r;
	struct passwd pw;
	int err = 0;
	enum nss_status st;

	prov_reader_init(&r, rep->body, rep->body_len);
	if (prov_get_passwd(&r, &p) == 0) {
		char name[PROV_NAME_MAX + 1];

		check(p.name.len > 0 && p.name.len <= PROV_NAME_MAX);
		if (prov_pack_passwd(&p, &pw, big + 1, sizeof(big) - 1) == 0) {
			check_str(pw.pw_name, &p.name);
			check_str(pw.pw_gecos, &p.gecos);
			check_str(pw.pw_dir, &p.home);
			check_str(pw.pw_shell, &p.shell);
			check(pw.pw_uid == p.uid);
		}
		(void)prov_pack_passwd(&p, &pw, small, sizeof(small));

		/* The lookup path, as if we had asked for this very name. */
		memcpy(name, p.name.ptr, p.name.len);
		name[p.name.len] = '\0';
		st = prov_nss_passwd_reply(rep, name, 0, &pw, small, sizeof(small), &err);
		check(st == NSS_STATUS_SUCCESS || st == NSS_STATUS_UNAVAIL ||
		      (st == NSS_STATUS_TRYAGAIN && err == ERANGE));
	}
	st = prov_nss_passwd_reply(rep, NULL, 20001, &pw, big, sizeof(big), &err);
	check(st == NSS_STATUS_SUCCESS || st == NSS_STATUS_UNAVAIL);
	if (st == NSS_STATUS_SUCCESS)
		check(pw.pw_uid == 20001 && pw.pw_uid != 0 && strchr(pw.pw_gecos, ':') == NULL);
}

static void group_record(const struct prov_reply *rep)
{
	static alignas(char *) char big[1 << 20];
	alignas(char *) char small[96];
	struct prov_group_rec g;
	struct prov_reader r;
	struct group gr;
	int err = 0;
	enum nss_status st;

	prov_reader_init(&r, rep->body, rep->body_len);
	if (prov_get_group(&r, &g) == 0) {
		struct prov_group_rec walk = g;
		struct prov_str m;
		uint32_t i = 0;

		for (int off = 0; off < 2; off++) {
			if (prov_pack_group(&g, &gr, big + off * 3, sizeof(big) - 3) != 0)
				continue;
			check(((uintptr_t)gr.gr_mem % alignof(char *)) == 0);
			check_str(gr.gr_name, &g.name);
			walk = g;
			for (i = 0; prov_group_next_member(&walk, &m) == 0; i++)
				check_str(gr.gr_mem[i], &m);
			check(i == g.n_members && gr.gr_mem[i] == NULL);
		}
		(void)prov_pack_group(&g, &gr, small + 1, sizeof(small) - 1);
	}
	st = prov_nss_group_reply(rep, NULL, 30002, &gr, big, sizeof(big), &err);
	check(st == NSS_STATUS_SUCCESS || st == NSS_STATUS_UNAVAIL);
	st = prov_nss_group_reply(rep, "ops", 0, &gr, small, sizeof(small), &err);
	check(st == NSS_STATUS_SUCCESS || st == NSS_STATUS_UNAVAIL ||
	      (st == NSS_STATUS_TRYAGAIN && err == ERANGE));
}

static void initgroups_list(const struct prov_reply *rep)
{
	long start = 1, size = 1;
	gid_t *groups = malloc(sizeof(gid_t));
	int err = 0;
	enum nss_status st;

	if (!groups)
		return;
	groups[0] = 20001;
	st = prov_nss_initgroups_reply(rep, 20001, &start, &size, &groups, 8, &err);
	check(st == NSS_STATUS_SUCCESS || st == NSS_STATUS_UNAVAIL);
	check(start >= 1 && start <= size && size <= 8);
	for (long i = 1; i < start; i++)
		check(groups[i] != 0 && groups[i] != 20001);
	free(groups);
}

/* An enumeration page, handed out entry by entry with a too-small and
 * then a big enough buffer, as glibc does. Later pages cannot be fetched
 * (no daemon), which ends the walk with UNAVAIL. */
static void enum_page(const uint8_t *body, size_t len, uint16_t op)
{
	static alignas(char *) char big[1 << 20];
	struct prov_enum e;
	struct prov_reply rep = { .body_len = len };
	int err = 0, guard = 0;
	enum nss_status st;

	rep.body = len ? malloc(len) : NULL;
	if (len && !rep.body)
		return;
	if (len)
		memcpy(rep.body, body, len);
	prov_enum_init(&e, op);
	if (prov_enum_take_page(&e, 0, &rep, &err) != NSS_STATUS_SUCCESS)
		return; /* rep freed by take_page */
	do {
		struct passwd pw;
		struct group gr;
		char tiny[16];

		if (op == PROV_OP_PW_ENUM) {
			st = prov_enum_getpw(&e, NO_DAEMON, &pw, tiny, sizeof(tiny), &err);
			if (st == NSS_STATUS_TRYAGAIN)
				st = prov_enum_getpw(&e, NO_DAEMON, &pw, big, sizeof(big), &err);
		} else {
			st = prov_enum_getgr(&e, NO_DAEMON, &gr, tiny, sizeof(tiny), &err);
			if (st == NSS_STATUS_TRYAGAIN)
				st = prov_enum_getgr(&e, NO_DAEMON, &gr, big, sizeof(big), &err);
		}
		check(++guard <= (int)PROV_ENUM_PAGE_MAX + 1);
	} while (st == NSS_STATUS_SUCCESS);
	check(st == NSS_STATUS_NOTFOUND || st == NSS_STATUS_UNAVAIL);
	prov_enum_reset(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prov_reply rep = { .body = (uint8_t *)data, .body_len = size };
	struct prov_header h;

	if (size >= PROV_HEADER_SIZE && prov_header_decode(data, &h) == 0) {
		check(h.body_len <= PROV_MAX_BODY);
		/* As the client would: a header promising more than came is
		 * a truncated frame; use what is there as the body anyway. */
		rep.hdr = h;
		rep.body = (uint8_t *)data + PROV_HEADER_SIZE;
		rep.body_len = size - PROV_HEADER_SIZE;
		if (h.body_len < rep.body_len)
			rep.body_len = h.body_len;
	}
	if (rep.body_len == 0)
		rep.body = NULL;

	passwd_record(&rep);
	group_record(&rep);
	initgroups_list(&rep);
	status_pairs(rep.body, rep.body_len);
	enum_page(rep.body, rep.body_len, PROV_OP_PW_ENUM);
	enum_page(rep.body, rep.body_len, PROV_OP_GR_ENUM);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* One request frame to one reply frame (dispatch.h): the table lookup,
 * the privilege check, the audit of denials, the reply's framing. */
#include "loop/dispatch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "urlredact.h"

const struct dispatch_entry *dispatch_find(uint16_t opcode)
{
	size_t t, i;

	for (t = 0; t < dispatch_ntables; t++)
		for (i = 0; i < dispatch_tables[t]->n; i++)
			if (dispatch_tables[t]->entries[i].opcode == opcode)
				return &dispatch_tables[t]->entries[i];
	return NULL;
}

int dispatch_get_name(struct prov_reader *req, char out[PROV_NAME_MAX + 1])
{
	struct prov_str s = prov_get_str(req, PROV_NAME_MAX);

	if (prov_reader_end(req) < 0 || s.len == 0)
		return -EBADMSG;
	return prov_str_copy(&s, out, PROV_NAME_MAX + 1);
}

void dispatch_put_group(struct prov_writer *w, const struct dir_group *g)
{
	size_t i, n = g->members.n < PROV_GROUP_MEMBERS_MAX ? g->members.n : PROV_GROUP_MEMBERS_MAX;

	prov_put_str(w, g->name, PROV_NAME_MAX);
	prov_put_u32(w, g->gid);
	prov_put_u32(w, (uint32_t)n);
	for (i = 0; i < n; i++)
		prov_put_str(w, g->members.v[i], PROV_NAME_MAX);
}

void dispatch_patch_u32(struct prov_writer *w, size_t off, uint32_t v)
{
	memcpy(w->buf + off, &v, sizeof(v));
}

int dispatch_reply_status(const struct prov_writer *w)
{
	return w->err ? PROV_ST_INTERNAL : PROV_ST_OK;
}

void dispatch_pairs_begin(struct dispatch_pairs *p, struct prov_writer *w)
{
	p->w = w;
	p->head = w->len;
	p->n = 0;
	prov_put_u32(w, 0);
}

void dispatch_pair(struct dispatch_pairs *p, const char *key, const char *fmt, ...)
{
	char val[PROV_STATUS_STR_MAX + 1];
	va_list ap;

	if (p->n >= PROV_STATUS_PAIRS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	url_redact_inplace(val, sizeof(val)); /* sources, errors: never a URL's credential */
	prov_put_str(p->w, key, PROV_STATUS_STR_MAX);
	prov_put_str(p->w, val, PROV_STATUS_STR_MAX);
	p->n++;
}

void dispatch_pairs_end(struct dispatch_pairs *p)
{
	if (!p->w->err)
		memcpy(p->w->buf + p->head, &p->n, sizeof(p->n));
}

/* Anyone can cause this line: rate-limited per peer uid (log.h). */
static void audit_denied(const struct dispatch_entry *e, const struct dispatch_peer *peer)
{
	char uid[16], pid[16];

	if (!log_peer_allowed(peer->uid))
		return;
	snprintf(uid, sizeof(uid), "%u", (unsigned)peer->uid);
	snprintf(pid, sizeof(pid), "%d", (int)peer->pid);
	log_event(LOG_WARNING, "request_denied",
		  LOG_FIELDS({ "PROV_REQUEST", e->name }, { "PROV_PEER_UID", uid }, { "PROV_PEER_PID", pid },
			     { "PROV_SOCKET", peer->private_socket ? "private" : "public" }),
		  "%s refused: peer uid %s pid %s on the %s socket is not root on the private socket", e->name, uid,
		  pid, peer->private_socket ? "private" : "public");
}

int dispatch_request(struct prov_state *st, const struct dispatch_peer *peer, const struct prov_header *hdr,
		     const uint8_t *body, struct prov_writer *w)
{
	const struct dispatch_entry *e = dispatch_find(hdr->type);
	struct dispatch_ctx ctx = { .state = st, .peer = peer, .now = (int64_t)time(NULL) };
	struct prov_reader req;
	int status;

	prov_writer_begin(w);
	st->stats.requests++;
	if (!e) {
		status = PROV_ST_UNSUPPORTED;
	} else if (e->who == DISPATCH_ROOT && !(peer->private_socket && peer->uid == 0)) {
		st->stats.denied++;
		audit_denied(e, peer);
		status = PROV_ST_DENIED;
	} else {
		prov_reader_init(&req, body, hdr->body_len);
		status = e->fn(&ctx, &req, w);
		if (status == DISPATCH_DEFERRED)
			return status; /* answered later with server_reply() */
		/* A handler that left bytes unread answered a request it did
		 * not fully understand. */
		if (status == PROV_ST_OK && prov_reader_end(&req) < 0)
			status = PROV_ST_BAD_REQUEST;
	}
	if (status != PROV_ST_OK)
		prov_writer_begin(w); /* non-OK replies carry no body */
	/* Only a group reply may pass PROV_MAX_BODY: clients refuse the rest. */
	if (w->len - PROV_HEADER_SIZE > prov_reply_body_max(hdr->type))
		w->err = -EMSGSIZE;
	if (prov_writer_finish(w, hdr->type, (uint32_t)status) < 0) {
		status = PROV_ST_INTERNAL;
		prov_writer_begin(w);
		prov_writer_finish(w, hdr->type, (uint32_t)status);
	}
	return status;
}

/* SPDX-License-Identifier: MIT */
/* One exchange with provd about the PAM handle's user (pam_prov.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "client.h"
#include "pam_prov.h"
#include "validate.h"
#include "wire.h"

/* Request: header + 4 strings within their limits (protocol.h). */
#define REQ_CAP (PROV_HEADER_SIZE + 4 * 4 + PROV_NAME_MAX + PROV_SERVICE_MAX + PROV_RHOST_MAX + PROV_TTY_MAX)

const char *pam_prov_user(pam_handle_t *pamh, const struct pam_prov_opts *o)
{
	char shown[PROV_NAME_MAX + 8];
	const char *user = NULL;

	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !user[0]) {
		if (o->debug)
			pam_syslog(pamh, LOG_DEBUG, "no user name");
		return NULL;
	}
	/* prov serves only names that pass this check (admit.c), so one that
	 * fails it is not ours, whatever provd's state. */
	if (validate_name(user)) {
		if (o->debug) {
			sanitize_for_log(user, shown, sizeof(shown));
			pam_syslog(pamh, LOG_DEBUG, "%s cannot be a prov user name", shown);
		}
		return NULL;
	}
	return user;
}

/* A PAM item as a string, "" when unset, cut to max bytes: the service,
 * rhost and tty are for the audit line only, so a long one is shortened
 * rather than refused. */
static void put_item(pam_handle_t *pamh, struct prov_writer *w, int item, size_t max)
{
	const void *v = NULL;
	const char *s;
	size_t len;

	if (pam_get_item(pamh, item, &v) != PAM_SUCCESS || !v)
		v = "";
	s = v;
	len = strnlen(s, max);
	prov_put_bytes(w, s, len, max);
}

static int build_request(pam_handle_t *pamh, uint16_t op, const char *user, uint8_t *buf, size_t cap,
			 size_t *ret_len)
{
	struct prov_writer w;
	int r;

	prov_writer_init(&w, buf, cap);
	prov_writer_begin(&w);
	prov_put_str(&w, user, PROV_NAME_MAX);
	put_item(pamh, &w, PAM_SERVICE, PROV_SERVICE_MAX);
	put_item(pamh, &w, PAM_RHOST, PROV_RHOST_MAX);
	put_item(pamh, &w, PAM_TTY, PROV_TTY_MAX);
	r = prov_writer_finish(&w, op, 0);
	if (r < 0)
		return r;
	*ret_len = w.len;
	return 0;
}

/* u32 decision, str reason; anything else is malformed. */
static int parse_decision(const struct prov_reply *rep, struct pam_prov_answer *a)
{
	struct prov_reader r;
	struct prov_str reason;
	char raw[PROV_REASON_MAX + 1];

	prov_reader_init(&r, rep->body, rep->body_len);
	a->decision = prov_get_u32(&r);
	reason = prov_get_str(&r, PROV_REASON_MAX);
	if (prov_reader_end(&r) < 0 || prov_str_copy(&reason, raw, sizeof(raw)) < 0)
		return -EBADMSG;
	/* provd is root and says printable ASCII; this reaches a terminal, so
	 * make sure of it anyway. */
	sanitize_for_log(raw, a->reason, sizeof(a->reason));
	return 0;
}

int pam_prov_ask(pam_handle_t *pamh, const struct pam_prov_opts *o, uint16_t op, const char *user,
		 struct pam_prov_answer *ret)
{
	struct pam_prov_answer a = { .status = PROV_ST_INTERNAL, .decision = PROV_DECIDE_NO_GRANT };
	struct prov_reply rep = { 0 };
	uint8_t req[REQ_CAP];
	size_t len = 0;
	int r;

	r = build_request(pamh, op, user, req, sizeof(req), &len);
	if (r < 0)
		return r;
	r = prov_call(o->socket, o->timeout_ms, req, len, &rep);
	if (r < 0)
		return r;
	a.status = rep.hdr.status;
	if (a.status == PROV_ST_OK && op != PROV_OP_SESSION_CLOSE)
		r = parse_decision(&rep, &a);
	else if (a.status == PROV_ST_OK && rep.body_len != 0)
		r = -EBADMSG;
	prov_reply_free(&rep);
	if (r < 0)
		return r;
	*ret = a;
	return 0;
}

void pam_prov_tell(pam_handle_t *pamh, int flags, const char *fmt, ...)
{
	char msg[PROV_REASON_MAX + 128];
	va_list ap;

	if (flags & PAM_SILENT)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* No conversation function (a daemon using PAM) is not an error. */
	(void)pam_error(pamh, "%s", msg);
}

/* SPDX-License-Identifier: MIT */
/*
 * Stage base (provd/base/, in the order of provd/stages.txt) takes nothing
 * of the data flow. Gives every stage its plain helpers: error text for
 * the caller (errbuf.h), logging and audit events (log.h, ratelimit.h),
 * fault points for crash tests (faultpoint.h), the text forms of Ed25519
 * keys (docsig_key.h).
 *
 * provd's one way to say something: operational messages and audit events
 * (DESIGN invariant 10), with structured journal fields.
 *
 * Target: the systemd journal (sd_journal_sendv) when its socket exists,
 * otherwise one line per message on stderr:
 *
 *   provd[1234]: <warning>: refused user toor: uid 0 is reserved (PROV_EVENT=entry_refused PROV_USER=toor)
 *
 * Every field value and the formatted message are passed through
 * sanitize_for_log() (validate.h), so a hostile name from the directory or
 * from a client can never forge a line or smuggle a control sequence.
 *
 * THE RULE: never log a secret. Tokens, passwords, key material and the
 * contents of the token file are never given to these functions, not even
 * in debug builds; log that a secret was read or refused, never its value.
 * A URL's userinfo and query are hidden here in any case (urlredact.h):
 * every message and field value passes url_redact_inplace().
 *
 * Field keys are upper-case journal field names, prefixed PROV_ (PROV_USER,
 * PROV_REASON, PROV_PEER_UID, ...). The event name goes to PROV_EVENT.
 */
#ifndef PROV_LOG_H
#define PROV_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <syslog.h>

enum log_target {
	LOG_TARGET_AUTO,    /* journal if /run/systemd/journal/socket exists, else stderr */
	LOG_TARGET_JOURNAL,
	LOG_TARGET_STDERR,
};

struct log_field {
	const char *key;   /* "PROV_USER" */
	const char *value; /* any bytes; sanitised before output; NULL = field omitted */
};

/* A NULL-terminated field list as an expression:
 *   log_event(LOG_NOTICE, "entry_refused",
 *             LOG_FIELDS({ "PROV_USER", name }, { "PROV_REASON", why }),
 *             "refused user %s: %s", name, why);
 */
#define LOG_FIELDS(...) ((const struct log_field[]){ __VA_ARGS__, { NULL, NULL } })

/* Picks the target (the environment variable PROV_LOG=stderr|journal
 * overrides AUTO) and the most verbose priority shown (LOG_INFO by default,
 * LOG_DEBUG for --debug). Callable again; safe to never call (AUTO, INFO). */
void log_init(enum log_target target, int max_priority);

/* An operational message. */
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* An audit event: PROV_EVENT=event plus fields (NULL or a LOG_FIELDS list). */
void log_event(int priority, const char *event, const struct log_field *fields, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Lines an unprivileged peer can cause at will (a refused privileged
 * request, a bad frame, a connection over budget, a decision it asks about
 * itself) go through this gate first: at most LOG_PEER_BURST per peer uid
 * every LOG_PEER_INTERVAL_MS (ratelimit.h), then one "N more suppressed"
 * line (event log_suppressed, PROV_PEER_UID). Root's lines always pass:
 * sshd, login and su are the audit trail. log_peer_flush() says the
 * summaries of floods that stopped (the server loop calls it).
 */
#define LOG_PEER_INTERVAL_MS 10000u
#define LOG_PEER_BURST 10u
bool log_peer_allowed(uid_t uid);
void log_peer_flush(void);

/* Which target log_init() chose (for tests and provctl status). */
enum log_target log_target_get(void);

/* A unix time as logs and replies print it, "2026-11-25T22:30:00Z" (UTC),
 * or "-" for 0. */
void log_fmt_time(int64_t t, char *buf, size_t bufsz);

#endif

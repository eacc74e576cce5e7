/* SPDX-License-Identifier: MIT */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "base/ratelimit.h"
#include "urlredact.h"
#include "validate.h"

#define LOG_IDENT "provd"
#define LOG_MSG_MAX 2048
#define LOG_VALUE_MAX 1024
#define LOG_FIELDS_MAX 16
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static enum log_target chosen = LOG_TARGET_AUTO; /* resolved lazily */
static int max_prio = LOG_INFO;

static enum log_target resolve(enum log_target t)
{
	const char *env = getenv("PROV_LOG");

	if (t != LOG_TARGET_AUTO)
		return t;
	if (env && strcmp(env, "stderr") == 0)
		return LOG_TARGET_STDERR;
	if (env && strcmp(env, "journal") == 0)
		return LOG_TARGET_JOURNAL;
	return access(JOURNAL_SOCKET, W_OK) == 0 ? LOG_TARGET_JOURNAL : LOG_TARGET_STDERR;
}

void log_init(enum log_target target, int max_priority)
{
	chosen = resolve(target);
	max_prio = max_priority;
}

enum log_target log_target_get(void)
{
	if (chosen == LOG_TARGET_AUTO)
		chosen = resolve(LOG_TARGET_AUTO);
	return chosen;
}

static const char *prio_name(int p)
{
	static const char *const names[] = { "emerg", "alert", "crit", "err",
					     "warning", "notice", "info", "debug" };

	return p >= 0 && p <= LOG_DEBUG ? names[p] : "info";
}

/* A field key must be a valid journal field name; ours are compile-time
 * constants, but a wrong one would be silently dropped by journald, so it
 * is checked here rather than discovered later. */
static int key_ok(const char *k)
{
	size_t i;

	if (!k || !*k || strlen(k) > 64 || k[0] == '_')
		return 0;
	for (i = 0; k[i]; i++)
		if (!((k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return 1;
}

static void emit_stderr(int prio, const char *msg, const char *event, const struct log_field *f)
{
	char line[LOG_MSG_MAX + LOG_FIELDS_MAX * (LOG_VALUE_MAX + 64) + 128];
	char val[LOG_VALUE_MAX];
	size_t len = 0;
	int n, i, opened = 0;

	n = snprintf(line, sizeof(line), "%s[%ld]: <%s>: %s", LOG_IDENT, (long)getpid(), prio_name(prio), msg);
	len = n < 0 ? 0 : ((size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	if (event) {
		n = snprintf(line + len, sizeof(line) - len, " (PROV_EVENT=%s", event);
		len += n < 0 ? 0 : ((size_t)n < sizeof(line) - len ? (size_t)n : sizeof(line) - len - 1);
		opened = 1;
	}
	for (i = 0; f && f[i].key && i < LOG_FIELDS_MAX; i++) {
		if (!f[i].value || !key_ok(f[i].key))
			continue;
		sanitize_for_log(f[i].value, val, sizeof(val));
		url_redact_inplace(val, sizeof(val));
		n = snprintf(line + len, sizeof(line) - len, "%s%s=%s", opened ? " " : " (", f[i].key, val);
		len += n < 0 ? 0 : ((size_t)n < sizeof(line) - len ? (size_t)n : sizeof(line) - len - 1);
		opened = 1;
	}
	if (opened && len < sizeof(line) - 2)
		line[len++] = ')';
	if (len < sizeof(line) - 1)
		line[len++] = '\n';
	/* One write per line, so concurrent writers never interleave halves. */
	if (write(STDERR_FILENO, line, len) < 0) {
		/* nowhere left to report it */
	}
}

static void emit_journal(int prio, const char *msg, const char *event, const struct log_field *f)
{
	/* MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, PROV_EVENT + fields */
	char bufs[LOG_FIELDS_MAX + 4][LOG_MSG_MAX + 80];
	struct iovec iov[LOG_FIELDS_MAX + 4];
	char val[LOG_VALUE_MAX];
	int n = 0, i, len;

	len = snprintf(bufs[n], sizeof(bufs[n]), "MESSAGE=%s", msg);
	iov[n].iov_base = bufs[n];
	iov[n].iov_len = len < (int)sizeof(bufs[n]) ? (size_t)len : sizeof(bufs[n]) - 1;
	n++;
	len = snprintf(bufs[n], sizeof(bufs[n]), "PRIORITY=%d", prio);
	iov[n].iov_base = bufs[n];
	iov[n++].iov_len = (size_t)len;
	len = snprintf(bufs[n], sizeof(bufs[n]), "SYSLOG_IDENTIFIER=%s", LOG_IDENT);
	iov[n].iov_base = bufs[n];
	iov[n++].iov_len = (size_t)len;
	if (event) {
		sanitize_for_log(event, val, sizeof(val));
		len = snprintf(bufs[n], sizeof(bufs[n]), "PROV_EVENT=%s", val);
		iov[n].iov_base = bufs[n];
		iov[n++].iov_len = (size_t)len;
	}
	for (i = 0; f && f[i].key && i < LOG_FIELDS_MAX; i++) {
		if (!f[i].value || !key_ok(f[i].key))
			continue;
		sanitize_for_log(f[i].value, val, sizeof(val));
		url_redact_inplace(val, sizeof(val));
		len = snprintf(bufs[n], sizeof(bufs[n]), "%s=%s", f[i].key, val);
		iov[n].iov_base = bufs[n];
		iov[n++].iov_len = (size_t)len;
	}
	if (sd_journal_sendv(iov, n) < 0)
		emit_stderr(prio, msg, event, f); /* journal gone: do not lose the line */
}

static void __attribute__((format(printf, 4, 0)))
vlog(int prio, const char *event, const struct log_field *f, const char *fmt, va_list ap)
{
	char raw[LOG_MSG_MAX], msg[LOG_MSG_MAX];

	if (prio > max_prio)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	url_redact_inplace(raw, sizeof(raw)); /* THE RULE below covers URL credentials too */
	sanitize_for_log(raw, msg, sizeof(msg));
	if (log_target_get() == LOG_TARGET_JOURNAL)
		emit_journal(prio, msg, event, f);
	else
		emit_stderr(prio, msg, event, f);
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(priority, NULL, NULL, fmt, ap);
	va_end(ap);
}

void log_event(int priority, const char *event, const struct log_field *fields, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(priority, event, fields, fmt, ap);
	va_end(ap);
}

/* ---- per-peer rate limit ---- */

static struct ratelimit peer_rl;
static bool peer_rl_ready;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void say_suppressed(uint32_t key, unsigned long n, void *userdata)
{
	char uid[16];

	(void)userdata;
	if (key == RATELIMIT_OTHER)
		snprintf(uid, sizeof(uid), "other");
	else
		snprintf(uid, sizeof(uid), "%u", (unsigned)key);
	log_event(LOG_WARNING, "log_suppressed", LOG_FIELDS({ "PROV_PEER_UID", uid }),
		  "%lu more lines caused by peer uid %s suppressed (more than %u in %us)", n, uid, LOG_PEER_BURST,
		  LOG_PEER_INTERVAL_MS / 1000u);
}

static struct ratelimit *peer_limiter(void)
{
	if (!peer_rl_ready) {
		ratelimit_init(&peer_rl, LOG_PEER_INTERVAL_MS, LOG_PEER_BURST);
		peer_rl_ready = true;
	}
	return &peer_rl;
}

bool log_peer_allowed(uid_t uid)
{
	if (uid == 0)
		return true;
	return ratelimit_allow(peer_limiter(), (uint32_t)uid, mono_ms(), say_suppressed, NULL);
}

void log_peer_flush(void)
{
	if (peer_rl_ready)
		ratelimit_flush(&peer_rl, mono_ms(), say_suppressed, NULL);
}

void log_fmt_time(int64_t t, char *buf, size_t bufsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm)) {
		snprintf(buf, bufsz, "-");
		return;
	}
	strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

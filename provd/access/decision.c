/* SPDX-License-Identifier: MIT */
#include "access/decision.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "validate.h"

/* Room for a name (user, binding) or a host name in a reason; a longer
 * one is cut by sanitize_for_log(), so a reason always fits. */
#define NAME_BUF 64
#define HOST_BUF 128

/* What the bindings give one user on this host at one instant. */
struct grant_eval {
	unsigned in_force;            /* DIR_GRANT_* */
	const char *login_binding;
	const char *sudo_binding;
	const char *expired_binding;  /* the matching login binding that expired last */
	int64_t expired_at;
};

static bool strv_empty(const struct dir_strv *sv)
{
	return !sv || sv->n == 0;
}

static bool host_matches(const struct dir_binding *b, const struct decision_host *h)
{
	const char *name = h->name ? h->name : "";
	size_t i;

	if (!strv_empty(&b->hosts)) {
		bool any = false;

		for (i = 0; i < b->hosts.n && !any; i++)
			any = fnmatch(b->hosts.v[i], name, 0) == 0;
		if (!any)
			return false;
	}
	for (i = 0; i < b->labels.n; i++)
		if (!h->labels || !dir_strv_contains(h->labels, b->labels.v[i]))
			return false;
	return true;
}

/* Membership through the index: the primary gid or a listed membership
 * (member_gids), so a check costs the user's group count, never the size
 * of a big group. */
static bool user_in_group(const struct directory *d, const struct dir_user *u, const char *group)
{
	const struct dir_group *g = directory_group_by_name(d, group);
	size_t i;

	if (!g)
		return false;
	if (g->gid == u->gid)
		return true;
	for (i = 0; i < u->n_member_gids; i++)
		if (u->member_gids[i] == g->gid)
			return true;
	return false;
}

static bool user_in_any_group(const struct directory *d, const struct dir_user *u, const struct dir_strv *groups)
{
	size_t i;

	if (!groups)
		return false;
	for (i = 0; i < groups->n; i++)
		if (user_in_group(d, u, groups->v[i]))
			return true;
	return false;
}

static bool subject_matches(const struct directory *d, const struct dir_binding *b, const struct dir_user *u)
{
	return dir_strv_contains(&b->users, u->name) || user_in_any_group(d, u, &b->groups);
}

static bool in_force(int64_t not_after, int64_t now)
{
	return not_after == 0 || now < not_after;
}

static void grant(struct grant_eval *ev, unsigned grants, const char *binding)
{
	if ((grants & DIR_GRANT_LOGIN) && !ev->login_binding)
		ev->login_binding = binding;
	if ((grants & DIR_GRANT_SUDO) && !ev->sudo_binding)
		ev->sudo_binding = binding;
	ev->in_force |= grants & (DIR_GRANT_LOGIN | DIR_GRANT_SUDO);
}

/* With a scope, its bindings are the user's by construction (decision.h):
 * only the subject test is skipped, everything else is decided here. */
static void eval_grants(const struct directory *d, const struct decision_host *h, const struct dir_user *u,
			int64_t now, const struct decision_scope *scope, struct grant_eval *ev, size_t *examined)
{
	size_t n = scope ? scope->n : d->n_bindings, k;

	memset(ev, 0, sizeof(*ev));
	for (k = 0; k < n; k++) {
		const struct dir_binding *b = &d->bindings[scope ? scope->idx[k] : k];

		++*examined;
		if (!(b->grants & (DIR_GRANT_LOGIN | DIR_GRANT_SUDO)))
			continue;
		if (!host_matches(b, h) || (!scope && !subject_matches(d, b, u)))
			continue;
		if (in_force(b->not_after, now)) {
			grant(ev, b->grants, b->name);
		} else if ((b->grants & DIR_GRANT_LOGIN) && b->not_after > ev->expired_at) {
			ev->expired_binding = b->name;
			ev->expired_at = b->not_after;
		}
	}
	if (user_in_any_group(d, u, h->login_groups))
		grant(ev, DIR_GRANT_LOGIN, DECISION_HOST_LOGIN_BINDING);
	if (user_in_any_group(d, u, h->sudo_groups))
		grant(ev, DIR_GRANT_SUDO, DECISION_HOST_SUDO_BINDING);
}

static void fmt_time(int64_t t, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outsz, "@%lld", (long long)t);
}

/* "8d 2h", "7d", "45m 10s", "0s": every non-zero unit, largest first. */
static void fmt_duration(int64_t s, char *out, size_t outsz)
{
	static const struct {
		int64_t secs;
		char unit;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t i, len = 0;

	out[0] = '\0';
	if (s < 0)
		s = 0;
	for (i = 0; i < sizeof(units) / sizeof(units[0]) && len < outsz; i++) {
		int64_t q = s / units[i].secs;

		if (q == 0)
			continue;
		s -= q * units[i].secs;
		len += (size_t)snprintf(out + len, outsz - len, "%s%lld%c", len ? " " : "", (long long)q,
					units[i].unit);
	}
	if (out[0] == '\0')
		snprintf(out, outsz, "0s");
}

/* Puts a name from the directory or a client into a reason: printable
 * ASCII only, so the line is safe on a terminal and in a log. */
static const char *safe(const char *s, char *buf, size_t bufsz)
{
	sanitize_for_log(s ? s : "", buf, bufsz);
	return buf;
}

static void stale_reason(const struct directory *d, const struct decision_freshness *f, int64_t now,
			 char *out, size_t outsz)
{
	char a[64], b[64];

	if (d->not_after != 0 && now >= d->not_after) {
		fmt_time(d->not_after, a, sizeof(a));
		snprintf(out, outsz, "directory document expired %s", a);
		return;
	}
	fmt_duration(now - f->last_ok, a, sizeof(a));
	fmt_duration(f->offline_grace_s, b, sizeof(b));
	snprintf(out, outsz, "directory not refreshed for %s (offline_grace %s)", a, b);
}

bool decision_is_stale(const struct directory *d, const struct decision_freshness *fresh, int64_t now)
{
	if (d && d->not_after != 0 && now >= d->not_after)
		return true;
	if (!fresh || fresh->last_ok <= 0 || fresh->offline_grace_s == 0)
		return false;
	/* A clock stepped back before last_ok is not "stale". */
	return now - fresh->last_ok >= (int64_t)fresh->offline_grace_s;
}

static void decide_grants(const struct directory *d, const struct decision_host *host, const struct dir_user *u,
			  int64_t now, const struct decision_scope *scope, struct decision *r)
{
	char b1[NAME_BUF], b2[HOST_BUF], when[64];
	struct grant_eval ev;

	eval_grants(d, host, u, now, scope, &ev, &r->examined);
	r->login_binding = ev.login_binding;
	r->sudo_binding = ev.sudo_binding;
	if (ev.in_force & DIR_GRANT_LOGIN) {
		r->decision = PROV_DECIDE_ALLOW;
		r->grants = ev.in_force;
		snprintf(r->reason, sizeof(r->reason), "login granted by %s",
			 safe(ev.login_binding, b1, sizeof(b1)));
		return;
	}
	/* No login: a sudo grant alone is reported but does not admit. */
	r->grants = 0;
	r->sudo_binding = NULL;
	if (ev.expired_binding) {
		r->decision = PROV_DECIDE_EXPIRED;
		r->login_binding = ev.expired_binding;
		fmt_time(ev.expired_at, when, sizeof(when));
		snprintf(r->reason, sizeof(r->reason), "grant %s expired %s",
			 safe(ev.expired_binding, b1, sizeof(b1)), when);
		return;
	}
	r->decision = PROV_DECIDE_NO_GRANT;
	snprintf(r->reason, sizeof(r->reason), "no login grant for %s on host %s", safe(u->name, b1, sizeof(b1)),
		 safe(host->name, b2, sizeof(b2)));
}

void decision_decide(const struct directory *d, const struct decision_host *host,
		     const struct decision_freshness *fresh, const struct decision_request *req,
		     struct decision *ret)
{
	decision_decide_scoped(d, host, fresh, req, NULL, ret);
}

void decision_decide_scoped(const struct directory *d, const struct decision_host *host,
			    const struct decision_freshness *fresh, const struct decision_request *req,
			    const struct decision_scope *scope, struct decision *ret)
{
	char buf[NAME_BUF];
	const struct dir_user *u;

	memset(ret, 0, sizeof(*ret));
	u = d && req->user ? directory_user_by_name(d, req->user) : NULL;
	if (!u) {
		ret->decision = PROV_DECIDE_UNKNOWN;
		snprintf(ret->reason, sizeof(ret->reason), "%s is not a prov user",
			 safe(req->user, buf, sizeof(buf)));
		return;
	}
	ret->user = u;
	if (!u->active) {
		ret->decision = PROV_DECIDE_EXPIRED;
		snprintf(ret->reason, sizeof(ret->reason), "account deactivated in the directory");
		return;
	}
	if (decision_is_stale(d, fresh, req->now)) {
		ret->decision = PROV_DECIDE_STALE;
		stale_reason(d, fresh, req->now, ret->reason, sizeof(ret->reason));
		return;
	}
	decide_grants(d, host, u, req->now, scope, ret);
}

/* Bindings that give sudo on this host now, as indexes into d->bindings:
 * computed once so that the walk over every user stays cheap. */
static int sudo_bindings(const struct directory *d, const struct decision_host *h, int64_t now,
			 size_t **ret, size_t *ret_n)
{
	size_t *idx = NULL, n = 0, i;

	if (d->n_bindings > 0) {
		idx = calloc(d->n_bindings, sizeof(*idx));
		if (!idx)
			return -ENOMEM;
	}
	for (i = 0; i < d->n_bindings; i++) {
		const struct dir_binding *b = &d->bindings[i];

		if ((b->grants & DIR_GRANT_SUDO) && in_force(b->not_after, now) && host_matches(b, h))
			idx[n++] = i;
	}
	*ret = idx;
	*ret_n = n;
	return 0;
}

static bool user_has_sudo(const struct directory *d, const struct decision_host *h, const struct dir_user *u,
			  const size_t *idx, size_t n)
{
	size_t i;

	if (!u->active)
		return false;
	for (i = 0; i < n; i++)
		if (subject_matches(d, &d->bindings[idx[i]], u))
			return true;
	return user_in_any_group(d, u, h->sudo_groups);
}

int decision_sudo_members(const struct directory *d, const struct decision_host *host,
			  const struct decision_freshness *fresh, int64_t now, struct dir_strv *ret)
{
	struct dir_strv out = { NULL, 0 };
	size_t *idx = NULL, n = 0, i;
	int r;

	if (!d || decision_is_stale(d, fresh, now)) {
		*ret = out;
		return 0;
	}
	r = sudo_bindings(d, host, now, &idx, &n);
	if (r < 0)
		return r;
	for (i = 0; i < d->n_users; i++) {
		if (!user_has_sudo(d, host, &d->users[i], idx, n))
			continue;
		r = dir_strv_push(&out, d->users[i].name);
		if (r < 0) {
			dir_strv_free(&out);
			free(idx);
			return r;
		}
	}
	free(idx);
	*ret = out;
	return 0;
}

bool decision_user_has_sudo(const struct directory *d, const struct decision_host *host,
			    const struct decision_freshness *fresh, const struct dir_user *u, int64_t now)
{
	size_t i;

	if (!d || !u || !u->active || decision_is_stale(d, fresh, now))
		return false;
	for (i = 0; i < d->n_bindings; i++) {
		const struct dir_binding *b = &d->bindings[i];

		if ((b->grants & DIR_GRANT_SUDO) && in_force(b->not_after, now) && host_matches(b, host) &&
		    subject_matches(d, b, u))
			return true;
	}
	return user_in_any_group(d, u, host->sudo_groups);
}

static void earliest_after(int64_t *best, int64_t t, int64_t now)
{
	if (t > now && (*best == 0 || t < *best))
		*best = t;
}

int64_t decision_next_change(const struct directory *d, const struct decision_freshness *fresh, int64_t now)
{
	int64_t best = 0;
	size_t i;

	if (!d)
		return 0;
	for (i = 0; i < d->n_bindings; i++)
		if (d->bindings[i].not_after != 0)
			earliest_after(&best, d->bindings[i].not_after, now);
	if (d->not_after != 0)
		earliest_after(&best, d->not_after, now);
	if (fresh && fresh->last_ok > 0 && fresh->offline_grace_s > 0)
		earliest_after(&best, fresh->last_ok + (int64_t)fresh->offline_grace_s, now);
	return best;
}

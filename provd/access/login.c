/* SPDX-License-Identifier: MIT */
/* The decision's inputs from the running state (login.h). */
#include "access/login.h"

#include <stdio.h>
#include <time.h>

#include "store/removed.h"

void login_freshness(const struct prov_state *st, struct decision_freshness *ret)
{
	if (st->cfg.urls.n == 0)
		ret->last_ok = 0;
	else
		ret->last_ok = st->last_ok > 0 ? st->last_ok : 1;
	ret->offline_grace_s = st->cfg.offline_grace_s;
}

void login_host(const struct prov_config *cfg, struct decision_host *ret)
{
	ret->name = cfg->host_name;
	ret->labels = &cfg->host_labels;
	ret->login_groups = &cfg->login_groups;
	ret->sudo_groups = &cfg->sudo_groups;
}

void login_apply_removed(const struct prov_state *st, const char *user, int64_t now, struct decision *d)
{
	const struct removed_user *r;
	char when[32];
	time_t t;
	struct tm tm;

	if (d->decision != PROV_DECIDE_UNKNOWN)
		return;
	r = removed_by_name(st->removed, user, now, st->cfg.deprovisioned_retention_s);
	if (!r)
		return;
	t = (time_t)r->removed_at;
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(when, sizeof(when), "@%lld", (long long)r->removed_at);
	d->decision = PROV_DECIDE_EXPIRED;
	snprintf(d->reason, sizeof(d->reason), "removed from the directory %s", when);
}

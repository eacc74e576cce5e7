/* SPDX-License-Identifier: MIT */
/*
 * The access decision (provd/access/decision.c): every rule of decision.h, the
 * host globs and labels, expiry one second either side, the stale cache
 * (DESIGN invariant 5), deprovisioning (invariant 3) and the sudo group.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "access/decision.h"
#include "model/directory.h"

#define DAY 86400
/* 2026-11-01T00:00:00Z */
#define T_EXPIRY INT64_C(1793491200)
#define NOW (T_EXPIRY - 30 * DAY)

static struct directory *D;
static struct dir_strv host_labels, login_groups, sudo_groups;
static struct decision_host HOST;
static struct decision_freshness FRESH;
/* By default the directory was confirmed a minute before each decision;
 * the tests about staleness pin FRESH themselves with fresh(). */
static bool fresh_follows_clock;

static void fresh(int64_t last_ok, uint32_t grace)
{
	FRESH.last_ok = last_ok;
	FRESH.offline_grace_s = grace;
	fresh_follows_clock = false;
}

static void strv_set(struct dir_strv *sv, const char *csv)
{
	char *copy, *tok, *save = NULL;

	if (!csv)
		return;
	copy = strdup(csv);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		cr_assert_eq(dir_strv_push(sv, tok), 0);
	free(copy);
}

static void user(const char *name, uint32_t uid, uint32_t gid, bool active)
{
	struct dir_user *u = directory_add_user(D);

	cr_assert_not_null(u);
	u->id = strdup(name);
	u->name = strdup(name);
	u->uid = uid;
	u->gid = gid;
	u->gecos = strdup("");
	u->home = strdup("/home/x");
	u->shell = strdup("/bin/sh");
	u->active = active;
}

static void group(const char *name, uint32_t gid, const char *members)
{
	struct dir_group *g = directory_add_group(D);

	cr_assert_not_null(g);
	g->id = strdup(name);
	g->name = strdup(name);
	g->gid = gid;
	strv_set(&g->members, members);
}

static void binding(const char *name, const char *users, const char *groups, const char *hosts,
		    const char *labels, unsigned grants, int64_t not_after)
{
	struct dir_binding *b = directory_add_binding(D);

	cr_assert_not_null(b);
	b->name = strdup(name);
	strv_set(&b->users, users);
	strv_set(&b->groups, groups);
	strv_set(&b->hosts, hosts);
	strv_set(&b->labels, labels);
	b->grants = grants;
	b->not_after = not_after;
}

/*
 * alice  member of ops (listed)           ops-admin: login+sudo on web-*
 * bob    primary gid 30010 = devs         devs-login: login on any host
 * carol  inactive, member of ops
 * dave   named in dave-contract           login until T_EXPIRY on any host
 * erin   member of auditors               auditors-prod: login where env=prod,role=db
 * frank  nothing
 * gina   member of hostlogin              (only provd.conf login_groups)
 * hank   member of hostsudo               (only provd.conf sudo_groups)
 * ivan   named in ivan-sudo (sudo only) and ivan-old (login, expired)
 */
static void setup(void)
{
	D = directory_new();
	cr_assert_not_null(D);
	user("alice", 20001, 20001, true);
	user("bob", 20002, 30010, true);
	user("carol", 20003, 20003, false);
	user("dave", 20004, 20004, true);
	user("erin", 20005, 20005, true);
	user("frank", 20006, 20006, true);
	user("gina", 20007, 20007, true);
	user("hank", 20008, 20008, true);
	user("ivan", 20009, 20009, true);
	group("ops", 30001, "alice,carol");
	group("devs", 30010, NULL);
	group("auditors", 30003, "erin");
	group("hostlogin", 30004, "gina");
	group("hostsudo", 30005, "hank");
	binding("ops-admin", NULL, "ops", "web-*,bastion", NULL, DIR_GRANT_LOGIN | DIR_GRANT_SUDO, 0);
	binding("devs-login", NULL, "devs", NULL, NULL, DIR_GRANT_LOGIN, 0);
	binding("dave-contract", "dave", NULL, "*", NULL, DIR_GRANT_LOGIN, T_EXPIRY);
	binding("auditors-prod", NULL, "auditors", NULL, "env=prod,role=db", DIR_GRANT_LOGIN, 0);
	binding("ivan-sudo", "ivan", NULL, NULL, NULL, DIR_GRANT_SUDO, 0);
	binding("ivan-old", "ivan", NULL, NULL, NULL, DIR_GRANT_LOGIN, T_EXPIRY - 10 * DAY);
	binding("nothing", "frank", NULL, NULL, NULL, 0, 0);
	cr_assert_eq(directory_index(D), 0);

	memset(&HOST, 0, sizeof(HOST));
	HOST.name = "web-1";
	HOST.labels = &host_labels;
	HOST.login_groups = &login_groups;
	HOST.sudo_groups = &sudo_groups;
	FRESH.last_ok = NOW - 60;
	FRESH.offline_grace_s = 7 * DAY;
	fresh_follows_clock = true;
}

static void teardown(void)
{
	directory_free(D);
	dir_strv_free(&host_labels);
	dir_strv_free(&login_groups);
	dir_strv_free(&sudo_groups);
}

static struct decision decide_at(const char *name, int64_t now)
{
	struct decision_request req = { .user = name, .service = "sshd", .rhost = "10.0.0.9", .tty = "ssh",
					.now = now };
	struct decision d;

	if (fresh_follows_clock)
		FRESH.last_ok = now - 60;
	memset(&d, 0xa5, sizeof(d)); /* every field must be written */
	decision_decide(D, &HOST, &FRESH, &req, &d);
	return d;
}

static struct decision decide(const char *name)
{
	return decide_at(name, NOW);
}

TestSuite(decision, .init = setup, .fini = teardown);

Test(decision, unknown_user_is_not_a_prov_user)
{
	struct decision d = decide("root");

	cr_assert_eq(d.decision, PROV_DECIDE_UNKNOWN);
	cr_assert_str_eq(d.reason, "root is not a prov user");
	cr_assert_null(d.user);
	cr_assert_eq(d.grants, 0);
	cr_assert_null(d.login_binding);
}

Test(decision, hostile_unknown_name_is_printable_in_reason)
{
	struct decision d = decide("ev\nil\x1b[31m");

	cr_assert_eq(d.decision, PROV_DECIDE_UNKNOWN);
	cr_assert_str_eq(d.reason, "ev?il?[31m is not a prov user");
}

Test(decision, no_directory_every_user_unknown)
{
	struct decision_request req = { .user = "alice", .now = NOW };
	struct decision d;

	decision_decide(NULL, &HOST, &FRESH, &req, &d);
	cr_assert_eq(d.decision, PROV_DECIDE_UNKNOWN);
}

Test(decision, invariant3_inactive_user_expired)
{
	struct decision d = decide("carol");

	cr_assert_eq(d.decision, PROV_DECIDE_EXPIRED);
	cr_assert_str_eq(d.reason, "account deactivated in the directory");
	cr_assert_eq(d.grants, 0);
	cr_assert_str_eq(d.user->name, "carol");
}

Test(decision, group_granted_by_membership)
{
	struct decision d = decide("alice");

	cr_assert_eq(d.decision, PROV_DECIDE_ALLOW);
	cr_assert_eq(d.grants, DIR_GRANT_LOGIN | DIR_GRANT_SUDO);
	cr_assert_str_eq(d.login_binding, "ops-admin");
	cr_assert_str_eq(d.sudo_binding, "ops-admin");
	cr_assert_str_eq(d.reason, "login granted by ops-admin");
	cr_assert_str_eq(d.user->name, "alice");
}

Test(decision, group_granted_by_primary_gid)
{
	struct decision d = decide("bob");

	cr_assert_eq(d.decision, PROV_DECIDE_ALLOW);
	cr_assert_eq(d.grants, DIR_GRANT_LOGIN);
	cr_assert_str_eq(d.login_binding, "devs-login");
	cr_assert_null(d.sudo_binding);
}

Test(decision, user_granted_by_name)
{
	struct decision d = decide("dave");

	cr_assert_eq(d.decision, PROV_DECIDE_ALLOW);
	cr_assert_str_eq(d.login_binding, "dave-contract");
}

Test(decision, invariant3_expiry_one_second_before_is_allowed)
{
	struct decision d = decide_at("dave", T_EXPIRY - 1);

	cr_assert_eq(d.decision, PROV_DECIDE_ALLOW);
}

Test(decision, invariant3_expiry_at_not_after_is_expired)
{
	struct decision d = decide_at("dave", T_EXPIRY);

	cr_assert_eq(d.decision, PROV_DECIDE_EXPIRED);
	cr_assert_str_eq(d.reason, "grant dave-contract expired 2026-11-01T00:00:00Z");
	cr_assert_str_eq(d.login_binding, "dave-contract");
	cr_assert_eq(d.grants, 0);
}

Test(decision, invariant3_expiry_one_second_after_is_expired)
{
	struct decision d = decide_at("dave", T_EXPIRY + 1);

	cr_assert_eq(d.decision, PROV_DECIDE_EXPIRED);
	cr_assert_str_eq(d.reason, "grant dave-contract expired 2026-11-01T00:00:00Z");
}

Test(decision, expired_grant_on_other_host_is_no_grant)
{
	/* dave-contract matches any host; make one that only matches db-*. */
	binding("erin-db", "erin", NULL, "db-*", NULL, DIR_GRANT_LOGIN, NOW - 1);
	cr_assert_eq(directory_index(D), 0);
	HOST.name = "db-7";
	cr_assert_eq(decide("erin").decision, PROV_DECIDE_EXPIRED);
	HOST.name = "web-1";
	cr_assert_eq(decide("erin").decision, PROV_DECIDE_NO_GRANT);
}

Test(decision, live_grant_wins_over_expired_one)
{
	binding("dave-devs", "dave", NULL, NULL, NULL, DIR_GRANT_LOGIN, 0);
	cr_assert_eq(directory_index(D), 0);
	struct decision d = decide_at("dave", T_EXPIRY + 5);

	cr_assert_eq(d.decision, PROV_DECIDE_ALLOW);
	cr_assert_str_eq(d.login_binding, "dave-devs");
}

Test(decision, latest_expired_grant_is_reported)
{
	binding("dave-later", "dave", NULL, NULL, NULL, DIR_GRANT_LOGIN, T_EXPIRY + DAY);
	binding("dave-earlier", "dave", NULL, NULL, NULL, DIR_GRANT_LOGIN, T_EXPIRY - DAY);
	cr_assert_eq(directory_index(D), 0);
	struct decision d = decide_at("dave", T_EXPIRY + 2 * DAY);

	cr_assert_eq(d.decision, PROV_DECIDE_EXPIRED);
	cr_assert_str_eq(d.reason, "grant dave-later expired 2026-11-02T00:00:00Z");
}

Test(decision, no_grant_reason_names_user_and_host)
{
	struct decision d = decide("frank");

	cr_assert_eq(d.decision, PROV_DECIDE_NO_GRANT);
	cr_assert_str_eq(d.reason, "no login grant for frank on host web-1");
	cr_assert_eq(d.grants, 0);
	cr_assert_null(d.login_binding);
	cr_assert_null(d.sudo_binding);
}

Test(decision, host_glob_matches)
{
	HOST.name = "web-42";
	cr_assert_eq(decide("alice").decision, PROV_DECIDE_ALLOW);
	HOST.name = "bastion";
	cr_assert_eq(decide("alice").decision, PROV_DECIDE_ALLOW);
}

Test(decision, host_glob_does_not_match)
{
	HOST.name = "db-1";
	cr_assert_eq(decide("alice").decision, PROV_DECIDE_NO_GRANT);
	HOST.name = "web";  /* "web-*" needs the dash */
	cr_assert_eq(decide("alice").decision, PROV_DECIDE_NO_GRANT);
	HOST.name = "xweb-1"; /* anchored */
	cr_assert_eq(decide("alice").decision, PROV_DECIDE_NO_GRANT);
	HOST.name = "bastion2";
	cr_assert_eq(decide("alice").decision, PROV_DECIDE_NO_GRANT);
}

Test(decision, empty_host_list_matches_any_host)
{
	HOST.name = "anything.example.com";
	cr_assert_eq(decide("bob").decision, PROV_DECIDE_ALLOW);
}

Test(decision, labels_all_must_match)
{
	strv_set(&host_labels, "role=db,env=prod,zone=a");
	cr_assert_eq(decide("erin").decision, PROV_DECIDE_ALLOW);
}

Test(decision, labels_partial_match_is_no_grant)
{
	strv_set(&host_labels, "env=prod");
	cr_assert_eq(decide("erin").decision, PROV_DECIDE_NO_GRANT);
}

Test(decision, labels_value_must_be_exact)
{
	strv_set(&host_labels, "env=production,role=db");
	cr_assert_eq(decide("erin").decision, PROV_DECIDE_NO_GRANT);
}

Test(decision, labels_none_on_host_is_no_grant)
{
	HOST.labels = NULL;
	cr_assert_eq(decide("erin").decision, PROV_DECIDE_NO_GRANT);
	/* A binding without labels still matches a host without labels. */
	cr_assert_eq(decide("bob").decision, PROV_DECIDE_ALLOW);
}

Test(decision, invariant5_within_offline_grace_allowed)
{
	fresh(NOW - 7 * DAY + 1, 7 * DAY);
	cr_assert_eq(decide("alice").decision, PROV_DECIDE_ALLOW);
}

Test(decision, invariant5_stale_cache_denied_with_reason)
{
	fresh(NOW - 8 * DAY, 7 * DAY);
	struct decision d = decide("alice");

	cr_assert_eq(d.decision, PROV_DECIDE_STALE);
	cr_assert_str_eq(d.reason, "directory not refreshed for 8d (offline_grace 7d)");
	cr_assert_eq(d.grants, 0);
}

Test(decision, invariant5_stale_exactly_at_grace)
{
	fresh(NOW - 7 * DAY, 7 * DAY);
	cr_assert_eq(decide("alice").decision, PROV_DECIDE_STALE);
}

Test(decision, stale_reason_shows_every_unit)
{
	fresh(NOW - (8 * DAY + 2 * 3600 + 5), 36 * 3600);
	struct decision d = decide("alice");

	cr_assert_str_eq(d.reason, "directory not refreshed for 8d 2h 5s (offline_grace 1d 12h)");
}

Test(decision, untracked_freshness_is_never_stale)
{
	fresh(0, 7 * DAY);
	cr_assert_eq(decide("alice").decision, PROV_DECIDE_ALLOW);
	fresh(NOW - 100 * DAY, 0);
	cr_assert_eq(decide("alice").decision, PROV_DECIDE_ALLOW);
}

Test(decision, clock_stepped_back_is_not_stale)
{
	fresh(NOW + DAY, 7 * DAY);
	cr_assert_eq(decide("alice").decision, PROV_DECIDE_ALLOW);
}

Test(decision, document_not_after_makes_it_stale)
{
	D->not_after = NOW;
	struct decision d = decide("alice");

	cr_assert_eq(d.decision, PROV_DECIDE_STALE);
	cr_assert_str_eq(d.reason, "directory document expired 2026-10-02T00:00:00Z");
	D->not_after = NOW + 1;
	cr_assert_eq(decide("alice").decision, PROV_DECIDE_ALLOW);
}

Test(decision, stale_keeps_unknown_and_inactive_answers)
{
	fresh(NOW - 30 * DAY, 7 * DAY);
	cr_assert_eq(decide("root").decision, PROV_DECIDE_UNKNOWN);
	cr_assert_eq(decide("carol").decision, PROV_DECIDE_EXPIRED);
}

Test(decision, host_config_login_groups)
{
	cr_assert_eq(decide("gina").decision, PROV_DECIDE_NO_GRANT);
	strv_set(&login_groups, "nosuchgroup,hostlogin");
	struct decision d = decide("gina");

	cr_assert_eq(d.decision, PROV_DECIDE_ALLOW);
	cr_assert_eq(d.grants, DIR_GRANT_LOGIN);
	cr_assert_str_eq(d.login_binding, DECISION_HOST_LOGIN_BINDING);
	cr_assert_str_eq(d.reason, "login granted by provd.conf login_groups");
}

Test(decision, host_config_login_groups_by_primary_gid)
{
	strv_set(&login_groups, "devs");
	HOST.name = "db-1";
	cr_assert_eq(decide("bob").decision, PROV_DECIDE_ALLOW);
}

Test(decision, host_config_sudo_groups_alone_do_not_admit)
{
	strv_set(&sudo_groups, "hostsudo");
	struct decision d = decide("hank");

	cr_assert_eq(d.decision, PROV_DECIDE_NO_GRANT);
	cr_assert_eq(d.grants, 0);
	cr_assert_null(d.sudo_binding);
}

Test(decision, host_config_sudo_groups_with_login)
{
	strv_set(&sudo_groups, "hostsudo");
	strv_set(&login_groups, "hostsudo");
	struct decision d = decide("hank");

	cr_assert_eq(d.decision, PROV_DECIDE_ALLOW);
	cr_assert_eq(d.grants, DIR_GRANT_LOGIN | DIR_GRANT_SUDO);
	cr_assert_str_eq(d.login_binding, DECISION_HOST_LOGIN_BINDING);
	cr_assert_str_eq(d.sudo_binding, DECISION_HOST_SUDO_BINDING);
}

Test(decision, host_config_adds_sudo_to_directory_login)
{
	strv_set(&sudo_groups, "devs");
	struct decision d = decide("bob");

	cr_assert_eq(d.grants, DIR_GRANT_LOGIN | DIR_GRANT_SUDO);
	cr_assert_str_eq(d.login_binding, "devs-login");
	cr_assert_str_eq(d.sudo_binding, DECISION_HOST_SUDO_BINDING);
}

Test(decision, sudo_only_binding_with_expired_login_is_expired)
{
	struct decision d = decide_at("ivan", T_EXPIRY - 10 * DAY);

	cr_assert_eq(decide("ivan").decision, PROV_DECIDE_ALLOW);
	cr_assert_eq(d.decision, PROV_DECIDE_EXPIRED);
	cr_assert_str_eq(d.reason, "grant ivan-old expired 2026-10-22T00:00:00Z");
	cr_assert_eq(d.grants, 0);
}

Test(decision, binding_without_grants_gives_nothing)
{
	cr_assert_eq(decide("frank").decision, PROV_DECIDE_NO_GRANT);
}

Test(decision, inactive_user_never_granted_by_host_config)
{
	strv_set(&login_groups, "ops");
	cr_assert_eq(decide("carol").decision, PROV_DECIDE_EXPIRED);
}

Test(decision, reason_fits_and_is_terminated)
{
	char longhost[400];

	memset(longhost, 'h', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = '\0';
	HOST.name = longhost;
	struct decision d = decide("frank");

	cr_assert_eq(d.decision, PROV_DECIDE_NO_GRANT);
	cr_assert_leq(strlen(d.reason), PROV_REASON_MAX);
	cr_assert(strncmp(d.reason, "no login grant for frank on host hhh", 36) == 0);
}

static void assert_members(const struct dir_strv *sv, int n, ...)
{
	va_list ap;
	int i;

	cr_assert_eq(sv->n, (size_t)n, "expected %d members, got %zu", n, sv->n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		cr_assert_str_eq(sv->v[i], va_arg(ap, const char *));
	va_end(ap);
}

Test(decision, sudo_members_now)
{
	struct dir_strv m = { NULL, 0 };

	cr_assert_eq(decision_sudo_members(D, &HOST, &FRESH, NOW, &m), 0);
	/* alice via ops-admin on web-*; carol is in ops but inactive; ivan
	 * has a sudo-only grant (he cannot log in, but the group is exact). */
	assert_members(&m, 2, "alice", "ivan");
	dir_strv_free(&m);
}

Test(decision, sudo_members_follow_host_and_config)
{
	struct dir_strv m = { NULL, 0 };

	HOST.name = "db-1";
	strv_set(&sudo_groups, "hostsudo,devs");
	cr_assert_eq(decision_sudo_members(D, &HOST, &FRESH, NOW, &m), 0);
	assert_members(&m, 3, "bob", "hank", "ivan");
	dir_strv_free(&m);
}

Test(decision, invariant3_sudo_gone_when_grant_expires)
{
	struct dir_strv m = { NULL, 0 };

	binding("dave-sudo", "dave", NULL, NULL, NULL, DIR_GRANT_SUDO, T_EXPIRY);
	cr_assert_eq(directory_index(D), 0);
	fresh(T_EXPIRY - 60, 7 * DAY);
	cr_assert_eq(decision_sudo_members(D, &HOST, &FRESH, T_EXPIRY - 1, &m), 0);
	assert_members(&m, 3, "alice", "dave", "ivan");
	dir_strv_free(&m);
	cr_assert_eq(decision_sudo_members(D, &HOST, &FRESH, T_EXPIRY, &m), 0);
	assert_members(&m, 2, "alice", "ivan");
	dir_strv_free(&m);
}

Test(decision, invariant5_sudo_empty_when_stale)
{
	struct dir_strv m = { NULL, 0 };

	fresh(NOW - 8 * DAY, 7 * DAY);
	cr_assert_eq(decision_sudo_members(D, &HOST, &FRESH, NOW, &m), 0);
	cr_assert_eq(m.n, 0);
	cr_assert_null(m.v);
	cr_assert_eq(decision_sudo_members(NULL, &HOST, &FRESH, NOW, &m), 0);
	cr_assert_eq(m.n, 0);
}

Test(decision, next_change_is_earliest_future_instant)
{
	/* bindings expire at T_EXPIRY and T_EXPIRY-10d; grace ends NOW-60+7d */
	fresh(NOW - 60, 7 * DAY);
	cr_assert_eq(decision_next_change(D, &FRESH, NOW), NOW - 60 + 7 * DAY);
	fresh(0, 7 * DAY);
	cr_assert_eq(decision_next_change(D, &FRESH, NOW), T_EXPIRY - 10 * DAY);
	cr_assert_eq(decision_next_change(D, &FRESH, T_EXPIRY - 10 * DAY), T_EXPIRY);
	D->not_after = T_EXPIRY - 1;
	cr_assert_eq(decision_next_change(D, &FRESH, T_EXPIRY - 10 * DAY), T_EXPIRY - 1);
	cr_assert_eq(decision_next_change(D, &FRESH, T_EXPIRY), 0);
	cr_assert_eq(decision_next_change(NULL, &FRESH, NOW), 0);
}

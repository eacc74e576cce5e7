/* SPDX-License-Identifier: MIT */
/*
 * provd/admit/admit.c: DESIGN invariants 1 (local accounts win, reserved ids are
 * never served) and 2 (hostile data never reaches a consumer). Every hostile
 * entry must be ABSENT from the admitted snapshot AND recorded in d->refused
 * with its reason, while the good entries next to it are still served.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit/admit.h"
#include "prov/protocol.h"
#include "source/docparse.h"
#include "admit/localdb.h"
#include "validate.h"

#define LOCAL FIXTURES_DIR "/local/"

static struct localdb *local;
static struct dir_strv shells;
static struct admit_policy policy;

static void setup(void)
{
	char err[256] = "";

	cr_assert_eq(localdb_load(LOCAL "passwd", LOCAL "group", &local, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(shells_load(LOCAL "shells", &shells), 0);
	policy = (struct admit_policy){
		.min_id = 1000,
		.max_id = 2147483647,
		.home_base = "/home",
		.default_shell = "/bin/bash",
		.shells = &shells,
		.local = local,
	};
}

static void teardown(void)
{
	localdb_free(local);
	dir_strv_free(&shells);
}

TestSuite(admit, .init = setup, .fini = teardown);

static char *slurp(const char *rel, size_t *ret_len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES_DIR, rel);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "fixture %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*ret_len = (size_t)n;
	return buf;
}

static struct directory *parse_buf(const char *buf, size_t len)
{
	struct directory *d = NULL;
	char err[256] = "";

	cr_assert_eq(docparse(buf, len, &d, err, sizeof(err)), 0, "%s", err);
	return d;
}

static struct directory *admit_parsed(struct directory *d)
{
	cr_assert_eq(admit_directory(d, &policy), 0);
	cr_assert_eq(directory_index(d), 0);
	return d;
}

static struct directory *admit_fixture(const char *rel)
{
	size_t len;
	char *buf = slurp(rel, &len);
	struct directory *d = parse_buf(buf, len);

	free(buf);
	return admit_parsed(d);
}

static struct directory *admit_str(const char *json)
{
	return admit_parsed(parse_buf(json, strlen(json)));
}

static bool has_user_named(const struct directory *d, const char *name)
{
	for (size_t i = 0; i < d->n_users; i++)
		if (strcmp(d->users[i].name, name) == 0)
			return true;
	return false;
}

static bool has_group_named(const struct directory *d, const char *name)
{
	for (size_t i = 0; i < d->n_groups; i++)
		if (strcmp(d->groups[i].name, name) == 0)
			return true;
	return false;
}

static const struct dir_binding *binding_named(const struct directory *d, const char *name)
{
	for (size_t i = 0; i < d->n_bindings; i++)
		if (strcmp(d->bindings[i].name, name) == 0)
			return &d->bindings[i];
	return NULL;
}

static const struct dir_refusal *find_record(const struct directory *d, enum dir_entry_kind kind, const char *name,
					     bool corrected)
{
	for (size_t i = 0; i < d->n_refused; i++) {
		const struct dir_refusal *r = &d->refused[i];

		if (r->kind == kind && r->corrected == corrected && strcmp(r->name, name) == 0)
			return r;
	}
	return NULL;
}

/* Refused: absent (by a scan, not only the exact index) and on record. */
static void expect_user_refused(const struct directory *d, const char *name, const char *logname, const char *part)
{
	const struct dir_refusal *r = find_record(d, DIR_KIND_USER, logname, false);

	cr_expect_not(has_user_named(d, name), "user %s is served", logname);
	cr_expect_null(directory_user_by_name(d, name), "user %s is indexed", logname);
	cr_expect_not_null(r, "no refusal recorded for user %s", logname);
	if (r)
		cr_expect(strstr(r->reason, part) != NULL, "user %s: reason \"%s\" lacks \"%s\"", logname, r->reason,
			  part);
}

static void expect_group_refused(const struct directory *d, const char *name, const char *part)
{
	const struct dir_refusal *r = find_record(d, DIR_KIND_GROUP, name, false);

	cr_expect_not(has_group_named(d, name), "group %s is served", name);
	cr_expect_not_null(r, "no refusal recorded for group %s", name);
	if (r)
		cr_expect(strstr(r->reason, part) != NULL, "group %s: reason \"%s\" lacks \"%s\"", name, r->reason,
			  part);
}

static void expect_binding_refused(const struct directory *d, const char *name, const char *part)
{
	const struct dir_refusal *r = find_record(d, DIR_KIND_BINDING, name, false);

	cr_expect_null(binding_named(d, name), "binding %s is served", name);
	cr_expect_not_null(r, "no refusal recorded for binding %s", name);
	if (r)
		cr_expect(strstr(r->reason, part) != NULL, "binding %s: reason \"%s\" lacks \"%s\"", name, r->reason,
			  part);
}

static bool any_reason(const struct directory *d, const char *part)
{
	for (size_t i = 0; i < d->n_refused; i++)
		if (strstr(d->refused[i].reason, part))
			return true;
	return false;
}

/* The snapshot as served: every string set, every field valid. */
static void expect_all_safe(const struct directory *d)
{
	for (size_t i = 0; i < d->n_users; i++) {
		const struct dir_user *u = &d->users[i];

		cr_assert(u->id && u->name && u->gecos && u->home && u->shell, "user %zu has a NULL string", i);
		cr_expect_null(validate_name(u->name), "%s", u->name);
		cr_expect_null(validate_gecos(u->gecos), "%s", u->name);
		cr_expect_null(validate_home(u->home, "/home"), "%s", u->name);
		cr_expect_null(validate_path(u->shell), "%s", u->name);
		cr_expect(u->uid >= 1000 && u->uid != 65534 && u->uid != 65535 && u->uid <= 2147483647);
		cr_expect_not(localdb_has_uid(local, u->uid), "%s", u->name);
		cr_expect_not(localdb_has_gid(local, u->gid), "%s", u->name);
		cr_expect_not(localdb_has_user_nocase(local, u->name), "%s", u->name);
	}
	for (size_t i = 0; i < d->n_groups; i++) {
		const struct dir_group *g = &d->groups[i];

		cr_assert(g->id && g->name, "group %zu has a NULL string", i);
		cr_expect_null(validate_name(g->name), "%s", g->name);
		cr_expect_not(localdb_has_gid(local, g->gid), "%s", g->name);
		cr_expect_not(localdb_has_group_nocase(local, g->name), "%s", g->name);
		for (size_t k = 0; k < g->members.n; k++)
			cr_expect_not_null(directory_user_by_name(d, g->members.v[k]), "%s: member %s", g->name,
					   g->members.v[k]);
	}
	for (size_t i = 0; i < d->n_bindings; i++) {
		const struct dir_binding *b = &d->bindings[i];

		cr_assert_not_null(b->name);
		cr_expect(b->users.n + b->groups.n > 0, "%s has no subject", b->name);
	}
}

Test(admit, invariant2_good_neighbours_are_served)
{
	struct directory *d = admit_fixture("docs/hostile_users.json");
	const struct dir_user *u;

	u = directory_user_by_name(d, "alice");
	cr_assert_not_null(u);
	cr_expect_eq(u->uid, 20001);
	cr_expect_str_eq(u->gecos, "Alice Liddell,,,");
	cr_expect_str_eq(u->home, "/home/alice");
	cr_expect_str_eq(u->shell, "/bin/bash");
	u = directory_user_by_name(d, "bob");
	cr_assert_not_null(u);
	cr_expect_str_eq(u->gecos, "R&D / Ops, room 2/14", "'/' is fine in gecos");
	cr_expect_str_eq(u->home, "/home/bob", "default home_base/name");
	cr_expect_str_eq(u->shell, "/bin/bash", "default shell");
	cr_expect_str_eq(u->id, "bob");
	u = directory_user_by_name(d, "Upper");
	cr_assert_not_null(u, "upper case is allowed when it has no twin");
	cr_expect_str_eq(u->gecos, "", "absent gecos is \"\", never NULL");
	expect_all_safe(d);
	directory_free(d);
}

Test(admit, invariant2_hostile_names_refused)
{
	struct directory *d = admit_fixture("docs/hostile_users.json");

	expect_user_refused(d, "col:on", "col:on", "name contains ':'");
	expect_user_refused(d, "new\nline", "new?line", "name contains a newline");
	expect_user_refused(d, "sl/ash", "sl/ash", "name contains '/'");
	expect_user_refused(d, "", "", "name is empty");
	expect_user_refused(d, "tab\tname", "tab?name", "name contains a control character");
	expect_user_refused(d, "sp ace", "sp ace", "name contains a space");
	expect_user_refused(d, "-dash", "-dash", "name starts with '-'");
	expect_user_refused(d, ".dot", ".dot", "name starts with '.'");
	/* NUL in a name cannot even become a C string: the parser refuses
	 * the entry under its position. */
	cr_expect(any_reason(d, "\"name\" contains a NUL byte"));
	cr_expect_null(directory_user_by_uid(d, 20113));
	directory_free(d);
}

Test(admit, invariant2_numeric_looking_names_refused)
{
	struct directory *d = admit_fixture("docs/hostile_users.json");

	/* chown/id/find take these for numbers: refused, as Debian does. */
	expect_user_refused(d, "0", "0", "name starts with a digit");
	expect_user_refused(d, "0day", "0day", "name starts with a digit");
	expect_user_refused(d, "0x0", "0x0", "name starts with a digit");
	directory_free(d);
}

Test(admit, invariant2_case_twins_both_refused)
{
	struct directory *d = admit_fixture("docs/hostile_users.json");

	expect_user_refused(d, "Carol", "Carol", "name is also another entry's (compared ignoring case)");
	expect_user_refused(d, "carol", "carol", "name is also another entry's (compared ignoring case)");
	directory_free(d);
}

Test(admit, invariant2_bad_homes_refused)
{
	struct directory *d = admit_fixture("docs/hostile_users.json");

	expect_user_refused(d, "dotdot", "dotdot", "home contains a '..' component");
	expect_user_refused(d, "emptyhome", "emptyhome", "home is empty");
	expect_user_refused(d, "relhome", "relhome", "home is not an absolute path");
	expect_user_refused(d, "roothome", "roothome", "home is /");
	expect_user_refused(d, "basehome", "basehome", "home is home_base itself");
	expect_user_refused(d, "outside", "outside", "home is not under home_base");
	expect_user_refused(d, "trailing", "trailing", "home ends with '/'");
	expect_user_refused(d, "localhome", "localhome", "home is a local account's home");
	expect_user_refused(d, "homeA", "homeA", "home is also another entry's");
	expect_user_refused(d, "homeB", "homeB", "home is also another entry's");
	directory_free(d);
}

Test(admit, invariant2_shells)
{
	struct directory *d = admit_fixture("docs/hostile_users.json");
	const struct dir_refusal *note;

	/* Not in /etc/shells: served with the default shell, and noted. */
	cr_assert_not_null(directory_user_by_name(d, "zsh_user"));
	cr_expect_str_eq(directory_user_by_name(d, "zsh_user")->shell, "/bin/bash");
	note = find_record(d, DIR_KIND_USER, "zsh_user", true);
	cr_assert_not_null(note);
	cr_expect_str_eq(note->reason, "shell /bin/zsh is not in /etc/shells: serving /bin/bash");
	/* The fallback never grants a shell the directory meant to refuse. */
	cr_expect_str_eq(directory_user_by_name(d, "false_user")->shell, "/usr/sbin/nologin");
	cr_expect_str_eq(directory_user_by_name(d, "inactive")->shell, "/usr/sbin/nologin");
	cr_expect_not(directory_user_by_name(d, "inactive")->active);
	cr_expect_str_eq(directory_user_by_name(d, "dash_user")->shell, "/bin/dash", "listed: served as given");
	/* Not a clean path at all: hostile, the user is refused. */
	expect_user_refused(d, "nlshell", "nlshell", "shell contains a newline");
	expect_user_refused(d, "relshell", "relshell", "shell is not an absolute path");
	expect_user_refused(d, "dotshell", "dotshell", "shell contains a '..' component");
	directory_free(d);
}

Test(admit, invariant1_reserved_and_out_of_range_uids_refused)
{
	struct directory *d = admit_fixture("docs/hostile_users.json");

	expect_user_refused(d, "uid0", "uid0", "uid 0 is reserved (root)");
	expect_user_refused(d, "uid999", "uid999", "uid 999 is below min_id 1000");
	expect_user_refused(d, "uid65534", "uid65534", "uid 65534 is reserved (nobody)");
	expect_user_refused(d, "uid65535", "uid65535", "uid 65535 is reserved");
	expect_user_refused(d, "uidmax", "uidmax", "uid 4294967295 is reserved ((uid_t)-1)");
	expect_user_refused(d, "uidbig", "uidbig", "uid 2147483648 is above max_id 2147483647");
	expect_user_refused(d, "uidneg", "uidneg", "\"uid\" is negative");
	expect_user_refused(d, "uidfloat", "uidfloat", "\"uid\" must be an integer, not a fraction");
	expect_user_refused(d, "uidstr", "uidstr", "\"uid\" must be an integer, not a string");
	expect_user_refused(d, "gid0", "gid0", "gid 0 is reserved (root)");
	expect_user_refused(d, "gid65534", "gid65534", "gid 65534 is reserved (nobody)");
	cr_expect_null(directory_user_by_uid(d, 0));
	cr_expect_null(directory_user_by_uid(d, 65534));
	cr_expect_null(directory_user_by_uid(d, 4294967295u));
	directory_free(d);
}

Test(admit, invariant1_local_accounts_win)
{
	struct directory *d = admit_fixture("docs/hostile_users.json");

	expect_user_refused(d, "root", "root", "name is a local account's");
	expect_user_refused(d, "Root", "Root", "name is a local account's (compared ignoring case)");
	expect_user_refused(d, "localadmin", "localadmin", "name is a local account's");
	expect_user_refused(d, "LocalAdmin", "LocalAdmin", "name is a local account's");
	expect_user_refused(d, "sudo", "sudo", "name is a local group's");
	expect_user_refused(d, "adm", "adm", "name is a local group's");
	expect_user_refused(d, "docker", "docker", "name is a local group's");
	expect_user_refused(d, "uidlocal", "uidlocal", "uid 21000 exists in the local passwd file");
	expect_user_refused(d, "gidlocal", "gidlocal", "gid 25000 exists in the local group file");
	cr_expect_null(directory_user_by_uid(d, 21000));
	directory_free(d);
}

Test(admit, invariant2_duplicates_all_refused)
{
	struct directory *d = admit_fixture("docs/hostile_users.json");
	size_t dup_refusals = 0;

	for (size_t i = 0; i < d->n_refused; i++)
		if (strcmp(d->refused[i].name, "dup") == 0 && !d->refused[i].corrected)
			dup_refusals++;
	cr_expect_eq(dup_refusals, 2, "both \"dup\" entries refused, not first-wins");
	cr_expect_not(has_user_named(d, "dup"));
	cr_expect_null(directory_user_by_uid(d, 20150));
	cr_expect_null(directory_user_by_uid(d, 20151));
	expect_user_refused(d, "uidtwin1", "uidtwin1", "uid 20160 is also another entry's");
	expect_user_refused(d, "uidtwin2", "uidtwin2", "uid 20160 is also another entry's");
	expect_user_refused(d, "idtwin1", "idtwin1", "id is also another entry's");
	expect_user_refused(d, "idtwin2", "idtwin2", "id is also another entry's");
	expect_user_refused(d, "badid", "badid", "id contains a space");
	directory_free(d);
}

Test(admit, invariant2_hostile_gecos_refused)
{
	struct directory *d = admit_fixture("docs/hostile_users.json");

	expect_user_refused(d, "gecoscolon", "gecoscolon", "gecos contains ':'");
	expect_user_refused(d, "gecosnl", "gecosnl", "gecos contains a newline");
	expect_user_refused(d, "gecosbig", "gecosbig", "gecos is longer than 256 bytes");
	expect_user_refused(d, "gecosnul", "gecosnul", "\"gecos\" contains a NUL byte");
	expect_user_refused(d, "gecosesc", "gecosesc", "gecos contains a control character");
	expect_user_refused(d, "gecosbidi", "gecosbidi", "gecos contains a bidirectional control character");
	expect_user_refused(d, "gecosutf8", "gecosutf8", "gecos is not valid UTF-8");
	directory_free(d);
}

Test(admit, invariant2_bad_ssh_keys_dropped_user_kept)
{
	struct directory *d = admit_fixture("docs/hostile_users.json");
	const struct dir_user *u = directory_user_by_name(d, "alice");

	cr_assert_not_null(u);
	cr_assert_eq(u->ssh_keys.n, 1, "only the clean key is kept");
	cr_expect_str_eq(u->ssh_keys.v[0], "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGdvb2Rnb29kZ29vZGdvb2Rnb29kZ29vZGdvb2Rnb29k alice@a");
	cr_expect(any_reason(d, "ssh_keys[1] contains a control character or a non-ASCII byte: dropped"));
	cr_expect(any_reason(d, "ssh_keys[2] is empty: dropped"));
	/* issue 9 §5: keys are keys, options are refused by default */
	cr_expect(any_reason(d, "ssh_keys[3] has options (refused: [login] key_options = none): dropped"));
	cr_expect(any_reason(d, "ssh_keys[4] has options (refused: [login] key_options = none): dropped"));
	cr_expect(any_reason(d, "ssh_keys[5] has an unknown or unsupported key type: dropped"));
	directory_free(d);
}

Test(admit, invariant2_result_does_not_depend_on_order)
{
	size_t len;
	char *buf = slurp("docs/hostile_users.json", &len);
	struct directory *a = parse_buf(buf, len), *b = parse_buf(buf, len);

	free(buf);
	/* Reverse b's users before admission. */
	for (size_t i = 0, j = b->n_users - 1; i < j; i++, j--) {
		struct dir_user t = b->users[i];

		b->users[i] = b->users[j];
		b->users[j] = t;
	}
	admit_parsed(a);
	admit_parsed(b);
	cr_assert_eq(a->n_users, b->n_users);
	for (size_t i = 0; i < a->n_users; i++)
		cr_expect_not_null(directory_user_by_name(b, a->users[i].name), "%s", a->users[i].name);
	directory_free(a);
	directory_free(b);
}

Test(admit, invariant1_exact_served_set)
{
	struct directory *d = admit_fixture("docs/hostile_users.json");
	static const char *const served[] = { "alice", "bob", "zsh_user", "false_user", "inactive", "dash_user", "Upper" };

	cr_expect_eq(d->n_users, sizeof(served) / sizeof(served[0]), "served %zu users", d->n_users);
	for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++)
		cr_expect(has_user_named(d, served[i]), "%s", served[i]);
	directory_free(d);
}

Test(admit, invariant1_groups)
{
	struct directory *d = admit_fixture("docs/hostile_groups.json");
	const struct dir_group *g;
	const struct dir_refusal *note;

	cr_expect_not_null(directory_group_by_name(d, "alice"), "alice's private group");
	g = directory_group_by_name(d, "ops");
	cr_assert_not_null(g);
	cr_assert_eq(g->members.n, 2, "root, ghost, Alice and the second alice dropped");
	cr_expect_str_eq(g->members.v[0], "alice");
	cr_expect_str_eq(g->members.v[1], "bob");
	note = find_record(d, DIR_KIND_GROUP, "ops", true);
	cr_assert_not_null(note);
	cr_expect_str_eq(note->reason, "3 member(s) dropped: not served prov users (first: root)");
	cr_expect_not_null(directory_group_by_name(d, "devs"));
	cr_expect_not_null(directory_group_by_name(d, "erin"), "erin's private group (gid 30050)");

	expect_group_refused(d, "sudo", "name is a local group's");
	expect_group_refused(d, "Docker", "name is a local group's (compared ignoring case)");
	expect_group_refused(d, "localadmin", "name is a local account's");
	expect_group_refused(d, "svc-backup", "name is a local account's");
	expect_group_refused(d, "gid0", "gid 0 is reserved (root)");
	expect_group_refused(d, "gid27", "gid 27 is below min_id 1000");
	expect_group_refused(d, "gidlocal", "gid 25000 exists in the local group file");
	expect_group_refused(d, "gid65534", "gid 65534 is reserved");
	expect_group_refused(d, "gidmax", "gid 4294967295 is reserved");
	expect_group_refused(d, "gidbig", "gid 2147483648 is above max_id");
	expect_group_refused(d, "dev", "name is also another entry's (compared ignoring case)");
	expect_group_refused(d, "Dev", "name is also another entry's (compared ignoring case)");
	expect_group_refused(d, "gidtwin1", "gid 30020 is also another entry's");
	expect_group_refused(d, "gidtwin2", "gid 30020 is also another entry's");
	expect_group_refused(d, "idtwin1", "id is also another entry's");
	expect_group_refused(d, "bob", "name is user bob's, but gid 30099 is not the user's primary gid 20002");
	expect_group_refused(d, "Bob", "name differs only in case from user bob's");
	expect_group_refused(d, "toor", "name is a refused user's");
	expect_group_refused(d, "col:on", "name contains ':'");
	cr_expect_null(directory_group_by_gid(d, 0));
	cr_expect_null(directory_group_by_gid(d, 25000));
	expect_all_safe(d);

	/* initgroups data: alice is in ops; bob in ops and devs. */
	cr_assert_eq(directory_user_by_name(d, "alice")->n_member_gids, 1);
	cr_expect_eq(directory_user_by_name(d, "alice")->member_gids[0], 30002);
	cr_assert_eq(directory_user_by_name(d, "bob")->n_member_gids, 2);
	directory_free(d);
}

Test(admit, big_group_is_served_whole)
{
	/* Issue 9 §6: a 50,000-member group was refused whole (its members
	 * silently lost what it grants). Now it is served with all of them. */
	size_t n = 50000, cap = n * 48 + 256, off;
	char *buf = malloc(cap);
	struct directory *d;
	const struct dir_group *g;

	cr_assert_not_null(buf);
	off = (size_t)snprintf(buf, cap, "{\"prov_directory\":1,\"serial\":1,\"users\":[");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, cap - off, "%s{\"name\":\"u%zu\",\"uid\":%zu}", i ? "," : "", i,
					100000 + i);
	off += (size_t)snprintf(buf + off, cap - off, "],\"groups\":[{\"name\":\"all\",\"gid\":30001,\"members\":[");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, cap - off, "%s\"u%zu\"", i ? "," : "", i);
	off += (size_t)snprintf(buf + off, cap - off, "]}]}");
	cr_assert_lt(off, cap);
	d = admit_parsed(parse_buf(buf, off));
	free(buf);
	g = directory_group_by_name(d, "all");
	cr_assert_not_null(g);
	cr_expect_eq(g->members.n, n);
	cr_expect_eq(d->n_refused, 0);
	directory_free(d);
}

Test(admit, group_over_the_member_limit_is_an_error_not_a_drop)
{
	struct directory *d = directory_new();
	struct dir_group *g = directory_add_group(d);

	g->id = strdup("g");
	g->name = strdup("huge");
	g->gid = 30001;
	for (size_t i = 0; i <= PROV_GROUP_MEMBERS_MAX; i++)
		cr_assert_eq(dir_strv_push(&g->members, "x"), 0);
	cr_expect_eq(admit_directory(d, &policy), -E2BIG);
	directory_free(d);
}

Test(admit, bindings)
{
	struct directory *d = admit_fixture("docs/hostile_bindings.json");
	const struct dir_binding *b;
	const struct dir_refusal *note;

	b = binding_named(d, "ok-ops");
	cr_assert_not_null(b);
	cr_expect_eq(b->groups.n, 1);
	cr_expect_eq(b->grants, DIR_GRANT_LOGIN);
	b = binding_named(d, "some-unknown");
	cr_assert_not_null(b);
	cr_assert_eq(b->users.n, 1);
	cr_expect_str_eq(b->users.v[0], "alice");
	cr_expect_eq(b->groups.n, 0, "local group sudo is not a prov group");
	note = find_record(d, DIR_KIND_BINDING, "some-unknown", true);
	cr_assert_not_null(note);
	cr_expect_str_eq(note->reason, "2 user(s) and 1 group(s) dropped: not served by prov (first: ghost)");

	expect_binding_refused(d, "only-unknown", "no served user or group left");
	expect_binding_refused(d, "case-user", "no served user or group left");
	expect_binding_refused(d, "no-subject", "names no users and no groups");
	expect_binding_refused(d, "empty-host", "hosts[0] is empty");
	expect_binding_refused(d, "space-host", "hosts[0] contains a space");
	expect_binding_refused(d, "nl-host", "hosts[0] contains a space, a control character");
	expect_binding_refused(d, "bad-label", "labels[0] is not key=value");
	expect_binding_refused(d, "empty-key", "labels[0] is not key=value");
	expect_binding_refused(d, "twin", "name is also another entry's");
	expect_binding_refused(d, "bad name", "name contains a space");
	cr_expect_eq(d->n_bindings, 2);
	expect_all_safe(d);
	directory_free(d);
}

Test(admit, min_and_max_id_from_policy)
{
	struct directory *d;

	policy.min_id = 20002;
	policy.max_id = 20003;
	d = admit_str("{\"prov_directory\":1,\"serial\":1,\"users\":["
		      "{\"name\":\"a\",\"uid\":20001},{\"name\":\"b\",\"uid\":20002},"
		      "{\"name\":\"c\",\"uid\":20003},{\"name\":\"e\",\"uid\":20004}]}");
	expect_user_refused(d, "a", "a", "uid 20001 is below min_id 20002");
	expect_user_refused(d, "e", "e", "uid 20004 is above max_id 20003");
	cr_expect(has_user_named(d, "b"));
	cr_expect(has_user_named(d, "c"));
	directory_free(d);
}

Test(admit, invalid_policy)
{
	static const char doc[] = "{\"prov_directory\":1,\"serial\":1}";
	struct directory *d = parse_buf(doc, strlen(doc));
	struct admit_policy p = policy;

	p.home_base = "/";
	cr_expect_eq(admit_directory(d, &p), -EINVAL, "home_base / would allow /etc");
	p = policy;
	p.home_base = "home";
	cr_expect_eq(admit_directory(d, &p), -EINVAL);
	p = policy;
	p.default_shell = NULL;
	cr_expect_eq(admit_directory(d, &p), -EINVAL);
	p = policy;
	p.local = NULL;
	cr_expect_eq(admit_directory(d, &p), -EINVAL);
	directory_free(d);
}

Test(admit, no_shells_list_means_default_for_all)
{
	struct directory *d;

	policy.shells = NULL;
	d = admit_str("{\"prov_directory\":1,\"serial\":1,\"users\":["
		      "{\"name\":\"a\",\"uid\":20001,\"shell\":\"/bin/dash\"}]}");
	cr_assert_eq(d->n_users, 1);
	cr_expect_str_eq(d->users[0].shell, "/bin/bash");
	cr_expect_not_null(find_record(d, DIR_KIND_USER, "a", true));
	directory_free(d);
}

/* ---- issue 9 §3 / DESIGN invariant 13: an established entry stays ---- */

#define DOC_HEAD "{\"prov_directory\":1,\"serial\":1,\"users\":["

static const struct dir_refusal *record_of(const struct directory *d, enum dir_entry_kind kind, const char *name)
{
	for (size_t i = 0; i < d->n_refused; i++)
		if (d->refused[i].kind == kind && strcmp(d->refused[i].name, name) == 0)
			return &d->refused[i];
	return NULL;
}

/* Admits json with policy.prev = prev (and the ledger entries given). */
static struct directory *admit_after(const struct directory *prev, const struct prior_entry *known, size_t n_known,
				     const char *json)
{
	struct directory *d;

	policy.prev = prev;
	policy.known = known;
	policy.n_known = n_known;
	d = admit_str(json);
	policy.prev = NULL;
	policy.known = NULL;
	policy.n_known = 0;
	return d;
}

static void expect_conflict(const struct directory *d, enum dir_entry_kind kind, const char *name, const char *part)
{
	const struct dir_refusal *r = record_of(d, kind, name);

	cr_assert_not_null(r, "no record for %s", name);
	cr_expect_eq(r->outcome, DIR_CONFLICT, "%s: outcome %s", name, dir_outcome_name(r->outcome));
	cr_expect_not(r->corrected);
	cr_expect(strstr(r->reason, part) != NULL, "%s: reason \"%s\" lacks \"%s\"", name, r->reason, part);
}

Test(admit, invariant13_home_of_an_established_user_stays_his)
{
	struct directory *prev = admit_str(DOC_HEAD "{\"id\":\"b-1\",\"name\":\"bob\",\"uid\":20010}]}");
	struct directory *d;

	cr_assert(has_user_named(prev, "bob"));
	d = admit_after(prev, NULL, 0,
			DOC_HEAD "{\"id\":\"a-1\",\"name\":\"alice\",\"uid\":20011,\"home\":\"/home/bob\"},"
				 "{\"id\":\"b-1\",\"name\":\"bob\",\"uid\":20010}]}");
	cr_expect(has_user_named(d, "bob"), "bob keeps being served");
	cr_expect_str_eq(directory_user_by_name(d, "bob")->home, "/home/bob");
	cr_expect_not(has_user_named(d, "alice"));
	expect_conflict(d, DIR_KIND_USER, "alice", "home is also another entry's: user bob's, served before");
	cr_expect_null(record_of(d, DIR_KIND_USER, "bob"), "nothing recorded against bob");
	directory_free(d);
	directory_free(prev);
}

Test(admit, invariant13_case_twin_of_an_established_user_is_refused_alone)
{
	struct directory *prev = admit_str(DOC_HEAD "{\"id\":\"a-1\",\"name\":\"alice\",\"uid\":20011}]}");
	struct directory *d = admit_after(prev, NULL, 0,
					  DOC_HEAD "{\"id\":\"A-2\",\"name\":\"ALICE\",\"uid\":20012},"
						   "{\"id\":\"a-1\",\"name\":\"alice\",\"uid\":20011}]}");

	cr_expect(has_user_named(d, "alice"));
	cr_expect_not(has_user_named(d, "ALICE"));
	expect_conflict(d, DIR_KIND_USER, "ALICE", "(compared ignoring case): user alice's, served before");
	directory_free(d);
	directory_free(prev);
}

Test(admit, invariant13_uid_and_gid_of_established_entries_stay)
{
	struct directory *prev = admit_str(DOC_HEAD "{\"id\":\"c-1\",\"name\":\"carol\",\"uid\":20020}],"
						    "\"groups\":[{\"id\":\"g-1\",\"name\":\"ops\",\"gid\":30020}]}");
	struct directory *d = admit_after(prev, NULL, 0,
					  DOC_HEAD "{\"id\":\"m-1\",\"name\":\"mallory\",\"uid\":20020},"
						   "{\"id\":\"c-1\",\"name\":\"carol\",\"uid\":20020}],"
						   "\"groups\":[{\"id\":\"g-2\",\"name\":\"evil\",\"gid\":30020},"
						   "{\"id\":\"g-1\",\"name\":\"ops\",\"gid\":30020}]}");

	cr_expect(has_user_named(d, "carol"));
	expect_conflict(d, DIR_KIND_USER, "mallory", "uid 20020 is also another entry's: user carol's");
	cr_expect(has_group_named(d, "ops"));
	expect_conflict(d, DIR_KIND_GROUP, "evil", "gid 30020 is also another entry's: group ops's");
	directory_free(d);
	directory_free(prev);
}

Test(admit, invariant13_neither_served_before_both_refused_in_any_order)
{
	static const char *const docs[] = {
		DOC_HEAD "{\"id\":\"a-1\",\"name\":\"alice\",\"uid\":20011,\"home\":\"/home/x\"},"
			 "{\"id\":\"b-1\",\"name\":\"bob\",\"uid\":20010,\"home\":\"/home/x\"}]}",
		DOC_HEAD "{\"id\":\"b-1\",\"name\":\"bob\",\"uid\":20010,\"home\":\"/home/x\"},"
			 "{\"id\":\"a-1\",\"name\":\"alice\",\"uid\":20011,\"home\":\"/home/x\"}]}",
	};
	struct directory *prev = admit_str(DOC_HEAD "{\"id\":\"z-1\",\"name\":\"zed\",\"uid\":20030}]}");

	for (size_t k = 0; k < 2; k++) {
		struct directory *d = admit_after(prev, NULL, 0, docs[k]);

		cr_expect_eq(d->n_users, 0, "doc %zu", k);
		expect_conflict(d, DIR_KIND_USER, "alice", "neither was served before");
		expect_conflict(d, DIR_KIND_USER, "bob", "neither was served before");
		directory_free(d);
	}
	directory_free(prev);
}

Test(admit, invariant13_a_changed_entry_is_the_newcomer)
{
	/* bob moves his home onto alice's: bob's change is refused, alice stays. */
	struct directory *prev = admit_str(DOC_HEAD "{\"id\":\"a-1\",\"name\":\"alice\",\"uid\":20011},"
						    "{\"id\":\"b-1\",\"name\":\"bob\",\"uid\":20010}]}");
	struct directory *d = admit_after(prev, NULL, 0,
					  DOC_HEAD "{\"id\":\"a-1\",\"name\":\"alice\",\"uid\":20011},"
						   "{\"id\":\"b-1\",\"name\":\"bob\",\"uid\":20010,\"home\":\"/home/alice\"}]}");

	cr_expect(has_user_named(d, "alice"));
	expect_conflict(d, DIR_KIND_USER, "bob", "home is also another entry's: user alice's");
	directory_free(d);
	directory_free(prev);
}

Test(admit, invariant13_at_start_up_the_ledger_says_who_was_served)
{
	/* No snapshot yet: the ledger's live entries are the established ones. */
	const struct prior_entry known[] = {
		{ DIR_KIND_USER, "b-1", "bob", "/home/bob", 20010, 0 },
	};
	struct directory *d = admit_after(NULL, known, 1,
					  DOC_HEAD "{\"id\":\"a-1\",\"name\":\"alice\",\"uid\":20011,\"home\":\"/home/bob\"},"
						   "{\"id\":\"b-1\",\"name\":\"bob\",\"uid\":20010}]}");

	cr_expect(has_user_named(d, "bob"));
	expect_conflict(d, DIR_KIND_USER, "alice", "user bob's, served before");
	directory_free(d);
}

/* ---- issue 8 §5 / DESIGN invariant 14: a uid belongs to one identity ---- */

Test(admit, invariant14_held_uid_refused_to_another_identity)
{
	const struct prior_entry known[] = {
		{ DIR_KIND_USER, "old-1", "olduser", "/home/olduser", 20040, 1700000000 },
		{ DIR_KIND_GROUP, "oldg-1", "oldgroup", NULL, 30040, 1700000000 },
	};
	struct directory *d = admit_after(NULL, known, 2,
					  DOC_HEAD "{\"id\":\"new-1\",\"name\":\"newuser\",\"uid\":20040},"
						   "{\"id\":\"old-1\",\"name\":\"olduser2\",\"uid\":20041}],"
						   "\"groups\":[{\"id\":\"newg-1\",\"name\":\"newgroup\",\"gid\":30040}]}");

	expect_conflict(d, DIR_KIND_USER, "newuser", "uid 20040 belonged to user olduser (gone since 2023-11-14");
	expect_conflict(d, DIR_KIND_GROUP, "newgroup", "gid 30040 belonged to group oldgroup");
	/* The old identity itself may come back, under any name and id. */
	cr_expect(has_user_named(d, "olduser2"));
	directory_free(d);
}

Test(admit, invariant14_the_identity_itself_gets_its_uid_back)
{
	const struct prior_entry known[] = {
		{ DIR_KIND_USER, "old-1", "olduser", "/home/olduser", 20040, 1700000000 },
	};
	struct directory *d = admit_after(NULL, known, 1,
					  DOC_HEAD "{\"id\":\"old-1\",\"name\":\"olduser\",\"uid\":20040}]}");

	cr_expect(has_user_named(d, "olduser"));
	cr_expect_eq(d->n_refused, 0);
	directory_free(d);
}

Test(admit, invariant14_uid_released_in_this_pull_is_held)
{
	/* carol leaves in the same pull that gives her uid to dave. */
	struct directory *prev = admit_str(DOC_HEAD "{\"id\":\"c-1\",\"name\":\"carol\",\"uid\":20020}]}");
	struct directory *d = admit_after(prev, NULL, 0, DOC_HEAD "{\"id\":\"d-1\",\"name\":\"dave\",\"uid\":20020}]}");

	expect_conflict(d, DIR_KIND_USER, "dave", "uid 20020 belonged to user carol (gone with this pull)");
	directory_free(d);
	directory_free(prev);
}

Test(admit, invariant14_removed_user_without_stable_id_matched_by_name)
{
	/* The removed-users list has no stable ids: a lingering removed user
	 * holds its uid against anyone of another name. */
	const struct prior_entry known[] = {
		{ DIR_KIND_USER, NULL, "gone", "/home/gone", 20050, 1700000000 },
	};
	struct directory *d = admit_after(NULL, known, 1,
					  DOC_HEAD "{\"id\":\"x-1\",\"name\":\"other\",\"uid\":20050}]}");

	expect_conflict(d, DIR_KIND_USER, "other", "uid 20050 belonged to user gone");
	directory_free(d);
}

/* ---- issue 9 §4: three outcomes ---- */

Test(admit, outcomes_refused_corrected_conflict)
{
	struct directory *d = admit_str(DOC_HEAD "{\"id\":\"r-1\",\"name\":\"root2\",\"uid\":0},"
						 "{\"id\":\"s-1\",\"name\":\"shelly\",\"uid\":20060,\"shell\":\"/opt/odd/sh\"},"
						 "{\"id\":\"t-1\",\"name\":\"twin\",\"uid\":20061},"
						 "{\"id\":\"t-2\",\"name\":\"TWIN\",\"uid\":20062}]}");

	cr_expect_eq(record_of(d, DIR_KIND_USER, "root2")->outcome, DIR_REFUSED);
	cr_expect_eq(record_of(d, DIR_KIND_USER, "shelly")->outcome, DIR_CORRECTED);
	cr_expect(has_user_named(d, "shelly"), "a corrected entry is served");
	cr_expect_eq(record_of(d, DIR_KIND_USER, "twin")->outcome, DIR_CONFLICT);
	cr_expect_eq(directory_count_outcome(d, DIR_REFUSED), 1);
	cr_expect_eq(directory_count_outcome(d, DIR_CORRECTED), 1);
	cr_expect_eq(directory_count_outcome(d, DIR_CONFLICT), 2);
	directory_free(d);
}

/* SPDX-License-Identifier: MIT */
/*
 * provctl keys, check and doctor (provctl/access.c, doctor.c, sshdconf.c),
 * the built binary against a provd server child: what sshd's
 * AuthorizedKeysCommand prints (DESIGN invariant 3: keys only while
 * allowed), exit codes, --json, and the detection of another package's
 * AuthorizedKeysCommand that sshd would take instead of ours.
 */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "server_fixture.h"

#define PROVCTL BUILD_DIR "/provctl/provctl"
#define ALICE_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEJvZ3VzQm9ndXNCb2d1c0JvZ3VzQm9ndXNCb2d1c0Jv alice@laptop"

static char out[65536], errout[4096];

static void setup(void)
{
	srv_setup("prov-test-pctl-access");
}

TestSuite(provctl_access, .init = setup, .fini = srv_teardown, .timeout = 60);

static void slurp(FILE *f, char *buf, size_t cap)
{
	size_t n = fread(buf, 1, cap - 1, f);

	buf[n] = '\0';
}

/* Runs provctl --socket <public socket> ARGS; exit code, stdout in out,
 * stderr in errout. */
static int ctl(const char *args)
{
	char cmd[2048], errfile[128];
	FILE *p, *e;
	int status;

	snprintf(errfile, sizeof(errfile), "%s/stderr", dir);
	snprintf(cmd, sizeof(cmd), "env -i %s --socket %s %s 2>%s", PROVCTL, sock, args, errfile);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	slurp(p, out, sizeof(out));
	status = pclose(p);
	e = fopen(errfile, "r");
	cr_assert_not_null(e);
	slurp(e, errout, sizeof(errout));
	fclose(e);
	cr_assert(WIFEXITED(status), "provctl died: %d", status);
	return WEXITSTATUS(status);
}

Test(provctl_access, keys_prints_authorized_keys_lines_while_allowed)
{
	start_server();
	cr_assert_eq(ctl("keys alice"), 0, "%s", errout);
	cr_assert_str_eq(out, ALICE_KEY "\n");
	cr_assert_str_eq(errout, "");
}

/* Nothing, exit 0, for everyone who may not log in: sshd then tries its
 * other key sources, and none of ours. */
Test(provctl_access, invariant3_keys_nothing_unless_allowed)
{
	start_server();
	cr_assert_eq(ctl("keys carol"), 0, "deactivated");
	cr_assert_str_eq(out, "");
	cr_assert_eq(ctl("keys bob"), 0, "allowed, but has no keys");
	cr_assert_str_eq(out, "");
	cr_assert_eq(ctl("keys root"), 0, "local user");
	cr_assert_str_eq(out, "");
	cr_assert_eq(ctl("keys nosuchuser"), 0);
	cr_assert_str_eq(out, "");
	cr_assert_eq(ctl("keys 'x;rm -rf /'"), 0, "a name that cannot be a prov user");
	cr_assert_str_eq(out, "");
	cr_assert_eq(ctl("keys ''"), 0);
	cr_assert_str_eq(out, "");
}

/* provd down: no key, and a non-zero exit sshd logs (fail closed). */
Test(provctl_access, keys_fail_closed_when_provd_is_down)
{
	cr_assert_eq(ctl("keys alice"), 3);
	cr_assert_str_eq(out, "");
	cr_assert_not_null(strstr(errout, "cannot reach provd"), "%s", errout);
}

Test(provctl_access, keys_json)
{
	json_object *o, *k;

	start_server();
	cr_assert_eq(ctl("--json keys alice"), 0);
	o = json_tokener_parse(out);
	cr_assert_not_null(o, "%s", out);
	cr_assert(json_object_object_get_ex(o, "keys", &k));
	cr_assert_eq(json_object_array_length(k), 1);
	cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(k, 0)), ALICE_KEY);
	json_object_put(o);
}

Test(provctl_access, check_decisions_and_exit_codes)
{
	start_server();
	cr_assert_eq(ctl("check alice"), 0);
	cr_assert_str_eq(out, "user:     alice\ndecision: allow\nreason:   login granted by devs-login\n");
	cr_assert_eq(ctl("check carol --service sshd --rhost 192.0.2.1"), 1);
	cr_assert_str_eq(out, "user:     carol\ndecision: expired\nreason:   account deactivated in the directory\n");
	cr_assert_eq(ctl("check nosuchuser"), 1);
	cr_assert_str_eq(out, "user:     nosuchuser\ndecision: unknown\nreason:   nosuchuser is not a prov user\n");
	cr_assert_eq(ctl("check"), 2);
	cr_assert_eq(ctl("check alice --rhost"), 2);
	cr_assert_eq(ctl("check alice bob"), 2);
	cr_assert_eq(ctl("check alice --bogus x"), 2);
	cr_assert_eq(ctl("check 0day"), 1);
}

Test(provctl_access, check_json)
{
	json_object *o, *v;

	start_server();
	cr_assert_eq(ctl("--json check carol"), 1);
	o = json_tokener_parse(out);
	cr_assert_not_null(o, "%s", out);
	cr_assert(json_object_object_get_ex(o, "decision", &v));
	cr_assert_str_eq(json_object_get_string(v), "expired");
	cr_assert(json_object_object_get_ex(o, "allowed", &v));
	cr_assert_eq(json_object_get_boolean(v), 0);
	cr_assert(json_object_object_get_ex(o, "reason", &v));
	cr_assert_str_eq(json_object_get_string(v), "account deactivated in the directory");
	json_object_put(o);
}

/* --- doctor --- */

static char sshd_conf[96], dropins[96], nss[96], sudoers[96];

static void doctor_files(const char *first_dropin, const char *first_text)
{
	char path[160], text[512];

	snprintf(dropins, sizeof(dropins), "%s/sshd_config.d", dir);
	cr_assert_eq(mkdir(dropins, 0755), 0);
	snprintf(sshd_conf, sizeof(sshd_conf), "%s/sshd_config", dir);
	snprintf(text, sizeof(text),
		 "# top\nInclude %s/*.conf\nPort 22\nMatch User bob\n  AuthorizedKeysCommand /bin/false %%u\n",
		 dropins);
	write_file(sshd_conf, text, strlen(text));
	snprintf(path, sizeof(path), "%s/10-prov.conf", dropins);
	snprintf(text, sizeof(text),
		 "AuthorizedKeysCommand /usr/sbin/provctl keys %%u\nAuthorizedKeysCommandUser _prov-keys\n");
	write_file(path, text, strlen(text));
	if (first_dropin) {
		snprintf(path, sizeof(path), "%s/%s", dropins, first_dropin);
		write_file(path, first_text, strlen(first_text));
	}
	snprintf(nss, sizeof(nss), "%s/nsswitch.conf", dir);
	write_file(nss, "passwd: files prov\ngroup:  files [SUCCESS=merge] prov\nshadow: files\n", 63);
	snprintf(sudoers, sizeof(sudoers), "%s/sudoers", dir);
	write_file(sudoers, "# prov\n%prov-sudo ALL=(ALL:ALL) NOPASSWD: ALL\n", 46);
}

static int doctor(void)
{
	char args[600];

	snprintf(args, sizeof(args), "doctor --sshd none --sshd-config %s --nsswitch %s --sudoers %s", sshd_conf, nss,
		 sudoers);
	return ctl(args);
}

Test(provctl_access, doctor_all_wired)
{
	start_server();
	doctor_files(NULL, NULL);
	cr_assert_eq(doctor(), 0, "%s", out);
	cr_assert_not_null(strstr(out, "ok    provd     serving 3 users"), "%s", out);
	cr_assert_not_null(strstr(out, "ok    nsswitch"), "%s", out);
	cr_assert_not_null(strstr(out, "ok    sshd      AuthorizedKeysCommand /usr/sbin/provctl keys %u, set in "),
			   "%s", out);
	cr_assert_not_null(strstr(out, "10-prov.conf:1 (from reading the config files)"), "%s", out);
	cr_assert_not_null(strstr(out, "ok    sshd      AuthorizedKeysCommandUser _prov-keys is provd's keys_user"),
			   "%s", out);
	cr_assert_not_null(strstr(out, "ok    sudoers"), "%s", out);
	cr_assert_null(strstr(out, "FAIL"), "%s", out);
}

/* The packaged rule, "%:prov-sudo" with group_plugin (asked at each sudo),
 * is recognised, and said apart from the login-time "%prov-sudo". */
Test(provctl_access, doctor_knows_the_non_unix_group_rule)
{
	static const char text[] = "Defaults group_plugin=\"system_group.so\"\n%:prov-sudo ALL=(ALL:ALL) NOPASSWD: ALL\n";

	start_server();
	doctor_files(NULL, NULL);
	cr_assert_eq(doctor(), 0, "%s", out);
	cr_assert_not_null(strstr(out, "login-time groups"), "%s", out);
	write_file(sudoers, text, strlen(text));
	cr_assert_eq(doctor(), 0, "%s", out);
	cr_assert_not_null(strstr(out, "ok    sudoers   "), "%s", out);
	cr_assert_not_null(strstr(out, "grants %:prov-sudo (asked at each sudo"), "%s", out);
}

/* sshd honours the first AuthorizedKeysCommand: a drop-in sorting before
 * 10-prov.conf (systemd's userdb one would be 20-, so a 05- here) wins,
 * and doctor names it. */
Test(provctl_access, doctor_names_a_conflicting_keys_command)
{
	start_server();
	doctor_files("05-userdb.conf", "AuthorizedKeysCommand /usr/bin/userdbctl ssh-authorized-keys %u\n"
				       "AuthorizedKeysCommandUser root\n");
	cr_assert_eq(doctor(), 4, "%s", out);
	cr_assert_not_null(strstr(out, "FAIL  sshd      sshd uses AuthorizedKeysCommand "
				       "'/usr/bin/userdbctl ssh-authorized-keys %u', set in "),
			   "%s", out);
	cr_assert_not_null(strstr(out, "05-userdb.conf:1, not 'provctl keys %u'"), "%s", out);
}

/* A drop-in sorting AFTER ours changes nothing (first one wins), and a
 * setting inside a Match block is not the global one. */
Test(provctl_access, doctor_later_dropin_and_match_are_not_conflicts)
{
	start_server();
	doctor_files("20-systemd-userdb.conf", "AuthorizedKeysCommand /usr/bin/userdbctl ssh-authorized-keys %u\n");
	cr_assert_eq(doctor(), 0, "%s", out);
}

Test(provctl_access, doctor_missing_pieces)
{
	start_server();
	doctor_files(NULL, NULL);
	write_file(nss, "passwd: files\ngroup: files prov\n", 32);
	write_file(sshd_conf, "Port 22\n", 8);
	cr_assert_eq(doctor(), 4, "%s", out);
	cr_assert_not_null(strstr(out, "FAIL  nsswitch  "), "%s", out);
	cr_assert_not_null(strstr(out, "on the passwd line"), "%s", out);
	cr_assert_not_null(strstr(out, "FAIL  sshd      no AuthorizedKeysCommand"), "%s", out);
}

Test(provctl_access, doctor_without_provd_fails)
{
	doctor_files(NULL, NULL);
	cr_assert_eq(doctor(), 4, "%s", out);
	cr_assert_not_null(strstr(out, "FAIL  provd     not reachable"), "%s", out);
}

Test(provctl_access, doctor_json)
{
	json_object *o, *checks, *ok, *fails;

	start_server();
	doctor_files(NULL, NULL);
	{
		char args[600];

		snprintf(args, sizeof(args), "--json doctor --sshd none --sshd-config %s --nsswitch %s --sudoers %s",
			 sshd_conf, nss, sudoers);
		cr_assert_eq(ctl(args), 0, "%s", out);
	}
	o = json_tokener_parse(out);
	cr_assert_not_null(o, "%s", out);
	/* one object, as every command's --json (README) */
	cr_assert(json_object_is_type(o, json_type_object), "%s", out);
	cr_assert(json_object_object_get_ex(o, "checks", &checks));
	cr_assert(json_object_is_type(checks, json_type_array));
	cr_assert_geq(json_object_array_length(checks), 5);
	cr_assert(json_object_object_get_ex(o, "ok", &ok));
	cr_assert(json_object_get_boolean(ok));
	cr_assert(json_object_object_get_ex(o, "fails", &fails));
	cr_assert_eq(json_object_get_int(fails), 0);
	json_object_put(o);
}

/* doctor tells the truth (issue 10): a FAIL line with the fix when the
 * last pulls failed (the fixture's file:// source, removed). The age
 * check (3 refresh intervals) is in tests/integration/test_source_guards. */
Test(provctl_access, doctor_fails_when_pulls_fail)
{
	start_server();
	doctor_files(NULL, NULL);
	cr_assert_eq(doctor(), 0, "%s", out);
	cr_assert_eq(unlink(docpath), 0);
	/* a refresh as root through the private socket: the pull fails */
	{
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "%s --socket %s refresh >/dev/null 2>&1", PROVCTL, psock);
		cr_assert_neq(system(cmd), 0);
	}
	cr_assert_eq(doctor(), 4, "%s", out);
	cr_assert_not_null(strstr(out, "FAIL  provd     the last pulls did not succeed"), "%s", out);
	cr_assert_not_null(strstr(out, "provctl refresh"), "%s", out);
}


/* SPDX-License-Identifier: MIT */
/* provctl, the built binary, against a provd server child: human output,
 * --json validity (checked with json-c), exit codes. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "server_fixture.h"

#define PROVCTL BUILD_DIR "/provctl/provctl"

static char out[65536], errout[4096];

static void setup(void)
{
	srv_setup("prov-test-provctl");
}

TestSuite(provctl, .init = setup, .fini = srv_teardown, .timeout = 60);

static void slurp(FILE *f, char *buf, size_t cap)
{
	size_t n = fread(buf, 1, cap - 1, f);

	buf[n] = '\0';
}

/* Runs provctl with args (the socket is given unless args starts with
 * "!"); returns its exit code, stdout in out, stderr in errout. */
static int ctl(const char *args)
{
	char cmd[1024], errfile[128];
	FILE *p, *e;
	int status;

	snprintf(errfile, sizeof(errfile), "%s/stderr", dir);
	if (args[0] == '!')
		snprintf(cmd, sizeof(cmd), "%s %s 2>%s", PROVCTL, args + 1, errfile);
	else
		snprintf(cmd, sizeof(cmd), "%s --socket %s %s 2>%s", PROVCTL, sock, args, errfile);
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

static json_object *parse_json(void)
{
	json_object *o = json_tokener_parse(out);

	cr_assert_not_null(o, "not valid JSON: %s", out);
	return o;
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	cr_assert(json_object_object_get_ex(o, key, &v), "no key %s in %s", key, json_object_to_json_string(o));
	return v;
}

Test(provctl, user_human)
{
	start_server();
	cr_assert_eq(ctl("user alice"), 0, "%s", errout);
	cr_assert_str_eq(out, "name:   alice\n"
			      "uid:    20001\n"
			      "gid:    20001 (alice)\n"
			      "gecos:  Alice A\n"
			      "home:   /home/alice\n"
			      "shell:  /bin/bash\n"
			      "groups: alice(20001) developers(30001) ops(30002)\n");
	cr_assert_str_eq(errout, "");
}

Test(provctl, user_json)
{
	json_object *o, *groups, *g;

	start_server();
	cr_assert_eq(ctl("--json user alice"), 0, "%s", errout);
	o = parse_json();
	cr_assert_str_eq(json_object_get_string(get(o, "name")), "alice");
	cr_assert_eq(json_object_get_int64(get(o, "uid")), 20001);
	cr_assert(json_object_is_type(get(o, "uid"), json_type_int));
	cr_assert_eq(json_object_get_int64(get(o, "gid")), 20001);
	cr_assert_str_eq(json_object_get_string(get(o, "shell")), "/bin/bash");
	groups = get(o, "groups");
	cr_assert_eq(json_object_array_length(groups), 3);
	g = json_object_array_get_idx(groups, 1);
	cr_assert_str_eq(json_object_get_string(get(g, "name")), "developers");
	cr_assert_eq(json_object_get_int64(get(g, "gid")), 30001);
	json_object_put(o);
}

Test(provctl, group_human_and_json)
{
	json_object *o, *m;

	start_server();
	cr_assert_eq(ctl("group developers"), 0, "%s", errout);
	cr_assert_str_eq(out, "name:    developers\ngid:     30001\nmembers: alice bob\n");
	cr_assert_eq(ctl("--json group developers"), 0, "%s", errout);
	o = parse_json();
	cr_assert_eq(json_object_get_int64(get(o, "gid")), 30001);
	m = get(o, "members");
	cr_assert_eq(json_object_array_length(m), 2);
	cr_assert_str_eq(json_object_get_string(json_object_array_get_idx(m, 1)), "bob");
	json_object_put(o);
}

Test(provctl, status_human_aligned)
{
	char *line, *save = NULL;
	int col = -1;

	start_server();
	cr_assert_eq(ctl("status"), 0, "%s", errout);
	cr_assert_not_null(strstr(out, "\nusers:"), "%s", out);
	cr_assert_not_null(strstr(out, "state:"), "%s", out);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		int c;

		cr_assert_not_null(colon, "line without key: %s", line);
		for (c = (int)(colon - line) + 1; line[c] == ' '; c++)
			;
		if (col < 0)
			col = c;
		cr_assert_eq(c, col, "value not aligned: '%s'", line);
	}
}

Test(provctl, status_json)
{
	json_object *o;

	start_server();
	cr_assert_eq(ctl("--json status"), 0, "%s", errout);
	o = parse_json();
	cr_assert_eq(json_object_get_int64(get(o, "users")), 3);
	cr_assert_eq(json_object_get_int64(get(o, "serial")), 7);
	cr_assert_str_eq(json_object_get_string(get(o, "state")), "serving");
	cr_assert_str_eq(json_object_get_string(get(o, "version")), PROV_VERSION);
	cr_assert(json_object_is_type(get(o, "last_error"), json_type_string));
	json_object_put(o);
}

/* Quotes, backslashes and UTF-8 from the directory come out as valid JSON
 * with the same text. */
Test(provctl, json_escaping)
{
	json_object *o;

	copy_doc(RT_FIX "/directory-escape.json");
	start_server();
	cr_assert_eq(ctl("--json user quoted"), 0, "%s", errout);
	o = parse_json();
	cr_assert_str_eq(json_object_get_string(get(o, "gecos")), "Dr. \"Q\" \\ Back, \xc3\x9cn\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9 \xe2\x9c\x93");
	json_object_put(o);
}

Test(provctl, not_found_exit_1)
{
	start_server();
	cr_assert_eq(ctl("user nosuch"), 1);
	cr_assert_str_eq(out, "");
	cr_assert_str_eq(errout, "provctl: no prov user 'nosuch'\n");
	cr_assert_eq(ctl("group nosuch"), 1);
	cr_assert_str_eq(errout, "provctl: no prov group 'nosuch'\n");
	cr_assert_eq(ctl("user toor"), 1, "refused entries do not exist");
	cr_assert_eq(ctl("user aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 1, "longer than any prov name");
}

Test(provctl, unreachable_exit_3)
{
	char args[200];

	snprintf(args, sizeof(args), "!--socket %s/none status", dir);
	cr_assert_eq(ctl(args), 3);
	cr_assert_not_null(strstr(errout, "cannot reach provd at"), "%s", errout);
	cr_assert_eq(strchr(errout, '\n'), errout + strlen(errout) - 1, "one line");
}

Test(provctl, usage_exit_2)
{
	cr_assert_eq(ctl("!"), 2);
	cr_assert_eq(ctl("!bogus"), 2);
	cr_assert_not_null(strstr(errout, "unknown command 'bogus'"), "%s", errout);
	cr_assert_eq(ctl("!user"), 2);
	cr_assert_eq(ctl("!user a b"), 2);
	cr_assert_eq(ctl("!--timeout -5 status"), 2);
	cr_assert_eq(ctl("!--nosuchoption status"), 2);
	cr_assert_eq(ctl("!--help"), 0);
	cr_assert_not_null(strstr(out, "exit status"), "%s", out);
}

/* provd up but without a directory: "other error", clearly said. */
Test(provctl, unavailable_exit_4)
{
	unlink(docpath);
	start_server();
	cr_assert_eq(ctl("user alice"), 4);
	cr_assert_not_null(strstr(errout, "no directory loaded"), "%s", errout);
	cr_assert_eq(ctl("status"), 0, "status still answers");
	cr_assert_not_null(strstr(out, "unavailable"), "%s", out);
}

/* SPDX-License-Identifier: MIT */
/* The provd binary's command line: --check-config, --version, --help,
 * usage errors, and a full start/serve/stop through main(). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime_fixture.h"

#define PROVD BUILD_DIR "/provd/provd"
#define PROVCTL BUILD_DIR "/provctl/provctl"

static char dir[40], conf[64], docpath[64];
static char out[8192];

static void setup(void)
{
	strcpy(dir, "/tmp/prov-test-main-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/provd.conf", dir);
	snprintf(docpath, sizeof(docpath), "%s/doc.json", dir);
}

static void teardown(void)
{
	fixture_rm_rf(dir);
}

TestSuite(main, .init = setup, .fini = teardown, .timeout = 30);

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void put_conf(const char *extra)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "[directory]\nurl = file://%s\n[accounts]\npasswd_file = " RT_FIX "/passwd\n"
		 "group_file = " RT_FIX "/group\nshells_file = " RT_FIX "/shells\n"
		 "[paths]\nstate_dir = %s/state\nruntime_dir = %s/run\n%s",
		 docpath, dir, dir, extra ? extra : "");
	put(conf, text);
}

/* Runs a command, stdout and stderr together in out; returns the exit code. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	FILE *p;
	size_t n;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	status = pclose(p);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void copy_doc(const char *fixture)
{
	size_t len;
	char *doc = fixture_read(fixture, &len);

	put(docpath, doc);
	free(doc);
}

Test(main, version_and_help)
{
	cr_assert_eq(run("%s --version", PROVD), 0);
	cr_assert_str_eq(out, "provd " PROV_VERSION "\n");
	cr_assert_eq(run("%s --help", PROVD), 0);
	cr_assert_not_null(strstr(out, "--check-config"));
	cr_assert_eq(run("%s --bogus", PROVD), 2);
	cr_assert_eq(run("%s extra-argument", PROVD), 2);
}

Test(main, check_config_ok)
{
	copy_doc(RT_FIX "/directory.json");
	put_conf(NULL);
	cr_assert_eq(run("%s -c %s --check-config", PROVD, conf), 0, "%s", out);
	cr_assert_not_null(strstr(out, "ok\n"), "%s", out);
	cr_assert_not_null(strstr(out, "warning: file://"), "refused entries are warnings: %s", out);
	cr_assert_not_null(strstr(out, "user toor refused: uid 0"), "%s", out);
}

Test(main, check_config_bad_config)
{
	copy_doc(RT_FIX "/directory.json");
	put_conf("[server]\nmax_clientz = 4\n");
	cr_assert_eq(run("%s -c %s --check-config", PROVD, conf), 1);
	cr_assert_not_null(strstr(out, ":11: unknown key 'max_clientz' in section [server]"), "%s", out);
	cr_assert_null(strstr(out, "ok"), "%s", out);
}

Test(main, check_config_bad_document)
{
	put(docpath, "{\"prov_directory\": 2}");
	put_conf(NULL);
	cr_assert_eq(run("%s -c %s --check-config", PROVD, conf), 1, "%s", out);
	cr_assert_eq(run("%s -c %s/missing.conf --check-config", PROVD, dir), 1);
	cr_assert_not_null(strstr(out, "missing.conf"), "%s", out);
	unlink(docpath);
	cr_assert_eq(run("%s -c %s --check-config", PROVD, conf), 1);
	cr_assert_not_null(strstr(out, "No such file"), "%s", out);
}

/* The whole daemon: start, answer through provctl, stop on SIGTERM. */
Test(main, serves_and_stops)
{
	char sock[128];
	pid_t pid;
	int status, i;

	copy_doc(RT_FIX "/directory.json");
	put_conf(NULL);
	snprintf(sock, sizeof(sock), "%s/run/socket", dir);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDERR_FILENO);
		execl(PROVD, PROVD, "-c", conf, "--foreground", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && access(sock, F_OK) != 0; i++)
		usleep(20000);
	cr_assert_eq(run("%s --socket %s user alice", PROVCTL, sock), 0, "%s", out);
	cr_assert_not_null(strstr(out, "uid:    20001"), "%s", out);
	kill(pid, SIGTERM);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	cr_assert_neq(access(sock, F_OK), 0, "socket removed");
}

/* SPDX-License-Identifier: MIT */
/*
 * Test fixture: tests/dirserver/dirserver.py as a child process, plus a
 * tiny client for its admin listener. Header-only (static functions), for
 * the unit tests that talk real HTTP: server_start() in a fixture's init,
 * server_stop() in its fini; the server also dies with the test process
 * (PR_SET_PDEATHSIG) if the test crashes before fini.
 */
#ifndef PROV_TEST_DIRSERVER_H
#define PROV_TEST_DIRSERVER_H

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIRSERVER FIXTURES_DIR "/../dirserver/dirserver.py"
#define CERTS BUILD_DIR "/dirserver-certs"
#define TOKEN "tok-7f3a9c-SECRET"

static pid_t server_pid __attribute__((unused)) = -1;
static int port_http, port_https, port_wronghost, port_selfsigned, port_admin __attribute__((unused));
static char url[512] __attribute__((unused));

static __attribute__((unused)) int run_wait(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static __attribute__((unused)) void ensure_certs(void)
{
	char *argv[] = { "python3", DIRSERVER, "gencerts", CERTS, NULL };

	if (access(CERTS "/selfsigned.pin", R_OK) == 0)
		return;
	cr_assert_eq(run_wait(argv), 0, "gencerts failed");
}

static __attribute__((unused)) int port_of(struct json_object *o, const char *k)
{
	struct json_object *v;

	cr_assert(json_object_object_get_ex(o, k, &v), "no port %s", k);
	return json_object_get_int(v);
}

static __attribute__((unused)) void server_start(void)
{
	int fds[2];
	char line[1024];
	size_t n = 0;
	struct json_object *o;

	/* A proxy from the environment must not sit between us and loopback. */
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("ALL_PROXY");
	unsetenv("all_proxy");
	ensure_certs();
	cr_assert_eq(pipe(fds), 0);
	server_pid = fork();
	cr_assert_geq(server_pid, 0);
	if (server_pid == 0) {
		char *argv[] = { "python3", DIRSERVER, "serve", "--certs", CERTS, NULL };

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	/* The server prints one JSON line with its ports when it is ready. */
	while (n < sizeof(line) - 1) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		ssize_t k;

		cr_assert_eq(poll(&p, 1, 15000), 1, "dirserver did not start");
		k = read(fds[0], line + n, 1);
		cr_assert_eq(k, 1, "dirserver exited");
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	close(fds[0]);
	o = json_tokener_parse(line);
	cr_assert(o, "bad ports line: %s", line);
	port_http = port_of(o, "http");
	port_https = port_of(o, "https");
	port_wronghost = port_of(o, "https_wronghost");
	port_selfsigned = port_of(o, "https_selfsigned");
	port_admin = port_of(o, "admin");
	json_object_put(o);
}

static __attribute__((unused)) void server_stop(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
		server_pid = -1;
	}
}

struct fixture_buf {
	char *p;
	size_t len;
};

static __attribute__((unused)) size_t collect(char *p, size_t sz, size_t n, void *ud)
{
	struct fixture_buf *b = ud;
	char *q = realloc(b->p, b->len + sz * n + 1);

	if (!q)
		return 0;
	memcpy(q + b->len, p, sz * n);
	b->p = q;
	b->len += sz * n;
	b->p[b->len] = '\0';
	return sz * n;
}

/* POST body to the admin listener (GET when body is NULL); returns the
 * parsed answer (caller puts it). */
static __attribute__((unused)) struct json_object *admin(const char *path, const char *body)
{
	char u[256];
	struct fixture_buf b = { 0 };
	struct json_object *out;
	long code = 0;
	CURL *h = curl_easy_init();

	snprintf(u, sizeof(u), "http://127.0.0.1:%d%s", port_admin, path);
	curl_easy_setopt(h, CURLOPT_URL, u);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	cr_assert_eq(curl_easy_perform(h), CURLE_OK, "admin %s", path);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	cr_assert_eq(code, 200, "admin %s: %ld %s", path, code, b.p ? b.p : "");
	out = json_tokener_parse(b.p ? b.p : "");
	cr_assert_not_null(out, "admin %s: bad answer", path);
	free(b.p);
	return out;
}

static __attribute__((unused)) void admin_do(const char *path, const char *body)
{
	json_object_put(admin(path, body));
}


/* Every request the server saw, as a JSON array (caller puts it). */
static __attribute__((unused)) struct json_object *server_log(void)
{
	return admin("/log", NULL);
}

static __attribute__((unused)) const char *log_field(struct json_object *log, size_t i, const char *k)
{
	struct json_object *e = json_object_array_get_idx(log, i), *v;

	if (!e || !json_object_object_get_ex(e, k, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return json_object_get_string(v);
}

#endif

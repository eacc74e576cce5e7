/* SPDX-License-Identifier: MIT */
/*
 * fetch.c against a real HTTP/HTTPS server on loopback
 * (tests/dirserver/dirserver.py, started per test as a child process and
 * stopped by pid in the fixture's fini, even when the test fails; it also
 * dies with us through PR_SET_PDEATHSIG if the test process crashes).
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dirserver_fixture.h"
#include "source/fetch.h"

static const char *DOC = "{\"prov_directory\": 1, \"serial\": 7, \"users\": []}\n";

static void setup(void)
{
	fetch_global_init();
	server_start();
	admin_do("/config", "{\"token\": \"" TOKEN "\"}");
	admin_do("/document", DOC);
}

static void teardown(void)
{
	server_stop();
	fetch_global_cleanup();
}

TestSuite(fetch, .init = setup, .fini = teardown, .timeout = 60);

static const char *u(const char *scheme, int port, const char *path)
{
	snprintf(url, sizeof(url), "%s://127.0.0.1:%d%s", scheme, port, path);
	return url;
}

static struct fetch_opts base_opts(const char *the_url)
{
	return (struct fetch_opts){
		.url = the_url,
		.token = TOKEN,
		.ca_file = CERTS "/ca.pem",
		.connect_timeout_ms = 2000,
		.total_timeout_ms = 5000,
		.max_bytes = 1 << 20,
	};
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The exact error line, with the port numbers of this run filled in. */
#define assert_error(r, ...)                                            \
	do {                                                            \
		char want_[512];                                        \
		snprintf(want_, sizeof(want_), __VA_ARGS__);            \
		cr_assert_str_eq((r)->error, want_);                    \
	} while (0)

static void assert_no_token(const struct fetch_result *r)
{
	cr_assert_null(strstr(r->error, TOKEN), "token in error: %s", r->error);
	cr_assert_null(strstr(r->error, "tok-7f3a9c"), "token in error: %s", r->error);
}

Test(fetch, verified_tls_with_ca_file)
{
	struct fetch_opts o = base_opts(u("https", port_https, "/directory.json"));
	struct fetch_result r;
	struct json_object *log;

	cr_assert_eq(fetch_url(&o, &r), 0, "%s", r.error);
	cr_assert_eq(r.status, FETCH_OK);
	cr_assert_eq(r.http_code, 200);
	cr_assert_eq(r.body_len, strlen(DOC));
	cr_assert_str_eq(r.body, DOC);
	cr_assert_str_eq(r.error, "");
	cr_assert_not_null(r.etag);
	cr_assert_eq(r.etag[0], '"');
	cr_assert_not_null(r.last_modified);
	cr_assert(strstr(r.last_modified, "GMT"));
	fetch_result_free(&r);

	log = server_log();
	cr_assert_eq(json_object_array_length(log), 1);
	cr_assert_str_eq(log_field(log, 0, "authorization"), "Bearer " TOKEN);
	cr_assert_str_eq(log_field(log, 0, "user_agent"), "provd/" PROV_VERSION);
	cr_assert_not_null(strstr(log_field(log, 0, "accept_encoding"), "gzip"));
	cr_assert_null(log_field(log, 0, "if_none_match"));
	json_object_put(log);
}

Test(fetch, unknown_ca_refused)
{
	struct fetch_opts o = base_opts(u("https", port_selfsigned, "/directory.json"));
	struct fetch_result r;

	cr_assert_eq(fetch_url(&o, &r), -EPERM);
	cr_assert_eq(r.status, FETCH_TLS, "%s", r.error);
	cr_assert_null(r.body);
	cr_assert_not_null(strstr(r.error, "certificate"), "%s", r.error);
	assert_no_token(&r);
	fetch_result_free(&r);

	/* Nor is the test CA trusted by the system store. */
	o = base_opts(u("https", port_https, "/directory.json"));
	o.ca_file = NULL;
	cr_assert_eq(fetch_url(&o, &r), -EPERM);
	cr_assert_eq(r.status, FETCH_TLS, "%s", r.error);
	fetch_result_free(&r);

	/* The token never went out: the handshake failed first. */
	struct json_object *log = server_log();
	cr_assert_eq(json_object_array_length(log), 0);
	json_object_put(log);
}

Test(fetch, wrong_host_name_refused)
{
	struct fetch_opts o = base_opts(u("https", port_wronghost, "/directory.json"));
	struct fetch_result r;

	cr_assert_eq(fetch_url(&o, &r), -EPERM);
	cr_assert_eq(r.status, FETCH_TLS);
	cr_assert_not_null(strstr(r.error, "host name"), "%s", r.error);
	assert_no_token(&r);
	fetch_result_free(&r);
}

static char *read_pin(const char *path)
{
	static char pin[256];
	FILE *f = fopen(path, "r");

	cr_assert_not_null(f);
	cr_assert_not_null(fgets(pin, sizeof(pin), f));
	fclose(f);
	pin[strcspn(pin, "\n")] = '\0';
	return pin;
}

Test(fetch, pinned_key_match_and_mismatch)
{
	struct fetch_opts o = base_opts(u("https", port_https, "/directory.json"));
	struct fetch_result r;

	o.pinned_pubkey = read_pin(CERTS "/server.pin");
	cr_assert_eq(fetch_url(&o, &r), 0, "%s", r.error);
	fetch_result_free(&r);

	o.pinned_pubkey = read_pin(CERTS "/selfsigned.pin");
	cr_assert_eq(fetch_url(&o, &r), -EPERM);
	cr_assert_eq(r.status, FETCH_TLS);
	cr_assert_not_null(strstr(r.error, "pinned"), "%s", r.error);
	fetch_result_free(&r);
}

Test(fetch, hang_is_bounded_by_total_timeout)
{
	struct fetch_opts o = base_opts(u("http", port_http, "/directory.json"));
	struct fetch_result r;
	double t0;

	admin_do("/fault", "{\"mode\": \"hang\", \"hang_s\": 30}");
	o.total_timeout_ms = 800;
	t0 = now_s();
	cr_assert_eq(fetch_url(&o, &r), -ETIMEDOUT);
	cr_assert_eq(r.status, FETCH_TIMEOUT);
	cr_assert_lt(now_s() - t0, 2.5);
	cr_assert(fetch_status_transient(r.status, r.http_code));
	fetch_result_free(&r);
}

Test(fetch, refused_connection_then_recovery)
{
	struct fetch_opts o = base_opts(u("http", port_http, "/directory.json"));
	struct fetch_result r;

	admin_do("/fault", "{\"mode\": \"refuse\"}");
	cr_assert_eq(fetch_url(&o, &r), -ECONNREFUSED);
	cr_assert_eq(r.status, FETCH_CONNECT, "%s", r.error);
	fetch_result_free(&r);

	admin_do("/fault", "{\"mode\": \"none\"}");
	cr_assert_eq(fetch_url(&o, &r), 0, "%s", r.error);
	fetch_result_free(&r);
}

Test(fetch, size_cap_streamed_and_declared)
{
	struct fetch_opts o = base_opts(u("http", port_http, "/directory.json"));
	struct fetch_result r;

	admin_do("/fault", "{\"mode\": \"oversize\", \"bytes\": 5000000}");
	cr_assert_eq(fetch_url(&o, &r), -EFBIG);
	cr_assert_eq(r.status, FETCH_TOO_LARGE);
	assert_error(&r, "http://127.0.0.1:%d/directory.json: response larger than 1048576 bytes (decoded)",
			 port_http);
	cr_assert_null(r.body);
	fetch_result_free(&r);

	admin_do("/fault", "{\"mode\": \"oversize\", \"bytes\": 5000000, \"declare_length\": true}");
	cr_assert_eq(fetch_url(&o, &r), -EFBIG);
	cr_assert_eq(r.status, FETCH_TOO_LARGE);
	cr_assert_not_null(strstr(r.error, "(declared)"), "%s", r.error);
	fetch_result_free(&r);

	/* Exactly at the cap is fine. */
	admin_do("/fault", "{\"mode\": \"oversize\", \"bytes\": 1048576}");
	cr_assert_eq(fetch_url(&o, &r), 0, "%s", r.error);
	cr_assert_eq(r.body_len, 1048576);
	fetch_result_free(&r);
}

Test(fetch, gzip_bomb_is_cut_at_the_cap)
{
	struct fetch_opts o = base_opts(u("http", port_http, "/directory.json"));
	struct fetch_result r;

	/* 64 MiB of zeros, about 64 KiB on the wire: under the cap
	 * compressed, far over it inflated. */
	admin_do("/fault", "{\"mode\": \"gzip_bomb\", \"bytes\": 67108864}");
	cr_assert_eq(fetch_url(&o, &r), -EFBIG);
	cr_assert_eq(r.status, FETCH_TOO_LARGE, "%s", r.error);
	cr_assert_not_null(strstr(r.error, "(decoded)"));
	fetch_result_free(&r);
}

Test(fetch, gzip_body_is_decoded)
{
	struct fetch_opts o = base_opts(u("https", port_https, "/directory.json"));
	struct fetch_result r;

	admin_do("/config", "{\"gzip\": true}");
	cr_assert_eq(fetch_url(&o, &r), 0, "%s", r.error);
	cr_assert_str_eq(r.body, DOC);
	fetch_result_free(&r);
}

Test(fetch, not_modified_with_etag_and_last_modified)
{
	struct fetch_opts o = base_opts(u("https", port_https, "/directory.json"));
	struct fetch_result first, r;
	struct json_object *log;

	cr_assert_eq(fetch_url(&o, &first), 0, "%s", first.error);
	o.etag = first.etag;
	cr_assert_eq(fetch_url(&o, &r), 0, "%s", r.error);
	cr_assert_eq(r.status, FETCH_NOT_MODIFIED);
	cr_assert_eq(r.http_code, 304);
	cr_assert_null(r.body);
	fetch_result_free(&r);

	o.etag = NULL;
	o.last_modified = first.last_modified;
	cr_assert_eq(fetch_url(&o, &r), 0, "%s", r.error);
	cr_assert_eq(r.status, FETCH_NOT_MODIFIED);
	fetch_result_free(&r);

	log = server_log();
	cr_assert_eq(json_object_array_length(log), 3);
	cr_assert_str_eq(log_field(log, 1, "if_none_match"), first.etag);
	cr_assert_null(log_field(log, 1, "if_modified_since"));
	cr_assert_str_eq(log_field(log, 2, "if_modified_since"), first.last_modified);
	json_object_put(log);

	/* A changed document comes back whole with a new ETag. */
	admin_do("/document", "{\"prov_directory\": 1, \"serial\": 8}");
	o.etag = first.etag;
	o.last_modified = NULL;
	cr_assert_eq(fetch_url(&o, &r), 0, "%s", r.error);
	cr_assert_eq(r.status, FETCH_OK);
	cr_assert_str_eq(r.body, "{\"prov_directory\": 1, \"serial\": 8}");
	cr_assert_str_neq(r.etag, first.etag);
	fetch_result_free(&r);
	fetch_result_free(&first);
}

Test(fetch, redirect_to_another_host_refused_and_token_not_leaked)
{
	struct fetch_opts o = base_opts(u("http", port_http, "/directory.json"));
	struct fetch_result r;
	struct json_object *log;
	char body[256];

	/* Default redirect target: the same server as "localhost", which is
	 * another host name (another origin). */
	admin_do("/fault", "{\"mode\": \"redirect\", \"paths\": [\"/directory.json\"]}");
	cr_assert_eq(fetch_url(&o, &r), -ELOOP);
	cr_assert_eq(r.status, FETCH_REDIRECT);
	assert_error(&r, "http://127.0.0.1:%d/directory.json: redirect to another origin (http://localhost:%d) refused",
			 port_http, port_http);
	assert_no_token(&r);
	fetch_result_free(&r);

	/* Same host, another port: another origin too. */
	snprintf(body, sizeof(body), "{\"mode\": \"redirect\", \"location\": \"https://127.0.0.1:%d/directory.json\"}",
		 port_https);
	admin_do("/fault", body);
	cr_assert_eq(fetch_url(&o, &r), -ELOOP);
	cr_assert_eq(r.status, FETCH_REDIRECT);
	fetch_result_free(&r);

	/* The server saw exactly the two first requests, both to 127.0.0.1
	 * on the http listener: nothing followed the redirects. */
	log = server_log();
	cr_assert_eq(json_object_array_length(log), 2);
	for (size_t i = 0; i < 2; i++) {
		char host[64];

		snprintf(host, sizeof(host), "127.0.0.1:%d", port_http);
		cr_assert_str_eq(log_field(log, i, "host"), host);
		cr_assert_str_eq(log_field(log, i, "listener"), "http");
	}
	json_object_put(log);
}

Test(fetch, same_origin_redirect_followed_with_token)
{
	struct fetch_opts o = base_opts(u("https", port_https, "/directory.json"));
	struct fetch_result r;
	struct json_object *log;

	admin_do("/fault", "{\"mode\": \"redirect\", \"location\": \"/redirected\", \"code\": 301, \"paths\": [\"/directory.json\"]}");
	cr_assert_eq(fetch_url(&o, &r), 0, "%s", r.error);
	cr_assert_str_eq(r.body, DOC);
	fetch_result_free(&r);
	log = server_log();
	cr_assert_eq(json_object_array_length(log), 2);
	cr_assert_str_eq(log_field(log, 1, "path"), "/redirected/directory.json");
	cr_assert_str_eq(log_field(log, 1, "authorization"), "Bearer " TOKEN);
	json_object_put(log);
}

Test(fetch, redirect_loop_is_bounded)
{
	struct fetch_opts o = base_opts(u("http", port_http, "/directory.json"));
	struct fetch_result r;

	admin_do("/fault", "{\"mode\": \"redirect\", \"location\": \"/redirected\"}");
	cr_assert_eq(fetch_url(&o, &r), -ELOOP);
	assert_error(&r, "http://127.0.0.1:%d/directory.json: more than 5 redirects", port_http);
	fetch_result_free(&r);
}

Test(fetch, unauthorized_and_forbidden_reported_as_auth)
{
	struct fetch_opts o = base_opts(u("http", port_http, "/directory.json"));
	struct fetch_result r;

	o.token = "wrong-token";
	cr_assert_eq(fetch_url(&o, &r), -EACCES);
	cr_assert_eq(r.status, FETCH_AUTH);
	cr_assert_eq(r.http_code, 401);
	assert_error(&r, "http://127.0.0.1:%d/directory.json: HTTP 401 (unauthorized): check the token",
			 port_http);
	cr_assert_not(fetch_status_transient(r.status, r.http_code));
	fetch_result_free(&r);

	o.token = TOKEN;
	admin_do("/fault", "{\"mode\": \"forbidden\"}");
	cr_assert_eq(fetch_url(&o, &r), -EACCES);
	cr_assert_eq(r.http_code, 403);
	assert_no_token(&r);
	fetch_result_free(&r);
}

Test(fetch, rate_limited_with_retry_after)
{
	struct fetch_opts o = base_opts(u("http", port_http, "/scim/v2/Users"));
	struct fetch_result r;

	admin_do("/fault", "{\"mode\": \"http429\", \"retry_after\": 42}");
	cr_assert_eq(fetch_url(&o, &r), -EAGAIN);
	cr_assert_eq(r.status, FETCH_RATE_LIMITED);
	cr_assert_eq(r.retry_after_s, 42);
	assert_error(&r, "http://127.0.0.1:%d/scim/v2/Users: HTTP 429, retry after 42 s", port_http);
	fetch_result_free(&r);

	/* The date form, far away: capped at a day. */
	admin_do("/fault", "{\"mode\": \"http503\", \"retry_after\": \"Wed, 21 Oct 2065 07:28:00 GMT\"}");
	cr_assert_eq(fetch_url(&o, &r), -EAGAIN);
	cr_assert_eq(r.http_code, 503);
	cr_assert_eq(r.retry_after_s, FETCH_RETRY_AFTER_MAX_S);
	fetch_result_free(&r);

	/* A 429 without the header: 0, the caller backs off by itself. */
	admin_do("/fault", "{\"mode\": \"status\", \"code\": 429, \"retry_after\": null}");
	cr_assert_eq(fetch_url(&o, &r), -EAGAIN);
	cr_assert_eq(r.retry_after_s, 0);
	fetch_result_free(&r);
}

Test(fetch, server_error_and_truncated_body)
{
	struct fetch_opts o = base_opts(u("http", port_http, "/directory.json"));
	struct fetch_result r;

	admin_do("/fault", "{\"mode\": \"http500\"}");
	cr_assert_eq(fetch_url(&o, &r), -EPROTO);
	cr_assert_eq(r.status, FETCH_HTTP_ERROR);
	cr_assert_eq(r.http_code, 500);
	cr_assert(fetch_status_transient(r.status, r.http_code));
	fetch_result_free(&r);

	admin_do("/fault", "{\"mode\": \"truncate\"}");
	cr_assert_eq(fetch_url(&o, &r), -EIO);
	cr_assert_eq(r.status, FETCH_TRANSFER, "%s", r.error);
	cr_assert_null(r.body);
	fetch_result_free(&r);

	admin_do("/fault", "{\"mode\": \"status\", \"code\": 404}");
	cr_assert_eq(fetch_url(&o, &r), -EPROTO);
	cr_assert_eq(r.http_code, 404);
	cr_assert_not(fetch_status_transient(r.status, r.http_code));
	fetch_result_free(&r);
}

Test(fetch, token_never_sent_in_clear_to_remote_host)
{
	struct fetch_opts o = base_opts("http://192.0.2.1/directory.json");
	struct fetch_result r;

	cr_assert_eq(fetch_url(&o, &r), -EINVAL);
	cr_assert_eq(r.status, FETCH_INVALID);
	cr_assert_str_eq(r.error,
			 "http://192.0.2.1:80/directory.json: refusing to send the token over plain http to a remote host");
	fetch_result_free(&r);
}

/* Issue 8 §4: only a literal loopback address gets the token over plain
 * http; names that merely look like one do not. */
Test(fetch, token_over_http_only_to_literal_loopback)
{
	static const char *const refused[] = {
		"http://127.0.0.1.evil.example/d.json", "http://127.evil.example/d.json",
		"http://localhost/d.json",              "http://127.0.0.1@evil.example/d.json",
		"http://[::ffff:127.0.0.1]/d.json",     "http://[::2]/d.json",
		"http://128.0.0.1/d.json",              "http://0.0.0.0/d.json",
		"http://127x.0.0.1/d.json",
	};
	static const char *const allowed[] = { "http://127.0.0.1:1/d.json", "http://127.255.255.254:1/d.json",
					       "http://[::1]:1/d.json" };
	struct fetch_result r;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct fetch_opts o = base_opts(refused[i]);

		o.connect_timeout_ms = 200;
		cr_assert_eq(fetch_url(&o, &r), -EINVAL, "%s: %s", refused[i], r.error);
		cr_assert_not_null(strstr(r.error, "refusing to send the token over plain http"), "%s: %s",
				   refused[i], r.error);
		fetch_result_free(&r);
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		struct fetch_opts o = base_opts(allowed[i]);

		o.connect_timeout_ms = 500;
		(void)fetch_url(&o, &r); /* nobody listens on port 1: a connect error */
		cr_assert_null(strstr(r.error, "refusing to send the token"), "%s: %s", allowed[i], r.error);
		cr_assert_neq(r.status, FETCH_INVALID, "%s: %s", allowed[i], r.error);
		fetch_result_free(&r);
	}
}

/* Issue 8 §4: a URL's userinfo and query never reach the error text, also
 * when libcurl's own message quotes the URL. */
Test(fetch, url_credentials_never_in_error)
{
	static const char *const urls[] = {
		"https://alice:pw-SECRET@127.0.0.1:1/d.json?X-Amz-Signature=SECRET",
		"http://127.0.0.1:1/d.json?sig=SECRET",
		"ftp://u:SECRET@127.0.0.1/x?SECRET",
		"https://u:SECRET@host name.invalid/x?SECRET",
		"https://127.0.0.1:99999/x?SECRET",
	};
	struct fetch_result r;

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct fetch_opts o = base_opts(urls[i]);

		o.token = NULL;
		o.connect_timeout_ms = 500;
		cr_assert_lt(fetch_url(&o, &r), 0, "%s", urls[i]);
		cr_assert_null(strstr(r.error, "SECRET"), "%s: %s", urls[i], r.error);
		fetch_result_free(&r);
	}
}

Test(fetch, hostile_token_and_validators_refused)
{
	struct fetch_opts o = base_opts(u("http", port_http, "/directory.json"));
	struct fetch_result r;
	struct json_object *log;

	o.token = "abc\r\nX-Injected: 1";
	cr_assert_eq(fetch_url(&o, &r), -EINVAL);
	cr_assert_null(strstr(r.error, "abc"));
	fetch_result_free(&r);

	o.token = TOKEN;
	o.etag = "\"x\"\r\nX-Injected: 1";
	cr_assert_eq(fetch_url(&o, &r), -EINVAL);
	fetch_result_free(&r);

	log = server_log();
	cr_assert_eq(json_object_array_length(log), 0);
	json_object_put(log);
}

Test(fetch, protocols_limited)
{
	struct fetch_opts o = base_opts("ftp://127.0.0.1/x");
	struct fetch_result r;

	cr_assert_eq(fetch_url(&o, &r), -EINVAL);
	cr_assert_str_eq(r.error, "ftp://127.0.0.1:21/x: only http, https and file URLs are supported");
	fetch_result_free(&r);

	o.url = "not a url at all";
	cr_assert_eq(fetch_url(&o, &r), -EINVAL);
	cr_assert_eq(r.status, FETCH_INVALID);
	fetch_result_free(&r);

	o.url = NULL;
	cr_assert_eq(fetch_url(&o, &r), -EINVAL);
	fetch_result_free(&r);
}

Test(fetch, file_urls)
{
	char path[] = "/tmp/prov-fetch-XXXXXX";
	char furl[256];
	int fd = mkstemp(path);
	struct fetch_opts o;
	struct fetch_result r;

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, DOC, strlen(DOC)), (ssize_t)strlen(DOC));
	close(fd);
	snprintf(furl, sizeof(furl), "file://%s", path);
	o = base_opts(furl);
	cr_assert_eq(fetch_url(&o, &r), 0, "%s", r.error);
	cr_assert_str_eq(r.body, DOC);
	cr_assert_eq(r.http_code, 0);
	fetch_result_free(&r);

	o.max_bytes = 10;
	cr_assert_eq(fetch_url(&o, &r), -EFBIG, "%s", r.error);
	fetch_result_free(&r);

	unlink(path);
	o.max_bytes = 0;
	cr_assert_eq(fetch_url(&o, &r), -ECONNREFUSED);
	cr_assert_eq(r.status, FETCH_CONNECT, "%s", r.error);
	fetch_result_free(&r);
}

Test(fetch, status_names_are_stable)
{
	cr_assert_str_eq(fetch_status_name(FETCH_OK), "ok");
	cr_assert_str_eq(fetch_status_name(FETCH_NOT_MODIFIED), "not-modified");
	cr_assert_str_eq(fetch_status_name(FETCH_TLS), "tls");
	cr_assert_str_eq(fetch_status_name(FETCH_INVALID), "invalid");
	cr_assert_str_eq(fetch_status_name((enum fetch_status)99), "unknown");
}

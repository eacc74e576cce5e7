/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "source/fetch.h"
#include "urlredact.h"

#ifndef PROV_VERSION
#define PROV_VERSION "0"
#endif

/* Where the decoded body goes; the cap is checked on every chunk so a
 * compressed bomb stops growing the moment it passes max. */
struct sink {
	char *buf;
	size_t len, cap, max;
	bool over;
};

/* The parts of a URL that make its origin, plus a printable form that
 * never shows a user:password. */
struct origin {
	char *scheme, *host, *port, *path;
};

int fetch_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void fetch_global_cleanup(void)
{
	curl_global_cleanup();
}

const char *fetch_status_name(enum fetch_status s)
{
	static const char *const names[] = {
		[FETCH_OK] = "ok",
		[FETCH_NOT_MODIFIED] = "not-modified",
		[FETCH_AUTH] = "auth",
		[FETCH_RATE_LIMITED] = "rate-limited",
		[FETCH_HTTP_ERROR] = "http-error",
		[FETCH_TOO_LARGE] = "too-large",
		[FETCH_TIMEOUT] = "timeout",
		[FETCH_CONNECT] = "connect",
		[FETCH_TLS] = "tls",
		[FETCH_REDIRECT] = "redirect",
		[FETCH_TRANSFER] = "transfer",
		[FETCH_INVALID] = "invalid",
	};

	if ((size_t)s < sizeof(names) / sizeof(names[0]) && names[s])
		return names[s];
	return "unknown";
}

bool fetch_status_transient(enum fetch_status s, long http_code)
{
	switch (s) {
	case FETCH_RATE_LIMITED:
	case FETCH_TIMEOUT:
	case FETCH_CONNECT:
	case FETCH_TRANSFER:
		return true;
	case FETCH_HTTP_ERROR:
		return http_code >= 500;
	default:
		return false;
	}
}

static int status_errno(enum fetch_status s)
{
	switch (s) {
	case FETCH_OK:
	case FETCH_NOT_MODIFIED:
		return 0;
	case FETCH_AUTH:
		return -EACCES;
	case FETCH_RATE_LIMITED:
		return -EAGAIN;
	case FETCH_HTTP_ERROR:
		return -EPROTO;
	case FETCH_TOO_LARGE:
		return -EFBIG;
	case FETCH_TIMEOUT:
		return -ETIMEDOUT;
	case FETCH_CONNECT:
		return -ECONNREFUSED;
	case FETCH_TLS:
		return -EPERM;
	case FETCH_REDIRECT:
		return -ELOOP;
	case FETCH_INVALID:
		return -EINVAL;
	case FETCH_TRANSFER:
	default:
		return -EIO;
	}
}

/* Sets status and a one-line error; control bytes never reach a log. */
static void fail(struct fetch_result *r, enum fetch_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct fetch_result *r, enum fetch_status s, const char *fmt, ...)
{
	va_list ap;

	r->status = s;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	/* libcurl's own texts may quote the URL, userinfo and query included. */
	url_redact_inplace(r->error, sizeof(r->error));
	for (char *p = r->error; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			*p = '?';
}

static void origin_free(struct origin *o)
{
	curl_free(o->scheme);
	curl_free(o->host);
	curl_free(o->port);
	curl_free(o->path);
	memset(o, 0, sizeof(*o));
}

static int origin_parse(const char *url, struct origin *ret)
{
	struct origin o = { 0 };
	CURLU *u = curl_url();
	int r = -EINVAL;

	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &o.scheme, 0) != CURLUE_OK)
		goto out;
	if (strcmp(o.scheme, "file") != 0) {
		if (curl_url_get(u, CURLUPART_HOST, &o.host, 0) != CURLUE_OK)
			goto out;
		if (curl_url_get(u, CURLUPART_PORT, &o.port, CURLU_DEFAULT_PORT) != CURLUE_OK)
			goto out;
	}
	if (curl_url_get(u, CURLUPART_PATH, &o.path, 0) != CURLUE_OK)
		goto out;
	*ret = o;
	memset(&o, 0, sizeof(o));
	r = 0;
out:
	origin_free(&o);
	curl_url_cleanup(u);
	return r;
}

static bool same_origin(const struct origin *a, const struct origin *b)
{
	return a->host && b->host && strcasecmp(a->scheme, b->scheme) == 0 && strcasecmp(a->host, b->host) == 0 &&
	       strcmp(a->port, b->port) == 0;
}

/* A literal loopback address: 127.0.0.0/8 written as a dotted IPv4 quad,
 * or [::1]. Parsed, not matched by prefix: "127.0.0.1.evil.example" is a
 * host name anyone can point anywhere. No name counts, not even
 * "localhost" (resolvers, /etc/hosts and search domains decide what it
 * is); nor an IPv4-mapped [::ffff:127.0.0.1]. */
static bool is_loopback(const char *host)
{
	char v6[INET6_ADDRSTRLEN + 1];
	struct in6_addr a6;
	struct in_addr a4;
	size_t len = strlen(host);

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (len < 3 || len - 2 >= sizeof(v6) || host[0] != '[' || host[len - 1] != ']')
		return false;
	memcpy(v6, host + 1, len - 2);
	v6[len - 2] = '\0';
	return inet_pton(AF_INET6, v6, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* What we print for a URL: no user:password, no query (it may carry a
 * credential some server insists on). Built from the parsed parts, so it
 * has neither; and every error text still passes url_redact_inplace() in
 * fail(), the one redaction (urlredact.h). */
static void display_url(const struct origin *o, char *out, size_t outsz)
{
	if (o->host)
		snprintf(out, outsz, "%s://%s:%s%s", o->scheme, o->host, o->port, o->path);
	else
		snprintf(out, outsz, "%s://%s", o->scheme, o->path);
}

/* A header value we put on the wire: printable ASCII only, so nothing from
 * the cache or the config can inject another header. */
static bool header_value_ok(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || (unsigned char)*v > 0x7e)
			return false;
	return true;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (n > s->max - s->len) {
		s->over = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 16384;
		char *b;

		while (cap < s->len + n + 1)
			cap *= 2;
		if (cap > s->max + 1)
			cap = s->max + 1;
		b = realloc(s->buf, cap);
		if (!b)
			return 0;
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return n;
}

static char *dup_header(CURL *h, const char *name)
{
	struct curl_header *hdr;

	if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hdr) != CURLHE_OK)
		return NULL;
	if (!header_value_ok(hdr->value) || strlen(hdr->value) > 1024)
		return NULL; /* not something we would send back */
	return strdup(hdr->value);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wipes a header list that may hold the token before freeing it. */
static void slist_free_wiped(struct curl_slist *l)
{
	for (struct curl_slist *i = l; i; i = i->next)
		explicit_bzero(i->data, strlen(i->data));
	curl_slist_free_all(l);
}

static int add_header(struct curl_slist **l, const char *name, const char *value)
{
	char buf[2048];
	struct curl_slist *n;
	int len = snprintf(buf, sizeof(buf), "%s: %s", name, value);

	if (len < 0 || (size_t)len >= sizeof(buf))
		return -E2BIG;
	n = curl_slist_append(*l, buf);
	explicit_bzero(buf, sizeof(buf));
	if (!n)
		return -ENOMEM;
	*l = n;
	return 0;
}

static int build_headers(const struct fetch_opts *o, bool send_token, struct curl_slist **ret)
{
	struct curl_slist *l = NULL;
	int r;

	r = add_header(&l, "Accept", o->accept ? o->accept : "application/json");
	if (r == 0 && send_token) {
		char v[1100];
		int len = snprintf(v, sizeof(v), "Bearer %s", o->token);

		r = len < 0 || (size_t)len >= sizeof(v) ? -E2BIG : add_header(&l, "Authorization", v);
		explicit_bzero(v, sizeof(v));
	}
	if (r == 0 && o->etag)
		r = add_header(&l, "If-None-Match", o->etag);
	else if (r == 0 && o->last_modified)
		r = add_header(&l, "If-Modified-Since", o->last_modified);
	if (r < 0) {
		slist_free_wiped(l);
		return r;
	}
	*ret = l;
	return 0;
}

static void classify_curl_error(CURLcode c, const struct sink *s, const char *what, const char *errbuf,
				struct fetch_result *r)
{
	const char *msg = errbuf[0] ? errbuf : curl_easy_strerror(c);

	switch (c) {
	case CURLE_WRITE_ERROR:
		if (s->over) {
			fail(r, FETCH_TOO_LARGE, "%s: response larger than %zu bytes (decoded)", what, s->max);
			return;
		}
		fail(r, FETCH_TRANSFER, "%s: %s", what, msg);
		return;
	case CURLE_FILESIZE_EXCEEDED:
		fail(r, FETCH_TOO_LARGE, "%s: response larger than %zu bytes (declared)", what, s->max);
		return;
	case CURLE_OPERATION_TIMEDOUT:
		fail(r, FETCH_TIMEOUT, "%s: %s", what, msg);
		return;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_FILE_COULDNT_READ_FILE:
		fail(r, FETCH_CONNECT, "%s: %s", what, msg);
		return;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
		fail(r, FETCH_TLS, "%s: %s", what, msg);
		return;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		fail(r, FETCH_INVALID, "%s: %s", what, msg);
		return;
	default:
		fail(r, FETCH_TRANSFER, "%s: %s", what, msg);
		return;
	}
}

static void classify_http(CURL *h, long code, bool conditional, const char *what, struct fetch_result *r)
{
	curl_off_t ra = -1;

	if (code == 401 || code == 403) {
		fail(r, FETCH_AUTH, "%s: HTTP %ld (%s): check the token", what, code,
		     code == 401 ? "unauthorized" : "forbidden");
		return;
	}
	if (code == 429 || code == 503) {
		if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
			r->retry_after_s = ra > FETCH_RETRY_AFTER_MAX_S ? FETCH_RETRY_AFTER_MAX_S : (unsigned)ra;
		if (r->retry_after_s)
			fail(r, FETCH_RATE_LIMITED, "%s: HTTP %ld, retry after %u s", what, code, r->retry_after_s);
		else
			fail(r, FETCH_RATE_LIMITED, "%s: HTTP %ld", what, code);
		return;
	}
	if (code == 304 && !conditional) {
		fail(r, FETCH_HTTP_ERROR, "%s: HTTP 304 to an unconditional request", what);
		return;
	}
	fail(r, FETCH_HTTP_ERROR, "%s: HTTP %ld", what, code);
}

struct fetch_session {
	CURL *h; /* kept between requests: its connections and TLS sessions */
};

int fetch_session_new(struct fetch_session **ret)
{
	struct fetch_session *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return -ENOMEM;
	fs->h = curl_easy_init();
	if (!fs->h) {
		free(fs);
		return -ENOMEM;
	}
	*ret = fs;
	return 0;
}

void fetch_session_free(struct fetch_session *fs)
{
	if (!fs)
		return;
	curl_easy_cleanup(fs->h);
	free(fs);
}

/* Done with a handle: a session's is reset (every option back to its
 * default, so nothing of this request - the token header above all -
 * carries over; its open connections stay), a one-off one is closed. */
static void release(const struct fetch_opts *o, CURL *h)
{
	if (o->session)
		curl_easy_reset(h);
	else
		curl_easy_cleanup(h);
}

/*
 * One request to url. On a same-or-other-origin redirect, *ret_location
 * gets the target (the caller decides) and the status is left at
 * FETCH_REDIRECT.
 */
static int get_once(const struct fetch_opts *o, const char *url, const char *what, bool send_token,
		    int64_t deadline_ms, struct fetch_result *r, char **ret_location)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink s = { .max = o->max_bytes ? o->max_bytes : FETCH_DEFAULT_MAX_BYTES };
	struct curl_slist *hdrs = NULL;
	int64_t left = deadline_ms - now_ms();
	long code = 0, connect_ms = o->connect_timeout_ms ? o->connect_timeout_ms : 10000;
	bool conditional = o->etag || o->last_modified;
	CURLcode c;
	CURL *h;

	if (left <= 0) {
		fail(r, FETCH_TIMEOUT, "%s: total timeout reached", what);
		return 0;
	}
	if (build_headers(o, send_token, &hdrs) < 0) {
		fail(r, FETCH_INVALID, "%s: request headers too long", what);
		return 0;
	}
	h = o->session ? o->session->h : curl_easy_init();
	if (!h) {
		slist_free_wiped(hdrs);
		return -ENOMEM;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "provd/" PROV_VERSION);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* every decoder curl has */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	/* A declared Content-Length over the cap fails before any byte. */
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s.max);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (o->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	if (o->pinned_pubkey)
		curl_easy_setopt(h, CURLOPT_PINNEDPUBLICKEY, o->pinned_pubkey);

	c = curl_easy_perform(h);
	slist_free_wiped(hdrs);
	if (c != CURLE_OK) {
		classify_curl_error(c, &s, what, errbuf, r);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	r->http_code = code;
	if (code == 0 || (code >= 200 && code < 300)) {
		r->status = FETCH_OK;
		r->etag = dup_header(h, "ETag");
		r->last_modified = dup_header(h, "Last-Modified");
		if (!s.buf) {
			s.buf = malloc(1);
			if (!s.buf) {
				release(o, h);
				return -ENOMEM;
			}
		}
		s.buf[s.len] = '\0';
		r->body = s.buf;
		r->body_len = s.len;
		s.buf = NULL;
	} else if (code == 304 && conditional) {
		r->status = FETCH_NOT_MODIFIED;
	} else if (code >= 300 && code < 400 && code != 304) {
		char *loc = NULL;

		curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
		if (loc) {
			*ret_location = strdup(loc);
			if (!*ret_location) {
				release(o, h);
				free(s.buf);
				return -ENOMEM;
			}
			r->status = FETCH_REDIRECT;
		} else {
			fail(r, FETCH_HTTP_ERROR, "%s: HTTP %ld without a Location", what, code);
		}
	} else {
		classify_http(h, code, conditional, what, r);
	}
out:
	free(s.buf);
	release(o, h);
	return 0;
}

void fetch_result_free(struct fetch_result *r)
{
	free(r->body);
	free(r->etag);
	free(r->last_modified);
	r->body = r->etag = r->last_modified = NULL;
	r->body_len = 0;
}

int fetch_url(const struct fetch_opts *o, struct fetch_result *ret)
{
	struct origin first = { 0 }, next = { 0 };
	char what[512], *url = NULL, *location = NULL;
	int64_t deadline = now_ms() + (o->total_timeout_ms ? o->total_timeout_ms : 60000);
	bool send_token;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!o->url || origin_parse(o->url, &first) < 0) {
		fail(ret, FETCH_INVALID, "not a valid URL");
		return -EINVAL;
	}
	display_url(&first, what, sizeof(what));
	if (strcmp(first.scheme, "http") != 0 && strcmp(first.scheme, "https") != 0 &&
	    strcmp(first.scheme, "file") != 0) {
		fail(ret, FETCH_INVALID, "%s: only http, https and file URLs are supported", what);
		r = -EINVAL;
		goto out;
	}
	send_token = o->token && o->token[0] && first.host;
	if (send_token && !header_value_ok(o->token)) {
		fail(ret, FETCH_INVALID, "%s: the token contains characters not allowed in a header", what);
		r = -EINVAL;
		goto out;
	}
	if (send_token && strcmp(first.scheme, "http") == 0 && !is_loopback(first.host)) {
		fail(ret, FETCH_INVALID, "%s: refusing to send the token over plain http to a remote host", what);
		r = -EINVAL;
		goto out;
	}
	if ((o->etag && !header_value_ok(o->etag)) || (o->last_modified && !header_value_ok(o->last_modified))) {
		fail(ret, FETCH_INVALID, "%s: stored validator (ETag/Last-Modified) is malformed", what);
		r = -EINVAL;
		goto out;
	}

	url = strdup(o->url);
	if (!url) {
		r = -ENOMEM;
		goto out;
	}
	for (int hop = 0;; hop++) {
		r = get_once(o, url, what, send_token, deadline, ret, &location);
		if (r < 0)
			goto out;
		if (ret->status != FETCH_REDIRECT)
			break;
		if (hop == FETCH_MAX_REDIRECTS) {
			fail(ret, FETCH_REDIRECT, "%s: more than %d redirects", what, FETCH_MAX_REDIRECTS);
			break;
		}
		/* Follow only inside the origin: the token must never reach
		 * another host, and a pinned key only speaks for this one. */
		if (origin_parse(location, &next) < 0 || !same_origin(&first, &next)) {
			char to[256] = "an unparsable URL";

			if (next.scheme)
				snprintf(to, sizeof(to), "%s://%s:%s", next.scheme, next.host ? next.host : "",
					 next.port ? next.port : "");
			fail(ret, FETCH_REDIRECT, "%s: redirect to another origin (%s) refused", what, to);
			break;
		}
		origin_free(&next);
		free(url);
		url = location;
		location = NULL;
		ret->status = FETCH_OK;
	}
	r = status_errno(ret->status);
out:
	free(url);
	free(location);
	origin_free(&first);
	origin_free(&next);
	return r;
}

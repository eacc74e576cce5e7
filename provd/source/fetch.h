/* SPDX-License-Identifier: MIT */
/*
 * One HTTP(S) or file:// GET, the way provd needs it (issue 3):
 *
 *  - TLS always verified (peer and host name), TLS >= 1.2; optional CA file;
 *    optional pinned public key ("sha256//<base64>" or a PEM/DER file);
 *  - connect and total timeouts; a cap on the DECODED body size, so a
 *    gzip bomb is cut off as soon as it inflates past the cap;
 *  - conditional requests (If-None-Match / If-Modified-Since), with 304
 *    reported as its own outcome;
 *  - a bearer token that goes only to the origin of the URL: redirects are
 *    followed only to the same scheme, host and port (at most
 *    FETCH_MAX_REDIRECTS hops); a redirect anywhere else is refused, so the
 *    token can never be carried to another host. The token is sent over
 *    plain http:// only to a literal loopback address: an IPv4 quad in
 *    127.0.0.0/8 or [::1] (tests, local proxies), never to a name.
 *  - protocols limited to http, https and file. A file:// URL is read as
 *    it is, with no check of who owns the file: provd reads its file://
 *    sources with source_read_file() (source.h), which does.
 *
 * The only file of provd that includes curl. Nothing here logs; the result
 * carries a one-line error that never contains the token, nor a URL's
 * userinfo or query (urlredact.h).
 */
#ifndef PROV_FETCH_H
#define PROV_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FETCH_MAX_REDIRECTS 5
#define FETCH_DEFAULT_MAX_BYTES (64u << 20)
#define FETCH_RETRY_AFTER_MAX_S 86400u

/* Requests that share connections and TLS sessions (one pull of many SCIM
 * pages): a connection is reused only for the same scheme, host, port and
 * TLS settings, so it changes nothing about what is verified. */
struct fetch_session;

int fetch_session_new(struct fetch_session **ret);
void fetch_session_free(struct fetch_session *fs);

struct fetch_opts {
	const char *url;           /* http://, https:// or file:// */
	const char *token;         /* bearer token, NULL = none */
	const char *ca_file;       /* NULL = the system trust store */
	const char *pinned_pubkey; /* NULL = no pin */
	const char *etag;          /* from the last 200, NULL = none */
	const char *last_modified; /* ditto (sent only when there is no etag) */
	const char *accept;        /* Accept header, NULL = application/json */
	unsigned connect_timeout_ms; /* 0 = 10000 */
	unsigned total_timeout_ms;   /* 0 = 60000 */
	size_t max_bytes;            /* 0 = FETCH_DEFAULT_MAX_BYTES */
	struct fetch_session *session; /* NULL = a connection of its own */
};

enum fetch_status {
	FETCH_OK,            /* 2xx: body holds the decoded response */
	FETCH_NOT_MODIFIED,  /* 304 to our conditional request */
	FETCH_AUTH,          /* 401 or 403: keep the cache, raise an alert */
	FETCH_RATE_LIMITED,  /* 429 or 503: see retry_after_s */
	FETCH_HTTP_ERROR,    /* any other non-2xx status */
	FETCH_TOO_LARGE,     /* body (decoded) over max_bytes */
	FETCH_TIMEOUT,       /* connect or total timeout */
	FETCH_CONNECT,       /* refused, unreachable, name not resolved */
	FETCH_TLS,           /* certificate, host name or pin verification */
	FETCH_REDIRECT,      /* redirect to another origin, or too many */
	FETCH_TRANSFER,      /* cut connection, bad encoding, other errors */
	FETCH_INVALID,       /* bad URL or options (nothing was sent) */
};

struct fetch_result {
	enum fetch_status status;
	long http_code;       /* 0 for file:// and when no response came */
	char *body;           /* FETCH_OK only: NUL-terminated (NUL not counted) */
	size_t body_len;
	char *etag;           /* validators of a 200, NULL when absent */
	char *last_modified;
	unsigned retry_after_s; /* 429/503 with Retry-After; capped; 0 = none */
	char error[256];      /* one line; "" on success */
};

/* curl_global_init: call once at start-up, before any thread exists. */
int fetch_global_init(void);
void fetch_global_cleanup(void);

/*
 * Performs the GET. Returns 0 for FETCH_OK and FETCH_NOT_MODIFIED, and a
 * negative errno matching the status otherwise (-EACCES auth, -EAGAIN rate
 * limited, -EPROTO http error, -EFBIG too large, -ETIMEDOUT, -ECONNREFUSED,
 * -EPERM tls, -ELOOP redirect, -EIO transfer, -EINVAL, -ENOMEM). Unlike most
 * functions here, ret is filled in every case (status and error describe the
 * failure); release it with fetch_result_free().
 */
int fetch_url(const struct fetch_opts *o, struct fetch_result *ret);
void fetch_result_free(struct fetch_result *r);

/* "ok", "not-modified", "auth", ...: stable names for status output. */
const char *fetch_status_name(enum fetch_status s);

/* Worth retrying soon (timeouts, connection errors, 5xx, 429)? Auth and
 * TLS failures are not: they need an operator. */
bool fetch_status_transient(enum fetch_status s, long http_code);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The one URL redaction (common/urlredact.c), issue 8 §4: userinfo and
 * query of every URL in a text are hidden, the rest of the text and the
 * scheme, host, port and path are kept; hostile and cut texts never show
 * a secret.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "urlredact.h"

#define SECRET "s3cr3t-T0KEN"

static const char *red(const char *in)
{
	static char out[512];

	url_redact_text(in, out, sizeof(out));
	return out;
}

Test(urlredact, plain_text_and_plain_urls_unchanged)
{
	cr_assert_str_eq(red("nothing to see"), "nothing to see");
	cr_assert_str_eq(red(""), "");
	cr_assert_str_eq(red("https://scim.example:8443/v2/Users"), "https://scim.example:8443/v2/Users");
	cr_assert_str_eq(red("file:///etc/prov/dir.json"), "file:///etc/prov/dir.json");
}

Test(urlredact, userinfo_hidden)
{
	cr_assert_str_eq(red("https://bob:" SECRET "@h.example/d.json"), "https://***@h.example/d.json");
	cr_assert_str_eq(red("https://" SECRET "@h.example"), "https://***@h.example");
	/* the last '@' before the query ends the userinfo, even past a '/' */
	cr_assert_str_eq(red("https://u:a@b/" SECRET "@h.example/p"), "https://***@h.example/p");
}

Test(urlredact, query_and_fragment_hidden)
{
	cr_assert_str_eq(red("https://bucket.s3.example/dir.json?X-Amz-Signature=" SECRET "&X-Amz-Expires=60"),
			 "https://bucket.s3.example/dir.json?***");
	cr_assert_str_eq(red("https://h/p?a=1#" SECRET), "https://h/p?***#***");
	cr_assert_str_eq(red("https://h/p#" SECRET), "https://h/p#***");
	cr_assert_str_eq(red("https://h?sig=" SECRET), "https://h?***");
	/* an '@' in the query is the query's, not userinfo */
	cr_assert_str_eq(red("https://h/Users?filter=a@b" SECRET), "https://h/Users?***");
}

Test(urlredact, urls_inside_text)
{
	cr_assert_str_eq(red("pull from https://u:" SECRET "@h/d?sig=" SECRET " failed: Could not connect"),
			 "pull from https://***@h/d?*** failed: Could not connect");
	cr_assert_str_eq(red("a http://h/?x=" SECRET " and 'https://k:" SECRET "@g/'"),
			 "a http://h/?*** and 'https://***@g/'");
	cr_assert_str_eq(red("source document https://a/x?s=" SECRET "\nnext"), "source document https://a/x?***\nnext");
	cr_assert_str_eq(red("weird://x@y and ://" SECRET "@z"), "weird://***@y and ://***@z");
}

Test(urlredact, no_secret_whatever_is_cut)
{
	const char *in = "e: https://user:" SECRET "@host.example/path?sig=" SECRET;
	char out[64];

	for (size_t sz = 1; sz < sizeof(out); sz++) {
		url_redact_text(in, out, sz);
		cr_assert_lt(strlen(out), sz);
		cr_assert_null(strstr(out, "s3cr"), "size %zu: %s", sz, out);
		cr_assert_null(strstr(out, "user"), "size %zu: %s", sz, out);
	}
}

Test(urlredact, in_place)
{
	char buf[128] = "GET https://u:" SECRET "@h/p?q=" SECRET ": 403";

	url_redact_inplace(buf, sizeof(buf));
	/* the ":" is taken as part of the query: hiding more, never less */
	cr_assert_str_eq(buf, "GET https://***@h/p?*** 403");
	url_redact_inplace(NULL, 0);
}

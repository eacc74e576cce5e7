/* SPDX-License-Identifier: MIT */
/*
 * provd/base/errbuf.c: the caller's error text buffer. A refusal fills it (cut
 * to its size) and hands back the error code; a caller that wants no text
 * passes no buffer.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "base/errbuf.h"

Test(errbuf, set_formats_the_text)
{
	char err[32] = "old";

	errbuf_set(err, sizeof(err), "state dir %s: %d", "/x", 7);
	cr_assert_str_eq(err, "state dir /x: 7");
}

Test(errbuf, set_truncates_to_the_buffer)
{
	char err[6];

	memset(err, 'z', sizeof(err));
	errbuf_set(err, sizeof(err), "%s", "truncated while reading");
	cr_assert_str_eq(err, "trunc");
}

Test(errbuf, fail_returns_the_code_and_fills_the_text)
{
	char err[32] = "";

	cr_assert_eq(errbuf_fail(-EBADMSG, err, sizeof(err), "header CRC %s", "mismatch"), -EBADMSG);
	cr_assert_str_eq(err, "header CRC mismatch");
}

Test(errbuf, fail_without_a_buffer_still_returns_the_code)
{
	char err[4] = "abc";

	cr_assert_eq(errbuf_fail(-EPERM, NULL, 16, "ignored"), -EPERM);
	cr_assert_eq(errbuf_fail(-ENOMEM, err, 0, "ignored"), -ENOMEM);
	cr_assert_str_eq(err, "abc");
}

/* SPDX-License-Identifier: MIT */
/* common/validate.c: the field rules behind DESIGN invariant 2. */
#include <criterion/criterion.h>
#include <string.h>

#include "validate.h"

Test(validate_name, accepts_ordinary_names)
{
	const char *ok[] = { "alice", "Bob", "_svc", "a", "a.b-c_d9", "x2345678901234567890123456789012" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_expect_null(validate_name(ok[i]), "%s refused: %s", ok[i], validate_name(ok[i]));
}

Test(validate_name, invariant2_refuses_hostile_names)
{
	struct {
		const char *name, *why;
	} bad[] = {
		{ "", "is empty" },
		{ "a:b", "contains ':'" },
		{ "a/b", "contains '/'" },
		{ "a\nb", "contains a newline" },
		{ "a\tb", "contains a control character" },
		{ "a\x7f", "contains a control character" },
		{ "a b", "contains a space" },
		{ "al\xc3\xaf" "ce", "contains a non-ASCII byte" },
		{ "0", "starts with a digit" },
		{ "0day", "starts with a digit" },
		{ "0x0", "starts with a digit" },
		{ "1000", "starts with a digit" },
		{ "-rf", "starts with '-'" },
		{ ".hidden", "starts with '.'" },
		{ ".", "starts with '.'" },
		{ "..", "starts with '.'" },
		{ "machine$", "contains a character other than A-Z a-z 0-9 _ . -" },
		{ "a*", "contains a character other than A-Z a-z 0-9 _ . -" },
		{ "x23456789012345678901234567890123", "is longer than 32 bytes" },
	};

	cr_expect_str_eq(validate_name(NULL), "is missing");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = validate_name(bad[i].name);

		cr_expect_not_null(why, "case %zu accepted", i);
		if (why)
			cr_expect_str_eq(why, bad[i].why, "case %zu", i);
	}
}

Test(validate_gecos, accepts_text_with_commas_slashes_and_utf8)
{
	cr_expect_null(validate_gecos(""));
	cr_expect_null(validate_gecos("Alice Liddell,,,"));
	cr_expect_null(validate_gecos("R&D / Ops, room 2/14"));
	cr_expect_null(validate_gecos("J\xc3\xbcrgen M\xc3\xbcller \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"));
}

Test(validate_gecos, invariant2_refuses_hostile_gecos)
{
	char big[10 * 1024 + 1];
	char edge[257];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(edge, 'a', sizeof(edge) - 1);
	edge[256] = '\0';
	cr_expect_null(validate_gecos(edge), "exactly 256 bytes is allowed");
	cr_expect_str_eq(validate_gecos(big), "is longer than 256 bytes");
	cr_expect_str_eq(validate_gecos("x:0:0:owned:/root:/bin/sh"), "contains ':'");
	cr_expect_str_eq(validate_gecos("a\nroot::0:0::/:/bin/sh"), "contains a newline");
	cr_expect_str_eq(validate_gecos("bell\a"), "contains a control character");
	cr_expect_str_eq(validate_gecos("esc\x1b[2J"), "contains a control character");
	cr_expect_str_eq(validate_gecos("del\x7f"), "contains a control character");
	cr_expect_str_eq(validate_gecos("c1 \xc2\x9b"), "contains a control character");
	cr_expect_str_eq(validate_gecos("bad \xff"), "is not valid UTF-8");
	cr_expect_str_eq(validate_gecos("overlong \xc0\xba"), "is not valid UTF-8");
	cr_expect_str_eq(validate_gecos("cut \xe6\x97"), "is not valid UTF-8");
	cr_expect_str_eq(validate_gecos("rtl \xe2\x80\xae"), "contains a bidirectional control character");
	cr_expect_str_eq(validate_gecos("ls \xe2\x80\xa8"), "contains a Unicode line separator");
	cr_expect_str_eq(validate_gecos(NULL), "is missing");
}

Test(utf8_valid, boundaries)
{
	cr_expect(utf8_valid("", 0));
	cr_expect(utf8_valid("abc", 3));
	cr_expect(utf8_valid("\xf4\x8f\xbf\xbf", 4), "U+10FFFF");
	cr_expect_not(utf8_valid("\xf4\x90\x80\x80", 4), "above U+10FFFF");
	cr_expect_not(utf8_valid("\xed\xa0\x80", 3), "surrogate U+D800");
	cr_expect_not(utf8_valid("\xe0\x80\xaf", 3), "overlong '/'");
	cr_expect_not(utf8_valid("\xf0\x80\x80\xaf", 4), "overlong '/'");
	cr_expect_not(utf8_valid("\x80", 1), "lone continuation");
	cr_expect_not(utf8_valid("\xc3", 1), "truncated");
	cr_expect(utf8_valid("a\0b", 3), "NUL is valid UTF-8 (callers check it)");
}

Test(validate_path, accepts_normal_paths)
{
	cr_expect_null(validate_path("/bin/bash"));
	cr_expect_null(validate_path("/home/alice"));
	cr_expect_null(validate_path("/home/a..b/.c/...")); /* only exact . and .. are special */
	cr_expect_null(validate_path("/"));
}

Test(validate_path, invariant2_refuses_bad_paths)
{
	char longp[300];

	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	cr_expect_str_eq(validate_path(""), "is empty");
	cr_expect_str_eq(validate_path("bin/bash"), "is not an absolute path");
	cr_expect_str_eq(validate_path("/home/../etc"), "contains a '..' component");
	cr_expect_str_eq(validate_path("/home/.."), "contains a '..' component");
	cr_expect_str_eq(validate_path("/home/./a"), "contains a '.' component");
	cr_expect_str_eq(validate_path("/home//a"), "contains an empty component (\"//\")");
	cr_expect_str_eq(validate_path("/home/a/"), "ends with '/'");
	cr_expect_str_eq(validate_path("/home/a:b"), "contains ':'");
	cr_expect_str_eq(validate_path("/bin/sh\n"), "contains a newline");
	cr_expect_str_eq(validate_path("/bin/\xff"), "is not valid UTF-8");
	cr_expect_str_eq(validate_path(longp), "is longer than 255 bytes");
}

Test(validate_home, invariant2_home_strictly_under_base)
{
	cr_expect_null(validate_home("/home/alice", "/home"));
	cr_expect_null(validate_home("/home/team/alice", "/home"));
	cr_expect_null(validate_home("/srv/u/alice", "/srv/u"));
	cr_expect_str_eq(validate_home("/", "/home"), "is /");
	cr_expect_str_eq(validate_home("/home", "/home"), "is home_base itself");
	cr_expect_str_eq(validate_home("/homer/alice", "/home"), "is not under home_base");
	cr_expect_str_eq(validate_home("/etc", "/home"), "is not under home_base");
	cr_expect_str_eq(validate_home("/home/../etc", "/home"), "contains a '..' component");
	cr_expect_str_eq(validate_home("home/alice", "/home"), "is not an absolute path");
	cr_expect_str_eq(validate_home("", "/home"), "is empty");
	cr_expect_str_eq(validate_home("/home/alice", "home"), "cannot be checked: home_base is not a valid path");
}

Test(sanitize_for_log, replaces_and_cuts)
{
	char out[8];

	sanitize_for_log("a\nb:\xff", out, sizeof(out));
	cr_expect_str_eq(out, "a?b:?");
	sanitize_for_log("abcdefghijkl", out, sizeof(out));
	cr_expect_str_eq(out, "abcd...");
	sanitize_for_log("abcdefg", out, sizeof(out));
	cr_expect_str_eq(out, "abcdefg", "exactly fits: not cut");
	sanitize_for_log(NULL, out, sizeof(out));
	cr_expect_str_eq(out, "(null)");
}

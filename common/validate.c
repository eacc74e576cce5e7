/* SPDX-License-Identifier: MIT */
/*
 * Field validation (DESIGN invariant 2). Everything here is libc only and
 * allocation free: it is linked into the NSS and PAM side as well.
 *
 * The rules are deliberately narrower than what glibc would accept: a value
 * that some consumer (a passwd line, a terminal, a shell script splitting on
 * ':' or whitespace, a log line) could misread is refused, not escaped.
 */
#include <stdint.h>
#include <string.h>

#include "prov/protocol.h"
#include "validate.h"

static bool is_ascii_letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ascii_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Names follow the portable POSIX character set with Debian's default
 * NAME_REGEX spirit: the first character is a letter or '_'. A leading digit
 * is refused because tools (chown, find -user, id) take an all-digit or
 * numeric-looking argument ("0", "0day", "0x0") as a number; a leading '-'
 * reads as an option, a leading '.' as a hidden or relative path. Upper case
 * is allowed (systemd and sssd allow it); case twins are refused by admission.
 */
const char *validate_name(const char *s)
{
	size_t len;

	if (!s)
		return "is missing";
	len = strlen(s);
	if (len == 0)
		return "is empty";
	if (len > PROV_NAME_MAX)
		return "is longer than 32 bytes";
	if (is_ascii_digit((unsigned char)s[0]))
		return "starts with a digit";
	if (s[0] == '-')
		return "starts with '-'";
	if (s[0] == '.')
		return "starts with '.'";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_ascii_letter(c) || is_ascii_digit(c) || c == '_' || c == '.' || c == '-')
			continue;
		if (c == ':')
			return "contains ':'";
		if (c == '/')
			return "contains '/'";
		if (c == '\n')
			return "contains a newline";
		if (c < 0x20 || c == 0x7f)
			return "contains a control character";
		if (c == ' ')
			return "contains a space";
		if (c >= 0x80)
			return "contains a non-ASCII byte";
		return "contains a character other than A-Z a-z 0-9 _ . -";
	}
	return NULL;
}

/* Decodes one UTF-8 sequence at s (n bytes left): its length, or 0 when it
 * is malformed, overlong, a surrogate or above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	uint32_t cp, min;
	size_t len;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1fu;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0fu;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07u;
		min = 0x10000;
	} else {
		return 0; /* continuation byte, C0/C1 overlong lead, or > U+10FFFF */
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0u) != 0x80u)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return len;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_seq(p + i, len - i, &cp);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/*
 * Code points that must not reach a terminal or a log line from a directory
 * value: C0 and C1 controls, DEL, the line and paragraph separators, and the
 * bidirectional overrides and isolates ("Trojan Source"), which can make a
 * displayed value read differently from its bytes.
 */
static const char *bad_code_point(uint32_t cp)
{
	if (cp == '\n')
		return "contains a newline";
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
		return "contains a control character";
	if (cp == 0x2028 || cp == 0x2029)
		return "contains a Unicode line separator";
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f)
		return "contains a bidirectional control character";
	return NULL;
}

/* Shared by gecos and paths: valid UTF-8, no ':' and no code point above. */
static const char *check_text(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_seq(p + i, len - i, &cp);
		const char *why;

		if (n == 0)
			return "is not valid UTF-8";
		if (cp == ':')
			return "contains ':'";
		why = bad_code_point(cp);
		if (why)
			return why;
		i += n;
	}
	return NULL;
}

/* '/' and ',' are allowed: they mean nothing to the passwd format (',' only
 * splits GECOS into its customary sub-fields). */
const char *validate_gecos(const char *s)
{
	size_t len;

	if (!s)
		return "is missing";
	len = strlen(s);
	if (len > PROV_GECOS_MAX)
		return "is longer than 256 bytes";
	return check_text(s, len);
}

const char *validate_path(const char *s)
{
	const char *why, *comp;
	size_t len;

	if (!s)
		return "is missing";
	len = strlen(s);
	if (len == 0)
		return "is empty";
	if (s[0] != '/')
		return "is not an absolute path";
	if (len > PROV_PATH_MAX)
		return "is longer than 255 bytes";
	why = check_text(s, len);
	if (why)
		return why;
	if (len == 1)
		return NULL; /* "/" itself; validate_home() refuses it as a home */

	/* Walk the components after each '/'. */
	comp = s + 1;
	for (;;) {
		const char *slash = strchr(comp, '/');
		size_t clen = slash ? (size_t)(slash - comp) : strlen(comp);

		if (clen == 0)
			return slash ? "contains an empty component (\"//\")" : "ends with '/'";
		if (clen == 1 && comp[0] == '.')
			return "contains a '.' component";
		if (clen == 2 && comp[0] == '.' && comp[1] == '.')
			return "contains a '..' component";
		if (!slash)
			return NULL;
		comp = slash + 1;
	}
}

const char *validate_home(const char *s, const char *base)
{
	const char *why = validate_path(s);
	size_t blen;

	if (why)
		return why;
	if (strcmp(s, "/") == 0)
		return "is /";
	if (!base || validate_path(base))
		return "cannot be checked: home_base is not a valid path";
	blen = strlen(base);
	if (blen == 1)
		return NULL; /* base "/": any path but "/" is below it */
	if (strcmp(s, base) == 0)
		return "is home_base itself";
	/* s is normalised (no trailing '/', no empty component), so
	 * "base/" followed by anything is strictly below base. */
	if (strncmp(s, base, blen) != 0 || s[blen] != '/')
		return "is not under home_base";
	return NULL;
}

void sanitize_for_log(const char *s, char *out, size_t outsz)
{
	size_t i = 0;

	if (!out || outsz == 0)
		return;
	if (!s)
		s = "(null)";
	for (; s[i] && i + 1 < outsz; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	out[i] = '\0';
	/* Mark a cut so a reader does not take a prefix for the whole value. */
	if (s[i] && outsz >= 4)
		memcpy(out + outsz - 4, "...", 4);
}

/* SPDX-License-Identifier: MIT */
/* URL redaction; the rule and why are in urlredact.h. */
#include "urlredact.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct out {
	char *p;
	size_t len, cap; /* cap counts the NUL */
};

static void put(struct out *o, const char *s, size_t n)
{
	size_t room = o->cap - 1 - o->len;

	if (n > room)
		n = room;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Where a URL that starts at s ends. */
static bool url_char(unsigned char c)
{
	return c > 0x20 && c != 0x7f && c != '"' && c != '\'' && c != '<' && c != '>' && c != '`';
}

static size_t url_len(const char *s)
{
	size_t n = 0;

	while (s[n] && url_char((unsigned char)s[n]))
		n++;
	return n;
}

/* One URL: s[0..n) starts at the "//" right after the scheme's ':'.
 * The userinfo ends at the last '@' before the query or fragment, even
 * past a '/': a password with an unescaped '/' is still a password, and
 * hiding a path that holds an '@' costs nothing. */
static void put_redacted(struct out *o, const char *s, size_t n)
{
	size_t q = 2, at = 0, host, i;

	while (q < n && s[q] != '?' && s[q] != '#')
		q++;
	for (i = 2; i < q; i++)
		if (s[i] == '@')
			at = i;
	put(o, "//", 2);
	host = 2;
	if (at) {
		puts_(o, "***@");
		host = at + 1;
	}
	put(o, s + host, q - host);
	i = q;
	if (i < n && s[i] == '?') {
		puts_(o, "?***");
		while (i < n && s[i] != '#')
			i++;
	}
	if (i < n && s[i] == '#')
		puts_(o, "#***");
}

void url_redact_text(const char *in, char *out, size_t outsz)
{
	struct out o = { out, 0, outsz };
	const char *p = in, *mark;

	if (!outsz)
		return;
	out[0] = '\0';
	if (!in)
		return;
	while ((mark = strstr(p, "://"))) {
		size_t n = url_len(mark + 1);

		/* The text before, and the scheme: no secret in either. */
		put(&o, p, (size_t)(mark + 1 - p));
		put_redacted(&o, mark + 1, n);
		p = mark + 1 + n;
	}
	puts_(&o, p);
}

void url_redact_inplace(char *buf, size_t bufsz)
{
	char *copy;

	if (!buf || !bufsz || !strstr(buf, "://"))
		return;
	copy = strdup(buf);
	if (!copy) {
		/* No memory for a copy: hide everything rather than risk it. */
		buf[0] = '\0';
		return;
	}
	url_redact_text(copy, buf, bufsz);
	free(copy);
}

/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the URL redaction (common/urlredact.c, issue 8 §4):
 * any text. Besides crashes and sanitizer reports, it traps when
 * redacting twice gives another text than redacting once (what is shown
 * is already safe to show), when a URL in the output still has a query,
 * fragment or userinfo other than "***", or when an output cut to a small
 * buffer is not the start of the whole output.
 *
 * Seed corpus: tests/fuzz/corpus/urlredact/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "urlredact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		__builtin_trap();
}

static int url_char(unsigned char c)
{
	return c > 0x20 && c != 0x7f && c != '"' && c != '\'' && c != '<' && c != '>' && c != '`';
}

/* Every URL in s: after "://", an '@' only as "***@" and only right
 * after the "://"; a '?' or '#' only followed by "***". */
static void check_urls(const char *s)
{
	const char *p = s;

	while ((p = strstr(p, "://"))) {
		const char *u = p + 3;
		size_t n = 0;

		while (u[n] && url_char((unsigned char)u[n]))
			n++;
		for (size_t i = 0; i < n; i++) {
			if (u[i] == '@')
				check(i == 3 && strncmp(u, "***@", 4) == 0);
			if (u[i] == '?' || u[i] == '#')
				check(i + 3 < n + 1 && strncmp(u + i + 1, "***", 3) == 0);
			if (u[i] == '?' || u[i] == '#')
				i += 3;
		}
		p = u + n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Redaction at most doubles a text (":/?" becomes ":/?***"); the cut
	 * size comes from the first byte. */
	size_t bigsz = 2 * size + 16, cutsz = size ? (size_t)data[0] % 64 + 1 : 1;
	char *in = malloc(size + 1), *once = malloc(bigsz), *twice = malloc(bigsz), *cut = malloc(cutsz);

	if (!in || !once || !twice || !cut)
		goto out;
	memcpy(in, data, size);
	in[size] = '\0';
	url_redact_text(in, once, bigsz);
	check(strlen(once) < bigsz - 1); /* never cut at this size */
	url_redact_text(once, twice, bigsz);
	check(strcmp(once, twice) == 0);
	check_urls(once);
	/* A cut output is the start of the whole one: cutting never lets
	 * through what the whole output hides. */
	url_redact_text(in, cut, cutsz);
	check(strlen(cut) < cutsz && strncmp(cut, once, strlen(cut)) == 0);
out:
	free(in);
	free(once);
	free(twice);
	free(cut);
	return 0;
}

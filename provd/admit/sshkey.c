/* SPDX-License-Identifier: MIT */
/* Parsing one authorized_keys line from the directory; what passes and
 * why is in sshkey.h. Facts from OpenSSH's PROTOCOL and RFC 4253 §6.6,
 * RFC 5656 §3.1, RFC 8709 §4 (key blob layouts) and sshd(8)
 * AUTHORIZED_KEYS FILE FORMAT (options). */
#include "admit/sshkey.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prov/protocol.h"

/* OpenSSH refuses RSA moduli over 16384 bits; so do we (and it bounds
 * the work). */
#define RSA_MAX_BITS 16384
#define SK_APP_MAX 256

enum shape { SHAPE_ED25519, SHAPE_ECDSA, SHAPE_RSA, SHAPE_SK_ED25519, SHAPE_SK_ECDSA };

struct key_type {
	const char *name;
	enum shape shape;
	const char *curve; /* ECDSA: the curve name inside the blob */
	size_t point;      /* public key / point length in bytes */
};

static const struct key_type key_types[] = {
	{ "ssh-ed25519", SHAPE_ED25519, NULL, 32 },
	{ "ecdsa-sha2-nistp256", SHAPE_ECDSA, "nistp256", 65 },
	{ "ecdsa-sha2-nistp384", SHAPE_ECDSA, "nistp384", 97 },
	{ "ecdsa-sha2-nistp521", SHAPE_ECDSA, "nistp521", 133 },
	{ "sk-ssh-ed25519@openssh.com", SHAPE_SK_ED25519, NULL, 32 },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", SHAPE_SK_ECDSA, "nistp256", 65 },
	{ "ssh-rsa", SHAPE_RSA, NULL, 0 },
};

/* ---- base64, strict: canonical padding, no stray bits, no white space */

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes one quad; returns the bytes it yields (1..3) or -1. last says
 * whether padding may appear. */
static int b64_quad(const char *s, bool last, uint8_t out[3])
{
	int v[4], pad = 0;

	for (int i = 0; i < 4; i++) {
		if (s[i] == '=' && last && i >= 2) {
			v[i] = 0;
			pad++;
			continue;
		}
		if (pad)
			return -1; /* data after '=' */
		v[i] = b64_value((unsigned char)s[i]);
		if (v[i] < 0)
			return -1;
	}
	/* Bits that padding drops must be zero: one blob, one spelling. */
	if ((pad == 2 && (v[1] & 0x0f)) || (pad == 1 && (v[2] & 0x03)))
		return -1;
	out[0] = (uint8_t)(v[0] << 2 | v[1] >> 4);
	out[1] = (uint8_t)((v[1] & 0x0f) << 4 | v[2] >> 2);
	out[2] = (uint8_t)((v[2] & 0x03) << 6 | v[3]);
	return 3 - pad;
}

/* n characters of s into out (room for n / 4 * 3); the length or -1. */
static long b64_decode(const char *s, size_t n, uint8_t *out)
{
	size_t len = 0;

	if (n == 0 || n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int k = b64_quad(s + i, i + 4 == n, out + len);

		if (k < 0)
			return -1;
		len += (size_t)k;
	}
	return (long)len;
}

/* ---- the SSH wire encoding of the blob (RFC 4251 §5) */

struct reader {
	const uint8_t *p;
	size_t n;
};

static bool get_string(struct reader *r, const uint8_t **ret, size_t *ret_len)
{
	uint32_t len;

	if (r->n < 4)
		return false;
	len = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	if (len > r->n - 4)
		return false;
	*ret = r->p + 4;
	*ret_len = len;
	r->p += 4 + len;
	r->n -= 4 + len;
	return true;
}

static bool get_string_eq(struct reader *r, const char *want)
{
	const uint8_t *s;
	size_t len;

	return get_string(r, &s, &len) && len == strlen(want) && memcmp(s, want, len) == 0;
}

static bool get_fixed(struct reader *r, size_t want, const uint8_t **ret)
{
	size_t len;

	return get_string(r, ret, &len) && len == want;
}

/* A positive mpint in its minimal form; its size in bits. */
static bool get_mpint_bits(struct reader *r, unsigned *ret_bits)
{
	const uint8_t *s;
	size_t len;
	unsigned bits;

	if (!get_string(r, &s, &len) || len == 0 || (s[0] & 0x80))
		return false;
	if (s[0] == 0) {
		if (len == 1 || !(s[1] & 0x80))
			return false; /* a needless leading zero */
		s++;
		len--;
	}
	if (len > RSA_MAX_BITS / 8 + 1)
		return false;
	bits = (unsigned)(len - 1) * 8;
	for (uint8_t top = s[0]; top; top >>= 1)
		bits++;
	*ret_bits = bits;
	return true;
}

static const char *check_rsa(struct reader *r)
{
	unsigned ebits, nbits;

	if (!get_mpint_bits(r, &ebits) || !get_mpint_bits(r, &nbits))
		return "has a malformed RSA key";
	if (ebits < 2 || ebits > 64)
		return "has an RSA key with an unusable exponent";
	if (nbits < SSHKEY_RSA_MIN_BITS)
		return "is an RSA key shorter than 2048 bits";
	if (nbits > RSA_MAX_BITS)
		return "is an RSA key longer than 16384 bits";
	return NULL;
}

static bool get_point(struct reader *r, const struct key_type *t)
{
	const uint8_t *pt;

	/* An uncompressed point: 0x04 || x || y (SEC 1 §2.3.3). */
	return get_string_eq(r, t->curve) && get_fixed(r, t->point, &pt) && pt[0] == 0x04;
}

static bool get_application(struct reader *r)
{
	const uint8_t *s;
	size_t len;

	return get_string(r, &s, &len) && len > 0 && len <= SK_APP_MAX && !memchr(s, '\0', len);
}

/* The blob after its type string: the fields of that type, nothing more. */
static const char *check_body(struct reader *r, const struct key_type *t)
{
	const uint8_t *pk;
	bool ok;

	switch (t->shape) {
	case SHAPE_RSA: {
		const char *why = check_rsa(r);

		if (why)
			return why;
		ok = true;
		break;
	}
	case SHAPE_ED25519:
		ok = get_fixed(r, t->point, &pk);
		break;
	case SHAPE_ECDSA:
		ok = get_point(r, t);
		break;
	case SHAPE_SK_ED25519:
		ok = get_fixed(r, t->point, &pk) && get_application(r);
		break;
	case SHAPE_SK_ECDSA:
		ok = get_point(r, t) && get_application(r);
		break;
	default:
		ok = false;
	}
	if (!ok)
		return "has key data that is not a key of its type";
	if (r->n != 0)
		return "has trailing bytes in its key data";
	return NULL;
}

static const char *check_blob(const char *b64, size_t n, const struct key_type *t)
{
	uint8_t *blob = malloc(n / 4 * 3 + 3);
	struct reader r;
	const char *why;
	long len;

	if (!blob)
		return "could not be checked (out of memory)";
	len = b64_decode(b64, n, blob);
	if (len < 0) {
		why = "has key data that is not base64";
	} else {
		r = (struct reader){ blob, (size_t)len };
		why = get_string_eq(&r, t->name) ? check_body(&r, t) : "has key data of another type than it says";
	}
	free(blob);
	return why;
}

/* ---- options */

struct option_def {
	const char *name;
	bool value; /* name="value" */
	const char *(*check)(const char *v, size_t n);
};

static const char *check_from(const char *v, size_t n)
{
	/* Host and address patterns: names, IPv4/IPv6, CIDR, '*', '?', '!'. */
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:/*?!,%";

	for (size_t i = 0; i < n; i++)
		if (!strchr(ok, v[i]))
			return "has a from= option with characters no host pattern has";
	return n ? NULL : "has an empty from= option";
}

static const char *check_expiry(const char *v, size_t n)
{
	size_t digits = strspn(v, "0123456789");

	if (digits > n)
		digits = n;
	if ((digits == 8 || digits == 12 || digits == 14) && (n == digits || (n == digits + 1 && v[digits] == 'Z')))
		return NULL;
	return "has an expiry-time= option that is not YYYYMMDD[HHMM[SS]][Z]";
}

/* The options that only ever take rights away. */
static const struct option_def restricting[] = {
	{ "restrict", false, NULL },
	{ "no-pty", false, NULL },
	{ "no-port-forwarding", false, NULL },
	{ "no-agent-forwarding", false, NULL },
	{ "no-X11-forwarding", false, NULL },
	{ "no-user-rc", false, NULL },
	{ "from", true, check_from },
	{ "expiry-time", true, check_expiry },
};

/* Those that give rights: named in the reason, so the log says what the
 * directory tried (the option's name only, never its value). */
static const struct {
	const char *name, *why;
} granting[] = {
	{ "command", "has a command= option (never allowed)" },
	{ "environment", "has an environment= option (never allowed)" },
	{ "permitopen", "has a permitopen= option (never allowed)" },
	{ "permitlisten", "has a permitlisten= option (never allowed)" },
	{ "tunnel", "has a tunnel= option (never allowed)" },
	{ "principals", "has a principals= option (never allowed)" },
	{ "cert-authority", "has a cert-authority option (never allowed)" },
};

static const char *option_refused(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(granting) / sizeof(granting[0]); i++)
		if (strlen(granting[i].name) == n && strncasecmp(p, granting[i].name, n) == 0)
			return granting[i].why;
	return "has an option that is not a restricting one";
}

static const struct option_def *find_option(const char *p, size_t n)
{
	/* sshd compares option names without regard to case. */
	for (size_t i = 0; i < sizeof(restricting) / sizeof(restricting[0]); i++)
		if (strlen(restricting[i].name) == n && strncasecmp(p, restricting[i].name, n) == 0)
			return &restricting[i];
	return NULL;
}

/* One option at *pp ('name' or 'name="value"'); *pp moves past it. */
static const char *check_one_option(const char **pp)
{
	static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
	const char *p = *pp, *v, *why;
	size_t n = strspn(p, name_chars);
	const struct option_def *o;

	if (n == 0)
		return "has malformed options";
	o = find_option(p, n);
	if (!o)
		return option_refused(p, n);
	p += n;
	if (o->value != (*p == '='))
		return o->value ? "has an option without its value" : "has a value on an option that takes none";
	if (o->value) {
		if (p[1] != '"')
			return "has an option value that is not quoted";
		v = p + 2;
		p = strchr(v, '"'); /* the value checks allow no '\\', so no \" */
		if (!p)
			return "has an unterminated option value";
		why = o->check(v, (size_t)(p - v));
		if (why)
			return why;
		p++;
	}
	*pp = p;
	return NULL;
}

static const char *check_options(const char **pp, enum sshkey_options opts)
{
	const char *p = *pp, *why;

	if (opts != SSHKEY_OPTIONS_RESTRICT)
		return "has options (refused: [login] key_options = none)";
	for (;;) {
		why = check_one_option(&p);
		if (why)
			return why;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == ' ')
			break;
		return "has malformed options";
	}
	*pp = p;
	return NULL;
}

/* ---- the line */

static const struct key_type *find_type(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (strlen(key_types[i].name) == n && memcmp(p, key_types[i].name, n) == 0)
			return &key_types[i];
	return NULL;
}

/* Printable ASCII only: a newline would start a second line (with any
 * options) behind the first; a tab or NUL would be read differently by
 * sshd than by us. */
static const char *check_bytes(const char *line)
{
	size_t len = strlen(line);

	if (len == 0)
		return "is empty";
	if (len > PROV_SSH_KEY_MAX)
		return "is too long";
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || (unsigned char)line[i] >= 0x7f)
			return "contains a control character or a non-ASCII byte";
	if (strspn(line, " ") == len)
		return "is blank";
	return NULL;
}

/* Whether what follows the options token at p (which ends at the first
 * space outside double quotes, as sshd reads it) is a known type: tells
 * "options" from "not a key at all" in the reason. */
static bool followed_by_type(const char *p)
{
	bool quoted = false;

	for (; *p && (quoted || *p != ' '); p++)
		if (*p == '"')
			quoted = !quoted;
	p += strspn(p, " ");
	return find_type(p, strcspn(p, " ")) != NULL;
}

const char *sshkey_check(const char *line, enum sshkey_options opts)
{
	const struct key_type *t;
	const char *p, *why;
	size_t n;

	why = check_bytes(line);
	if (why)
		return why;
	p = line + strspn(line, " ");
	n = strcspn(p, " ");
	t = find_type(p, n);
	if (!t) {
		/* Not a type: sshd reads it as options. */
		if (!followed_by_type(p))
			return "has an unknown or unsupported key type";
		why = check_options(&p, opts);
		if (why)
			return why;
		p += strspn(p, " ");
		n = strcspn(p, " ");
		t = find_type(p, n);
		if (!t)
			return "has an unknown or unsupported key type";
	}
	p += n;
	p += strspn(p, " ");
	n = strcspn(p, " ");
	if (n == 0)
		return "has no key data";
	return check_blob(p, n, t);
}

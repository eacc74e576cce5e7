/* SPDX-License-Identifier: MIT */
#include "source/docscan.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Nesting the scan follows before it gives up (json-c's own limit, lower,
 * applies when the pieces are parsed). */
#define SCAN_MAX_DEPTH 64

struct scan {
	const char *b;
	size_t len, i;
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_ws(struct scan *s)
{
	while (s->i < s->len && is_ws(s->b[s->i]))
		s->i++;
}

static bool at(const struct scan *s, char c)
{
	return s->i < s->len && s->b[s->i] == c;
}

/* At a '"': past the closing one. *escaped: a backslash was inside. */
static int skip_string(struct scan *s, bool *escaped)
{
	*escaped = false;
	for (s->i++; s->i < s->len; s->i++) {
		char c = s->b[s->i];

		if (c == '"') {
			s->i++;
			return 0;
		}
		if (c == '\\') {
			*escaped = true;
			s->i++; /* the escaped byte; \uXXXX's digits are plain bytes */
		}
	}
	return -EINVAL;
}

/* One value of any kind, without judging it (json-c will). */
static int skip_value(struct scan *s)
{
	int depth = 0;
	bool esc;

	do {
		char c;

		if (s->i >= s->len)
			return -EINVAL;
		c = s->b[s->i];
		if (c == '"') {
			if (skip_string(s, &esc) < 0)
				return -EINVAL;
		} else if (c == '{' || c == '[') {
			if (++depth > SCAN_MAX_DEPTH)
				return -EINVAL;
			s->i++;
		} else if (c == '}' || c == ']') {
			if (--depth < 0)
				return -EINVAL;
			s->i++;
		} else if (depth > 0) {
			s->i++; /* separators, white space, primitives inside */
		} else if (c == ',' || c == ':' || is_ws(c)) {
			return -EINVAL; /* no value here */
		} else {
			/* a primitive: up to the next structural byte */
			while (s->i < s->len && !is_ws(s->b[s->i]) && !strchr(",:]}[{\"", s->b[s->i]))
				s->i++;
		}
	} while (depth > 0);
	return 0;
}

static int push(struct docscan_array *a, size_t start, size_t end)
{
	/* grow at 16, 32, 64, ... */
	if (a->n == 0 || (a->n >= 16 && (a->n & (a->n - 1)) == 0)) {
		size_t cap = a->n < 16 ? 16 : a->n * 2;
		size_t *st = reallocarray(a->start, cap, sizeof(*st)), *en;

		if (!st)
			return -ENOMEM;
		a->start = st;
		en = reallocarray(a->end, cap, sizeof(*en));
		if (!en)
			return -ENOMEM;
		a->end = en;
	}
	a->start[a->n] = start;
	a->end[a->n] = end;
	a->n++;
	return 0;
}

/* At '[': every element's range, past the ']'. */
static int split_array(struct scan *s, struct docscan_array *a)
{
	int r;

	s->i++;
	skip_ws(s);
	if (at(s, ']')) {
		s->i++;
		return 0;
	}
	for (;;) {
		size_t start = s->i;

		r = skip_value(s);
		if (r == 0)
			r = push(a, start, s->i);
		if (r < 0)
			return r;
		skip_ws(s);
		if (at(s, ']')) {
			s->i++;
			return 0;
		}
		if (!at(s, ','))
			return -EINVAL;
		s->i++;
		skip_ws(s);
	}
}

static int key_index(const char *k, size_t n, const char *const keys[3])
{
	for (int i = 0; i < 3; i++)
		if (strlen(keys[i]) == n && memcmp(k, keys[i], n) == 0)
			return i;
	return -1;
}

/* The skeleton: buf without the inside of the split arrays. */
static int make_skeleton(const char *buf, size_t len, const size_t cut[3][2], struct docscan *ret)
{
	size_t order[3], n = 0, pos = 0, out = 0;
	char *sk = malloc(len + 1);

	if (!sk)
		return -ENOMEM;
	for (int k = 0; k < 3; k++)
		if (cut[k][1] > cut[k][0])
			order[n++] = (size_t)k;
	/* at most three: sort by position */
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++)
			if (cut[order[b]][0] < cut[order[a]][0]) {
				size_t t = order[a];

				order[a] = order[b];
				order[b] = t;
			}
	for (size_t k = 0; k < n; k++) {
		memcpy(sk + out, buf + pos, cut[order[k]][0] - pos);
		out += cut[order[k]][0] - pos;
		pos = cut[order[k]][1];
	}
	memcpy(sk + out, buf + pos, len - pos);
	out += len - pos;
	sk[out] = '\0';
	ret->skeleton = sk;
	ret->skeleton_len = out;
	return 0;
}

int docscan(const char *buf, size_t len, const char *const keys[3], struct docscan *ret)
{
	struct scan s = { .b = buf, .len = len };
	struct docscan d = { 0 };
	size_t cut[3][2] = { { 0 } }; /* [ after '[', at ']' ) of each split array */
	int r = -EINVAL;
	bool esc;

	skip_ws(&s);
	if (!at(&s, '{'))
		goto fail;
	s.i++;
	skip_ws(&s);
	if (at(&s, '}'))
		s.i++;
	else
		for (;;) {
			size_t kstart = s.i + 1;
			int k;

			if (!at(&s, '"') || skip_string(&s, &esc) < 0 || esc)
				goto fail;
			k = key_index(buf + kstart, s.i - 1 - kstart, keys);
			skip_ws(&s);
			if (!at(&s, ':'))
				goto fail;
			s.i++;
			skip_ws(&s);
			if (k >= 0 && d.arrays[k].present)
				goto fail; /* twice: let json-c's rule (the last) decide */
			if (k >= 0 && at(&s, '[')) {
				d.arrays[k].present = 1;
				cut[k][0] = s.i + 1;
				r = split_array(&s, &d.arrays[k]);
				if (r < 0)
					goto fail;
				r = -EINVAL;
				cut[k][1] = s.i - 1;
			} else if (skip_value(&s) < 0) {
				goto fail;
			}
			skip_ws(&s);
			if (at(&s, '}')) {
				s.i++;
				break;
			}
			if (!at(&s, ','))
				goto fail;
			s.i++;
			skip_ws(&s);
		}
	skip_ws(&s);
	if (s.i != len)
		goto fail;
	r = make_skeleton(buf, len, (const size_t(*)[2])cut, &d);
	if (r < 0)
		goto fail;
	*ret = d;
	return 0;
fail:
	docscan_free(&d);
	return r;
}

void docscan_free(struct docscan *s)
{
	for (int k = 0; k < 3; k++) {
		free(s->arrays[k].start);
		free(s->arrays[k].end);
	}
	free(s->skeleton);
	memset(s, 0, sizeof(*s));
}

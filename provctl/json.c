/* SPDX-License-Identifier: MIT */
#include "json.h"

#include <string.h>

#include "validate.h"

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->need_comma[0] = false;
	j->after_key = false;
}

/* Before any value or key: the comma that separates it from the last. */
static void separate(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
}

static void open_container(struct json *j, char c)
{
	separate(j);
	fputc(c, j->f);
	if (j->depth < JSON_DEPTH_MAX - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_container(struct json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_begin_object(struct json *j)
{
	open_container(j, '{');
}

void json_end_object(struct json *j)
{
	close_container(j, '}');
}

void json_begin_array(struct json *j)
{
	open_container(j, '[');
}

void json_end_array(struct json *j)
{
	close_container(j, ']');
}

static void put_escaped(FILE *f, const char *s, size_t len)
{
	bool utf8 = utf8_valid(s, len);
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else if (c >= 0x80 && !utf8)
			fputs("\\ufffd", f);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_key(struct json *j, const char *key)
{
	separate(j);
	put_escaped(j->f, key, strlen(key));
	fputc(':', j->f);
	j->after_key = true;
}

void json_string_len(struct json *j, const char *s, size_t len)
{
	separate(j);
	put_escaped(j->f, s, len);
}

void json_string(struct json *j, const char *s)
{
	json_string_len(j, s, strlen(s));
}

void json_uint(struct json *j, unsigned long long v)
{
	separate(j);
	fprintf(j->f, "%llu", v);
}

void json_bool(struct json *j, bool v)
{
	separate(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	separate(j);
	fputs("null", j->f);
}

void json_finish(struct json *j)
{
	fputc('\n', j->f);
}

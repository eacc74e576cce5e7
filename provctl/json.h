/* SPDX-License-Identifier: MIT */
/*
 * A tiny JSON writer for provctl --json: objects, arrays, strings, numbers,
 * booleans, with commas and escaping handled here. Strings are escaped per
 * RFC 8259; bytes that are not valid UTF-8 become U+FFFD, so the output is
 * always valid JSON whatever the socket said.
 */
#ifndef PROVCTL_JSON_H
#define PROVCTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 16

struct json {
	FILE *f;
	int depth;
	bool need_comma[JSON_DEPTH_MAX];
	bool after_key;
};

void json_init(struct json *j, FILE *f);
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_string_len(struct json *j, const char *s, size_t len);
void json_uint(struct json *j, unsigned long long v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Ends the document with a newline. */
void json_finish(struct json *j);

#endif

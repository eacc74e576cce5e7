/* SPDX-License-Identifier: MIT */
#include "sshdconf.h"

#include <errno.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* sshd itself refuses deeper nesting (ReadConfig depth 16). */
#define INCLUDE_DEPTH_MAX 16
#define SSHD_CONF_DIR "/etc/ssh"

struct walk {
	const char *keyword;
	struct sshdconf_hit *hit;
	bool found;
};

static int read_file(struct walk *w, const char *path, int depth);

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* Splits "Keyword value", "Keyword=value" or "Keyword = value". */
static void split(char *line, char **ret_key, char **ret_value)
{
	size_t n = strcspn(line, " \t=");
	char *v = line + n;

	if (*v) {
		*v++ = '\0';
		v = trim(v);
		if (*v == '=')
			v = trim(v + 1);
	}
	*ret_key = line;
	*ret_value = v;
}

/* One Include argument: a glob, relative to /etc/ssh unless absolute. */
static void include_one(struct walk *w, const char *arg, int depth)
{
	char pattern[4096];
	glob_t g;
	size_t i;

	if (arg[0] == '/')
		snprintf(pattern, sizeof(pattern), "%s", arg);
	else
		snprintf(pattern, sizeof(pattern), "%s/%s", SSHD_CONF_DIR, arg);
	if (glob(pattern, 0, NULL, &g) != 0)
		return; /* no match: sshd accepts that too */
	for (i = 0; i < g.gl_pathc && !w->found; i++)
		read_file(w, g.gl_pathv[i], depth + 1);
	globfree(&g);
}

static void include_all(struct walk *w, char *args, int depth)
{
	char *save = NULL, *arg;

	for (arg = strtok_r(args, " \t", &save); arg && !w->found; arg = strtok_r(NULL, " \t", &save)) {
		size_t n = strlen(arg);

		if (n >= 2 && arg[0] == '"' && arg[n - 1] == '"') {
			arg[n - 1] = '\0';
			arg++;
		}
		include_one(w, arg, depth);
	}
}

static int read_file(struct walk *w, const char *path, int depth)
{
	char *line = NULL, *key, *value;
	bool in_match = false;
	unsigned lineno = 0;
	size_t cap = 0;
	FILE *f;

	if (depth > INCLUDE_DEPTH_MAX)
		return -ELOOP;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!w->found && getline(&line, &cap, f) > 0) {
		char *s = trim(line);

		lineno++;
		if (!*s || *s == '#')
			continue;
		split(s, &key, &value);
		if (strcasecmp(key, "Match") == 0) {
			/* until the next Match or the end of this file;
			 * "Match all" is global again */
			in_match = strcasecmp(value, "all") != 0;
		} else if (strcasecmp(key, "Include") == 0) {
			/* sshd expands an Include inside a Match block under
			 * that Match: what it sets there is conditional too. */
			if (!in_match)
				include_all(w, value, depth);
		} else if (!in_match && strcasecmp(key, w->keyword) == 0) {
			snprintf(w->hit->value, sizeof(w->hit->value), "%s", value);
			snprintf(w->hit->where, sizeof(w->hit->where), "%s:%u", path, lineno);
			w->found = true;
		}
	}
	free(line);
	fclose(f);
	return 0;
}

int sshdconf_first(const char *path, const char *keyword, struct sshdconf_hit *ret)
{
	struct sshdconf_hit hit = { "", "" };
	struct walk w = { .keyword = keyword, .hit = &hit };
	int r;

	r = read_file(&w, path, 0);
	if (r < 0)
		return r;
	if (!w.found)
		return -ENOENT;
	*ret = hit;
	return 0;
}

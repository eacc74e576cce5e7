/* SPDX-License-Identifier: MIT */
/*
 * "Is this a local account?" answered from the passwd file itself. Not
 * getpwnam(): that goes through NSS, where nss_prov (or a snapshot it maps)
 * would answer for prov users too, and the whole point is to know, while
 * provd may be down, which users prov must never affect (invariant 6).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pam_prov.h"

/* The name field of a passwd line is everything before the first ':'.
 * NIS compat lines ("+name", "-name", "+") never match a plain name. */
static int line_names(const char *line, const char *name, size_t len)
{
	return strncmp(line, name, len) == 0 && line[len] == ':';
}

int pam_prov_local_user(const char *path, const char *name)
{
	size_t len = strlen(name), cap = 0;
	char *line = NULL;
	int found = 0;
	FILE *f;

	if (len == 0)
		return 0;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (!found && getline(&line, &cap, f) > 0)
		found = line_names(line, name, len);
	if (!found && ferror(f))
		found = -EIO;
	free(line);
	fclose(f);
	return found;
}

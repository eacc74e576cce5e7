/* SPDX-License-Identifier: MIT */
/*
 * provctl status | user NAME | group NAME: read-only lookups anyone may run
 * (root on the private socket also sees each refused entry in status).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prov/protocol.h"
#include "provctl.h"

#define WIDTH 7 /* "groups:" */

int cmd_status(struct ctl *c, int argc, char **argv)
{
	struct prov_str keys[PROV_STATUS_PAIRS_MAX], vals[PROV_STATUS_PAIRS_MAX];
	struct prov_reply rep;
	uint32_t n;
	int rc;
	uint8_t buf[PROV_HEADER_SIZE];
	struct prov_writer w;

	(void)argc;
	(void)argv;
	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	prov_writer_finish(&w, PROV_OP_STATUS, 0);
	rc = ctl_call(c, &w, &rep);
	if (rc == CTL_NOT_FOUND) {
		ctl_err("provd answered STATUS with not-found");
		return CTL_ERROR;
	}
	if (rc != CTL_OK)
		return rc;
	if (ctl_read_pairs(&rep, keys, vals, &n) < 0) {
		ctl_err("malformed STATUS reply from provd");
		prov_reply_free(&rep);
		return CTL_ERROR;
	}
	ctl_print_pairs(c, keys, vals, n);
	prov_reply_free(&rep);
	return CTL_OK;
}

/* The name of a prov group by gid, or "" when prov does not serve it. */
static int group_name(struct ctl *c, uint32_t gid, char out[PROV_NAME_MAX + 1])
{
	struct prov_group_rec g;
	struct prov_reply rep;
	struct prov_reader r;
	int rc;

	out[0] = '\0';
	rc = ctl_call_u32(c, PROV_OP_GR_BY_GID, gid, &rep);
	if (rc == CTL_NOT_FOUND)
		return CTL_OK;
	if (rc != CTL_OK)
		return rc;
	prov_reader_init(&r, rep.body, rep.body_len);
	rc = prov_get_group(&r, &g) == 0 && prov_reader_end(&r) == 0 ? CTL_OK : CTL_ERROR;
	if (rc == CTL_OK)
		prov_str_copy(&g.name, out, PROV_NAME_MAX + 1);
	else
		ctl_err("malformed group reply from provd");
	prov_reply_free(&rep);
	return rc;
}

/* The primary gid first, then the prov groups INITGROUPS names. */
static int user_groups(struct ctl *c, const char *name, uint32_t primary, uint32_t *gids, size_t *n)
{
	struct prov_reply rep;
	struct prov_reader r;
	uint32_t count, i;
	int rc;

	gids[0] = primary;
	*n = 1;
	rc = ctl_call_str(c, PROV_OP_INITGROUPS, name, PROV_NAME_MAX, &rep);
	if (rc == CTL_NOT_FOUND)
		return CTL_OK;
	if (rc != CTL_OK)
		return rc;
	prov_reader_init(&r, rep.body, rep.body_len);
	count = prov_get_u32(&r);
	if (count > PROV_GROUPS_PER_USER_MAX)
		r.err = -1;
	for (i = 0; i < count && !r.err; i++) {
		uint32_t g = prov_get_u32(&r);

		if (g != primary && !r.err)
			gids[(*n)++] = g;
	}
	rc = prov_reader_end(&r) == 0 ? CTL_OK : CTL_ERROR;
	if (rc != CTL_OK)
		ctl_err("malformed INITGROUPS reply from provd");
	prov_reply_free(&rep);
	return rc;
}

static void print_user_human(const struct prov_passwd_rec *p, const uint32_t *gids, char (*names)[PROV_NAME_MAX + 1],
			     size_t n)
{
	char num[32];
	size_t i;

	printf("%-*s ", WIDTH, "name:");
	ctl_print_str(&p->name);
	printf("\n%-*s %u\n", WIDTH, "uid:", p->uid);
	snprintf(num, sizeof(num), "%u", p->gid);
	printf("%-*s %s%s%s%s\n", WIDTH, "gid:", num, names[0][0] ? " (" : "", names[0], names[0][0] ? ")" : "");
	printf("%-*s ", WIDTH, "gecos:");
	ctl_print_str(&p->gecos);
	printf("\n%-*s ", WIDTH, "home:");
	ctl_print_str(&p->home);
	printf("\n%-*s ", WIDTH, "shell:");
	ctl_print_str(&p->shell);
	printf("\n%-*s", WIDTH, "groups:");
	for (i = 0; i < n; i++) {
		if (names[i][0])
			printf(" %s(%u)", names[i], gids[i]);
		else
			printf(" %u", gids[i]);
	}
	putchar('\n');
}

static void print_user_json(const struct prov_passwd_rec *p, const uint32_t *gids, char (*names)[PROV_NAME_MAX + 1],
			    size_t n)
{
	struct json j;
	size_t i;

	json_init(&j, stdout);
	json_begin_object(&j);
	json_key(&j, "name");
	json_string_len(&j, p->name.ptr, p->name.len);
	json_key(&j, "uid");
	json_uint(&j, p->uid);
	json_key(&j, "gid");
	json_uint(&j, p->gid);
	json_key(&j, "gecos");
	json_string_len(&j, p->gecos.ptr, p->gecos.len);
	json_key(&j, "home");
	json_string_len(&j, p->home.ptr, p->home.len);
	json_key(&j, "shell");
	json_string_len(&j, p->shell.ptr, p->shell.len);
	json_key(&j, "groups");
	json_begin_array(&j);
	for (i = 0; i < n; i++) {
		json_begin_object(&j);
		json_key(&j, "gid");
		json_uint(&j, gids[i]);
		json_key(&j, "name");
		if (names[i][0])
			json_string(&j, names[i]);
		else
			json_null(&j);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
	json_finish(&j);
}

static bool name_fits(const char *name)
{
	return name[0] && strlen(name) <= PROV_NAME_MAX;
}

int cmd_user(struct ctl *c, int argc, char **argv)
{
	uint32_t gids[PROV_GROUPS_PER_USER_MAX + 1];
	char (*names)[PROV_NAME_MAX + 1] = NULL;
	struct prov_passwd_rec p;
	struct prov_reply rep;
	struct prov_reader r;
	size_t n = 0, i;
	int rc;

	(void)argc;
	if (!name_fits(argv[1])) {
		ctl_err("no prov user '%.64s'", argv[1]);
		return CTL_NOT_FOUND;
	}
	rc = ctl_call_str(c, PROV_OP_PW_BY_NAME, argv[1], PROV_NAME_MAX, &rep);
	if (rc == CTL_NOT_FOUND)
		ctl_err("no prov user '%s'", argv[1]);
	if (rc != CTL_OK)
		return rc;
	prov_reader_init(&r, rep.body, rep.body_len);
	if (prov_get_passwd(&r, &p) < 0 || prov_reader_end(&r) < 0) {
		ctl_err("malformed passwd reply from provd");
		rc = CTL_ERROR;
		goto out;
	}
	rc = user_groups(c, argv[1], p.gid, gids, &n);
	if (rc != CTL_OK)
		goto out;
	names = calloc(n, sizeof(*names));
	if (!names) {
		ctl_err("out of memory");
		rc = CTL_ERROR;
		goto out;
	}
	for (i = 0; i < n && rc == CTL_OK; i++)
		rc = group_name(c, gids[i], names[i]);
	if (rc != CTL_OK)
		goto out;
	if (c->json)
		print_user_json(&p, gids, names, n);
	else
		print_user_human(&p, gids, names, n);
out:
	free(names);
	prov_reply_free(&rep);
	return rc;
}

int cmd_group(struct ctl *c, int argc, char **argv)
{
	struct prov_group_rec g;
	struct prov_reply rep;
	struct prov_reader r;
	struct prov_str m;
	struct json j;
	int rc;

	(void)argc;
	if (!name_fits(argv[1])) {
		ctl_err("no prov group '%.64s'", argv[1]);
		return CTL_NOT_FOUND;
	}
	rc = ctl_call_str(c, PROV_OP_GR_BY_NAME, argv[1], PROV_NAME_MAX, &rep);
	if (rc == CTL_NOT_FOUND)
		ctl_err("no prov group '%s'", argv[1]);
	if (rc != CTL_OK)
		return rc;
	prov_reader_init(&r, rep.body, rep.body_len);
	if (prov_get_group(&r, &g) < 0 || prov_reader_end(&r) < 0) {
		ctl_err("malformed group reply from provd");
		prov_reply_free(&rep);
		return CTL_ERROR;
	}
	if (c->json) {
		json_init(&j, stdout);
		json_begin_object(&j);
		json_key(&j, "name");
		json_string_len(&j, g.name.ptr, g.name.len);
		json_key(&j, "gid");
		json_uint(&j, g.gid);
		json_key(&j, "members");
		json_begin_array(&j);
		while (prov_group_next_member(&g, &m) == 0)
			json_string_len(&j, m.ptr, m.len);
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
	} else {
		printf("%-*s ", 8, "name:");
		ctl_print_str(&g.name);
		printf("\n%-*s %u\n%-*s", 8, "gid:", g.gid, 8, "members:");
		while (prov_group_next_member(&g, &m) == 0) {
			putchar(' ');
			ctl_print_str(&m);
		}
		putchar('\n');
	}
	prov_reply_free(&rep);
	return CTL_OK;
}

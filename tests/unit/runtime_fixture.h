/* SPDX-License-Identifier: MIT */
/* Shared set-up for the runtime tests (state, dispatch, server): a config
 * whose local account files are fixtures, and a state serving a fixture
 * directory document. */
#ifndef PROV_TEST_RUNTIME_FIXTURE_H
#define PROV_TEST_RUNTIME_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "base/log.h"
#include "store/state.h"

#define RT_FIX FIXTURES_DIR "/runtime"

static inline void fixture_set(char **slot, const char *v)
{
	free(*slot);
	*slot = strdup(v);
	cr_assert_not_null(*slot);
}

static inline void fixture_config(struct prov_config *c, const char *state_dir, const char *runtime_dir)
{
	cr_assert_eq(config_defaults(c), 0);
	fixture_set(&c->passwd_file, RT_FIX "/passwd");
	fixture_set(&c->group_file, RT_FIX "/group");
	fixture_set(&c->shells_file, RT_FIX "/shells");
	fixture_set(&c->state_dir, state_dir);
	fixture_set(&c->runtime_dir, runtime_dir);
}

static inline char *fixture_read(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*ret_len = (size_t)n;
	return buf;
}

/* A state serving doc (NULL: nothing loaded). */
static inline void fixture_state(struct prov_state *st, const char *state_dir, const char *doc, size_t len)
{
	struct prov_config c;
	char err[512];

	fixture_config(&c, state_dir, "/nonexistent-runtime");
	cr_assert_eq(state_init(st, RT_FIX "/no.conf", false, &c), 0);
	if (doc) {
		int r = state_apply_document(st, doc, len, "test", 0, err, sizeof(err));

		cr_assert_eq(r, 0, "apply: %d %s", r, err);
	}
}

/* Quiet unless a test asks: refusals of the fixtures are expected. */
static inline void fixture_quiet_log(void)
{
	log_init(LOG_TARGET_STDERR, LOG_CRIT);
}

static inline void fixture_rm_rf(const char *d)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		cr_log_warn("cannot remove %s", d);
}

#endif

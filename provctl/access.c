/* SPDX-License-Identifier: MIT */
/*
 * provctl keys USER    sshd's AuthorizedKeysCommand (packaging/sshd)
 * provctl check USER   may USER log in here now, and why (ACCESS_CHECK)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "prov/protocol.h"
#include "provctl.h"
#include "validate.h"

/*
 * sshd runs this as AuthorizedKeysCommandUser (keys_user, "_prov-keys")
 * for every public key offered, with a scrubbed environment, and reads
 * authorized_keys lines from stdout. provd answers the keys of a user only
 * while she may log in here, and an empty list otherwise (DESIGN
 * invariant 3); a user prov does not know gets nothing. Either way: no
 * output, exit 0, so sshd goes on to its other key sources (a local
 * user's ~/.ssh/authorized_keys). When provd cannot be asked, exit
 * non-zero with one line on stderr (sshd logs it and uses no key from us:
 * fail closed).
 */
/* --json always prints an object, also when there is nothing to print,
 * so a script never has to tell "no keys" from "no output". */
static int keys_none(const struct ctl *c, const char *user)
{
	struct json j;

	if (c->json) {
		json_init(&j, stdout);
		json_begin_object(&j);
		json_key(&j, "user");
		json_string(&j, user);
		json_key(&j, "keys");
		json_begin_array(&j);
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
	}
	return CTL_OK;
}

int cmd_keys(struct ctl *c, int argc, char **argv)
{
	struct prov_reply rep;
	struct prov_reader r;
	struct prov_str k;
	struct json j;
	uint32_t n, i;
	int rc;

	(void)argc;
	/* sshd passes whatever name the client sent: one that cannot be a
	 * prov user has no keys here, and is not worth a round trip. */
	if (validate_name(argv[1]))
		return keys_none(c, argv[1]);
	rc = ctl_call_str(c, PROV_OP_SSH_KEYS, argv[1], PROV_NAME_MAX, &rep);
	if (rc == CTL_NOT_FOUND)
		return keys_none(c, argv[1]);
	if (rc != CTL_OK)
		return rc;
	prov_reader_init(&r, rep.body, rep.body_len);
	n = prov_get_u32(&r);
	if (n > PROV_SSH_KEYS_MAX)
		r.err = -1;
	/* Check the whole reply before printing a line of it. */
	for (i = 0; i < n && !r.err; i++) {
		k = prov_get_str(&r, PROV_SSH_KEY_MAX);
		if (!r.err && (k.len == 0 || memchr(k.ptr, '\n', k.len) || memchr(k.ptr, '\r', k.len)))
			r.err = -1; /* one key, one line: never let a key add lines */
	}
	if (prov_reader_end(&r) < 0) {
		ctl_err("malformed SSH_KEYS reply from provd");
		prov_reply_free(&rep);
		return CTL_ERROR;
	}
	prov_reader_init(&r, rep.body, rep.body_len);
	prov_get_u32(&r);
	if (c->json) {
		json_init(&j, stdout);
		json_begin_object(&j);
		json_key(&j, "user");
		json_string(&j, argv[1]);
		json_key(&j, "keys");
		json_begin_array(&j);
	}
	for (i = 0; i < n; i++) {
		k = prov_get_str(&r, PROV_SSH_KEY_MAX);
		if (c->json)
			json_string_len(&j, k.ptr, k.len);
		else
			printf("%.*s\n", (int)k.len, k.ptr);
	}
	if (c->json) {
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
	}
	prov_reply_free(&rep);
	return fflush(stdout) == 0 ? CTL_OK : CTL_ERROR;
}

struct check_args {
	const char *user, *service, *rhost, *tty;
};

/* USER [--service S] [--rhost H] [--tty T], in any order. */
static int parse_check(int argc, char **argv, struct check_args *a)
{
	int i;

	*a = (struct check_args){ .service = "provctl", .rhost = "", .tty = "" };
	for (i = 1; i < argc; i++) {
		const char **slot = strcmp(argv[i], "--service") == 0 ? &a->service
				    : strcmp(argv[i], "--rhost") == 0 ? &a->rhost
				    : strcmp(argv[i], "--tty") == 0   ? &a->tty
									: NULL;

		if (slot) {
			if (i + 1 >= argc) {
				ctl_err("check: %s needs a value", argv[i]);
				return CTL_USAGE;
			}
			*slot = argv[++i];
		} else if (argv[i][0] == '-' || a->user) {
			ctl_err("check: unexpected argument '%.64s'", argv[i]);
			return CTL_USAGE;
		} else {
			a->user = argv[i];
		}
	}
	if (!a->user) {
		ctl_err("usage: provctl check USER [--service S] [--rhost H] [--tty T]");
		return CTL_USAGE;
	}
	if (strlen(a->service) > PROV_SERVICE_MAX || strlen(a->rhost) > PROV_RHOST_MAX ||
	    strlen(a->tty) > PROV_TTY_MAX) {
		ctl_err("check: --service, --rhost or --tty is too long");
		return CTL_USAGE;
	}
	return CTL_OK;
}

static void print_check(const struct ctl *c, const char *user, uint32_t decision, const struct prov_str *reason)
{
	struct json j;

	if (!c->json) {
		char text[PROV_REASON_MAX + 1] = "";

		prov_str_copy(reason, text, sizeof(text));
		ctl_print_kv(8, "user", user);
		ctl_print_kv(8, "decision", prov_decision_name(decision));
		ctl_print_kv(8, "reason", text);
		return;
	}
	json_init(&j, stdout);
	json_begin_object(&j);
	json_key(&j, "user");
	json_string(&j, user);
	json_key(&j, "decision");
	json_string(&j, prov_decision_name(decision));
	json_key(&j, "allowed");
	json_bool(&j, decision == PROV_DECIDE_ALLOW);
	json_key(&j, "reason");
	json_string_len(&j, reason->ptr, reason->len);
	json_end_object(&j);
	json_finish(&j);
}

/*
 * The same decision PAM gets (provd audits it like one). Exit 0 allowed,
 * 1 otherwise (not a prov user, or denied: the decision says which).
 * Root may ask about anyone; anyone else only about herself (DESIGN
 * invariant 7).
 */
int cmd_check(struct ctl *c, int argc, char **argv)
{
	uint8_t buf[CTL_REQUEST_MAX];
	struct check_args a;
	struct prov_writer w;
	struct prov_reply rep;
	struct prov_reader r;
	struct prov_str reason;
	uint32_t decision;
	int rc;

	rc = parse_check(argc, argv, &a);
	if (rc != CTL_OK)
		return rc;
	if (validate_name(a.user)) {
		ctl_err("'%.64s' cannot be a prov user name: %s", a.user, validate_name(a.user));
		return CTL_NOT_FOUND;
	}
	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	prov_put_str(&w, a.user, PROV_NAME_MAX);
	prov_put_str(&w, a.service, PROV_SERVICE_MAX);
	prov_put_str(&w, a.rhost, PROV_RHOST_MAX);
	prov_put_str(&w, a.tty, PROV_TTY_MAX);
	prov_writer_finish(&w, PROV_OP_ACCESS_CHECK, 0);
	rc = ctl_call(c, &w, &rep);
	if (rc == CTL_NOT_FOUND)
		ctl_err("provd answered ACCESS_CHECK with not-found");
	if (rc != CTL_OK)
		return rc == CTL_NOT_FOUND ? CTL_ERROR : rc;
	prov_reader_init(&r, rep.body, rep.body_len);
	decision = prov_get_u32(&r);
	reason = prov_get_str(&r, PROV_REASON_MAX);
	if (prov_reader_end(&r) < 0) {
		ctl_err("malformed ACCESS_CHECK reply from provd");
		prov_reply_free(&rep);
		return CTL_ERROR;
	}
	print_check(c, a.user, decision, &reason);
	prov_reply_free(&rep);
	return decision == PROV_DECIDE_ALLOW ? CTL_OK : CTL_NOT_FOUND;
}

/* SPDX-License-Identifier: MIT */
/*
 * provctl [--socket PATH] [--json] [--timeout MS] COMMAND [ARGS]
 */
#include "provctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prov/protocol.h"

struct command {
	const char *name;
	int min_args, max_args; /* after the command name */
	const char *args_help;
	const char *help;
	int (*run)(struct ctl *c, int argc, char **argv);
};

static const struct command commands[] = {
	{ "status", 0, 0, "", "what provd serves, from where, and its health", cmd_status },
	{ "user", 1, 1, "NAME", "a prov user's passwd entry and groups", cmd_user },
	{ "group", 1, 1, "NAME", "a prov group and its members", cmd_group },
	{ "check", 1, 7, "USER [--service S] [--rhost H] [--tty T]", "may USER log in here now, and why",
	  cmd_check },
	{ "keys", 1, 1, "USER", "USER's SSH keys while she may log in (sshd's AuthorizedKeysCommand)", cmd_keys },
	{ "refresh", 0, 1, "[--force]", "pull the directory now (root) and print the result", cmd_refresh },
	{ "cache", 1, 1, "verify", "check the on-disk cache as provd would load it (root; offline: provd --verify-cache)",
	  cmd_cache },
	{ "doctor", 0, 8, "[--sshd PATH|none] [--sshd-config F] [--nsswitch F] [--sudoers F]",
	  "check the wiring: provd, nsswitch.conf, sshd's keys command, sudoers", cmd_doctor },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

void ctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("provctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: provctl [--socket PATH] [--json] [--timeout MS] COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-7s %s\n          %s\n", commands[i].name, commands[i].args_help, commands[i].help);
	fprintf(f,
		"\noptions:\n"
		"  --socket PATH  provd's socket (default: " PROV_PRIV_SOCKET " for root, else " PROV_SOCKET_PATH ")\n"
		"  --json         print JSON for scripts\n"
		"  --timeout MS   give up after MS milliseconds (default %d)\n"
		"\nexit status: 0 ok, 1 not found (check: may not log in; cache verify: no cache yet),\n"
		"             2 usage error, 3 provd unreachable, 4 other error (cache verify: cache refused;\n"
		"             a root-only command run by another user: permission denied)\n",
		CTL_TIMEOUT_MS);
}

static bool unreachable(int r)
{
	return r == -ENOENT || r == -ECONNREFUSED || r == -ETIMEDOUT || r == -EACCES || r == -ENOTDIR;
}

static const char *status_text(uint32_t st)
{
	switch (st) {
	case PROV_ST_BAD_REQUEST:
		return "provd refused the request as malformed";
	case PROV_ST_DENIED:
		return "permission denied (this request needs root on provd's private socket)";
	case PROV_ST_UNSUPPORTED:
		return "provd does not support this request (an older provd?)";
	case PROV_ST_INTERNAL:
		return "provd failed internally (see its log)";
	case PROV_ST_UNAVAILABLE:
		return "provd has no directory loaded (see 'provctl status')";
	default:
		return "provd answered with an unknown status";
	}
}

static int call_at(const char *path, struct ctl *c, const struct prov_writer *w, struct prov_reply *ret)
{
	return prov_call(path, c->timeout_ms, w->buf, w->len, ret);
}

int ctl_call(struct ctl *c, const struct prov_writer *w, struct prov_reply *ret)
{
	const char *path = c->socket ? c->socket : geteuid() == 0 ? PROV_PRIV_SOCKET : PROV_SOCKET_PATH;
	struct prov_reply rep;
	int r;

	if (w->err) {
		ctl_err("request too large or invalid");
		return CTL_USAGE;
	}
	r = call_at(path, c, w, &rep);
	/* Root without --socket: the public socket still answers lookups
	 * when the private one is not there (an older or odd setup). */
	if (r < 0 && !c->socket && geteuid() == 0 && (r == -ENOENT || r == -ECONNREFUSED)) {
		path = PROV_SOCKET_PATH;
		r = call_at(path, c, w, &rep);
	}
	if (r < 0) {
		ctl_err("cannot reach provd at %s: %s", path, r == -EPERM ? "socket not served by root" : strerror(-r));
		return unreachable(r) ? CTL_UNREACHABLE : CTL_ERROR;
	}
	if (rep.hdr.status == PROV_ST_NOT_FOUND) {
		prov_reply_free(&rep);
		return CTL_NOT_FOUND;
	}
	if (rep.hdr.status != PROV_ST_OK) {
		ctl_err("%s", status_text(rep.hdr.status));
		prov_reply_free(&rep);
		return CTL_ERROR;
	}
	*ret = rep;
	return CTL_OK;
}

int ctl_call_str(struct ctl *c, uint16_t type, const char *s, size_t max, struct prov_reply *ret)
{
	uint8_t buf[CTL_REQUEST_MAX];
	struct prov_writer w;

	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	prov_put_str(&w, s, max);
	prov_writer_finish(&w, type, 0);
	return ctl_call(c, &w, ret);
}

int ctl_call_u32(struct ctl *c, uint16_t type, uint32_t v, struct prov_reply *ret)
{
	uint8_t buf[CTL_REQUEST_MAX];
	struct prov_writer w;

	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	prov_put_u32(&w, v);
	prov_writer_finish(&w, type, 0);
	return ctl_call(c, &w, ret);
}

void ctl_print_kv(int width, const char *key, const char *value)
{
	const char *p;

	printf("%s:%*s", key, width > (int)strlen(key) ? width - (int)strlen(key) : 0, "");
	putchar(' ');
	for (p = value; *p; p++)
		putchar((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
	putchar('\n');
}

static int parse_timeout(const char *s, int *ret)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 600000)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_SOCKET = 256, OPT_JSON, OPT_TIMEOUT };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { .timeout_ms = CTL_TIMEOUT_MS };
	int opt, nargs;
	size_t i;

	/* '+': options stop at the command, so its own arguments may start
	 * with '-' and reach it untouched. ':' and opterr = 0: a bad option
	 * is one line of ours, not getopt's line and the whole usage. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SOCKET:
			c.socket = optarg;
			break;
		case OPT_JSON:
			c.json = true;
			break;
		case OPT_TIMEOUT:
			if (parse_timeout(optarg, &c.timeout_ms) < 0) {
				ctl_err("--timeout: '%s' is not a number of milliseconds (1..600000)", optarg);
				return CTL_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		case ':':
			ctl_err("option '%s' needs a value (try --help)", argv[optind - 1]);
			return CTL_USAGE;
		default:
			if (optopt > 0 && optopt < 256) /* a short one; a long one's val is >= 256 */
				ctl_err("unknown option '-%c' (try --help)", optopt);
			else
				ctl_err("unknown option '%s' (try --help)", argv[optind - 1]);
			return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	nargs = argc - optind - 1;
	for (i = 0; i < N_COMMANDS; i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		if (nargs < commands[i].min_args || nargs > commands[i].max_args) {
			ctl_err("usage: provctl %s %s", commands[i].name, commands[i].args_help);
			return CTL_USAGE;
		}
		return commands[i].run(&c, argc - optind, argv + optind);
	}
	ctl_err("unknown command '%s' (try --help)", argv[optind]);
	return CTL_USAGE;
}

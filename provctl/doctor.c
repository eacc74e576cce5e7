/* SPDX-License-Identifier: MIT */
/*
 * provctl doctor: is this host wired for prov? Each check prints one line,
 * "ok", "warn" or "FAIL", and what to do about it:
 *
 *   provd      reachable, serving a directory, not stale
 *   nsswitch   "prov" on the passwd and group lines
 *   sshd       the EFFECTIVE AuthorizedKeysCommand is "provctl keys %u"
 *              (sshd -T when it can run, else sshd_config read in sshd's
 *              order: sshd honours only the first one, so another
 *              package's drop-in that sorts first silently wins), run as
 *              provd's keys_user
 *   sudoers    a sudoers file grants provd's sudo group
 *   nscd       if it runs, provd invalidates it (informational)
 *   signatures an https:// document source without trusted_keys: whoever
 *              controls the web server or CDN controls who logs in (warn)
 *
 * Exit 0 when nothing FAILed, 4 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "prov/protocol.h"
#include "provctl.h"
#include "sshdconf.h"

#define SSHD_T_OUTPUT_MAX (256u * 1024)
#define SSHD_T_TIMEOUT_MS 5000
#define NSCD_SOCKET "/var/run/nscd/socket"

enum level { OK, WARN, FAIL };

struct doctor {
	struct ctl *c;
	const char *sshd;        /* "none": do not run sshd -T */
	const char *sshd_config;
	const char *nsswitch;
	const char *sudoers;
	char keys_user[PROV_NAME_MAX + 1];   /* from provd's STATUS, "" if unknown */
	char sudo_group[PROV_NAME_MAX + 1];
	unsigned fails;
	struct json j;
};

static void __attribute__((format(printf, 4, 5)))
report(struct doctor *d, const char *check, enum level lv, const char *fmt, ...)
{
	static const char *const names[] = { "ok", "warn", "FAIL" };
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (lv == FAIL)
		d->fails++;
	if (d->c->json) {
		json_begin_object(&d->j);
		json_key(&d->j, "check");
		json_string(&d->j, check);
		json_key(&d->j, "result");
		json_string(&d->j, lv == OK ? "ok" : lv == WARN ? "warn" : "fail");
		json_key(&d->j, "detail");
		json_string(&d->j, msg);
		json_end_object(&d->j);
		return;
	}
	printf("%-4s  %-8s  ", names[lv], check);
	for (const char *p = msg; *p; p++) /* control characters as '?' */
		putchar((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
	putchar('\n');
}

/* --- provd --- */

static void copy_val(const struct prov_str *v, char *out, size_t outsz)
{
	if (prov_str_copy(v, out, outsz) < 0)
		out[0] = '\0';
}

static void check_provd(struct doctor *d)
{
	char state[64] = "", stale[16] = "", users[32] = "", serial[32] = "", origin[256] = "", key[64];
	char source[PROV_STATUS_STR_MAX + 1] = "", sigs[64] = "";
	struct prov_reply rep;
	struct prov_reader r;
	uint8_t buf[PROV_HEADER_SIZE];
	struct prov_writer w;
	uint32_t n, i;
	int rc;

	prov_writer_init(&w, buf, sizeof(buf));
	prov_writer_begin(&w);
	prov_writer_finish(&w, PROV_OP_STATUS, 0);
	rc = ctl_call(d->c, &w, &rep);
	if (rc != CTL_OK) {
		report(d, "provd", FAIL, "not reachable: prov users neither resolve nor log in");
		return;
	}
	prov_reader_init(&r, rep.body, rep.body_len);
	n = prov_get_u32(&r);
	for (i = 0; i < n && i < PROV_STATUS_PAIRS_MAX && !r.err; i++) {
		struct prov_str k = prov_get_str(&r, PROV_STATUS_STR_MAX), v = prov_get_str(&r, PROV_STATUS_STR_MAX);

		copy_val(&k, key, sizeof(key));
		if (strcmp(key, "state") == 0)
			copy_val(&v, state, sizeof(state));
		else if (strcmp(key, "stale") == 0)
			copy_val(&v, stale, sizeof(stale));
		else if (strcmp(key, "users") == 0)
			copy_val(&v, users, sizeof(users));
		else if (strcmp(key, "serial") == 0)
			copy_val(&v, serial, sizeof(serial));
		else if (strcmp(key, "origin") == 0)
			copy_val(&v, origin, sizeof(origin));
		else if (strcmp(key, "keys_user") == 0)
			copy_val(&v, d->keys_user, sizeof(d->keys_user));
		else if (strcmp(key, "sudo_group") == 0)
			copy_val(&v, d->sudo_group, sizeof(d->sudo_group));
		else if (strcmp(key, "source") == 0)
			copy_val(&v, source, sizeof(source));
		else if (strcmp(key, "signatures") == 0)
			copy_val(&v, sigs, sizeof(sigs));
	}
	prov_reply_free(&rep);
	if (strncmp(source, "document ", 9) == 0 && strstr(source, "https://") && strcmp(sigs, "not required") == 0)
		report(d, "signatures", WARN,
		       "the https:// document is not signed: whoever controls its web server or CDN decides who "
		       "logs in here; set trusted_keys and audience (prov-publish(1))");
	if (strcmp(state, "serving") != 0)
		report(d, "provd", FAIL, "no directory loaded: see 'provctl status'");
	else if (strcmp(stale, "yes") == 0)
		report(d, "provd", FAIL, "the directory is stale: new logins of prov users are denied ('provctl status')");
	else
		report(d, "provd", OK, "serving %s users (serial %s from %s)", users, serial, origin);
}

/* --- nsswitch.conf --- */

/* true when the database line (e.g. "passwd:") names the prov service. */
static bool line_has_prov(const char *line, const char *db)
{
	size_t n = strlen(db);
	char copy[1024], *save = NULL, *tok;

	if (strncmp(line, db, n) != 0 || line[n] != ':')
		return false;
	snprintf(copy, sizeof(copy), "%s", line + n + 1);
	for (tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
		if (strcmp(tok, "prov") == 0)
			return true;
	return false;
}

static void check_nsswitch(struct doctor *d)
{
	bool passwd = false, group = false;
	char line[1024];
	FILE *f = fopen(d->nsswitch, "re");

	if (!f) {
		report(d, "nsswitch", FAIL, "cannot read %s: %s", d->nsswitch, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		passwd |= line_has_prov(line, "passwd");
		group |= line_has_prov(line, "group");
	}
	fclose(f);
	if (passwd && group)
		report(d, "nsswitch", OK, "%s: prov on the passwd and group lines", d->nsswitch);
	else
		report(d, "nsswitch", FAIL, "%s: add \"prov\" after \"files\" on the %s line%s", d->nsswitch,
		       !passwd && !group ? "passwd and group" : !passwd ? "passwd" : "group",
		       !passwd && !group ? "s" : "");
}

/* --- sshd --- */

/* Runs sshd -T; its stdout (NUL-terminated, malloc'ed) or NULL. */
static char *run_sshd_t(const struct doctor *d)
{
	char *const argv[] = { (char *)d->sshd, "-T", "-f", (char *)d->sshd_config, "-C",
			       "user=root,host=localhost,addr=127.0.0.1", NULL };
	char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	posix_spawn_file_actions_t fa;
	struct timespec t0, t1;
	size_t len = 0;
	char *out = NULL;
	int p[2], status;
	pid_t pid;

	if (access(d->sshd, X_OK) < 0 || pipe2(p, O_CLOEXEC) < 0)
		return NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (posix_spawn(&pid, d->sshd, &fa, NULL, argv, envp) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	out = malloc(SSHD_T_OUTPUT_MAX + 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (out) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		long waited;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		waited = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (waited >= SSHD_T_TIMEOUT_MS || poll(&pfd, 1, (int)(SSHD_T_TIMEOUT_MS - waited)) <= 0) {
			kill(pid, SIGKILL);
			free(out);
			out = NULL;
			break;
		}
		n = read(p[0], out + len, SSHD_T_OUTPUT_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == SSHD_T_OUTPUT_MAX)
			break;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (out && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		free(out);
		return NULL;
	}
	if (out)
		out[len] = '\0';
	return out;
}

/* The value of a keyword in sshd -T output (lower-case keywords). */
static bool sshd_t_value(const char *out, const char *keyword, char *ret, size_t retsz)
{
	size_t n = strlen(keyword);
	const char *p = out;

	while (p && *p) {
		if (strncmp(p, keyword, n) == 0 && p[n] == ' ') {
			size_t l = strcspn(p + n + 1, "\n");

			snprintf(ret, retsz, "%.*s", (int)l, p + n + 1);
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* "…/provctl keys %u" (any install path; more arguments allowed). */
static bool is_ours(const char *cmd)
{
	char copy[SSHDCONF_VALUE_MAX], *save = NULL, *prog, *sub, *arg;
	const char *base;

	snprintf(copy, sizeof(copy), "%s", cmd);
	prog = strtok_r(copy, " \t", &save);
	sub = strtok_r(NULL, " \t", &save);
	arg = strtok_r(NULL, " \t", &save);
	if (!prog || !sub || !arg)
		return false;
	base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	return strcmp(base, "provctl") == 0 && strcmp(sub, "keys") == 0 && strcmp(arg, "%u") == 0;
}

static void check_keys_user(struct doctor *d, const char *akc_user, const char *how)
{
	if (!d->keys_user[0])
		return; /* provd unreachable: said already */
	if (strcmp(akc_user, d->keys_user) == 0)
		report(d, "sshd", OK, "AuthorizedKeysCommandUser %s is provd's keys_user (%s)", akc_user, how);
	else
		report(d, "sshd", FAIL,
		       "AuthorizedKeysCommandUser is '%s' but provd answers keys only to keys_user '%s', root and the "
		       "user herself: make them the same (%s)",
		       akc_user[0] ? akc_user : "(unset)", d->keys_user, how);
}

static void check_sshd(struct doctor *d)
{
	char akc[SSHDCONF_VALUE_MAX] = "", akc_user[SSHDCONF_VALUE_MAX] = "", how[64];
	struct sshdconf_hit hit, hit_user;
	char *out = NULL;
	bool have_hit;
	int r;

	if (strcmp(d->sshd, "none") != 0)
		out = run_sshd_t(d);
	r = sshdconf_first(d->sshd_config, "AuthorizedKeysCommand", &hit);
	if (r < 0 && r != -ENOENT && !out) {
		report(d, "sshd", WARN, "cannot read %s (%s) and cannot run %s -T: SSH keys wiring not checked",
		       d->sshd_config, strerror(-r), d->sshd);
		return;
	}
	have_hit = r == 0;
	if (out) {
		snprintf(how, sizeof(how), "%s", "from sshd -T");
		sshd_t_value(out, "authorizedkeyscommand", akc, sizeof(akc));
		sshd_t_value(out, "authorizedkeyscommanduser", akc_user, sizeof(akc_user));
		free(out);
	} else {
		snprintf(how, sizeof(how), "%s", "from reading the config files");
		if (have_hit)
			snprintf(akc, sizeof(akc), "%s", hit.value);
		if (sshdconf_first(d->sshd_config, "AuthorizedKeysCommandUser", &hit_user) == 0)
			snprintf(akc_user, sizeof(akc_user), "%s", hit_user.value);
	}
	if (!akc[0] || strcasecmp(akc, "none") == 0) {
		report(d, "sshd", FAIL,
		       "no AuthorizedKeysCommand: SSH keys from the directory are not used (install "
		       "/etc/ssh/sshd_config.d/10-prov.conf and check that sshd_config includes sshd_config.d) (%s)",
		       how);
		return;
	}
	if (!is_ours(akc)) {
		report(d, "sshd", FAIL,
		       "sshd uses AuthorizedKeysCommand '%s'%s%s, not 'provctl keys %%u': sshd honours only the first "
		       "one it reads, so remove that setting or rename its drop-in to sort after 10-prov.conf (%s)",
		       akc, have_hit ? ", set in " : "", have_hit ? hit.where : "", how);
		return;
	}
	report(d, "sshd", OK, "AuthorizedKeysCommand %s%s%s (%s)", akc, have_hit ? ", set in " : "",
	       have_hit ? hit.where : "", how);
	check_keys_user(d, akc_user, how);
}

/* --- sudoers, nscd --- */

/* The rule for the group, "%group" (matched against the login-time group
 * vector) or "%:group" (asked of sudoers' group_plugin at each use, see
 * packaging/sudoers/prov): 2 for "%:", 1 for "%", 0 when none. */
static int sudoers_rule(const char *line, const char *group)
{
	const char *p = line + strspn(line, " \t");
	size_t n = strlen(group);
	int kind;

	if (p[0] != '%')
		return 0;
	kind = p[1] == ':' ? 2 : 1;
	p += kind;
	return strncmp(p, group, n) == 0 && (p[n] == ' ' || p[n] == '\t') ? kind : 0;
}

static void check_sudoers(struct doctor *d)
{
	char needle[PROV_NAME_MAX + 2], line[1024];
	bool found = false;
	int kind = 0;
	FILE *f;

	if (!d->sudo_group[0])
		return;
	f = fopen(d->sudoers, "re");
	if (!f) {
		report(d, "sudoers", WARN, "no %s (%s): the sudo grant gives group %s, which sudo does not know",
		       d->sudoers, strerror(errno), d->sudo_group);
		return;
	}
	snprintf(needle, sizeof(needle), "%%%s", d->sudo_group);
	while (!found && fgets(line, sizeof(line), f)) {
		kind = sudoers_rule(line, d->sudo_group);
		found = kind != 0;
	}
	fclose(f);
	if (kind == 2)
		report(d, "sudoers", OK, "%s grants %%:%s (asked at each sudo: a grant that ends, ends in open sessions)",
		       d->sudoers, d->sudo_group);
	else if (found)
		report(d, "sudoers", OK, "%s grants %s (login-time groups: an open session keeps sudo until it ends)",
		       d->sudoers, needle);
	else
		report(d, "sudoers", WARN, "%s does not grant %s (provd's sudo_group)", d->sudoers, needle);
}

static void check_nscd(struct doctor *d)
{
	struct stat st;

	if (stat(NSCD_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode))
		report(d, "nscd", OK, "nscd runs: provd invalidates its passwd and group caches after every change");
	else
		report(d, "nscd", OK, "nscd does not run: nothing caches prov's answers");
}

static int parse_doctor(int argc, char **argv, struct doctor *d)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char **slot = strcmp(argv[i], "--sshd") == 0	    ? &d->sshd
				    : strcmp(argv[i], "--sshd-config") == 0 ? &d->sshd_config
				    : strcmp(argv[i], "--nsswitch") == 0    ? &d->nsswitch
				    : strcmp(argv[i], "--sudoers") == 0	    ? &d->sudoers
									    : NULL;

		if (!slot || i + 1 >= argc) {
			ctl_err("usage: provctl doctor [--sshd PATH|none] [--sshd-config PATH] [--nsswitch PATH] "
				"[--sudoers PATH]");
			return CTL_USAGE;
		}
		*slot = argv[++i];
	}
	return CTL_OK;
}

int cmd_doctor(struct ctl *c, int argc, char **argv)
{
	struct doctor d = {
		.c = c,
		.sshd = "/usr/sbin/sshd",
		.sshd_config = "/etc/ssh/sshd_config",
		.nsswitch = "/etc/nsswitch.conf",
		.sudoers = "/etc/sudoers.d/prov",
	};
	int rc = parse_doctor(argc, argv, &d);

	if (rc != CTL_OK)
		return rc;
	if (c->json) {
		json_init(&d.j, stdout);
		json_begin_array(&d.j);
	}
	check_provd(&d);
	check_nsswitch(&d);
	check_sshd(&d);
	check_sudoers(&d);
	check_nscd(&d);
	if (c->json) {
		json_end_array(&d.j);
		json_finish(&d.j);
	}
	return d.fails ? CTL_ERROR : CTL_OK;
}

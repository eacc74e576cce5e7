/* SPDX-License-Identifier: MIT */
/*
 * bench_pam: the cost of the PAM work a login does, through libpam's own
 * API, the way sshd, login or su drive it:
 *
 *   txn    per iteration: pam_start, pam_acct_mgmt, pam_open_session,
 *          pam_close_session, pam_end (one whole login: libpam reads the
 *          service file and loads the modules each time)
 *   calls  one pam_start; per iteration pam_acct_mgmt, pam_open_session,
 *          pam_close_session; one pam_end (the modules' own cost)
 *
 * usage: bench_pam -s SERVICE (-u USER | -f USERFILE) [-n ITER] [-m txn|calls] [-l LABEL]
 *   -u USER      the same user every iteration (an existing home: the usual login)
 *   -f USERFILE  one user name per line, each used once, in order (first logins:
 *                the home is created); -n defaults to the number of names
 * Prints one line:
 *   label=L service=S mode=M n=N p50_us=.. p90_us=.. p99_us=.. mean_us=.. max_us=.. errors=E
 * An iteration whose calls do not all return PAM_SUCCESS counts as an error
 * (its time is still measured); the first error is shown on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <security/pam_appl.h>

struct opts {
	const char *service, *user, *user_file, *label, *mode;
	long n;
};

/* A conversation that answers every prompt with nothing: a module that
 * shows a message (pam_prov on a denial) gets PAM_SUCCESS. */
static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)msg;
	(void)data;
	*resp = calloc((size_t)n, sizeof(**resp));
	return *resp ? PAM_SUCCESS : PAM_BUF_ERR;
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char **read_users(const char *path, long *ret_n)
{
	char line[256], **v = NULL;
	long n = 0, cap = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0])
			continue;
		if (n == cap) {
			char **nv = realloc(v, (size_t)(cap = cap ? cap * 2 : 256) * sizeof(*v));

			if (!nv)
				exit(1);
			v = nv;
		}
		v[n] = strdup(line);
		if (!v[n++])
			exit(1);
	}
	fclose(f);
	*ret_n = n;
	return v;
}

static int steps(pam_handle_t *h, const char **what)
{
	int r;

	if ((r = pam_acct_mgmt(h, PAM_SILENT)) != PAM_SUCCESS)
		*what = "pam_acct_mgmt";
	else if ((r = pam_open_session(h, PAM_SILENT)) != PAM_SUCCESS)
		*what = "pam_open_session";
	else if ((r = pam_close_session(h, PAM_SILENT)) != PAM_SUCCESS)
		*what = "pam_close_session";
	return r;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_pam -s SERVICE (-u USER | -f USERFILE) [-n ITER] [-m txn|calls] [-l LABEL]\n");
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){ .label = "-", .mode = "txn", .n = 0 };
	while ((c = getopt(argc, argv, "s:u:f:n:m:l:")) != -1) {
		char *end;

		switch (c) {
		case 's':
			o->service = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'f':
			o->user_file = optarg;
			break;
		case 'm':
			o->mode = optarg;
			break;
		case 'l':
			o->label = optarg;
			break;
		case 'n':
			errno = 0;
			o->n = strtol(optarg, &end, 10);
			if (errno || *end || o->n <= 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (!o->service || !o->user == !o->user_file ||
	    (strcmp(o->mode, "txn") != 0 && strcmp(o->mode, "calls") != 0))
		usage();
	if (o->user_file && strcmp(o->mode, "txn") != 0)
		usage(); /* one handle is one user */
}

int main(int argc, char **argv)
{
	const struct pam_conv pc = { conv, NULL };
	double *t, sum = 0;
	char **users = NULL;
	long n_users = 0, i, errors = 0;
	pam_handle_t *h = NULL;
	struct opts o;
	int r;

	parse(argc, argv, &o);
	if (o.user_file) {
		users = read_users(o.user_file, &n_users);
		if (!users || n_users == 0) {
			fprintf(stderr, "bench_pam: no users in %s\n", o.user_file);
			return 1;
		}
		if (o.n == 0 || o.n > n_users)
			o.n = n_users;
	}
	if (o.n == 0)
		o.n = 1000;
	t = calloc((size_t)o.n, sizeof(*t));
	if (!t)
		return 1;
	if (strcmp(o.mode, "calls") == 0 && pam_start(o.service, o.user, &pc, &h) != PAM_SUCCESS) {
		fprintf(stderr, "bench_pam: pam_start failed\n");
		return 1;
	}
	for (i = 0; i < o.n; i++) {
		const char *user = users ? users[i] : o.user, *what = "pam_start";
		double t0 = now_us();

		if (strcmp(o.mode, "txn") == 0) {
			r = pam_start(o.service, user, &pc, &h);
			if (r == PAM_SUCCESS)
				r = steps(h, &what);
			pam_end(h, r);
			h = NULL;
		} else {
			r = steps(h, &what);
		}
		t[i] = now_us() - t0;
		sum += t[i];
		if (r != PAM_SUCCESS && errors++ == 0)
			fprintf(stderr, "bench_pam: %s for %s: %s\n", what, user, pam_strerror(NULL, r));
	}
	if (h)
		pam_end(h, PAM_SUCCESS);
	qsort(t, (size_t)o.n, sizeof(*t), cmp_double);
	printf("label=%s service=%s mode=%s n=%ld p50_us=%.1f p90_us=%.1f p99_us=%.1f mean_us=%.1f max_us=%.1f "
	       "errors=%ld\n",
	       o.label, o.service, o.mode, o.n, t[o.n / 2], t[o.n * 9 / 10], t[o.n * 99 / 100], sum / (double)o.n,
	       t[o.n - 1], errors);
	free(t);
	for (i = 0; i < n_users; i++)
		free(users[i]);
	free(users);
	return errors ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * bench_nss: times glibc NSS calls the way real programs make them, through
 * whatever the current nsswitch.conf says (files, prov, nscd in front of
 * files...). One run = one operation x hit|miss x N threads; it prints one
 * machine-readable line:
 *
 *   op=getpwnam kind=hit threads=1 label=files ops=4123 secs=2.001
 *   ops_per_s=2060 p50_us=481.2 p99_us=612.0 max_us=900.1 errors=0
 *   cpu_us_per_op=480.9
 *
 * (on one line). cpu_us_per_op is the process's CPU time (user + system,
 * getrusage) over the measured interval divided by the calls: when two
 * threads get less than twice the throughput of one but the same CPU time
 * per call, the calls did not slow each other down (no contended lock or
 * cache line), the machine just did not give the process two CPUs. Each
 * call is timed alone with CLOCK_MONOTONIC; the key is
 * chosen before the clock starts. Latencies go into a log-linear histogram
 * (1/64 relative resolution), so a run at millions of ops/s needs no sample
 * buffer. Every answer is checked: a hit that comes back empty, or a miss
 * that finds something, counts in errors= (a fast wrong answer must not
 * look like a fast lookup).
 *
 * usage: bench_nss [options] OP KIND THREADS
 *   OP       getpwnam | getpwuid | getgrouplist (the initgroups path)
 *            | unix-rtt: no NSS at all, the floor under any daemon design:
 *            one AF_UNIX connect + 29-byte request + 85-byte reply + close
 *            per call, against a trivial forked echo server (the sizes of
 *            a prov getpwnam exchange). KIND is ignored.
 *            | id: what `id USER` asks: getpwnam, getgrouplist, then
 *            getgrgid of every group (a member of a 100,000-member group
 *            pays for that group's record)
 *            | getgrnam: one group by name, -g GROUP (`getent group GROUP`)
 *            | getpwent: the whole passwd enumeration (`getent passwd`);
 *            a hit finds at least as many entries as KEYFILE has lines.
 *            One thread only: the enumeration state is per process.
 *            Group buffers grow on ERANGE and are kept, as glibc's
 *            getgrnam() keeps its own: the steady state of a program.
 *   KIND     hit | miss
 *   THREADS  1..64
 *   -k FILE  passwd-format file: hit keys are its name, uid and gid fields
 *            (required for hits)
 *   -t SECS  measured time per run (default 2)
 *   -w SECS  warm-up time before measuring (default 0.5)
 *   -n OPS   stop each thread after OPS measured calls (default: no limit)
 *   -m N     number of distinct miss keys (default 1000)
 *   -p       prime: look every key up once before the warm-up, untimed
 *            (fills a cache such as nscd's before it is measured)
 *   -l LABEL label= field of the output line (default "-")
 *   -g GROUP the group of getgrnam
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS     64
#define MAX_KEYS        1000000
#define NAME_MAX_LEN    64
#define PW_BUF_SIZE     16384   /* big enough that no call pays an ERANGE retry */
#define MAX_GROUPS      1024
/* Miss keys live where no generated or local account is. */
#define MISS_ID_BASE    500000u

/* Histogram: values below 128 ns have their own bucket; above, each power
 * of two is split into 64 sub-buckets. 64 powers cover any uint64 value. */
#define HIST_LINEAR     128
#define HIST_SUB        64
#define HIST_BUCKETS    (HIST_LINEAR + 64 * HIST_SUB)

enum op { OP_GETPWNAM, OP_GETPWUID, OP_GETGROUPLIST, OP_UNIX_RTT, OP_ID, OP_GETGRNAM, OP_GETPWENT };

/* unix-rtt sizes: a prov getpwnam request and reply. */
#define RTT_REQ         29
#define RTT_REPLY       85

struct key {
	char name[NAME_MAX_LEN];
	uid_t uid;
	gid_t gid;
};

struct opts {
	enum op op;
	bool hit;
	unsigned threads;
	double secs;
	double warm_secs;
	uint64_t max_ops;
	unsigned miss_keys;
	bool prime;
	const char *label;
	const char *key_file;
	const char *group;
};

struct worker {
	pthread_t thread;
	unsigned index;
	uint64_t ops;
	uint64_t errors;
	uint64_t max_ns;
	uint64_t hist[HIST_BUCKETS];
};

static struct opts o = {
	.secs = 2.0, .warm_secs = 0.5, .miss_keys = 1000, .label = "-",
};
static struct key *keys;
static size_t n_keys;
static pthread_barrier_t warm_done, go;
static struct sockaddr_un rtt_addr = { .sun_family = AF_UNIX };
static uint64_t warm_deadline_ns, deadline_ns;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned hist_index(uint64_t v)
{
	unsigned msb, e;

	if (v < HIST_LINEAR)
		return (unsigned)v;
	msb = 63u - (unsigned)__builtin_clzll(v);
	e = msb - 6;    /* v >> e is in [64, 128) */
	return HIST_LINEAR + (e - 1) * HIST_SUB + (unsigned)((v >> e) - HIST_SUB);
}

/* Middle of bucket i, in ns. */
static double hist_value(unsigned i)
{
	unsigned e, sub;

	if (i < HIST_LINEAR)
		return i;
	e = (i - HIST_LINEAR) / HIST_SUB + 1;
	sub = (i - HIST_LINEAR) % HIST_SUB + HIST_SUB;
	return ((double)sub + 0.5) * (double)(1ull << e);
}

static double hist_percentile(const uint64_t *hist, uint64_t total, double p)
{
	uint64_t rank = (uint64_t)((double)total * p), seen = 0;
	unsigned i;

	if (rank >= total)
		rank = total - 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += hist[i];
		if (seen > rank)
			return hist_value(i);
	}
	return 0;
}

/* xorshift64*: cheap, per thread, good enough to pick keys. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void miss_key(unsigned i, struct key *k)
{
	snprintf(k->name, sizeof(k->name), "nxuser%06u", i);
	k->uid = MISS_ID_BASE + i;
	k->gid = MISS_ID_BASE + i;
}

static void pick_key(uint64_t *rng, struct key *k)
{
	uint64_t r = next_rand(rng);

	if (o.op == OP_UNIX_RTT || o.op == OP_GETGRNAM || o.op == OP_GETPWENT)
		return; /* no per-call key */
	if (o.hit)
		*k = keys[r % n_keys];
	else
		miss_key((unsigned)(r % o.miss_keys), k);
}

static bool recv_exact(int fd, char *buf, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = recv(fd, buf + got, n - got, 0);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			return false;
		if (poll(&pfd, 1, 1000) <= 0)
			return false;
	}
	return true;
}

/* What the NSS module does per lookup, minus everything prov-specific. */
static bool unix_rtt(char *buf)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bool ok;

	if (fd < 0)
		return false;
	memset(buf, 'q', RTT_REQ);
	ok = connect(fd, (struct sockaddr *)&rtt_addr, sizeof(rtt_addr)) == 0 &&
	     send(fd, buf, RTT_REQ, MSG_NOSIGNAL) == RTT_REQ &&
	     recv_exact(fd, buf, RTT_REPLY);
	close(fd);
	return ok;
}

/* The echo server: one connection at a time, like a single-threaded
 * daemon; killed by the parent when the run ends. */
static void rtt_serve(int lfd, pid_t parent)
{
	char buf[RTT_REPLY];
	size_t got;
	ssize_t r;
	int c;

	/* Never outlive the benchmark, even if it crashes. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	memset(buf, 'r', sizeof(buf));
	for (;;) {
		c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		for (got = 0; got < RTT_REQ; got += (size_t)r) {
			r = read(c, buf, RTT_REQ - got);
			if (r <= 0)
				break;
		}
		if (got == RTT_REQ && write(c, buf, RTT_REPLY) != RTT_REPLY)
			_exit(1);
		close(c);
	}
}

static int rtt_start(pid_t *ret_pid, char *dir, size_t dir_size)
{
	const char *tmp = getenv("TMPDIR");
	pid_t pid, parent = getpid();
	int lfd, r;

	if (!tmp || !*tmp || strlen(tmp) > 32)
		tmp = "/tmp";
	snprintf(dir, dir_size, "%s/bench_nss.XXXXXX", tmp);
	if (!mkdtemp(dir))
		return -errno;
	snprintf(rtt_addr.sun_path, sizeof(rtt_addr.sun_path), "%s/sock", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		r = -errno;
		goto out_dir;
	}
	if (bind(lfd, (struct sockaddr *)&rtt_addr, sizeof(rtt_addr)) < 0 ||
	    listen(lfd, 512) < 0) {
		r = -errno;
		goto out_sock;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out_sock;
	}
	if (pid == 0)
		rtt_serve(lfd, parent);
	close(lfd);
	*ret_pid = pid;
	return 0;
out_sock:
	close(lfd);
	unlink(rtt_addr.sun_path);
out_dir:
	rmdir(dir);
	return r;
}

static void rtt_stop(pid_t pid, const char *dir)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(rtt_addr.sun_path);
	rmdir(dir);
}

/* A group buffer per thread, grown on ERANGE and kept. */
static __thread char *gbuf;
static __thread size_t gcap;

static bool getgr(const char *name, gid_t gid, struct group *gr)
{
	struct group *res = NULL;
	int r;

	if (!gbuf) {
		gcap = PW_BUF_SIZE;
		gbuf = malloc(gcap);
		if (!gbuf)
			return false;
	}
	for (;;) {
		r = name ? getgrnam_r(name, gr, gbuf, gcap, &res) : getgrgid_r(gid, gr, gbuf, gcap, &res);
		if (r != ERANGE)
			return r == 0 && res != NULL;
		char *nb = realloc(gbuf, gcap * 2);

		if (!nb)
			return false;
		gbuf = nb;
		gcap *= 2;
	}
}

/* `id USER`: the user, its groups, and every group's record. */
static bool do_id(const struct key *k, char *buf)
{
	struct passwd pw, *res = NULL;
	gid_t groups[MAX_GROUPS];
	struct group gr;
	int n = MAX_GROUPS, r, i;

	if (getpwnam_r(k->name, &pw, buf, PW_BUF_SIZE, &res) != 0 || !res)
		return !o.hit;
	r = getgrouplist(k->name, pw.pw_gid, groups, &n);
	if (r < 1)
		return false;
	for (i = 0; i < r; i++)
		if (!getgr(NULL, groups[i], &gr))
			return false;
	return o.hit;
}

static bool do_getpwent(void)
{
	struct passwd pw, *res;
	char buf[PW_BUF_SIZE];
	size_t n = 0;

	setpwent();
	while (getpwent_r(&pw, buf, sizeof(buf), &res) == 0 && res)
		n++;
	endpwent();
	return n >= n_keys;
}

/* One NSS call; returns true if the answer is the expected one. */
static bool do_op(const struct key *k, char *buf)
{
	struct passwd pw, *res = NULL;
	gid_t groups[MAX_GROUPS];
	int r, n = MAX_GROUPS, i;

	switch (o.op) {
	case OP_GETPWNAM:
		r = getpwnam_r(k->name, &pw, buf, PW_BUF_SIZE, &res);
		if (o.hit)
			return r == 0 && res && pw.pw_uid == k->uid;
		return res == NULL;
	case OP_GETPWUID:
		r = getpwuid_r(k->uid, &pw, buf, PW_BUF_SIZE, &res);
		if (o.hit)
			return r == 0 && res && strcmp(pw.pw_name, k->name) == 0;
		return res == NULL;
	case OP_GETGROUPLIST:
		r = getgrouplist(k->name, k->gid, groups, &n);
		/* A miss finds only the primary gid it was given. */
		if (r < 1 || (!o.hit && r != 1))
			return false;
		/* The list holds the primary gid, not always first (nscd
		 * returns its own order). */
		for (i = 0; i < r; i++)
			if (groups[i] == k->gid)
				return true;
		return false;
	case OP_UNIX_RTT:
		return unix_rtt(buf);
	case OP_ID:
		return do_id(k, buf);
	case OP_GETGRNAM: {
		struct group gr;
		bool found = getgr(o.group, 0, &gr);

		return o.hit ? found && gr.gr_mem[0] != NULL : !found;
	}
	case OP_GETPWENT:
		return do_getpwent();
	}
	return false;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t rng = 0x9e3779b97f4a7c15ull * (w->index + 1), t0, t1, d;
	char *buf = malloc(PW_BUF_SIZE);
	struct key k;

	if (!buf) {
		w->errors = UINT64_MAX;
		pthread_barrier_wait(&warm_done);
		pthread_barrier_wait(&go);
		return NULL;
	}
	while (now_ns() < warm_deadline_ns) {
		pick_key(&rng, &k);
		do_op(&k, buf);
	}
	pthread_barrier_wait(&warm_done);
	pthread_barrier_wait(&go);
	for (;;) {
		pick_key(&rng, &k);
		t0 = now_ns();
		if (!do_op(&k, buf))
			w->errors++;
		t1 = now_ns();
		d = t1 - t0;
		w->hist[hist_index(d)]++;
		if (d > w->max_ns)
			w->max_ns = d;
		w->ops++;
		if (t1 >= deadline_ns || (o.max_ops && w->ops >= o.max_ops))
			break;
	}
	free(buf);
	return NULL;
}

/* Untimed: each key once, so a cache in front of the source is full. */
static void prime(void)
{
	size_t i, n = o.hit ? n_keys : o.miss_keys;
	struct key k;
	char *buf;

	if (o.op == OP_UNIX_RTT || o.op == OP_GETPWENT)
		return;
	buf = malloc(PW_BUF_SIZE);
	if (!buf)
		return;
	if (o.op == OP_GETGRNAM) {
		memset(&k, 0, sizeof(k));
		do_op(&k, buf);
		n = 0;
	}
	for (i = 0; i < n; i++) {
		if (o.hit)
			k = keys[i];
		else
			miss_key((unsigned)i, &k);
		do_op(&k, buf);
	}
	free(buf);
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_secs(const char *s, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > 3600)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Reads name:x:uid:gid:... lines; skips lines that do not parse. */
static int load_keys(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[1024], *fields[4], *p;
	unsigned long uid, gid;
	size_t cap = 0;
	int i;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f) && n_keys < MAX_KEYS) {
		line[strcspn(line, "\n")] = '\0';
		p = line;
		for (i = 0; i < 4; i++)
			fields[i] = strsep(&p, ":");
		if (!fields[3] || strlen(fields[0]) >= NAME_MAX_LEN || !*fields[0] ||
		    parse_ulong(fields[2], UINT32_MAX - 1, &uid) < 0 ||
		    parse_ulong(fields[3], UINT32_MAX - 1, &gid) < 0)
			continue;
		if (n_keys == cap) {
			struct key *nk;

			cap = cap ? cap * 2 : 1024;
			nk = realloc(keys, cap * sizeof(*keys));
			if (!nk) {
				fclose(f);
				return -ENOMEM;
			}
			keys = nk;
		}
		strcpy(keys[n_keys].name, fields[0]);
		keys[n_keys].uid = (uid_t)uid;
		keys[n_keys].gid = (gid_t)gid;
		n_keys++;
	}
	fclose(f);
	return n_keys ? 0 : -ENODATA;
}

static const char *op_name(enum op op)
{
	switch (op) {
	case OP_GETPWNAM:
		return "getpwnam";
	case OP_GETPWUID:
		return "getpwuid";
	case OP_GETGROUPLIST:
		return "getgrouplist";
	case OP_UNIX_RTT:
		return "unix-rtt";
	case OP_ID:
		return "id";
	case OP_GETGRNAM:
		return "getgrnam";
	case OP_GETPWENT:
		return "getpwent";
	}
	return "?";
}

static int parse_op(const char *s, enum op *ret)
{
	static const enum op all[] = { OP_GETPWNAM, OP_GETPWUID, OP_GETGROUPLIST, OP_UNIX_RTT,
				       OP_ID,	     OP_GETGRNAM, OP_GETPWENT };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, op_name(all[i])) == 0) {
			*ret = all[i];
			return 0;
		}
	return -EINVAL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_nss [-k KEYFILE] [-t SECS] [-w SECS] [-n OPS] [-m MISSKEYS] [-p] [-l LABEL] [-g GROUP]\n"
		"                 getpwnam|getpwuid|getgrouplist|unix-rtt|id|getgrnam|getpwent hit|miss THREADS\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	unsigned long v;
	int c;

	while ((c = getopt(argc, argv, "k:t:w:n:m:pl:g:")) != -1) {
		switch (c) {
		case 'k':
			o.key_file = optarg;
			break;
		case 't':
			if (parse_secs(optarg, &o.secs) < 0)
				usage();
			break;
		case 'w':
			if (strcmp(optarg, "0") == 0)
				o.warm_secs = 0;
			else if (parse_secs(optarg, &o.warm_secs) < 0)
				usage();
			break;
		case 'n':
			if (parse_ulong(optarg, UINT64_MAX, &v) < 0 || v == 0)
				usage();
			o.max_ops = v;
			break;
		case 'm':
			if (parse_ulong(optarg, 1000000, &v) < 0 || v == 0)
				usage();
			o.miss_keys = (unsigned)v;
			break;
		case 'p':
			o.prime = true;
			break;
		case 'l':
			o.label = optarg;
			break;
		case 'g':
			o.group = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3 || parse_op(argv[optind], &o.op) < 0)
		usage();
	if (strcmp(argv[optind + 1], "hit") == 0)
		o.hit = true;
	else if (strcmp(argv[optind + 1], "miss") != 0)
		usage();
	if (parse_ulong(argv[optind + 2], MAX_THREADS, &v) < 0 || v == 0)
		usage();
	o.threads = (unsigned)v;
	if ((o.op == OP_GETGRNAM && !o.group) || (o.op == OP_GETPWENT && o.threads != 1)) {
		fprintf(stderr, "bench_nss: getgrnam needs -g GROUP; getpwent runs in one thread\n");
		exit(2);
	}
	if (o.hit && !o.key_file && o.op != OP_UNIX_RTT && o.op != OP_GETGRNAM) {
		fprintf(stderr, "bench_nss: hits need -k KEYFILE\n");
		exit(2);
	}
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

static void report(struct worker *w, double wall_s, double cpu)
{
	static uint64_t hist[HIST_BUCKETS];
	uint64_t ops = 0, errors = 0, max_ns = 0;
	unsigned t, i;

	for (t = 0; t < o.threads; t++) {
		ops += w[t].ops;
		errors += w[t].errors;
		if (w[t].max_ns > max_ns)
			max_ns = w[t].max_ns;
		for (i = 0; i < HIST_BUCKETS; i++)
			hist[i] += w[t].hist[i];
	}
	printf("op=%s kind=%s threads=%u label=%s ops=%llu secs=%.3f ops_per_s=%.0f "
	       "p50_us=%.3f p99_us=%.3f max_us=%.1f errors=%llu cpu_us_per_op=%.3f\n",
	       op_name(o.op), o.hit ? "hit" : "miss", o.threads, o.label,
	       (unsigned long long)ops, wall_s, (double)ops / wall_s,
	       hist_percentile(hist, ops, 0.50) / 1000.0,
	       hist_percentile(hist, ops, 0.99) / 1000.0,
	       (double)max_ns / 1000.0, (unsigned long long)errors, ops ? cpu * 1e6 / (double)ops : 0.0);
}

int main(int argc, char **argv)
{
	char rtt_dir[64];
	pid_t rtt_pid = 0;
	struct worker *w;
	uint64_t t_start;
	double cpu0;
	unsigned t;
	int r;

	parse_args(argc, argv);
	if (o.op == OP_UNIX_RTT) {
		r = rtt_start(&rtt_pid, rtt_dir, sizeof(rtt_dir));
		if (r < 0) {
			fprintf(stderr, "bench_nss: echo server: %s\n", strerror(-r));
			return 1;
		}
	}
	if (o.key_file) {
		r = load_keys(o.key_file);
		if (r < 0) {
			fprintf(stderr, "bench_nss: %s: %s\n", o.key_file, strerror(-r));
			return 1;
		}
	}
	w = calloc(o.threads, sizeof(*w));
	if (!w)
		return 1;
	if (o.prime)
		prime();
	pthread_barrier_init(&warm_done, NULL, o.threads + 1);
	pthread_barrier_init(&go, NULL, o.threads + 1);
	warm_deadline_ns = now_ns() + (uint64_t)(o.warm_secs * 1e9);
	for (t = 0; t < o.threads; t++) {
		w[t].index = t;
		r = pthread_create(&w[t].thread, NULL, worker_main, &w[t]);
		if (r) {
			fprintf(stderr, "bench_nss: pthread_create: %s\n", strerror(r));
			return 1;
		}
	}
	pthread_barrier_wait(&warm_done);
	cpu0 = cpu_s();
	t_start = now_ns();
	deadline_ns = t_start + (uint64_t)(o.secs * 1e9);
	pthread_barrier_wait(&go);
	for (t = 0; t < o.threads; t++)
		pthread_join(w[t].thread, NULL);
	report(w, (double)(now_ns() - t_start) / 1e9, cpu_s() - cpu0);
	if (rtt_pid > 0)
		rtt_stop(rtt_pid, rtt_dir);
	free(w);
	free(keys);
	return 0;
}

/* SPDX-License-Identifier: MIT */
#include "sessions.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "decision.h"
#include "log.h"
#include "login_handlers.h"
#include "names.h"
#include "removed.h"

#define NSCD_WAIT_MS 2000
#define LOGIND_TIMEOUT_US (2 * 1000 * 1000)

/* A user allowed at the last check. */
struct tracked {
	char *name;
	uint32_t uid;
};

/* A uid whose processes got SIGHUP; SIGKILL for what is left at deadline. */
struct pending {
	uint32_t uid;
	int64_t deadline;
};

struct sessions {
	struct prov_state *st;
	struct sessions_env env;
	struct server *srv;
	int tfd;
	int64_t wakeup;
	struct tracked *allowed;
	size_t n_allowed;
	struct pending *pending;
	size_t n_pending;
	int64_t next_change; /* decision_next_change() at the last check */
	bool judged;         /* a first check happened (allowed is meaningful) */
	bool owns_removed;   /* st->removed was opened here */
};

static const struct sessions_env default_env = {
	.proc_dir = "/proc",
	.nscd_socket = "/var/run/nscd/socket",
	.nscd_binary = "/usr/sbin/nscd",
	.logind_probe = "/run/systemd/seats",
	.grace_s = SESSIONS_GRACE_S,
};

/* --- processes --- */

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_send_signal_(int fd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

/* Real and effective uid of a process from /proc/<pid>/status. */
static int proc_uids(int dirfd, const char *pid, uid_t *ret_ruid, uid_t *ret_euid)
{
	char path[64], buf[4096], *p;
	unsigned long r, e;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/status", pid);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	p = strstr(buf, "\nUid:");
	if (!p || sscanf(p + 5, "%lu %lu", &r, &e) != 2)
		return -EBADMSG;
	*ret_ruid = (uid_t)r;
	*ret_euid = (uid_t)e;
	return 0;
}

static bool is_pid_name(const char *s)
{
	return s[0] >= '1' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s) && strlen(s) < 11;
}

int sessions_signal_uid(const char *proc_dir, uid_t uid, int sig, unsigned *ret_n)
{
	unsigned n = 0;
	struct dirent *de;
	int dirfd;
	DIR *d;

	if (uid == 0)
		return -EPERM;
	dirfd = open(proc_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		uid_t ruid, euid;
		pid_t pid;
		int pfd;

		if (!is_pid_name(de->d_name))
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (pid == 1 || pid == getpid())
			continue;
		/* The pidfd first, the uid after: if the pid was reused in
		 * between, the uid read is the new process's, and the
		 * pidfd refers to that same process. */
		pfd = pidfd_open_(pid);
		if (pfd < 0)
			continue; /* gone, or another pid namespace's */
		if (proc_uids(dirfd, de->d_name, &ruid, &euid) == 0 && (ruid == uid || euid == uid)) {
			if (pidfd_send_signal_(pfd, sig) == 0)
				n++;
			if (sig != SIGKILL)
				pidfd_send_signal_(pfd, SIGCONT);
		}
		close(pfd);
	}
	closedir(d);
	*ret_n = n;
	return 0;
}

/* --- logind --- */

/* 1 when logind terminated the user, 0 when logind does not run or does
 * not know her, -errno on failure (logged by the caller). */
static int logind_terminate(const struct sessions *s, uint32_t uid, char *err, size_t errsz)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;
	int r;

	if (access(s->env.logind_probe, F_OK) < 0)
		return 0;
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		snprintf(err, errsz, "cannot connect to the system bus: %s", strerror(-r));
		return r;
	}
	sd_bus_set_method_call_timeout(bus, LOGIND_TIMEOUT_US);
	r = sd_bus_call_method(bus, "org.freedesktop.login1", "/org/freedesktop/login1",
			       "org.freedesktop.login1.Manager", "TerminateUser", &e, NULL, "u", uid);
	if (r < 0 && sd_bus_error_has_name(&e, "org.freedesktop.login1.NoSuchUser"))
		r = 0;
	else if (r < 0)
		snprintf(err, errsz, "TerminateUser: %s", e.message ? e.message : strerror(-r));
	else
		r = 1;
	sd_bus_error_free(&e);
	sd_bus_flush_close_unref(bus);
	return r;
}

/* --- nscd --- */

static int run_wait(const char *binary, char *const argv[])
{
	char *const envp[] = { NULL };
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int status = 0, i, e;
	pid_t pid;

	e = posix_spawn(&pid, binary, NULL, NULL, argv, envp);
	if (e != 0)
		return -e;
	for (i = 0; i < NSCD_WAIT_MS / 10; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
		if (r < 0 && errno != EINTR)
			return -errno;
		nanosleep(&pause, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -ETIMEDOUT;
}

static void nscd_invalidate(const struct sessions *s)
{
	static const char *const dbs[] = { "passwd", "group" };
	struct stat st;
	size_t i;

	if (stat(s->env.nscd_socket, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	for (i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		char *const argv[] = { (char *)s->env.nscd_binary, "-i", (char *)dbs[i], NULL };
		int r = run_wait(s->env.nscd_binary, argv);

		if (r < 0)
			log_event(LOG_WARNING, "nscd_invalidate_failed",
				  LOG_FIELDS({ "PROV_DATABASE", dbs[i] }, { "PROV_REASON", strerror(-r) }),
				  "%s -i %s failed (%s): nscd may answer from its cache until its TTL",
				  s->env.nscd_binary, dbs[i], strerror(-r));
		else
			log_event(LOG_INFO, "nscd_invalidated", LOG_FIELDS({ "PROV_DATABASE", dbs[i] }),
				  "nscd %s cache invalidated", dbs[i]);
	}
}

/* --- the check --- */

static void tracked_free(struct tracked *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(t[i].name);
	free(t);
}

static void decide(const struct sessions *s, const char *name, int64_t now, struct decision *ret)
{
	struct decision_request req = { .user = name, .service = "", .rhost = "", .tty = "", .now = now };
	struct decision_freshness fresh;
	struct decision_host host;

	login_host(&s->st->cfg, &host);
	login_freshness(s->st, &fresh);
	/* The hook runs while a directory goes in, before its source's
	 * confirmation time is recorded (last_ok still 0 at start-up). For
	 * the login gate that fails closed (stale); here it would hide who
	 * is allowed, and so who later loses access: unknown counts as fresh.
	 * Nothing is ended on this: an end needs a later EXPIRED, NO_GRANT
	 * or UNKNOWN. */
	if (s->st->last_ok <= 0)
		fresh.last_ok = 0;
	decision_decide(s->st->dir, &host, &fresh, &req, ret);
	login_apply_removed(s->st, name, now, ret);
}

static int add_pending(struct sessions *s, uint32_t uid, int64_t deadline)
{
	struct pending *p = realloc(s->pending, (s->n_pending + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	s->pending = p;
	s->pending[s->n_pending++] = (struct pending){ uid, deadline };
	return 0;
}

static void end_sessions(struct sessions *s, const struct tracked *t, const struct decision *d, int64_t now)
{
	char uid[16], pids[16], err[256] = "";
	const char *method;
	unsigned n = 0;
	int lr, r;

	snprintf(uid, sizeof(uid), "%u", t->uid);
	log_event(LOG_NOTICE, "access_revoked",
		  LOG_FIELDS({ "PROV_USER", t->name }, { "PROV_UID", uid },
			     { "PROV_DECISION", prov_decision_name(d->decision) }, { "PROV_REASON", d->reason }),
		  "%s (uid %s) lost access: %s%s", t->name, uid, d->reason,
		  s->st->cfg.end_sessions ? "" : " (end_sessions = no: running sessions left alone)");
	if (!s->st->cfg.end_sessions)
		return;
	lr = logind_terminate(s, t->uid, err, sizeof(err));
	if (lr < 0)
		log_msg(LOG_WARNING, "logind could not end the sessions of %s: %s; signalling her processes", t->name,
			err);
	r = sessions_signal_uid(s->env.proc_dir, t->uid, SIGHUP, &n);
	if (r < 0)
		log_msg(LOG_ERR, "cannot signal the processes of %s: %s", t->name, strerror(-r));
	method = lr > 0 ? (n ? "logind+signal" : "logind") : "signal";
	snprintf(pids, sizeof(pids), "%u", n);
	log_event(LOG_NOTICE, "sessions_ended",
		  LOG_FIELDS({ "PROV_USER", t->name }, { "PROV_UID", uid }, { "PROV_METHOD", method },
			     { "PROV_PIDS", pids }),
		  "sessions of %s ended (%s): %s processes sent SIGHUP, SIGKILL in %u s for any left", t->name,
		  method, pids, s->env.grace_s);
	if (n > 0 && add_pending(s, t->uid, now + s->env.grace_s) < 0)
		log_msg(LOG_ERR, "out of memory: the processes of %s get no SIGKILL", t->name);
}

/* Still out of access? (She may have been given it back meanwhile.) */
static bool uid_allowed_now(const struct sessions *s, uint32_t uid)
{
	size_t i;

	for (i = 0; i < s->n_allowed; i++)
		if (s->allowed[i].uid == uid)
			return true;
	return false;
}

static void kill_leftovers(struct sessions *s, int64_t now)
{
	size_t i = 0;

	while (i < s->n_pending) {
		struct pending p = s->pending[i];
		char uid[16], pids[16];
		unsigned n = 0;

		if (p.deadline > now) {
			i++;
			continue;
		}
		s->pending[i] = s->pending[--s->n_pending];
		if (uid_allowed_now(s, p.uid))
			continue;
		if (sessions_signal_uid(s->env.proc_dir, p.uid, SIGKILL, &n) < 0 || n == 0)
			continue;
		snprintf(uid, sizeof(uid), "%u", p.uid);
		snprintf(pids, sizeof(pids), "%u", n);
		log_event(LOG_NOTICE, "sessions_killed", LOG_FIELDS({ "PROV_UID", uid }, { "PROV_PIDS", pids }),
			  "uid %s: %s processes outlived the grace and were sent SIGKILL", uid, pids);
	}
}

/* The users allowed now, plus those of the previous set whose decision is
 * only STALE (judged again when the directory comes back). */
static int judge(struct sessions *s, int64_t now, struct tracked **ret, size_t *ret_n)
{
	const struct directory *dir = s->st->dir;
	struct tracked *next = NULL;
	size_t n = 0, cap = 0, i;
	struct decision d;

	for (i = 0; dir && i < dir->n_users + s->n_allowed; i++) {
		const char *name = i < dir->n_users ? dir->users[i].name : s->allowed[i - dir->n_users].name;
		uint32_t uid;

		decide(s, name, now, &d);
		if (i < dir->n_users) {
			if (d.decision != PROV_DECIDE_ALLOW)
				continue;
			uid = dir->users[i].uid;
		} else {
			if (d.decision != PROV_DECIDE_STALE)
				continue;
			uid = s->allowed[i - dir->n_users].uid;
		}
		if (n == cap) {
			struct tracked *t = realloc(next, (cap = cap ? cap * 2 : 16) * sizeof(*t));

			if (!t)
				goto oom;
			next = t;
		}
		next[n].name = strdup(name);
		if (!next[n].name)
			goto oom;
		next[n++].uid = uid;
	}
	*ret = next;
	*ret_n = n;
	return 0;
oom:
	tracked_free(next, n);
	return -ENOMEM;
}

/* By name: a user whose uid changed but who is still allowed keeps her
 * sessions (the directory renumbered her; that is not a revocation). */
static bool in_set(const struct tracked *t, size_t n, const struct tracked *x)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i].name, x->name) == 0)
			return true;
	return false;
}

static void arm(struct sessions *s, int64_t now)
{
	struct itimerspec its = { 0 };
	int64_t next = s->next_change;
	size_t i;

	for (i = 0; i < s->n_pending; i++)
		if (next == 0 || s->pending[i].deadline < next)
			next = s->pending[i].deadline;
	if (next != 0 && next <= now)
		next = now + 1;
	s->wakeup = next;
	if (s->tfd < 0)
		return;
	its.it_value.tv_sec = (time_t)next; /* 0 disarms */
	if (timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_msg(LOG_ERR, "cannot arm the session timer: %s", strerror(errno));
}

void sessions_tick(struct sessions *s, int64_t now)
{
	struct tracked *next = NULL;
	struct decision_freshness fresh;
	size_t n = 0, i;
	struct decision d;

	if (!s->st->dir)
		return; /* nothing loaded yet: nobody to judge */
	if (judge(s, now, &next, &n) < 0) {
		log_msg(LOG_ERR, "out of memory: access changes not enforced on running sessions this time");
		return;
	}
	/* The first check only learns who is allowed: there is no "before". */
	for (i = 0; s->judged && i < s->n_allowed; i++) {
		if (in_set(next, n, &s->allowed[i]))
			continue;
		decide(s, s->allowed[i].name, now, &d);
		end_sessions(s, &s->allowed[i], &d, now);
	}
	tracked_free(s->allowed, s->n_allowed);
	s->allowed = next;
	s->n_allowed = n;
	s->judged = true;
	kill_leftovers(s, now);
	login_freshness(s->st, &fresh);
	s->next_change = decision_next_change(s->st->dir, &fresh, now);
	arm(s, now);
}

/* A new snapshot, or the clock passed a not_after: the answers nscd holds
 * may be wrong now. */
static void on_change(struct prov_state *st, void *userdata)
{
	struct sessions *s = userdata;
	int64_t now = (int64_t)time(NULL);

	if (st->removed && removed_update(st->removed, st->dir, &st->cfg, now) < 0)
		log_msg(LOG_ERR, "out of memory: removed users not recorded this time");
	state_publish(st); /* before nscd forgets: it asks the module again */
	sessions_tick(s, now);
	nscd_invalidate(s);
}

static void on_timer(struct server *srv, int fd, uint32_t events, void *userdata)
{
	struct sessions *s = userdata;
	int64_t now = (int64_t)time(NULL);
	bool clock_change = s->next_change != 0 && now >= s->next_change;
	uint64_t ticks;

	(void)srv;
	(void)events;
	/* ECANCELED: the clock was set; judge again anyway. */
	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN && errno != ECANCELED)
		log_msg(LOG_WARNING, "session timer: %s", strerror(errno));
	sessions_tick(s, now);
	if (clock_change) {
		state_publish(s->st); /* the sudo group's members changed with the clock */
		nscd_invalidate(s);
	}
}

int sessions_new(struct prov_state *st, const struct sessions_env *env, struct sessions **ret)
{
	struct sessions *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->st = st;
	s->env = env ? *env : default_env;
	if (s->env.grace_s == 0)
		s->env.grace_s = SESSIONS_GRACE_S;
	s->tfd = -1;
	if (!st->removed) {
		int r = removed_open(st->cfg.state_dir, &st->removed);

		if (r < 0) {
			free(s);
			return r;
		}
		s->owns_removed = true;
	}
	st->on_change = on_change;
	st->on_change_data = s;
	*ret = s;
	return 0;
}

int sessions_attach(struct sessions *s, struct server *srv)
{
	int r;

	if (!srv)
		return 0;
	s->tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->tfd < 0)
		return -errno;
	r = server_watch(srv, s->tfd, EPOLLIN, on_timer, s);
	if (r < 0) {
		close(s->tfd);
		s->tfd = -1;
		return r;
	}
	s->srv = srv;
	arm(s, (int64_t)time(NULL));
	return 0;
}

int64_t sessions_next_wakeup(const struct sessions *s)
{
	return s->wakeup;
}

void sessions_free(struct sessions *s)
{
	if (!s)
		return;
	if (s->st && s->st->on_change_data == s) {
		s->st->on_change = NULL;
		s->st->on_change_data = NULL;
	}
	if (s->tfd >= 0) {
		if (s->srv)
			server_unwatch(s->srv, s->tfd);
		close(s->tfd);
	}
	if (s->owns_removed && s->st) {
		removed_free(s->st->removed);
		s->st->removed = NULL;
	}
	tracked_free(s->allowed, s->n_allowed);
	free(s->pending);
	free(s);
}

/* SPDX-License-Identifier: MIT */
#include "access/sessions.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "access/decision.h"
#include "base/log.h"
#include "access/login.h"
#include "names.h"
#include "store/removed.h"
#include "access/session_worker.h"

/* A user allowed at the last check: her stable directory id is who she is
 * (a rename keeps it), the name is for the audit and the decision. */
struct tracked {
	char *id; /* the directory's stable id (NULL if none): the identity */
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
	struct session_worker *worker; /* the slow part: logind, signals, nscd */
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

/* --- the check --- */

static void tracked_free(struct tracked *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(t[i].id);
		free(t[i].name);
	}
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

/* Audits the loss here, hands the ending to the worker, and sets the
 * SIGKILL deadline (a kill job at the deadline finds nothing to kill when
 * SIGHUP was enough). */
static void end_sessions(struct sessions *s, const struct tracked *t, const struct decision *d, int64_t now)
{
	char uid[16];

	snprintf(uid, sizeof(uid), "%u", t->uid);
	log_event(LOG_NOTICE, "access_revoked",
		  LOG_FIELDS({ "PROV_USER", t->name }, { "PROV_UID", uid },
			     { "PROV_DECISION", prov_decision_name(d->decision) }, { "PROV_REASON", d->reason }),
		  "%s (uid %s) lost access: %s%s", t->name, uid, d->reason,
		  s->st->cfg.end_sessions ? "" : " (end_sessions = no: running sessions left alone)");
	if (!s->st->cfg.end_sessions)
		return;
	session_worker_end(s->worker, t->uid, t->name);
	if (add_pending(s, t->uid, now + s->env.grace_s) < 0)
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

		if (p.deadline > now) {
			i++;
			continue;
		}
		s->pending[i] = s->pending[--s->n_pending];
		if (!uid_allowed_now(s, p.uid))
			session_worker_kill(s->worker, p.uid);
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
		const char *id;
		uint32_t uid;

		decide(s, name, now, &d);
		if (i < dir->n_users) {
			if (d.decision != PROV_DECIDE_ALLOW)
				continue;
			uid = dir->users[i].uid;
			id = dir->users[i].id;
		} else {
			if (d.decision != PROV_DECIDE_STALE)
				continue;
			uid = s->allowed[i - dir->n_users].uid;
			id = s->allowed[i - dir->n_users].id;
		}
		if (n == cap) {
			struct tracked *t = realloc(next, (cap = cap ? cap * 2 : 16) * sizeof(*t));

			if (!t)
				goto oom;
			next = t;
		}
		next[n].name = strdup(name);
		next[n].id = id ? strdup(id) : NULL;
		next[n].uid = uid;
		if (!next[n].name || (id && !next[n].id)) {
			free(next[n].name);
			free(next[n].id);
			goto oom;
		}
		n++;
	}
	*ret = next;
	*ret_n = n;
	return 0;
oom:
	tracked_free(next, n);
	return -ENOMEM;
}

/* The same identity: the same stable id (a rename keeps it, and so her
 * sessions; so does a uid the directory renumbered: that is not a
 * revocation), or, for an entry without an id, the same name. A name now
 * held by another id (deleted and re-created at the source) is not her:
 * the old identity is removed and what runs under its uid is ended. */
static bool same_user(const struct tracked *a, const struct tracked *b)
{
	if (a->id && b->id)
		return strcmp(a->id, b->id) == 0;
	return strcmp(a->name, b->name) == 0;
}

/* The allowed set sorted by id and by name, so that comparing two sets is
 * O(n log n): with tens of thousands of users a pairwise scan would hold
 * the loop for seconds. */
struct tracked_index {
	const struct tracked **by_id, **by_name;
	const struct tracked *v; /* unsorted fallback (out of memory) */
	size_t n;
};

static int cmp_id(const void *a, const void *b)
{
	const struct tracked *x = *(const struct tracked *const *)a, *y = *(const struct tracked *const *)b;

	return strcmp(x->id ? x->id : "", y->id ? y->id : "");
}

static int cmp_name(const void *a, const void *b)
{
	const struct tracked *x = *(const struct tracked *const *)a, *y = *(const struct tracked *const *)b;

	return strcmp(x->name, y->name);
}

static void index_build(struct tracked_index *ix, const struct tracked *v, size_t n)
{
	size_t i;

	*ix = (struct tracked_index){ .v = v, .n = n };
	if (n == 0)
		return;
	ix->by_id = malloc(n * sizeof(*ix->by_id));
	ix->by_name = malloc(n * sizeof(*ix->by_name));
	if (!ix->by_id || !ix->by_name) {
		free(ix->by_id);
		free(ix->by_name);
		ix->by_id = ix->by_name = NULL;
		return;
	}
	for (i = 0; i < n; i++)
		ix->by_id[i] = ix->by_name[i] = &v[i];
	qsort(ix->by_id, n, sizeof(*ix->by_id), cmp_id);
	qsort(ix->by_name, n, sizeof(*ix->by_name), cmp_name);
}

static void index_free(struct tracked_index *ix)
{
	free(ix->by_id);
	free(ix->by_name);
}

/* x is in the set; or, *ret_name_taken, her name is another identity's. */
static bool in_set(const struct tracked_index *ix, const struct tracked *x, bool *ret_name_taken)
{
	const struct tracked *const *hit;
	size_t i, lo, hi;

	*ret_name_taken = false;
	if (!ix->by_id) {
		for (i = 0; i < ix->n; i++) {
			if (same_user(&ix->v[i], x))
				return true;
			if (strcmp(ix->v[i].name, x->name) == 0)
				*ret_name_taken = true;
		}
		return false;
	}
	if (x->id && bsearch(&x, ix->by_id, ix->n, sizeof(*ix->by_id), cmp_id))
		return true;
	hit = bsearch(&x, ix->by_name, ix->n, sizeof(*ix->by_name), cmp_name);
	if (!hit)
		return false;
	/* Names are unique after admission, but look at every equal one. */
	lo = hi = (size_t)(hit - ix->by_name);
	while (lo > 0 && strcmp(ix->by_name[lo - 1]->name, x->name) == 0)
		lo--;
	while (hi + 1 < ix->n && strcmp(ix->by_name[hi + 1]->name, x->name) == 0)
		hi++;
	for (i = lo; i <= hi; i++) {
		if (same_user(ix->by_name[i], x))
			return true;
		*ret_name_taken = true;
	}
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
	if (s->judged) {
		struct tracked_index ix;

		index_build(&ix, next, n);
		for (i = 0; i < s->n_allowed; i++) {
			bool name_taken;

			if (in_set(&ix, &s->allowed[i], &name_taken))
				continue;
			decide(s, s->allowed[i].name, now, &d);
			if (name_taken) {
				d.decision = PROV_DECIDE_EXPIRED;
				snprintf(d.reason, sizeof(d.reason),
					 "removed from the directory: the name now belongs to a new identity");
			}
			end_sessions(s, &s->allowed[i], &d, now);
		}
		index_free(&ix);
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

/* Not time(): it reads the clock as of the last kernel tick, so the timer
 * set for a not_after could fire while time() still says the second
 * before, and the expiry would wait for a second wake-up. */
static int64_t clock_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return (int64_t)time(NULL);
	return (int64_t)ts.tv_sec;
}

/* A new snapshot, or the clock passed a not_after: the answers nscd holds
 * may be wrong now. */
static void on_change(struct prov_state *st, void *userdata)
{
	struct sessions *s = userdata;
	int64_t now = clock_now();

	if (st->removed && removed_update(st->removed, st->dir, &st->cfg, now) < 0)
		log_msg(LOG_ERR, "out of memory: removed users not recorded this time");
	state_publish(st); /* before nscd forgets: it asks the module again */
	sessions_tick(s, now);
	session_worker_invalidate_nscd(s->worker);
}

static void on_timer(struct server *srv, int fd, uint32_t events, void *userdata)
{
	struct sessions *s = userdata;
	int64_t now = clock_now();
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
		session_worker_invalidate_nscd(s->worker);
	}
}

int sessions_new(struct prov_state *st, const struct sessions_env *env, struct sessions **ret)
{
	struct sessions *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->st = st;
	s->env = env ? *env : default_env;
	if (s->env.grace_s == 0)
		s->env.grace_s = SESSIONS_GRACE_S;
	s->tfd = -1;
	r = session_worker_new(&s->env, &s->worker);
	if (r < 0) {
		free(s);
		return r;
	}
	if (!st->removed) {
		r = removed_open(st->cfg.state_dir, &st->removed);
		if (r < 0) {
			session_worker_free(s->worker);
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
	arm(s, clock_now());
	return 0;
}

void sessions_drain(struct sessions *s)
{
	session_worker_drain(s->worker);
}

int64_t sessions_next_wakeup(const struct sessions *s)
{
	return s->wakeup;
}

void sessions_free(struct sessions *s)
{
	if (!s)
		return;
	/* What was decided is done before provd goes: a revocation queued
	 * just before SIGTERM still ends the sessions. */
	session_worker_free(s->worker);
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

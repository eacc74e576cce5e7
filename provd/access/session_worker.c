/* SPDX-License-Identifier: MIT */
#include "access/session_worker.h"
#include "access/sessions_signal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "base/log.h"

#define NSCD_WAIT_MS 2000
#define LOGIND_TIMEOUT_US (2 * 1000 * 1000)

enum job_kind { JOB_END, JOB_KILL };

struct job {
	enum job_kind kind;
	uint32_t uid;
	char *name; /* JOB_END only */
};

struct session_worker {
	struct sessions_env env;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* a job came, or stop */
	pthread_cond_t idle; /* a batch is done */
	struct job *jobs;
	size_t n_jobs, cap;
	bool nscd;  /* an invalidation is wanted */
	bool busy;  /* the worker runs a batch */
	bool stop;
	uint64_t done;
};

/* --- logind --- */

/* 1 when logind terminated the user, 0 when logind does not run or does
 * not know her, -errno on failure (err says why). */
static int logind_terminate(const struct sessions_env *env, uint32_t uid, char *err, size_t errsz)
{
	sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;
	int r;

	if (access(env->logind_probe, F_OK) < 0)
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

/* Runs binary (absolute path, empty environment, default signal mask: this
 * thread blocks everything) and waits up to NSCD_WAIT_MS for it. */
static int run_wait(const char *binary, char *const argv[])
{
	char *const envp[] = { NULL };
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	posix_spawnattr_t attr;
	int status = 0, i, e;
	sigset_t none;
	pid_t pid;

	sigemptyset(&none);
	e = posix_spawnattr_init(&attr);
	if (e != 0)
		return -e;
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	e = posix_spawn(&pid, binary, NULL, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
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

static void nscd_invalidate(const struct sessions_env *env)
{
	static const char *const dbs[] = { "passwd", "group" };
	struct stat st;
	size_t i;

	if (stat(env->nscd_socket, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	for (i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		char *const argv[] = { (char *)env->nscd_binary, "-i", (char *)dbs[i], NULL };
		int r = run_wait(env->nscd_binary, argv);

		if (r < 0)
			log_event(LOG_WARNING, "nscd_invalidate_failed",
				  LOG_FIELDS({ "PROV_DATABASE", dbs[i] }, { "PROV_REASON", strerror(-r) }),
				  "%s -i %s failed (%s): nscd may answer from its cache until its TTL",
				  env->nscd_binary, dbs[i], strerror(-r));
		else
			log_event(LOG_INFO, "nscd_invalidated", LOG_FIELDS({ "PROV_DATABASE", dbs[i] }),
				  "nscd %s cache invalidated", dbs[i]);
	}
}

/* --- the jobs --- */

static void run_end(const struct sessions_env *env, uint32_t uid, const char *name)
{
	char suid[16], pids[16], err[256] = "";
	const char *method;
	unsigned n = 0;
	int lr, r;

	snprintf(suid, sizeof(suid), "%u", uid);
	lr = logind_terminate(env, uid, err, sizeof(err));
	if (lr < 0)
		log_msg(LOG_WARNING, "logind could not end the sessions of %s: %s; signalling her processes", name, err);
	r = sessions_signal_uid(env->proc_dir, uid, SIGHUP, &n);
	if (r < 0)
		log_msg(LOG_ERR, "cannot signal the processes of %s: %s", name, strerror(-r));
	method = lr > 0 ? (n ? "logind+signal" : "logind") : "signal";
	snprintf(pids, sizeof(pids), "%u", n);
	log_event(LOG_NOTICE, "sessions_ended",
		  LOG_FIELDS({ "PROV_USER", name }, { "PROV_UID", suid }, { "PROV_METHOD", method },
			     { "PROV_PIDS", pids }),
		  "sessions of %s ended (%s): %s processes sent SIGHUP, SIGKILL in %u s for any left", name, method,
		  pids, env->grace_s);
}

static void run_kill(const struct sessions_env *env, uint32_t uid)
{
	char suid[16], pids[16];
	unsigned n = 0;

	if (sessions_signal_uid(env->proc_dir, uid, SIGKILL, &n) < 0 || n == 0)
		return;
	snprintf(suid, sizeof(suid), "%u", uid);
	snprintf(pids, sizeof(pids), "%u", n);
	log_event(LOG_NOTICE, "sessions_killed", LOG_FIELDS({ "PROV_UID", suid }, { "PROV_PIDS", pids }),
		  "uid %s: %s processes outlived the grace and were sent SIGKILL", suid, pids);
}

static void run_job(const struct sessions_env *env, const struct job *j)
{
	if (j->kind == JOB_END)
		run_end(env, j->uid, j->name ? j->name : "?");
	else
		run_kill(env, j->uid);
}

static void *worker_main(void *arg)
{
	struct session_worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct job *jobs;
		size_t n, i;
		bool nscd;

		while (!w->n_jobs && !w->nscd && !w->stop)
			pthread_cond_wait(&w->wake, &w->lock);
		if (!w->n_jobs && !w->nscd)
			break; /* stop, and nothing left to do */
		jobs = w->jobs;
		n = w->n_jobs;
		nscd = w->nscd;
		w->jobs = NULL;
		w->n_jobs = w->cap = 0;
		w->nscd = false;
		w->busy = true;
		pthread_mutex_unlock(&w->lock);

		if (nscd)
			nscd_invalidate(&w->env);
		for (i = 0; i < n; i++) {
			run_job(&w->env, &jobs[i]);
			free(jobs[i].name);
		}
		free(jobs);

		pthread_mutex_lock(&w->lock);
		w->done += n + (nscd ? 1 : 0);
		w->busy = false;
		pthread_cond_broadcast(&w->idle);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Queues j (taking its name) unless the same job is queued already. */
static void enqueue(struct session_worker *w, struct job j)
{
	size_t i;

	pthread_mutex_lock(&w->lock);
	for (i = 0; i < w->n_jobs; i++)
		if (w->jobs[i].kind == j.kind && w->jobs[i].uid == j.uid) {
			pthread_mutex_unlock(&w->lock);
			free(j.name);
			return;
		}
	if (w->n_jobs == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 8;
		struct job *v = realloc(w->jobs, cap * sizeof(*v));

		if (!v) {
			pthread_mutex_unlock(&w->lock);
			log_msg(LOG_ERR, "out of memory: ending the sessions of uid %u on the loop", j.uid);
			run_job(&w->env, &j);
			free(j.name);
			return;
		}
		w->jobs = v;
		w->cap = cap;
	}
	w->jobs[w->n_jobs++] = j;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void session_worker_end(struct session_worker *w, uint32_t uid, const char *name)
{
	/* A NULL copy (out of memory) only costs the name in the audit. */
	enqueue(w, (struct job){ JOB_END, uid, strdup(name) });
}

void session_worker_kill(struct session_worker *w, uint32_t uid)
{
	enqueue(w, (struct job){ JOB_KILL, uid, NULL });
}

void session_worker_invalidate_nscd(struct session_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->nscd = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void session_worker_drain(struct session_worker *w)
{
	pthread_mutex_lock(&w->lock);
	while (w->n_jobs || w->nscd || w->busy)
		pthread_cond_wait(&w->idle, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

uint64_t session_worker_done(struct session_worker *w)
{
	uint64_t n;

	pthread_mutex_lock(&w->lock);
	n = w->done;
	pthread_mutex_unlock(&w->lock);
	return n;
}

int session_worker_new(const struct sessions_env *env, struct session_worker **ret)
{
	struct session_worker *w = calloc(1, sizeof(*w));
	sigset_t all, old;
	int r;

	if (!w)
		return -ENOMEM;
	w->env = *env;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->idle, NULL);
	/* Signals are the loop's (signalfd): the thread starts with all of
	 * them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		pthread_cond_destroy(&w->idle);
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return r;
	}
	*ret = w;
	return 0;
}

void session_worker_free(struct session_worker *w)
{
	size_t i;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	for (i = 0; i < w->n_jobs; i++)
		free(w->jobs[i].name);
	free(w->jobs);
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

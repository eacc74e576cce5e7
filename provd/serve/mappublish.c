/* SPDX-License-Identifier: MIT */
#include "serve/mappublish.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "access/decision.h"
#include "base/log.h"
#include "access/login.h"
#include "mapview.h"
#include "serve/mapwrite.h"
#include "store/removed.h"

struct mappub {
	struct prov_state *st;
	struct server *srv;
	int tfd;
	uint64_t start_id;
	uint64_t generation; /* last published; 0 = none */
	uint64_t serial;
	uint32_t n_users, n_groups;
	size_t size;
	double build_ms; /* wall time of build + publish */
	double cpu_ms;   /* CPU time of the same: what a busy machine does not inflate */
	bool failing;
	bool built_stale; /* the directory was stale when the last one was built */
	int64_t due;      /* the next instant an answer changes; 0 = none */
	char last_error[512];
};

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

int64_t mappub_next_change(const struct prov_state *st, int64_t now)
{
	struct decision_freshness fresh;
	int64_t next;
	size_t i;

	login_freshness(st, &fresh);
	next = decision_next_change(st->dir, &fresh, now);
	for (i = 0; st->removed && st->cfg.deprovisioned_retention_s > 0 && i < st->removed->n; i++) {
		int64_t end = st->removed->v[i].removed_at + (int64_t)st->cfg.deprovisioned_retention_s;

		if (end > now && (next == 0 || end < next))
			next = end;
	}
	return next;
}

/* The next instant, and while the snapshot was built from a stale
 * directory (no sudo members) every second too: a pull that confirms the
 * directory again moves last_ok without a swap, and the members come back
 * with the next publish. */
static void arm(struct mappub *m, int64_t now)
{
	struct itimerspec its = { 0 };
	int64_t next;

	if (m->tfd < 0 || !m->st->dir)
		return;
	next = mappub_next_change(m->st, now);
	m->due = next;
	if (m->built_stale && (next == 0 || next > now + 1))
		next = now + 1;
	/* A failed publish (a full /run, say) is tried again, not every
	 * second: a big directory costs ~100 ms of CPU per try. */
	if (m->failing && (next == 0 || next > now + 10))
		next = now + 10;
	its.it_value.tv_sec = (time_t)next; /* 0 disarms */
	if (timerfd_settime(m->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_msg(LOG_ERR, "cannot arm the snapshot timer: %s", strerror(errno));
}

static double ms_since(clockid_t clock, const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(clock, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

void mappub_publish(struct mappub *m, int64_t now)
{
	struct mapwrite_meta meta = { m->generation + 1, m->start_id, now };
	struct mapimg img = { 0 };
	struct timespec t0, c0;
	char err[512];
	int r;

	if (!m->st->dir)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	m->built_stale = state_is_stale(m->st, now);
	r = mapwrite_build(m->st, &meta, &img);
	if (r < 0)
		snprintf(err, sizeof(err), "cannot build the snapshot: %s", strerror(-r));
	else
		r = mapwrite_publish(m->st->cfg.runtime_dir, &img, err, sizeof(err));
	if (r < 0) {
		/* Lookups go on from the previous file (or the socket). */
		if (!m->failing)
			log_event(LOG_ERR, "snapshot_publish_failed", LOG_FIELDS({ "PROV_REASON", err }),
				  "lookup snapshot not published: %s", err);
		m->failing = true;
		snprintf(m->last_error, sizeof(m->last_error), "%s", err);
	} else {
		m->failing = false;
		m->last_error[0] = '\0';
		m->generation = meta.generation;
		m->serial = m->st->dir->serial;
		m->n_users = img.n_users;
		m->n_groups = img.n_groups;
		m->size = img.len;
		m->build_ms = ms_since(CLOCK_MONOTONIC, &t0);
		m->cpu_ms = ms_since(CLOCK_THREAD_CPUTIME_ID, &c0);
		log_msg(LOG_DEBUG, "lookup snapshot generation %llu published: %u users, %u groups, %zu bytes, %.1f ms",
			(unsigned long long)m->generation, m->n_users, m->n_groups, m->size, m->build_ms);
	}
	mapimg_free(&img);
	arm(m, now);
}

static void on_publish(struct prov_state *st, void *userdata)
{
	(void)st;
	mappub_publish(userdata, now_s());
}

static void on_timer(struct server *srv, int fd, uint32_t events, void *userdata)
{
	uint64_t ticks;

	(void)srv;
	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN && errno != ECANCELED)
		log_msg(LOG_WARNING, "snapshot timer: %s", strerror(errno));
	mappub_refresh(userdata, now_s());
}

void mappub_refresh(struct mappub *m, int64_t now)
{
	int64_t due;

	if (!m || !m->st->dir)
		return;
	due = m->due;
	if (m->generation == 0 || m->failing || state_is_stale(m->st, now) != m->built_stale || (due && now >= due))
		mappub_publish(m, now);
	else
		arm(m, now);
}

int mappub_new(struct prov_state *st, struct server *srv, struct mappub **ret)
{
	struct mappub *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	m->st = st;
	/* The store calls back here when the source confirms (state.h);
	 * with no mappub (mappub_new() failed) that does nothing. */
	st->on_refresh = mappub_refresh;
	m->tfd = -1;
	/* Names this run of provd in every file it publishes. */
	if (getrandom(&m->start_id, sizeof(m->start_id), 0) != (ssize_t)sizeof(m->start_id))
		m->start_id = ((uint64_t)now_s() << 20) ^ (uint64_t)getpid();
	if (srv) {
		m->tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
		if (m->tfd < 0) {
			r = -errno;
			free(m);
			return r;
		}
		r = server_watch(srv, m->tfd, EPOLLIN, on_timer, m);
		if (r < 0) {
			close(m->tfd);
			free(m);
			return r;
		}
		m->srv = srv;
	}
	st->on_publish = on_publish;
	st->on_publish_data = m;
	st->mappub = m;
	*ret = m;
	return 0;
}

void mappub_free(struct mappub *m)
{
	if (!m)
		return;
	if (m->st && m->st->on_publish_data == m) {
		m->st->on_publish = NULL;
		m->st->on_publish_data = NULL;
		m->st->mappub = NULL;
		m->st->on_refresh = NULL;
	}
	if (m->tfd >= 0) {
		if (m->srv)
			server_unwatch(m->srv, m->tfd);
		close(m->tfd);
	}
	free(m);
}

void mappub_withdraw(struct mappub *m)
{
	int r;

	if (!m)
		return;
	r = mapwrite_withdraw(m->st->cfg.runtime_dir);
	if (r < 0)
		log_msg(LOG_ERR, "cannot withdraw the previous lookup snapshot: %s", strerror(-r));
	else
		log_msg(LOG_NOTICE, "nothing to serve yet: no lookup snapshot (a previous one is withdrawn), lookups ask provd");
}

uint64_t mappub_generation(const struct mappub *m)
{
	return m ? m->generation : 0;
}

/* Opens, checks and maps path as nss_prov does. */
static int map_file(const char *path, void **ret_base, size_t *ret_size, struct prov_map_view *ret_view,
		    char *buf, size_t bufsz)
{
	const char *why;
	struct stat s;
	void *base;
	int fd, r;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		snprintf(buf, bufsz, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &s) < 0) {
		r = -errno;
		close(fd);
		snprintf(buf, bufsz, "%s: %s", path, strerror(-r));
		return r;
	}
	why = prov_map_stat_refusal(&s, 0);
	if (why) {
		close(fd);
		snprintf(buf, bufsz, "ignored by nss_prov: %s is %s (uid %u, mode %04o)", path, why,
			 (unsigned)s.st_uid, (unsigned)(s.st_mode & 07777));
		return -EPERM;
	}
	base = mmap(NULL, (size_t)s.st_size, PROT_READ, MAP_SHARED, fd, 0);
	r = base == MAP_FAILED ? -errno : 0;
	close(fd);
	if (r < 0) {
		snprintf(buf, bufsz, "%s: cannot map: %s", path, strerror(-r));
		return r;
	}
	r = prov_map_view_init(base, (size_t)s.st_size, ret_view);
	if (r < 0) {
		munmap(base, (size_t)s.st_size);
		snprintf(buf, bufsz, "ignored by nss_prov: %s is %s", path,
			 r == -ESTALE ? "marked superseded" : "damaged (header)");
		return r;
	}
	*ret_base = base;
	*ret_size = (size_t)s.st_size;
	return 0;
}

int mappub_verify_file(const char *path, char *buf, size_t bufsz)
{
	struct prov_map_view v;
	size_t size;
	void *base;
	int r;

	r = map_file(path, &base, &size, &v, buf, bufsz);
	if (r < 0)
		return r;
	r = prov_map_verify_all(&v);
	if (r < 0)
		snprintf(buf, bufsz, "%s is damaged: a record or index does not check", path);
	else
		snprintf(buf, bufsz, "valid: generation %llu, serial %llu, %u users, %u groups, %zu bytes",
			 (unsigned long long)v.generation, (unsigned long long)v.serial, v.n_users, v.n_groups, size);
	munmap(base, size);
	return r;
}

void mappub_status(const struct mappub *m, char *buf, size_t bufsz)
{
	char path[4096], why[512];
	struct prov_map_view v;
	size_t size;
	void *base;

	if (!m || m->generation == 0) {
		snprintf(buf, bufsz, "not published%s%s", m && m->failing ? ": " : "", m && m->failing ? m->last_error : "");
		return;
	}
	snprintf(path, sizeof(path), "%s/" PROV_MAP_NAME, m->st->cfg.runtime_dir);
	if (map_file(path, &base, &size, &v, why, sizeof(why)) < 0) {
		snprintf(buf, bufsz, "%s", why);
		return;
	}
	if (v.start_id != m->start_id || v.generation != m->generation)
		snprintf(buf, bufsz, "ignored: %s is not the generation provd published", path);
	else
		snprintf(buf, bufsz,
			 "generation %llu, serial %llu, %u users, %u groups, %zu bytes, published in %.1f ms (%.1f ms CPU)%s%s",
			 (unsigned long long)m->generation, (unsigned long long)m->serial, m->n_users, m->n_groups,
			 m->size, m->build_ms, m->cpu_ms, m->failing ? "; last publish failed: " : "",
			 m->failing ? m->last_error : "");
	munmap(base, size);
}

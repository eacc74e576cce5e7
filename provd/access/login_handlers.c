/* SPDX-License-Identifier: MIT */
#include "access/login_handlers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access/derived.h"
#include "access/login.h"
#include "access/homedir.h"
#include "base/log.h"
#include "names.h"
#include "store/removed.h"
#include "loop/server.h"
#include "source/source.h"
#include "loop/worker.h"

/* The four strings of ACCESS_CHECK, SESSION_OPEN and SESSION_CLOSE. */
struct login_req {
	char user[PROV_NAME_MAX + 1];
	char service[PROV_SERVICE_MAX + 1];
	char rhost[PROV_RHOST_MAX + 1];
	char tty[PROV_TTY_MAX + 1];
};

static int get_login_req(struct prov_reader *req, struct login_req *ret)
{
	struct prov_str user = prov_get_str(req, PROV_NAME_MAX);
	struct prov_str service = prov_get_str(req, PROV_SERVICE_MAX);
	struct prov_str rhost = prov_get_str(req, PROV_RHOST_MAX);
	struct prov_str tty = prov_get_str(req, PROV_TTY_MAX);

	if (prov_reader_end(req) < 0 || user.len == 0)
		return -EBADMSG;
	if (prov_str_copy(&user, ret->user, sizeof(ret->user)) < 0 ||
	    prov_str_copy(&service, ret->service, sizeof(ret->service)) < 0 ||
	    prov_str_copy(&rhost, ret->rhost, sizeof(ret->rhost)) < 0 ||
	    prov_str_copy(&tty, ret->tty, sizeof(ret->tty)) < 0)
		return -EBADMSG;
	return 0;
}

/*
 * When the directory was last confirmed current by its source: last_ok,
 * which state.c sets on every successful read or pull and, at start-up,
 * from the cache's saved_at. Never loaded_at: a restart re-loads an old
 * cache "now", which would make it look fresh and stretch offline_grace
 * by every restart. The embedded demo (no source configured) is never
 * stale. A source configured but nothing confirmed (last_ok 0, e.g. a
 * cache whose header says saved at 0) fails closed: confirmed at the
 * epoch, so stale, rather than "not tracked", which is never stale.
 */
/* No snapshot served. Without a configured source, directory users are
 * unknown (not found; the access and session checks decide "not a prov
 * user": PAM's user_unknown, so the stack goes on as for any non-prov
 * user); with one not loaded yet, provd cannot say (fail closed). */
static int no_directory(const struct dispatch_ctx *ctx)
{
	return source_is_configured(&ctx->state->cfg) ? PROV_ST_UNAVAILABLE : PROV_ST_NOT_FOUND;
}

void login_decide(const struct dispatch_ctx *ctx, const char *user, const char *service, const char *rhost,
		  const char *tty, struct decision *ret)
{
	struct decision_request req = { .user = user, .service = service, .rhost = rhost, .tty = tty,
					.now = ctx->now };
	struct decision_freshness fresh;
	struct decision_host host;
	const struct dir_user *u = ctx->state->dir ? directory_user_by_name(ctx->state->dir, user) : NULL;
	struct decision_scope scope;

	login_freshness(ctx->state, &fresh);
	login_host(&ctx->state->cfg, &host);
	/* Only the user's own bindings (derived.h, invariant 12); the full
	 * scan when the index cannot be had (out of memory) or u is unknown. */
	if (u && derived_grants_scope(derived_grants(ctx->state), u, &scope) == 0)
		decision_decide_scoped(ctx->state->dir, &host, &fresh, &req, &scope, ret);
	else
		decision_decide(ctx->state->dir, &host, &fresh, &req, ret);
	login_apply_removed(ctx->state, user, ctx->now, ret);
}

static int decision_priority(const struct decision *d)
{
	return d->decision == PROV_DECIDE_ALLOW || d->decision == PROV_DECIDE_UNKNOWN ? LOG_INFO : LOG_NOTICE;
}

/* An empty field is left out of the journal entry rather than sent empty. */
static const char *or_null(const char *s)
{
	return s && s[0] ? s : NULL;
}

/* A user asking about herself (a screen locker, provctl check) may do so
 * as often as she likes: those lines are rate-limited per uid (log.h).
 * Root's (sshd, login, su) and the keys reader's (sshd's
 * AuthorizedKeysCommand, one per connection attempt) never are. */
static bool asked_about_self(const struct dispatch_ctx *ctx, const char *user)
{
	const struct dir_user *u;

	if (ctx->peer->uid == 0)
		return false;
	u = directory_user_by_name(ctx->state->dir, user);
	return u && u->uid == ctx->peer->uid;
}

/* One audit line per decision (DESIGN invariant 10). */
static void audit_decision(const struct dispatch_ctx *ctx, const char *event, const struct login_req *r,
			   const struct decision *d)
{
	char peer[16];

	if (asked_about_self(ctx, r->user) && !log_peer_allowed(ctx->peer->uid))
		return;
	snprintf(peer, sizeof(peer), "%u", (unsigned)ctx->peer->uid);
	log_event(decision_priority(d), event,
		  LOG_FIELDS({ "PROV_USER", r->user }, { "PROV_SERVICE", or_null(r->service) },
			     { "PROV_RHOST", or_null(r->rhost) }, { "PROV_TTY", or_null(r->tty) },
			     { "PROV_DECISION", prov_decision_name(d->decision) },
			     { "PROV_REASON", d->reason }, { "PROV_BINDING", d->login_binding },
			     { "PROV_PEER_UID", peer }),
		  "%s %s for %s (service %s, rhost %s, tty %s): %s", event, prov_decision_name(d->decision), r->user,
		  r->service[0] ? r->service : "-", r->rhost[0] ? r->rhost : "-", r->tty[0] ? r->tty : "-", d->reason);
}

static void audit_refused_peer(const struct dispatch_ctx *ctx, const char *request, const char *user)
{
	char peer[16];

	if (!log_peer_allowed(ctx->peer->uid))
		return;
	snprintf(peer, sizeof(peer), "%u", (unsigned)ctx->peer->uid);
	log_event(LOG_NOTICE, "request_denied",
		  LOG_FIELDS({ "PROV_REQUEST", request }, { "PROV_USER", user }, { "PROV_PEER_UID", peer }),
		  "%s about %s refused: peer uid %s may only ask about itself", request, user, peer);
}

/* Root may ask about anyone; anyone else only about the user it runs as. */
static bool may_ask_about(const struct dispatch_ctx *ctx, const char *user)
{
	const struct dir_user *u;

	if (ctx->peer->uid == 0)
		return true;
	u = directory_user_by_name(ctx->state->dir, user);
	return u && u->uid == ctx->peer->uid;
}

static void put_decision(struct prov_writer *w, const struct decision *d)
{
	prov_put_u32(w, (uint32_t)d->decision);
	prov_put_str(w, d->reason, PROV_REASON_MAX);
}

static int h_access_check(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	struct login_req r;
	struct decision d;

	if (get_login_req(req, &r) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!ctx->state->dir && source_is_configured(&ctx->state->cfg))
		return PROV_ST_UNAVAILABLE; /* a source, nothing loaded: provd cannot say */
	if (!may_ask_about(ctx, r.user)) {
		audit_refused_peer(ctx, "ACCESS_CHECK", r.user);
		return PROV_ST_DENIED;
	}
	login_decide(ctx, r.user, r.service, r.rhost, r.tty, &d);
	audit_decision(ctx, "access_check", &r, &d);
	put_decision(reply, &d);
	return reply->err ? PROV_ST_INTERNAL : PROV_ST_OK;
}

static void audit_home(const struct login_req *r, const char *home, int err, bool created)
{
	char why[128];

	if (err == 0 && !created)
		return; /* the usual case: the home is there */
	if (err == 0) {
		log_event(LOG_INFO, "home_created",
			  LOG_FIELDS({ "PROV_USER", r->user }, { "PROV_HOME", home }),
			  "created home %s for %s", home, r->user);
		return;
	}
	snprintf(why, sizeof(why), "%s", err == -ENOTDIR ? "something that is not a directory is in the way"
				   : err == -ELOOP ? "a symlink is in the way (not followed)"
				   : err == -EPERM ? "a parent directory is not root-owned or is writable by others"
				   : strerror(-err));
	log_event(LOG_ERR, "home_failed", LOG_FIELDS({ "PROV_USER", r->user }, { "PROV_HOME", home },
						     { "PROV_REASON", why }),
		  "could not create home %s for %s: %s", home, r->user, why);
}

static void put_decision(struct prov_writer *w, const struct decision *d);

/*
 * A home made on the worker thread (worker.h, DESIGN invariant 12): a skel
 * copy can take seconds, and the loop keeps answering everyone else
 * meanwhile; SESSION_OPEN is answered (server_reply()) when it is done.
 * The job owns copies of everything it needs: the snapshot and the config
 * may be swapped before it ends.
 */
struct home_job {
	char *base, *home, *skel;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	struct login_req req;
	struct decision d; /* the reply; its pointers are not used */
	uint64_t conn_id;
	int err;
	bool created;
};

static void home_job_free(struct home_job *j)
{
	if (!j)
		return;
	free(j->base);
	free(j->home);
	free(j->skel);
	free(j);
}

static int make_home_now(const struct home_job *j, bool *ret_created)
{
	struct homedir_spec s = {
		.base = j->base, .home = j->home, .skel = j->skel, .uid = j->uid, .gid = j->gid, .mode = j->mode,
	};

	return homedir_create(&s, ret_created);
}

static void home_run(void *arg)
{
	struct home_job *j = arg;

	j->err = make_home_now(j, &j->created);
}

static int home_fill(struct prov_writer *w, void *userdata)
{
	const struct home_job *j = userdata;

	if (j->err < 0)
		return PROV_ST_INTERNAL;
	put_decision(w, &j->d);
	return w->err ? PROV_ST_INTERNAL : PROV_ST_OK;
}

static void home_done(struct server *s, void *arg)
{
	struct home_job *j = arg;

	if (s) {
		audit_home(&j->req, j->home, j->err, j->created);
		server_reply(s, j->conn_id, PROV_OP_SESSION_OPEN, home_fill, j);
	}
	home_job_free(j);
}

static struct home_job *home_job_new(const struct dispatch_ctx *ctx, const struct login_req *r,
				     const struct decision *d)
{
	const struct prov_config *cfg = &ctx->state->cfg;
	struct home_job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->base = strdup(cfg->home_base);
	j->home = strdup(d->user->home);
	j->skel = cfg->skel_dir ? strdup(cfg->skel_dir) : NULL;
	if (!j->base || !j->home || (cfg->skel_dir && !j->skel)) {
		home_job_free(j);
		return NULL;
	}
	j->uid = d->user->uid;
	j->gid = d->user->gid;
	j->mode = (mode_t)cfg->home_mode;
	j->req = *r;
	j->d = *d;
	j->d.user = NULL;
	j->d.login_binding = j->d.sudo_binding = NULL;
	j->conn_id = ctx->peer->conn_id;
	return j;
}

/* PROV_ST_OK when the home is there now, DISPATCH_DEFERRED when the worker
 * makes it, PROV_ST_INTERNAL when it could not be made. Without a worker
 * (unit tests, a failed thread start) it is made here. */
static int make_home(const struct dispatch_ctx *ctx, const struct login_req *r, const struct decision *d)
{
	struct home_job *j = home_job_new(ctx, r, d);
	bool created = false;
	int err;

	if (!j)
		return PROV_ST_INTERNAL;
	if (worker_submit(home_run, home_done, j) == 0)
		return DISPATCH_DEFERRED;
	err = make_home_now(j, &created);
	audit_home(r, j->home, err, created);
	home_job_free(j);
	return err < 0 ? PROV_ST_INTERNAL : PROV_ST_OK;
}

static int h_session_open(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	struct login_req r;
	struct decision d;

	if (get_login_req(req, &r) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!ctx->state->dir && source_is_configured(&ctx->state->cfg))
		return PROV_ST_UNAVAILABLE; /* a source, nothing loaded: provd cannot say */
	login_decide(ctx, r.user, r.service, r.rhost, r.tty, &d);
	audit_decision(ctx, "session_open", &r, &d);
	/* A home is made only for a session that may start; a failure to
	 * make it fails the session (as pam_mkhomedir does), so nobody ends
	 * up in a home someone else prepared. */
	if (d.decision == PROV_DECIDE_ALLOW) {
		int st = make_home(ctx, &r, &d);

		if (st != PROV_ST_OK)
			return st; /* DISPATCH_DEFERRED: answered by home_done() */
	}
	put_decision(reply, &d);
	return reply->err ? PROV_ST_INTERNAL : PROV_ST_OK;
}

static int h_session_close(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	char peer[16];
	struct login_req r;

	(void)reply;
	if (get_login_req(req, &r) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!ctx->state->dir)
		return no_directory(ctx);
	if (!directory_user_by_name(ctx->state->dir, r.user))
		return PROV_ST_NOT_FOUND;
	snprintf(peer, sizeof(peer), "%u", (unsigned)ctx->peer->uid);
	log_event(LOG_INFO, "session_close",
		  LOG_FIELDS({ "PROV_USER", r.user }, { "PROV_SERVICE", or_null(r.service) },
			     { "PROV_RHOST", or_null(r.rhost) }, { "PROV_TTY", or_null(r.tty) },
			     { "PROV_PEER_UID", peer }),
		  "session_close for %s (service %s, rhost %s, tty %s)", r.user, r.service[0] ? r.service : "-",
		  r.rhost[0] ? r.rhost : "-", r.tty[0] ? r.tty : "-");
	return PROV_ST_OK;
}

/* A key goes out only as one well-formed authorized_keys line: a newline
 * inside would let the directory (or a hostile mirror) add lines. */
static bool key_sendable(const char *k)
{
	size_t len = strlen(k);

	return len > 0 && len <= PROV_SSH_KEY_MAX && !strpbrk(k, "\r\n");
}

/* u32 n, n x str key: at most PROV_SSH_KEYS_MAX, and never more than one
 * frame body holds (64 keys of the maximum size would not fit). */
static void put_keys(struct prov_writer *w, const struct dir_user *u)
{
	size_t head = w->len, i, budget = PROV_MAX_BODY - sizeof(uint32_t);
	uint32_t n = 0;

	prov_put_u32(w, 0);
	for (i = 0; i < u->ssh_keys.n && n < PROV_SSH_KEYS_MAX && !w->err; i++) {
		const char *k = u->ssh_keys.v[i];
		size_t cost = sizeof(uint32_t) + strlen(k);

		if (!key_sendable(k) || cost > budget)
			continue;
		prov_put_str(w, k, PROV_SSH_KEY_MAX);
		budget -= cost;
		n++;
	}
	if (!w->err)
		dispatch_patch_u32(w, head, n);
}

/* "name:password:uid:..." -> uid, digits only, below 2^32 - 1. */
static int parse_uid_field(const char *line, size_t name_len, uid_t *ret)
{
	const char *p = strchr(line + name_len + 1, ':');
	unsigned long long v;
	char *end;

	if (!p || p[1] < '0' || p[1] > '9')
		return -EBADMSG;
	errno = 0;
	v = strtoull(p + 1, &end, 10);
	if (errno || *end != ':' || v >= UINT32_MAX)
		return -EBADMSG;
	*ret = (uid_t)v;
	return 0;
}

int login_local_uid(const char *passwd_file, const char *name, uid_t *ret_uid)
{
	size_t len = strlen(name), cap = 0;
	char *line = NULL;
	int r = -ENOENT;
	FILE *f;

	f = fopen(passwd_file, "re");
	if (!f)
		return -errno;
	while (r == -ENOENT && getline(&line, &cap, f) > 0)
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			r = parse_uid_field(line, len, ret_uid);
	free(line);
	fclose(f);
	return r;
}

/* Looked up only when a peer is neither root nor the user: that is the
 * keys helper's case, which already costs sshd a process spawn. */
static bool peer_is_keys_user(const struct dispatch_ctx *ctx)
{
	uid_t uid;

	return login_local_uid(ctx->state->cfg.passwd_file, ctx->state->cfg.keys_user, &uid) == 0 &&
	       uid == ctx->peer->uid && uid != 0;
}

static bool may_read_keys(const struct dispatch_ctx *ctx, const struct dir_user *u)
{
	uid_t peer = ctx->peer->uid;

	return peer == 0 || (u && u->uid == peer) || peer_is_keys_user(ctx);
}

static int h_ssh_keys(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	struct login_req r = { .service = "sshd" };
	const struct dir_user *u;
	struct decision d;

	if (dispatch_get_name(req, r.user) < 0)
		return PROV_ST_BAD_REQUEST;
	if (!ctx->state->dir)
		return no_directory(ctx);
	u = directory_user_by_name(ctx->state->dir, r.user);
	if (!may_read_keys(ctx, u)) {
		audit_refused_peer(ctx, "SSH_KEYS", r.user);
		return PROV_ST_DENIED;
	}
	if (!u)
		return PROV_ST_NOT_FOUND;
	login_decide(ctx, r.user, r.service, "", "", &d);
	audit_decision(ctx, "ssh_keys", &r, &d);
	if (d.decision == PROV_DECIDE_ALLOW)
		put_keys(reply, u);
	else
		prov_put_u32(reply, 0); /* a user who may not log in has no keys here */
	return reply->err ? PROV_ST_INTERNAL : PROV_ST_OK;
}

static const struct dispatch_entry login_entries[] = {
	{ PROV_OP_ACCESS_CHECK, DISPATCH_ANY, "ACCESS_CHECK", h_access_check },
	{ PROV_OP_SESSION_OPEN, DISPATCH_ROOT, "SESSION_OPEN", h_session_open },
	{ PROV_OP_SESSION_CLOSE, DISPATCH_ROOT, "SESSION_CLOSE", h_session_close },
	{ PROV_OP_SSH_KEYS, DISPATCH_ANY, "SSH_KEYS", h_ssh_keys },
};

const struct dispatch_table login_dispatch_table = DISPATCH_TABLE(login_entries);

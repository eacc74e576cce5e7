/* SPDX-License-Identifier: MIT */
#include "serve/mappublish.h"
#include "prov/mapfile.h"
#include "serve/cache_verify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/cache.h"
#include "base/log.h"
#include "prov/protocol.h"
#include "admit/snapshot.h"
#include "urlredact.h"

static void __attribute__((format(printf, 3, 4))) add(struct cache_verdict *v, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (v->n >= CV_PAIRS_MAX)
		return;
	snprintf(v->pairs[v->n].key, CV_KEY_MAX, "%s", key);
	va_start(ap, fmt);
	vsnprintf(v->pairs[v->n].value, CV_VALUE_MAX, fmt, ap);
	va_end(ap);
	v->n++;
}

static void add_time(struct cache_verdict *v, const char *key, int64_t t)
{
	time_t tt = (time_t)t;
	char buf[40];
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, sizeof(buf), "-");
	add(v, key, "%s", buf);
}

/* Owner, mode and size as the directory entry says, for the operator; the
 * checks that count are cache_read()'s, on the file it opens itself. */
static void add_file_facts(struct cache_verdict *v, const char *state_dir)
{
	struct stat st;
	int dfd;

	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	if (fstatat(dfd, CACHE_FILE_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		add(v, "owner_uid", "%u", (unsigned)st.st_uid);
		add(v, "mode", "%04o", (unsigned)(st.st_mode & 07777));
		add(v, "size", "%lld", (long long)st.st_size);
	}
	close(dfd);
}

/* Puts "result" and, when not valid, "reason" first: a reader (or a
 * script) sees the verdict before the details. */
static void begin(struct cache_verdict *v, enum cv_result result, const char *reason)
{
	static const char *const names[] = { "valid", "missing", "refused" };

	v->result = result;
	v->n = 0;
	add(v, "result", "%s", names[result]);
	if (reason)
		add(v, "reason", "%s", reason);
}

static void add_served(struct cache_verdict *v, const struct cv_served *served, const char *doc, size_t len)
{
	bool same;

	if (!served)
		return;
	if (served->dir)
		add(v, "served_serial", "%llu", (unsigned long long)served->dir->serial);
	else
		add(v, "served_serial", "-");
	same = served->dir && doc && served->doc && served->doc_len == len && memcmp(served->doc, doc, len) == 0;
	add(v, "matches_served", "%s", same ? "yes" : "no");
}

int cache_verify(const struct prov_config *cfg, const struct cv_served *served, struct cache_verdict *ret)
{
	struct directory *d = NULL;
	struct cache_info info;
	char err[CV_VALUE_MAX], why[CV_VALUE_MAX - 16];
	char *doc = NULL;
	size_t len = 0;
	int r;

	r = cache_read(cfg->state_dir, &doc, &len, &info, err, sizeof(err));
	if (r == 0) {
		r = snapshot_build(cfg, doc, len, &d, why, sizeof(why));
		if (r < 0)
			snprintf(err, sizeof(err), "document: %s", why);
	}
	begin(ret, r == 0 ? CV_VALID : r == -ENOENT ? CV_MISSING : CV_REFUSED, r == 0 ? NULL : err);
	add(ret, "path", "%s/%s", cfg->state_dir, CACHE_FILE_NAME);
	add_file_facts(ret, cfg->state_dir);
	if (doc) {
		/* The header was read and both CRCs matched. */
		add(ret, "format_version", "%u", CACHE_FORMAT_VERSION);
		add(ret, "serial", "%llu", (unsigned long long)info.serial);
		add_time(ret, "saved_at", info.saved_at);
		add(ret, "payload_bytes", "%llu", (unsigned long long)info.payload_len);
	}
	if (d) {
		add_time(ret, "generated", d->generated);
		add_time(ret, "not_after", d->not_after);
		add(ret, "users", "%zu", d->n_users);
		add(ret, "groups", "%zu", d->n_groups);
		add(ret, "bindings", "%zu", d->n_bindings);
		add(ret, "refused", "%zu", d->n_refused);
		/* provd loads it all the same (it serves the document's
		 * serial), but the two are written together: say so. */
		if (d->serial != info.serial)
			add(ret, "warning", "header serial %llu, document serial %llu",
			    (unsigned long long)info.serial, (unsigned long long)d->serial);
	}
	add_served(ret, served, d ? doc : NULL, len);
	directory_free(d);
	free(doc);
	return r;
}

int cache_verify_print(const struct prov_config *cfg, FILE *f)
{
	struct cache_verdict *v = malloc(sizeof(*v));
	size_t i, width = 0;
	int r;

	if (!v) {
		fprintf(stderr, "provd: out of memory\n");
		return 1;
	}
	r = cache_verify(cfg, NULL, v);
	for (i = 0; i < v->n; i++)
		if (strlen(v->pairs[i].key) > width)
			width = strlen(v->pairs[i].key);
	for (i = 0; i < v->n; i++)
		fprintf(f, "%s:%*s %s\n", v->pairs[i].key, (int)(width - strlen(v->pairs[i].key)), "",
			v->pairs[i].value);
	free(v);
	return r == 0 ? 0 : 1;
}

/* The lookup snapshot nss_prov maps, checked whole (mappublish.h):
 * "snapshot" = "valid: ...", "missing: ...", or why nss_prov would not
 * believe it. */
static void add_snapshot(const struct prov_config *cfg, struct cache_verdict *v)
{
	char path[4096], line[CV_VALUE_MAX];
	int r;

	if (v->n >= CV_PAIRS_MAX)
		return;
	snprintf(path, sizeof(path), "%s/" PROV_MAP_NAME, cfg->runtime_dir);
	r = mappub_verify_file(path, line, sizeof(line));
	add(v, "snapshot", "%s%s", r == -ENOENT ? "missing: " : "", line);
}

/* CACHE_VERIFY: request empty; reply u32 n, n x (str key, str value). The
 * check runs in the loop: it reads one file and admits one document, as
 * the start-up load does, and only root on the private socket asks. */
static int h_cache_verify(struct dispatch_ctx *ctx, struct prov_reader *req, struct prov_writer *reply)
{
	const struct prov_state *st = ctx->state;
	const struct cv_served served = { .dir = st->dir, .doc = st->doc, .doc_len = st->doc_len };
	struct cache_verdict *v;
	size_t i;
	int r;

	if (prov_reader_end(req) < 0)
		return PROV_ST_BAD_REQUEST;
	v = malloc(sizeof(*v));
	if (!v)
		return PROV_ST_INTERNAL;
	r = cache_verify(&st->cfg, &served, v);
	/* Not valid: pairs[1] is the reason (begin() puts it there). */
	if (r < 0 && r != -ENOENT)
		log_event(LOG_WARNING, "cache_verify_refused", LOG_FIELDS({ "PROV_REASON", v->pairs[1].value }),
			  "cache verify: %s/%s would be refused at start-up: %s", st->cfg.state_dir, CACHE_FILE_NAME,
			  v->pairs[1].value);
	add_snapshot(&st->cfg, v);
	prov_put_u32(reply, (uint32_t)v->n);
	for (i = 0; i < v->n; i++) {
		url_redact_inplace(v->pairs[i].value, sizeof(v->pairs[i].value));
		prov_put_str(reply, v->pairs[i].key, PROV_STATUS_STR_MAX);
		prov_put_str(reply, v->pairs[i].value, PROV_STATUS_STR_MAX);
	}
	free(v);
	return reply->err ? PROV_ST_INTERNAL : PROV_ST_OK;
}

static const struct dispatch_entry cache_verify_entries[] = {
	{ PROV_OP_CACHE_VERIFY, DISPATCH_ROOT, "CACHE_VERIFY", h_cache_verify },
};

const struct dispatch_table cache_verify_dispatch_table = DISPATCH_TABLE(cache_verify_entries);

/* Server heartbeats: recording them, the live servers, deploy --wait. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"

/* Heartbeats not seen for a day are removed when a server starts. */
#define BEAT_FORGET_MS (24LL * 3600 * 1000)

/* Removes the rows of servers of this host whose process is gone, and
 * rows of any host not seen for a day. */
static int
forget_dead(struct mlp_db *db, const struct deploy_self *me,
    struct mlp_err *err)
{
	sqlite3_stmt *st = NULL, *del = NULL;
	struct mlp_strv dead = MLP_STRV_INIT;
	int rc;

	if ((rc = mlp_db_prepare(db, &st, "SELECT id, pid, pid_start FROM "
	    "server WHERE host = ?", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, me->host, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (!mlp_proc_alive(mlp_db_text(st, 1), mlp_db_text(st, 2)))
			mlp_strv_push(&dead, mlp_db_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		rc = mlp_db_error(db, err, "cannot read server heartbeats");
	else
		rc = mlp_db_prepare(db, &del, "DELETE FROM server WHERE id = ?1 "
		    "OR seen < ?2", err);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i <= dead.n && rc >= 0; i++) {
		sqlite3_reset(del);
		if (i < dead.n)
			sqlite3_bind_text(del, 1, dead.v[i], -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(del, 1);
		sqlite3_bind_int64(del, 2, mlp_now_ms() - BEAT_FORGET_MS);
		rc = mlp_db_step(db, del, "cannot remove old heartbeats", err);
	}
out:
	sqlite3_finalize(del);
	mlp_strv_release(&dead);
	return rc;
}

int
mlp_deploy_beat(struct mlp_db *db, struct mlp_server_beat *b,
    struct mlp_err *err)
{
	struct deploy_self me;
	sqlite3_stmt *st = NULL;
	const char *state = b->state ? b->state : "{}";
	int64_t now = mlp_now_ms();
	int rc;

	deploy_self(&me);
	if (b->id) {
		if ((rc = mlp_db_prepare(db, &st, "UPDATE server SET seen = ?, "
		    "state = ?, url = ?, deployments = ? WHERE id = ? AND "
		    "host = ? AND pid = ?", err)) < 0)
			return rc;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, b->url, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, b->deployments);
		sqlite3_bind_int64(st, 5, b->id);
		sqlite3_bind_text(st, 6, me.host, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, me.pid);
		rc = mlp_db_step(db, st, "cannot record the heartbeat", err);
		sqlite3_finalize(st);
		if (rc < 0 || sqlite3_changes(db->h) > 0)
			return rc;
		/* removed meanwhile (taken for dead): beat anew */
	}
	if ((rc = mlp_db_begin(db, err)) < 0)
		return rc;
	if ((rc = forget_dead(db, &me, err)) < 0 ||
	    (rc = mlp_db_prepare(db, &st, "INSERT INTO server (host, pid, "
	    "pid_start, url, deployments, started, seen, state) VALUES (?, ?, "
	    "?, ?, ?, ?, ?, ?)", err)) < 0)
		goto out;
	sqlite3_bind_text(st, 1, me.host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, me.pid);
	sqlite3_bind_text(st, 3, me.start, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, b->url, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, b->deployments);
	sqlite3_bind_int64(st, 6, b->started ? b->started : now);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_text(st, 8, state, -1, SQLITE_STATIC);
	rc = mlp_db_step(db, st, "cannot record the heartbeat", err);
	sqlite3_finalize(st);
	if (rc == 0)
		b->id = sqlite3_last_insert_rowid(db->h);
out:
	if (rc < 0) {
		mlp_db_rollback(db);
		return rc;
	}
	return mlp_db_commit(db, err);
}

int
mlp_deploy_beat_end(struct mlp_db *db, int64_t id, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = mlp_db_prepare(db, &st, "DELETE FROM server WHERE id = ?",
	    err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = mlp_db_step(db, st, "cannot remove the heartbeat", err);
	sqlite3_finalize(st);
	return rc;
}

void
mlp_servers_free(struct mlp_server *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].host);
		free(v[i].url);
		free(v[i].state);
	}
	free(v);
}

int
mlp_deploy_servers(struct mlp_db *db, int deployments_only,
    struct mlp_server **out, size_t *n, struct mlp_err *err)
{
	struct deploy_self me;
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	deploy_self(&me);
	if ((rc = mlp_db_prepare(db, &st, "SELECT id, host, pid, pid_start, "
	    "url, deployments, started, seen, state FROM server WHERE seen >= "
	    "? AND (? = 0 OR deployments != 0) ORDER BY id", err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, mlp_now_ms() - MLP_DEPLOY_BEAT_TTL_MS);
	sqlite3_bind_int(st, 2, deployments_only);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct mlp_server *s;

		/* a process of this host is known dead at once */
		if (strcmp(mlp_db_text(st, 1), me.host) == 0 &&
		    !mlp_proc_alive(mlp_db_text(st, 2), mlp_db_text(st, 3)))
			continue;
		mlp_grow(out, &alloc, *n + 1, sizeof(**out));
		s = &(*out)[(*n)++];
		s->id = sqlite3_column_int64(st, 0);
		s->host = xstrdup(mlp_db_text(st, 1));
		s->pid = sqlite3_column_int64(st, 2);
		s->url = xstrdup(mlp_db_text(st, 4));
		s->deployments = sqlite3_column_int(st, 5);
		s->started = sqlite3_column_int64(st, 6);
		s->seen = sqlite3_column_int64(st, 7);
		s->state = xstrdup(mlp_db_text(st, 8));
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot read server heartbeats");
	sqlite3_finalize(st);
	if (rc < 0) {
		mlp_servers_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/* A whole number in JSON: 1 when item is one. */
static int
json_int(const cJSON *item, int64_t *v)
{
	if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) ||
	    fabs(item->valuedouble) > 9007199254740992.0 ||
	    item->valuedouble != floor(item->valuedouble))
		return 0;
	*v = (int64_t)item->valuedouble;
	return 1;
}

void
mlp_server_view_release(struct mlp_server_view *v)
{
	free(v->error);
	free(v->loaded);
	free(v->request_versions);
	free(v->request_counts);
	memset(v, 0, sizeof(*v));
}

void
mlp_server_view_parse(const char *state, const char *name,
    struct mlp_server_view *out)
{
	cJSON *doc = cJSON_Parse(state ? state : ""), *o, *e;
	int64_t x;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(doc))
		goto out;
	o = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    doc, "routes"), name);
	if (cJSON_IsObject(o) && json_int(cJSON_GetObjectItemCaseSensitive(o,
	    "generation"), &out->generation)) {
		out->routed = 1;
		if (json_int(cJSON_GetObjectItemCaseSensitive(o, "stable"), &x))
			out->stable = x;
		if (json_int(cJSON_GetObjectItemCaseSensitive(o, "canary"), &x))
			out->canary = x;
		e = cJSON_GetObjectItemCaseSensitive(o, "canary_pct");
		if (cJSON_IsNumber(e) && isfinite(e->valuedouble))
			out->canary_pct = e->valuedouble;
	}
	o = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    doc, "failed"), name);
	if (cJSON_IsObject(o) && json_int(cJSON_GetObjectItemCaseSensitive(o,
	    "version"), &out->failed_version)) {
		out->failed = 1;
		json_int(cJSON_GetObjectItemCaseSensitive(o, "generation"),
		    &out->failed_generation);
		e = cJSON_GetObjectItemCaseSensitive(o, "error");
		out->error = xstrdup(cJSON_IsString(e) ? e->valuestring : "");
	}
	o = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    doc, "loaded"), name);
	if (cJSON_IsArray(o)) {
		out->loaded = xcalloc((size_t)cJSON_GetArraySize(o) + 1,
		    sizeof(*out->loaded));
		cJSON_ArrayForEach(e, o)
			if (json_int(e, &x))
				out->loaded[out->nloaded++] = x;
	}
	o = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    doc, "requests"), name);
	if (cJSON_IsObject(o)) {
		size_t m = (size_t)cJSON_GetArraySize(o) + 1;

		out->request_versions = xcalloc(m, sizeof(int64_t));
		out->request_counts = xcalloc(m, sizeof(int64_t));
		cJSON_ArrayForEach(e, o) {
			int64_t v;

			if (mlp_parse_int64(e->string, &v) < 0 ||
			    !json_int(e, &x))
				continue;
			out->request_versions[out->nrequests] = v;
			out->request_counts[out->nrequests++] = x;
		}
	}
out:
	cJSON_Delete(doc);
}

/* Whether server s has moved to state (generation, version), failed it,
 * or neither yet: 1, -1 (why in *why), 0. */
static int
server_ready(const struct mlp_server *s, const char *name, int64_t generation,
    int64_t version, char **why)
{
	struct mlp_server_view v;
	int r = 0;

	mlp_server_view_parse(s->state, name, &v);
	if (v.failed && v.failed_generation >= generation &&
	    v.failed_version == version) {
		*why = xasprintf("server %s (%s pid %lld) could not load "
		    "version %lld: %s", s->url, s->host, (long long)s->pid,
		    (long long)version, v.error[0] ? v.error : "no reason "
		    "given");
		r = -1;
	} else if (v.routed && (v.generation > generation ||
	    (v.generation == generation && (v.stable == version ||
	    v.canary == version)))) {
		r = 1;
	}
	mlp_server_view_release(&v);
	return r;
}

int
deploy_wait(deploy_servers_fn servers, void *sud, const char *name,
    int64_t generation, int64_t version, int64_t timeout_ms,
    int (*stop)(void *), void *ud, struct mlp_deploy_wait *w,
    struct mlp_err *err)
{
	int64_t start = mlp_now_ms();
	int rc;

	memset(w, 0, sizeof(*w));
	for (;;) {
		struct mlp_server *sv = NULL;
		struct mlp_buf pending = MLP_BUF_INIT;
		size_t n = 0, waiting = 0;

		if ((rc = servers(sud, &sv, &n, err)) < 0)
			return rc;
		w->servers = n;
		for (size_t i = 0; i < n && !w->failed; i++) {
			int r = server_ready(&sv[i], name, generation, version,
			    &w->why);

			if (r < 0)
				w->failed = 1;
			else if (r == 0)
				mlp_buf_addf(&pending, "%s%s", waiting++ ?
				    ", " : "", sv[i].url);
		}
		mlp_servers_free(sv, n);
		if (w->failed) {
			mlp_buf_release(&pending);
			return mlp_err_set(err, MLP_EFAIL, "%s", w->why);
		}
		if (waiting == 0) {
			mlp_buf_release(&pending);
			return 0;
		}
		if (timeout_ms >= 0 && mlp_now_ms() - start >= timeout_ms) {
			char t[32];

			mlp_fmt_duration(timeout_ms, t, sizeof(t));
			w->failed = 1;
			w->why = xasprintf("timed out after %s waiting for %zu "
			    "server%s to load version %lld: %s", t, waiting,
			    waiting == 1 ? "" : "s", (long long)version,
			    pending.s);
			mlp_buf_release(&pending);
			return mlp_err_set(err, MLP_EFAIL, "%s", w->why);
		}
		mlp_buf_release(&pending);
		if (stop && stop(ud))
			return mlp_err_set(err, MLP_EINTR, "stopped while "
			    "waiting for the servers");
		deploy_sleep_ms(150);
	}
}

static int
local_servers(void *ud, struct mlp_server **out, size_t *n,
    struct mlp_err *err)
{
	return mlp_deploy_servers(ud, 1, out, n, err);
}

int
mlp_deploy_wait(struct mlp_db *db, const char *name, int64_t generation,
    int64_t version, int64_t timeout_ms, int (*stop)(void *), void *ud,
    struct mlp_deploy_wait *w, struct mlp_err *err)
{
	return deploy_wait(local_servers, db, name, generation, version,
	    timeout_ms, stop, ud, w, err);
}

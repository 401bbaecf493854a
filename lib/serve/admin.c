/* The admin API: what a remote mlp deploy (the http:// target) calls. It
 * exists only when the server was started with a token (--token-file);
 * every request carries it as "Authorization: Bearer TOKEN" (401 without
 * it, 403 with another), and without a token its endpoints answer 404.
 *
 *	POST /v2/repository/index		OIP's model repository
 *	POST /v2/repository/models/NAME/load	extension, as Triton's
 *	POST /v2/repository/models/NAME/unload	extension_model_repository.md
 *	PUT  /mlp/v1/models			a version, as an export
 *	GET  /mlp/v1/deployments		every deployment, its servers
 *	GET  /mlp/v1/deployments/NAME		one (mlp deploy status --json)
 *	GET  /mlp/v1/deployments/NAME/history	its history
 *	POST /mlp/v1/deployments/NAME		a change: {"action": ...}
 *
 * Requests run on the server's worker threads: each opens its own
 * connection to the repository's database (and, to import, its own store
 * handle, as another process would), never the main thread's. Writes take
 * the admin lock, one at a time: this process holds deployment locks for
 * all its threads, so two changes of one deployment must not run here at
 * once. A version is loaded into the cache before a deployment may serve
 * it; the main thread then follows the change as it follows any other
 * (PRAGMA data_version) and finds it loaded. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "../deploy/deploy.h"
#include "../registry/registry.h"
#include "../store/store.h"
#include "internal.h"

struct sv_admin {
	struct mlp_oid token;	/* the token's SHA-256 */
	char *db_path;		/* the repository's database; NULL: none */
	char *mlp_dir;		/* its .mlp directory */
	int follows;		/* the server serves the deployments */
	pthread_mutex_t lock;	/* one write at a time */
};

int
sv_admin_open(struct server *s, struct mlp_db *db, struct mlp_err *err)
{
	const char *t = s->o->token;
	struct sv_admin *a;
	size_t n;
	int rc;

	s->admin = NULL;
	if (!t)
		return 0;
	n = strlen(t);
	if (n < MLP_SERVE_TOKEN_MIN || n > MLP_SERVE_TOKEN_MAX)
		return mlp_err_set(err, MLP_EINVAL, "the admin token is %zu "
		    "bytes: it must be %d to %d", n, MLP_SERVE_TOKEN_MIN,
		    MLP_SERVE_TOKEN_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return mlp_err_set(err, MLP_EINVAL, "the admin token "
			    "holds a byte that is not visible ASCII (at %zu)",
			    i);
	a = xcalloc(1, sizeof(*a));
	/* hashing loads libcrypto now, before the request threads */
	if ((rc = mlp_oid_hash(t, n, &a->token, err)) < 0) {
		free(a);
		return rc;
	}
	if (db) {
		const char *slash = strrchr(db->path, '/');

		a->db_path = xstrdup(db->path);
		a->mlp_dir = slash ? xstrndup(db->path, (size_t)(slash -
		    db->path)) : xstrdup(".");
	}
	a->follows = s->o->nmodels == 0;
	pthread_mutex_init(&a->lock, NULL);
	s->admin = a;
	return 0;
}

void
sv_admin_close(struct sv_admin *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->lock);
	free(a->db_path);
	free(a->mlp_dir);
	free(a);
}

/* ---- helpers ---- */

static void
answer(struct reply *r, int code, cJSON *o)
{
	char *txt = cJSON_PrintUnformatted(o);

	r->code = code;
	mlp_buf_reset(&r->body);
	mlp_buf_adds(&r->body, txt);
	free(txt);
	cJSON_Delete(o);
}

/* The status an error of lib/ answers with; fail: what MLP_EFAIL means
 * here (400 for what was sent, 409 for a change the state refuses). */
static int
status_of(int rc, int fail)
{
	switch (rc) {
	case MLP_EINVAL:
	case MLP_ESYNTAX:
	case MLP_EUNSUPPORTED:
		return 400;
	case MLP_ENOTFOUND:
		return 404;
	case MLP_EEXISTS:
		return 409;
	case MLP_ELOCKED:
		return 423;
	case MLP_EREADONLY:
	case MLP_ENOSPACE:
		return 503;
	case MLP_EFAIL:
		return fail;
	default:
		return 500;
	}
}

/* A request body that must be a JSON object, or may be empty (*out
 * NULL). 0, or an error answered. */
static int
body_object(const struct mlp_buf *body, cJSON **out, struct reply *r)
{
	*out = NULL;
	if (!body || body->len == 0)
		return 0;
	*out = cJSON_ParseWithLength(body->s, body->len);
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		reply_error(r, 400, "the request body is not a JSON object");
		return -1;
	}
	return 0;
}

/* ---- the token ---- */

/* Whether the request carries the token: 1, or 0 with 401 or 403
 * answered. Both sides are hashed, so the comparison takes the same time
 * whatever was sent, and says nothing of the token's length. */
static int
authorized(struct sv_admin *a, struct MHD_Connection *conn, struct reply *r)
{
	const char *h = sv_header(conn, "Authorization");
	struct mlp_oid got;
	struct mlp_err err;
	unsigned char d = 0;

	if (!h || strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' &&
	    h[6] != '\t')) {
		r->authenticate = "Bearer realm=\"mlp\"";
		reply_error(r, 401, "the admin API needs the server's token: "
		    "Authorization: Bearer TOKEN (mlp serve --token-file)");
		return 0;
	}
	for (h += 6; *h == ' ' || *h == '\t'; h++)
		;
	if (mlp_oid_hash(h, strlen(h), &got, &err) < 0) {
		reply_error(r, 500, "%s", err.msg);
		return 0;
	}
	for (size_t i = 0; i < sizeof(got.hash); i++)
		d |= (unsigned char)(got.hash[i] ^ a->token.hash[i]);
	if (d) {
		reply_error(r, 403, "the token is not this server's");
		return 0;
	}
	return 1;
}

/* ---- OIP's model repository extension ---- */

static const char *
state_name(enum sv_state st)
{
	switch (st) {
	case SV_READY:
		return "READY";
	case SV_LOADING:
		return "LOADING";
	default:
		return "UNAVAILABLE";
	}
}

/* POST /v2/repository/index {"ready": bool}: every version routed, with
 * its state; only the ready ones with "ready": true. */
static void
repo_index(struct server *s, const struct mlp_buf *body, struct reply *r)
{
	cJSON *req = NULL, *out;
	const cJSON *j;
	struct sv_table *t;
	int only_ready = 0;

	if (body_object(body, &req, r) < 0)
		return;
	j = cJSON_GetObjectItemCaseSensitive(req, "ready");
	if (j && !cJSON_IsBool(j)) {
		cJSON_Delete(req);
		reply_error(r, 400, "\"ready\" must be true or false");
		return;
	}
	only_ready = cJSON_IsTrue(j);
	cJSON_Delete(req);
	out = cJSON_CreateArray();
	t = sv_table_get(s);
	for (size_t i = 0; i < t->n; i++) {
		const struct sv_route *rt = &t->routes[i];
		struct sv_version *vs[2] = { rt->stable, rt->canary };

		for (int k = 0; k < 2; k++) {
			enum sv_state st;
			char why[512];
			cJSON *o;

			if (!vs[k])
				continue;
			st = sv_cache_state(s->cache, vs[k], why, sizeof(why));
			if (only_ready && st != SV_READY)
				continue;
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", rt->name);
			cJSON_AddStringToObject(o, "version", vs[k]->label);
			cJSON_AddStringToObject(o, "state", state_name(st));
			cJSON_AddStringToObject(o, "reason", st == SV_FAILED ?
			    why : st == SV_UNLOADED ? "unloaded (it loads on "
			    "its first request)" : "");
			cJSON_AddItemToArray(out, o);
		}
	}
	sv_table_release(t);
	answer(r, 200, out);
}

/* POST /v2/repository/models/NAME/load and /unload: load pins the
 * versions NAME routes (stable and canary) in memory; unload unpins and
 * drops them (the next request loads them again: to stop serving a
 * deployment, remove it). */
static void
repo_model(struct server *s, const char *name, size_t nn, int load,
    const struct mlp_buf *body, struct reply *r)
{
	const struct sv_route *rt;
	struct sv_version *vs[2];
	struct sv_table *t;
	struct mlp_err err;
	cJSON *req = NULL;

	if (body_object(body, &req, r) < 0)
		return;
	cJSON_Delete(req);	/* "parameters" are accepted, none used */
	t = sv_table_get(s);
	if (!(rt = sv_table_find(t, name, nn))) {
		sv_table_release(t);
		reply_error(r, 404, "model '%.*s' is not served", (int)(nn >
		    200 ? 200 : nn), name);
		return;
	}
	vs[0] = rt->stable;
	vs[1] = rt->canary;
	/* versions live as long as the server: the table may go */
	snprintf(r->name, sizeof(r->name), "%s", rt->name);
	sv_table_release(t);
	for (int k = 0; k < 2; k++) {
		if (!vs[k])
			continue;
		if (!load) {
			sv_cache_unload(s->cache, vs[k]);
			continue;
		}
		if (sv_pin(s->cache, vs[k], &err) < 0) {
			reply_error(r, 400, "cannot load model '%s' version "
			    "%s: %s", r->name, vs[k]->label, err.msg);
			return;
		}
	}
	mlp_log(MLP_LOG_INFO, "admin: %s model '%s'", load ? "loaded" :
	    "unloaded", r->name);
	r->code = 200;
}

/* ---- mlp's own ---- */

static int
open_db(struct sv_admin *a, struct mlp_db **db, struct reply *r)
{
	struct mlp_err err;
	int rc;

	if ((rc = mlp_db_open(db, a->db_path, 0, &err)) < 0) {
		reply_error(r, status_of(rc, 500), "cannot open the "
		    "repository: %s", err.msg);
		return -1;
	}
	return 0;
}

/* PUT /mlp/v1/models: an export (mlp register export) becomes a version
 * of this repository, with the name and number it had; a version that is
 * here already is answered as it is (200, "created": false). */
static void
put_model(struct server *s, struct MHD_Connection *conn,
    const struct mlp_buf *body, struct reply *r)
{
	struct sv_admin *a = s->admin;
	struct mlp_import_opts o = { 0 };
	struct mlp_import_result res = { 0 };
	struct mlp_store *st = NULL;
	struct mlp_db *db = NULL;
	struct mlp_err err;
	cJSON *out;
	int rc;

	if (!body || body->len == 0) {
		reply_error(r, 400, "no archive: the body must be a version's "
		    "export (mlp register export)");
		return;
	}
	o.keep_version = 1;
	o.user = sv_header(conn, "X-MLP-User");
	if (!o.user)
		o.user = "";
	pthread_mutex_lock(&a->lock);
	if (open_db(a, &db, r) < 0)
		goto out;
	if ((rc = mlp_store_open(&st, a->mlp_dir, NULL, NULL, &err)) < 0) {
		reply_error(r, status_of(rc, 500), "cannot open the store: %s",
		    err.msg);
		goto out;
	}
	if ((rc = mlp_registry_import_mem(db, st, body->s, body->len,
	    "request body", &o, &res, &err)) < 0) {
		reply_error(r, status_of(rc, 400), "%s", err.msg);
		goto out;
	}
	mlp_log(MLP_LOG_INFO, "admin: %s models:/%s/%lld", res.existed ?
	    "already had" : "imported", res.name, (long long)res.version);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "name", res.name);
	cJSON_AddNumberToObject(out, "version", (double)res.version);
	cJSON_AddStringToObject(out, "object", res.oid);
	cJSON_AddBoolToObject(out, "created", !res.existed);
	answer(r, res.existed ? 200 : 201, out);
out:
	mlp_import_result_release(&res);
	mlp_store_free(st);
	mlp_db_close(db);
	pthread_mutex_unlock(&a->lock);
}

static cJSON *
status_json(const struct mlp_deployment *d, const struct mlp_server *sv,
    size_t nsv)
{
	cJSON *o = mlp_deploy_json(d), *arr;

	cJSON_AddStringToObject(o, "state", d->canary ? "canary" : "stable");
	arr = cJSON_AddArrayToObject(o, "servers");
	for (size_t i = 0; i < nsv; i++)
		cJSON_AddItemToArray(arr, mlp_deploy_server_json(&sv[i], d));
	return o;
}

/* GET /mlp/v1/deployments[/NAME[/history]] */
static void
get_deployments(struct server *s, const char *name, int history,
    struct reply *r)
{
	struct mlp_deployment *d = NULL;
	struct mlp_deploy_event *ev = NULL;
	struct mlp_server *sv = NULL;
	struct mlp_db *db = NULL;
	struct mlp_err err;
	size_t n = 0, nsv = 0;
	cJSON *out;
	int rc;

	if (open_db(s->admin, &db, r) < 0)
		return;
	if (history) {
		if ((rc = mlp_deploy_history(db, name, &ev, &n, &err)) < 0) {
			reply_error(r, status_of(rc, 500), "%s", err.msg);
			goto out;
		}
		out = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(out, mlp_deploy_event_json(&ev[i]));
		answer(r, 200, out);
		goto out;
	}
	if (name) {
		d = xcalloc(1, sizeof(*d));
		n = 1;
		rc = mlp_deploy_get(db, name, d, &err);
	} else {
		rc = mlp_deploy_list(db, &d, &n, &err);
	}
	if (rc == 0)
		rc = mlp_deploy_servers(db, 1, &sv, &nsv, &err);
	if (rc < 0) {
		reply_error(r, status_of(rc, 500), "%s", err.msg);
		goto out;
	}
	if (name) {
		answer(r, 200, status_json(d, sv, nsv));
		goto out;
	}
	out = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(out, status_json(&d[i], sv, nsv));
	answer(r, 200, out);
out:
	mlp_deploy_events_free(ev, history ? n : 0);
	if (!history)
		mlp_deployments_free(d, n);
	mlp_servers_free(sv, nsv);
	mlp_db_close(db);
}

/* A whole number of a request: 1 when key holds one > 0 (into *v), 0
 * when absent, -1 when it holds something else. */
static int
req_int(const cJSON *o, const char *key, int64_t *v)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!j || cJSON_IsNull(j))
		return 0;
	if (!cJSON_IsNumber(j) || !(j->valuedouble >= 1 &&
	    j->valuedouble <= 9007199254740992.0) ||
	    j->valuedouble != (double)(int64_t)j->valuedouble)
		return -1;
	*v = (int64_t)j->valuedouble;
	return 1;
}

/* A string of a request, or NULL when absent; -1 for another type. */
static int
req_str(const cJSON *o, const char *key, const char **v)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	*v = NULL;
	if (!j || cJSON_IsNull(j))
		return 0;
	if (!cJSON_IsString(j))
		return -1;
	*v = j->valuestring;
	return 1;
}

/* The state deployment name had before generation gen (its history's
 * entry gen - 1), for an auto-rollback; none (name NULL) when it did not
 * exist then. */
static int
state_before(struct mlp_db *db, const char *name, int64_t gen,
    struct mlp_deployment *out, struct mlp_err *err)
{
	struct mlp_deploy_event *ev = NULL;
	struct mlp_deployment cur;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = mlp_deploy_get(db, name, &cur, err)) < 0)
		return rc;
	if ((rc = mlp_deploy_history(db, name, &ev, &n, err)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].generation != gen - 1 || !ev[i].stable)
			continue;
		out->name = xstrdup(name);
		out->target = xstrdup(ev[i].target);
		out->model = xstrdup(ev[i].model);
		out->stable = ev[i].stable;
		out->canary = ev[i].canary;
		out->canary_pct = ev[i].canary ? ev[i].canary_pct : 0;
		out->previous = ev[i].previous;
		out->config = xstrdup(cur.config);
		out->updated_by = xstrdup("");
	}
out:
	mlp_deploy_events_free(ev, n);
	mlp_deployment_release(&cur);
	return rc;
}

/* Loads the version into the cache: one that cannot be served is
 * refused before the deployment changes (and the server finds it loaded
 * when it follows the change). */
static int
check_servable(struct server *s, struct mlp_db *db, const char *model,
    int64_t version, struct reply *r)
{
	struct mlp_model_uri u = { 0 };
	struct mlp_model_version *mv = NULL;
	struct sv_loaded *l = NULL;
	struct sv_version *v;
	struct mlp_err err;
	char *key;
	int rc;

	u.name = (char *)model;
	u.version = version;
	if ((rc = mlp_registry_resolve(db, &u, &mv, &err)) < 0) {
		reply_error(r, status_of(rc, 500), "%s%s", err.msg, rc ==
		    MLP_ENOTFOUND ? " on this server (mlp deploy --target "
		    "uploads it; PUT /mlp/v1/models)" : "");
		return -1;
	}
	if (strcmp(mv->lifecycle, "active") != 0) {
		reply_error(r, 409, "models:/%s/%lld is deleted", model,
		    (long long)version);
		mlp_model_version_free(mv);
		return -1;
	}
	key = xasprintf("%s/%lld", model, (long long)version);
	v = sv_cache_version(s->cache, key, model, version, NULL, mv->oid,
	    mv->is_tree);
	free(key);
	mlp_model_version_free(mv);
	if (sv_acquire(s->cache, v, &l, &err) < 0) {
		reply_error(r, 422, "models:/%s/%lld cannot be served: %s",
		    model, (long long)version, err.msg);
		return -1;
	}
	sv_release(l);
	return 0;
}

static const struct {
	const char *name;
	enum mlp_deploy_action action;
} actions[] = {
	{ "deploy", MLP_DEPLOY_SET },
	{ "canary", MLP_DEPLOY_CANARY },
	{ "promote", MLP_DEPLOY_PROMOTE },
	{ "rollback", MLP_DEPLOY_ROLLBACK },
	{ "rm", MLP_DEPLOY_RM },
	{ "auto-rollback", MLP_DEPLOY_AUTO_ROLLBACK },
};

/* Reads a change from its JSON into c (strings borrowed from req). 0, or
 * 400 answered. */
static int
read_change(const cJSON *req, struct mlp_deploy_change *c, struct reply *r)
{
	const cJSON *j;
	const char *action;
	size_t i;

	if (!req || req_str(req, "action", &action) <= 0) {
		reply_error(r, 400, "\"action\" must be one of deploy, canary, "
		    "promote, rollback, rm, auto-rollback");
		return -1;
	}
	for (i = 0; i < sizeof(actions) / sizeof(*actions); i++)
		if (sv_is(actions[i].name, action))
			break;
	if (i == sizeof(actions) / sizeof(*actions)) {
		reply_error(r, 400, "unknown action '%.100s' (known: deploy, "
		    "canary, promote, rollback, rm, auto-rollback)", action);
		return -1;
	}
	c->action = actions[i].action;
	if (req_str(req, "user", &c->user) < 0 ||
	    req_str(req, "host", &c->host) < 0 ||
	    req_str(req, "detail", &c->detail) < 0) {
		reply_error(r, 400, "\"user\", \"host\" and \"detail\" must be "
		    "strings");
		return -1;
	}
	if (c->host && !*c->host)
		c->host = NULL;
	if (c->action == MLP_DEPLOY_SET || c->action == MLP_DEPLOY_CANARY) {
		if (req_str(req, "model", &c->model) <= 0 ||
		    req_int(req, "version", &c->version) <= 0) {
			reply_error(r, 400, "\"model\" (a name) and \"version\" "
			    "(a number) must name the version to %s",
			    action);
			return -1;
		}
		c->target = "local";
	}
	if (c->action == MLP_DEPLOY_CANARY) {
		j = cJSON_GetObjectItemCaseSensitive(req, "canary_pct");
		if (!cJSON_IsNumber(j)) {
			reply_error(r, 400, "\"canary_pct\" must be the "
			    "canary's share of requests (0 < PCT < 100)");
			return -1;
		}
		c->canary_pct = j->valuedouble;
	}
	if (c->action == MLP_DEPLOY_AUTO_ROLLBACK &&
	    req_int(req, "generation", &c->undo_generation) <= 0) {
		reply_error(r, 400, "\"generation\" must be the generation the "
		    "auto-rollback undoes");
		return -1;
	}
	return 0;
}

/* POST /mlp/v1/deployments/NAME: a change, through lib/deploy as mlp
 * deploy makes it (the lock, the history, the refusal of a version that
 * cannot be served), answered with the state it left. */
static void
post_deployment(struct server *s, const char *name,
    const struct mlp_buf *body, struct reply *r)
{
	struct sv_admin *a = s->admin;
	struct mlp_deploy_change c = { 0 };
	struct mlp_deployment after = { 0 }, restore = { 0 }, cur = { 0 };
	struct mlp_deploy_holder h;
	struct mlp_db *db = NULL;
	struct mlp_err err;
	cJSON *req = NULL, *out;
	int rc, changed = 0, locked = 0;

	if (!a->follows) {
		reply_error(r, 409, "this server serves -m models, not its "
		    "repository's deployments: start it without -m to deploy "
		    "to it");
		return;
	}
	if (mlp_deploy_check_name(name, &err) < 0) {
		reply_error(r, 400, "%s", err.msg);
		return;
	}
	if (body_object(body, &req, r) < 0 || read_change(req, &c, r) < 0)
		goto out;
	c.name = name;
	pthread_mutex_lock(&a->lock);
	if (open_db(a, &db, r) < 0)
		goto unlock;
	if ((rc = mlp_deploy_lock(db, name, c.user ? c.user : "", &h,
	    &err)) < 0) {
		if (rc == MLP_ELOCKED && h.pid) {
			cJSON *e = cJSON_CreateObject(), *x;

			/* who, for mlp deploy's message and exit 4 */
			cJSON_AddStringToObject(e, "error", err.msg);
			x = cJSON_AddObjectToObject(e, "holder");
			cJSON_AddStringToObject(x, "user", h.user);
			cJSON_AddStringToObject(x, "host", h.host);
			cJSON_AddNumberToObject(x, "pid", (double)h.pid);
			cJSON_AddNumberToObject(x, "since", (double)h.since);
			answer(r, 423, e);
		} else {
			reply_error(r, status_of(rc, 500), "%s", err.msg);
		}
		goto unlock;
	}
	locked = 1;
	/* deployments of other targets are not this server's to change */
	rc = mlp_deploy_get(db, name, &cur, &err);
	if (rc < 0 && rc != MLP_ENOTFOUND) {
		reply_error(r, status_of(rc, 500), "%s", err.msg);
		goto unlock;
	}
	if (cur.name && strcmp(cur.target, "local") != 0) {
		reply_error(r, 409, "deployment '%s' has target '%s' here, not "
		    "this server", name, cur.target);
		goto unlock;
	}
	if ((c.action == MLP_DEPLOY_SET || c.action == MLP_DEPLOY_CANARY) &&
	    check_servable(s, db, c.model, c.version, r) < 0)
		goto unlock;
	if (c.action == MLP_DEPLOY_AUTO_ROLLBACK) {
		if ((rc = state_before(db, name, c.undo_generation, &restore,
		    &err)) < 0) {
			reply_error(r, status_of(rc, 500), "%s", err.msg);
			goto unlock;
		}
		c.restore = &restore;
	}
	if ((rc = mlp_deploy_commit(db, &c, NULL, &after, &changed,
	    &err)) < 0) {
		reply_error(r, status_of(rc, 409), "%s", err.msg);
		goto unlock;
	}
	if (changed)
		mlp_log(MLP_LOG_INFO, "admin: deployment '%s': %s by %s@%s "
		    "(generation %lld)", name, mlp_deploy_action_name(c.action),
		    c.user ? c.user : "", c.host ? c.host : "?",
		    (long long)after.generation);
	out = mlp_deploy_json(&after);
	cJSON_AddStringToObject(out, "action", mlp_deploy_action_name(
	    c.action));
	cJSON_AddBoolToObject(out, "changed", changed);
	answer(r, 200, out);
unlock:
	if (locked && mlp_deploy_unlock(db, name, &err) < 0)
		mlp_log(MLP_LOG_WARN, "admin: cannot release the lock of "
		    "deployment '%s': %s", name, err.msg);
	mlp_db_close(db);
	pthread_mutex_unlock(&a->lock);
out:
	mlp_deployment_release(&after);
	mlp_deployment_release(&restore);
	mlp_deployment_release(&cur);
	cJSON_Delete(req);
}

/* /mlp/v1/deployments[/NAME[/history]] */
static void
deployments(struct server *s, const char *rest, const char *method,
    const struct mlp_buf *body, struct reply *r)
{
	int get = sv_is(method, "GET") || sv_is(method, "HEAD");
	const char *slash;
	char *name;

	if (!*rest) {
		if (!get)
			sv_method_not_allowed(r, "GET, HEAD", method);
		else
			get_deployments(s, NULL, 0, r);
		return;
	}
	if (*rest != '/' || !rest[1]) {
		reply_error(r, 404, "no such endpoint: /mlp/v1/deployments%.200s",
		    rest);
		return;
	}
	rest++;
	slash = strchr(rest, '/');
	if (slash && !sv_is(slash, "/history")) {
		reply_error(r, 404, "no such endpoint: %.200s", slash);
		return;
	}
	name = slash ? xstrndup(rest, (size_t)(slash - rest)) : xstrdup(rest);
	if (slash) {
		if (!get)
			sv_method_not_allowed(r, "GET, HEAD", method);
		else
			get_deployments(s, name, 1, r);
	} else if (get) {
		get_deployments(s, name, 0, r);
	} else if (sv_is(method, "POST")) {
		post_deployment(s, name, body, r);
	} else {
		sv_method_not_allowed(r, "GET, HEAD, POST", method);
	}
	free(name);
}

int
sv_admin_route(struct server *s, struct MHD_Connection *conn,
    const char *url, const char *method, const struct mlp_buf *body,
    struct reply *r)
{
	const char *rest;
	int post = sv_is(method, "POST");

	rest = sv_after(url, "/v2/repository");
	if (!(rest && (!*rest || *rest == '/')) && !sv_is(url, "/mlp") &&
	    !sv_after(url, "/mlp/"))
		return 0;
	r->proto = SV_OTHER;
	if (!s->admin) {
		reply_error(r, 404, "no such endpoint: %.200s (the admin API "
		    "exists when mlp serve is started with --token-file)", url);
		return 1;
	}
	if (!authorized(s->admin, conn, r))
		return 1;
	if (sv_is(url, "/v2/repository/index")) {
		if (!post)
			sv_method_not_allowed(r, "POST", method);
		else
			repo_index(s, body, r);
	} else if ((rest = sv_after(url, "/v2/repository/models/"))) {
		const char *slash = strrchr(rest, '/');
		int load = slash && sv_is(slash, "/load");

		if (!slash || slash == rest || (!load && !sv_is(slash,
		    "/unload")))
			reply_error(r, 404, "no such endpoint: %.200s", url);
		else if (!post)
			sv_method_not_allowed(r, "POST", method);
		else
			repo_model(s, rest, (size_t)(slash - rest), load, body,
			    r);
	} else if (!s->admin->db_path) {
		reply_error(r, 409, "this server has no repository (it serves "
		    "-m model files): the admin API has only /v2/repository "
		    "here");
	} else if (sv_is(url, "/mlp/v1/models")) {
		if (!sv_is(method, "PUT"))
			sv_method_not_allowed(r, "PUT", method);
		else
			put_model(s, conn, body, r);
	} else if ((rest = sv_after(url, "/mlp/v1/deployments"))) {
		deployments(s, rest, method, body, r);
	} else {
		reply_error(r, 404, "no such endpoint: %.200s", url);
	}
	return 1;
}

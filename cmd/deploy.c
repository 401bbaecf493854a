/* mlp deploy: deployments of registered versions, with canaries, gates,
 * locks and rollback. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/deploy.h"
#include "model/model.h"
#include "registry/registry.h"
#include "cmd.h"

enum { O_NAME = 1, O_TARGET, O_CANARY, O_REQUIRE, O_WAIT, O_TIMEOUT,
	O_WAIT_LOCK, O_OUTPUT, O_KSERVE_VERSION, O_KSERVE_MODE,
	O_STORAGE_URI };

/* --wait's default limit */
#define WAIT_DEFAULT_MS 60000

/* The signal that asked deploy to stop (SIGINT, SIGTERM), or 0. The first
 * one is noted and deploy stops where it can, releasing its lock (and,
 * while it waits for the servers, rolling back); a second one ends it at
 * once, and the next deploy takes the lock over from the dead process. */
static volatile sig_atomic_t stop_signal;

static void
on_stop(int sig)
{
	stop_signal = sig;
	signal(sig, SIG_DFL);
}

static int
stop_requested(void *ud)
{
	(void)ud;
	return stop_signal != 0;
}

static void
catch_stops(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* After the lock is released: dies of the signal that stopped deploy, as
 * the shell expects of Ctrl-C. */
static void
die_of_stop(void)
{
	int sig = stop_signal;

	if (!sig)
		return;
	fflush(stdout);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
usage_args(struct mlp_ctx *ctx, struct mlp_optparse *p, int min, int max)
{
	if (p->npos < min || (max >= 0 && p->npos > max))
		return mlp_usage_error(ctx, p->npos < min ? "missing %s" :
		    "too many arguments (expected %s)", ctx->verb->args);
	return 0;
}

/* JSON */

static void
add_version(cJSON *o, const char *key, int64_t v)
{
	if (v)
		cJSON_AddNumberToObject(o, key, (double)v);
	else
		cJSON_AddNullToObject(o, key);
}

static cJSON *
deployment_json(const struct mlp_deployment *d)
{
	cJSON *o = cJSON_CreateObject(), *cfg;

	cJSON_AddStringToObject(o, "name", d->name);
	cJSON_AddStringToObject(o, "model", d->model);
	cJSON_AddStringToObject(o, "target", d->target);
	add_version(o, "stable", d->stable);
	add_version(o, "canary", d->canary);
	cJSON_AddNumberToObject(o, "canary_pct", d->canary ? d->canary_pct :
	    0);
	add_version(o, "previous", d->previous);
	cJSON_AddNumberToObject(o, "generation", (double)d->generation);
	cfg = cJSON_Parse(d->config ? d->config : "{}");
	cJSON_AddItemToObject(o, "config", cJSON_IsObject(cfg) ? cfg :
	    (cJSON_Delete(cfg), cJSON_CreateObject()));
	cJSON_AddNumberToObject(o, "created", (double)d->created);
	cJSON_AddNumberToObject(o, "updated", (double)d->updated);
	cJSON_AddStringToObject(o, "updated_by", d->updated_by ?
	    d->updated_by : "");
	return o;
}

/* The versions as people read them. */
static void
fmt_version(char *out, size_t n, const struct mlp_deployment *d, int64_t v)
{
	if (v)
		snprintf(out, n, "models:/%s/%lld", d->model, (long long)v);
	else
		snprintf(out, n, "-");
}

static void
fmt_pct(char *out, size_t n, double pct)
{
	char num[64];

	mlp_fmt_double(pct, num, sizeof(num));
	snprintf(out, n, "%s%%", num);
}

/* "models:/churn/3 (canary models:/churn/4 at 10%)" */
static char *
state_text(const struct mlp_deployment *d)
{
	char pct[80];

	if (!d->stable)
		return xstrdup("nothing");
	fmt_pct(pct, sizeof(pct), d->canary_pct);
	if (d->canary)
		return xasprintf("models:/%s/%lld, canary models:/%s/%lld at "
		    "%s", d->model, (long long)d->stable, d->model,
		    (long long)d->canary, pct);
	return xasprintf("models:/%s/%lld", d->model, (long long)d->stable);
}

/* Parses --canary: a share strictly between 0 and 100. */
static int
parse_pct(struct mlp_ctx *ctx, const char *s, double *pct)
{
	const char *p = s;
	int r;

	if (*p && p[strlen(p) - 1] == '%')
		p = xstrndup(s, strlen(s) - 1);
	r = mlp_parse_double(p, pct);
	if (p != s)
		free((char *)p);
	if (r < 0 || !isfinite(*pct) || !(*pct > 0 && *pct < 100))
		return mlp_usage_error(ctx, "--canary '%s': expected a share "
		    "of requests between 0 and 100 (both excluded), such as "
		    "10 or 2.5", s);
	return 0;
}

/* Parses --timeout: seconds, > 0. */
static int
parse_timeout(struct mlp_ctx *ctx, const char *s, int64_t *ms)
{
	double t;

	if (mlp_parse_double(s, &t) < 0 || !isfinite(t) || t <= 0 ||
	    t > 1e9)
		return mlp_usage_error(ctx, "--timeout '%s': expected seconds, "
		    "more than 0", s);
	*ms = (int64_t)ceil(t * 1000);
	return 0;
}

/* A change, from the checks before the lock to the release after it. */
struct flow {
	struct mlp_deploy_change c;
	struct mlp_deploy_target_opts to;
	int wait_lock;
	int64_t timeout_ms;	/* -1: none given */
	/* deploy: */
	const char *uri;	/* the version to load, models:/NAME/V */
	struct mlp_deploy_gates *gates;
	const char *run_uuid;
	int wait;
	/* an http:// target's server, or NULL */
	struct mlp_deploy_remote *remote;
	/* what it did */
	struct mlp_deployment before, after;
	int changed, locked;
	struct mlp_deploy_wait w;
	int rolled_back;
};

/* Plans f's change on the deployment as it is now and checks it with its
 * target: the state it would leave in *next, the target's settings in
 * f->c.config. Prints why not. */
static int
plan(struct mlp_ctx *ctx, struct flow *f, struct mlp_deployment *next,
    const struct mlp_deploy_target **target, char **config)
{
	struct mlp_deployment cur;
	struct mlp_err err;
	int rc;

	mlp_err_clear(&err);
	*config = NULL;
	f->c.config = NULL;
	rc = mlp_deploy_get(ctx->db, f->c.name, &cur, &err);
	if (rc < 0 && rc != MLP_ENOTFOUND)
		return mlp_fail(ctx, &err);
	if ((rc = mlp_deploy_plan(&cur, &f->c, next, &f->changed, &err)) < 0) {
		int code = mlp_fail(ctx, &err);

		if (rc == MLP_ENOTFOUND && f->c.action == MLP_DEPLOY_CANARY)
			mlp_hint(ctx, "deploy a stable version first: mlp "
			    "deploy models:/%s/VERSION%s%s", f->c.model,
			    strcmp(f->c.name, f->c.model) ? " --name " : "",
			    strcmp(f->c.name, f->c.model) ? f->c.name : "");
		else if (rc == MLP_ENOTFOUND)
			mlp_hint(ctx, "'mlp deploy list' lists this "
			    "repository's deployments; a remote mlp serve's "
			    "need --target http://HOST:PORT");
		else if (strstr(err.msg, "serves model"))
			mlp_hint(ctx, "give another --name, or remove it first "
			    "(mlp deploy rm %s)", f->c.name);
		mlp_deployment_release(&cur);
		return code;
	}
	if ((rc = mlp_deploy_next_generation(ctx->db, f->c.name,
	    &next->generation, &err)) < 0 ||
	    (rc = mlp_deploy_target_find(next->target, target, &err)) < 0 ||
	    (rc = (*target)->configure(&f->to, next, config, &err)) < 0) {
		mlp_deployment_release(&cur);
		mlp_deployment_release(next);
		return mlp_fail(ctx, &err);
	}
	/* new target settings (a storage URI) are a change of their own */
	if (!f->changed && cur.name && strcmp(cur.config, *config) != 0)
		f->changed = 1;
	mlp_deployment_release(&cur);
	free(next->config);
	next->config = xstrdup(*config);
	f->c.config = *config;
	if (f->wait && !(*target)->waits) {
		mlp_deployment_release(next);
		return mlp_usage_error(ctx, "--wait watches this repository's "
		    "servers: target %s has none", (*target)->name);
	}
	return 0;
}

/* Says why the lock could not be had: exit 4 when another holds it. */
static int
lock_failed(struct mlp_ctx *ctx, const struct flow *f,
    const struct mlp_deploy_holder *h, const struct mlp_err *err)
{
	if (err->code == MLP_ELOCKED && h->pid) {
		mlp_failf(ctx, MLP_DEPLOY_EXIT_LOCKED, "%s", err->msg);
		if (f->wait_lock)
			mlp_hint(ctx, "it is still held after --timeout");
		else
			mlp_hint(ctx, "--wait-lock waits until it is free");
		return MLP_DEPLOY_EXIT_LOCKED;
	}
	return mlp_fail(ctx, err);
}

/* Loads the version as a server would, and checks the gates. */
static int
check_version(struct mlp_ctx *ctx, struct flow *f)
{
	struct mlp_store *st;
	struct mlp_model *m = NULL;
	struct mlp_err err;
	char *why = NULL;
	int rc;

	mlp_err_clear(&err);
	if ((rc = mlp_ctx_store(ctx, &st)) != 0)
		return rc;
	if (mlp_registry_load_model(ctx->db, st, f->uri, &m, &err) < 0) {
		rc = mlp_failf(ctx, 1, "%s cannot be served: %s", f->uri,
		    err.msg);
		mlp_hint(ctx, "'mlp predict %s' shows the same error", f->uri);
		return rc;
	}
	mlp_model_free(m);
	if (stop_signal)
		return 1;
	rc = mlp_deploy_gates_check(ctx->db, f->gates, f->run_uuid, &why, &err);
	if (rc < 0)
		return mlp_fail(ctx, &err);
	if (rc == 0) {
		mlp_failf(ctx, MLP_DEPLOY_EXIT_GATE, "%s: %s", f->uri, why);
		free(why);
		return MLP_DEPLOY_EXIT_GATE;
	}
	return 0;
}

/* After a failed --wait: the state before, in one transaction. */
static int
roll_back(struct mlp_ctx *ctx, struct flow *f, const char *why)
{
	struct mlp_deploy_change c = { 0 };
	struct mlp_deployment restored = { 0 };
	struct mlp_err err;
	int changed;

	mlp_err_clear(&err);
	c.action = MLP_DEPLOY_AUTO_ROLLBACK;
	c.name = f->c.name;
	c.restore = &f->before;
	c.undo_generation = f->after.generation;
	c.user = f->c.user;
	c.detail = why;
	if ((f->remote ? mlp_deploy_remote_change(f->remote, &c, NULL,
	    &restored, &changed, &err) : mlp_deploy_commit(ctx->db, &c, NULL,
	    &restored, &changed, &err)) < 0) {
		mlp_failf(ctx, 1, "%s; and rolling back failed: %s", why,
		    err.msg);
		return 1;
	}
	mlp_deployment_release(&f->after);
	f->after = restored;
	f->rolled_back = 1;
	return 0;
}

/* --wait: until every live server serves the change (this repository's,
 * or the remote server's repository's); rolled back when one cannot load
 * it or time runs out (exit 5). */
static int
wait_servers(struct mlp_ctx *ctx, struct flow *f)
{
	int64_t timeout = f->timeout_ms >= 0 ? f->timeout_ms : WAIT_DEFAULT_MS;
	/* the version the change brings in: a deploy's, else (promote,
	 * rollback) the stable one it leaves */
	int64_t version = f->c.version ? f->c.version : f->after.stable;
	struct mlp_err err;
	int rc;

	mlp_err_clear(&err);
	if (f->remote)
		rc = mlp_deploy_remote_wait(f->remote, f->c.name,
		    f->after.generation, version, timeout, stop_requested,
		    NULL, &f->w, &err);
	else
		rc = mlp_deploy_wait(ctx->db, f->c.name, f->after.generation,
		    version, timeout, stop_requested, NULL, &f->w, &err);
	if (rc == 0) {
		if (f->w.servers == 0)
			mlp_info(ctx, "no server is running: nothing to wait "
			    "for");
		else
			mlp_info(ctx, "%zu server%s serve%s generation %lld",
			    f->w.servers, f->w.servers == 1 ? "" : "s",
			    f->w.servers == 1 ? "s" : "", (long long)
			    f->after.generation);
	} else if (f->w.failed || rc == MLP_EINTR) {
		char *why = f->w.failed ? xstrdup(f->w.why) :
		    xasprintf("stopped by signal %d while waiting for the "
		    "servers", (int)stop_signal);

		if ((rc = roll_back(ctx, f, why)) == 0) {
			mlp_failf(ctx, MLP_DEPLOY_EXIT_ROLLED_BACK, "rolled "
			    "back deployment '%s' to %s: %s", f->c.name,
			    f->after.stable ? "its state before" : "nothing "
			    "(it was new)", why);
			rc = MLP_DEPLOY_EXIT_ROLLED_BACK;
		}
		free(why);
	} else {
		rc = mlp_fail(ctx, &err);
	}
	return rc;
}

/* Runs f: the lock, the checks, the target, the commit, --wait. */
static int
run_flow(struct mlp_ctx *ctx, struct flow *f)
{
	const struct mlp_deploy_target *target = NULL;
	struct mlp_deployment next = { 0 };
	struct mlp_deploy_holder h;
	struct mlp_err err;
	char *config = NULL, *note = NULL;
	int rc;

	mlp_err_clear(&err);
	/* what can be refused is refused before anything is taken */
	if ((rc = plan(ctx, f, &next, &target, &config)) != 0)
		goto out;
	if (!f->changed)
		goto unchanged;
	catch_stops();
	if (mlp_deploy_lock_wait(ctx->db, f->c.name, f->c.user, f->wait_lock ?
	    f->timeout_ms : 0, stop_requested, NULL, &h, &err) < 0) {
		rc = err.code == MLP_EINTR ? 1 : lock_failed(ctx, f, &h, &err);
		goto out;
	}
	f->locked = 1;
	if (h.taken_over)
		mlp_info(ctx, "took over the lock of deployment '%s' from "
		    "%s@%s pid %lld, which is gone", f->c.name, h.user, h.host,
		    (long long)h.pid);
	/* the state may have changed while the lock was awaited */
	mlp_deployment_release(&next);
	free(config);
	if ((rc = plan(ctx, f, &next, &target, &config)) != 0)
		goto out;
	if (!f->changed)
		goto unchanged;
	if (f->uri && ((rc = check_version(ctx, f)) != 0 || stop_signal))
		goto out;
	if (target->apply(&f->to, &next, &note, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (note)
		mlp_info(ctx, "%s", note);
	if (stop_signal)
		goto out;
	if (mlp_deploy_commit(ctx->db, &f->c, &f->before, &f->after,
	    &f->changed, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (f->wait)
		rc = wait_servers(ctx, f);
	goto out;
unchanged:
	rc = 0;
	mlp_deployment_release(&f->after);
	mlp_deploy_get(ctx->db, f->c.name, &f->after, &err);
out:
	if (f->locked) {
		struct mlp_err uerr;

		mlp_err_clear(&uerr);
		if (mlp_deploy_unlock(ctx->db, f->c.name, &uerr) < 0 && rc == 0)
			rc = mlp_fail(ctx, &uerr);
		f->locked = 0;
	}
	if (stop_signal && rc == 0)
		rc = 1;
	mlp_deployment_release(&next);
	free(config);
	free(note);
	return rc;
}

/* The token of a remote target: MLP_DEPLOY_TOKEN, else the config's
 * deploy.token (the environment wins: a CI job sets it for one run). NULL
 * when neither is set. */
static char *
deploy_token(struct mlp_ctx *ctx)
{
	const char *env = getenv("MLP_DEPLOY_TOKEN");
	struct mlp_err err;
	char *v = NULL;

	if (env && *env)
		return xstrdup(env);
	mlp_err_clear(&err);
	if (mlp_config_get(ctx->repo, "deploy.token", &v, &err) < 0)
		return NULL;
	return v;
}

/* Prints a remote target's error, with what the user can do. */
static int
remote_fail(struct mlp_ctx *ctx, struct mlp_deploy_remote *r,
    const struct mlp_err *err)
{
	long status = r ? mlp_deploy_remote_status(r) : 0;
	int rc = mlp_fail(ctx, err);

	if (status == 401 || status == 403)
		mlp_hint(ctx, "set MLP_DEPLOY_TOKEN (or the config's "
		    "deploy.token) to the token of the server's --token-file");
	else if (status == 404 && strstr(err->msg, "--token-file"))
		mlp_hint(ctx, "start mlp serve there with --token-file FILE");
	else if (status == 404)
		mlp_hint(ctx, "'mlp deploy list --target %s' lists the "
		    "deployments there", mlp_deploy_remote_url(r));
	else if (status == 413)
		mlp_hint(ctx, "the version's export is larger than the "
		    "server takes: start mlp serve there with a larger "
		    "--max-body");
	else if (r && status == 0 && strstr(err->msg, "cannot reach"))
		mlp_hint(ctx, "is mlp serve running there, listening on that "
		    "address (--host, --port)?");
	return rc;
}

/* Opens target url, a remote mlp serve's admin API. */
static int
remote_open(struct mlp_ctx *ctx, const char *url,
    struct mlp_deploy_remote **r)
{
	char *token = deploy_token(ctx);
	struct mlp_err err;
	int rc;

	mlp_err_clear(&err);
	rc = mlp_deploy_remote_open(r, url, token, &err);
	if (token)
		explicit_bzero(token, strlen(token));
	free(token);
	if (rc < 0)
		return mlp_fail(ctx, &err);
	return 0;
}

/* Runs f on an http:// target: the checks here (the version loads, the
 * gates hold against its run in this repository), the version sent with
 * its objects, the change made there (its lock, its history), --wait on
 * its servers. Nothing is recorded in this repository. */
static int
run_remote(struct mlp_ctx *ctx, struct flow *f, const char *url,
    const struct mlp_model_version *mv)
{
	const struct mlp_deploy_target *target;
	struct mlp_deploy_holder h;
	struct mlp_deployment probe = { 0 };
	struct mlp_store *st;
	struct mlp_err err;
	int64_t start = mlp_now_ms();
	char *config = NULL;
	int rc, created = 0;

	mlp_err_clear(&err);
	probe.target = (char *)url;
	if (mlp_deploy_target_find(url, &target, &err) < 0 ||
	    target->configure(&f->to, &probe, &config, &err) < 0)
		return mlp_fail(ctx, &err);
	free(config);
	if ((rc = remote_open(ctx, url, &f->remote)) != 0)
		return rc;
	catch_stops();
	if (mv) {
		if ((rc = check_version(ctx, f)) != 0 || stop_signal)
			goto out;
		if ((rc = mlp_ctx_store(ctx, &st)) != 0)
			goto out;
		if (mlp_deploy_remote_push(f->remote, st, mv, f->c.user,
		    &created, &err) < 0) {
			rc = remote_fail(ctx, f->remote, &err);
			goto out;
		}
		if (created)
			mlp_info(ctx, "sent models:/%s/%lld to %s", mv->name,
			    (long long)mv->version, url);
	}
	for (;;) {
		mlp_deployment_release(&f->after);
		rc = mlp_deploy_remote_change(f->remote, &f->c, &h, &f->after,
		    &f->changed, &err);
		if (rc != MLP_ELOCKED || !f->wait_lock || !h.pid ||
		    stop_signal || (f->timeout_ms >= 0 &&
		    mlp_now_ms() - start >= f->timeout_ms))
			break;
		usleep(200000);
	}
	if (rc < 0) {
		rc = rc == MLP_ELOCKED ? lock_failed(ctx, f, &h, &err) :
		    remote_fail(ctx, f->remote, &err);
		goto out;
	}
	rc = 0;
	if (f->wait && f->changed)
		rc = wait_servers(ctx, f);
out:
	if (stop_signal && rc == 0)
		rc = 1;
	return rc;
}

/* What a change did, for people (stderr) or scripts (stdout). */
static void
report(struct mlp_ctx *ctx, const struct flow *f)
{
	const struct mlp_deployment *d = &f->after;

	if (ctx->json) {
		cJSON *o;

		if (!d->name)
			return;
		o = deployment_json(d);
		cJSON_AddStringToObject(o, "action",
		    mlp_deploy_action_name(f->rolled_back ?
		    MLP_DEPLOY_AUTO_ROLLBACK : f->c.action));
		cJSON_AddBoolToObject(o, "changed", f->changed);
		if (f->wait)
			cJSON_AddNumberToObject(o, "servers",
			    (double)f->w.servers);
		else
			cJSON_AddNullToObject(o, "servers");
		cJSON_AddBoolToObject(o, "rolled_back", f->rolled_back);
		if (f->rolled_back)
			cJSON_AddStringToObject(o, "reason", f->w.why ?
			    f->w.why : "stopped");
		else
			cJSON_AddNullToObject(o, "reason");
		mlp_print_json(o);
		return;
	}
	if (!d->name || f->rolled_back)
		return;
	if (!f->changed) {
		char *s = state_text(d);

		mlp_info(ctx, "deployment '%s' already serves %s: nothing to "
		    "change", d->name, s);
		free(s);
	} else if (f->c.action == MLP_DEPLOY_RM) {
		mlp_info(ctx, "removed deployment '%s' (its history stays)",
		    d->name);
	} else {
		char *s = state_text(d);

		mlp_info(ctx, "deployment '%s' now serves %s (generation "
		    "%lld)", d->name, s, (long long)d->generation);
		free(s);
	}
}

/* create (the default verb) */

static const struct mlp_opt create_opts[] = {
	{ O_NAME, 'n', "name", "DEPLOYMENT", "the deployment (default: the "
	    "model's name)" },
	{ O_TARGET, 't', "target", "TARGET", "where it runs: local (mlp serve "
	    "on this repository, the default), kserve, or http://HOST:PORT (a "
	    "remote mlp serve's admin API)" },
	{ O_CANARY, 'c', "canary", "PCT", "serve the version to PCT% of "
	    "requests beside the stable one (0 < PCT < 100)" },
	{ O_REQUIRE, 'r', "require", "EXPR", "a run filter the version's "
	    "training run must match (repeatable), such as "
	    "\"metrics.auc >= 0.85\"" },
	{ O_WAIT, 'w', "wait", NULL, "wait until every live server serves "
	    "it; roll back if one cannot load it or time runs out" },
	{ O_TIMEOUT, 0, "timeout", "SECONDS", "how long --wait and "
	    "--wait-lock wait (--wait: 60 by default)" },
	{ O_WAIT_LOCK, 0, "wait-lock", NULL, "wait while another deploy of "
	    "the deployment runs, instead of failing" },
	{ O_OUTPUT, 'o', "output", "FILE", "kserve: write the InferenceService "
	    "to FILE (else kubectl apply)" },
	{ O_KSERVE_VERSION, 0, "kserve-version", "X.Y", "kserve: the "
	    "cluster's KServe version, such as 0.11" },
	{ O_KSERVE_MODE, 0, "kserve-mode", "serverless|raw", "kserve: the "
	    "deployment mode (default serverless)" },
	{ O_STORAGE_URI, 0, "storage-uri", "STORAGE", "kserve: where the "
	    "cluster finds the version's files (s3://..., gs://..., pvc://...)"
	    },
	{ 0, 0, NULL, NULL, NULL },
};

static int
deploy_create(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct flow f = { 0 };
	struct mlp_model_version *mv = NULL;
	struct mlp_model_uri u = { 0 };
	struct mlp_strv req = MLP_STRV_INIT;
	struct mlp_buf detail = MLP_BUF_INIT;
	const struct mlp_deploy_target *target;
	struct mlp_err err;
	char *user = mlp_track_user(ctx->repo), *uri = NULL;
	const char *name = NULL, *canary = NULL, *timeout = NULL;
	int r, rc = 0;

	mlp_err_clear(&err);
	f.timeout_ms = -1;
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		switch (r) {
		case O_NAME:
			name = p.arg;
			continue;
		case O_TARGET:
			f.c.target = p.arg;
			continue;
		case O_CANARY:
			canary = p.arg;
			continue;
		case O_REQUIRE:
			mlp_strv_push(&req, p.arg);
			continue;
		case O_WAIT:
			f.wait = 1;
			continue;
		case O_TIMEOUT:
			timeout = p.arg;
			continue;
		case O_WAIT_LOCK:
			f.wait_lock = 1;
			continue;
		case O_OUTPUT:
			f.to.output = p.arg;
			continue;
		case O_KSERVE_VERSION:
			f.to.kserve_version = p.arg;
			continue;
		case O_KSERVE_MODE:
			f.to.kserve_mode = p.arg;
			continue;
		case O_STORAGE_URI:
			f.to.storage_uri = p.arg;
			continue;
		}
		rc = OPT_EXIT(r);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 1, 1)) != 0)
		goto out;
	f.c.action = MLP_DEPLOY_SET;
	if (canary) {
		if ((rc = parse_pct(ctx, canary, &f.c.canary_pct)) != 0)
			goto out;
		f.c.action = MLP_DEPLOY_CANARY;
	}
	if (timeout && (rc = parse_timeout(ctx, timeout, &f.timeout_ms)) != 0)
		goto out;
	if (timeout && !f.wait && !f.wait_lock) {
		rc = mlp_usage_error(ctx, "--timeout is for --wait and "
		    "--wait-lock");
		goto out;
	}
	if (mlp_deploy_gates_parse(req.v, req.n, &f.gates, &err) < 0 ||
	    (f.c.target && mlp_deploy_target_find(f.c.target, &target,
	    &err) < 0) ||
	    (name && mlp_deploy_check_name(name, &err) < 0) ||
	    mlp_model_uri_parse(p.pos[0], &u, &err) < 0 ||
	    mlp_registry_resolve(ctx->db, &u, &mv, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (strcmp(mv->lifecycle, "active") != 0) {
		rc = mlp_failf(ctx, 1, "models:/%s/%lld is deleted", mv->name,
		    (long long)mv->version);
		goto out;
	}
	uri = xasprintf("models:/%s/%lld", mv->name, (long long)mv->version);
	f.uri = uri;
	f.run_uuid = mv->run_uuid;
	f.c.name = name ? name : mv->name;
	f.c.model = mv->name;
	f.c.version = mv->version;
	f.c.user = user;
	/* the history says what was asked for and what was checked */
	mlp_buf_adds(&detail, p.pos[0]);
	for (size_t i = 0; i < req.n; i++)
		mlp_buf_addf(&detail, "; require %s", req.v[i]);
	f.c.detail = detail.s;
	if (f.c.target && target->remote)
		rc = run_remote(ctx, &f, f.c.target, mv);
	else
		rc = run_flow(ctx, &f);
	if (rc == 0 || rc == MLP_DEPLOY_EXIT_ROLLED_BACK)
		report(ctx, &f);
out:
	mlp_deploy_remote_free(f.remote);
	mlp_deploy_gates_free(f.gates);
	mlp_deployment_release(&f.before);
	mlp_deployment_release(&f.after);
	free(f.w.why);
	mlp_model_version_free(mv);
	mlp_model_uri_release(&u);
	mlp_strv_release(&req);
	mlp_buf_release(&detail);
	free(uri);
	free(user);
	mlp_opt_release(&p);
	die_of_stop();
	return rc;
}

/* promote, rollback, rm */

/* --target on the verbs that act on a deployment: only a remote one */
#define REMOTE_OPT { O_TARGET, 't', "target", "TARGET", "http://HOST:PORT: " \
	"a deployment of that remote mlp serve (default: local, this " \
	"repository's)" }

static const struct mlp_opt change_opts[] = {
	REMOTE_OPT,
	{ O_WAIT, 'w', "wait", NULL, "wait until every live server serves "
	    "the change; if one cannot, or the time runs out, undo it "
	    "(exit 5)" },
	{ O_WAIT_LOCK, 0, "wait-lock", NULL, "wait while another deploy of "
	    "the deployment runs, instead of failing" },
	{ O_TIMEOUT, 0, "timeout", "SECONDS", "how long --wait and "
	    "--wait-lock wait (--wait: 60 by default)" },
	{ O_OUTPUT, 'o', "output", "FILE", "kserve: write the InferenceService "
	    "to FILE (else kubectl apply)" },
	{ 0, 0, NULL, NULL, NULL },
};

static const struct mlp_opt rm_opts[] = {
	REMOTE_OPT,
	{ O_WAIT_LOCK, 0, "wait-lock", NULL, "wait while another deploy of "
	    "the deployment runs, instead of failing" },
	{ O_TIMEOUT, 0, "timeout", "SECONDS", "how long --wait-lock waits" },
	{ 0, 0, NULL, NULL, NULL },
};

/* --target of the verbs that act on deployments: a remote mlp serve
 * (*remote set), or local, the default (this repository's deployments,
 * whose targets are recorded). */
static int
remote_target(struct mlp_ctx *ctx, const char *url, int *remote)
{
	const struct mlp_deploy_target *t;
	struct mlp_err err;

	mlp_err_clear(&err);
	*remote = 0;
	if (mlp_deploy_target_find(url, &t, &err) < 0)
		return mlp_fail(ctx, &err);
	if (!t->remote && strcmp(url, "local") != 0)
		return mlp_usage_error(ctx, "--target '%s': this repository's "
		    "deployments are found by name, whatever their target; "
		    "--target names a remote mlp serve (http://HOST:PORT)",
		    url);
	*remote = t->remote;
	return 0;
}

static int
change(struct mlp_ctx *ctx, int argc, char **argv,
    enum mlp_deploy_action action)
{
	struct mlp_optparse p;
	struct flow f = { 0 };
	struct mlp_err err;
	char *user = mlp_track_user(ctx->repo);
	const char *timeout = NULL, *url = NULL;
	int r, rc = 0, remote = 0;

	mlp_err_clear(&err);
	f.timeout_ms = -1;
	mlp_opt_init(&p, ctx, argc, argv);
	while ((r = mlp_opt_next(&p)) != 0) {
		switch (r) {
		case O_TARGET:
			url = p.arg;
			continue;
		case O_WAIT:
			f.wait = 1;
			continue;
		case O_WAIT_LOCK:
			f.wait_lock = 1;
			continue;
		case O_TIMEOUT:
			timeout = p.arg;
			continue;
		case O_OUTPUT:
			f.to.output = p.arg;
			continue;
		}
		rc = OPT_EXIT(r);
		goto out;
	}
	if ((rc = usage_args(ctx, &p, 1, 1)) != 0)
		goto out;
	if (timeout && (rc = parse_timeout(ctx, timeout, &f.timeout_ms)) != 0)
		goto out;
	if (timeout && !f.wait && !f.wait_lock) {
		rc = mlp_usage_error(ctx, "--timeout is for --wait and "
		    "--wait-lock");
		goto out;
	}
	if (mlp_deploy_check_name(p.pos[0], &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (url && (rc = remote_target(ctx, url, &remote)) != 0)
		goto out;
	f.c.action = action;
	f.c.name = p.pos[0];
	f.c.user = user;
	rc = remote ? run_remote(ctx, &f, url, NULL) : run_flow(ctx, &f);
	if (rc == 0)
		report(ctx, &f);
out:
	mlp_deploy_remote_free(f.remote);
	mlp_deployment_release(&f.before);
	mlp_deployment_release(&f.after);
	free(f.w.why);
	free(user);
	mlp_opt_release(&p);
	die_of_stop();
	return rc;
}

static int
deploy_promote(struct mlp_ctx *ctx, int argc, char **argv)
{
	return change(ctx, argc, argv, MLP_DEPLOY_PROMOTE);
}

static int
deploy_rollback(struct mlp_ctx *ctx, int argc, char **argv)
{
	return change(ctx, argc, argv, MLP_DEPLOY_ROLLBACK);
}

static int
deploy_rm(struct mlp_ctx *ctx, int argc, char **argv)
{
	return change(ctx, argc, argv, MLP_DEPLOY_RM);
}

/* list */

static const struct mlp_opt remote_opts[] = {
	REMOTE_OPT,
	{ 0, 0, NULL, NULL, NULL },
};

/* Parses the options of list, status and history: --target, into *r. */
static int
read_opts(struct mlp_ctx *ctx, struct mlp_optparse *p,
    struct mlp_deploy_remote **r)
{
	const char *url = NULL;
	int o, rc, remote = 0;

	*r = NULL;
	while ((o = mlp_opt_next(p)) != 0) {
		if (o == O_TARGET) {
			url = p->arg;
			continue;
		}
		return OPT_EXIT(o);
	}
	if (url && (rc = remote_target(ctx, url, &remote)) != 0)
		return rc;
	if (remote && (rc = remote_open(ctx, url, r)) != 0)
		return rc;
	return 0;
}

static int
deploy_list(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_deployment *d = NULL;
	struct mlp_deploy_remote *rem = NULL;
	struct mlp_err err;
	size_t n = 0;
	int rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	if ((rc = read_opts(ctx, &p, &rem)) != 0 ||
	    (rc = usage_args(ctx, &p, 0, 0)) != 0)
		goto out;
	if (rem ? mlp_deploy_remote_list(rem, &d, &n, NULL, NULL, &err) < 0 :
	    mlp_deploy_list(ctx->db, &d, &n, &err) < 0) {
		rc = rem ? remote_fail(ctx, rem, &err) : mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *a = cJSON_CreateArray();

		for (size_t i = 0; i < n; i++)
			cJSON_AddItemToArray(a, deployment_json(&d[i]));
		mlp_print_json(a);
	} else {
		static const char *const hdr[] = { "NAME", "MODEL", "STABLE",
			"CANARY", "PREVIOUS", "TARGET", "GEN", "UPDATED" };
		struct mlp_table t;

		mlp_table_init(&t, 8, hdr);
		t.right[2] = t.right[4] = t.right[6] = 1;
		for (size_t i = 0; i < n; i++) {
			char st[32], ca[96], pr[32], gen[32], upd[32], pct[80];
			const char *row[8] = { d[i].name, d[i].model, st, ca,
				pr, d[i].target, gen, upd };

			snprintf(st, sizeof(st), "%lld", (long long)d[i].stable);
			fmt_pct(pct, sizeof(pct), d[i].canary_pct);
			if (d[i].canary)
				snprintf(ca, sizeof(ca), "%lld (%s)",
				    (long long)d[i].canary, pct);
			else
				snprintf(ca, sizeof(ca), "-");
			snprintf(pr, sizeof(pr), d[i].previous ? "%lld" : "-",
			    (long long)d[i].previous);
			snprintf(gen, sizeof(gen), "%lld",
			    (long long)d[i].generation);
			mlp_fmt_time(d[i].updated, upd, sizeof(upd));
			mlp_table_add(&t, row);
		}
		mlp_table_print(ctx, &t);
		mlp_table_release(&t);
	}
out:
	mlp_deploy_remote_free(rem);
	mlp_deployments_free(d, n);
	mlp_opt_release(&p);
	return rc;
}

/* status */

/* Whether d's target has servers that report what they serve: mlp serve
 * on this repository, or on an http:// target's. */
static int
has_servers(const struct mlp_deployment *d)
{
	return strcmp(d->target, "local") == 0 ||
	    strncmp(d->target, "http://", 7) == 0 ||
	    strncmp(d->target, "https://", 8) == 0;
}

/* Whether a server's view is at the deployment's generation. */
static int
view_ready(const struct mlp_server_view *v, const struct mlp_deployment *d)
{
	return v->routed && v->generation >= d->generation;
}

static const char *
view_state(const struct mlp_server_view *v, const struct mlp_deployment *d)
{
	if (view_ready(v, d))
		return "ready";
	if (v->failed && v->failed_generation >= d->generation)
		return "failed";
	return v->routed ? "behind" : "loading";
}

static cJSON *
server_json(const struct mlp_server *s, const struct mlp_server_view *v,
    const struct mlp_deployment *d)
{
	cJSON *o = cJSON_CreateObject(), *x;

	cJSON_AddNumberToObject(o, "id", (double)s->id);
	cJSON_AddStringToObject(o, "url", s->url);
	cJSON_AddStringToObject(o, "host", s->host);
	cJSON_AddNumberToObject(o, "pid", (double)s->pid);
	cJSON_AddNumberToObject(o, "started", (double)s->started);
	cJSON_AddNumberToObject(o, "seen", (double)s->seen);
	cJSON_AddStringToObject(o, "state", view_state(v, d));
	if (v->routed) {
		x = cJSON_AddObjectToObject(o, "routes");
		cJSON_AddNumberToObject(x, "generation",
		    (double)v->generation);
		add_version(x, "stable", v->stable);
		add_version(x, "canary", v->canary);
		cJSON_AddNumberToObject(x, "canary_pct", v->canary ?
		    v->canary_pct : 0);
	} else {
		cJSON_AddNullToObject(o, "routes");
	}
	x = cJSON_AddArrayToObject(o, "loaded");
	for (size_t i = 0; i < v->nloaded; i++)
		cJSON_AddItemToArray(x, cJSON_CreateNumber(
		    (double)v->loaded[i]));
	if (v->failed) {
		x = cJSON_AddObjectToObject(o, "failed");
		cJSON_AddNumberToObject(x, "version",
		    (double)v->failed_version);
		cJSON_AddNumberToObject(x, "generation",
		    (double)v->failed_generation);
		cJSON_AddStringToObject(x, "error", v->error);
	} else {
		cJSON_AddNullToObject(o, "failed");
	}
	x = cJSON_AddObjectToObject(o, "requests");
	for (size_t i = 0; i < v->nrequests; i++) {
		char k[32];

		snprintf(k, sizeof(k), "%lld", (long long)v->request_versions[i]);
		cJSON_AddNumberToObject(x, k, (double)v->request_counts[i]);
	}
	return o;
}

/* The human lines of one server's view. */
static void
server_row(struct mlp_table *t, const struct mlp_server *s,
    const struct mlp_server_view *v, const struct mlp_deployment *d)
{
	char pid[32], gen[32], routes[128], pct[80];
	struct mlp_buf loaded = MLP_BUF_INIT, req = MLP_BUF_INIT;
	const char *row[8] = { s->url, s->host, pid, gen, routes, NULL, NULL,
		view_state(v, d) };

	snprintf(pid, sizeof(pid), "%lld", (long long)s->pid);
	snprintf(gen, sizeof(gen), v->routed ? "%lld" : "-",
	    (long long)v->generation);
	fmt_pct(pct, sizeof(pct), v->canary_pct);
	if (!v->routed)
		snprintf(routes, sizeof(routes), "-");
	else if (v->canary)
		snprintf(routes, sizeof(routes), "%lld, %lld (%s)",
		    (long long)v->stable, (long long)v->canary, pct);
	else
		snprintf(routes, sizeof(routes), "%lld", (long long)v->stable);
	for (size_t i = 0; i < v->nloaded; i++)
		mlp_buf_addf(&loaded, "%s%lld", i ? " " : "",
		    (long long)v->loaded[i]);
	for (size_t i = 0; i < v->nrequests; i++)
		mlp_buf_addf(&req, "%s%lld:%lld", i ? " " : "",
		    (long long)v->request_versions[i],
		    (long long)v->request_counts[i]);
	row[5] = loaded.len ? loaded.s : "-";
	row[6] = req.len ? req.s : "-";
	mlp_table_add(t, row);
	mlp_buf_release(&loaded);
	mlp_buf_release(&req);
}

static void
status_human(struct mlp_ctx *ctx, const struct mlp_deployment *d,
    const struct mlp_server *sv, size_t nsv)
{
	static const char *const hdr[] = { "SERVER", "HOST", "PID", "GEN",
		"ROUTES", "LOADED", "REQUESTS", "STATE" };
	char v[512], pct[80], upd[32];
	struct mlp_table t;
	size_t shown = 0;

	printf("deployment  %s\n", d->name);
	printf("model       %s\n", d->model);
	printf("target      %s\n", d->target);
	fmt_version(v, sizeof(v), d, d->stable);
	printf("stable      %s\n", v);
	if (d->canary) {
		fmt_version(v, sizeof(v), d, d->canary);
		fmt_pct(pct, sizeof(pct), d->canary_pct);
		printf("canary      %s, %s of requests\n", v, pct);
	} else {
		printf("canary      -\n");
	}
	fmt_version(v, sizeof(v), d, d->previous);
	printf("previous    %s\n", v);
	printf("generation  %lld\n", (long long)d->generation);
	mlp_fmt_time(d->updated, upd, sizeof(upd));
	printf("updated     %s%s%s\n", upd, d->updated_by[0] ? " by " : "",
	    d->updated_by);
	if (!has_servers(d)) {
		printf("servers     - (target %s)\n", d->target);
		return;
	}
	mlp_table_init(&t, 8, hdr);
	t.right[2] = t.right[3] = 1;
	for (size_t i = 0; i < nsv; i++) {
		struct mlp_server_view view;

		mlp_server_view_parse(sv[i].state, d->name, &view);
		server_row(&t, &sv[i], &view, d);
		shown++;
		mlp_server_view_release(&view);
	}
	if (!shown) {
		printf("servers     none running\n");
	} else {
		printf("servers     %zu live\n\n", shown);
		fflush(stdout);
		mlp_table_print(ctx, &t);
	}
	mlp_table_release(&t);
}

static cJSON *
status_json(const struct mlp_deployment *d, const struct mlp_server *sv,
    size_t nsv)
{
	cJSON *o = deployment_json(d), *a;

	cJSON_AddStringToObject(o, "state", d->canary ? "canary" : "stable");
	a = cJSON_AddArrayToObject(o, "servers");
	for (size_t i = 0; has_servers(d) && i < nsv; i++) {
		struct mlp_server_view view;

		mlp_server_view_parse(sv[i].state, d->name, &view);
		cJSON_AddItemToArray(a, server_json(&sv[i], &view, d));
		mlp_server_view_release(&view);
	}
	return o;
}

static int
deploy_status(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_deployment *d = NULL;
	struct mlp_deploy_remote *rem = NULL;
	struct mlp_server *sv = NULL;
	struct mlp_err err;
	size_t n = 0, nsv = 0;
	int rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	if ((rc = read_opts(ctx, &p, &rem)) != 0 ||
	    (rc = usage_args(ctx, &p, 0, 1)) != 0)
		goto out;
	if (rem && p.npos) {
		d = xcalloc(1, sizeof(*d));
		n = 1;
		if (mlp_deploy_remote_get(rem, p.pos[0], d, &sv, &nsv,
		    &err) < 0) {
			rc = remote_fail(ctx, rem, &err);
			goto out;
		}
	} else if (rem) {
		if (mlp_deploy_remote_list(rem, &d, &n, &sv, &nsv, &err) < 0) {
			rc = remote_fail(ctx, rem, &err);
			goto out;
		}
	} else if (p.npos) {
		d = xcalloc(1, sizeof(*d));
		n = 1;
		if (mlp_deploy_get(ctx->db, p.pos[0], d, &err) < 0) {
			rc = mlp_fail(ctx, &err);
			if (err.code == MLP_ENOTFOUND)
				mlp_hint(ctx, "'mlp deploy list' lists this "
				    "repository's deployments; a remote mlp "
				    "serve's need --target http://HOST:PORT");
			goto out;
		}
	} else if (mlp_deploy_list(ctx->db, &d, &n, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	/* the live servers that serve deployments (not only -m models) */
	if (!rem && mlp_deploy_servers(ctx->db, 1, &sv, &nsv, &err) < 0) {
		rc = mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *a = p.npos ? NULL : cJSON_CreateArray();

		for (size_t i = 0; i < n; i++) {
			cJSON *o = status_json(&d[i], sv, nsv);

			if (!a) {
				mlp_print_json(o);
				goto out;
			}
			cJSON_AddItemToArray(a, o);
		}
		mlp_print_json(a);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (i)
				printf("\n");
			status_human(ctx, &d[i], sv, nsv);
		}
	}
out:
	mlp_deploy_remote_free(rem);
	mlp_deployments_free(d, n);
	mlp_servers_free(sv, nsv);
	mlp_opt_release(&p);
	return rc;
}

/* history */

static int
deploy_history(struct mlp_ctx *ctx, int argc, char **argv)
{
	struct mlp_optparse p;
	struct mlp_deploy_event *ev = NULL;
	struct mlp_deploy_remote *rem = NULL;
	struct mlp_err err;
	size_t n = 0;
	int rc = 0;

	mlp_err_clear(&err);
	mlp_opt_init(&p, ctx, argc, argv);
	if ((rc = read_opts(ctx, &p, &rem)) != 0 ||
	    (rc = usage_args(ctx, &p, 1, 1)) != 0)
		goto out;
	if (rem ? mlp_deploy_remote_history(rem, p.pos[0], &ev, &n,
	    &err) < 0 : mlp_deploy_history(ctx->db, p.pos[0], &ev, &n,
	    &err) < 0) {
		rc = rem ? remote_fail(ctx, rem, &err) : mlp_fail(ctx, &err);
		goto out;
	}
	if (ctx->json) {
		cJSON *a = cJSON_CreateArray();

		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddNumberToObject(o, "id", (double)ev[i].id);
			cJSON_AddStringToObject(o, "deployment",
			    ev[i].deployment);
			cJSON_AddStringToObject(o, "action", ev[i].action);
			cJSON_AddStringToObject(o, "model", ev[i].model);
			cJSON_AddStringToObject(o, "target", ev[i].target);
			cJSON_AddNumberToObject(o, "generation",
			    (double)ev[i].generation);
			add_version(o, "stable", ev[i].stable);
			add_version(o, "canary", ev[i].canary);
			cJSON_AddNumberToObject(o, "canary_pct", ev[i].canary ?
			    ev[i].canary_pct : 0);
			add_version(o, "previous", ev[i].previous);
			cJSON_AddStringToObject(o, "user", ev[i].user);
			cJSON_AddStringToObject(o, "host", ev[i].host);
			cJSON_AddNumberToObject(o, "timestamp",
			    (double)ev[i].ts);
			cJSON_AddStringToObject(o, "detail", ev[i].detail);
			cJSON_AddItemToArray(a, o);
		}
		mlp_print_json(a);
	} else {
		static const char *const hdr[] = { "WHEN", "ACTION", "STABLE",
			"CANARY", "PREVIOUS", "GEN", "WHO", "DETAIL" };
		struct mlp_table t;

		mlp_table_init(&t, 8, hdr);
		t.right[2] = t.right[4] = t.right[5] = 1;
		for (size_t i = 0; i < n; i++) {
			char when[32], st[32], ca[96], pr[32], gen[32], pct[80];
			char *who = xasprintf("%s@%s", ev[i].user, ev[i].host);
			const char *row[8] = { when, ev[i].action, st, ca, pr,
				gen, who, ev[i].detail };

			mlp_fmt_time(ev[i].ts, when, sizeof(when));
			snprintf(st, sizeof(st), ev[i].stable ? "%lld" : "-",
			    (long long)ev[i].stable);
			fmt_pct(pct, sizeof(pct), ev[i].canary_pct);
			if (ev[i].canary)
				snprintf(ca, sizeof(ca), "%lld (%s)",
				    (long long)ev[i].canary, pct);
			else
				snprintf(ca, sizeof(ca), "-");
			snprintf(pr, sizeof(pr), ev[i].previous ? "%lld" : "-",
			    (long long)ev[i].previous);
			snprintf(gen, sizeof(gen), "%lld",
			    (long long)ev[i].generation);
			mlp_table_add(&t, row);
			free(who);
		}
		mlp_table_print(ctx, &t);
		mlp_table_release(&t);
	}
out:
	mlp_deploy_remote_free(rem);
	mlp_deploy_events_free(ev, n);
	mlp_opt_release(&p);
	return rc;
}

static const struct mlp_verb verbs[] = {
	{ "create", deploy_create, create_opts, "URI",
	    "Deploy a version: as the stable one, or with --canary beside it "
	    "(the default verb)" },
	{ "list", deploy_list, remote_opts, "",
	    "List the deployments: stable, canary, previous, target" },
	{ "status", deploy_status, remote_opts, "[DEPLOYMENT]",
	    "Show a deployment and what each live server serves of it" },
	{ "history", deploy_history, remote_opts, "DEPLOYMENT",
	    "Every change of a deployment: when, who, the state it left" },
	{ "promote", deploy_promote, change_opts, "DEPLOYMENT",
	    "Make the canary the stable version" },
	{ "rollback", deploy_rollback, change_opts, "DEPLOYMENT",
	    "Drop the canary, or else go back to the previous version" },
	{ "rm", deploy_rm, rm_opts, "DEPLOYMENT",
	    "Remove a deployment (its history stays)" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct mlp_command cmd_deploy = {
	.name = "deploy",
	.run = NULL,
	.setup = NEED_REPO,
	.summary = "Deploy model versions: canaries, gates, locks, rollback",
	.opts = NULL,
	.args = NULL,
	.verbs = verbs,
	.default_verb = "create",
};

/* Deployments: their state, the changes made to it and its history. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../registry/registry.h"
#include "internal.h"

int
mlp_deploy_check_name(const char *name, struct mlp_err *err)
{
	int rc = mlp_registry_check_name(name, err);

	/* the rule is the model name's; the message names what was given */
	if (rc < 0 && err && strncmp(err->msg, "model name", 10) == 0) {
		size_t len = strlen(err->msg);

		/* "model name" is 10 bytes, "deployment name" 15 */
		if (len + 5 >= sizeof(err->msg))
			len = sizeof(err->msg) - 6;
		memmove(err->msg + 15, err->msg + 10, len - 10);
		memcpy(err->msg, "deployment name", 15);
		err->msg[len + 5] = '\0';
	}
	return rc;
}

void
mlp_deployment_release(struct mlp_deployment *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->target);
	free(d->model);
	free(d->config);
	free(d->updated_by);
	memset(d, 0, sizeof(*d));
}

void
mlp_deployments_free(struct mlp_deployment *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mlp_deployment_release(&v[i]);
	free(v);
}

static void
deployment_copy(struct mlp_deployment *dst, const struct mlp_deployment *src)
{
	*dst = *src;
	dst->name = src->name ? xstrdup(src->name) : NULL;
	dst->target = src->target ? xstrdup(src->target) : NULL;
	dst->model = src->model ? xstrdup(src->model) : NULL;
	dst->config = src->config ? xstrdup(src->config) : NULL;
	dst->updated_by = src->updated_by ? xstrdup(src->updated_by) : NULL;
}

#define DEPLOY_COLS "d.name, d.target, m.name, d.stable, " \
	"coalesce(d.canary, 0), d.canary_pct, coalesce(d.previous, 0), " \
	"d.generation, d.config, d.created, d.updated, coalesce((SELECT " \
	"user FROM deployment_event e WHERE e.deployment = d.name ORDER BY " \
	"e.id DESC LIMIT 1), '') FROM deployment d JOIN model m ON m.id = " \
	"d.model"

static void
deployment_row(sqlite3_stmt *st, struct mlp_deployment *d)
{
	d->name = xstrdup(mlp_db_text(st, 0));
	d->target = xstrdup(mlp_db_text(st, 1));
	d->model = xstrdup(mlp_db_text(st, 2));
	d->stable = sqlite3_column_int64(st, 3);
	d->canary = sqlite3_column_int64(st, 4);
	d->canary_pct = sqlite3_column_double(st, 5);
	d->previous = sqlite3_column_int64(st, 6);
	d->generation = sqlite3_column_int64(st, 7);
	d->config = xstrdup(mlp_db_text(st, 8));
	d->created = sqlite3_column_int64(st, 9);
	d->updated = sqlite3_column_int64(st, 10);
	d->updated_by = xstrdup(mlp_db_text(st, 11));
}

int
mlp_deploy_get(struct mlp_db *db, const char *name, struct mlp_deployment *out,
    struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = mlp_check_utf8("deployment name", name, err)) < 0)
		return rc;
	if ((rc = mlp_db_prepare(db, &st, "SELECT " DEPLOY_COLS
	    " WHERE d.name = ?", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		deployment_row(st, out);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = mlp_err_set(err, MLP_ENOTFOUND, "no deployment '%s'",
		    name);
	} else {
		rc = mlp_db_error(db, err, "cannot read deployments");
	}
	sqlite3_finalize(st);
	return rc;
}

int
mlp_deploy_list(struct mlp_db *db, struct mlp_deployment **out, size_t *n,
    struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mlp_db_prepare(db, &st, "SELECT " DEPLOY_COLS
	    " ORDER BY d.name", err)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mlp_grow(out, &alloc, *n + 1, sizeof(**out));
		memset(&(*out)[*n], 0, sizeof(**out));
		deployment_row(st, &(*out)[(*n)++]);
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot read deployments");
	sqlite3_finalize(st);
	if (rc < 0) {
		mlp_deployments_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int
mlp_deploy_names(struct mlp_db *db, const char *prefix, int history,
    struct mlp_strv *out, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = mlp_db_prepare(db, &st, history ? "SELECT name FROM "
	    "deployment UNION SELECT deployment FROM deployment_event ORDER "
	    "BY 1" : "SELECT name FROM deployment ORDER BY name", err)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = mlp_db_text(st, 0);

		if (strncmp(s, prefix, strlen(prefix)) == 0)
			mlp_strv_push(out, s);
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot read deployments");
	sqlite3_finalize(st);
	return rc;
}

const char *
mlp_deploy_action_name(enum mlp_deploy_action a)
{
	switch (a) {
	case MLP_DEPLOY_SET:
		return "deploy";
	case MLP_DEPLOY_CANARY:
		return "canary";
	case MLP_DEPLOY_PROMOTE:
		return "promote";
	case MLP_DEPLOY_ROLLBACK:
		return "rollback";
	case MLP_DEPLOY_AUTO_ROLLBACK:
		return "auto-rollback";
	case MLP_DEPLOY_RM:
		return "rm";
	}
	return "?";
}

int
mlp_deploy_plan(const struct mlp_deployment *cur,
    const struct mlp_deploy_change *c, struct mlp_deployment *next,
    int *changed, struct mlp_err *err)
{
	const char *name = c->name;
	int rc;

	memset(next, 0, sizeof(*next));
	*changed = 1;
	if ((rc = mlp_deploy_check_name(name, err)) < 0)
		return rc;
	if (c->action == MLP_DEPLOY_AUTO_ROLLBACK) {
		if (!cur->name || cur->generation != c->undo_generation)
			return mlp_err_set(err, MLP_EFAIL, "deployment '%s' "
			    "changed since generation %lld: not rolled back",
			    name, (long long)c->undo_generation);
		if (c->restore && c->restore->name) {
			deployment_copy(next, c->restore);
		} else {
			/* it was new: it goes */
			deployment_copy(next, cur);
			next->stable = next->canary = next->previous = 0;
			next->canary_pct = 0;
		}
		next->generation = cur->generation;
		return 0;
	}
	if (!cur->name && c->action != MLP_DEPLOY_SET) {
		if (c->action == MLP_DEPLOY_CANARY)
			return mlp_err_set(err, MLP_ENOTFOUND, "no deployment "
			    "'%s' to add a canary to", name);
		return mlp_err_set(err, MLP_ENOTFOUND, "no deployment '%s'",
		    name);
	}
	if (c->action == MLP_DEPLOY_SET || c->action == MLP_DEPLOY_CANARY) {
		if (cur->name && strcmp(cur->model, c->model) != 0)
			return mlp_err_set(err, MLP_EFAIL, "deployment '%s' "
			    "serves model '%s', not '%s'", name, cur->model,
			    c->model);
		if (cur->name && c->target && strcmp(cur->target,
		    c->target) != 0)
			return mlp_err_set(err, MLP_EINVAL, "deployment '%s' "
			    "has target '%s', not '%s'", name, cur->target,
			    c->target);
		if (c->version <= 0)
			return mlp_err_set(err, MLP_EINVAL, "no version to "
			    "deploy");
	}
	if (c->action == MLP_DEPLOY_CANARY &&
	    (!(c->canary_pct > 0 && c->canary_pct < 100) ||
	    !isfinite(c->canary_pct)))
		return mlp_err_set(err, MLP_EINVAL, "canary share %g%% is not "
		    "between 0 and 100 (both excluded)", c->canary_pct);
	if (cur->name)
		deployment_copy(next, cur);
	else {
		next->name = xstrdup(name);
		next->target = xstrdup(c->target ? c->target : "local");
		next->model = xstrdup(c->model);
		next->config = xstrdup("{}");
	}
	if (c->config) {
		free(next->config);
		next->config = xstrdup(c->config);
	}
	switch (c->action) {
	case MLP_DEPLOY_SET:
		if (next->stable == c->version) {
			/* deploying the stable again only ends a canary */
			*changed = next->canary != 0 || (c->config &&
			    strcmp(c->config, cur->config) != 0);
		} else {
			next->previous = next->stable;
			next->stable = c->version;
		}
		next->canary = 0;
		next->canary_pct = 0;
		break;
	case MLP_DEPLOY_CANARY:
		if (next->stable == c->version) {
			rc = mlp_err_set(err, MLP_EFAIL, "version %lld is the "
			    "stable version of deployment '%s': a canary must "
			    "be another", (long long)c->version, name);
			goto fail;
		}
		*changed = next->canary != c->version ||
		    next->canary_pct != c->canary_pct ||
		    (c->config && strcmp(c->config, cur->config) != 0);
		next->canary = c->version;
		next->canary_pct = c->canary_pct;
		break;
	case MLP_DEPLOY_PROMOTE:
		if (!next->canary) {
			rc = mlp_err_set(err, MLP_EFAIL, "deployment '%s' has "
			    "no canary to promote", name);
			goto fail;
		}
		next->previous = next->stable;
		next->stable = next->canary;
		next->canary = 0;
		next->canary_pct = 0;
		break;
	case MLP_DEPLOY_ROLLBACK:
		if (next->canary) {
			next->canary = 0;
			next->canary_pct = 0;
		} else if (next->previous) {
			int64_t s = next->stable;

			next->stable = next->previous;
			next->previous = s;
		} else {
			rc = mlp_err_set(err, MLP_EFAIL, "deployment '%s' has "
			    "no canary and no previous version to roll back "
			    "to", name);
			goto fail;
		}
		break;
	case MLP_DEPLOY_RM:
		/* no version: the name, model and target stay for the
		 * history and the target */
		next->stable = next->canary = next->previous = 0;
		next->canary_pct = 0;
		break;
	case MLP_DEPLOY_AUTO_ROLLBACK:
		break;
	}
	return 0;
fail:
	mlp_deployment_release(next);
	return rc;
}

/* The version must be registered and not deleted. */
static int
check_version(struct mlp_db *db, int64_t model, const char *name,
    int64_t version, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = mlp_db_prepare(db, &st, "SELECT lifecycle FROM "
	    "model_version WHERE model = ? AND version = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, model);
	sqlite3_bind_int64(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = strcmp(mlp_db_text(st, 0), "active") == 0 ? 0 :
		    mlp_err_set(err, MLP_EFAIL, "models:/%s/%lld is deleted",
		    name, (long long)version);
	else if (rc == SQLITE_DONE)
		rc = mlp_err_set(err, MLP_ENOTFOUND, "no version %lld of model "
		    "'%s'", (long long)version, name);
	else
		rc = mlp_db_error(db, err, "cannot read model versions");
	sqlite3_finalize(st);
	return rc;
}

/* A number, or NULL for 0 (no version). */
static void
bind_version(sqlite3_stmt *st, int col, int64_t v)
{
	if (v)
		sqlite3_bind_int64(st, col, v);
	else
		sqlite3_bind_null(st, col);
}

/* The highest generation name ever had: its row's or its history's. */
static int
last_generation(struct mlp_db *db, const char *name, int64_t *gen,
    struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = mlp_db_prepare(db, &st, "SELECT max(coalesce((SELECT "
	    "max(generation) FROM deployment_event WHERE deployment = ?1), 0), "
	    "coalesce((SELECT generation FROM deployment WHERE name = ?1), "
	    "0))", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*gen = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = mlp_db_error(db, err, "cannot read deployments");
	}
	sqlite3_finalize(st);
	return rc;
}

int
mlp_deploy_next_generation(struct mlp_db *db, const char *name,
    int64_t *gen, struct mlp_err *err)
{
	int rc = last_generation(db, name, gen, err);

	if (rc == 0)
		(*gen)++;
	return rc;
}

static int
write_row(struct mlp_db *db, const struct mlp_deployment *cur,
    const struct mlp_deployment *next, int check, int64_t now,
    struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t model = 0;
	int rc;

	if (!next->stable) {
		if ((rc = mlp_db_prepare(db, &st, "DELETE FROM deployment "
		    "WHERE name = ?", err)) < 0)
			return rc;
		sqlite3_bind_text(st, 1, cur->name, -1, SQLITE_STATIC);
		rc = mlp_db_step(db, st, "cannot remove the deployment", err);
		sqlite3_finalize(st);
		return rc;
	}
	if ((rc = mlp_db_prepare(db, &st, "SELECT id FROM model WHERE name = ?",
	    err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, next->model, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		model = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (rc == SQLITE_DONE)
		return mlp_err_set(err, MLP_ENOTFOUND, "no model '%s'",
		    next->model);
	if (rc != SQLITE_ROW)
		return mlp_db_error(db, err, "cannot read models");
	/* a version deleted since it was checked is refused; what is
	 * already served stays servable, and an auto-rollback goes back to
	 * what was served */
	if (check && (next->stable != cur->stable || !cur->name) &&
	    (rc = check_version(db, model, next->model, next->stable,
	    err)) < 0)
		return rc;
	if (check && next->canary && next->canary != cur->canary &&
	    (rc = check_version(db, model, next->model, next->canary,
	    err)) < 0)
		return rc;
	if ((rc = mlp_db_prepare(db, &st, cur->name ?
	    "UPDATE deployment SET stable = ?2, canary = ?3, canary_pct = ?4, "
	    "previous = ?5, generation = ?6, config = ?7, updated = ?8 WHERE "
	    "name = ?1" :
	    "INSERT INTO deployment (name, stable, canary, canary_pct, "
	    "previous, generation, config, updated, created, target, model) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10)", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, next->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, next->stable);
	bind_version(st, 3, next->canary);
	sqlite3_bind_double(st, 4, next->canary_pct);
	bind_version(st, 5, next->previous);
	sqlite3_bind_int64(st, 6, next->generation);
	sqlite3_bind_text(st, 7, next->config, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now);
	if (!cur->name) {
		sqlite3_bind_text(st, 9, next->target, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 10, model);
	}
	rc = mlp_db_step(db, st, "cannot write the deployment", err);
	sqlite3_finalize(st);
	return rc;
}

static int
write_event(struct mlp_db *db, const struct mlp_deploy_change *c,
    const struct mlp_deployment *cur, const struct mlp_deployment *next,
    int64_t generation, int64_t now, struct mlp_err *err)
{
	const struct mlp_deployment *d = next->stable ? next : cur;
	struct deploy_self me;
	sqlite3_stmt *st = NULL;
	int rc;

	deploy_self(&me);
	if ((rc = mlp_db_prepare(db, &st, "INSERT INTO deployment_event "
	    "(deployment, action, target, generation, model, stable, canary, "
	    "canary_pct, previous, user, host, ts, detail) VALUES (?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, mlp_deploy_action_name(c->action), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d->target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, generation);
	sqlite3_bind_text(st, 5, d->model, -1, SQLITE_STATIC);
	bind_version(st, 6, next->stable);
	bind_version(st, 7, next->canary);
	if (next->canary)
		sqlite3_bind_double(st, 8, next->canary_pct);
	else
		sqlite3_bind_null(st, 8);
	bind_version(st, 9, next->previous);
	sqlite3_bind_text(st, 10, c->user ? c->user : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, c->host ? c->host : me.host, -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, now);
	sqlite3_bind_text(st, 13, c->detail ? c->detail : "", -1,
	    SQLITE_STATIC);
	rc = mlp_db_step(db, st, "cannot record the change", err);
	sqlite3_finalize(st);
	return rc;
}

int
mlp_deploy_commit(struct mlp_db *db, const struct mlp_deploy_change *c,
    struct mlp_deployment *before, struct mlp_deployment *after,
    int *changed, struct mlp_err *err)
{
	struct mlp_deployment cur = { 0 }, next = { 0 };
	int64_t gen = 0, now = mlp_now_ms();
	int rc, ch = 0;

	if (before)
		memset(before, 0, sizeof(*before));
	if (after)
		memset(after, 0, sizeof(*after));
	if ((c->user && (rc = mlp_check_utf8("user", c->user, err)) < 0) ||
	    (c->host && (rc = mlp_check_utf8("host", c->host, err)) < 0) ||
	    (c->detail && (rc = mlp_check_utf8("detail", c->detail,
	    err)) < 0) || (rc = mlp_deploy_check_name(c->name, err)) < 0)
		return rc;
	if ((rc = mlp_db_begin(db, err)) < 0)
		return rc;
	if ((rc = deploy_lock_mine(db, c->name, err)) <= 0) {
		if (rc == 0)
			rc = mlp_err_set(err, MLP_ELOCKED, "this process does "
			    "not hold the lock of deployment '%s'", c->name);
		goto out;
	}
	rc = mlp_deploy_get(db, c->name, &cur, err);
	if (rc < 0 && rc != MLP_ENOTFOUND)
		goto out;
	if ((rc = mlp_deploy_plan(&cur, c, &next, &ch, err)) < 0 || !ch)
		goto out;
	if ((rc = last_generation(db, c->name, &gen, err)) < 0)
		goto out;
	next.generation = gen + 1;
	if ((rc = write_row(db, &cur, &next, c->action !=
	    MLP_DEPLOY_AUTO_ROLLBACK, now, err)) < 0 ||
	    (rc = write_event(db, c, &cur, &next, next.generation, now,
	    err)) < 0)
		goto out;
	if (next.stable) {
		next.updated = now;
		if (!cur.name)
			next.created = now;
		free(next.updated_by);
		next.updated_by = xstrdup(c->user ? c->user : "");
	}
out:
	if (rc < 0 || !ch) {
		mlp_db_rollback(db);
	} else if ((rc = mlp_db_commit(db, err)) < 0) {
		ch = 0;
	}
	if (changed)
		*changed = ch;
	if (rc == 0 && before) {
		*before = cur;
		memset(&cur, 0, sizeof(cur));
	}
	if (rc == 0 && after) {
		*after = next;
		memset(&next, 0, sizeof(next));
	}
	mlp_deployment_release(&cur);
	mlp_deployment_release(&next);
	return rc;
}

void
mlp_deploy_events_free(struct mlp_deploy_event *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].deployment);
		free(v[i].action);
		free(v[i].target);
		free(v[i].model);
		free(v[i].user);
		free(v[i].host);
		free(v[i].detail);
	}
	free(v);
}

int
mlp_deploy_history(struct mlp_db *db, const char *name,
    struct mlp_deploy_event **out, size_t *n, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mlp_check_utf8("deployment name", name, err)) < 0)
		return rc;
	if ((rc = mlp_db_prepare(db, &st, "SELECT id, deployment, action, "
	    "target, model, generation, coalesce(stable, 0), coalesce(canary, "
	    "0), coalesce(previous, 0), coalesce(canary_pct, 0), user, host, "
	    "ts, detail FROM deployment_event WHERE deployment = ? ORDER BY id",
	    err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct mlp_deploy_event *e;

		mlp_grow(out, &alloc, *n + 1, sizeof(**out));
		e = &(*out)[(*n)++];
		e->id = sqlite3_column_int64(st, 0);
		e->deployment = xstrdup(mlp_db_text(st, 1));
		e->action = xstrdup(mlp_db_text(st, 2));
		e->target = xstrdup(mlp_db_text(st, 3));
		e->model = xstrdup(mlp_db_text(st, 4));
		e->generation = sqlite3_column_int64(st, 5);
		e->stable = sqlite3_column_int64(st, 6);
		e->canary = sqlite3_column_int64(st, 7);
		e->previous = sqlite3_column_int64(st, 8);
		e->canary_pct = sqlite3_column_double(st, 9);
		e->user = xstrdup(mlp_db_text(st, 10));
		e->host = xstrdup(mlp_db_text(st, 11));
		e->ts = sqlite3_column_int64(st, 12);
		e->detail = xstrdup(mlp_db_text(st, 13));
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot read the deployment history");
	sqlite3_finalize(st);
	if (rc == 0 && *n == 0)
		rc = mlp_err_set(err, MLP_ENOTFOUND, "no deployment '%s' (and "
		    "none by that name in the history)", name);
	if (rc < 0) {
		mlp_deploy_events_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/* What servers route: read by lib/serve (deploy.h). */

void
mlp_deploy_routes_free(struct mlp_deploy_route *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].model);
	}
	free(v);
}

int
mlp_deploy_routes(struct mlp_db *db, const char *target,
    struct mlp_deploy_route **out, size_t *n, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mlp_db_prepare(db, &st, "SELECT d.name, m.name, "
	    "d.generation, d.stable, s.oid, s.is_tree, coalesce(d.canary, 0), "
	    "coalesce(c.oid, ''), coalesce(c.is_tree, 0), d.canary_pct FROM "
	    "deployment d JOIN model m ON m.id = d.model JOIN model_version s "
	    "ON s.model = d.model AND s.version = d.stable LEFT JOIN "
	    "model_version c ON c.model = d.model AND c.version = d.canary "
	    "WHERE ?1 IS NULL OR d.target = ?1 ORDER BY d.name", err)) < 0)
		return rc;
	if (target)
		sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct mlp_deploy_route *r;

		mlp_grow(out, &alloc, *n + 1, sizeof(**out));
		r = &(*out)[(*n)++];
		memset(r, 0, sizeof(*r));
		r->name = xstrdup(mlp_db_text(st, 0));
		r->model = xstrdup(mlp_db_text(st, 1));
		r->generation = sqlite3_column_int64(st, 2);
		r->stable = sqlite3_column_int64(st, 3);
		snprintf(r->stable_oid, sizeof(r->stable_oid), "%s",
		    mlp_db_text(st, 4));
		r->stable_is_tree = sqlite3_column_int(st, 5);
		r->canary = sqlite3_column_int64(st, 6);
		snprintf(r->canary_oid, sizeof(r->canary_oid), "%s",
		    mlp_db_text(st, 7));
		r->canary_is_tree = sqlite3_column_int(st, 8);
		r->canary_pct = r->canary ? sqlite3_column_double(st, 9) : 0;
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot read deployments");
	sqlite3_finalize(st);
	if (rc < 0) {
		mlp_deploy_routes_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

/* Logging params, tags and metrics into one run, in one transaction. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "track.h"

/* A metric key seen in this transaction: its id and the greatest point by
 * (step, ts, value), written to latest_metric at commit. */
struct key_slot {
	char *name;
	int64_t id;
	int have;
	int64_t step, ts;
	double value;
};

struct mlp_logger {
	struct mlp_db *db;
	int64_t run;
	char uuid[33];
	sqlite3_stmt *ins_metric, *ins_key, *get_key, *ins_param, *get_param,
	    *set_tag, *del_tag;
	struct key_slot *keys;	/* open addressing, power-of-two size */
	size_t nkeys, cap;
	int64_t nmetrics, nparams, ntags;
};

int
mlp_track_check_key(const char *what, const char *key, struct mlp_err *err)
{
	size_t len = strlen(key);

	if (len == 0)
		return mlp_err_set(err, MLP_EINVAL, "%s name must not be empty",
		    what);
	if (len > MLP_KEY_MAX)
		return mlp_err_set(err, MLP_EINVAL, "%s name '%.40s...' is "
		    "longer than %d characters", what, key, MLP_KEY_MAX);
	/* MLflow's rule: alphanumerics, _ - . space / and nothing that
	 * climbs out of a path */
	for (const char *p = key; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && !strchr("_-. /:", c))
			return mlp_err_set(err, MLP_EINVAL, "%s name '%s' has "
			    "an invalid character '%c' (allowed: letters, "
			    "digits, _ - . : / and space)", what, key,
			    c >= 0x20 && c < 0x7f ? c : '?');
	}
	if (key[0] == '/' || strstr(key, "..") || strstr(key, "//"))
		return mlp_err_set(err, MLP_EINVAL, "%s name '%s' must be a "
		    "relative path without '..' or '//'", what, key);
	return 0;
}

int
mlp_track_check_param(const char *key, const char *value, struct mlp_err *err)
{
	char what[MLP_KEY_MAX + 32];
	int rc;

	if ((rc = mlp_track_check_key("param", key, err)) < 0)
		return rc;
	if (strlen(value) > MLP_PARAM_VALUE_MAX)
		return mlp_err_set(err, MLP_EINVAL, "param '%s': value is "
		    "longer than %d characters", key, MLP_PARAM_VALUE_MAX);
	snprintf(what, sizeof(what), "param '%s' value", key);
	return mlp_check_utf8(what, value, err);
}

int
mlp_track_check_tag(const char *key, const char *value, struct mlp_err *err)
{
	char what[MLP_KEY_MAX + 32];
	int rc;

	if ((rc = mlp_track_check_key("tag", key, err)) < 0)
		return rc;
	if (strlen(value) > MLP_TAG_VALUE_MAX)
		return mlp_err_set(err, MLP_EINVAL, "tag '%s': value is "
		    "longer than %d characters", key, MLP_TAG_VALUE_MAX);
	snprintf(what, sizeof(what), "tag '%s' value", key);
	return mlp_check_utf8(what, value, err);
}

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct key_slot *
key_lookup(struct mlp_logger *lg, const char *name)
{
	size_t mask, i;

	if (lg->nkeys * 2 >= lg->cap) {
		size_t ncap = lg->cap ? lg->cap * 2 : 16;
		struct key_slot *nk = xcalloc(ncap, sizeof(*nk));

		for (size_t j = 0; j < lg->cap; j++) {
			if (!lg->keys[j].name)
				continue;
			i = hash_str(lg->keys[j].name) & (ncap - 1);
			while (nk[i].name)
				i = (i + 1) & (ncap - 1);
			nk[i] = lg->keys[j];
		}
		free(lg->keys);
		lg->keys = nk;
		lg->cap = ncap;
	}
	mask = lg->cap - 1;
	for (i = hash_str(name) & mask; lg->keys[i].name; i = (i + 1) & mask)
		if (strcmp(lg->keys[i].name, name) == 0)
			return &lg->keys[i];
	return &lg->keys[i];
}

static int
prep(struct mlp_logger *lg, sqlite3_stmt **st, const char *sql,
    struct mlp_err *err)
{
	return mlp_db_prepare(lg->db, st, sql, err);
}

int
mlp_logger_begin(struct mlp_db *db, const char *uuid, struct mlp_logger **out,
    struct mlp_err *err)
{
	struct mlp_logger *lg = xcalloc(1, sizeof(*lg));
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	lg->db = db;
	snprintf(lg->uuid, sizeof(lg->uuid), "%s", uuid);
	if ((rc = mlp_db_begin(db, err)) < 0) {
		free(lg);
		return rc;
	}
	if ((rc = mlp_db_prepare(db, &st, "SELECT r.id, r.lifecycle, "
	    "e.lifecycle FROM run r JOIN experiment e ON e.id = r.experiment "
	    "WHERE r.uuid = ?", err)) < 0)
		goto fail;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? mlp_err_set(err, MLP_ENOTFOUND,
		    "no run '%s'", uuid) : mlp_db_error(db, err,
		    "cannot read run");
		goto fail;
	}
	lg->run = sqlite3_column_int64(st, 0);
	if (strcmp(mlp_db_text(st, 1), "active") != 0 ||
	    strcmp(mlp_db_text(st, 2), "active") != 0) {
		rc = mlp_err_set(err, MLP_EINVAL, "run '%s' is deleted; "
		    "restore it first", uuid);
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = prep(lg, &lg->ins_metric, "INSERT OR IGNORE INTO metric "
	    "(run, key, step, ts, value, is_nan) VALUES (?, ?, ?, ?, ?, ?)",
	    err)) < 0 ||
	    (rc = prep(lg, &lg->ins_key, "INSERT OR IGNORE INTO metric_key "
	    "(name) VALUES (?)", err)) < 0 ||
	    (rc = prep(lg, &lg->get_key, "SELECT id FROM metric_key WHERE "
	    "name = ?", err)) < 0 ||
	    (rc = prep(lg, &lg->ins_param, "INSERT INTO param (run, key, "
	    "value) VALUES (?, ?, ?) ON CONFLICT (run, key) DO NOTHING",
	    err)) < 0 ||
	    (rc = prep(lg, &lg->get_param, "SELECT value FROM param WHERE "
	    "run = ? AND key = ?", err)) < 0 ||
	    (rc = prep(lg, &lg->set_tag, "INSERT INTO tag (run, key, value) "
	    "VALUES (?, ?, ?) ON CONFLICT (run, key) DO UPDATE SET value = "
	    "excluded.value", err)) < 0 ||
	    (rc = prep(lg, &lg->del_tag, "DELETE FROM tag WHERE run = ? AND "
	    "key = ?", err)) < 0)
		goto fail;
	*out = lg;
	return 0;
fail:
	sqlite3_finalize(st);
	mlp_logger_abort(lg);
	return rc;
}

static int
step_reset(struct mlp_logger *lg, sqlite3_stmt *st, const char *what,
    struct mlp_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return mlp_db_error(lg->db, err, what);
	return 0;
}

/* MLflow's order: a later step wins, then a later timestamp, then a greater
 * value; NaN compares false, so it never displaces an equal (step, ts). */
static int
point_greater(int64_t step, int64_t ts, double v, const struct key_slot *k)
{
	if (step != k->step)
		return step > k->step;
	if (ts != k->ts)
		return ts > k->ts;
	return v > k->value;
}

int
mlp_logger_metric(struct mlp_logger *lg, const char *key, double value,
    int64_t step, int64_t ts, struct mlp_err *err)
{
	struct key_slot *k = key_lookup(lg, key);
	sqlite3_stmt *st = lg->ins_metric;
	int rc;

	if (!k->name) {
		if ((rc = mlp_track_check_key("metric", key, err)) < 0)
			return rc;
		sqlite3_bind_text(lg->ins_key, 1, key, -1, SQLITE_STATIC);
		if ((rc = step_reset(lg, lg->ins_key, "cannot log metric",
		    err)) < 0)
			return rc;
		sqlite3_bind_text(lg->get_key, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(lg->get_key) != SQLITE_ROW) {
			sqlite3_reset(lg->get_key);
			return mlp_db_error(lg->db, err, "cannot log metric");
		}
		k->id = sqlite3_column_int64(lg->get_key, 0);
		sqlite3_reset(lg->get_key);
		k->name = xstrdup(key);
		lg->nkeys++;
	}
	if (ts == 0)
		ts = mlp_now_ms();
	sqlite3_bind_int64(st, 1, lg->run);
	sqlite3_bind_int64(st, 2, k->id);
	sqlite3_bind_int64(st, 3, step);
	sqlite3_bind_int64(st, 4, ts);
	sqlite3_bind_double(st, 5, isnan(value) ? 0 : value);
	sqlite3_bind_int(st, 6, isnan(value) ? 1 : 0);
	if ((rc = step_reset(lg, st, "cannot log metric", err)) < 0)
		return rc;
	if (!k->have || point_greater(step, ts, value, k)) {
		k->have = 1;
		k->step = step;
		k->ts = ts;
		k->value = value;
	}
	lg->nmetrics++;
	return 0;
}

int
mlp_logger_param(struct mlp_logger *lg, const char *key, const char *value,
    struct mlp_err *err)
{
	int rc;

	if ((rc = mlp_track_check_param(key, value, err)) < 0)
		return rc;
	sqlite3_bind_int64(lg->ins_param, 1, lg->run);
	sqlite3_bind_text(lg->ins_param, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(lg->ins_param, 3, value, -1, SQLITE_STATIC);
	if ((rc = step_reset(lg, lg->ins_param, "cannot log param", err)) < 0)
		return rc;
	if (sqlite3_changes(lg->db->h) == 0) {
		sqlite3_stmt *st = lg->get_param;

		sqlite3_bind_int64(st, 1, lg->run);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    strcmp(mlp_db_text(st, 0), value) != 0)
			rc = mlp_err_set(err, MLP_EINVAL, "param '%s' is "
			    "already '%s' on run %s; params cannot change "
			    "(tried '%s')", key, mlp_db_text(st, 0), lg->uuid,
			    value);
		sqlite3_reset(st);
		return rc;
	}
	lg->nparams++;
	return 0;
}

int
mlp_logger_tag(struct mlp_logger *lg, const char *key, const char *value,
    struct mlp_err *err)
{
	int rc;

	if ((rc = mlp_track_check_tag(key, value, err)) < 0)
		return rc;
	sqlite3_bind_int64(lg->set_tag, 1, lg->run);
	sqlite3_bind_text(lg->set_tag, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(lg->set_tag, 3, value, -1, SQLITE_STATIC);
	if ((rc = step_reset(lg, lg->set_tag, "cannot set tag", err)) < 0)
		return rc;
	lg->ntags++;
	return 0;
}

int
mlp_logger_delete_tag(struct mlp_logger *lg, const char *key,
    struct mlp_err *err)
{
	int rc;

	sqlite3_bind_int64(lg->del_tag, 1, lg->run);
	sqlite3_bind_text(lg->del_tag, 2, key, -1, SQLITE_STATIC);
	if ((rc = step_reset(lg, lg->del_tag, "cannot delete tag", err)) < 0)
		return rc;
	if (sqlite3_changes(lg->db->h) == 0)
		return mlp_err_set(err, MLP_ENOTFOUND, "run %s has no tag '%s'",
		    lg->uuid, key);
	return 0;
}

const char *
mlp_logger_uuid(const struct mlp_logger *lg)
{
	return lg->uuid;
}

void
mlp_logger_counts(const struct mlp_logger *lg, int64_t *metrics,
    int64_t *params, int64_t *tags)
{
	*metrics = lg->nmetrics;
	*params = lg->nparams;
	*tags = lg->ntags;
}

static void
logger_free(struct mlp_logger *lg)
{
	sqlite3_finalize(lg->ins_metric);
	sqlite3_finalize(lg->ins_key);
	sqlite3_finalize(lg->get_key);
	sqlite3_finalize(lg->ins_param);
	sqlite3_finalize(lg->get_param);
	sqlite3_finalize(lg->set_tag);
	sqlite3_finalize(lg->del_tag);
	for (size_t i = 0; i < lg->cap; i++)
		free(lg->keys[i].name);
	free(lg->keys);
	free(lg);
}

int
mlp_logger_commit(struct mlp_logger *lg, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (lg->nkeys > 0) {
		/* the same order as point_greater(), in SQL: a NULL (NaN)
		 * value compares false there too */
		if ((rc = prep(lg, &st, "INSERT INTO latest_metric (run, key, "
		    "step, ts, value, is_nan) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
		    "ON CONFLICT (run, key) DO UPDATE SET step = excluded.step, "
		    "ts = excluded.ts, value = excluded.value, is_nan = "
		    "excluded.is_nan WHERE excluded.step > step OR "
		    "(excluded.step = step AND (excluded.ts > ts OR "
		    "(excluded.ts = ts AND excluded.value > value)))", err)) < 0)
			goto out;
		for (size_t i = 0; i < lg->cap; i++) {
			struct key_slot *k = &lg->keys[i];

			if (!k->name || !k->have)
				continue;
			sqlite3_bind_int64(st, 1, lg->run);
			sqlite3_bind_int64(st, 2, k->id);
			sqlite3_bind_int64(st, 3, k->step);
			sqlite3_bind_int64(st, 4, k->ts);
			if (isnan(k->value))
				sqlite3_bind_null(st, 5);
			else
				sqlite3_bind_double(st, 5, k->value);
			sqlite3_bind_int(st, 6, isnan(k->value) ? 1 : 0);
			if ((rc = step_reset(lg, st, "cannot log metric",
			    err)) < 0)
				goto out;
		}
	}
	rc = mlp_db_commit(lg->db, err);
out:
	sqlite3_finalize(st);
	if (rc < 0)
		mlp_db_rollback(lg->db);
	logger_free(lg);
	return rc;
}

int
mlp_logger_truncate_metrics(struct mlp_logger *lg, int64_t after,
    struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* the latest points again, in point_greater()'s order */
	if ((rc = prep(lg, &st, "DELETE FROM metric WHERE run = ?1 AND "
	    "step > ?2", err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, lg->run);
	sqlite3_bind_int64(st, 2, after);
	if ((rc = step_reset(lg, st, "cannot remove metrics", err)) < 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = prep(lg, &st, "DELETE FROM latest_metric WHERE run = ?1",
	    err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, lg->run);
	if ((rc = step_reset(lg, st, "cannot remove metrics", err)) < 0)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = prep(lg, &st, "INSERT INTO latest_metric (run, key, step, "
	    "ts, value, is_nan) SELECT run, key, step, ts, CASE WHEN is_nan "
	    "THEN NULL ELSE value END, is_nan FROM (SELECT *, row_number() "
	    "OVER (PARTITION BY key ORDER BY step DESC, ts DESC, is_nan, "
	    "value DESC) AS n FROM metric WHERE run = ?1) WHERE n = 1",
	    err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, lg->run);
	rc = step_reset(lg, st, "cannot remove metrics", err);
out:
	sqlite3_finalize(st);
	return rc;
}

void
mlp_logger_abort(struct mlp_logger *lg)
{
	if (!lg)
		return;
	mlp_db_rollback(lg->db);
	logger_free(lg);
}

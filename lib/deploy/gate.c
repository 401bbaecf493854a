/* Gates: run filters a version's training run must match to be deployed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../track/filter.h"
#include "internal.h"

struct mlp_deploy_gates {
	size_t n;
	char **expr;
	struct mlp_filter **f;
};

void
mlp_deploy_gates_free(struct mlp_deploy_gates *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++) {
		free(g->expr[i]);
		mlp_filter_free(g->f[i]);
	}
	free(g->expr);
	free(g->f);
	free(g);
}

int
mlp_deploy_gates_parse(char *const *exprs, size_t n,
    struct mlp_deploy_gates **out, struct mlp_err *err)
{
	struct mlp_deploy_gates *g = xcalloc(1, sizeof(*g));
	int rc = 0;

	*out = NULL;
	g->expr = xcalloc(n + 1, sizeof(*g->expr));
	g->f = xcalloc(n + 1, sizeof(*g->f));
	for (size_t i = 0; i < n; i++) {
		const char *e = exprs[i];

		if ((rc = mlp_check_utf8("gate", e, err)) < 0)
			goto out;
		if (!e[strspn(e, " \t\r\n")]) {
			rc = mlp_err_set(err, MLP_ESYNTAX, "gate '%s' is empty: "
			    "it would let any run pass", e);
			goto out;
		}
		if ((rc = mlp_filter_parse(e, &g->f[i], err)) < 0) {
			mlp_err_prefix(err, "gate '%s'", e);
			goto out;
		}
		g->expr[i] = xstrdup(e);
		g->n++;
	}
	*out = g;
	g = NULL;
out:
	if (g) {
		/* the one that failed has no filter to free */
		mlp_deploy_gates_free(g);
	}
	return rc;
}

/* The run's row id: 0 when it is gone. */
static int
run_row(struct mlp_db *db, const char *uuid, int64_t *id, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*id = 0;
	if ((rc = mlp_db_prepare(db, &st, "SELECT id FROM run WHERE uuid = ?",
	    err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    mlp_db_error(db, err, "cannot read runs");
	sqlite3_finalize(st);
	return rc;
}

/* Runs sql (one value, over run row "r" = run) into *val: 1 with a value,
 * 0 for NULL. */
static int
run_value(struct mlp_db *db, const char *sql, const struct mlp_sqlargs *args,
    int64_t run, char **text, double *num, int *is_num, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*text = NULL;
	*is_num = 0;
	if ((rc = mlp_db_prepare(db, &st, sql, err)) < 0)
		return rc;
	if (mlp_db_bind_args(st, 1, args) < 0) {
		rc = mlp_db_error(db, err, "cannot check a gate");
		goto out;
	}
	sqlite3_bind_int64(st, (int)args->n + 1, run);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
		    "cannot check a gate");
		goto out;
	}
	switch (sqlite3_column_type(st, 0)) {
	case SQLITE_NULL:
		rc = 0;
		break;
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		*is_num = 1;
		*num = sqlite3_column_double(st, 0);
		rc = 1;
		break;
	default:
		*text = xstrdup(mlp_db_text(st, 0));
		rc = 1;
	}
out:
	sqlite3_finalize(st);
	return rc;
}

/* Appends what run holds for the fields f compares: "metrics.auc =
 * 0.71, params.depth = '3'", or "metrics.auc is not set". */
static int
describe_fields(struct mlp_db *db, const struct mlp_filter *f, int64_t run,
    struct mlp_buf *why, struct mlp_err *err)
{
	static const char *const prefix[] = {
		[MLP_FIELD_METRIC] = "metrics.", [MLP_FIELD_PARAM] = "params.",
		[MLP_FIELD_TAG] = "tags.", [MLP_FIELD_ATTR] = "",
		[MLP_FIELD_DATASET] = "datasets.",
	};
	struct mlp_field *fields = NULL;
	size_t nf = 0, shown = 0;
	int rc = 0;

	mlp_filter_fields(f, &fields, &nf);
	for (size_t i = 0; i < nf && rc >= 0; i++) {
		struct mlp_buf sql = MLP_BUF_INIT;
		struct mlp_sqlargs args = MLP_SQLARGS_INIT;
		char *text = NULL, num[64];
		double d = 0;
		int is_num = 0;

		/* a run's datasets are a set: no one value to show */
		if (fields[i].kind == MLP_FIELD_DATASET)
			continue;
		mlp_buf_adds(&sql, "SELECT ");
		if (fields[i].kind == MLP_FIELD_METRIC) {
			/* a NaN is stored as NULL with is_nan set */
			mlp_buf_adds(&sql, "(SELECT CASE WHEN is_nan THEN 'NaN' "
			    "ELSE value END FROM latest_metric WHERE run = r.id "
			    "AND key = (SELECT id FROM metric_key WHERE name = "
			    "?))");
			mlp_sqlargs_text(&args, fields[i].key);
		} else if (mlp_field_sql(&fields[i], &sql, &args) < 0) {
			goto next;
		}
		mlp_buf_adds(&sql, " FROM run r WHERE r.id = ?");
		rc = run_value(db, sql.s, &args, run, &text, &d, &is_num, err);
		if (rc < 0)
			goto next;
		mlp_buf_addf(why, "%s%s%s", shown++ ? ", " : "",
		    prefix[fields[i].kind], fields[i].key);
		if (rc == 0) {
			mlp_buf_adds(why, " is not set");
		} else if (is_num) {
			mlp_fmt_double(d, num, sizeof(num));
			mlp_buf_addf(why, " = %s", num);
		} else if (fields[i].kind == MLP_FIELD_METRIC) {
			mlp_buf_addf(why, " = %s", text);
		} else {
			mlp_buf_addf(why, " = '%s'", text);
		}
		rc = 0;
next:
		free(text);
		mlp_sqlargs_release(&args);
		mlp_buf_release(&sql);
	}
	for (size_t i = 0; i < nf; i++)
		mlp_field_release(&fields[i]);
	free(fields);
	return rc;
}

int
mlp_deploy_gates_check(struct mlp_db *db, const struct mlp_deploy_gates *g,
    const char *run_uuid, char **why, struct mlp_err *err)
{
	struct mlp_buf w = MLP_BUF_INIT;
	int64_t run = 0;
	int rc = 0, failed = 0;

	*why = NULL;
	if (!g || g->n == 0)
		return 1;
	if (!run_uuid) {
		*why = xasprintf("gate '%s' failed: the version has no "
		    "training run to check it against", g->expr[0]);
		return 0;
	}
	if ((rc = run_row(db, run_uuid, &run, err)) < 0)
		return rc;
	if (!run) {
		*why = xasprintf("gate '%s' failed: the version's training "
		    "run %s no longer exists", g->expr[0], run_uuid);
		return 0;
	}
	if ((rc = mlp_filter_register_sql(db, err)) < 0)
		return rc;
	for (size_t i = 0; i < g->n; i++) {
		struct mlp_buf sql = MLP_BUF_INIT;
		struct mlp_sqlargs args = MLP_SQLARGS_INIT;
		char *text = NULL;
		double d = 0;
		int is_num = 0;

		mlp_buf_adds(&sql, "SELECT (");
		if ((rc = mlp_filter_sql(g->f[i], &sql, &args, err)) == 0) {
			mlp_buf_adds(&sql, ") FROM run r WHERE r.id = ?");
			rc = run_value(db, sql.s, &args, run, &text, &d,
			    &is_num, err);
		}
		mlp_sqlargs_release(&args);
		mlp_buf_release(&sql);
		free(text);
		if (rc < 0)
			break;
		if (rc == 1 && is_num && d != 0)
			continue;
		/* false, or NULL (a field the run lacks) */
		mlp_buf_addf(&w, "%sgate '%s' failed for run %.8s: ",
		    failed++ ? "; " : "", g->expr[i], run_uuid);
		if ((rc = describe_fields(db, g->f[i], run, &w, err)) < 0)
			break;
		if (w.len >= 2 && strcmp(w.s + w.len - 2, ": ") == 0) {
			w.len -= 2;
			w.s[w.len] = '\0';
		}
	}
	if (rc < 0) {
		mlp_buf_release(&w);
		return rc;
	}
	if (!failed)
		return 1;
	*why = mlp_buf_detach(&w);
	return 0;
}

/* Run search: the filter language compiled to one SQL query. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "track.h"

#define SEARCH_COLS "r.id, r.uuid, r.experiment, e.name, r.name, r.user, " \
	"r.status, r.start_time, coalesce(r.end_time, 0), r.lifecycle"
#define NSEARCH_COLS 10

int
mlp_track_search(struct mlp_db *db, const struct mlp_search *q,
    mlp_search_fn fn, void *ud, struct mlp_err *err)
{
	struct mlp_buf sql = MLP_BUF_INIT;
	struct mlp_sqlargs args = MLP_SQLARGS_INIT;
	struct mlp_filter *f = NULL;
	struct mlp_value *vals = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = mlp_filter_parse(q->filter ? q->filter : "", &f, err)) < 0)
		goto out;
	if ((rc = mlp_filter_register_sql(db, err)) < 0)
		goto out;
	mlp_buf_adds(&sql, "SELECT " SEARCH_COLS);
	for (size_t i = 0; i < q->ncolumns; i++) {
		mlp_buf_adds(&sql, ", ");
		if (q->columns[i].kind != MLP_FIELD_METRIC) {
			mlp_field_sql(&q->columns[i], &sql, &args);
			continue;
		}
		/* a NaN is stored as NULL with is_nan set: told apart here
		 * from a metric the run lacks */
		mlp_buf_adds(&sql, "(SELECT CASE WHEN is_nan THEN 'NaN' ELSE "
		    "value END FROM latest_metric WHERE run = r.id AND key = "
		    "(SELECT id FROM metric_key WHERE name = ?))");
		mlp_sqlargs_text(&args, q->columns[i].key);
	}
	mlp_buf_adds(&sql, " FROM run r JOIN experiment e ON e.id = "
	    "r.experiment WHERE ");
	switch (q->view) {
	case MLP_VIEW_ACTIVE:
		mlp_buf_adds(&sql, "r.lifecycle = 'active'");
		if (!q->experiments)
			mlp_buf_adds(&sql, " AND e.lifecycle = 'active'");
		break;
	case MLP_VIEW_DELETED:
		mlp_buf_adds(&sql, "(r.lifecycle = 'deleted' OR "
		    "e.lifecycle = 'deleted')");
		break;
	case MLP_VIEW_ALL:
		mlp_buf_adds(&sql, "1");
		break;
	}
	if (q->experiments) {
		mlp_buf_adds(&sql, " AND r.experiment IN (");
		for (size_t i = 0; i < q->nexperiments; i++) {
			mlp_buf_adds(&sql, i ? ", ?" : "?");
			mlp_sqlargs_int(&args, q->experiments[i]);
		}
		mlp_buf_adds(&sql, ")");
	}
	mlp_buf_adds(&sql, " AND (");
	if ((rc = mlp_filter_sql(f, &sql, &args, err)) < 0)
		goto out;
	mlp_buf_adds(&sql, ") ORDER BY ");
	/* a run that lacks an ordering key sorts last either way, as in
	 * MLflow's SQL store */
	for (size_t i = 0; i < q->norder; i++) {
		mlp_field_sql(&q->order[i].field, &sql, &args);
		mlp_buf_adds(&sql, q->order[i].desc ? " DESC NULLS LAST, " :
		    " ASC NULLS LAST, ");
	}
	mlp_buf_adds(&sql, "r.start_time DESC, r.uuid");
	if (q->limit >= 0) {
		mlp_buf_adds(&sql, " LIMIT ?");
		mlp_sqlargs_int(&args, q->limit);
	}
	if ((rc = mlp_db_prepare(db, &st, sql.s, err)) < 0)
		goto out;
	if (mlp_db_bind_args(st, 1, &args) < 0) {
		rc = mlp_db_error(db, err, "cannot search runs");
		goto out;
	}
	vals = xcalloc(q->ncolumns + 1, sizeof(*vals));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct mlp_run_info ri;

		ri.id = sqlite3_column_int64(st, 0);
		snprintf(ri.uuid, sizeof(ri.uuid), "%s", mlp_db_text(st, 1));
		ri.experiment = sqlite3_column_int64(st, 2);
		ri.experiment_name = (char *)mlp_db_text(st, 3);
		ri.name = (char *)mlp_db_text(st, 4);
		ri.user = (char *)mlp_db_text(st, 5);
		ri.status = (char *)mlp_db_text(st, 6);
		ri.start_time = sqlite3_column_int64(st, 7);
		ri.end_time = sqlite3_column_int64(st, 8);
		ri.lifecycle = (char *)mlp_db_text(st, 9);
		for (size_t i = 0; i < q->ncolumns; i++) {
			int c = NSEARCH_COLS + (int)i;

			switch (sqlite3_column_type(st, c)) {
			case SQLITE_NULL:
				vals[i].type = MLP_VAL_NULL;
				break;
			case SQLITE_INTEGER:
			case SQLITE_FLOAT:
				vals[i].type = MLP_VAL_NUM;
				vals[i].d = sqlite3_column_double(st, c);
				break;
			default:
				vals[i].type = MLP_VAL_TEXT;
				vals[i].s = mlp_db_text(st, c);
				if (q->columns[i].kind == MLP_FIELD_METRIC) {
					vals[i].type = MLP_VAL_NUM;
					vals[i].d = NAN;
				}
				break;
			}
		}
		if ((rc = fn(&ri, vals, ud)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot search runs");
out:
	sqlite3_finalize(st);
	free(vals);
	mlp_filter_free(f);
	mlp_sqlargs_release(&args);
	mlp_buf_release(&sql);
	return rc;
}

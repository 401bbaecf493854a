/* Unit tests for the run search language (lib/track/filter.c): parsing,
 * errors with their positions, the SQL it compiles to, and what that SQL
 * matches in a real database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "track/filter.h"

#define METRIC_IN "r.id IN (SELECT run FROM latest_metric WHERE key = " \
	"(SELECT id FROM metric_key WHERE name = ?) AND "
#define PARAM_IN "r.id IN (SELECT run FROM param WHERE key = ? AND "
#define TAG_IN "r.id IN (SELECT run FROM tag WHERE key = ? AND "

/* s for a test's description: one line, at most 60 bytes. */
static const char *
show(const char *s)
{
	static char bufs[4][64];
	static int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s", s);
	for (char *p = b; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = '.';
	return b;
}

/* Renders args as " t:text d:1.5 i:3". */
static char *
render_args(const struct mlp_sqlargs *a)
{
	struct mlp_buf b = MLP_BUF_INIT;

	for (size_t i = 0; i < a->n; i++) {
		switch (a->v[i].type) {
		case MLP_ARG_TEXT:
			mlp_buf_addf(&b, " t:%s", a->v[i].s);
			break;
		case MLP_ARG_DOUBLE:
			mlp_buf_addf(&b, " d:%g", a->v[i].d);
			break;
		case MLP_ARG_INT:
			mlp_buf_addf(&b, " i:%lld", (long long)a->v[i].i);
			break;
		}
	}
	mlp_buf_adds(&b, "");
	return mlp_buf_detach(&b);
}

/* Parses and compiles expr; *sql and *args are NULL on failure. */
static int
compile(const char *expr, char **sql, char **args, struct mlp_err *err)
{
	struct mlp_filter *f = NULL;
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_sqlargs a = MLP_SQLARGS_INIT;
	int rc;

	*sql = *args = NULL;
	mlp_err_clear(err);
	if ((rc = mlp_filter_parse(expr, &f, err)) < 0)
		return rc;
	if ((rc = mlp_filter_sql(f, &b, &a, err)) == 0) {
		*sql = mlp_buf_detach(&b);
		*args = render_args(&a);
	}
	mlp_buf_release(&b);
	mlp_sqlargs_release(&a);
	mlp_filter_free(f);
	return rc;
}

static void
check_sql(const char *expr, const char *want_sql, const char *want_args)
{
	struct mlp_err err;
	char *sql, *args;
	int rc = compile(expr, &sql, &args, &err);

	is_int(rc, 0, "parses: %s", show(expr));
	if (rc < 0)
		printf("#   error at %d: %s\n", err.pos, err.msg);
	is_str(sql, want_sql, "sql: %s", show(expr));
	is_str(args, want_args, "args: %s", show(expr));
	free(sql);
	free(args);
}

/* Checks that a and b compile to the same SQL (want_same) or not. */
static void
check_same(const char *a, const char *b, int want_same)
{
	struct mlp_err err;
	char *sa, *aa, *sb, *ab;

	int same;

	compile(a, &sa, &aa, &err);
	compile(b, &sb, &ab, &err);
	same = sa && sb && strcmp(sa, sb) == 0 && strcmp(aa, ab) == 0;
	ok(sa && sb && same == want_same, "%s %s %s", show(a),
	    want_same ? "==" : "!=", show(b));
	if (sa && sb && same != want_same)
		printf("#   %s\n#   %s\n", sa, sb);
	free(sa);
	free(aa);
	free(sb);
	free(ab);
}

static void
check_err(const char *expr, int want_pos, const char *want_msg)
{
	struct mlp_err err;
	char *sql, *args;
	int rc = compile(expr, &sql, &args, &err);

	is_int(rc, MLP_ESYNTAX, "fails: %.60s", show(expr));
	is_int(err.pos, want_pos, "error position: %.60s", show(expr));
	if (want_msg)
		is_str(err.msg, want_msg, "error message: %.60s", show(expr));
	free(sql);
	free(args);
}

static void
check_field(const char *s, enum mlp_field_kind kind, const char *key)
{
	struct mlp_field f;
	struct mlp_err err;
	int rc = mlp_field_parse(s, &f, &err);

	is_int(rc, 0, "field parses: %s", show(s));
	if (rc < 0) {
		printf("#   error at %d: %s\n", err.pos, err.msg);
		return;
	}
	is_int(f.kind, kind, "field kind: %s", show(s));
	is_str(f.key, key, "field key: %s", show(s));
	mlp_field_release(&f);
}

static void
check_field_err(const char *s, int want_pos, const char *want_msg)
{
	struct mlp_field f;
	struct mlp_err err;
	int rc = mlp_field_parse(s, &f, &err);

	is_int(rc, MLP_ESYNTAX, "field fails: %s", show(s));
	is_int(err.pos, want_pos, "field error position: %s", show(s));
	if (want_msg)
		is_str(err.msg, want_msg, "field error message: %s", show(s));
	ok(f.key == NULL, "field released on error: %s", show(s));
	mlp_field_release(&f);
}

static void
test_comparators(void)
{
	/* metrics: every numeric comparator */
	check_sql("metrics.auc = 0.5", "(" METRIC_IN "value = ?))",
	    " t:auc d:0.5");
	check_sql("metrics.auc != 1", "(" METRIC_IN "value != ?))",
	    " t:auc d:1");
	check_sql("metrics.auc <> -2", "(" METRIC_IN "value != ?))",
	    " t:auc d:-2");
	check_sql("metrics.auc < 1e-3", "(" METRIC_IN "value < ?))",
	    " t:auc d:0.001");
	check_sql("metrics.auc <= .5", "(" METRIC_IN "value <= ?))",
	    " t:auc d:0.5");
	check_sql("metrics.auc>0.9", "(" METRIC_IN "value > ?))",
	    " t:auc d:0.9");
	check_sql("metric.auc >= +3.", "(" METRIC_IN "value >= ?))",
	    " t:auc d:3");
	check_sql("metrics.auc IN (1, 2.5)", "(" METRIC_IN
	    "value IN (?, ?)))", " t:auc d:1 d:2.5");
	check_sql("metrics.auc not in (1)", "(" METRIC_IN
	    "value NOT IN (?)))", " t:auc d:1");

	/* params and tags: every string comparator */
	check_sql("params.depth = '6'", "(" PARAM_IN "value = ?))",
	    " t:depth t:6");
	check_sql("param.depth != \"6\"", "(" PARAM_IN "value != ?))",
	    " t:depth t:6");
	check_sql("parameters.depth <> '6'", "(" PARAM_IN "value != ?))",
	    " t:depth t:6");
	check_sql("params.opt LIKE 'ad%'", "(" PARAM_IN "value >= ? AND "
	    "value < ? AND mlp_like(?, value, 0)))",
	    " t:opt t:ad t:ae t:ad%");
	check_sql("params.opt LIKE '%am'", "(" PARAM_IN
	    "mlp_like(?, value, 0)))", " t:opt t:%am");
	check_sql("params.opt ILIKE 'AD%'", "(" PARAM_IN
	    "mlp_like(?, value, 1)))", " t:opt t:AD%");
	check_sql("params.opt NOT LIKE 'ad%'", "(" PARAM_IN
	    "NOT mlp_like(?, value, 0)))", " t:opt t:ad%");
	check_sql("params.opt not ilike 'ad%'", "(" PARAM_IN
	    "NOT mlp_like(?, value, 1)))", " t:opt t:ad%");
	check_sql("params.opt IN ('a', \"b\")", "(" PARAM_IN
	    "value IN (?, ?)))", " t:opt t:a t:b");
	check_sql("params.opt NOT IN ('a')", "(" PARAM_IN
	    "value NOT IN (?)))", " t:opt t:a");
	check_sql("tags.team = 'core'", "(" TAG_IN "value = ?))",
	    " t:team t:core");
	check_sql("tag.team LIKE 'c_re'", "(" TAG_IN "value >= ? AND "
	    "value < ? AND mlp_like(?, value, 0)))",
	    " t:team t:c t:d t:c_re");
	check_sql("tags.team ILIKE 'c%'", "(" TAG_IN
	    "mlp_like(?, value, 1)))", " t:team t:c%");
	check_sql("tags.team IN ('a')", "(" TAG_IN "value IN (?)))",
	    " t:team t:a");

	/* string attributes */
	check_sql("status = 'FINISHED'", "(r.status = ?)", " t:FINISHED");
	check_sql("attributes.status != 'FAILED'", "(r.status != ?)",
	    " t:FAILED");
	check_sql("run_id IN ('a', 'b')", "(r.uuid IN (?, ?))", " t:a t:b");
	check_sql("attr.run_id NOT IN ('a')", "(r.uuid NOT IN (?))", " t:a");
	check_sql("run_name LIKE 'x%'", "(mlp_like(?, r.name, 0))", " t:x%");
	check_sql("`run name` ILIKE 'x%'", "(mlp_like(?, r.name, 1))",
	    " t:x%");
	check_sql("attributes.\"run name\" NOT LIKE 'x'",
	    "(NOT mlp_like(?, r.name, 0))", " t:x");
	check_sql("run.user_id NOT ILIKE 'x'", "(NOT mlp_like(?, r.user, 1))",
	    " t:x");
	check_sql("lifecycle_stage = 'active'", "(r.lifecycle = ?)",
	    " t:active");

	/* numeric attributes */
	check_sql("start_time >= 1700000000000", "(r.start_time >= ?)",
	    " i:1700000000000");
	check_sql("created < 5", "(r.start_time < ?)", " i:5");
	check_sql("end_time > 1.5", "(r.end_time IS NOT NULL AND "
	    "r.end_time > ?)", " d:1.5");
	check_sql("end_time IN (1, 2)", "(r.end_time IS NOT NULL AND "
	    "r.end_time IN (?, ?))", " i:1 i:2");
	check_sql("experiment_id = 3", "(r.experiment = ?)", " i:3");
	check_sql("experiment_id = '3'", "(r.experiment = ?)", " i:3");
	check_sql("experiment_id NOT IN ('0', 1)",
	    "(r.experiment NOT IN (?, ?))", " i:0 i:1");
	check_sql("start_time = 99999999999999999999", "(r.start_time = ?)",
	    " d:1e+20");
}

static void
test_structure(void)
{
	check_sql("", "1", "");
	check_sql(" \t\n ", "1", "");
	/* the costlier term goes first, for SQLite's parser */
	check_sql("status = 'A' OR status = 'B' AND params.c = 'C'",
	    "(((r.status = ?) AND (" PARAM_IN "value = ?))) OR "
	    "(r.status = ?))", " t:B t:c t:C t:A");
	check_same("status = 'A' OR status = 'B' AND params.c = 'C'",
	    "status = 'A' OR (status = 'B' AND params.c = 'C')", 1);
	check_same("status = 'A' OR status = 'B' AND params.c = 'C'",
	    "(status = 'A' OR status = 'B') AND params.c = 'C'", 0);
	check_same("NOT status = 'A' AND params.c = 'C'",
	    "(NOT status = 'A') AND params.c = 'C'", 1);
	check_same("NOT status = 'A' AND params.c = 'C'",
	    "NOT (status = 'A' AND params.c = 'C')", 0);
	check_same("((((status = 'A'))))", "status = 'A'", 1);
	check_same("status = 'A' and params.c = 'C'",
	    "status = 'A' AND (params.c = 'C')", 1);
	check_same("status = 'A' and (params.c = 'C' and status = 'B')",
	    "status = 'A' and params.c = 'C' and status = 'B'", 1);
	check_same("status = 'A' and (params.c = 'C' or status = 'B')",
	    "status = 'A' and params.c = 'C' or status = 'B'", 0);
	check_sql("NOT NOT status = 'A'", "(r.status = ?)", " t:A");
	check_sql("NOT status = 'A'", "(NOT (r.status = ?))", " t:A");
	check_sql("NOT end_time = 1", "(NOT (r.end_time IS NOT NULL AND "
	    "r.end_time = ?))", " i:1");
	check_sql("NOT metrics.auc > 1", "(r.id NOT IN (SELECT run FROM "
	    "latest_metric WHERE key = (SELECT id FROM metric_key WHERE "
	    "name = ?) AND value > ?))", " t:auc d:1");
	check_sql("NOT tags.t = 'x'", "(r.id NOT IN (SELECT run FROM tag "
	    "WHERE key = ? AND value = ?))", " t:t t:x");
	/* NOT moves into the comparisons (De Morgan) */
	check_sql("not (status = 'A' or not status = 'B')",
	    "((NOT (r.status = ?)) AND (r.status = ?))", " t:A t:B");
	check_same("not (status = 'A' or not status = 'B')",
	    "not status = 'A' and status = 'B'", 1);
	check_same("not (status = 'A' and (status = 'B' or run_id = 'C'))",
	    "not status = 'A' or (not status = 'B' and not run_id = 'C')", 1);
	/* nested lists of one kind merge */
	check_sql("status = 'A' and (status = 'B' and (status = 'C'))",
	    "((r.status = ?) AND (r.status = ?) AND (r.status = ?))",
	    " t:A t:B t:C");
	check_same("status = 'A' AnD params.c = 'C' oR status='B'",
	    "(status = 'A' AND params.c = 'C') OR status = 'B'", 1);
}

static void
test_keys(void)
{
	check_sql("metrics.`f1 score` > 0.5", "(" METRIC_IN "value > ?))",
	    " t:f1 score d:0.5");
	check_sql("metrics.\"f1 score\" > 0.5", "(" METRIC_IN "value > ?))",
	    " t:f1 score d:0.5");
	check_sql("tags.\"mlflow.source.type\" = 'LOCAL'", "(" TAG_IN
	    "value = ?))", " t:mlflow.source.type t:LOCAL");
	check_sql("tags.mlp.source.git.commit = 'abc'", "(" TAG_IN
	    "value = ?))", " t:mlp.source.git.commit t:abc");
	check_sql("params.a-b:c/d = 'x'", "(" PARAM_IN "value = ?))",
	    " t:a-b:c/d t:x");
	check_sql("params.`it``s` = 'it''s'", "(" PARAM_IN "value = ?))",
	    " t:it`s t:it's");
	check_sql("params.\"say \"\"hi\"\"\" = \"a \"\"b\"\"\"", "(" PARAM_IN
	    "value = ?))", " t:say \"hi\" t:a \"b\"");
	check_sql("params.x = ''", "(" PARAM_IN "value = ?))", " t:x t:");
	check_sql("params.x = 'é%'", "(" PARAM_IN "value = ?))", " t:x t:é%");
	check_sql("METRICS.auc = 1", "(" METRIC_IN "value = ?))",
	    " t:auc d:1");
	check_sql("`status` = 'A'", "(r.status = ?)", " t:A");
	check_sql("\"status\" = 'A'", "(r.status = ?)", " t:A");
	check_sql("params.and = 'x'", "(" PARAM_IN "value = ?))",
	    " t:and t:x");
	check_sql("params.`a\tb` ilike '%'", "(" PARAM_IN
	    "mlp_like(?, value, 1)))", " t:a\tb t:%");
}

static void
test_errors(void)
{
	char *s, *want;

	check_err("datasets.rows = '5'", 0, "unknown dataset field in "
	    "'datasets.rows' (valid: datasets.name, datasets.digest, "
	    "datasets.context)");
	check_err("datasets.digest > 'a'", 16, NULL);
	check_err("datasets.digest = 5", 18, NULL);
	check_err("metrics.auc abc", 12, "expected a comparison operator "
	    "after 'metrics.auc', found 'abc'");
	check_err("metrics.auc", 11, "unexpected end of filter, expected a "
	    "comparison operator after 'metrics.auc'");
	check_err("metrics.auc > abc", 14,
	    "metrics.auc: expected a number, found 'abc'");
	check_err("metrics.auc > '0.9'", 14,
	    "metrics.auc: expected a number, found '0.9'");
	check_err("metrics.auc >", 13,
	    "unexpected end of filter, expected a value");
	check_err("metrics.auc > nan", 14,
	    "metrics.auc: expected a number, found 'nan'");
	check_err("status = 'abc", 9, "unterminated string");
	check_err("status = \"abc''", 9, "unterminated string");
	check_err("params.`abc = 'x'", 7, "unterminated quoted key");
	check_err("status = 'it''s", 9, "unterminated string");
	check_err("(status = 'a'", 13,
	    "unexpected end of filter, expected ')'");
	check_err("(status = 'a' status", 14,
	    "expected ')', found 'status'");
	check_err("foo = 'x'", 0, "unknown attribute 'foo' (valid: run_id, "
	    "run_name, status, user_id, lifecycle_stage, experiment_id, "
	    "start_time, end_time)");
	check_err("status = 'a' and attributes.foo = 'x'", 17,
	    "unknown attribute 'foo' (valid: run_id, run_name, status, "
	    "user_id, lifecycle_stage, experiment_id, start_time, end_time)");
	check_err("\"run_name \" = 'x'", 0, NULL);
	check_err("status = 'a' 'b'", 13,
	    "trailing input after the filter: 'b'");
	check_err("status = 'a' )", 13,
	    "trailing input after the filter: ')'");
	check_err("params.depth = 6", 15, "params.depth: expected a quoted "
	    "string, found the number 6 (quote it: '6')");
	check_err("tags.t = abc", 9,
	    "tags.t: expected a quoted string, found 'abc'");
	check_err("status = FINISHED", 9,
	    "status: expected a quoted string, found 'FINISHED'");
	check_err("status < 'a'", 7, "status: '<' is not allowed on a string "
	    "(use =, !=, LIKE, ILIKE, NOT LIKE, NOT ILIKE, IN or NOT IN)");
	check_err("params.p >= 'a'", 9, NULL);
	check_err("metrics.x like 'a%'", 10, "metrics.x: 'LIKE' is not allowed "
	    "on a number (use =, !=, <, <=, >, >=, IN or NOT IN)");
	check_err("start_time NOT ILIKE 'a%'", 11, NULL);
	check_err("experiment_id = 'abc'", 16,
	    "experiment_id: expected a number, found 'abc'");
	check_err("metrics.`` = 1", 0, "empty key in 'metrics.``'");
	check_err("metrics. `a` = 1", 9,
	    "expected a key after 'metrics.', found `a`");
	check_err("metrics. = 1", 9,
	    "expected a key after 'metrics.', found '='");
	check_err("metrics.", 8,
	    "unexpected end of filter, expected a key after 'metrics.'");
	check_err("x.y = 1", 0, "unknown prefix 'x' in 'x.y' (valid: "
	    "metrics, params, tags, attributes, datasets)");
	check_err("params.a = 'x' AND", 18,
	    "unexpected end of filter, expected a field name");
	check_err("status = 'a' AND AND", 17,
	    "expected a field name, found 'AND'");
	check_err("NOT", 3, "unexpected end of filter, expected a field name");
	check_err("()", 1, "expected a field name, found ')'");
	check_err("'status' = 'a'", 0,
	    "expected a field name, found 'status'");
	check_err("metrics.a > 1.2.3", 12, "invalid number '1.2.3'");
	check_err("metrics.a > 5abc", 12, "invalid number '5abc'");
	check_err("metrics.a > 1e", 12, "invalid number '1e'");
	check_err("params.a in ()", 13,
	    "params.a: expected a quoted string, found ')'");
	check_err("params.a in ('x' 'y')", 17,
	    "expected ',' or ')', found 'y'");
	check_err("params.a in ('x',", 17,
	    "unexpected end of filter, expected a value");
	check_err("params.a in 'x'", 12,
	    "expected '(' after IN, found 'x'");
	check_err("params.a not in 'x'", 16,
	    "expected '(' after NOT IN, found 'x'");
	check_err("params.a not = 'x'", 13,
	    "expected LIKE, ILIKE or IN after NOT, found '='");
	check_err("status = 'a' # x", 13, "unexpected character '#'");
	check_err("status = 'a' \xc3\xa9", 13, "unexpected character '\xc3\xa9'");
	check_err("status = \x01", 9, "unexpected byte 0x01");
	check_err("status = 'a' \xa9", 13, "unexpected byte 0xa9");
	check_err("status == 'a'", 8,
	    "status: expected a quoted string, found '='");
	check_err("status ! 'a'", 7, "unexpected character '!'");
	check_err("metrics.auc > 0.9 and params.depth = '6' or", 43,
	    "unexpected end of filter, expected a field name");

	/* key length: MLflow's 250 bytes */
	s = xasprintf("params.%0250d = 'x'", 0);
	want = xasprintf(" t:%0250d t:x", 0);
	check_sql(s, "(" PARAM_IN "value = ?))", want);
	free(want);
	free(s);
	s = xasprintf("params.%0251d = 'x'", 0);
	check_err(s, 0, "key too long in 'params.0000000000000000000000000"
	    "0000000000000000...' (251 bytes; at most 250)");
	free(s);
	s = xasprintf("status = 'a' or params.`%0251d` = 'x'", 0);
	check_err(s, 16, NULL);
	free(s);
}

/* A filter nested n levels: NOT (NOT (... status = 'a' ...)). */
static char *
nested(int n, const char *open, const char *close)
{
	struct mlp_buf b = MLP_BUF_INIT;

	for (int i = 0; i < n; i++)
		mlp_buf_adds(&b, open);
	mlp_buf_adds(&b, "metrics.auc > 0.9 or params.depth = '6'");
	for (int i = 0; i < n; i++)
		mlp_buf_adds(&b, close);
	return mlp_buf_detach(&b);
}

static void
test_limits(void)
{
	struct mlp_filter *f;
	struct mlp_err err;
	char *s;

	s = nested(64, "(", ")");
	is_int(mlp_filter_parse(s, &f, &err), 0, "64 levels of parentheses");
	mlp_filter_free(f);
	free(s);
	s = nested(65, "(", ")");
	is_int(mlp_filter_parse(s, &f, &err), MLP_ESYNTAX,
	    "65 levels of parentheses");
	is_int(err.pos, 64, "depth error position");
	is_str(err.msg, "filter nested too deeply (at most 64 levels of "
	    "parentheses and NOT)", "depth error message");
	free(s);
	s = nested(100, "(", ")");
	is_int(mlp_filter_parse(s, &f, &err), MLP_ESYNTAX,
	    "100 levels of parentheses");
	free(s);
	s = nested(20000, "not (", ")");
	is_int(mlp_filter_parse(s, &f, &err), MLP_ESYNTAX,
	    "20000 levels of NOT");
	free(s);
	s = xmalloc(30001);
	memset(s, 'x', 30000);
	s[30000] = '\0';
	is_int(mlp_filter_parse(s, &f, &err), MLP_ESYNTAX, "long word");
	free(s);

	s = xmalloc(70000);
	memset(s, ' ', 69999);
	s[69999] = '\0';
	is_int(mlp_filter_parse(s, &f, &err), MLP_ESYNTAX, "filter too long");
	is_str(err.msg, "filter too long (at most 65536 bytes)",
	    "too long message");
	free(s);

	{
		struct mlp_buf b = MLP_BUF_INIT;

		mlp_buf_adds(&b, "metrics.a IN (1");
		for (int i = 0; i < 12000; i++)
			mlp_buf_adds(&b, ",1");
		mlp_buf_adds(&b, ")");
		is_int(mlp_filter_parse(mlp_buf_str(&b), &f, &err),
		    MLP_ESYNTAX, "too many values");
		is_str(err.msg, "filter too large (more than 10000 values)",
		    "too many values message");
		mlp_buf_release(&b);
	}
}

static void
test_fields(void)
{
	struct mlp_field f;
	struct mlp_buf b = MLP_BUF_INIT;
	struct mlp_sqlargs a = MLP_SQLARGS_INIT;
	struct mlp_err err;
	char *args;

	check_field("metrics.auc", MLP_FIELD_METRIC, "auc");
	check_field(" metrics.`f1 score` ", MLP_FIELD_METRIC, "f1 score");
	check_field("params.`a b`", MLP_FIELD_PARAM, "a b");
	check_field("tags.mlflow.source.name", MLP_FIELD_TAG,
	    "mlflow.source.name");
	check_field("tags.\"x\"", MLP_FIELD_TAG, "x");
	check_field("start_time", MLP_FIELD_ATTR, "start_time");
	check_field("created", MLP_FIELD_ATTR, "start_time");
	check_field("run_name", MLP_FIELD_ATTR, "run_name");
	check_field("\"run name\"", MLP_FIELD_ATTR, "run_name");
	check_field("attributes.status", MLP_FIELD_ATTR, "status");
	check_field_err("datasets.digest", 0,
	    "'datasets.digest': datasets.* can be used only in a filter");
	check_field_err("metrics.auc DESC", 12,
	    "trailing input after 'metrics.auc': 'DESC'");
	check_field_err("metrics.auc,", 11, NULL);
	check_field_err("", 0, "unexpected end of filter, expected a field "
	    "name");
	check_field_err("bogus", 0, NULL);
	check_field_err("metrics.`x", 8, "unterminated quoted key");
	check_field_err("metrics.auc 'x", 12, "unterminated string");

	is_int(mlp_field_parse("metrics.auc", &f, &err), 0, "field");
	mlp_field_sql(&f, &b, &a);
	args = render_args(&a);
	is_str(mlp_buf_str(&b), "(SELECT value FROM latest_metric WHERE "
	    "run = r.id AND key = (SELECT id FROM metric_key WHERE "
	    "name = ?))", "metric field sql");
	is_str(args, " t:auc", "metric field args");
	free(args);
	mlp_field_release(&f);
	mlp_buf_reset(&b);
	mlp_sqlargs_release(&a);

	is_int(mlp_field_parse("params.depth", &f, &err), 0, "field");
	mlp_field_sql(&f, &b, &a);
	is_str(mlp_buf_str(&b), "(SELECT value FROM param WHERE run = r.id "
	    "AND key = ?)", "param field sql");
	mlp_field_release(&f);
	mlp_buf_reset(&b);
	mlp_sqlargs_release(&a);

	is_int(mlp_field_parse("tags.team", &f, &err), 0, "field");
	mlp_field_sql(&f, &b, &a);
	is_str(mlp_buf_str(&b), "(SELECT value FROM tag WHERE run = r.id "
	    "AND key = ?)", "tag field sql");
	mlp_field_release(&f);
	mlp_buf_reset(&b);
	mlp_sqlargs_release(&a);

	is_int(mlp_field_parse("created", &f, &err), 0, "field");
	mlp_field_sql(&f, &b, &a);
	is_str(mlp_buf_str(&b), "r.start_time", "attribute field sql");
	is_int(a.n, 0, "attribute field has no args");
	mlp_field_release(&f);
	mlp_buf_release(&b);
	mlp_sqlargs_release(&a);
}

static void
test_like(void)
{
	ok(mlp_like_match("abc", "abc", 0), "like exact");
	ok(!mlp_like_match("abc", "ABC", 0), "like is case-sensitive");
	ok(mlp_like_match("abc", "ABC", 1), "ilike folds case");
	ok(mlp_like_match("a%", "a", 0), "%% matches nothing");
	ok(mlp_like_match("%", "", 0), "%% matches the empty string");
	ok(!mlp_like_match("_", "", 0), "_ needs a character");
	ok(mlp_like_match("%b%d", "abcabd", 0), "%% backtracks");
	ok(!mlp_like_match("%b%d", "abcabe", 0), "%% backtracks, no match");
	ok(mlp_like_match("caf_", "caf\xc3\xa9", 0), "_ is one UTF-8 char");
	ok(!mlp_like_match("caf__", "caf\xc3\xa9", 0), "not two bytes");
	ok(mlp_like_match("_\xe2\x82\xac_", "a\xe2\x82\xac" "b", 0),
	    "3-byte char");
	ok(mlp_like_match("a\\%", "a\\xyz", 0), "no escape character");
	ok(mlp_like_match("%%%a%%", "xxa", 0), "many %%");
	ok(!mlp_like_match("", "x", 0), "empty pattern");
	ok(mlp_like_match("", "", 0), "empty both");
	ok(!mlp_like_match("a", "", 0), "empty value");
	ok(mlp_like_match("%_\xff", "\xc3\xff", 0), "invalid UTF-8");
}

static int
query(struct mlp_db *db, const char *expr, const char *want)
{
	struct mlp_filter *f = NULL;
	struct mlp_buf sql = MLP_BUF_INIT, got = MLP_BUF_INIT;
	struct mlp_sqlargs args = MLP_SQLARGS_INIT;
	struct mlp_err err;
	sqlite3_stmt *st = NULL;
	int rc;

	mlp_buf_adds(&sql, "SELECT r.uuid FROM run r WHERE ");
	if ((rc = mlp_filter_parse(expr, &f, &err)) < 0)
		goto out;
	mlp_filter_sql(f, &sql, &args, &err);
	mlp_buf_adds(&sql, " ORDER BY r.uuid");
	if ((rc = mlp_db_prepare(db, &st, mlp_buf_str(&sql), &err)) < 0)
		goto out;
	if ((rc = mlp_db_bind_args(st, 1, &args)) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (got.len)
			mlp_buf_addc(&got, ' ');
		mlp_buf_adds(&got, mlp_db_text(st, 0));
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, &err, "query");
out:
	if (rc < 0)
		printf("#   error at %d: %s\n", err.pos, err.msg);
	is_int(rc, 0, "runs: %.60s", show(expr));
	is_str(mlp_buf_str(&got), want, "match: %.60s", show(expr));
	sqlite3_finalize(st);
	mlp_filter_free(f);
	mlp_buf_release(&sql);
	mlp_buf_release(&got);
	mlp_sqlargs_release(&args);
	return rc;
}

/* Filters of growing depth d in a few shapes, to find where the parser
 * starts refusing them. */
static void
shape(struct mlp_buf *b, int kind, int d)
{
	const char *leaf = "NOT metrics.a IN (1, 2)";
	const char *op = d % 2 ? " and " : " or ";

	if (d == 0) {
		mlp_buf_adds(b, leaf);
		return;
	}
	mlp_buf_addc(b, '(');
	switch (kind) {
	case 0:		/* one deep term and one comparison per level */
		mlp_buf_adds(b, leaf);
		mlp_buf_adds(b, op);
		shape(b, kind, d - 1);
		break;
	case 1:		/* two deep terms */
		shape(b, kind, d - 1);
		mlp_buf_adds(b, op);
		shape(b, kind, d - 1);
		break;
	case 2:		/* a deep term and a chain one level shorter */
		shape(b, kind, d - 1);
		mlp_buf_adds(b, op);
		shape(b, 0, d - 1);
		break;
	default:	/* a deep term among many */
		for (int i = 0; i < kind * 5; i++) {
			mlp_buf_adds(b, leaf);
			mlp_buf_adds(b, op);
		}
		shape(b, kind, d - 1);
		break;
	}
	mlp_buf_addc(b, ')');
}

/* Every filter the parser takes must compile to SQL that SQLite takes, in a
 * query like the tracking layer's. */
static void
test_sqlite_limits(struct mlp_db *db)
{
	for (int kind = 0; kind < 6; kind++) {
		int d, bad = 0;

		for (d = 1; d < 100 && !bad; d++) {
			struct mlp_buf b = MLP_BUF_INIT, sql = MLP_BUF_INIT;
			struct mlp_sqlargs args = MLP_SQLARGS_INIT;
			struct mlp_filter *f;
			struct mlp_err err;
			sqlite3_stmt *st = NULL;

			if (kind == 1 && d > 10)
				break;
			shape(&b, kind, d);
			if (mlp_filter_parse(mlp_buf_str(&b), &f, &err) < 0) {
				mlp_buf_release(&b);
				if (err.code == MLP_ESYNTAX && strstr(err.msg,
				    "too complex"))
					break;
				bad = 1;
				printf("#   shape %d depth %d: %s\n", kind, d,
				    err.msg);
				break;
			}
			mlp_buf_adds(&sql, "SELECT r.uuid FROM run r WHERE "
			    "r.experiment IN (?, ?) AND r.lifecycle = 'active' "
			    "AND (");
			mlp_filter_sql(f, &sql, &args, &err);
			mlp_buf_adds(&sql, ") ORDER BY r.start_time DESC LIMIT 10");
			if (sqlite3_prepare_v2(db->h, mlp_buf_str(&sql), -1, &st,
			    NULL) != SQLITE_OK) {
				bad = 1;
				printf("#   shape %d depth %d: %s\n", kind, d,
				    sqlite3_errmsg(db->h));
			}
			sqlite3_finalize(st);
			mlp_filter_free(f);
			mlp_sqlargs_release(&args);
			mlp_buf_release(&sql);
			mlp_buf_release(&b);
		}
		ok(!bad && d > 10, "shape %d: SQLite takes every filter up to "
		    "depth %d, where the parser stops", kind, d);
	}
}

static void
test_db(void)
{
	char dir[] = "/tmp/mlp-filter-XXXXXX", *path, *s;
	struct mlp_db *db = NULL;
	struct mlp_err err;
	struct mlp_buf b = MLP_BUF_INIT;

	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	path = xasprintf("%s/mlp.db", dir);
	is_int(mlp_db_open(&db, path, 1, &err), 0, "open database");
	if (!db)
		goto out;
	is_int(mlp_filter_register_sql(db, &err), 0, "register mlp_like");
	is_int(mlp_db_exec(db,
	    "INSERT INTO experiment VALUES (1, 'e1', 'active', 0, 0);"
	    "INSERT INTO run (id, uuid, experiment, name, user, status,"
	    "  start_time, end_time, lifecycle) VALUES"
	    " (1, 'r1', 0, 'alpha', 'ann', 'FINISHED', 1000, 2000, 'active'),"
	    " (2, 'r2', 0, 'Alpha-2', 'bob', 'RUNNING', 2000, NULL, 'active'),"
	    " (3, 'r3', 1, 'beta', 'ann', 'FAILED', 3000, 3500, 'active'),"
	    " (4, 'r4', 0, 'gamma', 'cy', 'FINISHED', 4000, 4100, 'deleted'),"
	    " (5, 'r5', 0, 'caf\xc3\xa9', 'cy', 'KILLED', 5000, 6000,"
	    "  'active');"
	    "INSERT INTO param VALUES (1, 'depth', '6'), (1, 'lr', '0.1'),"
	    " (2, 'depth', '8'), (4, 'depth', '6'), (4, 'lr', '0.01');"
	    "INSERT INTO tag VALUES (1, 'team', 'Core'), (2, 'team', 'core'),"
	    " (4, 'team', 'ops'), (4, 'mlp.source.git.commit', 'abc123'),"
	    " (1, 'mlp.dataset.train.digest', 'd1'),"
	    " (1, 'mlp.dataset.train.name', 'a.csv'),"
	    " (1, 'mlp.dataset.valid.digest', 'd2'),"
	    " (1, 'mlp.dataset.valid.name', 'b.csv'),"
	    " (2, 'mlp.dataset.train.digest', 'd2'),"
	    " (2, 'mlp.dataset.train.name', 'b.csv');"
	    "INSERT INTO metric_key VALUES (1, 'auc'), (2, 'loss'),"
	    " (3, 'f1 score');"
	    "INSERT INTO latest_metric VALUES (1, 1, 0, 0, 0.95, 0),"
	    " (1, 2, 0, 0, 0.2, 0), (2, 1, 0, 0, 0.85, 0),"
	    " (3, 1, 0, 0, NULL, 1), (3, 2, 0, 0, 0.5, 0),"
	    " (5, 3, 0, 0, 0.7, 0);", &err), 0, "insert runs");

	query(db, "", "r1 r2 r3 r4 r5");
	query(db, "metrics.auc > 0.9", "r1");
	query(db, "metrics.auc > 0", "r1 r2");	/* NaN never matches */
	query(db, "metrics.auc <= 1", "r1 r2");
	query(db, "NOT metrics.auc > 0.9", "r2 r3 r4 r5");
	query(db, "metrics.auc = 0.95", "r1");
	query(db, "metrics.auc != 0.95", "r2");
	query(db, "metrics.auc IN (0.95, 0.85)", "r1 r2");
	query(db, "metrics.auc NOT IN (0.95)", "r2");
	query(db, "metrics.`f1 score` >= 0.7", "r5");
	query(db, "metrics.nokey > 0", "");
	query(db, "NOT metrics.nokey > 0", "r1 r2 r3 r4 r5");
	query(db, "params.depth = '6'", "r1 r4");
	query(db, "params.depth != '6'", "r2");	/* runs without depth: no */
	query(db, "NOT params.depth = '6'", "r2 r3 r5");
	query(db, "params.depth IN ('6', '8')", "r1 r2 r4");
	query(db, "params.depth NOT IN ('6')", "r2");
	query(db, "NOT params.depth IN ('6')", "r2 r3 r5");
	query(db, "params.lr LIKE '0.1%'", "r1");
	query(db, "params.lr LIKE '0._1'", "r4");
	query(db, "params.lr LIKE '0.1'", "r1");
	query(db, "tags.team LIKE 'core'", "r2");	/* case-sensitive */
	query(db, "tags.team LIKE 'Co%'", "r1");
	query(db, "tags.team LIKE 'co%'", "r2");
	query(db, "tags.team ILIKE 'core'", "r1 r2");
	query(db, "tags.team ILIKE 'CO%'", "r1 r2");
	query(db, "tags.team NOT LIKE 'c%'", "r1 r4");
	query(db, "tags.team NOT ILIKE 'c%'", "r4");
	query(db, "tags.mlp.source.git.commit = 'abc123'", "r4");
	query(db, "tags.\"mlp.source.git.commit\" LIKE 'abc%'", "r4");
	query(db, "datasets.digest = 'd2'", "r1 r2");
	query(db, "datasets.digest = 'd1'", "r1");
	query(db, "datasets.digest != 'd1'", "r1 r2");	/* any dataset */
	query(db, "NOT datasets.digest = 'd1'", "r2 r3 r4 r5");
	query(db, "dataset.name IN ('a.csv', 'c.csv')", "r1");
	query(db, "datasets.name LIKE '%.csv'", "r1 r2");
	query(db, "datasets.context = 'valid'", "r1");
	query(db, "datasets.CONTEXT ILIKE 'TR%'", "r1 r2");
	query(db, "datasets.context NOT IN ('train')", "r1");
	query(db, "datasets.context = 'valid' OR datasets.name = 'b.csv'",
	    "r1 r2");
	query(db, "run_name LIKE 'alpha%'", "r1");
	query(db, "run_name ILIKE 'alpha%'", "r1 r2");
	query(db, "run_name NOT LIKE 'alpha%'", "r2 r3 r4 r5");
	query(db, "run_name LIKE 'caf_'", "r5");
	query(db, "run_name LIKE 'caf__'", "");
	query(db, "`run name` = 'beta'", "r3");
	query(db, "status = 'FINISHED' OR status = 'KILLED'", "r1 r4 r5");
	query(db, "status IN ('RUNNING', 'FAILED')", "r2 r3");
	query(db, "status = 'finished'", "");
	query(db, "run_id = 'r3'", "r3");
	query(db, "user_id = 'ann' and lifecycle_stage = 'active'", "r1 r3");
	query(db, "lifecycle_stage = 'deleted'", "r4");
	query(db, "start_time >= 3000", "r3 r4 r5");
	query(db, "created < 2500", "r1 r2");
	query(db, "end_time > 1000", "r1 r3 r4 r5");
	query(db, "NOT end_time > 1000", "r2");	/* no end time yet */
	query(db, "end_time IN (2000, 6000)", "r1 r5");
	query(db, "NOT end_time NOT IN (2000)", "r1 r2");
	query(db, "experiment_id = 1", "r3");
	query(db, "experiment_id = '1'", "r3");
	query(db, "experiment_id IN (0)", "r1 r2 r4 r5");
	query(db, "metrics.loss <= 0.2 or params.lr = '0.01'", "r1 r4");
	query(db, "(metrics.auc > 0.9 or metrics.auc < 0.9) and "
	    "not params.depth = '8'", "r1");
	query(db, "metrics.auc > 0.9 or metrics.auc < 0.9 and "
	    "not params.depth = '8'", "r1");
	query(db, "status = 'FINISHED' or status = 'RUNNING' and "
	    "params.depth = '6'", "r1 r4");
	query(db, "(status = 'FINISHED' or status = 'RUNNING') and "
	    "params.depth = '6'", "r1 r4");
	query(db, "(status = 'FINISHED' or status = 'RUNNING') and "
	    "params.depth = '8'", "r2");
	query(db, "not (status = 'FINISHED' or metrics.auc > 0)", "r3 r5");
	query(db, "metrics.auc > 0.5 AND params.depth = '6' AND "
	    "tags.team = 'Core'", "r1");

	/* a filter at the nesting limit compiles to SQL that SQLite takes */
	s = nested(64, "(", ")");
	query(db, s, "r1 r4");
	free(s);
	s = nested(32, "not (", ")");
	query(db, s, "r1 r4");
	free(s);
	s = nested(32, "(status = 'X' or (", "))");
	query(db, s, "r1 r4");
	free(s);
	s = nested(25, "(status = 'X' and (", ") or status = 'KILLED')");
	query(db, s, "r5");
	free(s);
	s = nested(31, "not (", ")");
	query(db, s, "r2 r3 r5");
	free(s);
	s = nested(32, "(status = 'X' and (", ") or status = 'KILLED')");
	check_err(s, 629, "filter too complex: its groups nest too deeply "
	    "to compile");
	free(s);
	test_sqlite_limits(db);
	/* and so does a long flat list */
	for (int i = 0; i < 2000; i++)
		mlp_buf_addf(&b, "%sparams.lr LIKE '%d%%'", i ? " or " : "",
		    i);
	query(db, mlp_buf_str(&b), "r1 r4");
	mlp_buf_reset(&b);
	for (int i = 0; i < 2000; i++)
		mlp_buf_addf(&b, "%sNOT metrics.x%d > 0", i ? " and " : "", i);
	query(db, mlp_buf_str(&b), "r1 r2 r3 r4 r5");

	/* field SQL as an ORDER BY key */
	{
		struct mlp_field f;
		struct mlp_filter *flt;
		struct mlp_sqlargs args = MLP_SQLARGS_INIT;
		struct mlp_buf sql = MLP_BUF_INIT, got = MLP_BUF_INIT;
		sqlite3_stmt *st = NULL;

		mlp_field_parse("metrics.auc", &f, &err);
		mlp_filter_parse("params.depth != 'x'", &flt, &err);
		mlp_buf_adds(&sql, "SELECT r.uuid FROM run r WHERE ");
		mlp_filter_sql(flt, &sql, &args, &err);
		mlp_buf_adds(&sql, " ORDER BY ");
		mlp_field_sql(&f, &sql, &args);
		mlp_buf_adds(&sql, " DESC");
		if (mlp_db_prepare(db, &st, mlp_buf_str(&sql), &err) == 0 &&
		    mlp_db_bind_args(st, 1, &args) == 0)
			while (sqlite3_step(st) == SQLITE_ROW) {
				mlp_buf_adds(&got, mlp_db_text(st, 0));
				mlp_buf_addc(&got, ' ');
			}
		is_str(mlp_buf_str(&got), "r1 r2 r4 ", "order by metrics.auc");
		sqlite3_finalize(st);
		mlp_filter_free(flt);
		mlp_field_release(&f);
		mlp_sqlargs_release(&args);
		mlp_buf_release(&sql);
		mlp_buf_release(&got);
	}
out:
	mlp_buf_release(&b);
	mlp_db_close(db);
	s = xasprintf("rm -rf '%s'", dir);
	if (system(s) != 0)
		printf("# cannot remove %s\n", dir);
	free(s);
	free(path);
}

int
main(void)
{
	test_comparators();
	test_structure();
	test_keys();
	test_errors();
	test_limits();
	test_fields();
	test_like();
	test_db();
	return tap_done();
}

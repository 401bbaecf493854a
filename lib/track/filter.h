/* The run search language: MLflow's filter grammar plus OR, NOT and
 * parentheses, compiled to SQL over the tracking schema with bound values. */
#ifndef MLP_TRACK_FILTER_H
#define MLP_TRACK_FILTER_H

#include "../core/core.h"
#include "../db/db.h"

/* What an identifier names. */
enum mlp_field_kind {
	MLP_FIELD_METRIC,
	MLP_FIELD_PARAM,
	MLP_FIELD_TAG,
	MLP_FIELD_ATTR,
	MLP_FIELD_DATASET,	/* datasets.name|digest|context: filters only */
};

/* A parsed identifier such as metrics.auc, params.`max depth`, start_time. */
struct mlp_field {
	enum mlp_field_kind kind;
	char *key;	/* metric/param/tag key, or canonical attribute name */
};

struct mlp_filter;	/* opaque parse tree */

/* Parses expr. On a syntax error returns MLP_ESYNTAX with err->pos set to the
 * byte offset of the offending token and err->msg saying what was expected;
 * other invalid input (unknown attribute, comparator not allowed for the
 * field, non-numeric value for a metric) is MLP_ESYNTAX too, with the
 * position of the token at fault. An empty or all-blank expr is a filter
 * that matches every run. The caller frees *out with mlp_filter_free().
 * Limits, each MLP_ESYNTAX: 65536 bytes, 64 levels of parentheses and NOT,
 * 10000 values, keys of 250 bytes, and groups nested too deeply for
 * SQLite's parser ("filter too complex"). */
int mlp_filter_parse(const char *expr, struct mlp_filter **out,
    struct mlp_err *err);

/* Frees a parse tree; accepts NULL. */
void mlp_filter_free(struct mlp_filter *f);

/* Appends to sql a boolean SQL expression over the run row aliased "r" that
 * is true for the runs f matches ("1" for the empty filter), and appends its
 * values to args in order of their '?' placeholders. Returns 0. The
 * expression is never NULL, and is kept shallow enough for SQLite's parser
 * inside a WHERE clause like mlp_track_search's, with some room to spare. */
int mlp_filter_sql(const struct mlp_filter *f, struct mlp_buf *sql,
    struct mlp_sqlargs *args, struct mlp_err *err);

/* Parses one identifier as used by --order-by and --columns
 * ("metrics.auc", "params.`a b`", "start_time", "run_name"). Returns 0,
 * or MLP_ESYNTAX with err->pos (datasets.* too: as in MLflow, a run's
 * datasets are a set, with no one value to sort or show). The caller releases out with
 * mlp_field_release(). */
int mlp_field_parse(const char *s, struct mlp_field *out, struct mlp_err *err);
void mlp_field_release(struct mlp_field *f);

/* The fields f compares, each once, in the order they first appear; the
 * caller releases each with mlp_field_release() and frees the array.
 * (deploy's gates show a failing run's values with mlp_field_sql.) */
void mlp_filter_fields(const struct mlp_filter *f, struct mlp_field **out,
    size_t *n);

/* Appends the SQL expression for field's value for run row "r" (a scalar
 * subquery for metrics, params and tags; a column for attributes), with its
 * values appended to args. The value is NULL when the run lacks the key. */
int mlp_field_sql(const struct mlp_field *f, struct mlp_buf *sql,
    struct mlp_sqlargs *args);

/* MLflow's LIKE on s: % matches any run of characters, _ exactly one UTF-8
 * character, there is no escape character; case-sensitive unless nocase
 * (which folds ASCII only). Returns 1 on a match, else 0. This is the SQL
 * function mlp_like(pattern, value, nocase) registered below. */
int mlp_like_match(const char *pattern, const char *s, int nocase);

/* Registers the SQL functions the compiled filters use (mlp_like) on a
 * connection. Called once per connection by the tracking layer. */
int mlp_filter_register_sql(struct mlp_db *db, struct mlp_err *err);

#endif

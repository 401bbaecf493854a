/* Rows for prediction from MLflow's JSON scoring input (dataframe_split,
 * dataframe_records, instances, inputs) into a frame of a known schema. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "internal.h"

/* One conversion: the input's name and where the rows go. */
struct reader {
	const char *name;		/* the input, for messages */
	const struct mlp_column *schema;
	size_t ncols;
	struct mlp_frame *f;
	struct mlp_err *err;
};

static int
fail(struct reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct reader *r, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!r->name)
		return mlp_err_set(r->err, MLP_EINVAL, "%s", msg);
	return mlp_err_set(r->err, MLP_EINVAL, "'%s': %s", r->name, msg);
}

/* A short rendering of a JSON value for a message. */
static void
show(const cJSON *v, char *out, size_t n)
{
	char *s = cJSON_PrintUnformatted(v);

	if (!s) {
		snprintf(out, n, "?");
		return;
	}
	if (strlen(s) > DATA_TEXT_MAX)
		snprintf(out, n, "%.*s...", DATA_TEXT_MAX, s);
	else
		snprintf(out, n, "%s", s);
	free(s);
}

/* Where a value is, for messages: what[i1] or what[i1][i2]. */
struct at {
	const char *what;
	size_t i1;
	long long i2;		/* -1: none */
};

static void
locate(struct at at, char *out, size_t n)
{
	if (at.i2 < 0)
		snprintf(out, n, "%.100s[%zu]", at.what, at.i1);
	else
		snprintf(out, n, "%.100s[%zu][%lld]", at.what, at.i1, at.i2);
}

/* Stores v as row i of schema column j; at says where it is. */
static int
put(struct reader *r, size_t j, size_t i, const cJSON *v, struct at at)
{
	const struct mlp_column *c = &r->schema[j];
	float *dst = &r->f->cols[j][i];
	char buf[DATA_TEXT_MAX + 8], where[160];

	if (!v || cJSON_IsNull(v)) {
		*dst = NAN;
		return 0;
	}
	if (c->type == MLP_COL_NUM) {
		if (cJSON_IsNumber(v)) {
			*dst = (float)v->valuedouble;
			return 0;
		}
		if (cJSON_IsBool(v)) {
			*dst = cJSON_IsTrue(v) ? 1.0f : 0.0f;
			return 0;
		}
		/* a string as CSV gives it: a number or a missing marker */
		if (cJSON_IsString(v) && mlp_column_value(c, v->valuestring,
		    strlen(v->valuestring), dst) == 0)
			return 0;
		show(v, buf, sizeof(buf));
		locate(at, where, sizeof(where));
		return fail(r, "%s ('%s'): %s is not a number", where, c->name,
		    buf);
	}
	if (cJSON_IsString(v))
		return mlp_column_value(c, v->valuestring,
		    strlen(v->valuestring), dst);
	if (cJSON_IsNumber(v) || cJSON_IsBool(v)) {
		/* a level written as a number: its text as CSV would hold it */
		int64_t code;

		if (cJSON_IsBool(v))
			snprintf(buf, sizeof(buf), "%s", cJSON_IsTrue(v) ?
			    "True" : "False");
		else
			mlp_fmt_double(v->valuedouble, buf, sizeof(buf));
		code = data_level_find(c->levels, NULL, c->nlevels, buf,
		    strlen(buf));
		*dst = code < 0 ? NAN : (float)code;
		return 0;
	}
	show(v, buf, sizeof(buf));
	locate(at, where, sizeof(where));
	return fail(r, "%s ('%s'): %s is not a value", where, c->name, buf);
}

static void
alloc_rows(struct reader *r, size_t nrows)
{
	struct mlp_frame *f = xcalloc(1, sizeof(*f));

	f->nrows = nrows;
	f->ncols = r->ncols;
	f->col = xcalloc(r->ncols + 1, sizeof(*f->col));
	f->cols = xcalloc(r->ncols + 1, sizeof(*f->cols));
	data_copy_columns(f->col, r->schema, r->ncols);
	for (size_t j = 0; j < r->ncols; j++)
		f->cols[j] = xmalloc((nrows ? nrows : 1) * sizeof(float));
	f->source = r->name ? xstrdup(r->name) : NULL;
	r->f = f;
}

/* Rows as lists: map[j] is the position of schema column j in each. */
static int
list_rows(struct reader *r, const cJSON *rows, const size_t *map,
    size_t width, const char *what)
{
	/* a row's values by position (cJSON's lists are linked) */
	const cJSON **at = xcalloc(width + 1, sizeof(*at)), *row, *v;
	size_t i = 0;
	int rc = 0;

	cJSON_ArrayForEach(row, rows) {
		size_t k = 0;

		if (cJSON_IsArray(row))
			cJSON_ArrayForEach(v, row)
				if (k++ < width)
					at[k - 1] = v;
		if (!cJSON_IsArray(row) || k != width) {
			rc = fail(r, "%s[%zu]: expected a list of %zu values",
			    what, i, width);
			break;
		}
		for (size_t j = 0; j < r->ncols && rc == 0; j++)
			rc = put(r, j, i, at[map[j]], (struct at){ what, i,
			    (long long)map[j] });
		if (rc < 0)
			break;
		i++;
	}
	free(at);
	return rc;
}

/* Rows as objects keyed by column name. */
static int
record_rows(struct reader *r, const cJSON *rows, const char *what)
{
	size_t i = 0;
	const cJSON *row;
	int rc;

	/* every column in some record (pandas makes the others NaN) */
	for (size_t j = 0; j < r->ncols; j++) {
		int seen = 0;

		cJSON_ArrayForEach(row, rows) {
			if (cJSON_GetObjectItemCaseSensitive(row,
			    r->schema[j].name)) {
				seen = 1;
				break;
			}
		}
		if (!seen)
			return fail(r, "%s: no record has the column '%s'", what,
			    r->schema[j].name);
	}
	cJSON_ArrayForEach(row, rows) {
		if (!cJSON_IsObject(row))
			return fail(r, "%s[%zu]: expected an object of column "
			    "values", what, i);
		for (size_t j = 0; j < r->ncols; j++)
			if ((rc = put(r, j, i, cJSON_GetObjectItemCaseSensitive(
			    row, r->schema[j].name), (struct at){ what, i,
			    -1 })) < 0)
				return rc;
		i++;
	}
	return 0;
}

/* Rows from a list: of objects (records) or of lists (the schema's
 * column order), or of values for a one-column schema. */
static int
array_rows(struct reader *r, const cJSON *rows, const char *what)
{
	size_t n = (size_t)cJSON_GetArraySize(rows), *map;
	const cJSON *first = rows->child;
	int rc;

	alloc_rows(r, n);
	if (n == 0)
		return 0;
	if (cJSON_IsObject(first))
		return record_rows(r, rows, what);
	if (!cJSON_IsArray(first)) {
		size_t i = 0;
		const cJSON *v;

		if (r->ncols != 1)
			return fail(r, "%s: expected rows (lists or objects); "
			    "single values fit a model of one column, this "
			    "one has %zu", what, r->ncols);
		cJSON_ArrayForEach(v, rows) {
			if ((rc = put(r, 0, i, v, (struct at){ what, i, -1 })) < 0)
				return rc;
			i++;
		}
		return 0;
	}
	map = xcalloc(r->ncols + 1, sizeof(*map));
	for (size_t j = 0; j < r->ncols; j++)
		map[j] = j;
	rc = list_rows(r, rows, map, r->ncols, what);
	free(map);
	return rc;
}

/* {"columns": [...], "data": [[...], ...], "index": [...]} */
static int
split_rows(struct reader *r, const cJSON *o)
{
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(o, "columns");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(o, "data");
	size_t width, *map;
	int rc;

	if (!cJSON_IsObject(o))
		return fail(r, "dataframe_split must be an object with "
		    "\"columns\" and \"data\"");
	if (!cJSON_IsArray(data))
		return fail(r, "dataframe_split.data must be a list of rows");
	if (!cols)
		return array_rows(r, data, "dataframe_split.data");
	if (!cJSON_IsArray(cols))
		return fail(r, "dataframe_split.columns must be a list of names");
	width = (size_t)cJSON_GetArraySize(cols);
	map = xcalloc(r->ncols + 1, sizeof(*map));
	for (size_t j = 0; j < r->ncols; j++) {
		const cJSON *c;
		size_t k = 0;

		cJSON_ArrayForEach(c, cols) {
			if (cJSON_IsString(c) &&
			    strcmp(c->valuestring, r->schema[j].name) == 0)
				break;
			k++;
		}
		if (!c) {
			free(map);
			return fail(r, "dataframe_split.columns has no '%s'",
			    r->schema[j].name);
		}
		map[j] = k;
	}
	alloc_rows(r, (size_t)cJSON_GetArraySize(data));
	rc = list_rows(r, data, map, width, "dataframe_split.data");
	free(map);
	return rc;
}

/* {"col": [v, ...], ...}: columns of equal length */
static int
column_rows(struct reader *r, const cJSON *o)
{
	size_t n = 0;
	int rc;

	for (size_t j = 0; j < r->ncols; j++) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(o,
		    r->schema[j].name);

		if (!c)
			return fail(r, "inputs has no column '%s'",
			    r->schema[j].name);
		if (!cJSON_IsArray(c))
			return fail(r, "inputs.%s must be a list of values",
			    r->schema[j].name);
		if (j == 0)
			n = (size_t)cJSON_GetArraySize(c);
		else if ((size_t)cJSON_GetArraySize(c) != n)
			return fail(r, "inputs.%s has %d values, inputs.%s "
			    "%zu", r->schema[j].name, cJSON_GetArraySize(c),
			    r->schema[0].name, n);
	}
	alloc_rows(r, n);
	for (size_t j = 0; j < r->ncols; j++) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(o,
		    r->schema[j].name), *v;
		char *what = xasprintf("inputs.%.60s", r->schema[j].name);
		size_t i = 0;

		rc = 0;
		cJSON_ArrayForEach(v, c) {
			if ((rc = put(r, j, i, v, (struct at){ what, i,
			    -1 })) < 0)
				break;
			i++;
		}
		free(what);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Where text[0..n) stops being JSON whitespace from at on. */
static size_t
skip_space(const char *text, size_t n, size_t at)
{
	while (at < n && (text[at] == ' ' || text[at] == '\t' ||
	    text[at] == '\n' || text[at] == '\r'))
		at++;
	return at;
}

int
mlp_json_frame(const char *text, size_t n, const char *name,
    const struct mlp_column *schema, size_t ncols, struct mlp_frame **out,
    struct mlp_err *err)
{
	struct reader r = { name, schema, ncols, NULL, err };
	const char *end = NULL;
	cJSON *doc;
	size_t at;
	int rc;

	*out = NULL;
	doc = cJSON_ParseWithLengthOpts(text, n, &end, 0);
	at = end && end >= text ? (size_t)(end - text) : 0;
	/* a document followed by more than white space is no document */
	if (doc && skip_space(text, n, at) < n) {
		cJSON_Delete(doc);
		doc = NULL;
	}
	if (!doc) {
		size_t line = 1;

		for (size_t i = 0; i < at && i < n; i++)
			line += text[i] == '\n';
		return fail(&r, "invalid JSON at line %zu", line);
	}
	rc = mlp_json_frame_doc(doc, name, schema, ncols, out, err);
	cJSON_Delete(doc);
	return rc;
}

int
mlp_json_frame_doc(const struct cJSON *doc, const char *name,
    const struct mlp_column *schema, size_t ncols, struct mlp_frame **out,
    struct mlp_err *err)
{
	static const char *const keys[] = { "dataframe_split",
		"dataframe_records", "instances", "inputs" };
	struct reader r = { name, schema, ncols, NULL, err };
	const cJSON *body = NULL, *it;
	const char *key = NULL;
	int rc;

	*out = NULL;
	if (!cJSON_IsObject(doc)) {
		rc = fail(&r, "expected an object with one of dataframe_split, "
		    "dataframe_records, instances or inputs");
		goto out;
	}
	cJSON_ArrayForEach(it, doc) {
		int known = 0;

		for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++)
			if (strcmp(it->string, keys[k]) == 0)
				known = 1;
		if (!known)
			continue;
		if (key) {
			rc = fail(&r, "both %s and %s: give exactly one", key,
			    it->string);
			goto out;
		}
		key = it->string;
		body = it;
	}
	if (!key) {
		rc = cJSON_GetObjectItemCaseSensitive(doc, "columns") &&
		    cJSON_GetObjectItemCaseSensitive(doc, "data") ?
		    fail(&r, "{\"columns\", \"data\"} is MLflow 1.x's format: "
		    "wrap it as {\"dataframe_split\": {\"columns\": ..., "
		    "\"data\": ...}}") :
		    fail(&r, "expected one of dataframe_split, "
		    "dataframe_records, instances or inputs");
		goto out;
	}
	if (strcmp(key, "dataframe_split") == 0) {
		rc = split_rows(&r, body);
	} else if (strcmp(key, "inputs") == 0 && cJSON_IsObject(body)) {
		rc = column_rows(&r, body);
	} else if (!cJSON_IsArray(body)) {
		rc = fail(&r, "%s must be a list of rows", key);
	} else if (strcmp(key, "dataframe_records") == 0 && body->child &&
	    !cJSON_IsObject(body->child)) {
		rc = fail(&r, "dataframe_records must be a list of objects");
	} else {
		rc = array_rows(&r, body, key);
	}
out:
	if (rc < 0)
		mlp_frame_free(r.f);
	else
		*out = r.f;
	return rc;
}

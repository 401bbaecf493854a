/* MLflow's scoring protocol (POST /invocations, mlflow/pyfunc/
 * scoring_server) and KServe's V1 (POST /v1/models/NAME:predict): both
 * read by lib/data's readers, the ones mlp predict uses, so that a body
 * gives the rows and the errors a file with the same text gives. The
 * common bodies (dataframe_split with columns, rows as lists) take a
 * faster road to the same rows, and leave anything else to the reader. */
#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "proto-json.h"
#include "proto.h"

/* What a message may quote of a header: printable, cut short. */
static void
quote(const char *s, size_t n, char *out, size_t size)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 4 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		out[k++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
		if (i == 60 && i + 1 < n) {
			memcpy(out + k, "...", 3), k += 3;
			break;
		}
	}
	out[k] = '\0';
}

/* s[0..*n) without white space around it (moves s, shrinks n). */
static const char *
trim(const char *s, size_t *n)
{
	while (*n && (*s == ' ' || *s == '\t'))
		s++, (*n)--;
	while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

static int
same(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* 0 with *csv set for a content type served (as MLflow's server takes
 * them: application/json or text/csv, at most a UTF-8 charset), else 415
 * saying why. */
static int
check_content_type(const char *ct, int *csv, struct mlp_err *err)
{
	const char *semi, *s;
	char q[80];
	size_t n;

	if (!ct)
		return mlp_err_set(err, MLP_EUNSUPPORTED, "Content-Type: "
		    "missing; send application/json or text/csv"), 415;
	semi = strchr(ct, ';');
	n = semi ? (size_t)(semi - ct) : strlen(ct);
	s = trim(ct, &n);
	if (same(s, n, "application/json")) {
		*csv = 0;
	} else if (same(s, n, "text/csv")) {
		*csv = 1;
	} else {
		quote(s, n, q, sizeof(q));
		return mlp_err_set(err, MLP_EUNSUPPORTED, "Content-Type: '%s' "
		    "is not served; send application/json or text/csv", q), 415;
	}
	while (semi) {
		const char *p = semi + 1, *eq, *v;
		size_t kn, vn;

		semi = strchr(p, ';');
		n = semi ? (size_t)(semi - p) : strlen(p);
		s = trim(p, &n);
		if (n == 0)
			continue;
		eq = memchr(s, '=', n);
		kn = eq ? (size_t)(eq - s) : n;
		vn = eq ? n - kn - 1 : 0;
		trim(s, &kn);
		if (!same(s, kn, "charset")) {
			quote(s, kn, q, sizeof(q));
			return mlp_err_set(err, MLP_EUNSUPPORTED, "Content-Type: "
			    "parameter '%s' is not served (MLflow 2's scoring "
			    "protocol names the format in the body: "
			    "{\"dataframe_split\": ...})", q), 415;
		}
		v = eq ? trim(eq + 1, &vn) : "";
		if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"')
			v++, vn -= 2;
		if (!same(v, vn, "utf-8")) {
			quote(v, vn, q, sizeof(q));
			return mlp_err_set(err, MLP_EUNSUPPORTED, "Content-Type: "
			    "charset '%s' is not served; send UTF-8", q), 415;
		}
	}
	return 0;
}

static size_t
count(const cJSON *a)
{
	const cJSON *it;
	size_t n = 0;

	cJSON_ArrayForEach(it, a)
		n++;
	return n;
}

/* The rows a scoring document holds (what the frame reader would
 * allocate), found before it does; 0 for a shape it will refuse. */
static size_t
json_rows(const cJSON *doc)
{
	static const char *const keys[] = { "dataframe_split",
		"dataframe_records", "instances", "inputs" };
	size_t most = 0;

	for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, keys[k]);
		const cJSON *it;
		size_t c;

		if (k == 0 && cJSON_IsObject(v))
			v = cJSON_GetObjectItemCaseSensitive(v, "data");
		if (cJSON_IsArray(v) && (c = count(v)) > most)
			most = c;
		if (k == 3 && cJSON_IsObject(v))
			cJSON_ArrayForEach(it, v)
				if (cJSON_IsArray(it) && (c = count(it)) > most)
					most = c;
	}
	return most;
}

/* The frame of the rows of doc, as mlp predict reads such a file. */
static int
json_frame(const cJSON *doc, const struct mlp_model *m,
    struct serve_req *out, struct mlp_err *err)
{
	int rc;

	if (cJSON_IsObject(doc) &&
	    (rc = serve_check_rows(m, json_rows(doc), err)) != 0)
		return rc;
	if (mlp_json_frame_doc(doc, NULL, m->feat, m->nfeat, &out->frame,
	    err) < 0)
		return 400;
	out->nrows = out->frame->nrows;
	return 0;
}

/* The fast road: what mlp_json_frame_doc would make of a parsed body, for
 * the bodies it reads without a question; anything else (an error to
 * report, a form less common) goes to the reader itself. */

/* The value token v of row element for column c into *dst, as json.c's
 * put() stores it: 0, or -1 to leave it to the reader. */
static int
fast_value(const struct sj_doc *d, size_t v, const struct mlp_column *c,
    struct mlp_buf *scratch, float *dst)
{
	const struct sj_tok *t = &d->tok[v];
	char buf[64];
	const char *s;

	switch (t->type) {
	case SJ_NUM:
		if (c->type == MLP_COL_NUM) {
			*dst = (float)sj_num(d, v);
			return 0;
		}
		mlp_fmt_double(sj_num(d, v), buf, sizeof(buf));
		s = buf;
		break;
	case SJ_NULL:
		*dst = NAN;
		return 0;
	case SJ_TRUE:
	case SJ_FALSE:
		if (c->type == MLP_COL_NUM) {
			*dst = t->type == SJ_TRUE ? 1.0f : 0.0f;
			return 0;
		}
		s = t->type == SJ_TRUE ? "True" : "False";
		break;
	case SJ_STR:
		mlp_buf_reset(scratch);
		if (sj_str(d, v, scratch) < 0)
			return -1;	/* cJSON cuts it at the NUL */
		s = mlp_buf_str(scratch);
		break;
	default:
		return -1;
	}
	return mlp_column_value(c, s, strlen(s), dst);
}

/* Rows as lists at token rows: map[j] is the element of schema column j
 * in each, width their length. 0, or -1 (out left empty). */
static int
fast_lists(const struct sj_doc *d, size_t rows, const size_t *map,
    size_t width, const struct mlp_model *m, struct serve_req *out)
{
	size_t stack[64], *at = width <= 64 ? stack :
	    xmalloc(width * sizeof(*at)), row, v, r = 0;
	struct mlp_buf scratch = MLP_BUF_INIT;
	float **cols = serve_req_alloc(out, m->nfeat, d->tok[rows].count,
	    NULL, 0);
	int rc = 0;

	for (row = rows + 1; row < d->tok[rows].skip && rc == 0;
	    row = d->tok[row].skip, r++) {
		size_t k = 0;

		if (d->tok[row].type != SJ_ARR || d->tok[row].count != width) {
			rc = -1;
			break;
		}
		for (v = row + 1; v < d->tok[row].skip; v = d->tok[v].skip)
			at[k++] = v;
		for (size_t j = 0; j < m->nfeat && rc == 0; j++)
			rc = fast_value(d, at[map[j]], &m->feat[j], &scratch,
			    &cols[j][r]);
	}
	if (at != stack)
		free(at);
	mlp_buf_release(&scratch);
	if (rc != 0)
		serve_req_release(out);
	return rc;
}

/* 1 when two features of m share a name (which the reader maps to one
 * column): hashes first, so that the usual answer costs no string
 * comparisons. */
static int
dup_names(const struct mlp_model *m)
{
	uint64_t stack[64], *h = m->nfeat <= 64 ? stack :
	    xmalloc(m->nfeat * sizeof(*h));
	int dup = 0;

	for (size_t j = 0; j < m->nfeat; j++) {
		uint64_t x = 1469598103934665603ull;

		for (const unsigned char *p = (const unsigned char *)
		    m->feat[j].name; *p; p++)
			x = (x ^ *p) * 1099511628211ull;
		h[j] = x;
		for (size_t k = 0; k < j && !dup; k++)
			dup = h[k] == x && strcmp(m->feat[k].name,
			    m->feat[j].name) == 0;
	}
	if (h != stack)
		free(h);
	return dup;
}

/* The position of every schema column in dataframe_split's columns into
 * map, the first of a name as the reader takes it; at[k] is the token of
 * the k-th of the width names. */
static int
fast_columns(const struct sj_doc *d, const size_t *at, size_t width,
    const struct mlp_model *m, size_t *map)
{
	size_t j = 0;

	/* the model's order, as usual: column j is feature j, and the first
	 * of its name when no two features share one */
	while (j < m->nfeat && j < width && sj_str_is(d, at[j],
	    m->feat[j].name))
		j++;
	if (j == m->nfeat && !dup_names(m)) {
		for (j = 0; j < m->nfeat; j++)
			map[j] = j;
		return 0;
	}
	for (j = 0; j < m->nfeat; j++) {
		size_t k = 0;

		while (k < width && !sj_str_is(d, at[k], m->feat[j].name))
			k++;
		if (k == width)
			return -1;
		map[j] = k;
	}
	return 0;
}

/* 1 with *rc set (0 or 413) when the fast road took the body d, else 0. */
static int
fast(const struct sj_doc *d, const struct mlp_model *m, int v1,
    struct serve_req *out, struct mlp_err *err, int *rc)
{
	static const char *const keys[] = { "dataframe_split",
		"dataframe_records", "instances", "inputs" };
	size_t k, v, key = 0, val = 0, width = m->nfeat, rows = 0;
	size_t stack[64], *map, nstack[64], *names = nstack;
	int which = -1, done = 0;

	if (d->tok[0].type != SJ_OBJ)
		return 0;
	/* cJSON refuses numbers of 64 characters or more */
	for (k = 0; k < d->ntok; k++)
		if (d->tok[k].type == SJ_NUM && d->tok[k].len >= 64)
			return 0;
	for (k = 1; k < d->tok[0].skip; k = d->tok[k + 1].skip) {
		for (size_t f = 0; f < 4; f++) {
			if (!sj_str_is(d, k, keys[f]))
				continue;
			if (key)
				return 0;
			key = k, val = k + 1, which = (int)f;
		}
	}
	if (!key || (v1 && which != 2) || which == 1)
		return 0;
	map = m->nfeat <= 64 ? stack : xmalloc(m->nfeat * sizeof(*map));
	if (which == 0) {
		size_t cols = 0, data = 0;

		if (d->tok[val].type != SJ_OBJ)
			goto out;
		for (k = val + 1; k < d->tok[val].skip; k = d->tok[k + 1].skip) {
			size_t *slot = sj_str_is(d, k, "columns") ? &cols :
			    sj_str_is(d, k, "data") ? &data : NULL;

			if (slot && *slot)
				goto out;
			if (slot)
				*slot = k + 1;
		}
		if (!cols || !data || d->tok[cols].type != SJ_ARR ||
		    d->tok[data].type != SJ_ARR)
			goto out;
		width = d->tok[cols].count;
		names = width <= 64 ? nstack : xmalloc(width * sizeof(*names));
		k = 0;
		for (v = cols + 1; v < d->tok[cols].skip; v = d->tok[v].skip) {
			if (d->tok[v].type != SJ_STR)
				goto out;
			names[k++] = v;
		}
		if (fast_columns(d, names, width, m, map) < 0)
			goto out;
		rows = data;
	} else {
		/* lists in the schema's order */
		if (d->tok[val].type != SJ_ARR || d->tok[val].count == 0 ||
		    d->tok[val + 1].type != SJ_ARR)
			goto out;
		for (size_t j = 0; j < m->nfeat; j++)
			map[j] = j;
		rows = val;
	}
	if ((*rc = serve_check_rows(m, d->tok[rows].count, err)) != 0) {
		done = 1;
		goto out;
	}
	if (fast_lists(d, rows, map, width, m, out) == 0)
		done = 1;
out:
	if (map != stack)
		free(map);
	if (names != nstack)
		free(names);
	return done;
}

/* The fastest road: the usual large body, {"dataframe_split":
 * {"columns": [...], "data": [[numbers]...]}} or {"instances"|"inputs":
 * [[numbers]...]} for a model whose features are all numeric, read in
 * one pass from the text straight into the frame's columns (sj_rows),
 * without tokens. Anything it does not expect (escapes, other keys, a
 * number of 64 characters, a value that is not a number, null or bool)
 * sends the body down the roads above, which answer it or name the
 * error; so this one never reports one but 413. It reads every byte,
 * taking only ASCII outside strings and valid UTF-8 in them, so a body it
 * takes is one serve_check_body passes: it goes first, and the check's
 * scan of the whole body is spared. */

struct rd {
	const char *s, *e;
};

static inline void
rd_ws(struct rd *r)
{
	while (r->s < r->e && (*r->s == ' ' || *r->s == '\n' ||
	    *r->s == '\r' || *r->s == '\t'))
		r->s++;
}

static inline int
rd_ch(struct rd *r, char c)
{
	rd_ws(r);
	if (r->s < r->e && *r->s == c) {
		r->s++;
		return 1;
	}
	return 0;
}

/* A string of valid UTF-8 without escapes or control bytes: its bytes in
 * *p, *n. */
static int
rd_str(struct rd *r, const char **p, size_t *n)
{
	const char *q;

	if (!rd_ch(r, '"'))
		return 0;
	for (q = r->s; q < r->e && *q != '"'; q++)
		if (*q == '\\' || (unsigned char)*q < 0x20)
			return 0;
	if (q == r->e || mlp_utf8_invalid(r->s, (size_t)(q - r->s)) >= 0)
		return 0;
	*p = r->s, *n = (size_t)(q - r->s);
	r->s = q + 1;
	return 1;
}

static inline int
rd_key(struct rd *r, const char *key)
{
	const char *p;
	size_t n;

	return rd_str(r, &p, &n) && n == strlen(key) &&
	    memcmp(p, key, n) == 0 && rd_ch(r, ':');
}

/* Points the values of a row at cols (feature j is value map[j] of a
 * row, the others dropped). */
static void
point(struct sj_rows *rows, float **cols, const size_t *map, size_t nfeat)
{
	for (size_t k = 0; k < rows->width; k++)
		rows->col[k] = NULL;
	for (size_t j = 0; cols && j < nfeat; j++)
		rows->col[map[j]] = cols[j];
}

/* Room in out for more rows than rows->cap: twice as many, the rows read
 * so far copied; past the most serve_check_rows allows (lim), none: the
 * values are dropped and the body read to its end all the same, to
 * answer 413 only for one that is otherwise fine. */
static void
more_rows(struct serve_req *out, struct sj_rows *rows, const size_t *map,
    const struct mlp_model *m, size_t lim)
{
	struct serve_req bigger;
	float **cols = NULL;

	if (rows->cap == lim) {
		rows->cap = SIZE_MAX;
	} else {
		rows->cap = rows->cap > lim / 2 ? lim : rows->cap * 2;
		cols = serve_req_alloc(&bigger, m->nfeat, rows->cap, NULL, 0);
		for (size_t j = 0; j < m->nfeat; j++)
			memcpy(cols[j], out->frame->cols[j],
			    rows->n * sizeof(float));
		serve_req_release(out);
		*out = bigger;
	}
	point(rows, cols, map, m->nfeat);
}

/* 1 when the n columns name[k] (nlen[k] bytes) are m's features in its
 * order, no two alike: then feature j is column j. The usual request's
 * case, checked in one pass (a table of the names' hashes finds two
 * alike) rather than by looking each feature up among the columns. */
static int
columns_in_order(const struct mlp_model *m, const char *const *name,
    const size_t *nlen, size_t n)
{
	uint8_t seen[128] = { 0 };	/* column + 1 by hash; n <= 64 */

	if (n != m->nfeat)
		return 0;
	for (size_t k = 0; k < n; k++) {
		const char *f = m->feat[k].name;
		uint32_t h = 2166136261u;

		if (strncmp(f, name[k], nlen[k]) != 0 || f[nlen[k]] != '\0')
			return 0;
		for (size_t i = 0; i < nlen[k]; i++)
			h = (h ^ (unsigned char)name[k][i]) * 16777619u;
		for (h &= 127; seen[h]; h = (h + 1) & 127) {
			size_t i = seen[h] - 1u;

			if (nlen[i] == nlen[k] &&
			    memcmp(name[i], name[k], nlen[k]) == 0)
				return 0;
		}
		seen[h] = (uint8_t)(k + 1);
	}
	return 1;
}

/* Feature j's column in map[j]: each feature's first column of its name.
 * 0 when a feature has none or two features share one (the reader would
 * map them to one column). */
static int
columns_map(const struct mlp_model *m, const char *const *name,
    const size_t *nlen, size_t n, size_t *map)
{
	if (columns_in_order(m, name, nlen, n)) {
		for (size_t j = 0; j < n; j++)
			map[j] = j;
		return 1;
	}
	for (size_t j = 0; j < m->nfeat; j++) {
		size_t fl = strlen(m->feat[j].name), k = 0;

		while (k < n && (nlen[k] != fl ||
		    memcmp(name[k], m->feat[j].name, fl) != 0))
			k++;
		if (k == n)
			return 0;
		for (size_t i = 0; i < j; i++)
			if (map[i] == k)
				return 0;
		map[j] = k;
	}
	return 1;
}

/* 1 with *rc set when the fastest road took body, else 0. */
static int
fastest(const char *body, size_t n, const struct mlp_model *m, int v1,
    struct serve_req *out, struct mlp_err *err, int *rc)
{
	struct rd r = { body, body + n };
	size_t map[64], width = m->nfeat, lim = serve_max_rows(m), len;
	float *col[64];
	struct sj_rows rows;
	struct rd save;
	const char *q;
	int more, split = 0;

	if (m->nfeat == 0 || m->nfeat > 64)
		return 0;
	for (size_t j = 0; j < m->nfeat; j++)
		if (m->feat[j].type != MLP_COL_NUM)
			return 0;
	if (!rd_ch(&r, '{'))
		return 0;
	save = r;
	if (!v1 && rd_key(&r, "dataframe_split")) {
		const char *name[64];
		size_t nlen[64];

		if (!rd_ch(&r, '{') || !rd_key(&r, "columns") ||
		    !rd_ch(&r, '['))
			return 0;
		width = 0;
		do {
			if (width == 64 ||
			    !rd_str(&r, &name[width], &nlen[width]))
				return 0;
			width++;
		} while (rd_ch(&r, ','));
		if (!rd_ch(&r, ']') || !rd_ch(&r, ','))
			return 0;
		if (!columns_map(m, name, nlen, width, map))
			return 0;
		if (!rd_key(&r, "data"))
			return 0;
		split = 1;
	} else {
		r = save;
		if (!rd_key(&r, "instances")) {
			r = save;
			if (v1 || !rd_key(&r, "inputs"))
				return 0;
		}
		for (size_t j = 0; j < m->nfeat; j++)
			map[j] = j;
	}
	/* room for as many rows as the first one's length would fill the
	 * rest of the body with, and an eighth more for rows of other
	 * lengths: one allocation for the usual body, none for a copy */
	q = memchr(r.s, ']', (size_t)(r.e - r.s));
	len = (size_t)((q ? q : r.e) - r.s) + 1;
	rows.width = width;
	rows.col = col;
	rows.n = 0;
	rows.cap = (size_t)(r.e - r.s) / len;
	rows.cap += rows.cap / 8 + 4;
	if (rows.cap > lim)
		rows.cap = lim;
	point(&rows, serve_req_alloc(out, m->nfeat, rows.cap, NULL, 0), map,
	    m->nfeat);
	while ((more = sj_rows(&r.s, r.e, &rows)) == 1)
		more_rows(out, &rows, map, m, lim);
	/* an empty list of instances is the reader's to refuse */
	if (more < 0 || (!split && rows.n == 0) ||
	    (split && !rd_ch(&r, '}')) || !rd_ch(&r, '}'))
		goto no;
	rd_ws(&r);
	if (r.s != r.e)
		goto no;
	if (rows.n > lim) {
		serve_req_release(out);
		*rc = serve_check_rows(m, rows.n, err);
		return 1;
	}
	out->nrows = out->frame->nrows = rows.n;
	*rc = 0;
	return 1;
no:
	serve_req_release(out);
	return 0;
}

/* The token road for body: 1 when it took it (*rc set), else 0. */
static int
try_fast(const char *body, size_t n, const struct mlp_model *m, int v1,
    struct serve_req *out, struct mlp_err *err, int *rc)
{
	struct sj_doc d;
	int done = 0;

	if (sj_parse(&d, body, n, NULL) == 0)
		done = fast(&d, m, v1, out, err, rc);
	sj_release(&d);
	return done;
}

int
serve_decode_v1(const char *body, size_t n, const struct mlp_model *m,
    struct serve_req *out, struct mlp_err *err)
{
	const cJSON *inst;
	cJSON *doc = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (fastest(body, n, m, 1, out, err, &rc) ||
	    (rc = serve_check_body(body, n, err)) != 0 ||
	    try_fast(body, n, m, 1, out, err, &rc) ||
	    (rc = serve_json_parse(body, n, &doc, err)) != 0)
		return rc;
	inst = cJSON_IsObject(doc) ? cJSON_GetObjectItemCaseSensitive(doc,
	    "instances") : NULL;
	if (!inst)
		rc = (mlp_err_set(err, MLP_EINVAL, "instances: missing "
		    "(KServe V1 takes {\"instances\": [rows]})"), 400);
	else if (!cJSON_IsArray(inst))
		rc = (mlp_err_set(err, MLP_EINVAL, "instances: expected a "
		    "list of rows"), 400);
	else
		rc = json_frame(doc, m, out, err);
	cJSON_Delete(doc);
	if (rc != 0)
		serve_req_release(out);
	return rc;
}

int
serve_decode_mlflow(const char *body, size_t n, const char *content_type,
    const struct mlp_model *m, struct serve_req *out, struct mlp_err *err)
{
	cJSON *doc = NULL;
	int rc, csv = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = check_content_type(content_type, &csv, err)) != 0 ||
	    (!csv && fastest(body, n, m, 0, out, err, &rc)) ||
	    (rc = serve_check_body(body, n, err)) != 0)
		return rc;
	if (csv) {
		if (mlp_csv_read_mem(body, n, "request", m->feat, m->nfeat, NULL,
		    &out->frame, err) < 0)
			return 400;
		out->nrows = out->frame->nrows;
		if ((rc = serve_check_rows(m, out->nrows, err)) != 0)
			serve_req_release(out);
		return rc;
	}
	if (try_fast(body, n, m, 0, out, err, &rc) ||
	    (rc = serve_json_parse(body, n, &doc, err)) != 0)
		return rc;
	rc = json_frame(doc, m, out, err);
	cJSON_Delete(doc);
	if (rc != 0)
		serve_req_release(out);
	return rc;
}

/* model.json: the payload of a model directory, written with numbers that
 * read back bit for bit ("%.9g" for floats, "%.17g" for doubles). */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MODEL_FORMAT 1

int
model_parse_json(const char *path, const char *text, size_t len,
    cJSON **out, struct mlp_err *err)
{
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	int line = 1;

	if (doc) {
		*out = doc;
		return 0;
	}
	for (const char *p = text; end && p < end && p < text + len; p++)
		line += *p == '\n';
	return mlp_err_set(err, MLP_EINVAL, "'%s' is not valid JSON (line %d)",
	    path, line);
}

/* Writing */

void
model_json_str(struct mlp_buf *b, const char *s)
{
	mlp_buf_addc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			mlp_buf_addc(b, '\\');
			mlp_buf_addc(b, (char)*p);
		} else if (*p < 0x20) {
			mlp_buf_addf(b, "\\u%04x", *p);
		} else {
			mlp_buf_addc(b, (char)*p);
		}
	}
	mlp_buf_addc(b, '"');
}

/* A double; the non-finite ones (only best_score may be) as strings. */
static void
add_double(struct mlp_buf *b, double v)
{
	if (isnan(v))
		mlp_buf_adds(b, "\"NaN\"");
	else if (isinf(v))
		mlp_buf_adds(b, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	else
		mlp_buf_addf(b, "%.17g", v);
}

enum numtype { NUM_F32, NUM_F64, NUM_U32, NUM_I32, NUM_U8 };

static void
add_array(struct mlp_buf *b, const char *key, const void *a, size_t n,
    enum numtype t)
{
	mlp_buf_addf(b, ",\n\t\"%s\": [", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			mlp_buf_addc(b, ',');
		switch (t) {
		case NUM_F32:
			mlp_buf_addf(b, "%.9g", (double)((const float *)a)[i]);
			break;
		case NUM_F64:
			add_double(b, ((const double *)a)[i]);
			break;
		case NUM_U32:
			mlp_buf_addf(b, "%u", ((const uint32_t *)a)[i]);
			break;
		case NUM_I32:
			mlp_buf_addf(b, "%d", (int)((const int32_t *)a)[i]);
			break;
		case NUM_U8:
			mlp_buf_addf(b, "%u", ((const uint8_t *)a)[i]);
			break;
		}
	}
	mlp_buf_addc(b, ']');
}

static void
model_to_json(const struct mlp_model *m, struct mlp_buf *b)
{
	int linear = m->kind == MLP_MODEL_LINEAR;

	mlp_buf_addf(b, "{\n\t\"format\": %d,\n\t\"kind\": \"%s\",\n"
	    "\t\"objective\": \"%s\",\n\t\"num_class\": %d,\n"
	    "\t\"ngroup\": %d,\n\t\"nout\": %d,\n\t\"origin\": ",
	    MODEL_FORMAT, linear ? "linear" : "gbdt",
	    mlp_objective_name((int)m->objective), m->num_class, m->ngroup,
	    m->nout);
	if (m->origin)
		model_json_str(b, m->origin);
	else
		mlp_buf_adds(b, "null");
	mlp_buf_adds(b, ",\n\t\"feat\": [");
	for (size_t j = 0; j < m->nfeat; j++) {
		const struct mlp_column *c = &m->feat[j];

		mlp_buf_adds(b, j ? ",\n\t\t{\"name\": " : "\n\t\t{\"name\": ");
		model_json_str(b, c->name);
		if (c->type == MLP_COL_CAT) {
			mlp_buf_adds(b, ", \"type\": \"categorical\", "
			    "\"levels\": [");
			for (size_t k = 0; k < c->nlevels; k++) {
				if (k)
					mlp_buf_adds(b, ", ");
				model_json_str(b, c->levels[k]);
			}
			mlp_buf_adds(b, "]}");
		} else {
			mlp_buf_adds(b, ", \"type\": \"numeric\"}");
		}
	}
	mlp_buf_adds(b, m->nfeat ? "\n\t]" : "]");
	add_array(b, "base_margin", m->base_margin, (size_t)m->ngroup,
	    NUM_F64);
	mlp_buf_addf(b, ",\n\t\"best_iteration\": %d,\n\t\"best_score\": ",
	    m->best_iteration);
	add_double(b, m->best_score);
	mlp_buf_addf(b, ",\n\t\"ntrees\": %zu,\n\t\"nnodes\": %zu", m->ntrees,
	    m->nnodes);
	add_array(b, "tree_root", m->tree_root, m->ntrees, NUM_U32);
	add_array(b, "tree_group", m->tree_group, m->ntrees, NUM_I32);
	add_array(b, "split_feat", m->split_feat, m->nnodes, NUM_I32);
	add_array(b, "split_value", m->split_value, m->nnodes, NUM_F32);
	add_array(b, "left", m->left, m->nnodes, NUM_U32);
	add_array(b, "default_left", m->default_left, m->nnodes, NUM_U8);
	mlp_buf_addf(b, ",\n\t\"nslots\": %zu", linear ? m->nslots : 0);
	add_array(b, "slot", m->slot, linear ? m->nfeat : 0, NUM_U32);
	add_array(b, "mean", m->mean, linear ? m->nslots : 0, NUM_F64);
	add_array(b, "scale", m->scale, linear ? m->nslots : 0, NUM_F64);
	add_array(b, "weight", m->weight,
	    linear ? (size_t)m->ngroup * m->nslots : 0, NUM_F64);
	add_array(b, "bias", m->bias, linear ? (size_t)m->ngroup : 0,
	    NUM_F64);
	mlp_buf_adds(b, "\n}\n");
}

int
mlp_model_write_json(const struct mlp_model *m, const char *path,
    struct mlp_err *err)
{
	struct mlp_buf b = MLP_BUF_INIT;
	int rc;

	if ((rc = mlp_model_check(m, err)) < 0) {
		mlp_err_prefix(err, "cannot write '%s'", path);
		return rc;
	}
	model_to_json(m, &b);
	rc = mlp_write_file(path, b.s, b.len, err);
	mlp_buf_release(&b);
	return rc;
}

/* Reading */

struct rd {
	const cJSON *doc;
	const char *path;
	struct mlp_err *err;
};

static int
bad(struct rd *rd, const char *field, const char *what)
{
	return mlp_err_set(rd->err, MLP_EINVAL, "'%s': field '%s': %s",
	    rd->path, field, what);
}

static const cJSON *
field(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* An integer in [lo, hi]. */
static int
get_int(struct rd *rd, const char *name, double lo, double hi, double *out)
{
	const cJSON *v = field(rd->doc, name);

	if (!v)
		return bad(rd, name, "missing");
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < lo || v->valuedouble > hi)
		return bad(rd, name, "expected an integer in range");
	*out = v->valuedouble;
	return 0;
}

static int
get_double(struct rd *rd, const cJSON *v, const char *name, double *out)
{
	if (cJSON_IsNumber(v)) {
		*out = v->valuedouble;
		return 0;
	}
	if (cJSON_IsString(v)) {
		if (strcmp(v->valuestring, "NaN") == 0) {
			*out = NAN;
			return 0;
		}
		if (strcmp(v->valuestring, "Infinity") == 0 ||
		    strcmp(v->valuestring, "-Infinity") == 0) {
			*out = v->valuestring[0] == '-' ? -INFINITY : INFINITY;
			return 0;
		}
	}
	return bad(rd, name, "expected a number");
}

/* The array field name of exactly n numbers of type t into a new array
 * (NULL when n is 0); integer types must hold integers in range. */
static int
get_array(struct rd *rd, const char *name, size_t n, enum numtype t,
    void *out)
{
	static const size_t size[] = {
		[NUM_F32] = 4, [NUM_F64] = 8, [NUM_U32] = 4, [NUM_I32] = 4,
		[NUM_U8] = 1,
	};
	const cJSON *a = field(rd->doc, name), *v;
	void *p;
	size_t i = 0;
	char what[96];

	*(void **)out = NULL;
	if (!a)
		return n ? bad(rd, name, "missing") : 0;
	if (!cJSON_IsArray(a))
		return bad(rd, name, "expected an array");
	if ((size_t)cJSON_GetArraySize(a) != n) {
		snprintf(what, sizeof(what), "expected %zu value%s, found %d",
		    n, n == 1 ? "" : "s", cJSON_GetArraySize(a));
		return bad(rd, name, what);
	}
	if (!n)
		return 0;
	p = xmalloc(n * size[t]);
	cJSON_ArrayForEach(v, a) {
		double d;

		if (!cJSON_IsNumber(v)) {
			free(p);
			snprintf(what, sizeof(what), "value %zu is not a "
			    "number", i);
			return bad(rd, name, what);
		}
		d = v->valuedouble;
		if (t == NUM_F32 && !(fabs(d) <= FLT_MAX)) {
			free(p);
			snprintf(what, sizeof(what), "value %zu is not a "
			    "finite float", i);
			return bad(rd, name, what);
		}
		if (t != NUM_F32 && t != NUM_F64 && (d != floor(d) ||
		    d < (t == NUM_I32 ? INT32_MIN : 0) ||
		    d > (t == NUM_I32 ? INT32_MAX : t == NUM_U8 ? 255 :
		    UINT32_MAX))) {
			free(p);
			snprintf(what, sizeof(what), "value %zu is not an "
			    "integer in range", i);
			return bad(rd, name, what);
		}
		switch (t) {
		case NUM_F32:
			((float *)p)[i] = (float)d;
			break;
		case NUM_F64:
			((double *)p)[i] = d;
			break;
		case NUM_U32:
			((uint32_t *)p)[i] = (uint32_t)d;
			break;
		case NUM_I32:
			((int32_t *)p)[i] = (int32_t)d;
			break;
		case NUM_U8:
			((uint8_t *)p)[i] = (uint8_t)d;
			break;
		}
		i++;
	}
	*(void **)out = p;
	return 0;
}

static int
get_features(struct rd *rd, struct mlp_model *m)
{
	const cJSON *a = field(rd->doc, "feat"), *c;
	size_t j = 0;
	char what[128];

	if (!cJSON_IsArray(a))
		return bad(rd, "feat", a ? "expected an array" : "missing");
	m->nfeat = (size_t)cJSON_GetArraySize(a);
	m->feat = m->nfeat ? xcalloc(m->nfeat, sizeof(*m->feat)) : NULL;
	cJSON_ArrayForEach(c, a) {
		struct mlp_column *col = &m->feat[j];
		const cJSON *name = field(c, "name"), *type = field(c, "type");
		const cJSON *lv = field(c, "levels"), *l;

		if (!cJSON_IsString(name) || !cJSON_IsString(type)) {
			m->nfeat = j;
			snprintf(what, sizeof(what), "feature %zu needs a "
			    "string name and type", j);
			return bad(rd, "feat", what);
		}
		col->name = xstrdup(name->valuestring);
		j++;
		if (strcmp(type->valuestring, "numeric") == 0) {
			col->type = MLP_COL_NUM;
			continue;
		}
		col->type = MLP_COL_CAT;
		if (strcmp(type->valuestring, "categorical") != 0 ||
		    !cJSON_IsArray(lv)) {
			m->nfeat = j;
			snprintf(what, sizeof(what), "feature '%.60s': type "
			    "must be numeric or categorical with levels",
			    col->name);
			return bad(rd, "feat", what);
		}
		col->levels = xcalloc((size_t)cJSON_GetArraySize(lv) + 1,
		    sizeof(char *));
		cJSON_ArrayForEach(l, lv) {
			if (!cJSON_IsString(l)) {
				m->nfeat = j;
				snprintf(what, sizeof(what), "feature '%.60s': "
				    "levels must be strings", col->name);
				return bad(rd, "feat", what);
			}
			col->levels[col->nlevels++] = xstrdup(l->valuestring);
		}
	}
	return 0;
}

int
model_from_json(const cJSON *doc, const char *path, struct mlp_model **out,
    struct mlp_err *err)
{
	struct mlp_model *m = mlp_model_new();
	struct rd rd = { doc, path, err };
	const cJSON *kind, *obj, *origin;
	double fmt, d, ntrees, nnodes, nslots;
	int rc, o;

	*out = NULL;
	if (!cJSON_IsObject(doc)) {
		rc = mlp_err_set(err, MLP_EINVAL, "'%s' is not a JSON object",
		    path);
		goto out;
	}
	if ((rc = get_int(&rd, "format", 0, INT32_MAX, &fmt)) < 0)
		goto out;
	if (fmt != MODEL_FORMAT) {
		rc = mlp_err_set(err, MLP_EUNSUPPORTED, "'%s' has format "
		    "%.0f; this mlp reads format %d", path, fmt,
		    MODEL_FORMAT);
		goto out;
	}
	kind = field(doc, "kind");
	if (!cJSON_IsString(kind) || (strcmp(kind->valuestring, "gbdt") != 0 &&
	    strcmp(kind->valuestring, "linear") != 0)) {
		rc = bad(&rd, "kind", "expected \"gbdt\" or \"linear\"");
		goto out;
	}
	m->kind = kind->valuestring[0] == 'l' ? MLP_MODEL_LINEAR :
	    MLP_MODEL_GBDT;
	obj = field(doc, "objective");
	if (!cJSON_IsString(obj) ||
	    (o = mlp_objective_parse(obj->valuestring)) < 0) {
		rc = bad(&rd, "objective", "expected one of reg:squarederror, "
		    "binary:logistic, multi:softmax, multi:softprob");
		goto out;
	}
	m->objective = (enum mlp_objective)o;
	if ((rc = get_int(&rd, "num_class", 1, INT32_MAX, &d)) < 0)
		goto out;
	m->num_class = (int)d;
	if ((rc = get_int(&rd, "ngroup", 1, INT32_MAX, &d)) < 0)
		goto out;
	m->ngroup = (int)d;
	if ((rc = get_int(&rd, "nout", 1, INT32_MAX, &d)) < 0)
		goto out;
	m->nout = (int)d;
	origin = field(doc, "origin");
	if (cJSON_IsString(origin))
		m->origin = xstrdup(origin->valuestring);
	else if (origin && !cJSON_IsNull(origin)) {
		rc = bad(&rd, "origin", "expected a string");
		goto out;
	}
	if ((rc = get_features(&rd, m)) < 0 ||
	    (rc = get_array(&rd, "base_margin", (size_t)m->ngroup, NUM_F64,
	    &m->base_margin)) < 0 ||
	    (rc = get_int(&rd, "best_iteration", 0, INT32_MAX, &d)) < 0)
		goto out;
	m->best_iteration = (int)d;
	if (!field(doc, "best_score")) {
		rc = bad(&rd, "best_score", "missing");
		goto out;
	}
	if ((rc = get_double(&rd, field(doc, "best_score"), "best_score",
	    &m->best_score)) < 0)
		goto out;
	if ((rc = get_int(&rd, "ntrees", 0, UINT32_MAX, &ntrees)) < 0 ||
	    (rc = get_int(&rd, "nnodes", 0, UINT32_MAX, &nnodes)) < 0 ||
	    (rc = get_int(&rd, "nslots", 0, UINT32_MAX, &nslots)) < 0)
		goto out;
	m->ntrees = (size_t)ntrees;
	m->nnodes = (size_t)nnodes;
	m->nslots = (size_t)nslots;
	if ((rc = get_array(&rd, "tree_root", m->ntrees, NUM_U32,
	    &m->tree_root)) < 0 ||
	    (rc = get_array(&rd, "tree_group", m->ntrees, NUM_I32,
	    &m->tree_group)) < 0 ||
	    (rc = get_array(&rd, "split_feat", m->nnodes, NUM_I32,
	    &m->split_feat)) < 0 ||
	    (rc = get_array(&rd, "split_value", m->nnodes, NUM_F32,
	    &m->split_value)) < 0 ||
	    (rc = get_array(&rd, "left", m->nnodes, NUM_U32, &m->left)) < 0 ||
	    (rc = get_array(&rd, "default_left", m->nnodes, NUM_U8,
	    &m->default_left)) < 0)
		goto out;
	if (m->kind == MLP_MODEL_LINEAR) {
		if (m->nslots > UINT32_MAX / (size_t)m->ngroup) {
			rc = bad(&rd, "nslots", "too large");
			goto out;
		}
		if ((rc = get_array(&rd, "slot", m->nfeat, NUM_U32,
		    &m->slot)) < 0 ||
		    (rc = get_array(&rd, "mean", m->nslots, NUM_F64,
		    &m->mean)) < 0 ||
		    (rc = get_array(&rd, "scale", m->nslots, NUM_F64,
		    &m->scale)) < 0 ||
		    (rc = get_array(&rd, "weight",
		    (size_t)m->ngroup * m->nslots, NUM_F64, &m->weight)) < 0 ||
		    (rc = get_array(&rd, "bias", (size_t)m->ngroup, NUM_F64,
		    &m->bias)) < 0)
			goto out;
	}
	if ((rc = mlp_model_check(m, err)) < 0) {
		mlp_err_prefix(err, "'%s'", path);
		goto out;
	}
	*out = m;
	m = NULL;
out:
	mlp_model_free(m);
	return rc;
}

int
model_load_json(const char *path,
    int (*from)(const cJSON *, const char *, struct mlp_model **,
    struct mlp_err *), struct mlp_model **out, struct mlp_err *err)
{
	cJSON *doc = NULL;
	char *text = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if ((rc = mlp_read_file(path, MLP_MODEL_MAX_BYTES, &text, &len,
	    err)) < 0 ||
	    (rc = model_parse_json(path, text, len, &doc, err)) < 0)
		goto out;
	rc = from(doc, path, out, err);
out:
	cJSON_Delete(doc);
	free(text);
	return model_err_oneline(err, rc);
}

int
mlp_model_read_json(const char *path, struct mlp_model **out,
    struct mlp_err *err)
{
	return model_load_json(path, model_from_json, out, err);
}

/* The Open Inference Protocol v2 infer request (inference_rest.md): one
 * [batch, nfeat] tensor, or one input per feature, into the rows of a
 * frame, every value checked against its datatype. One scan of the body
 * (proto-json.h) and one allocation for the rows. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto-json.h"
#include "proto.h"

enum dtype {
	DT_BOOL, DT_UINT8, DT_UINT16, DT_UINT32, DT_UINT64, DT_INT8,
	DT_INT16, DT_INT32, DT_INT64, DT_FP16, DT_FP32, DT_FP64, DT_BF16,
	DT_BYTES,
};

/* The datatypes of the spec; integers take [lo, lim). */
static const struct dtype_info {
	const char *name;
	double lo, lim;
	const char *range;	/* for messages */
} dtypes[] = {
	[DT_BOOL] = { "BOOL", 0, 0, NULL },
	[DT_UINT8] = { "UINT8", 0, 256.0, "0 to 255" },
	[DT_UINT16] = { "UINT16", 0, 65536.0, "0 to 65535" },
	[DT_UINT32] = { "UINT32", 0, 4294967296.0, "0 to 4294967295" },
	[DT_UINT64] = { "UINT64", 0, 18446744073709551616.0,
	    "0 to 18446744073709551615" },
	[DT_INT8] = { "INT8", -128.0, 128.0, "-128 to 127" },
	[DT_INT16] = { "INT16", -32768.0, 32768.0, "-32768 to 32767" },
	[DT_INT32] = { "INT32", -2147483648.0, 2147483648.0,
	    "-2147483648 to 2147483647" },
	[DT_INT64] = { "INT64", -9223372036854775808.0,
	    9223372036854775808.0,
	    "-9223372036854775808 to 9223372036854775807" },
	[DT_FP16] = { "FP16", 0, 0, NULL },
	[DT_FP32] = { "FP32", 0, 0, NULL },
	[DT_FP64] = { "FP64", 0, 0, NULL },
	[DT_BF16] = { "BF16", 0, 0, NULL },
	[DT_BYTES] = { "BYTES", 0, 0, NULL },
};
#define NDTYPES (sizeof(dtypes) / sizeof(*dtypes))

static int
is_int_type(int dt)
{
	return dt >= DT_UINT8 && dt <= DT_INT64;
}

/* One request input, as read before its values are. */
struct input {
	size_t name;		/* tokens */
	size_t data;
	int dt;
	int ndim;
	size_t dim[2];
	int nested;		/* data as a list of rows */
};

/* What a decoding needs at hand. */
struct oip {
	const struct sj_doc *d;
	const struct mlp_model *m;
	struct mlp_buf scratch;	/* unescaped strings */
	struct mlp_err *err;
};

static int
bad(struct oip *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
bad(struct oip *o, const char *fmt, ...)
{
	char msg[sizeof(o->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mlp_err_set(o->err, MLP_EINVAL, "%s", msg), 400;
}

/* The string token i unescaped (valid until the next call), or NULL when
 * it holds a NUL. */
static const char *
str(struct oip *o, size_t i)
{
	mlp_buf_reset(&o->scratch);
	if (sj_str(o->d, i, &o->scratch) < 0)
		return NULL;
	return mlp_buf_str(&o->scratch);
}

/* A short rendering of value token i for a message. */
static void
show(struct oip *o, size_t i, char *out, size_t n)
{
	const struct sj_tok *t = &o->d->tok[i];

	switch (t->type) {
	case SJ_NUM: {
		double d = sj_num(o->d, i);

		if (d == floor(d) && fabs(d) < 1e20)
			snprintf(out, n, "%.0f", d);
		else
			mlp_fmt_double(d, out, n);
		break;
	}
	case SJ_STR: {
		const char *s = str(o, i);
		size_t len = s ? strlen(s) : 0, k = len > 40 ? 40 : len;

		while (k < len && k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		snprintf(out, n, "\"%.*s%s\"", (int)k, s ? s : "",
		    k < len ? "..." : "");
		for (char *p = out; *p; p++)
			if ((unsigned char)*p < 0x20)
				*p = '?';
		break;
	}
	default:
		snprintf(out, n, "%s", t->type == SJ_TRUE ? "true" :
		    t->type == SJ_FALSE ? "false" : t->type == SJ_NULL ? "null" :
		    t->type == SJ_ARR ? "a list" : "an object");
	}
}

/* "[2, 28]" from a shape. */
static void
show_shape(const struct input *in, char *out, size_t n)
{
	if (in->ndim == 1)
		snprintf(out, n, "[%zu]", in->dim[0]);
	else
		snprintf(out, n, "[%zu, %zu]", in->dim[0], in->dim[1]);
}

/* The feature whose name string token i holds (tried at hint first:
 * inputs usually come in the model's order), or -1. */
static long
find_feat(struct oip *o, size_t i, size_t hint)
{
	const struct mlp_model *m = o->m;

	if (hint < m->nfeat && sj_str_is(o->d, i, m->feat[hint].name))
		return (long)hint;
	for (size_t j = 0; j < m->nfeat; j++)
		if (j != hint && sj_str_is(o->d, i, m->feat[j].name))
			return (long)j;
	return -1;
}

/* A member of an object, by key token k and value token v. */
#define FOR_MEMBERS(d, obj, k, v) \
	for ((k) = (obj) + 1; (k) < (d)->tok[obj].skip && ((v) = (k) + 1, 1); \
	    (k) = (d)->tok[v].skip)
#define FOR_ELEMS(d, arr, v) \
	for ((v) = (arr) + 1; (v) < (d)->tok[arr].skip; (v) = (d)->tok[v].skip)

/* Takes value v of member key k into *slot once; a second is an error,
 * named as what[i].key (what NULL: key alone). */
static int
take(struct oip *o, size_t k, size_t v, size_t *slot, const char *what,
    size_t i)
{
	const char *key;

	if (!*slot) {
		*slot = v;
		return 0;
	}
	key = str(o, k);
	if (!what)
		return bad(o, "%s: given twice", key ? key : "?");
	return bad(o, "%s[%zu].%s: given twice", what, i, key ? key : "?");
}

/* Reads inputs[i]: its fields, datatype and shape; not its values. */
static int
read_input(struct oip *o, size_t tok, size_t i, struct input *in)
{
	const struct sj_doc *d = o->d;
	size_t k, v, name = 0, dt = 0, shape = 0, data = 0, params = 0, nd;
	int rc;

	memset(in, 0, sizeof(*in));
	if (d->tok[tok].type != SJ_OBJ)
		return bad(o, "inputs[%zu]: expected an object with name, "
		    "shape, datatype and data", i);
	FOR_MEMBERS(d, tok, k, v) {
		size_t *slot = sj_str_is(d, k, "name") ? &name :
		    sj_str_is(d, k, "shape") ? &shape :
		    sj_str_is(d, k, "datatype") ? &dt :
		    sj_str_is(d, k, "data") ? &data :
		    sj_str_is(d, k, "parameters") ? &params : NULL;

		if (slot && (rc = take(o, k, v, slot, "inputs", i)) != 0)
			return rc;
	}
	if (!name || d->tok[name].type != SJ_STR)
		return bad(o, "inputs[%zu].name: %s", i, name ?
		    "expected a string" : "missing");
	in->name = name;
	if (!dt || d->tok[dt].type != SJ_STR)
		return bad(o, "inputs[%zu].datatype: %s", i, dt ?
		    "expected a string" : "missing");
	for (k = 0; k < NDTYPES; k++)
		if (sj_str_is(d, dt, dtypes[k].name))
			break;
	if (k == NDTYPES) {
		char s[64];

		show(o, dt, s, sizeof(s));
		return bad(o, "inputs[%zu].datatype: %s is not a datatype of "
		    "the protocol (BOOL, UINT8 to UINT64, INT8 to INT64, FP32, "
		    "FP64, BYTES)", i, s);
	}
	if (k == DT_FP16 || k == DT_BF16)
		return bad(o, "inputs[%zu].datatype: %s is not served: JSON "
		    "numbers do not say how to round them; send FP32 or FP64",
		    i, dtypes[k].name);
	in->dt = (int)k;
	if (params && d->tok[params].type != SJ_OBJ)
		return bad(o, "inputs[%zu].parameters: expected an object", i);
	if (!shape || d->tok[shape].type != SJ_ARR)
		return bad(o, "inputs[%zu].shape: %s", i, shape ?
		    "expected a list of sizes" : "missing");
	nd = 0;
	FOR_ELEMS(d, shape, v) {
		double x = d->tok[v].type == SJ_NUM ? sj_num(d, v) : -1;
		char s[64];

		if (x < 0 || x != floor(x) || x > 9007199254740992.0) {
			show(o, v, s, sizeof(s));
			return bad(o, "inputs[%zu].shape[%zu]: expected a size "
			    "(a whole number from 0), got %s", i, nd, s);
		}
		if (nd < 2)
			in->dim[nd] = (size_t)x;
		nd++;
	}
	if (nd == 0 || nd > 2)
		return bad(o, "inputs[%zu].shape: expected [batch, N] or "
		    "[batch], got %zu dimensions", i, nd);
	in->ndim = (int)nd;
	if (!data || d->tok[data].type != SJ_ARR)
		return bad(o, "inputs[%zu].data: %s", i, data ?
		    "expected a list of values" : "missing");
	in->data = data;
	in->nested = in->ndim == 2 && d->tok[data].count > 0 &&
	    d->tok[data + 1].type == SJ_ARR;
	return 0;
}

/* Checks that inputs[i]'s data holds as many values as its shape says,
 * in rows of the shape's width when nested. */
static int
check_data(struct oip *o, const struct input *in, size_t i)
{
	const struct sj_doc *d = o->d;
	size_t rows = in->dim[0], width = in->ndim == 2 ? in->dim[1] : 1;
	size_t n = d->tok[in->data].count, r = 0, v;
	int over = width && rows > SIZE_MAX / width;
	char sh[64];

	if (!in->nested) {
		if (!over && n == rows * width)
			return 0;
		show_shape(in, sh, sizeof(sh));
		return bad(o, "inputs[%zu].data: %zu values; shape %s holds "
		    "%zu", i, n, sh, over ? SIZE_MAX : rows * width);
	}
	if (n != rows) {
		show_shape(in, sh, sizeof(sh));
		return bad(o, "inputs[%zu].data: %zu rows; shape %s has %zu", i,
		    n, sh, rows);
	}
	FOR_ELEMS(d, in->data, v) {
		if (d->tok[v].type != SJ_ARR || d->tok[v].count != width) {
			show_shape(in, sh, sizeof(sh));
			return bad(o, "inputs[%zu].data[%zu]: expected a list of "
			    "%zu values (shape %s)", i, r, width, sh);
		}
		r++;
	}
	return 0;
}

/* Where a value is: inputs[i].data[a] or inputs[i].data[a][b]. */
struct at {
	size_t i, a;
	long long b;		/* -1: none */
};

static int
bad_value(struct oip *o, struct at at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad_value(struct oip *o, struct at at, const char *fmt, ...)
{
	char where[96], what[300];
	va_list ap;

	if (at.b < 0)
		snprintf(where, sizeof(where), "inputs[%zu].data[%zu]", at.i,
		    at.a);
	else
		snprintf(where, sizeof(where), "inputs[%zu].data[%zu][%lld]",
		    at.i, at.a, at.b);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return bad(o, "%s: %s", where, what);
}

/* The level of column c whose text is s, as mlp predict reads it. */
static void
level(const struct mlp_column *c, const char *s, float *dst)
{
	mlp_column_value(c, s, strlen(s), dst);
}

/* Stores value token v of datatype dt for column c into *dst. */
static int
convert(struct oip *o, size_t v, int dt, const struct mlp_column *c,
    float *dst, struct at at)
{
	const struct dtype_info *t = &dtypes[dt];
	int type = o->d->tok[v].type;
	char s[64];

	if (type == SJ_NUM && dt != DT_BOOL && dt != DT_BYTES) {
		double x = sj_num(o->d, v);

		if (!isfinite(x))
			return bad_value(o, at, "a number too large for %s",
			    t->name);
		if (is_int_type(dt) && (x != floor(x) || x < t->lo ||
		    x >= t->lim)) {
			show(o, v, s, sizeof(s));
			return bad_value(o, at, "%s is not of datatype %s (a "
			    "whole number from %s)", s, t->name, t->range);
		}
		if (fabs(x) > FLT_MAX) {
			show(o, v, s, sizeof(s));
			return bad_value(o, at, dt == DT_FP32 ? "%s is not of "
			    "datatype FP32 (at most 3.40282347e+38 in size)" :
			    "%s is past the FP32 range the model computes in",
			    s);
		}
		if (c->type == MLP_COL_CAT) {
			mlp_fmt_double(x, s, sizeof(s));
			level(c, s, dst);
			return 0;
		}
		*dst = (float)x;
		return 0;
	}
	if ((type == SJ_TRUE || type == SJ_FALSE) && dt == DT_BOOL) {
		if (c->type == MLP_COL_CAT)
			level(c, type == SJ_TRUE ? "True" : "False", dst);
		else
			*dst = type == SJ_TRUE ? 1.0f : 0.0f;
		return 0;
	}
	if (type == SJ_STR && dt == DT_BYTES) {
		const char *b = str(o, v);

		if (!b)
			return bad_value(o, at, "a string holding a NUL "
			    "(\\u0000)");
		level(c, b, dst);
		return 0;
	}
	if (type == SJ_NULL && (dt == DT_FP32 || dt == DT_FP64 ||
	    dt == DT_BYTES)) {
		*dst = NAN;
		return 0;
	}
	if (type == SJ_NULL)
		return bad_value(o, at, "null is not of datatype %s (a missing "
		    "value needs FP32 or FP64)", t->name);
	show(o, v, s, sizeof(s));
	return bad_value(o, at, "%s is not of datatype %s", s, t->name);
}

/* Fills the values of inputs[i] into columns j0 .. j0 + width - 1. */
static int
fill(struct oip *o, const struct input *in, size_t i, size_t j0,
    size_t width, float *const *cols)
{
	const struct sj_doc *d = o->d;
	const struct mlp_column *feat = o->m->feat;
	size_t r = 0, c = 0, k = 0, row, v;
	int rc;

	if (in->nested) {
		FOR_ELEMS(d, in->data, row) {
			c = 0;
			FOR_ELEMS(d, row, v) {
				if ((rc = convert(o, v, in->dt, &feat[j0 + c],
				    &cols[j0 + c][r], (struct at){ i, r,
				    (long long)c })) != 0)
					return rc;
				c++;
			}
			r++;
		}
		return 0;
	}
	FOR_ELEMS(d, in->data, v) {
		/* a number, as nearly always: no checks but its range */
		if (d->tok[v].type == SJ_NUM && in->dt >= DT_FP32 &&
		    in->dt <= DT_FP64 && feat[j0 + c].type == MLP_COL_NUM) {
			double x = sj_num(d, v);

			if (!(fabs(x) <= FLT_MAX))
				return convert(o, v, in->dt, &feat[j0 + c],
				    &cols[j0 + c][r], (struct at){ i, k, -1 });
			cols[j0 + c][r] = (float)x;
		} else if ((rc = convert(o, v, in->dt, &feat[j0 + c],
		    &cols[j0 + c][r], (struct at){ i, k, -1 })) != 0) {
			return rc;
		}
		k++;
		if (++c == width)
			c = 0, r++;
	}
	return 0;
}

/* The request's "outputs": which of the model's outputs to answer. */
static int
read_outputs(struct oip *o, size_t outs, unsigned *sel)
{
	const struct sj_doc *d = o->d;
	unsigned has = serve_outputs(o->m);
	size_t i = 0, v;

	*sel = 0;
	if (d->tok[outs].type != SJ_ARR)
		return bad(o, "outputs: expected a list of {\"name\": ...}");
	FOR_ELEMS(d, outs, v) {
		size_t k, w, name = 0, params = 0;
		char s[64];
		int rc;

		if (d->tok[v].type != SJ_OBJ)
			return bad(o, "outputs[%zu]: expected an object with a "
			    "name", i);
		FOR_MEMBERS(d, v, k, w) {
			size_t *slot = sj_str_is(d, k, "name") ? &name :
			    sj_str_is(d, k, "parameters") ? &params : NULL;

			if (slot && (rc = take(o, k, w, slot, "outputs",
			    i)) != 0)
				return rc;
		}
		if (!name || d->tok[name].type != SJ_STR)
			return bad(o, "outputs[%zu].name: %s", i, name ?
			    "expected a string" : "missing");
		if (params && d->tok[params].type != SJ_OBJ)
			return bad(o, "outputs[%zu].parameters: expected an "
			    "object", i);
		if (sj_str_is(d, name, "predict")) {
			*sel |= SERVE_OUT_PREDICT;
		} else if (sj_str_is(d, name, "probabilities") &&
		    (has & SERVE_OUT_PROBA)) {
			*sel |= SERVE_OUT_PROBA;
		} else if (sj_str_is(d, name, "probabilities")) {
			const char *obj = mlp_objective_name(o->m->objective);

			return bad(o, "outputs[%zu].name: a %s model has no "
			    "probabilities, only 'predict'", i, obj ? obj :
			    "regression");
		} else {
			show(o, name, s, sizeof(s));
			return bad(o, "outputs[%zu].name: %s is not an output "
			    "of the model (%s)", i, s, (has & SERVE_OUT_PROBA) ?
			    "predict, probabilities" : "predict");
		}
		i++;
	}
	return 0;
}

/* The rows of out, with the id of token id (0: none). */
static void
alloc_rows(struct oip *o, struct serve_req *out, size_t rows, size_t id)
{
	const struct sj_tok *t = &o->d->tok[id];
	const char *s = NULL;
	size_t len = 0;

	if (id && !t->esc)
		s = o->d->text + t->start, len = t->len;
	else if (id && (s = str(o, id)))
		len = strlen(s);
	serve_req_alloc(out, o->m->nfeat, rows, s, len);
}

/* Why input name token i is not a feature, with a near name. */
static int
unknown_input(struct oip *o, size_t i, size_t name)
{
	const struct mlp_model *m = o->m;
	const char *s = str(o, name);
	size_t best = SIZE_MAX, bj = 0, len = s ? strlen(s) : 0;
	char q[64];

	for (size_t j = 0; j < m->nfeat && s; j++) {
		size_t dist = mlp_edit_distance(s, len, m->feat[j].name,
		    strlen(m->feat[j].name));

		if (dist < best)
			best = dist, bj = j;
	}
	show(o, name, q, sizeof(q));
	if (best <= 2 && best < len)
		return bad(o, "inputs[%zu].name: %s is not a feature of the "
		    "model (did you mean '%s'?)", i, q, m->feat[bj].name);
	return bad(o, "inputs[%zu].name: %s is not a feature of the model "
	    "(give one input per feature, or one [batch, %zu] tensor)", i, q,
	    m->nfeat);
}

/* One input per feature: maps them, checks shapes and fills the rows. */
static int
per_feature(struct oip *o, const struct input *ins, size_t nin, size_t id,
    struct serve_req *out)
{
	const struct mlp_model *m = o->m;
	size_t stack[64], *src = m->nfeat <= 64 ? stack :
	    xmalloc(m->nfeat * sizeof(*src));
	size_t rows = ins[0].dim[0];
	char sh[64];
	int rc = 0;

	for (size_t j = 0; j < m->nfeat; j++)
		src[j] = SIZE_MAX;
	for (size_t i = 0; i < nin && rc == 0; i++) {
		const struct input *in = &ins[i];
		long j = find_feat(o, in->name, i);

		if (j < 0) {
			rc = unknown_input(o, i, in->name);
			break;
		}
		if (src[j] != SIZE_MAX) {
			rc = bad(o, "inputs[%zu].name: '%s' is given twice "
			    "(inputs[%zu] too)", i, m->feat[j].name, src[j]);
			break;
		}
		src[j] = i;
		if (in->ndim == 2 && in->dim[1] != 1) {
			show_shape(in, sh, sizeof(sh));
			rc = bad(o, "inputs[%zu].shape: expected [batch] or "
			    "[batch, 1] for feature '%s', got %s", i,
			    m->feat[j].name, sh);
		} else if (in->dim[0] != rows) {
			rc = bad(o, "inputs[%zu].shape: a batch of %zu, "
			    "inputs[0] has %zu", i, in->dim[0], rows);
		} else if (in->dt == DT_BYTES &&
		    m->feat[j].type != MLP_COL_CAT) {
			rc = bad(o, "inputs[%zu].datatype: BYTES is for "
			    "categorical features; '%s' is numeric (send FP32, "
			    "FP64, INT or UINT)", i, m->feat[j].name);
		} else {
			rc = check_data(o, in, i);
		}
	}
	for (size_t j = 0; j < m->nfeat && rc == 0; j++)
		if (src[j] == SIZE_MAX)
			rc = bad(o, "inputs: no input for feature '%s' (give "
			    "one input per feature, or one [batch, %zu] tensor)",
			    m->feat[j].name, m->nfeat);
	if (rc == 0)
		rc = serve_check_rows(m, rows, o->err);
	if (rc == 0) {
		alloc_rows(o, out, rows, id);
		for (size_t j = 0; j < m->nfeat && rc == 0; j++)
			rc = fill(o, &ins[src[j]], src[j], j, 1,
			    out->frame->cols);
	}
	if (src != stack)
		free(src);
	return rc;
}

/* One [batch, nfeat] tensor. */
static int
one_tensor(struct oip *o, const struct input *in, size_t id,
    struct serve_req *out)
{
	size_t nfeat = o->m->nfeat;
	char sh[64];
	int rc;

	if (!(in->ndim == 2 && in->dim[1] == nfeat) &&
	    !(in->ndim == 1 && nfeat == 1)) {
		show_shape(in, sh, sizeof(sh));
		return bad(o, "inputs[0].shape: expected [batch, %zu], got %s",
		    nfeat, sh);
	}
	if (in->dt == DT_BYTES)
		return bad(o, "inputs[0].datatype: BYTES is not served for a "
		    "[batch, %zu] tensor: send numbers (FP32, FP64, INT, UINT, "
		    "BOOL), or give each categorical feature an input of its "
		    "own", nfeat);
	if ((rc = check_data(o, in, 0)) != 0 ||
	    (rc = serve_check_rows(o->m, in->dim[0], o->err)) != 0)
		return rc;
	alloc_rows(o, out, in->dim[0], id);
	return fill(o, in, 0, 0, nfeat, out->frame->cols);
}

/* The request's top-level members; then its inputs into out. */
static int
decode(struct oip *o, struct serve_req *out)
{
	const struct sj_doc *d = o->d;
	struct input stack[8], *ins = stack;
	size_t k, v, id = 0, inputs = 0, outputs = 0, params = 0, nin = 0;
	unsigned sel = 0;
	int rc = 0;

	if (d->tok[0].type != SJ_OBJ)
		return bad(o, "request body: expected an object with "
		    "\"inputs\"");
	FOR_MEMBERS(d, 0, k, v) {
		size_t *slot = sj_str_is(d, k, "inputs") ? &inputs :
		    sj_str_is(d, k, "id") ? &id :
		    sj_str_is(d, k, "outputs") ? &outputs :
		    sj_str_is(d, k, "parameters") ? &params : NULL;

		if (slot && (rc = take(o, k, v, slot, NULL, 0)) != 0)
			return rc;
	}
	if (id && (d->tok[id].type != SJ_STR || !str(o, id)))
		return bad(o, "id: expected a string%s", d->tok[id].type ==
		    SJ_STR ? " without NUL" : "");
	if (params && d->tok[params].type != SJ_OBJ)
		return bad(o, "parameters: expected an object");
	if (outputs && (rc = read_outputs(o, outputs, &sel)) != 0)
		return rc;
	if (!inputs || d->tok[inputs].type != SJ_ARR ||
	    d->tok[inputs].count == 0)
		return bad(o, "inputs: %s (give one [batch, %zu] tensor, or "
		    "one input per feature)", !inputs ? "missing" :
		    d->tok[inputs].type != SJ_ARR ? "expected a list" : "empty",
		    o->m->nfeat);
	if (d->tok[inputs].count > sizeof(stack) / sizeof(*stack))
		ins = xcalloc(d->tok[inputs].count, sizeof(*ins));
	FOR_ELEMS(d, inputs, v) {
		if ((rc = read_input(o, v, nin, &ins[nin])) != 0)
			goto out;
		nin++;
	}
	/* one tensor, unless it is one feature's own input */
	if (nin == 1 && !((ins[0].ndim == 1 || ins[0].dim[1] == 1) &&
	    find_feat(o, ins[0].name, 0) >= 0))
		rc = one_tensor(o, &ins[0], id, out);
	else
		rc = per_feature(o, ins, nin, id, out);
	if (rc == 0)
		out->outputs = sel;
out:
	if (ins != stack)
		free(ins);
	return rc;
}

int
serve_decode_oip(const char *body, size_t n, const struct mlp_model *m,
    struct serve_req *out, struct mlp_err *err)
{
	struct sj_doc d;
	struct oip o = { &d, m, MLP_BUF_INIT, err };
	int rc;

	memset(out, 0, sizeof(*out));
	d.tok = NULL;
	if ((rc = serve_check_body(body, n, err)) == 0 &&
	    (rc = sj_parse(&d, body, n, err)) == 0)
		rc = decode(&o, out);
	sj_release(&d);
	mlp_buf_release(&o.scratch);
	if (rc != 0)
		serve_req_release(out);
	return rc;
}

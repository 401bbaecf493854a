/* libFuzzer target for mlp serve's request decoders (lib/serve/proto.h).
 * The first byte picks the protocol: OIP, KServe V1, MLflow JSON, MLflow
 * CSV, MLflow with the Content-Type on the input's first line, the
 * JSON scanner alone, or Feast's /get-online-features; the second the model (regression with a
 * categorical feature, softprob, binary). A body is refused with a 4xx
 * and a message, or gives rows that are scored and encoded into valid
 * JSON. Differential checks: the MLflow fast road gives the rows (or the
 * refusal) lib/data's reader gives, and what the scanner accepts cJSON
 * reads the same; the acceptor's Content-Length peek reads within the
 * bytes. fuzz: max_len=4096 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "serve/internal.h"
#include "serve/proto-json.h"
#include "serve/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mlp_model *models[3];

/* One leaf tree per group over the features of cols. */
static struct mlp_model *
model(int obj, int nclass, const struct mlp_column *cols, size_t n)
{
	struct mlp_model *m = mlp_model_new();
	struct mlp_err err;
	size_t nt = (size_t)(obj == MLP_OBJ_SOFTPROB ? nclass : 1);

	m->objective = (enum mlp_objective)obj;
	m->num_class = m->ngroup = obj == MLP_OBJ_SOFTPROB ? nclass : 1;
	m->nout = m->num_class;
	mlp_model_set_features(m, cols, n);
	m->base_margin = xcalloc((size_t)m->ngroup, sizeof(double));
	m->ntrees = nt;
	m->nnodes = 3 * nt;
	m->tree_root = xcalloc(nt, sizeof(uint32_t));
	m->tree_group = xcalloc(nt, sizeof(int32_t));
	m->split_feat = xcalloc(3 * nt, sizeof(int32_t));
	m->split_value = xcalloc(3 * nt, sizeof(float));
	m->left = xcalloc(3 * nt, sizeof(uint32_t));
	m->default_left = xcalloc(3 * nt, 1);
	for (size_t t = 0; t < nt; t++) {
		uint32_t r = (uint32_t)(3 * t);

		m->tree_root[t] = r;
		m->tree_group[t] = (int32_t)t;
		m->split_feat[r] = (int32_t)(t % n);
		m->split_value[r] = 0.5f;
		m->left[r] = r + 1;
		m->split_feat[r + 1] = m->split_feat[r + 2] = -1;
		m->split_value[r + 1] = -1.0f;
		m->split_value[r + 2] = (float)t + 1;
	}
	m->origin = xstrdup("mlp");
	if (mlp_model_check(m, &err) < 0)
		abort();
	return m;
}

static void
setup(void)
{
	static char l1[] = "1", l2[] = "basic", l3[] = "pro";
	static char *levels[] = { l1, l2, l3 };
	static char a[] = "a", b[] = "b", plan[] = "plan", u[] = "u",
	    v[] = "v", x[] = "x";
	struct mlp_column reg[3] = {
		{ a, MLP_COL_NUM, NULL, 0 }, { b, MLP_COL_NUM, NULL, 0 },
		{ plan, MLP_COL_CAT, levels, 3 },
	};
	struct mlp_column prob[2] = {
		{ u, MLP_COL_NUM, NULL, 0 }, { v, MLP_COL_NUM, NULL, 0 },
	};
	struct mlp_column bin[1] = { { x, MLP_COL_NUM, NULL, 0 } };

	models[0] = model(MLP_OBJ_SQUARED, 1, reg, 3);
	models[1] = model(MLP_OBJ_SOFTPROB, 3, prob, 2);
	models[2] = model(MLP_OBJ_LOGISTIC, 1, bin, 1);
}

static int
same_float(float a, float b)
{
	return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof(a)) == 0;
}

/* The same rows of the model's columns. */
static int
same_rows(const struct mlp_frame *f, const struct serve_req *r, size_t nfeat)
{
	if (f->nrows != r->nrows)
		return 0;
	for (size_t j = 0; j < nfeat; j++)
		for (size_t i = 0; i < f->nrows; i++)
			if (!same_float(f->cols[j][i], r->frame->cols[j][i]))
				return 0;
	return 1;
}

/* text is one valid JSON document and valid UTF-8. */
static void
check_json(const struct mlp_buf *b)
{
	cJSON *doc = cJSON_ParseWithLength(b->s, b->len);

	if (!doc || mlp_utf8_invalid(b->s, b->len) >= 0)
		abort();
	cJSON_Delete(doc);
}

/* Token i of d and cJSON's value v are the same value. */
static void
same_value(const struct sj_doc *d, size_t i, const cJSON *v)
{
	const struct sj_tok *t = &d->tok[i];
	struct mlp_buf s = MLP_BUF_INIT;
	size_t k, n = 0;
	const cJSON *c;

	switch (t->type) {
	case SJ_OBJ:
	case SJ_ARR:
		if (t->type == SJ_OBJ ? !cJSON_IsObject(v) : !cJSON_IsArray(v))
			abort();
		c = v->child;
		for (k = i + 1; k < t->skip; k = d->tok[k].skip, n++) {
			if (!c)
				abort();
			if (t->type == SJ_OBJ) {
				/* cJSON cuts a string at a \u0000 */
				mlp_buf_reset(&s);
				sj_str(d, k, &s);
				if (strcmp(mlp_buf_str(&s), c->string) != 0)
					abort();
				k++;
			}
			same_value(d, k, c);
			c = c->next;
		}
		if (c || n != t->count)
			abort();
		break;
	case SJ_STR:
		sj_str(d, i, &s);
		if (!cJSON_IsString(v) ||
		    strcmp(mlp_buf_str(&s), v->valuestring) != 0)
			abort();
		break;
	case SJ_NUM: {
		double x = sj_num(d, i);

		if (!cJSON_IsNumber(v) || memcmp(&x, &v->valuedouble,
		    sizeof(x)) != 0)
			abort();
		break;
	}
	case SJ_TRUE:
		if (!cJSON_IsTrue(v))
			abort();
		break;
	case SJ_FALSE:
		if (!cJSON_IsFalse(v))
			abort();
		break;
	default:
		if (!cJSON_IsNull(v))
			abort();
	}
	mlp_buf_release(&s);
}

/* What the scanner accepts, cJSON reads as the same document. */
static void
scanner(const char *body, size_t n)
{
	struct sj_doc d;
	struct mlp_err err;
	cJSON *doc;
	int rc;

	mlp_err_clear(&err);
	if (serve_check_body(body, n, &err) != 0)
		return;
	rc = sj_parse(&d, body, n, &err);
	if (rc != 0 && (err.msg[0] == '\0' || (rc != 400 && rc != 413)))
		abort();
	if (rc == 0) {
		for (size_t k = 0; k < d.ntok; k++)
			if (d.tok[k].type == SJ_NUM && d.tok[k].len >= 64)
				goto out;	/* cJSON cannot */
		if (!(doc = cJSON_ParseWithLength(body, n)))
			abort();
		if (d.tok[0].skip != d.ntok)
			abort();
		same_value(&d, 0, doc);
		cJSON_Delete(doc);
	}
out:
	sj_release(&d);
}

/* Feast's /get-online-features: refused with a 400 or 413 and a message,
 * or entities (every key column as long) and references or a service. */
static void
feast(const char *body, size_t n)
{
	struct serve_feast_get g;
	struct mlp_err err;
	int rc;

	mlp_err_clear(&err);
	rc = serve_decode_feast_get(body, n, &g, &err);
	if (rc != 0) {
		if ((rc != 400 && rc != 413) || err.msg[0] == '\0' || g.n ||
		    g.nkeys)
			abort();
		return;
	}
	if (g.n == 0 || g.nkeys == 0 || (!g.service) == (g.nrefs == 0))
		abort();
	for (size_t k = 0; k < g.nkeys; k++)
		for (size_t i = 0; i < g.n; i++)
			if (g.key_cols[k][i].type != MLP_FT_INT &&
			    (g.key_cols[k][i].type != MLP_FT_STRING ||
			    !g.key_cols[k][i].v.str.s))
				abort();
	serve_feast_get_release(&g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mlp_model *m;
	const char *ct = "application/json", *body;
	struct serve_req r;
	struct mlp_err err;
	struct mlp_buf out = MLP_BUF_INIT;
	char *copy = NULL, ctbuf[128];
	size_t n;
	int proto, rc;

	if (!models[0])
		setup();
	/* the acceptor's look at a first request reads within it, whatever
	 * it holds (the whole input, unmasked by ASan) */
	{
		char *head = xmalloc(size ? size : 1);

		memcpy(head, data, size);
		(void)sv_peek_body_length(head, size);
		free(head);
	}
	if (size < 2)
		return 0;
	proto = data[0] % 7;
	m = models[data[1] % 3];
	/* the body in a buffer of its own size, so ASan sees overreads */
	n = size - 2;
	copy = xmalloc(n ? n : 1);
	memcpy(copy, data + 2, n);
	body = copy;
	if (proto == 5) {
		scanner(body, n);
		free(copy);
		return 0;
	}
	if (proto == 6) {
		feast(body, n);
		free(copy);
		return 0;
	}
	if (proto == 3)
		ct = "text/csv";
	if (proto == 4) {
		const char *nl = memchr(body, '\n', n);
		size_t k = nl ? (size_t)(nl - body) : 0;

		if (!nl || k >= sizeof(ctbuf) || memchr(body, 0, k)) {
			ct = NULL;
		} else {
			memcpy(ctbuf, body, k);
			ctbuf[k] = '\0';
			ct = ctbuf;
			body += k + 1;
			n -= k + 1;
		}
	}
	mlp_err_clear(&err);
	rc = proto == 0 ? serve_decode_oip(body, n, m, &r, &err) :
	    proto == 1 ? serve_decode_v1(body, n, m, &r, &err) :
	    serve_decode_mlflow(body, n, ct, m, &r, &err);
	if (rc != 0) {
		if ((rc != 400 && rc != 413 && rc != 415) || r.frame || r.id ||
		    r.nrows || err.msg[0] == '\0')
			abort();
	} else {
		double *pred;

		if (!r.frame || r.frame->nrows != r.nrows ||
		    r.frame->ncols != m->nfeat || r.nrows > SERVE_MAX_ROWS)
			abort();
		for (size_t j = 0; j < m->nfeat; j++) {
			if (m->feat[j].type != MLP_COL_CAT)
				continue;
			for (size_t i = 0; i < r.nrows; i++) {
				float v = r.frame->cols[j][i];

				if (!isnan(v) && (v < 0 || v >= 3 ||
				    v != floorf(v)))
					abort();
			}
		}
		pred = xcalloc(r.nrows * (size_t)m->nout + 1, sizeof(double));
		if (mlp_model_predict(m, (const float *const *)r.frame->cols,
		    r.nrows, pred, 1, &err) < 0)
			abort();
		if (proto == 0)
			serve_encode_oip(&out, "m", "1", &r, m, pred);
		else
			serve_encode_predictions(&out, m, pred, r.nrows);
		check_json(&out);
		free(pred);
	}
	/* the fast road and the reader agree */
	if ((proto == 1 || proto == 2) && serve_check_body(body, n, NULL) == 0) {
		struct mlp_frame *f = NULL;
		int frc = mlp_json_frame(body, n, NULL, m->feat, m->nfeat, &f,
		    &err);

		if (rc == 0 && (frc < 0 || !same_rows(f, &r, m->nfeat)))
			abort();
		if (proto == 2 && rc == 400 && frc == 0)
			abort();
		mlp_frame_free(f);
	}
	serve_req_release(&r);
	mlp_buf_release(&out);
	free(copy);
	return 0;
}

/* What mlp serve's protocols share: checking and parsing a body, limits,
 * releasing a request, and the response encoders (JSON text built with
 * buffer appends, numbers as mlp predict prints them). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "proto-json.h"
#include "proto.h"

#if defined(__x86_64__)
/* The ASCII bytes without NULs that begin p[0..n), 64 at a time (at
 * least: a multiple of 64). */
__attribute__((target("avx2"))) static size_t
ascii_avx2(const unsigned char *p, size_t n)
{
	size_t i = 0;

	for (; i + 64 <= n; i += 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)
		    (p + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)
		    (p + i + 32));
		__m256i z = _mm256_or_si256(_mm256_cmpeq_epi8(a,
		    _mm256_setzero_si256()), _mm256_cmpeq_epi8(b,
		    _mm256_setzero_si256()));

		if (_mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(a, b),
		    z)))
			break;
	}
	return i;
}
#endif

int
serve_check_body(const char *body, size_t n, struct mlp_err *err)
{
	const unsigned char *p = (const unsigned char *)body;
	size_t i = 0;
	long bad;

#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx2"))
		i = ascii_avx2(p, n);
#endif

	/* ASCII without NULs, the common case: 32 bytes at a time (a byte
	 * with its high bit set or equal to 0 sets its lane's), then eight */
#if defined(__SSE2__)
	for (; i + 32 <= n; i += 32) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)
		    (p + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)
		    (p + i + 16));
		__m128i z = _mm_or_si128(_mm_cmpeq_epi8(a, _mm_setzero_si128()),
		    _mm_cmpeq_epi8(b, _mm_setzero_si128()));

		if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), z)))
			break;
	}
#endif
	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if ((w & 0x8080808080808080ull) ||
		    ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
			break;
	}
	if (i < n && memchr(p + i, 0, n - i))
		return mlp_err_set(err, MLP_EINVAL, "request body: a NUL byte "
		    "at offset %zu", (size_t)((const unsigned char *)memchr(
		    p + i, 0, n - i) - p)), 400;
	if (i < n && (bad = mlp_utf8_invalid(body + i, n - i)) >= 0)
		return mlp_err_set(err, MLP_EINVAL, "request body: not valid "
		    "UTF-8 at offset %zu", i + (size_t)bad), 400;
	return 0;
}

int
serve_json_parse(const char *body, size_t n, struct cJSON **doc,
    struct mlp_err *err)
{
	const char *end = NULL;
	struct sj_doc d;
	size_t at, line, col;
	int rc;

	*doc = cJSON_ParseWithLengthOpts(body, n, &end, 0);
	at = end && end >= body && end <= body + n ? (size_t)(end - body) : 0;
	if (*doc) {
		while (at < n && (body[at] == ' ' || body[at] == '\t' ||
		    body[at] == '\n' || body[at] == '\r'))
			at++;
		if (at == n)
			return 0;
		cJSON_Delete(*doc);
		*doc = NULL;
	}
	/* the scanner's message, which says where as cJSON cannot; where
	 * only cJSON refuses (numbers of 64 characters), cJSON's place */
	rc = sj_parse(&d, body, n, err);
	sj_release(&d);
	if (rc != 0)
		return rc;
	sj_line_col(body, at, &line, &col);
	return mlp_err_set(err, MLP_EINVAL, "request body: invalid JSON at "
	    "line %zu column %zu", line, col), 400;
}

unsigned
serve_outputs(const struct mlp_model *m)
{
	return SERVE_OUT_PREDICT | (m->objective == MLP_OBJ_LOGISTIC ||
	    m->objective == MLP_OBJ_SOFTPROB ? SERVE_OUT_PROBA : 0);
}

/* The outputs of a row of m: its predictions and its probabilities. */
static size_t
row_outputs(const struct mlp_model *m)
{
	return (size_t)(m->nout > 0 ? m->nout : 1) +
	    (size_t)(m->num_class > 2 ? m->num_class : 2);
}

size_t
serve_max_rows(const struct mlp_model *m)
{
	size_t most = SERVE_MAX_VALUES / row_outputs(m);

	return most < SERVE_MAX_ROWS ? most : SERVE_MAX_ROWS;
}

int
serve_check_rows(const struct mlp_model *m, size_t nrows,
    struct mlp_err *err)
{
	size_t per = row_outputs(m);

	if (nrows > SERVE_MAX_ROWS)
		return mlp_err_set(err, MLP_EINVAL, "%zu rows: at most %zu may "
		    "be scored at once", nrows, SERVE_MAX_ROWS), 413;
	if (nrows > SERVE_MAX_VALUES / per)
		return mlp_err_set(err, MLP_EINVAL, "%zu rows of %zu outputs: "
		    "at most %zu values may be answered at once", nrows, per,
		    SERVE_MAX_VALUES), 413;
	return 0;
}

float **
serve_req_alloc(struct serve_req *r, size_t ncols, size_t nrows,
    const char *id, size_t idlen)
{
	size_t head = (sizeof(struct mlp_frame) + 15) & ~(size_t)15;
	size_t ptrs = (ncols + 1) * sizeof(float *);
	size_t vals = nrows * ncols * sizeof(float);
	size_t idsize = id ? idlen + 1 : 0;
	char *b = xmalloc(head + ptrs + vals + idsize);
	struct mlp_frame *f = (struct mlp_frame *)b;
	float *v = (float *)(b + head + ptrs);

	memset(r, 0, sizeof(*r));
	memset(f, 0, sizeof(*f));
	f->nrows = nrows;
	f->ncols = ncols;
	f->cols = (float **)(b + head);
	for (size_t j = 0; j < ncols; j++)
		f->cols[j] = v + j * nrows;
	f->cols[ncols] = NULL;
	r->mem = b;
	r->frame = f;
	r->nrows = nrows;
	if (id) {
		r->id = b + head + ptrs + vals;
		memcpy(r->id, id, idlen);
		r->id[idlen] = '\0';
	}
	return f->cols;
}

void
serve_req_release(struct serve_req *r)
{
	if (r->mem)
		free(r->mem);
	else {
		mlp_frame_free(r->frame);
		free(r->id);
	}
	memset(r, 0, sizeof(*r));
}

/* Encoders */

/* A number as mlp predict prints it. */
static void
add_pred(struct mlp_buf *out, double v)
{
	char buf[MLP_PRED_CHARS];

	mlp_buf_add(out, buf, mlp_pred_format(v, 1, buf));
}

/* The class with the highest probability, the first of equals. */
static size_t
argmax(const double *p, size_t k)
{
	size_t best = 0;

	for (size_t c = 1; c < k; c++)
		if (p[c] > p[best])
			best = c;
	return best;
}

/* A count in decimal, without printf's cost. */
static void
add_size(struct mlp_buf *out, size_t v)
{
	char b[24];
	size_t k = sizeof(b);

	do
		b[--k] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	mlp_buf_add(out, b + k, sizeof(b) - k);
}

/* "shape":[b] or [b,k] with b -1 for metadata (nrows SIZE_MAX). */
static void
add_shape(struct mlp_buf *out, size_t nrows, size_t k)
{
	mlp_buf_adds(out, "\"shape\":[");
	if (nrows == SIZE_MAX)
		mlp_buf_adds(out, "-1");
	else
		add_size(out, nrows);
	if (k) {
		mlp_buf_addc(out, ',');
		add_size(out, k);
	}
	mlp_buf_addc(out, ']');
}

/* The classes of the probabilities output: 2 for binary:logistic. */
static size_t
nclasses(const struct mlp_model *m)
{
	return m->objective == MLP_OBJ_LOGISTIC ? 2 : (size_t)m->nout;
}

static const char *
predict_type(const struct mlp_model *m)
{
	return m->objective == MLP_OBJ_SOFTMAX ||
	    m->objective == MLP_OBJ_SOFTPROB ? "INT64" : "FP64";
}

/* One output's name, datatype and shape (metadata: nrows SIZE_MAX). */
static void
output_head(struct mlp_buf *out, const struct mlp_model *m, unsigned which,
    size_t nrows)
{
	if (which == SERVE_OUT_PREDICT) {
		mlp_buf_adds(out, "{\"name\":\"predict\",\"datatype\":\"");
		mlp_buf_adds(out, predict_type(m));
		mlp_buf_adds(out, "\",");
		add_shape(out, nrows, 0);
	} else {
		mlp_buf_adds(out, "{\"name\":\"probabilities\","
		    "\"datatype\":\"FP64\",");
		add_shape(out, nrows, nclasses(m));
	}
}

void
serve_encode_oip(struct mlp_buf *out, const char *model_name,
    const char *model_version, const struct serve_req *r,
    const struct mlp_model *m, const double *pred)
{
	unsigned sel = (r->outputs ? r->outputs : serve_outputs(m)) &
	    serve_outputs(m);
	size_t nout = (size_t)(m->nout > 0 ? m->nout : 1);
	int first = 1;

	mlp_buf_adds(out, "{\"model_name\":");
	mlp_buf_json_str(out, model_name ? model_name : "");
	if (model_version) {
		mlp_buf_adds(out, ",\"model_version\":");
		mlp_buf_json_str(out, model_version);
	}
	if (r->id) {
		mlp_buf_adds(out, ",\"id\":");
		mlp_buf_json_str(out, r->id);
	}
	mlp_buf_adds(out, ",\"outputs\":[");
	if (sel & SERVE_OUT_PREDICT) {
		output_head(out, m, SERVE_OUT_PREDICT, r->nrows);
		mlp_buf_adds(out, ",\"data\":[");
		for (size_t i = 0; i < r->nrows; i++) {
			const double *p = pred + i * nout;

			if (i)
				mlp_buf_addc(out, ',');
			if (m->objective == MLP_OBJ_SOFTPROB)
				add_size(out, argmax(p, nout));
			else
				add_pred(out, p[0]);
		}
		mlp_buf_adds(out, "]}");
		first = 0;
	}
	if (sel & SERVE_OUT_PROBA) {
		if (!first)
			mlp_buf_addc(out, ',');
		output_head(out, m, SERVE_OUT_PROBA, r->nrows);
		mlp_buf_adds(out, ",\"data\":[");
		for (size_t i = 0; i < r->nrows; i++) {
			const double *p = pred + i * nout;

			if (i)
				mlp_buf_addc(out, ',');
			if (m->objective == MLP_OBJ_LOGISTIC) {
				add_pred(out, 1.0 - p[0]);
				mlp_buf_addc(out, ',');
				add_pred(out, p[0]);
				continue;
			}
			for (size_t k = 0; k < nout; k++) {
				if (k)
					mlp_buf_addc(out, ',');
				add_pred(out, p[k]);
			}
		}
		mlp_buf_adds(out, "]}");
	}
	mlp_buf_adds(out, "]}\n");
}

void
serve_encode_predictions(struct mlp_buf *out, const struct mlp_model *m,
    const double *pred, size_t nrows)
{
	mlp_buf_adds(out, "{\"predictions\":[");
	mlp_pred_append(out, m, pred, nrows, 1, 1);
	mlp_buf_adds(out, "]}\n");
}

void
serve_encode_oip_model(struct mlp_buf *out, const char *name,
    const char *const *versions, size_t nversions, const struct mlp_model *m)
{
	unsigned sel = serve_outputs(m);

	mlp_buf_adds(out, "{\"name\":");
	mlp_buf_json_str(out, name ? name : "");
	if (nversions) {
		mlp_buf_adds(out, ",\"versions\":[");
		for (size_t i = 0; i < nversions; i++) {
			if (i)
				mlp_buf_addc(out, ',');
			mlp_buf_json_str(out, versions[i] ? versions[i] : "");
		}
		mlp_buf_addc(out, ']');
	}
	mlp_buf_addf(out, ",\"platform\":\"%s\",\"inputs\":[",
	    m->origin && strcmp(m->origin, "xgboost") == 0 ? "xgboost" :
	    "mlp");
	for (size_t j = 0; j < m->nfeat; j++) {
		if (j)
			mlp_buf_addc(out, ',');
		mlp_buf_adds(out, "{\"name\":");
		mlp_buf_json_str(out, m->feat[j].name ? m->feat[j].name : "");
		mlp_buf_addf(out, ",\"datatype\":\"%s\",\"shape\":[-1]}",
		    m->feat[j].type == MLP_COL_CAT ? "BYTES" : "FP64");
	}
	mlp_buf_adds(out, "],\"outputs\":[");
	output_head(out, m, SERVE_OUT_PREDICT, SIZE_MAX);
	mlp_buf_addc(out, '}');
	if (sel & SERVE_OUT_PROBA) {
		mlp_buf_addc(out, ',');
		output_head(out, m, SERVE_OUT_PROBA, SIZE_MAX);
		mlp_buf_addc(out, '}');
	}
	mlp_buf_adds(out, "]}\n");
}

void
serve_encode_error(struct mlp_buf *out, const char *msg)
{
	mlp_buf_adds(out, "{\"error\":");
	mlp_buf_json_str(out, msg ? msg : "");
	mlp_buf_adds(out, "}\n");
}

void
serve_encode_mlflow_error(struct mlp_buf *out, const char *code,
    const char *msg)
{
	mlp_buf_adds(out, "{\"error_code\":");
	mlp_buf_json_str(out, code ? code : "BAD_REQUEST");
	mlp_buf_adds(out, ",\"message\":");
	mlp_buf_json_str(out, msg ? msg : "");
	mlp_buf_adds(out, "}\n");
}

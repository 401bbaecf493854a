/* Prediction: one row without allocation, and a blocked, threaded batch
 * predictor over column-major input. Both add the trees' leaves to a double
 * starting from base_margin, tree by tree in model order, so they agree
 * bit for bit (and a trainer can recompute margins the same way). The
 * batch predictor's tree walkers are in walk.c. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "internal.h"

/* Margins are kept on the stack in chunks of this many groups. */
#define GROUP_CHUNK 64

static void
linear_margin(const struct mlp_model *m, const float *x, int g0, int ng,
    double *margin)
{
	const double *w = m->weight;
	size_t ns = m->nslots;

	for (int g = 0; g < ng; g++)
		margin[g] = m->base_margin[g0 + g] + m->bias[g0 + g];
	for (size_t j = 0; j < m->nfeat; j++) {
		size_t s = m->slot[j];
		float v = x[j];

		if (isnan(v))
			continue;
		if (m->feat[j].type == MLP_COL_CAT) {
			/* only a known level code has a slot */
			if (!(v >= 0) || v >= (double)m->feat[j].nlevels ||
			    v != floorf(v))
				continue;
			s += (size_t)v;
			for (int g = 0; g < ng; g++)
				margin[g] += w[(size_t)(g0 + g) * ns + s];
		} else {
			double z = ((double)v - m->mean[s]) / m->scale[s];

			for (int g = 0; g < ng; g++)
				margin[g] += w[(size_t)(g0 + g) * ns + s] * z;
		}
	}
}

/* One step down a tree for the row path: a leaf (f < 0) stays where it
 * is; a missing value (v != v) goes by default_left. */
#define ROW_STEP(n, f) do { \
	if ((f) >= 0) { \
		float v_ = x[f]; \
		(n) = left[n] + ((v_ >= val[n]) | ((v_ != v_) & !dl[n])); \
		(f) = feat[n]; \
	} \
} while (0)

void
model_margin_range(const struct mlp_model *m, const float *x, int g0,
    int ng, double *margin)
{
	const int32_t *feat = m->split_feat, *group = m->tree_group;
	const uint32_t *root = m->tree_root, *left = m->left;
	const float *val = m->split_value;
	const uint8_t *dl = m->default_left;
	size_t t = 0, nt = m->ntrees;

	if (m->kind == MLP_MODEL_LINEAR) {
		linear_margin(m, x, g0, ng, margin);
		return;
	}
	for (int g = 0; g < ng; g++)
		margin[g] = m->base_margin[g0 + g];
	if (model_walk_row(m, x, g0, ng, margin))
		return;
	/* four trees side by side: independent chains of loads for the
	 * processor to overlap (more do not help: the nodes of all trees
	 * come from L2); their leaves are added in tree order. With no
	 * features every node is a leaf and x is never read. */
	for (; t + 4 <= nt; t += 4) {
		uint32_t n0 = root[t], n1 = root[t + 1], n2 = root[t + 2];
		uint32_t n3 = root[t + 3];
		int32_t f0 = feat[n0], f1 = feat[n1], f2 = feat[n2];
		int32_t f3 = feat[n3];
		unsigned g;

		while ((f0 & f1 & f2 & f3) >= 0) {
			ROW_STEP(n0, f0);
			ROW_STEP(n1, f1);
			ROW_STEP(n2, f2);
			ROW_STEP(n3, f3);
		}
		if ((g = (unsigned)(group[t] - g0)) < (unsigned)ng)
			margin[g] += val[n0];
		if ((g = (unsigned)(group[t + 1] - g0)) < (unsigned)ng)
			margin[g] += val[n1];
		if ((g = (unsigned)(group[t + 2] - g0)) < (unsigned)ng)
			margin[g] += val[n2];
		if ((g = (unsigned)(group[t + 3] - g0)) < (unsigned)ng)
			margin[g] += val[n3];
	}
	for (; t < nt; t++) {
		unsigned g = (unsigned)(group[t] - g0);

		if (g < (unsigned)ng)
			margin[g] += model_row_leaf(m, x, t);
	}
}

float
model_row_leaf(const struct mlp_model *m, const float *x, size_t t)
{
	const int32_t *feat = m->split_feat;
	const uint32_t *left = m->left;
	const float *val = m->split_value;
	const uint8_t *dl = m->default_left;
	uint32_t n = m->tree_root[t];
	int32_t f = feat[n];

	while (f >= 0)
		ROW_STEP(n, f);
	return val[n];
}

void
mlp_model_margin(const struct mlp_model *m, const float *x, double *margin)
{
	model_margin_range(m, x, 0, m->ngroup, margin);
}

static double
sigmoid(double v)
{
	return 1.0 / (1.0 + exp(-v));
}

/* Softmax of n margins in place, stable: the largest becomes exp(0). */
static void
softmax(double *v, int n)
{
	double max = v[0], sum = 0;

	for (int i = 1; i < n; i++)
		if (v[i] > max)
			max = v[i];
	for (int i = 0; i < n; i++)
		sum += (v[i] = exp(v[i] - max));
	for (int i = 0; i < n; i++)
		v[i] /= sum;
}

/* The first class with the largest margin, as XGBoost picks it. */
static int
argmax(const double *v, int n)
{
	int best = 0;

	for (int i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

void
mlp_model_predict_row(const struct mlp_model *m, const float *x, double *out)
{
	double mg[GROUP_CHUNK];
	double best = 0;
	int bestg = 0;

	switch (m->objective) {
	case MLP_OBJ_SQUARED:
		model_margin_range(m, x, 0, 1, out);
		break;
	case MLP_OBJ_LOGISTIC:
		model_margin_range(m, x, 0, 1, mg);
		out[0] = sigmoid(mg[0]);
		break;
	case MLP_OBJ_SOFTPROB:
		/* out holds num_class values: the margins go there */
		model_margin_range(m, x, 0, m->ngroup, out);
		softmax(out, m->ngroup);
		break;
	case MLP_OBJ_SOFTMAX:
		/* more classes than the stack holds: GROUP_CHUNK at a time */
		for (int g0 = 0; g0 < m->ngroup; g0 += GROUP_CHUNK) {
			int ng = m->ngroup - g0 < GROUP_CHUNK ?
			    m->ngroup - g0 : GROUP_CHUNK;
			int i;

			model_margin_range(m, x, g0, ng, mg);
			i = argmax(mg, ng);
			if (g0 == 0 || mg[i] > best) {
				best = mg[i];
				bestg = g0 + i;
			}
		}
		out[0] = bestg;
		break;
	}
}

/* Outputs of nrows rows from their margins (nrows * ngroup, row-major). */
static void
link_rows(const struct mlp_model *m, double *mg, size_t nrows, double *out)
{
	int ng = m->ngroup;

	switch (m->objective) {
	case MLP_OBJ_SQUARED:
		memcpy(out, mg, nrows * sizeof(double));
		break;
	case MLP_OBJ_LOGISTIC:
		for (size_t r = 0; r < nrows; r++)
			out[r] = sigmoid(mg[r]);
		break;
	case MLP_OBJ_SOFTPROB:
		for (size_t r = 0; r < nrows; r++)
			softmax(mg + r * ng, ng);
		memcpy(out, mg, nrows * ng * sizeof(double));
		break;
	case MLP_OBJ_SOFTMAX:
		for (size_t r = 0; r < nrows; r++)
			out[r] = argmax(mg + r * ng, ng);
		break;
	}
}

struct batch {
	const struct mlp_model *m;
	const struct model_walk *w;	/* NULL for a linear model */
	const float *const *cols;
	double *out;
	size_t block;		/* B, rows per block (model_block) */
};

struct range {
	struct batch *b;
	size_t r0, r1;
	pthread_t thread;
	int started;
};

/* A column's nb values into a block as the walkers take them: lo with a
 * missing value (NaN) as -inf, hi with it as +inf, every other value's
 * bits as they are; zeros from nb up to nw. */
static void
copy_col(const float *c, size_t nb, size_t nw, float *lo, float *hi)
{
	size_t r = 0;

#ifdef __SSE2__
	const __m128 ninf = _mm_set1_ps(-INFINITY), pinf = _mm_set1_ps(INFINITY);

	for (; r + 4 <= nb; r += 4) {
		__m128 v = _mm_loadu_ps(c + r);
		__m128 nan = _mm_cmpunord_ps(v, v);
		__m128 keep = _mm_andnot_ps(nan, v);

		_mm_storeu_ps(lo + r, _mm_or_ps(keep, _mm_and_ps(nan, ninf)));
		_mm_storeu_ps(hi + r, _mm_or_ps(keep, _mm_and_ps(nan, pinf)));
	}
#endif
	for (; r < nb; r++) {
		float v = c[r];

		lo[r] = v != v ? -INFINITY : v;
		hi[r] = v != v ? INFINITY : v;
	}
	for (; r < nw; r++)
		lo[r] = hi[r] = 0;
}

/* Predicts rows r0 .. r1 a block at a time: copy the block's columns
 * (walk.c says how), then walk every tree over it while it stays in
 * cache. Margins are kept group by group (mg[g * B + row]), as the
 * walkers add them; a linear model takes the rows one by one. */
static void *
predict_range(void *arg)
{
	struct range *rg = arg;
	const struct batch *b = rg->b;
	const struct mlp_model *m = b->m;
	size_t ng = (size_t)m->ngroup, B = b->block;
	float *blk = xcalloc((2 * m->nfeat + 1) * B, sizeof(float));
	double *mg = xmalloc(B * ng * sizeof(double));
	double *rows = ng > 1 ? xmalloc(B * ng * sizeof(double)) : mg;

	for (size_t r0 = rg->r0; r0 < rg->r1; r0 += B) {
		size_t nb = rg->r1 - r0 < B ? rg->r1 - r0 : B;
		/* the rows the walkers take: whole vectors */
		size_t nw = (nb + 15) & ~(size_t)15;

		if (m->kind == MLP_MODEL_LINEAR) {
			for (size_t r = 0; r < nb; r++) {
				for (size_t j = 0; j < m->nfeat; j++)
					blk[j] = b->cols[j][r0 + r];
				model_margin_range(m, blk, 0, m->ngroup,
				    mg + r * ng);
			}
			link_rows(m, mg, nb, b->out + r0 * (size_t)m->nout);
			continue;
		}
		for (size_t j = 0; j < m->nfeat; j++)
			copy_col(b->cols[j] + r0, nb, nw, blk + 2 * j * B,
			    blk + (2 * j + 1) * B);
		for (size_t g = 0; g < ng; g++)
			for (size_t r = 0; r < nw; r++)
				mg[g * B + r] = m->base_margin[g];
		model_walk_block(m, b->w, blk, nb, mg);
		if (ng > 1)
			for (size_t r = 0; r < nb; r++)
				for (size_t g = 0; g < ng; g++)
					rows[r * ng + g] = mg[g * B + r];
		link_rows(m, rows, nb, b->out + r0 * (size_t)m->nout);
	}
	free(blk);
	if (rows != mg)
		free(rows);
	free(mg);
	return NULL;
}

/* Below this many rows per thread, threads cost more than they save. */
#define MIN_ROWS_PER_THREAD 4096

int
mlp_model_predict(const struct mlp_model *m, const float *const *cols,
    size_t nrows, double *out, int nthreads, struct mlp_err *err)
{
	struct batch b = { 0 };
	struct range *rg;
	size_t per;
	int nt;

	if (nrows == 0)
		return 0;
	if (m->nfeat && !cols)
		return mlp_err_set(err, MLP_EINVAL, "no input columns");
	b.m = m;
	b.cols = cols;
	b.out = out;
	b.block = model_block(m);
	/* column offsets are gathered as signed 32-bit indices */
	if ((2 * m->nfeat + 2) * b.block > INT32_MAX)
		return mlp_err_set(err, MLP_EUNSUPPORTED,
		    "too many features (%zu) for batch prediction", m->nfeat);
	if (m->kind == MLP_MODEL_GBDT)
		b.w = model_walk_get(m);

	nt = nthreads > 0 ? nthreads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (nt < 1)
		nt = 1;
	if ((size_t)nt > nrows / MIN_ROWS_PER_THREAD)
		nt = (int)(nrows / MIN_ROWS_PER_THREAD);
	if (nt < 1)
		nt = 1;
	rg = xcalloc((size_t)nt, sizeof(*rg));
	/* whole blocks per thread, so each thread's blocks are full */
	per = (nrows + (size_t)nt - 1) / (size_t)nt;
	per = (per + b.block - 1) / b.block * b.block;
	for (int i = 0; i < nt; i++) {
		rg[i].b = &b;
		rg[i].r0 = (size_t)i * per < nrows ? (size_t)i * per : nrows;
		rg[i].r1 = rg[i].r0 + per < nrows ? rg[i].r0 + per : nrows;
	}
	/* the calling thread takes the first range; a thread that cannot be
	 * started leaves its range to the caller too */
	for (int i = 1; i < nt; i++)
		rg[i].started = pthread_create(&rg[i].thread, NULL,
		    predict_range, &rg[i]) == 0;
	predict_range(&rg[0]);
	for (int i = 1; i < nt; i++) {
		if (rg[i].started)
			pthread_join(rg[i].thread, NULL);
		else
			predict_range(&rg[i]);
	}
	free(rg);
	return 0;
}

/* Prediction: one row without allocation, and a blocked, threaded batch
 * predictor over column-major input. Both add the trees' leaves to a double
 * starting from base_margin, tree by tree in model order, so they agree
 * bit for bit (and a trainer can recompute margins the same way). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

void
model_margin_range(const struct mlp_model *m, const float *x, int g0,
    int ng, double *margin)
{
	const int32_t *feat = m->split_feat;
	const float *val = m->split_value;
	const uint32_t *left = m->left;
	const uint8_t *dl = m->default_left;

	if (m->kind == MLP_MODEL_LINEAR) {
		linear_margin(m, x, g0, ng, margin);
		return;
	}
	for (int g = 0; g < ng; g++)
		margin[g] = m->base_margin[g0 + g];
	for (size_t t = 0; t < m->ntrees; t++) {
		unsigned g = (unsigned)(m->tree_group[t] - g0);
		uint32_t n = m->tree_root[t];

		if (g >= (unsigned)ng)
			continue;
		while (feat[n] >= 0) {
			float v = x[feat[n]];

			n = isnan(v) ? left[n] + !dl[n] :
			    left[n] + !(v < val[n]);
		}
		margin[g] += val[n];
	}
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

/* The batch walker's node: a leaf loops to itself (it reads the block's
 * zero column, 0 >= 1 is false, and its left is itself), so every row of a
 * tree takes the tree's depth in steps, without a test for leaves. A
 * missing value (NaN) fails v >= thr and goes by mstep. */
struct bnode {
	float thr;
	uint32_t feat;
	uint32_t left;
	uint32_t mstep;	/* 1 when a missing value goes right */
};

struct batch {
	const struct mlp_model *m;
	struct bnode *node;
	float *leaf;
	uint32_t *depth;	/* ntrees */
	const float *const *cols;
	double *out;
	size_t block;		/* rows per block */
	size_t stride;		/* floats per gathered row: nfeat + 1 */
};

/* Builds the walker's nodes and each tree's depth. */
static void
batch_build(struct batch *b)
{
	const struct mlp_model *m = b->m;
	uint32_t *height = xcalloc(m->nnodes ? m->nnodes : 1, sizeof(*height));

	b->node = xmalloc((m->nnodes ? m->nnodes : 1) * sizeof(*b->node));
	b->leaf = xmalloc((m->nnodes ? m->nnodes : 1) * sizeof(*b->leaf));
	b->depth = xmalloc((m->ntrees ? m->ntrees : 1) * sizeof(*b->depth));
	/* children follow parents (checked), so a backward pass sees every
	 * child before its parent */
	for (size_t n = m->nnodes; n-- > 0;) {
		struct bnode *bn = &b->node[n];

		b->leaf[n] = m->split_value[n];
		if (m->split_feat[n] < 0) {
			bn->thr = 1;
			bn->feat = (uint32_t)m->nfeat;
			bn->left = (uint32_t)n;
			bn->mstep = 0;
			height[n] = 0;
			continue;
		}
		bn->thr = m->split_value[n];
		bn->feat = (uint32_t)m->split_feat[n];
		bn->left = m->left[n];
		bn->mstep = !m->default_left[n];
		height[n] = 1 + (height[m->left[n]] > height[m->left[n] + 1] ?
		    height[m->left[n]] : height[m->left[n] + 1]);
	}
	for (size_t t = 0; t < m->ntrees; t++)
		b->depth[t] = height[m->tree_root[t]];
	free(height);
}

static inline uint32_t
step(const struct bnode *nodes, const float *row, uint32_t n)
{
	const struct bnode *bn = &nodes[n];
	float v = row[bn->feat];

	return bn->left + ((v >= bn->thr) | ((v != v) & bn->mstep));
}

/* Adds tree t's leaves to the margins mg (group g, ngroup per row) of the
 * nb gathered rows. Eight rows walk side by side, for the parallelism a
 * single walk (a chain of dependent loads) lacks. */
static void
walk_tree(const struct batch *b, size_t t, const float *rows, size_t nb,
    double *mg)
{
	const struct bnode *nodes = b->node;
	const float *leaf = b->leaf;
	uint32_t root = b->m->tree_root[t], depth = b->depth[t];
	size_t ng = (size_t)b->m->ngroup, g = (size_t)b->m->tree_group[t];
	size_t st = b->stride, r = 0;

	for (; r + 8 <= nb; r += 8) {
		const float *x = rows + r * st;
		uint32_t n0 = root, n1 = root, n2 = root, n3 = root;
		uint32_t n4 = root, n5 = root, n6 = root, n7 = root;

		for (uint32_t d = 0; d < depth; d++) {
			n0 = step(nodes, x, n0);
			n1 = step(nodes, x + st, n1);
			n2 = step(nodes, x + 2 * st, n2);
			n3 = step(nodes, x + 3 * st, n3);
			n4 = step(nodes, x + 4 * st, n4);
			n5 = step(nodes, x + 5 * st, n5);
			n6 = step(nodes, x + 6 * st, n6);
			n7 = step(nodes, x + 7 * st, n7);
		}
		mg[(r + 0) * ng + g] += leaf[n0];
		mg[(r + 1) * ng + g] += leaf[n1];
		mg[(r + 2) * ng + g] += leaf[n2];
		mg[(r + 3) * ng + g] += leaf[n3];
		mg[(r + 4) * ng + g] += leaf[n4];
		mg[(r + 5) * ng + g] += leaf[n5];
		mg[(r + 6) * ng + g] += leaf[n6];
		mg[(r + 7) * ng + g] += leaf[n7];
	}
	for (; r < nb; r++) {
		const float *x = rows + r * st;
		uint32_t n = root;

		for (uint32_t d = 0; d < depth; d++)
			n = step(nodes, x, n);
		mg[r * ng + g] += leaf[n];
	}
}

struct range {
	struct batch *b;
	size_t r0, r1;
	pthread_t thread;
	int started;
};

/* Predicts rows r0 .. r1 a block at a time: gather the block row-major
 * (with a zero column at the end for the leaves), then walk each tree over
 * the whole block while the tree stays in cache. */
static void *
predict_range(void *arg)
{
	struct range *rg = arg;
	const struct batch *b = rg->b;
	const struct mlp_model *m = b->m;
	size_t ng = (size_t)m->ngroup, st = b->stride;
	float *rows = xmalloc(b->block * st * sizeof(float));
	double *mg = xmalloc(b->block * ng * sizeof(double));

	for (size_t r0 = rg->r0; r0 < rg->r1; r0 += b->block) {
		size_t nb = rg->r1 - r0 < b->block ? rg->r1 - r0 : b->block;

		for (size_t j = 0; j < m->nfeat; j++) {
			const float *c = b->cols[j] + r0;

			for (size_t r = 0; r < nb; r++)
				rows[r * st + j] = c[r];
		}
		for (size_t r = 0; r < nb; r++)
			rows[r * st + m->nfeat] = 0;
		if (m->kind == MLP_MODEL_LINEAR) {
			for (size_t r = 0; r < nb; r++)
				model_margin_range(m, rows + r * st, 0,
				    m->ngroup, mg + r * ng);
		} else {
			for (size_t r = 0; r < nb; r++)
				memcpy(mg + r * ng, m->base_margin,
				    ng * sizeof(double));
			for (size_t t = 0; t < m->ntrees; t++)
				walk_tree(b, t, rows, nb, mg);
		}
		link_rows(m, mg, nb, b->out + r0 * (size_t)m->nout);
	}
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
	b.stride = m->nfeat + 1;
	/* about 32 KiB of rows and margins per block, 8 to 256 rows */
	b.block = 32768 / ((b.stride * sizeof(float) +
	    (size_t)m->ngroup * sizeof(double)));
	b.block = b.block < 8 ? 8 : b.block > 256 ? 256 : b.block & ~7UL;
	if (m->kind == MLP_MODEL_GBDT)
		batch_build(&b);

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
	free(b.node);
	free(b.leaf);
	free(b.depth);
	return 0;
}

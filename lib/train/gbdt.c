/* The gradient-boosted trees learner ("gbdt"), XGBoost's hist method:
 * second-order boosting of depth-wise (or best-first, with max_leaves)
 * regression trees grown on quantile-binned data.
 *
 * Choices where XGBoost leaves room or differs by version:
 * - base_score: margin 0 for binary:logistic (probability 0.5, XGBoost
 *   1.7's default) and for multi:*, the mean label for reg:squarederror.
 * - Categorical features are binned by level code (each code its own bin
 *   when there are at most max_bin) and split like ordered numbers:
 *   "code < t" goes left.
 * - min_split_gain (XGBoost's gamma) stops a split whose gain is below it
 *   when the tree grows (XGBoost prunes such splits afterwards, keeping
 *   one whose descendants gain more).
 * - With early stopping the model returned holds the trees of the best
 *   iteration only (XGBoost keeps all and predicts with the best).
 * - Row and feature sampling draw from a generator seeded by (seed,
 *   iteration, class), so a resumed run samples as an uninterrupted one.
 * - Histograms sum fixed-point gradients (gbdt-internal.h), so the model
 *   is the same for any number of threads. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "gbdt-internal.h"

static const struct mlp_param_def gbdt_params[] = {
	{ "alpha", MLP_PARAM_FLOAT, 0, INFINITY, 0, 0, "0", NULL,
	    "L1 regularisation of leaf weights", "reg_alpha" },
	{ "colsample", MLP_PARAM_FLOAT, 0, 1, 1, 0, "1", NULL,
	    "fraction of the features each tree may use", "colsample_bytree" },
	{ "early_stopping_rounds", MLP_PARAM_INT, 0, 1e6, 0, 0, "0", NULL,
	    "stop when the validation metric has not improved for this many "
	    "iterations (0: never)", NULL },
	{ "eval_metric", MLP_PARAM_LIST, 0, 0, 0, 0, NULL,
	    "logloss,auc,accuracy,rmse,mae,r2,mlogloss,maccuracy",
	    "metrics to compute (the first one drives early stopping)", NULL },
	{ "lambda", MLP_PARAM_FLOAT, 0, INFINITY, 0, 0, "1", NULL,
	    "L2 regularisation of leaf weights", "reg_lambda" },
	{ "learning_rate", MLP_PARAM_FLOAT, 0, 1, 1, 0, "0.3", NULL,
	    "shrinkage of each tree's leaf values (eta)", "eta" },
	{ "max_bin", MLP_PARAM_INT, 2, GB_MAX_BIN, 0, 0, "256", NULL,
	    "most histogram bins per feature", NULL },
	{ "max_depth", MLP_PARAM_INT, 1, 63, 0, 0, "6", NULL,
	    "depth of the trees", NULL },
	{ "max_leaves", MLP_PARAM_INT, 0, 1 << 30, 0, 0, "0", NULL,
	    "most leaves per tree, best-gain nodes split first (0: no limit)",
	    NULL },
	{ "min_child_weight", MLP_PARAM_FLOAT, 0, INFINITY, 0, 0, "1", NULL,
	    "least hessian sum in a child", NULL },
	{ "min_split_gain", MLP_PARAM_FLOAT, 0, INFINITY, 0, 0, "0", NULL,
	    "least loss reduction of a split (gamma)", "gamma,min_split_loss" },
	{ "num_class", MLP_PARAM_INT, 1, 1 << 16, 0, 0, NULL, NULL,
	    "classes of multi:softmax and multi:softprob", NULL },
	{ "objective", MLP_PARAM_ENUM, 0, 0, 0, 0, "reg:squarederror",
	    "reg:squarederror,binary:logistic,multi:softmax,multi:softprob",
	    "learning objective", NULL },
	{ "rounds", MLP_PARAM_INT, 1, 1e6, 0, 0, "100", NULL,
	    "boosting iterations", "num_boost_round,n_estimators" },
	{ "seed", MLP_PARAM_INT, 0, 4294967295.0, 0, 0, "0", NULL,
	    "seed of row and feature sampling", "random_state" },
	{ "subsample", MLP_PARAM_FLOAT, 0, 1, 1, 0, "1", NULL,
	    "fraction of the rows each tree is grown on", NULL },
};
#define NPARAMS (sizeof(gbdt_params) / sizeof(*gbdt_params))

static const char *const obj_names[] = {
	[MLP_OBJ_SQUARED] = "reg:squarederror",
	[MLP_OBJ_LOGISTIC] = "binary:logistic",
	[MLP_OBJ_SOFTMAX] = "multi:softmax",
	[MLP_OBJ_SOFTPROB] = "multi:softprob",
};

#define MAX_METRICS 16

/* One data set (train or valid) being scored. */
struct set {
	const struct mlp_train_data *d;
	double *margin;		/* nrows * K */
	double *em;		/* binary:logistic: exp(-margin), kept up to
				 * date by products (no exp per row and
				 * iteration) */
	double *pred;		/* nrows * K outputs (or margin) */
	double *blk;		/* sums per block of rows */
	double sstot;		/* sum of squares about the mean label */
	float *xr;		/* the rows row-major (validation), or NULL */
	uint64_t *aucbuf;	/* 2 * nrows, when AUC is wanted */
};

struct gbdt {
	const struct mlp_train_job *job;
	struct gb_pool *pool;
	int T;
	int obj, K;		/* objective, margins per row */
	int rounds, esr;
	double subsample, colsample;
	uint64_t seed;
	struct gb_param p;
	struct gb_bins bins;
	struct gb_grower gr;
	uint64_t *gh;
	uint8_t *fmask;
	struct set tr, va;
	struct mlp_model *m;
	size_t anode, atree;
	double *fexp;		/* anode: exp(-value) of model nodes */
	uint32_t *leaf_of;	/* nrows: each row's leaf in the last tree */

	enum mlp_metric_id metric[MAX_METRICS];
	size_t nmetric;
	int need_ll, need_auc, need_err;
	char *mname[2 * MAX_METRICS];
	struct mlp_metric_val mval[2 * MAX_METRICS];

	/* per-tree inputs of the parallel steps */
	int cls;
	uint64_t tree_seed;
	uint64_t keep;		/* rows with hash < keep are sampled */
	double gscale, hscale, gmax;
	size_t first_tree;	/* of the model's trees to walk */
	int walk_train;		/* walk the training rows too */
	double *gmax_p;		/* per piece */
};

/* ---- random numbers: stateless, from (seed, iteration, class) ---- */

static uint64_t
mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
tree_seed(uint64_t seed, int iter, int cls)
{
	return mix64(mix64(mix64(seed) ^ (uint64_t)iter) ^ (uint64_t)cls);
}

static int
row_kept(const struct gbdt *s, size_t i)
{
	return s->keep == UINT64_MAX ||
	    mix64(s->tree_seed ^ mix64((uint64_t)i)) < s->keep;
}

/* ---- pieces of rows for threads (gb_pool_each) ---- */

#define PIECE 16384

static size_t
npieces(size_t n, size_t piece)
{
	return (n + piece - 1) / piece;
}

/* Rows [i0, i1) of piece i. */
static void
span(size_t n, size_t piece, size_t i, size_t *i0, size_t *i1)
{
	*i0 = i * piece;
	*i1 = *i0 + piece < n ? *i0 + piece : n;
}

/* ---- gradients ---- */

/* 2^s with s chosen so that values of magnitude up to bound are at most
 * 2^GB_QBITS in fixed point. */
static double
fixed_scale(double bound)
{
	int e;

	if (!(bound > 0) || !isfinite(bound))
		bound = 1;
	frexp(bound, &e);		/* bound < 2^e */
	return ldexp(1, GB_QBITS - e);
}

/* x in fixed point, rounded to nearest */
static int32_t
fixed(double x, double scale)
{
#ifdef __SSE2__
	return _mm_cvtsd_si32(_mm_set_sd(x * scale));
#else
	return (int32_t)lrint(x * scale);
#endif
}

static void
gmax_item(void *arg, size_t piece, int tid)
{
	struct gbdt *s = arg;
	const float *y = s->tr.d->y;
	size_t i0, i1;
	double mx = 0;

	span(s->tr.d->nrows, PIECE, piece, &i0, &i1);
	for (size_t i = i0; i < i1; i++) {
		double g = fabs(s->tr.margin[i] - y[i]);

		mx = g > mx ? g : mx;
	}
	s->gmax_p[piece] = mx;
}

static void
grad_item(void *arg, size_t piece, int tid)
{
	struct gbdt *s = arg;
	const float *y = s->tr.d->y;
	const double *pr = s->tr.pred;
	double gs = s->gscale, hs = s->hscale;
	int K = s->K, k = s->cls;
	size_t i0, i1;

	span(s->tr.d->nrows, PIECE, piece, &i0, &i1);
	switch (s->obj) {
	case MLP_OBJ_LOGISTIC:
		for (size_t i = i0; i < i1; i++) {
			double p = pr[i], h = p * (1 - p);

			s->gh[i] = gb_pack(fixed(p - y[i], gs),
			    fixed(h > 1e-16 ? h : 1e-16, hs));
		}
		break;
	case MLP_OBJ_SQUARED:
		for (size_t i = i0; i < i1; i++) {
			s->gh[i] = gb_pack(fixed(s->tr.margin[i] - y[i], gs),
			    (int32_t)hs);
		}
		break;
	default:
		for (size_t i = i0; i < i1; i++) {
			double p = pr[i * (size_t)K + (size_t)k];
			double h = 2 * p * (1 - p);

			s->gh[i] = gb_pack(fixed(p - (y[i] == (float)k), gs),
			    fixed(h > 1e-16 ? h : 1e-16, hs));
		}
		break;
	}
}

static void
gradients(struct gbdt *s)
{
	size_t np = npieces(s->tr.d->nrows, PIECE);

	switch (s->obj) {
	case MLP_OBJ_LOGISTIC:
		s->gscale = fixed_scale(1);
		s->hscale = fixed_scale(0.25);
		break;
	case MLP_OBJ_SQUARED:
		gb_pool_each(s->pool, np, gmax_item, s);
		s->gmax = 0;
		for (size_t i = 0; i < np; i++)
			s->gmax = s->gmax_p[i] > s->gmax ? s->gmax_p[i] :
			    s->gmax;
		s->gscale = fixed_scale(s->gmax);
		s->hscale = fixed_scale(1);
		break;
	default:
		s->gscale = fixed_scale(1);
		s->hscale = fixed_scale(0.5);
		break;
	}
	gb_pool_each(s->pool, np, grad_item, s);
	s->gr.gunit = 1 / s->gscale;
	s->gr.hunit = 1 / s->hscale;
}

/* ---- predictions and metrics ---- */

/* Rows are scored in blocks of BLK whose sums are added in block order,
 * so metrics do not depend on the number of threads. */
#define BLK 4096

enum { S_LL, S_ACC, S_SE, S_AE, NSUM };
#define LL_GROUP 16

static double
clip(double p)
{
#ifdef __SSE2__
	/* maxsd/minsd: no branches (p is a probability, not NaN) */
	return _mm_cvtsd_f64(_mm_min_sd(_mm_max_sd(_mm_set_sd(p),
	    _mm_set_sd(1e-15)), _mm_set_sd(1 - 1e-15)));
#else
	return p < 1e-15 ? 1e-15 : p > 1 - 1e-15 ? 1 - 1e-15 : p;
#endif
}

/* c ? a : b without a branch */
static double
pick(unsigned c, double a, double b)
{
	uint64_t ua, ub, m = -(uint64_t)(c != 0);

	memcpy(&ua, &a, sizeof(ua));
	memcpy(&ub, &b, sizeof(ub));
	ua = (ua & m) | (ub & ~m);
	memcpy(&a, &ua, sizeof(a));
	return a;
}

/* Outputs from margins (probabilities for logistic and multi:*, margins
 * themselves for regression) and the block sums of the one-pass
 * metrics: log loss, correct answers, squared and absolute errors. */
static void
score_block(const struct gbdt *s, const struct set *st, size_t i0,
    size_t i1, double *sum)
{
	const float *y = st->d->y;
	size_t K = (size_t)s->K;
	double ll = 0, acc = 0, se = 0, ae = 0, prod = 1;
	int nprod = 0;

	/* log loss takes the log of a product of LL_GROUP clipped
	 * probabilities (>= 1e-15 each, so no underflow): one log per group
	 * instead of one per row */
#define LL_TERM(q) do { \
		prod *= (q); \
		if (++nprod == LL_GROUP) { \
			ll -= log(prod); \
			prod = 1; \
			nprod = 0; \
		} \
	} while (0)
	if (s->obj == MLP_OBJ_LOGISTIC) {
		/* branch-free: labels are unpredictable */
		const double *em = st->em;
		double *pred = st->pred;
		int need_ll = s->need_ll, need_err = s->need_err;
		size_t correct = 0;

		for (size_t i = i0; i < i1; i++) {
			double p = 1 / (1 + em[i]);
			unsigned pos = y[i] > 0.5f;

			pred[i] = p;
			if (need_ll)
				LL_TERM(pick(pos, clip(p), 1 - clip(p)));
			correct += (p > 0.5) == pos;
			if (need_err) {
				se += (p - y[i]) * (p - y[i]);
				ae += fabs(p - y[i]);
			}
		}
		acc = (double)correct;
	} else if (s->obj == MLP_OBJ_SQUARED) {
		for (size_t i = i0; i < i1; i++) {
			double d = st->margin[i] - y[i];

			se += d * d;
			ae += fabs(d);
		}
	} else {
		for (size_t i = i0; i < i1; i++) {
			const double *mg = st->margin + i * K;
			double *p = st->pred + i * K, mx = mg[0], z = 0;
			long c = (long)y[i];
			size_t best = 0;

			for (size_t k = 1; k < K; k++)
				mx = mg[k] > mx ? mg[k] : mx;
			for (size_t k = 0; k < K; k++)
				z += (p[k] = exp(mg[k] - mx));
			for (size_t k = 0; k < K; k++) {
				p[k] /= z;
				if (p[k] > p[best])
					best = k;
			}
			if (s->need_ll)
				LL_TERM(clip(p[c]));
			acc += (long)best == c;
		}
	}
#undef LL_TERM
	sum[S_LL] = ll - log(prod);
	sum[S_ACC] = acc;
	sum[S_SE] = se;
	sum[S_AE] = ae;
}

/* Block i of the training rows, then of the validation rows. */
static void
score_item(void *arg, size_t i, int tid)
{
	struct gbdt *s = arg;
	size_t nt = npieces(s->tr.d->nrows, BLK), i0, i1;
	const struct set *st = i < nt ? &s->tr : &s->va;

	i = i < nt ? i : i - nt;
	span(st->d->nrows, BLK, i, &i0, &i1);
	score_block(s, st, i0, i1, st->blk + i * NSUM);
}

static void
score(struct gbdt *s)
{
	gb_pool_each(s->pool, npieces(s->tr.d->nrows, BLK) +
	    (s->va.d ? npieces(s->va.d->nrows, BLK) : 0), score_item, s);
}

/* The metrics of a set from its block sums into out[0 .. nmetric). */
static void
metrics_of(struct gbdt *s, const struct set *st, struct mlp_metric_val *out)
{
	size_t n = st->d->nrows, nb = (n + BLK - 1) / BLK;
	double sum[NSUM] = { 0 }, dn = (double)n;

	for (size_t b = 0; b < nb; b++)
		for (int k = 0; k < NSUM; k++)
			sum[k] += st->blk[b * NSUM + k];
	for (size_t i = 0; i < s->nmetric; i++) {
		double v = NAN;

		switch (s->metric[i]) {
		case MLP_METRIC_LOGLOSS:
		case MLP_METRIC_MLOGLOSS:
			v = sum[S_LL] / dn;
			break;
		case MLP_METRIC_ACCURACY:
		case MLP_METRIC_MACCURACY:
			v = sum[S_ACC] / dn;
			break;
		case MLP_METRIC_RMSE:
			v = sqrt(sum[S_SE] / dn);
			break;
		case MLP_METRIC_MAE:
			v = sum[S_AE] / dn;
			break;
		case MLP_METRIC_R2:
			v = st->sstot > 0 ? 1 - sum[S_SE] / st->sstot : 0;
			break;
		case MLP_METRIC_AUC:
			v = gb_auc(s->pool, st->d->y, st->pred, n, st->aucbuf);
			break;
		default:
			break;
		}
		out[i].value = v;
	}
}

/* Scores both sets; returns the number of metric values in s->mval. */
static size_t
evaluate(struct gbdt *s)
{
	score(s);
	metrics_of(s, &s->tr, s->mval);
	if (!s->va.d)
		return s->nmetric;
	metrics_of(s, &s->va, s->mval + s->nmetric);
	return 2 * s->nmetric;
}

/* Adds leaf n's value to margin idx of a set (and to em, multiplying by
 * exp(-value); an em that drifts out of range is computed afresh). */
static inline void
add_leaf(const struct gbdt *s, const struct set *st, size_t idx, uint32_t n)
{
	st->margin[idx] += s->m->split_value[n];
	if (st->em) {
		double e = st->em[idx] * s->fexp[n];

		if (!(e >= 1e-300 && e <= 1e300))
			e = exp(-st->margin[idx]);
		st->em[idx] = e;
	}
}

/* The leaf of tree node n that row i of cols falls in, as the model
 * predicts (x < value goes left, missing by default_left). */
static uint32_t
walk(const struct mlp_model *m, uint32_t n, const float *const *x, size_t i)
{
	while (m->split_feat[n] >= 0) {
		float v = x[m->split_feat[n]][i];

		if (isnan(v))
			n = m->left[n] + (m->default_left[n] ? 0 : 1);
		else
			n = m->left[n] + (v < m->split_value[n] ? 0 : 1);
	}
	return n;
}

/* walk() on a row-major row */
static uint32_t
walk_row(const struct mlp_model *m, uint32_t n, const float *x)
{
	while (m->split_feat[n] >= 0) {
		float v = x[m->split_feat[n]];

		if (isnan(v))
			n = m->left[n] + (m->default_left[n] ? 0 : 1);
		else
			n = m->left[n] + (v < m->split_value[n] ? 0 : 1);
	}
	return n;
}

/* Adds trees first_tree .. ntrees-1 of the model to the margins of rows
 * [i0, i1) of a set, in model order (the order and precision training
 * adds them in). */
static void
walk_rows(const struct gbdt *s, const struct set *st, size_t i0, size_t i1)
{
	const struct mlp_model *m = s->m;
	size_t K = (size_t)s->K, F = st->d->nfeat;

	for (size_t t = s->first_tree; st->xr && t < m->ntrees; t++) {
		size_t g = (size_t)m->tree_group[t];

		for (size_t i = i0; i < i1; i++)
			add_leaf(s, st, i * K + g, walk_row(m, m->tree_root[t],
			    st->xr + i * F));
	}
	for (size_t t = s->first_tree; !st->xr && t < m->ntrees; t++) {
		size_t g = (size_t)m->tree_group[t];

		for (size_t i = i0; i < i1; i++)
			add_leaf(s, st, i * K + g, walk(m, m->tree_root[t],
			    st->d->x, i));
	}
}

#define WALK_PIECE 4096

/* Piece i of the training rows, then of the validation rows (with
 * s->walk_train), else of the validation rows. */
static void
walk_item(void *arg, size_t i, int tid)
{
	struct gbdt *s = arg;
	size_t nt = s->walk_train ? npieces(s->tr.d->nrows, WALK_PIECE) : 0;
	const struct set *st = i < nt ? &s->tr : &s->va;
	size_t i0, i1;

	span(st->d->nrows, WALK_PIECE, i < nt ? i : i - nt, &i0, &i1);
	walk_rows(s, st, i0, i1);
}

static void
walk_sets(struct gbdt *s, int train)
{
	size_t n = s->va.d ? npieces(s->va.d->nrows, WALK_PIECE) : 0;

	s->walk_train = train;
	if (train)
		n += npieces(s->tr.d->nrows, WALK_PIECE);
	gb_pool_each(s->pool, n, walk_item, s);
}

static void
transpose_item(void *arg, size_t piece, int tid)
{
	struct gbdt *s = arg;
	const struct mlp_train_data *d = s->va.d;
	size_t i0, i1, F = d->nfeat;

	span(d->nrows, 256, piece, &i0, &i1);
	for (size_t j = 0; j < F; j++)
		for (size_t i = i0; i < i1; i++)
			s->va.xr[i * F + j] = d->x[j][i];
}

/* Adds the tree just grown to the training margins of class s->cls: the
 * leaf of each row it was grown on is noted from the leaves' ranges of
 * gr->rows (pieces of it), the others' found by walking the tree; then
 * margins are updated in row order, which streams through memory. */
static void
leaf_of_item(void *arg, size_t piece, int tid)
{
	struct gbdt *s = arg;
	const struct gb_grower *gr = &s->gr;
	size_t p0, p1;

	span(gr->nrows, PIECE, piece, &p0, &p1);
	for (size_t l = 0; l < gr->nnode; l++) {
		const struct gb_node *nd = &gr->node[l];
		size_t b = nd->begin > p0 ? nd->begin : p0;
		size_t e = nd->end < p1 ? nd->end : p1;

		if (nd->left >= 0)
			continue;
		for (size_t q = b; q < e; q++)
			s->leaf_of[gr->rows[q]] = (uint32_t)l;
	}
}

static void
update_item(void *arg, size_t piece, int tid)
{
	struct gbdt *s = arg;
	const struct gb_grower *gr = &s->gr;
	size_t i0, i1, K = (size_t)s->K, k = (size_t)s->cls;
	uint32_t base = s->m->tree_root[s->m->ntrees - 1];

	span(s->tr.d->nrows, PIECE, piece, &i0, &i1);
	for (size_t i = i0; i < i1; i++) {
		uint32_t l = row_kept(s, i) ? s->leaf_of[i] :
		    gb_leaf_binned(gr, i);

		add_leaf(s, &s->tr, i * K + k, base + l);
	}
}

static void
update_margins(struct gbdt *s)
{
	gb_pool_each(s->pool, npieces(s->gr.nrows, PIECE), leaf_of_item, s);
	gb_pool_each(s->pool, npieces(s->tr.d->nrows, PIECE), update_item, s);
}

/* ---- the model ---- */

static void
append_tree(struct gbdt *s)
{
	struct mlp_model *m = s->m;
	const struct gb_grower *gr = &s->gr;
	size_t base = m->nnodes, need = base + gr->nnode;

	if (m->ntrees + 1 > s->atree) {
		s->atree = s->atree ? 2 * s->atree : 64;
		m->tree_root = xrealloc(m->tree_root,
		    s->atree * sizeof(*m->tree_root));
		m->tree_group = xrealloc(m->tree_group,
		    s->atree * sizeof(*m->tree_group));
	}
	if (need > s->anode) {
		while (need > s->anode)
			s->anode = s->anode ? 2 * s->anode : 1024;
		m->split_feat = xrealloc(m->split_feat,
		    s->anode * sizeof(*m->split_feat));
		m->split_value = xrealloc(m->split_value,
		    s->anode * sizeof(*m->split_value));
		m->left = xrealloc(m->left, s->anode * sizeof(*m->left));
		m->default_left = xrealloc(m->default_left,
		    s->anode * sizeof(*m->default_left));
		s->fexp = xrealloc(s->fexp, s->anode * sizeof(*s->fexp));
	}
	m->tree_root[m->ntrees] = (uint32_t)base;
	m->tree_group[m->ntrees] = s->cls;
	m->ntrees++;
	for (size_t i = 0; i < gr->nnode; i++) {
		const struct gb_node *nd = &gr->node[i];
		size_t j = base + i;

		if (nd->left >= 0) {
			int u = nd->split.feat;

			m->split_feat[j] = s->bins.used[u];
			m->split_value[j] = s->bins.thr[u][nd->split.k];
			m->left[j] = (uint32_t)(base + (size_t)nd->left);
			m->default_left[j] = (uint8_t)nd->split.dl;
		} else {
			m->split_feat[j] = -1;
			m->split_value[j] = nd->value;
			m->left[j] = 0;
			m->default_left[j] = 0;
		}
		s->fexp[j] = exp(-(double)m->split_value[j]);
	}
	m->nnodes = need;
}

/* Keeps the first ntrees trees. */
static void
truncate_model(struct mlp_model *m, size_t ntrees)
{
	if (ntrees >= m->ntrees)
		return;
	m->nnodes = m->tree_root[ntrees];
	m->ntrees = ntrees;
}

/* ---- checks ---- */

static int
check_labels(const struct mlp_train_data *d, int obj, int K,
    struct mlp_err *err)
{
	char at[200];

	for (size_t i = 0; i < d->nrows; i++) {
		float y = d->y[i];

		if (!isfinite(y))
			return mlp_err_set(err, MLP_EINVAL,
			    "%s: label %g is not a number",
			    mlp_train_where(d, i, at, sizeof(at)), (double)y);
		if (obj == MLP_OBJ_LOGISTIC && y != 0 && y != 1)
			return mlp_err_set(err, MLP_EINVAL,
			    "%s: label %g is not a class of binary:logistic "
			    "(0 or 1)", mlp_train_where(d, i, at, sizeof(at)),
			    (double)y);
		if ((obj == MLP_OBJ_SOFTMAX || obj == MLP_OBJ_SOFTPROB) &&
		    (y < 0 || y >= (float)K || y != floorf(y)))
			return mlp_err_set(err, MLP_EINVAL,
			    "%s: label %g is not a class of %s (num_class=%d: "
			    "0 to %d)", mlp_train_where(d, i, at, sizeof(at)),
			    (double)y, obj_names[obj], K, K - 1);
	}
	return 0;
}

static int
metric_applies(int obj, enum mlp_metric_id m)
{
	switch (obj) {
	case MLP_OBJ_LOGISTIC:
		return m != MLP_METRIC_MLOGLOSS && m != MLP_METRIC_MACCURACY;
	case MLP_OBJ_SQUARED:
		return m == MLP_METRIC_RMSE || m == MLP_METRIC_MAE ||
		    m == MLP_METRIC_R2;
	default:
		return m == MLP_METRIC_MLOGLOSS || m == MLP_METRIC_MACCURACY;
	}
}

static void
metric_needs(struct gbdt *s)
{
	for (size_t i = 0; i < s->nmetric; i++) {
		s->need_ll |= s->metric[i] == MLP_METRIC_LOGLOSS ||
		    s->metric[i] == MLP_METRIC_MLOGLOSS;
		s->need_auc |= s->metric[i] == MLP_METRIC_AUC;
		s->need_err |= s->metric[i] == MLP_METRIC_RMSE ||
		    s->metric[i] == MLP_METRIC_MAE ||
		    s->metric[i] == MLP_METRIC_R2;
	}
}

/* The metrics to log; with lenient, one that does not apply to the
 * objective is let through (checked again once the objective is known:
 * the runner makes a 0/1 target binary:logistic). */
static int
setup_metrics(struct gbdt *s, int lenient, struct mlp_err *err)
{
	const char *list = mlp_params_str(s->job->params, gbdt_params,
	    NPARAMS, "eval_metric");

	if (!list || !*list) {
		s->nmetric = mlp_metric_defaults(s->obj, s->metric);
		metric_needs(s);
		return 0;
	}
	s->nmetric = 0;
	for (const char *w = list; *w;) {
		size_t l = strcspn(w, ",");
		char name[32];
		int m;

		snprintf(name, sizeof(name), "%.*s", (int)l, w);
		m = mlp_metric_parse(name);
		if (m < 0 || (!lenient &&
		    !metric_applies(s->obj, (enum mlp_metric_id)m)))
			return mlp_err_set(err, MLP_EINVAL,
			    "eval_metric '%s' does not apply to %s", name,
			    obj_names[s->obj]);
		if (s->nmetric < MAX_METRICS)
			s->metric[s->nmetric++] = (enum mlp_metric_id)m;
		w += l;
		if (*w == ',')
			w++;
	}
	metric_needs(s);
	return 0;
}

/* Reads and checks the parameters (has_valid: validation data will be
 * given) and, when the job has them, the data. */
static int
setup(struct gbdt *s, const struct mlp_train_job *job, int has_valid,
    struct mlp_err *err)
{
	const struct mlp_params *pr = job->params;
	const struct mlp_train_data *tr = job->train, *va = job->valid;
	const char *objs;
	int rc, ncls;

#define PI(k) mlp_params_int(pr, gbdt_params, NPARAMS, k)
#define PF(k) mlp_params_float(pr, gbdt_params, NPARAMS, k)
	if ((rc = mlp_params_check(pr, "gbdt", gbdt_params, NPARAMS, err)) < 0)
		return rc;
	objs = mlp_params_str(pr, gbdt_params, NPARAMS, "objective");
	for (s->obj = 0; s->obj < 4; s->obj++)
		if (strcmp(obj_names[s->obj], objs) == 0)
			break;
	ncls = (int)PI("num_class");
	if (s->obj == MLP_OBJ_SOFTMAX || s->obj == MLP_OBJ_SOFTPROB) {
		if (ncls < 2)
			return mlp_err_set(err, MLP_EINVAL,
			    "%s needs num_class, 2 or more (-p num_class=K)",
			    objs);
		s->K = ncls;
	} else {
		if (ncls > 1)
			return mlp_err_set(err, MLP_EINVAL,
			    "num_class applies to multi:softmax and "
			    "multi:softprob, not %s", objs);
		s->K = 1;
	}
	s->rounds = (int)PI("rounds");
	s->esr = (int)PI("early_stopping_rounds");
	s->subsample = PF("subsample");
	s->colsample = PF("colsample");
	s->seed = (uint64_t)PI("seed");
	s->p.eta = PF("learning_rate");
	s->p.lambda = PF("lambda");
	s->p.alpha = PF("alpha");
	s->p.min_child_weight = PF("min_child_weight");
	s->p.min_split_gain = PF("min_split_gain");
	s->p.max_depth = (int)PI("max_depth");
	s->p.max_leaves = (int)PI("max_leaves");
#undef PI
#undef PF
	if ((rc = setup_metrics(s, !tr && !mlp_params_get(pr, "objective"),
	    err)) < 0)
		return rc;
	if (s->esr > 0 && !has_valid)
		return mlp_err_set(err, MLP_EINVAL,
		    "early_stopping_rounds needs validation data (--valid "
		    "FILE or --valid-fraction F)");
	if (!tr)
		return 0;

	if (tr->nrows == 0)
		return mlp_err_set(err, MLP_EINVAL, "no training rows");
	if (tr->nrows >= UINT32_MAX)
		return mlp_err_set(err, MLP_EINVAL,
		    "too many training rows (%zu)", tr->nrows);
	if (va && va->nfeat != tr->nfeat)
		return mlp_err_set(err, MLP_EINVAL,
		    "validation and training data differ in their number of "
		    "features (%zu, %zu)", va->nfeat, tr->nfeat);
	if ((rc = check_labels(tr, s->obj, s->K, err)) < 0)
		return rc;
	if (va && (rc = check_labels(va, s->obj, s->K, err)) < 0)
		return rc;
	return 0;
}

static int
gbdt_check(const struct mlp_train_job *job, int has_valid,
    struct mlp_err *err)
{
	struct gbdt s;

	memset(&s, 0, sizeof(s));
	s.job = job;
	return setup(&s, job, has_valid, err);
}

/* ---- resume ---- */

static int
resume(struct gbdt *s, const struct mlp_model *r, int iter,
    struct mlp_err *err)
{
	struct mlp_model *m = s->m;

	if (r->kind != MLP_MODEL_GBDT || (int)r->objective != s->obj ||
	    r->ngroup != s->K || r->nfeat != s->job->train->nfeat)
		return mlp_err_set(err, MLP_EINVAL,
		    "cannot resume: the checkpoint is not a gbdt model of "
		    "this objective and these features");
	if (iter < 0 || iter > s->rounds ||
	    r->ntrees != (size_t)iter * (size_t)s->K)
		return mlp_err_set(err, MLP_EINVAL,
		    "cannot resume: the checkpoint has %zu trees, not %d "
		    "iterations of %d", r->ntrees, iter, s->K);
	for (int g = 0; g < s->K; g++)
		m->base_margin[g] = r->base_margin[g];
	s->atree = r->ntrees ? r->ntrees : 1;
	s->anode = r->nnodes ? r->nnodes : 1;
	m->tree_root = xmalloc(s->atree * sizeof(*m->tree_root));
	m->tree_group = xmalloc(s->atree * sizeof(*m->tree_group));
	m->split_feat = xmalloc(s->anode * sizeof(*m->split_feat));
	m->split_value = xmalloc(s->anode * sizeof(*m->split_value));
	m->left = xmalloc(s->anode * sizeof(*m->left));
	m->default_left = xmalloc(s->anode * sizeof(*m->default_left));
	memcpy(m->tree_root, r->tree_root, r->ntrees * sizeof(*m->tree_root));
	memcpy(m->tree_group, r->tree_group,
	    r->ntrees * sizeof(*m->tree_group));
	memcpy(m->split_feat, r->split_feat,
	    r->nnodes * sizeof(*m->split_feat));
	memcpy(m->split_value, r->split_value,
	    r->nnodes * sizeof(*m->split_value));
	memcpy(m->left, r->left, r->nnodes * sizeof(*m->left));
	memcpy(m->default_left, r->default_left,
	    r->nnodes * sizeof(*m->default_left));
	s->fexp = xmalloc(s->anode * sizeof(*s->fexp));
	for (size_t j = 0; j < r->nnodes; j++)
		s->fexp[j] = exp(-(double)r->split_value[j]);
	m->ntrees = r->ntrees;
	m->nnodes = r->nnodes;
	m->best_iteration = r->best_iteration;
	m->best_score = r->best_score;
	return 0;
}

/* ---- training ---- */

static void
sample_rows(struct gbdt *s)
{
	size_t n = s->tr.d->nrows, m = 0;

	if (s->keep == UINT64_MAX) {
		for (size_t i = 0; i < n; i++)
			s->gr.rows[i] = (uint32_t)i;
		m = n;
	} else {
		for (size_t i = 0; i < n; i++)
			if (row_kept(s, i))
				s->gr.rows[m++] = (uint32_t)i;
	}
	s->gr.nrows = m;
}

static void
sample_features(struct gbdt *s)
{
	size_t nu = s->bins.nused, want;
	uint32_t *perm;
	uint64_t r = s->tree_seed ^ 0x5851f42d4c957f2dULL;

	if (s->colsample >= 1 || nu == 0) {
		memset(s->fmask, 1, nu ? nu : 1);
		return;
	}
	want = (size_t)floor(s->colsample * (double)nu + 0.5);
	want = want < 1 ? 1 : want;
	perm = xmalloc(nu * sizeof(*perm));
	for (size_t u = 0; u < nu; u++)
		perm[u] = (uint32_t)u;
	memset(s->fmask, 0, nu);
	for (size_t u = 0; u < want; u++) {
		size_t k;
		uint32_t t;

		r = mix64(r);
		k = u + (size_t)(r % (uint64_t)(nu - u));
		t = perm[u];
		perm[u] = perm[k];
		perm[k] = t;
		s->fmask[perm[u]] = 1;
	}
	free(perm);
}

static void
release(struct gbdt *s)
{
	gb_grower_release(&s->gr);
	gb_bins_release(&s->bins);
	gb_pool_free(s->pool);
	free(s->gh);
	free(s->gmax_p);
	free(s->fexp);
	free(s->leaf_of);
	free(s->tr.em);
	free(s->va.em);
	free(s->fmask);
	free(s->tr.margin);
	if (s->tr.pred != s->tr.margin)
		free(s->tr.pred);
	free(s->va.margin);
	if (s->va.pred != s->va.margin)
		free(s->va.pred);
	free(s->tr.blk);
	free(s->va.blk);
	free(s->tr.aucbuf);
	free(s->va.aucbuf);
	free(s->va.xr);
	for (size_t i = 0; i < 2 * MAX_METRICS; i++)
		free(s->mname[i]);
	mlp_model_free(s->m);
}

static void
set_alloc(struct gbdt *s, struct set *st, const struct mlp_train_data *d)
{
	size_t n = d->nrows * (size_t)s->K;
	double mean = 0;

	st->d = d;
	st->blk = xcalloc(d->nrows / BLK + 1, NSUM * sizeof(*st->blk));
	if (s->need_auc)
		st->aucbuf = xmalloc((2 * d->nrows + 1) * sizeof(*st->aucbuf));
	for (size_t i = 0; i < d->nrows; i++)
		mean += d->y[i];
	mean /= d->nrows ? (double)d->nrows : 1;
	for (size_t i = 0; i < d->nrows; i++)
		st->sstot += (d->y[i] - mean) * (d->y[i] - mean);
	st->margin = xmalloc((n ? n : 1) * sizeof(double));
	for (size_t i = 0; i < n; i++)
		st->margin[i] = s->m->base_margin[i % (size_t)s->K];
	st->pred = s->obj == MLP_OBJ_SQUARED ? st->margin :
	    xmalloc((n ? n : 1) * sizeof(double));
	if (s->obj == MLP_OBJ_LOGISTIC) {
		double e = exp(-s->m->base_margin[0]);

		st->em = xmalloc((n ? n : 1) * sizeof(double));
		for (size_t i = 0; i < n; i++)
			st->em[i] = e;
	}
}

static int
gbdt_train(const struct mlp_train_job *job, struct mlp_model **out,
    struct mlp_err *err)
{
	struct gbdt st, *s = &st;
	const struct mlp_train_data *tr = job->train;
	int rc, iter, start = 0, best_it = 0, stop = 0;
	double best = NAN;
	size_t nm;

	memset(s, 0, sizeof(*s));
	s->job = job;
	*out = NULL;
	if ((rc = setup(s, job, job->valid != NULL, err)) < 0)
		return rc;
	s->T = mlp_train_threads(job->nthreads);
	if (s->T > 256)
		s->T = 256;
	s->pool = gb_pool_new(s->T);
	s->T = gb_pool_size(s->pool);

	s->m = mlp_model_new();
	s->m->kind = MLP_MODEL_GBDT;
	s->m->objective = (enum mlp_objective)s->obj;
	s->m->num_class = s->K;
	s->m->ngroup = s->K;
	s->m->nout = s->obj == MLP_OBJ_SOFTPROB ? s->K : 1;
	s->m->origin = xstrdup("mlp");
	mlp_model_set_features(s->m, tr->feat, tr->nfeat);
	s->m->base_margin = xcalloc((size_t)s->K, sizeof(double));
	if (s->obj == MLP_OBJ_SQUARED) {
		double sum = 0;

		for (size_t i = 0; i < tr->nrows; i++)
			sum += tr->y[i];
		s->m->base_margin[0] = sum / (double)tr->nrows;
	}
	if (job->resume) {
		if ((rc = resume(s, job->resume, job->resume_iter, err)) < 0)
			goto out;
		start = job->resume_iter;
		best_it = s->m->best_iteration;
		best = s->m->best_score;
	}
	set_alloc(s, &s->tr, tr);
	if (job->valid)
		set_alloc(s, &s->va, job->valid);
	for (size_t i = 0; i < s->nmetric; i++) {
		const char *name = mlp_metric_name(s->metric[i]);

		s->mname[i] = xasprintf("train_%s", name);
		s->mname[s->nmetric + i] = xasprintf("valid_%s", name);
		s->mval[i].name = s->mname[i];
		s->mval[s->nmetric + i].name = s->mname[s->nmetric + i];
	}

	if ((rc = gb_bins_build(&s->bins, tr, (int)mlp_params_int(job->params,
	    gbdt_params, NPARAMS, "max_bin"), s->pool, err)) < 0)
		goto out;
	gb_grower_init(&s->gr, &s->bins, s->pool, &s->p);
	s->gh = xmalloc(tr->nrows * sizeof(*s->gh));
	s->fmask = xmalloc(s->bins.nused ? s->bins.nused : 1);
	s->gmax_p = xmalloc((npieces(tr->nrows, PIECE) + 1) * sizeof(double));
	s->leaf_of = xmalloc(tr->nrows * sizeof(*s->leaf_of));
	s->gr.gh = s->gh;
	s->gr.fmask = s->fmask;

	if (s->va.d && s->va.d->nfeat > 0) {
		/* walking trees over rows is faster row-major */
		s->va.xr = xmalloc(s->va.d->nrows * s->va.d->nfeat *
		    sizeof(float) + 1);
		gb_pool_each(s->pool, npieces(s->va.d->nrows, 256),
		    transpose_item, s);
	}
	if (start > 0) {
		s->first_tree = 0;
		walk_sets(s, 1);
		if (s->esr > 0 && best_it > 0 && start - best_it >= s->esr)
			stop = 1;
	}
	score(s);	/* outputs for the first gradients */

	for (iter = start + 1; iter <= s->rounds && !stop; iter++) {
		s->first_tree = s->m->ntrees;
		for (s->cls = 0; s->cls < s->K; s->cls++) {
			s->tree_seed = tree_seed(s->seed, iter, s->cls);
			s->keep = s->subsample >= 1 ? UINT64_MAX :
			    (uint64_t)ldexp(s->subsample, 64);
			gradients(s);
			sample_rows(s);
			sample_features(s);
			gb_grow(&s->gr, s->gr.nrows);
			append_tree(s);
			update_margins(s);
		}
		if (s->va.d)
			walk_sets(s, 0);
		nm = evaluate(s);

		if (s->esr > 0) {
			double v = s->mval[s->nmetric].value;
			int up = mlp_metric_maximize(s->metric[0]);

			if (best_it == 0 || (up ? v > best : v < best)) {
				best = v;
				best_it = iter;
			}
			s->m->best_iteration = best_it;
			s->m->best_score = best;
			if (iter - best_it >= s->esr)
				stop = 1;
		}
		if (job->on_iter && (rc = job->on_iter(job->ud, iter,
		    s->rounds, s->mval, nm, s->m)) < 0) {
			mlp_err_set(err, rc, "training stopped at iteration %d",
			    iter);
			goto out;
		}
	}
	if (s->esr > 0 && best_it > 0)
		truncate_model(s->m, (size_t)best_it * (size_t)s->K);
	*out = s->m;
	s->m = NULL;
	rc = 0;
out:
	release(s);
	return rc;
}

const struct mlp_learner mlp_learner_gbdt = {
	"gbdt",
	"gradient-boosted trees (XGBoost's hist method)",
	gbdt_params,
	NPARAMS,
	gbdt_train,
	gbdt_check,
};

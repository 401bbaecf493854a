/* Internals of the gbdt learner (lib/train/gbdt*.c), shared with its unit
 * tests: a thread pool, quantile binning, the AUC, and the histogram tree
 * grower.
 *
 * Gradients and hessians are fixed-point integers: one unit is 2^-S, S
 * chosen per tree so that every row's value is below 2^GB_QBITS in
 * magnitude (about 6 significant digits of the largest value; float
 * gradients, as XGBoost keeps them, have 7), and sums are 64-bit. Sums are
 * therefore exact whatever the order of additions: subtraction of a
 * child's histogram from its parent's is exact, and the trees do not
 * depend on how rows were divided between threads.
 *
 * A row's pair is packed in one 64-bit word, the gradient in the high
 * half and the (non-negative) hessian in the low one, so that one 64-bit
 * addition adds both: the histogram kernel sums packed words for as many
 * rows as keep both halves from overflowing, then adds the halves to
 * 64-bit sums. */
#ifndef MLP_GBDT_INTERNAL_H
#define MLP_GBDT_INTERNAL_H

#include <stdint.h>

#include "train.h"

#define GB_MAX_BIN 256

/* ---- thread pool ---- */

struct gb_pool;
typedef void gb_task_fn(void *arg, int tid, int nthreads);

/* A pool of nthreads threads (the caller counts as one). */
struct gb_pool *gb_pool_new(int nthreads);
int gb_pool_size(const struct gb_pool *p);
/* Runs fn(arg, tid, nthreads) on every thread and waits for all. */
void gb_pool_run(struct gb_pool *p, gb_task_fn *fn, void *arg);
/* Runs fn(arg, i, tid) for every i in [0, n), threads taking the next i
 * as they finish one (tid: the thread's number); waits for all. */
typedef void gb_item_fn(void *arg, size_t i, int tid);
void gb_pool_each(struct gb_pool *p, size_t n, gb_item_fn *fn, void *arg);
/* Inside a task: waits until every thread of the pool has reached it. */
void gb_pool_barrier(struct gb_pool *p);
void gb_pool_free(struct gb_pool *p);

/* ---- binning ---- */

/* The training data as bin codes. Feature u of the used ones (those that
 * can split: two distinct values, or one and missing values) has nbin[u]
 * value bins 0 .. nbin[u]-1 in increasing order of value and the code
 * nbin[u] for missing. thr[u][k] (k = 0 .. nbin[u]) is the threshold of the
 * split "bins < k go left": for every training value v, v < thr[u][k]
 * exactly when bin(v) < k (thr[u][0] is the smallest value, thr[u][nbin]
 * lies above the largest). */
struct gb_bins {
	size_t nrows, nfeat;
	size_t nused;		/* used features: the row stride of bin */
	int32_t *used;		/* nused: the data feature of each */
	uint16_t *nbin;		/* nused */
	float **thr;		/* nused arrays of nbin + 1 */
	uint32_t *off;		/* nused: the feature's first slot */
	size_t nslot;		/* histogram slots: sum of nbin + 1 */
	uint8_t *bin;		/* nrows * nused codes, row-major */
	uint8_t *col;		/* the same column-major (nused * nrows) */
};

/* The thresholds of one feature's n values x (NaN missing) into thr (room
 * for max_bin + 1); returns the number of value bins (0 when all are
 * missing) and sets *has_missing. keys and tmp have room for n. Values
 * are sorted; with at most max_bin distinct values (max_bin - 1 when some
 * are missing and max_bin is 256) each gets its own bin, else bins hold
 * about equal counts. A threshold lies between the two values it
 * separates (their midpoint when representable). */
int gb_cuts(const float *x, size_t n, int max_bin, uint32_t *keys,
    uint32_t *tmp, float *thr, int *has_missing);

/* Bins the training data d with up to max_bin bins per feature. */
int gb_bins_build(struct gb_bins *b, const struct mlp_train_data *d,
    int max_bin, struct gb_pool *pool, struct mlp_err *err);
void gb_bins_release(struct gb_bins *b);

/* ---- metrics ---- */

/* The AUC of probabilities p (n rows, labels y) exactly as
 * mlp_metric_eval() computes it, sorted with the pool's threads; buf has
 * room for 2 * n. */
double gb_auc(struct gb_pool *pool, const float *y, const double *p,
    size_t n, uint64_t *buf);

/* ---- trees ---- */

#define GB_QBITS 20

/* A row's gradient g and hessian h (>= 0) in fixed point, packed. */
static inline uint64_t
gb_pack(int32_t g, int32_t h)
{
	return (uint64_t)(int64_t)g << 32 | (uint32_t)h;
}

static inline int32_t
gb_unpack_g(uint64_t v)
{
	return (int32_t)(uint32_t)(v >> 32);
}

static inline uint32_t
gb_unpack_h(uint64_t v)
{
	return (uint32_t)v;
}

/* Their sums (a histogram slot, a node). */
struct gb_pair {
	_Alignas(16) int64_t g;
	int64_t h;
};

struct gb_param {
	double eta, lambda, alpha, min_child_weight, min_split_gain;
	int max_depth, max_leaves;
};

struct gb_split {
	double gain;		/* loss reduction (XGBoost's loss_chg) */
	int32_t feat;		/* used feature; -1: no valid split */
	int32_t k;		/* rows whose bin < k go left */
	int32_t dl;		/* missing values go left */
	int64_t lg, lh;		/* the left child's sums */
};

struct gb_node {
	uint32_t begin, end;	/* its rows: rows[begin .. end) */
	int32_t depth;
	int32_t left;		/* first child (right: +1); -1: leaf */
	int64_t g, h;		/* sums over its rows */
	struct gb_split split;	/* the best split found */
	int32_t hist;		/* histogram buffer, -1 when none */
	float value;		/* a leaf's output (eta applied) */
};

/* XGBoost's formulas (ThresholdL1 for alpha): the loss reduction of a
 * node with sums g, h when it becomes a leaf, and its weight. Both are 0
 * when h < min_child_weight or h <= 0. */
double gb_gain(const struct gb_param *p, double g, double h);
double gb_weight(const struct gb_param *p, double g, double h);

/* The best split of a node (sums g, h) over used features [f0, f1) whose
 * fmask entry is set (fmask NULL: all), given its histogram (nslot
 * pairs); best->feat is -1 when none is valid. A split is valid when both
 * sides have hessian >= min_child_weight and its gain is finite. Missing
 * values are tried on the right, then (when the node has any) on the
 * left; ties keep the first found. */
void gb_find_split(const struct gb_bins *b, const struct gb_pair *hist,
    int64_t g, int64_t h, double gunit, double hunit,
    const struct gb_param *p, const uint8_t *fmask, size_t f0, size_t f1,
    struct gb_split *best);

/* Grows trees on binned data; keeps its buffers from tree to tree. */
struct gb_grower {
	const struct gb_bins *bins;
	struct gb_pool *pool;
	struct gb_param p;

	/* inputs of one tree */
	const uint64_t *gh;		/* nrows packed gradient pairs */
	double gunit, hunit;		/* the value of one unit */
	const uint8_t *fmask;		/* nused: features it may use */

	/* the tree grown: nodes in creation order, root 0, children in
	 * consecutive pairs; rows[] holds the rows of the tree (sampled)
	 * grouped by leaf */
	struct gb_node *node;
	size_t nnode, anode;
	uint32_t *rows;
	size_t nrows;

	/* private */
	uint32_t *tmpl, *tmpr;
	struct gb_pair **hist;
	size_t nhist, ahist;
	int32_t *freeh;
	size_t nfree, afree;
	void *work;
};

void gb_grower_init(struct gb_grower *gr, const struct gb_bins *bins,
    struct gb_pool *pool, const struct gb_param *p);
void gb_grower_release(struct gb_grower *gr);

/* Grows one tree on rows[0 .. n) of gr->rows (the caller fills them in
 * increasing order) with gradients gr->gh. */
void gb_grow(struct gb_grower *gr, size_t n);

/* The leaf of tree gr->node that binned row i falls in. */
uint32_t gb_leaf_binned(const struct gb_grower *gr, size_t i);

#endif

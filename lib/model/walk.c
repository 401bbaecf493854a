/* The batch predictor's tree walkers: tables made from a model's trees
 * once (the first batch builds them, the model keeps them), and walkers
 * that take a block of rows through every tree with them. A scalar walker
 * runs everywhere; on x86-64, AVX2 and AVX-512 ones are chosen at run
 * time, per processor, without compiler flags beyond the defaults.
 *
 * A block holds B rows copied column by column, twice: column 2j holds
 * feature j with missing values made -inf, column 2j + 1 with them made
 * +inf; a column of zeros follows. A node reads the copy its default
 * direction needs (-inf < thr goes left, +inf >= thr goes right;
 * thresholds are finite), so a step is one comparison with no test for
 * missing values, and gives what the row path's test gives. Nodes hold
 * the column's offset (column * B), so that rows side by side read their
 * values with one instruction (a gather for the vector walkers).
 *
 * The scalar walker follows the model's nodes. A leaf loops to itself: it
 * reads the zero column, 0 >= 1 is false, and its left is itself; so
 * every row of a tree takes the tree's depth in steps, without a test
 * for leaves.
 *
 * The vector walkers take trees of depth up to PERFECT_MAX laid out as
 * perfect trees, level by level: the node at position p of a level has
 * its children at 2p and 2p + 1 of the next, and a leaf above the last
 * level becomes a node that always goes left (the zero column, threshold
 * 1) over copies of its value. A step needs no child index; a level of
 * up to 64 nodes is looked up with permutes from registers rather than
 * gathered from memory; and the rows' values at a level of up to 8 nodes
 * are loaded a node's column at a time and blended, only deeper levels
 * gathering them. Vectors of rows go side by side (with AVX-512, trees
 * too for a batch of a vector or two). Deeper trees go the scalar
 * walker's way. Every walker
 * adds a row's leaves in tree order to a double, so all give the same
 * bits. */
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "internal.h"

/* The deepest tree laid out as a perfect tree: 256 leaves, 3 KiB. */
#define PERFECT_MAX 8
#define NOT_PERFECT SIZE_MAX

/* Reads past a level's last entry (a register's worth) stay in the
 * arrays. */
#define PERFECT_PAD 16

struct bnode {
	float thr;
	uint32_t col;	/* column * B */
};

struct model_walk {
	size_t block;		/* B */
	struct bnode *node;	/* nnodes: 8 bytes, the shortest chain */
	uint32_t *left;		/* nnodes */
	float *leaf;		/* nnodes */
	uint32_t *depth;	/* ntrees */
	/* tree t's perfect layout starts at poff[t] (NOT_PERFECT when
	 * deeper than PERFECT_MAX) and takes 1 << depth entries of each
	 * array: level l's nodes at poff + (1 << l) - 1, the leaves at
	 * poff */
	size_t *poff;		/* ntrees */
	float *pthr;
	uint32_t *pcol;
	uint32_t *prow;		/* the row walker's: pcol / B */
	float *pleaf;
};

static const char *const isa_names[] = {
	[MODEL_ISA_SCALAR] = "scalar",
	[MODEL_ISA_AVX2] = "avx2",
	[MODEL_ISA_AVX512] = "avx512",
};

/* The walker in use, -1 until chosen. */
static int isa_chosen = -1;

size_t
model_block(const struct mlp_model *m)
{
	/* about 32 KiB of values and margins per block, 16 to 256 rows */
	size_t b = 32768 / ((2 * m->nfeat + 1) * sizeof(float) +
	    (size_t)m->ngroup * sizeof(double));

	return b < 16 ? 16 : b > 256 ? 256 : b & ~(size_t)15;
}

/* Each tree's depth into depth[ntrees]; height is scratch (nnodes).
 * Children follow parents (checked), so a backward pass sees every child
 * before its parent. */
static void
tree_depths(const struct mlp_model *m, uint32_t *height, uint32_t *depth)
{
	for (size_t n = m->nnodes; n-- > 0;) {
		uint32_t l = m->left[n];

		height[n] = m->split_feat[n] < 0 ? 0 : 1 + (height[l] >
		    height[l + 1] ? height[l] : height[l + 1]);
	}
	for (size_t t = 0; t < m->ntrees; t++)
		depth[t] = height[m->tree_root[t]];
}

/* The entries of the perfect layouts of trees of these depths. */
static size_t
perfect_size(const struct mlp_model *m, const uint32_t *depth)
{
	size_t n = PERFECT_PAD;

	for (size_t t = 0; t < m->ntrees; t++)
		if (depth[t] <= PERFECT_MAX)
			n += (size_t)1 << depth[t];
	return n;
}

size_t
model_walk_bytes(const struct mlp_model *m)
{
	uint32_t *height, *depth;
	size_t n;

	if (m->kind != MLP_MODEL_GBDT)
		return 0;
	height = xmalloc((m->nnodes ? m->nnodes : 1) * sizeof(*height));
	depth = xmalloc((m->ntrees ? m->ntrees : 1) * sizeof(*depth));
	tree_depths(m, height, depth);
	n = perfect_size(m, depth);
	free(height);
	free(depth);
	return sizeof(struct model_walk) + m->nnodes * (sizeof(struct bnode) +
	    sizeof(uint32_t) + sizeof(float)) + m->ntrees * (sizeof(uint32_t) +
	    sizeof(size_t)) + n * (2 * sizeof(float) + 2 * sizeof(uint32_t));
}

/* Lays out node n, at position p of level l of a perfect tree of depth d
 * at w's arrays + off. */
static void
perfect_fill(struct model_walk *w, const struct mlp_model *m, size_t off,
    uint32_t d, uint32_t n, uint32_t l, uint32_t p)
{
	size_t i = off + ((size_t)1 << l) - 1 + p;

	if (l == d) {
		w->pleaf[off + p] = m->split_value[n];
		return;
	}
	if (m->split_feat[n] < 0) {
		/* a leaf above the last level: always left, and its value
		 * in every leaf below */
		w->pthr[i] = 1;
		w->pcol[i] = (uint32_t)(2 * m->nfeat * w->block);
		perfect_fill(w, m, off, d, n, l + 1, 2 * p);
		perfect_fill(w, m, off, d, n, l + 1, 2 * p + 1);
		return;
	}
	w->pthr[i] = w->node[n].thr;
	w->pcol[i] = w->node[n].col;
	perfect_fill(w, m, off, d, m->left[n], l + 1, 2 * p);
	perfect_fill(w, m, off, d, m->left[n] + 1, l + 1, 2 * p + 1);
}

static struct model_walk *
walk_build(const struct mlp_model *m)
{
	struct model_walk *w = xcalloc(1, sizeof(*w));
	size_t nn = m->nnodes ? m->nnodes : 1, nt = m->ntrees ? m->ntrees : 1;
	size_t np, off = 0;
	uint32_t *height = xmalloc(nn * sizeof(*height));

	w->block = model_block(m);
	w->node = xmalloc(nn * sizeof(*w->node));
	w->left = xmalloc(nn * sizeof(*w->left));
	w->leaf = xmalloc(nn * sizeof(*w->leaf));
	w->depth = xmalloc(nt * sizeof(*w->depth));
	w->poff = xmalloc(nt * sizeof(*w->poff));
	tree_depths(m, height, w->depth);
	free(height);
	for (size_t n = 0; n < m->nnodes; n++) {
		struct bnode *bn = &w->node[n];
		size_t col;

		w->leaf[n] = m->split_value[n];
		if (m->split_feat[n] < 0) {
			bn->thr = 1;
			bn->col = (uint32_t)(2 * m->nfeat * w->block);
			w->left[n] = (uint32_t)n;
			continue;
		}
		col = 2 * (size_t)m->split_feat[n] + !m->default_left[n];
		bn->thr = m->split_value[n];
		bn->col = (uint32_t)(col * w->block);
		w->left[n] = m->left[n];
	}
	np = perfect_size(m, w->depth);
	/* the padding is read (and its values never used): zeros */
	w->pthr = xcalloc(np, sizeof(*w->pthr));
	w->pcol = xcalloc(np, sizeof(*w->pcol));
	w->pleaf = xcalloc(np, sizeof(*w->pleaf));
	for (size_t t = 0; t < m->ntrees; t++) {
		if (w->depth[t] > PERFECT_MAX) {
			w->poff[t] = NOT_PERFECT;
			continue;
		}
		w->poff[t] = off;
		perfect_fill(w, m, off, w->depth[t], m->tree_root[t], 0, 0);
		off += (size_t)1 << w->depth[t];
	}
	w->prow = xmalloc(np * sizeof(*w->prow));
	for (size_t i = 0; i < np; i++)
		w->prow[i] = w->pcol[i] / (uint32_t)w->block;
	return w;
}

void
model_walk_free(struct model_walk *w)
{
	if (!w)
		return;
	free(w->node);
	free(w->left);
	free(w->leaf);
	free(w->depth);
	free(w->poff);
	free(w->pthr);
	free(w->pcol);
	free(w->prow);
	free(w->pleaf);
	free(w);
}

const struct model_walk *
model_walk_get(const struct mlp_model *m)
{
	/* the model is otherwise immutable and shared between threads:
	 * the first callers build the tables at once, one publishes its
	 * copy, the others free theirs */
	struct model_walk **slot = (struct model_walk **)&m->walk;
	struct model_walk *w = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	struct model_walk *none = NULL;

	if (w)
		return w;
	w = walk_build(m);
	if (!__atomic_compare_exchange_n(slot, &none, w, 0, __ATOMIC_ACQ_REL,
	    __ATOMIC_ACQUIRE)) {
		model_walk_free(w);
		w = none;
	}
	return w;
}

void
mlp_model_prepare(const struct mlp_model *m)
{
	if (m->kind == MLP_MODEL_GBDT)
		model_walk_get(m);
}

/* One step of row x (x[col] is its value in column col) from node n. */
static inline uint32_t
step(const struct model_walk *w, const float *x, uint32_t n)
{
	const struct bnode *bn = &w->node[n];

	return w->left[n] + (x[bn->col] >= bn->thr);
}

/* Adds tree t's leaves to the margins mg of the nb rows of block blk
 * (root its root). Eight rows walk side by side, for the parallelism a
 * single walk (a chain of dependent loads) lacks. */
static void
walk_tree(const struct model_walk *w, uint32_t root, uint32_t depth,
    const float *blk, size_t nb, double *mg)
{
	const float *leaf = w->leaf;
	size_t r = 0;

	for (; r + 8 <= nb; r += 8) {
		const float *x = blk + r;
		uint32_t n0 = root, n1 = root, n2 = root, n3 = root;
		uint32_t n4 = root, n5 = root, n6 = root, n7 = root;

		for (uint32_t d = 0; d < depth; d++) {
			n0 = step(w, x, n0);
			n1 = step(w, x + 1, n1);
			n2 = step(w, x + 2, n2);
			n3 = step(w, x + 3, n3);
			n4 = step(w, x + 4, n4);
			n5 = step(w, x + 5, n5);
			n6 = step(w, x + 6, n6);
			n7 = step(w, x + 7, n7);
		}
		mg[r + 0] += leaf[n0];
		mg[r + 1] += leaf[n1];
		mg[r + 2] += leaf[n2];
		mg[r + 3] += leaf[n3];
		mg[r + 4] += leaf[n4];
		mg[r + 5] += leaf[n5];
		mg[r + 6] += leaf[n6];
		mg[r + 7] += leaf[n7];
	}
	for (; r < nb; r++) {
		uint32_t n = root;

		for (uint32_t d = 0; d < depth; d++)
			n = step(w, blk + r, n);
		mg[r] += leaf[n];
	}
}

static void
walk_scalar(const struct mlp_model *m, const struct model_walk *w,
    const float *blk, size_t nb, double *mg)
{
	for (size_t t = 0; t < m->ntrees; t++)
		walk_tree(w, m->tree_root[t], w->depth[t], blk, nb,
		    mg + (size_t)m->tree_group[t] * w->block);
}

#if defined(__x86_64__)

/* Vectors of rows walked side by side: independent chains of loads for
 * the processor to overlap; AVX2 has half the registers. */
#define NVEC 8
#define NVEC_AVX2 4

/* Loops over the vectors unrolled, so that they live in registers. */
#define UNROLL _Pragma("GCC unroll 8")

/* The largest level whose row values are loaded rather than gathered. */
#define LOAD_MAX 8
#define UNROLL_LOAD _Pragma("GCC unroll 8")

#define AVX512 __attribute__((target("avx512f")))
#define AVX512_INLINE static inline __attribute__((always_inline, \
	target("avx512f")))

/* The 32-bit entries a[p[v]] of a level of s entries, for nv vectors of
 * positions: permutes from registers up to 64 entries, gathers beyond. */
AVX512_INLINE void
look512(const void *a, uint32_t s, const __m512i *p, __m512i *out, int nv)
{
	const int32_t *e = a;

	if (s <= 16) {
		__m512i r = _mm512_loadu_si512(e);

		UNROLL
		for (int v = 0; v < nv; v++)
			out[v] = _mm512_permutexvar_epi32(p[v], r);
	} else if (s == 32) {
		__m512i r0 = _mm512_loadu_si512(e);
		__m512i r1 = _mm512_loadu_si512(e + 16);

		UNROLL
		for (int v = 0; v < nv; v++)
			out[v] = _mm512_permutex2var_epi32(r0, p[v], r1);
	} else if (s == 64) {
		__m512i r0 = _mm512_loadu_si512(e);
		__m512i r1 = _mm512_loadu_si512(e + 16);
		__m512i r2 = _mm512_loadu_si512(e + 32);
		__m512i r3 = _mm512_loadu_si512(e + 48);
		__m512i bit = _mm512_set1_epi32(32);

		UNROLL
		for (int v = 0; v < nv; v++) {
			__m512i lo = _mm512_permutex2var_epi32(r0, p[v], r1);
			__m512i hi = _mm512_permutex2var_epi32(r2, p[v], r3);

			out[v] = _mm512_mask_blend_epi32(
			    _mm512_test_epi32_mask(p[v], bit), lo, hi);
		}
	} else {
		UNROLL
		for (int v = 0; v < nv; v++)
			out[v] = _mm512_i32gather_epi32(p[v], e, 4);
	}
}

/* The row values of level l's nodes for nv vectors of 16 rows at
 * positions p (x: the first row's values in the block). A level of s <=
 * LOAD_MAX nodes loads each node's column for the 16 rows (contiguous) and
 * picks each row's by the bits of its position: loads and blends cost
 * less than gathering 16 values one by one, as gathers do (on AMD's Zen 4
 * a value a cycle). Larger levels gather. */
AVX512_INLINE void
values512(const struct model_walk *w, size_t i, uint32_t s, const float *x,
    const __m512i *p, __m512 *out, int nv)
{
	const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
	    10, 11, 12, 13, 14, 15);
	const uint32_t *col = w->pcol + i;

	if (s > LOAD_MAX) {
		__m512i c[NVEC];

		look512(col, s, p, c, nv);
		UNROLL
		for (int v = 0; v < nv; v++)
			out[v] = _mm512_i32gather_ps(_mm512_add_epi32(c[v],
			    iota), x + 16 * v, 4);
		return;
	}
	UNROLL
	for (int v = 0; v < nv; v++) {
		__m512 a[LOAD_MAX];

		UNROLL_LOAD
		for (uint32_t q = 0; q < s; q++)
			a[q] = _mm512_loadu_ps(x + 16 * v + col[q]);
		UNROLL_LOAD
		for (uint32_t b = 0, n = s; n > 1; b++, n /= 2) {
			__mmask16 k = _mm512_test_epi32_mask(p[v],
			    _mm512_set1_epi32(1 << b));

			UNROLL_LOAD
			for (uint32_t q = 0; q < n / 2; q++)
				a[q] = _mm512_mask_blend_ps(k, a[2 * q],
				    a[2 * q + 1]);
		}
		out[v] = a[0];
	}
}

/* One level's step of nv vectors of 16 rows: positions p go to the
 * children the rows' values choose. */
AVX512_INLINE void
level512(const struct model_walk *w, size_t i, uint32_t s, const float *x,
    __m512i *p, int nv)
{
	const __m512i one = _mm512_set1_epi32(1);
	__m512i thr[NVEC];
	__m512 xv[NVEC];

	look512(w->pthr + i, s, p, thr, nv);
	values512(w, i, s, x, p, xv, nv);
	UNROLL
	for (int v = 0; v < nv; v++) {
		__mmask16 k = _mm512_cmp_ps_mask(xv[v],
		    _mm512_castsi512_ps(thr[v]), _CMP_GE_OQ);
		__m512i pp = _mm512_add_epi32(p[v], p[v]);

		p[v] = _mm512_mask_add_epi32(pp, k, pp, one);
	}
}

/* Walks nv vectors of 16 rows (x: the first row's values in the block)
 * through the perfect tree of depth d at offset off, adding its leaves to
 * their margins mg. */
AVX512_INLINE void
perfect512(const struct model_walk *w, size_t off, uint32_t d,
    const float *x, double *mg, int nv)
{
	__m512i p[NVEC], leaf[NVEC];

	UNROLL
	for (int v = 0; v < nv; v++)
		p[v] = _mm512_setzero_si512();
	/* the small levels with their sizes known, for the loads */
	for (uint32_t l = 0; l < d; l++) {
		size_t i = off + ((size_t)1 << l) - 1;

		switch (l) {
		case 0:
			level512(w, i, 1, x, p, nv);
			break;
		case 1:
			level512(w, i, 2, x, p, nv);
			break;
		case 2:
			level512(w, i, 4, x, p, nv);
			break;
		case 3:
			level512(w, i, 8, x, p, nv);
			break;
		default:
			level512(w, i, (uint32_t)1 << l, x, p, nv);
			break;
		}
	}
	look512(w->pleaf + off, (uint32_t)1 << d, p, leaf, nv);
	UNROLL
	for (int v = 0; v < nv; v++) {
		__m512 lv = _mm512_castsi512_ps(leaf[v]);
		__m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(
		    _mm512_castps_pd(lv), 1));
		double *o = mg + 16 * v;

		_mm512_storeu_pd(o, _mm512_add_pd(_mm512_loadu_pd(o),
		    _mm512_cvtps_pd(_mm512_castps512_ps256(lv))));
		_mm512_storeu_pd(o + 8, _mm512_add_pd(_mm512_loadu_pd(o + 8),
		    _mm512_cvtps_pd(hi)));
	}
}

/* Walks one vector of 16 rows through the TREES perfect trees of depth d
 * from tree t on, side by side: a small batch has too few rows for its
 * vectors to keep the processor busy, but trees are independent too.
 * Leaves are added in tree order. */
#define TREES 4

AVX512_INLINE void
trees512(const struct mlp_model *m, const struct model_walk *w, size_t t,
    uint32_t d, const float *x, double *mg, size_t r)
{
	__m512i p[TREES], leaf[TREES];

	UNROLL
	for (int k = 0; k < TREES; k++)
		p[k] = _mm512_setzero_si512();
	for (uint32_t l = 0; l < d; l++) {
		uint32_t s = (uint32_t)1 << l;

		UNROLL
		for (int k = 0; k < TREES; k++) {
			size_t i = w->poff[t + k] + s - 1;

			switch (l) {
			case 0:
				level512(w, i, 1, x, &p[k], 1);
				break;
			case 1:
				level512(w, i, 2, x, &p[k], 1);
				break;
			case 2:
				level512(w, i, 4, x, &p[k], 1);
				break;
			case 3:
				level512(w, i, 8, x, &p[k], 1);
				break;
			default:
				level512(w, i, s, x, &p[k], 1);
				break;
			}
		}
	}
	UNROLL
	for (int k = 0; k < TREES; k++)
		look512(w->pleaf + w->poff[t + k], (uint32_t)1 << d, &p[k],
		    &leaf[k], 1);
	for (int k = 0; k < TREES; k++) {
		__m512 lv = _mm512_castsi512_ps(leaf[k]);
		__m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(
		    _mm512_castps_pd(lv), 1));
		double *o = mg + (size_t)m->tree_group[t + k] * w->block + r;

		_mm512_storeu_pd(o, _mm512_add_pd(_mm512_loadu_pd(o),
		    _mm512_cvtps_pd(_mm512_castps512_ps256(lv))));
		_mm512_storeu_pd(o + 8, _mm512_add_pd(_mm512_loadu_pd(o + 8),
		    _mm512_cvtps_pd(hi)));
	}
}

/* Whether trees t .. t + TREES - 1 are all perfect and of one depth. */
static int
trees_alike(const struct mlp_model *m, const struct model_walk *w, size_t t)
{
	if (t + TREES > m->ntrees)
		return 0;
	for (size_t k = 0; k < TREES; k++)
		if (w->poff[t + k] == NOT_PERFECT ||
		    w->depth[t + k] != w->depth[t])
			return 0;
	return 1;
}

AVX512 static void
walk_avx512(const struct mlp_model *m, const struct model_walk *w,
    const float *blk, size_t nb, double *mg)
{
	size_t nv = (nb + 15) / 16;

	for (size_t t = 0; t < m->ntrees; t++) {
		double *mgt = mg + (size_t)m->tree_group[t] * w->block;
		uint32_t d = w->depth[t];
		size_t v = 0;

		if (w->poff[t] == NOT_PERFECT) {
			walk_tree(w, m->tree_root[t], d, blk, nb, mgt);
			continue;
		}
		if (nv <= 2 && trees_alike(m, w, t)) {
			for (; v < nv; v++)
				trees512(m, w, t, d, blk + 16 * v, mg, 16 * v);
			t += TREES - 1;
			continue;
		}
		for (; v + NVEC <= nv; v += NVEC)
			perfect512(w, w->poff[t], d, blk + 16 * v,
			    mgt + 16 * v, NVEC);
		/* the last vectors side by side too */
		if (nv - v >= 4) {
			perfect512(w, w->poff[t], d, blk + 16 * v,
			    mgt + 16 * v, 4);
			v += 4;
		}
		if (nv - v == 3)
			perfect512(w, w->poff[t], d, blk + 16 * v,
			    mgt + 16 * v, 3);
		else if (nv - v == 2)
			perfect512(w, w->poff[t], d, blk + 16 * v,
			    mgt + 16 * v, 2);
		else if (nv - v == 1)
			perfect512(w, w->poff[t], d, blk + 16 * v,
			    mgt + 16 * v, 1);
	}
}

/* The row path's walker (model_walk_row): one row through 16 trees at
 * once, a tree a lane, four such groups side by side (a level's gathers
 * wait on the one before: four chains keep the processor busy), with the
 * perfect layouts. A level gathers each tree's node (column and
 * threshold) and picks the row's value from two registers holding its
 * features (up to 31; the one past the last is the zero column); a
 * missing value goes the way the column's copy would (odd columns:
 * right). Trees shallower than the deepest stay at their leaves; trees
 * not laid out go the model's nodes. */
#define ROW_GROUPS 4

/* A group of 16 trees: their layouts' offsets and depths, the lanes of
 * trees laid out, the positions reached. */
struct row16 {
	__m512i base, depth, p;
	__mmask16 in;
};

/* The offsets, depths and lanes (in) of the nt (<= 16) trees from t;
 * returns their deepest depth. */
static uint32_t
row16_init(const struct model_walk *w, size_t t, size_t nt, int32_t *base,
    int32_t *depth, __mmask16 *in)
{
	uint32_t d = 0;

	*in = 0;
	for (size_t k = 0; k < 16; k++) {
		base[k] = depth[k] = 0;
		if (k >= nt || w->poff[t + k] == NOT_PERFECT)
			continue;
		*in |= (__mmask16)(1u << k);
		base[k] = (int32_t)w->poff[t + k];
		depth[k] = (int32_t)w->depth[t + k];
		if (w->depth[t + k] > d)
			d = w->depth[t + k];
	}
	return d;
}

/* One level l of group g for the row whose features are in x0, x1. */
AVX512_INLINE void
row16_level(const struct model_walk *w, struct row16 *g, uint32_t l,
    __m512 x0, __m512 x1)
{
	const __m512i one = _mm512_set1_epi32(1);
	__mmask16 live = _mm512_mask_cmpgt_epi32_mask(g->in, g->depth,
	    _mm512_set1_epi32((int)l));
	__m512i i = _mm512_add_epi32(_mm512_add_epi32(g->base, g->p),
	    _mm512_set1_epi32((1 << l) - 1));
	__m512i col = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(),
	    live, i, w->prow, 4);
	__m512 thr = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), live, i,
	    w->pthr, 4);
	__m512 v = _mm512_permutex2var_ps(x0, _mm512_srli_epi32(col, 1), x1);
	__mmask16 right = _mm512_cmp_ps_mask(v, thr, _CMP_GE_OQ) |
	    (_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) &
	    _mm512_test_epi32_mask(col, one));
	__m512i pp = _mm512_add_epi32(g->p, g->p);

	g->p = _mm512_mask_mov_epi32(g->p, live,
	    _mm512_mask_add_epi32(pp, right, pp, one));
}

AVX512 static void
row_avx512(const struct mlp_model *m, const struct model_walk *w,
    const float *x, int g0, int ng, double *margin)
{
	uint32_t nf = (uint32_t)m->nfeat;
	__m512 x0 = _mm512_maskz_loadu_ps((__mmask16)((1u << (nf < 16 ?
	    nf : 16)) - 1), x);
	__m512 x1 = _mm512_maskz_loadu_ps((__mmask16)(nf > 16 ?
	    (1u << (nf - 16)) - 1 : 0), x + 16);
	double sum = margin[0];

	for (size_t t = 0; t < m->ntrees; t += 16 * ROW_GROUPS) {
		struct row16 g[ROW_GROUPS];
		float leaf[16 * ROW_GROUPS];
		uint32_t d = 0;
		size_t nt = m->ntrees - t;

		if (nt > 16 * ROW_GROUPS)
			nt = 16 * ROW_GROUPS;
		for (int k = 0; k < ROW_GROUPS; k++) {
			int32_t base[16], depth[16];
			size_t from = 16 * (size_t)k;
			uint32_t dk = row16_init(w, t + from, nt > from ?
			    nt - from : 0, base, depth, &g[k].in);

			g[k].base = _mm512_loadu_si512(base);
			g[k].depth = _mm512_loadu_si512(depth);
			g[k].p = _mm512_setzero_si512();
			if (dk > d)
				d = dk;
		}
		for (uint32_t l = 0; l < d; l++)
			for (int k = 0; k < ROW_GROUPS; k++)
				row16_level(w, &g[k], l, x0, x1);
		for (int k = 0; k < ROW_GROUPS; k++)
			_mm512_storeu_ps(leaf + 16 * k,
			    _mm512_mask_i32gather_ps(_mm512_setzero_ps(),
			    g[k].in, _mm512_add_epi32(g[k].base, g[k].p),
			    w->pleaf, 4));
		/* in tree order, as the row path adds them; the first
		 * group's sum in a register, not through memory */
		for (size_t k = 0; k < nt; k++) {
			unsigned gr = (unsigned)(m->tree_group[t + k] - g0);
			float v;

			if (gr >= (unsigned)ng)
				continue;
			v = (g[k / 16].in >> (k % 16)) & 1 ? leaf[k] :
			    model_row_leaf(m, x, t + k);
			if (gr == 0)
				sum += v;
			else
				margin[gr] += v;
		}
	}
	margin[0] = sum;
}

#define AVX2 __attribute__((target("avx2")))
#define AVX2_INLINE static inline __attribute__((always_inline, \
	target("avx2")))

/* look512's AVX2 twin: permutes up to 16 entries, gathers beyond. */
AVX2_INLINE void
look256(const void *a, uint32_t s, const __m256i *p, __m256i *out, int nv)
{
	const int32_t *e = a;

	if (s <= 8) {
		__m256i r = _mm256_loadu_si256((const __m256i *)e);

		UNROLL
		for (int v = 0; v < nv; v++)
			out[v] = _mm256_permutevar8x32_epi32(r, p[v]);
	} else if (s == 16) {
		__m256i r0 = _mm256_loadu_si256((const __m256i *)e);
		__m256i r1 = _mm256_loadu_si256((const __m256i *)(e + 8));

		UNROLL
		for (int v = 0; v < nv; v++) {
			__m256 lo = _mm256_castsi256_ps(
			    _mm256_permutevar8x32_epi32(r0, p[v]));
			__m256 hi = _mm256_castsi256_ps(
			    _mm256_permutevar8x32_epi32(r1, p[v]));
			/* bit 3 of the position, moved to the sign */
			__m256 sel = _mm256_castsi256_ps(
			    _mm256_slli_epi32(p[v], 28));

			out[v] = _mm256_castps_si256(_mm256_blendv_ps(lo, hi,
			    sel));
		}
	} else {
		UNROLL
		for (int v = 0; v < nv; v++)
			out[v] = _mm256_i32gather_epi32(e, p[v], 4);
	}
}

/* values512's AVX2 twin: 8 rows a vector. */
AVX2_INLINE void
values256(const struct model_walk *w, size_t i, uint32_t s, const float *x,
    const __m256i *p, __m256 *out, int nv)
{
	const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	const uint32_t *col = w->pcol + i;

	if (s > LOAD_MAX) {
		__m256i c[NVEC_AVX2];

		look256(col, s, p, c, nv);
		UNROLL
		for (int v = 0; v < nv; v++)
			out[v] = _mm256_i32gather_ps(x + 8 * v,
			    _mm256_add_epi32(c[v], iota), 4);
		return;
	}
	UNROLL
	for (int v = 0; v < nv; v++) {
		__m256 a[LOAD_MAX];

		UNROLL_LOAD
		for (uint32_t q = 0; q < s; q++)
			a[q] = _mm256_loadu_ps(x + 8 * v + col[q]);
		UNROLL_LOAD
		for (uint32_t b = 0, n = s; n > 1; b++, n /= 2) {
			/* bit b of the position, moved to the sign */
			__m256 k = _mm256_castsi256_ps(_mm256_sll_epi32(p[v],
			    _mm_cvtsi32_si128(31 - (int)b)));

			UNROLL_LOAD
			for (uint32_t q = 0; q < n / 2; q++)
				a[q] = _mm256_blendv_ps(a[2 * q], a[2 * q + 1],
				    k);
		}
		out[v] = a[0];
	}
}

/* level512's AVX2 twin. */
AVX2_INLINE void
level256(const struct model_walk *w, size_t i, uint32_t s, const float *x,
    __m256i *p, int nv)
{
	__m256i thr[NVEC_AVX2];
	__m256 xv[NVEC_AVX2];

	look256(w->pthr + i, s, p, thr, nv);
	values256(w, i, s, x, p, xv, nv);
	UNROLL
	for (int v = 0; v < nv; v++) {
		/* all ones (-1) where the row goes right */
		__m256i k = _mm256_castps_si256(_mm256_cmp_ps(xv[v],
		    _mm256_castsi256_ps(thr[v]), _CMP_GE_OQ));

		p[v] = _mm256_sub_epi32(_mm256_add_epi32(p[v], p[v]), k);
	}
}

/* perfect512's AVX2 twin: nv vectors of 8 rows. */
AVX2_INLINE void
perfect256(const struct model_walk *w, size_t off, uint32_t d,
    const float *x, double *mg, int nv)
{
	__m256i p[NVEC_AVX2], leaf[NVEC_AVX2];

	UNROLL
	for (int v = 0; v < nv; v++)
		p[v] = _mm256_setzero_si256();
	for (uint32_t l = 0; l < d; l++) {
		size_t i = off + ((size_t)1 << l) - 1;

		switch (l) {
		case 0:
			level256(w, i, 1, x, p, nv);
			break;
		case 1:
			level256(w, i, 2, x, p, nv);
			break;
		case 2:
			level256(w, i, 4, x, p, nv);
			break;
		case 3:
			level256(w, i, 8, x, p, nv);
			break;
		default:
			level256(w, i, (uint32_t)1 << l, x, p, nv);
			break;
		}
	}
	look256(w->pleaf + off, (uint32_t)1 << d, p, leaf, nv);
	UNROLL
	for (int v = 0; v < nv; v++) {
		__m256 lv = _mm256_castsi256_ps(leaf[v]);
		double *o = mg + 8 * v;

		_mm256_storeu_pd(o, _mm256_add_pd(_mm256_loadu_pd(o),
		    _mm256_cvtps_pd(_mm256_castps256_ps128(lv))));
		_mm256_storeu_pd(o + 4, _mm256_add_pd(_mm256_loadu_pd(o + 4),
		    _mm256_cvtps_pd(_mm256_extractf128_ps(lv, 1))));
	}
}

AVX2 static void
walk_avx2(const struct mlp_model *m, const struct model_walk *w,
    const float *blk, size_t nb, double *mg)
{
	size_t nv = (nb + 7) / 8;

	for (size_t t = 0; t < m->ntrees; t++) {
		double *mgt = mg + (size_t)m->tree_group[t] * w->block;
		uint32_t d = w->depth[t];
		size_t v = 0;

		if (w->poff[t] == NOT_PERFECT) {
			walk_tree(w, m->tree_root[t], d, blk, nb, mgt);
			continue;
		}
		for (; v + NVEC_AVX2 <= nv; v += NVEC_AVX2)
			perfect256(w, w->poff[t], d, blk + 8 * v,
			    mgt + 8 * v, NVEC_AVX2);
		/* the last vectors side by side too */
		if (nv - v == 3)
			perfect256(w, w->poff[t], d, blk + 8 * v,
			    mgt + 8 * v, 3);
		else if (nv - v == 2)
			perfect256(w, w->poff[t], d, blk + 8 * v,
			    mgt + 8 * v, 2);
		else if (nv - v == 1)
			perfect256(w, w->poff[t], d, blk + 8 * v,
			    mgt + 8 * v, 1);
	}
}

#endif

/* The best walker this processor runs. */
static int
isa_best(void)
{
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		return MODEL_ISA_AVX512;
	if (__builtin_cpu_supports("avx2"))
		return MODEL_ISA_AVX2;
#endif
	return MODEL_ISA_SCALAR;
}

/* The walker name names ("" or NULL: the best), no better than the
 * processor's best; -1 for an unknown name. */
static int
isa_lookup(const char *name)
{
	int best = isa_best();

	if (!name || !*name)
		return best;
	for (int i = 0; i < (int)(sizeof(isa_names) / sizeof(isa_names[0]));
	    i++)
		if (strcmp(name, isa_names[i]) == 0)
			return i < best ? i : best;
	return -1;
}

int
mlp_model_isa_set(const char *name, struct mlp_err *err)
{
	int isa = isa_lookup(name);

	if (isa < 0)
		return mlp_err_set(err, MLP_EINVAL, "unknown instruction set "
		    "'%s': expected scalar, avx2 or avx512", name);
	__atomic_store_n(&isa_chosen, isa, __ATOMIC_RELAXED);
	return 0;
}

/* The walker in use: unless set, MLP_PREDICT_ISA's, and for an unknown
 * name the best (lib does not print; the commands check the variable
 * first and refuse such a name). */
static int
isa_get(void)
{
	int isa = __atomic_load_n(&isa_chosen, __ATOMIC_RELAXED);

	if (isa < 0) {
		if ((isa = isa_lookup(getenv("MLP_PREDICT_ISA"))) < 0)
			isa = isa_best();
		__atomic_store_n(&isa_chosen, isa, __ATOMIC_RELAXED);
	}
	return isa;
}

const char *
mlp_model_isa(void)
{
	return isa_names[isa_get()];
}

void
model_walk_block(const struct mlp_model *m, const struct model_walk *w,
    const float *blk, size_t nb, double *mg)
{
	switch (isa_get()) {
#if defined(__x86_64__)
	case MODEL_ISA_AVX512:
		walk_avx512(m, w, blk, nb, mg);
		break;
	case MODEL_ISA_AVX2:
		walk_avx2(m, w, blk, nb, mg);
		break;
#endif
	default:
		walk_scalar(m, w, blk, nb, mg);
		break;
	}
}

int
model_walk_row(const struct mlp_model *m, const float *x, int g0, int ng,
    double *margin)
{
#if defined(__x86_64__)
	const struct model_walk *w = __atomic_load_n(
	    (struct model_walk *const *)&m->walk, __ATOMIC_ACQUIRE);

	/* the tables' offsets fit a lane: 256 entries a tree at most */
	if (w && ng > 0 && m->nfeat < 32 && m->ntrees <= INT32_MAX / 512 &&
	    isa_get() == MODEL_ISA_AVX512) {
		row_avx512(m, w, x, g0, ng, margin);
		return 1;
	}
#endif
	return 0;
}

/* Growing one regression tree on binned data, the way XGBoost's hist
 * method does: gradient histograms per node (the smaller child built, its
 * sibling derived by subtraction), exact split search over bins with a
 * learned direction for missing values, rows partitioned per node. Work is
 * cut into pieces of rows, slots or features that the pool's threads take
 * as they go; sums are integers, so the result does not depend on who
 * took what. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "gbdt-internal.h"

/* Work is cut into items of at most PIECE rows that threads take as they
 * go (gb_pool_each). */
#define PIECE 16384
#define SLOT_PIECE 4096
#define MAX_THREADS 256

/* A piece of a node's rows: for a histogram (of build bd) or a partition
 * (of node, nl rows going left). */
struct item {
	uint32_t node;
	uint32_t begin, end;
	uint32_t bd;
	uint32_t nl;
};

/* A node whose histogram is built from its rows: its parent's (when
 * given) becomes its sibling's by subtraction. Thread t sums its items'
 * rows in buffer buf[bd * T + t] when touched[bd * T + t]. */
struct build {
	uint32_t node;
	int32_t parent, sibling;
};

/* A split search over features [f0, f1) of a node. */
struct search {
	uint32_t node;
	uint32_t f0, f1;
	struct gb_split best;
};

struct work {
	struct item *it;
	size_t nit, ait;
	struct build *bd, *all;	/* builds of a chunk, of a level */
	size_t nbd, abd, nall, aall;
	int32_t *buf;		/* nbd * T buffers for builds */
	uint8_t *touched;
	size_t abuf;
	struct search *se;
	size_t nse, ase;
	uint32_t *front, *next, *batch, *first;
	size_t nfront, afront, nnext, anext, nbatch, abatch, afirst;
	int nthreads;
	/* per-thread blocks of the histogram kernel */
	uint8_t *sb[MAX_THREADS];
	uint64_t *sg[MAX_THREADS];
	uint64_t *acc[MAX_THREADS];
};

double
gb_gain(const struct gb_param *p, double g, double h)
{
	double t;

	if (h < p->min_child_weight || h <= 0)
		return 0;
	t = g > p->alpha ? g - p->alpha : g < -p->alpha ? g + p->alpha : 0;
	return t * t / (h + p->lambda);
}

double
gb_weight(const struct gb_param *p, double g, double h)
{
	double t;

	if (h < p->min_child_weight || h <= 0)
		return 0;
	t = g > p->alpha ? g - p->alpha : g < -p->alpha ? g + p->alpha : 0;
	return -t / (h + p->lambda);
}

void
gb_find_split(const struct gb_bins *b, const struct gb_pair *hist,
    int64_t g, int64_t h, double gunit, double hunit,
    const struct gb_param *p, const uint8_t *fmask, size_t f0, size_t f1,
    struct gb_split *best)
{
	double G = (double)g * gunit, H = (double)h * hunit;
	double root = gb_gain(p, G, H), mcw = p->min_child_weight;

	best->gain = 0;
	best->feat = -1;
	best->k = 0;
	best->dl = 0;
	best->lg = best->lh = 0;
	for (size_t u = f0; u < f1; u++) {
		const struct gb_pair *e = hist + b->off[u];
		const float *thr = b->thr[u];
		int nb = b->nbin[u];
		int64_t mg = e[nb].g, mh = e[nb].h, lg = 0, lh = 0;
		int miss = mg != 0 || mh != 0;

		if (fmask && !fmask[u])
			continue;
		for (int dl = 0; dl <= miss; dl++) {
			int k0 = dl ? 0 : 1, k1 = dl || !miss ? nb - 1 : nb;

			lg = dl ? mg : 0;
			lh = dl ? mh : 0;
			for (int k = k0; k <= k1; k++) {
				double gl, hl, gr, hr, gain;

				if (k > 0) {
					lg += e[k - 1].g;
					lh += e[k - 1].h;
				}
				hl = (double)lh * hunit;
				hr = (double)(h - lh) * hunit;
				if (hl < mcw || hr < mcw || !isfinite(thr[k]))
					continue;
				gl = (double)lg * gunit;
				gr = (double)(g - lg) * gunit;
				gain = gb_gain(p, gl, hl) + gb_gain(p, gr, hr) -
				    root;
				if (gain > best->gain) {
					best->gain = gain;
					best->feat = (int32_t)u;
					best->k = k;
					best->dl = dl;
					best->lg = lg;
					best->lh = lh;
				}
			}
		}
	}
}

/* ---- buffers ---- */

static int32_t
hist_get(struct gb_grower *gr)
{
	if (gr->nfree)
		return gr->freeh[--gr->nfree];
	size_t ns = gr->bins->nslot ? gr->bins->nslot : 1;

	mlp_grow(&gr->hist, &gr->ahist, gr->nhist + 1, sizeof(*gr->hist));
	/* malloc's 16-byte alignment suits the pairs */
	gr->hist[gr->nhist] = xmalloc(ns * sizeof(struct gb_pair));
	return (int32_t)gr->nhist++;
}

static void
hist_put(struct gb_grower *gr, int32_t h)
{
	if (h < 0)
		return;
	mlp_grow(&gr->freeh, &gr->afree, gr->nfree + 1, sizeof(*gr->freeh));
	gr->freeh[gr->nfree++] = h;
}

void
gb_grower_init(struct gb_grower *gr, const struct gb_bins *bins,
    struct gb_pool *pool, const struct gb_param *p)
{
	struct work *w = xcalloc(1, sizeof(*w));
	size_t n = bins->nrows ? bins->nrows : 1;

	memset(gr, 0, sizeof(*gr));
	gr->bins = bins;
	gr->pool = pool;
	gr->p = *p;
	gr->rows = xmalloc(n * sizeof(*gr->rows));
	gr->tmpl = xmalloc(n * sizeof(*gr->tmpl));
	gr->tmpr = xmalloc(n * sizeof(*gr->tmpr));
	w->nthreads = gb_pool_size(pool);
	gr->work = w;
}

void
gb_grower_release(struct gb_grower *gr)
{
	struct work *w = gr->work;

	for (size_t i = 0; i < gr->nhist; i++)
		free(gr->hist[i]);
	free(gr->hist);
	free(gr->freeh);
	free(gr->node);
	free(gr->rows);
	free(gr->tmpl);
	free(gr->tmpr);
	if (w) {
		free(w->it);
		free(w->bd);
		free(w->all);
		free(w->buf);
		free(w->touched);
		free(w->first);
		free(w->se);
		free(w->front);
		free(w->next);
		free(w->batch);
		for (int t = 0; t < MAX_THREADS; t++) {
			free(w->sb[t]);
			free(w->sg[t]);
			free(w->acc[t]);
		}
		free(w);
	}
	memset(gr, 0, sizeof(*gr));
}

/* ---- planning: pieces of nodes ---- */

/* Appends the pieces of node's rows (at most PIECE each, about equal). */
static void
plan_node(struct work *w, const struct gb_node *nd, uint32_t node,
    uint32_t bd)
{
	size_t len = nd->end - nd->begin, np = (len + PIECE - 1) / PIECE;

	np = np ? np : 1;
	mlp_grow(&w->it, &w->ait, w->nit + np, sizeof(*w->it));
	for (size_t q = 0; q < np; q++) {
		struct item *it = &w->it[w->nit++];

		it->node = node;
		it->begin = nd->begin + (uint32_t)(len * q / np);
		it->end = nd->begin + (uint32_t)(len * (q + 1) / np);
		it->bd = bd;
		it->nl = 0;
	}
}

/* ---- histograms ---- */

/* Rows per block of the histogram kernel; rows prefetched ahead; pieces
 * with fewer rows than PACK_MIN go straight to 64-bit sums. */
#define HB 256
#define PF 16
#define PACK_MIN 1024
/* Packed sums stay exact while the gradients' absolute values sum below
 * 2^31 and the hessians below 2^32. */
#define LIM_G 0x7fffffffULL
#define LIM_H 0xffffffffULL

static inline void
add_pair(struct gb_pair *e, uint64_t v)
{
#ifdef __SSE2__
	__m128i x = _mm_set_epi64x((int64_t)gb_unpack_h(v), gb_unpack_g(v));

	_mm_store_si128((__m128i *)e,
	    _mm_add_epi64(_mm_load_si128((const __m128i *)e), x));
#else
	e->g += gb_unpack_g(v);
	e->h += gb_unpack_h(v);
#endif
}

/* Adds packed sums acc[] into hist[] and clears them. */
static void
flush(struct gb_pair *hist, uint64_t *acc, size_t ns)
{
	for (size_t s = 0; s < ns; s++) {
		add_pair(&hist[s], acc[s]);
		acc[s] = 0;
	}
}

/* Adds the gradient pairs of rows[0 .. n) to hist. Rows go in blocks:
 * a block's codes and gradients are gathered (unless its rows are
 * consecutive), then each feature's slots take the whole block as packed
 * sums in acc (zero on entry and on return), which go to hist whenever
 * they could overflow next. sb and sg have room for a block (sb padded by
 * 32 bytes). */
static void
hist_rows(const struct gb_bins *b, const uint64_t *gh, const uint32_t *rows,
    size_t n, struct gb_pair *hist, uint64_t *acc, uint8_t *sb, uint64_t *sg)
{
	const size_t nu = b->nused, nc = (nu + 15) / 16, ns = b->nslot;
	const uint8_t *bin = b->bin;
	const uint32_t *off = b->off;
	uint64_t sumg = 0, sumh = 0;

	if (n < PACK_MIN) {
		for (size_t i = 0; i < n; i++) {
			const uint8_t *c = bin + (size_t)rows[i] * nu;
			uint64_t v = gh[rows[i]];

			for (size_t u = 0; u < nu; u++)
				add_pair(&hist[off[u] + c[u]], v);
		}
		return;
	}
	for (size_t i0 = 0; i0 < n; i0 += HB) {
		size_t m = n - i0 < HB ? n - i0 : HB;
		const uint32_t *r = rows + i0;
		const uint8_t *lb;
		uint64_t bg = 0, bh = 0;

		if (r[m - 1] - r[0] == m - 1) {
			lb = bin + (size_t)r[0] * nu;
			memcpy(sg, gh + r[0], m * sizeof(*sg));
		} else {
			for (size_t i = 0; i < m; i++) {
				const uint8_t *src = bin + (size_t)r[i] * nu;
				uint8_t *dst = sb + i * nu;

				if (i0 + i + PF < n) {
					const uint8_t *f = bin +
					    (size_t)r[i + PF] * nu;

					__builtin_prefetch(f);
					__builtin_prefetch(f + nu - 1);
					__builtin_prefetch(&gh[r[i + PF]]);
				}
				/* 16-byte copies: the bin matrix and sb have
				 * room past their ends */
				for (size_t c = 0; c < nc; c++)
					memcpy(dst + 16 * c, src + 16 * c, 16);
				sg[i] = gh[r[i]];
			}
			lb = sb;
		}
		for (size_t i = 0; i < m; i++) {
			int32_t g = gb_unpack_g(sg[i]);

			bg += (uint64_t)(g < 0 ? -(int64_t)g : g);
			bh += gb_unpack_h(sg[i]);
		}
		if (sumg + bg > LIM_G || sumh + bh > LIM_H) {
			flush(hist, acc, ns);
			sumg = sumh = 0;
		}
		sumg += bg;
		sumh += bh;
		/* four features at a time: independent chains, one load of
		 * each row's pair */
		size_t u = 0;

		for (; u + 4 <= nu; u += 4) {
			uint64_t *a0 = acc + off[u], *a1 = acc + off[u + 1];
			uint64_t *a2 = acc + off[u + 2], *a3 = acc + off[u + 3];
			const uint8_t *c = lb + u;

			for (size_t i = 0; i < m; i++, c += nu) {
				uint64_t v = sg[i];

				a0[c[0]] += v;
				a1[c[1]] += v;
				a2[c[2]] += v;
				a3[c[3]] += v;
			}
		}
		for (; u < nu; u++) {
			uint64_t *a = acc + off[u];
			const uint8_t *c = lb + u;

			for (size_t i = 0; i < m; i++)
				a[c[i * nu]] += sg[i];
		}
	}
	flush(hist, acc, ns);
}

static void
build_item(void *arg, size_t i, int tid)
{
	struct gb_grower *gr = arg;
	struct work *w = gr->work;
	const struct item *it = &w->it[i];
	size_t k = (size_t)it->bd * (size_t)w->nthreads + (size_t)tid;
	size_t ns = gr->bins->nslot;
	struct gb_pair *h = gr->hist[w->buf[k]];

	if (!w->sb[tid]) {
		w->sb[tid] = xmalloc(HB * gr->bins->nused + 64);
		w->sg[tid] = xmalloc(HB * sizeof(*w->sg[tid]));
		w->acc[tid] = xcalloc(ns + 1, sizeof(*w->acc[tid]));
	}
	if (!w->touched[k]) {
		memset(h, 0, ns * sizeof(*h));
		w->touched[k] = 1;
	}
	hist_rows(gr->bins, gr->gh, gr->rows + it->begin, it->end - it->begin,
	    h, w->acc[tid], w->sb[tid], w->sg[tid]);
}

/* Slots [SLOT_PIECE * (i % pieces), ...) of build i / pieces: the other
 * threads' sums go into the node's buffer, which is subtracted from the
 * parent's. */
static void
reduce_item(void *arg, size_t i, int tid)
{
	struct gb_grower *gr = arg;
	struct work *w = gr->work;
	size_t ns = gr->bins->nslot, T = (size_t)w->nthreads;
	size_t np = (ns + SLOT_PIECE - 1) / SLOT_PIECE;
	const struct build *bd = &w->bd[i / np];
	size_t s0 = SLOT_PIECE * (i % np);
	size_t s1 = s0 + SLOT_PIECE < ns ? s0 + SLOT_PIECE : ns;
	struct gb_pair *h = gr->hist[gr->node[bd->node].hist];

	for (size_t t = 0; t < T; t++) {
		size_t k = (i / np) * T + t;
		const struct gb_pair *o = gr->hist[w->buf[k]];

		if (!w->touched[k] || o == h)
			continue;
		for (size_t s = s0; s < s1; s++) {
			h[s].g += o[s].g;
			h[s].h += o[s].h;
		}
	}
	if (bd->parent >= 0) {
		struct gb_pair *ph = gr->hist[gr->node[bd->parent].hist];

		for (size_t s = s0; s < s1; s++) {
			ph[s].g -= h[s].g;
			ph[s].h -= h[s].h;
		}
	}
}

/* Builds the histograms of w->bd[0 .. nbd). */
static void
run_builds(struct gb_grower *gr, struct work *w)
{
	size_t T = (size_t)w->nthreads, nb = w->nbd * T;
	size_t ns = gr->bins->nslot, np = (ns + SLOT_PIECE - 1) / SLOT_PIECE;

	if (nb > w->abuf) {
		w->abuf = nb;
		w->buf = xrealloc(w->buf, nb * sizeof(*w->buf));
		w->touched = xrealloc(w->touched, nb);
	}
	memset(w->touched, 0, nb);
	w->nit = 0;
	for (size_t i = 0; i < w->nbd; i++) {
		plan_node(w, &gr->node[w->bd[i].node], w->bd[i].node,
		    (uint32_t)i);
		for (size_t t = 0; t < T; t++)
			w->buf[i * T + t] = hist_get(gr);
	}
	gb_pool_each(gr->pool, w->nit, build_item, gr);
	/* a node's histogram: the first buffer a thread summed into */
	for (size_t i = 0; i < w->nbd; i++) {
		struct gb_node *nd = &gr->node[w->bd[i].node];

		nd->hist = -1;
		for (size_t t = 0; t < T; t++) {
			if (w->touched[i * T + t] && nd->hist < 0)
				nd->hist = w->buf[i * T + t];
		}
		if (nd->hist < 0) {	/* no rows */
			nd->hist = w->buf[i * T];
			memset(gr->hist[nd->hist], 0,
			    ns * sizeof(struct gb_pair));
		}
	}
	gb_pool_each(gr->pool, w->nbd * np, reduce_item, gr);
	for (size_t i = 0; i < w->nbd; i++) {
		struct build *bd = &w->bd[i];

		for (size_t t = 0; t < T; t++)
			if (w->buf[i * T + t] != gr->node[bd->node].hist)
				hist_put(gr, w->buf[i * T + t]);
		if (bd->parent >= 0) {
			gr->node[bd->sibling].hist = gr->node[bd->parent].hist;
			gr->node[bd->parent].hist = -1;
		}
	}
}

/* ---- split search ---- */

static void
search_item(void *arg, size_t i, int tid)
{
	struct gb_grower *gr = arg;
	struct work *w = gr->work;
	struct search *s = &w->se[i];
	const struct gb_node *nd = &gr->node[s->node];

	gb_find_split(gr->bins, gr->hist[nd->hist], nd->g, nd->h, gr->gunit,
	    gr->hunit, &gr->p, gr->fmask, s->f0, s->f1, &s->best);
}

/* Finds the best splits of nodes[0 .. n): with few nodes each node's
 * features are divided between items. Merging in feature order makes
 * the result the same however the features were divided. */
static void
run_searches(struct gb_grower *gr, struct work *w, const uint32_t *nodes,
    size_t n)
{
	size_t nu = gr->bins->nused, T = (size_t)w->nthreads;
	size_t chunks = n >= 4 * T ? 1 : (4 * T + n - 1) / n;

	if (chunks > nu)
		chunks = nu ? nu : 1;
	if (T == 1)
		chunks = 1;
	w->nse = 0;
	mlp_grow(&w->se, &w->ase, n * chunks, sizeof(*w->se));
	for (size_t i = 0; i < n; i++) {
		for (size_t c = 0; c < chunks; c++) {
			struct search *s = &w->se[w->nse++];

			s->node = nodes[i];
			s->f0 = (uint32_t)(nu * c / chunks);
			s->f1 = (uint32_t)(nu * (c + 1) / chunks);
		}
	}
	gb_pool_each(gr->pool, w->nse, search_item, gr);
	for (size_t i = 0; i < n; i++) {
		struct gb_node *nd = &gr->node[nodes[i]];

		nd->split = w->se[i * chunks].best;
		for (size_t c = 1; c < chunks; c++) {
			const struct gb_split *s = &w->se[i * chunks + c].best;

			if (s->feat >= 0 && s->gain > nd->split.gain)
				nd->split = *s;
		}
	}
}

/* ---- partition ---- */

static void
part_item(void *arg, size_t i, int tid)
{
	struct gb_grower *gr = arg;
	struct work *w = gr->work;
	struct item *it = &w->it[i];
	const struct gb_node *nd = &gr->node[it->node];
	const uint8_t *bin = gr->bins->col +
	    (size_t)nd->split.feat * gr->bins->nrows;
	unsigned k = (unsigned)nd->split.k;
	unsigned miss = gr->bins->nbin[nd->split.feat];
	unsigned dl = (unsigned)nd->split.dl;
	uint32_t *l = gr->tmpl + it->begin, *r = gr->tmpr + it->begin;
	size_t nl = 0, nr = 0;

	for (uint32_t p = it->begin; p < it->end; p++) {
		uint32_t row = gr->rows[p];
		unsigned c = bin[row];
		unsigned left = (c < k) | ((c == miss) & dl);

		l[nl] = row;
		r[nr] = row;
		nl += left;
		nr += !left;
	}
	it->nl = (uint32_t)nl;
}

static void
place_item(void *arg, size_t i, int tid)
{
	struct gb_grower *gr = arg;
	struct work *w = gr->work;
	const struct item *it = &w->it[i];
	const struct gb_node *nd = &gr->node[it->node];
	const struct gb_node *lc = &gr->node[nd->left];
	size_t lpos = lc->begin, rpos = lc->end;
	size_t nr = it->end - it->begin - it->nl;

	/* earlier pieces of the node come first on each side */
	for (size_t q = w->first[it->bd]; q < i; q++) {
		lpos += w->it[q].nl;
		rpos += w->it[q].end - w->it[q].begin - w->it[q].nl;
	}
	memcpy(gr->rows + lpos, gr->tmpl + it->begin,
	    it->nl * sizeof(*gr->rows));
	memcpy(gr->rows + rpos, gr->tmpr + it->begin, nr * sizeof(*gr->rows));
}

/* Splits the rows of the nodes in w->batch between their children (whose
 * begin/end it sets), keeping rows in increasing order. */
static void
run_partition(struct gb_grower *gr, struct work *w)
{
	w->nit = 0;
	mlp_grow(&w->first, &w->afirst, w->nbatch + 1, sizeof(*w->first));
	for (size_t i = 0; i < w->nbatch; i++) {
		w->first[i] = (uint32_t)w->nit;
		plan_node(w, &gr->node[w->batch[i]], w->batch[i], (uint32_t)i);
	}
	w->first[w->nbatch] = (uint32_t)w->nit;
	gb_pool_each(gr->pool, w->nit, part_item, gr);
	for (size_t i = 0; i < w->nbatch; i++) {
		struct gb_node *nd = &gr->node[w->batch[i]];
		uint32_t nl = 0;

		for (size_t q = w->first[i]; q < w->first[i + 1]; q++)
			nl += w->it[q].nl;
		gr->node[nd->left].begin = nd->begin;
		gr->node[nd->left].end = nd->begin + nl;
		gr->node[nd->left + 1].begin = nd->begin + nl;
		gr->node[nd->left + 1].end = nd->end;
	}
	gb_pool_each(gr->pool, w->nit, place_item, gr);
}

/* ---- growth ---- */

static int
splittable(const struct gb_grower *gr, const struct gb_node *nd)
{
	return nd->depth < gr->p.max_depth && nd->end - nd->begin >= 2 &&
	    (double)nd->h * gr->hunit >= 2 * gr->p.min_child_weight;
}

/* XGBoost's test for a split worth making (kRtEps), with min_split_gain
 * (gamma) as a threshold on the gain. */
static int
worth(const struct gb_grower *gr, const struct gb_node *nd)
{
	return nd->split.feat >= 0 && nd->split.gain > 1e-6 &&
	    nd->split.gain >= gr->p.min_split_gain;
}

/* Whether a node that will split keeps its histogram for its children
 * (one is then derived by subtraction): small ones do not, so that deep
 * trees hold at most nrows / KEEP_MIN histograms, and building both small
 * children from their rows costs little. */
#define KEEP_MIN 1024
#define BUILD_CHUNK 64

static int
keep_hist(const struct gb_grower *gr, const struct gb_node *nd)
{
	return splittable(gr, nd) && worth(gr, nd) &&
	    nd->end - nd->begin >= KEEP_MIN;
}

static uint32_t
node_new(struct gb_grower *gr, int32_t depth)
{
	struct gb_node *nd;

	mlp_grow(&gr->node, &gr->anode, gr->nnode + 1, sizeof(*gr->node));
	nd = &gr->node[gr->nnode];
	memset(nd, 0, sizeof(*nd));
	nd->depth = depth;
	nd->left = -1;
	nd->hist = -1;
	nd->split.feat = -1;
	return (uint32_t)gr->nnode++;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
add_build(struct work *w, uint32_t node, int32_t parent, int32_t sibling)
{
	struct build *b;

	mlp_grow(&w->all, &w->aall, w->nall + 1, sizeof(*w->all));
	b = &w->all[w->nall++];
	b->node = node;
	b->parent = parent;
	b->sibling = sibling;
}

static void
push(uint32_t **v, size_t *n, size_t *a, uint32_t x)
{
	mlp_grow(v, a, *n + 1, sizeof(**v));
	(*v)[(*n)++] = x;
}

void
gb_grow(struct gb_grower *gr, size_t n)
{
	struct work *w = gr->work;
	const struct gb_bins *b = gr->bins;
	size_t leaves = 1;

	gr->nrows = n;
	gr->nnode = 0;
	node_new(gr, 0);
	gr->node[0].begin = 0;
	gr->node[0].end = (uint32_t)n;
	w->nfront = 0;

	/* the root's histogram gives its sums */
	if (b->nused > 0 && n > 0) {
		const struct gb_pair *h;

		mlp_grow(&w->bd, &w->abd, 1, sizeof(*w->bd));
		w->nbd = 1;
		w->bd[0].node = 0;
		w->bd[0].parent = w->bd[0].sibling = -1;
		run_builds(gr, w);
		h = gr->hist[gr->node[0].hist];
		for (size_t s = 0; s <= b->nbin[0]; s++) {
			gr->node[0].g += h[s].g;
			gr->node[0].h += h[s].h;
		}
		if (splittable(gr, &gr->node[0])) {
			uint32_t root = 0;

			run_searches(gr, w, &root, 1);
			if (worth(gr, &gr->node[0]))
				push(&w->front, &w->nfront, &w->afront, 0);
		}
		if (!keep_hist(gr, &gr->node[0])) {
			hist_put(gr, gr->node[0].hist);
			gr->node[0].hist = -1;
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			gr->node[0].g += gb_unpack_g(gr->gh[gr->rows[i]]);
			gr->node[0].h += gb_unpack_h(gr->gh[gr->rows[i]]);
		}
	}

	while (w->nfront > 0) {
		/* depth-wise: the whole level; with max_leaves: the node
		 * with the best gain */
		w->nbatch = 0;
		if (gr->p.max_leaves <= 0) {
			for (size_t i = 0; i < w->nfront; i++)
				push(&w->batch, &w->nbatch, &w->abatch,
				    w->front[i]);
			w->nfront = 0;
		} else {
			size_t best = 0;

			if (leaves >= (size_t)gr->p.max_leaves)
				break;
			for (size_t i = 1; i < w->nfront; i++) {
				double gi = gr->node[w->front[i]].split.gain;
				double gb = gr->node[w->front[best]].split.gain;

				if (gi > gb || (gi == gb &&
				    w->front[i] < w->front[best]))
					best = i;
			}
			push(&w->batch, &w->nbatch, &w->abatch,
			    w->front[best]);
			w->front[best] = w->front[--w->nfront];
		}
		for (size_t i = 0; i < w->nbatch; i++) {
			uint32_t id = w->batch[i], c;
			struct gb_node *nd;

			c = node_new(gr, gr->node[id].depth + 1);
			node_new(gr, gr->node[id].depth + 1);
			nd = &gr->node[id];
			nd->left = (int32_t)c;
			gr->node[c].g = nd->split.lg;
			gr->node[c].h = nd->split.lh;
			gr->node[c + 1].g = nd->g - nd->split.lg;
			gr->node[c + 1].h = nd->h - nd->split.lh;
			leaves++;
		}
		run_partition(gr, w);

		/* histograms: the smaller child built, the other derived */
		w->nall = 0;
		for (size_t i = 0; i < w->nbatch; i++) {
			struct gb_node *nd = &gr->node[w->batch[i]];
			uint32_t l = (uint32_t)nd->left, small;

			if (!splittable(gr, &gr->node[l]) &&
			    !splittable(gr, &gr->node[l + 1])) {
				hist_put(gr, nd->hist);
				nd->hist = -1;
				continue;
			}
			if (nd->hist < 0) {
				/* a small parent kept no histogram: its
				 * children are built from their rows */
				for (uint32_t c = l; c <= l + 1; c++)
					if (splittable(gr, &gr->node[c]))
						add_build(w, c, -1, -1);
				continue;
			}
			small = gr->node[l].end - gr->node[l].begin <=
			    gr->node[l + 1].end - gr->node[l + 1].begin ? l :
			    l + 1;
			add_build(w, small, (int32_t)w->batch[i],
			    (int32_t)(small == l ? l + 1 : l));
		}
		/* builds go in chunks, each searched and its histograms
		 * released before the next: with many small nodes, memory
		 * stays bounded */
		for (size_t c0 = 0; c0 < w->nall; c0 += BUILD_CHUNK) {
			size_t c1 = c0 + BUILD_CHUNK < w->nall ?
			    c0 + BUILD_CHUNK : w->nall;

			w->nbd = c1 - c0;
			mlp_grow(&w->bd, &w->abd, w->nbd, sizeof(*w->bd));
			memcpy(w->bd, w->all + c0, w->nbd * sizeof(*w->bd));
			run_builds(gr, w);
			w->nnext = 0;
			for (size_t i = 0; i < w->nbd; i++) {
				uint32_t c = w->bd[i].node;

				if (w->bd[i].sibling >= 0 &&
				    (uint32_t)w->bd[i].sibling < c)
					c = (uint32_t)w->bd[i].sibling;
				/* children in node order */
				for (uint32_t k = c; k <= c + 1; k++)
					if ((k == w->bd[i].node ||
					    (int32_t)k == w->bd[i].sibling) &&
					    splittable(gr, &gr->node[k]))
						push(&w->next, &w->nnext,
						    &w->anext, k);
			}
			if (w->nnext)
				run_searches(gr, w, w->next, w->nnext);
			for (size_t i = 0; i < w->nnext; i++) {
				struct gb_node *nd = &gr->node[w->next[i]];

				if (worth(gr, nd))
					push(&w->front, &w->nfront,
					    &w->afront, w->next[i]);
			}
			/* histograms of nodes that will not split or are
			 * small are done with */
			for (size_t i = 0; i < w->nbd; i++) {
				int32_t k[2] = { (int32_t)w->bd[i].node,
				    w->bd[i].sibling };

				for (int q = 0; q < 2; q++) {
					struct gb_node *nd;

					if (k[q] < 0)
						continue;
					nd = &gr->node[k[q]];
					if (!keep_hist(gr, nd)) {
						hist_put(gr, nd->hist);
						nd->hist = -1;
					}
				}
			}
		}
		/* a level in node order: children are numbered as they are
		 * in any run */
		if (gr->p.max_leaves <= 0)
			qsort(w->front, w->nfront, sizeof(*w->front), cmp_u32);
	}
	for (size_t i = 0; i < gr->nnode; i++) {
		struct gb_node *nd = &gr->node[i];

		hist_put(gr, nd->hist);
		nd->hist = -1;
		if (nd->left < 0)
			nd->value = (float)(gr->p.eta * gb_weight(&gr->p,
			    (double)nd->g * gr->gunit,
			    (double)nd->h * gr->hunit));
	}
}

uint32_t
gb_leaf_binned(const struct gb_grower *gr, size_t i)
{
	const struct gb_bins *b = gr->bins;
	const uint8_t *row = b->bin + i * b->nused;
	uint32_t n = 0;

	while (gr->node[n].left >= 0) {
		const struct gb_split *s = &gr->node[n].split;
		unsigned c = row[s->feat];
		int left = c < (unsigned)s->k ||
		    (c == b->nbin[s->feat] && s->dl);

		n = (uint32_t)gr->node[n].left + (left ? 0 : 1);
	}
	return n;
}

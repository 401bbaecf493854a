/* Quantile binning of the training data for the gbdt learner: thresholds
 * per feature and a row-major matrix of one-byte bin codes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gbdt-internal.h"

/* An unsigned key whose order is the order of the floats (-0 as +0). */
static uint32_t
fkey(float v)
{
	uint32_t u;

	if (v == 0)
		v = 0;
	memcpy(&u, &v, sizeof(u));
	return (u >> 31) ? ~u : u | 0x80000000u;
}

static float
funkey(uint32_t k)
{
	uint32_t u = (k >> 31) ? k & 0x7fffffffu : ~k;
	float v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

/* LSD radix sort on 11-bit digits; passes whose digit is the same for
 * every key are skipped. */
static void
sort_keys(uint32_t *a, uint32_t *tmp, size_t n)
{
	static const int shift[3] = { 0, 11, 22 };
	size_t count[3][2048];

	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++) {
		count[0][a[i] & 2047]++;
		count[1][(a[i] >> 11) & 2047]++;
		count[2][a[i] >> 22]++;
	}
	for (int p = 0; p < 3; p++) {
		size_t *c = count[p], sum = 0;
		int s = shift[p];

		if (c[(a[0] >> s) & 2047] == n)
			continue;
		for (size_t d = 0; d < 2048; d++) {
			size_t k = c[d];

			c[d] = sum;
			sum += k;
		}
		for (size_t i = 0; i < n; i++)
			tmp[c[(a[i] >> s) & 2047]++] = a[i];
		memcpy(a, tmp, n * sizeof(*a));
	}
}

/* A float that separates a from c (a < c): x < t is false for a and true
 * for no value >= c. The midpoint when it is representable and finite. */
static float
separate(float a, float c)
{
	float m = (float)((double)a + ((double)c - (double)a) / 2);

	if (m > a && m <= c && isfinite(m))
		return m;
	m = nextafterf(a, INFINITY);
	return m <= c ? m : c;
}

/* The first index in sorted a[0..n) holding a key >= k. */
static size_t
lower_bound(const uint32_t *a, size_t n, uint32_t k)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
gb_cuts(const float *x, size_t n, int max_bin, uint32_t *keys,
    uint32_t *tmp, float *thr, int *has_missing)
{
	size_t m = 0, uniq = 1;
	int cap = max_bin, nb = 0;

	for (size_t i = 0; i < n; i++)
		if (!isnan(x[i]))
			keys[m++] = fkey(x[i]);
	*has_missing = m < n;
	if (m == 0)
		return 0;
	sort_keys(keys, tmp, m);
	for (size_t i = 1; i < m; i++)
		uniq += keys[i] != keys[i - 1];
	if (*has_missing && cap > GB_MAX_BIN - 1)
		cap = GB_MAX_BIN - 1;	/* the missing code is the last */

	thr[0] = funkey(keys[0]);
	if (uniq <= (size_t)cap) {
		for (size_t i = 1; i < m; i++)
			if (keys[i] != keys[i - 1])
				thr[++nb] = separate(funkey(keys[i - 1]),
				    funkey(keys[i]));
	} else {
		/* equal counts: the b-th bin starts at rank b * m / cap,
		 * moved down to the first copy of that value */
		uint32_t last = keys[0];

		for (int b = 1; b < cap; b++) {
			size_t r = (size_t)((uint64_t)b * m / (uint64_t)cap);
			uint32_t k = keys[r];
			size_t lo;

			if (k == last)
				continue;
			lo = lower_bound(keys, m, k);
			thr[++nb] = separate(funkey(keys[lo - 1]), funkey(k));
			last = k;
		}
	}
	nb++;
	thr[nb] = nextafterf(funkey(keys[m - 1]), INFINITY);
	return nb;
}

/* Bin code of v: the number of edges <= v, found branch-free in a table
 * of 256 edges padded with NaN (which compares false); NaN gets miss. */
static inline uint8_t
bin_of(const float *edge, float v, uint8_t miss)
{
	unsigned pos = 0;

	if (isnan(v))
		return miss;
	for (unsigned s = 128; s; s >>= 1)
		pos += edge[pos + s - 1] <= v ? s : 0;
	return (uint8_t)pos;
}

struct bin_job {
	const struct mlp_train_data *d;
	struct gb_bins *b;
	int max_bin;
	int *nb;		/* nfeat */
	int *miss;		/* nfeat */
	float *thr;		/* nfeat * (GB_MAX_BIN + 1) */
	float *edge;		/* nused * 256 */
};

static void
cuts_task(void *arg, int tid, int nthreads)
{
	struct bin_job *j = arg;
	size_t n = j->d->nrows;
	uint32_t *keys = xmalloc(n * sizeof(*keys));
	uint32_t *tmp = xmalloc(n * sizeof(*tmp));

	for (size_t f = (size_t)tid; f < j->d->nfeat; f += (size_t)nthreads)
		j->nb[f] = gb_cuts(j->d->x[f], n, j->max_bin, keys, tmp,
		    j->thr + f * (GB_MAX_BIN + 1), &j->miss[f]);
	free(keys);
	free(tmp);
}

#define BIN_BLOCK 2048

static void
fill_task(void *arg, int tid, int nthreads)
{
	struct bin_job *j = arg;
	struct gb_bins *b = j->b;
	size_t n = b->nrows, nu = b->nused;
	size_t nblk = (n + BIN_BLOCK - 1) / BIN_BLOCK;

	for (size_t blk = (size_t)tid; blk < nblk; blk += (size_t)nthreads) {
		size_t i0 = blk * BIN_BLOCK;
		size_t i1 = i0 + BIN_BLOCK < n ? i0 + BIN_BLOCK : n;

		for (size_t u = 0; u < nu; u++) {
			const float *x = j->d->x[b->used[u]];
			const float *edge = j->edge + u * 256;
			uint8_t miss = (uint8_t)b->nbin[u];
			uint8_t *out = b->bin + u, *col = b->col + u * n;

			for (size_t i = i0; i < i1; i++)
				out[i * nu] = col[i] = bin_of(edge, x[i], miss);
		}
	}
}

int
gb_bins_build(struct gb_bins *b, const struct mlp_train_data *d, int max_bin,
    struct gb_pool *pool, struct mlp_err *err)
{
	struct bin_job j = { d, b, max_bin, NULL, NULL, NULL, NULL };
	size_t nf = d->nfeat, nu = 0, slot = 0;

	memset(b, 0, sizeof(*b));
	b->nrows = d->nrows;
	b->nfeat = nf;
	if (max_bin < 2 || max_bin > GB_MAX_BIN)
		return mlp_err_set(err, MLP_EINVAL,
		    "max_bin %d is out of range [2, %d]", max_bin, GB_MAX_BIN);
	j.nb = xcalloc(nf + 1, sizeof(*j.nb));
	j.miss = xcalloc(nf + 1, sizeof(*j.miss));
	j.thr = xmalloc((nf + 1) * (GB_MAX_BIN + 1) * sizeof(*j.thr));
	gb_pool_run(pool, cuts_task, &j);

	/* a feature splits when it has two values, or one and missing */
	b->used = xcalloc(nf + 1, sizeof(*b->used));
	b->nbin = xcalloc(nf + 1, sizeof(*b->nbin));
	b->off = xcalloc(nf + 1, sizeof(*b->off));
	b->thr = xcalloc(nf + 1, sizeof(*b->thr));
	for (size_t f = 0; f < nf; f++) {
		if (j.nb[f] == 0 || (j.nb[f] == 1 && !j.miss[f]))
			continue;
		b->used[nu] = (int32_t)f;
		b->nbin[nu] = (uint16_t)j.nb[f];
		b->off[nu] = (uint32_t)slot;
		b->thr[nu] = xmalloc((size_t)(j.nb[f] + 1) * sizeof(float));
		memcpy(b->thr[nu], j.thr + f * (GB_MAX_BIN + 1),
		    (size_t)(j.nb[f] + 1) * sizeof(float));
		slot += (size_t)j.nb[f] + 1;	/* value bins and missing */
		nu++;
	}
	b->nused = nu;
	b->nslot = slot;
	b->bin = xmalloc(b->nrows * nu + 32);	/* 16-byte reads past */
	b->col = xmalloc(b->nrows * (nu ? nu : 1));
	j.edge = xmalloc((nu + 1) * 256 * sizeof(*j.edge));
	for (size_t u = 0; u < nu; u++) {
		float *e = j.edge + u * 256;

		for (int k = 0; k < 256; k++)
			e[k] = k + 1 < b->nbin[u] ? b->thr[u][k + 1] : NAN;
	}
	if (nu)
		gb_pool_run(pool, fill_task, &j);
	free(j.nb);
	free(j.miss);
	free(j.thr);
	free(j.edge);
	return 0;
}

void
gb_bins_release(struct gb_bins *b)
{
	for (size_t u = 0; u < b->nused; u++)
		free(b->thr[u]);
	free(b->thr);
	free(b->used);
	free(b->nbin);
	free(b->off);
	free(b->bin);
	free(b->col);
	memset(b, 0, sizeof(*b));
}

/* AUC for the gbdt learner's per-iteration metrics: the value
 * mlp_metric_eval() gives, from a parallel radix sort on 8-byte keys (the
 * probability's bits with the label in the lowest bit) that orders rows by
 * the 32 bits below those all keys share, in four passes, and sorts the
 * rare runs that tie on them. The area is a sum of integers and halves,
 * exact in a double (below 2^53), so threads can sum parts of it and the
 * result is still exactly mlp_metric_eval()'s. */
#include <stdlib.h>
#include <string.h>

#include "gbdt-internal.h"

#define DBITS 8
#define DIGITS (1 << DBITS)
#define PASSES (32 / DBITS)
#define MAX_THREADS 256

struct auc_job {
	struct gb_pool *pool;
	const float *y;
	const double *p;
	size_t n;
	uint64_t *a, *b;
	size_t (*count)[DIGITS];	/* PASSES * T threads */
	int bad[MAX_THREADS];
	uint64_t kor[MAX_THREADS], kand[MAX_THREADS];
	double npos[MAX_THREADS], nneg[MAX_THREADS], area[MAX_THREADS];
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The area, positives and negatives of keys a[i0 .. i1) sorted on bits
 * lo and up, as if no row came before. */
static void
scan(uint64_t *a, size_t i0, size_t i1, int lo, double *pnpos, double *pnneg,
    double *parea)
{
	double npos = 0, nneg = 0, area = 0;
	size_t i = i0;

	while (i < i1) {
		size_t e = i + 1, k;
		int mixed = 0;

		if (e == i1 || a[e] >> lo != a[i] >> lo) {
			/* one row with its top bits: the common case */
			double pos = (double)(a[i] & 1);

			area += pos * nneg;
			npos += pos;
			nneg += 1 - pos;
			i = e;
			continue;
		}
		/* a run equal in the bits sorted on: sorted unless all
		 * its probabilities are equal */
		for (; e < i1 && a[e] >> lo == a[i] >> lo; e++)
			mixed |= a[e] >> 1 != a[i] >> 1;
		if (mixed)
			qsort(a + i, e - i, sizeof(*a), cmp_u64);
		for (k = i; k < e;) {
			double tp = 0, tn = 0;
			size_t m = k;

			for (; m < e && a[m] >> 1 == a[k] >> 1; m++) {
				if (a[m] & 1)
					tp++;
				else
					tn++;
			}
			area += tp * (nneg + tn / 2);
			npos += tp;
			nneg += tn;
			k = m;
		}
		i = e;
	}
	*pnpos = npos;
	*pnneg = nneg;
	*parea = area;
}

static void
auc_task(void *arg, int tid, int T)
{
	struct auc_job *j = arg;
	size_t i0 = j->n * (size_t)tid / (size_t)T;
	size_t i1 = j->n * (size_t)(tid + 1) / (size_t)T;
	uint64_t *src = j->a, *dst = j->b, kor = 0, kand = ~0ULL;
	int bad = 0, lo;

	for (size_t i = i0; i < i1; i++) {
		double v = j->p[i];
		uint64_t u;

		if (!(v >= 0 && v <= 1))
			bad = 1;
		v = v == 0 ? 0 : v;	/* -0 as +0 */
		memcpy(&u, &v, sizeof(u));
		/* p in [0, 1]: the bits are below 2^62 and ordered */
		src[i] = u << 1 | (j->y[i] > 0.5f);
		kor |= src[i];
		kand &= src[i];
	}
	j->bad[tid] = bad;
	j->kor[tid] = kor;
	j->kand[tid] = kand;
	gb_pool_barrier(j->pool);
	for (int t = 0; t < T; t++) {
		if (j->bad[t])
			return;
		kor |= j->kor[t];
		kand &= j->kand[t];
	}
	/* sort on the 32 bits below the bits all keys share */
	lo = kor == kand ? 1 : 63 - __builtin_clzll(kor ^ kand) - 31;
	lo = lo < 1 ? 1 : lo;	/* never the label bit */
	for (int pass = 0; pass < PASSES; pass++) {
		int shift = lo + DBITS * pass;
		size_t (*c)[DIGITS] = j->count + (size_t)pass * (size_t)T;
		size_t pos[DIGITS], sum = 0;
		int skip = 0;

		memset(c[tid], 0, sizeof(c[tid]));
		for (size_t i = i0; i < i1; i++)
			c[tid][(src[i] >> shift) & (DIGITS - 1)]++;
		gb_pool_barrier(j->pool);
		for (size_t d = 0; d < DIGITS; d++) {
			size_t all = 0;

			for (int t = 0; t < T; t++) {
				if (t == tid)
					pos[d] = sum + all;
				all += c[t][d];
			}
			skip |= all == j->n;
			sum += all;
		}
		if (skip)
			continue;	/* every key has the same digit */
		for (size_t i = i0; i < i1; i++)
			dst[pos[(src[i] >> shift) & (DIGITS - 1)]++] = src[i];
		gb_pool_barrier(j->pool);
		{
			uint64_t *t = src;

			src = dst;
			dst = t;
		}
	}
	/* each thread scans from the first run starting in its part */
	while (i0 > 0 && i0 < j->n && src[i0] >> lo == src[i0 - 1] >> lo)
		i0++;
	while (tid + 1 < T && i1 < j->n && src[i1] >> lo == src[i1 - 1] >> lo)
		i1++;
	gb_pool_barrier(j->pool);	/* before runs are sorted */
	scan(src, i0, i1 > i0 ? i1 : i0, lo, &j->npos[tid], &j->nneg[tid],
	    &j->area[tid]);
}

double
gb_auc(struct gb_pool *pool, const float *y, const double *p, size_t n,
    uint64_t *buf)
{
	struct auc_job j;
	double npos = 0, nneg = 0, area = 0;
	int T = gb_pool_size(pool);

	if (n == 0)
		return mlp_metric_eval(MLP_METRIC_AUC, y, p, n, 1);
	memset(&j, 0, sizeof(j));
	j.pool = pool;
	j.y = y;
	j.p = p;
	j.n = n;
	j.a = buf;
	j.b = buf + n;
	j.count = xmalloc(PASSES * (size_t)T * sizeof(*j.count));
	gb_pool_run(pool, auc_task, &j);
	free(j.count);
	for (int t = 0; t < T; t++)
		if (j.bad[t])
			return mlp_metric_eval(MLP_METRIC_AUC, y, p, n, 1);
	for (int t = 0; t < T; t++) {
		area += j.area[t] + j.npos[t] * nneg;
		npos += j.npos[t];
		nneg += j.nneg[t];
	}
	if (npos == 0 || nneg == 0)
		return 0.5;
	return area / (npos * nneg);
}

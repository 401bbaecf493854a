/* The linear learners: ridge regression in closed form and L2-regularised
 * logistic regression by Newton's method, on standardised numeric and
 * one-hot categorical inputs (the MLP_MODEL_LINEAR model of model.h).
 *
 * Both minimise the mean loss over the n training rows plus
 * (lambda / 2) * |w|^2 over the weights of the standardised inputs (the
 * bias is not penalised), so lambda does not depend on n:
 *
 *	linear:   (1 / 2n) sum (y - b - w.z)^2 + (lambda / 2) |w|^2, which is
 *	          scikit-learn's Ridge(alpha = lambda * n) on StandardScaler'd
 *	          inputs; the normal equations (Z'Z + lambda n I) w = Z'(y - b).
 *	logistic: (1 / n) sum logloss + (lambda / 2) |w|^2, which is
 *	          LogisticRegression(C = 1 / (lambda * n)) on standardised
 *	          inputs (its intercept is not penalised either).
 *
 * lambda defaults to 1e-4: on unit-variance inputs it shrinks a weight by
 * about that fraction, too little to matter, yet it keeps the system
 * positive definite when one-hot levels add up to the intercept and keeps
 * logistic weights finite on separable data (logistic requires
 * lambda > 0; linear allows 0, then collinear inputs are an error).
 *
 * linear solves once (iteration 1 of 1; a resumed job simply solves
 * again). logistic runs Newton's method from zero weights and the bias of
 * the label mean, with a backtracking (Armijo) line search on the
 * penalised loss, and stops when the Newton step would move no weight by
 * more than tol times the largest weight (at least 1) -- near the optimum
 * the step is the distance to it, so the weights are then accurate to
 * about tol -- or after max_iter iterations. Everything an iteration does
 * depends only on the weights it starts from, so a run resumed from any
 * iteration's model ends with the model of an uninterrupted run, bit for
 * bit.
 *
 * Numeric features are standardised with the training mean and population
 * standard deviation of their present values; a missing value has z = 0,
 * which is imputing the mean. A feature that is constant (or missing
 * everywhere) gets scale 1 and weight 0, as does a level no training row
 * has: such inputs are left out of the system, so they cannot make it
 * singular. The heavy passes (the Gram or Hessian matrix, losses,
 * margins) split the rows among threads in contiguous chunks and add the
 * chunks' sums in chunk order, so results depend on the thread count but
 * on nothing else. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

/* rows per block in the passes: the block's margins stay in L1 */
#define BLOCK 256
/* rows per block of the Gram pass (a multiple of 8): its columns stay in
 * L1/L2 */
#define GB 64
/* the per-thread Gram matrices may take at most this many bytes */
#define GRAM_BYTES ((size_t)1 << 29)

static const struct mlp_param_def linear_params[] = {
	{ "lambda", MLP_PARAM_FLOAT, 0, INFINITY, 0, 0, "1e-4", NULL,
	  "L2 penalty on the standardised weights (Ridge's alpha / n)", NULL },
	{ "fit_intercept", MLP_PARAM_INT, 0, 1, 0, 0, "1", NULL,
	  "1: fit an unpenalised bias; 0: the margin is w.z alone", NULL },
};
#define NLINEAR (sizeof(linear_params) / sizeof(*linear_params))

static const struct mlp_param_def logistic_params[] = {
	{ "lambda", MLP_PARAM_FLOAT, 0, INFINITY, 1, 0, "1e-4", NULL,
	  "L2 penalty on the standardised weights (1 / (C n) in "
	  "scikit-learn's terms)", NULL },
	{ "max_iter", MLP_PARAM_INT, 1, 10000, 0, 0, "100", NULL,
	  "most Newton iterations", NULL },
	{ "tol", MLP_PARAM_FLOAT, 0, 1, 0, 1, "1e-8", NULL,
	  "stop when the Newton step would change no weight by more than "
	  "tol times the largest (at least 1)", NULL },
	{ "fit_intercept", MLP_PARAM_INT, 0, 1, 0, 0, "1", NULL,
	  "1: fit an unpenalised bias; 0: the margin is w.z alone", NULL },
};
#define NLOGISTIC (sizeof(logistic_params) / sizeof(*logistic_params))

/* One training run. The compact system has dim unknowns: the active
 * numeric slots (positions 0 .. nnum-1), the bias (position nnum, when
 * fitted), then the active categorical slots in slot order; pos[s] maps a
 * model slot to its position, -1 for an inactive slot. Dense positions
 * (nnum + intercept of them) come first so a row's numeric part is one
 * contiguous vector. */
struct fit {
	const struct mlp_train_job *job;
	int objective;
	int intercept;
	double lambda;
	int nthreads;
	struct mlp_model *m;	/* the model trained, margins computed from it */
	int32_t *pos;		/* nslots */
	int32_t *fpos;		/* nfeat: a numeric feature's position or -1 */
	size_t nnum, ndense, dim;
	double ybar;		/* linear: the centre of y */
	/* logistic: the training margins of the current weights, when
	 * marg_ok (the line search's last pass leaves them) */
	double *marg;
	int marg_ok;
	/* this pass's results, added over chunks in order */
	double loss;
	double *g, *H;		/* dim, dim * dim (lower triangle) */
};

enum pass_kind {
	PASS_MARGIN,	/* margins of the rows into out */
	PASS_LOSS,	/* the summed logloss, the margins into out */
	PASS_GRAM,	/* linear: Z'Z and Z'(y - ybar); logistic: the
			 * Hessian Z'diag(p(1-p))Z, gradient Z'(p - y) and
			 * loss, from the margins in out when not NULL */
};

struct chunk {
	struct fit *f;
	const struct mlp_train_data *data;
	enum pass_kind kind;
	size_t lo, hi;
	double *out;
	double loss;
	double *g, *H;
};

/* Two doubles in one SSE2 register (GCC/Clang vector extension; plain
 * code elsewhere). Lane sums are added in a fixed order, so the results
 * do not depend on the instruction set. */
typedef double v2d __attribute__((vector_size(16)));
typedef long long v2i __attribute__((vector_size(16)));

static inline v2d
ld2(const double *p)
{
	v2d v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Margins of rows lo .. hi-1 into out[0 ..): the bias, then each feature's
 * term in feature order, the sum model.h defines. */
static void
block_margins(const struct mlp_model *m, const struct mlp_train_data *d,
    size_t lo, size_t hi, double *out)
{
	for (size_t i = lo; i < hi; i++)
		out[i - lo] = m->bias[0];
	for (size_t j = 0; j < d->nfeat; j++) {
		const float *x = d->x[j];
		size_t k = m->slot[j];

		if (m->feat[j].type == MLP_COL_NUM) {
			double w = m->weight[k], mu = m->mean[k];
			double sc = m->scale[k];

			v2d w2 = { w, w }, mu2 = { mu, mu }, sc2 = { sc, sc };
			size_t i = lo;

			if (w == 0)
				continue;
			/* two rows at a time, a missing z masked to 0 */
			for (; i + 1 < hi; i += 2) {
				v2d z = { x[i], x[i + 1] }, o = ld2(out + i - lo);

				z = (z - mu2) / sc2;
				z = (v2d)((v2i)z & (v2i)(z == z));
				o += w2 * z;
				memcpy(out + i - lo, &o, sizeof(o));
			}
			if (i < hi && !isnan(x[i]))
				out[i - lo] += w * ((x[i] - mu) / sc);
		} else {
			const double *w = m->weight + k;
			float nl = (float)m->feat[j].nlevels;

			for (size_t i = lo; i < hi; i++)
				if (x[i] >= 0 && x[i] < nl)
					out[i - lo] += w[(size_t)x[i]];
		}
	}
}

/* The logloss of margin t for label y, its gradient p - y and its second
 * derivative p(1 - p), without overflow or cancellation. */
static double
logloss(double t, float y, double *grad, double *hess)
{
	double e = exp(-fabs(t)), q = 1 / (1 + e);
	double p = t >= 0 ? q : e * q;

	if (grad) {
		*grad = p - y;
		*hess = e * q * q;
	}
	return (t > 0 ? t : 0) + log1p(e) - (y > 0.5f ? t : 0);
}

/* sum over i < nb of w[i] * u[i], nb a multiple of 8: four sums in
 * flight */
static inline double
dot(const double *w, const double *u, size_t nb)
{
	v2d s0 = { 0, 0 }, s1 = s0, s2 = s0, s3 = s0;

	for (size_t i = 0; i < nb; i += 8) {
		s0 += ld2(w + i) * ld2(u + i);
		s1 += ld2(w + i + 2) * ld2(u + i + 2);
		s2 += ld2(w + i + 4) * ld2(u + i + 4);
		s3 += ld2(w + i + 6) * ld2(u + i + 6);
	}
	s0 = (s0 + s1) + (s2 + s3);
	return s0[0] + s0[1];
}

/* Adds the block's W'U (columns of GB rows, nb of them used, a multiple
 * of 8, the padding zero in W) to
 * the lower triangle of H over the nd dense positions: two rows of H by
 * four columns at a time, eight independent sums to keep the floating
 * point units busy. */
static void
gram_dense(double *H, size_t dim, const double *W, const double *U,
    size_t nd, size_t nb)
{
	size_t a = 0;

	for (; a + 2 <= nd; a += 2) {
		const double *w0 = W + a * GB, *w1 = w0 + GB;
		double *H0 = H + a * dim, *H1 = H0 + dim;
		size_t b = 0;

		for (; b + 4 <= a + 1; b += 4) {
			const double *u0 = U + b * GB, *u1 = u0 + GB;
			const double *u2 = u1 + GB, *u3 = u2 + GB;
			v2d s0 = { 0, 0 }, s1 = s0, s2 = s0, s3 = s0;
			v2d t0 = s0, t1 = s0, t2 = s0, t3 = s0;

			for (size_t i = 0; i < nb; i += 2) {
				v2d x0 = ld2(w0 + i), x1 = ld2(w1 + i);
				v2d y0 = ld2(u0 + i), y1 = ld2(u1 + i);
				v2d y2 = ld2(u2 + i), y3 = ld2(u3 + i);

				s0 += x0 * y0;
				s1 += x0 * y1;
				s2 += x0 * y2;
				s3 += x0 * y3;
				t0 += x1 * y0;
				t1 += x1 * y1;
				t2 += x1 * y2;
				t3 += x1 * y3;
			}
			H0[b] += s0[0] + s0[1];
			H0[b + 1] += s1[0] + s1[1];
			H0[b + 2] += s2[0] + s2[1];
			H0[b + 3] += s3[0] + s3[1];
			H1[b] += t0[0] + t0[1];
			H1[b + 1] += t1[0] + t1[1];
			H1[b + 2] += t2[0] + t2[1];
			H1[b + 3] += t3[0] + t3[1];
		}
		for (; b <= a + 1; b++) {
			if (b <= a)
				H0[b] += dot(w0, U + b * GB, nb);
			H1[b] += dot(w1, U + b * GB, nb);
		}
	}
	for (; a < nd; a++)
		for (size_t b = 0; b <= a; b++)
			H[a * dim + b] += dot(W + a * GB, U + b * GB, nb);
}

/* The Gram pass over a chunk, GB rows at a time: the block's dense inputs
 * as columns U (z, 0 when missing, 1 for the bias), W = diag(h) U, then
 * H += W'U and g += U'r; a row's categorical levels add their ones. */
static void
chunk_gram(struct chunk *c)
{
	struct fit *f = c->f;
	const struct mlp_model *m = f->m;
	const struct mlp_train_data *d = c->data;
	size_t nd = f->ndense, dim = f->dim, ncat = 0;
	double *U = xcalloc(nd * GB + 1, sizeof(double));
	double *W = xcalloc(nd * GB + 1, sizeof(double));
	int32_t *cp = xcalloc(d->nfeat * GB + 1, sizeof(int32_t));
	double mb[GB], hb[GB], rb[GB];

	for (size_t j = 0; j < d->nfeat; j++)
		ncat += m->feat[j].type == MLP_COL_CAT;
	for (size_t lo = c->lo; lo < c->hi; lo += GB) {
		size_t hi = c->hi - lo < GB ? c->hi : lo + GB;
		size_t nb = hi - lo, nbe = (nb + 7) & ~(size_t)7, kc = 0;

		if (f->objective == MLP_OBJ_LOGISTIC) {
			const double *mg = c->out ? c->out + lo : mb;

			if (!c->out)
				block_margins(m, d, lo, hi, mb);
			for (size_t i = 0; i < nb; i++)
				c->loss += logloss(mg[i], d->y[lo + i], &rb[i],
				    &hb[i]);
		} else {
			for (size_t i = 0; i < nb; i++) {
				hb[i] = 1;
				rb[i] = d->y[lo + i] - f->ybar;
			}
		}
		for (size_t i = nb; i < nbe; i++)
			hb[i] = rb[i] = 0;
		for (size_t j = 0; j < d->nfeat; j++) {
			const float *x = d->x[j] + lo;
			size_t k = m->slot[j];

			if (m->feat[j].type == MLP_COL_CAT) {
				int32_t *q = cp + kc++ * GB;
				float nl = (float)m->feat[j].nlevels;

				for (size_t i = 0; i < nb; i++)
					q[i] = x[i] >= 0 && x[i] < nl ?
					    f->pos[k + (size_t)x[i]] : -1;
			} else if (f->fpos[j] >= 0) {
				double *u = U + (size_t)f->fpos[j] * GB;
				double mu = m->mean[k], sc = m->scale[k];

				double inv = 1 / sc;

				/* z to within a rounding of the margins' z:
				 * all the system needs, and no division */
				for (size_t i = 0; i < nb; i++)
					u[i] = isnan(x[i]) ? 0 : (x[i] - mu) * inv;
				for (size_t i = nb; i < nbe; i++)
					u[i] = 0;
			}
		}
		if (f->intercept)
			for (size_t i = 0; i < nbe; i++)
				U[f->nnum * GB + i] = 1;
		for (size_t a = 0; a < nd; a++) {
			const double *u = U + a * GB;
			double *w = W + a * GB;

			for (size_t i = 0; i < nbe; i++)
				w[i] = hb[i] * u[i];
			c->g[a] += dot(rb, u, nbe);
		}
		gram_dense(c->H, dim, W, U, nd, nbe);
		for (size_t i = 0; i < nb && ncat; i++) {
			for (size_t k = 0; k < ncat; k++) {
				int32_t q = cp[k * GB + i];
				double *Hq;

				if (q < 0)
					continue;
				Hq = c->H + (size_t)q * dim;
				for (size_t a = 0; a < nd; a++)
					Hq[a] += W[a * GB + i];
				for (size_t e = 0; e < k; e++)
					if (cp[e * GB + i] >= 0)
						Hq[cp[e * GB + i]] += hb[i];
				Hq[q] += hb[i];
				c->g[q] += rb[i];
			}
		}
	}
	free(U);
	free(W);
	free(cp);
}

static void *
chunk_run(void *arg)
{
	struct chunk *c = arg;

	switch (c->kind) {
	case PASS_MARGIN:
		for (size_t lo = c->lo; lo < c->hi; lo += BLOCK)
			block_margins(c->f->m, c->data, lo,
			    c->hi - lo < BLOCK ? c->hi : lo + BLOCK,
			    c->out + lo);
		break;
	case PASS_LOSS:
		for (size_t lo = c->lo; lo < c->hi; lo += BLOCK) {
			size_t hi = c->hi - lo < BLOCK ? c->hi : lo + BLOCK;

			block_margins(c->f->m, c->data, lo, hi, c->out + lo);
			for (size_t i = lo; i < hi; i++)
				c->loss += logloss(c->out[i], c->data->y[i],
				    NULL, NULL);
		}
		break;
	case PASS_GRAM:
		chunk_gram(c);
		break;
	}
	return NULL;
}

/* Runs a pass over data with the model's current weights: the rows split
 * into contiguous chunks, one per thread, the chunks' sums added into
 * f->loss, f->g and f->H in chunk order. */
static void
run_pass(struct fit *f, const struct mlp_train_data *data,
    enum pass_kind kind, double *out)
{
	size_t n = data->nrows, dd = f->dim * f->dim;
	size_t nt = (size_t)f->nthreads;
	struct chunk *ch;
	pthread_t *tid;
	int *started;

	if (nt > n / BLOCK)
		nt = n / BLOCK ? n / BLOCK : 1;
	if (kind == PASS_GRAM && dd)
		while (nt > 1 && nt * dd * sizeof(double) > GRAM_BYTES)
			nt--;
	ch = xcalloc(nt, sizeof(*ch));
	tid = xcalloc(nt, sizeof(*tid));
	started = xcalloc(nt, sizeof(*started));
	for (size_t t = 0; t < nt; t++) {
		struct chunk *c = &ch[t];

		c->f = f;
		c->data = data;
		c->kind = kind;
		c->lo = n * t / nt;
		c->hi = n * (t + 1) / nt;
		c->out = out;
		if (kind == PASS_GRAM) {
			c->g = t ? xcalloc(f->dim + 1, sizeof(double)) : f->g;
			c->H = t ? xcalloc(dd + 1, sizeof(double)) : f->H;
		}
	}
	if (kind == PASS_GRAM) {
		memset(f->g, 0, f->dim * sizeof(double));
		memset(f->H, 0, dd * sizeof(double));
	}
	/* a thread that cannot start has its chunk run here: the same sums */
	for (size_t t = 1; t < nt; t++)
		started[t] = pthread_create(&tid[t], NULL, chunk_run,
		    &ch[t]) == 0;
	chunk_run(&ch[0]);
	for (size_t t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			chunk_run(&ch[t]);
	}
	f->loss = 0;
	for (size_t t = 0; t < nt; t++) {
		f->loss += ch[t].loss;
		if (kind != PASS_GRAM || t == 0)
			continue;
		for (size_t a = 0; a < f->dim; a++) {
			f->g[a] += ch[t].g[a];
			for (size_t b = 0; b <= a; b++)
				f->H[a * f->dim + b] += ch[t].H[a * f->dim + b];
		}
		free(ch[t].g);
		free(ch[t].H);
	}
	free(ch);
	free(tid);
	free(started);
}

/* Factors the symmetric matrix a (n x n, lower triangle read) as L L' in
 * place (L in the lower triangle); -1 when it is not positive definite to
 * working precision (a pivot below 1e-12 of its diagonal entry). */
static int
cholesky(double *a, size_t n)
{
	for (size_t j = 0; j < n; j++) {
		double *aj = a + j * n;
		double d = aj[j], d0 = aj[j];

		for (size_t k = 0; k < j; k++)
			d -= aj[k] * aj[k];
		if (!(d > 1e-12 * d0))
			return -1;
		d = sqrt(d);
		aj[j] = d;
		for (size_t i = j + 1; i < n; i++) {
			double *ai = a + i * n;
			double s = ai[j];

			for (size_t k = 0; k < j; k++)
				s -= ai[k] * aj[k];
			ai[j] = s / d;
		}
	}
	return 0;
}

/* Solves L L' x = b for x (in place in b) with the factor of cholesky(). */
static void
cholesky_solve(const double *l, size_t n, double *b)
{
	for (size_t i = 0; i < n; i++) {
		double s = b[i];

		for (size_t k = 0; k < i; k++)
			s -= l[i * n + k] * b[k];
		b[i] = s / l[i * n + i];
	}
	for (size_t i = n; i-- > 0;) {
		double s = b[i];

		for (size_t k = i + 1; k < n; k++)
			s -= l[k * n + i] * b[k];
		b[i] = s / l[i * n + i];
	}
}

/* The model's weights and bias from the compact vector theta. */
static void
set_theta(struct fit *f, const double *theta)
{
	struct mlp_model *m = f->m;

	f->marg_ok = 0;
	for (size_t s = 0; s < m->nslots; s++)
		m->weight[s] = f->pos[s] >= 0 ? theta[f->pos[s]] : 0;
	m->bias[0] = f->intercept ? theta[f->nnum] : 0;
}

/* Per numeric feature: mean and population standard deviation of the
 * present values; an infinity is an error (its index in bad). */
struct stdz {
	const struct mlp_train_data *d;
	struct mlp_model *m;
	size_t *count;		/* nslots: rows at each categorical level */
	size_t t, nt;
	size_t bad_feat, bad_row;
};

static void *
stdz_run(void *arg)
{
	struct stdz *z = arg;
	const struct mlp_train_data *d = z->d;
	struct mlp_model *m = z->m;

	for (size_t j = z->t; j < d->nfeat; j += z->nt) {
		const float *x = d->x[j];
		size_t k = m->slot[j], cnt = 0;
		double sum = 0, ss = 0, mean;

		if (m->feat[j].type == MLP_COL_CAT) {
			float nl = (float)m->feat[j].nlevels;

			for (size_t i = 0; i < d->nrows; i++)
				if (x[i] >= 0 && x[i] < nl)
					z->count[k + (size_t)x[i]]++;
			continue;
		}
		for (size_t i = 0; i < d->nrows; i++) {
			if (isnan(x[i]))
				continue;
			if (isinf(x[i]) && z->bad_feat == SIZE_MAX) {
				z->bad_feat = j;
				z->bad_row = i;
			}
			sum += x[i];
			cnt++;
		}
		mean = cnt ? sum / (double)cnt : 0;
		for (size_t i = 0; i < d->nrows; i++)
			if (!isnan(x[i]))
				ss += (x[i] - mean) * (x[i] - mean);
		m->mean[k] = mean;
		m->scale[k] = cnt ? sqrt(ss / (double)cnt) : 0;
		z->count[k] = cnt;
	}
	return NULL;
}

/* Fills the model's slots and standardisation from the training data and
 * the compact positions of the active slots. */
static int
standardise(struct fit *f, struct mlp_err *err)
{
	const struct mlp_train_data *d = f->job->train;
	struct mlp_model *m = f->m;
	size_t nt = (size_t)f->nthreads, ns = 0, p;
	struct stdz *z;
	pthread_t *tid;
	int *started;
	size_t *count;
	char at[200];
	int rc = 0;

	m->slot = xcalloc(d->nfeat + 1, sizeof(*m->slot));
	for (size_t j = 0; j < d->nfeat; j++) {
		m->slot[j] = (uint32_t)ns;
		ns += d->feat[j].type == MLP_COL_NUM ? 1 : d->feat[j].nlevels;
	}
	if (ns > UINT32_MAX)
		return mlp_err_set(err, MLP_EINVAL,
		    "%zu input slots are too many for a linear model", ns);
	m->nslots = ns;
	m->mean = xcalloc(ns + 1, sizeof(double));
	m->scale = xcalloc(ns + 1, sizeof(double));
	m->weight = xcalloc(ns + 1, sizeof(double));
	f->pos = xcalloc(ns + 1, sizeof(*f->pos));
	f->fpos = xcalloc(d->nfeat + 1, sizeof(*f->fpos));
	count = xcalloc(ns + 1, sizeof(*count));

	if (nt > d->nfeat)
		nt = d->nfeat ? d->nfeat : 1;
	z = xcalloc(nt, sizeof(*z));
	tid = xcalloc(nt, sizeof(*tid));
	started = xcalloc(nt, sizeof(*started));
	for (size_t t = 0; t < nt; t++) {
		z[t] = (struct stdz){ d, m, count, t, nt, SIZE_MAX, 0 };
		if (t)
			started[t] = pthread_create(&tid[t], NULL, stdz_run,
			    &z[t]) == 0;
	}
	stdz_run(&z[0]);
	for (size_t t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			stdz_run(&z[t]);
	}
	for (size_t t = 0, bad = SIZE_MAX; t < nt; t++) {
		if (z[t].bad_feat >= bad)
			continue;
		bad = z[t].bad_feat;
		rc = mlp_err_set(err, MLP_EINVAL,
		    "%s: feature '%s' is %g, not a finite number",
		    mlp_train_where(d, z[t].bad_row, at, sizeof(at)),
		    d->feat[bad].name, (double)d->x[bad][z[t].bad_row]);
	}

	/* positions: numeric, bias, categorical */
	p = 0;
	for (size_t j = 0; j < d->nfeat; j++) {
		size_t k = m->slot[j];

		f->fpos[j] = -1;
		if (d->feat[j].type != MLP_COL_NUM)
			continue;
		if (m->scale[k] > 0) {
			f->fpos[j] = (int32_t)p;
			f->pos[k] = (int32_t)p++;
		} else {
			/* constant or never present: no information */
			m->scale[k] = 1;
			f->pos[k] = -1;
		}
	}
	f->nnum = p;
	f->ndense = p + (size_t)f->intercept;
	p = f->ndense;
	for (size_t j = 0; j < d->nfeat; j++) {
		size_t k = m->slot[j];

		if (d->feat[j].type != MLP_COL_CAT)
			continue;
		for (size_t l = 0; l < d->feat[j].nlevels; l++) {
			m->scale[k + l] = 1;
			f->pos[k + l] = count[k + l] ? (int32_t)p++ : -1;
		}
	}
	f->dim = p;
	free(count);
	free(z);
	free(tid);
	free(started);
	return rc;
}

/* The labels of data are finite, and 0 or 1 for binary:logistic. */
static int
check_labels(const struct fit *f, const struct mlp_train_data *d,
    struct mlp_err *err)
{
	char at[200];

	for (size_t i = 0; i < d->nrows; i++) {
		float y = d->y[i];

		if (!isfinite(y))
			return mlp_err_set(err, MLP_EINVAL,
			    "%s: label %g is not a finite number",
			    mlp_train_where(d, i, at, sizeof(at)), (double)y);
		if (f->objective == MLP_OBJ_LOGISTIC && y != 0 && y != 1)
			return mlp_err_set(err, MLP_EINVAL,
			    "%s: label %g is not 0 or 1 (binary:logistic)",
			    mlp_train_where(d, i, at, sizeof(at)), (double)y);
	}
	return 0;
}

/* No feature value is infinite (missing is NaN). */
static int
check_finite(const struct mlp_train_data *d, struct mlp_err *err)
{
	char at[200];

	for (size_t j = 0; j < d->nfeat; j++)
		for (size_t i = 0; i < d->nrows; i++)
			if (isinf(d->x[j][i]))
				return mlp_err_set(err, MLP_EINVAL,
				    "%s: feature '%s' is %g, not a finite "
				    "number", mlp_train_where(d, i, at,
				    sizeof(at)), d->feat[j].name,
				    (double)d->x[j][i]);
	return 0;
}

static int
check_data(struct fit *f, struct mlp_err *err)
{
	const struct mlp_train_data *t = f->job->train, *v = f->job->valid;
	int rc;

	if (t->nrows == 0)
		return mlp_err_set(err, MLP_EINVAL, "no training rows");
	if ((rc = check_labels(f, t, err)) < 0)
		return rc;
	if (f->objective == MLP_OBJ_LOGISTIC) {
		size_t pos = 0;

		for (size_t i = 0; i < t->nrows; i++)
			pos += t->y[i] == 1;
		if (pos == 0 || pos == t->nrows)
			return mlp_err_set(err, MLP_EINVAL,
			    "every training label is %d: binary:logistic "
			    "needs both classes", pos ? 1 : 0);
	}
	if (!v)
		return 0;
	if (v->nfeat != t->nfeat)
		return mlp_err_set(err, MLP_EINVAL,
		    "validation and training data differ in their number of "
		    "features (%zu, %zu)", v->nfeat, t->nfeat);
	for (size_t j = 0; j < t->nfeat; j++)
		if (v->feat[j].type != t->feat[j].type)
			return mlp_err_set(err, MLP_EINVAL,
			    "feature '%s' is %s in the training data and %s "
			    "in the validation data", t->feat[j].name,
			    t->feat[j].type == MLP_COL_NUM ? "numeric" :
			    "categorical", v->feat[j].type == MLP_COL_NUM ?
			    "numeric" : "categorical");
	return check_labels(f, v, err);
}

/* Evaluates the default metrics on the training and validation data and
 * reports iteration iter of total to the job's callback. */
static int
report(struct fit *f, int iter, int total, double *pred, double *vpred,
    struct mlp_err *err)
{
	const struct mlp_train_job *job = f->job;
	const struct mlp_train_data *set[2] = { job->train, job->valid };
	double *out[2] = { pred, vpred };
	enum mlp_metric_id def[4];
	struct mlp_metric_val val[8];
	char name[8][32];
	size_t nd = mlp_metric_defaults(f->objective, def), nv = 0;
	int rc;

	if (!job->on_iter)
		return 0;
	for (int s = 0; s < 2 && set[s]; s++) {
		const struct mlp_train_data *d = set[s];

		if (s == 0 && f->marg) {
			if (!f->marg_ok)
				run_pass(f, d, PASS_MARGIN, f->marg);
			f->marg_ok = 1;
			memcpy(out[s], f->marg, d->nrows * sizeof(double));
		} else {
			run_pass(f, d, PASS_MARGIN, out[s]);
		}
		if (f->objective == MLP_OBJ_LOGISTIC)
			for (size_t i = 0; i < d->nrows; i++)
				out[s][i] = 1 / (1 + exp(-out[s][i]));
		for (size_t k = 0; k < nd; k++, nv++) {
			snprintf(name[nv], sizeof(name[nv]), "%s_%s",
			    s ? "valid" : "train", mlp_metric_name(def[k]));
			val[nv].name = name[nv];
			val[nv].value = mlp_metric_eval(def[k], d->y, out[s],
			    d->nrows, 1);
		}
	}
	rc = job->on_iter(job->ud, iter, total, val, nv, f->m);
	if (rc < 0)
		return mlp_err_set(err, rc, "training stopped at iteration %d",
		    iter);
	return 0;
}

/* The penalised loss of the model's current weights; theta holds them. */
static double
penalised_loss(struct fit *f, const double *theta)
{
	double pen = 0;

	run_pass(f, f->job->train, PASS_LOSS, f->marg);
	f->marg_ok = 1;
	for (size_t a = 0; a < f->dim; a++)
		if (!f->intercept || a != f->nnum)
			pen += theta[a] * theta[a];
	return f->loss / (double)f->job->train->nrows + f->lambda / 2 * pen;
}

/* Fills a with the system of f->H (its lower triangle scaled by 1 / n,
 * mirrored, plus lambda on the weights' diagonal and jitter on every
 * diagonal entry) and factors it; -1 when it is singular. */
static int
factor_system(struct fit *f, double *a, double jitter)
{
	size_t dim = f->dim;
	double inv = 1 / (double)f->job->train->nrows;

	for (size_t r = 0; r < dim; r++) {
		for (size_t c = 0; c <= r; c++)
			a[r * dim + c] = a[c * dim + r] = f->H[r * dim + c] * inv;
		a[r * dim + r] += jitter;
		if (!f->intercept || r != f->nnum)
			a[r * dim + r] += f->lambda;
	}
	return cholesky(a, dim);
}

static int
fit_ridge(struct fit *f, struct mlp_err *err)
{
	const struct mlp_train_data *d = f->job->train;
	double *a = xcalloc(f->dim * f->dim + 1, sizeof(double));
	double *theta = xcalloc(f->dim + 1, sizeof(double));
	double *pred = xcalloc(d->nrows, sizeof(double));
	double *vpred = f->job->valid ?
	    xcalloc(f->job->valid->nrows + 1, sizeof(double)) : NULL;
	int rc = 0;

	f->ybar = 0;
	if (f->intercept) {
		for (size_t i = 0; i < d->nrows; i++)
			f->ybar += d->y[i];
		f->ybar /= (double)d->nrows;
	}
	run_pass(f, d, PASS_GRAM, NULL);
	if (factor_system(f, a, 0) < 0) {
		rc = mlp_err_set(err, MLP_EINVAL, f->lambda == 0 ?
		    "the inputs are collinear (a categorical feature with "
		    "no missing values and the intercept are): set lambda > 0" :
		    "the normal equations are singular: raise lambda");
		goto out;
	}
	for (size_t s = 0; s < f->dim; s++)
		theta[s] = f->g[s] / (double)d->nrows;
	cholesky_solve(a, f->dim, theta);
	set_theta(f, theta);
	f->m->bias[0] += f->ybar;
	rc = report(f, 1, 1, pred, vpred, err);
out:
	free(a);
	free(theta);
	free(pred);
	free(vpred);
	return rc;
}

/* The starting point: a checkpoint's weights, else zero weights and the
 * bias of the label mean. */
static int
logistic_start(struct fit *f, double *theta, struct mlp_err *err)
{
	const struct mlp_model *r = f->job->resume;
	const struct mlp_model *m = f->m;

	if (!r) {
		const struct mlp_train_data *d = f->job->train;
		double pos = 0;

		for (size_t i = 0; i < d->nrows; i++)
			pos += d->y[i];
		pos /= (double)d->nrows;
		if (f->intercept)
			theta[f->nnum] = log(pos / (1 - pos));
		return 0;
	}
	if (r->kind != MLP_MODEL_LINEAR || r->objective != MLP_OBJ_LOGISTIC ||
	    r->ngroup != 1 || r->nfeat != m->nfeat ||
	    r->nslots != m->nslots || !r->slot || !r->weight || !r->bias ||
	    !r->mean || !r->scale)
		return mlp_err_set(err, MLP_EINVAL, "the checkpoint is not a "
		    "logistic model of these features");
	for (size_t j = 0; j < m->nfeat; j++) {
		size_t k = m->slot[j];

		if (r->slot[j] == k && fabs(r->mean[k] - m->mean[k]) <=
		    1e-9 * (fabs(m->mean[k]) + m->scale[k]) &&
		    fabs(r->scale[k] - m->scale[k]) <= 1e-9 * m->scale[k])
			continue;
		return mlp_err_set(err, MLP_EINVAL, "the checkpoint was "
		    "trained on other data: feature '%s' is standardised "
		    "differently", m->feat[j].name);
	}
	for (size_t s = 0; s < m->nslots; s++)
		if (f->pos[s] >= 0)
			theta[f->pos[s]] = r->weight[s];
	if (f->intercept)
		theta[f->nnum] = r->bias[0];
	return 0;
}

/* Newton's method with a backtracking line search. Each iteration depends
 * only on the weights it starts from (the loss, gradient and Hessian
 * there), including the decision to stop, so a run resumed from any
 * iteration's model retraces the uninterrupted one exactly. */
static int
fit_logistic(struct fit *f, struct mlp_err *err)
{
	const struct mlp_train_job *job = f->job;
	const struct mlp_train_data *d = job->train;
	size_t dim = f->dim;
	int max_iter = (int)mlp_params_int(job->params, logistic_params,
	    NLOGISTIC, "max_iter");
	double tol = mlp_params_float(job->params, logistic_params,
	    NLOGISTIC, "tol");
	double *a = xcalloc(dim * dim + 1, sizeof(double));
	double *theta = xcalloc(dim + 1, sizeof(double));
	double *step = xcalloc(dim + 1, sizeof(double));
	double *trial = xcalloc(dim + 1, sizeof(double));
	double *pred = xcalloc(d->nrows, sizeof(double));
	double *vpred = job->valid ?
	    xcalloc(job->valid->nrows + 1, sizeof(double)) : NULL;
	int iter = job->resume ? job->resume_iter : 0, rc;

	f->marg = xcalloc(d->nrows, sizeof(double));

	if ((rc = logistic_start(f, theta, err)) < 0)
		goto out;
	set_theta(f, theta);
	while (iter < max_iter) {
		double loss, pen = 0, dec = 0, t = 1, inv, big = 1, move = 0;
		int accepted = 0;

		run_pass(f, d, PASS_GRAM, f->marg_ok ? f->marg : NULL);
		inv = 1 / (double)d->nrows;
		for (size_t s = 0; s < dim; s++) {
			int w = !f->intercept || s != f->nnum;

			f->g[s] = f->g[s] * inv + (w ? f->lambda * theta[s] : 0);
			pen += w ? theta[s] * theta[s] : 0;
		}
		loss = f->loss * inv + f->lambda / 2 * pen;
		if (!isfinite(loss)) {
			rc = mlp_err_set(err, MLP_EFAIL, "the logistic loss "
			    "is not finite at iteration %d", iter + 1);
			goto out;
		}
		if (factor_system(f, a, 0) < 0) {
			/* saturated probabilities can leave the bias without
			 * curvature: a small ridge keeps the step defined */
			double top = 0;

			for (size_t s = 0; s < dim; s++)
				top = fmax(top, f->H[s * dim + s] * inv);
			if (factor_system(f, a, 1e-10 * top + 1e-300) < 0) {
				rc = mlp_err_set(err, MLP_EFAIL, "the Newton "
				    "system is singular at iteration %d",
				    iter + 1);
				goto out;
			}
		}
		for (size_t s = 0; s < dim; s++)
			step[s] = -f->g[s];
		cholesky_solve(a, dim, step);
		for (size_t s = 0; s < dim; s++) {
			dec -= f->g[s] * step[s];
			big = fmax(big, fabs(theta[s]));
			move = fmax(move, fabs(step[s]));
		}
		/* near the optimum the step is the distance to it */
		if (!(move > tol * big) || !(dec > 0))
			break;
		for (int k = 0; k < 40 && !accepted; k++, t /= 2) {
			for (size_t s = 0; s < dim; s++)
				trial[s] = theta[s] + t * step[s];
			set_theta(f, trial);
			/* Armijo; near the optimum the decrease is below
			 * what the loss's rounding lets one measure */
			accepted = penalised_loss(f, trial) <=
			    loss - 1e-4 * t * dec + 1e-13 * loss;
		}
		if (!accepted) {
			set_theta(f, theta);
			break;		/* no progress left in this precision */
		}
		memcpy(theta, trial, dim * sizeof(double));
		iter++;
		if ((rc = report(f, iter, max_iter, pred, vpred, err)) < 0)
			goto out;
	}
	/* a fresh run that starts at the optimum still reports once */
	if (iter == 0 && !job->resume)
		rc = report(f, 1, max_iter, pred, vpred, err);
out:
	free(a);
	free(theta);
	free(step);
	free(trial);
	free(pred);
	free(vpred);
	free(f->marg);
	return rc;
}

static int
train(const struct mlp_train_job *job, int objective, const char *name,
    const struct mlp_param_def *defs, size_t ndefs, struct mlp_model **out,
    struct mlp_err *err)
{
	struct fit f = { 0 };
	int rc;

	*out = NULL;
	if ((rc = mlp_params_check(job->params, name, defs, ndefs, err)) < 0)
		return rc;
	f.job = job;
	f.objective = objective;
	f.lambda = mlp_params_float(job->params, defs, ndefs, "lambda");
	f.intercept = (int)mlp_params_int(job->params, defs, ndefs,
	    "fit_intercept");
	f.nthreads = mlp_train_threads(job->nthreads);
	if ((rc = check_data(&f, err)) < 0)
		return rc;

	f.m = mlp_model_new();
	f.m->kind = MLP_MODEL_LINEAR;
	f.m->objective = objective;
	f.m->origin = xstrdup("mlp");
	f.m->base_margin = xcalloc(1, sizeof(double));
	f.m->bias = xcalloc(1, sizeof(double));
	mlp_model_set_features(f.m, job->train->feat, job->train->nfeat);
	if ((rc = standardise(&f, err)) < 0)
		goto out;
	f.g = xcalloc(f.dim + 1, sizeof(double));
	f.H = xcalloc(f.dim * f.dim + 1, sizeof(double));
	rc = objective == MLP_OBJ_LOGISTIC ? fit_logistic(&f, err) :
	    fit_ridge(&f, err);
out:
	free(f.pos);
	free(f.fpos);
	free(f.g);
	free(f.H);
	if (rc < 0) {
		mlp_model_free(f.m);
		return rc;
	}
	*out = f.m;
	return 0;
}

/* What train refuses, without training. */
static int
check(const struct mlp_train_job *job, int objective, const char *name,
    const struct mlp_param_def *defs, size_t ndefs, struct mlp_err *err)
{
	struct fit f = { 0 };
	int rc;

	if ((rc = mlp_params_check(job->params, name, defs, ndefs, err)) < 0 ||
	    !job->train)
		return rc;
	f.job = job;
	f.objective = objective;
	if ((rc = check_data(&f, err)) < 0 ||
	    (rc = check_finite(job->train, err)) < 0)
		return rc;
	return job->valid ? check_finite(job->valid, err) : 0;
}

static int
check_linear(const struct mlp_train_job *job, int has_valid,
    struct mlp_err *err)
{
	(void)has_valid;
	return check(job, MLP_OBJ_SQUARED, "linear", linear_params, NLINEAR,
	    err);
}

static int
check_logistic(const struct mlp_train_job *job, int has_valid,
    struct mlp_err *err)
{
	(void)has_valid;
	return check(job, MLP_OBJ_LOGISTIC, "logistic", logistic_params,
	    NLOGISTIC, err);
}

static int
train_linear(const struct mlp_train_job *job, struct mlp_model **out,
    struct mlp_err *err)
{
	return train(job, MLP_OBJ_SQUARED, "linear", linear_params, NLINEAR,
	    out, err);
}

static int
train_logistic(const struct mlp_train_job *job, struct mlp_model **out,
    struct mlp_err *err)
{
	return train(job, MLP_OBJ_LOGISTIC, "logistic", logistic_params,
	    NLOGISTIC, out, err);
}

const struct mlp_learner mlp_learner_linear = {
	"linear",
	"ridge regression (reg:squarederror), solved in closed form",
	linear_params, NLINEAR, train_linear, check_linear,
};

const struct mlp_learner mlp_learner_logistic = {
	"logistic",
	"L2-regularised logistic regression (binary:logistic) by Newton's "
	"method",
	logistic_params, NLOGISTIC, train_logistic, check_logistic,
};

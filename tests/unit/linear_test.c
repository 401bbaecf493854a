/* Unit tests for the linear learners (lib/train/linear.c): ridge against
 * exact and hand-solved answers and scikit-learn, standardisation, one-hot
 * inputs, missing values, logistic regression against scikit-learn,
 * resume, determinism and errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/train.h"
#include "tap.h"

#define MAXF 8

/* A data set built column by column. */
struct ds {
	size_t n, nf;
	float *x[MAXF];
	float *y;
	struct mlp_column feat[MAXF];
	struct mlp_train_data d;
};

static char *level_names[] = { "a", "b", "c", "d", "e" };

static void
ds_init(struct ds *s, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->y = calloc(n, sizeof(float));
}

static float *
ds_add(struct ds *s, const char *name, size_t nlevels)
{
	struct mlp_column *c = &s->feat[s->nf];

	c->name = (char *)name;
	c->type = nlevels ? MLP_COL_CAT : MLP_COL_NUM;
	c->levels = nlevels ? level_names : NULL;
	c->nlevels = nlevels;
	s->x[s->nf] = calloc(s->n, sizeof(float));
	return s->x[s->nf++];
}

static const struct mlp_train_data *
ds_data(struct ds *s)
{
	s->d.nrows = s->n;
	s->d.nfeat = s->nf;
	s->d.x = (const float *const *)s->x;
	s->d.feat = s->feat;
	s->d.y = s->y;
	return &s->d;
}

static void
ds_free(struct ds *s)
{
	for (size_t j = 0; j < s->nf; j++)
		free(s->x[j]);
	free(s->y);
}

/* A deterministic uniform number in [0, 1): a 64-bit LCG. */
static double
uni(unsigned long long *st)
{
	*st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*st >> 11) / 9007199254740992.0;
}

/* A value in [-8, 8) that is a multiple of 1/64, exact as a float. */
static float
grid(unsigned long long *st)
{
	return (float)(floor(uni(st) * 1024) / 64 - 8);
}

/* What the callback saw. */
struct rec {
	int calls, first_iter, last_iter, last_total, usable;
	size_t nm;
	char name[8][32];
	double val[8];
	/* copies of the partial models, by iteration */
	struct mlp_model *snap[128];
	int keep, stop;
	const struct mlp_train_data *d;
};

static struct mlp_model *
copy_model(const struct mlp_model *m)
{
	struct mlp_model *c = mlp_model_new();
	size_t ns = m->nslots;

	c->kind = m->kind;
	c->objective = m->objective;
	c->nslots = ns;
	mlp_model_set_features(c, m->feat, m->nfeat);
	c->slot = malloc((m->nfeat + 1) * sizeof(*c->slot));
	memcpy(c->slot, m->slot, m->nfeat * sizeof(*c->slot));
	c->mean = malloc((ns + 1) * sizeof(double));
	c->scale = malloc((ns + 1) * sizeof(double));
	c->weight = malloc((ns + 1) * sizeof(double));
	memcpy(c->mean, m->mean, ns * sizeof(double));
	memcpy(c->scale, m->scale, ns * sizeof(double));
	memcpy(c->weight, m->weight, ns * sizeof(double));
	c->bias = malloc(sizeof(double));
	c->bias[0] = m->bias[0];
	c->base_margin = calloc(1, sizeof(double));
	return c;
}

static double
predict(const struct mlp_model *m, const struct mlp_train_data *d, size_t i)
{
	float row[MAXF];
	double out;

	for (size_t j = 0; j < d->nfeat; j++)
		row[j] = d->x[j][i];
	mlp_model_predict_row(m, row, &out);
	return out;
}

static int
on_iter(void *ud, int iter, int total, const struct mlp_metric_val *m,
    size_t nm, const struct mlp_model *partial)
{
	struct rec *r = ud;

	if (!r->calls++)
		r->first_iter = iter;
	r->last_iter = iter;
	r->last_total = total;
	r->nm = nm < 8 ? nm : 8;
	for (size_t k = 0; k < r->nm; k++) {
		snprintf(r->name[k], sizeof(r->name[k]), "%s", m[k].name);
		r->val[k] = m[k].value;
	}
	if (r->d && isfinite(predict(partial, r->d, 0)))
		r->usable++;
	if (r->keep && iter < 128)
		r->snap[iter] = copy_model(partial);
	return r->stop && iter == r->stop ? -42 : 0;
}

static void
rec_free(struct rec *r)
{
	for (int k = 0; k < 128; k++)
		mlp_model_free(r->snap[k]);
}

/* Trains with params ("k=v k=v ..."); the model in *out. */
static int
train(const struct mlp_learner *l, const struct mlp_train_data *tr,
    const struct mlp_train_data *va, const char *params, int nthreads,
    const struct mlp_model *resume, int resume_iter, struct rec *r,
    struct mlp_model **out, struct mlp_err *err)
{
	struct mlp_params p = MLP_PARAMS_INIT;
	struct mlp_train_job job = { 0 };
	char buf[256], *save = NULL;
	int rc;

	snprintf(buf, sizeof(buf), "%s", params);
	for (char *kv = strtok_r(buf, " ", &save); kv;
	    kv = strtok_r(NULL, " ", &save))
		mlp_params_parse(&p, kv, err);
	job.params = &p;
	job.train = tr;
	job.valid = va;
	job.nthreads = nthreads;
	job.resume = resume;
	job.resume_iter = resume_iter;
	job.on_iter = on_iter;
	job.ud = r;
	mlp_err_clear(err);
	rc = l->train(&job, out, err);
	mlp_params_release(&p);
	return rc;
}

static int
same_model(const struct mlp_model *a, const struct mlp_model *b)
{
	return a && b && a->nslots == b->nslots &&
	    memcmp(a->weight, b->weight, a->nslots * sizeof(double)) == 0 &&
	    memcmp(a->bias, b->bias, sizeof(double)) == 0;
}

static void
test_ridge_exact(void)
{
	struct ds s;
	struct rec r = { 0 };
	struct mlp_model *m = NULL;
	struct mlp_err err;
	unsigned long long st = 1;
	const double beta[3] = { 3, -1.5, 0.5 };
	double maxe = 0, b0, maxp = 0;
	float *x[3];

	ds_init(&s, 200);
	x[0] = ds_add(&s, "x1", 0);
	x[1] = ds_add(&s, "x2", 0);
	x[2] = ds_add(&s, "x3", 0);
	for (size_t i = 0; i < s.n; i++) {
		double y = 2;

		for (int j = 0; j < 3; j++) {
			x[j][i] = grid(&st);
			y += beta[j] * x[j][i];
		}
		s.y[i] = (float)y;	/* exact: a multiple of 1/128 */
	}
	is_int(train(&mlp_learner_linear, ds_data(&s), NULL, "lambda=0", 2,
	    NULL, 0, &r, &m, &err), 0, "ridge with lambda 0 trains");
	b0 = m->bias[0];
	for (int j = 0; j < 3; j++) {
		maxe = fmax(maxe, fabs(m->weight[j] / m->scale[j] - beta[j]));
		b0 -= m->weight[j] * m->mean[j] / m->scale[j];
	}
	ok(maxe < 1e-12 && fabs(b0 - 2) < 1e-12,
	    "noise-free data: the coefficients exactly (err %g, %g)", maxe,
	    fabs(b0 - 2));
	for (size_t i = 0; i < s.n; i++)
		maxp = fmax(maxp, fabs(predict(m, &s.d, i) - s.y[i]));
	ok(maxp < 1e-11, "noise-free data: predictions exact (err %g)", maxp);
	is_int(r.calls, 1, "one iteration reported");
	is_int(r.last_iter, 1, "as iteration 1");
	is_int(r.last_total, 1, "of 1");
	is_int(r.nm, 3, "three metrics without validation data");
	is_str(r.name[0], "train_rmse", "train_rmse first");
	is_str(r.name[2], "train_r2", "train_r2 last");
	ok(r.val[0] < 1e-11 && fabs(r.val[2] - 1) < 1e-12,
	    "rmse 0 and r2 1 on noise-free data");
	mlp_model_free(m);

	/* a tiny ridge barely moves them: shrinkage ~ lambda */
	train(&mlp_learner_linear, ds_data(&s), NULL, "lambda=1e-10", 1,
	    NULL, 0, &r, &m, &err);
	maxe = 0;
	for (int j = 0; j < 3; j++)
		maxe = fmax(maxe, fabs(m->weight[j] / m->scale[j] - beta[j]));
	ok(maxe < 1e-8, "lambda 1e-10: the coefficients within 1e-8 (%g)",
	    maxe);
	mlp_model_free(m);
	ds_free(&s);
}

static void
test_ridge_hand(void)
{
	/* z = (x - 2.5) / sqrt(1.25) for both; Z'Z/n = [1 .6; .6 1];
	 * Z'(y - 2.75)/n = [5.5, 0.5] / (4 sqrt(1.25)); with lambda 0.5
	 * solve [1.5 .6; .6 1.5] w = c, det 1.89 */
	static const float x1[] = { 1, 2, 3, 4 }, x2[] = { 2, 1, 4, 3 };
	static const float y[] = { 1, 3, 2, 5 };
	double c1 = 5.5 / (4 * sqrt(1.25)), c2 = 0.5 / (4 * sqrt(1.25));
	double w1 = (1.5 * c1 - 0.6 * c2) / 1.89;
	double w2 = (1.5 * c2 - 0.6 * c1) / 1.89;
	struct ds s;
	struct rec r = { 0 };
	struct mlp_model *m = NULL;
	struct mlp_err err;

	ds_init(&s, 4);
	memcpy(ds_add(&s, "x1", 0), x1, sizeof(x1));
	memcpy(ds_add(&s, "x2", 0), x2, sizeof(x2));
	memcpy(s.y, y, sizeof(y));
	is_int(train(&mlp_learner_linear, ds_data(&s), NULL, "lambda=0.5", 1,
	    NULL, 0, &r, &m, &err), 0, "the 2-feature case trains");
	ok(fabs(m->weight[0] - w1) < 1e-14 && fabs(m->weight[1] - w2) < 1e-14,
	    "weights as solved by hand (%.17g %.17g)", m->weight[0],
	    m->weight[1]);
	ok(fabs(m->bias[0] - 2.75) < 1e-14, "the bias is the mean of y");
	ok(m->mean[0] == 2.5 && m->mean[1] == 2.5 &&
	    fabs(m->scale[0] - sqrt(1.25)) < 1e-15,
	    "mean and population standard deviation recorded");
	mlp_model_free(m);

	/* without an intercept the margin is w.z: y is not centred */
	train(&mlp_learner_linear, ds_data(&s), NULL,
	    "lambda=0.5 fit_intercept=0", 1, NULL, 0, &r, &m, &err);
	ok(m->bias[0] == 0, "fit_intercept=0: bias 0");
	ok(fabs(m->weight[0] - w1) < 1e-14,
	    "fit_intercept=0: centred inputs give the same weights");
	mlp_model_free(m);
	ds_free(&s);
}

static void
test_scaling(void)
{
	struct ds a, b;
	struct rec r = { 0 };
	struct mlp_model *ma = NULL, *mb = NULL;
	struct mlp_err err;
	unsigned long long st = 5;
	double maxd = 0, maxw = 0;

	ds_init(&a, 150);
	ds_init(&b, 150);
	ds_add(&a, "u", 0);
	ds_add(&a, "v", 0);
	ds_add(&b, "u", 0);
	ds_add(&b, "v", 0);
	for (size_t i = 0; i < a.n; i++) {
		a.x[0][i] = grid(&st);
		a.x[1][i] = grid(&st);
		/* exact in float: a power-of-two scale and a shift */
		b.x[0][i] = a.x[0][i] * 1024 + 4096;
		b.x[1][i] = a.x[1][i] / 64 - 3;
		a.y[i] = b.y[i] = (float)(a.x[0][i] - 2 * a.x[1][i] +
		    uni(&st));
	}
	train(&mlp_learner_linear, ds_data(&a), NULL, "lambda=0.01", 2, NULL,
	    0, &r, &ma, &err);
	train(&mlp_learner_linear, ds_data(&b), NULL, "lambda=0.01", 2, NULL,
	    0, &r, &mb, &err);
	ok(fabs(mb->mean[0] - (ma->mean[0] * 1024 + 4096)) < 1e-9 &&
	    fabs(mb->scale[0] - ma->scale[0] * 1024) < 1e-9 &&
	    fabs(mb->scale[1] - ma->scale[1] / 64) < 1e-15,
	    "the standardisation follows the inputs' scale");
	for (int j = 0; j < 2; j++)
		maxw = fmax(maxw, fabs(ma->weight[j] - mb->weight[j]));
	for (size_t i = 0; i < a.n; i++)
		maxd = fmax(maxd, fabs(predict(ma, &a.d, i) -
		    predict(mb, &b.d, i)));
	ok(maxw < 1e-10 && maxd < 1e-10,
	    "weights and predictions do not depend on the inputs' scale "
	    "(%g, %g)", maxw, maxd);
	mlp_model_free(ma);
	mlp_model_free(mb);

	/* the same for logistic regression */
	for (size_t i = 0; i < a.n; i++)
		a.y[i] = b.y[i] = a.x[0][i] - a.x[1][i] + 4 * uni(&st) > 2;
	train(&mlp_learner_logistic, ds_data(&a), NULL, "lambda=0.01", 2,
	    NULL, 0, &r, &ma, &err);
	train(&mlp_learner_logistic, ds_data(&b), NULL, "lambda=0.01", 2,
	    NULL, 0, &r, &mb, &err);
	maxd = 0;
	for (size_t i = 0; i < a.n; i++)
		maxd = fmax(maxd, fabs(predict(ma, &a.d, i) -
		    predict(mb, &b.d, i)));
	ok(maxd < 1e-10, "logistic: predictions do not depend on the "
	    "inputs' scale (%g)", maxd);
	mlp_model_free(ma);
	mlp_model_free(mb);
	ds_free(&a);
	ds_free(&b);
}

static void
test_categorical(void)
{
	static const double eff[3] = { 1, -2, 0.5 };
	struct ds s;
	struct rec r = { 0 };
	struct mlp_model *m = NULL;
	struct mlp_err err;
	unsigned long long st = 9;
	double maxp = 0;
	float *x, *c;

	ds_init(&s, 90);
	x = ds_add(&s, "x", 0);
	c = ds_add(&s, "colour", 4);	/* level "d" never occurs */
	for (size_t i = 0; i < s.n; i++) {
		x[i] = grid(&st);
		c[i] = (float)(i % 3);
		s.y[i] = (float)(eff[i % 3] + 0.25 * x[i]);
	}
	is_int(train(&mlp_learner_linear, ds_data(&s), NULL, "lambda=1e-9",
	    1, NULL, 0, &r, &m, &err), 0, "categorical input trains");
	is_int(m->nslots, 5, "one slot for x, four for the levels");
	ok(m->slot[0] == 0 && m->slot[1] == 1, "slot[] gives first slots");
	ok(m->mean[1] == 0 && m->scale[1] == 1 && m->mean[4] == 0 &&
	    m->scale[4] == 1, "categorical slots: mean 0, scale 1");
	ok(m->weight[4] == 0, "a level no row has: weight 0");
	for (size_t i = 0; i < s.n; i++)
		maxp = fmax(maxp, fabs(predict(m, &s.d, i) - s.y[i]));
	ok(maxp < 1e-6, "one-hot levels fit their effects (err %g)", maxp);
	ok(fabs((m->weight[2] - m->weight[1]) - (eff[1] - eff[0])) < 1e-6,
	    "level differences are the effects' differences");
	mlp_model_free(m);

	/* with no missing level the one-hot slots add up to the intercept */
	ok(train(&mlp_learner_linear, ds_data(&s), NULL, "lambda=0", 1,
	    NULL, 0, &r, &m, &err) == MLP_EINVAL &&
	    strstr(err.msg, "set lambda > 0"),
	    "lambda 0 with collinear one-hot inputs: an error (%s)", err.msg);
	ok(!m, "no model on error");
	ds_free(&s);
}

static void
test_missing_constant(void)
{
	struct ds s;
	struct rec r = { 0 };
	struct mlp_model *m = NULL;
	struct mlp_err err;
	unsigned long long st = 11;
	double sum = 0, ss = 0, cnt = 0, mean, want;
	float *x, *k, *none, *c, row[4];

	ds_init(&s, 60);
	x = ds_add(&s, "x", 0);
	k = ds_add(&s, "k", 0);
	none = ds_add(&s, "none", 0);
	c = ds_add(&s, "c", 2);
	for (size_t i = 0; i < s.n; i++) {
		x[i] = i % 7 == 3 ? NAN : grid(&st);
		k[i] = 3.5f;
		none[i] = NAN;
		c[i] = i % 5 == 0 ? NAN : (float)(i % 2);
		s.y[i] = (float)(isnan(x[i]) ? 1 : x[i]) +
		    (float)uni(&st);
		if (!isnan(x[i])) {
			sum += x[i];
			cnt++;
		}
	}
	mean = sum / cnt;
	for (size_t i = 0; i < s.n; i++)
		if (!isnan(x[i]))
			ss += (x[i] - mean) * (x[i] - mean);
	is_int(train(&mlp_learner_linear, ds_data(&s), NULL, "lambda=0", 2,
	    NULL, 0, &r, &m, &err), 0,
	    "missing values and constant features train with lambda 0 (%s)",
	    err.msg);
	ok(fabs(m->mean[0] - mean) < 1e-14 &&
	    fabs(m->scale[0] - sqrt(ss / cnt)) < 1e-14,
	    "mean and scale over the present values");
	ok(m->mean[1] == 3.5 && m->scale[1] == 1 && m->weight[1] == 0,
	    "a constant feature: its value as mean, scale 1, weight 0");
	ok(m->mean[2] == 0 && m->scale[2] == 1 && m->weight[2] == 0,
	    "a feature missing everywhere: mean 0, scale 1, weight 0");
	row[0] = NAN;
	row[1] = 100;
	row[2] = 7;
	row[3] = NAN;
	mlp_model_predict_row(m, row, &want);
	ok(want == m->bias[0], "a row missing x and c predicts the bias");
	row[3] = 1;
	mlp_model_predict_row(m, row, &want);
	ok(fabs(want - (m->bias[0] + m->weight[4])) < 1e-15,
	    "a present level adds its weight alone");
	mlp_model_free(m);

	/* an infinity is not a value */
	x[4] = INFINITY;
	ok(train(&mlp_learner_linear, ds_data(&s), NULL, "", 1, NULL, 0, &r,
	    &m, &err) == MLP_EINVAL, "an infinite input is an error");
	is_str(err.msg, "row 5: feature 'x' is inf, not a finite number",
	    "naming feature and row");
	ds_free(&s);
}

/* A fixed data set and reference solutions computed by scikit-learn 1.2.1
 * (tests/unit/linear_ref.py): z = (x - mean) / std over the present values,
 * 0 when missing, c one-hot; LogisticRegression(C = 1 / (lambda n),
 * solver="newton-cg", tol=1e-14) and Ridge(alpha = lambda n) on z with
 * lambda = 0.01, n = 80. */
static const float ref_x1[] = { 0.0, 0.453125, -0.40625, -1.328125, -0.6875, -1.484375, 0.09375, 2.015625, -0.734375, -0.9375, 0.734375, 0.53125, 0.15625, -1.390625, -0.046875, 1.046875, -2.015625, -0.6875, -2.859375, -1.9375, -2.765625, -0.359375, -1.90625, 0.40625, 0.234375, -0.28125, -3.78125, -0.8125, -0.078125, 0.171875, -2.296875, -0.71875, -1.46875, -1.21875, 1.59375, -1.21875, -0.046875, 1.328125, -0.875, -0.171875, 0.171875, 0.09375, -1.84375, 0.109375, 2.03125, -2.328125, 1.296875, 0.171875, -0.96875, 3.0, 1.140625, -1.796875, 0.109375, 0.859375, -0.28125, 1.03125, -0.09375, 1.0, 2.15625, -1.015625, 0.3125, -0.6875, 0.1875, -1.78125, -0.875, -0.296875, 1.34375, 1.71875, -1.984375, -1.1875, 0.96875, -2.984375, -0.6875, -0.140625, 1.890625, 1.03125, -0.484375, -0.546875, -0.375, 2.28125 };
static const float ref_x2[] = { 9.28125, 5.515625, 1.8125, NAN, 6.421875, 5.703125, 3.765625, 4.109375, 2.390625, 0.375, 8.765625, 4.671875, 5.46875, 3.21875, 7.515625, 0.25, 3.71875, NAN, 1.234375, 9.671875, 6.578125, 4.28125, 5.234375, 8.734375, 3.4375, 5.90625, 6.84375, 3.546875, 5.1875, 7.65625, 9.09375, 1.515625, 9.328125, 0.046875, 7.53125, 8.109375, 1.375, 4.1875, 8.15625, 0.140625, 6.28125, 7.9375, NAN, 7.265625, 2.265625, 1.984375, 3.625, 1.796875, 3.453125, 9.484375, 5.734375, 3.40625, 2.71875, 9.515625, 4.4375, 9.796875, 5.15625, 5.21875, 8.96875, 7.421875, 5.8125, 4.265625, 8.78125, 4.109375, 9.234375, 0.6875, 4.296875, 5.1875, 9.515625, 2.515625, 8.0625, 6.765625, 7.171875, 6.296875, 9.71875, 3.328125, 3.984375, 2.03125, 0.5, 2.125 };
static const float ref_c[] = { 0.0, 2.0, 2.0, 2.0, 1.0, NAN, 2.0, 1.0, 2.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 2.0, 2.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 2.0, 0.0, 2.0, 1.0, 0.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 0.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 2.0, 2.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 2.0, 0.0, NAN, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 1.0, 0.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0 };
static const float ref_y[] = { 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0 };
static const float ref_yr[] = { -4.953125, -1.71875, -1.75, -5.109375, -3.125, -4.953125, -1.78125, 4.578125, -2.5, -0.0625, -1.15625, 0.453125, -0.609375, -3.296875, -1.0625, 3.453125, -4.4375, -3.546875, -6.28125, -6.609375, -7.953125, -0.96875, -4.40625, -0.796875, 0.03125, -2.546875, -11.28125, -2.71875, -1.953125, -1.234375, -8.109375, -2.375, -8.15625, -2.5, -0.140625, -6.6875, -0.890625, 1.453125, -5.765625, -1.203125, -2.921875, -4.203125, -5.75, -3.796875, 3.21875, -2.890625, 0.625, -0.859375, -2.5625, 2.25, -0.078125, -4.0625, 1.859375, -2.171875, -1.875, -2.359375, -2.609375, -0.234375, -0.71875, -4.109375, -1.734375, -0.96875, -2.25, -4.484375, -5.09375, 2.03125, 1.4375, 1.546875, -8.40625, -3.609375, -0.359375, -7.875, -3.4375, -2.859375, 0.671875, 0.546875, -3.0625, -0.0, 1.140625, 3.34375 };
static const double sk_logit_w[5] = { 1.5512276356593793,
	-0.36436379222277593, -0.1381626752749283, 0.6114088607494125,
	-0.05036693095274522 };
static const double sk_logit_b = -1.4931032528142845;
/* newton-cg stops with a gradient of 1e-11: five exact Newton steps in
 * numpy from its answer move it by 1.1e-9, to */
static const double np_logit_w[5] = { 1.5512276358957762,
	-0.36436379242770206, -0.138162674220704, 0.611408861619152,
	-0.05036693014448442 };
static const double np_logit_b = -1.4931032539188602;
static const double sk_ridge_w[5] = { 2.6172239694166786,
	-1.450965388855839, 0.1311513725577467, 1.2235063992720627,
	-0.9065173961370673 };
static const double sk_ridge_b = -2.253632431661827;
#define NREF (sizeof(ref_y) / sizeof(*ref_y))

static void
ref_data(struct ds *s, const float *y)
{
	ds_init(s, NREF);
	memcpy(ds_add(s, "x1", 0), ref_x1, sizeof(ref_x1));
	memcpy(ds_add(s, "x2", 0), ref_x2, sizeof(ref_x2));
	memcpy(ds_add(s, "c", 3), ref_c, sizeof(ref_c));
	memcpy(s->y, y, sizeof(ref_y));
	ds_data(s);
}

static void
test_sklearn(void)
{
	struct ds s;
	struct rec r = { 0 };
	struct mlp_model *m = NULL;
	struct mlp_err err;
	double maxe;

	ref_data(&s, ref_y);
	is_int(train(&mlp_learner_logistic, &s.d, NULL, "lambda=0.01", 2,
	    NULL, 0, &r, &m, &err), 0, "logistic trains on the reference set");
	ok(fabs(m->mean[0] - -0.2650390625) < 1e-15 &&
	    fabs(m->scale[1] - 2.8225553053822927) < 1e-14,
	    "the standardisation numpy computed");
	maxe = fabs(m->bias[0] - sk_logit_b);
	for (int k = 0; k < 5; k++)
		maxe = fmax(maxe, fabs(m->weight[k] - sk_logit_w[k]));
	ok(maxe < 1e-8, "logistic: scikit-learn's coefficients within 1e-8 "
	    "(%g)", maxe);
	ok(r.calls >= 3 && r.calls < 15, "Newton converges in a few "
	    "iterations (%d)", r.calls);
	mlp_model_free(m);
	train(&mlp_learner_logistic, &s.d, NULL, "lambda=0.01 tol=1e-13", 2,
	    NULL, 0, &r, &m, &err);
	maxe = fabs(m->bias[0] - np_logit_b);
	for (int k = 0; k < 5; k++)
		maxe = fmax(maxe, fabs(m->weight[k] - np_logit_w[k]));
	ok(maxe < 1e-13, "tol 1e-13: the polished optimum within 1e-13 (%g)",
	    maxe);
	mlp_model_free(m);

	ds_free(&s);
	ref_data(&s, ref_yr);
	train(&mlp_learner_linear, &s.d, NULL, "lambda=0.01", 2, NULL, 0, &r,
	    &m, &err);
	maxe = fabs(m->bias[0] - sk_ridge_b);
	for (int k = 0; k < 5; k++)
		maxe = fmax(maxe, fabs(m->weight[k] - sk_ridge_w[k]));
	ok(maxe < 1e-12, "ridge: scikit-learn's coefficients within 1e-12 "
	    "(%g)", maxe);
	mlp_model_free(m);
	ds_free(&s);
}

/* n rows: y = [x1 + (x2 - 100) / 10 + noise > 0]; without noise the
 * classes are separated by a gap */
static void
blob_data(struct ds *s, size_t n, unsigned long long seed, double noise)
{
	unsigned long long st = seed;

	ds_init(s, n);
	ds_add(s, "x1", 0);
	ds_add(s, "x2", 0);
	ds_add(s, "c", 3);
	for (size_t i = 0; i < n; i++) {
		s->x[0][i] = grid(&st);
		s->x[1][i] = grid(&st) * 10 + 100;
		s->x[2][i] = (float)(i % 3);
		s->y[i] = s->x[0][i] + (s->x[1][i] - 100) / 10 +
		    noise * (uni(&st) - 0.5) > 0;
		if (noise == 0)		/* a gap between the classes */
			s->x[0][i] += s->y[i] ? 1 : -1;
	}
	ds_data(s);
}

static void
test_logistic_auc(void)
{
	struct ds tr, va, sep;
	struct rec r = { 0 };
	struct mlp_model *m = NULL;
	struct mlp_err err;

	blob_data(&tr, 2000, 21, 4);
	blob_data(&va, 500, 22, 4);
	r.d = &tr.d;
	is_int(train(&mlp_learner_logistic, &tr.d, &va.d, "", 2, NULL, 0, &r,
	    &m, &err), 0, "logistic with validation data trains");
	is_int(r.first_iter, 1, "iterations from 1");
	is_int(r.last_total, 100, "of max_iter");
	is_int(r.usable, r.calls, "every partial model predicts");
	is_int(r.nm, 6, "three metrics on each set");
	is_str(r.name[0], "train_logloss", "train_logloss first");
	is_str(r.name[1], "train_auc", "then train_auc");
	is_str(r.name[4], "valid_auc", "valid_auc");
	ok(r.val[1] > 0.95 && r.val[4] > 0.95 && r.val[5] > 0.85,
	    "good AUC and accuracy (train auc %.4f, valid auc %.4f, "
	    "accuracy %.4f)", r.val[1], r.val[4], r.val[5]);
	mlp_model_free(m);

	/* separable: only the penalty keeps the weights finite */
	blob_data(&sep, 1000, 23, 0);
	memset(&r, 0, sizeof(r));
	is_int(train(&mlp_learner_logistic, &sep.d, NULL, "lambda=1e-4", 1,
	    NULL, 0, &r, &m, &err), 0, "separable data train");
	ok(r.last_iter < 100 && isfinite(m->weight[0]),
	    "and converge (%d iterations, w %g)", r.last_iter, m->weight[0]);
	ok(r.val[1] == 1 && r.val[2] == 1, "AUC and accuracy 1 (%.6f %.6f)",
	    r.val[1], r.val[2]);
	mlp_model_free(m);
	ds_free(&tr);
	ds_free(&va);
	ds_free(&sep);
}

static void
test_resume(void)
{
	struct ds s;
	struct rec full = { 0 };
	struct mlp_model *m = NULL;
	struct mlp_err err;
	int n, bad = 0, calls_ok = 1;

	blob_data(&s, 3000, 31, 3);
	full.keep = 1;
	train(&mlp_learner_logistic, &s.d, NULL, "lambda=1e-3", 2, NULL, 0,
	    &full, &m, &err);
	n = full.last_iter;
	ok(n >= 4, "an uninterrupted run of %d iterations", n);
	ok(same_model(m, full.snap[n]), "its model is the last partial one");
	for (int k = 1; k <= n; k++) {
		struct rec r = { 0 };
		struct mlp_model *mr = NULL;

		train(&mlp_learner_logistic, &s.d, NULL, "lambda=1e-3", 2,
		    full.snap[k], k, &r, &mr, &err);
		bad += !same_model(m, mr);
		if (k < n && (r.first_iter != k + 1 || r.last_iter != n))
			calls_ok = 0;
		if (k == n && r.calls != 0)
			calls_ok = 0;
		mlp_model_free(mr);
	}
	is_int(bad, 0, "resumed from each iteration: bit-identical models");
	ok(calls_ok, "resumed runs report the remaining iterations only");
	mlp_model_free(m);

	/* a checkpoint of other data */
	rec_free(&full);
	memset(&full, 0, sizeof(full));
	full.keep = 1;
	train(&mlp_learner_logistic, &s.d, NULL, "", 1, NULL, 0, &full, &m,
	    &err);
	mlp_model_free(m);
	s.x[0][0] += 1;
	ok(train(&mlp_learner_logistic, &s.d, NULL, "", 1, full.snap[1], 1,
	    &full, &m, &err) == MLP_EINVAL && strstr(err.msg, "'x1'"),
	    "a checkpoint of other data: %s", err.msg);
	rec_free(&full);
	ds_free(&s);
}

static void
test_determinism(void)
{
	struct ds s;
	struct rec r = { 0 };
	struct mlp_model *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	struct mlp_err err;
	double maxd = 0;

	blob_data(&s, 5000, 41, 3);
	train(&mlp_learner_logistic, &s.d, NULL, "", 3, NULL, 0, &r, &a, &err);
	train(&mlp_learner_logistic, &s.d, NULL, "", 3, NULL, 0, &r, &b, &err);
	train(&mlp_learner_logistic, &s.d, NULL, "", 1, NULL, 0, &r, &c, &err);
	ok(same_model(a, b), "logistic: the same threads, the same bits");
	for (size_t k = 0; k < a->nslots; k++)
		maxd = fmax(maxd, fabs(a->weight[k] - c->weight[k]));
	ok(maxd < 1e-9, "1 and 3 threads agree to rounding (%g)", maxd);
	mlp_model_free(a);
	mlp_model_free(b);
	mlp_model_free(c);
	train(&mlp_learner_linear, &s.d, NULL, "", 3, NULL, 0, &r, &a, &err);
	train(&mlp_learner_linear, &s.d, NULL, "", 3, NULL, 0, &r, &b, &err);
	train(&mlp_learner_linear, &s.d, NULL, "", 0, NULL, 0, &r, &d, &err);
	ok(same_model(a, b) && d, "linear: the same threads, the same bits");
	mlp_model_free(a);
	mlp_model_free(b);
	mlp_model_free(d);
	ds_free(&s);
}

/* z of row i for the model's slots, as model.h defines it */
static void
z_row(const struct mlp_model *m, const struct mlp_train_data *d, size_t i,
    double *z)
{
	memset(z, 0, m->nslots * sizeof(double));
	for (size_t j = 0; j < d->nfeat; j++) {
		float x = d->x[j][i];
		size_t k = m->slot[j];

		if (isnan(x))
			continue;
		if (d->feat[j].type == MLP_COL_NUM)
			z[k] = (x - m->mean[k]) / m->scale[k];
		else
			z[k + (size_t)x] = 1;
	}
}

/* Solves a x = b (n x n, partial pivoting); a and b are overwritten. */
static void
gauss(double *a, double *b, size_t n)
{
	for (size_t c = 0; c < n; c++) {
		size_t p = c;
		double t;

		for (size_t r = c + 1; r < n; r++)
			if (fabs(a[r * n + c]) > fabs(a[p * n + c]))
				p = r;
		for (size_t k = 0; k < n; k++) {
			t = a[c * n + k];
			a[c * n + k] = a[p * n + k];
			a[p * n + k] = t;
		}
		t = b[c];
		b[c] = b[p];
		b[p] = t;
		for (size_t r = c + 1; r < n; r++) {
			double f = a[r * n + c] / a[c * n + c];

			for (size_t k = c; k < n; k++)
				a[r * n + k] -= f * a[c * n + k];
			b[r] -= f * b[c];
		}
	}
	for (size_t c = n; c-- > 0;) {
		for (size_t k = c + 1; k < n; k++)
			b[c] -= a[c * n + k] * b[k];
		b[c] /= a[c * n + c];
	}
}

/* The blocked, threaded passes against a plain computation: an odd number
 * of rows, missing values, two categorical features (one level unused)
 * between numeric ones, a constant feature. */
static void
test_naive(void)
{
	enum { N = 1003, D = 11 };	/* slots: 1 + 3 + 1 + 5 + 1 */
	struct ds s;
	struct rec r = { 0 };
	struct mlp_model *m = NULL;
	struct mlp_err err;
	unsigned long long st = 61;
	static double a[(D + 1) * (D + 1)], b[D + 1], z[D], g[D + 1];
	double maxe = 0, lambda = 0.05;

	ds_init(&s, N);
	ds_add(&s, "x1", 0);
	ds_add(&s, "c1", 3);
	ds_add(&s, "x2", 0);
	ds_add(&s, "c2", 5);
	ds_add(&s, "k", 0);
	for (size_t i = 0; i < N; i++) {
		s.x[0][i] = i % 11 == 0 ? NAN : grid(&st);
		s.x[1][i] = i % 13 == 0 ? NAN : (float)(i % 3);
		s.x[2][i] = grid(&st) * 100;
		s.x[3][i] = i % 17 == 0 ? NAN : (float)((i * 7) % 4);
		s.x[4][i] = 2;
		s.y[i] = (float)(s.x[2][i] / 100 - (i % 3) + uni(&st));
	}
	ds_data(&s);
	is_int(train(&mlp_learner_linear, &s.d, NULL, "lambda=0.05", 3, NULL,
	    0, &r, &m, &err), 0, "ridge on mixed inputs trains");
	is_int(m->nslots, D, "slots: 1 + 3 + 1 + 5 + 1");
	/* (Z1'Z1 / n + lambda I on the weights) [w b] = Z1'y / n */
	for (size_t i = 0; i < N; i++) {
		z_row(m, &s.d, i, z);
		for (size_t u = 0; u <= D; u++) {
			double zu = u < D ? z[u] : 1;

			for (size_t v = 0; v <= D; v++)
				a[u * (D + 1) + v] += zu * (v < D ? z[v] : 1) / N;
			b[u] += zu * s.y[i] / N;
		}
	}
	for (size_t u = 0; u < D; u++) {
		a[u * (D + 1) + u] += lambda;
		/* an input that is always 0 has weight 0 */
		if (a[u * (D + 1) + u] == lambda) {
			memset(a + u * (D + 1), 0, (D + 1) * sizeof(double));
			a[u * (D + 1) + u] = 1;
			b[u] = 0;
		}
	}
	gauss(a, b, D + 1);
	for (size_t u = 0; u < D; u++)
		maxe = fmax(maxe, fabs(m->weight[u] - b[u]));
	maxe = fmax(maxe, fabs(m->bias[0] - b[D]));
	ok(maxe < 1e-12, "ridge: the plain normal equations' solution "
	    "(%g)", maxe);
	ok(m->weight[9] == 0 && m->weight[10] == 0,
	    "an unused level and a constant: weight 0");
	mlp_model_free(m);

	/* logistic: the penalised gradient vanishes at the answer */
	for (size_t i = 0; i < N; i++)
		s.y[i] = s.x[2][i] / 100 - (float)(i % 3) + 4 * uni(&st) > 0;
	is_int(train(&mlp_learner_logistic, &s.d, NULL, "lambda=0.05", 3,
	    NULL, 0, &r, &m, &err), 0, "logistic on mixed inputs trains");
	for (size_t i = 0; i < N; i++) {
		double t;

		z_row(m, &s.d, i, z);
		t = m->bias[0];
		for (size_t u = 0; u < D; u++)
			t += m->weight[u] * z[u];
		t = 1 / (1 + exp(-t)) - s.y[i];
		for (size_t u = 0; u < D; u++)
			g[u] += t * z[u] / N;
		g[D] += t / N;
	}
	maxe = 0;
	for (size_t u = 0; u <= D; u++)
		maxe = fmax(maxe, fabs(g[u] + (u < D ? lambda * m->weight[u] :
		    0)));
	ok(maxe < 1e-12, "logistic: the gradient computed plainly is 0 "
	    "(%g)", maxe);
	mlp_model_free(m);
	ds_free(&s);
}

static int
fails(const struct mlp_learner *l, const struct mlp_train_data *tr,
    const struct mlp_train_data *va, const char *params, const char *msg)
{
	struct rec r = { 0 };
	struct mlp_model *m = NULL;
	struct mlp_err err;
	int rc = train(l, tr, va, params, 1, NULL, 0, &r, &m, &err);

	if (rc == MLP_EINVAL && !m && strcmp(err.msg, msg) == 0)
		return 1;
	printf("#   rc %d, got: %s\n", rc, err.msg);
	mlp_model_free(m);
	return 0;
}

static void
test_errors(void)
{
	struct ds s, v;
	struct rec r = { 0 };
	struct mlp_model *m = NULL;
	struct mlp_err err;

	blob_data(&s, 50, 51, 1);
	blob_data(&v, 20, 52, 1);
	ok(fails(&mlp_learner_logistic, &s.d, NULL, "alpha=1",
	    "unknown parameter 'alpha' for logistic (valid: lambda, "
	    "max_iter, tol, fit_intercept)"), "an unknown parameter");
	ok(fails(&mlp_learner_linear, &s.d, NULL, "max_iter=3",
	    "unknown parameter 'max_iter' for linear (valid: lambda, "
	    "fit_intercept)"), "linear has no max_iter");
	ok(fails(&mlp_learner_logistic, &s.d, NULL, "lambda=0",
	    "parameter 'lambda': 0 is out of range (0, inf)"),
	    "logistic needs lambda > 0");
	ok(fails(&mlp_learner_linear, &s.d, NULL, "lambda=-1",
	    "parameter 'lambda': -1 is out of range [0, inf)"),
	    "a negative lambda");
	ok(fails(&mlp_learner_logistic, &s.d, NULL, "max_iter=0",
	    "parameter 'max_iter': 0 is out of range [1, 10000]"),
	    "max_iter 0");
	ok(fails(&mlp_learner_logistic, &s.d, NULL, "tol=1",
	    "parameter 'tol': 1 is out of range [0, 1)"), "tol 1");
	ok(fails(&mlp_learner_linear, &s.d, NULL, "fit_intercept=yes",
	    "parameter 'fit_intercept': 'yes' is not an integer"),
	    "fit_intercept is 0 or 1");

	v.y[3] = 0.5f;
	ok(fails(&mlp_learner_logistic, &s.d, &v.d, "",
	    "row 4: label 0.5 is not 0 or 1 (binary:logistic)"),
	    "a validation label that is not 0 or 1");
	ok(train(&mlp_learner_linear, &s.d, &v.d, "", 1, NULL, 0, &r, &m,
	    &err) == 0, "any finite label does for linear");
	mlp_model_free(m);
	s.y[4] = 2;
	ok(fails(&mlp_learner_logistic, &s.d, NULL, "",
	    "row 5: label 2 is not 0 or 1 (binary:logistic)"),
	    "a label that is not 0 or 1");
	s.y[4] = NAN;
	ok(fails(&mlp_learner_linear, &s.d, NULL, "",
	    "row 5: label nan is not a finite number"), "a NaN label");
	for (size_t i = 0; i < s.n; i++)
		s.y[i] = 1;
	ok(fails(&mlp_learner_logistic, &s.d, NULL, "",
	    "every training label is 1: binary:logistic needs both classes"),
	    "one class");
	s.d.nrows = 0;
	ok(fails(&mlp_learner_linear, &s.d, NULL, "", "no training rows"),
	    "no rows");
	ds_free(&s);
	ds_free(&v);

	/* a negative callback return stops training with that code */
	blob_data(&s, 500, 53, 3);
	r.stop = 2;
	is_int(train(&mlp_learner_logistic, &s.d, NULL, "", 1, NULL, 0, &r,
	    &m, &err), -42, "the callback's error stops training");
	ok(!m && r.last_iter == 2, "after the iteration it was called for");
	ds_free(&s);
}

int
main(void)
{
	test_ridge_exact();
	test_ridge_hand();
	test_scaling();
	test_categorical();
	test_missing_constant();
	test_sklearn();
	test_naive();
	test_logistic_auc();
	test_resume();
	test_determinism();
	test_errors();
	return tap_done();
}

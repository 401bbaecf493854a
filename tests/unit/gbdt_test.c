/* Unit tests for the gbdt learner: binning, split search against
 * hand-computed gains, missing values, every objective, early stopping,
 * determinism, resume, parameter and label errors, categorical features. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/gbdt-internal.h"
#include "train/train.h"
#include "tap.h"

#define near(got, want, eps, ...) do { \
	double g__ = (got), w__ = (want); \
	ok(fabs(g__ - w__) < (eps), __VA_ARGS__); \
	if (!(fabs(g__ - w__) < (eps))) \
		printf("#   got: %.17g, want: %.17g\n", g__, w__); \
} while (0)

/* ---- data ---- */

static uint64_t rng_state;

static double
urand(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

static double
nrand(void)
{
	double u = urand() + 1e-300, v = urand();

	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

struct ds {
	struct mlp_train_data d;
	float **x;
	float *y;
	struct mlp_column *col;
};

static void
ds_alloc(struct ds *s, size_t n, size_t nf)
{
	static char *names[] = { "a", "b", "c", "d", "e", "f", "g", "h" };

	memset(s, 0, sizeof(*s));
	s->x = calloc(nf, sizeof(*s->x));
	s->col = calloc(nf, sizeof(*s->col));
	for (size_t j = 0; j < nf; j++) {
		s->x[j] = calloc(n, sizeof(float));
		s->col[j].name = names[j % 8];
	}
	s->y = calloc(n, sizeof(float));
	s->d.nrows = n;
	s->d.nfeat = nf;
	s->d.x = (const float *const *)s->x;
	s->d.feat = s->col;
	s->d.y = s->y;
}

static void
ds_free(struct ds *s)
{
	for (size_t j = 0; j < s->d.nfeat; j++)
		free(s->x[j]);
	free(s->x);
	free(s->col);
	free(s->y);
}

/* kind 0: binary y = [x0 + x1 + noise > 0]; 1: regression sin(2 x0) +
 * x1^2; 2: three classes by the sign pattern of x0, x1 (with x2 noise) */
static void
ds_make(struct ds *s, size_t n, size_t nf, int kind, uint64_t seed)
{
	rng_state = seed;
	ds_alloc(s, n, nf);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < nf; j++)
			s->x[j][i] = (float)nrand();
		if (kind == 0)
			s->y[i] = s->x[0][i] + s->x[1][i] + 0.3 * nrand() > 0;
		else if (kind == 1)
			s->y[i] = (float)(sin(2 * s->x[0][i]) +
			    s->x[1][i] * s->x[1][i] + 0.1 * nrand());
		else
			s->y[i] = s->x[0][i] < -0.5 ? 0 :
			    s->x[1][i] < 0.3 ? 1 : 2;
	}
}

/* ---- training ---- */

struct rec {
	int calls, last;
	double first[8], final[8];
	char names[8][32];
	size_t nm;
	int stop_at;		/* the iteration to copy the model at */
	struct mlp_model *copy;
	double *vals;		/* first metric of valid per iteration */
};

static struct mlp_model *
model_copy(const struct mlp_model *m)
{
	struct mlp_model *c = mlp_model_new();
	size_t nn = m->nnodes ? m->nnodes : 1, nt = m->ntrees ? m->ntrees : 1;

	c->kind = m->kind;
	c->objective = m->objective;
	c->num_class = m->num_class;
	c->ngroup = m->ngroup;
	c->nout = m->nout;
	mlp_model_set_features(c, m->feat, m->nfeat);
	c->base_margin = malloc((size_t)m->ngroup * sizeof(double));
	memcpy(c->base_margin, m->base_margin,
	    (size_t)m->ngroup * sizeof(double));
	c->ntrees = m->ntrees;
	c->nnodes = m->nnodes;
	c->tree_root = malloc(nt * sizeof(*c->tree_root));
	c->tree_group = malloc(nt * sizeof(*c->tree_group));
	c->split_feat = malloc(nn * sizeof(*c->split_feat));
	c->split_value = malloc(nn * sizeof(*c->split_value));
	c->left = malloc(nn * sizeof(*c->left));
	c->default_left = malloc(nn * sizeof(*c->default_left));
	memcpy(c->tree_root, m->tree_root, m->ntrees * sizeof(*c->tree_root));
	memcpy(c->tree_group, m->tree_group,
	    m->ntrees * sizeof(*c->tree_group));
	memcpy(c->split_feat, m->split_feat,
	    m->nnodes * sizeof(*c->split_feat));
	memcpy(c->split_value, m->split_value,
	    m->nnodes * sizeof(*c->split_value));
	memcpy(c->left, m->left, m->nnodes * sizeof(*c->left));
	memcpy(c->default_left, m->default_left,
	    m->nnodes * sizeof(*c->default_left));
	c->best_iteration = m->best_iteration;
	c->best_score = m->best_score;
	return c;
}

static int
same_model(const struct mlp_model *a, const struct mlp_model *b)
{
	return a->ntrees == b->ntrees && a->nnodes == b->nnodes &&
	    a->ngroup == b->ngroup &&
	    memcmp(a->base_margin, b->base_margin,
	    (size_t)a->ngroup * sizeof(double)) == 0 &&
	    memcmp(a->tree_root, b->tree_root,
	    a->ntrees * sizeof(*a->tree_root)) == 0 &&
	    memcmp(a->tree_group, b->tree_group,
	    a->ntrees * sizeof(*a->tree_group)) == 0 &&
	    memcmp(a->split_feat, b->split_feat,
	    a->nnodes * sizeof(*a->split_feat)) == 0 &&
	    memcmp(a->split_value, b->split_value,
	    a->nnodes * sizeof(*a->split_value)) == 0 &&
	    memcmp(a->left, b->left, a->nnodes * sizeof(*a->left)) == 0 &&
	    memcmp(a->default_left, b->default_left,
	    a->nnodes * sizeof(*a->default_left)) == 0 &&
	    a->best_iteration == b->best_iteration &&
	    (a->best_iteration == 0 || a->best_score == b->best_score);
}

static int
on_iter(void *ud, int iter, int total, const struct mlp_metric_val *m,
    size_t nm, const struct mlp_model *partial)
{
	struct rec *r = ud;

	r->calls++;
	r->last = iter;
	r->nm = nm < 8 ? nm : 8;
	for (size_t i = 0; i < r->nm; i++) {
		if (iter == 1 || r->calls == 1)
			r->first[i] = m[i].value;
		r->final[i] = m[i].value;
		snprintf(r->names[i], sizeof(r->names[i]), "%s", m[i].name);
	}
	if (r->vals)
		r->vals[iter] = m[nm / 2].value;
	if (iter == r->stop_at && !r->copy)
		r->copy = model_copy(partial);
	return 0;
}

/* Trains with "K=V" parameters (NULL-terminated); returns the rc. */
static int
train(const struct ds *tr, const struct ds *va, int threads,
    const struct mlp_model *resume, int resume_iter, struct rec *rec,
    struct mlp_model **out, struct mlp_err *err, ...)
{
	struct mlp_params p = MLP_PARAMS_INIT;
	struct mlp_train_job job;
	const char *kv;
	va_list ap;
	int rc;

	va_start(ap, err);
	while ((kv = va_arg(ap, const char *)))
		mlp_params_parse(&p, kv, err);
	va_end(ap);
	memset(&job, 0, sizeof(job));
	job.params = &p;
	job.train = &tr->d;
	job.valid = va ? &va->d : NULL;
	job.nthreads = threads;
	job.resume = resume;
	job.resume_iter = resume_iter;
	job.on_iter = on_iter;
	job.ud = rec;
	mlp_err_clear(err);
	rc = mlp_learner_gbdt.train(&job, out, err);
	mlp_params_release(&p);
	return rc;
}

static double
metric_named(const struct rec *r, const char *name)
{
	for (size_t i = 0; i < r->nm; i++)
		if (strcmp(r->names[i], name) == 0)
			return r->final[i];
	return NAN;
}

/* ---- binning ---- */

static void
test_cuts(void)
{
	enum { N = 1000 };
	static float x[N];
	static uint32_t keys[N], tmp[N];
	float thr[GB_MAX_BIN + 1];
	int miss, nb, okp = 1;

	for (int i = 0; i < N; i++)
		x[i] = (float)((i * 7919) % N);	/* 0 .. 999 shuffled */
	nb = gb_cuts(x, N, 4, keys, tmp, thr, &miss);
	is_int(nb, 4, "1000 distinct values in 4 bins");
	ok(thr[1] == 249.5f && thr[2] == 499.5f && thr[3] == 749.5f,
	    "quantile thresholds at midpoints (%g %g %g)", thr[1], thr[2],
	    thr[3]);
	ok(thr[0] == 0 && thr[4] > 999 && thr[4] < 999.001f,
	    "outer thresholds: the least value and just above the largest");
	is_int(miss, 0, "no missing values");

	for (int i = 0; i < N; i++)
		x[i] = i % 3 == 0 ? 1 : i % 3 == 1 ? 2 : 5;
	x[10] = NAN;
	nb = gb_cuts(x, N, 256, keys, tmp, thr, &miss);
	is_int(nb, 3, "three distinct values: three bins");
	ok(thr[1] == 1.5f && thr[2] == 3.5f, "between the values (%g %g)",
	    thr[1], thr[2]);
	is_int(miss, 1, "a NaN is missing");

	for (int i = 0; i < N; i++)
		x[i] = i < 700 ? 0 : (float)i;	/* a heavy value */
	nb = gb_cuts(x, N, 10, keys, tmp, thr, &miss);
	ok(nb <= 10 && nb >= 3 && thr[1] > 0 && thr[1] <= 700,
	    "a value holding 70%% of rows is one bin (%d bins)", nb);
	for (int k = 1; k < nb; k++)
		okp &= thr[k] > thr[k - 1];
	ok(okp, "thresholds increase");

	for (int i = 0; i < N; i++)
		x[i] = i % 2 ? NAN : (float)i;
	nb = gb_cuts(x, N, 256, keys, tmp, thr, &miss);
	ok(nb == 255 && miss, "with missing values 255 value bins, the "
	    "256th code is missing (%d)", nb);

	for (int i = 0; i < N; i++)
		x[i] = NAN;
	is_int(gb_cuts(x, N, 256, keys, tmp, thr, &miss), 0,
	    "all missing: no bins");
}

static void
test_bins(void)
{
	struct ds s;
	struct gb_bins b;
	struct gb_pool *pool = gb_pool_new(2);
	struct mlp_err err;
	size_t n = 5000;
	int okp = 1, okc = 1;

	rng_state = 7;
	ds_alloc(&s, n, 5);
	for (size_t i = 0; i < n; i++) {
		s.x[0][i] = (float)nrand();
		s.x[1][i] = 3;					/* constant */
		s.x[2][i] = i % 5 == 0 ? NAN : 3;	/* constant, missing */
		s.x[3][i] = NAN;				/* all missing */
		s.x[4][i] = (float)(int)(urand() * 20) / 4;	/* ties */
		if (i % 17 == 0)
			s.x[4][i] = NAN;
	}
	ok(gb_bins_build(&b, &s.d, 64, pool, &err) == 0, "bins built");
	is_int(b.nused, 3, "constant and all-missing features ignored");
	ok(b.used[0] == 0 && b.used[1] == 2 && b.used[2] == 4,
	    "a constant feature with missing values can still split");
	is_int(b.nbin[1], 1, "one value bin");
	is_int(b.nbin[2], 20, "twenty distinct values, twenty bins");
	is_int(b.nbin[0], 64, "many values: max_bin bins");
	/* every threshold reproduces the partition of the bin codes */
	for (size_t u = 0; u < b.nused; u++) {
		const float *x = s.x[b.used[u]];

		for (size_t i = 0; i < n; i++) {
			unsigned c = b.bin[i * b.nused + u];

			okc &= c == b.col[u * n + i];
			if (isnan(x[i])) {
				okp &= c == b.nbin[u];
				continue;
			}
			for (int k = 0; k <= b.nbin[u]; k++)
				okp &= (x[i] < b.thr[u][k]) == (c < (unsigned)k);
		}
	}
	ok(okp, "x < thr[k] exactly when bin < k, missing in the last code");
	ok(okc, "row-major and column-major codes agree");
	gb_bins_release(&b);
	gb_pool_free(pool);
	ds_free(&s);
}

/* ---- split search ---- */

static void
test_split(void)
{
	/* one feature, four bins, no missing: g = -4 -2 3 5, h = 2 each */
	struct gb_bins b;
	uint16_t nbin = 4;
	uint32_t off = 0;
	float thr[5] = { 0, 1, 2, 3, 4 }, *thrp = thr;
	struct gb_pair h[5] = { { -4, 2 }, { -2, 2 }, { 3, 2 }, { 5, 2 },
	    { 0, 0 } };
	struct gb_pair hm[3] = { { -4, 2 }, { 4, 2 }, { -6, 2 } };
	struct gb_param p = { 1, 1, 0, 0, 0, 6, 0 };
	struct gb_split s;

	memset(&b, 0, sizeof(b));
	b.nused = 1;
	b.nbin = &nbin;
	b.off = &off;
	b.thr = &thrp;
	b.nslot = 5;
	/* G = 2, H = 8: parent 4/9; k = 2: 36/5 + 64/5 */
	gb_find_split(&b, h, 2, 8, 1, 1, &p, NULL, 0, 1, &s);
	is_int(s.feat, 0, "a split found");
	is_int(s.k, 2, "the best threshold is between bins 1 and 2");
	near(s.gain, 20 - 4.0 / 9, 1e-12, "gain = GL^2/(HL+l) + GR^2/(HR+l) "
	    "- G^2/(H+l)");
	near(gb_weight(&p, -6, 4), 1.2, 1e-12, "left weight -GL/(HL+l)");
	near(gb_weight(&p, 8, 4), -1.6, 1e-12, "right weight");

	p.alpha = 1;	/* ThresholdL1: |g| shrinks by alpha */
	gb_find_split(&b, h, 2, 8, 1, 1, &p, NULL, 0, 1, &s);
	near(s.gain, 25.0 / 5 + 49.0 / 5 - 1.0 / 9, 1e-12,
	    "gain with alpha = 1");
	near(gb_weight(&p, -6, 4), 1.0, 1e-12, "weight with alpha");
	near(gb_weight(&p, 0.5, 4), 0, 1e-12, "|G| <= alpha: weight 0");

	p.alpha = 0;
	p.min_child_weight = 5;
	gb_find_split(&b, h, 2, 8, 1, 1, &p, NULL, 0, 1, &s);
	is_int(s.feat, -1, "no side reaches min_child_weight 5: no split");
	p.min_child_weight = 4;
	gb_find_split(&b, h, 2, 8, 1, 1, &p, NULL, 0, 1, &s);
	is_int(s.k, 2, "min_child_weight 4 leaves the middle split");
	p.min_child_weight = 0;
	p.lambda = 0;
	near(gb_weight(&p, 1, 0), 0, 1e-12, "no hessian: weight 0");

	/* missing values (last slot) with gradients like bin 0's: they
	 * belong on the left */
	nbin = 2;
	p.lambda = 1;
	b.nslot = 3;
	gb_find_split(&b, hm, -6, 6, 1, 1, &p, NULL, 0, 1, &s);
	ok(s.feat == 0 && s.k == 1 && s.dl == 1,
	    "missing values go left when that gains more (k %d dl %d)", s.k,
	    s.dl);
	near(s.gain, 100.0 / 5 + 16.0 / 3 - 36.0 / 7, 1e-12,
	    "gain with missing on the left");
	hm[2].g = 6;
	gb_find_split(&b, hm, 6, 6, 1, 1, &p, NULL, 0, 1, &s);
	ok(s.k == 1 && s.dl == 0, "and right when that gains more");
}

/* ---- fast AUC ---- */

static void
test_auc(void)
{
	enum { N = 30000 };
	static float y[N];
	static double p[N];
	static uint64_t buf[2 * N];
	struct gb_pool *pool1 = gb_pool_new(1), *pool3 = gb_pool_new(3);
	int same = 1;

	rng_state = 11;
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < N; i++) {
			y[i] = urand() < 0.4;
			switch (round) {
			case 0:	/* distinct */
				p[i] = urand();
				break;
			case 1:	/* few values: long runs of ties */
				p[i] = (double)(int)(urand() * 7) / 7;
				break;
			case 2:	/* equal in the top 32 bits, not below */
				p[i] = 0.5 + (double)(int)(urand() * 50) *
				    1e-15 + y[i] * 1e-3 * (urand() < 0.1);
				break;
			default: /* one value */
				p[i] = 0.25;
				break;
			}
		}
		same &= gb_auc(pool1, y, p, N, buf) ==
		    mlp_metric_eval(MLP_METRIC_AUC, y, p, N, 1);
		same &= gb_auc(pool3, y, p, N, buf) ==
		    mlp_metric_eval(MLP_METRIC_AUC, y, p, N, 1);
		same &= gb_auc(pool3, y, p, 5, buf) ==
		    mlp_metric_eval(MLP_METRIC_AUC, y, p, 5, 1);
	}
	ok(same, "the radix-sorted AUC equals mlp_metric_eval's exactly");
	p[3] = 1.5;
	ok(gb_auc(pool3, y, p, N, buf) ==
	    mlp_metric_eval(MLP_METRIC_AUC, y, p, N, 1),
	    "scores outside [0, 1] too");
	gb_pool_free(pool1);
	gb_pool_free(pool3);
}

/* ---- objectives ---- */

static double
predict_metric(const struct mlp_model *m, const struct ds *s,
    enum mlp_metric_id which, int k)
{
	double *pred = calloc(s->d.nrows * (size_t)k, sizeof(double));
	float row[8];
	double v;

	for (size_t i = 0; i < s->d.nrows; i++) {
		for (size_t j = 0; j < s->d.nfeat; j++)
			row[j] = s->x[j][i];
		mlp_model_predict_row(m, row, pred + i * (size_t)k);
	}
	v = mlp_metric_eval(which, s->y, pred, s->d.nrows, k);
	free(pred);
	return v;
}

static void
test_objectives(void)
{
	struct ds tr, va;
	struct rec r;
	struct mlp_model *m = NULL;
	struct mlp_err err;
	double y0[1];

	ds_make(&tr, 4000, 3, 0, 1);
	ds_make(&va, 2000, 3, 0, 2);
	memset(&r, 0, sizeof(r));
	ok(train(&tr, &va, 2, NULL, 0, &r, &m, &err,
	    "objective=binary:logistic", "rounds=30", NULL) == 0,
	    "binary:logistic trains (%s)", err.msg);
	is_int(r.calls, 30, "on_iter every iteration");
	is_str(r.names[1], "train_auc", "metric names");
	ok(metric_named(&r, "valid_auc") > 0.95, "binary: valid AUC %.4f",
	    metric_named(&r, "valid_auc"));
	ok(r.final[0] < r.first[0], "train logloss falls");
	near(predict_metric(m, &va, MLP_METRIC_AUC, 1),
	    metric_named(&r, "valid_auc"), 1e-12,
	    "metrics from incremental margins equal the model's predictions");
	near(predict_metric(m, &tr, MLP_METRIC_AUC, 1),
	    metric_named(&r, "train_auc"), 1e-12,
	    "on the training rows too");
	near(predict_metric(m, &tr, MLP_METRIC_ACCURACY, 1),
	    metric_named(&r, "train_accuracy"), 1e-12, "accuracy as well");
	near(predict_metric(m, &va, MLP_METRIC_LOGLOSS, 1),
	    metric_named(&r, "valid_logloss"), 1e-9,
	    "log loss as well");
	is_int(m->ntrees, 30, "one tree per iteration");
	is_int(m->objective, MLP_OBJ_LOGISTIC, "objective recorded");
	ok(m->nfeat == 3 && strcmp(m->feat[1].name, "b") == 0,
	    "features recorded");
	ok(m->base_margin[0] == 0, "base margin 0 (probability 0.5)");
	mlp_model_free(m);
	ds_free(&tr);
	ds_free(&va);

	ds_make(&tr, 4000, 3, 1, 3);
	ds_make(&va, 2000, 3, 1, 4);
	memset(&r, 0, sizeof(r));
	ok(train(&tr, &va, 2, NULL, 0, &r, &m, &err, "rounds=60",
	    "max_depth=4", NULL) == 0, "reg:squarederror trains (%s)",
	    err.msg);
	ok(metric_named(&r, "valid_rmse") < 0.3 * r.first[3] ||
	    metric_named(&r, "valid_rmse") < 0.25,
	    "regression: valid RMSE %.3f from %.3f",
	    metric_named(&r, "valid_rmse"), r.first[3]);
	ok(metric_named(&r, "valid_r2") > 0.9, "R2 %.3f",
	    metric_named(&r, "valid_r2"));
	near(predict_metric(m, &va, MLP_METRIC_RMSE, 1),
	    metric_named(&r, "valid_rmse"), 1e-9,
	    "regression metrics equal the model's predictions");
	{
		double mean = 0;

		for (size_t i = 0; i < tr.d.nrows; i++)
			mean += tr.y[i];
		near(m->base_margin[0], mean / (double)tr.d.nrows, 1e-12,
		    "base margin: the mean label");
	}
	mlp_model_free(m);
	ds_free(&tr);
	ds_free(&va);

	ds_make(&tr, 3000, 3, 2, 5);
	ds_make(&va, 1500, 3, 2, 6);
	memset(&r, 0, sizeof(r));
	ok(train(&tr, &va, 2, NULL, 0, &r, &m, &err,
	    "objective=multi:softprob", "num_class=3", "rounds=20", NULL) == 0,
	    "multi:softprob trains (%s)", err.msg);
	ok(metric_named(&r, "valid_maccuracy") > 0.97,
	    "multi-class accuracy %.4f", metric_named(&r, "valid_maccuracy"));
	is_int(m->ntrees, 60, "a tree per class per iteration");
	ok(m->tree_group[0] == 0 && m->tree_group[1] == 1 &&
	    m->tree_group[5] == 2, "trees cycle through the classes");
	is_int(m->nout, 3, "softprob outputs probabilities");
	near(predict_metric(m, &va, MLP_METRIC_MLOGLOSS, 3),
	    metric_named(&r, "valid_mlogloss"), 1e-9,
	    "multi-class metrics equal the model's predictions");
	mlp_model_free(m);

	ok(train(&tr, &va, 2, NULL, 0, &r, &m, &err,
	    "objective=multi:softmax", "num_class=3", "rounds=10", NULL) == 0,
	    "multi:softmax trains");
	{
		float row[3] = { -2, 0, 0 };

		mlp_model_predict_row(m, row, y0);
		ok(m->nout == 1 && y0[0] == 0, "softmax predicts the class");
	}
	mlp_model_free(m);
	ds_free(&tr);
	ds_free(&va);
}

/* ---- missing values and categorical features ---- */

static void
test_missing_categorical(void)
{
	struct ds tr;
	struct rec r;
	struct mlp_model *m = NULL;
	struct mlp_err err;
	float row[2];
	double p1, p2;
	int okthr = 1;

	/* positives are the rows whose feature is missing */
	rng_state = 9;
	ds_alloc(&tr, 2000, 2);
	for (size_t i = 0; i < 2000; i++) {
		int pos = urand() < 0.5;

		tr.x[0][i] = pos ? NAN : (float)nrand();
		tr.x[1][i] = (float)nrand();
		tr.y[i] = pos;
	}
	memset(&r, 0, sizeof(r));
	ok(train(&tr, NULL, 1, NULL, 0, &r, &m, &err,
	    "objective=binary:logistic", "rounds=1", "max_depth=1",
	    "learning_rate=1", NULL) == 0, "trains on missing values");
	ok(m->split_feat[0] == 0, "splits on missingness");
	row[0] = NAN;
	row[1] = 0;
	mlp_model_predict_row(m, row, &p1);
	row[0] = 0.1f;
	mlp_model_predict_row(m, row, &p2);
	ok(p1 > 0.7 && p2 < 0.3, "missing goes where the positives are "
	    "(%.3f vs %.3f)", p1, p2);
	mlp_model_free(m);

	/* a categorical feature: classes 1 and 3 of 0..4 are positive */
	for (size_t i = 0; i < 2000; i++) {
		int c = (int)(urand() * 5);

		tr.x[0][i] = (float)c;
		tr.y[i] = c == 1 || c == 3;
	}
	tr.col[0].type = MLP_COL_CAT;
	memset(&r, 0, sizeof(r));
	ok(train(&tr, NULL, 2, NULL, 0, &r, &m, &err,
	    "objective=binary:logistic", "rounds=10", "max_depth=3", NULL) == 0,
	    "trains on a categorical feature");
	ok(metric_named(&r, "train_auc") > 0.999, "codes separated (AUC %.4f)",
	    metric_named(&r, "train_auc"));
	for (size_t i = 0; i < m->nnodes; i++)
		if (m->split_feat[i] == 0)
			okthr &= m->split_value[i] -
			    floorf(m->split_value[i]) == 0.5f;
	ok(okthr, "categorical thresholds lie halfway between codes");
	mlp_model_free(m);
	ds_free(&tr);
}

/* ---- early stopping, determinism, resume ---- */

static void
test_early_stopping(void)
{
	struct ds tr, va;
	struct rec r;
	struct mlp_model *m = NULL;
	struct mlp_err err;
	double vals[201], best = INFINITY;
	int best_it = 0;

	/* noisy labels: the validation loss turns up */
	ds_make(&tr, 600, 4, 0, 21);
	ds_make(&va, 600, 4, 0, 22);
	for (size_t i = 0; i < 600; i += 3) {
		tr.y[i] = 1 - tr.y[i];
		va.y[i] = 1 - va.y[i];
	}
	memset(&r, 0, sizeof(r));
	r.vals = vals;
	ok(train(&tr, &va, 2, NULL, 0, &r, &m, &err,
	    "objective=binary:logistic", "rounds=200", "max_depth=4",
	    "learning_rate=0.1", "early_stopping_rounds=5", NULL) == 0,
	    "trains with early stopping");
	for (int i = 1; i <= r.last; i++)
		if (vals[i] < best) {
			best = vals[i];
			best_it = i;
		}
	ok(r.last < 200 && best_it > 1, "stopped early at iteration %d "
	    "(best %d)", r.last, best_it);
	is_int(r.last - best_it, 5, "five iterations without improvement");
	is_int(m->best_iteration, best_it, "best iteration recorded");
	ok(m->best_score == best, "best score recorded");
	is_int(m->ntrees, best_it, "the model is truncated to the best "
	    "iteration");
	mlp_model_free(m);

	ok(train(&tr, NULL, 2, NULL, 0, &r, &m, &err,
	    "objective=binary:logistic", "early_stopping_rounds=5", NULL) ==
	    MLP_EINVAL && m == NULL, "early stopping needs validation data");
	ds_free(&tr);
	ds_free(&va);
}

static void
test_determinism_resume(void)
{
	struct ds tr, va;
	struct rec r1, r2, r3;
	struct mlp_model *a = NULL, *b = NULL, *c = NULL;
	struct mlp_err err;
	const char *common[] = { "objective=binary:logistic", "rounds=25",
	    "subsample=0.7", "colsample=0.6", "seed=42", "max_bin=32",
	    "early_stopping_rounds=50" };

	ds_make(&tr, 5000, 6, 0, 31);
	ds_make(&va, 1000, 6, 0, 32);
	for (size_t i = 0; i < 5000; i += 7)
		tr.x[2][i] = NAN;
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	memset(&r3, 0, sizeof(r3));
	r1.stop_at = 9;
#define COMMON common[0], common[1], common[2], common[3], common[4], \
	common[5], common[6]
	ok(train(&tr, &va, 1, NULL, 0, &r1, &a, &err, COMMON, NULL) == 0,
	    "trains with sampling");
	ok(train(&tr, &va, 3, NULL, 0, &r2, &b, &err, COMMON, NULL) == 0,
	    "again with 3 threads");
	ok(same_model(a, b), "same model with 1 and 3 threads");
	ok(memcmp(r1.final, r2.final, sizeof(r1.final)) == 0,
	    "same metrics with 1 and 3 threads");
	mlp_model_free(b);
	ok(train(&tr, &va, 2, NULL, 0, &r2, &b, &err, COMMON, NULL) == 0 &&
	    same_model(a, b), "same model twice with the same seed");
	mlp_model_free(b);
	ok(train(&tr, &va, 2, NULL, 0, &r2, &b, &err, COMMON, "seed=7",
	    NULL) == 0 && !same_model(a, b), "another seed, another model");
	mlp_model_free(b);

	ok(r1.copy && r1.copy->ntrees == 9, "checkpoint at iteration 9");
	ok(train(&tr, &va, 2, r1.copy, 9, &r3, &c, &err, COMMON, NULL) == 0,
	    "resumes (%s)", err.msg);
	is_int(r3.calls, 16, "iterations 10 .. 25 run");
	ok(same_model(a, c), "the resumed model is bit-identical");
	ok(memcmp(r1.final, r3.final, sizeof(r1.final)) == 0,
	    "and so are its last metrics");
	mlp_model_free(c);
	ok(train(&tr, &va, 2, r1.copy, 8, &r3, &c, &err, COMMON, NULL) ==
	    MLP_EINVAL, "a checkpoint of another iteration is refused");
	mlp_model_free(a);
	mlp_model_free(r1.copy);
	ds_free(&tr);
	ds_free(&va);

	/* multi-class resume */
	ds_make(&tr, 2000, 3, 2, 41);
	memset(&r1, 0, sizeof(r1));
	memset(&r3, 0, sizeof(r3));
	r1.stop_at = 4;
	ok(train(&tr, NULL, 2, NULL, 0, &r1, &a, &err,
	    "objective=multi:softprob", "num_class=3", "rounds=10",
	    "subsample=0.5", NULL) == 0 &&
	    train(&tr, NULL, 1, r1.copy, 4, &r3, &c, &err,
	    "objective=multi:softprob", "num_class=3", "rounds=10",
	    "subsample=0.5", NULL) == 0 && same_model(a, c),
	    "multi-class resume is bit-identical");
	mlp_model_free(a);
	mlp_model_free(c);
	mlp_model_free(r1.copy);
	ds_free(&tr);
}

static void
test_deep(void)
{
	struct ds tr;
	struct rec r1, r2;
	struct mlp_model *a = NULL, *b = NULL;
	struct mlp_err err;

	/* levels of hundreds of nodes, most too small to keep histograms */
	ds_make(&tr, 20000, 4, 1, 71);
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));
	ok(train(&tr, NULL, 1, NULL, 0, &r1, &a, &err, "rounds=3",
	    "max_depth=11", "min_child_weight=0", NULL) == 0 &&
	    train(&tr, NULL, 2, NULL, 0, &r2, &b, &err, "rounds=3",
	    "max_depth=11", "min_child_weight=0", NULL) == 0,
	    "deep trees train");
	ok(a->nnodes > 2000, "deep trees are big (%zu nodes)", a->nnodes);
	ok(same_model(a, b), "the same with 1 and 2 threads");
	near(predict_metric(a, &tr, MLP_METRIC_RMSE, 1),
	    metric_named(&r1, "train_rmse"), 1e-9,
	    "and their metrics are the model's");
	mlp_model_free(a);
	mlp_model_free(b);
	ds_free(&tr);
}

static void
test_max_leaves(void)
{
	struct ds tr;
	struct rec r;
	struct mlp_model *m = NULL;
	struct mlp_err err;
	int okl = 1;

	ds_make(&tr, 3000, 3, 1, 51);
	memset(&r, 0, sizeof(r));
	ok(train(&tr, NULL, 2, NULL, 0, &r, &m, &err, "rounds=5",
	    "max_depth=8", "max_leaves=5", NULL) == 0, "trains with max_leaves");
	for (size_t t = 0; t < m->ntrees; t++) {
		size_t end = t + 1 < m->ntrees ? m->tree_root[t + 1] : m->nnodes;
		int leaves = 0;

		for (size_t i = m->tree_root[t]; i < end; i++)
			leaves += m->split_feat[i] < 0;
		okl &= leaves == 5;
	}
	ok(okl, "every tree has 5 leaves");
	mlp_model_free(m);
	ds_free(&tr);
}

/* ---- a tree computed by hand ---- */

static int
stop_at_3(void *ud, int iter, int total, const struct mlp_metric_val *m,
    size_t nm, const struct mlp_model *partial)
{
	(void)ud;
	(void)total;
	(void)m;
	(void)nm;
	(void)partial;
	return iter == 3 ? -42 : 0;
}

static void
test_by_hand(void)
{
	struct ds tr;
	struct rec r;
	struct mlp_model *m = NULL;
	struct mlp_err err;
	struct mlp_params p = MLP_PARAMS_INIT;
	struct mlp_train_job job;
	float x;
	double out;

	/* y = 0 0 10 10 at x = 1 2 3 4: base 5, gradients 5 5 -5 -5,
	 * hessians 1; the split at 2.5 gains 10^2/2 * 2 - 0 = 100 and its
	 * leaves weigh -10/2 and 10/2 (lambda 0) */
	ds_alloc(&tr, 4, 1);
	for (int i = 0; i < 4; i++) {
		tr.x[0][i] = (float)(i + 1);
		tr.y[i] = i < 2 ? 0 : 10;
	}
	memset(&r, 0, sizeof(r));
	ok(train(&tr, NULL, 1, NULL, 0, &r, &m, &err, "rounds=1",
	    "max_depth=1", "learning_rate=1", "lambda=0",
	    "min_child_weight=0", NULL) == 0, "trains on four rows");
	ok(m->base_margin[0] == 5, "base margin: the mean label");
	ok(m->nnodes == 3 && m->split_feat[0] == 0 &&
	    m->split_value[0] == 2.5f && m->left[0] == 1,
	    "one split at 2.5, children at 1 and 2");
	ok(m->split_feat[1] == -1 && m->split_value[1] == -5 &&
	    m->split_feat[2] == -1 && m->split_value[2] == 5,
	    "leaf values -G/H: -5 and 5");
	x = 2;
	mlp_model_predict_row(m, &x, &out);
	ok(out == 0, "predicts 0 left of the split");
	x = 3.5f;
	mlp_model_predict_row(m, &x, &out);
	ok(out == 10, "and 10 right of it");
	ok(metric_named(&r, "train_rmse") == 0, "train RMSE 0");
	mlp_model_free(m);

	/* a callback that returns an error stops training */
	mlp_params_parse(&p, "rounds=10", &err);
	memset(&job, 0, sizeof(job));
	job.params = &p;
	job.train = &tr.d;
	job.nthreads = 0;	/* the online CPUs */
	job.on_iter = stop_at_3;
	m = NULL;
	ok(mlp_learner_gbdt.train(&job, &m, &err) == -42 && m == NULL,
	    "on_iter's error stops training and is returned");
	mlp_params_release(&p);
	ds_free(&tr);
}

/* ---- errors ---- */

static void
test_errors(void)
{
	struct ds tr;
	struct rec r;
	struct mlp_model *m = NULL;
	struct mlp_err err;

	ds_make(&tr, 100, 2, 0, 61);
	memset(&r, 0, sizeof(r));
	ok(train(&tr, NULL, 1, NULL, 0, &r, &m, &err, "depth=3", NULL) ==
	    MLP_EINVAL && strncmp(err.msg, "unknown parameter 'depth' for gbdt, "
	    "did you mean 'max_depth'? (valid: alpha, colsample, "
	    "early_stopping_rounds,", 100) == 0,
	    "an unknown parameter offers the nearest and lists the valid "
	    "ones: %s", err.msg);
	ok(train(&tr, NULL, 1, NULL, 0, &r, &m, &err, "max_bin=300", NULL) ==
	    MLP_EINVAL, "max_bin out of range: %s", err.msg);
	ok(train(&tr, NULL, 1, NULL, 0, &r, &m, &err, "subsample=0", NULL) ==
	    MLP_EINVAL, "subsample 0: %s", err.msg);
	ok(train(&tr, NULL, 1, NULL, 0, &r, &m, &err, "learning_rate=0",
	    NULL) == MLP_EINVAL, "learning_rate 0: %s", err.msg);
	ok(train(&tr, NULL, 1, NULL, 0, &r, &m, &err, "objective=rank:ndcg",
	    NULL) == MLP_EINVAL, "unknown objective: %s", err.msg);
	ok(train(&tr, NULL, 1, NULL, 0, &r, &m, &err,
	    "objective=multi:softprob", NULL) == MLP_EINVAL &&
	    strstr(err.msg, "num_class"), "multi needs num_class: %s",
	    err.msg);
	ok(train(&tr, NULL, 1, NULL, 0, &r, &m, &err,
	    "objective=binary:logistic", "num_class=3", NULL) == MLP_EINVAL,
	    "num_class with binary: %s", err.msg);
	ok(train(&tr, NULL, 1, NULL, 0, &r, &m, &err,
	    "objective=binary:logistic", "eval_metric=mlogloss", NULL) ==
	    MLP_EINVAL, "a metric that does not apply: %s", err.msg);

	tr.y[16] = 2.5;
	ok(train(&tr, NULL, 1, NULL, 0, &r, &m, &err,
	    "objective=multi:softprob", "num_class=3", NULL) == MLP_EINVAL,
	    "a fractional class is refused");
	is_str(err.msg, "row 17: label 2.5 is not a class of multi:softprob "
	    "(num_class=3: 0 to 2)", "naming label, row and objective");
	tr.y[16] = 2;
	ok(train(&tr, NULL, 1, NULL, 0, &r, &m, &err,
	    "objective=binary:logistic", NULL) == MLP_EINVAL,
	    "a label 2 for binary is refused");
	is_str(err.msg, "row 17: label 2 is not a class of binary:logistic "
	    "(0 or 1)", "naming label and row");
	tr.y[16] = NAN;
	ok(train(&tr, NULL, 1, NULL, 0, &r, &m, &err, NULL) == MLP_EINVAL,
	    "a missing label is refused: %s", err.msg);
	tr.y[16] = 0;
	ok(train(&tr, NULL, 1, NULL, 0, &r, &m, &err, "rounds=3",
	    "eval_metric=mae,rmse", NULL) == 0 && r.nm == 2 &&
	    strcmp(r.names[0], "train_mae") == 0, "eval_metric picks metrics");
	mlp_model_free(m);
	ds_free(&tr);
}

int
main(void)
{
	test_cuts();
	test_bins();
	test_split();
	test_auc();
	test_objectives();
	test_missing_categorical();
	test_early_stopping();
	test_determinism_resume();
	test_deep();
	test_max_leaves();
	test_by_hand();
	test_errors();
	return tap_done();
}

/* Unit tests of lib/model: hand-built trees and linear models, row against
 * batch prediction, model.json and MLmodel round trips, the checks, load
 * errors, and parity with XGBoost's own predictions (tests/data/xgb). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/model.h"
#include "tap.h"

static char tmpdir[] = "/tmp/mlp-model-test.XXXXXX";
static char *datadir;

/* A small random generator, so the tests do not depend on libc's. */
static uint64_t rng_state = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static double
urand(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

static char *
tmp(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static char *
read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	struct mlp_buf b = MLP_BUF_INIT;
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		mlp_buf_add(&b, chunk, n);
	fclose(f);
	return mlp_buf_detach(&b);
}

/* Model building */

static void
set_numeric_features(struct mlp_model *m, size_t n)
{
	struct mlp_column *c = xcalloc(n, sizeof(*c));

	for (size_t j = 0; j < n; j++)
		c[j].name = xasprintf("x%zu", j);
	mlp_model_set_features(m, c, n);
	for (size_t j = 0; j < n; j++)
		free(c[j].name);
	free(c);
}

static void
alloc_nodes(struct mlp_model *m, size_t ntrees, size_t nnodes)
{
	m->ntrees = ntrees;
	m->nnodes = nnodes;
	m->tree_root = xcalloc(ntrees, sizeof(uint32_t));
	m->tree_group = xcalloc(ntrees, sizeof(int32_t));
	m->split_feat = xcalloc(nnodes, sizeof(int32_t));
	m->split_value = xcalloc(nnodes, sizeof(float));
	m->left = xcalloc(nnodes, sizeof(uint32_t));
	m->default_left = xcalloc(nnodes, 1);
}

static void
node(struct mlp_model *m, uint32_t n, int32_t f, float v, uint32_t l,
    int dl)
{
	m->split_feat[n] = f;
	m->split_value[n] = v;
	m->left[n] = l;
	m->default_left[n] = (uint8_t)dl;
}

static void
set_margin(struct mlp_model *m, const double *bm)
{
	free(m->base_margin);
	m->base_margin = xmalloc((size_t)m->ngroup * sizeof(double));
	memcpy(m->base_margin, bm, (size_t)m->ngroup * sizeof(double));
}

/* Two trees over two features, base margin 0.5:
 *   tree 0: x0 < 0.5 (missing left) ? 1 : (x1 < 2 (missing right) ? 2 : 3)
 *   tree 1: a single leaf 0.25 */
static struct mlp_model *
small_model(void)
{
	struct mlp_model *m = mlp_model_new();
	double bm = 0.5;

	set_numeric_features(m, 2);
	set_margin(m, &bm);
	alloc_nodes(m, 2, 6);
	m->tree_root[0] = 0;
	m->tree_root[1] = 5;
	node(m, 0, 0, 0.5f, 1, 1);
	node(m, 1, -1, 1, 0, 0);
	node(m, 2, 1, 2, 3, 0);
	node(m, 3, -1, 2, 0, 0);
	node(m, 4, -1, 3, 0, 0);
	node(m, 5, -1, 0.25f, 0, 0);
	return m;
}

struct gen {
	struct mlp_model *m;
	size_t alloc;
	int nfeat;
};

static uint32_t
gen_alloc(struct gen *g, size_t k)
{
	struct mlp_model *m = g->m;
	uint32_t n = (uint32_t)m->nnodes;

	if (m->nnodes + k > g->alloc) {
		g->alloc = (m->nnodes + k) * 2;
		m->split_feat = xrealloc(m->split_feat, g->alloc * 4);
		m->split_value = xrealloc(m->split_value, g->alloc * 4);
		m->left = xrealloc(m->left, g->alloc * 4);
		m->default_left = xrealloc(m->default_left, g->alloc);
	}
	m->nnodes += k;
	return n;
}

/* Thresholds are quarters so that inputs hit them exactly now and then. */
static void
gen_fill(struct gen *g, uint32_t n, int depth)
{
	struct mlp_model *m = g->m;
	uint32_t c;

	if (depth == 0 || urand() < 0.15) {
		node(m, n, -1, (float)(urand() * 2 - 1), 0, 0);
		return;
	}
	c = gen_alloc(g, 2);
	node(m, n, (int32_t)(rnd() % (uint64_t)g->nfeat),
	    (float)((int)(rnd() % 17) - 8) / 4, c, (int)(rnd() & 1));
	gen_fill(g, c, depth - 1);
	gen_fill(g, c + 1, depth - 1);
}

/* A random forest of ntrees trees of depth <= depth over nfeat numeric
 * features for objective obj with nclass classes. */
static struct mlp_model *
random_model(int obj, int nclass, size_t ntrees, int depth, int nfeat)
{
	struct mlp_model *m = mlp_model_new();
	struct gen g = { m, 0, nfeat };
	int multi = obj == MLP_OBJ_SOFTMAX || obj == MLP_OBJ_SOFTPROB;

	m->objective = (enum mlp_objective)obj;
	m->num_class = multi ? nclass : 1;
	m->ngroup = m->num_class;
	m->nout = obj == MLP_OBJ_SOFTPROB ? nclass : 1;
	set_numeric_features(m, (size_t)nfeat);
	m->base_margin = xmalloc((size_t)m->ngroup * sizeof(double));
	for (int k = 0; k < m->ngroup; k++)
		m->base_margin[k] = urand() - 0.5;
	m->ntrees = ntrees;
	m->tree_root = xmalloc(ntrees * sizeof(uint32_t));
	m->tree_group = xmalloc(ntrees * sizeof(int32_t));
	for (size_t t = 0; t < ntrees; t++) {
		uint32_t r = gen_alloc(&g, 1);

		m->tree_root[t] = r;
		m->tree_group[t] = (int32_t)(t % (size_t)m->ngroup);
		gen_fill(&g, r, depth);
	}
	return m;
}

/* Column-major random inputs: a fraction pnan missing, some values on
 * thresholds, a few infinite. */
static float **
random_cols_p(size_t nfeat, size_t nrows, double pnan)
{
	float **cols = xmalloc(nfeat * sizeof(float *));

	for (size_t j = 0; j < nfeat; j++) {
		cols[j] = xmalloc(nrows * sizeof(float));
		for (size_t i = 0; i < nrows; i++) {
			double u = urand();

			cols[j][i] = u < pnan ? NAN : u < 0.3 ?
			    (float)((int)(rnd() % 17) - 8) / 4 :
			    u < 0.31 ? INFINITY : u < 0.32 ? -INFINITY :
			    (float)(urand() * 6 - 3);
		}
	}
	return cols;
}

static float **
random_cols(size_t nfeat, size_t nrows)
{
	return random_cols_p(nfeat, nrows, 0.1);
}

static void
free_cols(float **cols, size_t nfeat)
{
	for (size_t j = 0; j < nfeat; j++)
		free(cols[j]);
	free(cols);
}

/* Batch predictions of m on cols equal the row predictions, bit for bit. */
static int
row_batch_equal(const struct mlp_model *m, float **cols, size_t nrows,
    int nthreads)
{
	size_t nout = (size_t)m->nout;
	double *batch = xmalloc(nrows * nout * sizeof(double));
	double *row = xmalloc(nout * sizeof(double));
	float *x = xmalloc((m->nfeat + 1) * sizeof(float));
	struct mlp_err err;
	int same = 1;

	if (mlp_model_predict(m, (const float *const *)cols, nrows, batch,
	    nthreads, &err) < 0)
		same = 0;
	for (size_t i = 0; same && i < nrows; i++) {
		for (size_t j = 0; j < m->nfeat; j++)
			x[j] = cols[j][i];
		mlp_model_predict_row(m, x, row);
		if (memcmp(row, batch + i * nout, nout * sizeof(double)) != 0) {
			printf("# row %zu: %.17g vs batch %.17g\n", i, row[0],
			    batch[i * nout]);
			same = 0;
		}
	}
	free(batch);
	free(row);
	free(x);
	return same;
}

/* Tests */

static void
test_objectives(void)
{
	const char *names[] = { "reg:squarederror", "binary:logistic",
	    "multi:softmax", "multi:softprob" };

	for (int i = 0; i < 4; i++) {
		is_int(mlp_objective_parse(names[i]), i, "parse %s", names[i]);
		is_str(mlp_objective_name(i), names[i], "name %d", i);
	}
	is_int(mlp_objective_parse("rank:pairwise"), -1, "unknown objective");
	is_int(mlp_objective_parse(NULL), -1, "NULL objective");
	ok(mlp_objective_name(4) == NULL && mlp_objective_name(-1) == NULL,
	    "unknown objective number has no name");
}

static void
test_small_trees(void)
{
	struct mlp_model *m = small_model();
	struct mlp_err err;
	struct {
		float x0, x1;
		double want;
	} cases[] = {
		{ 0, 0, 1.75 },		/* left */
		{ 0.5f, 1, 2.75 },	/* x0 == threshold goes right */
		{ 0.49999997f, 9, 1.75 },
		{ NAN, 100, 1.75 },	/* missing x0: default left */
		{ 1, NAN, 3.75 },	/* missing x1: default right */
		{ 1, 2, 3.75 },		/* x1 == threshold goes right */
		{ 1, -INFINITY, 2.75 },
		{ INFINITY, 1, 2.75 },
		{ NAN, NAN, 1.75 },
	};

	is_int(mlp_model_check(m, &err), 0, "hand-built model checks");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		float x[2] = { cases[i].x0, cases[i].x1 };
		double mg, out;

		mlp_model_margin(m, x, &mg);
		mlp_model_predict_row(m, x, &out);
		ok(mg == cases[i].want && out == cases[i].want,
		    "tree walk case %zu: %g (want %g)", i, mg, cases[i].want);
	}
	m->objective = MLP_OBJ_LOGISTIC;
	{
		float x[2] = { 1, NAN };
		double out;

		mlp_model_predict_row(m, x, &out);
		ok(fabs(out - 1 / (1 + exp(-3.75))) < 1e-15,
		    "binary:logistic is the sigmoid of the margin");
	}
	mlp_model_free(m);
}

static void
test_multiclass(void)
{
	struct mlp_model *m = mlp_model_new();
	double bm[3] = { 0, 0.5, -0.5 }, mg[3], out[3];
	float x[1];
	struct mlp_err err;

	m->objective = MLP_OBJ_SOFTPROB;
	m->num_class = m->ngroup = m->nout = 3;
	set_numeric_features(m, 1);
	set_margin(m, bm);
	/* four trees: groups 0, 1, 2, 0; tree 3 splits x0 < 0 */
	alloc_nodes(m, 4, 6);
	for (int t = 0; t < 4; t++) {
		m->tree_root[t] = (uint32_t)t;
		m->tree_group[t] = t % 3;
	}
	node(m, 0, -1, 1, 0, 0);
	node(m, 1, -1, 0.25f, 0, 0);
	node(m, 2, -1, 2, 0, 0);
	node(m, 3, 0, 0, 4, 0);
	node(m, 4, -1, 10, 0, 0);
	node(m, 5, -1, -10, 0, 0);
	is_int(mlp_model_check(m, &err), 0, "multi-class model checks");
	x[0] = -1;
	mlp_model_margin(m, x, mg);
	ok(mg[0] == 11 && mg[1] == 0.75 && mg[2] == 1.5,
	    "margins add each tree to its group (%g %g %g)", mg[0], mg[1],
	    mg[2]);
	mlp_model_predict_row(m, x, out);
	{
		double e0 = exp(11 - 11), e1 = exp(0.75 - 11),
		    e2 = exp(1.5 - 11), s = e0 + e1 + e2;

		ok(fabs(out[0] - e0 / s) < 1e-15 &&
		    fabs(out[1] - e1 / s) < 1e-15 &&
		    fabs(out[2] - e2 / s) < 1e-15, "softprob is the softmax");
	}
	x[0] = NAN;	/* missing goes right: -10 */
	mlp_model_predict_row(m, x, out);
	ok(fabs(out[0] + out[1] + out[2] - 1) < 1e-15 && out[2] > out[0] &&
	    out[2] > out[1], "softprob with a missing value");
	m->objective = MLP_OBJ_SOFTMAX;
	m->nout = 1;
	mlp_model_predict_row(m, x, out);
	ok(out[0] == 2, "softmax gives the argmax class (%g)", out[0]);
	x[0] = -1;
	mlp_model_predict_row(m, x, out);
	ok(out[0] == 0, "softmax gives class 0 (%g)", out[0]);
	mlp_model_free(m);

	/* more classes than the row path's stack holds */
	m = random_model(MLP_OBJ_SOFTMAX, 70, 140, 3, 4);
	for (size_t t = 0; t < m->ntrees; t++)
		if (m->tree_group[t] == 66)
			m->base_margin[66] = 100;
	{
		float **cols = random_cols(4, 50);

		ok(row_batch_equal(m, cols, 50, 1), "softmax over 70 classes: "
		    "row and batch agree");
		for (size_t j = 0; j < 4; j++)
			x[0] = cols[j][0];
		free_cols(cols, 4);
	}
	{
		float xx[4] = { 0, 0, 0, 0 };

		mlp_model_predict_row(m, xx, out);
		ok(out[0] == 66, "softmax over 70 classes picks class 66 "
		    "(%g)", out[0]);
	}
	m->objective = MLP_OBJ_SOFTPROB;
	m->nout = 70;
	{
		float **cols = random_cols(4, 50);

		ok(row_batch_equal(m, cols, 50, 2), "softprob over 70 "
		    "classes: row and batch agree");
		free_cols(cols, 4);
	}
	mlp_model_free(m);
}

/* Features: x0 numeric (mean 1, scale 2), c categorical with levels a, b,
 * c, x2 numeric (mean 0, scale 0.5); two groups (multi:softprob). */
static struct mlp_model *
linear_model(void)
{
	struct mlp_model *m = mlp_model_new();
	struct mlp_column cols[3] = {
		{ .name = "x0", .type = MLP_COL_NUM },
		{ .name = "c", .type = MLP_COL_CAT,
		    .levels = (char *[]){ "a", "b", "c" }, .nlevels = 3 },
		{ .name = "x2", .type = MLP_COL_NUM },
	};
	double bm[2] = { 0.125, -0.25 };

	m->kind = MLP_MODEL_LINEAR;
	m->objective = MLP_OBJ_SOFTPROB;
	m->num_class = m->ngroup = m->nout = 2;
	mlp_model_set_features(m, cols, 3);
	set_margin(m, bm);
	m->nslots = 5;
	m->slot = xmalloc(3 * sizeof(uint32_t));
	m->slot[0] = 0;
	m->slot[1] = 1;
	m->slot[2] = 4;
	m->mean = xcalloc(5, sizeof(double));
	m->scale = xmalloc(5 * sizeof(double));
	for (int s = 0; s < 5; s++)
		m->scale[s] = 1;
	m->mean[0] = 1;
	m->scale[0] = 2;
	m->scale[4] = 0.5;
	m->weight = xmalloc(10 * sizeof(double));
	for (int i = 0; i < 10; i++)
		m->weight[i] = i + 1;	/* group 0: 1..5, group 1: 6..10 */
	m->bias = xmalloc(2 * sizeof(double));
	m->bias[0] = 1;
	m->bias[1] = -1;
	return m;
}

static void
test_linear(void)
{
	struct mlp_model *m = linear_model();
	struct mlp_err err;
	struct {
		float x[3];
		double want0, want1;
	} cases[] = {
		/* z0 = (3 - 1) / 2 = 1, level b, z2 = 0.5 / 0.5 = 1 */
		{ { 3, 1, 0.5f }, 0.125 + 1 + 1 + 3 + 5,
		    -0.25 - 1 + 6 + 8 + 10 },
		/* missing numeric: z = 0; missing level: nothing */
		{ { NAN, NAN, NAN }, 0.125 + 1, -0.25 - 1 },
		/* level a and c; an unknown code (5, 1.5) is missing */
		{ { 1, 0, 0 }, 0.125 + 1 + 2, -0.25 - 1 + 7 },
		{ { 1, 2, 0 }, 0.125 + 1 + 4, -0.25 - 1 + 9 },
		{ { 1, 5, 0 }, 0.125 + 1, -0.25 - 1 },
		{ { 1, 1.5f, 0 }, 0.125 + 1, -0.25 - 1 },
		{ { 1, -1, 0 }, 0.125 + 1, -0.25 - 1 },
	};

	is_int(mlp_model_check(m, &err), 0, "linear model checks");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double mg[2];

		mlp_model_margin(m, cases[i].x, mg);
		ok(mg[0] == cases[i].want0 && mg[1] == cases[i].want1,
		    "linear case %zu: %g %g (want %g %g)", i, mg[0], mg[1],
		    cases[i].want0, cases[i].want1);
	}
	{
		float **cols = random_cols(3, 300);

		for (size_t i = 0; i < 300; i++)
			cols[1][i] = (float)(rnd() % 4);	/* 3: unknown */
		ok(row_batch_equal(m, cols, 300, 2),
		    "linear: row and batch agree");
		free_cols(cols, 3);
	}
	m->scale[0] = 0;
	ok(mlp_model_check(m, &err) == MLP_ECORRUPT, "a zero scale is refused: "
	    "%s", err.msg);
	m->scale[0] = 2;
	m->slot[2] = 5;
	ok(mlp_model_check(m, &err) == MLP_ECORRUPT, "a slot out of range is "
	    "refused: %s", err.msg);
	mlp_model_free(m);
}

static void
test_row_batch(void)
{
	static const struct {
		int obj, nclass;
		size_t nrows;
		int nthreads;
		double pnan;
	} cases[] = {
		{ MLP_OBJ_SQUARED, 1, 1, 1, 0.1 },
		{ MLP_OBJ_SQUARED, 1, 1037, 1, 0.1 },
		{ MLP_OBJ_SQUARED, 1, 1037, 1, 0 },
		{ MLP_OBJ_LOGISTIC, 1, 9013, 2, 0.1 },
		{ MLP_OBJ_LOGISTIC, 1, 9013, 2, 0 },
		{ MLP_OBJ_LOGISTIC, 1, 20011, 0, 0.1 },
		{ MLP_OBJ_SOFTPROB, 3, 8999, 2, 0.1 },
		{ MLP_OBJ_SOFTPROB, 3, 8999, 2, 0.0001 },
		{ MLP_OBJ_SOFTMAX, 4, 517, 2, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mlp_model *m = random_model(cases[i].obj,
		    cases[i].nclass, 30, 6, 7);
		float **cols = random_cols_p(7, cases[i].nrows, cases[i].pnan);
		struct mlp_err err;

		is_int(mlp_model_check(m, &err), 0, "random model %zu checks",
		    i);
		ok(row_batch_equal(m, cols, cases[i].nrows, cases[i].nthreads),
		    "%s, %zu rows, %d threads, %g missing: batch equals row "
		    "predictions", mlp_objective_name(cases[i].obj),
		    cases[i].nrows, cases[i].nthreads, cases[i].pnan);
		free_cols(cols, 7);
		mlp_model_free(m);
	}
	{
		struct mlp_model *m = random_model(MLP_OBJ_SQUARED, 1, 3, 2, 2);
		struct mlp_err err;
		double out = 42;

		is_int(mlp_model_predict(m, NULL, 0, &out, 2, &err), 0,
		    "no rows: nothing to do");
		ok(out == 42, "no rows: nothing written");
		mlp_model_free(m);
	}
}

static int
models_equal(const struct mlp_model *a, const struct mlp_model *b)
{
	int same = a->kind == b->kind && a->objective == b->objective &&
	    a->num_class == b->num_class && a->ngroup == b->ngroup &&
	    a->nout == b->nout && a->nfeat == b->nfeat &&
	    a->ntrees == b->ntrees && a->nnodes == b->nnodes &&
	    a->best_iteration == b->best_iteration &&
	    memcmp(&a->best_score, &b->best_score, sizeof(double)) == 0 &&
	    a->nslots == b->nslots &&
	    ((!a->origin && !b->origin) || (a->origin && b->origin &&
	    strcmp(a->origin, b->origin) == 0));

#define SAME(f, n) (same = same && ((n) == 0 || memcmp(a->f, b->f, \
	(n) * sizeof(*a->f)) == 0))
	SAME(base_margin, (size_t)a->ngroup);
	SAME(tree_root, a->ntrees);
	SAME(tree_group, a->ntrees);
	SAME(split_feat, a->nnodes);
	SAME(split_value, a->nnodes);
	SAME(left, a->nnodes);
	SAME(default_left, a->nnodes);
	if (same && a->kind == MLP_MODEL_LINEAR) {
		SAME(slot, a->nfeat);
		SAME(mean, a->nslots);
		SAME(scale, a->nslots);
		SAME(weight, a->nslots * (size_t)a->ngroup);
		SAME(bias, (size_t)a->ngroup);
	}
#undef SAME
	for (size_t j = 0; same && j < a->nfeat; j++) {
		same = strcmp(a->feat[j].name, b->feat[j].name) == 0 &&
		    a->feat[j].type == b->feat[j].type &&
		    a->feat[j].nlevels == b->feat[j].nlevels;
		for (size_t k = 0; same && k < a->feat[j].nlevels; k++)
			same = strcmp(a->feat[j].levels[k],
			    b->feat[j].levels[k]) == 0;
	}
	return same;
}

static void
test_json_roundtrip(void)
{
	struct mlp_model *m = random_model(MLP_OBJ_SOFTPROB, 3, 40, 6, 5);
	struct mlp_model *back = NULL, *lin = linear_model(), *lback = NULL;
	char *p1 = tmp("rt1.json"), *p2 = tmp("rt2.json");
	char *p3 = tmp("lin.json"), *t1, *t2;
	struct mlp_err err;

	/* values that print badly with fewer digits */
	m->split_value[0] = 0.1f;
	m->base_margin[1] = 1.0 / 3;
	m->best_iteration = 17;
	m->best_score = 0.123456789012345678;
	m->origin = xstrdup("mlp \"quoted\"\n\\");
	free(m->feat[2].name);
	m->feat[2].name = xstrdup("name with \"quotes\", é and \t tab");
	is_int(mlp_model_write_json(m, p1, &err), 0, "write model.json");
	is_int(mlp_model_read_json(p1, &back, &err), 0, "read it back");
	ok(back && models_equal(m, back), "model.json round trip is bit-exact");
	if (back)
		is_int(mlp_model_write_json(back, p2, &err), 0, "write again");
	t1 = read_text(p1);
	t2 = read_text(p2);
	ok(t1 && t2 && strcmp(t1, t2) == 0, "the rewritten file is identical");
	ok(t1 && strstr(t1, "\"format\": 1"), "model.json has format 1");
	free(t1);
	free(t2);

	lin->best_score = NAN;
	is_int(mlp_model_write_json(lin, p3, &err), 0, "write linear");
	is_int(mlp_model_read_json(p3, &lback, &err), 0, "read linear: %s",
	    err.msg);
	ok(lback && models_equal(lin, lback), "linear round trip is bit-exact");
	mlp_model_free(lback);

	m->split_value[3] = NAN;
	ok(mlp_model_write_json(m, p2, &err) == MLP_ECORRUPT,
	    "a bad model is not written: %s", err.msg);
	mlp_model_free(m);
	mlp_model_free(back);
	mlp_model_free(lin);
	free(p1);
	free(p2);
	free(p3);
}

static void
test_check(void)
{
	struct mlp_err err;
	struct mlp_model *m;

#define BAD(what, stmt) do { \
	m = small_model(); \
	stmt; \
	ok(mlp_model_check(m, &err) == MLP_ECORRUPT, "check refuses %s: %s", \
	    what, err.msg); \
	mlp_model_free(m); \
} while (0)
	BAD("a cycle", m->left[2] = 0);
	BAD("a child before its parent", m->left[2] = 2);
	BAD("a child out of range", m->left[2] = 5);
	BAD("a feature out of range", m->split_feat[2] = 2);
	BAD("a negative feature other than -1", m->split_feat[2] = -2);
	BAD("a NaN leaf", m->split_value[4] = NAN);
	BAD("an infinite threshold", m->split_value[0] = INFINITY);
	BAD("a root out of range", m->tree_root[1] = 6);
	BAD("a group out of range", m->tree_group[1] = 1);
	BAD("ngroup not 1 for regression", m->ngroup = 2);
	BAD("num_class 2 for regression", m->num_class = 2);
	BAD("softprob with nout 1", (m->objective = MLP_OBJ_SOFTPROB,
	    m->num_class = 2, m->ngroup = 2));
	BAD("an unknown objective", m->objective = 7);
	BAD("a NaN base margin", m->base_margin[0] = NAN);
	BAD("default_left 2", m->default_left[0] = 2);
	BAD("a nameless feature", (free(m->feat[0].name), m->feat[0].name =
	    NULL));
#undef BAD
	ok(mlp_model_check(NULL, &err) == MLP_ECORRUPT, "check refuses NULL");
}

static void
test_mlmodel(void)
{
	struct mlp_model *m = small_model(), *back = NULL;
	const char *names[] = { "auc", "logloss", "weird: name" };
	const double values[] = { 0.9375, 0.25, NAN };
	struct mlp_model_meta meta = {
		.run_id = "0123456789", .artifact_path = "model",
		.metric_names = names, .metric_values = values, .nmetrics = 3,
	};
	char *dir = tmp("m1"), *mlm = tmp("m1/MLmodel");
	char *mj = tmp("m1/model.json"), *xdir = tmp("x1"), *xgb;
	char *text, *p;
	struct mlp_err err;
	float x[2] = { 1, NAN };
	double a, b;

	m->objective = MLP_OBJ_LOGISTIC;
	is_int(mlp_model_write_dir(m, &meta, dir, &err), 0, "write a model "
	    "directory: %s", err.msg);
	text = read_text(mlm);
	ok(text != NULL, "MLmodel written");
	if (!text)
		text = xstrdup("");
	ok(strstr(text, "artifact_path: model\n") &&
	    strstr(text, "flavors:\n  mlp:\n    data: model.json\n") &&
	    strstr(text, "    model_type: gbdt\n") &&
	    strstr(text, "    objective: binary:logistic\n") &&
	    strstr(text, "    mlp_version: '" MLP_VERSION "'\n"),
	    "MLmodel has the mlp flavor");
	ok(strstr(text, "run_id: '0123456789'\n") != NULL,
	    "a numeric-looking run_id is quoted");
	ok(strstr(text, "  inputs: '[{\"type\": \"double\", \"name\": \"x0\", "
	    "\"required\": true}, {\"type\": \"double\", \"name\": \"x1\", "
	    "\"required\": true}]'\n") != NULL, "signature inputs as MLflow "
	    "writes them");
	ok(strstr(text, "metrics:\n  auc: 0.9375\n  logloss: 0.25\n  'weird: "
	    "name': .nan\n") != NULL, "metrics");
	p = strstr(text, "model_uuid: ");
	if (p && p[12] == '\'')	/* quoted when all digits, say */
		p++;
	ok(p && strspn(p + 12, "0123456789abcdef") == 32,
	    "a 32-hex-digit model_uuid");
	p = strstr(text, "utc_time_created: '");
	ok(p && strlen(p) >= 46 && p[19 + 4] == '-' && p[19 + 10] == ' ' &&
	    p[19 + 19] == '.' && p[19 + 26] == '\'',
	    "utc_time_created as MLflow writes it");
	ok(!strstr(text, "xgboost"), "no xgboost flavor without a file");
	free(text);

	mlp_model_predict_row(m, x, &a);
	is_int(mlp_model_load(dir, &back, &err), 0, "load the directory: %s",
	    err.msg);
	if (back) {
		mlp_model_predict_row(back, x, &b);
		ok(models_equal(m, back) && a == b, "same model back");
		mlp_model_free(back);
	}
	is_int(mlp_model_load(mlm, &back, &err), 0, "load by its MLmodel");
	mlp_model_free(back);
	is_int(mlp_model_load(mj, &back, &err), 0, "load its model.json");
	mlp_model_free(back);
	ok(mlp_model_write_dir(m, &meta, dir, &err) == MLP_EEXISTS,
	    "a non-empty directory is refused: %s", err.msg);

	/* an imported XGBoost model keeps its file in the xgboost flavor */
	xgb = xasprintf("%s/binary.json", datadir);
	mlp_model_free(m);
	if (mlp_model_import_xgboost(xgb, &m, &err) < 0) {
		ok(0, "import %s: %s", xgb, err.msg);
		m = small_model();
	}
	meta.xgboost_file = xgb;
	meta.nmetrics = 0;
	meta.run_id = NULL;
	is_int(mlp_model_write_dir(m, &meta, xdir, &err), 0,
	    "write an imported model: %s", err.msg);
	free(mlm);
	mlm = xasprintf("%s/MLmodel", xdir);
	text = read_text(mlm);
	ok(text && strstr(text, "  xgboost:\n    data: model.xgb.json\n") &&
	    strstr(text, "    model_format: json\n") && !strstr(text,
	    "run_id") && !strstr(text, "metrics"),
	    "the xgboost flavor names model.xgb.json");
	free(text);
	/* without the mlp flavor, the xgboost flavor's file is imported */
	write_text(mlm, "artifact_path: model\nflavors:\n  xgboost:\n"
	    "    data: model.xgb.json\n    model_format: json\n");
	is_int(mlp_model_load(xdir, &back, &err), 0, "load by the xgboost "
	    "flavor: %s", err.msg);
	ok(back && models_equal(m, back), "the same model from model.xgb.json");
	mlp_model_free(back);
	mlp_model_free(m);
	free(xgb);
	free(dir);
	free(mlm);
	free(mj);
	free(xdir);
}

/* Writes text to a temporary file and expects loading it to fail with
 * code, the message naming the file and holding what. */
static void
load_fails(const char *name, const char *text, int code, const char *what)
{
	char *path = tmp(name);
	struct mlp_model *m = (struct mlp_model *)1;
	struct mlp_err err;
	int rc;

	if (text)
		write_text(path, text);
	mlp_err_clear(&err);
	rc = mlp_model_load(path, &m, &err);
	ok(rc == code && m == NULL && strstr(err.msg, name) &&
	    strstr(err.msg, what), "load %s: %s", name, err.msg);
	if (rc != code)
		printf("#   rc %d, want %d\n", rc, code);
	free(path);
}

static void
test_load_errors(void)
{
	char *d = tmp("emptydir"), *d2 = tmp("noflavor");
	char *mlm = tmp("noflavor/MLmodel");

	load_fails("no-such-file.json", NULL, MLP_ENOTFOUND, "no-such-file");
	load_fails("bad.json", "{\"format\": 1,\n\"kind\": ", MLP_EINVAL,
	    "not valid JSON (line 2)");
	load_fails("neither.json", "{\"a\": 1}", MLP_EINVAL, "neither");
	load_fails("format2.json", "{\"format\": 2}", MLP_EUNSUPPORTED,
	    "format 2");
	load_fails("nokind.json", "{\"format\": 1, \"kind\": \"forest\"}",
	    MLP_EINVAL, "field 'kind'");
	load_fails("short.json", "{\"format\": 1, \"kind\": \"gbdt\", "
	    "\"objective\": \"reg:squarederror\", \"num_class\": 1, "
	    "\"ngroup\": 1, \"nout\": 1, \"feat\": [], \"base_margin\": [], "
	    "\"best_iteration\": 0, \"best_score\": 0}", MLP_EINVAL,
	    "field 'base_margin': expected 1 value, found 0");
	load_fails("badnode.json", "{\"format\": 1, \"kind\": \"gbdt\", "
	    "\"objective\": \"reg:squarederror\", \"num_class\": 1, "
	    "\"ngroup\": 1, \"nout\": 1, \"feat\": [{\"name\": \"a\", "
	    "\"type\": \"numeric\"}], \"base_margin\": [0], "
	    "\"best_iteration\": 0, \"best_score\": 0, \"ntrees\": 1, "
	    "\"nnodes\": 1, \"nslots\": 0, \"tree_root\": [0], "
	    "\"tree_group\": [0], \"split_feat\": [0], \"split_value\": [1], "
	    "\"left\": [0], \"default_left\": [0]}", MLP_ECORRUPT,
	    "node 0: child 0 out of range");
	load_fails("dart.json", "{\"learner\": {\"gradient_booster\": "
	    "{\"name\": \"dart\"}}}", MLP_EUNSUPPORTED, "booster 'dart'");
	load_fails("gblinear.json", "{\"learner\": {\"gradient_booster\": "
	    "{\"name\": \"gblinear\"}}}", MLP_EUNSUPPORTED, "gblinear");
	load_fails("rank.json", "{\"learner\": {\"gradient_booster\": "
	    "{\"name\": \"gbtree\"}, \"learner_model_param\": {\"base_score\": "
	    "\"0.5\", \"num_class\": \"0\", \"num_feature\": \"2\"}, "
	    "\"objective\": {\"name\": \"rank:pairwise\"}}}", MLP_EUNSUPPORTED,
	    "rank:pairwise");
	load_fails("xgbtree.json", "{\"learner\": {\"gradient_booster\": "
	    "{\"name\": \"gbtree\", \"model\": {\"trees\": [{\"tree_param\": "
	    "{\"num_nodes\": \"3\"}, \"left_children\": [1, -1, -1], "
	    "\"right_children\": [2, -1, -1], \"split_indices\": [5, 0, 0], "
	    "\"split_conditions\": [0.5, 1, 2], \"default_left\": [0, 0, 0]}],"
	    " \"tree_info\": [0]}}, \"learner_model_param\": {\"base_score\": "
	    "\"0.5\", \"num_class\": \"0\", \"num_feature\": \"2\"}, "
	    "\"objective\": {\"name\": \"reg:squarederror\"}}}", MLP_EINVAL,
	    "field 'trees[0]': node 0: split_indices 5 out of range");
	load_fails("xgbcycle.json", "{\"learner\": {\"gradient_booster\": "
	    "{\"name\": \"gbtree\", \"model\": {\"trees\": [{\"tree_param\": "
	    "{\"num_nodes\": \"3\"}, \"left_children\": [1, 0, -1], "
	    "\"right_children\": [2, 2, -1], \"split_indices\": [0, 0, 0], "
	    "\"split_conditions\": [0.5, 1, 2], \"default_left\": [0, 0, 0]}],"
	    " \"tree_info\": [0]}}, \"learner_model_param\": {\"base_score\": "
	    "\"0.5\", \"num_class\": \"0\", \"num_feature\": \"2\"}, "
	    "\"objective\": {\"name\": \"reg:squarederror\"}}}", MLP_EINVAL,
	    "out of range");
	load_fails("xgbnobase.json", "{\"learner\": {\"gradient_booster\": "
	    "{\"name\": \"gbtree\"}, \"learner_model_param\": {\"num_class\": "
	    "\"0\", \"num_feature\": \"2\"}, \"objective\": {\"name\": "
	    "\"binary:logistic\"}}}", MLP_EINVAL,
	    "field 'learner.learner_model_param.base_score': missing");
	load_fails("MLmodel", "flavors:\n  sklearn:\n    data: m.pkl\n",
	    MLP_EUNSUPPORTED, "no mlp or xgboost flavor (flavors: sklearn)");
	load_fails("notyaml", "flavors: [\n", MLP_EINVAL, "not valid YAML");
	load_fails("scalar", "hello\n", MLP_EINVAL, "is not a model");
	/* what a model declares is backed by what it holds */
	load_fails("xgbclasses.json", "{\"learner\": {\"gradient_booster\": "
	    "{\"name\": \"gbtree\", \"model\": {\"trees\": [{\"tree_param\": "
	    "{\"num_nodes\": \"1\"}, \"left_children\": [-1], "
	    "\"right_children\": [-1], \"split_indices\": [0], "
	    "\"split_conditions\": [0.5], \"default_left\": [0]}],"
	    " \"tree_info\": [0]}}, \"learner_model_param\": {\"base_score\": "
	    "\"0.5\", \"num_class\": \"1048576\", \"num_feature\": \"1\"}, "
	    "\"objective\": {\"name\": \"multi:softprob\"}}}", MLP_EINVAL,
	    "num_class");
	load_fails("xgbclasses2.json", "{\"learner\": {\"gradient_booster\": "
	    "{\"name\": \"gbtree\", \"model\": {\"trees\": [{\"tree_param\": "
	    "{\"num_nodes\": \"1\"}, \"left_children\": [-1], "
	    "\"right_children\": [-1], \"split_indices\": [0], "
	    "\"split_conditions\": [0.5], \"default_left\": [0]}],"
	    " \"tree_info\": [0]}}, \"learner_model_param\": {\"base_score\": "
	    "\"0.5\", \"num_class\": \"4000\", \"num_feature\": \"1\"}, "
	    "\"objective\": {\"name\": \"multi:softprob\"}}}", MLP_ECORRUPT,
	    "num_class 4000, but no tree for class 1");
	load_fails("latin1.json", "{\"format\": 1, \"kind\": \"gbdt\", "
	    "\"objective\": \"reg:squarederror\", \"num_class\": 1, "
	    "\"ngroup\": 1, \"nout\": 1, \"feat\": [{\"name\": \"caf\xe9\", "
	    "\"type\": \"numeric\"}], \"base_margin\": [0], "
	    "\"best_iteration\": 0, \"best_score\": 0, \"ntrees\": 0, "
	    "\"nnodes\": 0, \"nslots\": 0}", MLP_EINVAL,
	    "feature 0 name 'caf\\xe9' is not valid UTF-8");
	load_fails("latin1-levels.json", "{\"format\": 1, \"kind\": \"gbdt\", "
	    "\"objective\": \"reg:squarederror\", \"num_class\": 1, "
	    "\"ngroup\": 1, \"nout\": 1, \"feat\": [{\"name\": \"city\", "
	    "\"type\": \"categorical\", \"levels\": [\"S\xe3o\"]}], "
	    "\"base_margin\": [0], \"best_iteration\": 0, \"best_score\": 0, "
	    "\"ntrees\": 0, \"nnodes\": 0, \"nslots\": 0}", MLP_EINVAL,
	    "feature 'city' level 'S\\xe3' is not valid UTF-8");
	load_fails("xgbnames.json", "{\"learner\": {\"feature_names\": "
	    "[\"\xff\"], \"gradient_booster\": "
	    "{\"name\": \"gbtree\", \"model\": {\"trees\": [], "
	    "\"tree_info\": []}}, \"learner_model_param\": {\"base_score\": "
	    "\"0.5\", \"num_class\": \"0\", \"num_feature\": \"1\"}, "
	    "\"objective\": {\"name\": \"reg:squarederror\"}}}", MLP_EINVAL,
	    "not valid UTF-8");
	/* MLmodel is YAML read with limits */
	{
		struct mlp_buf b = MLP_BUF_INIT;
		char *d3 = tmp("deep");

		mlp_buf_adds(&b, "flavors: ");
		for (int i = 0; i < 100000; i++)
			mlp_buf_addc(&b, '[');
		mkdir(d3, 0777);
		free(d3);
		load_fails("deep/MLmodel", b.s, MLP_EINVAL,
		    "line 1: nested more than 64 levels deep");
		mlp_buf_reset(&b);
		for (int i = 0; i < 300000; i++)
			mlp_buf_adds(&b, "# a comment line\n");
		load_fails("deep/MLmodel", b.s, MLP_EINVAL,
		    "is larger than 4 MiB");
		mlp_buf_release(&b);
	}
	load_fails("deep/MLmodel", "flavors:\n  mlp:\n    data: model.json\n"
	    "    data: other.json\n", MLP_EINVAL,
	    "line 4: duplicate key 'data' (first at line 3)");
	mkdir(d, 0777);
	mkdir(d2, 0777);
	load_fails("emptydir", NULL, MLP_EINVAL, "has no MLmodel");
	load_fails("noflavor/MLmodel", "flavors:\n  mlp:\n    data: "
	    "../../etc/passwd\n", MLP_EINVAL, "field 'flavors.mlp.data'");
	load_fails("noflavor/MLmodel", "flavors:\n  mlp:\n    data: "
	    "missing.json\n", MLP_ENOTFOUND, "missing.json");
	load_fails("noflavor/MLmodel", "flavors:\n  xgboost:\n    data: "
	    "model.xgb\n    model_format: xgb\n", MLP_EUNSUPPORTED,
	    "model_format");
	free(d);
	free(d2);
	free(mlm);
}

/* An XGBoost model of objective obj, base_score bs (the JSON text) and
 * nclass classes: one leaf 0.5 for each class. */
static char *
xgb_leaves(const char *obj, const char *bs, int nclass)
{
	struct mlp_buf b = MLP_BUF_INIT;
	int ntrees = nclass > 1 ? nclass : 1;

	mlp_buf_addf(&b, "{\"learner\": {\"gradient_booster\": {\"name\": "
	    "\"gbtree\", \"model\": {\"trees\": [");
	for (int t = 0; t < ntrees; t++)
		mlp_buf_addf(&b, "%s{\"tree_param\": {\"num_nodes\": \"1\"}, "
		    "\"left_children\": [-1], \"right_children\": [-1], "
		    "\"split_indices\": [0], \"split_conditions\": [0.5], "
		    "\"default_left\": [false]}", t ? ", " : "");
	mlp_buf_adds(&b, "], \"tree_info\": [");
	for (int t = 0; t < ntrees; t++)
		mlp_buf_addf(&b, "%s%d", t ? ", " : "", t);
	mlp_buf_addf(&b, "]}}, \"learner_model_param\": {\"base_score\": %s, "
	    "\"num_class\": \"%d\", \"num_feature\": \"1\"}, \"objective\": "
	    "{\"name\": \"%s\"}}}", bs, nclass > 1 ? nclass : 0, obj);
	return mlp_buf_detach(&b);
}

static void
test_xgboost_base_score(void)
{
	static const struct {
		const char *obj, *bs;
		int nclass;
		double want[3];
	} cases[] = {
		{ "reg:squarederror", "\"2.5E-1\"", 1, { 0.75 } },
		{ "reg:squarederror", "\"[2.5E-1]\"", 1, { 0.75 } },
		{ "reg:linear", "0.25", 1, { 0.75 } },
		{ "binary:logistic", "\"5E-1\"", 1, { 0.5 } },
		{ "multi:softprob", "\"5E-1\"", 3, { 1, 1, 1 } },
		{ "multi:softprob", "\"[1E-1,2.5E-1,-1.5E0]\"", 3,
		    { 0.6, 0.75, -1 } },
		{ "multi:softmax", "\"[2.5E-1]\"", 3, { 0.75, 0.75, 0.75 } },
	};
	char *path = tmp("base.json");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = xgb_leaves(cases[i].obj, cases[i].bs,
		    cases[i].nclass);
		struct mlp_model *m = NULL;
		struct mlp_err err;
		double mg[3] = { 0, 0, 0 };
		float x = 0;
		int same = 1;

		write_text(path, text);
		is_int(mlp_model_import_xgboost(path, &m, &err), 0,
		    "%s base_score %s: imported", cases[i].obj, cases[i].bs);
		if (m)
			mlp_model_margin(m, &x, mg);
		for (int g = 0; g < (cases[i].nclass > 1 ? 3 : 1); g++)
			same = same && fabs(mg[g] - cases[i].want[g]) < 1e-7;
		ok(same, "%s base_score %s: margins %g %g %g", cases[i].obj,
		    cases[i].bs, mg[0], mg[1], mg[2]);
		mlp_model_free(m);
		free(text);
	}
	free(path);
	{
		char *text = xgb_leaves("multi:softprob", "\"[1,2]\"", 3);

		load_fails("base2.json", text, MLP_EINVAL,
		    "field 'learner.learner_model_param.base_score': '[1,2]' "
		    "is not one number or 3");
		free(text);
		text = xgb_leaves("binary:logistic", "\"1.5\"", 1);
		load_fails("base3.json", text, MLP_EINVAL, "not a probability");
		free(text);
	}
}

/* XGBoost parity */

struct csv {
	size_t nrows, ncols;
	char **names;
	double *v;	/* row-major */
};

/* Reads a numeric CSV with a header ("nan" for missing); enough for the
 * fixtures (the real reader is lib/data's). */
static int
csv_read(const char *path, struct csv *c)
{
	char *text = read_text(path), *line, *save = NULL;
	size_t alloc = 0;

	memset(c, 0, sizeof(*c));
	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		char *f, *s2 = NULL;

		if (!c->names) {
			for (f = strtok_r(line, ",", &s2); f;
			    f = strtok_r(NULL, ",", &s2)) {
				c->names = xrealloc(c->names, (c->ncols + 1) *
				    sizeof(char *));
				c->names[c->ncols++] = xstrdup(f);
			}
			continue;
		}
		mlp_grow(&c->v, &alloc, (c->nrows + 1) * c->ncols,
		    sizeof(double));
		for (size_t j = 0; j < c->ncols; j++) {
			f = strtok_r(j ? NULL : line, ",", &s2);
			c->v[c->nrows * c->ncols + j] = f ? strtod(f, NULL) :
			    NAN;
		}
		c->nrows++;
	}
	free(text);
	return 0;
}

static void
csv_free(struct csv *c)
{
	for (size_t j = 0; j < c->ncols; j++)
		free(c->names[j]);
	free(c->names);
	free(c->v);
}

static void
test_xgboost(void)
{
	static const struct {
		const char *name;
		int obj, nout;
		const char *feat0;
	} fx[] = {
		{ "binary", MLP_OBJ_LOGISTIC, 1, "a" },
		{ "reg", MLP_OBJ_SQUARED, 1, "f0" },
		{ "softprob", MLP_OBJ_SOFTPROB, 3, "f0" },
		{ "softmax", MLP_OBJ_SOFTMAX, 1, "f0" },
	};
	char *in = xasprintf("%s/inputs.csv", datadir);
	struct csv x;
	float **cols;

	if (csv_read(in, &x) < 0 || x.nrows != 200 || x.ncols != 6) {
		ok(0, "read %s", in);
		free(in);
		return;
	}
	cols = xmalloc(x.ncols * sizeof(float *));
	for (size_t j = 0; j < x.ncols; j++) {
		cols[j] = xmalloc(x.nrows * sizeof(float));
		for (size_t i = 0; i < x.nrows; i++)
			cols[j][i] = (float)x.v[i * x.ncols + j];
	}
	for (size_t k = 0; k < sizeof(fx) / sizeof(fx[0]); k++) {
		char *mp = xasprintf("%s/%s.json", datadir, fx[k].name);
		char *pp = xasprintf("%s/%s.pred.csv", datadir, fx[k].name);
		struct mlp_model *m = NULL, *m2 = NULL;
		struct mlp_err err;
		struct csv want;
		double *got, maxdiff = 0;
		size_t bad = 0;

		if (csv_read(pp, &want) < 0 || want.nrows != x.nrows ||
		    mlp_model_import_xgboost(mp, &m, &err) < 0) {
			ok(0, "%s: read the fixture: %s", fx[k].name, err.msg);
			goto next;
		}
		ok((int)m->objective == fx[k].obj && m->nout == fx[k].nout &&
		    want.ncols == (size_t)m->nout && m->nfeat == 6 &&
		    strcmp(m->feat[0].name, fx[k].feat0) == 0 &&
		    strcmp(m->origin, "xgboost") == 0,
		    "%s: imported (%zu trees, %zu nodes)", fx[k].name,
		    m->ntrees, m->nnodes);
		got = xmalloc(x.nrows * (size_t)m->nout * sizeof(double));
		mlp_model_predict(m, (const float *const *)cols, x.nrows, got,
		    2, &err);
		for (size_t i = 0; i < x.nrows * (size_t)m->nout; i++) {
			double d = fabs(got[i] - want.v[i]);

			if (d > maxdiff)
				maxdiff = d;
			bad += !(d <= 1e-6);
		}
		ok(bad == 0, "%s: %zu outputs within 1e-6 of XGBoost's (max "
		    "difference %.3g)", fx[k].name, x.nrows * (size_t)m->nout,
		    maxdiff);
		ok(row_batch_equal(m, cols, x.nrows, 1),
		    "%s: row predictions equal batch ones", fx[k].name);
		is_int(mlp_model_load(mp, &m2, &err), 0,
		    "%s: mlp_model_load recognises XGBoost JSON", fx[k].name);
		ok(m2 && models_equal(m, m2), "%s: the same model", fx[k].name);
		free(got);
next:
		mlp_model_free(m);
		mlp_model_free(m2);
		csv_free(&want);
		free(mp);
		free(pp);
	}
	for (size_t j = 0; j < x.ncols; j++)
		free(cols[j]);
	free(cols);
	csv_free(&x);
	free(in);
}

/* tests/data/xgb: next to this source, or found up from the binary
 * (build/unit/model_test, build/asan/unit/model_test). */
static char *
find_data(void)
{
	char exe[4096], *p;
	ssize_t n;
	char *d = xstrdup("tests/data/xgb");

	if (access("tests/data/xgb/inputs.csv", R_OK) == 0)
		return d;
	free(d);
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) < 0)
		return xstrdup("tests/data/xgb");
	exe[n] = '\0';
	while ((p = strrchr(exe, '/')) && p != exe) {
		*p = '\0';
		d = xasprintf("%s/tests/data/xgb", exe);
		if (access(d, R_OK) == 0)
			return d;
		free(d);
	}
	return xstrdup("tests/data/xgb");
}

/* Split counts equal XGBoost's get_score(importance_type="weight") on
 * the fixtures (numbers from Debian's python3-xgboost 1.7.4). */
static void
test_split_counts(void)
{
	static const struct {
		const char *file;
		double want[6];
	} cases[] = {
		{ "binary.json", { 72, 74, 49, 46, 36, 56 } },
		{ "reg.json", { 175, 158, 103, 84, 58, 105 } },
		{ "softprob.json", { 110, 140, 61, 68, 51, 89 } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = xasprintf("%s/%s", datadir, cases[i].file);
		struct mlp_model *m = NULL;
		struct mlp_err err;
		double got[6];
		int same;

		if (mlp_model_import_xgboost(path, &m, &err) < 0 ||
		    m->nfeat != 6) {
			ok(0, "import %s: %s", path, err.msg);
			free(path);
			mlp_model_free(m);
			continue;
		}
		mlp_model_split_counts(m, got);
		same = memcmp(got, cases[i].want, sizeof(got)) == 0;
		ok(same, "%s: split counts %g %g %g %g %g %g as XGBoost's",
		    cases[i].file, got[0], got[1], got[2], got[3], got[4],
		    got[5]);
		mlp_model_free(m);
		free(path);
	}
	{
		struct mlp_model *m = small_model();
		double c[8];

		m->kind = MLP_MODEL_LINEAR;
		mlp_model_split_counts(m, c);
		ok(m->nfeat == 0 || c[0] == 0, "a linear model has none");
		mlp_model_free(m);
	}
}

/* mlp_pred_format gives printf's "%.9g" bytes: its own digit loop is
 * checked against snprintf on random values of every magnitude, ties and
 * the edges where the exponent form starts. */
static void
test_pred_format(void)
{
	static const double edge[] = { 0.0, -0.0, 1, -1, 0.5, 100000000.5,
		100000001.5, 999999999.5, 999999999.4, 1e9, 1e-4, 1e-5,
		0.000099999999995, 123456789, 1234567890, 9007199254740991.0,
		9007199254740992.0, 1e-14, 9.99999999e-15, 1e300, 5e-324,
		0.1, 0.2, 0.3, 2.5, 0.731058598, 1.0 / 3, 2.0 / 3, 1e16,
		HUGE_VAL, -HUGE_VAL, NAN };
	char got[MLP_PRED_CHARS], want[64];
	size_t bad = 0, n = 0;

	for (size_t i = 0; i < sizeof(edge) / sizeof(*edge); i++) {
		mlp_pred_format(edge[i], 0, got);
		snprintf(want, sizeof(want), "%.9g", edge[i]);
		is_str(got, want, "%%.9g of %.17g", edge[i]);
	}
	mlp_pred_format(NAN, 1, got);
	is_str(got, "null", "JSON: NaN is null");
	for (int i = 0; i < 500000; i++, n++) {
		uint64_t r = rnd();
		double v;

		switch (i % 4) {
		case 0:		/* any double bits */
			memcpy(&v, &r, sizeof(v));
			break;
		case 1:		/* a prediction-like value */
			v = ((double)(r >> 11) / 9007199254740992.0 - 0.5) *
			    pow(10, (double)(int)(r % 17) - 8);
			break;
		case 2:		/* a float widened, as tree sums are */
			v = (float)(((double)(r >> 11) / 9007199254740992.0) *
			    pow(10, (double)(int)(r % 23) - 11));
			break;
		default:	/* a short decimal, where ties live */
			v = (double)(int64_t)(r % 2000000001) / 2 *
			    pow(10, (double)(int)((r >> 40) % 13) - 6);
		}
		mlp_pred_format(v, 0, got);
		snprintf(want, sizeof(want), "%.9g", v);
		if (strcmp(got, want) != 0 && bad++ < 5)
			printf("# %.17g: got %s, want %s\n", v, got, want);
	}
	ok(bad == 0, "%%.9g equals snprintf's on %zu random values (%zu "
	    "differ)", n, bad);
}

int
main(void)
{
	char *cmd;
	int rc;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	datadir = find_data();
	test_objectives();
	test_small_trees();
	test_multiclass();
	test_linear();
	test_row_batch();
	test_json_roundtrip();
	test_check();
	test_mlmodel();
	test_load_errors();
	test_xgboost_base_score();
	test_xgboost();
	test_split_counts();
	test_pred_format();
	rc = tap_done();
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	free(cmd);
	free(datadir);
	return rc;
}

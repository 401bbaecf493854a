/* Unit tests of the batch predictor's walkers (lib/model/walk.c): random
 * models (depths 1 to 10, unbalanced trees, one and three groups, every
 * objective, missing and infinite inputs, values on the thresholds) give
 * with every walker the processor has the bits mlp_model_predict_row
 * gives, for row counts that are not whole vectors, and so does the row
 * predictor once the tables are built (its own vector walker); the tables
 * are built once even by racing threads, and counted before they are. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "tap.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Values on a grid of quarters, so that rows meet thresholds exactly. */
static float
grid(void)
{
	return (float)((int)(rnd() % 33) - 16) / 4;
}

struct grow {
	struct mlp_model *m;
	size_t cap;
	int split_pct;		/* the chance of a node splitting */
};

static uint32_t
node_new(struct grow *g)
{
	struct mlp_model *m = g->m;

	if (m->nnodes == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		m->split_feat = xrealloc(m->split_feat, g->cap * 4);
		m->split_value = xrealloc(m->split_value, g->cap * 4);
		m->left = xrealloc(m->left, g->cap * 4);
		m->default_left = xrealloc(m->default_left, g->cap);
	}
	return (uint32_t)m->nnodes++;
}

/* Grows node n (made) to at most depth more levels, at random: deep on
 * one side and shallow on the other as often as not. */
static void
grow(struct grow *g, uint32_t n, int depth)
{
	struct mlp_model *m = g->m;
	uint32_t l;

	if (depth == 0 || m->nfeat == 0 || (int)(rnd() % 100) >= g->split_pct) {
		m->split_feat[n] = -1;
		m->split_value[n] = (float)((double)(rnd() % 20001) / 10000 -
		    1);
		m->left[n] = 0;
		m->default_left[n] = 0;
		return;
	}
	l = node_new(g);
	node_new(g);
	m->split_feat[n] = (int32_t)(rnd() % m->nfeat);
	m->split_value[n] = grid();
	m->left[n] = l;
	m->default_left[n] = rnd() & 1;
	grow(g, l, depth - 1);
	grow(g, l + 1, depth - 1);
}

/* A random model of ntrees rounds, trees of depth up to maxdepth. */
static struct mlp_model *
random_model(size_t nfeat, int ngroup, int objective, size_t rounds,
    int maxdepth)
{
	struct mlp_model *m = mlp_model_new();
	struct mlp_column *c = xcalloc(nfeat + 1, sizeof(*c));
	struct grow g = { m, 0, 50 + (int)(rnd() % 50) };
	struct mlp_err err;

	for (size_t j = 0; j < nfeat; j++)
		c[j].name = xasprintf("f%zu", j);
	mlp_model_set_features(m, c, nfeat);
	for (size_t j = 0; j < nfeat; j++)
		free(c[j].name);
	free(c);
	m->objective = objective;
	m->num_class = m->ngroup = ngroup;
	m->nout = objective == MLP_OBJ_SOFTPROB ? ngroup : 1;
	m->base_margin = xmalloc((size_t)ngroup * sizeof(double));
	for (int k = 0; k < ngroup; k++)
		m->base_margin[k] = (double)(rnd() % 1000) / 1000 - 0.5;
	m->ntrees = rounds * (size_t)ngroup;
	m->tree_root = xmalloc(m->ntrees * sizeof(*m->tree_root));
	m->tree_group = xmalloc(m->ntrees * sizeof(*m->tree_group));
	for (size_t t = 0; t < m->ntrees; t++) {
		m->tree_group[t] = (int32_t)(t % (size_t)ngroup);
		m->tree_root[t] = node_new(&g);
		grow(&g, m->tree_root[t], 1 + (int)(rnd() % (unsigned)maxdepth));
	}
	if (mlp_model_check(m, &err) < 0) {
		printf("# random model: %s\n", err.msg);
		exit(1);
	}
	return m;
}

/* Columns of nrows rows: grid values, a tenth missing, a few infinite. */
static float **
random_cols(size_t nfeat, size_t nrows)
{
	float **cols = xcalloc(nfeat + 1, sizeof(*cols));

	for (size_t j = 0; j < nfeat; j++) {
		cols[j] = xmalloc((nrows + 1) * sizeof(float));
		for (size_t r = 0; r < nrows; r++) {
			unsigned k = (unsigned)(rnd() % 100);

			cols[j][r] = k < 10 ? NAN : k == 10 ? INFINITY :
			    k == 11 ? -INFINITY : grid();
		}
	}
	return cols;
}

static void
free_cols(float **cols, size_t nfeat)
{
	for (size_t j = 0; j < nfeat; j++)
		free(cols[j]);
	free(cols);
}

/* The row predictor's outputs of the rows of cols. */
static double *
row_outputs(const struct mlp_model *m, float **cols, size_t nrows)
{
	double *want = xmalloc(nrows * (size_t)m->nout * sizeof(double));
	float *x = xmalloc((m->nfeat + 1) * sizeof(float));

	for (size_t r = 0; r < nrows; r++) {
		for (size_t j = 0; j < m->nfeat; j++)
			x[j] = cols[j][r];
		mlp_model_predict_row(m, x, want + r * (size_t)m->nout);
	}
	free(x);
	return want;
}

static const char *const isas[] = { "scalar", "avx2", "avx512" };

/* Whether the row predictor, now that the batch tables are built (its
 * vector walker may use them), still gives want. */
static int
rows_again(const struct mlp_model *m, float **cols, size_t nrows,
    const double *want)
{
	double *got = row_outputs(m, cols, nrows);
	int same = memcmp(got, want, nrows * (size_t)m->nout *
	    sizeof(double)) == 0;

	free(got);
	return same;
}
static const size_t row_counts[] = { 1, 7, 63, 65, 1000, 5000 };

/* Whether the batch predictor gives the row predictor's bits for every
 * row count (5000 rows on two threads). */
static int
same_as_rows(const struct mlp_model *m, float **cols, const double *want)
{
	struct mlp_err err;

	for (size_t i = 0; i < sizeof(row_counts) / sizeof(row_counts[0]);
	    i++) {
		size_t n = row_counts[i], nout = (size_t)m->nout;
		double *got = xmalloc(n * nout * sizeof(double));
		int same = mlp_model_predict(m, (const float *const *)cols, n,
		    got, n > 4096 ? 2 : 1, &err) == 0 &&
		    memcmp(got, want, n * nout * sizeof(double)) == 0;

		free(got);
		if (!same) {
			printf("# differs at %zu rows\n", n);
			return 0;
		}
	}
	return 1;
}

static void
test_random_models(void)
{
	static const int objectives[] = { MLP_OBJ_SQUARED, MLP_OBJ_LOGISTIC,
	    MLP_OBJ_SOFTMAX, MLP_OBJ_SOFTPROB };
	size_t nrows = 5000;

	for (int i = 0; i < 24; i++) {
		int obj = objectives[i % 4];
		int ngroup = obj == MLP_OBJ_SOFTMAX || obj == MLP_OBJ_SOFTPROB ?
		    3 : 1;
		/* no features (every tree a leaf) once */
		size_t nfeat = i == 5 ? 0 : 1 + rnd() % 40;
		int maxdepth = 1 + (int)(rnd() % 10);
		struct mlp_model *m = random_model(nfeat, ngroup, obj,
		    1 + rnd() % 40, maxdepth);
		float **cols = random_cols(nfeat, nrows);
		double *want = row_outputs(m, cols, nrows);

		for (size_t k = 0; k < sizeof(isas) / sizeof(isas[0]); k++) {
			mlp_model_isa_set(isas[k], NULL);
			if (strcmp(mlp_model_isa(), isas[k]) != 0) {
				printf("# no %s on this processor\n", isas[k]);
				continue;
			}
			ok(same_as_rows(m, cols, want), "model %d (%s, %zu "
			    "features, depth <= %d, %zu trees): %s walker "
			    "gives the row predictor's bits", i,
			    mlp_objective_name(obj), nfeat, maxdepth,
			    m->ntrees, isas[k]);
			ok(rows_again(m, cols, nrows, want), "model %d: the "
			    "row predictor with the %s tables gives the same "
			    "bits", i, isas[k]);
		}
		free(want);
		free_cols(cols, nfeat);
		mlp_model_free(m);
	}
	mlp_model_isa_set(NULL, NULL);
}

/* Perfect trees of every depth the vector walkers lay out, and deeper:
 * every lookup of theirs (permutes of 1 to 64 entries, gathers). */
static void
test_full_depths(void)
{
	for (int d = 0; d <= 10; d++) {
		struct mlp_model *m = random_model(8, 1, MLP_OBJ_SQUARED, 3, 1);
		struct grow g = { m, 0, 100 };
		float **cols;
		double *want;

		/* regrow the trees full to depth d */
		m->nnodes = 0;
		free(m->split_feat);
		free(m->split_value);
		free(m->left);
		free(m->default_left);
		m->split_feat = NULL;
		m->split_value = NULL;
		m->left = NULL;
		m->default_left = NULL;
		g.m = m;
		for (size_t t = 0; t < m->ntrees; t++) {
			m->tree_root[t] = node_new(&g);
			grow(&g, m->tree_root[t], d);
		}
		cols = random_cols(8, 5000);
		want = row_outputs(m, cols, 5000);
		for (size_t k = 0; k < sizeof(isas) / sizeof(isas[0]); k++) {
			mlp_model_isa_set(isas[k], NULL);
			if (strcmp(mlp_model_isa(), isas[k]) != 0)
				continue;
			ok(same_as_rows(m, cols, want), "full trees of depth "
			    "%d: %s walker gives the row predictor's bits", d,
			    isas[k]);
			ok(rows_again(m, cols, 5000, want), "full trees of "
			    "depth %d: the row predictor with the %s tables "
			    "gives the same bits", d, isas[k]);
		}
		free(want);
		free_cols(cols, 8);
		mlp_model_free(m);
	}
	mlp_model_isa_set(NULL, NULL);
}

static void
test_isa_names(void)
{
	struct mlp_err err;
	const char *best;

	is_int(mlp_model_isa_set(NULL, &err), 0, "no name: the best walker");
	best = mlp_model_isa();
	ok(strcmp(best, "scalar") == 0 || strcmp(best, "avx2") == 0 ||
	    strcmp(best, "avx512") == 0, "the best walker is %s", best);
	is_int(mlp_model_isa_set("scalar", &err), 0, "scalar is known");
	is_str(mlp_model_isa(), "scalar", "scalar is chosen");
	is_int(mlp_model_isa_set("sse9", &err), MLP_EINVAL,
	    "an unknown name is refused");
	is_str(err.msg, "unknown instruction set 'sse9': expected scalar, "
	    "avx2 or avx512", "the message names it and the known ones");
	is_str(mlp_model_isa(), "scalar", "the choice is unchanged");
	is_int(mlp_model_isa_set("avx512", &err), 0, "avx512 is known");
	ok(strcmp(mlp_model_isa(), "avx512") == 0 ||
	    strcmp(best, "avx512") != 0, "avx512 when the processor has it, "
	    "else the best it has (%s)", mlp_model_isa());
	mlp_model_isa_set(NULL, NULL);
}

struct racer {
	const struct mlp_model *m;
	float **cols;
	double *out;
	pthread_t thread;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	struct mlp_err err;

	mlp_model_predict(r->m, (const float *const *)r->cols, 100, r->out, 1,
	    &err);
	return NULL;
}

/* Threads predicting with a fresh model at once build its tables
 * together; one copy is kept, the others freed (LeakSanitizer sees a
 * loser's copy that is not), and all predict alike. */
static void
test_race_and_bytes(void)
{
	struct mlp_model *m = random_model(28, 1, MLP_OBJ_LOGISTIC, 100, 6);
	float **cols = random_cols(28, 100);
	double *want = row_outputs(m, cols, 100);
	struct racer r[4];
	size_t before = mlp_model_bytes(m);
	int same = 1;

	for (int i = 0; i < 4; i++) {
		r[i].m = m;
		r[i].cols = cols;
		r[i].out = xmalloc(100 * sizeof(double));
		pthread_create(&r[i].thread, NULL, race, &r[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(r[i].thread, NULL);
		same &= memcmp(r[i].out, want, 100 * sizeof(double)) == 0;
		free(r[i].out);
	}
	ok(same, "four threads racing to build the tables predict alike");
	is_int(mlp_model_bytes(m), before, "the tables are counted before "
	    "they are built");
	/* 13 bytes a node in the model, 16 in the scalar walker's table */
	ok(before > m->nnodes * 29, "and they are counted (%zu bytes, %zu "
	    "nodes)", before, m->nnodes);
	free(want);
	free_cols(cols, 28);
	mlp_model_free(m);
}

int
main(void)
{
	test_isa_names();
	test_random_models();
	test_full_depths();
	test_race_and_bytes();
	return tap_done();
}

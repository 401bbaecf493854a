/* Tree walker benchmark: walk_bench [TREES [DEPTH [FEATURES]]]
 *
 * Builds a random model of full trees (default 100 trees of depth 6 over
 * 28 features, binary:logistic, as the server's benchmark model) and
 * random rows (uniform values, 5% missing), then prints, for each walker
 * the processor has (mlp_model_isa_set), the nanoseconds per row of
 * mlp_model_predict on one thread for batches of 1, 16, 1000 and 100000
 * rows, and those of mlp_model_predict_row; thread CPU time, best of 3
 * runs of about 0.1 s, so that a loaded machine stretches them little.
 * Also the time to build the batch tables (mlp_model_prepare). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

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

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *msg)
{
	fprintf(stderr, "walk_bench: %s\n", msg);
	exit(1);
}

/* Full trees: node n's children at 2n + 1 and 2n + 2 within a tree. */
static struct mlp_model *
full_model(size_t ntrees, int depth, size_t nfeat)
{
	struct mlp_model *m = mlp_model_new();
	struct mlp_column *c = xcalloc(nfeat, sizeof(*c));
	size_t per = ((size_t)2 << depth) - 1, inner = per / 2;
	struct mlp_err err;

	for (size_t j = 0; j < nfeat; j++)
		c[j].name = xasprintf("f%zu", j);
	mlp_model_set_features(m, c, nfeat);
	for (size_t j = 0; j < nfeat; j++)
		free(c[j].name);
	free(c);
	m->objective = MLP_OBJ_LOGISTIC;
	m->base_margin = xcalloc(1, sizeof(double));
	m->ntrees = ntrees;
	m->nnodes = ntrees * per;
	m->tree_root = xmalloc(ntrees * sizeof(*m->tree_root));
	m->tree_group = xcalloc(ntrees, sizeof(*m->tree_group));
	m->split_feat = xmalloc(m->nnodes * sizeof(*m->split_feat));
	m->split_value = xmalloc(m->nnodes * sizeof(*m->split_value));
	m->left = xmalloc(m->nnodes * sizeof(*m->left));
	m->default_left = xmalloc(m->nnodes);
	for (size_t t = 0; t < ntrees; t++) {
		m->tree_root[t] = (uint32_t)(t * per);
		for (size_t i = 0; i < per; i++) {
			size_t n = t * per + i;

			m->left[n] = i < inner ? (uint32_t)(t * per + 2 * i +
			    1) : 0;
			m->split_feat[n] = i < inner ? (int32_t)(rnd() %
			    nfeat) : -1;
			m->split_value[n] = i < inner ? (float)urand() :
			    (float)(urand() - 0.5) / 10;
			m->default_left[n] = rnd() & 1;
		}
	}
	if (mlp_model_check(m, &err) < 0)
		die(err.msg);
	return m;
}

/* Thread CPU ns per row of nrows-row batches, best of 3. */
static double
batch_ns(const struct mlp_model *m, float **cols, size_t nrows,
    double *out)
{
	size_t reps = 1 + 100000 / nrows;
	struct mlp_err err;
	double best = 1e300;

	for (int k = 0; k < 3; k++) {
		double t0 = cpu_now();

		for (size_t i = 0; i < reps; i++)
			if (mlp_model_predict(m, (const float *const *)cols,
			    nrows, out, 1, &err) < 0)
				die(err.msg);
		t0 = (cpu_now() - t0) * 1e9 / (double)(reps * nrows);
		if (t0 < best)
			best = t0;
	}
	return best;
}

static double
row_ns(const struct mlp_model *m, float **cols, size_t nrows)
{
	float *x = xmalloc(4096 * m->nfeat * sizeof(float));
	double best = 1e300, sink = 0, o;

	for (size_t i = 0; i < 4096; i++)
		for (size_t j = 0; j < m->nfeat; j++)
			x[i * m->nfeat + j] = cols[j][i % nrows];
	for (int k = 0; k < 3; k++) {
		double t0 = cpu_now();

		for (size_t i = 0; i < 100000; i++) {
			mlp_model_predict_row(m, x + (i & 4095) * m->nfeat,
			    &o);
			sink += o;
		}
		t0 = (cpu_now() - t0) * 1e9 / 100000;
		if (t0 < best)
			best = t0;
	}
	free(x);
	return sink == 12345.678 ? 0 : best;
}

int
main(int argc, char **argv)
{
	static const char *const isas[] = { "scalar", "avx2", "avx512" };
	static const size_t sizes[] = { 1, 16, 1000, 100000 };
	size_t ntrees = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
	int depth = argc > 2 ? atoi(argv[2]) : 6;
	size_t nfeat = argc > 3 ? strtoul(argv[3], NULL, 10) : 28;
	size_t nrows = 100000;
	struct mlp_model *m;
	float **cols;
	double *out, t0;

	if (ntrees < 1 || depth < 0 || depth > 20 || nfeat < 1)
		die("usage: walk_bench [TREES [DEPTH [FEATURES]]]");
	m = full_model(ntrees, depth, nfeat);
	cols = xmalloc(nfeat * sizeof(*cols));
	for (size_t j = 0; j < nfeat; j++) {
		cols[j] = xmalloc(nrows * sizeof(float));
		for (size_t r = 0; r < nrows; r++)
			cols[j][r] = rnd() % 20 == 0 ? NAN : (float)urand();
	}
	out = xmalloc(nrows * sizeof(double));
	t0 = cpu_now();
	mlp_model_prepare(m);
	printf("model: %zu trees of depth %d, %zu features; tables built in "
	    "%.3f ms, model %zu bytes\n", ntrees, depth, nfeat,
	    (cpu_now() - t0) * 1e3, mlp_model_bytes(m));
	printf("%-8s %10s %10s %10s %10s   (ns/row, 1 thread)\n", "walker",
	    "1 row", "16 rows", "1000 rows", "100000");
	for (size_t k = 0; k < sizeof(isas) / sizeof(isas[0]); k++) {
		mlp_model_isa_set(isas[k], NULL);
		if (strcmp(mlp_model_isa(), isas[k]) != 0)
			continue;
		printf("%-8s", isas[k]);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			printf(" %10.1f", batch_ns(m, cols, sizes[i], out));
		printf("\n");
	}
	printf("%-8s %10.1f\n", "row", row_ns(m, cols, nrows));
	for (size_t j = 0; j < nfeat; j++)
		free(cols[j]);
	free(cols);
	free(out);
	mlp_model_free(m);
	return 0;
}

/* Benchmark of the linear learners: logistic and ridge regression on a
 * synthetic n x d numeric data set (default 1,000,000 x 28, the shape of
 * HIGGS). Prints timings, iterations and the weights on standardised
 * inputs, and can write the data set for tests/perf/linear.sh to give to
 * scikit-learn.
 *
 * Usage: linear_bench [-n ROWS] [-d FEATURES] [-t THREADS] [-l LAMBDA]
 *                     [-o DATA.f32]
 * DATA.f32 is n rows of d + 2 float32s: the features, the 0/1 label and
 * the regression target. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train/train.h"

static int iters;

static int
count_iter(void *ud, int iter, int total, const struct mlp_metric_val *m,
    size_t nm, const struct mlp_model *partial)
{
	double *last = ud;

	iters = iter;
	for (size_t k = 0; k < nm && k < 3; k++)
		last[k] = m[k].value;
	return 0;
}

static double
uni(unsigned long long *st)
{
	*st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*st >> 11) / 9007199254740992.0;
}

static void
run(const struct mlp_learner *l, const struct mlp_train_data *d,
    const char *lambda, int threads)
{
	struct mlp_params p = MLP_PARAMS_INIT;
	struct mlp_train_job job = { 0 };
	struct mlp_model *m = NULL;
	struct mlp_err err;
	double last[3] = { 0 }, t0;

	mlp_params_set(&p, "lambda", lambda);
	job.params = &p;
	job.train = d;
	job.nthreads = threads;
	job.on_iter = count_iter;
	job.ud = last;
	iters = 0;
	t0 = mlp_mono();
	if (l->train(&job, &m, &err) < 0) {
		fprintf(stderr, "linear_bench: %s: %s\n", l->name, err.msg);
		exit(1);
	}
	printf("%s: %.3f s, %d iterations, %d threads, train %s %.6f\n",
	    l->name, mlp_mono() - t0, iters, mlp_train_threads(threads),
	    l == &mlp_learner_logistic ? "logloss" : "rmse", last[0]);
	printf("%s weights:", l->name);
	for (size_t k = 0; k < m->nslots; k++)
		printf(" %.10g", m->weight[k]);
	printf("\n%s bias: %.10g\n", l->name, m->bias[0]);
	mlp_model_free(m);
	mlp_params_release(&p);
}

int
main(int argc, char **argv)
{
	size_t n = 1000000, nf = 28;
	int threads = 0, c;
	const char *lambda = "1e-4", *out = NULL;
	unsigned long long st = 42;
	struct mlp_column *feat;
	struct mlp_train_data d = { 0 };
	float **x, *y, *yr;
	double *beta;
	char name[32];

	while ((c = getopt(argc, argv, "n:d:t:l:o:")) != -1) {
		switch (c) {
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 'd': nf = strtoul(optarg, NULL, 10); break;
		case 't': threads = atoi(optarg); break;
		case 'l': lambda = optarg; break;
		case 'o': out = optarg; break;
		default:
			fprintf(stderr, "usage: linear_bench [-n ROWS] "
			    "[-d FEATURES] [-t THREADS] [-l LAMBDA] "
			    "[-o DATA.f32]\n");
			return 2;
		}
	}
	feat = xcalloc(nf, sizeof(*feat));
	x = xcalloc(nf, sizeof(*x));
	beta = xcalloc(nf, sizeof(*beta));
	y = xcalloc(n, sizeof(*y));
	yr = xcalloc(n, sizeof(*yr));
	for (size_t j = 0; j < nf; j++) {
		snprintf(name, sizeof(name), "f%zu", j);
		feat[j].name = xstrdup(name);
		x[j] = xcalloc(n, sizeof(float));
		beta[j] = (uni(&st) - 0.5) * 2 / sqrt((double)nf);
	}
	for (size_t i = 0; i < n; i++) {
		double t = 0.3;

		for (size_t j = 0; j < nf; j++) {
			/* roughly normal, features of different scales */
			double v = uni(&st) + uni(&st) + uni(&st) - 1.5;

			x[j][i] = (float)(v * (double)(j + 1) + (double)j);
			t += beta[j] * 2 * v;
		}
		y[i] = uni(&st) < 1 / (1 + exp(-t));
		yr[i] = (float)(t + uni(&st) - 0.5);
	}
	if (out) {
		FILE *fp = fopen(out, "wb");
		float *row = xcalloc(nf + 2, sizeof(float));

		if (!fp) {
			perror(out);
			return 1;
		}
		for (size_t i = 0; i < n; i++) {
			for (size_t j = 0; j < nf; j++)
				row[j] = x[j][i];
			row[nf] = y[i];
			row[nf + 1] = yr[i];
			fwrite(row, sizeof(float), nf + 2, fp);
		}
		if (fclose(fp) != 0) {
			perror(out);
			return 1;
		}
		free(row);
	}
	d.nrows = n;
	d.nfeat = nf;
	d.x = (const float *const *)x;
	d.feat = feat;
	d.y = y;
	run(&mlp_learner_logistic, &d, lambda, threads);
	d.y = yr;
	run(&mlp_learner_linear, &d, lambda, threads);
	for (size_t j = 0; j < nf; j++) {
		free(feat[j].name);
		free(x[j]);
	}
	free(feat);
	free(x);
	free(beta);
	free(y);
	free(yr);
	return 0;
}

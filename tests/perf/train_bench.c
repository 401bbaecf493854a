/* Benchmark of the gbdt learner: train_bench TRAIN.csv VALID.csv [K=V...]
 * loads two CSV files (a header, numeric columns, the last one the label;
 * a loader of its own, not lib/data's), trains gbdt on the first with the
 * parameters given (threads=N picks the threads, default 2; the other
 * K=V go to the learner) and prints the training time, the validation AUC
 * of the final model's predictions, the last iteration's metrics and a
 * hash of the model (equal hashes: the same trees). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "train/train.h"

struct csv {
	size_t nrows, ncols;	/* ncols features (label excluded) */
	float **x;
	float *y;
	struct mlp_column *col;
};

static int
load(const char *path, struct csv *c)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, arows = 0;
	ssize_t len;

	if (!f) {
		perror(path);
		return -1;
	}
	memset(c, 0, sizeof(*c));
	if ((len = getline(&line, &cap, f)) <= 0) {
		fprintf(stderr, "%s: empty\n", path);
		return -1;
	}
	for (char *p = line; *p; p++)
		c->ncols += *p == ',';
	c->col = xcalloc(c->ncols, sizeof(*c->col));
	{
		char *save = NULL, *tok = strtok_r(line, ",\r\n", &save);

		for (size_t j = 0; j < c->ncols && tok; j++) {
			c->col[j].name = xstrdup(tok);
			tok = strtok_r(NULL, ",\r\n", &save);
		}
	}
	c->x = xcalloc(c->ncols, sizeof(*c->x));
	while ((len = getline(&line, &cap, f)) > 0) {
		char *p = line, *end;

		if (c->nrows == arows) {
			arows = arows ? 2 * arows : 65536;
			for (size_t j = 0; j < c->ncols; j++)
				c->x[j] = xrealloc(c->x[j],
				    arows * sizeof(float));
			c->y = xrealloc(c->y, arows * sizeof(float));
		}
		for (size_t j = 0; j <= c->ncols; j++) {
			float v = *p == ',' || *p == '\n' ? NAN :
			    strtof(p, &end);

			if (*p != ',' && *p != '\n')
				p = end;
			if (j < c->ncols)
				c->x[j][c->nrows] = v;
			else
				c->y[c->nrows] = v;
			if (*p == ',')
				p++;
		}
		c->nrows++;
	}
	free(line);
	fclose(f);
	return 0;
}

static void
csv_free(struct csv *c)
{
	for (size_t j = 0; j < c->ncols; j++) {
		free(c->x[j]);
		free(c->col[j].name);
	}
	free(c->x);
	free(c->col);
	free(c->y);
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* FNV-1a over the model's arrays, to compare runs */
static uint64_t
model_hash(const struct mlp_model *m)
{
	const struct {
		const void *p;
		size_t n;
	} a[] = {
		{ m->base_margin, (size_t)m->ngroup * sizeof(double) },
		{ m->tree_root, m->ntrees * sizeof(*m->tree_root) },
		{ m->tree_group, m->ntrees * sizeof(*m->tree_group) },
		{ m->split_feat, m->nnodes * sizeof(*m->split_feat) },
		{ m->split_value, m->nnodes * sizeof(*m->split_value) },
		{ m->left, m->nnodes * sizeof(*m->left) },
		{ m->default_left, m->nnodes * sizeof(*m->default_left) },
	};
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t k = 0; k < sizeof(a) / sizeof(*a); k++)
		for (size_t i = 0; i < a[k].n; i++)
			h = (h ^ ((const unsigned char *)a[k].p)[i]) *
			    0x100000001b3ULL;
	return h;
}

struct last {
	int iter;
	char text[1024];
};

static int
on_iter(void *ud, int iter, int total, const struct mlp_metric_val *m,
    size_t nm, const struct mlp_model *partial)
{
	struct last *l = ud;
	size_t o = 0;

	l->iter = iter;
	for (size_t i = 0; i < nm && o < sizeof(l->text); i++)
		o += (size_t)snprintf(l->text + o, sizeof(l->text) - o,
		    "%s%s=%.6f", i ? " " : "", m[i].name, m[i].value);
	if (getenv("TRAIN_BENCH_VERBOSE"))
		fprintf(stderr, "[%d/%d] %s\n", iter, total, l->text);
	return 0;
}

int
main(int argc, char **argv)
{
	struct mlp_params p = MLP_PARAMS_INIT;
	struct csv tr, va;
	struct mlp_train_data dtr, dva;
	struct mlp_train_job job;
	struct mlp_model *m = NULL;
	struct mlp_err err;
	struct last last = { 0, "" };
	int threads = 2;
	double t0, t1, c0, c1, *pred;
	float *row;

	if (argc < 3) {
		fprintf(stderr, "usage: train_bench TRAIN.csv VALID.csv "
		    "[K=V...]\n");
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (strncmp(argv[i], "threads=", 8) == 0)
			threads = atoi(argv[i] + 8);
		else if (mlp_params_parse(&p, argv[i], &err) < 0) {
			fprintf(stderr, "train_bench: %s\n", err.msg);
			return 2;
		}
	}
	t0 = mlp_mono();
	if (load(argv[1], &tr) < 0 || load(argv[2], &va) < 0)
		return 1;
	t1 = mlp_mono();
	fprintf(stderr, "loaded %zu + %zu rows x %zu features in %.2f s\n",
	    tr.nrows, va.nrows, tr.ncols, t1 - t0);

	dtr = (struct mlp_train_data){ .nrows = tr.nrows, .nfeat = tr.ncols,
	    .x = (const float *const *)tr.x, .feat = tr.col, .y = tr.y };
	dva = (struct mlp_train_data){ .nrows = va.nrows, .nfeat = va.ncols,
	    .x = (const float *const *)va.x, .feat = va.col, .y = va.y };
	memset(&job, 0, sizeof(job));
	job.params = &p;
	job.train = &dtr;
	job.valid = &dva;
	job.nthreads = threads;
	job.on_iter = on_iter;
	job.ud = &last;
	mlp_err_clear(&err);
	t0 = mlp_mono();
	c0 = cpu_seconds();
	if (mlp_learner_gbdt.train(&job, &m, &err) < 0) {
		fprintf(stderr, "train_bench: %s\n", err.msg);
		return 1;
	}
	t1 = mlp_mono();
	c1 = cpu_seconds();

	pred = xmalloc((va.nrows ? va.nrows : 1) * (size_t)m->nout *
	    sizeof(*pred));
	row = xmalloc((va.ncols ? va.ncols : 1) * sizeof(*row));
	for (size_t i = 0; i < va.nrows; i++) {
		for (size_t j = 0; j < va.ncols; j++)
			row[j] = va.x[j][i];
		mlp_model_predict_row(m, row, &pred[i * (size_t)m->nout]);
	}
	printf("train_seconds %.3f\n", t1 - t0);
	printf("train_cpu_seconds %.3f\n", c1 - c0);
	if (m->objective == MLP_OBJ_LOGISTIC)
		printf("valid_auc %.6f\n", mlp_metric_eval(MLP_METRIC_AUC,
		    va.y, pred, va.nrows, 1));
	printf("trees %zu nodes %zu iterations %d model %016llx\n", m->ntrees,
	    m->nnodes, last.iter, (unsigned long long)model_hash(m));
	printf("last %s\n", last.text);
	mlp_model_free(m);
	mlp_params_release(&p);
	free(pred);
	free(row);
	csv_free(&tr);
	csv_free(&va);
	return 0;
}

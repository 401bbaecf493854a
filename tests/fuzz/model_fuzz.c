/* libFuzzer target for the model loaders: every input, written to a
 * temporary file, is read as a model.json, imported as an XGBoost JSON
 * model and loaded by content (which also reads MLmodel YAML). A loader
 * either fails with a message or returns a model that passes
 * mlp_model_check, predicts a row and a small batch alike, and survives a
 * model.json round trip with the same margins (fuzz: max_len=8192). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model.h"

static char *dir, *in_path, *out_path;

static void
cleanup(void)
{
	unlink(in_path);
	unlink(out_path);
	rmdir(dir);
}

static void
setup(void)
{
	char tmpl[] = "/tmp/mlp-model-fuzz.XXXXXX";

	if (access("/dev/shm", W_OK) == 0)
		memcpy(tmpl, "/dev/shm", 8);
	if (!mkdtemp(tmpl))
		abort();
	dir = xstrdup(tmpl);
	in_path = xasprintf("%s/in.json", dir);
	out_path = xasprintf("%s/out.json", dir);
	atexit(cleanup);
}

/* Margins of row i of the fuzz rows: mixed values, missing ones, level
 * codes in and out of range. */
static void
make_row(const struct mlp_model *m, size_t i, float *x)
{
	static const float vals[] = { 0, -1, 1, 0.5f, 2, 1e30f, -1e30f, 3 };

	for (size_t j = 0; j < m->nfeat; j++)
		x[j] = (i + j) % 5 == 4 ? NAN : vals[(i * 3 + j) % 8];
}

static void
exercise(struct mlp_model *m)
{
	struct mlp_model *back = NULL;
	struct mlp_err err;
	size_t nf = m->nfeat, nout = (size_t)m->nout, ng = (size_t)m->ngroup;
	float *x = xcalloc(nf + 1, sizeof(float));
	float *cols[4096];
	double *row = xmalloc(nout * sizeof(double));
	double *mg = xmalloc(ng * sizeof(double));
	double *mg2 = xmalloc(ng * sizeof(double));
	double *batch;
	size_t nrows = 9;

	if (mlp_model_check(m, &err) < 0)
		abort();
	make_row(m, 0, x);
	mlp_model_margin(m, x, mg);
	mlp_model_predict_row(m, x, row);
	/* a small batch when it stays small */
	if (nf <= 4096 && ng <= 4096) {
		batch = xmalloc(nrows * nout * sizeof(double));
		for (size_t j = 0; j < nf; j++)
			cols[j] = xmalloc(nrows * sizeof(float));
		for (size_t i = 0; i < nrows; i++) {
			make_row(m, i, x);
			for (size_t j = 0; j < nf; j++)
				cols[j][i] = x[j];
		}
		if (mlp_model_predict(m, (const float *const *)cols, nrows,
		    batch, 1, &err) < 0 ||
		    memcmp(batch, row, nout * sizeof(double)) != 0)
			abort();
		for (size_t j = 0; j < nf; j++)
			free(cols[j]);
		free(batch);
	}
	if (nf > 4096 || ng > 4096)
		goto out;
	if (mlp_model_write_json(m, out_path, &err) < 0 ||
	    mlp_model_read_json(out_path, &back, &err) < 0) {
		fprintf(stderr, "round trip: %s\n", err.msg);
		abort();
	}
	make_row(m, 0, x);
	mlp_model_margin(back, x, mg2);
	if (memcmp(mg, mg2, ng * sizeof(double)) != 0)
		abort();
	unlink(out_path);
out:
	mlp_model_free(back);
	free(x);
	free(row);
	free(mg);
	free(mg2);
}

static void
check_failure(int rc, const struct mlp_model *m, const struct mlp_err *err)
{
	if (rc >= 0)
		return;
	/* a failure returns no model and says why, on one line */
	if (m || rc != err->code || !err->msg[0] || strchr(err->msg, '\n'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlp_model *m = NULL;
	struct mlp_err err;
	FILE *f;
	int rc;

	if (!dir)
		setup();
	if (!(f = fopen(in_path, "wb")) || fwrite(data, 1, size, f) != size ||
	    fclose(f) != 0)
		abort();

	rc = mlp_model_read_json(in_path, &m, &err);
	check_failure(rc, m, &err);
	if (m)
		exercise(m);
	mlp_model_free(m);

	rc = mlp_model_import_xgboost(in_path, &m, &err);
	check_failure(rc, m, &err);
	if (m)
		exercise(m);
	mlp_model_free(m);

	rc = mlp_model_load(in_path, &m, &err);
	check_failure(rc, m, &err);
	if (m)
		exercise(m);
	mlp_model_free(m);
	return 0;
}

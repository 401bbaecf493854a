/* Prediction benchmark: predict_bench MODEL INPUT.csv [OUT.f64]
 *
 * Loads MODEL (an XGBoost JSON model, a model.json or a model directory)
 * and INPUT.csv (a header, then numeric rows; the model's features are
 * taken by name, missing values empty or "nan"), then prints
 *
 *	rows N
 *	batch_rows_per_s R	(wall clock, best of 3, 2 threads)
 *	batch_seconds S
 *	batch_cpu_ns_per_row C	(CPU time of all threads, best of 3)
 *	row_ns T		(mlp_model_predict_row, mean over 1M calls)
 *	row_cpu_ns T		(the same in thread CPU time)
 *
 * CPU times say what the work costs when other processes share the
 * cores and stretch the wall-clock times.
 * and, given OUT.f64, writes the batch outputs there as raw doubles for a
 * script to compare. The CSV loader is a simple one for this benchmark. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "model/model.h"

static double
cpu_time(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *msg)
{
	fprintf(stderr, "predict_bench: %s\n", msg);
	exit(1);
}

/* Maps the file and parses it into model-ordered columns. */
static float **
load_csv(const char *path, const struct mlp_model *m, size_t *nrows_out)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	const char *p, *end, *line_end;
	size_t ncols = 0, nrows = 0, alloc = 0;
	int *map;	/* CSV column -> feature, or -1 */
	float **cols;

	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0)
		die("cannot open the CSV");
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		die("cannot map the CSV");
	end = p + st.st_size;
	line_end = memchr(p, '\n', (size_t)(end - p));
	if (!line_end)
		die("no header");
	map = xmalloc((size_t)(line_end - p + 1) * sizeof(int));
	while (p < line_end) {
		const char *c = p;
		size_t n;

		while (c < line_end && *c != ',' && *c != '\r')
			c++;
		n = (size_t)(c - p);
		map[ncols] = -1;
		for (size_t j = 0; j < m->nfeat; j++)
			if (strlen(m->feat[j].name) == n &&
			    memcmp(m->feat[j].name, p, n) == 0)
				map[ncols] = (int)j;
		ncols++;
		p = c < line_end && *c == ',' ? c + 1 : line_end;
	}
	for (size_t j = 0; j < m->nfeat; j++) {
		size_t k;

		for (k = 0; k < ncols && map[k] != (int)j; k++)
			;
		if (k == ncols) {
			fprintf(stderr, "predict_bench: no column '%s'\n",
			    m->feat[j].name);
			exit(1);
		}
	}
	cols = xcalloc(m->nfeat ? m->nfeat : 1, sizeof(float *));
	p = line_end + 1;
	while (p < end) {
		if (*p == '\n' || *p == '\r') {
			p++;
			continue;
		}
		if (nrows == alloc) {
			alloc = alloc ? alloc * 2 : 65536;
			for (size_t j = 0; j < m->nfeat; j++)
				cols[j] = xrealloc(cols[j], alloc *
				    sizeof(float));
		}
		for (size_t k = 0; k < ncols; k++) {
			char *e;
			float v;

			if (p < end && (*p == ',' || *p == '\n' || *p == '\r'))
				v = NAN;
			else
				v = strtof(p, &e), p = e;
			if (map[k] >= 0)
				cols[map[k]][nrows] = v;
			while (p < end && *p != ',' && *p != '\n')
				p++;
			if (p < end && *p == ',')
				p++;
		}
		nrows++;
		if (p < end && *p == '\n')
			p++;
	}
	free(map);
	close(fd);
	*nrows_out = nrows;
	return cols;
}

int
main(int argc, char **argv)
{
	struct mlp_model *m;
	struct mlp_err err;
	float **cols, *x;
	double *out, best = 1e300, best_cpu = 1e300, sink = 0, t0, c0;
	double row_ns, row_cpu;
	size_t nrows, calls = 1000000;

	if (argc < 3) {
		fprintf(stderr, "usage: predict_bench MODEL INPUT.csv "
		    "[OUT.f64]\n");
		return 2;
	}
	if (mlp_model_load(argv[1], &m, &err) < 0)
		die(err.msg);
	cols = load_csv(argv[2], m, &nrows);
	if (nrows == 0)
		die("no rows");
	out = xmalloc(nrows * (size_t)m->nout * sizeof(double));
	for (int rep = 0; rep < 3; rep++) {
		t0 = mlp_mono();
		c0 = cpu_time(CLOCK_PROCESS_CPUTIME_ID);
		if (mlp_model_predict(m, (const float *const *)cols, nrows,
		    out, 2, &err) < 0)
			die(err.msg);
		c0 = cpu_time(CLOCK_PROCESS_CPUTIME_ID) - c0;
		t0 = mlp_mono() - t0;
		if (t0 < best)
			best = t0;
		if (c0 < best_cpu)
			best_cpu = c0;
	}
	/* single rows, cycling through the first 4096 rows of the input */
	x = xmalloc(4096 * (m->nfeat + 1) * sizeof(float));
	for (size_t i = 0; i < 4096; i++)
		for (size_t j = 0; j < m->nfeat; j++)
			x[i * m->nfeat + j] = cols[j][i % nrows];
	{
		double *o = xmalloc((size_t)m->nout * sizeof(double));

		t0 = mlp_mono();
		c0 = cpu_time(CLOCK_THREAD_CPUTIME_ID);
		for (size_t i = 0; i < calls; i++) {
			mlp_model_predict_row(m, x + (i & 4095) * m->nfeat, o);
			sink += o[0];
		}
		row_cpu = (cpu_time(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e9 /
		    (double)calls;
		row_ns = (mlp_mono() - t0) * 1e9 / (double)calls;
		free(o);
	}
	printf("rows %zu\n", nrows);
	printf("batch_rows_per_s %.0f\n", (double)nrows / best);
	printf("batch_seconds %.4f\n", best);
	printf("batch_cpu_ns_per_row %.1f\n", best_cpu * 1e9 / (double)nrows);
	printf("row_ns %.1f\n", row_ns);
	printf("row_cpu_ns %.1f\n", row_cpu);
	if (sink == 12345.678)
		printf("(sink)\n");
	if (argc > 3) {
		FILE *f = fopen(argv[3], "wb");

		if (!f || fwrite(out, sizeof(double), nrows * (size_t)m->nout,
		    f) != nrows * (size_t)m->nout || fclose(f) != 0)
			die("cannot write the outputs");
	}
	for (size_t j = 0; j < m->nfeat; j++)
		free(cols[j]);
	free(cols);
	free(x);
	free(out);
	mlp_model_free(m);
	return 0;
}

/* Times mlp_csv_read on a file: csv_bench FILE [THREADS] prints the best
 * of three reads in seconds and rows per second. */
#include <stdio.h>
#include <stdlib.h>

#include "data/data.h"

int
main(int argc, char **argv)
{
	struct mlp_csv_opts opts = { 0 };
	struct mlp_err err;
	double best = -1;
	size_t rows = 0, cols = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: csv_bench FILE [THREADS]\n");
		return 2;
	}
	opts.nthreads = argc > 2 ? atoi(argv[2]) : 0;
	for (int i = 0; i < 3; i++) {
		struct mlp_frame *f;
		double t0 = mlp_mono(), t;

		if (mlp_csv_read(argv[1], &opts, &f, &err) < 0) {
			fprintf(stderr, "csv_bench: %s\n", err.msg);
			return 1;
		}
		t = mlp_mono() - t0;
		if (best < 0 || t < best)
			best = t;
		rows = f->nrows;
		cols = f->ncols;
		mlp_frame_free(f);
	}
	printf("%.3f s, %.0f rows/s (%zu rows, %zu columns, %d threads)\n",
	    best, rows / best, rows, cols, opts.nthreads);
	return 0;
}

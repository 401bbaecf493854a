/* libFuzzer target for the CSV readers: every input is read from a memfd
 * with one thread and split between two and three (chunks of any size),
 * which must agree, and streamed through a small schema in chunks of
 * three rows. fuzz: max_len=4096 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "data/data.h"
#include "data/internal.h"
#include "../unit/frames.h"

/* The invariants of a frame read without error. */
static void
check_frame(const struct mlp_frame *f)
{
	if (f->nrows == 0 || f->ncols == 0 || strlen(f->digest) != 64)
		abort();
	for (size_t j = 0; j < f->ncols; j++) {
		const struct mlp_column *c = &f->col[j];

		if (c->type == MLP_COL_NUM && c->nlevels)
			abort();
		for (size_t i = 0; i < f->nrows; i++) {
			float v = f->cols[j][i];

			if (c->type == MLP_COL_CAT && !isnan(v) &&
			    (v < 0 || v >= (float)c->nlevels ||
			    v != floorf(v)))
				abort();
		}
	}
}

static void
stream(const char *path)
{
	static char *xy[] = { "x", "y" };
	static const struct mlp_column schema[2] = {
		{ "a", MLP_COL_NUM, NULL, 0 },
		{ "b", MLP_COL_CAT, xy, 2 },
	};
	struct mlp_csv_stream *s;
	struct mlp_frame *f = NULL;
	struct mlp_err err;
	size_t n;
	int rc;

	if (mlp_csv_stream_open(&s, path, schema, 2, NULL, &err) < 0) {
		if (err.msg[0] == '\0')
			abort();
		return;
	}
	while ((rc = mlp_csv_stream_next(s, 3, &f, &n, &err)) == 0 && n > 0)
		if (n > 3 || f->nrows != n || mlp_csv_stream_line(s) < 2)
			abort();
	if (rc < 0 && err.msg[0] == '\0')
		abort();
	mlp_csv_stream_close(s);
	mlp_frame_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct mlp_csv_opts opts = { 0 };
	struct mlp_frame *one = NULL, *f;
	struct mlp_err e1, e2;
	int r1, r2;

	if (fd < 0) {
		if ((fd = memfd_create("csv_fuzz", 0)) < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	data_min_chunk = 1;
	opts.nthreads = 1;
	r1 = mlp_csv_read(path, &opts, &one, &e1);
	if (r1 == 0)
		check_frame(one);
	else if (e1.msg[0] == '\0' || one)
		abort();
	for (int n = 2; n <= 3; n++) {
		opts.nthreads = n;
		f = NULL;
		r2 = mlp_csv_read(path, &opts, &f, &e2);
		if (r1 != r2 || (r1 == 0 && !frames_equal(one, f)) ||
		    (r1 < 0 && strcmp(e1.msg, e2.msg) != 0))
			abort();
		mlp_frame_free(f);
	}
	mlp_frame_free(one);
	stream(path);
	return 0;
}

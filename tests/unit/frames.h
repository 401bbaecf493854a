/* Frame comparison shared by the CSV unit tests and the CSV fuzz target. */
#ifndef MLP_TEST_FRAMES_H
#define MLP_TEST_FRAMES_H

#include <math.h>
#include <string.h>

#include "data/data.h"

/* The same float, bit for bit, or both NaN. */
static inline int
same_float(float a, float b)
{
	return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof(a)) == 0;
}

/* The same rows, columns, levels, values, lines and digest. */
static inline int
frames_equal(const struct mlp_frame *a, const struct mlp_frame *b)
{
	if (a->nrows != b->nrows || a->ncols != b->ncols ||
	    strcmp(a->digest, b->digest) != 0)
		return 0;
	for (size_t j = 0; j < a->ncols; j++) {
		const struct mlp_column *x = &a->col[j], *y = &b->col[j];

		if (strcmp(x->name, y->name) || x->type != y->type ||
		    x->nlevels != y->nlevels)
			return 0;
		for (size_t k = 0; k < x->nlevels; k++)
			if (strcmp(x->levels[k], y->levels[k]))
				return 0;
		for (size_t i = 0; i < a->nrows; i++)
			if (!same_float(a->cols[j][i], b->cols[j][i]))
				return 0;
	}
	for (size_t i = 0; i < a->nrows; i++)
		if (mlp_frame_line(a, i) != mlp_frame_line(b, i))
			return 0;
	return 1;
}

#endif

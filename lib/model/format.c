/* Predictions as text: what mlp predict prints and mlp serve answers, so
 * that both give the same bytes for the same rows. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

size_t
mlp_pred_format(double v, int json, char *buf)
{
	int k;

	if (json && !isfinite(v)) {
		memcpy(buf, "null", 5);
		return 4;
	}
	k = snprintf(buf, MLP_PRED_CHARS, "%.9g", v);
	return k < 0 ? 0 : (size_t)k;
}

void
mlp_pred_append(struct mlp_buf *out, const struct mlp_model *m,
    const double *pred, size_t nrows, int json, int first)
{
	char buf[MLP_PRED_CHARS];
	size_t nout = m->nout > 0 ? (size_t)m->nout : 1;

	for (size_t i = 0; i < nrows; i++) {
		const double *p = pred + i * nout;

		if (json) {
			if (!first || i)
				mlp_buf_addc(out, ',');
			if (nout > 1)
				mlp_buf_addc(out, '[');
		}
		for (size_t k = 0; k < nout; k++) {
			size_t len = mlp_pred_format(p[k], json, buf);

			if (k)
				mlp_buf_addc(out, ',');
			mlp_buf_add(out, buf, len);
		}
		if (json && nout > 1)
			mlp_buf_addc(out, ']');
		if (!json)
			mlp_buf_addc(out, '\n');
	}
}

/* Windowed aggregations: one accumulator, fed in event order, that the
 * offline join and the online stores both use, so both give the same
 * bits. */
#include <math.h>
#include <string.h>

#include "feature.h"

void
mlp_fagg_acc_init(struct mlp_fagg_acc *a)
{
	memset(a, 0, sizeof(*a));
}

void
mlp_fagg_acc_add(struct mlp_fagg_acc *a, double x)
{
	double d;

	a->n++;
	a->sum += x;
	if (a->n == 1 || x < a->min)
		a->min = x;
	if (a->n == 1 || x > a->max)
		a->max = x;
	a->last = x;
	/* Welford: the mean and the sum of squared deviations */
	d = x - a->mean;
	a->mean += d / (double)a->n;
	a->m2 += d * (x - a->mean);
}

enum mlp_ftype
mlp_fagg_type(enum mlp_aggop op)
{
	return op == MLP_AGG_COUNT ? MLP_FT_INT : MLP_FT_FLOAT;
}

void
mlp_fagg_acc_value(const struct mlp_fagg_acc *a, enum mlp_aggop op,
    struct mlp_fval *out)
{
	memset(out, 0, sizeof(*out));
	out->type = mlp_fagg_type(op);
	if (op == MLP_AGG_COUNT) {
		out->v.i = a->n;
		return;
	}
	if (a->n == 0 || (op == MLP_AGG_STDDEV && a->n < 2)) {
		out->null = 1;
		return;
	}
	switch (op) {
	case MLP_AGG_SUM:
		out->v.f = a->sum;
		break;
	case MLP_AGG_AVG:
		out->v.f = a->sum / (double)a->n;
		break;
	case MLP_AGG_MIN:
		out->v.f = a->min;
		break;
	case MLP_AGG_MAX:
		out->v.f = a->max;
		break;
	case MLP_AGG_LAST:
		out->v.f = a->last;
		break;
	case MLP_AGG_STDDEV:
		/* m2 >= 0 in exact arithmetic; rounding may leave -0 */
		out->v.f = sqrt(a->m2 > 0 ? a->m2 / (double)(a->n - 1) : 0.0);
		break;
	default:
		out->null = 1;
		break;
	}
	if (!isfinite(out->v.f))
		out->null = 1;
}

void
mlp_fagg_run(enum mlp_aggop op, const double *x, const uint64_t *nulls,
    size_t n, struct mlp_fval *out)
{
	struct mlp_fagg_acc a;

	mlp_fagg_acc_init(&a);
	for (size_t i = 0; i < n; i++)
		if (!nulls || !((nulls[i >> 6] >> (i & 63)) & 1))
			mlp_fagg_acc_add(&a, x[i]);
	mlp_fagg_acc_value(&a, op, out);
}

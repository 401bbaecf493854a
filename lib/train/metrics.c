/* Evaluation metrics, computed the way XGBoost and scikit-learn do. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

static const struct {
	const char *name;
	int maximize;
} metrics[MLP_METRIC_COUNT] = {
	[MLP_METRIC_LOGLOSS] = { "logloss", 0 },
	[MLP_METRIC_AUC] = { "auc", 1 },
	[MLP_METRIC_ACCURACY] = { "accuracy", 1 },
	[MLP_METRIC_RMSE] = { "rmse", 0 },
	[MLP_METRIC_MAE] = { "mae", 0 },
	[MLP_METRIC_R2] = { "r2", 1 },
	[MLP_METRIC_MLOGLOSS] = { "mlogloss", 0 },
	[MLP_METRIC_MACCURACY] = { "maccuracy", 1 },
};

const char *
mlp_metric_name(enum mlp_metric_id m)
{
	return (unsigned)m < MLP_METRIC_COUNT ? metrics[m].name : NULL;
}

int
mlp_metric_parse(const char *name)
{
	for (int i = 0; i < MLP_METRIC_COUNT; i++)
		if (strcmp(metrics[i].name, name) == 0)
			return i;
	return -1;
}

int
mlp_metric_maximize(enum mlp_metric_id m)
{
	return (unsigned)m < MLP_METRIC_COUNT && metrics[m].maximize;
}

size_t
mlp_metric_defaults(int objective, enum mlp_metric_id *out)
{
	switch (objective) {
	case MLP_OBJ_LOGISTIC:
		out[0] = MLP_METRIC_LOGLOSS;
		out[1] = MLP_METRIC_AUC;
		out[2] = MLP_METRIC_ACCURACY;
		return 3;
	case MLP_OBJ_SOFTMAX:
	case MLP_OBJ_SOFTPROB:
		out[0] = MLP_METRIC_MLOGLOSS;
		out[1] = MLP_METRIC_MACCURACY;
		return 2;
	default:
		out[0] = MLP_METRIC_RMSE;
		out[1] = MLP_METRIC_MAE;
		out[2] = MLP_METRIC_R2;
		return 3;
	}
}

static double
clip(double p)
{
	return p < 1e-15 ? 1e-15 : p > 1 - 1e-15 ? 1 - 1e-15 : p;
}

/* An unsigned key whose order is the order of the doubles (NaN last). */
static uint64_t
order_key(double d)
{
	uint64_t u;

	if (isnan(d))
		return UINT64_MAX;
	if (d == 0)
		d = 0;		/* -0 and +0 tie */
	memcpy(&u, &d, sizeof(u));
	return (u >> 63) ? ~u : u | (1ULL << 63);
}

struct scored {
	uint64_t key;
	float y;
};

/* LSD radix sort on 16-bit digits: four linear passes, where a comparison
 * sort of a validation set every iteration would dominate training. */
static void
radix_sort(struct scored *a, struct scored *tmp, size_t n)
{
	size_t *count = xcalloc(65536, sizeof(*count));

	for (int pass = 0; pass < 4; pass++) {
		int shift = pass * 16;
		size_t sum = 0;

		memset(count, 0, 65536 * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[(a[i].key >> shift) & 0xffff]++;
		if (count[(a[0].key >> shift) & 0xffff] == n)
			continue;	/* every key has this digit */
		for (size_t d = 0; d < 65536; d++) {
			size_t c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[(a[i].key >> shift) & 0xffff]++] = a[i];
		memcpy(a, tmp, n * sizeof(*a));
	}
	free(count);
}

/* Mann-Whitney: the sum over positives of the negatives ranked below,
 * ties counting half. */
static double
auc(const float *y, const double *pred, size_t n)
{
	struct scored *a = xmalloc(n * sizeof(*a));
	struct scored *tmp = xmalloc(n * sizeof(*tmp));
	double npos = 0, nneg = 0, area = 0;
	size_t i = 0;

	for (size_t k = 0; k < n; k++) {
		a[k].key = order_key(pred[k]);
		a[k].y = y[k];
	}
	radix_sort(a, tmp, n);
	while (i < n) {
		double tp = 0, tn = 0;
		size_t j = i;

		for (; j < n && a[j].key == a[i].key; j++) {
			if (a[j].y > 0.5f)
				tp++;
			else
				tn++;
		}
		area += tp * (nneg + tn / 2);
		npos += tp;
		nneg += tn;
		i = j;
	}
	free(a);
	free(tmp);
	if (npos == 0 || nneg == 0)
		return 0.5;
	return area / (npos * nneg);
}

double
mlp_metric_eval(enum mlp_metric_id m, const float *y, const double *pred,
    size_t n, int k)
{
	double s = 0, mean = 0, ss = 0;

	if (n == 0)
		return NAN;
	switch (m) {
	case MLP_METRIC_LOGLOSS:
		for (size_t i = 0; i < n; i++) {
			double p = clip(pred[i]);

			s -= y[i] > 0.5f ? log(p) : log(1 - p);
		}
		return s / (double)n;
	case MLP_METRIC_AUC:
		return auc(y, pred, n);
	case MLP_METRIC_ACCURACY:
		for (size_t i = 0; i < n; i++)
			s += (pred[i] > 0.5) == (y[i] > 0.5f);
		return s / (double)n;
	case MLP_METRIC_RMSE:
		for (size_t i = 0; i < n; i++)
			s += (pred[i] - y[i]) * (pred[i] - y[i]);
		return sqrt(s / (double)n);
	case MLP_METRIC_MAE:
		for (size_t i = 0; i < n; i++)
			s += fabs(pred[i] - y[i]);
		return s / (double)n;
	case MLP_METRIC_R2:
		for (size_t i = 0; i < n; i++)
			mean += y[i];
		mean /= (double)n;
		for (size_t i = 0; i < n; i++) {
			s += (pred[i] - y[i]) * (pred[i] - y[i]);
			ss += (y[i] - mean) * (y[i] - mean);
		}
		return ss > 0 ? 1 - s / ss : 0;
	case MLP_METRIC_MLOGLOSS:
		for (size_t i = 0; i < n; i++) {
			long c = (long)y[i];

			s -= c >= 0 && c < k ?
			    log(clip(pred[i * (size_t)k + (size_t)c])) :
			    log(1e-15);
		}
		return s / (double)n;
	case MLP_METRIC_MACCURACY:
		for (size_t i = 0; i < n; i++) {
			const double *p = pred + i * (size_t)k;
			int best = 0;

			for (int c = 1; c < k; c++)
				if (p[c] > p[best])
					best = c;
			s += best == (long)y[i];
		}
		return s / (double)n;
	default:
		return NAN;
	}
}

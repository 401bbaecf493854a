/* Unit tests for lib/train: parameters and metrics against hand-computed
 * values. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "train/train.h"
#include "tap.h"

#define near(got, want, ...) ok(fabs((got) - (want)) < 1e-12, __VA_ARGS__)

static const struct mlp_param_def defs[] = {
	{ "rounds", MLP_PARAM_INT, 1, 1e6, 0, 0, "100", NULL, "boosting rounds",
	  "num_boost_round,n_estimators" },
	{ "eta", MLP_PARAM_FLOAT, 0, 1, 1, 0, "0.3", NULL, "learning rate",
	  "learning_rate" },
	{ "obj", MLP_PARAM_ENUM, 0, 0, 0, 0, "a", "a,b,c", "objective", NULL },
	{ "metrics", MLP_PARAM_LIST, 0, 0, 0, 0, NULL, "auc,rmse", "metrics",
	  NULL },
};
#define NDEFS (sizeof(defs) / sizeof(*defs))

static int
check(const char *kv, const char *want_msg)
{
	struct mlp_params p = MLP_PARAMS_INIT;
	struct mlp_err err;
	int rc;

	mlp_err_clear(&err);
	rc = mlp_params_parse(&p, kv, &err);
	if (rc == 0)
		rc = mlp_params_check(&p, "gbdt", defs, NDEFS, &err);
	mlp_params_release(&p);
	if (!want_msg)
		return rc == 0;
	return rc == MLP_EINVAL && strcmp(err.msg, want_msg) == 0 ? 1 :
	    (printf("#   got: %s\n", err.msg), 0);
}

static void
test_params(void)
{
	struct mlp_params p = MLP_PARAMS_INIT;
	struct mlp_err err;

	ok(check("rounds=10", NULL), "an integer in range");
	ok(check("eta=1", NULL), "the closed end of a range");
	ok(check("metrics=auc,rmse", NULL), "a list of choices");
	ok(check("depth=3", "unknown parameter 'depth' for gbdt (valid: rounds, eta, obj, metrics)"),
	    "an unknown name lists the valid ones");
	ok(check("roundz=3", "unknown parameter 'roundz' for gbdt, did you mean 'rounds'? (valid: rounds, eta, obj, metrics)"),
	    "a near name is offered");
	ok(check("num_boost_rounds=3", "unknown parameter 'num_boost_rounds' for gbdt, did you mean 'num_boost_round'? (valid: rounds, eta, obj, metrics)"),
	    "a near alias is offered");
	ok(check("metric=auc", "unknown parameter 'metric' for gbdt, did you mean 'metrics'? (valid: rounds, eta, obj, metrics)"),
	    "one name inside the other is near");
	ok(check("rounds=0", "parameter 'rounds': 0 is out of range [1, 1e+06]"),
	    "below the range");
	ok(check("eta=0", "parameter 'eta': 0 is out of range (0, 1]"),
	    "an open end");
	ok(check("rounds=1.5", "parameter 'rounds': '1.5' is not an integer"),
	    "a fraction for an integer");
	ok(check("eta=fast", "parameter 'eta': 'fast' is not a number"),
	    "text for a number");
	ok(check("eta=nan", "parameter 'eta': 'nan' is not a number"),
	    "NaN for a number");
	ok(check("obj=d", "parameter 'obj': 'd' is not one of a,b,c"),
	    "an enum outside its choices");
	ok(check("metrics=auc,mae", "parameter 'metrics': 'mae' is not one of auc,rmse"),
	    "a list item outside the choices");
	ok(check("=3", "invalid parameter '=3': expected NAME=VALUE"),
	    "no name");
	ok(check("rounds", "invalid parameter 'rounds': expected NAME=VALUE"),
	    "no value");

	/* aliases: recorded under the one name, in place */
	mlp_params_set(&p, "obj", "b");
	mlp_params_set(&p, "n_estimators", "50");
	mlp_params_set(&p, "learning_rate", "0.1");
	ok(mlp_params_canonical(&p, "gbdt", defs, NDEFS, &err) == 0 &&
	    p.n == 3 && strcmp(p.key[1], "rounds") == 0 &&
	    strcmp(p.val[1], "50") == 0 && strcmp(p.key[2], "eta") == 0,
	    "aliases renamed in place");
	mlp_params_set(&p, "num_boost_round", "60");
	ok(mlp_params_canonical(&p, "gbdt", defs, NDEFS, &err) == MLP_EINVAL,
	    "a parameter under two names is refused");
	is_str(err.msg, "parameter 'rounds' is given twice, as "
	    "'num_boost_round' too", "naming both");
	ok(mlp_params_unset(&p, "num_boost_round") == 1 && p.n == 3 &&
	    mlp_params_unset(&p, "nope") == 0, "unset");
	mlp_params_set(&p, "nthread", "4");
	ok(mlp_params_canonical(&p, "gbdt", defs, NDEFS, &err) == MLP_EINVAL &&
	    strstr(err.msg, "unknown parameter 'nthread'"),
	    "an unknown name: %s", err.msg);
	mlp_params_release(&p);

	mlp_params_set(&p, "rounds", "5");
	mlp_params_parse(&p, "rounds=7", &err);
	is_int(p.n, 1, "a later value replaces an earlier one");
	is_int(mlp_params_int(&p, defs, NDEFS, "rounds"), 7, "the given value");
	near(mlp_params_float(&p, defs, NDEFS, "eta"), 0.3, "the default");
	is_str(mlp_params_str(&p, defs, NDEFS, "obj"), "a", "an enum default");
	ok(mlp_params_str(&p, defs, NDEFS, "metrics") == NULL,
	    "no default: NULL");
	mlp_params_release(&p);
}

static void
test_metrics(void)
{
	/* scikit-learn's roc_auc_score example: 0.75 */
	const float y1[] = { 0, 0, 1, 1 };
	const double p1[] = { 0.1, 0.4, 0.35, 0.8 };
	/* ties: positives 0.5, 0.7; negatives 0.5, 0.2 -> (1.5 + 2) / 4 */
	const float y2[] = { 1, 0, 1, 0 };
	const double p2[] = { 0.5, 0.5, 0.7, 0.2 };
	const float y3[] = { 1, 1, 1 };
	const double p3[] = { 0.2, 0.9, 0.4 };
	/* negative scores and -0 sort correctly */
	const float y4[] = { 0, 1, 0, 1, 1 };
	const double p4[] = { -3, -0.0, 0.0, 2, -1e-300 };
	const float yr[] = { 3, -0.5, 2, 7 };
	const double pr[] = { 2.5, 0.0, 2, 8 };
	const float ym[] = { 0, 2, 1 };
	const double pm[] = { 0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.3, 0.3, 0.4 };
	enum mlp_metric_id d[4];

	near(mlp_metric_eval(MLP_METRIC_AUC, y1, p1, 4, 1), 0.75,
	    "auc of the scikit-learn example");
	near(mlp_metric_eval(MLP_METRIC_AUC, y2, p2, 4, 1), 0.875,
	    "auc counts ties as half");
	near(mlp_metric_eval(MLP_METRIC_AUC, y3, p3, 3, 1), 0.5,
	    "auc with one class is 0.5");
	near(mlp_metric_eval(MLP_METRIC_AUC, y4, p4, 5, 1), 4.5 / 6,
	    "auc orders negative scores and ties -0 with 0");
	near(mlp_metric_eval(MLP_METRIC_LOGLOSS, y1, p1, 4, 1),
	    -(log(0.9) + log(0.6) + log(0.35) + log(0.8)) / 4, "logloss");
	near(mlp_metric_eval(MLP_METRIC_ACCURACY, y1, p1, 4, 1), 0.75,
	    "accuracy at 0.5");
	/* scikit-learn's mean_squared_error / r2_score example */
	near(mlp_metric_eval(MLP_METRIC_RMSE, yr, pr, 4, 1), sqrt(0.375),
	    "rmse");
	near(mlp_metric_eval(MLP_METRIC_MAE, yr, pr, 4, 1), 0.5, "mae");
	near(mlp_metric_eval(MLP_METRIC_R2, yr, pr, 4, 1),
	    0.9486081370449679, "r2");
	near(mlp_metric_eval(MLP_METRIC_MLOGLOSS, ym, pm, 3, 3),
	    -(log(0.7) + log(0.6) + log(0.3)) / 3, "multi-class logloss");
	near(mlp_metric_eval(MLP_METRIC_MACCURACY, ym, pm, 3, 3), 2.0 / 3,
	    "multi-class accuracy");
	ok(isnan(mlp_metric_eval(MLP_METRIC_RMSE, yr, pr, 0, 1)),
	    "no rows: NaN");
	ok(mlp_metric_eval(MLP_METRIC_LOGLOSS, y3, (const double[]){ 0, 1, 1 },
	    3, 1) < 35, "logloss clips a certain wrong answer");
	is_int(mlp_metric_defaults(MLP_OBJ_LOGISTIC, d), 3,
	    "binary defaults");
	is_int(d[0], MLP_METRIC_LOGLOSS, "logloss first for binary");
	is_int(mlp_metric_parse("auc"), MLP_METRIC_AUC, "parse a name");
	is_int(mlp_metric_parse("nope"), -1, "parse an unknown name");
	ok(mlp_metric_maximize(MLP_METRIC_AUC) &&
	    !mlp_metric_maximize(MLP_METRIC_RMSE), "direction");
}

static void
test_auc_large(void)
{
	/* radix-sorted AUC against the O(n^2) definition */
	enum { N = 2000 };
	static float y[N];
	static double p[N];
	double want = 0, npos = 0, nneg = 0;
	unsigned s = 12345;

	for (int i = 0; i < N; i++) {
		s = s * 1103515245 + 12345;
		y[i] = (s >> 16) & 1;
		p[i] = (double)((s >> 8) % 97) / 13.0 - 3 + y[i];
	}
	for (int i = 0; i < N; i++) {
		if (y[i] == 0) {
			nneg++;
			continue;
		}
		npos++;
		for (int j = 0; j < N; j++)
			if (y[j] == 0)
				want += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0;
	}
	want /= npos * nneg;
	ok(fabs(mlp_metric_eval(MLP_METRIC_AUC, y, p, N, 1) - want) < 1e-12,
	    "auc of 2000 rows with ties equals the pairwise count");
}

int
main(void)
{
	test_params();
	test_metrics();
	test_auc_large();
	return tap_done();
}

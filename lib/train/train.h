/* Training: built-in learners (gbdt, linear, logistic), their parameters,
 * and evaluation metrics.
 *
 * A learner trains on column-major float data (lib/data frames: NaN is
 * missing, categorical features hold level codes) and produces a flat
 * model (lib/model). Training is deterministic for a given seed and
 * thread count. After every iteration the learner computes its evaluation
 * metrics on the training and validation data and calls the job's on_iter
 * callback with them and with the model so far, which is how the runner
 * logs metrics (step = iteration), draws progress and writes checkpoints;
 * a job started from a checkpoint (job->resume) continues from it and
 * yields the model an uninterrupted run would. */
#ifndef MLP_TRAIN_H
#define MLP_TRAIN_H

#include <stddef.h>

#include "../core/core.h"
#include "../data/data.h"
#include "../model/model.h"

/* ---- parameters ---- */

enum mlp_param_type {
	MLP_PARAM_INT,
	MLP_PARAM_FLOAT,
	MLP_PARAM_ENUM,		/* one of choices (comma-separated) */
	MLP_PARAM_LIST,		/* comma-separated words from choices */
};

/* One parameter a learner accepts: its range is [min, max] (numbers;
 * min_open/max_open make an end exclusive), def its default as text. */
struct mlp_param_def {
	const char *name;
	enum mlp_param_type type;
	double min, max;
	unsigned min_open : 1, max_open : 1;
	const char *def;	/* NULL: no default (unset unless given) */
	const char *choices;	/* ENUM, LIST */
	const char *help;
	/* other names taken for it, comma-separated: XGBoost's and
	 * scikit-learn's ("eta" for learning_rate), or NULL */
	const char *aliases;
};

/* Parameters as given (key=value text, in order; a later key wins). */
struct mlp_params {
	size_t n, alloc;
	char **key, **val;
};
#define MLP_PARAMS_INIT { 0, 0, NULL, NULL }

void mlp_params_release(struct mlp_params *p);
/* Sets key to val, replacing an earlier value. */
void mlp_params_set(struct mlp_params *p, const char *key, const char *val);
/* Parses "K=V" and sets it; MLP_EINVAL when there is no '=' or no key. */
int mlp_params_parse(struct mlp_params *p, const char *kv, struct mlp_err *err);
/* The value given for key, or NULL. */
const char *mlp_params_get(const struct mlp_params *p, const char *key);

/* Checks every given parameter against defs[0..n): an unknown name is
 * MLP_EINVAL offering the nearest name and listing the valid ones
 * ("unknown parameter 'depth' for gbdt, did you mean 'max_depth'? (valid:
 * alpha, colsample, ...)"); a value that does not parse or is out of
 * range is MLP_EINVAL naming parameter, value and range. */
int mlp_params_check(const struct mlp_params *p, const char *learner,
    const struct mlp_param_def *defs, size_t n, struct mlp_err *err);

/* Renames the parameters given by an alias (XGBoost's "eta") to their
 * names in defs ("learning_rate"), keeping their order, so that they are
 * recorded under the one name. MLP_EINVAL when a parameter is given under
 * two of its names, or a name is unknown (as mlp_params_check says). */
int mlp_params_canonical(struct mlp_params *p, const char *learner,
    const struct mlp_param_def *defs, size_t n, struct mlp_err *err);

/* Removes key; 1 when it was there, else 0. */
int mlp_params_unset(struct mlp_params *p, const char *key);

/* Typed values of a checked parameter: the given value, else its default
 * (0 / NULL when it has neither). */
long mlp_params_int(const struct mlp_params *p,
    const struct mlp_param_def *defs, size_t n, const char *key);
double mlp_params_float(const struct mlp_params *p,
    const struct mlp_param_def *defs, size_t n, const char *key);
const char *mlp_params_str(const struct mlp_params *p,
    const struct mlp_param_def *defs, size_t n, const char *key);

/* ---- metrics ---- */

/* Metric names: logloss, auc, accuracy, rmse, mae, r2 (binary and
 * regression), mlogloss, maccuracy (multi-class). */
enum mlp_metric_id {
	MLP_METRIC_LOGLOSS,
	MLP_METRIC_AUC,
	MLP_METRIC_ACCURACY,
	MLP_METRIC_RMSE,
	MLP_METRIC_MAE,
	MLP_METRIC_R2,
	MLP_METRIC_MLOGLOSS,
	MLP_METRIC_MACCURACY,
	MLP_METRIC_COUNT
};

const char *mlp_metric_name(enum mlp_metric_id m);
/* -1 when unknown. */
int mlp_metric_parse(const char *name);
/* 1 when larger is better (auc, accuracy, r2, maccuracy), else 0. */
int mlp_metric_maximize(enum mlp_metric_id m);
/* The metrics logged by default for an objective (MLP_OBJ_*), at most 4;
 * returns how many: binary: logloss, auc, accuracy; squared error: rmse,
 * mae, r2; multi: mlogloss, maccuracy. The first is the one early
 * stopping watches unless told otherwise. */
size_t mlp_metric_defaults(int objective, enum mlp_metric_id *out);

/* The metric over n rows: y holds labels (0/1 for binary, class index
 * for multi, any value for regression), pred the model's outputs
 * (probabilities for binary, n * k probabilities row-major for multi
 * (k = classes), values for regression). AUC: the probability that a
 * random positive scores above a random negative, ties counting half
 * (0.5 when one class is absent); logloss clips p to [1e-15, 1-1e-15];
 * accuracy thresholds p at 0.5; R2 is 1 - SSres/SStot (0 when y is
 * constant). Returns NaN when n is 0. AUC sorts a copy (O(n log n),
 * allocates); the others are one pass and do not allocate. */
double mlp_metric_eval(enum mlp_metric_id m, const float *y, const double *pred,
    size_t n, int k);

/* ---- learners ---- */

/* Training or validation data: nfeat columns of nrows floats. */
struct mlp_train_data {
	size_t nrows, nfeat;
	const float *const *x;		/* x[j][i]; NaN is missing */
	const struct mlp_column *feat;	/* names, types, levels (signature) */
	const float *y;			/* labels (finite) */
	/* Writes where row i came from into buf (n bytes), for messages:
	 * "'train.csv' line 4"; NULL when not known. */
	void (*where)(const struct mlp_train_data *d, size_t i, char *buf,
	    size_t n);
	const void *where_ud;		/* for where */
};

/* Where row i of d came from, for a message: d->where's text, or
 * "row I" (1-based); returns buf. */
const char *mlp_train_where(const struct mlp_train_data *d, size_t i,
    char *buf, size_t n);

/* A metric value at one iteration: name is "train_auc", "valid_rmse"... */
struct mlp_metric_val {
	const char *name;
	double value;
};

struct mlp_train_job {
	const struct mlp_params *params;	/* checked by the learner */
	const struct mlp_train_data *train;
	const struct mlp_train_data *valid;	/* NULL when none */
	int nthreads;				/* 0: the online CPUs */
	/* a checkpoint to continue from (a model on_iter was given at
	 * iteration resume_iter, saved and loaded again), or NULL */
	const struct mlp_model *resume;
	int resume_iter;
	/* Called after every iteration (1-based) with that iteration's
	 * metrics and the model so far (borrowed: valid during the call).
	 * A negative return stops training: train returns that value. */
	int (*on_iter)(void *ud, int iter, int total,
	    const struct mlp_metric_val *m, size_t nm,
	    const struct mlp_model *partial);
	void *ud;
};

struct mlp_learner {
	const char *name;		/* "gbdt", "linear", "logistic" */
	const char *summary;
	const struct mlp_param_def *params;
	size_t nparams;
	/* Trains; *out is the final model, its feat[] set from train->feat
	 * (the caller frees it). MLP_EINVAL for bad parameters or data a
	 * learner cannot use (a constant target for logistic...), naming
	 * what is wrong. */
	int (*train)(const struct mlp_train_job *job, struct mlp_model **out,
	    struct mlp_err *err);
	/* Checks, without training, what train would refuse: the parameters
	 * and how they combine (has_valid: validation data will be given,
	 * for early stopping) and, when job->train is not NULL, the data
	 * (labels the objective cannot take...: rows named through
	 * mlp_train_where). MLP_EINVAL. The runner calls it before a run
	 * exists, so that mistakes in the input leave no run behind. */
	int (*check)(const struct mlp_train_job *job, int has_valid,
	    struct mlp_err *err);
};

/* The learners, NULL-terminated, and lookup by name (NULL when unknown). */
extern const struct mlp_learner *const mlp_learners[];
const struct mlp_learner *mlp_learner_find(const char *name);

/* The learners themselves (lib/train/gbdt.c, linear.c). */
extern const struct mlp_learner mlp_learner_gbdt;
extern const struct mlp_learner mlp_learner_linear;
extern const struct mlp_learner mlp_learner_logistic;

/* The number of threads to use for nthreads (0: the online CPUs, at
 * least 1). */
int mlp_train_threads(int nthreads);

#endif

/* Models: the flat, immutable predictor that mlp predict, mlp serve and the
 * learners share; its file format; importers (XGBoost JSON).
 *
 * A model artifact is a directory (DESIGN.md, "The model format"):
 *
 *	MLmodel		YAML as MLflow writes it: artifact_path, flavors
 *			(ours is "mlp": model_type, objective, data:
 *			model.json, mlp_version; an imported XGBoost model
 *			also has the "xgboost" flavor with data:
 *			model.xgb.json, the original file, kept), model_uuid,
 *			run_id, utc_time_created, signature (inputs as a JSON
 *			string of {"name", "type"} with MLflow's types
 *			"double"/"string"), "metrics" (training metrics)
 *			and, for a model trained on feature-store features,
 *			"feature_store" (struct mlp_model_fstore below)
 *	model.json	the payload (mlp_model_write_json below)
 *
 * The predictor is struct-of-arrays: every tree's nodes live in one set of
 * arrays, children of node n at left[n] and left[n] + 1, so a prediction
 * walks a few cache lines and allocates nothing.
 *
 * Inputs to every prediction are floats in the model's feature order
 * (feat[]), NaN for missing; a categorical feature holds its level code
 * (lib/data). */
#ifndef MLP_MODEL_H
#define MLP_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"
#include "../data/data.h"

enum mlp_model_kind {
	MLP_MODEL_GBDT = 0,	/* a sum of regression trees */
	MLP_MODEL_LINEAR = 1,	/* weights over (standardised) inputs */
};

/* Objectives, named as XGBoost names them. */
enum mlp_objective {
	MLP_OBJ_SQUARED = 0,	/* reg:squarederror: output = margin */
	MLP_OBJ_LOGISTIC = 1,	/* binary:logistic: output = sigmoid(margin) */
	MLP_OBJ_SOFTMAX = 2,	/* multi:softmax: output = argmax class */
	MLP_OBJ_SOFTPROB = 3,	/* multi:softprob: num_class probabilities */
};

/* "reg:squarederror" ... and back; -1 / NULL when unknown. */
int mlp_objective_parse(const char *name);
const char *mlp_objective_name(int obj);

struct mlp_model_fstore;
struct model_walk;

struct mlp_model {
	enum mlp_model_kind kind;
	enum mlp_objective objective;
	int num_class;		/* classes of multi:*, else 1 */
	int ngroup;		/* margins per row: num_class for multi:*, else 1 */
	int nout;		/* outputs per row: num_class for softprob, else 1 */

	/* the input signature: names, types and levels of the features, in
	 * the order predictions take them */
	size_t nfeat;
	struct mlp_column *feat;

	double *base_margin;	/* ngroup starting margins */

	/* MLP_MODEL_GBDT */
	size_t ntrees, nnodes;
	uint32_t *tree_root;	/* ntrees: index of each tree's root node */
	int32_t *tree_group;	/* ntrees: the margin each tree adds to */
	int32_t *split_feat;	/* nnodes: feature index, -1 for a leaf */
	float *split_value;	/* nnodes: x < value goes left; a leaf's value */
	uint32_t *left;		/* nnodes: left child; right is left + 1 */
	uint8_t *default_left;	/* nnodes: where a missing value goes */
	/* early stopping: the best iteration (1-based, 0 when none) and its
	 * validation score; predictions use all trees, a trainer that stops
	 * early truncates the model to the best iteration */
	int best_iteration;
	double best_score;

	/* MLP_MODEL_LINEAR: a numeric feature j is one input slot, a
	 * categorical one is nlevels slots (one-hot); slot[j] is feature j's
	 * first slot, nslots the total. margin[g] = base_margin[g] + bias[g]
	 * + the sum over slots s of weight[g * nslots + s] * z[s] (added in
	 * feature order), where z = (x - mean) / scale for a numeric slot (a
	 * missing x gives z = 0) and 1 for the categorical slot of x's level
	 * (0 for the others, all 0 when missing or not a level's code). */
	size_t nslots;
	uint32_t *slot;		/* nfeat */
	double *mean, *scale;	/* nslots (categorical slots: 0 and 1) */
	double *weight;		/* ngroup * nslots */
	double *bias;		/* ngroup */

	/* free-form provenance kept in model.json: "mlp", "xgboost" */
	char *origin;

	/* the features it was trained on when they came from the feature
	 * store (MLmodel's feature_store), else NULL; set by mlp_model_load
	 * from an MLmodel, freed with the model */
	struct mlp_model_fstore *fstore;

	/* the batch predictor's tables, built from the trees by the first
	 * mlp_model_predict (or mlp_model_prepare) and freed with the model;
	 * the one member that changes after loading, set once, atomically.
	 * A copy of the struct made after mlp_model_prepare shares them. */
	struct model_walk *walk;
};

/* Allocates an empty model (all zero/NULL, num_class = ngroup = nout = 1);
 * the caller fills it and frees it with mlp_model_free(). */
struct mlp_model *mlp_model_new(void);

/* Frees the model and all its arrays; accepts NULL. */
void mlp_model_free(struct mlp_model *m);

/* The bytes the model's arrays take in memory, the batch predictor's
 * tables included before they are built (what a server counts against
 * its memory budget). */
size_t mlp_model_bytes(const struct mlp_model *m);

/* Copies the signature (names, types, levels) from cols into m->feat. */
void mlp_model_set_features(struct mlp_model *m, const struct mlp_column *cols,
    size_t n);

/* The most classes a model may have (what training allows). */
#define MLP_MODEL_MAX_CLASSES (1 << 16)

/* Checks that the model is well formed: child indices in range, no cycles
 * (children after parents), feature indices < nfeat, finite values, sizes
 * consistent, names and levels valid UTF-8, and what it declares backed
 * by what it holds: at most MLP_MODEL_MAX_CLASSES classes and, for trees,
 * a tree for every class (so a small file cannot make predictions
 * allocate for a million classes). MLP_ECORRUPT saying what is wrong
 * (MLP_EINVAL for text that is not UTF-8). Loaders call it, so a loaded
 * model can be walked without bounds checks. */
int mlp_model_check(const struct mlp_model *m, struct mlp_err *err);

/* XGBoost's "weight" importance: counts[j] is the number of splits on
 * feature j in all trees (nfeat values; all 0 for a linear model). */
void mlp_model_split_counts(const struct mlp_model *m, double *counts);

/* Margins (ngroup values) of one row x (nfeat floats). No allocation. */
void mlp_model_margin(const struct mlp_model *m, const float *x,
    double *margin);

/* Outputs (nout values) of one row: margins through the objective's link
 * (sigmoid, softmax, argmax). No allocation: margins live on the stack, 64
 * classes at a time (multi:softmax with more classes walks the trees once
 * per 64). */
void mlp_model_predict_row(const struct mlp_model *m, const float *x,
    double *out);

/* Outputs for the rows of a column-major batch: cols[j] is the column of
 * feature j (nrows floats); out gets nrows * nout values, row-major, equal
 * bit for bit to mlp_model_predict_row's. Uses up to nthreads threads (0:
 * the online CPUs), fewer for small batches. */
int mlp_model_predict(const struct mlp_model *m, const float *const *cols,
    size_t nrows, double *out, int nthreads, struct mlp_err *err);

/* Builds the batch predictor's tables now rather than in the first
 * mlp_model_predict (0.2 ms for 100 trees of depth 6): a server calls it
 * when it loads a model, a caller that copies the struct before it
 * predicts with the copy. Safe from any thread. */
void mlp_model_prepare(const struct mlp_model *m);

/* The batch predictor walks the trees with the widest vectors the
 * processor has: "avx512" (16 rows per vector), "avx2" (8) or "scalar",
 * all giving the same bits. mlp_model_isa_set chooses one by name, the
 * best the processor has when it has not that one; NULL or "" for the
 * best. MLP_EINVAL for an unknown name, the choice unchanged. Without a
 * call, the first prediction takes the environment variable
 * MLP_PREDICT_ISA's value (the best for an unknown one: commands check
 * it first with mlp_model_isa_set). mlp_model_isa names the walker in
 * use. Process-wide. */
int mlp_model_isa_set(const char *name, struct mlp_err *err);
const char *mlp_model_isa(void);

/* Predictions as text, as mlp predict prints them and mlp serve answers
 * (the same bytes for the same rows): mlp_pred_format writes v as "%.9g"
 * ("0.731058598", "2", "nan") into buf, which holds MLP_PRED_CHARS bytes,
 * and returns its length; with json set, a value JSON cannot hold (NaN,
 * an infinity) is null. */
#define MLP_PRED_CHARS 32
size_t mlp_pred_format(double v, int json, char *buf);

/* Appends nrows rows of pred (nrows * m->nout values, as
 * mlp_model_predict writes them) to out: as CSV lines ("v\n" or
 * "p0,p1,...\n"), or with json set as elements of MLflow's
 * {"predictions": [...]} (a value per row, or a list of the class
 * probabilities), separated by commas, with one in front unless first. */
void mlp_pred_append(struct mlp_buf *out, const struct mlp_model *m,
    const double *pred, size_t nrows, int json, int first);

/* The largest model file read (model.json, an XGBoost JSON model, an
 * MLmodel): a JSON document takes about 25 times its size in memory
 * while it is parsed, so 128 MiB bounds a load to about 3 GiB. XGBoost
 * writes about 150 bytes per tree node, so this holds some 800,000 nodes
 * (1,500 trees of depth 8); mlp's model.json is a quarter of that. */
#define MLP_MODEL_MAX_BYTES ((size_t)128 << 20)

/* Reads and writes the payload model.json (a JSON document holding every
 * field above). Loading checks the model (mlp_model_check). */
int mlp_model_read_json(const char *path, struct mlp_model **out,
    struct mlp_err *err);
int mlp_model_write_json(const struct mlp_model *m, const char *path,
    struct mlp_err *err);

/* Converts an XGBoost JSON model (save_model("x.json"), XGBoost 1.x/2.x:
 * gbtree booster, objectives binary:logistic, reg:squarederror,
 * multi:softprob, multi:softmax) into a model whose predictions equal
 * XGBoost's within 1e-6. Feature names from the file's feature_names, else
 * f0, f1, ... MLP_EUNSUPPORTED for other boosters and objectives,
 * MLP_EINVAL/MLP_ECORRUPT for malformed files, naming the field. */
int mlp_model_import_xgboost(const char *path, struct mlp_model **out,
    struct mlp_err *err);

/*
 * A model trained on feature-store features (a train spec's `features:
 * {spine: FILE, service: NAME}`) records in MLmodel, under
 * "feature_store", what a server needs to fetch the same features by
 * entity key and what lineage shows: the references in model input
 * order (input i of the model is refs[i]), the feature views at their
 * catalog versions, each derived feature's canonical expression, the
 * entities' join keys with their types, and the spine's timestamp
 * column. Types and kinds are the feature store's names, kept as text
 * so that lib/model needs nothing of lib/feature. In flow style (it is
 * written in block style, keys sorted):
 *
 *	feature_store:
 *	  features:
 *	  - {expr: rating * 2, feature: rating_x2, input: rating_x2,
 *	     kind: derived, ref: 'driver_profile:rating_x2', type: float,
 *	     view: driver_profile}
 *	  full_names: false
 *	  join_keys:
 *	  - {entity: driver, name: driver_id, type: int}
 *	  service: eta
 *	  timestamp_column: event_ts
 *	  timestamp_format: iso8601
 *	  views:
 *	  - {entity: driver, name: driver_profile, ttl: 7d, version: 1}
 */
struct mlp_model_fref {
	char *ref;		/* "VIEW:FEATURE" */
	char *view, *feature;
	char *input;		/* the model input it fills: feature, or
				 * VIEW__FEATURE with full_names */
	char *kind;		/* "feature", "aggregation" or "derived" */
	char *type;		/* "float", "int", "string" or "bool" */
	char *expr;		/* a derived feature's canonical expression,
				 * else NULL */
};

struct mlp_model_fview {
	char *name;
	int64_t version;	/* the catalog's version of the view */
	char *entity;
	char *ttl;		/* "7d"; "0" for none */
};

struct mlp_model_fkey {
	char *name;		/* a join key */
	char *type;		/* "int" or "string" */
	char *entity;
};

struct mlp_model_fstore {
	char *service;		/* the feature service, NULL for refs */
	struct mlp_model_fref *refs;	/* nrefs, in model input order */
	size_t nrefs;
	struct mlp_model_fview *views;	/* nviews, in first use order */
	size_t nviews;
	struct mlp_model_fkey *keys;	/* nkeys, entities in first use
					 * order, each's keys in order */
	size_t nkeys;
	char *timestamp_column;	/* the spine's */
	char *timestamp_format;	/* "iso8601", "epoch_s", "epoch_ms" */
	int full_names;
};

/* Frees f and everything in it; accepts NULL. */
void mlp_model_fstore_free(struct mlp_model_fstore *f);

/* Reads the feature_store section of the MLmodel text[0..len) (path for
 * messages) into *out, NULL when it has none; the caller frees it.
 * MLP_EINVAL naming the file and field: "'MLmodel': field
 * 'feature_store.features[1].ref': missing". */
int mlp_model_fstore_read(const char *path, const char *text, size_t len,
    struct mlp_model_fstore **out, struct mlp_err *err);

/* What MLmodel says beyond the payload. */
struct mlp_model_meta {
	const char *run_id;		/* NULL when none */
	const char *artifact_path;	/* "model" */
	/* training metrics, written under "metrics" */
	const char *const *metric_names;
	const double *metric_values;
	size_t nmetrics;
	const char *xgboost_file;	/* the original XGBoost JSON to keep
					 * as model.xgb.json, or NULL */
	/* the feature_store section; NULL: the model's own (m->fstore) */
	const struct mlp_model_fstore *fstore;
};

/* Writes the model directory dir (created; must not exist or be empty):
 * MLmodel, model.json and, when meta->xgboost_file, model.xgb.json. */
int mlp_model_write_dir(const struct mlp_model *m,
    const struct mlp_model_meta *meta, const char *dir, struct mlp_err *err);

/* Loads a model from path: a model directory (its MLmodel names the
 * payload), a model.json, an MLmodel file, or an XGBoost JSON file
 * (recognised by its content). Through an MLmodel, its feature_store
 * section becomes (*out)->fstore, checked against the model's inputs
 * (one reference per input, by name and in order). MLP_ENOTFOUND,
 * MLP_EINVAL naming the file and what is wrong. */
int mlp_model_load(const char *path, struct mlp_model **out,
    struct mlp_err *err);

#endif

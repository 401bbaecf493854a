/* Declarations shared by the model module's own files. */
#ifndef MLP_MODEL_INTERNAL_H
#define MLP_MODEL_INTERNAL_H

#include <cjson/cJSON.h>

#include "model.h"

/* Appends s as a JSON string (quoted, escaped) to b. */
void model_json_str(struct mlp_buf *b, const char *s);

/* Parses text as JSON; MLP_EINVAL naming path and the line of the error. */
int model_parse_json(const char *path, const char *text, size_t len,
    cJSON **out, struct mlp_err *err);

/* Builds a model from a parsed model.json document; path is for messages.
 * The model is checked. */
int model_from_json(const cJSON *doc, const char *path,
    struct mlp_model **out, struct mlp_err *err);

/* Builds a model from a parsed XGBoost JSON document (a top-level
 * "learner"); path is for messages. The model is checked. */
int model_from_xgboost(const cJSON *doc, const char *path,
    struct mlp_model **out, struct mlp_err *err);

/* Reads the JSON file at path and builds a model from it with from
 * (model_from_json or model_from_xgboost); errors made one line. */
int model_load_json(const char *path,
    int (*from)(const cJSON *, const char *, struct mlp_model **,
    struct mlp_err *), struct mlp_model **out, struct mlp_err *err);

/* Makes err's message one line: control characters (from names and
 * strings a file holds) become '?'. Returns rc. */
int model_err_oneline(struct mlp_err *err, int rc);

/* Margins of the groups g0 .. g0 + ng - 1 of row x into margin[0 .. ng). */
void model_margin_range(const struct mlp_model *m, const float *x, int g0,
    int ng, double *margin);

/* The leaf tree t of m takes row x to, by the model's own nodes. */
float model_row_leaf(const struct mlp_model *m, const float *x, size_t t);

/* The batch walker (walk.c). A block of the batch predictor holds B rows
 * (model_block: a multiple of 16, 16 to 256) as 2 * nfeat + 1 columns of
 * B floats: feature j with missing values made -inf at column 2j, made
 * +inf at 2j + 1, then zeros. */
struct model_walk;

enum { MODEL_ISA_SCALAR, MODEL_ISA_AVX2, MODEL_ISA_AVX512 };

size_t model_block(const struct mlp_model *m);

/* The walker's tables for the trees of m, built by the first caller and
 * kept in m->walk until mlp_model_free. */
const struct model_walk *model_walk_get(const struct mlp_model *m);
void model_walk_free(struct model_walk *w);

/* The bytes model_walk_get's tables take (built or not). */
size_t model_walk_bytes(const struct mlp_model *m);

/* Adds every tree's leaf, tree by tree, to the margins of rows 0 .. nb of
 * block blk: group g's at mg[g * B + row]. The vector walkers take the
 * rows up to nb rounded up to 16, so those must hold values too (the
 * margins of the extra rows are garbage). */
void model_walk_block(const struct mlp_model *m, const struct model_walk *w,
    const float *blk, size_t nb, double *mg);

/* Adds the leaves of every tree for row x to margin[0 .. ng) (group g0 on)
 * with a vector walker, as model_margin_range would, bit for bit: 1 when
 * it did (the tables built, a walker for them), else 0 and nothing. */
int model_walk_row(const struct mlp_model *m, const float *x, int g0,
    int ng, double *margin);

#endif

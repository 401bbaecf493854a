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

#endif

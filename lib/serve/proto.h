/* The request decoders and response encoders of mlp serve's protocols:
 * Open Inference Protocol v2 REST (kserve/open-inference-protocol,
 * inference_rest.md), KServe's V1 and MLflow's scoring server. Pure
 * functions of a body and a model (no sockets, no threads), so the server
 * calls them from any thread and the fuzz target from none.
 *
 * Every request is read the way mlp predict reads rows: the frame a
 * decoder makes, scored with mlp_model_predict and encoded here, gives
 * the bytes mlp predict prints for the same rows (mlp_pred_format).
 * mlp_model_predict_row gives the same bits, and for one to three rows
 * it is the one to call: mlp_model_predict walks rows a vector at a time
 * (16 with AVX-512), and a vector takes about as long as three single
 * rows (FEW_ROWS in server.c).
 *
 * A body must be valid UTF-8 without NUL bytes (400 otherwise). Decoders
 * return 0 or the HTTP status to answer: 400 for a malformed request
 * (err->msg names the field: "inputs[0].shape: expected [batch, 28], got
 * [1, 27]"), 413 for more rows or values than SERVE_MAX_ROWS and
 * SERVE_MAX_VALUES allow, 415 for an MLflow content type or charset that
 * is not served. They never keep a pointer into the body. */
#ifndef MLP_SERVE_PROTO_H
#define MLP_SERVE_PROTO_H

#include <stddef.h>

#include "../core/core.h"
#include "../data/data.h"
#include "../model/model.h"
#include "../feature/feature.h"

/* The OIP outputs a request selects (struct serve_req's outputs). */
enum {
	SERVE_OUT_PREDICT = 1,	/* "predict": value, P(1) or class */
	SERVE_OUT_PROBA = 2,	/* "probabilities": [batch, classes] */
};

/* The most rows one request may score, and the most values its answer
 * may hold (rows times the classes of a classifier), so that a small
 * body cannot make the server allocate gigabytes: 413 beyond. */
#define SERVE_MAX_ROWS ((size_t)1 << 20)
#define SERVE_MAX_VALUES ((size_t)1 << 24)

struct serve_req {
	/* the rows: frame->cols[j] holds nrows floats of the model's
	 * feature j (NaN missing), in the model's order. frame->col may be
	 * NULL (the columns are m->feat); free with serve_req_release */
	struct mlp_frame *frame;
	size_t nrows;
	char *id;		/* OIP "id" to echo, or NULL */
	/* OIP "outputs": SERVE_OUT_* bits; 0 for the default set (every
	 * output the model has, serve_outputs()) */
	unsigned outputs;
	void *mem;		/* private: one block holding frame and id */
};

/* POST /v2/models/NAME[/versions/V]/infer. The inputs are one tensor of
 * shape [batch, nfeat] (any name; the model's features in its order) or
 * one input per feature, found by name, each [batch] or [batch, 1]; data
 * flat or nested row-major; datatypes FP32, FP64, INT8..INT64,
 * UINT8..UINT64, BOOL, and BYTES for a categorical feature's own input
 * (level names). A value that its datatype cannot hold (300 for UINT8,
 * 1.5 for INT32, a number past the FP32 range the model computes in) is
 * a 400; null is a missing value in FP32, FP64 and BYTES inputs only. A
 * number for a categorical feature is the level with that text, as
 * mlp predict reads it. "id", "parameters" and "outputs" as the spec
 * says ("outputs" naming an output the model lacks is a 400). A batch
 * may be empty (shape [0, nfeat]). The body is read as RFC 8259 JSON,
 * strictly, nested at most 64 levels (lib/serve/proto-json.h: one scan,
 * no allocation for a small body; cJSON would take 5 us of a one-row
 * request). */
int serve_decode_oip(const char *body, size_t n, const struct mlp_model *m,
    struct serve_req *out, struct mlp_err *err);

/* POST /v1/models/NAME:predict: {"instances": [...]}, rows as lists in
 * the model's order or as objects by feature name (single values for a
 * model of one feature), read by lib/data's JSON frame reader. Rows as
 * lists take a faster road to the same rows (then frame->col is NULL);
 * anything else, errors included, is the reader's. */
int serve_decode_v1(const char *body, size_t n, const struct mlp_model *m,
    struct serve_req *out, struct mlp_err *err);

/* POST /invocations. content_type is the Content-Type header's value (NULL
 * when there is none: 415, as MLflow answers): application/json, whose
 * body has exactly one of dataframe_split, dataframe_records, instances,
 * inputs (and "params", ignored), read by mlp_json_frame as mlp predict
 * reads it; or text/csv with a header line, read by mlp_csv_read_mem.
 * Types and parameter names are matched ignoring case; a charset other
 * than UTF-8, any other parameter (MLflow 1.x's "format=pandas-split")
 * or any other type is a 415. dataframe_split with columns, and rows as
 * lists, take the fast road V1's take. */
int serve_decode_mlflow(const char *body, size_t n, const char *content_type,
    const struct mlp_model *m, struct serve_req *out, struct mlp_err *err);

/* Frees what a decoder put in r and zeroes it; accepts a zeroed or
 * released r (decoders leave r zeroed when they fail). */
void serve_req_release(struct serve_req *r);

/* Sets r (whatever it held: release it first) to a request of nrows rows
 * of ncols columns, uninitialised, and a copy of id[0..idlen) (id NULL:
 * none), all in one allocation that serve_req_release frees; returns
 * frame->cols. */
float **serve_req_alloc(struct serve_req *r, size_t ncols, size_t nrows,
    const char *id, size_t idlen);

/* The outputs a model has: SERVE_OUT_PREDICT, and SERVE_OUT_PROBA for
 * binary:logistic and multi:softprob (multi:softmax gives classes only). */
unsigned serve_outputs(const struct mlp_model *m);

/* Encoders append a complete JSON body, ending in a newline, to out. pred
 * is r->nrows (or nrows) * m->nout values as mlp_model_predict writes
 * them (NULL when there are no rows); numbers are printed as mlp predict
 * prints them (mlp_pred_format: "%.9g", null for what JSON cannot hold).
 *
 * serve_encode_oip: {"model_name", "model_version" (left out when NULL),
 * "id" (when the request gave one), "outputs": [...]}, the outputs r
 * selects: "predict", FP64 [batch] (reg:squarederror: the value;
 * binary:logistic: P(class 1)) or INT64 [batch] (multi:softmax: the
 * class; multi:softprob: the most probable class, the first of equals);
 * "probabilities", FP64 [batch, classes] (binary: 1 - p and p). */
void serve_encode_oip(struct mlp_buf *out, const char *model_name,
    const char *model_version, const struct serve_req *r,
    const struct mlp_model *m, const double *pred);

/* {"predictions":[...]}: KServe V1 and MLflow, exactly what
 * `mlp predict --json` prints for the same rows. */
void serve_encode_predictions(struct mlp_buf *out, const struct mlp_model *m,
    const double *pred, size_t nrows);

/* GET /v2/models/NAME[/versions/V]: {"name", "versions" (left out when
 * nversions is 0), "platform" ("xgboost" for a model imported from
 * XGBoost, else "mlp"), "inputs": one per feature, FP64 [-1] (BYTES [-1]
 * for a categorical one), "outputs": as serve_encode_oip gives them, -1
 * for the batch}. */
void serve_encode_oip_model(struct mlp_buf *out, const char *name,
    const char *const *versions, size_t nversions, const struct mlp_model *m);

/* {"error":"msg"}: OIP's and KServe's error body. */
void serve_encode_error(struct mlp_buf *out, const char *msg);

/* {"error_code":"CODE","message":"msg"}: MLflow's error body (code
 * "BAD_REQUEST", "INVALID_PARAMETER_VALUE", ...). */
void serve_encode_mlflow_error(struct mlp_buf *out, const char *code,
    const char *msg);

/* Feast's feature server: POST /get-online-features. A request
 * {"entities": {"driver_id": [1001, 1002]}, "features": ["VIEW:F", ...]
 * or "feature_service": "NAME", "full_feature_names": bool} decodes into
 * g: the join-key columns (ints or strings, every column as long), the
 * refs or the service. 400 naming the field, 413 past SERVE_MAX_ROWS
 * entities. Free with serve_feast_get_release. */
struct serve_feast_get {
	char **refs;		/* nrefs "VIEW:FEATURE", or */
	size_t nrefs;
	char *service;		/* a feature service's name */
	int full_names;
	char **key_names;	/* nkeys join keys, as the request named them */
	struct mlp_fval **key_cols;	/* nkeys columns of n values */
	size_t nkeys, n;
	struct mlp_buf strings;	/* the string values */
};
int serve_decode_feast_get(const char *body, size_t n,
    struct serve_feast_get *g, struct mlp_err *err);
void serve_feast_get_release(struct serve_feast_get *g);

/* Helpers the decoders share, for the server's other endpoints too. */


/* 0 when body[0..n) is valid UTF-8 without NUL bytes, else 400 with err
 * saying where. */
int serve_check_body(const char *body, size_t n, struct mlp_err *err);

/* Parses body[0..n) (checked with serve_check_body) as one JSON document
 * (white space around it allowed) into *doc, which the caller deletes
 * with cJSON_Delete: 0, or 400 with err saying where it stops being
 * JSON. Nesting is limited to cJSON's CJSON_NESTING_LIMIT. */
struct cJSON;
int serve_json_parse(const char *body, size_t n, struct cJSON **doc,
    struct mlp_err *err);

/* 0 when nrows rows of m are within SERVE_MAX_ROWS and SERVE_MAX_VALUES,
 * else 413 with err saying which. */
int serve_check_rows(const struct mlp_model *m, size_t nrows,
    struct mlp_err *err);

/* The most rows of m serve_check_rows lets by. */
size_t serve_max_rows(const struct mlp_model *m);

#endif

/* The request decoders and response encoders of the server's protocols:
 * Open Inference Protocol v2, KServe V1 and MLflow's scoring protocol. Pure
 * functions, no sockets; internal to lib/serve. */
#ifndef MLP_SERVE_PROTO_H
#define MLP_SERVE_PROTO_H

#include <stddef.h>

#include "../core/core.h"
#include "../data/data.h"
#include "../model/model.h"

enum { SERVE_OUT_PREDICT = 1, SERVE_OUT_PROBA = 2 };

/* A decoded prediction request. */
struct serve_req {
	struct mlp_frame *frame;	/* the model's features, in its order */
	size_t nrows;
	char *id;			/* OIP "id" to echo, or NULL */
	unsigned outputs;		/* SERVE_OUT_* bits; 0: the default */
};

/* Each decoder returns 0, or an HTTP status (400, 413, 415) with err->msg
 * the one-line reason naming the field. body is not NUL-terminated. */
int serve_decode_oip(const char *body, size_t n, const struct mlp_model *m,
    struct serve_req *out, struct mlp_err *err);
int serve_decode_v1(const char *body, size_t n, const struct mlp_model *m,
    struct serve_req *out, struct mlp_err *err);
int serve_decode_mlflow(const char *body, size_t n, const char *content_type,
    const struct mlp_model *m, struct serve_req *out, struct mlp_err *err);
void serve_req_release(struct serve_req *r);

/* Encoders append a complete JSON body to out; pred is nrows * m->nout
 * values as mlp_model_predict writes them. */
void serve_encode_oip(struct mlp_buf *out, const char *model_name,
    const char *model_version, const struct serve_req *r,
    const struct mlp_model *m, const double *pred);
void serve_encode_predictions(struct mlp_buf *out, const struct mlp_model *m,
    const double *pred, size_t nrows);
void serve_encode_oip_model(struct mlp_buf *out, const char *name,
    const char *const *versions, size_t nversions, const struct mlp_model *m);
void serve_encode_error(struct mlp_buf *out, const char *msg);

#endif

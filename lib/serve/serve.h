/* The prediction server: one process, many models. Open Inference Protocol
 * v2 REST, KServe's V1 and MLflow's scoring protocol over libmicrohttpd
 * (loaded on first use), Prometheus metrics, a model cache within a memory
 * budget (least recently used evicted, pins never), routing tables swapped
 * atomically when a deployment changes, graceful drain on stop.
 *
 * Models come from -m arguments (fixed) or from the repository's
 * deployments (lib/deploy), which the server follows: it notices a change
 * by PRAGMA data_version, loads the new versions, then switches, so a
 * request in flight finishes on the version it started with. */
#ifndef MLP_SERVE_H
#define MLP_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "../core/core.h"
#include "../db/db.h"
#include "../store/store.h"

/* A model served under a fixed name (-m URI=NAME). */
struct mlp_serve_model {
	const char *uri;	/* a path, models:/ or runs:/ */
	const char *name;	/* NULL: the model's name, or the file's */
};

struct mlp_serve_opts {
	const char *host;	/* "127.0.0.1" */
	int port;		/* 0: any free port (the ready callback says) */
	int threads;		/* worker threads; 0: the online CPUs */
	size_t max_body;	/* the largest request body */
	int timeout_s;		/* idle connections, and the drain on stop */
	size_t memory_budget;	/* bytes of loaded models; 0: no limit */
	const char *const *pins;	/* names loaded at start, never evicted */
	size_t npins;
	const struct mlp_serve_model *models;	/* none: the deployments */
	size_t nmodels;
	const char *log_dir;	/* --log-predictions: JSON lines here */
	double log_sample;	/* the share of requests logged, 0..1 */
	uint64_t log_max_bytes;	/* a log file is rotated past this */
	const char *online;	/* the feature store's online store URI;
				 * NULL: sqlite: */
	const char *token;	/* the admin API's bearer token (at least
				 * MLP_SERVE_TOKEN_MIN visible ASCII bytes);
				 * NULL: no admin API */
	/* called once the server listens, with its URL */
	void (*ready)(const char *url, void *ud);
	void *ud;
};

/* The shortest admin token taken, and the longest. */
#define MLP_SERVE_TOKEN_MIN 16
#define MLP_SERVE_TOKEN_MAX 4096

/* Resolves what to serve (every -m model, or the repository's
 * deployments; db and st may be NULL for paths only), listens and
 * answers until mlp_serve_stop(), then stops accepting, lets requests in
 * flight finish (at most timeout_s) and returns 0. MLP_EINVAL naming the
 * model or pin that cannot be served, MLP_EFAIL when the address cannot
 * be bound, MLP_EUNSUPPORTED without libmicrohttpd. */
int mlp_serve_run(struct mlp_db *db, struct mlp_store *st,
    const struct mlp_serve_opts *o, struct mlp_err *err);

/* Asks the running server to stop; async-signal-safe. */
void mlp_serve_stop(void);

#endif

/* The training runner: what `mlp train` does around a learner. It reads a
 * spec (YAML, or the same fields from flags), loads and checks the data,
 * starts a tracked run, logs params, dataset digests and per-iteration
 * metrics, writes checkpoints, stores the model directory as the run
 * artifact "model" (or spec.output) and registers it when asked.
 *
 * A spec file:
 *
 *	experiment: fraud		# default: Default
 *	name: depth6			# run name; default: generated
 *	data: train.csv			# required
 *	target: label			# required
 *	valid: valid.csv		# or valid_fraction: 0.2 (default: none)
 *	algo: gbdt			# gbdt (default), linear, logistic
 *	params: {rounds: 100, max_depth: 6}
 *	features: [a, b]		# default: every column but the target
 *	categorical: [country]		# columns read as categories
 *	seed: 0				# the valid_fraction split
 *	threads: 0			# 0: the online CPUs
 *	output: model			# the artifact's name
 *	checkpoint: {every: 10, seconds: 0, keep: 3}
 *	register: {name: fraud, aliases: [candidate]}	# or register: fraud
 *
 * Relative paths in a spec file are relative to the file's directory, as
 * in docker-compose files. Unknown keys are errors naming file, line and
 * the valid keys. */
#ifndef MLP_TRAIN_RUNNER_H
#define MLP_TRAIN_RUNNER_H

#include <stdint.h>

#include "../core/core.h"
#include "train.h"

struct mlp_train_spec {
	char *path;		/* the spec file, NULL from flags */
	char *experiment, *name, *data, *target, *valid, *algo, *output;
	double valid_fraction;	/* 0: none */
	struct mlp_params params;
	struct mlp_strv features, categorical;
	long seed;
	int threads;
	int ckpt_every, ckpt_seconds, ckpt_keep;
	char *register_name;
	struct mlp_strv register_aliases;
};

void mlp_train_spec_init(struct mlp_train_spec *s);
void mlp_train_spec_release(struct mlp_train_spec *s);

/* Reads the spec file at path into s (which holds defaults or earlier
 * values; the file's keys replace them). MLP_ENOTFOUND, MLP_EINVAL
 * naming file, line and key. */
int mlp_train_spec_load(struct mlp_train_spec *s, const char *path,
    struct mlp_err *err);

/* Checks what a run needs: data, target, a known algo, valid and
 * valid_fraction not both, ranges. MLP_EINVAL saying what is missing. */
int mlp_train_spec_check(const struct mlp_train_spec *s, struct mlp_err *err);

/* What a run reports while it trains (cmd/ draws progress from it). */
struct mlp_train_events {
	/* after each iteration: metrics of that iteration */
	void (*progress)(void *ud, int iter, int total,
	    const struct mlp_metric_val *m, size_t nm);
	/* a line for the user (stderr): data loaded, checkpoint written */
	void (*note)(void *ud, const char *msg);
	void *ud;
	/* set (by a SIGINT handler) to stop: the run ends KILLED */
	volatile int *stop;
};

struct mlp_db;
struct mlp_store;

/* Where the run goes and what it records. */
struct mlp_train_env {
	struct mlp_db *db;
	struct mlp_store *st;
	const char *ckpt_root;	/* .mlp/checkpoints */
	const char *cmdline;	/* recorded as mlp.source.cmdline */
	const char *user;
	const char *run_id;	/* continue this run (--resume, a Slurm job),
				 * or NULL for a new one */
	int resume;		/* continue run_id from its last checkpoint */
};

struct mlp_train_result {
	char run_id[33];
	int iterations;		/* run (the last reached) */
	int best_iteration;	/* early stopping's best, else 0 */
	size_t nmetrics;	/* final metrics */
	char **metric_names;
	double *metric_values;
	char *artifact;		/* runs:/RUN/model */
	int64_t version;	/* registered version, 0 when not registered */
};

void mlp_train_result_release(struct mlp_train_result *r);

/* Trains per spec s as a tracked run. The run is started before the data
 * is read, so a failure is recorded (FAILED, with the error as the tag
 * mlp.error); Ctrl-C through ev->stop ends it KILLED (MLP_EINTR). On
 * success the run is FINISHED with the model stored as the artifact
 * s->output ("model"), and registered when s->register_name is set.
 * out->run_id is set as soon as the run exists, failure or not. */
int mlp_train_run(const struct mlp_train_env *env,
    const struct mlp_train_spec *s, const struct mlp_train_events *ev,
    struct mlp_train_result *out, struct mlp_err *err);

#endif

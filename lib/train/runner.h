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
 * In place of data, the training set can come from the feature store:
 * `features` is then a mapping
 *
 *	features:
 *	  spine: spine.csv		# join keys, a timestamp, the target
 *	  service: eta			# or refs: [driver_profile:rating, ...]
 *	  timestamp_column: event_ts	# the spine's (default event_ts)
 *	  timestamp_format: iso8601	# iso8601 (default), epoch_s, epoch_ms
 *	  full_names: false		# inputs named VIEW__FEATURE
 *
 * and the run builds the point-in-time correct training set from the
 * repository's applied catalog and offline store (as `mlp feature
 * dataset` does) into the store's tmp directory, and trains on it. The
 * target is a spine column; the model's inputs are the features
 * referenced, in order, and nothing else of the spine. The run records
 * the set's digest as its training dataset (source "feature-service:eta"
 * or "feature-refs:REF,..."), the spine as the dataset "spine", and the
 * model's MLmodel the references, view versions, expressions and join
 * keys (struct mlp_model_fstore).
 *
 * Relative paths in a spec file are relative to the file's directory, as
 * in docker-compose files. Unknown keys are errors naming file, line and
 * the valid keys. */
#ifndef MLP_TRAIN_RUNNER_H
#define MLP_TRAIN_RUNNER_H

#include <stdint.h>

#include "../core/core.h"
#include "train.h"

struct mlp_db;

/* The feature-store form of `features` (above); spine NULL when the spec
 * has the list form or none. */
struct mlp_train_fsource {
	char *spine;		/* the spine CSV file */
	char *service;		/* a feature service, or NULL */
	struct mlp_strv refs;	/* or "VIEW:FEATURE" references */
	char *ts_column;	/* NULL: event_ts */
	int tsfmt;		/* enum mlp_tsfmt (lib/feature) */
	int full_names;
};

struct mlp_train_spec {
	char *path;		/* the spec file, NULL from flags */
	char *experiment, *name, *data, *target, *valid, *algo, *output;
	double valid_fraction;	/* 0: none */
	struct mlp_params params;
	struct mlp_strv features, categorical;
	struct mlp_train_fsource fstore;	/* features: as a mapping */
	long seed;
	int threads;
	int ckpt_every, ckpt_seconds, ckpt_keep;
	char *register_name;
	struct mlp_strv register_aliases;
	char *cmd;		/* an external trainer (--cmd), or NULL */
	int shell;		/* run cmd through /bin/sh -c */
};

void mlp_train_spec_init(struct mlp_train_spec *s);
void mlp_train_spec_release(struct mlp_train_spec *s);

/* Reads the spec file at path into s (which holds defaults or earlier
 * values; the file's keys replace them). MLP_ENOTFOUND, MLP_EINVAL
 * naming file, line and key. */
int mlp_train_spec_load(struct mlp_train_spec *s, const char *path,
    struct mlp_err *err);

/* Writes the effective spec as JSON (every field, params included), and
 * reads it back into s (initialised by the caller): what --resume and a
 * Slurm job use to continue a run exactly as it began. */
int mlp_train_spec_write_json(const struct mlp_train_spec *s, const char *path,
    struct mlp_err *err);
int mlp_train_spec_read_json(struct mlp_train_spec *s, const char *path,
    struct mlp_err *err);

/* Checks what a run needs: data (or a spine), target, a known algo,
 * valid and valid_fraction not both, data and a spine not both, ranges.
 * MLP_EINVAL saying what is missing. */
int mlp_train_spec_check(const struct mlp_train_spec *s, struct mlp_err *err);

/* Makes s ready to train and checks everything that can be checked
 * without its data: the spec (mlp_train_spec_check), the parameters,
 * their XGBoost names renamed to the learner's (eta: learning_rate;
 * nthread and n_jobs set s->threads), their values and combinations
 * (early_stopping_rounds needs validation data, multi:softprob needs
 * num_class), the register name and aliases. MLP_EINVAL saying what is
 * wrong; nothing is recorded. */
int mlp_train_prepare(struct mlp_train_spec *s, struct mlp_err *err);

/* Checks a spec for an external trainer (cmd): only data, valid, target
 * and params apply (MLP_EINVAL naming another), parameter names must
 * make environment variables, and the data files must open (MLP_ENOTFOUND,
 * MLP_EFAIL). */
int mlp_train_spec_check_cmd(const struct mlp_train_spec *s,
    struct mlp_err *err);

/* Checks what starting a new run per s would refuse, without starting it:
 * a run name that is not UTF-8, an experiment that is deleted or an id no
 * experiment has (MLP_EINVAL, MLP_ENOTFOUND, as mlp_track_run_start
 * says). */
int mlp_train_check_start(struct mlp_db *db, const struct mlp_train_spec *s,
    struct mlp_err *err);

/* Checks the data files' headers without reading their rows: they can be
 * read, and hold the target and the features (what a Slurm submission
 * checks before the run exists; mlp_train_run reads it all first); a
 * spine, that it holds the target. Skips standard input. MLP_ENOTFOUND,
 * MLP_EINVAL naming file and column. */
int mlp_train_check_header(const struct mlp_train_spec *s,
    struct mlp_err *err);

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

struct mlp_store;

/* Where the run goes and what it records. */
struct mlp_train_env {
	struct mlp_db *db;
	struct mlp_store *st;
	const char *mlp_dir;	/* .mlp */
	const char *ckpt_root;	/* .mlp/checkpoints */
	const char *cmdline;	/* recorded as mlp.source.cmdline */
	const char *user;
	const char *run_id;	/* continue this run (--resume, a Slurm job),
				 * or NULL for a new one */
	int resume;		/* continue run_id from its last checkpoint */
	int submitted;		/* run_id is a submitted job's run: taken up
				 * only while SCHEDULED or RUNNING, so that
				 * a cancel before the job starts holds */
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

/* Trains per spec s (made ready by mlp_train_prepare) as a tracked run.
 * The data is read and checked (by the learner too) before a new run is
 * started, so that a mistake in the input records nothing; a failure
 * after that is recorded (FAILED, with the error as the tag mlp.error),
 * and so is any failure of a run continued (env->run_id). Ctrl-C through
 * ev->stop ends it KILLED (MLP_EINTR). A run resumed from a checkpoint at
 * iteration K loses the metric points it logged past K before it died,
 * before it is RUNNING again, so its history reads as one run. On success the run is FINISHED with the model stored as
 * the artifact s->output ("model"), what was kept beside it for a resume
 * removed, and registered when s->register_name is set. out->run_id is
 * set as soon as the run exists, failure or not. */
int mlp_train_run(const struct mlp_train_env *env,
    const struct mlp_train_spec *s, const struct mlp_train_events *ev,
    struct mlp_train_result *out, struct mlp_err *err);

/* Runs an external trainer as a tracked run: cmd is split into words as a
 * shell would (quotes and backslashes; no expansion) and executed, or run
 * by /bin/sh -c when shell is set. The child gets MLP_RUN_ID, MLP_DIR,
 * MLP_ARTIFACT_DIR (an empty directory whose entries are stored as the
 * run's artifacts when the child exits), the spec's inputs as MLP_DATA,
 * MLP_VALID, MLP_TARGET and MLP_PARAM_NAME for each parameter (NAME in
 * capitals, other characters than letters and digits as '_'; the run
 * records them as params, and the data as its datasets), and
 * MLP_TRACK_FD, the write end of a pipe on which it writes lines
 *
 *	metric NAME VALUE [STEP]
 *	param NAME VALUE
 *	tag NAME VALUE
 *
 * (VALUE of a param or tag is the rest of the line), recorded in batches
 * (at least every half second). A line that does not parse is reported
 * through ev->note with its line number and skipped. The child's stdout
 * and stderr are passed through and kept as the artifacts stdout.txt and
 * stderr.txt. Exit status 0 ends the run FINISHED, any other FAILED (the
 * status in *child_status, 128 + N for signal N); ev->stop terminates the
 * child's process group (SIGTERM, then SIGKILL after 5 s) and ends the
 * run KILLED (MLP_EINTR). With s->register_name and an artifact named
 * s->output ("model"), that artifact is registered. */
int mlp_train_exec(const struct mlp_train_env *env,
    const struct mlp_train_spec *s, const char *cmd, int shell,
    const struct mlp_train_events *ev, struct mlp_train_result *out,
    int *child_status, struct mlp_err *err);

/* Where a running external trainer's output is written until it ends
 * (then kept as artifacts and removed): the directory under the store's
 * tmp_dir holding stdout.txt, stderr.txt and "pid" ("HOST PID" of the mlp
 * process writing them). The caller frees it. */
char *mlp_train_exec_dir(const char *tmp_dir, const char *run_id);

/* 1 when the mlp process named by the exec dir's pid file is known to be
 * gone (it ran on this host and no longer exists), else 0. */
int mlp_train_exec_gone(const char *dir);

/* Splits a command line into words as sh does for quotes and
 * backslashes (no variables, globs or operators). MLP_EINVAL for an
 * unterminated quote or an empty command. */
int mlp_train_split_command(const char *cmd, struct mlp_strv *out,
    struct mlp_err *err);

/* Slurm (lib/train/slurm.c): a run trains on a cluster node against the
 * same repository (a shared filesystem). Submitting creates the run
 * SCHEDULED, writes its effective spec beside its checkpoints and runs
 * `sbatch` with a job that runs `MLP -C ROOT train --run-id RUN` (which
 * continues from the newest checkpoint, so a requeued job resumes); the
 * job id is the run's tag mlp.slurm.job_id and its output goes to
 * .mlp/checkpoints/RUN/slurm-JOBID.out. sbatch_args are passed to sbatch
 * before the script (--partition=..., --time=...). */
int mlp_slurm_submit(const struct mlp_train_env *env,
    const struct mlp_train_spec *s, const char *mlp_path, const char *root,
    const char *const *sbatch_args, size_t nargs, char run_id[33],
    char **job_id, struct mlp_err *err);

/* The job's state as Slurm says (PENDING, RUNNING, COMPLETED, FAILED,
 * CANCELLED, TIMEOUT, ...; "UNKNOWN" when Slurm no longer knows it), and
 * the run's status made to follow it: a job that ended without its run
 * ending (cancelled while pending, killed by a time limit, a node
 * failure) ends the run KILLED or FAILED. *state is the caller's to free. */
int mlp_slurm_status(const struct mlp_train_env *env, const char *run_id,
    char **job_id, char **state, struct mlp_err *err);

/* scancel the run's job and end the run KILLED. */
int mlp_slurm_cancel(const struct mlp_train_env *env, const char *run_id,
    struct mlp_err *err);

/* The path of the job's output file (the caller frees it). */
int mlp_slurm_log_path(const struct mlp_train_env *env, const char *run_id,
    char **path, struct mlp_err *err);

#endif

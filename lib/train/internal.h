/* What the runner's files share (runner.c, exec.c); callers use runner.h. */
#ifndef MLP_TRAIN_INTERNAL_H
#define MLP_TRAIN_INTERNAL_H

#include "runner.h"

/* Starts a RUNNING run per the spec's experiment (created when new) and
 * name, with the source tags of env->cmdline. */
int train_start_run(const struct mlp_train_env *env,
    const struct mlp_train_spec *s, char uuid[33], struct mlp_err *err);

/* Ends the run FAILED (KILLED for MLP_EINTR) with why as the tag
 * mlp.error. */
void train_fail_run(const struct mlp_train_env *env, const char *uuid,
    int code, const struct mlp_err *why);

/* Tells the user msg through ev->note (nothing without one). */
void train_note(const struct mlp_train_events *ev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Removes what train kept beside a finished run (its checkpoints and
 * spec.json; a Slurm job's output stays). */
void train_finished(const struct mlp_train_env *env, const char *uuid);

/* Stores the file or directory at path and records it as the run's
 * artifact name. */
int train_store_artifact(const struct mlp_train_env *env, const char *uuid,
    const char *path, const char *name, struct mlp_err *err);

/* Checks the spec's register name and aliases (MLP_EINVAL), so that a
 * bad one is refused before training. */
int train_check_register(const struct mlp_train_spec *s, struct mlp_err *err);

/* Registers res->artifact as the next version of s->register_name with
 * s->register_aliases; res->version gets its number. */
int train_register(const struct mlp_train_env *env,
    const struct mlp_train_spec *s, struct mlp_train_result *res,
    struct mlp_err *err);

/* The training set a spec's `features: {spine, ...}` asks for, built
 * from the feature store (lib/train/fstore.c). */
struct train_fset {
	char *path;		/* the CSV in the store's tmp dir, removed by
				 * train_fset_release */
	char digest[65];	/* its SHA-256 */
	uint64_t rows;
	struct mlp_strv inputs;	/* the model's inputs: the features'
				 * columns, in reference order */
	struct mlp_strv categorical;	/* the spec's, and the string and
					 * bool features */
	char *source;		/* "feature-service:eta", "feature-refs:..." */
	struct mlp_model_fstore *lineage;	/* what MLmodel records */
};

/* Builds the training set for s->fstore from env's catalog and offline
 * store: checks the spine's header (the target a column of it, not a
 * join key or its timestamp), resolves the service or references (an
 * unknown one is MLP_ENOTFOUND or MLP_EINVAL with a did-you-mean),
 * writes the point-in-time join into the store's tmp directory and
 * describes it in *out (the caller releases it, which removes the file).
 * A view without ingested data is MLP_ENOTFOUND naming its source. */
int train_fset_build(const struct mlp_train_env *env,
    const struct mlp_train_spec *s, const struct mlp_train_events *ev,
    struct train_fset *out, struct mlp_err *err);
void train_fset_release(struct train_fset *f);

#endif

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

#endif

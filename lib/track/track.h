/* Experiment tracking: experiments, runs, params, metrics, tags and search,
 * with MLflow's semantics. */
#ifndef MLP_TRACK_H
#define MLP_TRACK_H

#include <stdint.h>

#include "../core/core.h"
#include "../db/db.h"
#include "filter.h"

struct mlp_repo;

/* Which runs or experiments a listing shows (MLflow's run_view_type). */
enum mlp_view { MLP_VIEW_ACTIVE, MLP_VIEW_DELETED, MLP_VIEW_ALL };

/* MLflow's limits on keys and values. */
#define MLP_KEY_MAX 250
#define MLP_PARAM_VALUE_MAX 6000
#define MLP_TAG_VALUE_MAX 8000

/* Experiments */

struct mlp_experiment {
	int64_t id;
	char *name;
	char *lifecycle;	/* "active" or "deleted" */
	int64_t created, updated;
	int64_t nruns;		/* active runs */
};

/* Text that tracking stores (experiment and run names, the user, param
 * and tag values, artifact names) must be valid UTF-8: anything else is
 * refused with MLP_EINVAL naming the field (keys are ASCII by
 * mlp_track_check_key). */

/* Creates an experiment; MLP_EEXISTS when the name is taken (even by a
 * deleted one, as MLflow). *id may be NULL. */
int mlp_track_experiment_create(struct mlp_db *db, const char *name,
    int64_t *id, struct mlp_err *err);

/* Finds an experiment by name, or by numeric id when ref is all digits and
 * no experiment has that name. Deleted experiments are found too; the
 * caller checks out->lifecycle. MLP_ENOTFOUND otherwise. Release out with
 * mlp_experiment_release(). */
int mlp_track_experiment_get(struct mlp_db *db, const char *ref,
    struct mlp_experiment *out, struct mlp_err *err);

/* The experiment runs go into, as MLflow's set_experiment: ref names an
 * experiment by name or id, and a name no experiment has is created
 * (*created set to 1; it may be NULL). An all-digit ref that is neither a
 * name nor an id is MLP_ENOTFOUND (an id is never made up); a deleted
 * experiment is MLP_EINVAL, saying how to restore it. Works inside the
 * caller's transaction when there is one. Release out with
 * mlp_experiment_release(). */
int mlp_track_experiment_ensure(struct mlp_db *db, const char *ref,
    struct mlp_experiment *out, int *created, struct mlp_err *err);

int mlp_track_experiment_rename(struct mlp_db *db, const char *ref,
    const char *new_name, struct mlp_err *err);

/* Soft-deletes (and restores) an experiment. The Default experiment cannot
 * be deleted (MLP_EINVAL). */
int mlp_track_experiment_delete(struct mlp_db *db, const char *ref,
    struct mlp_err *err);
int mlp_track_experiment_restore(struct mlp_db *db, const char *ref,
    struct mlp_err *err);

/* Lists experiments by id; the caller frees with mlp_experiments_free(). */
int mlp_track_experiment_list(struct mlp_db *db, enum mlp_view view,
    struct mlp_experiment **out, size_t *n, struct mlp_err *err);
void mlp_experiment_release(struct mlp_experiment *e);
void mlp_experiments_free(struct mlp_experiment *v, size_t n);

/* Runs */

struct mlp_run_info {
	int64_t id;		/* internal row id */
	char uuid[33];		/* the run id users see */
	int64_t experiment;
	char *experiment_name;
	char *name;
	char *user;
	char *status;		/* RUNNING FINISHED FAILED KILLED SCHEDULED */
	int64_t start_time, end_time;	/* ms; end_time 0 while running */
	char *lifecycle;
};

struct mlp_kv {
	char *key, *value;
};

struct mlp_metric {
	char *key;
	double value;
	int64_t step, ts;
};

/* A run with its params, tags and latest metrics, each sorted by key. */
struct mlp_run {
	struct mlp_run_info info;
	struct mlp_kv *params, *tags;
	size_t nparams, ntags;
	struct mlp_metric *metrics;
	size_t nmetrics;
};

/* Resolves a run id or a unique prefix of at least 4 hex digits. Errors:
 * MLP_EINVAL (not hex, too short), MLP_ENOTFOUND, MLP_EAMBIGUOUS (the
 * message lists the candidates). Deleted runs resolve too. Release out with
 * mlp_run_info_release(). */
int mlp_track_run_resolve(struct mlp_db *db, const char *ref,
    struct mlp_run_info *out, struct mlp_err *err);
void mlp_run_info_release(struct mlp_run_info *ri);

struct mlp_run_start {
	const char *experiment;	/* name or id, created when new (see
				 * mlp_track_experiment_ensure); NULL for
				 * Default */
	const char *name;	/* NULL: a generated name */
	const char *user;
	const struct mlp_kv *tags;	/* user and system tags */
	size_t ntags;
	int64_t start_time;	/* 0: now */
	/* the calling process runs the run (mlp train, not mlp track
	 * start): record it for mlp_track_reconcile() */
	int own;
	int *created_experiment;	/* optional: set to 1 when made */
};

/* The user runs and registry events are recorded for, as git picks an
 * author: $MLP_USER, else user.name from the config (the repository's,
 * else the global one; repo may be NULL), else the login name ($USER,
 * then the password database). Never NULL; the caller frees. */
char *mlp_track_user(const struct mlp_repo *repo);

/* The system tags a run records at start: mlp.user (user), mlp.source.host,
 * mlp.source.cwd, mlp.source.cmdline, mlp.version and, inside a git work
 * tree, mlp.source.git.commit, .branch and .dirty. Free with
 * mlp_kvs_free(). */
int mlp_track_source_tags(const char *cmdline, const char *user,
    struct mlp_kv **out, size_t *n);
void mlp_kvs_free(struct mlp_kv *v, size_t n);

/* Starts a RUNNING run and writes its id to uuid. With rs->own the run
 * also records the calling process (tags mlp.source.host, mlp.source.pid
 * and mlp.source.pid.start, its start time, so a reused pid is told
 * apart). */
int mlp_track_run_start(struct mlp_db *db, const struct mlp_run_start *rs,
    char uuid[33], struct mlp_err *err);

/* Ends as KILLED the RUNNING runs recorded on this host by a process that
 * is gone (a killed mlp train), with the time of their last logged point
 * as end time and the tag mlp.error saying why. A run without a recorded
 * process (mlp track start), recorded on another host, or whose process
 * lives is left alone. uuid limits it to that run (NULL: every run). It
 * reads a few rows and writes only when a run is to be ended, so listing
 * commands run it first. *nkilled (may be NULL) gets how many. */
int mlp_track_reconcile(struct mlp_db *db, const char *uuid,
    int64_t *nkilled, struct mlp_err *err);

/* Parses "finished" / "FAILED" ...; 0 or MLP_EINVAL. */
int mlp_track_status_parse(const char *s, const char **canonical,
    struct mlp_err *err);

/* Sets the run's terminal status and end time. RUNNING is a run taken up
 * again (resumed, or a submitted run starting on its node): the calling
 * process is recorded as running it, as rs->own does at start. */
int mlp_track_run_end(struct mlp_db *db, const char *uuid, const char *status,
    int64_t end_time, struct mlp_err *err);

/* Takes up a run as RUNNING, recording the calling process as its owner,
 * as mlp_track_run_end(..., "RUNNING") does, but only a run that is
 * SCHEDULED or RUNNING (a submitted job starting on its node, or started
 * again by its scheduler): one cancelled or ended meanwhile is left as it
 * is, MLP_EINVAL saying its status. MLP_ENOTFOUND for no such run. */
int mlp_track_run_take(struct mlp_db *db, const char *uuid,
    struct mlp_err *err);

/* Loads a run with its params, tags and latest metrics; free with
 * mlp_run_free(). */
int mlp_track_run_get(struct mlp_db *db, const char *uuid,
    struct mlp_run **out, struct mlp_err *err);
void mlp_run_free(struct mlp_run *r);

/* Soft delete and restore. */
int mlp_track_run_delete(struct mlp_db *db, const char *uuid,
    struct mlp_err *err);
int mlp_track_run_restore(struct mlp_db *db, const char *uuid,
    struct mlp_err *err);

/* Permanently removes runs deleted at least older_than_ms ago (and the
 * experiments deleted that long ago with all their runs); counts in *nruns
 * and *nexps, and the ids of the runs removed appended to purged when it
 * is not NULL (for the files kept beside them). */
int mlp_track_gc(struct mlp_db *db, int64_t older_than_ms, int64_t *nruns,
    int64_t *nexps, struct mlp_strv *purged, struct mlp_err *err);

/* Every point of one metric of a run, ordered by step then timestamp. The
 * caller frees *out (keys are NULL in the returned points). */
int mlp_track_metric_history(struct mlp_db *db, const char *uuid,
    const char *key, struct mlp_metric **out, size_t *n, struct mlp_err *err);

/* Logging. A logger writes one run's params, tags and metrics in a single
 * transaction, so a batch lands whole or not at all. */
struct mlp_logger;

/* Takes the write lock and prepares the statements. The run must not be
 * deleted. Finish with mlp_logger_commit() or mlp_logger_abort(). */
int mlp_logger_begin(struct mlp_db *db, const char *uuid,
    struct mlp_logger **out, struct mlp_err *err);
/* Appends a metric point; NaN and ±Inf are allowed; ts 0 means now. */
int mlp_logger_metric(struct mlp_logger *lg, const char *key, double value,
    int64_t step, int64_t ts, struct mlp_err *err);
/* Params are immutable: the same value again is a no-op, another value is
 * MLP_EINVAL. */
int mlp_logger_param(struct mlp_logger *lg, const char *key,
    const char *value, struct mlp_err *err);
int mlp_logger_tag(struct mlp_logger *lg, const char *key, const char *value,
    struct mlp_err *err);
/* MLP_ENOTFOUND when the run has no such tag. */
int mlp_logger_delete_tag(struct mlp_logger *lg, const char *key,
    struct mlp_err *err);
/* The id of the run being logged to (borrowed). */
const char *mlp_logger_uuid(const struct mlp_logger *lg);
/* Counts of what was written so far. */
void mlp_logger_counts(const struct mlp_logger *lg, int64_t *metrics,
    int64_t *params, int64_t *tags);
/* Removes the run's metric points past step after (what a run resumed
 * from a checkpoint at that step logs again), latest values included. */
int mlp_logger_truncate_metrics(struct mlp_logger *lg, int64_t after,
    struct mlp_err *err);
/* Updates the latest-metric table, commits and frees lg. */
int mlp_logger_commit(struct mlp_logger *lg, struct mlp_err *err);
/* Rolls back and frees; accepts NULL. */
void mlp_logger_abort(struct mlp_logger *lg);

/* Checks a metric, param or tag key as MLflow does; MLP_EINVAL. */
int mlp_track_check_key(const char *what, const char *key,
    struct mlp_err *err);
/* Checks a tag or a param: its key, and a value of valid UTF-8 within
 * MLflow's length limit; MLP_EINVAL. */
int mlp_track_check_tag(const char *key, const char *value,
    struct mlp_err *err);
int mlp_track_check_param(const char *key, const char *value,
    struct mlp_err *err);

/* Reads a batch from text (JSON lines of {"metric"|"param"|"tag": KEY,
 * "value": V, "step": N, "timestamp": MS}, MLflow log-batch bodies
 * {"metrics": [...], "params": [...], "tags": [...]} and log-inputs bodies
 * {"datasets": [...]}) and logs it through lg. Errors name the line; an
 * object larger than MLP_BATCH_MAX_RECORD is one. */
#define MLP_BATCH_MAX_RECORD (64 << 20)
struct mlp_batch_reader;
int mlp_batch_new(struct mlp_batch_reader **out, const char *name);
/* Feeds n bytes; eof marks the end of input. Complete records are logged
 * as soon as they are read. */
int mlp_batch_feed(struct mlp_batch_reader *br, struct mlp_logger *lg,
    const char *data, size_t n, int eof, struct mlp_err *err);
void mlp_batch_free(struct mlp_batch_reader *br);

/* Artifacts: files and directories stored in the object store under a
 * name within a run (runs:/RUN/NAME). */

struct mlp_store;

struct mlp_artifact {
	char *path;		/* the name within the run */
	char oid[65];
	int is_tree;
	uint64_t size;
	int64_t created;
};

/* Records an artifact already stored (oid) under path in the run, replacing
 * one of that name. The name: relative, '/'-separated, no '.' or '..'
 * components (MLP_EINVAL). */
int mlp_track_artifact_add(struct mlp_db *db, const char *uuid,
    const char *path, const char *oid, int is_tree, uint64_t size,
    struct mlp_err *err);

/* A run's artifacts sorted by path; free with mlp_artifacts_free(). */
int mlp_track_artifacts(struct mlp_db *db, const char *uuid,
    struct mlp_artifact **out, size_t *n, struct mlp_err *err);
void mlp_artifacts_free(struct mlp_artifact *v, size_t n);

/* Checks an artifact name; MLP_EINVAL. */
int mlp_track_check_artifact_path(const char *path, struct mlp_err *err);

/* Search */

struct mlp_order {
	struct mlp_field field;
	int desc;
};

struct mlp_search {
	const int64_t *experiments;	/* NULL: every active experiment */
	size_t nexperiments;
	const char *filter;		/* NULL or "" matches all */
	const struct mlp_order *order;	/* default: start_time desc */
	size_t norder;
	const struct mlp_field *columns;	/* extra values per row */
	size_t ncolumns;
	int64_t limit;			/* < 0: no limit */
	enum mlp_view view;
};

/* A column value: NULL (the run lacks it), a number (NaN for a metric
 * whose latest value is NaN) or text. */
struct mlp_value {
	enum { MLP_VAL_NULL, MLP_VAL_NUM, MLP_VAL_TEXT } type;
	double d;
	const char *s;
};

/* Calls fn for each matching run in order; row and values are borrowed for
 * the call. A syntax error in the filter is MLP_ESYNTAX with err->pos. fn
 * returning non-zero stops the search with that value. */
typedef int (*mlp_search_fn)(const struct mlp_run_info *ri,
    const struct mlp_value *cols, void *ud);
int mlp_track_search(struct mlp_db *db, const struct mlp_search *q,
    mlp_search_fn fn, void *ud, struct mlp_err *err);

/* Names for completion: metric keys, param keys, tag keys, experiment
 * names, and recent run ids ("id\tname"); the deleted experiments and
 * runs (for restore); each as a list. */
enum mlp_names { MLP_NAMES_METRICS, MLP_NAMES_PARAMS, MLP_NAMES_TAGS,
	MLP_NAMES_EXPERIMENTS, MLP_NAMES_RUNS, MLP_NAMES_DELETED_EXPERIMENTS,
	MLP_NAMES_DELETED_RUNS };
int mlp_track_names(struct mlp_db *db, enum mlp_names what, const char *prefix,
    struct mlp_strv *out, struct mlp_err *err);

#endif

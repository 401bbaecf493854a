/* Deployments: which model versions a deployment serves (stable, and a
 * canary with its share of requests), their append-only history, the lock
 * that keeps two changes of one deployment from interleaving, gates, and
 * the heartbeats that running servers (lib/serve) record so that deploy
 * status and --wait know what is live; and the targets a deployment is
 * put into effect on (local servers, KServe).
 *
 * Schema (lib/db/db.c, migration 4): deployment (one row per deployment;
 * generation counts its changes), deployment_event (every change and the
 * state it left), deployment_lock, server (one row per running mlp serve).
 *
 * Files: deploy.c (state changes and history), lock.c, gate.c, beat.c
 * (heartbeats, live servers, --wait), target.c (the backend table),
 * target-local.c, target-kserve.c. */
#ifndef MLP_DEPLOY_H
#define MLP_DEPLOY_H

#include <stdint.h>

#include "../core/core.h"
#include "../db/db.h"

/* Exit codes of mlp deploy (mlp-deploy(1)); lib/ returns MLP_E* codes and
 * cmd/deploy.c maps them. */
enum {
	MLP_DEPLOY_EXIT_GATE = 3,	/* a --require gate failed */
	MLP_DEPLOY_EXIT_LOCKED = 4,	/* another deploy holds the lock */
	MLP_DEPLOY_EXIT_ROLLED_BACK = 5,	/* --wait failed; rolled back */
};

/* What a server routes for one deployment: read by lib/serve on start and
 * whenever the database changes (PRAGMA data_version). Versions are 0 when
 * absent. oid and is_tree say where each version's objects are. */
struct mlp_deploy_route {
	char *name;		/* the deployment */
	char *model;		/* the registered model's name */
	int64_t generation;
	int64_t stable;
	char stable_oid[65];
	int stable_is_tree;
	int64_t canary;		/* 0: no canary */
	char canary_oid[65];
	int canary_is_tree;
	double canary_pct;	/* 0..100 */
};

/* Every deployment of target (NULL: every target), by name. Free with
 * mlp_deploy_routes_free(). */
int mlp_deploy_routes(struct mlp_db *db, const char *target,
    struct mlp_deploy_route **out, size_t *n, struct mlp_err *err);
void mlp_deploy_routes_free(struct mlp_deploy_route *v, size_t n);

/* A running server's heartbeat. state is a JSON object:
 *
 *	{"routes": {"D": {"generation": 7, "stable": 3, "canary": 4,
 *	                  "canary_pct": 10}},
 *	 "failed": {"D": {"version": 5, "generation": 8,
 *	                  "error": "cannot load ..."}},
 *	 "loaded": {"D": [3, 4]},
 *	 "requests": {"D": {"3": 1200, "4": 130}}}
 *
 * routes: what it routes now (it switches only once a version loaded);
 * failed: a version it could not load for that generation (it goes on
 * routing the previous state); loaded: the versions in memory; requests:
 * answered requests per version since it started. */
struct mlp_server_beat {
	int64_t id;		/* 0 on the first beat: mlp_deploy_beat sets it */
	const char *url;	/* "http://127.0.0.1:8080" */
	int deployments;	/* 1: serves the repository's deployments;
				 * 0: serves -m models only (not waited for) */
	int64_t started;	/* ms since the epoch */
	const char *state;	/* JSON as above */
};

/* Records (inserts on the first call, then updates) the calling process's
 * heartbeat: host, pid and its start time are the caller's. */
int mlp_deploy_beat(struct mlp_db *db, struct mlp_server_beat *b,
    struct mlp_err *err);
/* Removes the heartbeat when the server stops. */
int mlp_deploy_beat_end(struct mlp_db *db, int64_t id, struct mlp_err *err);

/* A heartbeat older than this is not live (servers beat every second). */
#define MLP_DEPLOY_BEAT_TTL_MS 5000

/* Deployments (deploy.c). */

/* A deployment's name follows a model name's rules
 * (mlp_registry_check_name): MLP_EINVAL naming the rule it breaks. */
int mlp_deploy_check_name(const char *name, struct mlp_err *err);

/* A deployment as recorded. Versions are 0 when absent. */
struct mlp_deployment {
	char *name;		/* NULL: no deployment of that name */
	char *target;		/* "local", "kserve" */
	char *model;		/* the registered model's name */
	int64_t stable;		/* 0 only in the state rm leaves */
	int64_t canary;
	double canary_pct;	/* 0 without a canary, else 0 < pct < 100 */
	int64_t previous;	/* what rollback goes back to */
	int64_t generation;	/* counts its changes, across rm */
	char *config;		/* the target's settings (JSON object) */
	int64_t created, updated;	/* ms since the epoch */
	char *updated_by;	/* who made the last change ("" if unknown) */
};
/* Frees what d holds and zeroes it; accepts an empty one. */
void mlp_deployment_release(struct mlp_deployment *d);
void mlp_deployments_free(struct mlp_deployment *v, size_t n);

/* The deployment name: MLP_ENOTFOUND ("no deployment 'D'") when there is
 * none. Release out with mlp_deployment_release(). */
int mlp_deploy_get(struct mlp_db *db, const char *name,
    struct mlp_deployment *out, struct mlp_err *err);
/* Every deployment, by name. Free with mlp_deployments_free(). */
int mlp_deploy_list(struct mlp_db *db, struct mlp_deployment **out,
    size_t *n, struct mlp_err *err);
/* The names of deployments that start with prefix, for completion; with
 * history, also those removed that still have a history. */
int mlp_deploy_names(struct mlp_db *db, const char *prefix, int history,
    struct mlp_strv *out, struct mlp_err *err);

enum mlp_deploy_action {
	MLP_DEPLOY_SET,		/* "deploy": a version becomes stable */
	MLP_DEPLOY_CANARY,	/* "canary": a version takes a share */
	MLP_DEPLOY_PROMOTE,	/* the canary becomes stable */
	MLP_DEPLOY_ROLLBACK,	/* the canary goes, else the previous returns */
	MLP_DEPLOY_AUTO_ROLLBACK,	/* --wait failed: the state before */
	MLP_DEPLOY_RM,		/* the deployment goes (its history stays) */
};
/* The action's name in the history ("deploy", "auto-rollback"...). */
const char *mlp_deploy_action_name(enum mlp_deploy_action a);

/* One change of a deployment. */
struct mlp_deploy_change {
	enum mlp_deploy_action action;
	const char *name;
	const char *model;	/* SET, CANARY: the version to serve */
	int64_t version;
	double canary_pct;	/* CANARY: 0 < pct < 100 */
	const char *target;	/* SET, CANARY: a new deployment's target
				 * (NULL: "local"); an existing one's must be
				 * the same (NULL: whatever it is) */
	const char *config;	/* the target's settings to record; NULL
				 * keeps them ("{}" for a new deployment) */
	const struct mlp_deployment *restore;	/* AUTO_ROLLBACK: the state
				 * to put back; one without a name removes
				 * the deployment (it was new) */
	int64_t undo_generation;	/* AUTO_ROLLBACK: the generation it
				 * undoes; any other change since is kept */
	const char *user;	/* who, for the history */
	const char *host;	/* where from, for the history (NULL: this
				 * host; the admin API records its client's) */
	const char *detail;	/* why, for the history ("" or NULL) */
};

/* The state change c leaves when made on cur (cur->name NULL: there is no
 * such deployment), into next (released by the caller); *changed is 0 when
 * c would change nothing (the version is stable already, with no canary).
 *
 * SET: previous = the old stable, stable = the version, canary cleared
 * (deploying the stable again only clears a canary). CANARY: the stable
 * stays, canary = the version with its share. PROMOTE: previous = the old
 * stable, stable = the canary. ROLLBACK: with a canary, the canary goes;
 * else stable = previous and previous = the old stable. RM: no version
 * (stable 0). AUTO_ROLLBACK: the state restore holds (stable 0 when the
 * deployment was new). Errors: MLP_ENOTFOUND for a deployment that does not exist (a
 * canary for one: "deploy a stable version first"), MLP_EINVAL for a share
 * out of range, a bad name or a target that differs, MLP_EFAIL for a
 * change the state does not allow (another model, no canary to promote,
 * nothing to roll back to, a canary of the stable version). */
int mlp_deploy_plan(const struct mlp_deployment *cur,
    const struct mlp_deploy_change *c, struct mlp_deployment *next,
    int *changed, struct mlp_err *err);

/* Makes change c in one transaction: checks that this process holds the
 * deployment's lock (mlp_deploy_lock; MLP_ELOCKED when not), plans it
 * from the row as it is, writes the row with generation + 1 (the next
 * after the last recorded, for a deployment made again after rm) and
 * appends the event (who, host, when, the action, the state left, the
 * detail). before and after, when not NULL, get the states (released by
 * the caller); *changed as mlp_deploy_plan (nothing is written when 0). An
 * AUTO_ROLLBACK whose undo_generation is no longer the deployment's fails
 * with MLP_EFAIL. */
int mlp_deploy_commit(struct mlp_db *db, const struct mlp_deploy_change *c,
    struct mlp_deployment *before, struct mlp_deployment *after,
    int *changed, struct mlp_err *err);

/* The generation the next change of deployment name will have (1 for
 * one that never existed), for what a target renders before the commit. */
int mlp_deploy_next_generation(struct mlp_db *db, const char *name,
    int64_t *gen, struct mlp_err *err);

/* One entry of a deployment's history: the change and the state it
 * left (versions 0 when absent; stable 0 after rm). */
struct mlp_deploy_event {
	int64_t id;
	char *deployment, *action, *target, *model;
	int64_t generation, stable, canary, previous;
	double canary_pct;
	char *user, *host, *detail;
	int64_t ts;		/* ms since the epoch */
};
/* Every change of deployment name, oldest first, kept after rm.
 * MLP_ENOTFOUND when it never existed. Free with
 * mlp_deploy_events_free(). */
int mlp_deploy_history(struct mlp_db *db, const char *name,
    struct mlp_deploy_event **out, size_t *n, struct mlp_err *err);
void mlp_deploy_events_free(struct mlp_deploy_event *v, size_t n);

/* Locks (lock.c). A deployment's lock is a row held by one process, taken
 * in its own short transaction before anything slow and released at the
 * end, so two changes of one deployment never interleave. */

/* Who holds a lock. */
struct mlp_deploy_holder {
	char user[256];
	char host[256];
	int64_t pid;
	int64_t since;		/* ms since the epoch */
	int taken_over;		/* the lock was taken over from this holder,
				 * whose process is gone */
};

/* Takes the lock of deployment name for this process (user: who). A lock
 * held by a process of this host that is gone (mlp_proc_alive) is taken
 * over in the same transaction that finds it so (then holder, when not
 * NULL, says whose it was, with taken_over set); one this process holds
 * is kept. MLP_ELOCKED when another live process holds it: holder (when
 * not NULL) says who and the message reads "deployment 'D' is locked by
 * USER@HOST pid PID since TIME"; holder->pid is 0 for any other error
 * (a database busy past its timeout is MLP_ELOCKED too). */
int mlp_deploy_lock(struct mlp_db *db, const char *name, const char *user,
    struct mlp_deploy_holder *holder, struct mlp_err *err);
/* The same, waiting while another holds it: tries every 200 ms until it
 * is free, timeout_ms passes (< 0: no limit; then MLP_ELOCKED as above) or
 * stop(ud) says to (MLP_EINTR). stop may be NULL. */
int mlp_deploy_lock_wait(struct mlp_db *db, const char *name,
    const char *user, int64_t timeout_ms, int (*stop)(void *), void *ud,
    struct mlp_deploy_holder *holder, struct mlp_err *err);
/* Releases the lock of name if this process holds it. */
int mlp_deploy_unlock(struct mlp_db *db, const char *name,
    struct mlp_err *err);

/* Gates (gate.c): run filters (lib/track/filter.h) a version's training
 * run must match before it is deployed. */
struct mlp_deploy_gates;

/* Parses each expression: MLP_ESYNTAX naming the expression and where it
 * is wrong. An empty expression is refused (it would match every run).
 * Free with mlp_deploy_gates_free(). */
int mlp_deploy_gates_parse(char *const *exprs, size_t n,
    struct mlp_deploy_gates **out, struct mlp_err *err);
void mlp_deploy_gates_free(struct mlp_deploy_gates *g);
/* Checks every gate against run run_uuid (NULL: the version has no run,
 * which fails every gate): 1 when all pass, 0 when one fails (*why, freed
 * by the caller, names the expression and the run's values of the fields
 * it compares), or a negative error. */
int mlp_deploy_gates_check(struct mlp_db *db, const struct mlp_deploy_gates *g,
    const char *run_uuid, char **why, struct mlp_err *err);

/* Live servers (beat.c). */

/* A server's heartbeat row. */
struct mlp_server {
	int64_t id;
	char *host;
	int64_t pid;
	char *url;
	int deployments;
	int64_t started, seen;	/* ms since the epoch */
	char *state;		/* JSON, as above */
};
/* The live servers: seen within MLP_DEPLOY_BEAT_TTL_MS and, on this host,
 * whose process lives; only those serving deployments when
 * deployments_only. By id. Free with mlp_servers_free(). Never writes. */
int mlp_deploy_servers(struct mlp_db *db, int deployments_only,
    struct mlp_server **out, size_t *n, struct mlp_err *err);
void mlp_servers_free(struct mlp_server *v, size_t n);

/* What a server's state says of one deployment. */
struct mlp_server_view {
	int routed;		/* "routes" names it */
	int64_t generation, stable, canary;
	double canary_pct;
	int failed;		/* "failed" names it */
	int64_t failed_version, failed_generation;
	char *error;
	int64_t *loaded;	/* "loaded" */
	size_t nloaded;
	int64_t *request_versions;	/* "requests": answered requests */
	int64_t *request_counts;	/* per version */
	size_t nrequests;
};
/* Reads what state (a server's JSON) says of deployment name; a state
 * that is not JSON, or fields of the wrong type, read as absent. Release
 * with mlp_server_view_release(). */
void mlp_server_view_parse(const char *state, const char *name,
    struct mlp_server_view *out);
void mlp_server_view_release(struct mlp_server_view *v);

/* How a --wait ended. */
struct mlp_deploy_wait {
	size_t servers;		/* live servers when it ended */
	int failed;		/* a server could not load the version, or
				 * the time ran out: why says which */
	char *why;		/* freed by the caller */
};
/* Waits until every live server that serves deployments routes
 * deployment name at generation or later, with version as its stable or
 * canary (at that generation), polling every 150 ms: 0 when they all do,
 * or at once when no server is live (w->servers 0). MLP_EFAIL with
 * w->failed set when a server reports the version failed for that
 * generation or timeout_ms passes; MLP_EINTR when stop(ud) says so;
 * another error when the database cannot be read. */
int mlp_deploy_wait(struct mlp_db *db, const char *name, int64_t generation,
    int64_t version, int64_t timeout_ms, int (*stop)(void *), void *ud,
    struct mlp_deploy_wait *w, struct mlp_err *err);

/* Targets (target.c): where a deployment is put into effect, a backend
 * table as the other areas have (STYLE.md "Backends"). */

/* The target options of mlp deploy; NULL when not given. */
struct mlp_deploy_target_opts {
	const char *output;		/* -o FILE */
	const char *kserve_version;	/* "0.11" */
	const char *kserve_mode;	/* "serverless", "raw" */
	const char *storage_uri;	/* where the version's files are */
};

struct mlp_deploy_target {
	const char *name;	/* "local"; "http://" matches http:// and
				 * https:// URLs */
	const char *summary;
	int waits;		/* --wait watches this repository's servers */
	int remote;		/* its deployments live in another repository,
				 * changed through mlp_deploy_remote_* (below)
				 * instead of this one's */
	/* Checks the options and the state next for this target before
	 * anything changes, and sets *config (freed by the caller) to the
	 * settings to record, from o and those recorded (next->config).
	 * MLP_EINVAL for an option it does not take or a value it refuses,
	 * MLP_EUNSUPPORTED for a state it cannot honour. */
	int (*configure)(const struct mlp_deploy_target_opts *o,
	    const struct mlp_deployment *next, char **config,
	    struct mlp_err *err);
	/* Puts state next (its config as configure made it; stable 0 after
	 * rm) into effect: writes what it renders or runs a tool. *note,
	 * when set, is a line for the user (freed by the caller). */
	int (*apply)(const struct mlp_deploy_target_opts *o,
	    const struct mlp_deployment *next, char **note,
	    struct mlp_err *err);
};

/* The built-in targets, default first; NULL-terminated. */
extern const struct mlp_deploy_target *const mlp_deploy_targets[];
/* The target named name: MLP_EINVAL listing the known ones when there is
 * none; MLP_EUNSUPPORTED for one recognised but not built yet. */
int mlp_deploy_target_find(const char *name,
    const struct mlp_deploy_target **out, struct mlp_err *err);

/* The http:// target (target-http.c): a remote mlp serve started with
 * --token-file, through its admin API (mlp-serve(1)). Its deployments live
 * in that server's repository and follow its rules there (history, locks,
 * the refusal of a version it cannot load); nothing is recorded in this
 * repository. Versions travel as exports (lib/registry) and keep their
 * name and number there. Errors name the target: "target
 * http://HOST:PORT: ...", with the server's own message when it answered:
 * MLP_ENOTFOUND (404: no such deployment, or no admin API there),
 * MLP_ELOCKED (423: the deployment's lock is held), MLP_EEXISTS (409 on
 * upload: the number holds another object there), MLP_EFAIL for anything
 * else (a token refused, 401 or 403, included) and for a server that
 * cannot be reached; mlp_deploy_remote_status says which HTTP status the
 * last answer had. */
struct mlp_deploy_remote;

/* A connection to url (http://HOST[:PORT][/PREFIX] or https://), sending
 * token (NULL or "": none) as "Authorization: Bearer TOKEN". MLP_EINVAL
 * for a URL that is not one; MLP_EUNSUPPORTED without libcurl. Free with
 * mlp_deploy_remote_free(). */
int mlp_deploy_remote_open(struct mlp_deploy_remote **out, const char *url,
    const char *token, struct mlp_err *err);
void mlp_deploy_remote_free(struct mlp_deploy_remote *r);
/* The URL as given, without trailing '/' (borrowed). */
const char *mlp_deploy_remote_url(const struct mlp_deploy_remote *r);
/* The HTTP status of the last answer; 0 when none came. */
long mlp_deploy_remote_status(const struct mlp_deploy_remote *r);

/* Uploads version mv with its objects (an export through a temporary
 * file of st's tmp/, PUT /mlp/v1/models), the version's user there being
 * user; *created says whether the server did not hold it yet. */
struct mlp_store;
struct mlp_model_version;
int mlp_deploy_remote_push(struct mlp_deploy_remote *r, struct mlp_store *st,
    const struct mlp_model_version *mv, const char *user, int *created,
    struct mlp_err *err);

/* Makes change c there (POST /mlp/v1/deployments/NAME): SET, CANARY,
 * PROMOTE, ROLLBACK, RM as mlp_deploy_commit, and AUTO_ROLLBACK of
 * c->undo_generation (the server puts back the state before it; c->restore
 * is not sent). after gets the state it left, its target the URL;
 * *changed as mlp_deploy_commit. On MLP_ELOCKED, holder (when not NULL)
 * says who holds the lock there (pid 0 when the server did not say). */
int mlp_deploy_remote_change(struct mlp_deploy_remote *r,
    const struct mlp_deploy_change *c, struct mlp_deploy_holder *holder,
    struct mlp_deployment *after, int *changed, struct mlp_err *err);

/* Deployment name there, and the live servers of that repository with
 * what each serves of it (their state holds only that deployment), as
 * mlp_deploy_get and mlp_deploy_servers; the deployment's target is the
 * URL. sv and nsv may be NULL. */
int mlp_deploy_remote_get(struct mlp_deploy_remote *r, const char *name,
    struct mlp_deployment *out, struct mlp_server **sv, size_t *nsv,
    struct mlp_err *err);
/* Every deployment there, and the live servers with what each serves of
 * them. */
int mlp_deploy_remote_list(struct mlp_deploy_remote *r,
    struct mlp_deployment **out, size_t *n, struct mlp_server **sv,
    size_t *nsv, struct mlp_err *err);
/* Deployment name's history there, as mlp_deploy_history. */
int mlp_deploy_remote_history(struct mlp_deploy_remote *r, const char *name,
    struct mlp_deploy_event **out, size_t *n, struct mlp_err *err);
/* mlp_deploy_wait on that server's repository: polls GET
 * /mlp/v1/deployments/NAME every 150 ms. */
int mlp_deploy_remote_wait(struct mlp_deploy_remote *r, const char *name,
    int64_t generation, int64_t version, int64_t timeout_ms,
    int (*stop)(void *), void *ud, struct mlp_deploy_wait *w,
    struct mlp_err *err);

/* The admin API's JSON (target-http.c), written by lib/serve and read
 * above: a deployment as `mlp deploy status --json` shows it, a server's
 * view of it, a history entry as `mlp deploy history --json`. The caller
 * owns the cJSON. */
struct cJSON;
struct cJSON *mlp_deploy_json(const struct mlp_deployment *d);
struct cJSON *mlp_deploy_server_json(const struct mlp_server *s,
    const struct mlp_deployment *d);
struct cJSON *mlp_deploy_event_json(const struct mlp_deploy_event *e);

/* KServe (target-kserve.c): the InferenceService YAML for state d with
 * its recorded settings, into out. MLP_EINVAL or MLP_EUNSUPPORTED as
 * configure. */
int mlp_deploy_kserve_render(const struct mlp_deployment *d,
    struct mlp_buf *out, struct mlp_err *err);

#endif

/* Deployments: which model versions a deployment serves (stable, and a
 * canary with its share of requests), their append-only history, the lock
 * that keeps two changes of one deployment from interleaving, gates, and
 * the heartbeats that running servers (lib/serve) record so that deploy
 * status and --wait know what is live.
 *
 * Schema (lib/db/db.c, migration 4): deployment (one row per deployment;
 * generation counts its changes), deployment_event (every change and the
 * state it left), deployment_lock, server (one row per running mlp serve). */
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

#endif

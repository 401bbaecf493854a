/* The model registry: named models, versions numbered 1, 2, 3 per model,
 * aliases with an append-only history of every move, tags, and MLflow's
 * deprecated stages. Objects live in the store (lib/store); a version row
 * is written only after its objects are durable. */
#ifndef MLP_REGISTRY_H
#define MLP_REGISTRY_H

#include <stdint.h>

#include "../core/core.h"
#include "../db/db.h"
#include "../track/track.h"

/* A parsed models:/ URI, as MLflow writes them:
 *   models:/NAME/VERSION   models:/NAME@ALIAS   models:/NAME/latest
 *   models:/NAME/STAGE     (deprecated: the latest version in that stage) */
struct mlp_model_uri {
	char *name;
	int64_t version;	/* > 0 when a number was given */
	char *alias;		/* after '@' */
	char *stage;		/* canonical stage name */
	int latest;
};

/* Parses uri; MLP_EINVAL with a reason when it is not a models:/ URI of
 * one of the forms above. Release with mlp_model_uri_release(). */
int mlp_model_uri_parse(const char *uri, struct mlp_model_uri *out,
    struct mlp_err *err);
void mlp_model_uri_release(struct mlp_model_uri *u);

/* Name rules. A model name: 1-250 characters, no '/', '@', ':' or control
 * characters, not all digits. An alias: letters, digits, '_' and '-', at
 * most 255; "latest" (any case) and "v<digits>" are reserved, as MLflow.
 * MLP_EINVAL. */
int mlp_registry_check_name(const char *name, struct mlp_err *err);
int mlp_registry_check_alias(const char *alias, struct mlp_err *err);

/* Parses a stage name (none, staging, production, archived; any case)
 * into its canonical spelling ("None", "Staging", ...). */
int mlp_registry_stage_parse(const char *s, const char **canonical,
    struct mlp_err *err);

/* What a new version is made of. */
struct mlp_version_new {
	const char *name;	/* the model; created when new */
	const char *oid;	/* the stored object or tree (hex) */
	int is_tree;
	uint64_t size;		/* bytes of content */
	const char *source;	/* as the user gave it */
	const char *run_uuid;	/* the run it came from, or NULL */
	const char *code_commit;	/* git commit, or NULL */
	const char *description;
	const char *user;
	const char *const *aliases;
	size_t naliases;
	const struct mlp_kv *tags;
	size_t ntags;
};

/* Creates the next version of the model in one transaction (model row,
 * version row, tags, aliases and their history), so the version appears
 * whole or not at all. *version gets its number. */
int mlp_registry_create_version(struct mlp_db *db,
    const struct mlp_version_new *vn, int64_t *version, struct mlp_err *err);

struct mlp_model_version {
	char *name;
	int64_t version;
	char oid[65];
	int is_tree;
	uint64_t size;
	char *source;
	char *run_uuid;		/* NULL when not from a run */
	char *code_commit;	/* NULL when unknown */
	char *description;
	char *stage;
	char *user;
	int64_t created, updated;
	char *lifecycle;
	struct mlp_strv aliases;	/* sorted */
	struct mlp_kv *tags;	/* sorted by key */
	size_t ntags;
};

/* Resolves a URI to a version: by number, alias, latest (the highest
 * active version) or stage. MLP_ENOTFOUND names what was missing. Deleted
 * versions resolve only by number. Free with mlp_model_version_free(). */
int mlp_registry_resolve(struct mlp_db *db, const struct mlp_model_uri *u,
    struct mlp_model_version **out, struct mlp_err *err);
void mlp_model_version_free(struct mlp_model_version *mv);

/* Points alias at version (one atomic update, recorded in the history with
 * the previous version). The version must exist and be active. */
int mlp_registry_set_alias(struct mlp_db *db, const char *name,
    const char *alias, int64_t version, const char *user,
    struct mlp_err *err);
/* Removes an alias (recorded). MLP_ENOTFOUND when it is not set. */
int mlp_registry_delete_alias(struct mlp_db *db, const char *name,
    const char *alias, const char *user, struct mlp_err *err);

struct mlp_alias_event {
	char *alias;
	int64_t from_version, to_version;	/* 0: none */
	char *user;
	int64_t ts;
};
/* Every alias move of a model (or of one alias when alias is not NULL),
 * oldest first. Free with mlp_alias_events_free(). */
int mlp_registry_alias_history(struct mlp_db *db, const char *name,
    const char *alias, struct mlp_alias_event **out, size_t *n,
    struct mlp_err *err);
void mlp_alias_events_free(struct mlp_alias_event *v, size_t n);

/* Moves a version to a stage; with archive_existing, the versions now in
 * that stage move to Archived (MLflow's archive_existing_versions). */
int mlp_registry_set_stage(struct mlp_db *db, const char *name,
    int64_t version, const char *stage, int archive_existing,
    struct mlp_err *err);

/* Tags on a version (version > 0) or on the model (version 0); value NULL
 * deletes (MLP_ENOTFOUND when absent). */
int mlp_registry_set_tag(struct mlp_db *db, const char *name, int64_t version,
    const char *key, const char *value, struct mlp_err *err);

/* Soft-deletes a version; its aliases are removed (and recorded), as in
 * MLflow. */
int mlp_registry_delete_version(struct mlp_db *db, const char *name,
    int64_t version, const char *user, struct mlp_err *err);

/* A model as listed: its latest version and aliases. */
struct mlp_model_info {
	char *name;
	char *description;
	int64_t created, updated;
	int64_t latest;		/* highest active version, 0 when none */
	int64_t nversions;	/* active versions */
	struct mlp_strv aliases;	/* "alias=version", sorted */
};
/* Models whose name matches the SQL LIKE pattern (NULL: all), by name. */
int mlp_registry_list(struct mlp_db *db, const char *like,
    struct mlp_model_info **out, size_t *n, struct mlp_err *err);
void mlp_model_infos_free(struct mlp_model_info *v, size_t n);

/* Active versions of a model (all when with_deleted), oldest first; free
 * each with mlp_model_version_free() and the array with free(). */
int mlp_registry_versions(struct mlp_db *db, const char *name,
    int with_deleted, struct mlp_model_version ***out, size_t *n,
    struct mlp_err *err);

/* Model sources. */

struct mlp_store;

/* What a source resolved to: a stored object or tree and its lineage. */
struct mlp_source {
	char oid[65];
	int is_tree;
	uint64_t size;		/* bytes of content */
	char *run_uuid;		/* NULL when not from a run */
	char *code_commit;	/* NULL when unknown */
	uint64_t bytes_written;	/* object bytes this call wrote */
	uint64_t files;		/* files read or named */
};

/* Resolves a model source into the store: a filesystem path (a file or a
 * directory, stored now; its code commit is that of the git work tree
 * holding it), runs:/RUN/PATH (a run artifact, a file or directory inside
 * one, or with PATH empty all of the run's artifacts; RUN may be a unique
 * prefix), or models:/ URI of another version (its objects and lineage are
 * shared, which is how a version is copied between models). The objects
 * are durable when this returns. Release out with mlp_source_release(). */
int mlp_registry_source(struct mlp_db *db, struct mlp_store *st,
    const char *source, struct mlp_source *out, struct mlp_err *err);
void mlp_source_release(struct mlp_source *s);

/* Integrity and cleanup of the store against the database. */

/* Reports one problem: a line naming what is wrong and where. */
typedef void (*mlp_problem_fn)(const char *problem, void *ud);

struct mlp_fsck_stats {
	uint64_t references;	/* database rows naming an object */
	uint64_t objects;	/* distinct objects checked */
	uint64_t bytes;		/* bytes re-hashed */
	uint64_t unreachable;	/* objects nothing references (--full) */
	uint64_t problems;
};

/* Checks the database (SQLite's integrity and foreign keys) and every
 * object a run artifact or model version reaches: present, its manifest
 * parses, its hash matches, its size is right. With full, every other
 * object in the store is re-hashed too. Each problem goes to fn; the
 * return is 0 (problems are counted, not errors) or an error that stopped
 * the check. */
int mlp_registry_fsck(struct mlp_db *db, struct mlp_store *st, int full,
    mlp_problem_fn fn, void *ud, struct mlp_fsck_stats *stats,
    struct mlp_err *err);

struct mlp_gc_stats {
	uint64_t objects, bytes;	/* removed (or, dry, removable) */
	uint64_t kept_young;		/* unreachable but within the grace */
	uint64_t tmp_files;		/* crash debris removed from tmp/ */
};

/* Removes the objects that no run artifact, model version or tree reaches
 * and that are older than cutoff_ms (file mtime; a command freshens an
 * object it reuses), and tmp/ files older than cutoff_ms. Takes the store's
 * exclusive lock first. A reference whose tree cannot be read stops gc
 * (MLP_ECORRUPT) rather than guess what it reaches. With dry_run nothing is
 * removed; fn, when not NULL, is told each object removed (its id). */
int mlp_registry_gc(struct mlp_db *db, struct mlp_store *st, int64_t cutoff_ms,
    int dry_run, mlp_problem_fn fn, void *ud, struct mlp_gc_stats *stats,
    struct mlp_err *err);

/* Names for completion: models, or "VERSION" and aliases of one model. */
int mlp_registry_names(struct mlp_db *db, const char *model,
    const char *prefix, struct mlp_strv *out, struct mlp_err *err);

#endif

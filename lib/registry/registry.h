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

/* Name rules. A model name: 1-250 bytes of valid UTF-8, no '/', '@', ':'
 * or control characters, not all digits. An alias: letters, digits, '_'
 * and '-', at most 255; "latest" (any case) and "v<digits>" are reserved,
 * as MLflow. MLP_EINVAL. */
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

/* Checks what a new version would store, before any object is written:
 * the name and aliases by the rules above, tags (a tracking key, a value
 * of at most MLP_TAG_VALUE_MAX bytes) and the source, description, user
 * and tags as valid UTF-8. MLP_EINVAL naming the field. */
int mlp_registry_check_version(const struct mlp_version_new *vn,
    struct mlp_err *err);

/* Creates the next version of the model in one transaction (model row,
 * version row, tags, aliases and their history), so the version appears
 * whole or not at all; vn is checked first as above. *version gets its
 * number. */
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
 * oldest first. MLP_ENOTFOUND when the model does not exist, or when the
 * alias given was never set. Free with mlp_alias_events_free(). */
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
	struct mlp_kv *tags;	/* the model's tags, sorted by key */
	size_t ntags;
};
/* Models whose name matches the SQL LIKE pattern (NULL: all), by name. */
int mlp_registry_list(struct mlp_db *db, const char *like,
    struct mlp_model_info **out, size_t *n, struct mlp_err *err);
void mlp_model_infos_free(struct mlp_model_info *v, size_t n);

/* The tags of the model name (not of its versions), sorted by key; free
 * them with mlp_kvs_free(). MLP_ENOTFOUND when there is no such model. */
int mlp_registry_model_tags(struct mlp_db *db, const char *name,
    struct mlp_kv **out, size_t *n, struct mlp_err *err);

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
	char *source;		/* the source to record: as given, but with
				 * the run's full id in a runs:/ URI */
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
 * object a run artifact, model version or feature segment reaches: present, its manifest
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

/* Removes the objects that no run artifact, model version, tree or feature
 * segment reaches and that are older than cutoff_ms (file mtime; a command
 * freshens an object it reuses), and tmp/ files older than cutoff_ms. Takes the store's
 * exclusive lock first. A reference whose tree cannot be read stops gc
 * (MLP_ECORRUPT) rather than guess what it reaches. With dry_run nothing is
 * removed; fn, when not NULL, is told each object removed (its id). */
int mlp_registry_gc(struct mlp_db *db, struct mlp_store *st, int64_t cutoff_ms,
    int dry_run, mlp_problem_fn fn, void *ud, struct mlp_gc_stats *stats,
    struct mlp_err *err);

/* Names for completion: models, or "VERSION" and aliases of one model. */
int mlp_registry_names(struct mlp_db *db, const char *model,
    const char *prefix, struct mlp_strv *out, struct mlp_err *err);

/* Remotes: pushing and pulling model versions (sync.c).
 *
 * A pushed version is its objects (a tree's entries first, then its
 * manifest) and then a small JSON document beside them on the remote,
 * models/NAME/VERSION.json, and the model's aliases in
 * models/NAME/aliases.json (NAME percent-encoded where it is not made of
 * letters, digits, '.', '_' and '-'), so a document never names missing
 * objects. Versions keep their numbers on both sides: models:/fraud/3 is
 * the same version everywhere. A version whose number exists on the other
 * side with the same object is skipped; one whose number holds another
 * object there is a conflict: it is left out (its aliases too), everything
 * else is transferred, and the call returns MLP_EEXISTS ("N versions
 * differ on both sides") with the conflicts listed in the stats. Pulled
 * aliases move the local ones (recorded in the alias history with the
 * puller as user); only aliases naming the versions selected (and not in
 * conflict) are carried. With
 * MLP_SYNC_PRUNE (git's --prune), an alias of a model pushed (pulled) that
 * the other side set and this side no longer has is removed there (here),
 * so an `alias rm` travels too; without it, aliases are only set and
 * moved. */

struct mlp_remote;

/* A version whose number holds different objects on the two sides. */
struct mlp_sync_conflict {
	char *name;
	int64_t version;
	char here[65], there[65];	/* the object ids */
};

struct mlp_sync_stats {
	uint64_t versions;		/* versions created on the other side */
	uint64_t versions_skipped;	/* already there with the same object */
	uint64_t objects, bytes;	/* objects transferred */
	uint64_t objects_skipped;	/* already on the other side */
	uint64_t aliases;		/* aliases set or moved there */
	uint64_t aliases_removed;	/* removed there (MLP_SYNC_PRUNE) */
	struct mlp_sync_conflict *conflicts;	/* left out, in order */
	size_t nconflicts, aconflicts;
};
/* Frees the conflicts of s (after a push or a pull, whatever it
 * returned). */
void mlp_sync_stats_release(struct mlp_sync_stats *s);

enum {
	MLP_SYNC_PRUNE = 1 << 0,	/* remove aliases the source lacks */
};

/* uris: models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME (all its
 * versions), models:/NAME/latest; none: every active version. stats is
 * filled also when the call returns MLP_EEXISTS for conflicts; release it
 * with mlp_sync_stats_release(). A remote document that is not valid (not
 * JSON, a field of the wrong type or not valid UTF-8) stops a pull with
 * MLP_ECORRUPT naming it and the field, before anything is fetched. */
int mlp_registry_push(struct mlp_db *db, struct mlp_store *st,
    struct mlp_remote *r, char *const *uris, size_t nuris, unsigned flags,
    struct mlp_sync_stats *stats, struct mlp_err *err);
int mlp_registry_pull(struct mlp_db *db, struct mlp_store *st,
    struct mlp_remote *r, char *const *uris, size_t nuris, unsigned flags,
    const char *user, struct mlp_sync_stats *stats, struct mlp_err *err);

/* What one side has that the other lacks. Objects "here" are those the
 * local active versions reach; objects "there" are all the remote's. */
struct mlp_remote_status {
	uint64_t objects_here, bytes_here;	/* only here */
	uint64_t objects_there, bytes_there;	/* only there */
	struct mlp_strv versions_here;		/* models:/NAME/N only here */
	struct mlp_strv versions_there;		/* only there */
};
int mlp_registry_remote_status(struct mlp_db *db, struct mlp_store *st,
    struct mlp_remote *r, struct mlp_remote_status *out, struct mlp_err *err);
void mlp_remote_status_release(struct mlp_remote_status *s);

/* A version with a given number, as a pull creates it. */
struct mlp_version_import {
	const char *name;
	int64_t version;
	const char *oid;
	int is_tree;
	uint64_t size;
	const char *source, *run_uuid, *code_commit, *description;
	const char *stage;	/* canonical, or NULL for None */
	const char *user;
	int64_t created, updated;
	const struct mlp_kv *tags;
	size_t ntags;
};

/* Creates version vi->version of the model (and the model when new) in one
 * transaction, with its tags. When that version exists: *skipped = 1 if it
 * holds the same object, else MLP_EEXISTS naming both objects. */
int mlp_registry_import_version(struct mlp_db *db,
    const struct mlp_version_import *vi, int *skipped, struct mlp_err *err);

/* Export and import: a version as one archive (lib/registry/archive.c).
 *
 * An export is a tar archive (pax restricted, gzip or zstd compressed)
 * holding, in this order:
 *
 *	mlp-export.json		the metadata document (below)
 *	objects/ab/cdef...	every object of the version, named as in the
 *				store: the tree manifest first, then the
 *				files' objects by id (each once); or the
 *				single object of a one-file version
 *
 * mlp-export.json is a JSON object: "format": "mlp-export",
 * "format_version": 1, the version's "name", "version" (number),
 * "description", "aliases", "tags" (an object), "stage", "source",
 * "object" (its id), "is_tree", "size" (bytes of content), "run_id" and
 * "code_commit" (or null), "user", "created" (ms since the epoch), and
 * "objects": [{"id": ID, "size": BYTES}, ...], every object the archive
 * holds. Entries are read-only (0444) regular files dated at the
 * version's creation, so exporting a version twice gives the same bytes.
 *
 * libarchive is loaded on first use (lib/core/dl.h): these functions fail
 * with MLP_EUNSUPPORTED when it is missing. */

#define MLP_EXPORT_META "mlp-export.json"
#define MLP_EXPORT_FORMAT 1	/* the format_version written and read */

/* Limits an import enforces before it reads what they bound. */
#define MLP_IMPORT_MAX_META (16u << 20)		/* mlp-export.json */
#define MLP_IMPORT_MAX_BYTES (64ull << 30)	/* all objects together */
#define MLP_IMPORT_MAX_ENTRIES 10000000u	/* archive entries */

enum mlp_archive_compression {
	MLP_ARCHIVE_GZIP,
	MLP_ARCHIVE_ZSTD,
};

/* The compression an archive named file has by its suffix: .tar.gz (or
 * .tgz) or .tar.zst. MLP_EINVAL naming the valid suffixes for any other
 * name. */
int mlp_registry_archive_compression(const char *file,
    enum mlp_archive_compression *out, struct mlp_err *err);

/* Told done and total bytes of object data as an export or an import
 * goes; runs on the calling thread. */
typedef void (*mlp_archive_progress_fn)(uint64_t done, uint64_t total,
    void *ud);

struct mlp_export_stats {
	uint64_t objects;	/* objects written */
	uint64_t bytes;		/* their bytes, uncompressed */
};

/* Writes the version mv as an export (format above), streaming each object
 * from the store in chunks. When fd >= 0 the archive goes to fd (file only
 * names it in messages); else to the file at path file, written under a
 * temporary name beside it and renamed into place when complete, so a
 * failed export leaves no file (an existing file is replaced only by a
 * complete archive). Objects are not re-hashed (import does that), but an
 * object whose size differs from what the version records is MLP_ECORRUPT.
 * MLP_ENOTFOUND for a missing object, MLP_EUNSUPPORTED when the metadata
 * would exceed MLP_IMPORT_MAX_META, MLP_EFAIL when writing fails (with
 * libarchive's reason). progress and stats may be NULL. */
int mlp_registry_export(struct mlp_store *st,
    const struct mlp_model_version *mv, const char *file, int fd,
    enum mlp_archive_compression comp, mlp_archive_progress_fn progress,
    void *progress_ud, struct mlp_export_stats *stats, struct mlp_err *err);

struct mlp_import_opts {
	const char *name;	/* the model to add the version to; NULL:
				 * the exported name */
	int with_aliases;	/* point the exported aliases at the new
				 * version (moving them when set) */
	const char *user;	/* who imports (the version's user) */
	int keep_version;	/* keep the exported number instead of the
				 * next one (mlp_registry_import_version): a
				 * version of that number holding the same
				 * object is kept as it is (out->existed),
				 * one holding another is MLP_EEXISTS; no
				 * aliases. What mlp serve's admin API does,
				 * so a deployed version has one number */
	mlp_archive_progress_fn progress;
	void *progress_ud;
};

struct mlp_import_result {
	char *name;		/* the model the version was added to */
	int64_t version;	/* its new number */
	char oid[65];
	int is_tree;
	uint64_t size;		/* bytes of content */
	uint64_t objects;	/* objects in the archive */
	uint64_t bytes_written;	/* bytes of objects new to the store */
	char *exported_name;	/* what the archive says it was */
	int64_t exported_version;
	int existed;		/* keep_version: the version was there */
};
void mlp_import_result_release(struct mlp_import_result *r);

/* Reads an export and adds it as the next version of a model. Nothing is
 * extracted: every object entry is streamed into the store, which re-hashes
 * it, and refused unless it hashes to the id its name gives. Entries are
 * checked before their data is read; refused are: names other than
 * mlp-export.json, objects/XX/ and objects/XX/YYYY (62 more lowercase hex
 * digits), absolute names and names with "..", symbolic and hard links,
 * devices, FIFOs and sockets, a first entry other than mlp-export.json,
 * metadata larger than MLP_IMPORT_MAX_META (or holding more than
 * MLP_IMPORT_MAX_META / 16 JSON values), an object not listed in it or
 * whose size differs from the listed size, duplicates, listed objects
 * totalling more than MLP_IMPORT_MAX_BYTES or more entries than
 * MLP_IMPORT_MAX_ENTRIES, and metadata text that is not valid UTF-8 (the
 * name, description, source, tags), naming the field. At the end every
 * listed object must have arrived, a tree's manifest must parse, hold
 * only UTF-8 paths and name only objects of the archive (and no listed
 * object may be left over), and then one
 * transaction creates the version: numbered anew, with the exported
 * description, tags, source, run id and code commit as recorded values,
 * stage None, and user o->user; aliases only with o->with_aliases. Each
 * object is written to the store's tmp/ while it is hashed
 * (mlp_store_stage) and becomes an object only after the whole archive
 * has been checked, just before that transaction: a refused import
 * creates no version and leaves nothing in the store, its staging files
 * removed whatever happens.
 *
 * When fd >= 0 the archive is read from fd and file only names it in
 * messages; else the file at path file is opened. Messages name the file
 * and the entry: "'x.tar.gz': entry '../a': refused: path escapes the
 * archive". Errors caused by the archive's content are MLP_EFAIL;
 * MLP_ENOTFOUND when file does not exist, MLP_EUNSUPPORTED for a format
 * version newer than MLP_EXPORT_FORMAT or without libarchive. Release out
 * with mlp_import_result_release() (also after a failure). */
int mlp_registry_import(struct mlp_db *db, struct mlp_store *st,
    const char *file, int fd, const struct mlp_import_opts *o,
    struct mlp_import_result *out, struct mlp_err *err);

/* The same, reading the archive from n bytes at buf (named name). */
int mlp_registry_import_mem(struct mlp_db *db, struct mlp_store *st,
    const void *buf, size_t n, const char *name,
    const struct mlp_import_opts *o, struct mlp_import_result *out,
    struct mlp_err *err);

/* Loads the model a source names (load.c): a path (a model directory,
 * model.json, MLmodel or an XGBoost JSON file; db and st may be NULL),
 * runs:/RUN/PATH or a models:/ URI (checked out of the store into tmp/,
 * verified on the way, and loaded). Free *out with mlp_model_free(). */
struct mlp_model;
int mlp_registry_load_model(struct mlp_db *db, struct mlp_store *st,
    const char *source, struct mlp_model **out, struct mlp_err *err);
/* Loads the model stored as object or tree oid_hex (a version's or an
 * artifact's oid), checked out into tmp/ and removed after. Not safe to
 * call from two threads on one store at once. */
int mlp_registry_load_object(struct mlp_store *st, const char *oid_hex,
    int is_tree, struct mlp_model **out, struct mlp_err *err);

/* Converts the model file at path, saved by another tool, into a model
 * directory in the store's tmp/ (MLmodel with that tool's flavor and ours,
 * our payload, and the original file kept): flavor "xgboost" (an XGBoost
 * JSON model). *dir is the directory to register; the caller removes its
 * parent with mlp_remove_tree() and frees it. MLP_EINVAL for an unknown
 * flavor, the importer's errors for a file it refuses. */
int mlp_registry_import_flavor(struct mlp_store *st, const char *path,
    const char *flavor, char **dir, struct mlp_err *err);

#endif

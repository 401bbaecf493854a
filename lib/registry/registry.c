/* Models, versions, aliases with their history, tags and stages. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "registry.h"

static const char *const stages[] = { "None", "Staging", "Production",
	"Archived" };

int
mlp_registry_stage_parse(const char *s, const char **canonical,
    struct mlp_err *err)
{
	for (size_t i = 0; i < sizeof(stages) / sizeof(*stages); i++) {
		if (strcasecmp(s, stages[i]) == 0) {
			*canonical = stages[i];
			return 0;
		}
	}
	return mlp_err_set(err, MLP_EINVAL, "unknown stage '%s' (valid: none, "
	    "staging, production, archived)", s);
}

int
mlp_registry_check_name(const char *name, struct mlp_err *err)
{
	size_t len = strlen(name);
	int digits = 1, rc;

	if ((rc = mlp_check_utf8("model name", name, err)) < 0)
		return rc;
	if (len == 0)
		return mlp_err_set(err, MLP_EINVAL,
		    "model name must not be empty");
	if (len > 250)
		return mlp_err_set(err, MLP_EINVAL, "model name '%.40s...' is "
		    "longer than 250 characters", name);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || strchr("/@:\\", *p))
			return mlp_err_set(err, MLP_EINVAL, "model name '%s' "
			    "must not contain '/', '@', ':', '\\' or control "
			    "characters", name);
		if (!isdigit(*p))
			digits = 0;
	}
	if (digits)
		return mlp_err_set(err, MLP_EINVAL, "model name '%s' must not "
		    "be all digits", name);
	if (isspace((unsigned char)name[0]) ||
	    isspace((unsigned char)name[len - 1]))
		return mlp_err_set(err, MLP_EINVAL, "model name '%s' must not "
		    "start or end with a space", name);
	return 0;
}

int
mlp_registry_check_alias(const char *alias, struct mlp_err *err)
{
	size_t len = strlen(alias);
	int vdigits = len > 1 && (alias[0] == 'v' || alias[0] == 'V'), rc;

	if ((rc = mlp_check_utf8("alias", alias, err)) < 0)
		return rc;
	if (len == 0 || len > 255)
		return mlp_err_set(err, MLP_EINVAL, "alias must be 1 to 255 "
		    "characters");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)alias[i];

		if (!isalnum(c) && c != '_' && c != '-')
			return mlp_err_set(err, MLP_EINVAL, "alias '%s' may "
			    "hold only letters, digits, '_' and '-'", alias);
		if (i > 0 && !isdigit(c))
			vdigits = 0;
	}
	if (strcasecmp(alias, "latest") == 0 || vdigits)
		return mlp_err_set(err, MLP_EINVAL, "alias '%s' is reserved "
		    "('latest' and 'v<digits>' name versions)", alias);
	return 0;
}

void
mlp_model_uri_release(struct mlp_model_uri *u)
{
	free(u->name);
	free(u->alias);
	free(u->stage);
	memset(u, 0, sizeof(*u));
}

int
mlp_model_uri_parse(const char *uri, struct mlp_model_uri *out,
    struct mlp_err *err)
{
	const char *s, *at, *slash;
	int rc;

	memset(out, 0, sizeof(*out));
	if (strncmp(uri, "models:/", 8) != 0)
		return mlp_err_set(err, MLP_EINVAL, "'%s' is not a models:/ "
		    "URI", uri);
	s = uri + 8;
	at = strchr(s, '@');
	slash = strrchr(s, '/');
	if (at && (!slash || slash < at)) {
		out->name = xstrndup(s, (size_t)(at - s));
		out->alias = xstrdup(at + 1);
		if ((rc = mlp_registry_check_alias(out->alias, err)) < 0 &&
		    strcasecmp(out->alias, "latest") != 0)
			goto fail;
	} else if (slash) {
		const char *ref = slash + 1;
		int64_t v;

		out->name = xstrndup(s, (size_t)(slash - s));
		if (strcasecmp(ref, "latest") == 0) {
			out->latest = 1;
		} else if (mlp_parse_int64(ref, &v) == 0 && v > 0 &&
		    isdigit((unsigned char)ref[0])) {
			out->version = v;
		} else {
			const char *st = NULL;

			if (mlp_registry_stage_parse(ref, &st, err) < 0) {
				rc = mlp_err_set(err, MLP_EINVAL, "'%s': '%s' is "
				    "not a version, 'latest' or a stage", uri,
				    ref);
				goto fail;
			}
			out->stage = xstrdup(st);
		}
	} else {
		rc = mlp_err_set(err, MLP_EINVAL, "'%s' names no version: use "
		    "models:/NAME/VERSION, models:/NAME@ALIAS or "
		    "models:/NAME/latest", uri);
		goto fail;
	}
	if ((rc = mlp_registry_check_name(out->name, err)) < 0)
		goto fail;
	return 0;
fail:
	mlp_model_uri_release(out);
	return rc;
}

/* The id of a model; MLP_ENOTFOUND unless create is set. */
static int
model_id(struct mlp_db *db, const char *name, int create, int64_t *id,
    struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = mlp_db_prepare(db, &st, "SELECT id FROM model WHERE name = ?",
	    err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		return 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return mlp_db_error(db, err, "cannot read models");
	if (!create)
		return mlp_err_set(err, MLP_ENOTFOUND, "no model named '%s'",
		    name);
	if ((rc = mlp_db_prepare(db, &st, "INSERT INTO model (name, created, "
	    "updated) VALUES (?1, ?2, ?2)", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, mlp_now_ms());
	rc = mlp_db_step(db, st, "cannot create model", err);
	sqlite3_finalize(st);
	*id = sqlite3_last_insert_rowid(db->h);
	return rc;
}

/* The version must exist and be active. */
static int
check_version(struct mlp_db *db, int64_t model, const char *name,
    int64_t version, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = mlp_db_prepare(db, &st, "SELECT lifecycle FROM model_version "
	    "WHERE model = ? AND version = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, model);
	sqlite3_bind_int64(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = strcmp(mlp_db_text(st, 0), "active") == 0 ? 0 :
		    mlp_err_set(err, MLP_EINVAL, "version %lld of '%s' is "
		    "deleted", (long long)version, name);
	else if (rc == SQLITE_DONE)
		rc = mlp_err_set(err, MLP_ENOTFOUND, "model '%s' has no version "
		    "%lld", name, (long long)version);
	else
		rc = mlp_db_error(db, err, "cannot read versions");
	sqlite3_finalize(st);
	return rc;
}

/* Sets an alias inside the caller's transaction, recording the move. */
static int
alias_move(struct mlp_db *db, int64_t model, const char *alias,
    int64_t version, const char *user, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t from = 0;
	int rc;

	if ((rc = mlp_db_prepare(db, &st, "SELECT version FROM alias WHERE "
	    "model = ? AND name = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, model);
	sqlite3_bind_text(st, 2, alias, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		from = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (from == version && version != 0)
		return 0;
	if (user && (rc = mlp_check_utf8("user", user, err)) < 0)
		return rc;
	if (version == 0) {
		if (from == 0)
			return mlp_err_set(err, MLP_ENOTFOUND, "alias '%s' is "
			    "not set", alias);
		rc = mlp_db_prepare(db, &st, "DELETE FROM alias WHERE model = ?1 "
		    "AND name = ?2", err);
	} else {
		rc = mlp_db_prepare(db, &st, "INSERT INTO alias (model, name, "
		    "version) VALUES (?1, ?2, ?3) ON CONFLICT (model, name) DO "
		    "UPDATE SET version = excluded.version", err);
	}
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, model);
	sqlite3_bind_text(st, 2, alias, -1, SQLITE_STATIC);
	if (version)
		sqlite3_bind_int64(st, 3, version);
	rc = mlp_db_step(db, st, "cannot set alias", err);
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	if ((rc = mlp_db_prepare(db, &st, "INSERT INTO alias_event (model, "
	    "alias, from_version, to_version, user, ts) VALUES (?, ?, ?, ?, ?, "
	    "?)", err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, model);
	sqlite3_bind_text(st, 2, alias, -1, SQLITE_STATIC);
	if (from)
		sqlite3_bind_int64(st, 3, from);
	if (version)
		sqlite3_bind_int64(st, 4, version);
	sqlite3_bind_text(st, 5, user ? user : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, mlp_now_ms());
	rc = mlp_db_step(db, st, "cannot record alias move", err);
	sqlite3_finalize(st);
	return rc;
}

/* A tag's key and value as stored: a tracking key (MLflow's rule), a
 * value of at most MLP_TAG_VALUE_MAX bytes, both valid UTF-8. */
static int
check_tag(const char *key, const char *value, struct mlp_err *err)
{
	char what[MLP_KEY_MAX + 32];
	int rc;

	if ((rc = mlp_check_utf8("tag name", key, err)) < 0 ||
	    (rc = mlp_track_check_key("tag", key, err)) < 0)
		return rc;
	if (!value)
		return 0;
	snprintf(what, sizeof(what), "tag '%s' value", key);
	if ((rc = mlp_check_utf8(what, value, err)) < 0)
		return rc;
	if (strlen(value) > MLP_TAG_VALUE_MAX)
		return mlp_err_set(err, MLP_EINVAL, "tag '%s': value is longer "
		    "than %d characters", key, MLP_TAG_VALUE_MAX);
	return 0;
}

static int
put_tag(struct mlp_db *db, int64_t model, int64_t version, const char *key,
    const char *value, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = check_tag(key, value, err)) < 0)
		return rc;
	if (version > 0)
		rc = mlp_db_prepare(db, &st, value ? "INSERT INTO "
		    "model_version_tag (model, version, key, value) VALUES (?1, "
		    "?2, ?3, ?4) ON CONFLICT DO UPDATE SET value = excluded.value"
		    : "DELETE FROM model_version_tag WHERE model = ?1 AND "
		    "version = ?2 AND key = ?3", err);
	else
		rc = mlp_db_prepare(db, &st, value ? "INSERT INTO model_tag "
		    "(model, key, value) VALUES (?1, ?3, ?4) ON CONFLICT DO "
		    "UPDATE SET value = excluded.value" : "DELETE FROM model_tag "
		    "WHERE model = ?1 AND key = ?3", err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, model);
	if (version > 0)
		sqlite3_bind_int64(st, 2, version);
	sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(st, 4, value, -1, SQLITE_STATIC);
	rc = mlp_db_step(db, st, "cannot set tag", err);
	if (rc == 0 && !value && sqlite3_changes(db->h) == 0)
		rc = mlp_err_set(err, MLP_ENOTFOUND, "no tag '%s'", key);
	sqlite3_finalize(st);
	return rc;
}

/* The text of a version as it will be stored: valid UTF-8 (the rule for
 * everything mlp stores, so --json output always parses). */
static int
check_version_text(const char *source, const char *description,
    const char *user, const struct mlp_kv *tags, size_t ntags,
    struct mlp_err *err)
{
	int rc;

	if ((source && (rc = mlp_check_utf8("source", source, err)) < 0) ||
	    (description && (rc = mlp_check_utf8("description", description,
	    err)) < 0) ||
	    (user && (rc = mlp_check_utf8("user", user, err)) < 0))
		return rc;
	for (size_t i = 0; i < ntags; i++)
		if ((rc = check_tag(tags[i].key, tags[i].value, err)) < 0)
			return rc;
	return 0;
}

int
mlp_registry_check_version(const struct mlp_version_new *vn,
    struct mlp_err *err)
{
	int rc;

	if ((rc = mlp_registry_check_name(vn->name, err)) < 0)
		return rc;
	for (size_t i = 0; i < vn->naliases; i++)
		if ((rc = mlp_registry_check_alias(vn->aliases[i], err)) < 0)
			return rc;
	return check_version_text(vn->source, vn->description, vn->user,
	    vn->tags, vn->ntags, err);
}

int
registry_insert_version(struct mlp_db *db, int64_t model,
    const struct mlp_version_import *vi, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t run = 0, now = mlp_now_ms();
	int rc;

	if ((rc = check_version_text(vi->source, vi->description, vi->user,
	    vi->tags, vi->ntags, err)) < 0)
		return rc;

	if (vi->run_uuid) {
		if ((rc = mlp_db_prepare(db, &st, "SELECT id FROM run WHERE "
		    "uuid = ?", err)) < 0)
			return rc;
		sqlite3_bind_text(st, 1, vi->run_uuid, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			run = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		st = NULL;
	}
	if ((rc = mlp_db_prepare(db, &st, "INSERT INTO model_version (model, "
	    "version, oid, is_tree, size, source, run, run_uuid, code_commit, "
	    "description, stage, user, created, updated) VALUES (?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, model);
	sqlite3_bind_int64(st, 2, vi->version);
	sqlite3_bind_text(st, 3, vi->oid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, vi->is_tree);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)vi->size);
	sqlite3_bind_text(st, 6, vi->source ? vi->source : "", -1,
	    SQLITE_STATIC);
	if (run)
		sqlite3_bind_int64(st, 7, run);
	if (vi->run_uuid)
		sqlite3_bind_text(st, 8, vi->run_uuid, -1, SQLITE_STATIC);
	if (vi->code_commit)
		sqlite3_bind_text(st, 9, vi->code_commit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, vi->description ? vi->description : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 11, vi->stage ? vi->stage : "None", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 12, vi->user ? vi->user : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, vi->created ? vi->created : now);
	sqlite3_bind_int64(st, 14, vi->updated ? vi->updated : now);
	rc = mlp_db_step(db, st, "cannot create version", err);
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; i < vi->ntags && rc == 0; i++)
		rc = put_tag(db, model, vi->version, vi->tags[i].key,
		    vi->tags[i].value, err);
	if (rc < 0)
		return rc;
	if ((rc = mlp_db_prepare(db, &st, "UPDATE model SET updated = ? WHERE "
	    "id = ?", err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, model);
	rc = mlp_db_step(db, st, "cannot update model", err);
	sqlite3_finalize(st);
	return rc;
}

int
mlp_registry_create_version(struct mlp_db *db,
    const struct mlp_version_new *vn, int64_t *version, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t model, v = 0;
	int64_t now = mlp_now_ms();
	int rc;

	if ((rc = mlp_registry_check_version(vn, err)) < 0)
		return rc;
	if ((rc = mlp_db_begin(db, err)) < 0)
		return rc;
	if ((rc = model_id(db, vn->name, 1, &model, err)) < 0)
		goto out;
	if ((rc = mlp_db_prepare(db, &st, "SELECT coalesce(max(version), 0) + 1 "
	    "FROM model_version WHERE model = ?", err)) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, model);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	{
		struct mlp_version_import vi = { 0 };

		vi.name = vn->name;
		vi.version = v;
		vi.oid = vn->oid;
		vi.is_tree = vn->is_tree;
		vi.size = vn->size;
		vi.source = vn->source;
		vi.run_uuid = vn->run_uuid;
		vi.code_commit = vn->code_commit;
		vi.description = vn->description;
		vi.user = vn->user;
		vi.created = vi.updated = now;
		vi.tags = vn->tags;
		vi.ntags = vn->ntags;
		if ((rc = registry_insert_version(db, model, &vi, err)) < 0)
			goto out;
	}
	for (size_t i = 0; i < vn->naliases; i++)
		if ((rc = alias_move(db, model, vn->aliases[i], v, vn->user,
		    err)) < 0)
			goto out;
	rc = mlp_db_commit(db, err);
	*version = v;
out:
	sqlite3_finalize(st);
	if (rc < 0)
		mlp_db_rollback(db);
	return rc;
}

#define MV_COLS "m.name, v.version, v.oid, v.is_tree, v.size, v.source, " \
	"v.run_uuid, v.code_commit, v.description, v.stage, v.user, " \
	"v.created, v.updated, v.lifecycle, v.model"

static char *
opt_text(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL :
	    xstrdup(mlp_db_text(st, col));
}

static int
read_version(struct mlp_db *db, sqlite3_stmt *st, struct mlp_model_version **out,
    struct mlp_err *err)
{
	struct mlp_model_version *mv = xcalloc(1, sizeof(*mv));
	sqlite3_stmt *q = NULL;
	int64_t model = sqlite3_column_int64(st, 14);
	size_t alloc = 0;
	int rc;

	mv->name = xstrdup(mlp_db_text(st, 0));
	mv->version = sqlite3_column_int64(st, 1);
	snprintf(mv->oid, sizeof(mv->oid), "%s", mlp_db_text(st, 2));
	mv->is_tree = sqlite3_column_int(st, 3);
	mv->size = (uint64_t)sqlite3_column_int64(st, 4);
	mv->source = xstrdup(mlp_db_text(st, 5));
	mv->run_uuid = opt_text(st, 6);
	mv->code_commit = opt_text(st, 7);
	mv->description = xstrdup(mlp_db_text(st, 8));
	mv->stage = xstrdup(mlp_db_text(st, 9));
	mv->user = xstrdup(mlp_db_text(st, 10));
	mv->created = sqlite3_column_int64(st, 11);
	mv->updated = sqlite3_column_int64(st, 12);
	mv->lifecycle = xstrdup(mlp_db_text(st, 13));
	if ((rc = mlp_db_prepare(db, &q, "SELECT name FROM alias WHERE model = ? "
	    "AND version = ? ORDER BY name", err)) < 0)
		goto out;
	sqlite3_bind_int64(q, 1, model);
	sqlite3_bind_int64(q, 2, mv->version);
	while (sqlite3_step(q) == SQLITE_ROW)
		mlp_strv_push(&mv->aliases, mlp_db_text(q, 0));
	sqlite3_finalize(q);
	if ((rc = mlp_db_prepare(db, &q, "SELECT key, value FROM "
	    "model_version_tag WHERE model = ? AND version = ? ORDER BY key",
	    err)) < 0)
		goto out;
	sqlite3_bind_int64(q, 1, model);
	sqlite3_bind_int64(q, 2, mv->version);
	while (sqlite3_step(q) == SQLITE_ROW) {
		mlp_grow(&mv->tags, &alloc, mv->ntags + 1, sizeof(*mv->tags));
		mv->tags[mv->ntags].key = xstrdup(mlp_db_text(q, 0));
		mv->tags[mv->ntags++].value = xstrdup(mlp_db_text(q, 1));
	}
	sqlite3_finalize(q);
out:
	if (rc < 0) {
		mlp_model_version_free(mv);
		mv = NULL;
	}
	*out = mv;
	return rc;
}

int
mlp_registry_resolve(struct mlp_db *db, const struct mlp_model_uri *u,
    struct mlp_model_version **out, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	const char *sql;
	int rc;

	*out = NULL;
	if (u->alias)
		sql = "SELECT " MV_COLS " FROM model m JOIN alias a ON a.model = "
		    "m.id JOIN model_version v ON v.model = m.id AND v.version = "
		    "a.version WHERE m.name = ?1 AND a.name = ?2";
	else if (u->version)
		sql = "SELECT " MV_COLS " FROM model m JOIN model_version v ON "
		    "v.model = m.id WHERE m.name = ?1 AND v.version = ?3";
	else if (u->stage)
		sql = "SELECT " MV_COLS " FROM model m JOIN model_version v ON "
		    "v.model = m.id WHERE m.name = ?1 AND v.stage = ?4 AND "
		    "v.lifecycle = 'active' ORDER BY v.version DESC LIMIT 1";
	else
		sql = "SELECT " MV_COLS " FROM model m JOIN model_version v ON "
		    "v.model = m.id WHERE m.name = ?1 AND v.lifecycle = 'active' "
		    "ORDER BY v.version DESC LIMIT 1";
	if ((rc = mlp_db_prepare(db, &st, sql, err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, u->name, -1, SQLITE_STATIC);
	if (u->alias)
		sqlite3_bind_text(st, 2, u->alias, -1, SQLITE_STATIC);
	if (u->version)
		sqlite3_bind_int64(st, 3, u->version);
	if (u->stage)
		sqlite3_bind_text(st, 4, u->stage, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = read_version(db, st, out, err);
	} else if (rc == SQLITE_DONE) {
		int64_t id;

		if (model_id(db, u->name, 0, &id, err) < 0)
			rc = MLP_ENOTFOUND;
		else if (u->alias)
			rc = mlp_err_set(err, MLP_ENOTFOUND, "model '%s' has no "
			    "alias '%s'", u->name, u->alias);
		else if (u->version)
			rc = mlp_err_set(err, MLP_ENOTFOUND, "model '%s' has no "
			    "version %lld", u->name, (long long)u->version);
		else if (u->stage)
			rc = mlp_err_set(err, MLP_ENOTFOUND, "model '%s' has no "
			    "version in stage %s", u->name, u->stage);
		else
			rc = mlp_err_set(err, MLP_ENOTFOUND, "model '%s' has no "
			    "versions", u->name);
	} else {
		rc = mlp_db_error(db, err, "cannot read versions");
	}
	sqlite3_finalize(st);
	return rc;
}

void
mlp_model_version_free(struct mlp_model_version *mv)
{
	if (!mv)
		return;
	free(mv->name);
	free(mv->source);
	free(mv->run_uuid);
	free(mv->code_commit);
	free(mv->description);
	free(mv->stage);
	free(mv->user);
	free(mv->lifecycle);
	mlp_strv_release(&mv->aliases);
	mlp_kvs_free(mv->tags, mv->ntags);
	free(mv);
}

/* Runs f inside one write transaction with the model's id. */
static int
with_model(struct mlp_db *db, const char *name, int64_t *model,
    struct mlp_err *err)
{
	int rc;

	/* a name no model can have gets the rule it breaks, not "no model" */
	if ((rc = mlp_registry_check_name(name, err)) < 0)
		return rc;
	if ((rc = mlp_db_begin(db, err)) < 0)
		return rc;
	if ((rc = model_id(db, name, 0, model, err)) < 0)
		mlp_db_rollback(db);
	return rc;
}

static int
finish(struct mlp_db *db, int rc, struct mlp_err *err)
{
	if (rc < 0) {
		mlp_db_rollback(db);
		return rc;
	}
	return mlp_db_commit(db, err);
}

int
mlp_registry_set_alias(struct mlp_db *db, const char *name, const char *alias,
    int64_t version, const char *user, struct mlp_err *err)
{
	int64_t model;
	int rc;

	if ((rc = mlp_registry_check_alias(alias, err)) < 0)
		return rc;
	if ((rc = with_model(db, name, &model, err)) < 0)
		return rc;
	rc = check_version(db, model, name, version, err);
	if (rc == 0)
		rc = alias_move(db, model, alias, version, user, err);
	return finish(db, rc, err);
}

int
mlp_registry_delete_alias(struct mlp_db *db, const char *name,
    const char *alias, const char *user, struct mlp_err *err)
{
	int64_t model;
	int rc;

	if ((rc = mlp_check_utf8("alias", alias, err)) < 0 ||
	    (rc = with_model(db, name, &model, err)) < 0)
		return rc;
	rc = alias_move(db, model, alias, 0, user, err);
	if (rc == MLP_ENOTFOUND)
		mlp_err_set(err, MLP_ENOTFOUND, "model '%s' has no alias '%s'",
		    name, alias);
	return finish(db, rc, err);
}

int
mlp_registry_alias_history(struct mlp_db *db, const char *name,
    const char *alias, struct mlp_alias_event **out, size_t *n,
    struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int64_t model;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mlp_registry_check_name(name, err)) < 0 ||
	    (alias && (rc = mlp_check_utf8("alias", alias, err)) < 0) ||
	    (rc = model_id(db, name, 0, &model, err)) < 0)
		return rc;
	if ((rc = mlp_db_prepare(db, &st, "SELECT alias, coalesce(from_version, "
	    "0), coalesce(to_version, 0), user, ts FROM alias_event WHERE "
	    "model = ?1 AND (?2 IS NULL OR alias = ?2) ORDER BY id", err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, model);
	if (alias)
		sqlite3_bind_text(st, 2, alias, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct mlp_alias_event *e;

		mlp_grow(out, &alloc, *n + 1, sizeof(**out));
		e = &(*out)[(*n)++];
		e->alias = xstrdup(mlp_db_text(st, 0));
		e->from_version = sqlite3_column_int64(st, 1);
		e->to_version = sqlite3_column_int64(st, 2);
		e->user = xstrdup(mlp_db_text(st, 3));
		e->ts = sqlite3_column_int64(st, 4);
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot read alias history");
	sqlite3_finalize(st);
	/* as alias rm does: a typo is not an empty history */
	if (rc == 0 && alias && *n == 0)
		rc = mlp_err_set(err, MLP_ENOTFOUND, "model '%s' has never had "
		    "an alias '%s'", name, alias);
	return rc;
}

void
mlp_alias_events_free(struct mlp_alias_event *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].alias);
		free(v[i].user);
	}
	free(v);
}

int
mlp_registry_set_stage(struct mlp_db *db, const char *name, int64_t version,
    const char *stage, int archive_existing, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t model, now = mlp_now_ms();
	int rc;

	if ((rc = with_model(db, name, &model, err)) < 0)
		return rc;
	if ((rc = check_version(db, model, name, version, err)) < 0)
		goto out;
	if (archive_existing && strcmp(stage, "None") != 0 &&
	    strcmp(stage, "Archived") != 0) {
		if ((rc = mlp_db_prepare(db, &st, "UPDATE model_version SET "
		    "stage = 'Archived', updated = ?1 WHERE model = ?2 AND "
		    "stage = ?3 AND version != ?4", err)) < 0)
			goto out;
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int64(st, 2, model);
		sqlite3_bind_text(st, 3, stage, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, version);
		if ((rc = mlp_db_step(db, st, "cannot archive versions", err)) < 0)
			goto out;
		sqlite3_finalize(st);
		st = NULL;
	}
	if ((rc = mlp_db_prepare(db, &st, "UPDATE model_version SET stage = ?1, "
	    "updated = ?2 WHERE model = ?3 AND version = ?4", err)) < 0)
		goto out;
	sqlite3_bind_text(st, 1, stage, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, model);
	sqlite3_bind_int64(st, 4, version);
	rc = mlp_db_step(db, st, "cannot set stage", err);
out:
	sqlite3_finalize(st);
	return finish(db, rc, err);
}

int
mlp_registry_set_tag(struct mlp_db *db, const char *name, int64_t version,
    const char *key, const char *value, struct mlp_err *err)
{
	int64_t model;
	int rc;

	if ((rc = with_model(db, name, &model, err)) < 0)
		return rc;
	if (version > 0)
		rc = check_version(db, model, name, version, err);
	if (rc == 0)
		rc = put_tag(db, model, version, key, value, err);
	return finish(db, rc, err);
}

int
mlp_registry_delete_version(struct mlp_db *db, const char *name,
    int64_t version, const char *user, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	struct mlp_strv aliases = MLP_STRV_INIT;
	int64_t model;
	int rc;

	if ((rc = with_model(db, name, &model, err)) < 0)
		return rc;
	if ((rc = check_version(db, model, name, version, err)) < 0)
		goto out;
	if ((rc = mlp_db_prepare(db, &st, "SELECT name FROM alias WHERE "
	    "model = ? AND version = ?", err)) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, model);
	sqlite3_bind_int64(st, 2, version);
	while (sqlite3_step(st) == SQLITE_ROW)
		mlp_strv_push(&aliases, mlp_db_text(st, 0));
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; i < aliases.n && rc == 0; i++)
		rc = alias_move(db, model, aliases.v[i], 0, user, err);
	if (rc < 0)
		goto out;
	if ((rc = mlp_db_prepare(db, &st, "UPDATE model_version SET lifecycle = "
	    "'deleted', updated = ? WHERE model = ? AND version = ?", err)) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, mlp_now_ms());
	sqlite3_bind_int64(st, 2, model);
	sqlite3_bind_int64(st, 3, version);
	rc = mlp_db_step(db, st, "cannot delete version", err);
out:
	sqlite3_finalize(st);
	mlp_strv_release(&aliases);
	return finish(db, rc, err);
}

/* Appends the tags of model id through the prepared query q (bound to
 * the model's id as ?1). */
static int
read_model_tags(struct mlp_db *db, sqlite3_stmt *q, int64_t model,
    struct mlp_kv **out, size_t *n, struct mlp_err *err)
{
	size_t alloc = 0;
	int rc;

	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, model);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		mlp_grow(out, &alloc, *n + 1, sizeof(**out));
		(*out)[*n].key = xstrdup(mlp_db_text(q, 0));
		(*out)[(*n)++].value = xstrdup(mlp_db_text(q, 1));
	}
	return rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot read model tags");
}

#define MODEL_TAGS_SQL "SELECT key, value FROM model_tag WHERE model = ?1 " \
	"ORDER BY key"

int
mlp_registry_model_tags(struct mlp_db *db, const char *name,
    struct mlp_kv **out, size_t *n, struct mlp_err *err)
{
	sqlite3_stmt *q = NULL;
	int64_t model;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = model_id(db, name, 0, &model, err)) < 0)
		return rc;
	if ((rc = mlp_db_prepare(db, &q, MODEL_TAGS_SQL, err)) < 0)
		return rc;
	rc = read_model_tags(db, q, model, out, n, err);
	sqlite3_finalize(q);
	if (rc < 0) {
		mlp_kvs_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int
mlp_registry_list(struct mlp_db *db, const char *like,
    struct mlp_model_info **out, size_t *n, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL, *q = NULL, *tq = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mlp_db_prepare(db, &st, "SELECT m.id, m.name, m.description, "
	    "m.created, m.updated, (SELECT coalesce(max(version), 0) FROM "
	    "model_version v WHERE v.model = m.id AND v.lifecycle = 'active'), "
	    "(SELECT count(*) FROM model_version v WHERE v.model = m.id AND "
	    "v.lifecycle = 'active') FROM model m WHERE ?1 IS NULL OR m.name "
	    "LIKE ?1 ORDER BY m.name", err)) < 0)
		return rc;
	if (like)
		sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
	if ((rc = mlp_db_prepare(db, &q, "SELECT name || '=' || version FROM "
	    "alias WHERE model = ? ORDER BY name", err)) < 0 ||
	    (rc = mlp_db_prepare(db, &tq, MODEL_TAGS_SQL, err)) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct mlp_model_info *mi;

		mlp_grow(out, &alloc, *n + 1, sizeof(**out));
		mi = &(*out)[(*n)++];
		memset(mi, 0, sizeof(*mi));
		mi->name = xstrdup(mlp_db_text(st, 1));
		mi->description = xstrdup(mlp_db_text(st, 2));
		mi->created = sqlite3_column_int64(st, 3);
		mi->updated = sqlite3_column_int64(st, 4);
		mi->latest = sqlite3_column_int64(st, 5);
		mi->nversions = sqlite3_column_int64(st, 6);
		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, sqlite3_column_int64(st, 0));
		while (sqlite3_step(q) == SQLITE_ROW)
			mlp_strv_push(&mi->aliases, mlp_db_text(q, 0));
		if ((rc = read_model_tags(db, tq, sqlite3_column_int64(st, 0),
		    &mi->tags, &mi->ntags, err)) < 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot list models");
out:
	sqlite3_finalize(tq);
	sqlite3_finalize(q);
	sqlite3_finalize(st);
	if (rc < 0) {
		mlp_model_infos_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void
mlp_model_infos_free(struct mlp_model_info *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].description);
		mlp_strv_release(&v[i].aliases);
		mlp_kvs_free(v[i].tags, v[i].ntags);
	}
	free(v);
}

int
mlp_registry_versions(struct mlp_db *db, const char *name, int with_deleted,
    struct mlp_model_version ***out, size_t *n, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int64_t model;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = model_id(db, name, 0, &model, err)) < 0)
		return rc;
	if ((rc = mlp_db_prepare(db, &st, "SELECT " MV_COLS " FROM model m "
	    "JOIN model_version v ON v.model = m.id WHERE m.id = ?1 AND (?2 OR "
	    "v.lifecycle = 'active') ORDER BY v.version", err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, model);
	sqlite3_bind_int(st, 2, with_deleted);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mlp_grow(out, &alloc, *n + 1, sizeof(**out));
		if ((rc = read_version(db, st, &(*out)[*n], err)) < 0)
			break;
		(*n)++;
	}
	rc = rc == SQLITE_DONE ? 0 : rc < 0 ? rc : mlp_db_error(db, err,
	    "cannot read versions");
	sqlite3_finalize(st);
	return rc;
}

int
mlp_registry_names(struct mlp_db *db, const char *model, const char *prefix,
    struct mlp_strv *out, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = mlp_db_prepare(db, &st, model ?
	    "SELECT CAST(v.version AS TEXT) FROM model_version v JOIN model m "
	    "ON m.id = v.model WHERE m.name = ?2 AND v.lifecycle = 'active' "
	    "AND substr(CAST(v.version AS TEXT), 1, length(?1)) = ?1 UNION ALL "
	    "SELECT a.name FROM alias a JOIN model m ON m.id = a.model WHERE "
	    "m.name = ?2 AND substr(a.name, 1, length(?1)) = ?1" :
	    "SELECT name FROM model WHERE substr(name, 1, length(?1)) = ?1 "
	    "ORDER BY name LIMIT 500", err);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	if (model)
		sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		mlp_strv_push(out, mlp_db_text(st, 0));
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err, "cannot read names");
	sqlite3_finalize(st);
	return rc;
}

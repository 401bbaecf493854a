/* Run artifacts: names within a run pointing at stored objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "track.h"

int
mlp_track_check_artifact_path(const char *path, struct mlp_err *err)
{
	const char *p = path;
	int rc;

	if (!*path || strlen(path) > 1024)
		return mlp_err_set(err, MLP_EINVAL, "artifact name must be 1 to "
		    "1024 characters");
	if ((rc = mlp_check_utf8("artifact name", path, err)) < 0)
		return rc;
	if (path[0] == '/')
		return mlp_err_set(err, MLP_EINVAL, "artifact name '%s' must be "
		    "relative", path);
	for (;;) {
		size_t len = strcspn(p, "/");

		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return mlp_err_set(err, MLP_EINVAL, "artifact name '%s' "
			    "has an empty, '.' or '..' component", path);
		if (!p[len])
			break;
		p += len + 1;
	}
	for (p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return mlp_err_set(err, MLP_EINVAL, "artifact name '%s' "
			    "has a control character", path);
	return 0;
}

int
mlp_track_artifact_add(struct mlp_db *db, const char *uuid, const char *path,
    const char *oid, int is_tree, uint64_t size, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = mlp_track_check_artifact_path(path, err)) < 0)
		return rc;
	if ((rc = mlp_db_prepare(db, &st, "INSERT INTO artifact (run, path, oid, "
	    "is_tree, size, created) SELECT id, ?2, ?3, ?4, ?5, ?6 FROM run "
	    "WHERE uuid = ?1 ON CONFLICT (run, path) DO UPDATE SET oid = "
	    "excluded.oid, is_tree = excluded.is_tree, size = excluded.size, "
	    "created = excluded.created", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, oid, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, is_tree);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)size);
	sqlite3_bind_int64(st, 6, mlp_now_ms());
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		rc = mlp_db_error(db, err, "cannot record artifact");
	else if (sqlite3_changes(db->h) == 0)
		rc = mlp_err_set(err, MLP_ENOTFOUND, "no run '%s'", uuid);
	else
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

int
mlp_track_artifacts(struct mlp_db *db, const char *uuid,
    struct mlp_artifact **out, size_t *n, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mlp_db_prepare(db, &st, "SELECT a.path, a.oid, a.is_tree, "
	    "a.size, a.created FROM artifact a JOIN run r ON r.id = a.run WHERE "
	    "r.uuid = ? ORDER BY a.path", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct mlp_artifact *a;

		mlp_grow(out, &alloc, *n + 1, sizeof(**out));
		a = &(*out)[(*n)++];
		a->path = xstrdup(mlp_db_text(st, 0));
		snprintf(a->oid, sizeof(a->oid), "%s", mlp_db_text(st, 1));
		a->is_tree = sqlite3_column_int(st, 2);
		a->size = (uint64_t)sqlite3_column_int64(st, 3);
		a->created = sqlite3_column_int64(st, 4);
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot read artifacts");
	sqlite3_finalize(st);
	return rc;
}

void
mlp_artifacts_free(struct mlp_artifact *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

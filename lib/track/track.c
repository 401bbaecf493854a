/* Experiments and runs: creation, lookup, status, soft delete and gc. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "track.h"

/* Runs one write statement with text arguments in its own transaction. */
static int
exec_write(struct mlp_db *db, const char *sql, const char *what,
    struct mlp_err *err, int nargs, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int rc;

	if ((rc = mlp_db_prepare(db, &st, sql, err)) < 0)
		return rc;
	va_start(ap, nargs);
	for (int i = 1; i <= nargs; i++)
		sqlite3_bind_text(st, i, va_arg(ap, const char *), -1,
		    SQLITE_TRANSIENT);
	va_end(ap);
	rc = mlp_db_step(db, st, what, err);
	sqlite3_finalize(st);
	return rc;
}

void
mlp_experiment_release(struct mlp_experiment *e)
{
	if (!e)
		return;
	free(e->name);
	free(e->lifecycle);
	e->name = e->lifecycle = NULL;
}

void
mlp_experiments_free(struct mlp_experiment *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mlp_experiment_release(&v[i]);
	free(v);
}

static int
check_experiment_name(const char *name, struct mlp_err *err)
{
	size_t len = strlen(name);
	int rc;

	if (len == 0)
		return mlp_err_set(err, MLP_EINVAL,
		    "experiment name must not be empty");
	if ((rc = mlp_check_utf8("experiment name", name, err)) < 0)
		return rc;
	if (len > 500)
		return mlp_err_set(err, MLP_EINVAL,
		    "experiment name is longer than 500 characters");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return mlp_err_set(err, MLP_EINVAL,
			    "experiment name must not contain control "
			    "characters");
	return 0;
}

int
mlp_track_experiment_create(struct mlp_db *db, const char *name,
    int64_t *id, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t now = mlp_now_ms();
	int rc;

	if ((rc = check_experiment_name(name, err)) < 0)
		return rc;
	if ((rc = mlp_db_prepare(db, &st, "INSERT INTO experiment "
	    "(name, created, updated) VALUES (?, ?, ?)", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT ||
	    (rc & 0xff) == SQLITE_CONSTRAINT) {
		rc = mlp_err_set(err, MLP_EEXISTS,
		    "experiment '%s' already exists", name);
	} else if (rc != SQLITE_DONE) {
		rc = mlp_db_error(db, err, "cannot create experiment");
	} else {
		rc = 0;
		if (id)
			*id = sqlite3_last_insert_rowid(db->h);
	}
	sqlite3_finalize(st);
	return rc;
}

#define EXP_COLS "e.id, e.name, e.lifecycle, e.created, e.updated, " \
	"(SELECT count(*) FROM run r WHERE r.experiment = e.id " \
	"AND r.lifecycle = 'active')"

static void
read_experiment(sqlite3_stmt *st, struct mlp_experiment *e)
{
	e->id = sqlite3_column_int64(st, 0);
	e->name = xstrdup(mlp_db_text(st, 1));
	e->lifecycle = xstrdup(mlp_db_text(st, 2));
	e->created = sqlite3_column_int64(st, 3);
	e->updated = sqlite3_column_int64(st, 4);
	e->nruns = sqlite3_column_int64(st, 5);
}

static int
all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

int
mlp_track_experiment_get(struct mlp_db *db, const char *ref,
    struct mlp_experiment *out, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	/* a name wins over an id, so an experiment called "7" stays
	 * reachable */
	if ((rc = mlp_db_prepare(db, &st, "SELECT " EXP_COLS
	    " FROM experiment e WHERE e.name = ?1 UNION ALL SELECT " EXP_COLS
	    " FROM experiment e WHERE ?2 AND e.id = CAST(?1 AS INTEGER)"
	    " LIMIT 1", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, all_digits(ref) && strlen(ref) < 19);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_experiment(st, out);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = mlp_err_set(err, MLP_ENOTFOUND,
		    "no experiment named '%s'", ref);
	} else {
		rc = mlp_db_error(db, err, "cannot read experiments");
	}
	sqlite3_finalize(st);
	return rc;
}

int
mlp_track_experiment_ensure(struct mlp_db *db, const char *ref,
    struct mlp_experiment *out, int *created, struct mlp_err *err)
{
	int64_t id;
	int rc;

	if (created)
		*created = 0;
	rc = mlp_track_experiment_get(db, ref, out, err);
	if (rc == MLP_ENOTFOUND && !all_digits(ref)) {
		mlp_err_clear(err);
		if ((rc = mlp_track_experiment_create(db, ref, &id, err)) < 0)
			return rc;
		if (created)
			*created = 1;
		rc = mlp_track_experiment_get(db, ref, out, err);
	} else if (rc == MLP_ENOTFOUND) {
		return mlp_err_set(err, MLP_ENOTFOUND, "no experiment named "
		    "'%s' and none with id %s", ref, ref);
	}
	if (rc < 0)
		return rc;
	if (strcmp(out->lifecycle, "active") != 0) {
		/* as MLflow's set_experiment: a deleted one is not made again
		 * under the same name */
		rc = mlp_err_set(err, MLP_EINVAL, "experiment '%s' is deleted: "
		    "restore it with 'mlp track experiment restore %lld', or "
		    "remove it for good with 'mlp track gc' to reuse the name",
		    out->name, (long long)out->id);
		mlp_experiment_release(out);
	}
	return rc;
}

int
mlp_track_experiment_rename(struct mlp_db *db, const char *ref,
    const char *new_name, struct mlp_err *err)
{
	struct mlp_experiment e;
	char id[32];
	int rc;

	if ((rc = check_experiment_name(new_name, err)) < 0)
		return rc;
	if ((rc = mlp_track_experiment_get(db, ref, &e, err)) < 0)
		return rc;
	snprintf(id, sizeof(id), "%lld", (long long)e.id);
	mlp_experiment_release(&e);
	rc = exec_write(db, "UPDATE experiment SET name = ?1, updated = "
	    "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) "
	    "WHERE id = ?2", "cannot rename experiment", err, 2, new_name, id);
	if (rc < 0 && strstr(err->msg, "UNIQUE"))
		rc = mlp_err_set(err, MLP_EEXISTS,
		    "experiment '%s' already exists", new_name);
	return rc;
}

static int
set_experiment_lifecycle(struct mlp_db *db, const char *ref,
    const char *lifecycle, struct mlp_err *err)
{
	struct mlp_experiment e;
	char id[32];
	int rc;

	if ((rc = mlp_track_experiment_get(db, ref, &e, err)) < 0)
		return rc;
	if (e.id == 0 && strcmp(lifecycle, "deleted") == 0)
		rc = mlp_err_set(err, MLP_EINVAL,
		    "the Default experiment cannot be deleted");
	else if (strcmp(e.lifecycle, lifecycle) == 0)
		rc = mlp_err_set(err, MLP_EINVAL, "experiment '%s' is %s "
		    "already", e.name, strcmp(lifecycle, "deleted") == 0 ?
		    "deleted" : "active");
	snprintf(id, sizeof(id), "%lld", (long long)e.id);
	mlp_experiment_release(&e);
	if (rc < 0)
		return rc;
	return exec_write(db, "UPDATE experiment SET lifecycle = ?1, updated = "
	    "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) "
	    "WHERE id = ?2", "cannot update experiment", err, 2, lifecycle, id);
}

int
mlp_track_experiment_delete(struct mlp_db *db, const char *ref,
    struct mlp_err *err)
{
	return set_experiment_lifecycle(db, ref, "deleted", err);
}

int
mlp_track_experiment_restore(struct mlp_db *db, const char *ref,
    struct mlp_err *err)
{
	return set_experiment_lifecycle(db, ref, "active", err);
}

int
mlp_track_experiment_list(struct mlp_db *db, enum mlp_view view,
    struct mlp_experiment **out, size_t *n, struct mlp_err *err)
{
	static const char *const where[] = {
		[MLP_VIEW_ACTIVE] = " WHERE e.lifecycle = 'active'",
		[MLP_VIEW_DELETED] = " WHERE e.lifecycle = 'deleted'",
		[MLP_VIEW_ALL] = "",
	};
	struct mlp_experiment *v = NULL;
	size_t alloc = 0, cnt = 0;
	sqlite3_stmt *st = NULL;
	char sql[512];
	int rc;

	snprintf(sql, sizeof(sql), "SELECT " EXP_COLS
	    " FROM experiment e%s ORDER BY e.id", where[view]);
	if ((rc = mlp_db_prepare(db, &st, sql, err)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mlp_grow(&v, &alloc, cnt + 1, sizeof(*v));
		read_experiment(st, &v[cnt++]);
	}
	if (rc != SQLITE_DONE) {
		rc = mlp_db_error(db, err, "cannot list experiments");
		mlp_experiments_free(v, cnt);
		v = NULL;
		cnt = 0;
	} else {
		rc = 0;
	}
	sqlite3_finalize(st);
	*out = v;
	*n = cnt;
	return rc;
}

/* Runs */

#define RUN_COLS "r.id, r.uuid, r.experiment, e.name, r.name, r.user, " \
	"r.status, r.start_time, coalesce(r.end_time, 0), r.lifecycle"
#define RUN_FROM " FROM run r JOIN experiment e ON e.id = r.experiment"

/* Reads RUN_COLS starting at column col0 into ri. */
static void
read_run_info(sqlite3_stmt *st, int col0, struct mlp_run_info *ri)
{
	ri->id = sqlite3_column_int64(st, col0);
	snprintf(ri->uuid, sizeof(ri->uuid), "%s", mlp_db_text(st, col0 + 1));
	ri->experiment = sqlite3_column_int64(st, col0 + 2);
	ri->experiment_name = xstrdup(mlp_db_text(st, col0 + 3));
	ri->name = xstrdup(mlp_db_text(st, col0 + 4));
	ri->user = xstrdup(mlp_db_text(st, col0 + 5));
	ri->status = xstrdup(mlp_db_text(st, col0 + 6));
	ri->start_time = sqlite3_column_int64(st, col0 + 7);
	ri->end_time = sqlite3_column_int64(st, col0 + 8);
	ri->lifecycle = xstrdup(mlp_db_text(st, col0 + 9));
}

void
mlp_run_info_release(struct mlp_run_info *ri)
{
	if (!ri)
		return;
	free(ri->experiment_name);
	free(ri->name);
	free(ri->user);
	free(ri->status);
	free(ri->lifecycle);
	ri->experiment_name = ri->name = ri->user = ri->status = NULL;
	ri->lifecycle = NULL;
}

int
mlp_track_run_resolve(struct mlp_db *db, const char *ref,
    struct mlp_run_info *out, struct mlp_err *err)
{
	char prefix[33], hi[34];
	sqlite3_stmt *st = NULL;
	struct mlp_buf cands = MLP_BUF_INIT;
	size_t len = strlen(ref);
	int rc, n = 0;

	memset(out, 0, sizeof(*out));
	if (len < 4 || len > 32)
		return mlp_err_set(err, MLP_EINVAL, "'%s' is not a run id: "
		    "give 4 to 32 hex digits", ref);
	for (size_t i = 0; i < len; i++) {
		if (!isxdigit((unsigned char)ref[i]))
			return mlp_err_set(err, MLP_EINVAL, "'%s' is not a run "
			    "id: give 4 to 32 hex digits", ref);
		prefix[i] = (char)tolower((unsigned char)ref[i]);
	}
	prefix[len] = '\0';
	/* every id with this prefix sorts between prefix and prefix + 'g' */
	snprintf(hi, sizeof(hi), "%sg", prefix);
	if ((rc = mlp_db_prepare(db, &st, "SELECT " RUN_COLS RUN_FROM
	    " WHERE r.uuid >= ?1 AND r.uuid < ?2 ORDER BY r.uuid LIMIT 6",
	    err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == 0)
			read_run_info(st, 0, out);
		mlp_buf_addf(&cands, "%s%s", n ? ", " : "",
		    n < 5 ? mlp_db_text(st, 1) : "...");
		n++;
	}
	if (rc != SQLITE_DONE)
		rc = mlp_db_error(db, err, "cannot read runs");
	else if (n == 0)
		rc = mlp_err_set(err, MLP_ENOTFOUND, "no run '%s'", ref);
	else if (n > 1)
		rc = mlp_err_set(err, MLP_EAMBIGUOUS, "run id '%s' is "
		    "ambiguous: %s", ref, mlp_buf_str(&cands));
	else
		rc = 0;
	if (rc < 0)
		mlp_run_info_release(out);
	sqlite3_finalize(st);
	mlp_buf_release(&cands);
	return rc;
}

/* A readable default run name, as MLflow gives ("bold-owl-417"). */
static int
generate_name(char *out, size_t n, struct mlp_err *err)
{
	static const char *const adj[] = {
		"amber", "bold", "brave", "bright", "calm", "clever", "crisp",
		"eager", "fast", "gentle", "glad", "keen", "lucid", "merry",
		"nimble", "proud", "quiet", "rapid", "sharp", "silent", "sleek",
		"smooth", "steady", "swift", "tidy", "vivid", "warm", "wise",
	};
	static const char *const noun[] = {
		"ant", "bat", "bear", "crane", "deer", "dove", "eel", "elk",
		"finch", "fox", "gull", "hare", "hawk", "ibis", "koi", "lark",
		"lynx", "mole", "moth", "newt", "owl", "puma", "seal", "slug",
		"swan", "toad", "wasp", "wolf", "wren", "yak",
	};
	uint32_t r[3];
	int rc;

	if ((rc = mlp_random(r, sizeof(r), err)) < 0)
		return rc;
	snprintf(out, n, "%s-%s-%03u", adj[r[0] % (sizeof(adj) / sizeof(*adj))],
	    noun[r[1] % (sizeof(noun) / sizeof(*noun))], r[2] % 1000);
	return 0;
}

int
mlp_track_run_start(struct mlp_db *db, const struct mlp_run_start *rs,
    char uuid[33], struct mlp_err *err)
{
	struct mlp_experiment e = { 0 };
	sqlite3_stmt *st = NULL;
	char gen[64];
	const char *name = rs->name;
	int64_t run;
	int rc;

	if (rs->created_experiment)
		*rs->created_experiment = 0;
	if (name && *name && strlen(name) > 500)
		return mlp_err_set(err, MLP_EINVAL,
		    "run name is longer than 500 characters");
	if ((name && (rc = mlp_check_utf8("run name", name, err)) < 0) ||
	    (rs->user && (rc = mlp_check_utf8("user", rs->user, err)) < 0))
		return rc;
	for (size_t i = 0; i < rs->ntags; i++)
		if ((rc = mlp_track_check_tag(rs->tags[i].key,
		    rs->tags[i].value, err)) < 0)
			return rc;
	if ((rc = mlp_db_begin(db, err)) < 0)
		return rc;
	if ((rc = mlp_track_experiment_ensure(db, rs->experiment ?
	    rs->experiment : "0", &e, rs->created_experiment, err)) < 0)
		goto out;
	if (!name || !*name) {
		if ((rc = generate_name(gen, sizeof(gen), err)) < 0)
			goto out;
		name = gen;
	}
	if ((rc = mlp_new_id(uuid, err)) < 0)
		goto out;
	if ((rc = mlp_db_prepare(db, &st, "INSERT INTO run (uuid, experiment, "
	    "name, user, status, start_time) VALUES (?, ?, ?, ?, 'RUNNING', ?)",
	    err)) < 0)
		goto out;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, e.id);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, rs->user ? rs->user : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, rs->start_time ? rs->start_time :
	    mlp_now_ms());
	if ((rc = mlp_db_step(db, st, "cannot start run", err)) < 0)
		goto out;
	run = sqlite3_last_insert_rowid(db->h);
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = mlp_db_prepare(db, &st, "INSERT INTO tag (run, key, value) "
	    "VALUES (?, ?, ?) ON CONFLICT (run, key) DO UPDATE SET "
	    "value = excluded.value", err)) < 0)
		goto out;
	for (size_t i = 0; i < rs->ntags; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_text(st, 2, rs->tags[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, rs->tags[i].value, -1, SQLITE_STATIC);
		if ((rc = mlp_db_step(db, st, "cannot set tag", err)) < 0)
			goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rs->own && (rc = track_own_run(db, run, err)) < 0)
		goto out;
	rc = mlp_db_commit(db, err);
out:
	sqlite3_finalize(st);
	if (rc < 0) {
		mlp_db_rollback(db);
		if (rs->created_experiment)
			*rs->created_experiment = 0;
	}
	mlp_experiment_release(&e);
	return rc;
}

int
mlp_track_status_parse(const char *s, const char **canonical,
    struct mlp_err *err)
{
	static const char *const names[] = {
		"RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*canonical = names[i];
			return 0;
		}
	}
	return mlp_err_set(err, MLP_EINVAL, "unknown run status '%s' "
	    "(valid: finished, failed, killed, running, scheduled)", s);
}

/* Why a run could not be taken up: its status, or that it is gone. */
static int
run_status_error(struct mlp_db *db, const char *uuid, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = mlp_db_prepare(db, &st, "SELECT status FROM run WHERE "
	    "uuid = ?1", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		rc = mlp_err_set(err, MLP_EINVAL, "run %.8s is %s: it was "
		    "ended before this job could take it up", uuid,
		    mlp_db_text(st, 0));
	else
		rc = mlp_err_set(err, MLP_ENOTFOUND, "no run '%s'", uuid);
	sqlite3_finalize(st);
	return rc;
}

/* mlp_track_run_end, and with scheduled_only mlp_track_run_take. */
static int
set_run_status(struct mlp_db *db, const char *uuid, const char *status,
    int64_t end_time, int scheduled_only, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int running = strcmp(status, "RUNNING") == 0, rc;

	/* taking a run up again records who runs it, in one transaction */
	if (running && (rc = mlp_db_begin(db, err)) < 0)
		return rc;
	if ((rc = mlp_db_prepare(db, &st, "UPDATE run SET status = ?1, "
	    "end_time = CASE WHEN ?1 IN ('RUNNING', 'SCHEDULED') THEN NULL "
	    "ELSE ?2 END WHERE uuid = ?3 AND (NOT ?4 OR status IN "
	    "('SCHEDULED', 'RUNNING')) RETURNING id", err)) < 0)
		goto out;
	sqlite3_bind_int(st, 4, scheduled_only);
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, end_time ? end_time : mlp_now_ms());
	sqlite3_bind_text(st, 3, uuid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		int64_t run = sqlite3_column_int64(st, 0);

		sqlite3_finalize(st);
		st = NULL;
		rc = running ? track_own_run(db, run, err) : 0;
	} else if (rc == SQLITE_DONE && scheduled_only) {
		sqlite3_finalize(st);
		st = NULL;
		rc = run_status_error(db, uuid, err);
	} else if (rc == SQLITE_DONE) {
		rc = mlp_err_set(err, MLP_ENOTFOUND, "no run '%s'", uuid);
	} else {
		rc = mlp_db_error(db, err, "cannot end run");
	}
	if (running && rc == 0)
		rc = mlp_db_commit(db, err);
out:
	sqlite3_finalize(st);
	if (running && rc < 0)
		mlp_db_rollback(db);
	return rc;
}

int
mlp_track_run_end(struct mlp_db *db, const char *uuid, const char *status,
    int64_t end_time, struct mlp_err *err)
{
	return set_run_status(db, uuid, status, end_time, 0, err);
}

int
mlp_track_run_take(struct mlp_db *db, const char *uuid, struct mlp_err *err)
{
	return set_run_status(db, uuid, "RUNNING", 0, 1, err);
}

static int
set_run_lifecycle(struct mlp_db *db, const char *uuid, int deleted,
    struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = mlp_db_prepare(db, &st, "UPDATE run SET lifecycle = ?1, "
	    "deleted_time = ?2 WHERE uuid = ?3 AND lifecycle != ?1", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, deleted ? "deleted" : "active", -1,
	    SQLITE_STATIC);
	if (deleted)
		sqlite3_bind_int64(st, 2, mlp_now_ms());
	sqlite3_bind_text(st, 3, uuid, -1, SQLITE_STATIC);
	rc = mlp_db_step(db, st, "cannot update run", err);
	if (rc == 0 && sqlite3_changes(db->h) == 0)
		rc = mlp_err_set(err, MLP_EINVAL, "run '%s' is %s already",
		    uuid, deleted ? "deleted" : "active");
	sqlite3_finalize(st);
	return rc;
}

int
mlp_track_run_delete(struct mlp_db *db, const char *uuid, struct mlp_err *err)
{
	return set_run_lifecycle(db, uuid, 1, err);
}

int
mlp_track_run_restore(struct mlp_db *db, const char *uuid,
    struct mlp_err *err)
{
	return set_run_lifecycle(db, uuid, 0, err);
}

int
mlp_track_gc(struct mlp_db *db, int64_t older_than_ms, int64_t *nruns,
    int64_t *nexps, struct mlp_strv *purged, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t cutoff = mlp_now_ms() - older_than_ms;
	size_t before = purged ? purged->n : 0;
	int rc;

	*nruns = *nexps = 0;
	if ((rc = mlp_db_begin(db, err)) < 0)
		return rc;
	if ((rc = mlp_db_prepare(db, &st, "DELETE FROM run WHERE "
	    "(lifecycle = 'deleted' AND deleted_time <= ?1) OR experiment IN "
	    "(SELECT id FROM experiment WHERE lifecycle = 'deleted' AND "
	    "updated <= ?1) RETURNING uuid", err)) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, cutoff);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (purged)
			mlp_strv_push(purged, mlp_db_text(st, 0));
		(*nruns)++;
	}
	if (rc != SQLITE_DONE) {
		rc = mlp_db_error(db, err, "cannot remove runs");
		goto out;
	}
	sqlite3_finalize(st);
	if ((rc = mlp_db_prepare(db, &st, "DELETE FROM experiment WHERE "
	    "lifecycle = 'deleted' AND updated <= ?1 AND id != 0", err)) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, cutoff);
	if ((rc = mlp_db_step(db, st, "cannot remove experiments", err)) < 0)
		goto out;
	*nexps = sqlite3_changes(db->h);
	sqlite3_finalize(st);
	st = NULL;
	/* metric keys no run uses any more */
	if ((rc = mlp_db_exec(db, "DELETE FROM metric_key WHERE id NOT IN "
	    "(SELECT DISTINCT key FROM latest_metric)", err)) < 0)
		goto out;
	rc = mlp_db_commit(db, err);
out:
	sqlite3_finalize(st);
	if (rc < 0) {
		mlp_db_rollback(db);
		while (purged && purged->n > before)
			free(purged->v[--purged->n]);
	}
	return rc;
}

static int
read_kvs(struct mlp_db *db, const char *sql, int64_t run, struct mlp_kv **out,
    size_t *n, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mlp_db_prepare(db, &st, sql, err)) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, run);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		mlp_grow(out, &alloc, *n + 1, sizeof(**out));
		(*out)[*n].key = xstrdup(mlp_db_text(st, 0));
		(*out)[*n].value = xstrdup(mlp_db_text(st, 1));
		(*n)++;
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err, "cannot read run");
	sqlite3_finalize(st);
	return rc;
}

int
mlp_track_run_get(struct mlp_db *db, const char *uuid, struct mlp_run **out,
    struct mlp_err *err)
{
	struct mlp_run *r = xcalloc(1, sizeof(*r));
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	if ((rc = mlp_db_prepare(db, &st, "SELECT " RUN_COLS RUN_FROM
	    " WHERE r.uuid = ?", err)) < 0)
		goto out;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? mlp_err_set(err, MLP_ENOTFOUND,
		    "no run '%s'", uuid) : mlp_db_error(db, err,
		    "cannot read run");
		goto out;
	}
	read_run_info(st, 0, &r->info);
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = read_kvs(db, "SELECT key, value FROM param WHERE run = ? "
	    "ORDER BY key", r->info.id, &r->params, &r->nparams, err)) < 0 ||
	    (rc = read_kvs(db, "SELECT key, value FROM tag WHERE run = ? "
	    "ORDER BY key", r->info.id, &r->tags, &r->ntags, err)) < 0)
		goto out;
	if ((rc = mlp_db_prepare(db, &st, "SELECT k.name, m.value, m.is_nan, "
	    "m.step, m.ts FROM latest_metric m JOIN metric_key k ON k.id = "
	    "m.key WHERE m.run = ? ORDER BY k.name", err)) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, r->info.id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct mlp_metric *m;

		mlp_grow(&r->metrics, &alloc, r->nmetrics + 1,
		    sizeof(*r->metrics));
		m = &r->metrics[r->nmetrics++];
		m->key = xstrdup(mlp_db_text(st, 0));
		m->value = sqlite3_column_int(st, 2) ? NAN :
		    sqlite3_column_double(st, 1);
		m->step = sqlite3_column_int64(st, 3);
		m->ts = sqlite3_column_int64(st, 4);
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err, "cannot read run");
out:
	sqlite3_finalize(st);
	if (rc < 0) {
		mlp_run_free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

void
mlp_run_free(struct mlp_run *r)
{
	if (!r)
		return;
	mlp_run_info_release(&r->info);
	for (size_t i = 0; i < r->nparams; i++) {
		free(r->params[i].key);
		free(r->params[i].value);
	}
	for (size_t i = 0; i < r->ntags; i++) {
		free(r->tags[i].key);
		free(r->tags[i].value);
	}
	for (size_t i = 0; i < r->nmetrics; i++)
		free(r->metrics[i].key);
	free(r->params);
	free(r->tags);
	free(r->metrics);
	free(r);
}

int
mlp_track_metric_history(struct mlp_db *db, const char *uuid,
    const char *key, struct mlp_metric **out, size_t *n, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = mlp_db_prepare(db, &st, "SELECT m.value, m.is_nan, m.step, "
	    "m.ts FROM metric m WHERE m.run = (SELECT id FROM run WHERE uuid = "
	    "?1) AND m.key = (SELECT id FROM metric_key WHERE name = ?2) "
	    "ORDER BY m.step, m.ts", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct mlp_metric *m;

		mlp_grow(out, &alloc, *n + 1, sizeof(**out));
		m = &(*out)[(*n)++];
		m->key = NULL;
		m->value = sqlite3_column_int(st, 1) ? NAN :
		    sqlite3_column_double(st, 0);
		m->step = sqlite3_column_int64(st, 2);
		m->ts = sqlite3_column_int64(st, 3);
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err,
	    "cannot read metric history");
	sqlite3_finalize(st);
	if (rc == 0 && *n == 0)
		rc = mlp_err_set(err, MLP_ENOTFOUND, "run '%s' has no metric "
		    "'%s'", uuid, key);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

int
mlp_track_names(struct mlp_db *db, enum mlp_names what, const char *prefix,
    struct mlp_strv *out, struct mlp_err *err)
{
	static const char *const sql[] = {
		[MLP_NAMES_METRICS] = "SELECT name, NULL FROM metric_key WHERE "
		    "name >= ?1 AND substr(name, 1, length(?1)) = ?1 "
		    "ORDER BY name LIMIT 500",
		[MLP_NAMES_PARAMS] = "SELECT DISTINCT key, NULL FROM param "
		    "WHERE key >= ?1 AND substr(key, 1, length(?1)) = ?1 "
		    "ORDER BY key LIMIT 500",
		[MLP_NAMES_TAGS] = "SELECT DISTINCT key, NULL FROM tag "
		    "WHERE key >= ?1 AND substr(key, 1, length(?1)) = ?1 "
		    "ORDER BY key LIMIT 500",
		[MLP_NAMES_EXPERIMENTS] = "SELECT name, NULL FROM experiment "
		    "WHERE lifecycle = 'active' AND substr(name, 1, "
		    "length(?1)) = ?1 ORDER BY name LIMIT 500",
		[MLP_NAMES_RUNS] = "SELECT uuid, name FROM run WHERE "
		    "lifecycle = 'active' AND substr(uuid, 1, length(?1)) = ?1 "
		    "ORDER BY start_time DESC LIMIT 200",
		[MLP_NAMES_DELETED_EXPERIMENTS] = "SELECT name, NULL FROM "
		    "experiment WHERE lifecycle = 'deleted' AND substr(name, "
		    "1, length(?1)) = ?1 ORDER BY name LIMIT 500",
		[MLP_NAMES_DELETED_RUNS] = "SELECT uuid, name FROM run WHERE "
		    "lifecycle = 'deleted' AND substr(uuid, 1, length(?1)) = "
		    "?1 ORDER BY start_time DESC LIMIT 200",
	};
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = mlp_db_prepare(db, &st, sql[what], err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			mlp_strv_push(out, mlp_db_text(st, 0));
		else
			mlp_strv_push_owned(out, xasprintf("%s\t%s",
			    mlp_db_text(st, 0), mlp_db_text(st, 1)));
	}
	rc = rc == SQLITE_DONE ? 0 : mlp_db_error(db, err, "cannot read names");
	sqlite3_finalize(st);
	return rc;
}

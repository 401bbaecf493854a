/* Which process runs a run: recorded when mlp train starts or takes up a
 * run, and reconciled when that process is gone (a kill -9 leaves its run
 * RUNNING otherwise). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "internal.h"

#define TAG_HOST "mlp.source.host"
#define TAG_PID "mlp.source.pid"
#define TAG_START "mlp.source.pid.start"

static int
set_tag(sqlite3_stmt *st, int64_t run, const char *key, const char *value,
    struct mlp_db *db, struct mlp_err *err)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
	return mlp_db_step(db, st, "cannot set tag", err);
}

int
track_own_run(struct mlp_db *db, int64_t run, struct mlp_err *err)
{
	char host[256], pid[32], start[128];
	sqlite3_stmt *st = NULL;
	int rc;

	if (mlp_hostname(host, sizeof(host)) < 0 ||
	    mlp_proc_start(getpid(), start, sizeof(start)) < 0)
		return 0;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if ((rc = mlp_db_prepare(db, &st, "INSERT INTO tag (run, key, value) "
	    "VALUES (?, ?, ?) ON CONFLICT (run, key) DO UPDATE SET "
	    "value = excluded.value", err)) < 0)
		return rc;
	if ((rc = set_tag(st, run, TAG_HOST, host, db, err)) == 0 &&
	    (rc = set_tag(st, run, TAG_PID, pid, db, err)) == 0)
		rc = set_tag(st, run, TAG_START, start, db, err);
	sqlite3_finalize(st);
	return rc;
}

struct gone {
	int64_t run;
	char *pid, *start;
};

int
mlp_track_reconcile(struct mlp_db *db, const char *uuid, int64_t *nkilled,
    struct mlp_err *err)
{
	/* RUNNING runs are few: the scan starts from them (CROSS JOIN keeps
	 * that order), not from the tags every run of this host has */
	static const char sql[] = "SELECT r.id, p.value, s.value FROM run r "
	    "CROSS JOIN tag h CROSS JOIN tag p CROSS JOIN tag s "
	    "WHERE r.status = 'RUNNING' %s AND h.run = r.id AND h.key = '"
	    TAG_HOST "' AND h.value = ?1 AND p.run = r.id AND p.key = '"
	    TAG_PID "' AND s.run = r.id AND s.key = '" TAG_START "'";
	struct gone *g = NULL;
	size_t n = 0, alloc = 0;
	sqlite3_stmt *st = NULL;
	char host[256], *q;
	int64_t killed = 0;
	int rc;

	if (nkilled)
		*nkilled = 0;
	/* a repository this process cannot write is only read */
	if (mlp_db_readonly(db) || mlp_hostname(host, sizeof(host)) < 0)
		return 0;
	q = xasprintf(sql, uuid ? "AND r.uuid = ?2" : "");
	rc = mlp_db_prepare(db, &st, q, err);
	free(q);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	if (uuid)
		sqlite3_bind_text(st, 2, uuid, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (mlp_proc_alive(mlp_db_text(st, 1), mlp_db_text(st, 2)))
			continue;
		mlp_grow(&g, &alloc, n + 1, sizeof(*g));
		g[n].run = sqlite3_column_int64(st, 0);
		g[n].pid = xstrdup(mlp_db_text(st, 1));
		g[n++].start = xstrdup(mlp_db_text(st, 2));
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		rc = mlp_db_error(db, err, "cannot read runs");
		goto out;
	}
	rc = 0;
	if (n == 0)
		goto out;
	if ((rc = mlp_db_begin(db, err)) < 0)
		goto out;
	/* still RUNNING by the same process: not ended or taken up again
	 * since it was read. The end time is the last sign of life: the
	 * newest point logged (never later than now), or the start. */
	if ((rc = mlp_db_prepare(db, &st, "UPDATE run SET status = 'KILLED', "
	    "end_time = max(start_time, min(?4, coalesce((SELECT max(ts) "
	    "FROM latest_metric WHERE run = ?1), 0))) WHERE id = ?1 AND "
	    "status = 'RUNNING' AND (SELECT value FROM tag WHERE run = ?1 AND "
	    "key = '" TAG_PID "') = ?2 AND (SELECT value FROM tag WHERE "
	    "run = ?1 AND key = '" TAG_START "') = ?3", err)) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, g[i].run);
		sqlite3_bind_text(st, 2, g[i].pid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, g[i].start, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, mlp_now_ms());
		if ((rc = mlp_db_step(db, st, "cannot end run", err)) < 0)
			goto fail;
		if (sqlite3_changes(db->h) == 0) {
			g[i].run = -1;
			continue;
		}
		killed++;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = mlp_db_prepare(db, &st, "INSERT INTO tag (run, key, value) "
	    "VALUES (?, 'mlp.error', ?) ON CONFLICT (run, key) DO UPDATE SET value = "
	    "excluded.value",
	    err)) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		char *why;

		if (g[i].run < 0)
			continue;
		why = xasprintf("its process (pid %s on %s) ended without "
		    "ending the run", g[i].pid, host);
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, g[i].run);
		sqlite3_bind_text(st, 2, why, -1, SQLITE_TRANSIENT);
		free(why);
		if ((rc = mlp_db_step(db, st, "cannot set tag", err)) < 0)
			goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = mlp_db_commit(db, err)) < 0)
		goto out;
	if (nkilled)
		*nkilled = killed;
	goto out;
fail:
	mlp_db_rollback(db);
out:
	sqlite3_finalize(st);
	for (size_t i = 0; i < n; i++) {
		free(g[i].pid);
		free(g[i].start);
	}
	free(g);
	return rc;
}

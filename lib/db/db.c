/* SQLite handle, pragmas, schema migrations and query helpers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "db.h"

/* 'mlp' and a format number: marks the file as ours (PRAGMA application_id) */
#define MLP_APPLICATION_ID 0x6d6c7001
#define BUSY_TIMEOUT_MS 60000
/* the write-ahead log is cut back to this after a checkpoint, and emptied
 * when the last connection closes */
#define WAL_SIZE_LIMIT (64 << 20)

/* Migration i takes the schema from user_version i to i + 1. Never edit a
 * released entry; append a new one. */
static const char *const migrations[] = {
	/* 1: experiment tracking */
	"CREATE TABLE experiment ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  lifecycle TEXT NOT NULL DEFAULT 'active'"
	"    CHECK (lifecycle IN ('active', 'deleted')),"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);"
	"INSERT INTO experiment VALUES (0, 'Default', 'active',"
	"  CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER),"
	"  CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));"
	"CREATE TABLE run ("
	"  id INTEGER PRIMARY KEY,"
	"  uuid TEXT NOT NULL UNIQUE,"
	"  experiment INTEGER NOT NULL REFERENCES experiment(id),"
	"  name TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN"
	"    ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED')),"
	"  start_time INTEGER NOT NULL,"
	"  end_time INTEGER,"
	"  lifecycle TEXT NOT NULL DEFAULT 'active'"
	"    CHECK (lifecycle IN ('active', 'deleted')),"
	"  deleted_time INTEGER);"
	"CREATE INDEX run_experiment ON run(experiment, start_time);"
	"CREATE INDEX run_start ON run(start_time);"
	"CREATE TABLE metric_key ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE);"
	/* history: append-only, one B-tree clustered by (run, key, step) so
	 * a point costs one insert; an identical point logged twice is kept
	 * once, as MLflow's primary key does. NaN is stored as 0 with is_nan
	 * set (SQLite turns a NaN REAL into NULL). key has no foreign key:
	 * the logger resolves keys itself, and a parent lookup per point
	 * costs a tenth of bulk logging */
	"CREATE TABLE metric ("
	"  run INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  key INTEGER NOT NULL,"
	"  step INTEGER NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  is_nan INTEGER NOT NULL DEFAULT 0,"
	"  value REAL NOT NULL,"
	"  PRIMARY KEY (run, key, step, ts, is_nan, value)) WITHOUT ROWID;"
	/* the latest point per (run, key), greatest by (step, ts, value), so
	 * search and ordering never read histories */
	"CREATE TABLE latest_metric ("
	"  run INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  key INTEGER NOT NULL,"
	"  step INTEGER NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  value REAL,"
	"  is_nan INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (run, key)) WITHOUT ROWID;"
	"CREATE INDEX latest_metric_key ON latest_metric(key, value);"
	"CREATE TABLE param ("
	"  run INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (run, key)) WITHOUT ROWID;"
	"CREATE INDEX param_key ON param(key, value);"
	"CREATE TABLE tag ("
	"  run INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (run, key)) WITHOUT ROWID;"
	"CREATE INDEX tag_key ON tag(key, value);",

	/* 2: the object store's stat cache, run artifacts, the registry */
	/* what a file hashed to, keyed by path and trusted only while its
	 * identity and times are unchanged (as git's index and DVC's state) */
	"CREATE TABLE stat_cache ("
	"  path TEXT PRIMARY KEY,"
	"  dev INTEGER NOT NULL,"
	"  ino INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  mtime_ns INTEGER NOT NULL,"
	"  ctime_ns INTEGER NOT NULL,"
	"  oid TEXT NOT NULL,"
	"  recorded_ns INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE artifact ("
	"  run INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"  path TEXT NOT NULL,"
	"  oid TEXT NOT NULL,"
	"  is_tree INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  PRIMARY KEY (run, path)) WITHOUT ROWID;"
	"CREATE INDEX artifact_oid ON artifact(oid);"
	"CREATE TABLE model ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL);"
	"CREATE TABLE model_version ("
	"  model INTEGER NOT NULL REFERENCES model(id),"
	"  version INTEGER NOT NULL,"
	"  oid TEXT NOT NULL,"
	"  is_tree INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  source TEXT NOT NULL,"
	"  run INTEGER REFERENCES run(id) ON DELETE SET NULL,"
	"  run_uuid TEXT,"
	"  code_commit TEXT,"
	"  description TEXT NOT NULL DEFAULT '',"
	"  stage TEXT NOT NULL DEFAULT 'None' CHECK (stage IN"
	"    ('None', 'Staging', 'Production', 'Archived')),"
	"  user TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  lifecycle TEXT NOT NULL DEFAULT 'active'"
	"    CHECK (lifecycle IN ('active', 'deleted')),"
	"  PRIMARY KEY (model, version)) WITHOUT ROWID;"
	"CREATE INDEX model_version_oid ON model_version(oid);"
	"CREATE TABLE model_tag ("
	"  model INTEGER NOT NULL REFERENCES model(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (model, key)) WITHOUT ROWID;"
	"CREATE TABLE model_version_tag ("
	"  model INTEGER NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  key TEXT NOT NULL,"
	"  value TEXT NOT NULL,"
	"  PRIMARY KEY (model, version, key),"
	"  FOREIGN KEY (model, version) REFERENCES model_version(model, version)"
	"    ON DELETE CASCADE) WITHOUT ROWID;"
	/* one row per alias: moving it is one UPDATE */
	"CREATE TABLE alias ("
	"  model INTEGER NOT NULL REFERENCES model(id),"
	"  name TEXT NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  PRIMARY KEY (model, name),"
	"  FOREIGN KEY (model, version) REFERENCES model_version(model, version)"
	"    ) WITHOUT ROWID;"
	/* append-only: every alias move, for audit and rollback */
	"CREATE TABLE alias_event ("
	"  id INTEGER PRIMARY KEY,"
	"  model INTEGER NOT NULL REFERENCES model(id),"
	"  alias TEXT NOT NULL,"
	"  from_version INTEGER,"
	"  to_version INTEGER,"
	"  user TEXT NOT NULL,"
	"  ts INTEGER NOT NULL);"
	"CREATE INDEX alias_event_model ON alias_event(model, alias, id);",
	/* 3: the running runs, found without a scan for the reconcile of
	 * runs whose process is gone */
	"CREATE INDEX run_running ON run(id) WHERE status = 'RUNNING';",
	/* 4: deployments, their history and locks, and the servers' heartbeats.
	 * A deployment is one row (a change is one UPDATE, as an alias move);
	 * generation counts its changes, so a server tells a new state from
	 * the one it routes; config holds the target's settings (JSON) */
	"CREATE TABLE deployment ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  target TEXT NOT NULL DEFAULT 'local',"
	"  model INTEGER NOT NULL REFERENCES model(id),"
	"  stable INTEGER NOT NULL,"
	"  canary INTEGER,"
	"  canary_pct REAL NOT NULL DEFAULT 0"
	"    CHECK (canary_pct >= 0 AND canary_pct <= 100),"
	"  previous INTEGER,"
	"  generation INTEGER NOT NULL DEFAULT 1,"
	"  config TEXT NOT NULL DEFAULT '{}',"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  FOREIGN KEY (model, stable) REFERENCES model_version(model, version),"
	"  FOREIGN KEY (model, canary) REFERENCES model_version(model, version));"
	/* append-only: every change, with the state it left (who, when,
	 * what), kept after the deployment is removed; a deployment made
	 * again under the name goes on from the generation last recorded,
	 * so a server never mistakes the new one for a state it routes */
	"CREATE TABLE deployment_event ("
	"  id INTEGER PRIMARY KEY,"
	"  deployment TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  target TEXT NOT NULL DEFAULT 'local',"
	"  generation INTEGER NOT NULL,"
	"  model TEXT NOT NULL,"
	"  stable INTEGER,"
	"  canary INTEGER,"
	"  canary_pct REAL,"
	"  previous INTEGER,"
	"  user TEXT NOT NULL,"
	"  host TEXT NOT NULL DEFAULT '',"
	"  ts INTEGER NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX deployment_event_name ON deployment_event(deployment, id);"
	/* who changes a deployment now: held across a deploy --wait, taken
	 * over when its process is gone (mlp_proc_alive) */
	"CREATE TABLE deployment_lock ("
	"  deployment TEXT PRIMARY KEY,"
	"  user TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  pid INTEGER NOT NULL,"
	"  pid_start TEXT NOT NULL,"
	"  since INTEGER NOT NULL) WITHOUT ROWID;"
	/* one row per running mlp serve, rewritten about every second; state
	 * is JSON (lib/deploy/deploy.h says its shape); a row not seen for a
	 * few seconds, or whose process is gone, is not live */
	"CREATE TABLE server ("
	"  id INTEGER PRIMARY KEY,"
	"  host TEXT NOT NULL,"
	"  pid INTEGER NOT NULL,"
	"  pid_start TEXT NOT NULL,"
	"  url TEXT NOT NULL,"
	"  deployments INTEGER NOT NULL,"
	"  started INTEGER NOT NULL,"
	"  seen INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT '{}');",
	/* 5: the feature store's catalog (mlp feature apply): entities,
	 * sources, feature views and services, one row each with its latest
	 * version and canonical JSON (NULL once deleted; an object defined
	 * again goes on from its last version); every version in
	 * feature_version, a deletion as a version without a spec. A view's
	 * (object, version) -- its (name, version) -- is what the offline
	 * store records data against */
	"CREATE TABLE feature_object ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL"
	"    CHECK (kind IN ('entity', 'source', 'view', 'service')),"
	"  name TEXT NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  spec TEXT,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  UNIQUE (kind, name));"
	"CREATE TABLE feature_version ("
	"  object INTEGER NOT NULL REFERENCES feature_object(id),"
	"  version INTEGER NOT NULL,"
	"  action TEXT NOT NULL"
	"    CHECK (action IN ('create', 'update', 'delete')),"
	"  spec TEXT,"
	"  changed TEXT NOT NULL DEFAULT '',"
	"  forced INTEGER NOT NULL DEFAULT 0,"
	"  file TEXT,"
	"  line INTEGER,"
	"  col INTEGER,"
	"  user TEXT NOT NULL,"
	"  ts INTEGER NOT NULL,"
	"  PRIMARY KEY (object, version)) WITHOUT ROWID;",
	/* 6: the offline feature store. An ingest of a source records one
	 * batch per feature view on it (the view's version then, the digest
	 * of its segment list, which makes a second ingest of the same rows
	 * a no-op); its segments are objects, one per non-empty partition
	 * of the key hash among 2^bits partitions */
	"CREATE TABLE feature_ingest ("
	"  id INTEGER PRIMARY KEY,"
	"  source TEXT NOT NULL,"
	"  view TEXT NOT NULL,"
	"  view_version INTEGER NOT NULL,"
	"  digest TEXT NOT NULL,"
	"  bits INTEGER NOT NULL,"
	"  rows INTEGER NOT NULL,"
	"  min_event_ts INTEGER,"
	"  max_event_ts INTEGER,"
	"  path TEXT NOT NULL,"
	"  user TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  UNIQUE (view, view_version, digest));"
	"CREATE TABLE feature_segment ("
	"  ingest INTEGER NOT NULL REFERENCES feature_ingest(id)"
	"    ON DELETE CASCADE,"
	"  partition INTEGER NOT NULL,"
	"  oid TEXT NOT NULL,"
	"  rows INTEGER NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  PRIMARY KEY (ingest, partition)) WITHOUT ROWID;",
	/* 7: materializations of feature views into an online store (mlp
	 * feature materialize), each recorded once all its records were
	 * written: the view's ingested version read, the store's URI, the
	 * range of event times (start NULL: from the first row), and the
	 * entities written; --incremental goes on from the latest end */
	"CREATE TABLE feature_materialization ("
	"  id INTEGER PRIMARY KEY,"
	"  view TEXT NOT NULL,"
	"  view_version INTEGER NOT NULL,"
	"  online TEXT NOT NULL,"
	"  start_ts INTEGER,"
	"  end_ts INTEGER NOT NULL,"
	"  entities INTEGER NOT NULL,"
	"  written INTEGER NOT NULL,"
	"  user TEXT NOT NULL,"
	"  created INTEGER NOT NULL);"
	"CREATE INDEX feature_materialization_view ON feature_materialization"
	"  (view, view_version, online, end_ts);",
	/* 8: compaction of feature batches (mlp feature compact). A batch
	 * merged into another keeps its row, with replaced_by naming the
	 * batch that now holds its rows (so a second ingest of them is
	 * still a no-op and its lineage can be followed); its segments'
	 * rows go, and gc takes the objects. seq orders a view's batches
	 * (a later one wins a tie): NULL is the batch's id, a compaction
	 * takes the place of the newest batch it merged */
	"ALTER TABLE feature_ingest ADD COLUMN seq INTEGER;"
	"ALTER TABLE feature_ingest ADD COLUMN replaced_by INTEGER"
	"  REFERENCES feature_ingest(id);"
	"CREATE INDEX feature_ingest_view ON feature_ingest"
	"  (view, view_version, replaced_by);"
	"CREATE INDEX feature_ingest_replaced ON feature_ingest(replaced_by)"
	"  WHERE replaced_by IS NOT NULL;",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
mlp_db_schema_version(void)
{
	return NMIGRATIONS;
}

/* The directory holding the database, for messages (the caller frees it). */
static char *
db_dir(const struct mlp_db *db)
{
	const char *slash = strrchr(db->path, '/');

	if (!slash)
		return xstrdup(".");
	return slash == db->path ? xstrdup("/") :
	    xstrndup(db->path, (size_t)(slash - db->path));
}

static int
fs_readonly(const char *path)
{
	struct statvfs vfs;

	return statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
}

static int
no_space(const char *path)
{
	struct statvfs vfs;

	if (statvfs(path, &vfs) < 0)
		return 0;
	/* root may use the blocks reserved for it */
	return (geteuid() == 0 ? vfs.f_bfree : vfs.f_bavail) == 0;
}

/* The first of the database, its directory, -shm and -wal that this
 * process may not write, or NULL. */
static const char *
unwritable(const char *path, const char *dir, const char *shm,
    const char *wal)
{
	if (access(path, W_OK) < 0)
		return path;
	if (access(dir, W_OK) < 0)
		return dir;
	if (access(shm, F_OK) == 0 && access(shm, W_OK) < 0)
		return shm;
	if (access(wal, F_OK) == 0 && access(wal, W_OK) < 0)
		return wal;
	return NULL;
}

/* Why the database cannot be written, from the errno e that said so (0
 * when none did), as a message (the caller frees it) and *code; NULL when
 * no reason is found. */
static char *
readonly_why(const struct mlp_db *db, int e, int *code)
{
	char *dir = db_dir(db), *why = NULL;
	char *shm = xasprintf("%s-shm", db->path);
	char *wal = xasprintf("%s-wal", db->path);
	const char *which;

	*code = MLP_EREADONLY;
	if (e == EROFS || fs_readonly(db->path)) {
		why = xasprintf("repository is read-only: '%s' is on a "
		    "read-only file system", dir);
	} else if (e == ENOSPC || e == EDQUOT || no_space(db->path)) {
		*code = MLP_ENOSPACE;
		why = xasprintf("disk is full: no space left to write '%s'",
		    db->path);
	} else if ((which = unwritable(db->path, dir, shm, wal)) ||
	    e == EACCES || e == EPERM) {
		why = xasprintf("repository is read-only: no permission to "
		    "write '%s'", which ? which : db->path);
	}
	free(wal);
	free(shm);
	free(dir);
	return why;
}

int
mlp_db_error(struct mlp_db *db, struct mlp_err *err, const char *what)
{
	int ec = sqlite3_extended_errcode(db->h);
	int sys = sqlite3_system_errno(db->h);
	int code = MLP_EFAIL;

	switch (ec & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		code = MLP_ELOCKED;
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		code = MLP_ECORRUPT;
		break;
	case SQLITE_FULL:
		sys = ENOSPC;
		/* fall through */
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		if (sys != ENOSPC && sys != EDQUOT && sys != EROFS)
			break;
		/* fall through */
	case SQLITE_READONLY:
		/* a connection opened read-only knows why; a full disk is
		 * news to it, and passes on a writable one */
		if (db->readonly && sys != ENOSPC && sys != EDQUOT)
			return mlp_err_set(err, db->readonly_code, "%s: %s",
			    what, db->readonly);
		{
			char *why = readonly_why(db, sys, &code);

			if (why) {
				mlp_err_set(err, code, "%s: %s", what, why);
				free(why);
				return code;
			}
			code = MLP_EFAIL;
		}
	}
	return mlp_err_set(err, code, "%s: '%s': %s", what, db->path,
	    sqlite3_errmsg(db->h));
}

const char *
mlp_db_readonly(const struct mlp_db *db)
{
	return db ? db->readonly : NULL;
}

int
mlp_db_exec(struct mlp_db *db, const char *sql, struct mlp_err *err)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return mlp_db_error(db, err, "database error");
	return 0;
}

int
mlp_db_prepare(struct mlp_db *db, sqlite3_stmt **st, const char *sql,
    struct mlp_err *err)
{
	if (sqlite3_prepare_v2(db->h, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return mlp_db_error(db, err, "cannot prepare query");
	}
	return 0;
}

int
mlp_db_begin(struct mlp_db *db, struct mlp_err *err)
{
	if (db->readonly)
		return mlp_err_set(err, db->readonly_code, "cannot start a "
		    "transaction: %s", db->readonly);
	if (sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return mlp_db_error(db, err, "cannot start a transaction");
	db->in_tx = 1;
	return 0;
}

int
mlp_db_commit(struct mlp_db *db, struct mlp_err *err)
{
	if (sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int rc = mlp_db_error(db, err, "cannot commit");

		mlp_db_rollback(db);
		return rc;
	}
	db->in_tx = 0;
	return 0;
}

void
mlp_db_rollback(struct mlp_db *db)
{
	if (db && sqlite3_get_autocommit(db->h) == 0)
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	if (db)
		db->in_tx = 0;
}

static int
pragma_int(struct mlp_db *db, const char *sql, int *out, struct mlp_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = mlp_db_prepare(db, &st, sql, err)) < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = 0;
	} else {
		rc = mlp_db_error(db, err, "cannot read the database");
	}
	sqlite3_finalize(st);
	return rc;
}

static int
migrate(struct mlp_db *db, int create, struct mlp_err *err)
{
	int version, appid, rc;
	char sql[96];

	if ((rc = pragma_int(db, "PRAGMA user_version", &version, err)) < 0)
		return rc;
	if ((rc = pragma_int(db, "PRAGMA application_id", &appid, err)) < 0)
		return rc;
	if (appid == MLP_APPLICATION_ID && version == NMIGRATIONS)
		return 0;
	if (appid != MLP_APPLICATION_ID && (appid != 0 || version != 0))
		return mlp_err_set(err, MLP_ECORRUPT,
		    "'%s' is a SQLite database, but not mlp's", db->path);
	if (version > NMIGRATIONS)
		return mlp_err_set(err, MLP_ECORRUPT,
		    "'%s' has schema version %d; this mlp knows up to %d: "
		    "upgrade mlp", db->path, version, NMIGRATIONS);
	if (db->readonly && appid == 0 && version == 0)
		return mlp_err_set(err, MLP_ECORRUPT, "'%s' is not an mlp "
		    "database", db->path);
	if (db->readonly)
		return mlp_err_set(err, db->readonly_code, "'%s' has schema "
		    "version %d and this mlp needs %d: upgrading it needs a "
		    "write: %s", db->path, version, NMIGRATIONS, db->readonly);

	/* Take the write lock, then look again: another process may have
	 * migrated while we waited. */
	if ((rc = mlp_db_begin(db, err)) < 0)
		return rc;
	if ((rc = pragma_int(db, "PRAGMA user_version", &version, err)) < 0 ||
	    (rc = pragma_int(db, "PRAGMA application_id", &appid, err)) < 0)
		goto fail;
	if (appid == 0 && version == 0) {
		sqlite3_stmt *st;
		int tables = 0;

		/* an empty file is a new database only when we were asked to
		 * make one; a database with tables of its own is not ours */
		if ((rc = mlp_db_prepare(db, &st,
		    "SELECT count(*) FROM sqlite_schema", err)) < 0)
			goto fail;
		if (sqlite3_step(st) == SQLITE_ROW)
			tables = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		if (tables > 0) {
			rc = mlp_err_set(err, MLP_ECORRUPT,
			    "'%s' is a SQLite database, but not mlp's", db->path);
			goto fail;
		}
		if (!create) {
			rc = mlp_err_set(err, MLP_ECORRUPT,
			    "'%s' is empty: not an mlp database", db->path);
			goto fail;
		}
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
		    MLP_APPLICATION_ID);
		if ((rc = mlp_db_exec(db, sql, err)) < 0)
			goto fail;
	}
	for (; version < NMIGRATIONS; version++) {
		if ((rc = mlp_db_exec(db, migrations[version], err)) < 0) {
			mlp_err_prefix(err, "schema migration %d", version + 1);
			goto fail;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", NMIGRATIONS);
	if ((rc = mlp_db_exec(db, sql, err)) < 0)
		goto fail;
	return mlp_db_commit(db, err);
fail:
	mlp_db_rollback(db);
	return rc;
}

/* How a connection opens the file: read-write; read-only, the -shm opened
 * read-only too (SQLite's rules for read-only WAL databases); immutable. */
enum db_mode { DB_RW, DB_RO, DB_IMMUTABLE };

/* path as a URI filename with query, so '?', '#' and '%' in it stay path
 * (the caller frees it) */
static char *
db_uri(const char *path, const char *query)
{
	struct mlp_buf b = MLP_BUF_INIT;

	mlp_buf_adds(&b, path[0] == '/' ? "file://" : "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ' ||
		    *p >= 0x7f)
			mlp_buf_addf(&b, "%%%02X", *p);
		else
			mlp_buf_addc(&b, (char)*p);
	}
	mlp_buf_addf(&b, "?%s", query);
	return mlp_buf_detach(&b);
}

/* Opens db->h in mode and reads the header, which opens the write-ahead
 * log and its index (-shm) when the database uses one; returns SQLite's
 * code (db->h may be set on failure too). */
static int
db_connect(struct mlp_db *db, enum db_mode mode, int create)
{
	int flags = SQLITE_OPEN_NOMUTEX, rc;
	char *uri = NULL;

	if (mode == DB_RW)
		flags |= SQLITE_OPEN_READWRITE |
		    (create ? SQLITE_OPEN_CREATE : 0);
	else
		flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
	if (mode != DB_RW)
		uri = db_uri(db->path, mode == DB_RO ? "readonly_shm=1" :
		    "immutable=1");
	rc = sqlite3_open_v2(uri ? uri : db->path, &db->h, flags, NULL);
	free(uri);
	if (rc != SQLITE_OK)
		return db->h ? sqlite3_extended_errcode(db->h) : rc;
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(db->h, 1);
	if (mode == DB_RW) {
		int persist = 1;

		/* a reader that cannot create -wal and -shm (no write
		 * permission, a read-only mount) can use them when they
		 * exist: keep them, the log emptied, when closing */
		sqlite3_file_control(db->h, "main", SQLITE_FCNTL_PERSIST_WAL,
		    &persist);
	}
	return sqlite3_exec(db->h, "PRAGMA user_version", NULL, NULL, NULL);
}

/* 1 when rc, an extended SQLite code, says the file or its -wal or -shm
 * cannot be written or created here, so a read-only open may still read
 * it. */
static int
cannot_write(int rc, int sys)
{
	switch (rc & 0xff) {
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_FULL:
		return 1;
	case SQLITE_IOERR:
		return sys == ENOSPC || sys == EDQUOT || sys == EROFS ||
		    sys == EACCES || sys == EPERM;
	}
	return 0;
}

/* 1 when path's write-ahead log is missing or empty: then the file alone
 * holds every committed transaction. */
static int
wal_empty(const char *path)
{
	char *wal = xasprintf("%s-wal", path);
	struct stat sb;
	int r = stat(wal, &sb) < 0 ? errno == ENOENT : sb.st_size == 0;

	free(wal);
	return r;
}

/* Opens the database read-only after db_connect(DB_RW) failed for want of
 * write access or space, which db->readonly says. */
static int
reconnect_readonly(struct mlp_db *db, struct mlp_err *err)
{
	const char *base = strrchr(db->path, '/');
	char *dir;
	int rc;

	sqlite3_close_v2(db->h);
	db->h = NULL;
	if ((rc = db_connect(db, DB_RO, 0)) == SQLITE_OK)
		return 0;
	/* nobody can write a read-only mount, so with no log to apply the
	 * file is what every reader sees; elsewhere a writer may come and
	 * go, and only the shared-memory index keeps readers safe */
	if (fs_readonly(db->path) && wal_empty(db->path)) {
		sqlite3_close_v2(db->h);
		db->h = NULL;
		if ((rc = db_connect(db, DB_IMMUTABLE, 0)) == SQLITE_OK)
			return 0;
	}
	if (!db->h || ((rc & 0xff) != SQLITE_CANTOPEN &&
	    rc != SQLITE_READONLY_DIRECTORY))
		return db->h ? mlp_db_error(db, err, "cannot read database") :
		    mlp_err_set(err, MLP_EFAIL, "cannot read '%s': %s",
		    db->path, sqlite3_errstr(rc));
	/* SQLite reads a WAL database only with its -shm beside it */
	if (db->readonly_code == MLP_EREADONLY && !fs_readonly(db->path)) {
		dir = db_dir(db);
		base = base ? base + 1 : db->path;
		rc = mlp_err_set(err, MLP_EFAIL, "cannot read '%s' without "
		    "write permission on '%s': SQLite needs %s-shm and %s-wal "
		    "there, which any mlp command run by a user who can write "
		    "it leaves in place", db->path, dir, base, base);
		free(dir);
		return rc;
	}
	return mlp_err_set(err, db->readonly_code == MLP_ENOSPACE ?
	    MLP_ENOSPACE : MLP_EFAIL, "cannot read '%s': %s, and SQLite "
	    "cannot open its '%s-shm'", db->path, db->readonly, db->path);
}

int
mlp_db_open(struct mlp_db **out, const char *path, int create,
    struct mlp_err *err)
{
	struct mlp_db *db;
	struct stat sb;
	int rc;

	static int configured;

	*out = NULL;
	if (!configured) {
		/* SQLite's allocation statistics take a global mutex on every
		 * malloc; mlp never reads them */
		sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
		configured = 1;
	}
	if (!create && stat(path, &sb) < 0)
		return mlp_err_set(err, MLP_ENOTFOUND,
		    "metadata database '%s' is missing", path);
	db = xcalloc(1, sizeof(*db));
	db->path = xstrdup(path);
	rc = db_connect(db, DB_RW, create);
	if (rc != SQLITE_OK && db->h && stat(path, &sb) == 0 &&
	    S_ISREG(sb.st_mode) &&
	    cannot_write(rc, sqlite3_system_errno(db->h)) &&
	    (db->readonly = readonly_why(db, sqlite3_system_errno(db->h),
	    &db->readonly_code))) {
		if ((rc = reconnect_readonly(db, err)) < 0)
			goto fail;
	} else if (rc != SQLITE_OK) {
		rc = db->h ? mlp_db_error(db, err, "cannot open database")
			   : mlp_err_set(err, MLP_EFAIL,
			       "cannot open database '%s'", path);
		goto fail;
	} else if (sqlite3_db_readonly(db->h, "main") == 1) {
		/* the system refused write access and SQLite opened the
		 * file read-only */
		db->readonly = readonly_why(db, EACCES, &db->readonly_code);
	}
	if ((rc = mlp_db_exec(db, "PRAGMA foreign_keys = ON;"
	    "PRAGMA synchronous = NORMAL;"
	    "PRAGMA cache_size = -32768;"
	    "PRAGMA temp_store = MEMORY;", err)) < 0)
		goto fail;
	if (!db->readonly) {
		char sql[64];

		snprintf(sql, sizeof(sql), "PRAGMA journal_size_limit = %d",
		    WAL_SIZE_LIMIT);
		if ((rc = mlp_db_exec(db, sql, err)) < 0)
			goto fail;
		if (mlp_db_set_wal(db->h) != SQLITE_OK) {
			rc = mlp_db_error(db, err, "cannot use database");
			goto fail;
		}
	}
	if ((rc = migrate(db, create, err)) < 0)
		goto fail;
	*out = db;
	return 0;
fail:
	mlp_db_close(db);
	return rc;
}

int
mlp_db_set_wal(sqlite3 *h)
{
	sqlite3_stmt *st;
	int rc, wal;

	/* journal_mode=WAL persists in the file; setting it needs no lock
	 * once it is already WAL, so only a new database pays for it */
	if ((rc = sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st,
	    NULL)) != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	wal = rc == SQLITE_ROW && sqlite3_stricmp((const char *)
	    sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return rc;
	for (int tries = 0; !wal; tries++) {
		rc = sqlite3_exec(h, "PRAGMA journal_mode = WAL", NULL, NULL,
		    NULL);
		if (rc == SQLITE_OK)
			break;
		if (((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) !=
		    SQLITE_LOCKED) || tries == 500)
			return rc;
		usleep(10000);
	}
	return SQLITE_OK;
}

void
mlp_db_close(struct mlp_db *db)
{
	if (!db)
		return;
	mlp_db_rollback(db->h ? db : NULL);
	sqlite3_close_v2(db->h);
	free(db->readonly);
	free(db->path);
	free(db);
}

int
mlp_db_step(struct mlp_db *db, sqlite3_stmt *st, const char *what,
    struct mlp_err *err)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return mlp_db_error(db, err, what);
	return 0;
}

const char *
mlp_db_text(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? (const char *)s : "";
}

static struct mlp_sqlarg *
arg_push(struct mlp_sqlargs *a, enum mlp_sqlarg_type type)
{
	struct mlp_sqlarg *arg;

	mlp_grow(&a->v, &a->alloc, a->n + 1, sizeof(*a->v));
	arg = &a->v[a->n++];
	memset(arg, 0, sizeof(*arg));
	arg->type = type;
	return arg;
}

void
mlp_sqlargs_text(struct mlp_sqlargs *a, const char *s)
{
	arg_push(a, MLP_ARG_TEXT)->s = xstrdup(s);
}

void
mlp_sqlargs_double(struct mlp_sqlargs *a, double d)
{
	arg_push(a, MLP_ARG_DOUBLE)->d = d;
}

void
mlp_sqlargs_int(struct mlp_sqlargs *a, int64_t i)
{
	arg_push(a, MLP_ARG_INT)->i = i;
}

void
mlp_sqlargs_release(struct mlp_sqlargs *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].s);
	free(a->v);
	a->v = NULL;
	a->n = a->alloc = 0;
}

int
mlp_db_bind_args(sqlite3_stmt *st, int first, const struct mlp_sqlargs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct mlp_sqlarg *arg = &a->v[i];
		int idx = first + (int)i, rc;

		switch (arg->type) {
		case MLP_ARG_TEXT:
			rc = sqlite3_bind_text(st, idx, arg->s, -1,
			    SQLITE_TRANSIENT);
			break;
		case MLP_ARG_DOUBLE:
			rc = sqlite3_bind_double(st, idx, arg->d);
			break;
		default:
			rc = sqlite3_bind_int64(st, idx, arg->i);
			break;
		}
		if (rc != SQLITE_OK)
			return MLP_EFAIL;
	}
	return 0;
}

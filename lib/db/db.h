/* The metadata database: one SQLite file per repository, in WAL mode, with
 * schema migrations keyed on PRAGMA user_version. */
#ifndef MLP_DB_H
#define MLP_DB_H

#include <sqlite3.h>
#include <stdint.h>

#include "../core/core.h"

struct mlp_db {
	sqlite3 *h;
	char *path;
	int in_tx;
	/* NULL while the database can be written; else why not, as the
	 * message every write gives ("repository is read-only: ..." or "disk
	 * is full: ..."), with its code (MLP_EREADONLY or MLP_ENOSPACE) */
	char *readonly;
	int readonly_code;
};

/* Opens (creating when create is set) the database at path, sets WAL, foreign
 * keys and the busy timeout, and applies pending migrations once under BEGIN
 * IMMEDIATE. A file that is not SQLite, or a database that is not ours (an
 * application_id other than mlp's), gives MLP_ECORRUPT. The caller frees *out
 * with mlp_db_close().
 *
 * A database this process cannot write (a read-only file system, no write
 * permission, a full disk) is opened read-only so that reading works:
 * SQLite's read-only WAL rules first, then, only on a read-only file system
 * with no write-ahead log to apply, as an immutable file. Then db->readonly
 * says why, every write fails with that message and code, and a schema older
 * than this build is MLP_EREADONLY (upgrading it needs a write). Writable
 * connections keep mlp.db-wal (emptied) and mlp.db-shm when they close, so
 * that readers without write access find them. */
int mlp_db_open(struct mlp_db **out, const char *path, int create,
    struct mlp_err *err);

/* Closes the handle and frees it; accepts NULL. */
void mlp_db_close(struct mlp_db *db);

/* NULL when db (which may be NULL) can be written; else the message a write
 * gets, for commands that write only by the way (a cache) to skip it. */
const char *mlp_db_readonly(const struct mlp_db *db);

/* The schema version this build writes. */
int mlp_db_schema_version(void);

/* Transactions. begin takes the write lock at once (BEGIN IMMEDIATE), so two
 * writers never deadlock on a lock upgrade; the busy timeout waits for it. */
int mlp_db_begin(struct mlp_db *db, struct mlp_err *err);
int mlp_db_commit(struct mlp_db *db, struct mlp_err *err);
void mlp_db_rollback(struct mlp_db *db);

/* Runs SQL that returns no rows. */
int mlp_db_exec(struct mlp_db *db, const char *sql, struct mlp_err *err);

/* Prepares sql into *st; on failure sets err with SQLite's message. */
int mlp_db_prepare(struct mlp_db *db, sqlite3_stmt **st, const char *sql,
    struct mlp_err *err);

/* Sets err from the handle's last SQLite error, with what was being done in
 * front; returns MLP_ELOCKED for SQLITE_BUSY, MLP_ECORRUPT for a damaged file,
 * MLP_EREADONLY ("repository is read-only: ...") for a write the database
 * refuses, MLP_ENOSPACE ("disk is full: ...") for a full disk or quota, else
 * MLP_EFAIL. */
int mlp_db_error(struct mlp_db *db, struct mlp_err *err, const char *what);

/* Bound query arguments collected while SQL text is built, so user values are
 * never spliced into SQL. Text is copied. */
enum mlp_sqlarg_type { MLP_ARG_TEXT, MLP_ARG_DOUBLE, MLP_ARG_INT };
struct mlp_sqlarg {
	enum mlp_sqlarg_type type;
	char *s;
	double d;
	int64_t i;
};
struct mlp_sqlargs {
	struct mlp_sqlarg *v;
	size_t n, alloc;
};
#define MLP_SQLARGS_INIT { NULL, 0, 0 }
void mlp_sqlargs_text(struct mlp_sqlargs *a, const char *s);
void mlp_sqlargs_double(struct mlp_sqlargs *a, double d);
void mlp_sqlargs_int(struct mlp_sqlargs *a, int64_t i);
void mlp_sqlargs_release(struct mlp_sqlargs *a);
/* Binds a->v[0..n) to parameters first, first+1, ...; returns 0 or MLP_EFAIL. */
int mlp_db_bind_args(sqlite3_stmt *st, int first, const struct mlp_sqlargs *a);

/* Steps st once: 0 when it gave a row or finished, else the error with
 * what was being done in front (as mlp_db_error). */
int mlp_db_step(struct mlp_db *db, sqlite3_stmt *st, const char *what,
    struct mlp_err *err);

/* Puts the database h in WAL mode unless it is already: switching needs
 * the file to itself, and SQLite does not always wait for that, so a
 * racing first open retries for up to five seconds. Returns SQLite's
 * code (SQLITE_OK when done); sqlite3_errmsg(h) says why not. */
int mlp_db_set_wal(sqlite3 *h);

/* Column text or "" (never NULL). */
const char *mlp_db_text(sqlite3_stmt *st, int col);

#endif

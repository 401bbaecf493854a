/* The embedded online store: one SQLite file (.mlp/online.db by default),
 * a row per (view, entity key), upserted only when newer. */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "db/db.h"
#include "online.h"

struct sq {
	struct mlp_online base;
	sqlite3 *h;
	sqlite3_stmt *put, *get;
	sqlite3_stmt *begin, *end;	/* of a read transaction */
	char *path;
	int readonly;		/* opened for reading only */
};

static const char schema[] =
    "PRAGMA synchronous = NORMAL;"
    "CREATE TABLE IF NOT EXISTS online ("
    " view TEXT NOT NULL, key BLOB NOT NULL,"
    " event_ts INTEGER NOT NULL, created_ts INTEGER NOT NULL,"
    " value BLOB NOT NULL, written INTEGER NOT NULL,"
    " PRIMARY KEY (view, key)) WITHOUT ROWID;";

/* (event_ts, created_ts) compared as a pair; MLP_TS_NONE is the smallest
 * created time, as no created time loses a tie */
static const char put_sql[] =
    "INSERT INTO online (view, key, event_ts, created_ts, value, written)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    " ON CONFLICT (view, key) DO UPDATE SET event_ts = excluded.event_ts,"
    " created_ts = excluded.created_ts, value = excluded.value,"
    " written = excluded.written"
    " WHERE excluded.event_ts > online.event_ts OR"
    " (excluded.event_ts = online.event_ts AND"
    "  excluded.created_ts > online.created_ts)";

static const char get_sql[] =
    "SELECT event_ts, created_ts, value FROM online WHERE view = ?1 AND "
    "key = ?2";

static int
sq_err(struct sq *q, struct mlp_err *err, const char *what)
{
	return mlp_err_set(err, MLP_EFAIL, "%s '%s': %s", what, q->path,
	    q->h ? sqlite3_errmsg(q->h) : "out of memory");
}

static void
sq_close(struct mlp_online *o)
{
	struct sq *q = (struct sq *)o;

	sqlite3_finalize(q->put);
	sqlite3_finalize(q->get);
	sqlite3_finalize(q->begin);
	sqlite3_finalize(q->end);
	sqlite3_close(q->h);
	free(q->path);
	free(q);
}

/* Prepares the statements of reading: 0 or -1. */
static int
sq_prepare_reads(struct sq *q)
{
	return sqlite3_prepare_v3(q->h, get_sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &q->get, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v3(q->h, "BEGIN", -1, SQLITE_PREPARE_PERSISTENT,
	    &q->begin, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v3(q->h, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT,
	    &q->end, NULL) == SQLITE_OK ? 0 : -1;
}

/* "file:PATH?query", the path's odd bytes escaped (the caller frees it) */
static char *
file_uri(const char *path, const char *query)
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

/* The store opened for reading after it could not be written (a
 * read-only mount, another user's repository, a full disk), as the
 * metadata database is: with its -shm, or on a read-only mount without a
 * log to apply, as an immutable file. */
static int
sq_open_ro(struct sq *q)
{
	struct statvfs vfs;
	char *wal = xasprintf("%s-wal", q->path);
	struct stat sb;
	int ro_fs = statvfs(q->path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
	int no_log = stat(wal, &sb) < 0 ? errno == ENOENT : sb.st_size == 0;

	free(wal);
	for (int immutable = 0; immutable < 2; immutable++) {
		char *u;
		int rc;

		if (immutable && !(ro_fs && no_log))
			break;
		sqlite3_finalize(q->get);
		sqlite3_finalize(q->begin);
		sqlite3_finalize(q->end);
		q->get = q->begin = q->end = NULL;
		sqlite3_close(q->h);
		q->h = NULL;
		u = file_uri(q->path, immutable ? "immutable=1" :
		    "readonly_shm=1");
		rc = sqlite3_open_v2(u, &q->h, SQLITE_OPEN_READONLY |
		    SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
		free(u);
		if (rc == SQLITE_OK && sq_prepare_reads(q) == 0) {
			sqlite3_busy_timeout(q->h, 10000);
			q->readonly = 1;
			return 0;
		}
	}
	return -1;
}

static int
sq_open(struct mlp_online **out, const char *uri, const char *mlp_dir,
    struct mlp_err *err)
{
	struct sq *q = xcalloc(1, sizeof(*q));
	const char *rest = uri + strlen("sqlite:");
	int rc;

	if (*rest == '\0') {
		if (!mlp_dir) {
			free(q);
			return mlp_err_set(err, MLP_EINVAL, "online store "
			    "'sqlite:' needs a repository (or sqlite:PATH)");
		}
		q->path = xasprintf("%s/online.db", mlp_dir);
	} else {
		/* sqlite:PATH, sqlite:///abs/path or sqlite://rel */
		if (strncmp(rest, "//", 2) == 0)
			rest += 2;
		q->path = xstrdup(rest);
	}
	if (sqlite3_open_v2(q->path, &q->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = sq_err(q, err, "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(q->h, 10000);
	{
		/* keep -wal and -shm at close, so that a reader who cannot
		 * create them (a read-only mount) can read */
		int persist = 1;

		sqlite3_file_control(q->h, "main", SQLITE_FCNTL_PERSIST_WAL,
		    &persist);
	}
	if (mlp_db_set_wal(q->h) != SQLITE_OK ||
	    sqlite3_exec(q->h, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(q->h, put_sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &q->put, NULL) != SQLITE_OK || sq_prepare_reads(q) < 0) {
		struct stat sb;

		rc = sq_err(q, err, "cannot use");
		if (stat(q->path, &sb) == 0 && sb.st_size > 0 &&
		    S_ISREG(sb.st_mode) && sq_open_ro(q) == 0) {
			mlp_err_clear(err);
			*out = &q->base;
			return 0;
		}
		goto fail;
	}
	*out = &q->base;
	return 0;
fail:
	sq_close(&q->base);
	return rc;
}

static int
sq_put(struct mlp_online *o, const struct mlp_online_rec *recs, size_t n,
    size_t *written, struct mlp_err *err)
{
	struct sq *q = (struct sq *)o;
	int64_t now = mlp_now_ms();
	int rc = 0;

	if (q->readonly)
		return mlp_err_set(err, MLP_EREADONLY, "cannot write '%s': it "
		    "was opened read-only (no write access, or no space)",
		    q->path);
	if (sqlite3_exec(q->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return sq_err(q, err, "cannot write");
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct mlp_online_rec *r = &recs[i];

		sqlite3_bind_text(q->put, 1, r->view, -1, SQLITE_STATIC);
		sqlite3_bind_blob(q->put, 2, r->key.s, (int)r->key.n,
		    SQLITE_STATIC);
		sqlite3_bind_int64(q->put, 3, r->event_ts);
		sqlite3_bind_int64(q->put, 4, r->created_ts);
		sqlite3_bind_blob(q->put, 5, r->value ? r->value : "",
		    (int)r->vlen, SQLITE_STATIC);
		sqlite3_bind_int64(q->put, 6, now);
		if (sqlite3_step(q->put) != SQLITE_DONE)
			rc = sq_err(q, err, "cannot write");
		else
			*written += (size_t)sqlite3_changes(q->h);
		sqlite3_reset(q->put);
	}
	sqlite3_clear_bindings(q->put);
	if (rc == 0 && sqlite3_exec(q->h, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK)
		rc = sq_err(q, err, "cannot write");
	if (rc < 0) {
		sqlite3_exec(q->h, "ROLLBACK", NULL, NULL, NULL);
		*written = 0;
	}
	return rc;
}

static int
sq_get(struct mlp_online *o, const char *view,
    const struct mlp_online_key *keys, size_t n, struct mlp_online_rec *out,
    struct mlp_err *err)
{
	struct sq *q = (struct sq *)o;
	size_t *at = xmalloc(n * sizeof(*at));
	int rc = 0, step;

	/* values are copied into the arena, whose growth may move it:
	 * offsets first, pointers at the end */
	mlp_buf_grow(&o->arena, 1);	/* an empty value is not NULL */
	sqlite3_bind_text(q->get, 1, view, -1, SQLITE_STATIC);
	for (size_t i = 0; i < n && rc == 0; i++) {
		at[i] = SIZE_MAX;
		sqlite3_bind_blob(q->get, 2, keys[i].s, (int)keys[i].n,
		    SQLITE_STATIC);
		step = sqlite3_step(q->get);
		if (step == SQLITE_ROW) {
			const void *v = sqlite3_column_blob(q->get, 2);
			int len = sqlite3_column_bytes(q->get, 2);

			out[i].event_ts = sqlite3_column_int64(q->get, 0);
			out[i].created_ts = sqlite3_column_int64(q->get, 1);
			out[i].vlen = (size_t)len;
			at[i] = o->arena.len;
			if (len > 0)
				mlp_buf_add(&o->arena, v, (size_t)len);
		} else if (step != SQLITE_DONE) {
			rc = sq_err(q, err, "cannot read");
		}
		sqlite3_reset(q->get);
	}
	sqlite3_clear_bindings(q->get);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (at[i] != SIZE_MAX)
			out[i].value = o->arena.s + at[i];
	free(at);
	return rc;
}

static int
sq_read_begin(struct mlp_online *o, struct mlp_err *err)
{
	struct sq *q = (struct sq *)o;
	int rc = sqlite3_step(q->begin);

	sqlite3_reset(q->begin);
	return rc == SQLITE_DONE ? 0 : sq_err(q, err, "cannot read");
}

static void
sq_read_end(struct mlp_online *o)
{
	struct sq *q = (struct sq *)o;

	if (!sqlite3_get_autocommit(q->h)) {
		sqlite3_step(q->end);
		sqlite3_reset(q->end);
	}
}

const struct mlp_online_backend mlp_online_sqlite = {
	.scheme = "sqlite",
	.open = sq_open,
	.put = sq_put,
	.get = sq_get,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
	.close = sq_close,
};

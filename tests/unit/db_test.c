/* Unit tests of lib/db and the tracking layer on a real SQLite file:
 * migrations, refusal of foreign or damaged databases, bound arguments,
 * the logger's MLflow semantics, the batch reader, and databases that
 * cannot be written. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "track/track.h"
#include "tap.h"

static char dir[] = "/tmp/mlp-db-test.XXXXXX";

static char *
path(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static int
query_int(struct mlp_db *db, const char *sql)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
test_open_and_migrate(void)
{
	struct mlp_db *db = NULL;
	struct mlp_err err;
	char *p = path("a.db");

	ok(mlp_db_open(&db, p, 0, &err) == MLP_ENOTFOUND,
	    "opening a missing database without create is ENOTFOUND");
	ok(mlp_db_open(&db, p, 1, &err) == 0, "create a new database");
	is_int(query_int(db, "PRAGMA user_version"), mlp_db_schema_version(),
	    "schema is at the current version");
	is_int(query_int(db, "PRAGMA foreign_keys"), 1, "foreign keys on");
	is_int(query_int(db, "SELECT count(*) FROM experiment WHERE id = 0 "
	    "AND name = 'Default'"), 1, "the Default experiment exists");
	mlp_db_close(db);
	ok(mlp_db_open(&db, p, 0, &err) == 0, "reopen without create");
	{
		sqlite3_stmt *st;
		const char *mode = "";

		sqlite3_prepare_v2(db->h, "PRAGMA journal_mode", -1, &st, NULL);
		if (sqlite3_step(st) == SQLITE_ROW)
			mode = (const char *)sqlite3_column_text(st, 0);
		is_str(mode, "wal", "journal mode is WAL");
		sqlite3_finalize(st);
	}
	is_int(query_int(db, "SELECT count(*) FROM experiment"), 1,
	    "migrations ran once");
	mlp_db_close(db);
	mlp_db_close(NULL);
	free(p);
}

static void
test_refusals(void)
{
	struct mlp_db *db = NULL;
	struct mlp_err err;
	char *p = path("other.db"), *q = path("junk.db"), *e = path("empty.db");
	char *cmd;
	FILE *fp;

	cmd = xasprintf("sqlite3 '%s' 'CREATE TABLE t (x)'", p);
	ok(system(cmd) == 0, "make a foreign database");
	free(cmd);
	ok(mlp_db_open(&db, p, 1, &err) == MLP_ECORRUPT,
	    "a foreign database is refused even with create");
	ok(strstr(err.msg, "not mlp's") != NULL, "and says so: %s", err.msg);
	fp = fopen(q, "w");
	for (int i = 0; i < 4096; i++)
		fputc("garbage!"[i % 8], fp);
	fclose(fp);
	ok(mlp_db_open(&db, q, 0, &err) == MLP_ECORRUPT,
	    "a file that is not SQLite is ECORRUPT: %s", err.msg);
	fclose(fopen(e, "w"));
	ok(mlp_db_open(&db, e, 0, &err) == MLP_ECORRUPT,
	    "an empty file is not silently made a database");
	ok(db == NULL, "no handle is returned on failure");
	free(p);
	p = path("dir.db");
	mkdir(p, 0777);
	ok(mlp_db_open(&db, p, 0, &err) < 0 && !strstr(err.msg, "read-only"),
	    "a directory in its place is not a read-only database: %s",
	    err.msg);
	free(p);
	free(q);
	free(e);
}

static void
test_concurrent_migration(void)
{
	char *p = path("race.db");
	int status, okcount = 0;

	for (int i = 0; i < 6; i++) {
		if (fork() == 0) {
			struct mlp_db *db;
			struct mlp_err err;

			if (mlp_db_open(&db, p, 1, &err) == 0)
				_exit(0);
			printf("# child: %s\n", err.msg);
			fflush(stdout);
			_exit(1);
		}
	}
	for (int i = 0; i < 6; i++)
		if (wait(&status) > 0 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			okcount++;
	is_int(okcount, 6, "six processes creating one database all succeed");
	{
		struct mlp_db *db;
		struct mlp_err err;

		ok(mlp_db_open(&db, p, 0, &err) == 0, "and it opens");
		is_int(query_int(db, "SELECT count(*) FROM experiment"), 1,
		    "migrated exactly once");
		mlp_db_close(db);
	}
	free(p);
}

static void
test_sqlargs(void)
{
	struct mlp_sqlargs a = MLP_SQLARGS_INIT;
	struct mlp_db *db;
	struct mlp_err err;
	sqlite3_stmt *st;
	char *p = path("args.db");

	mlp_db_open(&db, p, 1, &err);
	mlp_sqlargs_text(&a, "x'; DROP TABLE run; --");
	mlp_sqlargs_double(&a, 2.5);
	mlp_sqlargs_int(&a, 7);
	sqlite3_prepare_v2(db->h, "SELECT ?1 || '|' || ?2 || '|' || ?3", -1,
	    &st, NULL);
	ok(mlp_db_bind_args(st, 1, &a) == 0, "bind three arguments");
	sqlite3_step(st);
	is_str(mlp_db_text(st, 0), "x'; DROP TABLE run; --|2.5|7",
	    "values are bound, never spliced");
	sqlite3_finalize(st);
	is_int(query_int(db, "SELECT count(*) FROM run"), 0, "run survives");
	mlp_sqlargs_release(&a);
	mlp_db_close(db);
	free(p);
}

static void
test_logger(void)
{
	struct mlp_db *db;
	struct mlp_err err;
	struct mlp_logger *lg;
	struct mlp_run_start rs = { 0 };
	struct mlp_run *r = NULL;
	struct mlp_metric *pts = NULL;
	size_t n = 0;
	char uuid[33], *p = path("log.db");

	mlp_db_open(&db, p, 1, &err);
	rs.name = "t";
	rs.user = "u";
	ok(mlp_track_run_start(db, &rs, uuid, &err) == 0, "start a run");
	ok(mlp_logger_begin(db, uuid, &lg, &err) == 0, "begin logging");
	mlp_logger_metric(lg, "m", 5, 3, 100, &err);
	mlp_logger_metric(lg, "m", 1, 9, 50, &err);
	mlp_logger_metric(lg, "m", 7, 2, 900, &err);
	mlp_logger_metric(lg, "n", NAN, 1, 100, &err);
	mlp_logger_metric(lg, "n", 3, 1, 100, &err);
	mlp_logger_metric(lg, "m", 1, 9, 50, &err);
	ok(mlp_logger_param(lg, "p", "1", &err) == 0, "log a param");
	ok(mlp_logger_param(lg, "p", "1", &err) == 0, "same value: no-op");
	ok(mlp_logger_param(lg, "p", "2", &err) == MLP_EINVAL,
	    "another value: EINVAL");
	ok(mlp_logger_tag(lg, "t", "a", &err) == 0 &&
	    mlp_logger_tag(lg, "t", "b", &err) == 0, "tags change");
	ok(mlp_logger_metric(lg, "bad key!", 1, 0, 0, &err) == MLP_EINVAL,
	    "an invalid key is refused: %s", err.msg);
	ok(mlp_logger_commit(lg, &err) == 0, "commit");
	ok(mlp_track_run_get(db, uuid, &r, &err) == 0, "read the run back");
	is_int(r->nmetrics, 2, "two metrics");
	ok(r->nmetrics == 2 && r->metrics[0].value == 1 &&
	    r->metrics[0].step == 9, "m's latest is the greatest step");
	ok(r->nmetrics == 2 && isnan(r->metrics[1].value),
	    "n: a NaN logged first at an equal (step, ts) stays (MLflow)");
	ok(r->nparams == 1 && strcmp(r->params[0].value, "1") == 0,
	    "param kept its first value");
	ok(r->ntags == 1 && strcmp(r->tags[0].value, "b") == 0,
	    "tag has its last value");
	mlp_run_free(r);
	ok(mlp_track_metric_history(db, uuid, "m", &pts, &n, &err) == 0,
	    "history");
	is_int(n, 3, "an identical point is kept once");
	ok(n == 3 && pts[0].step == 2 && pts[2].step == 9, "in step order");
	free(pts);

	/* a failed batch leaves nothing */
	mlp_logger_begin(db, uuid, &lg, &err);
	mlp_logger_metric(lg, "later", 1, 0, 0, &err);
	mlp_logger_abort(lg);
	ok(mlp_track_metric_history(db, uuid, "later", &pts, &n, &err) ==
	    MLP_ENOTFOUND, "an aborted logger wrote nothing");
	free(pts);
	mlp_db_close(db);
	free(p);
}

static int
feed_all(struct mlp_db *db, const char *uuid, const char *text, size_t chunk,
    struct mlp_err *err)
{
	struct mlp_batch_reader *br;
	struct mlp_logger *lg;
	size_t len = strlen(text), off = 0;
	int rc;

	if ((rc = mlp_logger_begin(db, uuid, &lg, err)) < 0)
		return rc;
	mlp_batch_new(&br, "t.jsonl");
	do {
		size_t n = len - off < chunk ? len - off : chunk;

		rc = mlp_batch_feed(br, lg, text + off, n, n == 0, err);
		off += n;
		if (n == 0)
			break;
	} while (rc == 0);
	mlp_batch_free(br);
	if (rc < 0) {
		mlp_logger_abort(lg);
		return rc;
	}
	return mlp_logger_commit(lg, err);
}

static void
test_batch(void)
{
	struct mlp_db *db;
	struct mlp_err err;
	struct mlp_run_start rs = { 0 };
	struct mlp_run *r = NULL;
	char uuid[33], *p = path("batch.db"), *body;
	const char *lines =
	    "{\"metric\": \"a\", \"value\": 1, \"step\": 1}\n"
	    "\n"
	    "  {\"param\": \"p\", \"value\": 3}\r\n"
	    "{\"tag\": \"t\", \"value\": \"x}y\\\"z\"}\n";

	mlp_db_open(&db, p, 1, &err);
	rs.user = "u";
	mlp_track_run_start(db, &rs, uuid, &err);
	/* every chunk size, so records split at every byte */
	for (size_t chunk = 1; chunk <= 7; chunk++)
		ok(feed_all(db, uuid, lines, chunk, &err) == 0,
		    "JSON lines fed %zu bytes at a time (%s)", chunk,
		    err.msg);
	body = xasprintf("{\n \"run_id\": \"%s\",\n \"metrics\": [\n"
	    "  {\"key\": \"b\", \"value\": 2, \"timestamp\": 5, \"step\": 0}\n"
	    " ],\n \"params\": [{\"key\": \"q\", \"value\": \"v\"}]\n}\n", uuid);
	ok(feed_all(db, uuid, body, 3, &err) == 0, "an MLflow body");
	free(body);
	mlp_track_run_get(db, uuid, &r, &err);
	ok(r && r->nmetrics == 2 && r->nparams == 2 && r->ntags == 1,
	    "all records landed");
	ok(r && r->ntags == 1 && strcmp(r->tags[0].value, "x}y\"z") == 0,
	    "braces and quotes inside strings do not end a record");
	mlp_run_free(r);
	ok(feed_all(db, uuid, "{\"metric\":\"c\",\"value\":1}\n\n"
	    "{\"metric\":\"c\",\"value\":true}\n", 4, &err) == MLP_EINVAL,
	    "a bad value is an error");
	ok(strstr(err.msg, "'t.jsonl' line 3:") != NULL, "naming the line: %s",
	    err.msg);
	ok(feed_all(db, uuid, "{\"metric\":\"c\"", 100, &err) == MLP_EINVAL &&
	    strstr(err.msg, "unexpected end") != NULL, "a cut record: %s",
	    err.msg);
	ok(feed_all(db, uuid, "[1,2]", 100, &err) == MLP_EINVAL,
	    "a top-level array is refused");
	{
		struct mlp_buf deep = MLP_BUF_INIT;

		for (int i = 0; i < 100; i++)
			mlp_buf_adds(&deep, "{\"a\":");
		ok(feed_all(db, uuid, deep.s, 100, &err) == MLP_EINVAL &&
		    strstr(err.msg, "nested too deeply") != NULL,
		    "deep nesting is refused");
		mlp_buf_release(&deep);
	}
	mlp_db_close(db);
	free(p);
}

/* Runs fn in a child process that cannot write the test directory: as
 * user nobody when root (whom permissions do not stop), else with the
 * directory and its files made read-only. The child's TAP lines go on with
 * the parent's numbering. */
static void
as_reader(void (*fn)(void))
{
	int fds[2], status, counts[2] = { -1, -1 };
	char *cmd;
	pid_t pid;

	cmd = geteuid() == 0 ? xasprintf("chmod -R a+rX '%s'", dir) :
	    xasprintf("chmod -R a-w '%s'", dir);
	if (system(cmd) != 0 || pipe(fds) < 0) {
		ok(0, "cannot prepare a reader: %s", cmd);
		free(cmd);
		return;
	}
	free(cmd);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		if (geteuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(99);
		fn();
		fflush(stdout);
		counts[0] = tap_n;
		counts[1] = tap_failed;
		if (write(fds[1], counts, sizeof(counts)) != sizeof(counts))
			_exit(98);
		_exit(0);
	}
	close(fds[1]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (pid < 0 || read(fds[0], counts, sizeof(counts)) !=
	    sizeof(counts)) {
		ok(0, "the reader process ended early");
	} else {
		tap_n = counts[0];
		tap_failed = counts[1];
	}
	close(fds[0]);
	cmd = xasprintf("chmod -R u+w '%s'", dir);
	if (system(cmd) != 0)
		ok(0, "cannot make %s writable again", dir);
	free(cmd);
}

static void
read_only_reader(void)
{
	struct mlp_db *db = NULL;
	struct mlp_err err;
	struct mlp_run_start rs = { 0 };
	char uuid[33], *p = path("ro.db");

	ok(mlp_db_open(&db, p, 0, &err) == 0,
	    "a database this process cannot write opens%s%s", db ? "" : ": ",
	    db ? "" : err.msg);
	if (!db) {
		free(p);
		return;
	}
	ok(mlp_db_readonly(db) &&
	    strstr(mlp_db_readonly(db), "repository is read-only"),
	    "read-only, and says why: %s", mlp_db_readonly(db));
	is_int(query_int(db, "SELECT count(*) FROM run"), 1, "and reads");
	ok(mlp_db_begin(db, &err) == MLP_EREADONLY &&
	    strstr(err.msg, "repository is read-only"),
	    "a transaction is MLP_EREADONLY: %s", err.msg);
	rs.user = "u";
	ok(mlp_track_run_start(db, &rs, uuid, &err) == MLP_EREADONLY,
	    "so is starting a run: %s", err.msg);
	ok(mlp_db_exec(db, "DELETE FROM run", &err) == MLP_EREADONLY &&
	    strstr(err.msg, "repository is read-only") &&
	    !strstr(err.msg, "attempt to write"),
	    "and a write outside a transaction: %s", err.msg);
	mlp_db_close(db);
	free(p);
}

static void
live_log_reader(void)
{
	struct mlp_db *db = NULL;
	struct mlp_err err;
	char *p = path("ro.db");

	ok(mlp_db_open(&db, p, 0, &err) == 0, "open beside a live writer");
	is_int(query_int(db, "SELECT count(*) FROM run"), 2,
	    "a transaction still in the writer's log is seen");
	mlp_db_close(db);
	free(p);
}

static void
old_schema_reader(void)
{
	struct mlp_db *db = NULL;
	struct mlp_err err;
	char *p = path("old.db");

	ok(mlp_db_open(&db, p, 0, &err) == MLP_EREADONLY &&
	    strstr(err.msg, "upgrading it needs a write") &&
	    strstr(err.msg, "repository is read-only"),
	    "an older schema is not migrated by a reader: %s", err.msg);
	mlp_db_close(db);
	free(p);
}

static void
no_log_files_reader(void)
{
	struct mlp_db *db = NULL;
	struct mlp_err err;
	char *p = path("bare.db");

	ok(mlp_db_open(&db, p, 0, &err) < 0 && strstr(err.msg, "-shm") &&
	    !strstr(err.msg, "attempt to write"),
	    "without -wal and -shm and the right to make them, the error "
	    "says what is missing: %s", err.msg);
	mlp_db_close(db);
	free(p);
}

static void
test_read_only(void)
{
	struct mlp_db *db = NULL, *w = NULL;
	struct mlp_err err;
	struct mlp_run_start rs = { 0 };
	struct stat sb;
	char uuid[33], *p = path("ro.db"), *q = path("old.db");
	char *b = path("bare.db"), *f;

	rs.user = "u";
	mlp_db_open(&db, p, 1, &err);
	mlp_track_run_start(db, &rs, uuid, &err);
	mlp_db_close(db);
	f = xasprintf("%s-wal", p);
	ok(stat(f, &sb) == 0 && sb.st_size == 0,
	    "closing keeps the write-ahead log, empty");
	free(f);
	f = xasprintf("%s-shm", p);
	ok(stat(f, &sb) == 0, "and its index");
	free(f);
	as_reader(read_only_reader);

	/* a writer's committed transaction, not yet checkpointed */
	ok(mlp_db_open(&w, p, 0, &err) == 0 && !mlp_db_readonly(w) &&
	    mlp_track_run_start(w, &rs, uuid, &err) == 0,
	    "a writer commits and stays open");
	as_reader(live_log_reader);
	mlp_db_close(w);

	mlp_db_open(&db, q, 1, &err);
	mlp_db_exec(db, "PRAGMA user_version = 1", &err);
	mlp_db_close(db);
	as_reader(old_schema_reader);

	mlp_db_open(&db, b, 1, &err);
	mlp_db_close(db);
	f = xasprintf("rm -f '%s-wal' '%s-shm'", b, b);
	ok(system(f) == 0, "a database closed by an older mlp: no -wal, -shm");
	free(f);
	as_reader(no_log_files_reader);
	free(p);
	free(q);
	free(b);
}

static void
test_full(void)
{
	struct mlp_db *db = NULL;
	struct mlp_err err;
	char *p = path("full.db"), sql[96];
	int pages;

	mlp_db_open(&db, p, 1, &err);
	pages = query_int(db, "PRAGMA page_count");
	/* SQLite's own limit gives the error a full disk gives */
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %d", pages);
	mlp_db_exec(db, sql, &err);
	ok(mlp_db_exec(db, "INSERT INTO metric_key (name) VALUES "
	    "(hex(randomblob(100000)))", &err) == MLP_ENOSPACE &&
	    strstr(err.msg, "disk is full"), "SQLITE_FULL is MLP_ENOSPACE: %s",
	    err.msg);
	ok(!mlp_db_readonly(db), "and the connection stays writable");
	mlp_db_exec(db, "PRAGMA max_page_count = 1073741823", &err);
	ok(mlp_db_exec(db, "INSERT INTO metric_key (name) VALUES ('x')",
	    &err) == 0, "once there is room, writes work");
	mlp_db_close(db);
	free(p);
}

int
main(void)
{
	char *cmd;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_open_and_migrate();
	test_refusals();
	test_concurrent_migration();
	test_sqlargs();
	test_logger();
	test_batch();
	test_read_only();
	test_full();
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	return tap_done();
}

/* Unit tests of lib/track's rules: experiments made on first use, text that
 * must be UTF-8, the user runs are recorded for, the process that runs a
 * run and the reconcile that ends runs whose process is gone; and the
 * number formatting tables and CSV print with. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "track/track.h"
#include "tap.h"

static char dir[] = "/tmp/mlp-track-test.XXXXXX";

static struct mlp_db *
open_db(const char *name)
{
	struct mlp_db *db = NULL;
	struct mlp_err err;
	char *p = xasprintf("%s/%s", dir, name);

	if (mlp_db_open(&db, p, 1, &err) < 0) {
		fprintf(stderr, "cannot open %s: %s\n", p, err.msg);
		exit(1);
	}
	free(p);
	return db;
}

static char *
query_text(struct mlp_db *db, const char *sql)
{
	sqlite3_stmt *st;
	char *v = NULL;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static int
count(struct mlp_db *db, const char *sql)
{
	char *s = query_text(db, sql);
	int n = s ? atoi(s) : -1;

	free(s);
	return n;
}

static char *
run_status(struct mlp_db *db, const char *uuid)
{
	char *sql = xasprintf("SELECT status FROM run WHERE uuid = '%s'", uuid);
	char *s = query_text(db, sql);

	free(sql);
	return s;
}

static void
test_experiment_ensure(void)
{
	struct mlp_db *db = open_db("exp.db");
	struct mlp_experiment e;
	struct mlp_run_start rs = { 0 };
	struct mlp_err err;
	char uuid[33];
	int created = -1;

	ok(mlp_track_experiment_ensure(db, "vision", &e, &created, &err) == 0,
	    "a new name is created");
	is_int(created, 1, "and said to be created");
	is_str(e.name, "vision", "with that name");
	mlp_experiment_release(&e);
	ok(mlp_track_experiment_ensure(db, "vision", &e, &created, &err) == 0,
	    "the same name again is found");
	is_int(created, 0, "not created twice");
	is_int(e.id, 1, "the same experiment");
	mlp_experiment_release(&e);
	ok(mlp_track_experiment_ensure(db, "1", &e, NULL, &err) == 0 &&
	    e.id == 1, "an id names it too");
	mlp_experiment_release(&e);
	ok(mlp_track_experiment_ensure(db, "77", &e, &created, &err) ==
	    MLP_ENOTFOUND, "an unknown id is not made up");
	is_int(count(db, "SELECT count(*) FROM experiment"), 2,
	    "nothing was created for it");
	mlp_track_experiment_delete(db, "vision", &err);
	ok(mlp_track_experiment_ensure(db, "vision", &e, &created, &err) ==
	    MLP_EINVAL, "a deleted experiment is refused");
	ok(strstr(err.msg, "restore it with 'mlp track experiment restore 1'")
	    != NULL, "saying how to restore it: %s", err.msg);
	ok(mlp_track_experiment_ensure(db, "caf\xe9", &e, &created, &err) ==
	    MLP_EINVAL && strstr(err.msg, "not valid UTF-8"),
	    "a name that is not UTF-8 is refused: %s", err.msg);

	rs.experiment = "audio";
	rs.created_experiment = &created;
	ok(mlp_track_run_start(db, &rs, uuid, &err) == 0,
	    "a run starts in a new experiment");
	is_int(created, 1, "which run_start created");
	is_int(count(db, "SELECT count(*) FROM run r JOIN experiment e ON "
	    "e.id = r.experiment WHERE e.name = 'audio'"), 1,
	    "the run is in it");
	rs.name = "bad\xff";
	ok(mlp_track_run_start(db, &rs, uuid, &err) == MLP_EINVAL,
	    "a run name that is not UTF-8 is refused");
	is_int(count(db, "SELECT count(*) FROM run"), 1, "nothing stored");
	rs.experiment = "radio";
	ok(mlp_track_run_start(db, &rs, uuid, &err) == MLP_EINVAL,
	    "a refused run creates no experiment either");
	is_int(created, 0, "none said to be created");
	is_int(count(db, "SELECT count(*) FROM experiment WHERE name = "
	    "'radio'"), 0, "and none was");
	mlp_db_close(db);
}

static void
test_utf8(void)
{
	struct mlp_db *db = open_db("utf8.db");
	struct mlp_run_start rs = { 0 };
	struct mlp_kv tag = { "note", "ok \xe2\x9c\x93" };
	struct mlp_logger *lg = NULL;
	struct mlp_err err;
	char uuid[33];

	rs.tags = &tag;
	rs.ntags = 1;
	ok(mlp_track_run_start(db, &rs, uuid, &err) == 0,
	    "valid UTF-8 is stored");
	tag.value = "\xed\xa0\x80";	/* a surrogate */
	ok(mlp_track_run_start(db, &rs, uuid, &err) == MLP_EINVAL &&
	    strstr(err.msg, "tag 'note' value"), "a bad tag value at start: "
	    "%s", err.msg);
	rs.ntags = 0;
	rs.user = "\xc0\xaf";	/* an overlong '/' */
	ok(mlp_track_run_start(db, &rs, uuid, &err) == MLP_EINVAL &&
	    strstr(err.msg, "user"), "a bad user: %s", err.msg);
	{
		char *id = query_text(db, "SELECT uuid FROM run");

		ok(mlp_logger_begin(db, id, &lg, &err) == 0, "logger");
		free(id);
	}
	ok(mlp_logger_param(lg, "p", "x\xff", &err) == MLP_EINVAL &&
	    strstr(err.msg, "param 'p' value"), "a bad param: %s", err.msg);
	ok(mlp_logger_tag(lg, "t", "\xf4\x90\x80\x80", &err) == MLP_EINVAL,
	    "a code point past U+10FFFF in a tag");
	ok(mlp_logger_param(lg, "p", "caf\xc3\xa9", &err) == 0,
	    "a good param");
	ok(mlp_logger_commit(lg, &err) == 0, "commit");
	ok(mlp_track_check_artifact_path("d/\xff.txt", &err) == MLP_EINVAL &&
	    strstr(err.msg, "artifact name"), "a bad artifact name: %s",
	    err.msg);
	ok(mlp_track_check_artifact_path("d/\x7f", &err) == MLP_EINVAL,
	    "DEL in an artifact name");
	ok(mlp_track_experiment_create(db, "x\x80", NULL, &err) == MLP_EINVAL,
	    "a bad experiment name");
	ok(mlp_track_experiment_rename(db, "0", "\xfe", &err) == MLP_EINVAL,
	    "a bad new experiment name");
	is_int(count(db, "SELECT count(*) FROM tag WHERE key = 'note'"), 1,
	    "only the good tag is stored");
	mlp_db_close(db);
}

static void
test_user(void)
{
	char *u;

	setenv("MLP_USER", "ci-bot", 1);
	u = mlp_track_user(NULL);
	is_str(u, "ci-bot", "MLP_USER first");
	free(u);
	unsetenv("MLP_USER");
	setenv("USER", "login", 1);
	u = mlp_track_user(NULL);
	/* a global user.name would win; $HOME points at the test's dir */
	is_str(u, "login", "else the login name, without user.name");
	free(u);
}

/* Starts a run as mlp train does, recorded as run by this process. */
static int
start_owned(struct mlp_db *db, char uuid[33])
{
	struct mlp_run_start rs = { 0 };
	struct mlp_kv *tags;
	struct mlp_err err;
	size_t n;
	int rc;

	mlp_track_source_tags(NULL, "u", &tags, &n);
	rs.tags = tags;
	rs.ntags = n;
	rs.own = 1;
	rc = mlp_track_run_start(db, &rs, uuid, &err);
	mlp_kvs_free(tags, n);
	return rc;
}

static void
test_reconcile(void)
{
	struct mlp_db *db = open_db("rec.db");
	struct mlp_run_start rs = { 0 };
	struct mlp_err err;
	char mine[33], theirs[33], manual[33], *s, *sql;
	int64_t n = -1;
	pid_t pid;
	int st;

	ok(start_owned(db, mine) == 0, "a run owned by this process");
	s = query_text(db, "SELECT value FROM tag WHERE key = "
	    "'mlp.source.pid'");
	is_int(s ? atoi(s) : -1, getpid(), "records the pid");
	free(s);
	is_int(count(db, "SELECT count(*) FROM tag WHERE key = "
	    "'mlp.source.pid.start' AND value GLOB '[0-9]* *'"), 1,
	    "and its start time with the boot id");
	ok(mlp_track_run_start(db, &rs, manual, &err) == 0,
	    "a run of mlp track start");
	is_int(count(db, "SELECT count(*) FROM tag WHERE key = "
	    "'mlp.source.pid'"), 1, "records no process");
	/* a child starts a run and dies without ending it */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct mlp_db *cdb = open_db("rec.db");

		_exit(start_owned(cdb, theirs) == 0 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a child ran a run");
	sql = xasprintf("SELECT uuid FROM run WHERE id = (SELECT run FROM tag "
	    "WHERE key = 'mlp.source.pid' AND value = '%d')", (int)pid);
	s = query_text(db, sql);
	free(sql);
	ok(s != NULL, "found the child's run");
	snprintf(theirs, sizeof(theirs), "%s", s ? s : "");
	free(s);
	ok(mlp_track_reconcile(db, mine, &n, &err) == 0 && n == 0,
	    "one run: this process lives");
	ok(mlp_track_reconcile(db, NULL, &n, &err) == 0, "reconcile all");
	is_int(n, 1, "one run ended");
	s = run_status(db, theirs);
	is_str(s, "KILLED", "the dead child's run is KILLED");
	free(s);
	s = run_status(db, mine);
	is_str(s, "RUNNING", "this process's run is RUNNING");
	free(s);
	s = run_status(db, manual);
	is_str(s, "RUNNING", "a run with no process recorded is RUNNING");
	free(s);
	is_int(count(db, "SELECT count(*) FROM run WHERE status = 'KILLED' "
	    "AND end_time >= start_time"), 1, "with an end time");
	ok(mlp_track_reconcile(db, NULL, &n, &err) == 0 && n == 0,
	    "nothing more to end");
	/* taken up again (train --resume): this process owns it */
	ok(mlp_track_run_end(db, theirs, "RUNNING", 0, &err) == 0,
	    "the run taken up again");
	ok(mlp_track_reconcile(db, NULL, &n, &err) == 0 && n == 0,
	    "and left running: this process runs it now");
	sqlite3_exec(db->h, "UPDATE tag SET value = '1 x' WHERE key = "
	    "'mlp.source.pid.start'", NULL, NULL, NULL);
	ok(mlp_track_reconcile(db, NULL, &n, &err) == 0 && n == 2,
	    "a live pid with another start time is a reused pid: ended");
	mlp_db_close(db);
}

static void
test_numbers(void)
{
	char b[64];
	double d = -1;

	mlp_fmt_double(1796293731560.0, b, sizeof(b));
	is_str(b, "1796293731560", "a timestamp ending in 0 is an integer");
	mlp_fmt_double(1e6, b, sizeof(b));
	is_str(b, "1000000", "a million");
	mlp_fmt_double(-42, b, sizeof(b));
	is_str(b, "-42", "a negative integer");
	mlp_fmt_double(0.1, b, sizeof(b));
	is_str(b, "0.1", "a fraction, shortest");
	mlp_fmt_double(1e20, b, sizeof(b));
	is_str(b, "1e+20", "past 1e16 an exponent");
	mlp_fmt_double(NAN, b, sizeof(b));
	is_str(b, "nan", "nan");
	ok(mlp_parse_double("1e-320", &d) == 0 && d > 0 && d < 1e-300,
	    "a subnormal is a float64");
	ok(mlp_parse_double("1e-400", &d) == 0 && d == 0,
	    "an underflow reads as 0");
	is_int(mlp_parse_double("1e400", &d), -2, "1e400 is out of range");
	is_int(mlp_parse_double("-1e400", &d), -2, "so is -1e400");
	ok(mlp_parse_double("inf", &d) == 0 && isinf(d), "inf spelled out");
	ok(mlp_parse_double("NaN", &d) == 0 && isnan(d), "NaN spelled out");
	is_int(mlp_parse_double("x", &d), -1, "not a number");
}

int
main(void)
{
	char *cmd;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	setenv("HOME", dir, 1);
	setenv("XDG_CONFIG_HOME", "", 1);
	test_experiment_ensure();
	test_utf8();
	test_user();
	test_reconcile();
	test_numbers();
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	return tap_done();
}

/* Deployment locks: one process changes a deployment at a time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

void
deploy_self(struct deploy_self *me)
{
	memset(me, 0, sizeof(*me));
	if (mlp_hostname(me->host, sizeof(me->host)) < 0)
		snprintf(me->host, sizeof(me->host), "localhost");
	me->pid = (int64_t)getpid();
	if (mlp_proc_start(getpid(), me->start, sizeof(me->start)) < 0)
		me->start[0] = '\0';
}

void
deploy_sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) *
		1000000L };

	nanosleep(&ts, NULL);
}

/* The lock row of name into h and *start; 1 when there is one. */
static int
read_lock(struct mlp_db *db, const char *name, struct mlp_deploy_holder *h,
    char *start, size_t nstart, struct mlp_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(h, 0, sizeof(*h));
	if ((rc = mlp_db_prepare(db, &st, "SELECT user, host, pid, pid_start, "
	    "since FROM deployment_lock WHERE deployment = ?", err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(h->user, sizeof(h->user), "%s", mlp_db_text(st, 0));
		snprintf(h->host, sizeof(h->host), "%s", mlp_db_text(st, 1));
		h->pid = sqlite3_column_int64(st, 2);
		snprintf(start, nstart, "%s", mlp_db_text(st, 3));
		h->since = sqlite3_column_int64(st, 4);
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = mlp_db_error(db, err, "cannot read deployment locks");
	}
	sqlite3_finalize(st);
	return rc;
}

static int
is_me(const struct deploy_self *me, const struct mlp_deploy_holder *h,
    const char *start)
{
	return strcmp(h->host, me->host) == 0 && h->pid == me->pid &&
	    strcmp(start, me->start) == 0;
}

int
deploy_lock_mine(struct mlp_db *db, const char *name, struct mlp_err *err)
{
	struct mlp_deploy_holder h;
	struct deploy_self me;
	char start[128];
	int rc;

	deploy_self(&me);
	if ((rc = read_lock(db, name, &h, start, sizeof(start), err)) <= 0)
		return rc;
	return is_me(&me, &h, start);
}

/* Whether the holder's process is gone: only a process of this host can
 * be judged. */
static int
holder_gone(const struct deploy_self *me, const struct mlp_deploy_holder *h,
    const char *start)
{
	char pid[32];

	if (strcmp(h->host, me->host) != 0)
		return 0;
	snprintf(pid, sizeof(pid), "%lld", (long long)h->pid);
	return !mlp_proc_alive(pid, start);
}

int
mlp_deploy_lock(struct mlp_db *db, const char *name, const char *user,
    struct mlp_deploy_holder *holder, struct mlp_err *err)
{
	struct mlp_deploy_holder h;
	struct deploy_self me;
	sqlite3_stmt *st = NULL;
	char start[128], since[32];
	int rc;

	if (holder)
		memset(holder, 0, sizeof(*holder));
	if ((rc = mlp_deploy_check_name(name, err)) < 0 ||
	    (rc = mlp_check_utf8("user", user, err)) < 0)
		return rc;
	deploy_self(&me);
	if ((rc = mlp_db_begin(db, err)) < 0)
		return rc;
	if ((rc = read_lock(db, name, &h, start, sizeof(start), err)) < 0)
		goto out;
	if (rc == 1 && is_me(&me, &h, start)) {
		rc = 0;
		goto out;
	}
	if (rc == 1 && !holder_gone(&me, &h, start)) {
		if (holder)
			*holder = h;
		mlp_fmt_time(h.since, since, sizeof(since));
		rc = mlp_err_set(err, MLP_ELOCKED, "deployment '%s' is locked "
		    "by %s@%s pid %lld since %s", name, h.user, h.host,
		    (long long)h.pid, since);
		goto out;
	}
	if (rc == 1 && holder) {
		*holder = h;
		holder->taken_over = 1;
	}
	/* free, or its holder is gone: one statement either way */
	if ((rc = mlp_db_prepare(db, &st, "INSERT OR REPLACE INTO "
	    "deployment_lock (deployment, user, host, pid, pid_start, since) "
	    "VALUES (?, ?, ?, ?, ?, ?)", err)) < 0)
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, me.host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, me.pid);
	sqlite3_bind_text(st, 5, me.start, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, mlp_now_ms());
	rc = mlp_db_step(db, st, "cannot take the deployment's lock", err);
	sqlite3_finalize(st);
out:
	if (rc < 0) {
		mlp_db_rollback(db);
		return rc;
	}
	return mlp_db_commit(db, err);
}

int
mlp_deploy_lock_wait(struct mlp_db *db, const char *name, const char *user,
    int64_t timeout_ms, int (*stop)(void *), void *ud,
    struct mlp_deploy_holder *holder, struct mlp_err *err)
{
	int64_t start = mlp_now_ms();
	struct mlp_deploy_holder h;
	int rc;

	for (;;) {
		rc = mlp_deploy_lock(db, name, user, &h, err);
		if (rc != MLP_ELOCKED || h.pid == 0)
			break;
		if (stop && stop(ud)) {
			rc = mlp_err_set(err, MLP_EINTR, "stopped while "
			    "waiting for the lock of deployment '%s'", name);
			break;
		}
		if (timeout_ms >= 0 && mlp_now_ms() - start >= timeout_ms)
			break;
		deploy_sleep_ms(200);
	}
	if (holder)
		*holder = h;
	return rc;
}

int
mlp_deploy_unlock(struct mlp_db *db, const char *name, struct mlp_err *err)
{
	struct deploy_self me;
	sqlite3_stmt *st = NULL;
	int rc;

	deploy_self(&me);
	if ((rc = mlp_db_prepare(db, &st, "DELETE FROM deployment_lock WHERE "
	    "deployment = ? AND host = ? AND pid = ? AND pid_start = ?",
	    err)) < 0)
		return rc;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, me.host, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, me.pid);
	sqlite3_bind_text(st, 4, me.start, -1, SQLITE_STATIC);
	rc = mlp_db_step(db, st, "cannot release the deployment's lock", err);
	sqlite3_finalize(st);
	return rc;
}
